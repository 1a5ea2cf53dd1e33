// The console's data flow. Everything comes from the JSON API of one node
// of the cluster: the node that served this page, until it stops answering;
// then another member (serving.js), and the page says so. No other host is
// ever contacted:
//   GET /v1/whoami at login (who the token names and what it may do);
//   GET /v1/district and /v1/drills once; /v1/units, /v1/incidents,
//   /v1/actors and /v1/cluster on demand; the /v1/events stream says when
//   to re-read what. Drill buttons POST to this node too, which forwards
//   them to the demo's drill control.
// Every request carries the caller's bearer token; a control is offered
// only when the caller's rights allow it (the node refuses it anyway).
// Refreshes triggered by the stream are throttled (at most one every
// 500 ms) because a busy ledger applies hundreds of commands a second and
// the page only needs to look current; a slow periodic refresh (3 s) keeps
// the page right when the stream is down or an event was dropped.

import { clock, el, outcome } from './format.js';
import { MapView } from './map.js';
import { ClusterPanel, Drawer, IncidentList, MoveUpPanel, renderStatusLegend } from './panels.js';
import { CrowdChart, HazardPanel, hazardPath } from './crowd.js';
import { DispatchActions } from './dispatch.js';
import { Search } from './search.js';
import { ReportForm } from './report.js';
import { Serving } from './serving.js';
import { AlertPanel } from './alerts.js';
import { PublicInfoSection } from './public.js';
import { CommandSection } from './command.js';
import { DutyPanel, DUTY_REFRESH_MS } from './duty.js';
import { FieldScreen } from './field.js';

const INCIDENTS_LISTED = 200;
const REFRESH_SPACING_MS = 500;
const FALLBACK_REFRESH_MS = 3000;
const STREAM_RETRY_MS = 3000;
const DISTRICT_RETRY_MS = 2000;
const TICK_MS = 1000;
/** A request not answered by then is abandoned: its node is taken for silent. */
const REQUEST_TIMEOUT_MS = 8000;
/** An event stream silent this long (two keep-alives) means its node is: move. */
const STREAM_SILENCE_MS = 4500;
/** How often the stream's silence is checked. */
const STREAM_CHECK_MS = 1000;
/** How long to wait before looking again when no member answers. */
const MOVE_RETRY_MS = 1000;
const ALL = ['cluster', 'units', 'incidents', 'actors', 'coverage', 'moveUps', 'crowd', 'hazards'];
/** Hours of counts the crowd chart shows before the forecast. */
const CROWD_PAST_HOURS = 3;
/** Minutes of counts read to know whether the nowcast can answer (a day and an hour). */
const NOWCAST_HISTORY_MIN = 25 * 60;

// The token lives in sessionStorage only: this tab keeps it until the tab
// closes or the user logs out. Never a cookie (the browser would send it by
// itself), never localStorage (it outlives the tab), never a URL (URLs end
// up in logs and history).
const TOKEN_KEY = 'cordon.token';
// Why the last session ended (a 401's message), for the login screen after the reload.
const LOGGED_OUT_KEY = 'cordon.logged-out';

const data = {
  units: [],
  incidents: [],
  incidentsTotal: 0,
  actors: null,
  cluster: null,
  district: null, // GET /v1/district, once
  streets: null, // GET /v1/district/streets, once
  drills: null, // GET /v1/drills: {actors, nodes}; fixed while the node runs
  coverage: null, // GET /v1/coverage: per police ring, the demand reached in time and the gaps
  servingReachable: true,
};
const errors = new Map();
const view = {};
let selectedId = null;
/** The node this console talks to, and the others it can move to. */
const serving = new Serving();

/** The caller once logged in: {token, principal: {name, roles, credential}, rights: Set}. */
let session = null;

/** True when the caller's roles hold `right` (`read`, `approve_plan`, `drill`...). */
const may = (right) => session?.rights.has(right) ?? false;

// ---------------------------------------------------------------- API

/**
 * A failed request: `status` is the HTTP status (0 when the node did not
 * answer at all), `reason` the API's own message, which says what to do.
 */
class ApiError extends Error {
  constructor(message, status, reason) {
    super(message);
    this.status = status;
    this.reason = reason ?? message;
    this.unreachable = status === 0;
  }
}

function authorization(token) {
  return { authorization: `Bearer ${token}` };
}

/** One request with `token`; its JSON answer, or an ApiError. */
async function send(method, path, token, body) {
  let response;
  try {
    const headers = { accept: 'application/json', ...authorization(token) };
    // A change says it is JSON (even with no body): the node refuses any
    // other state-changing request, so no other site can forge one.
    if (method !== 'GET') headers['content-type'] = 'application/json';
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    response = await fetch(serving.url(path), { method, cache: 'no-store', headers, body: payload, signal });
  } catch (error) {
    const node = serving.nodeId === null ? 'this node' : `node ${serving.nodeId}`;
    throw new ApiError(`${path}: ${node} does not answer (${error.message})`, 0);
  }
  const answer = await response.json().catch(() => null);
  if (!response.ok) {
    // The API's errors are {code, message}; the message says what to do.
    const reason = answer?.message ?? response.statusText;
    throw new ApiError(`${path}: ${answer?.code ?? response.status}: ${reason}`, response.status, reason);
  }
  return answer;
}

