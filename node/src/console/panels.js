// The side panels: the cluster (members, leader, indexes, actor
// placements, and in `cordon demo` the drill buttons), the incident list,
// the incident drawer with its audit trail and the whole plan (units and
// where they go, cordon points, hospitals and safe houses, shortfalls) with
// its approval, the move-ups with their approval, and the legend's counts.

import {
  el, clock, deadlineState, origin, words, replaceRows, UNIT_STATUSES, OPEN_INCIDENT_STATUSES,
} from './format.js';

/**
 * How long a member may stay behind the leader without its matched index
 * moving before the console calls it down. Several Raft heartbeats (100 ms
 * by default) and a couple of refreshes: a slow follower catches up well
 * within it, a dead one never does.
 */
const REPLICATION_STALLED_MS = 3000;

/**
 * Up/down of each member, judged only from what the serving node can know.
 * A browser may not read other nodes' APIs (they send no CORS headers), so
 * no member is probed directly: the serving node is up while it answers;
 * the leader sees replication, so on the leader a member is up when in
 * sync, down when it never answered this leader or its progress stalled
 * while behind; a follower only knows the leader it hears from, and says
 * "unknown" for the rest rather than guess.
 */
export class MemberHealth {
  constructor() {
    this.progress = new Map(); // member id -> { matched, since }
  }

  assess(cluster, servingReachable, now) {
    const verdicts = new Map();
    for (const member of cluster.members) {
      verdicts.set(member.id, this.judge(cluster, member, servingReachable, now));
    }
    return verdicts;
  }

  judge(cluster, member, servingReachable, now) {
    if (member.id === cluster.node_id) {
      return servingReachable
        ? { health: 'up', why: 'serves this console' }
        : { health: 'down', why: 'stopped answering this console' };
    }
    if (!servingReachable) return { health: 'unknown', why: 'the serving node does not answer' };
    if (cluster.role !== 'leader') {
      if (member.id === cluster.leader_id) {
        return { health: 'up', why: `this node follows it in term ${cluster.term}` };
      }
      return { health: 'unknown', why: 'only the leader sees replication: open its console' };
    }
    return this.judgeFromLeader(member, now);
  }

  judgeFromLeader(member, now) {
    if (member.matched_index === null || member.matched_index === undefined) {
      return { health: 'down', why: 'has not answered this leader since it took office' };
    }
    const seen = this.progress.get(member.id);
    if (!seen || seen.matched !== member.matched_index) {
      this.progress.set(member.id, { matched: member.matched_index, since: now });
    }
    if (member.lag === 0) return { health: 'up', why: 'in sync with the leader' };
    const stalled = now - this.progress.get(member.id).since;
    if (stalled >= REPLICATION_STALLED_MS) {
      return { health: 'down', why: `no replication progress for ${Math.round(stalled / 1000)} s, ${member.lag} entries behind` };
    }
    return { health: 'behind', why: `catching up, ${member.lag} entries behind` };
  }
}

/**
 * The node drills the console offers (partition is not among them: the
 * demo cannot do it, and its API says so). Kill and pause of the serving
 * node are done shortly after the answer, so the answer still arrives.
 */
const DRILL_BUTTONS = [
  ['kill', 'Kill', 'SIGKILL the node\'s process: it dies at once, as in a power cut'],
  ['pause', 'Pause', 'SIGSTOP the node\'s process: it keeps its sockets but answers nothing'],
  ['resume', 'Resume', 'SIGCONT a paused node'],
  ['restart', 'Restart', 'start a killed node again from its files; it catches up from the leader'],
];

/** Cluster summary, member table (with drill buttons in the demo) and actor placements. */
export class ClusterPanel {
  /** `drillNode(id, action)` asks the serving node for a node drill; it resolves to {state, message}. */
  constructor({ drillNode }) {
    this.drillNode = drillNode;
    this.health = new MemberHealth();
    this.leader = document.getElementById('cluster-leader');
    this.members = document.querySelector('#members tbody');
    this.actors = document.querySelector('#actors tbody');
    this.note = document.getElementById('health-note');
    this.drillStatus = document.getElementById('drill-status');
    // Drill cells outlive the rows (rebuilt on every refresh), so a button
    // being pressed is never replaced under the pointer.
    this.drillCells = new Map();
    this.drillPending = false;
    this.drillsOn = false;
  }

