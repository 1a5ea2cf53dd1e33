// Two-level command in the incident drawer: what a station's command room
// asked of the district for the incident (numbered, with the level that
// asked) and the district's answer; the district's requests for mutual
// aid to neighbouring districts and whether each reached the neighbour. A
// station's room asks the district for more; a commander (the district
// command centre) grants or declines an ask and asks a neighbour. The node
// checks every right again; the trail below names who did what.

import { clock, committedAt, el, OPEN_INCIDENT_STATUSES, writeFor } from './format.js';

/** Longest reason or note the ledger keeps, bytes. */
const TEXT_BYTES_MAX = 2000;
/** Most units one ask or request names. */
const UNITS_MAX = 20;

export class CommandSection {
  /**
   * `api` is {getJson(path), post(path, body)} as the logged-in caller;
   * `mayAsk`: a station's room (asks the district); `mayCommand`: the
   * district command centre (answers asks, asks neighbours); `changed()`
   * asks the drawer to draw again.
   */
  constructor(api, { mayAsk, mayCommand }, changed) {
    this.api = api;
    this.mayAsk = mayAsk;
    this.mayCommand = mayCommand;
    this.changed = changed;
    this.forId = null;
    this.outcome = null;
    this.neighbours = null; // [{id, name}] once read
    this.askRing = select('ask-district-ring', [1, 2, 3, 4].map((ring) => [ring, `ring ${ring}`]), 3);
    this.askUnits = number('ask-district-units');
    this.askReason = text('ask-district-reason', 'why the station needs more');
    this.answerNote = text('answer-ask-note', 'which units come, or why not');
    this.aidUnits = number('district-aid-units');
    this.aidReason = text('district-aid-reason', 'why the district needs its neighbour');
    this.aidTo = select('district-aid-neighbour', [], null);
  }

  /** The section for `incident`, or null when there is nothing to show or do. */
  section(incident) {
    if (this.forId !== incident.id) {
      this.forId = incident.id;
      this.outcome = null;
      for (const field of [this.askReason, this.answerNote, this.aidReason]) field.value = '';
    }
    const asks = incident.asks ?? [];
    const aid = incident.district_aid ?? [];
    const open = OPEN_INCIDENT_STATUSES.has(incident.status);
    const acts = open && (this.mayAsk || this.mayCommand);
    if (!asks.length && !aid.length && !acts) return null;
    if (open && this.mayCommand && this.neighbours === null) this.loadNeighbours();
    return el('section', { id: 'command-levels', class: 'command-levels' },
      el('h3', { text: 'Command: station and district' }),
      asks.length ? el('ul', { class: 'asks' }, ...asks.map((ask) => this.askItem(incident, ask, open))) : null,
      aid.length ? el('ul', { class: 'district-aid' }, ...aid.map(aidItem)) : null,
      open && this.mayAsk ? this.askForm(incident) : null,
      open && this.mayCommand && this.neighbours?.length ? this.aidForm(incident) : null,
      this.outcome ? el('p', { id: 'command-result', class: this.outcome.state === 'failed' ? 'error' : 'muted', role: 'status', text: this.outcome.message }) : null);
  }

  /** One ask with its answer, or the district's buttons while it waits. */
  askItem(incident, ask, open) {
    const asked = `Ask ${ask.number} · ${ask.level} at ${clock(ask.at_ms)}: ${ask.units} more ring-${ask.ring} units: ${ask.reason}`;
    const answer = ask.answer;
    let tail = null;
    if (answer) {
      tail = el('p', { class: answer.granted ? 'ok' : 'muted', text: `${answer.granted ? 'Granted' : 'Declined'} by ${answer.level} (${answer.by}) at ${clock(answer.at_ms)}: ${answer.note}` });
    } else if (open && this.mayCommand) {
      const decide = (granted) => {
        const note = this.answerNote.value.trim();
        if (!note) return this.fail('Say which units come, or why not, first.');
        return this.write(`/v1/incidents/${encodeURIComponent(incident.id)}/asks/${ask.number}/answer`, { granted, note }, granted ? 'Granted' : 'Declined');
      };
      tail = el('div', { class: 'answer-ask' }, this.answerNote,
        button(`grant-ask-${ask.number}`, 'Grant', () => decide(true), 'primary'),
        button(`decline-ask-${ask.number}`, 'Decline', () => decide(false)));
    } else {
      tail = el('p', { class: 'error', text: 'Waiting for the district.' });
    }
    return el('li', { 'data-ask': ask.number, 'data-answered': Boolean(answer) }, el('p', { text: asked }), tail);
  }