/**
 * A request as the logged-in caller; a 401 (token revoked or expired) ends
 * the session, and no answer at all moves the console to another node (the
 * request itself is not repeated: a refresh reads again, a person decides
 * about a write).
 */
async function request(method, path, body) {
  try {
    return await send(method, path, session.token, body);
  } catch (error) {
    if (error.status === 401) logOut(error.reason);
    if (error.unreachable) nodeLost(error.message);
    throw error;
  }
}

const getJson = (path) => request('GET', path);

/** Incidents the stream said changed since the last read, by number. */
const changedIncidents = new Set();
/** Whether the incident list must be read whole (first load, a gap in the stream, an unknown change). */
let incidentsStale = true;
/** More changed incidents than this are read as one list rather than one by one. */
const INCIDENT_DELTAS_MAX = 25;

/** Reads only the incidents the stream said changed (in one request, without timelines), and puts them in the list. */
async function loadIncidentDeltas() {
  const numbers = [...changedIncidents];
  changedIncidents.clear();
  if (numbers.length === 0) return;
  const fresh = (await getJson(`/v1/incidents?ids=${numbers.join(',')}&timeline=false`)).incidents;
  const byId = new Map(data.incidents.map((incident) => [incident.id, incident]));
  const added = [];
  for (const incident of fresh) {
    if (byId.has(incident.id)) byId.set(incident.id, incident);
    else added.push(incident);
  }
  data.incidents = [...added.reverse(), ...byId.values()];
  data.incidentsTotal += added.length;
}

const LOADERS = {
  cluster: async () => {
    data.cluster = await getJson('/v1/cluster');
    serving.learn(data.cluster);
  },
  units: async () => {
    data.units = (await getJson('/v1/units')).units;
  },
  incidents: async () => {
    if (!incidentsStale && changedIncidents.size <= INCIDENT_DELTAS_MAX) return loadIncidentDeltas();
    incidentsStale = false;
    changedIncidents.clear();
    // Counted, so a test can tell a delta from a full reload.
    document.body.dataset.fullLoads = Number(document.body.dataset.fullLoads ?? 0) + 1;
    // Every open incident, however old, and the latest ones besides (the
    // closed among them show below the open).
    const [open, latest] = await Promise.all([
      getJson('/v1/incidents?status=open&timeline=false'),
      getJson(`/v1/incidents?limit=${INCIDENTS_LISTED}&timeline=false`),
    ]);
    const seen = new Set(open.incidents.map((incident) => incident.id));
    data.incidents = [...open.incidents, ...latest.incidents.filter((incident) => !seen.has(incident.id))];
    data.incidentsTotal = latest.total;
  },
  actors: async () => {
    data.actors = (await getJson('/v1/actors')).actors;
  },
  drills: async () => {
    data.drills = await getJson('/v1/drills');
  },
  coverage: async () => {
    data.coverage = await getJson('/v1/coverage');
  },
  moveUps: async () => {
    data.moveUps = await getJson('/v1/move-ups');
  },
  crowd: async () => {
    const area = encodeURIComponent(document.getElementById('crowd-area').value || 'bund-riverside');
    // A day and a bit of minutes: the nowcast needs a day of them, so the
    // forecast is asked only when they are there (it would answer 422).
    const from = Date.now() - NOWCAST_HISTORY_MIN * 60 * 1000;
    const counts = await getJson(`/v1/crowd/counts?area=${area}&from_ms=${from}`);
    const shownFrom = Date.now() - CROWD_PAST_HOURS * 3600 * 1000;
    data.crowdCounts = { ...counts, minutes: counts.minutes.filter((p) => p.at_ms >= shownFrom) };
    data.crowdForecast = counts.minutes.length > 24 * 60
      ? await getJson(`/v1/crowd/forecast?area=${area}&horizon_min=60`)
      : null;
  },
  hazards: async () => {
    data.hazards = await getJson('/v1/hazards');
  },
};

/** Loads one dataset; a failure keeps the last copy on screen and says why. */
async function load(kind) {
  try {
    await LOADERS[kind]();
    errors.delete(kind);
    if (kind === 'cluster') data.servingReachable = true;
    return true;
  } catch (error) {
    errors.set(kind, error.message);
    if (kind === 'cluster' && error.unreachable) data.servingReachable = false;
    return false;
  }
}

// ---------------------------------------------------------------- refresh scheduling

const dirty = new Set();
let refreshTimer = null;
let refreshing = false;
let lastRefreshAt = 0;

/**
 * Datasets that change with every unit's move but are read as a whole are
 * re-read at most this often (ms): in a surge every second brings dozens of
 * unit moves, and the picture need not follow each one.
 */
