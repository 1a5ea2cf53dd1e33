//! Coverage: how much of the district's demand an available unit of each
//! police ring can reach within the on-scene target, right now.
//!
//! Demand is sampled as points, each standing for a share of the district's
//! ordinary reports (the account in `cordon_config::district::demand`):
//! - a grid of [`COVERAGE_CELL_M`] cells over the stations' zones, weighted by
//!   the zone's duty mode (half of all reports);
//! - samples every [`AREA_SAMPLE_SPACING_M`] inside each sensitive area,
//!   weighted by its crowd (a third);
//! - [`POINT_SAMPLES_COUNT`] samples on each one-minute point's disc (the rest).
//!
//! Weights are whole parts per million, so sums never drift. Each point
//! carries each ring's target there (area-aware: 60 s on the pedestrian
//! street and at the points for the police rings).
//!
//! [`CoverageBook`] keeps, per unit (and its position, mode and the crowd
//! regime), the row of points it reaches within its ring's target, found by
//! one search on the street graph; a report sums the rows of the available
//! units. A status change costs one pass over the rows; a move, one search.

use std::collections::BTreeMap;

use cordon_config::district::demand::{
    area_crowd, duty_mode_weight, ORDINARY_AREA_SHARE, ORDINARY_POINT_SHARE, ORDINARY_ZONE_SHARE,
};
use cordon_config::district::{District, LatLon, Ring, TravelMode};

use super::facts::CandidateUnit;
use super::geometry::{LocalFrame, LocalPoint};
use super::router::{CrowdRegime, Snap};
use super::travel::TravelModel;
use super::COVERAGE_CELL_M;

/// The rings whose coverage is tracked: the police rings, which promise
/// on-scene times anywhere in the district.
pub const COVERAGE_RINGS: [Ring; 2] = [Ring::StreetPatrol, Ring::SpecialPolice];
/// Spacing of the demand samples inside a sensitive area.
pub const AREA_SAMPLE_SPACING_M: f64 = 50.0;
/// Demand samples on each one-minute point's disc: its centre and six
/// around it at two thirds of the radius.
pub const POINT_SAMPLES_COUNT: usize = 7;
/// Parts per million: the whole demand.
pub const DEMAND_PPM_TOTAL: f64 = 1_000_000.0;
/// The share of time a unit is taken, for the expected coverage a unit's
/// departure costs (Daskin's maximum expected covering model): a point
/// covered by k units is left uncovered by one leaving with probability
/// (1 - q) q^(k-1).
pub const BUSY_FRACTION: f64 = 0.3;

/// What a demand point stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DemandKind {
    /// A cell of a station's zone.
    Zone,
    /// A sample of a sensitive area.
    Area,
    /// A sample of a one-minute point's disc.
    Point,
}

/// One sample of where reports come from.
#[derive(Debug, Clone, PartialEq)]
pub struct DemandPoint {
    /// Where.
    pub at: LatLon,
    /// What it stands for.
    pub kind: DemandKind,
    /// Side of the square it stands for, in metres (0 for a point's sample).
    pub cell_m: f64,
    /// Its share of all ordinary reports, in parts per million.
    pub weight_ppm: u32,
    /// Each ring of [`COVERAGE_RINGS`]'s on-scene target there, in order.
    pub targets_s: [u32; 2],
}

/// The district's demand points: zone cells, area samples, point samples,
/// each group south to north and west to east.
pub fn demand_points(district: &District) -> Vec<DemandPoint> {
    let frame = LocalFrame::for_district(district);
    let mut points = zone_cells(district, &frame);
    points.extend(area_samples(district, &frame));
    points.extend(point_samples(district, &frame));
    points
}

fn demand_point(
    district: &District,
    at: LatLon,
    kind: DemandKind,
    cell_m: f64,
    share: f64,
) -> DemandPoint {
    DemandPoint {
        at,
        kind,
        cell_m,
        weight_ppm: (share * DEMAND_PPM_TOTAL).floor() as u32,
        targets_s: COVERAGE_RINGS.map(|ring| district.on_scene_target_s(ring, &at)),
    }
}