  /** Shows or hides the drill buttons; `drills` is GET /v1/drills (null while unknown). */
  setDrills(drills) {
    this.drillsOn = Boolean(drills?.nodes);
    this.drillStatus.hidden = !this.drillsOn;
  }

  /** The row of drill buttons under member `id`'s row (the member table is too narrow for another column). */
  drillRow(id, columns) {
    let cell = this.drillCells.get(id);
    if (!cell) {
      cell = el('td', { class: 'drill-cell', colspan: columns },
        el('span', { class: 'muted', text: 'drill ' }),
        ...DRILL_BUTTONS.map(([action, label, title]) => {
          const button = el('button', {
            type: 'button', class: `drill drill-${action}`, 'data-node': id, 'data-action': action,
            title: `${title} (node ${id})`, text: label,
          });
          button.addEventListener('click', () => this.drill(id, action));
          return button;
        }));
      this.drillCells.set(id, cell);
    }
    for (const button of cell.querySelectorAll('button.drill')) button.disabled = this.drillPending;
    return el('tr', { class: 'member-drill', 'data-id': id }, cell);
  }

  /** One drill at a time, no confirmation (this is the demo); the outcome goes to the status line. */
  async drill(id, action) {
    if (this.drillPending) return;
    this.drillPending = true;
    this.setDrillStatus('pending', `node ${id}: ${action}…`);
    this.setDrillButtons();
    try {
      const outcome = await this.drillNode(id, action);
      this.setDrillStatus(outcome.state, outcome.message);
    } finally {
      this.drillPending = false;
      this.setDrillButtons();
    }
  }

  setDrillStatus(state, message) {
    this.drillStatus.dataset.state = state;
    this.drillStatus.textContent = `${clock(Date.now())} ${message}`;
  }

  setDrillButtons() {
    for (const button of document.querySelectorAll('#members button.drill')) button.disabled = this.drillPending;
  }

  render(cluster, actors, servingReachable, now) {
    if (!cluster) return;
    const byId = new Map(cluster.members.map((member) => [member.id, member]));
    const leader = byId.get(cluster.leader_id);
    this.leader.dataset.leaderId = cluster.leader_id ?? '';
    this.leader.textContent = leader ? `node ${leader.id} (${leader.name})` : 'none known';
    this.leader.classList.toggle('warn', !leader);
    document.getElementById('cluster-name').textContent = cluster.cluster;
    document.getElementById('cluster-term').textContent = cluster.term;
    document.getElementById('cluster-committed').textContent = cluster.committed_index ?? '—';
    document.getElementById('cluster-applied').textContent = cluster.applied_index ?? '—';
    const verdicts = this.health.assess(cluster, servingReachable, now);
    const hosted = countBy(actors ?? [], (actor) => actor.node);
    replaceRows(this.members, cluster.members.flatMap((member) => {
      const row = memberRow(cluster, member, verdicts.get(member.id), hosted.get(member.id) ?? 0);
      if (!this.drillsOn) return [row];
      row.classList.add('drillable');
      return [row, this.drillRow(member.id, row.children.length)];
    }));
    this.note.textContent = cluster.role === 'leader'
      ? 'Health as the leader sees replication (matched index and lag).'
      : `This node is a ${cluster.role}: it sees only its own state and its leader; member health comes from the leader's console.`;
    if (actors) this.renderActors(actors);
  }