const KIND_SPACING_MS = { units: 2000, coverage: 10000 };
/** When each dataset was last read. */
const loadedAt = new Map();

/** Marks datasets stale; they are re-read together, at most every REFRESH_SPACING_MS (some less often). */
function requestRefresh(...kinds) {
  for (const kind of kinds) dirty.add(kind);
  if (refreshTimer !== null || refreshing) return; // the running or planned refresh will pick them up
  const now = Date.now();
  const due = (kind) => (loadedAt.get(kind) ?? 0) + (KIND_SPACING_MS[kind] ?? 0);
  const earliest = Math.min(...[...dirty].map(due));
  const wait = Math.max(0, lastRefreshAt + REFRESH_SPACING_MS - now, earliest - now);
  refreshTimer = setTimeout(runRefresh, wait);
}

async function runRefresh() {
  refreshTimer = null;
  refreshing = true;
  lastRefreshAt = Date.now();
  const ready = (kind) => Date.now() >= (loadedAt.get(kind) ?? 0) + (KIND_SPACING_MS[kind] ?? 0);
  const kinds = [...dirty].filter(ready);
  for (const kind of kinds) {
    dirty.delete(kind);
    loadedAt.set(kind, Date.now());
  }
  try {
    const loaded = await Promise.all(kinds.map(load));
    render(kinds.filter((_, i) => loaded[i]));
  } finally {
    refreshing = false;
    if (dirty.size) requestRefresh();
  }
}

/** Which datasets an applied command can have changed, by its action name. */
function affectedBy(action) {
  switch (action) {
    case 'update_unit_status':
    case 'load_roster':
      return ['units', 'coverage'];
    case 'raise_unit_timer':
    case 'raise_alarm':
    case 'check_in':
    case 'clear_unit_alert':
      return ['units', 'incidents']; // the alert list, and the trail of the unit's incident
    case 'assign_unit':
    case 'resolve_incident':
    case 'cancel_incident':
      return ['incidents', 'units', 'coverage'];
    case 'place_actor':
    case 'set_node_drained':
    case 'dismiss':
      return ['actors'];
    case 'retire_node_id':
    case 'record_operator_action':
    case 'issue_token':
    case 'revoke_token':
    case 'bench_note':
      return [];
    case 'report_actor_failed':
      return ['actors'];
    case 'propose_move_up':
    case 'approve_move_up':
    case 'decline_move_up':
      return ['moveUps', 'units', 'coverage'];
    case 'record_crowd_counts':
      return ['crowd'];
    case 'report_hazard':
    case 'push_hazard':
    case 'verify_hazard':
    case 'take_hazard_measure':
    case 'clear_hazard':
    case 'escalate_hazard':
      return ['hazards'];
    default: // reports, triage, escalation, mutual aid, plans, marks, notes
      return ['incidents'];
  }
}

// ---------------------------------------------------------------- live stream

/**
 * Follows /v1/events; every applied command moves the indexes, so the
 * cluster is always re-read. EventSource cannot send an Authorization
 * header, so the stream is a fetch whose body is read as it arrives. A
 * stream that ends (the node stopping) is opened again at once; one that
 * breaks or falls silent past STREAM_SILENCE_MS (the node sends a
 * keep-alive every 2 s) means its node is gone: the console moves to
 * another member and resumes there after the last event it saw. Any other
 * refusal is tried again after STREAM_RETRY_MS; a 401 ends the session.
 */
async function followEvents() {
  const controller = new AbortController();
  const current = { controller, heardAt: Date.now(), live: false, moved: false };
  stream = current;
  let next = STREAM_RETRY_MS;
  try {
    // Resuming after the last event seen: the node sends what was missed
    // (or `lagged` when it no longer keeps it) instead of a full reload.
    const resume = lastEventId === null ? {} : { 'last-event-id': lastEventId };
    const response = await fetch(serving.url('/v1/events'), {
      cache: 'no-store',
      signal: controller.signal,
      headers: { accept: 'text/event-stream', ...authorization(session.token), ...resume },
    });
    if (response.status === 401) {
      const body = await response.json().catch(() => null);
      logOut(body?.message ?? 'the node no longer accepts this token');
      return;
    }
    if (response.ok && response.body) {
      setLive('live');
      current.live = true;
      streamDownAt = Infinity;
      if (view.field) view.field.refresh();
      else if (lastEventId === null) {
        incidentsStale = true;
        requestRefresh(...ALL); // the first connection: read everything once
      }
      await readEvents(response.body, onEvent, () => { current.heardAt = Date.now(); });
      next = 0; // ended by the node (stopping): open it again at once
    }
  } catch {
    // The node stopped answering, the connection broke, or it fell silent
    // (unless the console already moved, which closed this stream).
    setLive('polling');
    if (!current.moved) await nodeLost(`node ${serving.nodeId}'s event stream broke or fell silent`);
    next = 0;
  }
  if (current.live) streamDownAt = Date.now();
  current.live = false;
  setLive('polling');
  setTimeout(followEvents, next);
}