fn zone_cells(district: &District, frame: &LocalFrame) -> Vec<DemandPoint> {
    let cells = grid(frame, district.bounds(), COVERAGE_CELL_M);
    let cells: Vec<(LatLon, Option<(String, f64)>)> = cells
        .into_iter()
        .filter(|at| district.contains(at))
        .map(|at| {
            let zone = district
                .zone_for(&at)
                .map(|(station, zone)| (zone.id.clone(), duty_mode_weight(station.duty_mode)));
            (at, zone)
        })
        .collect();
    let duty_total: f64 = district
        .stations()
        .iter()
        .map(|station| duty_mode_weight(station.duty_mode) * station.zones.len() as f64)
        .sum();
    let mut per_zone: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, zone) in &cells {
        if let Some((id, _)) = zone {
            *per_zone.entry(id).or_default() += 1;
        }
    }
    cells
        .iter()
        .map(|(at, zone)| {
            // A cell between zones carries no demand but is still watched.
            let share = zone.as_ref().map_or(0.0, |(id, weight)| {
                ORDINARY_ZONE_SHARE * weight / duty_total / per_zone[id.as_str()] as f64
            });
            demand_point(district, *at, DemandKind::Zone, COVERAGE_CELL_M, share)
        })
        .collect()
}

fn area_samples(district: &District, frame: &LocalFrame) -> Vec<DemandPoint> {
    let crowd_total: f64 = district.sensitive_areas().iter().map(area_crowd).sum();
    let mut points = Vec::new();
    for area in district.sensitive_areas() {
        let mut inside: Vec<LatLon> = grid(frame, &area.polygon, AREA_SAMPLE_SPACING_M)
            .into_iter()
            .filter(|at| area.contains(at) && district.contains(at))
            .collect();
        if inside.is_empty() {
            inside.extend(area.centre());
        }
        let share = ORDINARY_AREA_SHARE * area_crowd(area) / crowd_total / inside.len() as f64;
        points.extend(
            inside.into_iter().map(|at| {
                demand_point(district, at, DemandKind::Area, AREA_SAMPLE_SPACING_M, share)
            }),
        );
    }
    points
}

fn point_samples(district: &District, frame: &LocalFrame) -> Vec<DemandPoint> {
    let count = district.one_minute_points().len() as f64;
    let share = ORDINARY_POINT_SHARE / count / POINT_SAMPLES_COUNT as f64;
    let mut points = Vec::new();
    for point in district.one_minute_points() {
        let centre = frame.to_local(&point.position);
        let reach_m = f64::from(point.cover_radius_m) * 2.0 / 3.0;
        let around = (0..POINT_SAMPLES_COUNT - 1).map(|step| {
            let angle = std::f64::consts::TAU * step as f64 / (POINT_SAMPLES_COUNT - 1) as f64;
            frame.to_lat_lon(&LocalPoint {
                east_m: centre.east_m + reach_m * angle.sin(),
                north_m: centre.north_m + reach_m * angle.cos(),
            })
        });
        points.extend(
            std::iter::once(point.position)
                .chain(around)
                .filter(|at| district.contains(at))
                .map(|at| demand_point(district, at, DemandKind::Point, 0.0, share)),
        );
    }
    points
}

/// Centres of a grid of `cell_m` cells over the bounding box of `outline`,
/// south to north and west to east.
fn grid(frame: &LocalFrame, outline: &[LatLon], cell_m: f64) -> Vec<LatLon> {
    let corners: Vec<LocalPoint> = outline.iter().map(|p| frame.to_local(p)).collect();
    let low = |pick: fn(&LocalPoint) -> f64| corners.iter().map(pick).fold(f64::INFINITY, f64::min);
    let high =
        |pick: fn(&LocalPoint) -> f64| corners.iter().map(pick).fold(f64::NEG_INFINITY, f64::max);
    let (east_min, north_min) = (low(|p| p.east_m), low(|p| p.north_m));
    let columns = cells_across(high(|p| p.east_m) - east_min, cell_m);
    let rows = cells_across(high(|p| p.north_m) - north_min, cell_m);
    (0..rows)
        .flat_map(|row| (0..columns).map(move |column| (row, column)))
        .map(|(row, column)| LocalPoint {
            east_m: east_min + (column as f64 + 0.5) * cell_m,
            north_m: north_min + (row as f64 + 0.5) * cell_m,
        })
        .map(|point| frame.to_lat_lon(&point))
        .collect()
}