  renderActors(actors) {
    const sorted = [...actors].sort((a, b) => actorOrder(a.actor) - actorOrder(b.actor) || a.actor.localeCompare(b.actor));
    replaceRows(this.actors, sorted.map(actorRow));
    const failed = actors.filter((actor) => actor.status === 'failed').length;
    const replaced = actors.filter((actor) => actor.failed_past_budget).length;
    const restarts = actors.reduce((sum, actor) => sum + (actor.restarts ?? 0), 0);
    document.getElementById('actor-summary').textContent =
      `${actors.length} placed · ${restarts} restarts${failed ? ` · ${failed} failed` : ''}` +
      `${replaced ? ` · ${replaced} moved after failing past their restart budget` : ''}`;
  }
}

function countBy(items, key) {
  const counts = new Map();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

function memberRole(cluster, member) {
  if (member.id === cluster.node_id) return cluster.role;
  if (member.id === cluster.leader_id) return 'leader';
  return member.voter ? 'voter' : 'learner';
}

function memberRow(cluster, member, verdict, actorCount) {
  const role = memberRole(cluster, member);
  // A plain link, not a fetch: opening another node's console is a navigation.
  const link = el('a', { href: `http://${member.api_addr}/console/`, title: `open node ${member.id}'s console` }, `${member.id} ${member.name}`);
  return el('tr', {
    class: `member${member.id === cluster.node_id ? ' serving' : ''}`,
    'data-id': member.id, 'data-role': role, 'data-health': verdict.health,
  },
  el('td', {}, link),
  el('td', {}, el('span', { class: `badge role-${role}`, text: role })),
  el('td', { class: 'mono', text: member.matched_index ?? '—' }),
  el('td', { class: 'mono', text: member.lag ?? '—' }),
  el('td', { class: 'mono', text: actorCount }),
  el('td', { title: verdict.why }, el('span', { class: `badge health-${verdict.health}`, text: verdict.health })));
}

/** Hub first, then rings, stations, special-ops teams: the command order. */
function actorOrder(name) {
  if (name === 'hub') return 0;
  if (name.startsWith('ring:')) return 1;
  if (name.startsWith('station:')) return 2;
  return 3;
}

/** The actor's newest failure past its restart budget, in words. */
function pastBudget(actor) {
  const f = actor.failed_past_budget;
  if (!f) return null;
  const at = new Date(f.at_ms).toISOString();
  return `failed past its restart budget on node ${f.node} (epoch ${f.epoch}, ${f.restarts} restarts) at ${at}: ${f.reason}`;
}

function actorRow(actor) {
  const lines = [actor.last_failure ? `last failure: ${JSON.stringify(actor.last_failure)}` : null, pastBudget(actor)];
  const failure = lines.filter(Boolean).join('\n') || null;
  return el('tr', {
    class: 'actor', 'data-actor': actor.actor, 'data-node': actor.node, 'data-status': actor.status,
  },
  el('td', { class: 'mono', text: actor.actor }),
  el('td', { class: 'mono', text: actor.node }),
  el('td', { class: 'mono', text: actor.epoch }),
  el('td', { class: `mono${actor.restarts ? ' warn' : ''}`, text: actor.restarts ?? 0 }),
  el('td', { class: 'mono', text: actor.pending }),
  el('td', { title: failure },
    el('span', { class: `badge actor-${actor.status}`, text: actor.status }),
    actor.failed_past_budget ? el('span', { class: 'badge actor-failed', text: `moved off ${actor.failed_past_budget.node}` }) : null));
}

/** The newest incidents, open ones first, with live countdowns. */
export class IncidentList {
  constructor(onSelect) {
    this.onSelect = onSelect;
    this.body = document.querySelector('#incident-list tbody');
    this.rows = new Map();
  }

  render(incidents, total, now, selectedId) {
    const open = incidents.filter((incident) => OPEN_INCIDENT_STATUSES.has(incident.status));
    const closed = incidents.filter((incident) => !OPEN_INCIDENT_STATUSES.has(incident.status));
    this.rows = new Map();
    replaceRows(this.body, [...open, ...closed].map((incident) => {
      const row = this.row(incident, now, incident.id === selectedId);
      this.rows.set(incident.id, { row, incident });
      return row;
    }));
    document.getElementById('incident-counts').textContent =
      `${open.length} open (every one), ${closed.length} recently closed (${total} in the ledger)`;
  }

  row(incident, now, selected) {
    const row = el('tr', {
      class: `incident-row${selected ? ' selected' : ''}${incident.major ? ' major' : ''}`,
      'data-id': incident.id, 'data-status': incident.status, tabindex: 0,
    },
    el('td', { class: 'mono', text: incident.id }),
    el('td', { text: words(incident.kind) }),
    el('td', { class: 'mono', text: incident.ring ?? '—' }),
    el('td', { class: 'mono', text: incident.priority }),
    el('td', {}, el('span', { class: `badge incident-${incident.status}`, text: words(incident.status) }), unresourcedBadge(incident)),
    el('td', { class: 'mono countdown' }));
    this.updateCountdown(row, incident, now);
    row.addEventListener('click', () => this.onSelect(incident.id));
    row.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') this.onSelect(incident.id);
    });
    return row;
  }

  updateCountdown(row, incident, now) {
    const cell = row.querySelector('.countdown');
    if (!OPEN_INCIDENT_STATUSES.has(incident.status)) {
      cell.textContent = '';
      return;
    }
    const deadline = deadlineState(incident, now);
    cell.textContent = deadline.label;
    cell.classList.toggle('breached', deadline.breached);
  }

  tick(now) {
    for (const { row, incident } of this.rows.values()) this.updateCountdown(row, incident, now);
  }
}