/** The open event stream: its abort switch, when it was last heard, whether it is live. */
let stream = null;
/** When the last live stream ended (0: none was ever live). */
let streamDownAt = 0;

/** Aborts a live stream that has been silent too long (its node is paused or cut off). */
function watchStream() {
  if (stream?.live && Date.now() - stream.heardAt > STREAM_SILENCE_MS) stream.controller.abort();
}

/** The move under way, if any: concurrent failures wait for the same one. */
let moving = null;

/** The serving node does not answer: move to another member (once for all who noticed). */
function nodeLost(why) {
  moving ??= moveNode(why).finally(() => {
    moving = null;
  });
  return moving;
}

async function moveNode(why) {
  data.servingReachable = false;
  renderCluster(Date.now());
  for (;;) {
    const move = await serving.move(why);
    if (move) {
      data.servingReachable = true;
      announceMove(move);
      // A stream still open to the old node (paused, not dead) is closed;
      // followEvents opens the next one on the new node.
      if (stream) {
        stream.moved = true;
        stream.controller.abort();
      }
      // The stream resumes on the new node after the last event seen; the
      // lists are read there again, the incidents only as the stream says.
      if (view.field) view.field.refresh();
      else requestRefresh(...everything().filter((kind) => kind !== 'incidents'));
      return move;
    }
    errors.set('serving', `no member of the cluster answers (tried after: ${why}); trying again`);
    renderErrors();
    await new Promise((resolve) => setTimeout(resolve, MOVE_RETRY_MS));
  }
}

/** Says on screen which node the console moved from and to, when and why. */
function announceMove(move) {
  errors.delete('serving');
  renderErrors();
  const note = document.getElementById('moved');
  note.hidden = false;
  note.dataset.from = move.from;
  note.dataset.to = move.to;
  note.textContent = `moved from node ${move.from} at ${clock(move.at)}: it stopped answering`;
  document.getElementById('serving-node').textContent = `node ${move.to}`;
  note.title = move.why;
}

/** The log index of the last event received, sent as Last-Event-ID on reconnecting. */
let lastEventId = null;

function onEvent(type, data, id) {
  if (id) lastEventId = id;
  if (view.field) {
    refreshField();
    return;
  }
  if (type === 'applied') {
    const applied = JSON.parse(data);
    // An effect is `"name"` or `{"name": {...}}`; a refusal changed nothing.
    const [effect, detail] = typeof applied.effect === 'string'
      ? [applied.effect, null]
      : (Object.entries(applied.effect ?? {})[0] ?? [null, null]);
    const kinds = effect === 'rejected' || effect === 'raft_internal' ? [] : affectedBy(applied.action);
    if (kinds.includes('incidents')) {
      const ids = detail?.incident_id != null ? [detail.incident_id] : (applied.incidents ?? []);
      const unitIncident = ids.length === 0 && detail?.unit_id != null ? incidentOfUnit(detail.unit_id) : null;
      for (const id of ids) changedIncidents.add(id);
      if (unitIncident?.id != null) changedIncidents.add(unitIncident.id);
      // Changed, but which is not said (nor known from the unit): read the board.
      if (ids.length === 0 && !unitIncident) incidentsStale = true;
    }
    requestRefresh('cluster', ...kinds);
  } else if (type === 'lagged') {
    incidentsStale = true;
    requestRefresh(...ALL);
  }
}

/**
 * The incident a unit's alert or check-in touches: {id} with the number of
 * the incident it works (its trail has the step), {id: null} when it works
 * none (only the units change), null when the page does not know the unit.
 */
function incidentOfUnit(unitId) {
  const unit = (data.units ?? []).find((known) => known.id === unitId);
  if (!unit) return null;
  return { id: unit.assigned_to ? Number(unit.assigned_to.replace(/\D/g, '')) : null };
}

/**
 * Reads a text/event-stream body until it ends, calling `dispatch(type,
 * data, id)` for each event: `event:` names it, `data:` lines make its data,
 * `id:` its id (the log index), a blank line ends it, a line starting with `:` is a comment (the node's
 * keep-alive). Chunks may split lines anywhere, even a CR LF pair.
 * `heard()` is called on every chunk (keep-alives included).
 */
async function readEvents(body, dispatch, heard) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let pending = '';
  let type = 'message';
  let data = [];
  let id = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    heard();
    pending += decoder.decode(value, { stream: true });
    // A CR at the very end may be the first half of a CR LF: wait for more.
    const lines = pending.split(/\r\n|\r(?!$)|\n/);
    pending = lines.pop();
    for (const line of lines) {
      if (line === '') {
        if (data.length) dispatch(type, data.join('\n'), id);
        type = 'message';
        data = [];
        id = '';
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') type = text;
      else if (field === 'data') data.push(text);
      else if (field === 'id') id = text;
    }
  }
}

function setLive(state) {
  const badge = document.getElementById('live');
  const shown = data.servingReachable ? state : 'unreachable';
  badge.dataset.state = shown;
  badge.textContent = { live: 'live', polling: 'polling every 3 s', connecting: 'connecting', unreachable: 'node unreachable' }[shown];
}

