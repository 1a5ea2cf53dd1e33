// A dispatcher's hand on the incident in the drawer: the units the node
// recommends with their ETAs on the street graph (GET
// /v1/incidents/{id}/recommendations), Assign, a note for the audit trail,
// and acknowledging an unresourced wait. Offered only with the `dispatch`
// right (the node refuses anyway); every write goes through the same API as
// the logged-in principal, and the trail below names them.

import { committedAt, el, OPEN_INCIDENT_STATUSES, words, writeFor } from './format.js';

/** Longest note the ledger keeps, bytes. */
const NOTE_BYTES_MAX = 2000;

/** Busy units offered for reassignment: the nearest this many. */
const BUSY_OFFERED_MAX = 8;
/** The statuses of a unit working an incident, which a dispatcher may take it from. */
const WORKING = new Set(['dispatched', 'acknowledged', 'en_route', 'on_scene']);

/** `own_zone` -> what a dispatcher calls it. */
const TERRITORY = { own_zone: 'own zone', own_station: 'own station', elsewhere: '' };

export class DispatchActions {
  /**
   * `api` is {getJson(path), post(path, body), units()} as the logged-in
   * caller (`units()`: the units as the page holds them); `changed()` asks
   * the drawer to draw again (an answer arrived); `moveUnits` offers status
   * changes for the incident's units (the `update_unit` right).
   */
  constructor(api, changed, moveUnits) {
    this.api = api;
    this.changed = changed;
    this.moveUnits = moveUnits;
    this.forId = null;
    this.recommended = null; // {version, units, ring} or {version, error}
    this.loadingVersion = null;
    this.outcome = null; // {state, message} of the last write
    this.note = el('textarea', { id: 'note-text', rows: 2, maxlength: NOTE_BYTES_MAX, placeholder: 'note for the audit trail (what the caller added, what the unit saw)' });
    this.reason = el('input', { id: 'reassign-reason', type: 'text', maxlength: NOTE_BYTES_MAX, placeholder: 'why (on both trails)' });
  }

  /** The controls for `incident`, or null when it is closed. */
  section(incident) {
    this.follow(incident);
    if (!OPEN_INCIDENT_STATUSES.has(incident.status)) return null;
    return el('section', { class: 'dispatch-actions', id: 'dispatch-actions' },
      this.acknowledgement(incident),
      this.moveUnits ? this.unitsOn(incident) : null,
      this.recommendations(incident),
      this.reassignForm(incident),
      this.noteForm(incident),
      this.outcome ? el('p', { id: 'dispatch-result', class: this.outcome.state === 'failed' ? 'error' : 'muted', role: 'status', text: this.outcome.message }) : null);
  }

  /** A new incident starts clean; a new version of it asks for fresh recommendations. */
  follow(incident) {
    if (this.forId !== incident.id) {
      this.forId = incident.id;
      this.recommended = null;
      this.outcome = null;
      this.note.value = '';
      this.reason.value = '';
    }
    const version = incident.version;
    const current = this.recommended?.version === version || this.loadingVersion === version;
    if (!current && OPEN_INCIDENT_STATUSES.has(incident.status)) this.load(incident.id, version);
  }

  async load(id, version) {
    this.loadingVersion = version;
    let answer;
    try {
      const found = await this.api.getJson(`/v1/incidents/${encodeURIComponent(id)}/recommendations`);
      answer = { version, units: found.units, ring: found.ring };
    } catch (error) {
      answer = { version, error: error.message };
    }
    if (this.forId !== id || this.loadingVersion !== version) return;
    this.loadingVersion = null;
    this.recommended = answer;
    this.changed();
  }

  recommendations(incident) {
    const heading = el('h3', {}, 'Send a unit ', el('span', { class: 'muted', text: 'quickest first, ring by ring; ETA by the streets now' }));
    const found = this.recommended;
    if (!found) return el('div', { class: 'recommendations' }, heading, el('p', { class: 'muted', text: 'finding units…' }));
    if (found.error) return el('div', { class: 'recommendations' }, heading, el('p', { class: 'error', text: found.error }));
    if (found.units.length === 0) return el('div', { class: 'recommendations' }, heading, el('p', { class: 'muted', text: 'No unit of any ring is available.' }));
    const rows = found.units.map((unit) => this.unitRow(incident, unit));
    return el('div', { class: 'recommendations' }, heading,
      el('table', { id: 'recommended-units' },
        el('thead', {}, el('tr', {}, ...['unit', 'ring', 'ETA', 'target', ''].map((h) => el('th', { text: h })))),
        el('tbody', {}, ...rows)));
  }

  unitRow(incident, unit) {
    const late = !unit.meets_target;
    const button = el('button', { type: 'button', class: 'assign', 'data-unit': unit.unit_id, text: 'Assign' });
    button.disabled = this.outcome?.state === 'pending';
    button.addEventListener('click', () => this.write(
      `/v1/incidents/${encodeURIComponent(incident.id)}/assign`, { unit_id: unit.unit_id },
      `${unit.unit_id} sent to ${incident.id}`));
    const where = [unit.station, TERRITORY[unit.territory]].filter(Boolean).join(' · ');
    return el('tr', { class: 'recommended-unit', 'data-unit': unit.unit_id, 'data-ring': unit.ring },
      el('td', {}, el('strong', { class: 'mono', text: unit.unit_id }), where ? el('span', { class: 'muted', text: ` ${where}` }) : null),
      el('td', { text: unit.ring }),
      el('td', { class: `mono ${late ? 'breached' : ''}`, text: `${unit.eta_s} s` }),
      el('td', { class: 'mono', text: `${unit.target_s} s${late ? ' (late)' : ''}` }),
      el('td', {}, button));
  }

