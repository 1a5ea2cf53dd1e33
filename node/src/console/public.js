// The golden four hours in the incident drawer: an incident of public
// concern shows why, when its first authoritative public release is due
// (a countdown), the hub's reminders, and the release once made with who
// approved it. A caller who may approve plans (a commander, a station's
// room) flags an incident of public concern and records the release.

import { clock, committedAt, duration, el, OPEN_INCIDENT_STATUSES, writeFor } from './format.js';

/** Longest release text the ledger keeps, bytes. */
const TEXT_BYTES_MAX = 2000;

export class PublicInfoSection {
  /**
   * `post(path, body)` writes as the logged-in caller (null: may not
   * flag or release, no controls); `changed()` asks the drawer to redraw.
   */
  constructor(post, changed) {
    this.post = post;
    this.changed = changed;
    this.forId = null;
    this.outcome = null;
    this.text = el('textarea', { id: 'public-release-text', rows: 2, maxlength: TEXT_BYTES_MAX, placeholder: 'the authoritative public release' });
    this.why = el('input', { id: 'public-concern-why', type: 'text', maxlength: TEXT_BYTES_MAX, placeholder: 'why it is of public concern' });
  }

  /** The section for `incident`, or null when there is nothing to show or do. */
  section(incident, now) {
    if (this.forId !== incident.id) {
      this.forId = incident.id;
      this.outcome = null;
      this.text.value = '';
      this.why.value = '';
    }
    const info = incident.public_info;
    const open = OPEN_INCIDENT_STATUSES.has(incident.status);
    if (!info && !(this.post && open)) return null;
    const parts = info ? this.timer(incident, info, now) : [this.flagForm(incident)];
    return el('section', { id: 'public-info', class: 'public-info', 'data-overdue': Boolean(info?.overdue), 'data-released': Boolean(info?.release) },
      el('h3', { text: 'Public information (golden four hours)' }), ...parts,
      this.outcome ? el('p', { class: this.outcome.state === 'failed' ? 'error' : 'muted', role: 'status', text: this.outcome.message }) : null);
  }

  timer(incident, info, now) {
    const facts = [el('p', { class: 'muted', text: info.why })];
    if (info.release) {
      facts.push(el('p', { id: 'public-release', class: 'ok', text: `Released ${clock(info.release.at_ms)}, approved by ${info.release.approved_by}: “${info.release.text}”` }));
      return facts;
    }
    facts.push(el('p', {}, 'First release due ', el('strong', { text: clock(info.due_ms) }), ' · ',
      el('span', { id: 'public-countdown', class: info.overdue ? 'breached' : '', text: countdown(info, now) }),
      info.reminders ? el('span', { class: 'muted', text: ` · ${info.reminders} reminder${info.reminders === 1 ? '' : 's'}` }) : null));
    if (this.post && OPEN_INCIDENT_STATUSES.has(incident.status)) facts.push(this.releaseForm(incident));
    return facts;
  }

  releaseForm(incident) {
    const button = el('button', { type: 'button', id: 'public-release-send', class: 'primary', text: 'Record release' });
    button.disabled = this.outcome?.state === 'pending';
    button.addEventListener('click', () => {
      const text = this.text.value.trim();
      if (!text) return this.fail('Write the release first.');
      this.write(`/v1/incidents/${encodeURIComponent(incident.id)}/public-release`, { text }, 'Release recorded', () => { this.text.value = ''; });
    });
    return el('div', { class: 'note-form' }, this.text, button);
  }

  flagForm(incident) {
    const button = el('button', { type: 'button', id: 'public-concern-flag', text: 'Flag public concern' });
    button.disabled = this.outcome?.state === 'pending';
    button.addEventListener('click', () => {
      const why = this.why.value.trim();
      if (!why) return this.fail('Say why it is of public concern.');
      this.write(`/v1/incidents/${encodeURIComponent(incident.id)}/public-concern`, { why }, 'Flagged', () => { this.why.value = ''; });
    });
    return el('div', { class: 'note-form' }, this.why, button);
  }

  fail(message) {
    this.outcome = { state: 'failed', message };
    this.changed();
  }

  write(path, body, done, after) {
    return writeFor(this, () => this.post(path, body), committedAt(done), after);
  }

  /** Called every second with the drawer's incident. */
  tick(incident, now) {
    const node = document.getElementById('public-countdown');
    const info = incident?.public_info;
    if (!node || !info || info.release) return;
    node.textContent = countdown(info, now);
    node.classList.toggle('breached', info.overdue || now > info.due_ms);
  }
}

/** Time left to the release, or how late it is. */
function countdown(info, now) {
  const left = info.due_ms - now;
  return left >= 0 ? `${duration(left)} left` : `overdue by ${duration(-left)}`;
}
