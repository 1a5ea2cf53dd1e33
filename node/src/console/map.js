// The district map: one SVG drawn from GET /v1/district, with units,
// open incidents, a call heat map and coverage gaps on top. Drawn in metres
// (an equirectangular projection fitted to the district's bounds), so grid
// cells and distances are plain arithmetic; a district is a few kilometres
// across, where the projection's error is far below the model's +/-200 m.

import { svg, UNIT_STATUSES, OPEN_INCIDENT_STATUSES, deadlineState, words } from './format.js';

const M_PER_DEG_LAT = 110_574;
const M_PER_DEG_LON_AT_EQUATOR = 111_320;

/** Side of a call heat cell. */
const HEAT_CELL_M = 250;
const STATUS_COLOUR = new Map(UNIT_STATUSES.map(([status, , colour]) => [status, colour]));

/** Equirectangular projection of [lat, lon] to metres east and south of the bounds' north-west corner. */
export class Projection {
  constructor(bounds) {
    const lats = bounds.map((p) => p[0]);
    const lons = bounds.map((p) => p[1]);
    this.north = Math.max(...lats);
    this.west = Math.min(...lons);
    const south = Math.min(...lats);
    const east = Math.max(...lons);
    const midLatRad = ((this.north + south) / 2) * (Math.PI / 180);
    this.kx = M_PER_DEG_LON_AT_EQUATOR * Math.cos(midLatRad);
    this.ky = M_PER_DEG_LAT;
    this.width = (east - this.west) * this.kx;
    this.height = (this.north - south) * this.ky;
  }

  xy([lat, lon]) {
    return [(lon - this.west) * this.kx, (this.north - lat) * this.ky];
  }
}