/**
 * For commanders: an open incident no unit of any ring can answer yet is
 * badged "unresourced" (its dispatch is retried the moment a unit frees);
 * the title says why and since when.
 */
function unresourcedBadge(incident) {
  if (!incident.unresourced || !OPEN_INCIDENT_STATUSES.has(incident.status)) return null;
  const { reason, since_ms: since } = incident.unresourced;
  return el('span', { class: 'badge unresourced', 'data-unresourced': true, title: `since ${clock(since)}: ${reason}`, text: 'unresourced' });
}

/** A place as "lat, lon" to about a metre. */
function place(point) {
  return `${point.lat.toFixed(5)}, ${point.lon.toFixed(5)}`;
}

/** Index of the cordon point `point` is, or -1 (the scene, or elsewhere). */
function cordonIndex(plan, point) {
  return plan.cordon_points.findIndex((p) => p.lat === point.lat && p.lon === point.lon);
}

/**
 * The commander's marker: how many units the plan could not fill ("short of
 * N units"), or that it is fully resourced.
 */
function shortBadge(plan) {
  const short = plan.units_short ?? 0;
  return short > 0
    ? el('span', { id: 'plan-short', class: 'badge short', 'data-units-short': short, title: 'units the plan asked for that no available unit could fill', text: `short of ${short} unit${short === 1 ? '' : 's'}` })
    : el('span', { id: 'plan-short', class: 'badge ok', 'data-units-short': 0, text: 'fully resourced' });
}

/** What each ring could not supply, by role. */
function planShortfalls(plan) {
  if (!plan.shortfalls?.length) return null;
  return el('ul', { id: 'plan-shortfalls', class: 'plan-shortfalls' }, ...plan.shortfalls.map((s) => el('li', {
    'data-ring': s.ring, 'data-units-missing': s.units_missing,
    text: `ring ${s.ring} ${words(s.role)}: ${s.units_missing} missing`,
  })));
}

/** Who goes where: ring, unit, ETA, role and destination (the scene or a cordon point). */
function planLines(plan) {
  return el('table', { class: 'plan-lines' },
    el('thead', {}, el('tr', {}, ...['ring', 'unit', 'ETA', 'role', 'to'].map((h) => el('th', { text: h })))),
    el('tbody', {}, ...plan.lines.map((line) => {
      const point = cordonIndex(plan, line.destination);
      return el('tr', {},
        el('td', { class: 'mono', text: line.ring }),
        el('td', { class: 'mono', text: line.unit_id }),
        el('td', { class: 'mono', text: `${line.eta_s} s` }),
        el('td', { text: words(line.role) }),
        el('td', { title: place(line.destination), text: point >= 0 ? `cordon ${point + 1}` : 'scene' }));
    })));
}