  /** A station room's ask of the district for more units of a ring. */
  askForm(incident) {
    const send = () => {
      const reason = this.askReason.value.trim();
      if (!reason) return this.fail('Say why the station needs more first.');
      const body = { ring: Number(this.askRing.value), units: Number(this.askUnits.value), reason };
      return this.write(`/v1/incidents/${encodeURIComponent(incident.id)}/ask-district`, body, 'Asked the district', () => { this.askReason.value = ''; });
    };
    return el('div', { class: 'ask-district' }, el('label', { text: 'Ask the district for ' }), this.askUnits, this.askRing, this.askReason,
      button('ask-district-send', 'Ask the district', send, 'primary'));
  }

  /** The district's mutual-aid request to a neighbouring district (sent as an EIDO document). */
  aidForm(incident) {
    const send = () => {
      const reason = this.aidReason.value.trim();
      if (!reason) return this.fail('Say why the district needs its neighbour first.');
      const body = { neighbour: this.aidTo.value, units: Number(this.aidUnits.value), reason };
      return writeFor(this, () => this.api.post(`/v1/incidents/${encodeURIComponent(incident.id)}/district-aid`, body),
        (sent) => (sent.their_incident_id
          ? `Delivered to ${sent.neighbour}: their ${sent.their_incident_id}.`
          : `NOT delivered to ${sent.neighbour} (${sent.failure}): ring them.`),
        () => { this.aidReason.value = ''; });
    };
    return el('div', { class: 'district-aid-form' }, el('label', { text: 'Ask a neighbouring district for ' }), this.aidUnits, this.aidTo, this.aidReason,
      button('district-aid-send', 'Send mutual-aid request', send));
  }

  async loadNeighbours() {
    this.neighbours = [];
    try {
      this.neighbours = (await this.api.getJson('/v1/neighbours')).neighbours;
    } catch {
      // No neighbours shown: the request form stays hidden.
    }
    this.aidTo.replaceChildren(...this.neighbours.map((n) => el('option', { value: n.id, text: n.name })));
    this.changed();
  }

  fail(message) {
    this.outcome = { state: 'failed', message };
    this.changed();
  }

  write(path, body, done, after) {
    return writeFor(this, () => this.api.post(path, body), committedAt(done), after);
  }
}

/** One mutual-aid request to a neighbour and where it went. */
function aidItem(aid) {
  const where = aid.their_incident_id ? `delivered, their ${aid.their_incident_id}` : `NOT delivered (${aid.failure}): ring them`;
  return el('li', { 'data-neighbour': aid.neighbour, class: aid.their_incident_id ? '' : 'error' },
    el('p', { text: `Mutual aid asked of ${aid.neighbour} at ${clock(aid.at_ms)}: ${aid.units} units: ${aid.reason}; ${where}` }));
}

function button(id, label, onClick, kind = '') {
  const node = el('button', { type: 'button', id, class: kind, text: label });
  node.addEventListener('click', onClick);
  return node;
}

function select(id, options, chosen) {
  return el('select', { id }, ...options.map(([value, label]) => el('option', { value, text: label, selected: value === chosen })));
}

function number(id) {
  return el('input', { id, type: 'number', min: 1, max: UNITS_MAX, value: 2 });
}

function text(id, placeholder) {
  return el('input', { id, type: 'text', maxlength: TEXT_BYTES_MAX, placeholder });
}
