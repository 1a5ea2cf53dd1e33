//! `cordon bench --routing-units N`: travel-time queries on the embedded
//! district's street graph, no cluster needed. Places N units (seeded
//! positions inside the district, the district's mix of modes and turnouts)
//! and times, per query, finding the unit that is on scene first among the
//! available half, for random scenes; and one point-to-point travel time.
//! Rounds are repeated so the spread shows. Then coverage: the first report
//! on the embedded district's own units (a search from each), and each
//! report after one unit's status changes.

use std::time::{Duration, Instant};

use cordon_actors::planning::router::{LocalTime, StreetRouter, UnitOnStreets};
use cordon_actors::planning::{candidates_at_home, CoverageBook, TravelModel, Turnouts};
use cordon_config::district::{District, LatLon, TravelMode};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

/// Scenes asked per round.
const QUERIES_PER_ROUND: usize = 2_000;
/// Rounds of queries.
const ROUNDS: usize = 3;

/// One round's figures.
#[derive(Clone, Debug, Serialize)]
pub struct RoutingRound {
    /// Median microseconds to find the quickest available unit.
    pub quickest_p50_us: f64,
    /// 99th percentile of the same.
    pub quickest_p99_us: f64,
    /// Median microseconds of one point-to-point travel time.
    pub travel_p50_us: f64,
    /// 99th percentile of the same.
    pub travel_p99_us: f64,
    /// Queries that found no answer (none expected: the graph is connected).
    pub unanswered: usize,
}

/// The whole run.
#[derive(Clone, Debug, Serialize)]
pub struct RoutingRun {
    /// Units placed.
    pub units: usize,
    /// Street nodes and directed edges of the graph.
    pub nodes: usize,
    /// Directed edges.
    pub edges: usize,
    /// Milliseconds to build the router (R-trees and graphs per mode).
    pub router_build_ms: f64,
    /// Milliseconds to place the units on the streets.
    pub place_ms: f64,
    /// One result per round.
    pub rounds: Vec<RoutingRound>,
    /// Coverage of the district's own units.
    pub coverage: CoverageTimes,
}

/// Coverage reports timed.
#[derive(Clone, Debug, Serialize)]
pub struct CoverageTimes {
    /// Demand points.
    pub points: usize,
    /// Milliseconds of the first report (a search from every unit).
    pub first_ms: f64,
    /// Status changes timed.
    pub changes: usize,
    /// Median milliseconds of a report after one unit's status changed.
    pub after_change_p50_ms: f64,
    /// 99th percentile of the same.
    pub after_change_p99_ms: f64,
    /// Slowest.
    pub after_change_max_ms: f64,
    /// A ring-4 move-up round with its southern units out: the first (every
    /// post's row computed), in milliseconds.
    pub move_up_first_ms: f64,
    /// Median of the rounds after it (the rows kept).
    pub move_up_p50_ms: f64,
    /// Slowest of them.
    pub move_up_max_ms: f64,
}

/// Runs the routing bench with `units` units and `seed`.
pub fn run(units: usize, seed: u64) -> RoutingRun {
    let district = District::embedded();
    let started = Instant::now();
    let router = StreetRouter::new(&district);
    let router_build_ms = ms(started.elapsed());
    let travel = router.under(&router.regime_at(&LocalTime {
        month: 6,
        day: 1,
        minute: 10 * 60,
    }));
    let mut rng = StdRng::seed_from_u64(seed);
    let fleet: Vec<UnitOnStreets> = (0..units)
        .map(|_| random_unit(&district, &mut rng))
        .collect();
    let started = Instant::now();
    let placed = travel.place(&fleet);
    let place_ms = ms(started.elapsed());
    let rounds = (0..ROUNDS)
        .map(|_| {
            let scenes: Vec<LatLon> = (0..QUERIES_PER_ROUND)
                .map(|_| inside(&district, &mut rng))
                .collect();
            let (quickest, lost_units) = timed(&scenes, |scene| {
                travel
                    .quickest(&placed, scene, |unit| unit % 2 == 0)
                    .is_some()
            });
            let (point, lost_trips) = timed(&scenes, |scene| {
                travel
                    .by_streets_s(&fleet[0].position, scene, TravelMode::Car)
                    .is_some()
            });
            RoutingRound {
                unanswered: lost_units + lost_trips,
                quickest_p50_us: super::percentile(&quickest, 50.0) * 1e3,
                quickest_p99_us: super::percentile(&quickest, 99.0) * 1e3,
                travel_p50_us: super::percentile(&point, 50.0) * 1e3,
                travel_p99_us: super::percentile(&point, 99.0) * 1e3,
            }
        })
        .collect();
    let coverage = time_coverage(&district, &router);
    RoutingRun {
        coverage,
        units,
        nodes: district.streets().nodes().len(),
        edges: district.streets().edges().len(),
        router_build_ms,
        place_ms,
        rounds,
    }
}