/** The cordon points, each with the units holding it. */
function planCordon(plan) {
  if (!plan.cordon_points?.length) return null;
  return el('section', { class: 'plan-part' },
    el('h4', { text: `Cordon points (${plan.cordon_points.length})` }),
    el('ol', { id: 'plan-cordon' }, ...plan.cordon_points.map((point, index) => {
      const holders = plan.lines.filter((line) => cordonIndex(plan, line.destination) === index).map((line) => line.unit_id);
      return el('li', { 'data-index': index }, el('span', { class: 'mono', text: place(point) }), ` · ${holders.length ? holders.join(', ') : 'nobody yet'}`);
    })));
}

/** The nearest hospitals (by car) and safe houses (on foot). */
function planFacilities(plan) {
  if (!plan.facilities?.length) return null;
  return el('section', { class: 'plan-part' },
    el('h4', { text: 'Hospitals and safe houses' }),
    el('ul', { id: 'plan-facilities' }, ...plan.facilities.map((f) => el('li', { 'data-kind': f.kind, title: place(f.position) },
      `${words(f.kind)}: ${f.name} `, el('span', { class: 'muted mono', text: `${f.eta_s} s ${f.kind === 'hospital' ? 'by car' : 'on foot'}` })))));
}

/**
 * The incident drawer: facts, the audit trail (every step with who, log
 * index, time and why), whether its hash chain verifies, and, for a major
 * incident whose plan waits for a commander, the approval button.
 */
export class Drawer {
  /**
   * `approvePlan(id)` and `closeIncident(id, verb, reason)` (verb `resolve`
   * or `cancel`) resolve to {state, message}; null when the caller may not
   * (no button then).
   */
  constructor({ approvePlan, amendPlan, closeIncident, dispatch, publicInfo, command, onClose }) {
    this.approvePlan = approvePlan;
    this.publicInfo = publicInfo; // PublicInfoSection
    this.command = command; // CommandSection
    this.amendPlan = amendPlan; // (id, {drop, add}) => {state, message}, or null
    this.dispatch = dispatch; // DispatchActions, or null for a caller without `dispatch`
    this.closeIncident = closeIncident;
    this.closing = null; // { state, message } of the last resolve or cancel
    this.root = document.getElementById('drawer');
    this.body = document.getElementById('drawer-body');
    this.title = document.getElementById('drawer-title');
    this.id = null;
    this.incident = null;
    this.approval = null; // { state: 'pending' | 'done' | 'failed', message }
    document.getElementById('drawer-close').addEventListener('click', () => {
      this.close();
      onClose();
    });
  }

  open(id) {
    if (this.id !== id) {
      this.id = id;
      this.incident = null;
      this.approval = null;
      this.closing = null;
      this.closeReason = null;
      this.amendFields = null;
      this.amending = null;
      this.title.textContent = id;
      this.body.replaceChildren(el('p', { class: 'muted', text: 'loading…' }));
    }
    this.root.hidden = false;
  }

  close() {
    this.id = null;
    this.incident = null;
    this.root.hidden = true;
  }

  /** Shows a fresh copy; skips the rebuild when nothing changed (same version). */
  show(incident, now) {
    if (!incident || incident.id !== this.id) return;
    if (this.incident && this.incident.version === incident.version && !this.dirty) return;
    this.incident = incident;
    this.dirty = false;
    this.render(now);
  }

  showError(message) {
    this.body.replaceChildren(el('p', { class: 'error', text: message }));
  }

  /** Draws the shown incident again (an action's answer arrived). */
  redraw() {
    if (this.incident) this.render(Date.now());
  }

