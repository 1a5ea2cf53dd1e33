// Who is on duty in each area: the roster of people of rings 1 and 2
// (GET /v1/roster, read every minute: shifts change by the hour), grouped
// by area, with how many of each area's members are on duty now and, when
// opened, who they are, their role, team and contact.

import { el, words } from './format.js';

/** How often the roster is read again. */
export const DUTY_REFRESH_MS = 60_000;

export class DutyPanel {
  constructor(root) {
    this.root = root;
    this.list = root.querySelector('ul');
    this.note = root.querySelector('.note');
  }

  render(roster) {
    const members = roster?.members ?? [];
    this.root.hidden = members.length === 0;
    const areas = new Map();
    for (const member of members) {
      const area = member.area ?? 'no area';
      if (!areas.has(area)) areas.set(area, []);
      areas.get(area).push(member);
    }
    const onDuty = members.filter((member) => member.on_duty).length;
    this.note.textContent = `${onDuty} of ${members.length} members on duty now.`;
    this.list.replaceChildren(...[...areas].sort(([a], [b]) => a.localeCompare(b)).map(([area, people]) => this.area(area, people)));
  }

  area(area, people) {
    const here = people.filter((member) => member.on_duty);
    const names = here.map((member) => el('li', { class: 'duty-member', 'data-member': member.id },
      el('strong', { text: member.name }), ` ${words(member.role)} · ${member.team ?? 'no team'} · `,
      el('span', { class: 'mono', text: member.contact })));
    return el('li', { class: 'duty-area', 'data-area': area, 'data-on-duty': here.length },
      el('details', {},
        el('summary', {}, el('strong', { text: area }), ` ${here.length} of ${people.length} on duty`),
        names.length ? el('ul', {}, ...names) : el('p', { class: 'muted', text: 'nobody on duty now' })));
  }
}
