//! `cordon replay`: a seeded district day or the New Year surge, replayed
//! offline through the dispatch planning code once per policy
//! (closest-idle, coverage-aware, coverage-aware with move-up), with per
//! ring the share on scene within target, the 90th-percentile response
//! time (as NFPA 1710 reports it), ring 4's 3-minute compliance, the
//! incidents that waited for a unit, the police units' utilisation, and
//! the fraction late against closest-idle's. `--json` for machines,
//! `--svg` for the response-time distributions. See [`engine`].

pub mod engine;
mod svg;

use cordon_config::district::{District, Ring};
use serde::Serialize;

use engine::{by_ring, Replayed, Response};
pub use engine::{ReplayPolicy, Scenario};

/// One policy's figures.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyResult {
    /// The policy.
    pub policy: ReplayPolicy,
    /// Incidents answered.
    pub incidents: usize,
    /// Share answered later than their ring's target.
    pub late_fraction: f64,
    /// `late_fraction` over closest-idle's in the same replay.
    pub late_vs_closest_idle: Option<f64>,
    /// Incidents that waited for a unit to free.
    pub waited: usize,
    /// Incidents still waiting at the end.
    pub unanswered: usize,
    /// Busy share of the police rings' units.
    pub police_utilisation: f64,
    /// Move-ups made.
    pub move_ups: usize,
    /// Ring 4's promise: of the incidents triaged to ring 4, the share with
    /// a ring-4 unit on scene within 180 s (none without such incidents).
    pub ring4_within_180_s_share: Option<f64>,
    /// Incidents triaged to ring 4.
    pub ring4_incidents: usize,
    /// Per ring that answered.
    pub rings: Vec<RingResult>,
    /// Response times, for the plot (not in the JSON).
    #[serde(skip)]
    pub responses: Vec<Response>,
}

/// One ring's figures under one policy.
#[derive(Debug, Clone, Serialize)]
pub struct RingResult {
    /// 1 to 4.
    pub ring: u8,
    /// Incidents it answered.
    pub incidents: usize,
    /// Share on scene within target.
    pub within_target_share: f64,
    /// 90th-percentile response time, seconds (nearest rank).
    pub p90_s: u32,
    /// Incidents it answered that were promised a minute (the pedestrian
    /// street, a one-minute point): targets of at most [`MINUTE_TARGET_S`].
    pub tight_target_incidents: usize,
}

/// The longest target counted as a one-minute promise, in seconds.
pub const MINUTE_TARGET_S: u32 = 60;

/// The whole replay.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayReport {
    /// `ordinary` or `new-year`.
    pub profile: String,
    /// The seed.
    pub seed: u64,
    /// Local start, `HH:MM`.
    pub start: String,
    /// Minutes replayed.
    pub minutes: u32,
    /// The load's rate scale.
    pub rate_scale: f64,
    /// Share of the incidents late even if each found every unit free at
    /// home ([`engine::late_with_every_unit_free`]): the lateness no choice
    /// of unit removes.
    pub late_with_every_unit_free: f64,
    /// That share over closest-idle's late fraction: the least
    /// `late_vs_closest_idle` a policy that sends units home can reach.
    pub late_with_every_unit_free_vs_closest_idle: Option<f64>,
    /// One entry per policy, in the order asked.
    pub policies: Vec<PolicyResult>,
}

/// Replays `scenario` once per policy.
pub fn run(
    district: &District,
    scenario: &Scenario,
    policies: &[ReplayPolicy],
) -> anyhow::Result<ReplayReport> {
    let mut results = Vec::with_capacity(policies.len());
    for policy in policies {
        let replayed = engine::replay(district, scenario, *policy)?;
        results.push(summarise(*policy, replayed));
    }
    let baseline = results
        .iter()
        .find(|result| result.policy == ReplayPolicy::ClosestIdle)
        .map(|result| result.late_fraction);
    for result in &mut results {
        result.late_vs_closest_idle = baseline
            .filter(|base| *base > 0.0)
            .map(|base| result.late_fraction / base);
    }
    let (late_free, incidents) = engine::late_with_every_unit_free(district, scenario)?;
    let late_with_every_unit_free = share(late_free, incidents);
    Ok(ReplayReport {
        late_with_every_unit_free,
        late_with_every_unit_free_vs_closest_idle: baseline
            .filter(|base| *base > 0.0)
            .map(|base| late_with_every_unit_free / base),
        profile: scenario.profile.to_string(),
        seed: scenario.seed,
        start: scenario.start.to_string(),
        minutes: scenario.minutes,
        rate_scale: scenario.rate_scale,
        policies: results,
    })
}