  render(now) {
    const incident = this.incident;
    this.title.textContent = `${incident.id} · ${words(incident.kind)}`;
    // A field being typed in keeps its focus and caret through a redraw.
    const focused = this.body.contains(document.activeElement) ? document.activeElement : null;
    const caret = focused && 'selectionStart' in focused ? [focused.selectionStart, focused.selectionEnd] : null;
    const parts = [
      this.facts(incident, now),
      incident.description ? el('p', { class: 'description', text: incident.description }) : null,
      this.publicInfo.section(incident, now),
      this.command.section(incident),
      this.dispatch ? this.dispatch.section(incident) : null,
      this.plan(incident),
      this.closeActions(incident),
      this.timeline(incident),
    ];
    this.body.replaceChildren(...parts.filter((part) => part !== null));
    if (focused && this.body.contains(focused)) {
      focused.focus();
      if (caret) focused.setSelectionRange(...caret);
    }
    this.body.dataset.id = incident.id;
    this.body.dataset.status = incident.status;
  }

  facts(incident, now) {
    const deadline = deadlineState(incident, now);
    const rows = [
      ['status', el('span', {}, el('span', { class: `badge incident-${incident.status}`, text: words(incident.status) }), unresourcedBadge(incident))],
      incident.unresourced
        ? ['unresourced', `since ${clock(incident.unresourced.since_ms)} (log index ${incident.unresourced.since_index}): ${incident.unresourced.reason}`]
        : null,
      ['address', incident.address ?? '—'],
      ['ring · priority · force', `${incident.ring ?? '—'} · ${incident.priority} · ${incident.force_level}`],
      ['station', incident.station ?? '—'],
      ['channel', words(incident.channel)],
      ['reported', `${clock(incident.reported_at_ms)} (log index ${incident.reported_index})`],
      ['on-scene target', incident.target_s ? `${incident.target_s} s` : '—'],
      ['deadline', incident.on_scene_deadline_ms ? clock(incident.on_scene_deadline_ms) : '—'],
      ['on scene in', el('span', { id: 'drawer-countdown', class: deadline.breached ? 'breached' : '', text: this.countdownLabel(incident, now) })],
      ['units', incident.units.length ? incident.units.join(', ') : 'none'],
    ];
    return el('dl', { class: 'facts drawer-facts' }, ...rows.filter((row) => row !== null).flatMap(([name, value]) => [el('dt', { text: name }), el('dd', {}, value)]));
  }

  plan(incident) {
    if (!incident.plan) return incident.major ? el('p', { class: 'muted', text: 'Major incident: plan not yet proposed.' }) : null;
    const plan = incident.plan;
    const approved = plan.approved_index !== null && plan.approved_index !== undefined;
    const status = approved
      ? el('p', { id: 'plan-status', 'data-approved': true, 'data-level': plan.approved_level ?? '', class: 'ok',
        text: `Approved at log index ${plan.approved_index}${plan.approved_level ? ` by the ${levelWords(plan.approved_level)}` : ''}.` })
      : el('p', { id: 'plan-status', 'data-approved': false, text: `Awaiting the district or the station's command room; approved automatically at ${clock(plan.auto_approve_at_ms)}.` });
    const open = OPEN_INCIDENT_STATUSES.has(incident.status);
    return el('section', { class: 'plan' },
      el('h3', {}, `Mobilisation plan (${plan.lines.length} units) `, shortBadge(plan)),
      status,
      !approved && open && this.approvePlan ? this.approveButton(incident) : null,
      !approved && open && this.amendPlan ? this.amendForm(incident) : null,
      // Once the ledger shows the approval, the status line above says it all.
      this.approval && !approved ? el('p', { id: 'approve-result', class: this.approval.state === 'failed' ? 'error' : 'muted', text: this.approval.message }) : null,
      planShortfalls(plan),
      planLines(plan),
      planCordon(plan),
      planFacilities(plan));
  }