/// Cells needed to span `extent_m`; 0 for an empty or broken extent.
fn cells_across(extent_m: f64, cell_m: f64) -> usize {
    if extent_m.is_finite() && extent_m > 0.0 {
        (extent_m / cell_m).ceil() as usize
    } else {
        0
    }
}

/// How much of the demand one ring covers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RingCoverage {
    /// The ring.
    pub ring: Ring,
    /// Its target away from areas and points, in seconds.
    pub target_s: u32,
    /// Demand points sampled.
    pub points_total: usize,
    /// Points an available unit of the ring reaches within target.
    pub points_covered: usize,
    /// Demand sampled, in parts per million (about a million).
    pub demand_ppm_total: u64,
    /// Demand covered, in parts per million.
    pub demand_ppm_covered: u64,
    /// Demand an available unit reaches within the ring's own target
    /// (`target_s`) wherever a stricter local target (a one-minute point's
    /// 60 s) applies: the ring's district-wide promise, 3 minutes for ring 4.
    pub demand_ppm_within_ring_target: u64,
}

impl RingCoverage {
    /// The share of the demand covered, 0 to 1 (0 with no demand).
    pub fn demand_covered_share(&self) -> f64 {
        share(self.demand_ppm_covered, self.demand_ppm_total)
    }

    /// The share of the demand reached within the ring's own target, 0 to 1.
    pub fn ring_target_share(&self) -> f64 {
        share(self.demand_ppm_within_ring_target, self.demand_ppm_total)
    }
}

/// `part` of `total` (0 with no total).
fn share(part: u64, total: u64) -> f64 {
    if total == 0 {
        return 0.0;
    }
    part as f64 / total as f64
}

/// What a coverage question counts as covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Objective {
    /// Each point within its own target (60 s on a one-minute point's
    /// disc, the ring's target elsewhere): the coverage dispatch keeps.
    LocalTargets,
    /// Each point within the ring's own target: its district-wide promise
    /// (3 minutes anywhere for ring 4), which a layout is drawn for.
    RingTarget,
}

/// A demand point a ring does not reach in time.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageGap {
    /// The ring that misses it.
    pub ring: Ring,
    /// The point.
    pub at: LatLon,
    /// Side of the square it stands for, in metres (0 for a point's sample).
    pub cell_m: f64,
    /// The ring's best ETA there, if any available unit of the ring is
    /// within the ring's own target.
    pub best_eta_s: Option<u32>,
    /// The ring's target there.
    pub target_s: u32,
    /// Its share of the demand, in parts per million.
    pub demand_ppm: u32,
}

/// Coverage of the police rings, now.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageReport {
    /// One entry per ring of [`COVERAGE_RINGS`], in that order.
    pub rings: Vec<RingCoverage>,
    /// The points missed, ring by ring, in demand-point order.
    pub gaps: Vec<CoverageGap>,
    /// Whether no crowd rule slowed travel.
    pub calm: bool,
}

impl CoverageReport {
    /// The coverage of `ring`, if tracked.
    pub fn ring(&self, ring: Ring) -> Option<&RingCoverage> {
        self.rings.iter().find(|coverage| coverage.ring == ring)
    }

    /// `ring`'s share of demand within its own target (0 for a ring not
    /// covered).
    pub fn ring_target_share(&self, ring: Ring) -> f64 {
        self.ring(ring).map_or(0.0, RingCoverage::ring_target_share)
    }
}

/// A row's key: the unit, where it is (to 1e-7 degrees), how it moves and
/// its ring. A unit that moves gets a new row.
type RowKey = (String, i64, i64, TravelMode, Ring);

