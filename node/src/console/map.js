// The district map: a Leaflet map (vendored into the node's binary, no
// tiles: everything on it comes from the node's API) with the street graph
// and its names, station zones, sensitive areas, axes, one-minute points,
// hospitals and safe houses, posts, call heat, coverage gaps and hazards as
// layers, and units and open incidents as markers that cluster where they
// crowd (the Bund on a holiday night) and separate as the dispatcher zooms in.

import { OPEN_INCIDENT_STATUSES, el } from './format.js';
import {
  iconOf, tagged, labelMarker, unitElement, updateUnitElement, unitIcon, incidentElement,
  updateIncidentElement, updateCountdown, incidentIcon, unitClusterIcon, incidentClusterIcon, postReason,
} from './marks.js';

const L = window.L;

const M_PER_DEG_LAT = 110_574;
const M_PER_DEG_LON_AT_EQUATOR = 111_320;

/** Side of a call heat cell. */
const HEAT_CELL_M = 250;
/** The street classes whose names the map writes. */
const STREET_CLASSES_NAMED = new Set(['arterial', 'main', 'street']);
/** A street name's width per letter, at the map's label size. */
const STREET_NAME_PX_PER_CHAR = 6.2;
/** Zoom levels the map allows: the whole district to a single building. */
const ZOOM_MIN = 12;
const ZOOM_MAX = 19;
/** From this zoom on, every unit and incident has its own marker. */
const UNCLUSTERED_FROM_ZOOM = 17;
/** Markers closer than this on screen join one cluster. */
const CLUSTER_RADIUS_PX = 34;
/** How close a unit must be to its post to count as there. */
const AT_POST_M = 25;
/** A one-minute point with no on-scene gap is drawn as a disc of this radius. */
const GAP_POINT_RADIUS_M = 30;

/**
 * Layers drawn as paths, bottom to top, each in its own pane (Leaflet's
 * overlay pane sits at 400, its marker pane at 600).
 */
const PATH_PANES = [['base', 205], ['zones', 210], ['heat', 220], ['gaps', 230], ['areas', 240],
  ['streets', 250], ['axes', 260], ['points', 270], ['posts', 380], ['hazards', 390]];
/** Marker layers under the units' and incidents' markers. */
const MARK_PANES = [['labels', 450], ['facilities', 460], ['hazardMarks', 590], ['found', 640]];

/** Equirectangular projection of [lat, lon] to metres east and south of the bounds' north-west corner (the heat grid). */
export class Projection {
  constructor(bounds) {
    const lats = bounds.map((p) => p[0]);
    const lons = bounds.map((p) => p[1]);
    this.north = Math.max(...lats);
    this.west = Math.min(...lons);
    const midLatRad = ((this.north + Math.min(...lats)) / 2) * (Math.PI / 180);
    this.kx = M_PER_DEG_LON_AT_EQUATOR * Math.cos(midLatRad);
    this.ky = M_PER_DEG_LAT;
  }

  xy([lat, lon]) {
    return [(lon - this.west) * this.kx, (this.north - lat) * this.ky];
  }

  latLon([x, y]) {
    return [this.north - y / this.ky, this.west + x / this.kx];
  }
}

/** The square of side `sideM` centred on `center`, as Leaflet bounds. */
function square([lat, lon], sideM) {
  const dLat = sideM / 2 / M_PER_DEG_LAT;
  const dLon = sideM / 2 / (M_PER_DEG_LON_AT_EQUATOR * Math.cos(lat * Math.PI / 180));
  return [[lat - dLat, lon - dLon], [lat + dLat, lon + dLon]];
}