  /** Resolve and cancel, with the reason the audit trail keeps, for an open incident. */
  closeActions(incident) {
    const outcome = this.closing
      ? el('p', { id: 'close-result', class: this.closing.state === 'failed' ? 'error' : 'muted', text: this.closing.message })
      : null;
    if (!this.closeIncident || !OPEN_INCIDENT_STATUSES.has(incident.status)) return outcome;
    // One field per incident shown, so a redraw keeps what is typed.
    this.closeReason ??= el('input', { id: 'close-reason', type: 'text', maxlength: 200, placeholder: 'reason (kept on the audit trail)' });
    const reason = this.closeReason;
    const button = (verb, label) => {
      const node = el('button', { type: 'button', id: `${verb}-incident`, 'data-verb': verb, text: label });
      node.disabled = this.closing?.state === 'pending';
      node.addEventListener('click', async () => {
        this.closing = { state: 'pending', message: `${label.toLowerCase()}…` };
        const why = reason.value.trim() || `${verb}d from the console`;
        this.dirty = true;
        this.render(Date.now());
        this.closing = await this.closeIncident(incident.id, verb, why);
        this.dirty = true;
      });
      return node;
    };
    return el('section', { class: 'close-actions' },
      reason, button('resolve', 'Resolve'), button('cancel', 'Cancel incident'), outcome);
  }

  /** Units off and onto the plan before it is approved (ids, comma-separated). */
  amendForm(incident) {
    this.amendFields ??= {
      drop: el('input', { id: 'amend-drop', type: 'text', placeholder: 'units to drop (ids, comma-separated)' }),
      add: el('input', { id: 'amend-add', type: 'text', placeholder: 'units to add' }),
    };
    const ids = (field) => field.value.split(',').map((id) => id.trim()).filter(Boolean);
    const button = el('button', { type: 'button', id: 'amend-plan', text: 'Amend plan' });
    button.disabled = this.amending?.state === 'pending';
    button.addEventListener('click', async () => {
      this.amending = { state: 'pending', message: 'amending…' };
      this.dirty = true;
      this.render(Date.now());
      this.amending = await this.amendPlan(incident.id, { drop: ids(this.amendFields.drop), add: ids(this.amendFields.add) });
      if (this.amending.state === 'done') {
        this.amendFields.drop.value = '';
        this.amendFields.add.value = '';
      }
      this.dirty = true;
    });
    return el('div', { class: 'amend-plan' }, this.amendFields.drop, this.amendFields.add, button,
      this.amending ? el('p', { id: 'amend-result', class: this.amending.state === 'failed' ? 'error' : 'muted', text: this.amending.message }) : null);
  }

  approveButton(incident) {
    const button = el('button', { type: 'button', id: 'approve-plan', class: 'primary', text: 'Approve plan' });
    button.disabled = this.approval?.state === 'pending';
    button.addEventListener('click', async () => {
      this.approval = { state: 'pending', message: 'approving…' };
      this.dirty = true;
      this.render(Date.now());
      this.approval = await this.approvePlan(incident.id);
      this.dirty = true; // show the outcome even if the next copy has the same version
    });
    return button;
  }

  timeline(incident) {
    const verified = incident.timeline_verified === true;
    const badge = el('span', {
      id: 'timeline-verified', 'data-verified': verified, class: `badge ${verified ? 'verified' : 'broken'}`,
      title: 'Each entry hashes the previous entry\'s hash with its own fields (SHA-256); the node re-checked the chain.',
      text: verified ? '✓ hash chain verified' : '✗ hash chain does NOT verify',
    });
    const rows = incident.timeline.map((entry) => el('tr', {
      class: 'timeline-entry', 'data-step': entry.step, 'data-index': entry.index,
    },
    el('td', { text: words(entry.step) }),
    el('td', { class: 'who', text: origin(entry.origin) }),
    el('td', { class: 'mono', text: entry.index }),
    el('td', { class: 'mono', text: clock(entry.at_ms) }),
    el('td', { class: 'reason', title: `hash ${entry.hash}`, text: entry.reason })));
    return el('section', { class: 'timeline' },
      el('h3', {}, 'Audit trail ', badge),
      el('table', { id: 'timeline' },
        el('thead', {}, el('tr', {}, ...['step', 'who', 'index', 'time', 'why'].map((h) => el('th', { text: h })))),
        el('tbody', {}, ...rows)));
  }