/// The demand points, their snaps under the current regime, and each
/// unit's row of (point, ETA) within its ring's target.
#[derive(Debug, Clone)]
pub struct CoverageBook {
    points: Vec<DemandPoint>,
    /// Each ring's largest target over the points: no ETA beyond it covers.
    ring_targets_s: [u32; 2],
    regime: Option<CrowdRegime>,
    /// `snaps[mode][point]`.
    snaps: Vec<Vec<Option<Snap>>>,
    rows: BTreeMap<RowKey, Vec<(u32, u32)>>,
    /// Rows of a mode and ring standing at a post (id empty), kept while
    /// the regime holds.
    post_rows: BTreeMap<RowKey, Vec<(u32, u32)>>,
}

/// A move the book finds worth making: a unit to a post, and the demand the
/// ring gains net, in parts per million.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BestMove {
    /// Index of the unit in the units asked about.
    pub unit: usize,
    /// Index of the post in the posts offered.
    pub post: usize,
    /// Demand newly covered less demand left bare.
    pub gain_ppm: i64,
}

impl CoverageBook {
    /// A book over `district`'s demand, with no rows yet.
    pub fn new(district: &District) -> CoverageBook {
        let points = demand_points(district);
        let ring_targets_s = [0, 1].map(|slot| {
            points
                .iter()
                .map(|point| point.targets_s[slot])
                .max()
                .unwrap_or(0)
        });
        CoverageBook {
            ring_targets_s,
            points,
            regime: None,
            snaps: Vec::new(),
            rows: BTreeMap::new(),
            post_rows: BTreeMap::new(),
        }
    }

    /// The demand points.
    pub fn points(&self) -> &[DemandPoint] {
        &self.points
    }

    /// Coverage by the available units of `units` under `model`'s travel.
    /// Rows are kept between calls while the regime holds; rows of units
    /// no longer asked about are dropped.
    pub fn report(&mut self, model: &TravelModel<'_>, units: &[CandidateUnit]) -> CoverageReport {
        let rows = self.rows_of(model, units);
        let mut best: Vec<[Option<u32>; 2]> = vec![[None; 2]; self.points.len()];
        for (slot, key) in &rows {
            for (point, eta_s) in &self.rows[key] {
                let cell = &mut best[*point as usize][*slot];
                *cell = Some(cell.map_or(*eta_s, |best| best.min(*eta_s)));
            }
        }
        self.tally(&best, model.travel().regime().is_calm())
    }

    /// For each unit of `candidates` (by id), the demand its departure is
    /// expected to leave uncovered, in parts per million: over the points
    /// it reaches within target, each point's weight times (1 - q) q^(k-1),
    /// k the available units of its ring reaching it, q [`BUSY_FRACTION`].
    /// 0 for a unit that is not available or not of a police ring.
    pub fn departure_losses_ppm(
        &mut self,
        model: &TravelModel<'_>,
        units: &[CandidateUnit],
        candidates: &[&str],
    ) -> Vec<u64> {
        let rows = self.rows_of(model, units);
        let covering = self.covering(&rows);
        candidates
            .iter()
            .map(|id| {
                let Some((slot, key)) = rows.iter().find(|(_, key)| key.0 == *id) else {
                    return 0;
                };
                let loss: f64 = self.rows[key]
                    .iter()
                    .filter(|entry| self.within(*slot, entry))
                    .map(|(point, _)| {
                        let point = *point as usize;
                        let others = covering[point][*slot].saturating_sub(1);
                        let left_bare = (1.0 - BUSY_FRACTION) * BUSY_FRACTION.powi(others as i32);
                        f64::from(self.points[point].weight_ppm) * left_bare
                    })
                    .sum();
                loss.floor() as u64
            })
            .collect()
    }