fn summarise(policy: ReplayPolicy, replayed: Replayed) -> PolicyResult {
    let late = replayed
        .responses
        .iter()
        .filter(|r| r.response_s > r.target_s)
        .count();
    let incidents = replayed.responses.len();
    let ring4: Vec<&Response> = replayed
        .responses
        .iter()
        .filter(|r| r.triaged == Ring::SpecialPolice)
        .collect();
    let rings = by_ring(&replayed.responses)
        .into_iter()
        .map(|(ring, responses)| ring_result(ring, &responses))
        .collect();
    PolicyResult {
        policy,
        incidents,
        late_fraction: share(late, incidents),
        late_vs_closest_idle: None,
        waited: replayed.responses.iter().filter(|r| r.waited).count(),
        unanswered: replayed.unanswered,
        police_utilisation: if replayed.police_unit_s > 0.0 {
            replayed.police_busy_s / replayed.police_unit_s
        } else {
            0.0
        },
        move_ups: replayed.move_ups,
        ring4_within_180_s_share: (!ring4.is_empty()).then(|| {
            share(
                ring4.iter().filter(|r| r.response_s <= 180).count(),
                ring4.len(),
            )
        }),
        ring4_incidents: ring4.len(),
        rings,
        responses: replayed.responses,
    }
}