  /** The incident's units, each with the statuses the unit state machine allows next. */
  unitsOn(incident) {
    const units = new Map(this.api.units().map((unit) => [unit.id, unit]));
    const rows = incident.units.map((id) => units.get(id)).filter(Boolean).map((unit) => {
      const choice = el('select', { class: 'next-status', 'aria-label': `next status of ${unit.id}` },
        ...unit.next_statuses.map((status) => el('option', { value: status, text: words(status) })));
      const button = el('button', { type: 'button', class: 'set-status', 'data-unit': unit.id, text: 'Set' });
      button.disabled = this.outcome?.state === 'pending' || unit.next_statuses.length === 0;
      button.addEventListener('click', () => this.write(
        `/v1/units/${encodeURIComponent(unit.id)}/status`, { status: choice.value, expected_version: unit.version },
        `${unit.id} ${words(choice.value)}`));
      return el('tr', { class: 'incident-unit', 'data-unit': unit.id },
        el('td', { class: 'mono', text: unit.id }), el('td', { text: words(unit.status) }), el('td', {}, choice, button));
    });
    if (rows.length === 0) return null;
    return el('div', { class: 'incident-units' }, el('h3', { text: 'Units on it' }),
      el('table', { id: 'incident-units' }, el('tbody', {}, ...rows)));
  }

  /**
   * Take a police unit working another incident (a more urgent call): the
   * nearest busy ones as the crow flies (the node works out the ETA by the
   * streets), and the reason, which goes on both incidents' trails.
   */
  reassignForm(incident) {
    const busy = this.api.units()
      .filter((unit) => unit.ring >= 3 && WORKING.has(unit.status) && unit.assigned_to && unit.assigned_to !== incident.id)
      .map((unit) => ({ unit, m: metresBetween(unit, incident) }))
      .sort((a, b) => a.m - b.m)
      .slice(0, BUSY_OFFERED_MAX);
    if (busy.length === 0) return null;
    const choice = el('select', { id: 'reassign-unit', 'aria-label': 'busy unit to take' },
      ...busy.map(({ unit, m }) => el('option', {
        value: unit.id, text: `${unit.id} (ring ${unit.ring}) ${words(unit.status)} on ${unit.assigned_to}, ${Math.round(m / 10) * 10} m`,
      })));
    const button = el('button', { type: 'button', id: 'reassign', text: 'Take' });
    button.disabled = this.outcome?.state === 'pending';
    button.addEventListener('click', () => {
      const reason = this.reason.value.trim();
      if (!reason) {
        this.outcome = { state: 'failed', message: 'Say why the unit is taken from its incident.' };
        this.changed();
        return;
      }
      this.write(`/v1/incidents/${encodeURIComponent(incident.id)}/assign`, { unit_id: choice.value, reassign_reason: reason },
        `${choice.value} taken to ${incident.id}`, () => { this.reason.value = ''; });
    });
    return el('details', { class: 'reassign-form' }, el('summary', { text: 'Take a busy unit from another incident' }),
      el('div', { class: 'reassign-row' }, choice, this.reason, button));
  }

  noteForm(incident) {
    const button = el('button', { type: 'button', id: 'add-note', text: 'Add note' });
    button.disabled = this.outcome?.state === 'pending';
    button.addEventListener('click', () => {
      const text = this.note.value.trim();
      if (!text) {
        this.outcome = { state: 'failed', message: 'Write the note first.' };
        this.changed();
        return;
      }
      this.write(`/v1/incidents/${encodeURIComponent(incident.id)}/notes`, { text }, 'Note added', () => { this.note.value = ''; });
    });
    return el('div', { class: 'note-form' }, this.note, button);
  }

  /** An unresourced wait a person has not taken on yet: the button that does. */
  acknowledgement(incident) {
    const wait = incident.unresourced;
    if (!wait) return null;
    if (wait.acknowledged) {
      return el('p', { id: 'unresourced-owner', class: 'muted', text: `Wait acknowledged by ${wait.acknowledged.by}.` });
    }
    const button = el('button', { type: 'button', id: 'acknowledge-unresourced', class: 'primary', text: 'Acknowledge: I own this wait' });
    button.disabled = this.outcome?.state === 'pending';
    button.addEventListener('click', () => this.write(
      `/v1/incidents/${encodeURIComponent(incident.id)}/acknowledge`, undefined, 'Acknowledged'));
    return el('div', { class: 'acknowledge' }, el('p', { class: 'error', text: 'No unit of any ring can respond yet.' }), button);
  }

  /** One write; its outcome stays under the controls until the next. */
  write(path, body, done, after) {
    return writeFor(this, () => this.api.post(path, body), committedAt(done), after);
  }
}

/** Straight-line distance between two {lat, lon}, metres (equirectangular: a district is small). */
function metresBetween(a, b) {
  const M_PER_DEG = 111_195;
  const dLat = (a.lat - b.lat) * M_PER_DEG;
  const dLon = (a.lon - b.lon) * M_PER_DEG * Math.cos(((a.lat + b.lat) / 2) * Math.PI / 180);
  return Math.hypot(dLat, dLon);
}
