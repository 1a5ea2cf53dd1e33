// The console's data flow. Everything comes from the JSON API of the node
// serving this page (same origin, no other host is ever contacted):
//   GET /v1/district and /v1/drills once; /v1/units, /v1/incidents,
//   /v1/actors and /v1/cluster on demand; the /v1/events stream says when
//   to re-read what. Drill buttons POST to this node too, which forwards
//   them to the demo's drill control.
// Refreshes triggered by the stream are throttled (at most one every
// 500 ms) because a busy ledger applies hundreds of commands a second and
// the page only needs to look current; a slow periodic refresh (3 s) keeps
// the page right when the stream is down or an event was dropped.

import { clock } from './format.js';
import { COVERAGE_CELL_M, MapView, TRAVEL } from './map.js';
import { ClusterPanel, Drawer, IncidentList, renderStatusLegend } from './panels.js';

const INCIDENTS_LISTED = 200;
const REFRESH_SPACING_MS = 500;
const FALLBACK_REFRESH_MS = 3000;
const STREAM_RETRY_MS = 3000;
const DISTRICT_RETRY_MS = 2000;
const TICK_MS = 1000;
const ALL = ['cluster', 'units', 'incidents', 'actors'];

const data = {
  units: [],
  incidents: [],
  incidentsTotal: 0,
  actors: null,
  cluster: null,
  drills: null, // GET /v1/drills: {actors, nodes}; fixed while the node runs
  servingReachable: true,
};
const errors = new Map();
const view = {};
let selectedId = null;

// ---------------------------------------------------------------- API

/** A failed request; `unreachable` when the node did not answer at all. */
class ApiError extends Error {
  constructor(message, unreachable) {
    super(message);
    this.unreachable = unreachable;
  }
}

async function request(method, path) {
  let response;
  try {
    // A change says it is JSON (even with no body): the node refuses any
    // other state-changing request, so no other site can forge one.
    const headers = method === 'GET'
      ? { accept: 'application/json' }
      : { accept: 'application/json', 'content-type': 'application/json' };
    response = await fetch(path, { method, cache: 'no-store', headers });
  } catch (error) {
    throw new ApiError(`${path}: this node does not answer (${error.message})`, true);
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    // The API's errors are {code, message}; the message says what to do.
    throw new ApiError(`${path}: ${body?.code ?? response.status}: ${body?.message ?? response.statusText}`, false);
  }
  return body;
}

const getJson = (path) => request('GET', path);

