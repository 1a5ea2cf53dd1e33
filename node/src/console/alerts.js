// Units asking for the dispatcher's attention: a crew that has not
// acknowledged its dispatch, checked in on scene or given its PAR in time,
// or that pressed the alarm. Shown above everything in the side column
// until a dispatcher clears the alert (POST /v1/units/{id}/alert/clear).
// Below them, the incidents whose first public release is overdue (the
// golden four hours), until a commander records it.

import { clock, el } from './format.js';

/** What each alert says. */
const ALERT_TEXT = {
  ack_overdue: 'dispatched, not acknowledged',
  check_in_overdue: 'on scene, no check-in',
  par_overdue: 'no PAR (personnel accountability)',
  panic: 'ALARM: officers need help',
  round_overdue: 'hospital post: patrol round overdue',
};

export class AlertPanel {
  /**
   * `clear(unitId)` resolves to {state, message} (null: the caller may not
   * clear, no button); `open(incidentId)` opens an incident's drawer.
   */
  constructor(root, clear, open) {
    this.root = root;
    this.list = root.querySelector('ul');
    this.clear = clear;
    this.open = open;
    this.outcome = new Map(); // unit id -> message of the last clear
  }

  render(units, incidents) {
    const alerted = units.filter((unit) => unit.alert)
      .sort((a, b) => (b.alert.kind === 'panic') - (a.alert.kind === 'panic') || a.alert.since_ms - b.alert.since_ms);
    const silent = incidents.filter((incident) => incident.public_info?.overdue)
      .sort((a, b) => a.public_info.due_ms - b.public_info.due_ms);
    this.root.hidden = alerted.length + silent.length === 0;
    this.root.dataset.count = alerted.length + silent.length;
    this.list.replaceChildren(...alerted.map((unit) => this.item(unit)), ...silent.map((incident) => this.overdue(incident)));
  }

  /** An incident of public concern whose first release is overdue. */
  overdue(incident) {
    const open = el('button', { type: 'button', class: 'link', text: incident.id });
    open.addEventListener('click', () => this.open(incident.id));
    return el('li', { class: 'unit-alert alert-public', 'data-incident': incident.id, 'data-kind': 'public_info_overdue' },
      open, ` public release overdue since ${clock(incident.public_info.due_ms)}: ${incident.public_info.why}`);
  }

  item(unit) {
    const { alert } = unit;
    const incident = alert.incident_id
      ? el('button', { type: 'button', class: 'link', text: alert.incident_id })
      : null;
    incident?.addEventListener('click', () => this.open(alert.incident_id));
    const clear = this.clear ? el('button', { type: 'button', class: 'clear-alert', 'data-unit': unit.id, text: 'Clear' }) : null;
    clear?.addEventListener('click', async () => {
      clear.disabled = true;
      const done = await this.clear(unit.id);
      this.outcome.set(unit.id, done.message);
    });
    return el('li', { class: `unit-alert alert-${alert.kind}`, 'data-unit': unit.id, 'data-kind': alert.kind },
      el('strong', { class: 'mono', text: unit.id }), ` ${ALERT_TEXT[alert.kind] ?? alert.kind} since ${clock(alert.since_ms)} `,
      incident, clear,
      this.outcome.has(unit.id) ? el('span', { class: 'muted', text: ` ${this.outcome.get(unit.id)}` }) : null);
  }
}
