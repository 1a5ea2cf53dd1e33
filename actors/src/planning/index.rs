//! A uniform-grid spatial index over unit positions, to shortlist the units
//! nearest an incident before their travel times are computed.
//!
//! A district has a few hundred units at most, so a grid of square cells in
//! the district's local frame is all the structure needed: a query visits
//! rings of cells outward from the query's cell and stops once no unvisited
//! cell can hold anything nearer than what it already found. Cells live in a
//! `BTreeMap` and results are ordered by (distance, unit id), so answers never
//! depend on hash order or insertion order.

use std::collections::BTreeMap;

use cordon_config::district::LatLon;

use super::facts::CandidateUnit;
use super::geometry::{LocalFrame, LocalPoint};

/// A unit found near a query point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Nearby<'a> {
    /// The unit.
    pub unit: &'a CandidateUnit,
    /// Straight-line distance from the query point, in metres.
    pub distance_m: f64,
}

/// Cell coordinates: column (east) and row (north).
type Cell = (i64, i64);

/// The index over a slice of units, borrowed for the index's life.
#[derive(Debug, Clone)]
pub struct GridIndex<'a> {
    frame: LocalFrame,
    cell_size_m: f64,
    units: &'a [CandidateUnit],
    points: Vec<LocalPoint>,
    cells: BTreeMap<Cell, Vec<usize>>,
    /// Lowest and highest column and row of any occupied cell.
    extent: Option<(Cell, Cell)>,
}

impl<'a> GridIndex<'a> {
    /// Indexes every unit of `units` (available or not; queries filter) in
    /// cells `cell_size_m` wide of `frame`. A cell size that is not a positive
    /// finite number is replaced by 1 m.
    pub fn new(frame: LocalFrame, cell_size_m: f64, units: &'a [CandidateUnit]) -> GridIndex<'a> {
        let cell_size_m = if cell_size_m.is_finite() && cell_size_m > 0.0 {
            cell_size_m
        } else {
            1.0
        };
        let points: Vec<LocalPoint> = units.iter().map(|u| frame.to_local(&u.position)).collect();
        let mut cells: BTreeMap<Cell, Vec<usize>> = BTreeMap::new();
        for (index, point) in points.iter().enumerate() {
            cells
                .entry(cell_of(point, cell_size_m))
                .or_default()
                .push(index);
        }
        let extent = cells
            .keys()
            .fold(None, |extent: Option<(Cell, Cell)>, &(column, row)| {
                Some(match extent {
                    None => ((column, row), (column, row)),
                    Some((low, high)) => (
                        (low.0.min(column), low.1.min(row)),
                        (high.0.max(column), high.1.max(row)),
                    ),
                })
            });
        GridIndex {
            frame,
            cell_size_m,
            units,
            points,
            cells,
            extent,
        }
    }

    /// The indexed units.
    pub fn units(&self) -> &'a [CandidateUnit] {
        self.units
    }

    /// Up to `count` units passing `filter`, nearest `position` first;
    /// equally distant units in unit id order.
    pub fn nearest(
        &self,
        position: &LatLon,
        count: usize,
        filter: impl Fn(&CandidateUnit) -> bool,
    ) -> Vec<Nearby<'a>> {
        let point = self.frame.to_local(position);
        let centre = cell_of(&point, self.cell_size_m);
        let mut found: Vec<Nearby<'a>> = Vec::new();
        if count == 0 {
            return found;
        }
        let Some(extent) = self.extent else {
            return found;
        };
        // Rings that miss the occupied cells are skipped, and each ring is
        // walked only where it crosses them: the cost is bounded by the
        // index's own extent, however far away the query point lies.
        for radius in radius_min(centre, extent)..=self.radius_max(centre) {
            let cells = ring_cells_within(centre, radius, extent);
            for index in cells.flat_map(|cell| self.members(cell)) {
                let unit = &self.units[index];
                if filter(unit) {
                    found.push(Nearby {
                        unit,
                        distance_m: point.distance_m(&self.points[index]),
                    });
                }
            }
            sort_nearest_first(&mut found);
            // Anything in a cell beyond this ring is at least `radius` cells
            // away; strictly nearer finds cannot be beaten or tied from there.
            let reach_m = radius as f64 * self.cell_size_m;
            if found.len() >= count && found[count - 1].distance_m < reach_m {
                break;
            }
        }
        found.truncate(count);
        found
    }

    /// The ring of cells that covers every occupied cell from `centre`.
    fn radius_max(&self, centre: Cell) -> i64 {
        let Some((low, high)) = self.extent else {
            return 0;
        };
        [
            centre.0 - low.0,
            high.0 - centre.0,
            centre.1 - low.1,
            high.1 - centre.1,
        ]
        .into_iter()
        .fold(0, i64::max)
    }

    fn members(&self, cell: Cell) -> impl Iterator<Item = usize> + '_ {
        self.cells.get(&cell).into_iter().flatten().copied()
    }
}