/// Times coverage on the district's own units: the first report, then one
/// report after each unit in turn goes out of service and back.
fn time_coverage(district: &District, router: &StreetRouter) -> CoverageTimes {
    let model = TravelModel::calm(router);
    let mut units = candidates_at_home(district);
    let mut book = CoverageBook::new(district);
    let started = Instant::now();
    book.report(&model, &units);
    let first_ms = ms(started.elapsed());
    let mut after_change = Vec::with_capacity(units.len() * 2);
    for index in 0..units.len() {
        for available in [false, true] {
            units[index].available = available;
            let started = Instant::now();
            std::hint::black_box(book.report(&model, &units));
            after_change.push(started.elapsed());
        }
    }
    after_change.sort_unstable();
    let changes = after_change.len();
    let max = after_change.iter().max().copied().unwrap_or_default();
    let (move_up_first_ms, mut rounds) = time_move_up(district, &model, &mut book, &units);
    rounds.sort_unstable();
    CoverageTimes {
        points: book.points().len(),
        first_ms,
        changes,
        after_change_p50_ms: super::percentile(&after_change, 50.0),
        after_change_p99_ms: super::percentile(&after_change, 99.0),
        after_change_max_ms: ms(max),
        move_up_first_ms,
        move_up_p50_ms: super::percentile(&rounds, 50.0),
        move_up_max_ms: ms(rounds.last().copied().unwrap_or_default()),
    }
}

/// Rounds of the ring-4 move-up timed after the first.
const MOVE_UP_ROUNDS: usize = 20;

/// Times ring 4's move-up round (as its actor runs it: the home share, the
/// trigger, the proposal) with the units south of Fuxing Road out: the
/// first round's milliseconds, and the durations of the rounds after it.
fn time_move_up(
    district: &District,
    model: &TravelModel<'_>,
    book: &mut CoverageBook,
    units: &[cordon_actors::planning::CandidateUnit],
) -> (f64, Vec<Duration>) {
    use cordon_actors::planning::move_up::{
        home_share, posts, propose_move_ups, trigger_share, Round,
    };
    use cordon_config::district::Ring;

    let mut units = units.to_vec();
    for unit in units
        .iter_mut()
        .filter(|unit| unit.ring == Ring::SpecialPolice && unit.position.lat < 31.215)
    {
        unit.available = false;
    }
    let posts = posts(district);
    let nobody = std::collections::BTreeSet::new();
    let mut round = || {
        let started = Instant::now();
        let home = home_share(book, model, district, Ring::SpecialPolice);
        let trigger = trigger_share(Ring::SpecialPolice, home).unwrap_or(0.0);
        let round = Round::new(Ring::SpecialPolice, trigger, &posts, &nobody);
        std::hint::black_box(propose_move_ups(book, model, district, &units, &round));
        started.elapsed()
    };
    let first = ms(round());
    let rest = (0..MOVE_UP_ROUNDS).map(|_| round()).collect();
    (first, rest)
}

/// Prints the run as a table.
pub fn print(run: &RoutingRun) {
    println!(
        "street graph: {} nodes, {} directed edges; router built in {:.1} ms; {} units placed in {:.1} ms",
        run.nodes, run.edges, run.router_build_ms, run.units, run.place_ms
    );
    println!("round  quickest p50 us  quickest p99 us  travel p50 us  travel p99 us  unanswered");
    for (index, round) in run.rounds.iter().enumerate() {
        println!(
            "{:>5}  {:>15.1}  {:>15.1}  {:>13.1}  {:>13.1}  {:>10}",
            index + 1,
            round.quickest_p50_us,
            round.quickest_p99_us,
            round.travel_p50_us,
            round.travel_p99_us,
            round.unanswered
        );
    }
    let coverage = &run.coverage;
    println!(
        "coverage of {} demand points: first report {:.1} ms; after one status change (x{}): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        coverage.points,
        coverage.first_ms,
        coverage.changes,
        coverage.after_change_p50_ms,
        coverage.after_change_p99_ms,
        coverage.after_change_max_ms
    );
    println!(
        "a ring-4 move-up round, its southern units out: first {:.1} ms; then (x{MOVE_UP_ROUNDS}) p50 {:.2} ms, max {:.2} ms",
        coverage.move_up_first_ms, coverage.move_up_p50_ms, coverage.move_up_max_ms
    );
}

/// A unit somewhere in the district: 70 % on foot, 20 % by patrol cart,
/// 10 % by car (the embedded district's mix), with its mode's turnout.
fn random_unit(district: &District, rng: &mut StdRng) -> UnitOnStreets {
    let mode = match rng.random_range(0..10) {
        0..=6 => TravelMode::Foot,
        7 | 8 => TravelMode::ECart,
        _ => TravelMode::Car,
    };
    UnitOnStreets {
        position: inside(district, rng),
        mode,
        turnout_s: Turnouts::default().of(mode),
        walk_turnout_s: Turnouts::default().of(TravelMode::Foot),
    }
}

/// A uniform random position inside the district's bounds.
fn inside(district: &District, rng: &mut StdRng) -> LatLon {
    let bounds = district.bounds();
    let (lat_min, lat_max) = span(bounds.iter().map(|p| p.lat));
    let (lon_min, lon_max) = span(bounds.iter().map(|p| p.lon));
    loop {
        let at = LatLon::new(
            rng.random_range(lat_min..lat_max),
            rng.random_range(lon_min..lon_max),
        );
        if district.contains(&at) {
            return at;
        }
    }
}

fn span(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values.fold((f64::MAX, f64::MIN), |(low, high), value| {
        (low.min(value), high.max(value))
    })
}

/// Each query's duration, shortest first, and how many found no answer.
fn timed(scenes: &[LatLon], mut query: impl FnMut(&LatLon) -> bool) -> (Vec<Duration>, usize) {
    let mut unanswered = 0;
    let mut durations: Vec<Duration> = scenes
        .iter()
        .map(|scene| {
            let started = Instant::now();
            let answered = std::hint::black_box(query(scene));
            unanswered += usize::from(!answered);
            started.elapsed()
        })
        .collect();
    durations.sort_unstable();
    (durations, unanswered)
}

fn ms(elapsed: Duration) -> f64 {
    elapsed.as_secs_f64() * 1e3
}
