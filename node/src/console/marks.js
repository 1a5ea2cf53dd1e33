// The map's marks: the HTML of unit, incident and cluster markers and the
// small helpers the map's layers share. Every mark is built with the DOM
// (never an HTML string) and styled through CSSOM, so the page's content
// security policy needs no inline styles.

import { el, UNIT_STATUSES, deadlineState, words } from './format.js';

const L = window.L;

const STATUS_COLOUR = new Map(UNIT_STATUSES.map(([status, , colour]) => [status, colour]));
const STATUS_ORDER = UNIT_STATUSES.map(([status]) => status);

/** A marker's size in pixels, by what it marks. */
const UNIT_ICON_PX = 14;
const INCIDENT_ICON_PX = 26;
const CLUSTER_ICON_PX = 34;

/** A Leaflet icon around `element`, centred on the marker's position. */
export function iconOf(element, sizePx, className = '') {
  return L.divIcon({ html: element, className: `mark ${className}`, iconSize: [sizePx, sizePx] });
}

/**
 * Tags a path layer's SVG element with `attrs` (and a hover `<title>`)
 * whenever Leaflet draws it: a path gets a new element each time its layer
 * is shown again.
 */
export function tagged(layer, attrs, title) {
  layer.on('add', () => {
    const node = layer.getElement();
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
    if (title) {
      const hint = document.createElementNS('http://www.w3.org/2000/svg', 'title');
      hint.textContent = title;
      node.append(hint);
    }
  });
  return layer;
}

/** A text label pinned to a position (station and area names). */
export function labelMarker(latLng, text, className) {
  const label = el('span', { class: `map-label ${className}`, text });
  return L.marker(latLng, { icon: iconOf(label, 0, 'label-mark'), interactive: false, keyboard: false });
}

/** A unit's marker element: the ring says its shape, the status its colour. */
export function unitElement(unit) {
  return el('div', { class: 'unit', 'data-id': unit.id, 'data-ring': unit.ring });
}

export function updateUnitElement(node, unit) {
  node.dataset.status = unit.status;
  node.dataset.assignedTo = unit.assigned_to ?? '';
  node.dataset.post = unit.post?.name ?? '';
  node.style.backgroundColor = STATUS_COLOUR.get(unit.status) ?? '#000';
  const assignment = unit.assigned_to ? `, assigned to ${unit.assigned_to}` : '';
  const post = unit.post ? `; post ${unit.post.name} (${postReason(unit.post)})` : '';
  node.title = `${unit.id} (ring ${unit.ring}): ${words(unit.status)}${assignment}${post}`;
}

export function unitIcon(node) {
  return iconOf(node, UNIT_ICON_PX, 'unit-mark');
}

/** An open incident's marker element: ring number in the disc, priority and time left beside it. */
export function incidentElement(incident) {
  return el('div', { class: 'incident', 'data-id': incident.id },
    el('span', { class: 'core' }, el('span', { class: 'ring-number' })),
    el('span', { class: 'countdown' }));
}

export function updateIncidentElement(node, incident, selected, now) {
  node.dataset.status = incident.status;
  node.dataset.ring = incident.ring ?? '';
  node.dataset.priority = incident.priority;
  node.dataset.units = incident.units.join(',');
  node.dataset.major = incident.major;
  node.classList.toggle('major', incident.major);
  node.classList.toggle('selected', selected);
  node.querySelector('.ring-number').textContent = incident.ring ?? '?';
  node.title = `${incident.id} ${words(incident.kind)}: ${words(incident.status)}, ring ${incident.ring ?? '?'}, priority ${incident.priority}`;
  updateCountdown(node, incident, now);
}

export function updateCountdown(node, incident, now) {
  const deadline = deadlineState(incident, now);
  node.classList.toggle('breached', deadline.breached);
  node.dataset.breached = deadline.breached;
  // Short on the map, where dozens of labels may crowd a street: a tick
  // once on scene, a dash before the first assignment sets a deadline.
  const short = deadline.arrived ? '✓' : incident.on_scene_deadline_ms ? deadline.label : '–';
  node.querySelector('.countdown').textContent = `P${incident.priority} ${short}`;
}

export function incidentIcon(node) {
  return iconOf(node, INCIDENT_ICON_PX, 'incident-mark');
}

/**
 * A cluster of units: how many, a bar of their statuses' colours, and the
 * ids it holds (`data-ids`, space-separated) so a search or a test can say
 * which cluster a unit is in.
 */
export function unitClusterIcon(cluster) {
  const units = cluster.getAllChildMarkers().map((marker) => marker.options.unit);
  const counts = new Map();
  for (const unit of units) counts.set(unit.status, (counts.get(unit.status) ?? 0) + 1);
  const bar = el('span', { class: 'status-bar' });
  for (const status of STATUS_ORDER.filter((s) => counts.has(s))) {
    const part = el('span');
    part.style.flexGrow = String(counts.get(status));
    part.style.backgroundColor = STATUS_COLOUR.get(status);
    bar.append(part);
  }
  const summary = [...counts].map(([status, n]) => `${n} ${words(status)}`).join(', ');
  const node = el('div', {
    class: 'cluster cluster-units', 'data-count': units.length, 'data-ids': units.map((u) => u.id).join(' '),
    'data-available': counts.get('available') ?? 0, title: `${units.length} units: ${summary}. Click to zoom in.`,
  }, el('span', { class: 'count', text: units.length }), bar);
  return iconOf(node, CLUSTER_ICON_PX, 'cluster-mark');
}

/**
 * A cluster of open incidents: how many, the highest priority among them
 * (10 the most urgent), and a red ring when any is past its on-scene deadline.
 */
export function incidentClusterIcon(cluster) {
  const incidents = cluster.getAllChildMarkers().map((marker) => marker.options.incident);
  const top = Math.max(...incidents.map((incident) => incident.priority));
  const now = Date.now();
  const breached = incidents.filter((incident) => deadlineState(incident, now).breached).length;
  const node = el('div', {
    class: `cluster cluster-incidents${breached ? ' breached' : ''}`, 'data-count': incidents.length,
    'data-ids': incidents.map((i) => i.id).join(' '), 'data-priority': top,
    title: `${incidents.length} open incidents, most urgent P${top}${breached ? `, ${breached} past their deadline` : ''}. Click to zoom in.`,
  }, el('span', { class: 'count', text: incidents.length }), el('span', { class: 'priority', text: `P${top}` }));
  return iconOf(node, CLUSTER_ICON_PX, 'cluster-mark');
}

/** What set a unit's post, in words. */
export function postReason(post) {
  return post.hazard_id != null ? `pre-positioned for hazard ${post.hazard_id}` : `move-up ${post.move_up_id}`;
}
