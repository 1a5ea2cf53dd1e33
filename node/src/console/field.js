// The field screen: one unit's phone-sized page for a caller whose role is
// `field:<unit>`. Its assignment arrives live (the event stream says when
// to read again); the status buttons are the moves the unit state machine
// allows now (`next_statuses`); the crew checks in (a ring-4 team's PAR),
// writes notes on its incident's trail, and has an alarm that asks twice.
// Hazards pushed to the unit for verification are answered here. A member
// of the community forces (`member:<id>`) gets their team's screen and a
// form to report a hazard where they stand.

import { clock, el, outcome, svg, words } from './format.js';

/** How long the alarm button waits for its second press, ms. */
const ALARM_CONFIRM_MS = 5000;
/** Statuses a crew reports by a big button, with their labels. */
const STATUS_LABEL = {
  acknowledged: 'Acknowledge',
  en_route: 'En route',
  on_scene: 'On scene',
  transporting: 'Transporting',
  returning: 'Returning',
  available: 'Available',
  out_of_service: 'Out of service',
};

export class FieldScreen {
  /** `api` is {getJson(path), post(path, body)} as the logged-in crew. */
  constructor(root, api, unitId, member = null) {
    this.root = root;
    this.api = api;
    this.unitId = unitId;
    this.member = member; // {id, name, team, area} from the roster, for a member's phone
    this.unit = null;
    this.toVerify = []; // hazards pushed to the unit, waiting for its finding
    this.incident = null;
    this.route = null; // GET /v1/units/{id}/route, or {error}
    this.outcome = null;
    this.alarmArmedUntil = 0;
    this.note = el('textarea', { id: 'field-note-text', rows: 2, maxlength: 2000, placeholder: 'note for the incident (what you found)' });
    this.seen = el('textarea', { id: 'verify-seen', rows: 2, maxlength: 2000, placeholder: 'what you saw on the spot' });
    this.hazardText = el('textarea', { id: 'member-hazard-text', rows: 2, maxlength: 2000, placeholder: 'the hazard you see (blocked exit, crowd building, loose railing…)' });
  }

  /** Reads the unit and its incident again, then draws. */
  async refresh() {
    try {
      const units = (await this.api.getJson('/v1/units')).units;
      this.unit = units.find((unit) => unit.id === this.unitId) ?? null;
      const hazards = (await this.api.getJson('/v1/hazards')).hazards;
      this.toVerify = hazards.filter((hazard) => hazard.stage === 'verifying' && hazard.verifier === `unit:${this.unitId}`);
      const id = this.unit?.assigned_to;
      this.incident = id ? await this.api.getJson(`/v1/incidents/${encodeURIComponent(id)}`) : null;
      this.route = id ? await this.api.getJson(`/v1/units/${encodeURIComponent(this.unitId)}/route`).catch((error) => ({ error: error.reason })) : null;
    } catch (error) {
      this.outcome = { state: 'failed', message: error.message };
    }
    this.render();
  }

  render() {
    const unit = this.unit;
    if (!unit) {
      const who = this.member ? `Member ${this.member.id} is in no team on the roster.` : `Unit ${this.unitId} is not on the roster.`;
      this.root.replaceChildren(el('p', { class: 'error', text: who }), this.memberReport());
      return;
    }
    this.root.dataset.status = unit.status;
    this.root.dataset.assignedTo = unit.assigned_to ?? '';
    const parts = [
      el('header', { class: 'field-head' }, el('h2', { text: unit.id }),
        el('span', { id: 'field-status', class: `badge unit-${unit.status}`, text: words(unit.status) })),
      unit.alert ? el('p', { id: 'field-alert', class: 'error', text: `Alert: ${words(unit.alert.kind)} since ${clock(unit.alert.since_ms)}` }) : null,
      this.member ? el('p', { id: 'field-member', class: 'muted', text: `${this.member.name ?? this.member.id} for team ${unit.id}` }) : null,
      this.assignment(),
      this.verification(),
      this.buttons(unit),
      this.outcome ? el('p', { id: 'field-result', class: this.outcome.state === 'failed' ? 'error' : 'muted', role: 'status', text: this.outcome.message }) : null,
      this.alarm(),
      this.memberReport(),
    ];
    this.root.replaceChildren(...parts.filter((part) => part !== null));
  }

