//! `cordon forecast bench-district`: what re-forecasting every area of the
//! district costs. The demo's seeded crowd feed fills a ledger with eight
//! weeks of counts (minutes for the last 8 days, hours before); then each
//! round forecasts every area that holds a sensor (sensitive areas, zones,
//! stations) for the next hour from the minutes and for the next 7 days
//! from the hours, as the forecaster and the console ask for them.

use std::time::Instant;

use anyhow::bail;
use cordon_actors::crowd::{forecast_counts, AreaSetting, ModelChoices, HORIZON_MIN_MAX};
use cordon_config::district::sensors::CrowdArea;
use cordon_config::District;
use cordon_consensus::ledger::crowd::{HOUR_MS, MINUTE_COUNTS_KEPT_MS, MINUTE_MS};
use cordon_consensus::ledger::{
    Action, Command, CrowdReading, Effect, Ledger, Origin, RecordCrowdCounts, RequestId,
    CROWD_READINGS_MAX,
};
use cordon_load::crowd::CrowdFeed;

/// The bench's "now": 2026-12-30 04:00 UTC, noon in Shanghai.
const NOW_MS: u64 = 1_798_603_200_000;
/// Weeks of counts the ledger is filled with.
const HISTORY_WEEKS: u64 = 8;
/// The short horizon, in minutes (the nowcast's).
const NEXT_HOUR_MIN: u32 = 60;

/// Runs `rounds` rounds over every area with counts from the feed `seed`.
pub fn run(rounds: usize, seed: u64) -> anyhow::Result<()> {
    if !(2..=1_000).contains(&rounds) {
        bail!("--rounds {rounds}: run 2 to 1000 rounds, e.g. 20");
    }
    let district = District::embedded();
    let ledger = filled_ledger(&district, seed)?;
    let areas = areas_with_sensors(&district);
    let choices = ModelChoices::default();
    let mut next_hour_ms = Vec::with_capacity(rounds);
    let mut week_ms = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        next_hour_ms.push(round(&ledger, &areas, &choices, NEXT_HOUR_MIN)?);
        week_ms.push(round(&ledger, &areas, &choices, HORIZON_MIN_MAX)?);
    }
    report(areas.len(), &next_hour_ms, &week_ms);
    Ok(())
}

/// An area's id, its sensors and its setting.
type Area = (String, Vec<String>, AreaSetting);

/// Every sensitive area, zone and station that holds a sensor.
fn areas_with_sensors(district: &District) -> Vec<Area> {
    let mut ids: Vec<String> = district
        .sensitive_areas()
        .iter()
        .map(|area| area.id.clone())
        .collect();
    for station in district.stations() {
        ids.push(station.id.clone());
        ids.extend(station.zones.iter().map(|zone| zone.id.clone()));
    }
    ids.into_iter()
        .filter_map(|id| {
            let area = district.crowd_area(&id)?;
            let sensors = district.sensors_in(&area);
            if sensors.is_empty() || matches!(area, CrowdArea::Polygon(_)) {
                return None;
            }
            let setting = AreaSetting::of(district, &sensors);
            let sensors = sensors.into_iter().map(String::from).collect();
            Some((id, sensors, setting))
        })
        .collect()
}

/// The feed's counts for [`HISTORY_WEEKS`] before [`NOW_MS`]: each minute
/// of the last 8 days, one minute per hour before.
fn filled_ledger(district: &District, seed: u64) -> anyhow::Result<Ledger> {
    let feed = CrowdFeed::new(district, seed);
    let from_ms = NOW_MS - HISTORY_WEEKS * 7 * 24 * HOUR_MS;
    let minutes_from = NOW_MS - MINUTE_COUNTS_KEPT_MS + HOUR_MS;
    let times = (from_ms..minutes_from)
        .step_by(HOUR_MS as usize)
        .chain((minutes_from..NOW_MS).step_by(MINUTE_MS as usize));
    let readings: Vec<CrowdReading> = times
        .flat_map(|at_ms| {
            feed.minute(at_ms)
                .into_iter()
                .map(move |(sensor, count)| CrowdReading {
                    sensor,
                    at_ms,
                    count,
                })
        })
        .collect();
    let mut ledger = Ledger::default();
    for (index, chunk) in readings.chunks(CROWD_READINGS_MAX).enumerate() {
        let action = Action::RecordCrowdCounts(RecordCrowdCounts {
            source: "bench feed".into(),
            readings: chunk.to_vec(),
        });
        let request = RequestId(format!("bench-{index}"));
        let command = Command::new(request, NOW_MS, Origin::Operator, action);
        let applied = ledger.apply(index as u64 + 1, &command);
        if !matches!(applied.effect, Effect::CrowdCounted { .. }) {
            bail!("the bench's counts were refused: {:?}", applied.effect);
        }
    }
    Ok(ledger)
}

/// Forecasts every area `horizon_min` ahead; the round's time in ms.
fn round(
    ledger: &Ledger,
    areas: &[Area],
    choices: &ModelChoices,
    horizon_min: u32,
) -> anyhow::Result<f64> {
    let started = Instant::now();
    for (id, sensors, setting) in areas {
        let counts: Vec<_> = sensors
            .iter()
            .map(|sensor| (sensor.clone(), ledger.crowd().sensor(sensor)))
            .collect();
        if let Err(error) = forecast_counts(&counts, setting, choices, NOW_MS, horizon_min) {
            bail!("{id}: {error}");
        }
    }
    Ok(started.elapsed().as_secs_f64() * 1e3)
}

fn report(areas: usize, next_hour_ms: &[f64], week_ms: &[f64]) {
    let stats = |times: &[f64]| {
        let mut warm: Vec<f64> = times[1..].to_vec();
        warm.sort_by(f64::total_cmp);
        let at = |q: f64| warm[((warm.len() - 1) as f64 * q).round() as usize];
        (times[0], at(0.5), at(0.99), at(1.0))
    };
    println!(
        "forecast bench-district: {areas} areas with sensors, {} rounds, {HISTORY_WEEKS} weeks of counts",
        next_hour_ms.len()
    );
    for (label, times) in [
        ("next hour (nowcast)", next_hour_ms),
        ("next 7 days (hours)", week_ms),
    ] {
        let (first, p50, p99, max) = stats(times);
        println!(
            "{label:<22} first {first:>8.1} ms  then p50 {p50:>7.1} ms  p99 {p99:>7.1} ms  max {max:>7.1} ms"
        );
    }
    let (_, hour_p50, hour_p99, _) = stats(next_hour_ms);
    let (_, week_p50, week_p99, _) = stats(week_ms);
    let share = |ms: f64| 100.0 * ms / 60_000.0;
    println!(
        "every area, both horizons, each minute: {:.2} % of one core at p50, {:.2} % at p99",
        share(hour_p50 + week_p50),
        share(hour_p99 + week_p99)
    );
}