  /** A closed incident has no countdown left, only how it ended. */
  countdownLabel(incident, now) {
    return OPEN_INCIDENT_STATUSES.has(incident.status) ? deadlineState(incident, now).label : words(incident.status);
  }

  tick(now) {
    this.publicInfo.tick(this.incident, now);
    const countdown = document.getElementById('drawer-countdown');
    if (!countdown || !this.incident) return;
    countdown.textContent = this.countdownLabel(this.incident, now);
    countdown.classList.toggle('breached', deadlineState(this.incident, now).breached);
  }
}

/** The status legend with a live count of units per status. */
export function renderStatusLegend(units) {
  const counts = countBy(units, (unit) => unit.status);
  document.getElementById('legend-status').replaceChildren(...UNIT_STATUSES.map(([status, label, colour]) => {
    const swatch = el('span', { class: 'swatch' });
    swatch.style.background = colour;
    return el('li', { 'data-status': status }, swatch, `${label} `, el('span', { class: 'muted mono', text: counts.get(status) ?? 0 }));
  }));
}

/** Shares of demand as the move-up list shows them (0.884 -> "88.4 %"). */
const percent = (share) => `${(share * 100).toFixed(1)} %`;

/**
 * The move-ups: how they are approved, and the newest few with their units,
 * posts and reason; a proposal awaiting a commander has Approve and Decline
 * buttons for a caller who may decide (`decide(id, verb)` resolves to
 * {state, message}; null: no buttons).
 */
export class MoveUpPanel {
  constructor(decide) {
    this.decide = decide;
  }

  render(answer) {
    if (!answer) return;
    const mode = { off: 'off', automatic: 'approved automatically', commander: 'approved by a commander' }[answer.approval] ?? answer.approval;
    document.getElementById('move-up-mode').textContent = mode;
    const shown = answer.move_ups.slice(0, 6);
    const items = shown.map((moveUp) => this.item(moveUp));
    if (!items.length) items.push(el('li', { class: 'muted', text: answer.approval === 'off' ? 'Move-ups are off (actors.move_up).' : 'None yet: every ring is above its trigger.' }));
    document.getElementById('move-up-list').replaceChildren(...items);
  }

  item(moveUp) {
    const units = moveUp.lines.map((line) => `${line.unit_id} → ${line.post_name} (${Math.round(line.travel_s / 60)} min)`).join('; ');
    const decided = moveUp.decided_by ? ` by ${moveUp.decided_by} at ${clock(moveUp.decided_at_ms)}` : '';
    const note = moveUp.note ? ` (${moveUp.note})` : '';
    return el('li', { 'data-move-up': moveUp.id, 'data-ring': moveUp.ring, 'data-status': moveUp.status },
      el('div', { text: `#${moveUp.id} ring ${moveUp.ring}: ${words(moveUp.status)}${decided}${note}` }),
      el('div', { class: 'muted', text: `${units}; ${percent(moveUp.coverage_before)} → ${percent(moveUp.coverage_after)}` }),
      el('div', { class: 'muted', text: moveUp.reason }),
      moveUp.status === 'proposed' && this.decide ? this.buttons(moveUp.id) : null);
  }

  buttons(id) {
    const button = (verb, label, cls) => {
      const node = el('button', { type: 'button', class: cls, 'data-verb': verb, text: label });
      node.addEventListener('click', async () => {
        node.disabled = true;
        const result = await this.decide(id, verb);
        const line = document.getElementById('move-up-result');
        line.textContent = result.message;
        line.className = result.state === 'failed' ? 'note error' : 'note';
      });
      return node;
    };
    return el('div', { class: 'actions' }, button('approve', 'Approve', 'primary'), button('decline', 'Decline', ''));
  }
}

/** A plan's approving level in words: `station:bund` -> "bund station's command room". */
function levelWords(level) {
  if (level === 'district') return 'district command centre';
  if (level === 'automatic') return 'automatic approval (nobody decided in time)';
  if (level.startsWith('station:')) return `${level.slice('station:'.length)} station's command room`;
  return level;
}