// ---------------------------------------------------------------- rendering

function render(kinds) {
  const now = Date.now();
  if (kinds.includes('drills')) view.cluster.setDrills(data.drills);
  if (kinds.includes('units')) renderUnits();
  if (kinds.includes('coverage')) renderCoverage();
  if (kinds.includes('moveUps')) view.moveUps.render(data.moveUps);
  if (kinds.includes('crowd')) view.crowd.render(data.crowdCounts, data.crowdForecast);
  if (kinds.includes('hazards')) {
    view.hazards.render(data.hazards, now);
    view.map.setHazards(data.hazards?.hazards ?? []);
  }
  if (kinds.includes('incidents')) renderIncidents(now);
  renderCluster(now);
  renderErrors();
  document.body.dataset.ready = 'true';
}

function renderUnits() {
  view.map.setUnits(data.units);
  view.map.setFacilityStates(data.units, data.incidents);
  renderStatusLegend(data.units);
  view.alerts.render(data.units, data.incidents ?? []);
  // The drawer lists its incident's units with their statuses.
  if (selectedId) view.drawer.redraw();
}

function renderIncidents(now) {
  view.map.setIncidents(data.incidents, now);
  view.map.setFacilityStates(data.units, data.incidents);
  view.alerts.render(data.units ?? [], data.incidents);
  view.list.render(data.incidents, data.incidentsTotal, now, selectedId);
  renderHeat(now);
  if (selectedId) refreshDrawer(now);
}

function renderCluster(now) {
  const cluster = data.cluster;
  if (!cluster) return;
  view.cluster.render(cluster, data.actors, data.servingReachable, now);
  document.getElementById('serving-node').textContent = `node ${cluster.node_id}`;
  const role = document.getElementById('serving-role');
  role.textContent = data.servingReachable ? cluster.role : 'unreachable';
  role.className = `badge role-${data.servingReachable ? cluster.role : 'down'}`;
  if (!data.servingReachable) setLive('unreachable');
  else if (document.getElementById('live').dataset.state === 'unreachable') setLive('polling');
}

function renderHeat(now) {
  const minutes = Number(document.getElementById('heat-window').value);
  const counted = view.map.setHeat(data.incidents, minutes, now);
  document.getElementById('heat-note').textContent = minutes
    ? `${counted} reports in the last ${minutes} min (of the latest ${INCIDENTS_LISTED})`
    : 'off';
}

function renderCoverage() {
  const coverage = data.coverage;
  view.map.setCoverage(
    coverage,
    document.getElementById('gaps-ring3').checked,
    document.getElementById('gaps-ring4').checked,
  );
  const note = document.getElementById('coverage-note');
  if (!coverage) {
    note.textContent = 'Coverage not read yet.';
    return;
  }
  const ring = (n) => coverage.rings.find((r) => r.ring === n);
  const tighter = { 3: 'the pedestrian street', 4: 'the one-minute points' };
  const line = (r) => `ring ${r.ring} reaches ${(100 * r.demand_covered_share).toFixed(1)} % of the demand in time ` +
    `(${r.points_covered} of ${r.points_total} points; 60 s at ${tighter[r.ring]}) and ` +
    `${(100 * r.ring_target_share).toFixed(1)} % within its ${r.target_s} s`;
  note.dataset.ring3Share = ring(3).demand_covered_share;
  note.dataset.ring4Share = ring(4).demand_covered_share;
  note.dataset.ring4Promise = ring(4).ring_target_share;
  note.textContent = `Now ${line(ring(3))}; ${line(ring(4))}. ` +
    (coverage.regime === 'crowds' ? 'Crowd rules slow travel now. ' : '') +
    'Computed by the dispatch planner on the street graph from the available units; ' +
    'a shaded cell is demand no available unit of the ring reaches in time.';
}

function renderErrors() {
  const box = document.getElementById('errors');
  box.replaceChildren(...[...errors.values()].map((message) => {
    const line = document.createElement('div');
    line.textContent = message;
    return line;
  }));
  box.hidden = errors.size === 0;
}

// ---------------------------------------------------------------- incident drawer

function selectIncident(id) {
  selectedId = id;
  view.drawer.open(id);
  view.map.setSelected(id);
  for (const row of document.querySelectorAll('#incident-list .incident-row')) {
    row.classList.toggle('selected', row.dataset.id === id);
  }
  refreshDrawer(Date.now());
}

/**
 * The board holds incidents without their timelines: the drawer reads its
 * incident whole, again only when the board shows a newer version of it.
 */
async function refreshDrawer(now) {
  const id = selectedId;
  const listed = data.incidents.find((incident) => incident.id === id);
  const shown = view.drawer.incident;
  if (listed && shown?.id === id && shown.version === listed.version) {
    view.drawer.show(shown, now);
    return;
  }
  try {
    view.drawer.show(await getJson(`/v1/incidents/${encodeURIComponent(id)}`), Date.now());
  } catch (error) {
    if (selectedId === id) view.drawer.showError(error.message);
  }
}

