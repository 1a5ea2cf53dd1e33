// The risk-sensing net in the console: an area's crowd over the last hours
// with the next hour's forecast, its interval and the density bands, drawn
// from GET /v1/crowd/counts and /v1/crowd/forecast; and the hazard
// register (GET /v1/hazards) with each hazard's stage, deadline and the
// moves the caller may make.

import { el, svg, clock, duration, words } from './format.js';

const CHART = { width: 320, height: 140, pad: 24 };

/** The crowd chart of one area. */
export class CrowdChart {
  constructor(root, note) {
    this.root = root;
    this.note = note;
  }

  /** Draws `counts` (minutes) and `forecast` (points with bounds). */
  render(counts, forecast) {
    const past = (counts?.minutes ?? []).map((p) => [p.at_ms, p.count]);
    const ahead = forecast?.points ?? [];
    const bands = forecast?.bands;
    const times = [...past.map((p) => p[0]), ...ahead.map((p) => p.at_ms)];
    const values = [...past.map((p) => p[1]), ...ahead.map((p) => p.upper), bands ? bands.high_from * 1.05 : 0];
    if (!times.length) {
      this.root.replaceChildren();
      this.note.textContent = 'No counts for this area yet.';
      return;
    }
    const [t0, t1] = [Math.min(...times), Math.max(...times)];
    const top = Math.max(...values, 1);
    const x = (t) => CHART.pad + ((t - t0) / Math.max(t1 - t0, 1)) * (CHART.width - 2 * CHART.pad);
    const y = (v) => CHART.height - CHART.pad - (v / top) * (CHART.height - 2 * CHART.pad);
    const line = (pts) => pts.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    const parts = [];
    if (ahead.length) {
      const upper = ahead.map((p) => [p.at_ms, p.upper]);
      const lower = ahead.map((p) => [p.at_ms, p.lower]).reverse();
      parts.push(svg('polygon', { class: 'crowd-interval', 'data-series': 'interval', points: line([...upper, ...lower]) }));
    }
    for (const [name, value] of bands ? [['medium', bands.medium_from], ['high', bands.high_from]] : []) {
      parts.push(svg('line', { class: `crowd-band band-${name}`, 'data-band': name, x1: CHART.pad, x2: CHART.width - CHART.pad, y1: y(value), y2: y(value) },
        svg('title', { text: `${name} from ${Math.round(value)} people` })));
    }
    parts.push(svg('polyline', { class: 'crowd-past', 'data-series': 'counts', points: line(past) }));
    parts.push(svg('polyline', { class: 'crowd-forecast', 'data-series': 'forecast', points: line(ahead.map((p) => [p.at_ms, p.count])) }));
    parts.push(svg('text', { class: 'crowd-axis', x: CHART.pad, y: CHART.height - 6, text: clock(t0) }));
    parts.push(svg('text', { class: 'crowd-axis', x: CHART.width - CHART.pad, y: CHART.height - 6, 'text-anchor': 'end', text: clock(t1) }));
    parts.push(svg('text', { class: 'crowd-axis', x: 2, y: CHART.pad - 8, text: `${Math.round(top)}` }));
    this.root.setAttribute('viewBox', `0 0 ${CHART.width} ${CHART.height}`);
    this.root.replaceChildren(...parts);
    this.note.textContent = summary(forecast);
    this.root.dataset.band = forecast?.band_now ?? '';
  }
}

/** A sentence on the area now and ahead. */
function summary(forecast) {
  if (!forecast) return 'No forecast yet: the area needs a day of counts.';
  const now = forecast.latest ? `${Math.round(forecast.latest.count)} people at ${clock(forecast.latest.at_ms)}` : 'no recent count';
  const band = forecast.band_now ? `, ${forecast.band_now} band` : '';
  const crossing = forecast.crossing
    ? `; forecast to reach ${forecast.crossing.band} at ${clock(forecast.crossing.at_ms)} (${Math.round(100 * forecast.crossing.confidence)} % sure)`
    : '; no higher band within the hour';
  return `${now}${band}${crossing}. Model: ${forecast.model}, ${Math.round(100 * forecast.level)} % interval.`;
}

/** The hazard register, with the moves the caller may make. */
export class HazardPanel {
  /**
   * @param {((id: number, verb: string, body: object) => Promise<{state: string, message: string}>)|null} act
   * @param {() => Array<object>} units the units as last read, for a pre-position
   */
  constructor(act, units = () => []) {
    this.act = act;
    this.units = units;
    /** The district's local time ahead of UTC, in minutes: its days are the tally's. */
    this.offsetMin = 0;
  }