export class MapView {
  /**
   * @param {HTMLElement} root the #map element
   * @param {(id: string) => void} onSelectIncident called when an incident marker is clicked
   */
  constructor(root, onSelectIncident) {
    this.root = root;
    this.onSelectIncident = onSelectIncident;
    this.map = L.map(root, {
      attributionControl: false, zoomControl: false, zoomSnap: 0.25, zoomDelta: 0.5, minZoom: ZOOM_MIN, maxZoom: ZOOM_MAX,
      wheelPxPerZoomLevel: 90,
    });
    for (const [name, z] of [...PATH_PANES, ...MARK_PANES]) this.map.createPane(name).style.zIndex = String(z);
    this.layers = {};
    for (const name of ['outline', 'zones', 'areas', 'streets', 'streetNames', 'axes', 'points', 'facilities',
      'labels', 'posts', 'heat', 'gaps', 'hazards', 'found']) {
      this.layers[name] = L.layerGroup().addTo(this.map);
    }
    this.unitLayer = this.clusterGroup(unitClusterIcon).addTo(this.map);
    this.incidentLayer = this.clusterGroup(incidentClusterIcon).addTo(this.map);
    this.unitMarks = new Map();
    this.incidentMarks = new Map();
    this.ways = new Map();
    this.facilityMarks = new Map();
    this.names = [];
    this.selectedId = null;
    this.addControls();
    this.map.on('zoomend', () => this.placeStreetNames());
    // The whole district stays fitted to the pane as the page lays out and
    // resizes, until the dispatcher moves the map (or a search does).
    this.fitted = true;
    for (const gesture of ['wheel', 'pointerdown', 'keydown']) root.addEventListener(gesture, () => { this.fitted = false; });
    new ResizeObserver(() => {
      this.map.invalidateSize();
      if (this.fitted) this.fitDistrict();
    }).observe(root);
  }

  fitDistrict() {
    if (this.district) this.map.fitBounds(this.district.bounds, { padding: [8, 8], animate: false });
  }

  clusterGroup(iconCreateFunction) {
    return L.markerClusterGroup({
      iconCreateFunction, maxClusterRadius: CLUSTER_RADIUS_PX, disableClusteringAtZoom: UNCLUSTERED_FROM_ZOOM,
      showCoverageOnHover: false, spiderfyOnMaxZoom: false, removeOutsideVisibleBounds: false,
      zoomToBoundsOnClick: false,
    }).on('clusterclick', (event) => this.openCluster(event.layer));
  }

  /**
   * A click on a cluster zooms the map to the cluster's extent in one step
   * (at most to the zoom where nothing clusters), so its markers separate.
   * Programmatic moves are not animated: an animation waits for the
   * browser's animation frames, which a console in a background tab or on a
   * wall screen behind another window does not get.
   */
  openCluster(cluster) {
    this.map.fitBounds(cluster.getBounds(), { maxZoom: UNCLUSTERED_FROM_ZOOM, padding: [48, 48], animate: false });
  }

  /** Zooms in on `marker` until it has its own marker, if a cluster holds it now. */
  reveal(group, marker) {
    if (group.getVisibleParent(marker) === marker) return false;
    this.fitted = false;
    this.map.setView(marker.getLatLng(), Math.max(this.map.getZoom(), UNCLUSTERED_FROM_ZOOM), { animate: false });
    return true;
  }

  addControls() {
    const l = this.layers;
    L.control.layers(null, {
      Incidents: this.incidentLayer, Units: this.unitLayer, 'Streets': l.streets, 'Street names': l.streetNames,
      'Sensitive areas': l.areas, 'Station zones': l.zones, 'Main axes': l.axes, 'One-minute points': l.points,
      'Hospitals and safe houses': l.facilities, "Units' posts": l.posts, Hazards: l.hazards,
    }, { collapsed: true, position: 'topright' }).addTo(this.map);
    L.control.zoom({ position: 'bottomright' }).addTo(this.map);
    L.control.scale({ imperial: false, position: 'bottomleft' }).addTo(this.map);
  }

  /** Draws everything that comes from the district model; called once. */
  setDistrict(district) {
    this.district = district;
    this.proj = new Projection(district.bounds);
    const bounds = L.latLngBounds(district.bounds);
    this.map.invalidateSize();
    this.fitDistrict();
    this.map.setMaxBounds(bounds.pad(0.5));
    L.polygon(district.bounds, { pane: 'base', className: 'district-outline', interactive: false }).addTo(this.layers.outline);
    this.drawZones(district.stations);
    this.drawAreas(district.sensitive_areas);
    this.drawAxes(district.axes);
    this.drawPoints(district.one_minute_points);
    this.drawFacilities(district.hospitals, 'hospital', '+');
    this.drawFacilities(district.safe_houses, 'safe-house', '⌂');
  }