fn ring_result(ring: u8, responses: &[Response]) -> RingResult {
    let within = responses
        .iter()
        .filter(|r| r.response_s <= r.target_s)
        .count();
    let mut times: Vec<u32> = responses.iter().map(|r| r.response_s).collect();
    times.sort_unstable();
    let rank = ((times.len() as f64 * 0.9).ceil() as usize).clamp(1, times.len().max(1));
    RingResult {
        ring,
        incidents: responses.len(),
        within_target_share: share(within, responses.len()),
        p90_s: times.get(rank - 1).copied().unwrap_or(0),
        tight_target_incidents: responses
            .iter()
            .filter(|r| r.target_s <= MINUTE_TARGET_S)
            .count(),
    }
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Prints the report as a table.
pub fn print(report: &ReplayReport) {
    println!(
        "replay: {} from {} for {} min, seed {}, rate x{}",
        report.profile, report.start, report.minutes, report.seed, report.rate_scale
    );
    println!(
        "{:<24} {:>9} {:>7} {:>9} {:>6} {:>6} {:>7} {:>8}   per ring: incidents, within target, p90 s",
        "policy", "incidents", "late", "vs c-i", "waited", "util", "moves", "ring4<=3m"
    );
    for policy in &report.policies {
        let ring4 = policy.ring4_within_180_s_share;
        let per_ring: Vec<String> = policy
            .rings
            .iter()
            .map(|r| {
                format!(
                    "r{} {} ({} tight) {:.1}% {}",
                    r.ring,
                    r.incidents,
                    r.tight_target_incidents,
                    100.0 * r.within_target_share,
                    r.p90_s
                )
            })
            .collect();
        println!(
            "{:<24} {:>9} {:>6.2}% {:>9} {:>6} {:>5.1}% {:>7} {:>8}   {}",
            format!("{:?}", policy.policy),
            policy.incidents,
            100.0 * policy.late_fraction,
            policy
                .late_vs_closest_idle
                .map_or("-".to_owned(), |ratio| format!("{ratio:.2}x")),
            policy.waited,
            100.0 * policy.police_utilisation,
            policy.move_ups,
            ring4.map_or("-".to_owned(), |share| format!("{:.1}%", 100.0 * share)),
            per_ring.join(" | ")
        );
    }
    println!(
        "late even with every unit free at home: {:.2}% ({} closest-idle's)",
        100.0 * report.late_with_every_unit_free,
        report
            .late_with_every_unit_free_vs_closest_idle
            .map_or("-".to_owned(), |ratio| format!("{ratio:.2}x"))
    );
}

/// Each policy's figures over several seeds' reports (of the same
/// scenario otherwise) as mean [min-max].
pub fn print_spread(reports: &[ReplayReport]) {
    let Some(first) = reports.first() else {
        return;
    };
    println!(
        "replay: {} from {} for {} min, seeds {}-{}, rate x{}; mean [min-max] over {} seeds",
        first.profile,
        first.start,
        first.minutes,
        first.seed,
        first.seed + reports.len() as u64 - 1,
        first.rate_scale,
        reports.len()
    );
    println!(
        "{:<24} {:>22} {:>22} {:>22} {:>22} {:>12}",
        "policy",
        "late %",
        "late vs closest-idle",
        "ring 3 within target %",
        "ring 4 within 3 min %",
        "move-ups"
    );
    for (index, policy) in first.policies.iter().enumerate() {
        let of = |pick: &dyn Fn(&PolicyResult) -> Option<f64>| {
            let values: Vec<f64> = reports
                .iter()
                .filter_map(|report| report.policies.get(index).and_then(pick))
                .collect();
            spread(&values)
        };
        println!(
            "{:<24} {:>22} {:>22} {:>22} {:>22} {:>12}",
            format!("{:?}", policy.policy),
            of(&|p| Some(100.0 * p.late_fraction)),
            of(&|p| p.late_vs_closest_idle),
            of(&|p| {
                p.rings
                    .iter()
                    .find(|r| r.ring == 3)
                    .map(|r| 100.0 * r.within_target_share)
            }),
            of(&|p| p.ring4_within_180_s_share.map(|share| 100.0 * share)),
            of(&|p| Some(p.move_ups as f64)),
        );
    }
    let free: Vec<f64> = reports
        .iter()
        .map(|report| 100.0 * report.late_with_every_unit_free)
        .collect();
    let free_ratio: Vec<f64> = reports
        .iter()
        .filter_map(|report| report.late_with_every_unit_free_vs_closest_idle)
        .collect();
    println!(
        "{:<24} {:>22} {:>22}",
        "every unit free at home",
        spread(&free),
        spread(&free_ratio)
    );
}

/// "mean [min-max]" of `values`, "-" with none.
fn spread(values: &[f64]) -> String {
    if values.is_empty() {
        return "-".to_owned();
    }
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!("{mean:.2} [{min:.2}-{max:.2}]")
}

/// A better ring-4 layout for `district` at a calm hour, for its promise of
/// 3 minutes anywhere: the greedy moves of its roving vehicles and standby
/// squad from their homes, with the share of demand ring 4 reaches within
/// 3 minutes before and after; printed, with each final home as the
/// district file would say it, and how many more vehicles the promise
/// would need.
pub fn print_layout(district: &District) {
    use cordon_actors::planning::move_up::{improve_layout, posts};
    use cordon_actors::planning::{candidates_at_home, CoverageBook, StreetRouter, TravelModel};
    use cordon_config::district::Ring;

    let router = StreetRouter::new(district);
    let model = TravelModel::calm(&router);
    let mut units = candidates_at_home(district);
    let mut book = CoverageBook::new(district);
    let share = |book: &mut CoverageBook, units: &[cordon_actors::planning::CandidateUnit]| {
        book.report(&model, units)
            .ring_target_share(Ring::SpecialPolice)
    };
    let before = share(&mut book, &units);
    let moves = improve_layout(
        &mut book,
        &model,
        district,
        &units,
        Ring::SpecialPolice,
        &posts(district),
    );
    for move_up in &moves {
        println!(
            "move {} to {} [{:.5}, {:.5}]: +{:.2} % of demand",
            move_up.unit_id,
            move_up.post_name,
            move_up.post.lat,
            move_up.post.lon,
            move_up.gain_ppm as f64 / 1e4
        );
        if let Some(unit) = units.iter_mut().find(|unit| unit.id == move_up.unit_id) {
            unit.position = move_up.post;
        }
    }
    let after = share(&mut book, &units);
    println!("ring 4 reaches {:.1} % of the demand within 3 minutes from its homes; {:.1} % after the moves", 100.0 * before, 100.0 * after);
    for unit in units
        .iter()
        .filter(|unit| moves.iter().any(|m| m.unit_id == unit.id))
    {
        println!(
            "{}: home = [{:.5}, {:.5}]",
            unit.id, unit.position.lat, unit.position.lon
        );
    }
    print_vehicles_needed(&mut book, &model, district, &units);
}

/// How many more roving vehicles ring 4 would need, from `units`, to reach
/// 95 % and 99 % of the demand within its target, and where they would wait.
fn print_vehicles_needed(
    book: &mut cordon_actors::planning::CoverageBook,
    model: &cordon_actors::planning::TravelModel<'_>,
    district: &District,
    units: &[cordon_actors::planning::CandidateUnit],
) {
    use cordon_actors::planning::move_up::{posts, vehicles_to_reach, ADDED_VEHICLES_MAX};
    use cordon_config::district::UnitKind;

    let Some(like) = units
        .iter()
        .find(|unit| unit.kind == UnitKind::RovingSpecialVehicle)
    else {
        return;
    };
    let posts = posts(district);
    for target in [0.95, 0.99] {
        let (added, with_added) = vehicles_to_reach(book, model, units, &like.id, target, &posts);
        let reached = added.last().map_or(0.0, |(_, share)| *share);
        let verdict = if reached >= target {
            format!("{} more roving vehicles reach it", added.len())
        } else {
            format!(
                "{} more roving vehicles reach only {:.1} % (at most {ADDED_VEHICLES_MAX} tried; some demand is out of a car's reach in time from any post)",
                added.len(),
                100.0 * reached
            )
        };
        println!(
            "ring 4 at {:.0} % of demand within 3 minutes: {verdict}",
            100.0 * target
        );
        for (post, share) in &added {
            println!(
                "  + a vehicle at {} [{:.5}, {:.5}]: {:.1} %",
                post.name,
                post.at.lat,
                post.at.lon,
                100.0 * share
            );
        }
        print_gaps_left(&book.report(model, &with_added));
    }
}

/// The demand ring 4 still does not reach within 3 minutes, and where.
fn print_gaps_left(report: &cordon_actors::planning::CoverageReport) {
    use cordon_config::district::Ring;

    let missed: Vec<_> = report
        .gaps
        .iter()
        .filter(|gap| gap.ring == Ring::SpecialPolice && gap.best_eta_s.is_none())
        .collect();
    let ppm: u32 = missed.iter().map(|gap| gap.demand_ppm).sum();
    println!(
        "  still beyond 3 minutes: {:.2} % of demand at {} points",
        f64::from(ppm) / 1e4,
        missed.len()
    );
    for gap in missed.iter().take(8) {
        println!(
            "    [{:.5}, {:.5}] {} ppm",
            gap.at.lat, gap.at.lon, gap.demand_ppm
        );
    }
}

/// The response-time distributions of every policy as an SVG document.
pub fn svg(report: &ReplayReport) -> String {
    svg::cdf(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cordon_load::{ClockTime, LoadProfile};

    fn evening(minutes: u32) -> Scenario {
        Scenario {
            profile: LoadProfile::Ordinary,
            seed: 7,
            start: ClockTime::new(19, 0).unwrap(),
            minutes,
            rate_scale: 4.0,
        }
    }

    // Every policy runs on an evening's load; a seed gives the same JSON
    // twice; every incident is answered and each answered one counted once;
    // the lateness left with every unit free is no more than closest-idle's.
    #[test]
    fn a_seed_replays_the_same_for_every_policy() {
        let district = District::embedded();
        let policies = [
            ReplayPolicy::ClosestIdle,
            ReplayPolicy::CoverageAware,
            ReplayPolicy::CoverageAwareMoveUp,
        ];

        let first = run(&district, &evening(30), &policies).unwrap();
        let again = run(&district, &evening(30), &policies).unwrap();

        let json = |report: &ReplayReport| serde_json::to_string(report).unwrap();
        assert_eq!(json(&first), json(&again));
        assert_eq!(first.policies.len(), 3);
        for policy in &first.policies {
            assert!(policy.incidents > 20, "{policy:?}");
            assert_eq!(policy.unanswered, 0, "{policy:?}");
            let by_ring: usize = policy.rings.iter().map(|ring| ring.incidents).sum();
            assert_eq!(by_ring, policy.incidents);
        }
        assert_eq!(
            first.policies[0].late_vs_closest_idle.is_some(),
            first.policies[0].late_fraction > 0.0
        );
        assert!(svg(&first).contains("<polyline"));
        // Every unit free at home is the best a unit can be placed for each
        // incident alone: closest-idle on the same evening is no better.
        assert!(first.late_with_every_unit_free <= first.policies[0].late_fraction);
    }
}