  render(answer, now) {
    if (!answer) return;
    const shown = answer.hazards.slice(0, 8);
    const items = shown.map((hazard) => this.item(hazard, now));
    if (!items.length) items.push(el('li', { class: 'muted', text: 'No hazards: the register is clear.' }));
    document.getElementById('hazard-list').replaceChildren(...items);
    const date = new Date(now + this.offsetMin * 60_000).toISOString().slice(0, 10);
    const cleared = answer.cleared.filter((t) => t.date === date).reduce((sum, t) => sum + t.cleared, 0);
    document.getElementById('hazards-cleared').textContent = `${cleared} cleared today`;
  }

  item(hazard, now) {
    const due = hazard.deadline_ms ? ` · next step due ${duration(hazard.deadline_ms - now)}` : '';
    const level = hazard.escalation_level ? ` · escalated to ${hazard.escalation_level === 1 ? 'the station' : 'the hub'}` : '';
    const warning = hazard.warning
      ? `forecast ${hazard.warning.band} at ${clock(hazard.warning.expected_at_ms)} (${Math.round(100 * hazard.warning.confidence)} %, ~${hazard.warning.expected_count})`
      : words(hazard.source);
    const last = hazard.trail[hazard.trail.length - 1];
    return el('li', { 'data-hazard': hazard.id, 'data-stage': hazard.stage, 'data-area': hazard.area },
      el('div', { text: `#${hazard.id} ${hazard.area}: ${words(hazard.stage)}${due}${level}` }),
      el('div', { class: 'muted', text: `${warning}; ${hazard.summary}` }),
      el('div', { class: 'muted', text: `last: ${last.note} (${last.by}, ${clock(last.at_ms)})` }),
      this.act ? this.buttons(hazard) : null);
  }

  buttons(hazard) {
    const moves = {
      detected: [['push', 'Push to station', { station: hazard.station }]],
      verifying: [['confirm', 'Confirm', { confirmed: true, seen: 'confirmed from the console' }], ['false', 'False alarm', { confirmed: false, seen: 'nothing found' }]],
      confirmed: [['measure', 'Flow control', { kind: 'flow_control', note: 'flow control from the console' }], this.prePosition(hazard), ['clear', 'Clear', { note: 'cleared from the console' }]],
      in_hand: [this.prePosition(hazard), ['clear', 'Clear', { note: 'cleared from the console' }]],
    }[hazard.stage] ?? [];
    if (!moves.length) return null;
    const row = el('div', { class: 'actions' });
    for (const [verb, label, body] of moves) {
      const node = el('button', { type: 'button', 'data-verb': verb, text: label });
      node.addEventListener('click', async () => {
        node.disabled = true;
        const payload = typeof body === 'function' ? body() : body;
        const result = payload
          ? await this.act(hazard.id, verb, payload)
          : { state: 'failed', message: `Hazard ${hazard.id}: no free patrol group to send (or the hazard has no place); send one from its unit card.` };
        const line = document.getElementById('hazard-result');
        line.textContent = result.message;
        line.className = result.state === 'failed' ? 'note error' : 'note';
      });
      row.append(node);
    }
    return row;
  }

  /** The pre-position move: the free patrol group (ring 3) nearest the hazard, chosen on click. */
  prePosition(hazard) {
    return ['pre_position', 'Pre-position nearest patrol', () => {
      if (hazard.lat == null || hazard.lon == null) return null;
      const scale = Math.cos(hazard.lat * Math.PI / 180);
      const away = (u) => Math.hypot(u.lat - hazard.lat, (u.lon - hazard.lon) * scale);
      const free = this.units().filter((u) => u.ring === 3 && u.status === 'available' && !u.assigned_to && !u.post?.hazard_id);
      const nearest = free.sort((a, b) => away(a) - away(b))[0];
      return nearest && { kind: 'pre_position', unit_id: nearest.id, note: `${nearest.id} waits at the hazard (from the console)` };
    }];
  }
}

/** The API path of a hazard move. */
export function hazardPath(id, verb) {
  const action = { push: 'push', confirm: 'verify', false: 'verify', measure: 'measures', pre_position: 'measures', clear: 'clear' }[verb];
  return `/v1/hazards/${encodeURIComponent(id)}/${action}`;
}