  drawZones(stations) {
    for (const station of stations) {
      for (const zone of station.zones) {
        tagged(L.polygon(zone.polygon, { pane: 'zones', className: 'zone' }),
          { 'data-station': station.id, 'data-zone': zone.id }, `${zone.name} (${station.name})`).addTo(this.layers.zones);
      }
      labelMarker(station.position, station.name.replace(/ Police Station$/, ''), 'station-label').addTo(this.layers.labels);
    }
  }

  drawAreas(areas) {
    for (const area of areas) {
      const target = area.on_scene_target_s ? `, on scene within ${area.on_scene_target_s} s` : '';
      const polygon = tagged(L.polygon(area.polygon, { pane: 'areas', className: 'area' }),
        { 'data-id': area.id }, `${area.name}${target}`).addTo(this.layers.areas);
      labelMarker(polygon.getBounds().getCenter(), area.name, 'area-label').addTo(this.layers.labels);
    }
  }

  drawAxes(axes) {
    for (const axis of axes) {
      tagged(L.polyline(axis.line, { pane: 'axes', className: 'axis' }), { 'data-id': axis.id }, axis.name)
        .addTo(this.layers.axes);
    }
  }

  drawPoints(points) {
    for (const point of points) {
      const title = `${point.name}: one-minute point, ${point.on_scene_target_s} s within ${point.cover_radius_m} m`;
      L.circle(point.position, { radius: point.cover_radius_m, pane: 'points', className: 'point-cover', interactive: false })
        .addTo(this.layers.points);
      const mark = el('div', { class: 'point', 'data-id': point.id, title });
      L.marker(point.position, { icon: iconOf(mark, 12), pane: 'facilities', keyboard: false }).addTo(this.layers.points);
    }
  }

  drawFacilities(facilities, kind, glyph) {
    for (const facility of facilities) {
      const mark = el('span', { class: `facility ${kind}`, 'data-id': facility.id, title: facility.name, text: glyph });
      L.marker(facility.position, { icon: iconOf(mark, 16), pane: 'facilities', keyboard: false }).addTo(this.layers.facilities);
      this.facilityMarks.set(facility.id, { node: mark, facility, kind });
    }
  }

  /**
   * The live state of hospitals and safe houses: a hospital shows its police
   * post's status (the ring-1 unit `<hospital id>-post`), a safe house
   * whether its alarm is raised (an open `safe_house_alarm` incident at it).
   */
  setFacilityStates(units, incidents) {
    const unitById = new Map((units ?? []).map((unit) => [unit.id, unit]));
    const alarms = (incidents ?? []).filter((incident) => incident.channel === 'safe_house_alarm'
      && OPEN_INCIDENT_STATUSES.has(incident.status));
    for (const { node, facility, kind } of this.facilityMarks.values()) {
      if (kind === 'hospital') {
        const post = unitById.get(`${facility.id}-post`);
        node.dataset.postStatus = post?.status ?? '';
        node.dataset.postAlert = post?.alert?.kind ?? '';
        const round = post?.checked_in_ms ? `, last round ${new Date(post.checked_in_ms).toTimeString().slice(0, 5)}` : '';
        const late = post?.alert?.kind === 'round_overdue' ? ', ROUND OVERDUE' : '';
        node.classList.toggle('alarm', post?.alert?.kind === 'round_overdue');
        node.title = post ? `${facility.name}; police post ${post.id}: ${post.status.replaceAll('_', ' ')}${round}${late}` : facility.name;
      } else {
        const [lat, lon] = facility.position;
        const alarm = alarms.find((incident) => Math.abs(incident.lat - lat) < 1e-6 && Math.abs(incident.lon - lon) < 1e-6);
        node.dataset.alarm = alarm?.id ?? '';
        node.classList.toggle('alarm', Boolean(alarm));
        node.title = alarm ? `${facility.name}: ALARM (${alarm.id})` : facility.name;
      }
    }
  }

