//! Coverage on the embedded district at home positions, with units taken
//! away, and a kept book against a fresh one. All pure.

use cordon_config::district::{District, Ring};

use super::*;
use crate::planning::facts::candidates_at_home;
use crate::planning::router::{LocalTime, StreetRouter};
use crate::planning::travel::Turnouts;

fn share(report: &CoverageReport, ring: Ring) -> f64 {
    report
        .ring(ring)
        .expect("tracked ring")
        .demand_covered_share()
}

// The demand adds up to the whole (less rounding), every kind of place is
// sampled, and each point carries the police rings' targets.
#[test]
fn demand_points_add_up_to_the_whole() {
    let district = District::embedded();
    let points = demand_points(&district);

    let total: u64 = points.iter().map(|point| u64::from(point.weight_ppm)).sum();
    assert!((999_000..=1_000_000).contains(&total), "{total}");
    for kind in [DemandKind::Zone, DemandKind::Area, DemandKind::Point] {
        assert!(points.iter().any(|point| point.kind == kind), "{kind:?}");
    }
    assert!((600..=1_400).contains(&points.len()), "{}", points.len());
    assert!(points.iter().any(|point| point.targets_s == [60, 60]));
    assert!(points.iter().any(|point| point.targets_s == [300, 180]));
}

// With every unit at home each police ring reaches most of the demand;
// asking again gives the same report. Measured on the curated streets at a
// calm hour: ring 3 97.6 % within its targets (99.4 % within 5 minutes; it
// misses the 60 s demand on the pedestrian street's edges), ring 4 79.8 %
// (the 60 s at the one-minute points and on the pedestrian street) and
// 94.0 % within its 3 minutes (the southern riverside is beyond them).
#[test]
fn full_strength_coverage_at_home() {
    let district = District::embedded();
    let router = StreetRouter::new(&district);
    let model = TravelModel::calm(&router);
    let units = candidates_at_home(&district);
    let mut book = CoverageBook::new(&district);

    let report = book.report(&model, &units);

    assert!(
        share(&report, Ring::StreetPatrol) >= 0.95,
        "{:?}",
        report.rings
    );
    assert!(
        share(&report, Ring::SpecialPolice) >= 0.75,
        "{:?}",
        report.rings
    );
    let ring4 = report.ring(Ring::SpecialPolice).unwrap();
    assert!(ring4.ring_target_share() >= 0.93, "{ring4:?}");
    assert!(report.calm);
    assert_eq!(book.report(&model, &units), report);
    for gap in &report.gaps {
        assert!(
            gap.best_eta_s.is_none_or(|eta_s| eta_s > gap.target_s),
            "{gap:?}"
        );
    }
}

// Taking the southern ring-4 units out of service opens gaps in the south;
// with no ring-4 unit nothing is covered; a kept book answers as a fresh one.
#[test]
fn coverage_drops_when_units_go_and_a_kept_book_agrees_with_a_fresh_one() {
    let district = District::embedded();
    let router = StreetRouter::new(&district);
    let model = TravelModel::calm(&router);
    let mut units = candidates_at_home(&district);
    let mut book = CoverageBook::new(&district);
    let full = book.report(&model, &units);

    let south_lat_max = 31.215;
    for unit in units
        .iter_mut()
        .filter(|u| u.ring == Ring::SpecialPolice && u.position.lat < south_lat_max)
    {
        unit.available = false;
    }
    let thinned = book.report(&model, &units);

    assert!(share(&thinned, Ring::SpecialPolice) < share(&full, Ring::SpecialPolice));
    assert_eq!(
        share(&thinned, Ring::StreetPatrol),
        share(&full, Ring::StreetPatrol)
    );
    assert!(thinned
        .gaps
        .iter()
        .any(|gap| gap.ring == Ring::SpecialPolice && gap.at.lat < south_lat_max));
    assert_eq!(thinned, CoverageBook::new(&district).report(&model, &units));
    for unit in units.iter_mut() {
        unit.available = false;
    }
    let none = book.report(&model, &units);
    assert_eq!(share(&none, Ring::SpecialPolice), 0.0);
    assert_eq!(none.ring(Ring::SpecialPolice).unwrap().points_covered, 0);
}

// The New Year's Eve crowds, which shut cars out of the Bund and slow
// walkers, lower ring 4's coverage; the report says it is not calm.
#[test]
fn the_countdown_crowds_lower_coverage() {
    let district = District::embedded();
    let router = StreetRouter::new(&district);
    let units = candidates_at_home(&district);
    let countdown = router.regime_at(&LocalTime {
        month: 12,
        day: 31,
        minute: 23 * 60 + 30,
    });
    let mut book = CoverageBook::new(&district);

    let calm = book.report(&TravelModel::calm(&router), &units);
    let crowded = book.report(
        &TravelModel::new(&router, &countdown, Turnouts::default()),
        &units,
    );

    assert!(!crowded.calm);
    assert!(share(&crowded, Ring::SpecialPolice) < share(&calm, Ring::SpecialPolice));
}