    /// The best move of one of `movable` (indices into `units`, available
    /// units of `ring`) to one of `posts` for `ring`'s coverage under
    /// `objective`: the demand its row from the post newly covers, less the
    /// demand only it covers where it stands. `None` when nothing is movable.
    pub fn best_move(
        &mut self,
        model: &TravelModel<'_>,
        units: &[CandidateUnit],
        (ring, objective): (Ring, Objective),
        movable: &[usize],
        posts: &[LatLon],
    ) -> Option<BestMove> {
        let slot = COVERAGE_RINGS.iter().position(|r| *r == ring)?;
        let rows = self.rows_of(model, units);
        let within = |book: &CoverageBook, entry: &(u32, u32)| match objective {
            Objective::LocalTargets => book.within(slot, entry),
            // Rows hold only the points within the ring's own target.
            Objective::RingTarget => true,
        };
        let covering: Vec<u32> = self
            .covering_by(&rows, |book, _, entry| within(book, entry))
            .iter()
            .map(|k| k[slot])
            .collect();
        let mut best: Option<BestMove> = None;
        for &unit_index in movable {
            let unit = &units[unit_index];
            let Some(own_row) = self
                .rows
                .get(&row_key(unit))
                .filter(|_| unit.available && unit.ring == ring)
            else {
                continue;
            };
            let mut own = vec![false; self.points.len()];
            let mut loss = 0i64;
            for entry in own_row.iter().filter(|entry| within(self, entry)) {
                own[entry.0 as usize] = true;
                if covering[entry.0 as usize] == 1 {
                    loss += i64::from(self.points[entry.0 as usize].weight_ppm);
                }
            }
            for (post_index, post) in posts.iter().enumerate() {
                let moved = CandidateUnit {
                    id: String::new(),
                    position: *post,
                    ..unit.clone()
                };
                let key = row_key(&moved);
                if !self.post_rows.contains_key(&key) {
                    let row = self.row(model, &moved);
                    self.post_rows.insert(key.clone(), row);
                }
                let gain: i64 = self.post_rows[&key]
                    .iter()
                    .filter(|entry| within(self, entry))
                    .filter(|(point, _)| {
                        covering[*point as usize] - u32::from(own[*point as usize]) == 0
                    })
                    .map(|(point, _)| i64::from(self.points[*point as usize].weight_ppm))
                    .sum();
                let candidate = BestMove {
                    unit: unit_index,
                    post: post_index,
                    gain_ppm: gain - loss,
                };
                if best.is_none_or(|best| candidate.gain_ppm > best.gain_ppm) {
                    best = Some(candidate);
                }
            }
        }
        best
    }

    /// The rows of the available police units of `units` (computed where
    /// missing), each with its ring's slot; rows of other units are dropped.
    fn rows_of(
        &mut self,
        model: &TravelModel<'_>,
        units: &[CandidateUnit],
    ) -> Vec<(usize, RowKey)> {
        self.follow_regime(model);
        let mut rows = Vec::new();
        for unit in units.iter().filter(|unit| unit.available) {
            let Some(slot) = COVERAGE_RINGS.iter().position(|ring| *ring == unit.ring) else {
                continue;
            };
            let key = row_key(unit);
            if !self.rows.contains_key(&key) {
                let row = self.row(model, unit);
                self.rows.insert(key.clone(), row);
            }
            rows.push((slot, key));
        }
        let mut used: Vec<&RowKey> = rows.iter().map(|(_, key)| key).collect();
        used.sort();
        self.rows.retain(|key, _| used.binary_search(&key).is_ok());
        rows
    }

    /// Clears the rows and snaps the points again when the regime changed.
    fn follow_regime(&mut self, model: &TravelModel<'_>) {
        let regime = model.travel().regime();
        if self.regime.as_ref() == Some(regime) {
            return;
        }
        self.regime = Some(regime.clone());
        self.rows.clear();
        self.post_rows.clear();
        self.snaps = TravelMode::ALL
            .iter()
            .map(|mode| {
                self.points
                    .iter()
                    .map(|point| model.travel().snap(&point.at, *mode))
                    .collect()
            })
            .collect();
    }

