//! The load generator's tests: figures, replay, rates, shapes, hot spots,
//! API bodies, flags and the district it needs.

use cordon_api::incidents::ReportIncident;
use cordon_config::district::demand::{
    ORDINARY_AREA_SHARE, ORDINARY_POINT_SHARE, ORDINARY_ZONE_SHARE,
};
use cordon_config::district::{LatLon, BUND_AREA_ID};
use cordon_config::District;
use cordon_consensus::ledger::{Action, Channel, IncidentKind, Position};
use rand::rngs::StdRng;
use rand::SeedableRng;

use super::places::*;
use super::rates::*;
use super::*;

fn embedded() -> District {
    District::embedded()
}

fn at(text: &str) -> ClockTime {
    text.parse().expect("a clock time")
}

/// Reports of `profile` with `seed` from `start` for `minutes`.
fn schedule(profile: LoadProfile, seed: u64, start: &str, minutes: u32) -> Vec<ScheduledReport> {
    let plan = LoadPlan::new(profile, seed, at(start));
    LoadGenerator::new(&embedded(), &plan)
        .expect("the embedded district plans every profile")
        .reports_within_minutes(minutes)
}

/// Reports whose clock time is in [from, to) minutes after the start.
fn between(reports: &[ScheduledReport], from_min: u64, to_min: u64) -> Vec<&ScheduledReport> {
    reports
        .iter()
        .filter(|r| (from_min * 60_000..to_min * 60_000).contains(&r.offset_ms))
        .collect()
}

fn near_bund_share(reports: &[&ScheduledReport]) -> f64 {
    reports.iter().filter(|r| r.near_bund).count() as f64 / reports.len().max(1) as f64
}

// The figures hold together and say what their comments say: the shares sum to 1, an
// ordinary day is about 1,290 reports, the Huangpu surge peaks at 11.6 a minute.
#[test]
fn figures_hold_together() {
    let shares = ORDINARY_AREA_SHARE + ORDINARY_POINT_SHARE + ORDINARY_ZONE_SHARE;
    assert!((shares - 1.0).abs() < 1e-9, "{shares}");
    let per_day: f64 = (0..MINUTES_PER_DAY)
        .map(|m| ordinary_rate_per_min(f64::from(m)))
        .sum();
    assert!((1_280.0..1_300.0).contains(&per_day), "{per_day} a day");
    assert!((ordinary_rate_per_min(4.5 * 60.0) - 0.25).abs() < 1e-9);
    assert!((ordinary_rate_per_min(20.5 * 60.0) - 1.45).abs() < 1e-9);

    let plan = LoadPlan::new(LoadProfile::NewYearSurge, 0, at("00:00"));
    let generator = LoadGenerator::new(&embedded(), &plan).expect("plan");
    assert!((generator.surge_peak_per_min - 11.6).abs() < 1e-9);
    assert_eq!(generator.rates_per_min(-180.0).1, 0.0); // 21:00
    assert!((generator.rates_per_min(3.0).1 - 11.6).abs() < 1e-9); // 00:03
    assert!(SURGE_SHAPE.windows(2).all(|pair| pair[0].0 < pair[1].0));
}

// A seed, a profile and a start time give exactly the same schedule; another seed another.
#[test]
fn same_plan_same_schedule_other_seed_other_schedule() {
    let first = schedule(LoadProfile::NewYearSurge, 7, "22:00", 180);
    let again = schedule(LoadProfile::NewYearSurge, 7, "22:00", 180);
    let other = schedule(LoadProfile::NewYearSurge, 8, "22:00", 180);

    assert!(first.len() > 500, "{} reports", first.len());
    assert_eq!(first, again);
    assert_ne!(first[..20], other[..20]);
}

// Offsets never decrease, request ids are unique, clock times follow the start.
#[test]
fn schedule_is_ordered_with_unique_ids() {
    let reports = schedule(LoadProfile::Ordinary, 3, "23:50", 30);

    assert!(reports
        .windows(2)
        .all(|pair| pair[0].offset_ms <= pair[1].offset_ms));
    let ids: std::collections::BTreeSet<_> = reports.iter().map(|r| &r.request_id).collect();
    assert_eq!(ids.len(), reports.len());
    assert_eq!(reports[0].request_id, "load-3-1");
    let first = &reports[0];
    assert_eq!(
        first.clock_ms,
        23 * 3_600_000 + 50 * 60_000 + first.offset_ms
    );
    let after_midnight = reports
        .iter()
        .find(|r| r.offset_ms >= 10 * 60_000)
        .expect("a report after 00:00");
    assert!(
        after_midnight.clock().starts_with("00:"),
        "{}",
        after_midnight.clock()
    );
}