/** A write as the caller that re-reads `kinds` once committed; what its control then says. */
function write(path, body, kinds, said) {
  const written = request('POST', path, body).then((answer) => {
    requestRefresh(...kinds);
    return answer;
  });
  return outcome(written, said);
}

/** A move of a hazard along the loop; the ledger records who and when. */
function moveHazard(id, verb, body) {
  return write(hazardPath(id, verb), body, ['hazards', 'units'], (a) => `Hazard ${id}: ${verb} at log index ${a.log_index}.`);
}

/** A dispatcher clears a unit's alert; the trail of its incident says who. */
function clearAlert(unitId) {
  return write(`/v1/units/${encodeURIComponent(unitId)}/alert/clear`, undefined, ['incidents', 'units', 'coverage'],
    (a) => `cleared at log index ${a.log_index}`);
}

/** A commander approves or declines a move-up; the ledger records who and when. */
function decideMoveUp(id, verb) {
  return write(`/v1/move-ups/${encodeURIComponent(id)}/${verb}`, undefined, ['moveUps', 'units', 'coverage'],
    (a) => `Move-up ${id} ${verb === 'approve' ? 'approved' : 'declined'} at log index ${a.log_index}.`);
}

/** A dispatcher resolves or cancels an incident with a reason; its units are released. */
function closeIncident(id, verb, reason) {
  return write(`/v1/incidents/${encodeURIComponent(id)}/${verb}`, { reason }, ['incidents', 'units', 'coverage'],
    (a) => `${verb === 'resolve' ? 'Resolved' : 'Cancelled'} at log index ${a.log_index}.`);
}

/** A commander amends a plan awaiting approval; the trail says who changed what. */
function amendPlan(id, change) {
  return write(`/v1/plans/${encodeURIComponent(id)}/amend`, change, ['incidents'], (a) => `Amended at log index ${a.log_index}.`);
}

/** A commander approves a major incident's plan; the ledger records who (this API client) and when. */
function approvePlan(id) {
  return write(`/v1/plans/${encodeURIComponent(id)}/approve`, undefined, ['incidents'],
    (a) => `Approval committed at log index ${a.log_index}.`);
}

/** Reads the roster of people and shows who is on duty in each area. */
async function refreshDuty() {
  try {
    view.duty.render(await getJson('/v1/roster'));
    errors.delete('roster');
  } catch (error) {
    errors.set('roster', `roster: ${error.message}`);
    renderErrors();
  }
}

/** What the drawer's dispatch controls call: reads and writes as the caller; a write refreshes what it moves. */
const dispatchApi = {
  getJson,
  units: () => data.units ?? [],
  async post(path, body) {
    const answer = await request('POST', path, body);
    requestRefresh('incidents', 'units', 'coverage');
    return answer;
  },
};

const DRILLED = { kill: 'killed', pause: 'paused', resume: 'resumed', restart: 'restarted' };

/** A node drill through this node (which forwards it to the demo's drill control); no confirmation, this is the demo. */
async function drillNode(id, action) {
  try {
    const answer = await request('POST', `/v1/drills/nodes/${encodeURIComponent(id)}/${encodeURIComponent(action)}`);
    requestRefresh('cluster', 'actors');
    if (answer.state === 'scheduled') {
      return {
        state: 'done',
        message: `node ${answer.node}: ${action} in ${answer.after_ms} ms (pid ${answer.pid}). It serves this console, ` +
          'which will move to another node when it stops answering.',
      };
    }
    const pid = action === 'restart' ? answer.pid : answer.previous_pid;
    return { state: 'done', message: `node ${answer.node}: ${DRILLED[action] ?? action} (pid ${pid}), now ${answer.state}.` };
  } catch (error) {
    return { state: 'failed', message: error.message };
  }
}

/** A search result: an incident opens in the drawer; a unit, street or place is marked on the map (a busy unit opens its incident too). */
function showFound(result) {
  if (result.kind === 'incident') {
    selectIncident(result.id);
    return;
  }
  if (data.district) view.map.showFound(result);
  if (result.kind === 'unit' && result.assignedTo) selectIncident(result.assignedTo);
}

function closeDrawer() {
  selectedId = null;
  view.map.setSelected(null);
  for (const row of document.querySelectorAll('#incident-list .incident-row.selected')) row.classList.remove('selected');
}

// ---------------------------------------------------------------- login

/**
 * Shows one screen: `login`, `console` (a caller that may read) or
 * `report-only` (a caller that may only report, such as the 110 gateway).
 */
function showScreen(screen) {
  document.body.dataset.screen = screen;
  document.getElementById('login').hidden = screen !== 'login';
  document.getElementById('report-only').hidden = screen !== 'report-only';
  document.getElementById('field').hidden = screen !== 'field';
  for (const id of ['console', 'district-name', 'search-box']) {
    document.getElementById(id).hidden = screen !== 'console';
  }
  for (const id of ['serving', 'live']) {
    document.getElementById(id).hidden = screen !== 'console' && screen !== 'field';
  }
  document.getElementById('principal').hidden = screen === 'login';
}