/// The smallest ring (Chebyshev radius) from `centre` that reaches the
/// box `(low, high)`: 0 inside it.
fn radius_min(centre: Cell, (low, high): (Cell, Cell)) -> i64 {
    [
        low.0 - centre.0,
        centre.0 - high.0,
        low.1 - centre.1,
        centre.1 - high.1,
        0,
    ]
    .into_iter()
    .fold(0, i64::max)
}

/// The cells exactly `radius` cells from `centre` (Chebyshev distance)
/// that lie in the box `(low, high)`: its four sides, clipped to the box,
/// each cell once. At most twice the box's width plus height.
fn ring_cells_within(
    centre: Cell,
    radius: i64,
    (low, high): (Cell, Cell),
) -> impl Iterator<Item = Cell> {
    let (x0, x1) = (
        (centre.0 - radius).max(low.0),
        (centre.0 + radius).min(high.0),
    );
    let (top, bottom) = (centre.1 + radius, centre.1 - radius);
    let (left, right) = (centre.0 - radius, centre.0 + radius);
    // The sides' inner rows (corners belong to the top and bottom rows).
    let (y0, y1) = ((bottom + 1).max(low.1), (top - 1).min(high.1));
    let in_rows = move |y: i64| (low.1..=high.1).contains(&y);
    let in_columns = move |x: i64| (low.0..=high.0).contains(&x);
    let rows = [top, bottom]
        .into_iter()
        .take(if radius == 0 { 1 } else { 2 })
        .filter(move |y| in_rows(*y))
        .flat_map(move |y| (x0..=x1).map(move |x| (x, y)));
    let columns = [left, right]
        .into_iter()
        .take(if radius == 0 { 0 } else { 2 })
        .filter(move |x| in_columns(*x))
        .flat_map(move |x| (y0..=y1).map(move |y| (x, y)));
    rows.chain(columns)
}