// Ordinary load is heavier in the evening than before dawn, about as the hourly table says.
#[test]
fn ordinary_rate_follows_the_time_of_day() {
    let mut dawn = 0;
    let mut evening = 0;
    for seed in 0..5 {
        dawn += schedule(LoadProfile::Ordinary, seed, "04:00", 60).len();
        evening += schedule(LoadProfile::Ordinary, seed, "20:00", 60).len();
    }

    // Table: about 0.26 a minute from 04:00 to 05:00, 1.44 from 20:00 to 21:00.
    assert!((50..110).contains(&dawn), "dawn {dawn}");
    assert!((350..520).contains(&evening), "evening {evening}");
}

// The surge: rising toward midnight, a spike just after it well above the evening, then decay.
#[test]
fn new_year_surge_has_its_shape() {
    let (mut evening, mut before, mut spike, mut later) = (0, 0, 0, 0);
    for seed in 0..5 {
        let reports = schedule(LoadProfile::NewYearSurge, seed, "21:00", 240);
        evening += between(&reports, 0, 6).len(); // 21:00-21:06
        before += between(&reports, 170, 176).len(); // 23:50-23:56
        spike += between(&reports, 179, 185).len(); // 23:59-00:05
        later += between(&reports, 210, 216).len(); // 00:30-00:36
    }

    assert!(spike > 4 * evening, "spike {spike} evening {evening}");
    assert!(2 * spike > 3 * before, "spike {spike} before {before}");
    assert!(before > evening, "before {before} evening {evening}");
    assert!(later < spike / 2, "later {later} spike {spike}");
}

// In the surge window most reports are near the Bund, far more than at the same hour of an ordinary night.
#[test]
fn surge_concentrates_near_the_bund() {
    let mut surge = Vec::new();
    let mut ordinary = Vec::new();
    for seed in 0..5 {
        surge.extend(
            between(
                &schedule(LoadProfile::NewYearSurge, seed, "23:30", 60),
                30,
                40,
            )
            .into_iter()
            .cloned(),
        );
        ordinary.extend(schedule(LoadProfile::Ordinary, seed, "23:30", 60));
    }
    let surge_share = near_bund_share(&surge.iter().collect::<Vec<_>>());
    let ordinary_share = near_bund_share(&ordinary.iter().collect::<Vec<_>>());

    assert!(surge_share > 0.5, "surge share {surge_share}");
    assert!(
        surge_share > 2.0 * ordinary_share,
        "surge {surge_share} ordinary {ordinary_share}"
    );
    let crowd_kinds = surge
        .iter()
        .filter(|r| {
            matches!(
                r.incident.kind,
                IncidentKind::CrowdCrush | IncidentKind::MissingPerson
            )
        })
        .count();
    assert!(
        crowd_kinds * 4 > surge.len(),
        "{crowd_kinds} of {}",
        surge.len()
    );
}

// Ordinary reports crowd the hot spots: the Bund's vicinity and the sensitive areas draw
// several times their share of the district's surface (measured by uniform points).
#[test]
fn ordinary_load_is_weighted_by_hot_spots() {
    let district = embedded();
    let bund = BundVicinity::of(&district).expect("the Bund");
    let mut rng = StdRng::seed_from_u64(1);
    let uniform: Vec<LatLon> =
        std::iter::repeat_with(|| uniform_in_box(&mut rng, district.bounds()))
            .filter(|p| district.contains(p))
            .take(20_000)
            .collect();
    let in_areas = |p: &LatLon| district.sensitive_areas().iter().any(|a| a.contains(p));
    let surface_near_bund =
        uniform.iter().filter(|p| bund.is_near(p)).count() as f64 / uniform.len() as f64;
    let surface_in_areas =
        uniform.iter().filter(|p| in_areas(p)).count() as f64 / uniform.len() as f64;

    let reports = schedule(LoadProfile::Ordinary, 11, "09:00", 12 * 60);
    let locations: Vec<LatLon> = reports
        .iter()
        .map(|r| LatLon::new(r.incident.location.lat(), r.incident.location.lon()))
        .collect();
    let share_near_bund =
        reports.iter().filter(|r| r.near_bund).count() as f64 / reports.len() as f64;
    let share_in_areas =
        locations.iter().filter(|p| in_areas(p)).count() as f64 / locations.len() as f64;

    assert!(
        share_near_bund > 3.0 * surface_near_bund,
        "{share_near_bund} vs surface {surface_near_bund}"
    );
    assert!(
        share_in_areas > 3.0 * surface_in_areas,
        "{share_in_areas} vs surface {surface_in_areas}"
    );
}

// A rate scale multiplies the number of reports and keeps the shape.
#[test]
fn rate_scale_multiplies_the_load() {
    let mut plan = LoadPlan::new(LoadProfile::Ordinary, 5, at("12:00"));
    let single = LoadGenerator::new(&embedded(), &plan)
        .expect("plan")
        .reports_within_minutes(60)
        .len();
    plan.rate_scale = 10.0;
    let tenfold = LoadGenerator::new(&embedded(), &plan)
        .expect("plan")
        .reports_within_minutes(60)
        .len();

    assert!(
        (7 * single..13 * single).contains(&tenfold),
        "x1 {single}, x10 {tenfold}"
    );
}