  /**
   * Draws the street map (`GET /v1/district/streets`): each way as one line
   * of its pieces, by its class, and the name of each arterial, main road
   * and street along its longest piece, shown at the zooms where the street
   * is longer on screen than its name.
   */
  setStreets(map) {
    this.layers.streets.clearLayers();
    this.names = [];
    for (const way of map.ways) {
      const line = L.polyline(way.segments, { pane: 'streets', className: `street street-${way.class}`, interactive: false });
      tagged(line, { 'data-way': way.id }).addTo(this.layers.streets);
      this.ways.set(way.id, line);
      if (STREET_CLASSES_NAMED.has(way.class)) this.names.push(this.streetName(way));
    }
    this.placeStreetNames();
  }

  /** A way's name marker at the middle of its longest piece, upright, and the way's length at zoom 0. */
  streetName(way) {
    let longest = null;
    let length = 0;
    for (const [a, b] of way.segments) {
      const [p, q] = [this.map.project(a, 0), this.map.project(b, 0)];
      const piece = p.distanceTo(q);
      length += piece;
      if (!longest || piece > longest.piece) longest = { a, b, p, q, piece };
    }
    let angle = Math.atan2(longest.q.y - longest.p.y, longest.q.x - longest.p.x) * 180 / Math.PI;
    if (angle > 90) angle -= 180;
    if (angle < -90) angle += 180;
    const label = el('span', { class: 'map-label street-name', 'data-way': way.id, text: way.name });
    label.style.transform = `translate(-50%, -50%) rotate(${angle.toFixed(1)}deg)`;
    const middle = [(longest.a[0] + longest.b[0]) / 2, (longest.a[1] + longest.b[1]) / 2];
    const marker = L.marker(middle, { icon: iconOf(label, 0, 'label-mark'), interactive: false, keyboard: false, pane: 'labels' });
    return { marker, length, widthPx: way.name.length * STREET_NAME_PX_PER_CHAR };
  }

  /** Shows the names of the streets longer on screen than their names, at this zoom. */
  placeStreetNames() {
    const scale = 2 ** this.map.getZoom();
    for (const { marker, length, widthPx } of this.names) {
      const fits = length * scale > widthPx;
      if (fits && !this.layers.streetNames.hasLayer(marker)) this.layers.streetNames.addLayer(marker);
      if (!fits && this.layers.streetNames.hasLayer(marker)) this.layers.streetNames.removeLayer(marker);
    }
  }

  /** Shows or hides station, area and street names. */
  setLabels(show) {
    this.root.classList.toggle('no-labels', !show);
  }

  /** Moves, recolours, adds and removes unit markers; clusters recount their statuses. */
  setUnits(units) {
    const seen = new Set();
    const fresh = [];
    for (const unit of units) {
      seen.add(unit.id);
      let mark = this.unitMarks.get(unit.id);
      if (!mark) {
        mark = this.createUnit(unit);
        this.unitMarks.set(unit.id, mark);
        fresh.push(mark.marker);
      }
      mark.marker.options.unit = unit;
      updateUnitElement(mark.node, unit);
      moveTo(mark.marker, unit.lat, unit.lon);
    }
    const gone = [...this.unitMarks].filter(([id]) => !seen.has(id));
    this.unitLayer.removeLayers(gone.map(([, mark]) => mark.marker));
    for (const [id] of gone) this.unitMarks.delete(id);
    this.unitLayer.addLayers(fresh);
    this.unitLayer.refreshClusters(markersOf(this.unitMarks));
    this.units = units;
    this.drawPosts(units);
  }

  /** A unit's marker; clicking a busy unit opens its incident. */
  createUnit(unit) {
    const node = unitElement(unit);
    const marker = L.marker([unit.lat, unit.lon], { icon: unitIcon(node), keyboard: false, unit });
    marker.on('click', () => {
      const incident = marker.options.unit.assigned_to;
      if (incident) this.onSelectIncident(incident);
    });
    return { node, marker };
  }

