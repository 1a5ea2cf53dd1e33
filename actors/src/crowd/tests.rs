use cordon_consensus::ledger::{
    Action, Command, CrowdReading, Effect, Ledger, Origin, RecordCrowdCounts, RequestId,
};

use super::*;

/// 2026-12-31 20:00 UTC, a whole hour.
pub(crate) const NOW_MS: u64 = 1_798_747_200_000;
const DAY_MS: u64 = 24 * HOUR_MS;

/// A daily shape: quiet at night, busy in the evening.
pub(crate) fn usual(at_ms: u64) -> f64 {
    let hour = (at_ms % DAY_MS) as f64 / HOUR_MS as f64;
    200.0 + 800.0 * (-((hour - 19.0) / 3.0).powi(2)).exp()
}

/// A ledger holding `count(sensor, at)` for each sensor at each time.
pub(crate) fn ledger_with(
    sensors: &[&str],
    times: &[u64],
    count: impl Fn(&str, u64) -> f64,
) -> Ledger {
    let mut readings: Vec<CrowdReading> = Vec::new();
    for at_ms in times {
        for sensor in sensors {
            readings.push(CrowdReading {
                sensor: (*sensor).to_owned(),
                at_ms: *at_ms,
                count: count(sensor, *at_ms).round() as u32,
            });
        }
    }
    let mut ledger = Ledger::default();
    for (index, chunk) in readings.chunks(5_000).enumerate() {
        let action = Action::RecordCrowdCounts(RecordCrowdCounts {
            source: "test feed".into(),
            readings: chunk.to_vec(),
        });
        let command = Command::new(
            RequestId(format!("c-{index}")),
            NOW_MS,
            Origin::Operator,
            action,
        );
        let applied = ledger.apply(index as u64 + 1, &command);
        assert!(
            matches!(applied.effect, Effect::CrowdCounted { .. }),
            "{applied:?}"
        );
    }
    ledger
}

pub(crate) fn minutes_until(now_ms: u64, days: u64) -> Vec<u64> {
    (now_ms - days * DAY_MS..now_ms)
        .step_by(MINUTE_MS as usize)
        .collect()
}

// Two cameras counted each minute for three days, the crowd at twice its
// usual size for the last half hour: the next half hour's nowcast follows
// the surge, from the minute after the last count; the latest sum is the
// two cameras' newest minute.
#[test]
fn the_next_half_hour_follows_a_surge() {
    let times = minutes_until(NOW_MS, 3);
    let surge_from = NOW_MS - 30 * MINUTE_MS;
    let ledger = ledger_with(&["east", "west"], &times, |_, at| {
        usual(at) * if at >= surge_from { 2.0 } else { 1.0 }
    });

    let area = forecast_area(
        ledger.crowd(),
        &["east", "west"],
        &AreaSetting::default(),
        NOW_MS,
        30,
    )
    .unwrap();

    assert_eq!(area.model, Model::Nowcast);
    assert_eq!(area.first_at_ms, NOW_MS);
    assert_eq!(area.forecast.point.len(), 30);
    let expected = 2.0 * 2.0 * usual(NOW_MS);
    assert!(
        (area.forecast.point[0] - expected).abs() / expected < 0.15,
        "{area:?}"
    );
    let (latest_at, latest) = area.latest.unwrap();
    assert_eq!(latest_at, NOW_MS - MINUTE_MS);
    assert!((latest - 4.0 * usual(latest_at)).abs() < 3.0);
}

// Three weeks of hourly counts: a week ahead comes from the combined
// hourly models, starting at the current hour, and keeps the daily shape.
#[test]
fn a_week_ahead_comes_from_the_hours() {
    let times: Vec<u64> = (NOW_MS - 21 * DAY_MS..NOW_MS)
        .step_by(HOUR_MS as usize)
        .collect();
    let ledger = ledger_with(&["gates"], &times, |_, at| usual(at));

    let area = forecast_area(
        ledger.crowd(),
        &["gates"],
        &AreaSetting::default(),
        NOW_MS + 10 * MINUTE_MS,
        HORIZON_MIN_MAX,
    )
    .unwrap();

    assert_eq!(area.model, Model::Combined);
    assert_eq!((area.step_ms, area.first_at_ms), (HOUR_MS, NOW_MS));
    assert!(area.forecast.point.len() >= 168);
    for step in [0, 5, 23, 100, 167] {
        let truth = usual(area.at_ms(step));
        let got = area.forecast.point[step];
        assert!(
            (got - truth).abs() / truth < 0.1,
            "step {step}: {got} vs {truth}"
        );
    }
}

