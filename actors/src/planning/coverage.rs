//! Coverage: which parts of the district have no available unit within the
//! on-scene target right now.
//!
//! The district is sampled on a square grid of cells (by default
//! [`COVERAGE_CELL_M`] wide) in its local frame; a cell counts when its
//! centre lies inside the district. For each cell and each police ring
//! ([`COVERAGE_RINGS`]), the ring's best available unit is found the way
//! selection finds it (index shortlist, then ETA) and compared with the
//! target at the cell's centre, so coverage says exactly what dispatch would
//! do there. The targets are area-aware: inside the pedestrian street or a
//! one-minute point's radius the police rings owe 60 s, elsewhere ring 3
//! owes 5 minutes and ring 4 three.

use std::collections::BTreeSet;

use cordon_config::district::{District, LatLon, Ring};

use super::facts::CandidateUnit;
use super::geometry::LocalPoint;
use super::select::{Planner, Scope};
use super::travel::TravelSpeeds;
use super::COVERAGE_CELL_M;

/// The rings whose coverage is tracked: the police rings, which promise
/// on-scene times anywhere in the district.
pub const COVERAGE_RINGS: [Ring; 2] = [Ring::StreetPatrol, Ring::SpecialPolice];

/// A sample cell no available unit of a ring reaches in time.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageGap {
    /// The cell's centre.
    pub centre: LatLon,
    /// The ring that misses it.
    pub ring: Ring,
    /// The ring's best ETA to the centre; `None` when no unit of the ring is
    /// available.
    pub best_eta_s: Option<u32>,
    /// The ring's on-scene target at the centre.
    pub target_s: u32,
}

/// How much of the district one ring covers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RingCoverage {
    /// The ring.
    pub ring: Ring,
    /// Sample cells inside the district.
    pub cells_total: usize,
    /// Cells the ring reaches within target.
    pub cells_covered: usize,
    /// `cells_covered` over `cells_total`, in percent; 0 with no cells.
    pub covered_percent: f64,
}

/// Coverage of the police rings over the district.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageReport {
    /// Width of a sample cell, in metres.
    pub cell_size_m: f64,
    /// One entry per ring of [`COVERAGE_RINGS`], in that order.
    pub rings: Vec<RingCoverage>,
    /// Uncovered cells, ring by ring, south to north and west to east.
    pub gaps: Vec<CoverageGap>,
}

impl CoverageReport {
    /// The coverage of `ring`, if tracked.
    pub fn ring(&self, ring: Ring) -> Option<&RingCoverage> {
        self.rings.iter().find(|coverage| coverage.ring == ring)
    }
}

/// Coverage of the police rings by the available `units`, sampled every
/// `cell_size_m` metres (values below 10 m are raised to 10 m, to bound
/// the work).
pub fn coverage(
    units: &[CandidateUnit],
    district: &District,
    speeds: &TravelSpeeds,
    cell_size_m: f64,
) -> CoverageReport {
    let cell_size_m = if cell_size_m.is_finite() {
        cell_size_m.max(10.0)
    } else {
        COVERAGE_CELL_M
    };
    let planner = Planner::new(district, speeds, units);
    let centres = cell_centres(&planner, cell_size_m);
    let mut rings = Vec::with_capacity(COVERAGE_RINGS.len());
    let mut gaps = Vec::new();
    for ring in COVERAGE_RINGS {
        let ring_gaps: Vec<CoverageGap> = centres
            .iter()
            .filter_map(|centre| gap_at(&planner, ring, centre))
            .collect();
        let cells_covered = centres.len() - ring_gaps.len();
        let covered_percent = if centres.is_empty() {
            0.0
        } else {
            100.0 * cells_covered as f64 / centres.len() as f64
        };
        rings.push(RingCoverage {
            ring,
            cells_total: centres.len(),
            cells_covered,
            covered_percent,
        });
        gaps.extend(ring_gaps);
    }
    CoverageReport {
        cell_size_m,
        rings,
        gaps,
    }
}

/// The gap at `centre` for `ring`, or `None` when the ring covers it.
fn gap_at(planner: &Planner<'_>, ring: Ring, centre: &LatLon) -> Option<CoverageGap> {
    let target_s = planner.district().on_scene_target_s(ring, centre);
    let best_eta_s = planner
        .rank(centre, ring, &Scope::Ring, &BTreeSet::new())
        .first()
        .map(|best| best.eta_s);
    match best_eta_s {
        Some(eta_s) if eta_s <= target_s => None,
        _ => Some(CoverageGap {
            centre: *centre,
            ring,
            best_eta_s,
            target_s,
        }),
    }
}