function showLogin(message) {
  showScreen('login');
  showLoginError(message);
  document.getElementById('login-token').focus();
}

function showLoginError(message) {
  const line = document.getElementById('login-error');
  line.textContent = message ?? '';
  line.hidden = !message;
}

/** Asks the node who the pasted token names; keeps the token in this tab only if it does. */
async function logIn(event) {
  event.preventDefault(); // the page never navigates (and its CSP allows no form action)
  const input = document.getElementById('login-token');
  const button = document.getElementById('login-button');
  const token = input.value.trim();
  if (!token) {
    showLoginError('Paste a token first: it reads cordon1.<16 hex digits>.<64 hex digits>.');
    return;
  }
  button.disabled = true;
  try {
    const who = await send('GET', '/v1/whoami', token);
    sessionStorage.setItem(TOKEN_KEY, token);
    input.value = '';
    start(token, who);
  } catch (error) {
    // A 401's message says what is wrong with the token; anything else, what failed.
    showLoginError(error.status === 401 ? error.reason : error.message);
  } finally {
    button.disabled = false;
  }
}

let loggingOut = false;

/**
 * Ends the session: forgets the token and reloads the page, so nothing of
 * this caller (the token held by closures, the records it read, timers, the
 * event stream) outlives it in memory or on the page. `reason`, if any, is
 * shown on the login screen.
 */
function logOut(reason) {
  if (loggingOut) return;
  loggingOut = true;
  sessionStorage.removeItem(TOKEN_KEY);
  if (reason) sessionStorage.setItem(LOGGED_OUT_KEY, reason);
  location.reload();
}

/** The caller as whoami names it; a caller that may not read sees only a note. */
function start(token, who) {
  session = { token, principal: who.principal, rights: new Set(who.rights) };
  const { name, roles } = who.principal;
  document.getElementById('principal-name').textContent = `${name} (${roles.join(', ')})`;
  if (!may('read')) {
    document.getElementById('report-only-who').textContent = name;
    showScreen('report-only');
    return;
  }
  // A unit's own terminal gets the field screen, not the dispatch board.
  const units = roles.filter((role) => role.startsWith('field:')).map((role) => role.slice('field:'.length));
  // A member of the community forces on their phone: their team's field screen.
  const members = roles.filter((role) => role.startsWith('member:')).map((role) => role.slice('member:'.length));
  if (units.length + members.length === roles.length) {
    showScreen('field');
    document.getElementById('serving-node').textContent = `node ${who.node}`;
    document.getElementById('serving-role').hidden = true;
    if (units.length) startField(units[0], null);
    else memberTeam(members[0]).then((member) => startField(member?.team ?? null, member ?? { id: members[0] }));
    return;
  }
  showScreen('console');
  startConsole();
}

/** The member `id` on the roster (with their team), or null when the roster does not name them. */
async function memberTeam(id) {
  const roster = await getJson('/v1/roster').catch(() => ({ members: [] }));
  return roster.members.find((member) => member.id === id) ?? null;
}

/**
 * The field screen of `unitId` (a member's team, or null for a member in
 * no team), and of `member` when a member holds the phone: read now, and
 * again whenever the stream says anything changed.
 */
function startField(unitId, member) {
  // The field screen reads and writes for itself (no board to refresh).
  const fieldApi = { getJson, post: (path, body) => request('POST', path, body) };
  view.field = new FieldScreen(document.getElementById('field'), fieldApi, unitId, member);
  view.field.refresh();
  // The members to move to if this node stops answering.
  getJson('/v1/cluster').then((cluster) => serving.learn(cluster)).catch(() => {});
  followEvents();
  setInterval(watchStream, STREAM_CHECK_MS);
}

let fieldRefreshTimer = null;

/** Re-reads the field screen at most every REFRESH_SPACING_MS. */
function refreshField() {
  fieldRefreshTimer ??= setTimeout(() => {
    fieldRefreshTimer = null;
    view.field.refresh();
  }, REFRESH_SPACING_MS);
}

// ---------------------------------------------------------------- boot

/** The district model is needed before anything can be drawn; retry until the node answers. */
async function loadDistrict() {
  for (;;) {
    try {
      return await getJson('/v1/district');
    } catch (error) {
      errors.set('district', error.message);
      renderErrors();
      await new Promise((resolve) => setTimeout(resolve, DISTRICT_RETRY_MS));
    }
  }
}

/** Draws the street map once; the map works without it until it arrives. */
async function loadStreets() {
  try {
    data.streets = await getJson('/v1/district/streets');
    view.map.setStreets(data.streets);
    errors.delete('streets');
  } catch (error) {
    errors.set('streets', `streets: ${error.message}`);
    renderErrors();
  }
}

/** The crowd chart's choice of areas: the sensitive areas with a capacity. */
function fillCrowdAreas(district) {
  const select = document.getElementById('crowd-area');
  const areas = district.sensitive_areas.filter((area) => area.crowd_capacity);
  select.replaceChildren(...areas.map((area) => el('option', { value: area.id, text: area.name })));
  requestRefresh('crowd');
}

