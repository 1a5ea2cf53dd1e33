// Search: one box finds an incident (by id, kind, station, address or words
// of its description), a unit, a street or a place (station, sensitive area,
// one-minute point, hospital, safe house). Choosing a result opens the
// incident, or shows the unit, street or place on the map. An incident id
// that is not on the board (closed or archived) is offered anyway: the
// drawer reads it alone.

import { el, words } from './format.js';

/** Results shown at once: enough to choose from without scrolling. */
const RESULTS_MAX = 12;
/** An incident id as the API writes it (`I-000042`), or its number. */
const INCIDENT_ID = /^(?:i-?)?(\d{1,9})$/i;

export class Search {
  /**
   * `sources()` answers {incidents, units, streets, district} as the page
   * holds them now; `pick(result)` acts on a chosen result
   * ({kind: 'incident' | 'unit' | 'street' | 'place', id, lat, lon, label}).
   */
  constructor(input, list, sources, pick) {
    this.input = input;
    this.list = list;
    this.sources = sources;
    this.pick = pick;
    this.results = [];
    this.active = -1;
    input.addEventListener('input', () => this.update());
    input.addEventListener('keydown', (event) => this.key(event));
    input.addEventListener('blur', () => setTimeout(() => this.hide(), 150));
    input.addEventListener('focus', () => this.update());
  }

  update() {
    const query = this.input.value.trim().toLowerCase();
    this.results = query ? find(query, this.sources()).slice(0, RESULTS_MAX) : [];
    this.active = this.results.length ? 0 : -1;
    this.render();
  }

  render() {
    this.list.replaceChildren(...this.results.map((result, index) => {
      const item = el('li', {
        class: `search-result${index === this.active ? ' active' : ''}`,
        role: 'option', 'data-kind': result.kind, 'data-id': result.id,
      }, el('span', { class: 'badge', text: result.kind }), ` ${result.label}`,
      result.detail ? el('span', { class: 'muted', text: ` ${result.detail}` }) : null);
      item.addEventListener('mousedown', (event) => {
        event.preventDefault();
        this.choose(result);
      });
      return item;
    }));
    this.list.hidden = this.results.length === 0;
  }

  key(event) {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const step = event.key === 'ArrowDown' ? 1 : -1;
      this.active = (this.active + step + this.results.length) % Math.max(this.results.length, 1);
      this.render();
    } else if (event.key === 'Enter' && this.results[this.active]) {
      event.preventDefault();
      this.choose(this.results[this.active]);
    } else if (event.key === 'Escape') {
      this.input.value = '';
      this.hide();
    }
  }

  choose(result) {
    this.hide();
    this.input.value = result.label;
    this.pick(result);
  }

  hide() {
    this.results = [];
    this.list.hidden = true;
  }
}

/** Every match of `query`, best first: exact ids, then prefixes, then words inside. */
export function find(query, { incidents = [], units = [], streets = null, district = null }) {
  const found = [];
  const add = (score, result) => {
    if (score > 0) found.push({ score, ...result });
  };
  const idMatch = INCIDENT_ID.exec(query);
  const wantedId = idMatch ? `I-${idMatch[1].padStart(6, '0')}` : null;
  for (const incident of incidents) {
    const text = `${incident.kind} ${incident.station ?? ''} ${incident.address ?? ''} ${incident.description ?? ''}`;
    const score = incident.id === wantedId ? 100 : Math.max(rank(incident.id.toLowerCase(), query), rank(words(text).toLowerCase(), query) / 2);
    add(score, { kind: 'incident', id: incident.id, label: incident.id, detail: `${words(incident.kind)} · ${words(incident.status)}` });
  }
  if (wantedId && !incidents.some((incident) => incident.id === wantedId)) {
    add(90, { kind: 'incident', id: wantedId, label: wantedId, detail: 'not on the board: open it' });
  }
  for (const unit of units) {
    add(rank(unit.id.toLowerCase(), query), {
      kind: 'unit', id: unit.id, lat: unit.lat, lon: unit.lon, label: unit.id,
      detail: `${words(unit.status)}${unit.assigned_to ? ` · ${unit.assigned_to}` : ''}`, assignedTo: unit.assigned_to,
    });
  }
  for (const way of streets?.ways ?? []) {
    const [lat, lon] = middle(way);
    add(rank(way.name.toLowerCase(), query), { kind: 'street', id: way.id, lat, lon, label: way.name, detail: words(way.class) });
  }
  for (const place of places(district)) {
    add(rank(place.label.toLowerCase(), query), place);
  }
  return found.sort((a, b) => b.score - a.score || a.label.localeCompare(b.label));
}

/** How well `text` matches `query`: whole 60, start 40, a word's start 30, inside 10, else 0. */
function rank(text, query) {
  if (text === query) return 60;
  if (text.startsWith(query)) return 40;
  if (text.includes(` ${query}`) || text.includes(`-${query}`)) return 30;
  return text.includes(query) ? 10 : 0;
}

/** The middle of a way's longest piece, where the map writes its name. */
function middle(way) {
  let best = way.segments[0];
  let length = -1;
  for (const [a, b] of way.segments) {
    const piece = Math.hypot(b[0] - a[0], b[1] - a[1]);
    if (piece > length) [best, length] = [[a, b], piece];
  }
  const [a, b] = best;
  return [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
}

/** The district's named places, as results. */
function places(district) {
  if (!district) return [];
  const place = (kind, item, [lat, lon]) => ({ kind: 'place', id: item.id, lat, lon, label: item.name, detail: kind });
  const centre = (polygon) => [
    polygon.reduce((sum, p) => sum + p[0], 0) / polygon.length,
    polygon.reduce((sum, p) => sum + p[1], 0) / polygon.length,
  ];
  return [
    ...district.stations.map((station) => place('station', station, station.position)),
    ...district.sensitive_areas.map((area) => place('sensitive area', area, centre(area.polygon))),
    ...district.one_minute_points.map((point) => place('one-minute point', point, point.position)),
    ...district.hospitals.map((hospital) => place('hospital', hospital, hospital.position)),
    ...district.safe_houses.map((house) => place('safe house', house, house.position)),
  ];
}