// An area without sensors, a horizon out of range and too few counts are
// refused, each saying what to do.
#[test]
fn what_cannot_be_forecast_says_why() {
    let ledger = ledger_with(&["gates"], &minutes_until(NOW_MS, 0)[..0], |_, _| 0.0);
    let two_hours = ledger_with(
        &["gates"],
        &[NOW_MS - 2 * HOUR_MS, NOW_MS - HOUR_MS],
        |_, _| 9.0,
    );

    let none = forecast_area(ledger.crowd(), &[], &AreaSetting::default(), NOW_MS, 30).unwrap_err();
    let zero = forecast_area(
        two_hours.crowd(),
        &["gates"],
        &AreaSetting::default(),
        NOW_MS,
        0,
    )
    .unwrap_err();
    let short = forecast_area(
        two_hours.crowd(),
        &["gates"],
        &AreaSetting::default(),
        NOW_MS,
        600,
    )
    .unwrap_err();

    assert_eq!(none, CrowdForecastError::NoSensors);
    assert!(zero.to_string().contains("1 to 10080 minutes"), "{zero}");
    assert!(
        short.to_string().contains("needs at least 169 steps"),
        "{short}"
    );
}

// Rising toward the evening peak, an area of 1 200 people at once crosses
// into its medium band at the hour the median does; at the peak it would
// not warn of medium again.
#[test]
fn a_rising_evening_crosses_into_a_higher_band() {
    let times: Vec<u64> = (NOW_MS - 15 * DAY_MS..NOW_MS - 5 * HOUR_MS)
        .step_by(HOUR_MS as usize)
        .collect();
    let ledger = ledger_with(&["gates"], &times, |_, at| usual(at));
    let bands = Bands::of_capacity(1_200);

    let area = forecast_area(
        ledger.crowd(),
        &["gates"],
        &AreaSetting::default(),
        NOW_MS - 5 * HOUR_MS,
        8 * 60,
    )
    .unwrap();
    let crossing = area.crossing(&bands).unwrap();

    assert_eq!(crossing.band, Band::Medium);
    let at = area.at_ms(crossing.step);
    assert!(
        usual(at) >= bands.medium_from * 0.9,
        "crosses at {at}: {}",
        usual(at)
    );
    assert!(usual(at - HOUR_MS) < bands.medium_from * 1.1);
}

// Last year's countdown filled the Bund five-fold from 19:00 to 02:00
// local time (UTC+8). Three days before this year's, the week-ahead
// forecast with the embedded district's calendar is the event calendar's
// and expects the crowd five-fold again at 23:00 local, and the usual crowd
// at 17:00; without the calendar nothing is expected.
#[test]
fn the_week_ahead_expects_the_countdown_from_last_year() {
    let now_ms = 1_798_430_400_000; // 2026-12-28 04:00 UTC, 12:00 local
    let last_countdown = 1_767_178_800_000..1_767_204_000_000; // 2025-12-31 11:00-18:00 UTC
    let times: Vec<u64> = (now_ms - 56 * 7 * DAY_MS..now_ms)
        .step_by(HOUR_MS as usize)
        .collect();
    let camera = "bund-chen-yi-square-camera";
    let ledger = ledger_with(&[camera], &times, |_, at| {
        usual(at)
            * if last_countdown.contains(&at) {
                5.0
            } else {
                1.0
            }
    });
    let district = cordon_config::District::embedded();

    let setting = AreaSetting::of(&district, &[camera]);
    let with = forecast_area(ledger.crowd(), &[camera], &setting, now_ms, HORIZON_MIN_MAX).unwrap();
    let without = forecast_area(
        ledger.crowd(),
        &[camera],
        &AreaSetting::default(),
        now_ms,
        HORIZON_MIN_MAX,
    )
    .unwrap();

    assert_eq!(setting.utc_offset_min, 480);
    assert_eq!(with.model, Model::EventCalendar);
    let at = |utc_ms: u64| ((utc_ms - with.first_at_ms) / HOUR_MS) as usize;
    let countdown_23h = 1_798_729_200_000; // 2026-12-31 15:00 UTC
    let before_17h = 1_798_707_600_000; // 2026-12-31 09:00 UTC
    let ratio = with.forecast.point[at(countdown_23h)] / usual(countdown_23h);
    assert!(
        (4.0..6.0).contains(&ratio),
        "with the calendar: {ratio:.2}x"
    );
    let before = with.forecast.point[at(before_17h)] / usual(before_17h);
    assert!((0.85..1.15).contains(&before), "before it: {before:.2}x");
    let plain = without.forecast.point[at(countdown_23h)] / usual(countdown_23h);
    assert!(plain < 1.5, "without the calendar: {plain:.2}x");
}