  /**
   * The posts move-ups gave units: a hollow ring at the post and, while the
   * unit is away from it, a dashed line from the unit to its post.
   */
  drawPosts(units) {
    this.layers.posts.clearLayers();
    for (const unit of units) {
      const post = unit.post;
      if (!post) continue;
      const at = [post.lat, post.lon];
      if (this.map.distance(at, [unit.lat, unit.lon]) > AT_POST_M) {
        tagged(L.polyline([[unit.lat, unit.lon], at], { pane: 'posts', className: 'post-link', interactive: false }),
          { 'data-unit': unit.id }).addTo(this.layers.posts);
      }
      tagged(L.circleMarker(at, { radius: 7, pane: 'posts', className: 'post' }), {
        'data-unit': unit.id, 'data-move-up': post.move_up_id ?? '', 'data-hazard': post.hazard_id ?? '',
      }, `${unit.id}'s post: ${post.name} (${postReason(post)})`).addTo(this.layers.posts);
    }
  }

  /** Draws the open incidents; closed ones leave the map (they stay in the heat map). */
  setIncidents(incidents, now) {
    const open = incidents.filter((incident) => OPEN_INCIDENT_STATUSES.has(incident.status));
    const ids = new Set(open.map((incident) => incident.id));
    const gone = [...this.incidentMarks].filter(([id]) => !ids.has(id));
    this.incidentLayer.removeLayers(gone.map(([, mark]) => mark.marker));
    for (const [id] of gone) this.incidentMarks.delete(id);
    const fresh = [];
    for (const incident of open) {
      let mark = this.incidentMarks.get(incident.id);
      if (!mark) {
        mark = this.createIncident(incident);
        this.incidentMarks.set(incident.id, mark);
        fresh.push(mark.marker);
      }
      mark.marker.options.incident = incident;
      // The highest priority (10 the most urgent) on top where markers overlap.
      mark.marker.setZIndexOffset(1000 * incident.priority);
      updateIncidentElement(mark.node, incident, incident.id === this.selectedId, now);
      moveTo(mark.marker, incident.lat, incident.lon);
    }
    this.incidentLayer.addLayers(fresh);
    this.incidentLayer.refreshClusters(markersOf(this.incidentMarks));
  }

  createIncident(incident) {
    const node = incidentElement(incident);
    const marker = L.marker([incident.lat, incident.lon], { icon: incidentIcon(node), incident });
    marker.on('click', () => this.onSelectIncident(incident.id));
    return { node, marker };
  }

  /** Called every second: countdown texts and the clusters' breach marks change, nothing is fetched. */
  tick(now) {
    for (const { node, marker } of this.incidentMarks.values()) updateCountdown(node, marker.options.incident, now);
    this.incidentLayer.refreshClusters(markersOf(this.incidentMarks));
  }

  /** Marks a unit, street or place a search found, until the next one, and brings it into view. */
  showFound(result) {
    for (const line of this.ways.values()) line.getElement()?.classList.remove('found');
    this.layers.found.clearLayers();
    const street = result.kind === 'street' ? this.ways.get(result.id) : null;
    if (street) {
      street.getElement()?.classList.add('found');
      this.map.fitBounds(street.getBounds(), { padding: [60, 60], maxZoom: UNCLUSTERED_FROM_ZOOM, animate: false });
    }
    const at = [result.lat, result.lon];
    L.circleMarker(at, { radius: 16, pane: 'found', className: 'found-ring', interactive: false }).addTo(this.layers.found);
    const label = el('span', { class: 'found-label', text: result.label });
    L.marker(at, { icon: iconOf(label, 0, 'label-mark found-mark'), pane: 'found', interactive: false, keyboard: false })
      .addTo(this.layers.found);
    const unit = result.kind === 'unit' ? this.unitMarks.get(result.id) : null;
    if (unit) this.reveal(this.unitLayer, unit.marker);
    if (!street && !this.map.getBounds().contains(at)) this.map.setView(at, this.map.getZoom(), { animate: false });
  }

  /** Marks incident `id` as selected and brings it into view (out of its cluster, if in one). */
  setSelected(id) {
    this.selectedId = id;
    for (const [markId, { node }] of this.incidentMarks) node.classList.toggle('selected', markId === id);
    const mark = id ? this.incidentMarks.get(id) : null;
    if (!mark) return;
    const at = mark.marker.getLatLng();
    if (!this.reveal(this.incidentLayer, mark.marker) && !this.map.getBounds().contains(at)) {
      this.map.setView(at, this.map.getZoom(), { animate: false });
    }
  }

