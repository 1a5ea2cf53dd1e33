// Shared helpers: building DOM and SVG nodes, and turning API values into
// words. Every piece of text from the ledger (descriptions, reasons) reaches
// the page through textContent, never innerHTML, because reporters type it.

const SVG_NS = 'http://www.w3.org/2000/svg';

// Unit statuses in the order a unit goes through them, with their colours.
// The legend, the unit dots and the incident list all read this one table.
export const UNIT_STATUSES = [
  ['available', 'available', '#2e7d32'],
  ['dispatched', 'dispatched', '#f2a900'],
  ['acknowledged', 'acknowledged', '#d98200'],
  ['en_route', 'en route', '#e4572e'],
  ['on_scene', 'on scene', '#b3001b'],
  ['transporting', 'transporting', '#6a3d9a'],
  ['returning', 'returning', '#00838f'],
  ['out_of_service', 'out of service', '#7a7a7a'],
];

export const OPEN_INCIDENT_STATUSES = new Set([
  'reported', 'triaged', 'assigned', 'en_route', 'on_scene', 'escalated',
]);

/** An HTML element with attributes (data-* included) and children. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

/** An SVG element with attributes and children. */
export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  setAttrs(node, attrs);
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

// `true`/`false` mean present/absent for plain attributes, but data-*
// attributes keep them as words: tests and CSS read data-verified="true".
function setAttrs(node, attrs) {
  for (const [name, value] of Object.entries(attrs)) {
    const data = name.startsWith('data-');
    if (value === null || value === undefined || (value === false && !data)) continue;
    if (name === 'text') node.textContent = String(value);
    else node.setAttribute(name, value === true && !data ? '' : String(value));
  }
}

/** Wall-clock time of a Unix-millisecond stamp, local time, to the second. */
export function clock(ms) {
  if (ms === null || ms === undefined) return '—';
  return new Date(ms).toLocaleTimeString('en-GB', { hour12: false });
}

/** A signed duration as m:ss (or h:mm:ss), e.g. a countdown to a deadline. */
export function duration(ms) {
  const sign = ms < 0 ? '−' : '';
  const total = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${sign}${h}:${String(m).padStart(2, '0')}:${s}` : `${sign}${m}:${s}`;
}

/**
 * Where an incident stands against its on-scene deadline: a unit arrived,
 * time left, breached, or no deadline yet (the first assignment sets it).
 */
export function deadlineState(incident, now) {
  if (incident.on_scene_at_ms) {
    const late = incident.on_scene_deadline_ms && incident.on_scene_at_ms > incident.on_scene_deadline_ms;
    return { label: 'on scene', breached: Boolean(late), arrived: true };
  }
  if (!incident.on_scene_deadline_ms) return { label: 'no unit yet', breached: false, arrived: false };
  const left = incident.on_scene_deadline_ms - now;
  return { label: duration(left), breached: left < 0, arrived: false };
}

/** The display name of an actor id as the ledger serialises it. */
export function actorName(actor) {
  if (typeof actor === 'string') return actor;
  const [kind, value] = Object.entries(actor)[0] ?? ['?', '?'];
  return `${kind.replace('_', '-')}:${value}`;
}

/** The audit trail's "who": an actor under its epoch, an API client, an operator, the system. */
export function origin(value) {
  if (value === 'operator') return 'operator';
  if (value?.actor) return `${actorName(value.actor.actor)} #${value.actor.epoch} @node-${value.actor.node}`;
  if (value?.api) return `api @node-${value.api.node} (${value.api.client})`;
  if (value?.system) return `system @node-${value.system.node}`;
  return JSON.stringify(value);
}

/** "en_route" -> "en route". */
export function words(snake) {
  return String(snake ?? '').replaceAll('_', ' ');
}

/** Replaces the rows of a table body in one step, so the table never shows half an update. */
export function replaceRows(tbody, rows) {
  tbody.replaceChildren(...rows);
}

/**
 * One write from a drawer's control: `holder.outcome` says it is pending,
 * then what came of it (see `outcome`), `holder.changed()` redrawing each
 * time; `after()` runs once it is done. `send()` starts the request.
 */
export async function writeFor(holder, send, done, after) {
  holder.outcome = { state: 'pending', message: 'sending…' };
  holder.changed();
  holder.outcome = await outcome(send(), done);
  if (holder.outcome.state === 'done') after?.();
  holder.changed();
}

/** What a committed write says: its words and log index. */
export function committedAt(done) {
  return (answer) => `${done} at log index ${answer.log_index}.`;
}

/**
 * What a control says after a write: `done(answer)` once committed, the
 * node's own reason when refused or unanswered.
 */
export async function outcome(write, done) {
  try {
    return { state: 'done', message: done(await write) };
  } catch (error) {
    return { state: 'failed', message: error.message };
  }
}