/// Orders by distance, then unit id.
fn sort_nearest_first(found: &mut [Nearby<'_>]) {
    found.sort_by(|a, b| {
        a.distance_m
            .total_cmp(&b.distance_m)
            .then_with(|| a.unit.id.cmp(&b.unit.id))
    });
}

fn cell_of(point: &LocalPoint, cell_size_m: f64) -> Cell {
    // Saturating float-to-int casts; district coordinates are a few km.
    (
        (point.east_m / cell_size_m).floor() as i64,
        (point.north_m / cell_size_m).floor() as i64,
    )
}

#[cfg(test)]
mod tests {
    use cordon_config::district::{District, Ring};

    use super::*;
    use crate::planning::facts::candidates_at_home;
    use crate::planning::INDEX_CELL_M;

    fn brute_force<'a>(
        units: &'a [CandidateUnit],
        frame: &LocalFrame,
        position: &LatLon,
        filter: impl Fn(&CandidateUnit) -> bool,
    ) -> Vec<Nearby<'a>> {
        let point = frame.to_local(position);
        let mut all: Vec<Nearby<'a>> = units
            .iter()
            .filter(|unit| filter(unit))
            .map(|unit| Nearby {
                unit,
                distance_m: point.distance_m(&frame.to_local(&unit.position)),
            })
            .collect();
        sort_nearest_first(&mut all);
        all
    }

    // The index returns exactly what a brute-force scan returns, for many
    // points, counts and filters.
    #[test]
    fn nearest_matches_brute_force() {
        let district = District::embedded();
        let units = candidates_at_home(&district);
        let frame = LocalFrame::for_district(&district);
        let index = GridIndex::new(frame, INDEX_CELL_M, &units);
        for step in 0..30 {
            let position = LatLon::new(
                31.195 + 0.0017 * f64::from(step),
                121.456 + 0.0015 * f64::from(step),
            );
            for count in [1, 5, 16, 500] {
                let ring4 = |unit: &CandidateUnit| unit.ring == Ring::SpecialPolice;
                let expected = brute_force(&units, &frame, &position, ring4);
                let got = index.nearest(&position, count, ring4);
                assert_eq!(
                    got,
                    expected[..count.min(expected.len())],
                    "step {step} count {count}"
                );
            }
        }
    }

    // A point hundreds of kilometres away (a GPS fix at 0,0 or a unit moved
    // 420 km) gets the same answer as a brute-force scan, and its rings
    // are walked only where they cross the units' cells.
    #[test]
    fn a_far_point_costs_no_more_than_the_district() {
        let district = District::embedded();
        let units = candidates_at_home(&district);
        let frame = LocalFrame::for_district(&district);
        let index = GridIndex::new(frame, INDEX_CELL_M, &units);
        for position in [
            LatLon::new(0.0, 0.0),
            LatLon::new(35.0, 121.48),
            LatLon::new(31.23, 125.9),
        ] {
            let expected = brute_force(&units, &frame, &position, |_| true);
            assert_eq!(index.nearest(&position, 5, |_| true), expected[..5]);
        }
        let (low, high) = index.extent.unwrap();
        let bound = 2 * ((high.0 - low.0 + 1) + (high.1 - low.1 + 1));
        for radius in [0, 1, 7, 10_000, 10_000_000] {
            for centre in [
                (0, 0),
                (low.0 - 50_000, high.1 + 3),
                (high.0 + 9, high.1 + 9),
            ] {
                let cells: Vec<Cell> = ring_cells_within(centre, radius, (low, high)).collect();
                assert!(
                    cells.len() as i64 <= bound,
                    "{radius} {centre:?}: {}",
                    cells.len()
                );
                let expected: std::collections::BTreeSet<Cell> = (low.0..=high.0)
                    .flat_map(|x| (low.1..=high.1).map(move |y| (x, y)))
                    .filter(|(x, y)| (x - centre.0).abs().max((y - centre.1).abs()) == radius)
                    .collect();
                let got: std::collections::BTreeSet<Cell> = cells.iter().copied().collect();
                assert_eq!(got.len(), cells.len(), "each cell once");
                assert_eq!(got, expected, "{radius} {centre:?}");
            }
        }
    }

    // Units at the same spot come back in unit id order, whatever the input order.
    #[test]
    fn ties_break_by_unit_id() {
        let district = District::embedded();
        let mut units: Vec<CandidateUnit> =
            candidates_at_home(&district).into_iter().take(3).collect();
        let spot = LatLon::new(31.23, 121.48);
        for (unit, id) in units.iter_mut().zip(["c", "a", "b"]) {
            unit.position = spot;
            unit.id = id.to_owned();
        }
        let index = GridIndex::new(LocalFrame::for_district(&district), INDEX_CELL_M, &units);
        let ids: Vec<&str> = index
            .nearest(&spot, 3, |_| true)
            .iter()
            .map(|n| n.unit.id.as_str())
            .collect();
        assert_eq!(ids, ["a", "b", "c"]);
    }

    // A filter that rejects everything, or a count of zero, finds nothing.
    #[test]
    fn empty_answers() {
        let district = District::embedded();
        let units = candidates_at_home(&district);
        let index = GridIndex::new(LocalFrame::for_district(&district), INDEX_CELL_M, &units);
        let spot = LatLon::new(31.23, 121.48);
        assert!(index.nearest(&spot, 5, |_| false).is_empty());
        assert!(index.nearest(&spot, 0, |_| true).is_empty());
    }
}