  /**
   * Call heat: incidents reported within the window, counted per square
   * cell of the district's grid and drawn as translucent cells, darker where
   * calls concentrate. Returns how many reports were counted.
   */
  setHeat(incidents, windowMinutes, now) {
    this.layers.heat.clearLayers();
    if (!windowMinutes || !this.proj) return 0;
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
      const corners = [this.proj.latLon([cx * HEAT_CELL_M, cy * HEAT_CELL_M]), this.proj.latLon([(cx + 1) * HEAT_CELL_M, (cy + 1) * HEAT_CELL_M])];
      tagged(L.rectangle(corners, {
        pane: 'heat', className: 'heat-cell', stroke: false, fillOpacity: 0.15 + 0.6 * (count / max),
      }), { 'data-count': count }, `${count} report${count === 1 ? '' : 's'} in the last ${windowMinutes} min`)
        .addTo(this.layers.heat);
    }
    return counted;
  }

  /**
   * The open hazards: a warning sign where each was seen, or at the middle
   * of its area; a crowd warning's area outlined in its band.
   */
  setHazards(hazards) {
    this.layers.hazards.clearLayers();
    if (!this.district) return;
    for (const hazard of hazards.filter((h) => !['cleared', 'false_alarm'].includes(h.stage))) {
      const area = this.district.sensitive_areas.find((a) => a.id === hazard.area);
      const seenAt = hazard.lat !== null && hazard.lat !== undefined ? [hazard.lat, hazard.lon] : null;
      const at = seenAt ?? (area ? L.polygon(area.polygon).getBounds().getCenter() : null);
      if (!at) continue;
      const band = hazard.warning?.band ?? 'seen';
      if (area && hazard.warning) {
        tagged(L.polygon(area.polygon, { pane: 'hazards', className: `hazard-area band-${band}`, interactive: false }),
          { 'data-hazard': hazard.id }).addTo(this.layers.hazards);
      }
      const sign = el('span', {
        class: `hazard band-${band}`, 'data-hazard': hazard.id, 'data-stage': hazard.stage,
        title: `hazard #${hazard.id} ${hazard.area}: ${hazard.stage}; ${hazard.summary}`,
      });
      L.marker(at, { icon: iconOf(sign, 22), pane: 'hazardMarks', keyboard: false }).addTo(this.layers.hazards);
    }
  }

  /**
   * Coverage gaps as GET /v1/coverage gives them: the demand points each
   * police ring does not reach within its target, computed by the dispatch
   * planner on the street graph. A zone cell or area sample is a square of
   * its side; a one-minute point's sample a small disc.
   */
  setCoverage(coverage, showRing3, showRing4) {
    this.layers.gaps.clearLayers();
    const shown = { 3: showRing3, 4: showRing4 };
    for (const ring of coverage?.rings ?? []) {
      if (!shown[ring.ring]) continue;
      for (const gap of ring.gaps) this.gapMark(gap, ring.ring).addTo(this.layers.gaps);
    }
  }

  gapMark(gap, ring) {
    const eta = gap.best_eta_s === null ? `none within the ring's target` : `best ${gap.best_eta_s} s`;
    const title = `no available ring-${ring} unit within ${gap.target_s} s (${eta}; ${gap.demand_ppm} ppm of demand)`;
    const options = { pane: 'gaps', className: `gap gap-r${ring}`, stroke: false };
    const shape = gap.cell_m > 0
      ? L.rectangle(square([gap.lat, gap.lon], gap.cell_m), options)
      : L.circle([gap.lat, gap.lon], { ...options, radius: GAP_POINT_RADIUS_M });
    return tagged(shape, { 'data-ring': ring }, title);
  }
}

/**
 * The markers of a mark map: what a cluster group's icons are refreshed
 * for (named, since a group not yet on a map with a view has no clusters to
 * list its markers from).
 */
function markersOf(marks) {
  return [...marks.values()].map((mark) => mark.marker);
}

/** Moves a marker only when its position changed (a move inside a cluster group reclusters it). */
function moveTo(marker, lat, lon) {
  const at = marker.getLatLng();
  if (at.lat !== lat || at.lng !== lon) marker.setLatLng([lat, lon]);
}