const LOADERS = {
  cluster: async () => {
    data.cluster = await getJson('/v1/cluster');
  },
  units: async () => {
    data.units = (await getJson('/v1/units')).units;
  },
  incidents: async () => {
    const answer = await getJson(`/v1/incidents?limit=${INCIDENTS_LISTED}`);
    data.incidents = answer.incidents;
    data.incidentsTotal = answer.total;
  },
  actors: async () => {
    data.actors = (await getJson('/v1/actors')).actors;
  },
  drills: async () => {
    data.drills = await getJson('/v1/drills');
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

/** Marks datasets stale; they are re-read together, at most every REFRESH_SPACING_MS. */
function requestRefresh(...kinds) {
  for (const kind of kinds) dirty.add(kind);
  if (refreshTimer !== null || refreshing) return; // the running or planned refresh will pick them up
  const wait = Math.max(0, lastRefreshAt + REFRESH_SPACING_MS - Date.now());
  refreshTimer = setTimeout(runRefresh, wait);
}

async function runRefresh() {
  refreshTimer = null;
  refreshing = true;
  lastRefreshAt = Date.now();
  const kinds = [...dirty];
  dirty.clear();
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
      return ['units'];
    case 'assign_unit':
    case 'resolve_incident':
    case 'cancel_incident':
      return ['incidents', 'units'];
    case 'place_actor':
    case 'set_node_drained':
    case 'dismiss':
      return ['actors'];
    case 'retire_node_id':
      return [];
    default: // reports, triage, escalation, mutual aid, plans
      return ['incidents'];
  }
}

// ---------------------------------------------------------------- live stream

/** Follows /v1/events; every applied command moves the indexes, so the cluster is always re-read. */
function followEvents() {
  const stream = new EventSource('/v1/events');
  stream.addEventListener('open', () => {
    setLive('live');
    requestRefresh(...ALL); // whatever happened while disconnected
  });
  stream.addEventListener('applied', (event) => {
    const applied = JSON.parse(event.data);
    requestRefresh('cluster', ...affectedBy(applied.action));
  });
  stream.addEventListener('lagged', () => requestRefresh(...ALL));
  stream.addEventListener('error', () => {
    // EventSource retries by itself unless the answer was not a stream.
    setLive('polling');
    if (stream.readyState === EventSource.CLOSED) setTimeout(followEvents, STREAM_RETRY_MS);
  });
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
  if (kinds.includes('incidents')) renderIncidents(now);
  renderCluster(now);
  renderErrors();
  document.body.dataset.ready = 'true';
}

function renderUnits() {
  view.map.setUnits(data.units);
  renderStatusLegend(data.units);
  renderCoverage();
}

function renderIncidents(now) {
  view.map.setIncidents(data.incidents, now);
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
  const gaps = view.map.setCoverage(
    data.units,
    document.getElementById('gaps-ring3').checked,
    document.getElementById('gaps-ring4').checked,
  );
  const m = TRAVEL.modes;
  const t = view.map.ringTargets;
  document.getElementById('coverage-note').textContent =
    `Now ${gaps.ring3} of ${gaps.cells} cells lack ring 3, ${gaps.ring4} lack ring 4. ` +
    `A ${COVERAGE_CELL_M} m cell is a gap when no available unit of the ring reaches it within its target ` +
    `(ring 3: ${t.get(3)} s, ring 4: ${t.get(4)} s, less on the pedestrian street and at one-minute points), ` +
    `by straight line × ${TRAVEL.detour} at ${m.foot.speed_m_per_s} (foot), ${m.e_cart.speed_m_per_s} (e-cart), ` +
    `${m.car.speed_m_per_s} (car) m/s plus turnout. Dispatch itself routes on the street grid.`;
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

/** Uses the listed copy when the incident is among the latest; reads it alone otherwise. */
async function refreshDrawer(now) {
  const id = selectedId;
  const listed = data.incidents.find((incident) => incident.id === id);
  if (listed) {
    view.drawer.show(listed, now);
    return;
  }
  try {
    view.drawer.show(await getJson(`/v1/incidents/${encodeURIComponent(id)}`), Date.now());
  } catch (error) {
    if (selectedId === id) view.drawer.showError(error.message);
  }
}

/** A commander approves a major incident's plan; the ledger records who (this API client) and when. */
async function approvePlan(id) {
  try {
    const answer = await request('POST', `/v1/plans/${encodeURIComponent(id)}/approve`);
    requestRefresh('incidents');
    return { state: 'done', message: `Approval committed at log index ${answer.log_index}.` };
  } catch (error) {
    return { state: 'failed', message: error.message };
  }
}

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
          'which will stop answering: open another node\'s console to watch the failover.',
      };
    }
    const pid = action === 'restart' ? answer.pid : answer.previous_pid;
    return { state: 'done', message: `node ${answer.node}: ${DRILLED[action] ?? action} (pid ${pid}), now ${answer.state}.` };
  } catch (error) {
    return { state: 'failed', message: error.message };
  }
}

function closeDrawer() {
  selectedId = null;
  view.map.setSelected(null);
  for (const row of document.querySelectorAll('#incident-list .incident-row.selected')) row.classList.remove('selected');
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

function wireControls() {
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

async function boot() {
  view.map = new MapView(document.getElementById('map'), selectIncident);
  view.cluster = new ClusterPanel({ drillNode });
  view.list = new IncidentList(selectIncident);
  view.drawer = new Drawer({ approvePlan, onClose: closeDrawer });
  wireControls();
  tick();
  setInterval(tick, TICK_MS);
  const district = await loadDistrict();
  errors.delete('district');
  document.getElementById('district-name').textContent = district.name;
  document.title = `Cordon · ${district.name}`;
  view.map.setDistrict(district);
  requestRefresh('drills', ...ALL);
  followEvents();
  // What drills a node offers is fixed while it runs: re-read only until known.
  setInterval(() => requestRefresh(...(data.drills ? ALL : ['drills', ...ALL])), FALLBACK_REFRESH_MS);
}

boot();