    /// The points `unit` reaches within its ring's target, with its ETAs.
    fn row(&self, model: &TravelModel<'_>, unit: &CandidateUnit) -> Vec<(u32, u32)> {
        let ring_target_s = self.ring_target_s(unit.ring);
        let turnout_s = model.turnouts().of(unit.travel_mode);
        let walk_turnout_s = model.turnouts().of(TravelMode::Foot);
        let driving = model.travel().times_to(
            &unit.position,
            unit.travel_mode,
            &self.snaps[unit.travel_mode.index()],
            ring_target_s.saturating_sub(turnout_s),
        );
        self.points
            .iter()
            .zip(driving)
            .enumerate()
            .filter_map(|(index, (point, driving))| {
                let driving = driving.map(|s| s + turnout_s);
                let walking = model
                    .travel()
                    .direct_walk_s(&unit.position, &point.at)
                    .map(|s| s + walk_turnout_s);
                let eta_s = driving.into_iter().chain(walking).min()?;
                (eta_s <= ring_target_s).then_some((index as u32, eta_s))
            })
            .collect()
    }

    /// A ring's largest target over the points: no ETA beyond it covers.
    fn ring_target_s(&self, ring: Ring) -> u32 {
        let slot = COVERAGE_RINGS.iter().position(|r| *r == ring).unwrap_or(0);
        self.ring_targets_s[slot]
    }

    /// Whether a row's (point, ETA) is within the point's target for the
    /// ring of `slot`.
    fn within(&self, slot: usize, (point, eta_s): &(u32, u32)) -> bool {
        *eta_s <= self.points[*point as usize].targets_s[slot]
    }

    /// Per point and ring slot, how many of the rows' units reach it within
    /// its target.
    fn covering(&self, rows: &[(usize, RowKey)]) -> Vec<[u32; 2]> {
        self.covering_by(rows, |book, slot, entry| book.within(slot, entry))
    }

    /// Per point and ring slot, how many of the rows' units reach it as
    /// `counts` says.
    fn covering_by(
        &self,
        rows: &[(usize, RowKey)],
        counts: impl Fn(&CoverageBook, usize, &(u32, u32)) -> bool,
    ) -> Vec<[u32; 2]> {
        let mut covering = vec![[0; 2]; self.points.len()];
        for (slot, key) in rows {
            for entry in self.rows[key]
                .iter()
                .filter(|entry| counts(self, *slot, entry))
            {
                covering[entry.0 as usize][*slot] += 1;
            }
        }
        covering
    }

    fn tally(&self, best: &[[Option<u32>; 2]], calm: bool) -> CoverageReport {
        let mut rings = Vec::with_capacity(COVERAGE_RINGS.len());
        let mut gaps = Vec::new();
        for (slot, ring) in COVERAGE_RINGS.into_iter().enumerate() {
            let mut coverage = RingCoverage {
                ring,
                target_s: self.ring_target_s(ring),
                points_total: self.points.len(),
                points_covered: 0,
                demand_ppm_total: 0,
                demand_ppm_covered: 0,
                demand_ppm_within_ring_target: 0,
            };
            for (point, best) in self.points.iter().zip(best) {
                let target_s = point.targets_s[slot];
                coverage.demand_ppm_total += u64::from(point.weight_ppm);
                // A row holds only the points within the ring's own target.
                if best[slot].is_some() {
                    coverage.demand_ppm_within_ring_target += u64::from(point.weight_ppm);
                }
                if best[slot].is_some_and(|eta_s| eta_s <= target_s) {
                    coverage.points_covered += 1;
                    coverage.demand_ppm_covered += u64::from(point.weight_ppm);
                } else {
                    gaps.push(CoverageGap {
                        ring,
                        at: point.at,
                        cell_m: point.cell_m,
                        best_eta_s: best[slot],
                        target_s,
                        demand_ppm: point.weight_ppm,
                    });
                }
            }
            rings.push(coverage);
        }
        CoverageReport { rings, gaps, calm }
    }
}

fn row_key(unit: &CandidateUnit) -> RowKey {
    let grid = |degrees: f64| (degrees * 1e7).round() as i64;
    (
        unit.id.clone(),
        grid(unit.position.lat),
        grid(unit.position.lon),
        unit.travel_mode,
        unit.ring,
    )
}

#[cfg(test)]
mod tests;