  /** The incident the unit is on: what, where, and the notes so far. */
  assignment() {
    const incident = this.incident;
    if (!incident) return el('p', { id: 'field-idle', class: 'muted', text: 'No assignment: waiting for dispatch.' });
    const mine = incident.assignments.filter((a) => a.unit_id === this.unitId).at(-1);
    const notes = incident.timeline.filter((entry) => entry.step === 'note');
    const send = el('button', { type: 'button', id: 'field-note', text: 'Send note' });
    send.addEventListener('click', () => {
      const text = this.note.value.trim();
      if (text) this.write(`/v1/units/${encodeURIComponent(this.unitId)}/notes`, { text }, 'Note sent', () => { this.note.value = ''; });
    });
    return el('section', { id: 'field-assignment', 'data-id': incident.id, class: 'card' },
      el('h3', { text: `${incident.id} · ${words(incident.kind)} · priority ${incident.priority}` }),
      el('p', { class: 'field-where', text: incident.address ?? `${incident.lat.toFixed(5)}, ${incident.lon.toFixed(5)}` }),
      incident.description ? el('p', { text: incident.description }) : null,
      mine ? el('p', { class: 'muted', text: `ETA ${mine.eta_s} s, target ${mine.target_s} s; on scene by ${clock(incident.on_scene_deadline_ms)}` }) : null,
      this.routeView(),
      notes.length ? el('ul', { class: 'field-notes' }, ...notes.map((entry) => el('li', { text: `${clock(entry.at_ms)} ${entry.reason}` }))) : null,
      el('div', { class: 'field-note' }, this.note, send));
  }

  /** The way to the scene by the streets now: the streets in order and a sketch of the line. */
  routeView() {
    const route = this.route;
    if (!route) return null;
    if (route.error) return el('p', { id: 'field-route', class: 'error', text: `No route: ${route.error}` });
    const minutes = Math.max(1, Math.round(route.travel_s / 60));
    return el('div', { id: 'field-route', 'data-streets': route.streets.length },
      el('p', {}, el('strong', { text: `Route, about ${minutes} min by ${words(route.mode)}: ` }), route.streets.join(' → ')),
      route.points.length > 2 ? routeSketch(route.points) : null);
  }

  /** The hazards pushed to the unit for verification: confirm or a false alarm, with what was seen. */
  verification() {
    if (!this.toVerify.length) return null;
    const answer = (hazard, confirmed) => {
      const seen = this.seen.value.trim();
      if (!seen) {
        this.outcome = { state: 'failed', message: 'Say what you saw on the spot first.' };
        this.render();
        return;
      }
      this.write(`/v1/hazards/${hazard.id}/verify`, { confirmed, seen }, confirmed ? 'Hazard confirmed' : 'False alarm', () => { this.seen.value = ''; });
    };
    const items = this.toVerify.map((hazard) => {
      const confirm = el('button', { type: 'button', class: 'field-button', id: `verify-confirm-${hazard.id}`, text: 'Confirm: it is there' });
      confirm.addEventListener('click', () => answer(hazard, true));
      const falseAlarm = el('button', { type: 'button', class: 'field-button', id: `verify-false-${hazard.id}`, text: 'False alarm' });
      falseAlarm.addEventListener('click', () => answer(hazard, false));
      const due = hazard.deadline_ms ? ` · answer by ${clock(hazard.deadline_ms)}` : '';
      return el('li', { 'data-hazard': hazard.id }, el('p', { text: `H-${hazard.id} · ${words(hazard.area)}: ${hazard.summary}${due}` }), confirm, falseAlarm);
    });
    return el('section', { id: 'field-verify', class: 'card' }, el('h3', { text: 'Please verify' }), this.seen, el('ul', {}, ...items));
  }