/// Centres of the grid cells over the district's bounding box that lie
/// inside the district, south to north and west to east.
fn cell_centres(planner: &Planner<'_>, cell_size_m: f64) -> Vec<LatLon> {
    let district = planner.district();
    let frame = planner.model().frame();
    let corners: Vec<LocalPoint> = district
        .bounds()
        .iter()
        .map(|p| frame.to_local(p))
        .collect();
    let low = |pick: fn(&LocalPoint) -> f64| corners.iter().map(pick).fold(f64::INFINITY, f64::min);
    let high =
        |pick: fn(&LocalPoint) -> f64| corners.iter().map(pick).fold(f64::NEG_INFINITY, f64::max);
    let (east_min, north_min) = (low(|p| p.east_m), low(|p| p.north_m));
    let columns = cells_across(high(|p| p.east_m) - east_min, cell_size_m);
    let rows = cells_across(high(|p| p.north_m) - north_min, cell_size_m);
    (0..rows)
        .flat_map(|row| (0..columns).map(move |column| (row, column)))
        .map(|(row, column)| LocalPoint {
            east_m: east_min + (column as f64 + 0.5) * cell_size_m,
            north_m: north_min + (row as f64 + 0.5) * cell_size_m,
        })
        .map(|point| frame.to_lat_lon(&point))
        .filter(|centre| district.contains(centre))
        .collect()
}

/// Cells needed to span `extent_m`; 0 for an empty or broken extent.
fn cells_across(extent_m: f64, cell_size_m: f64) -> usize {
    if extent_m.is_finite() && extent_m > 0.0 {
        (extent_m / cell_size_m).ceil() as usize
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planning::facts::candidates_at_home;

    fn percent(report: &CoverageReport, ring: Ring) -> f64 {
        report.ring(ring).expect("tracked ring").covered_percent
    }

    // With every unit available ring 3 covers most of the district and ring 4
    // well over half of it (measured 94.8 % and 62.8 % at the default speeds:
    // the south and the east lie beyond 3 minutes of ring 4's posts), and
    // sampling twice gives the same report.
    #[test]
    fn full_strength_coverage_is_high() {
        let district = District::embedded();
        let units = candidates_at_home(&district);
        let speeds = TravelSpeeds::default();
        let report = coverage(&units, &district, &speeds, COVERAGE_CELL_M);
        let ring4 = report.ring(Ring::SpecialPolice).expect("ring 4");
        // 18.9 km2 of district in 0.04 km2 cells: about 470 cells.
        assert!((420..=520).contains(&ring4.cells_total), "{ring4:?}");
        assert!(ring4.covered_percent >= 55.0, "{:?}", report.rings);
        assert!(
            percent(&report, Ring::StreetPatrol) >= 90.0,
            "{:?}",
            report.rings
        );
        assert_eq!(
            report,
            coverage(&units, &district, &speeds, COVERAGE_CELL_M)
        );
        for gap in &report.gaps {
            assert!(
                gap.best_eta_s.is_some_and(|eta_s| eta_s > gap.target_s),
                "{gap:?}"
            );
        }
    }

    // Taking the southern ring-4 units out of service opens gaps in the south,
    // and with no ring-4 unit at all nothing is covered.
    #[test]
    fn coverage_drops_when_units_are_unavailable() {
        let district = District::embedded();
        let speeds = TravelSpeeds::default();
        let mut units = candidates_at_home(&district);
        let full = coverage(&units, &district, &speeds, COVERAGE_CELL_M);
        let south_lat_max = 31.215;
        for unit in units
            .iter_mut()
            .filter(|u| u.ring == Ring::SpecialPolice && u.position.lat < south_lat_max)
        {
            unit.available = false;
        }
        let thinned = coverage(&units, &district, &speeds, COVERAGE_CELL_M);
        assert!(
            percent(&thinned, Ring::SpecialPolice) < percent(&full, Ring::SpecialPolice) - 10.0
        );
        assert_eq!(
            percent(&thinned, Ring::StreetPatrol),
            percent(&full, Ring::StreetPatrol)
        );
        assert!(thinned
            .gaps
            .iter()
            .any(|gap| gap.ring == Ring::SpecialPolice && gap.centre.lat < south_lat_max));
        for unit in units.iter_mut() {
            unit.available = false;
        }
        let none = coverage(&units, &district, &speeds, COVERAGE_CELL_M);
        assert_eq!(percent(&none, Ring::SpecialPolice), 0.0);
        assert!(none.gaps.iter().all(|gap| gap.best_eta_s.is_none()));
    }
}