/** Ray casting on projected points; good enough for district-sized polygons. */
function contains(polygon, [x, y]) {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i];
    const [xj, yj] = polygon[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function pointsAttr(points) {
  return points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
}

function centroid(points) {
  const sum = points.reduce(([sx, sy], [x, y]) => [sx + x, sy + y], [0, 0]);
  return [sum[0] / points.length, sum[1] / points.length];
}

/** The street classes whose names the map writes. */
const STREET_CLASSES_NAMED = new Set(['arterial', 'main', 'street']);
/** Street names' size, in the map's nominal pixels. */
const STREET_NAME_EM = 7;

export class MapView {
  /**
   * @param {SVGSVGElement} root the #map element
   * @param {(id: string) => void} onSelectIncident called when an incident marker is clicked
   */
  constructor(root, onSelectIncident) {
    this.root = root;
    this.onSelectIncident = onSelectIncident;
    this.layers = {};
    // Paint order: what an operator must never lose sight of (units,
    // incidents) goes last, on top of the shaded overlays.
    for (const name of ['base', 'heat', 'gaps', 'areas', 'zones', 'streets', 'axes', 'points', 'facilities', 'labels', 'posts', 'hazards', 'units', 'incidents', 'found']) {
      this.layers[name] = root.appendChild(svg('g', { id: `layer-${name}`, class: 'layer' }));
    }
    this.unitNodes = new Map();
    this.incidentNodes = new Map();
    this.incidents = new Map();
    this.selectedId = null;
  }

  /** Draws everything that comes from the district model; called once. */
  setDistrict(district) {
    this.district = district;
    this.proj = new Projection(district.bounds);
    const { width, height } = this.proj;
    const pad = Math.max(width, height) * 0.03;
    this.root.setAttribute('viewBox', `${-pad} ${-pad} ${width + 2 * pad} ${height + 2 * pad}`);
    this.root.setAttribute('preserveAspectRatio', 'xMidYMid meet');
    // One "nominal pixel" in metres: marker and text sizes scale with the
    // district so a bigger district does not get microscopic markers.
    this.u = Math.max(width, height) / 850;
    this.outline = district.bounds.map((p) => this.proj.xy(p));
    this.drawOutline();
    this.drawZones(district.stations);
    this.drawAreas(district.sensitive_areas);
    this.drawAxes(district.axes);
    this.drawPoints(district.one_minute_points);
    this.drawFacilities(district.hospitals, 'hospital');
    this.drawFacilities(district.safe_houses, 'safe-house');
  }

  drawOutline() {
    this.layers.base.append(svg('polygon', { id: 'district-outline', points: pointsAttr(this.outline) }));
  }

  drawZones(stations) {
    for (const station of stations) {
      for (const zone of station.zones) {
        const polygon = svg('polygon', {
          class: 'zone', 'data-station': station.id, 'data-zone': zone.id,
          points: pointsAttr(zone.polygon.map((p) => this.proj.xy(p))),
        }, svg('title', { text: `${zone.name} (${station.name})` }));
        this.layers.zones.append(polygon);
      }
      const [x, y] = this.proj.xy(station.position);
      this.layers.labels.append(svg('text', {
        class: 'station-label', x, y, 'font-size': 10 * this.u, 'text-anchor': 'middle',
        text: station.name.replace(/ Police Station$/, ''),
      }));
    }
  }

  drawAreas(areas) {
    for (const area of areas) {
      const points = area.polygon.map((p) => this.proj.xy(p));
      const target = area.on_scene_target_s ? `, on scene within ${area.on_scene_target_s} s` : '';
      this.layers.areas.append(svg('polygon', {
        class: 'area', 'data-id': area.id, points: pointsAttr(points),
      }, svg('title', { text: `${area.name}${target}` })));
      const [x, y] = centroid(points);
      this.layers.labels.append(svg('text', {
        class: 'area-label', x, y: y + 14 * this.u, 'font-size': 9 * this.u, 'text-anchor': 'middle', text: area.name,
      }));
    }
  }

  /**
   * Draws the street map (`GET /v1/district/streets`): every piece of every
   * way by its class, and the name of each arterial, main road and street
   * once, along its longest piece (turned to read left to right).
   */
  setStreets(map) {
    const lines = [];
    const names = [];
    for (const way of map.ways) {
      let longest = null;
      let total = 0;
      for (const [a, b] of way.segments) {
        const [x1, y1] = this.proj.xy(a);
        const [x2, y2] = this.proj.xy(b);
        lines.push(svg('line', { class: `street street-${way.class}`, 'data-way': way.id, x1, y1, x2, y2 }));
        const length = Math.hypot(x2 - x1, y2 - y1);
        total += length;
        if (!longest || length > longest.length) longest = { x1, y1, x2, y2, length };
      }
      // A name goes on a street at least as long as the name is wide.
      const nameWidth = STREET_NAME_EM * 0.55 * way.name.length * this.u;
      if (longest && STREET_CLASSES_NAMED.has(way.class) && total > nameWidth) {
        names.push(this.streetName(way, longest));
      }
    }
    this.layers.streets.replaceChildren(...lines);
    this.layers.labels.append(...names);
  }

  /** A way's name at the middle of `piece`, upright. */
  streetName(way, { x1, y1, x2, y2 }) {
    let angle = Math.atan2(y2 - y1, x2 - x1) * 180 / Math.PI;
    if (angle > 90) angle -= 180;
    if (angle < -90) angle += 180;
    const [x, y] = [(x1 + x2) / 2, (y1 + y2) / 2];
    return svg('text', {
      class: 'street-name', 'data-way': way.id, x, y, dy: -2 * this.u, 'font-size': STREET_NAME_EM * this.u,
      'text-anchor': 'middle', transform: `rotate(${angle.toFixed(1)} ${x.toFixed(1)} ${y.toFixed(1)})`,
      text: way.name,
    });
  }

  drawAxes(axes) {
    for (const axis of axes) {
      this.layers.axes.append(svg('polyline', {
        class: 'axis', 'data-id': axis.id, points: pointsAttr(axis.line.map((p) => this.proj.xy(p))),
      }, svg('title', { text: axis.name })));
    }
  }

  drawPoints(points) {
    const s = 5 * this.u;
    for (const point of points) {
      const [x, y] = this.proj.xy(point.position);
      const title = svg('title', { text: `${point.name}: one-minute point, ${point.on_scene_target_s} s within ${point.cover_radius_m} m` });
      this.layers.points.append(
        svg('circle', { class: 'point-cover', cx: x, cy: y, r: point.cover_radius_m }),
        svg('rect', {
          class: 'point', 'data-id': point.id, x: x - s, y: y - s, width: 2 * s, height: 2 * s,
          transform: `rotate(45 ${x} ${y})`,
        }, title),
      );
    }
  }

  drawFacilities(facilities, kind) {
    const s = 4 * this.u;
    for (const facility of facilities) {
      const [x, y] = this.proj.xy(facility.position);
      // A cross for hospitals, a little house for safe houses: told apart in
      // black and white as well as in colour.
      const d = kind === 'hospital'
        ? `M${x - s},${y}h${2 * s}M${x},${y - s}v${2 * s}`
        : `M${x - s},${y + s}v${-s}l${s},${-s}l${s},${s}v${s}z`;
      this.layers.facilities.append(svg('path', { class: `facility ${kind}`, 'data-id': facility.id, d },
        svg('title', { text: facility.name })));
    }
  }

  /** Shows or hides station and area names. */
  setLabels(show) {
    this.root.classList.toggle('no-labels', !show);
  }

  /** Moves, recolours, adds and removes unit dots; a dot glides to a new position (CSS transition). */
  setUnits(units) {
    const seen = new Set();
    for (const unit of units) {
      seen.add(unit.id);
      let node = this.unitNodes.get(unit.id);
      const fresh = !node;
      if (fresh) node = this.createUnit(unit);
      this.updateUnit(node, unit);
      if (fresh) {
        this.layers.units.append(node);
        this.unitNodes.set(unit.id, node);
      }
    }
    for (const [id, node] of this.unitNodes) {
      if (!seen.has(id)) {
        node.remove();
        this.unitNodes.delete(id);
      }
    }
    this.units = units;
    this.drawPosts(units);
  }

  /**
   * The posts move-ups gave units: a hollow ring at the post and, while the
   * unit is away from it, a dashed line from the unit to its post.
   */
  drawPosts(units) {
    const u = this.u;
    const marks = [];
    for (const unit of units) {
      const post = unit.post;
      if (!post) continue;
      const [px, py] = this.proj.xy([post.lat, post.lon]);
      const [x, y] = this.proj.xy([unit.lat, unit.lon]);
      if (Math.hypot(px - x, py - y) > 25) {
        marks.push(svg('line', {
          class: 'post-link', 'data-unit': unit.id,
          x1: x.toFixed(1), y1: y.toFixed(1), x2: px.toFixed(1), y2: py.toFixed(1),
        }));
      }
      marks.push(svg('circle', {
        class: 'post', 'data-unit': unit.id,
        'data-move-up': post.move_up_id ?? '', 'data-hazard': post.hazard_id ?? '',
        cx: px.toFixed(1), cy: py.toFixed(1), r: 7 * u,
      }, svg('title', { text: `${unit.id}'s post: ${post.name} (${postReason(post)})` })));
    }
    this.layers.posts.replaceChildren(...marks);
  }

  createUnit(unit) {
    const u = this.u;
    // Shape says the ring (square: ring 4 vehicles, dot: ring 3 patrols,
    // small dot: community rings 1-2); colour says the status.
    const shape = unit.ring === 4
      ? svg('rect', { class: 'dot', x: -4.5 * u, y: -4.5 * u, width: 9 * u, height: 9 * u })
      : svg('circle', { class: 'dot', r: (unit.ring === 3 ? 4.5 : 2.8) * u });
    return svg('g', { class: 'unit', 'data-id': unit.id }, shape, svg('title'));
  }

  updateUnit(node, unit) {
    const [x, y] = this.proj.xy([unit.lat, unit.lon]);
    node.dataset.status = unit.status;
    node.dataset.ring = unit.ring;
    node.dataset.assignedTo = unit.assigned_to ?? '';
    node.dataset.post = unit.post?.name ?? '';
    node.style.transform = `translate(${x.toFixed(1)}px, ${y.toFixed(1)}px)`;
    node.firstChild.setAttribute('fill', STATUS_COLOUR.get(unit.status) ?? '#000');
    const assignment = unit.assigned_to ? `, assigned to ${unit.assigned_to}` : '';
    const post = unit.post ? `; post ${unit.post.name} (${postReason(unit.post)})` : '';
    node.lastChild.textContent = `${unit.id} (ring ${unit.ring}): ${words(unit.status)}${assignment}${post}`;
  }

  /** Draws the open incidents; closed ones leave the map (they stay in the heat map). */
  setIncidents(incidents, now) {
    const open = incidents.filter((incident) => OPEN_INCIDENT_STATUSES.has(incident.status));
    // Highest priority painted last, so it sits on top of a cluster of markers.
    open.sort((a, b) => a.priority - b.priority || a.id.localeCompare(b.id));
    this.incidents = new Map(open.map((incident) => [incident.id, incident]));
    for (const [id, node] of this.incidentNodes) {
      if (!this.incidents.has(id)) {
        node.remove();
        this.incidentNodes.delete(id);
      }
    }
    for (const incident of open) {
      let node = this.incidentNodes.get(incident.id);
      if (!node) {
        node = this.createIncident(incident);
        this.incidentNodes.set(incident.id, node);
      }
      this.updateIncident(node, incident, now);
      this.layers.incidents.append(node); // (re)appending keeps the paint order
    }
  }

  createIncident(incident) {
    const u = this.u;
    const [x, y] = this.proj.xy([incident.lat, incident.lon]);
    const node = svg('g', { class: 'incident', 'data-id': incident.id, transform: `translate(${x} ${y})`, tabindex: 0 },
      svg('circle', { class: 'halo', r: 11 * u }),
      svg('circle', { class: 'core', r: 7 * u }),
      svg('text', { class: 'ring-number', 'font-size': 9 * u, 'text-anchor': 'middle', dy: 3.2 * u }),
      svg('text', { class: 'countdown', 'font-size': 10 * u, x: 13 * u, dy: 3.5 * u }),
      svg('title'));
    node.addEventListener('click', () => this.onSelectIncident(incident.id));
    node.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') this.onSelectIncident(incident.id);
    });
    return node;
  }

  updateIncident(node, incident, now) {
    node.dataset.status = incident.status;
    node.dataset.ring = incident.ring ?? '';
    node.dataset.priority = incident.priority;
    node.dataset.units = incident.units.join(',');
    node.dataset.major = incident.major;
    node.classList.toggle('major', incident.major);
    node.classList.toggle('selected', incident.id === this.selectedId);
    node.querySelector('.ring-number').textContent = incident.ring ?? '?';
    node.querySelector('title').textContent =
      `${incident.id} ${words(incident.kind)}: ${words(incident.status)}, ring ${incident.ring ?? '?'}, priority ${incident.priority}`;
    this.updateCountdown(node, incident, now);
  }

  updateCountdown(node, incident, now) {
    const deadline = deadlineState(incident, now);
    node.classList.toggle('breached', deadline.breached);
    node.dataset.breached = deadline.breached;
    // Short on the map, where dozens of labels may crowd a street: a tick
    // once on scene, a dash before the first assignment sets a deadline.
    const short = deadline.arrived ? '✓' : incident.on_scene_deadline_ms ? deadline.label : '–';
    node.querySelector('.countdown').textContent = `P${incident.priority} ${short}`;
  }

  /** Called every second: only countdown texts change, nothing is fetched. */
  tick(now) {
    for (const [id, node] of this.incidentNodes) this.updateCountdown(node, this.incidents.get(id), now);
  }

  /** Marks a unit, street or place a search found, until the next one. */
  showFound(result) {
    for (const line of this.layers.streets.querySelectorAll('.street.found')) line.classList.remove('found');
    if (result.kind === 'street') {
      for (const line of this.layers.streets.querySelectorAll(`[data-way="${CSS.escape(result.id)}"]`)) line.classList.add('found');
    }
    const [x, y] = this.proj.xy([result.lat, result.lon]);
    this.layers.found.replaceChildren(
      svg('circle', { class: 'found-ring', cx: x, cy: y, r: 14 * this.u }),
      svg('text', { class: 'found-label', x, y: y - 18 * this.u, 'text-anchor': 'middle', 'font-size': 10 * this.u, text: result.label }));
  }

  setSelected(id) {
    this.selectedId = id;
    for (const [nodeId, node] of this.incidentNodes) node.classList.toggle('selected', nodeId === id);
  }

  /**
   * Call heat: incidents reported within the window, counted per square
   * cell and drawn as translucent cells, darker where calls concentrate.
   * Returns how many reports were counted.
   */
  setHeat(incidents, windowMinutes, now) {
    this.layers.heat.replaceChildren();
    if (!windowMinutes) return 0;
    const since = now - windowMinutes * 60_000;
    const counts = new Map();
    for (const incident of incidents) {
      if (incident.reported_at_ms < since) continue;
      const [x, y] = this.proj.xy([incident.lat, incident.lon]);
      const key = `${Math.floor(x / HEAT_CELL_M)},${Math.floor(y / HEAT_CELL_M)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const max = Math.max(1, ...counts.values());
    let counted = 0;
    for (const [key, count] of counts) {
      counted += count;
      const [cx, cy] = key.split(',').map(Number);
      this.layers.heat.append(svg('rect', {
        class: 'heat-cell', 'data-count': count,
        x: cx * HEAT_CELL_M, y: cy * HEAT_CELL_M, width: HEAT_CELL_M, height: HEAT_CELL_M,
        'fill-opacity': (0.15 + 0.6 * (count / max)).toFixed(2),
      }, svg('title', { text: `${count} report${count === 1 ? '' : 's'} in the last ${windowMinutes} min` })));
    }
    return counted;
  }

  /**
   * Coverage gaps as GET /v1/coverage gives them: the demand points each
   * police ring does not reach within its target, computed by the
   * dispatch planner on the street graph. A zone cell or area sample is a
   * square of its side; a one-minute point's sample a small disc.
   */
  /**
   * The open hazards: a warning triangle where each was seen, or at the
   * middle of its area; a crowd warning's area outlined in its band.
   */
  setHazards(hazards) {
    this.layers.hazards.replaceChildren();
    if (!this.proj) return;
    for (const hazard of hazards.filter((h) => !['cleared', 'false_alarm'].includes(h.stage))) {
      const area = this.district.sensitive_areas.find((a) => a.id === hazard.area);
      const corners = area ? area.polygon.map((p) => this.proj.xy(p)) : null;
      const [x, y] = hazard.lat !== null && hazard.lat !== undefined
        ? this.proj.xy([hazard.lat, hazard.lon])
        : corners ? centroid(corners) : [null, null];
      if (x === null) continue;
      const band = hazard.warning?.band ?? 'seen';
      if (corners && hazard.warning) {
        this.layers.hazards.append(svg('polygon', { class: `hazard-area band-${band}`, 'data-hazard': hazard.id, points: pointsAttr(corners) }));
      }
      const s = 14 * this.u;
      this.layers.hazards.append(svg('polygon', {
        class: `hazard band-${band}`, 'data-hazard': hazard.id, 'data-stage': hazard.stage,
        points: pointsAttr([[x, y - s], [x + s, y + s * 0.8], [x - s, y + s * 0.8]]),
      }, svg('title', { text: `hazard #${hazard.id} ${hazard.area}: ${hazard.stage}; ${hazard.summary}` })));
    }
  }

  setCoverage(coverage, showRing3, showRing4) {
    this.layers.gaps.replaceChildren();
    const shown = { 3: showRing3, 4: showRing4 };
    for (const ring of coverage?.rings ?? []) {
      if (!shown[ring.ring]) continue;
      for (const gap of ring.gaps) this.layers.gaps.append(this.gapMark(gap, ring.ring));
    }
  }

  gapMark(gap, ring) {
    const [x, y] = this.proj.xy([gap.lat, gap.lon]);
    const eta = gap.best_eta_s === null ? `none within the ring's target` : `best ${gap.best_eta_s} s`;
    const title = svg('title', { text: `no available ring-${ring} unit within ${gap.target_s} s (${eta}; ${gap.demand_ppm} ppm of demand)` });
    const common = { class: `gap gap-r${ring}`, 'data-ring': ring };
    if (gap.cell_m > 0) {
      const side = gap.cell_m;
      return svg('rect', { ...common, x: x - side / 2, y: y - side / 2, width: side, height: side }, title);
    }
    return svg('circle', { ...common, cx: x, cy: y, r: 30 }, title);
  }

}

/** What set a unit's post, in words. */
function postReason(post) {
  return post.hazard_id != null ? `pre-positioned for hazard ${post.hazard_id}` : `move-up ${post.move_up_id}`;
}