  /** A member's hazard report from where they serve (their team's place, else their area). */
  memberReport() {
    if (!this.member) return null;
    const send = el('button', { type: 'button', id: 'member-hazard-send', text: 'Report the hazard' });
    send.addEventListener('click', () => {
      const summary = this.hazardText.value.trim();
      const area = this.member.area;
      if (!area) {
        this.outcome = { state: 'failed', message: 'The roster gives you no area: ask your station to add it, or ring the hazard in.' };
        this.render();
        return;
      }
      if (!summary) {
        this.outcome = { state: 'failed', message: 'Say what the hazard is first.' };
        this.render();
        return;
      }
      const at = this.unit ? { lat: this.unit.lat, lon: this.unit.lon } : {};
      this.write('/v1/hazards', { area, source: 'report', summary, ...at }, 'Hazard reported', () => { this.hazardText.value = ''; });
    });
    return el('section', { id: 'member-hazard', class: 'card' }, el('h3', { text: 'Report a hazard' }), this.hazardText, send);
  }

  /** The statuses the unit may report now, the check-in (a PAR for ring 4). */
  buttons(unit) {
    const statuses = unit.next_statuses.filter((status) => STATUS_LABEL[status]).map((status) => {
      const button = el('button', { type: 'button', class: 'field-button', id: `status-${status}`, 'data-status': status, text: STATUS_LABEL[status] });
      button.addEventListener('click', () => this.write(
        `/v1/units/${encodeURIComponent(unit.id)}/status`, { status, expected_version: unit.version }, words(status)));
      return button;
    });
    const walksRounds = unit.id.endsWith('-post') && unit.ring === 1;
    const checkInText = unit.ring === 4 ? 'PAR: all accounted' : walksRounds ? 'Round done (hospital patrolled)' : 'Check in';
    const checkIn = el('button', { type: 'button', class: 'field-button', id: 'check-in', text: checkInText });
    checkIn.addEventListener('click', () => this.write(`/v1/units/${encodeURIComponent(unit.id)}/check-in`, undefined, 'Checked in'));
    return el('div', { class: 'field-buttons' }, ...statuses, checkIn);
  }

  /** The alarm: the first press arms it, a second within 5 s raises it. */
  alarm() {
    const armed = Date.now() < this.alarmArmedUntil;
    const button = el('button', { type: 'button', id: 'alarm', class: `alarm${armed ? ' armed' : ''}`, text: armed ? 'Press again: raise the ALARM' : 'Alarm (officers need help)' });
    button.addEventListener('click', () => {
      if (Date.now() < this.alarmArmedUntil) {
        this.alarmArmedUntil = 0;
        this.write(`/v1/units/${encodeURIComponent(this.unitId)}/alarm`, undefined, 'ALARM raised');
      } else {
        this.alarmArmedUntil = Date.now() + ALARM_CONFIRM_MS;
        this.render();
        setTimeout(() => this.render(), ALARM_CONFIRM_MS);
      }
    });
    return button;
  }

  async write(path, body, done, after) {
    this.outcome = { state: 'pending', message: 'sending…' };
    this.render();
    this.outcome = await outcome(this.api.post(path, body), (answer) => `${done} at log index ${answer.log_index}.`);
    if (this.outcome.state === 'done') after?.();
    await this.refresh();
  }
}

/** The route's line, north up, scaled to fit, with the start and the scene marked. */
function routeSketch(points) {
  const [width, height, pad] = [360, 140, 8];
  const lats = points.map((p) => p[0]);
  const lons = points.map((p) => p[1]);
  const kx = Math.cos((Math.max(...lats) + Math.min(...lats)) / 2 * Math.PI / 180);
  const spanX = (Math.max(...lons) - Math.min(...lons)) * kx || 1e-6;
  const spanY = (Math.max(...lats) - Math.min(...lats)) || 1e-6;
  const scale = Math.min((width - 2 * pad) / spanX, (height - 2 * pad) / spanY);
  const xy = ([lat, lon]) => [pad + (lon - Math.min(...lons)) * kx * scale, pad + (Math.max(...lats) - lat) * scale];
  const line = points.map(xy).map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
  const [sx, sy] = xy(points[0]);
  const [ex, ey] = xy(points.at(-1));
  return svg('svg', { class: 'route-sketch', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'the route from the unit to the scene' },
    svg('polyline', { points: line, class: 'route-line' }),
    svg('circle', { cx: sx, cy: sy, r: 5, class: 'route-start' }),
    svg('circle', { cx: ex, cy: ey, r: 6, class: 'route-scene' }));
}