// The API body has exactly the fields POST /v1/incidents takes, with values the node parses.
#[test]
fn api_body_is_what_the_node_accepts() {
    let report = schedule(LoadProfile::NewYearSurge, 2, "23:58", 5).remove(0);
    let body = report.api_body();

    let mut keys: Vec<_> = body
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "channel",
            "description",
            "force_level",
            "kind",
            "lat",
            "lon",
            "priority",
            "request_id"
        ]
    );
    assert_eq!(
        body["kind"]
            .as_str()
            .and_then(|k| k.parse::<IncidentKind>().ok()),
        Some(report.incident.kind)
    );
    let channel: Channel = serde_json::from_value(body["channel"].clone()).expect("a channel");
    assert_eq!(channel, report.incident.channel);
    let position = Position::from_degrees(
        body["lat"].as_f64().expect("lat"),
        body["lon"].as_f64().expect("lon"),
    );
    assert_eq!(position, Ok(report.incident.location));
    let typed: ReportIncident =
        serde_json::from_value(body.clone()).expect("the node's ReportIncident");
    assert_eq!(typed, report.report_incident());
    let line: serde_json::Value = serde_json::from_str(&report.json_line()).expect("a JSON line");
    assert_eq!(line["report"], body);
    assert!(
        matches!(report.command(0).action, Action::ReportIncident(ref incident) if *incident == report.incident)
    );
}

// A district without the Bund plans ordinary load but refuses the surge, naming the area.
#[test]
fn surge_needs_the_bund() {
    let mut spec = embedded().into_spec();
    spec.sensitive_areas.retain(|area| area.id != BUND_AREA_ID);
    spec.crowd_rules.retain(|rule| rule.area != BUND_AREA_ID);
    for event in &mut spec.crowd_events {
        event.areas.retain(|area| area != BUND_AREA_ID);
    }
    spec.crowd_events.retain(|event| !event.areas.is_empty());
    let district = District::from_spec(spec).expect("still a valid district");

    assert!(LoadGenerator::new(
        &district,
        &LoadPlan::new(LoadProfile::Ordinary, 1, at("12:00"))
    )
    .is_ok());
    let error = LoadGenerator::new(
        &district,
        &LoadPlan::new(LoadProfile::NewYearSurge, 1, at("22:00")),
    )
    .expect_err("no Bund");
    assert!(error.to_string().contains(BUND_AREA_ID), "{error}");
}

// The steady stream of the demo and the benchmarks is the ordinary schedule from 20:00
// without its timing: the same seed gives the same stream and another seed another,
// request ids follow the prefix, and every point lies inside the district.
#[test]
fn steady_reports_replay_the_ordinary_evening_inside_the_district() {
    let district = embedded();
    let steady = |seed| {
        SteadyReports::new(&district, seed, "t")
            .expect("the embedded district plans the ordinary profile")
            .take(500)
            .collect::<Vec<_>>()
    };
    let first = steady(7);
    let plan = LoadPlan {
        request_id_prefix: "t".to_string(),
        ..LoadPlan::new(LoadProfile::Ordinary, 7, at("20:00"))
    };
    let schedule: Vec<_> = LoadGenerator::new(&district, &plan)
        .expect("plan")
        .take(500)
        .map(|report| report.report_incident())
        .collect();

    assert_eq!(LoadProfile::Ordinary.usual_start(), at("20:00"));
    assert_eq!(first, steady(7));
    assert_ne!(first[..20], steady(8)[..20]);
    assert_eq!(first, schedule);
    assert_eq!(first[0].request_id.as_deref(), Some("t-1"));
    assert_eq!(first[499].request_id.as_deref(), Some("t-500"));
    for body in &first {
        let point = LatLon::new(body.lat, body.lon);
        assert!(
            district.contains(&point),
            "{:?} at {point}",
            body.request_id
        );
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        // For any seed, profile and start: every report lies in the district, with priority and force level in range, and replaying gives the same reports.
        #[test]
        fn every_report_is_inside_the_district(seed in any::<u64>(), surge in any::<bool>(), start in 0u32..24 * 60) {
            let district = embedded();
            let profile = if surge { LoadProfile::NewYearSurge } else { LoadProfile::Ordinary };
            let start = ClockTime { minute_of_day: start };
            let plan = LoadPlan { rate_scale: 20.0, ..LoadPlan::new(profile, seed, start) };
            let reports: Vec<_> = LoadGenerator::new(&district, &plan).expect("plan").take(300).collect();
            let again: Vec<_> = LoadGenerator::new(&district, &plan).expect("plan").take(300).collect();

            prop_assert_eq!(&reports, &again);
            for report in &reports {
                let location = LatLon::new(report.incident.location.lat(), report.incident.location.lon());
                prop_assert!(district.contains(&location), "{} at {location}", report.request_id);
                prop_assert!(report.incident.priority <= 10 && report.incident.force_level <= 10);
            }
        }
    }
}