function wireControls() {
  document.getElementById('crowd-area').addEventListener('change', () => requestRefresh('crowd'));
  document.getElementById('heat-window').addEventListener('change', () => renderHeat(Date.now()));
  document.getElementById('gaps-ring3').addEventListener('change', renderCoverage);
  document.getElementById('gaps-ring4').addEventListener('change', renderCoverage);
  document.getElementById('show-labels').addEventListener('change', (event) => view.map.setLabels(event.target.checked));
  document.getElementById('map-controls').addEventListener('submit', (event) => event.preventDefault());
}

/** Once a second: clocks and countdowns only, from data already held. */
function tick() {
  const now = Date.now();
  document.getElementById('clock').textContent = clock(now);
  view.map.tick(now);
  view.list.tick(now);
  view.drawer.tick(now);
}

/** Everything to re-read: the drill offer too while unknown, for a caller that may drill. */
function everything() {
  // What drills a node offers is fixed while it runs: re-read only until known.
  return may('drill') && !data.drills ? ['drills', ...ALL] : ALL;
}

/** The console proper, for a caller that may read; controls only as its rights allow. */
async function startConsole() {
  view.map = new MapView(document.getElementById('map'), selectIncident);
  view.cluster = new ClusterPanel({ drillNode });
  view.list = new IncidentList(selectIncident);
  view.moveUps = new MoveUpPanel(may('approve_move_up') ? decideMoveUp : null);
  view.duty = new DutyPanel(document.getElementById('duty-panel'));
  refreshDuty();
  setInterval(refreshDuty, DUTY_REFRESH_MS);
  view.alerts = new AlertPanel(document.getElementById('alerts-panel'), may('dispatch') ? clearAlert : null, selectIncident);
  view.crowd = new CrowdChart(document.getElementById('crowd-chart'), document.getElementById('crowd-note'));
  view.hazards = new HazardPanel(may('handle_hazards') ? moveHazard : null, () => data.units ?? []);
  view.drawer = new Drawer({
    approvePlan: may('approve_plan') ? approvePlan : null,
    amendPlan: may('approve_plan') ? amendPlan : null,
    closeIncident: may('close_incident') ? closeIncident : null,
    dispatch: may('dispatch') ? new DispatchActions(dispatchApi, () => view.drawer.redraw(), may('update_unit')) : null,
    publicInfo: new PublicInfoSection(may('approve_plan') ? (path, body) => dispatchApi.post(path, body) : null, () => view.drawer.redraw()),
    command: new CommandSection(dispatchApi, {
      mayAsk: may('dispatch') && session.principal.roles.some((role) => role.startsWith('station:')),
      mayCommand: may('command_district'),
    }, () => view.drawer.redraw()),
    onClose: closeDrawer,
  });
  if (may('report')) {
    document.getElementById('report-panel').hidden = false;
    view.report = new ReportForm(document.getElementById('report-body'), () => ({ streets: data.streets, district: data.district }),
      (body) => dispatchApi.post('/v1/incidents', body), selectIncident);
  }
  view.search = new Search(document.getElementById('search'), document.getElementById('search-results'),
    () => ({ incidents: data.incidents, units: data.units, streets: data.streets, district: data.district }), showFound);
  wireControls();
  tick();
  setInterval(tick, TICK_MS);
  setInterval(watchStream, STREAM_CHECK_MS);
  const district = await loadDistrict();
  data.district = district;
  errors.delete('district');
  document.getElementById('district-name').textContent = district.name;
  document.title = `Cordon · ${district.name}`;
  view.map.setDistrict(district);
  loadStreets();
  view.hazards.offsetMin = district.utc_offset_min ?? 0;
  fillCrowdAreas(district);
  requestRefresh(...everything());
  followEvents();
  // While the stream is live it says what changed; only the cluster's own
  // state (peers, lag) is re-read on the clock. Without it, everything is.
  // A move to another node is not a gap: the stream resumes there.
  setInterval(() => {
    if (stream?.live) requestRefresh('cluster');
    else if (!moving && Date.now() - streamDownAt >= FALLBACK_REFRESH_MS) {
      incidentsStale = true;
      requestRefresh(...everything());
    }
  }, FALLBACK_REFRESH_MS);
}

/** Resumes the session this tab holds (the page was reloaded), or asks for a token. */
async function boot() {
  document.getElementById('login-form').addEventListener('submit', logIn);
  document.getElementById('logout').addEventListener('click', () => logOut(null));
  const reason = sessionStorage.getItem(LOGGED_OUT_KEY);
  sessionStorage.removeItem(LOGGED_OUT_KEY);
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) {
    showLogin(reason);
    return;
  }
  try {
    start(token, await send('GET', '/v1/whoami', token));
  } catch (error) {
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin(error.status === 401 ? error.reason : `Log in again: ${error.message}`);
  }
}

boot();
