//! The forecasting models, each a pure function of a history: the
//! seasonal-naive baseline every result is compared with, a weekly
//! profile with a recent-level nowcast, MSTL (daily and weekly seasons)
//! with an ETS trend from `augurs`, and the event calendar on top of their
//! combination.

use augurs::ets::AutoETS;
use augurs::mstl::MSTLModel;
use augurs::prelude::*;

use crate::events::{self, Calendar};
use crate::series::Series;

/// Weeks of the same hour the weekly profile takes its median over.
pub const PROFILE_WEEKS: usize = 4;
/// Half-life of the weight of a recent departure from the profile, in
/// hours: the last couple of hours say most about the next.
pub const NOWCAST_HALF_LIFE_H: f64 = 2.0;
/// Half-life over the horizon of that departure, in hours: a crowd
/// running above its usual level stays so for the evening, not the week.
pub const NOWCAST_DECAY_HALF_LIFE_H: f64 = 6.0;
/// Days of the same minute the nowcast's profile takes its median over (the
/// ledger keeps 8 days of minutes).
pub const NOWCAST_DAYS: usize = 7;
/// Half-life of a departure's weight in the minute nowcast, in minutes.
pub const NOWCAST_MINUTES_HALF_LIFE_MIN: f64 = 10.0;
/// Half-life over the horizon of that departure, in minutes: within the
/// hour a surge keeps most of its lead.
pub const NOWCAST_MINUTES_DECAY_HALF_LIFE_MIN: f64 = 60.0;
/// Weeks of history MSTL is fitted on (its cost grows with the length).
pub const MSTL_WEEKS: usize = 8;
/// Weeks of (cleaned) history the event calendar's combination sees; its
/// effects are learned from the whole history handed in.
pub const EVENT_BASE_WEEKS: usize = 8;

/// A forecasting model.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Model {
    /// The same step a week earlier: the baseline.
    SeasonalNaive,
    /// The median of the same step over the last [`PROFILE_WEEKS`] weeks,
    /// moved by how far the last hours ran above or below it (a nowcast
    /// that fades over the horizon).
    WeeklyProfile,
    /// MSTL with daily and weekly seasons and an AutoETS trend, fitted on
    /// the last [`MSTL_WEEKS`] weeks.
    Mstl,
    /// For the next minutes of minute counts: the median of the same minute
    /// over the last [`NOWCAST_DAYS`] days, moved by how far the last
    /// minutes ran above or below it (half-life
    /// [`NOWCAST_MINUTES_HALF_LIFE_MIN`]), fading over the horizon.
    Nowcast,
    /// The weekly profile and MSTL combined: the mean of their forecasts on
    /// the log scale (an equal-weight combination, which forecasting
    /// competitions have long found steadier than either model alone).
    Combined,
    /// The combination forecast from a history with the calendar's events
    /// taken out, each coming event step then multiplied by the event's
    /// effect learned from its earlier occurrences (see [`crate::events`]).
    EventCalendar,
}

impl Model {
    /// Every model for hourly counts, the baseline first (the nowcast is
    /// for minute counts).
    pub const ALL: [Model; 4] = [
        Model::SeasonalNaive,
        Model::WeeklyProfile,
        Model::Mstl,
        Model::Combined,
    ];

    /// Its name on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Model::SeasonalNaive => "seasonal-naive",
            Model::WeeklyProfile => "weekly-profile",
            Model::Mstl => "mstl-ets",
            Model::Combined => "combined",
            Model::Nowcast => "nowcast",
            Model::EventCalendar => "event-calendar",
        }
    }
}

/// A forecast: counts per step after the history, with a prediction
/// interval at `level`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Forecast {
    /// The expected count per step (the median on the log scale).
    pub point: Vec<f64>,
    /// The interval's lower bound per step.
    pub lower: Vec<f64>,
    /// Its upper bound per step.
    pub upper: Vec<f64>,
    /// The interval's coverage, 0 to 1.
    pub level: f64,
}

/// Why a model could not forecast.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ForecastError {
    /// Too little history.
    #[error(
        "{model} needs at least {needed} steps of history, {had} given: count for longer first"
    )]
    ShortHistory {
        /// The model's name.
        model: &'static str,
        /// Steps needed.
        needed: usize,
        /// Steps given.
        had: usize,
    },
    /// The level is outside (0, 1).
    #[error("interval level {level} is not between 0 and 1 (exclusive): use e.g. 0.8 or 0.95")]
    Level {
        /// The level asked for.
        level: f64,
    },
    /// The model failed inside.
    #[error("{model} failed: {reason}")]
    Fit {
        /// The model's name.
        model: &'static str,
        /// What it said.
        reason: String,
    },
}

/// Forecasts `steps` steps after `history` with `model`, with intervals at
/// `level`; the event calendar with no events is the combination.
pub fn forecast(
    model: Model,
    history: &Series,
    steps: usize,
    level: f64,
) -> Result<Forecast, ForecastError> {
    forecast_with_calendar(model, history, &Calendar::default(), steps, level)
}

/// Forecasts as [`forecast`] does, the event calendar with `calendar`'s
/// events (the other models do not read it).
pub fn forecast_with_calendar(
    model: Model,
    history: &Series,
    calendar: &Calendar,
    steps: usize,
    level: f64,
) -> Result<Forecast, ForecastError> {
    if !(level > 0.0 && level < 1.0) {
        return Err(ForecastError::Level { level });
    }
    let week = history.week_steps();
    let needed = match model {
        Model::Nowcast => history.day_steps() + 1,
        Model::SeasonalNaive | Model::WeeklyProfile => week + 1,
        Model::Mstl | Model::Combined | Model::EventCalendar => 2 * week,
    };
    if history.values.len() < needed {
        return Err(ForecastError::ShortHistory {
            model: model.name(),
            needed,
            had: history.values.len(),
        });
    }
    let log = history.log_filled();
    let z = normal_quantile(0.5 + level / 2.0);
    match model {
        Model::SeasonalNaive => Ok(seasonal_naive(&log, week, steps, level, z)),
        Model::WeeklyProfile => Ok(profile_nowcast(
            &log,
            Shape::weekly(history),
            steps,
            level,
            z,
        )),
        Model::Nowcast => Ok(profile_nowcast(
            &log,
            Shape::daily_minutes(history),
            steps,
            level,
            z,
        )),
        Model::Mstl => mstl(&log, history, steps, level),
        Model::Combined => {
            let profile = profile_nowcast(&log, Shape::weekly(history), steps, level, z);
            Ok(combine(&profile, &mstl(&log, history, steps, level)?))
        }
        Model::EventCalendar => event_calendar(&log, history, calendar, steps, level),
    }
}

/// The combination on the history with the events cleaned out, each
/// coming event step moved by its learned effect.
fn event_calendar(
    log: &[f64],
    history: &Series,
    calendar: &Calendar,
    steps: usize,
    level: f64,
) -> Result<Forecast, ForecastError> {
    let learned = events::learn(history, log, calendar);
    let from = log
        .len()
        .saturating_sub(EVENT_BASE_WEEKS * history.week_steps());
    let step_s = i64::from(history.step_s);
    let cleaned = Series {
        start_local_s: history.start_local_s + from as i64 * step_s,
        step_s: history.step_s,
        values: learned.cleaned[from..]
            .iter()
            .map(|v| Some(v.exp_m1()))
            .collect(),
    };
    let mut out = forecast(Model::Combined, &cleaned, steps, level)?;
    for h in 0..steps {
        let at_s = history.start_local_s + (log.len() + h) as i64 * step_s;
        if let Some(effect) = learned.effect_at(calendar, at_s, history.step_s) {
            let scale = |x: f64| ((x + 1.0) * effect.exp() - 1.0).max(0.0);
            out.point[h] = scale(out.point[h]);
            out.lower[h] = scale(out.lower[h]);
            out.upper[h] = scale(out.upper[h]);
        }
    }
    Ok(out)
}

/// The mean of two forecasts on the log scale, point and bounds.
fn combine(a: &Forecast, b: &Forecast) -> Forecast {
    let mean = |x: &[f64], y: &[f64]| -> Vec<f64> {
        x.iter()
            .zip(y)
            .map(|(x, y)| ((x.ln_1p() + y.ln_1p()) / 2.0).exp_m1())
            .collect()
    };
    Forecast {
        point: mean(&a.point, &b.point),
        lower: mean(&a.lower, &b.lower),
        upper: mean(&a.upper, &b.upper),
        level: a.level,
    }
}

/// The same step a week earlier; the interval from the spread of
/// week-on-week changes, wider for each further week.
fn seasonal_naive(log: &[f64], week: usize, steps: usize, level: f64, z: f64) -> Forecast {
    let n = log.len();
    let changes: Vec<f64> = (week..n).map(|t| log[t] - log[t - week]).collect();
    let sigma = std_dev(&changes);
    let mut out = Vec::with_capacity(steps);
    for h in 0..steps {
        let back = n + (h % week) - week;
        let weeks_ahead = (h / week + 1) as f64;
        out.push((log[back], z * sigma * weeks_ahead.sqrt()));
    }
    from_log(&out, level)
}

/// How a profile-and-nowcast model reads a series: its season, how many
/// seasons back its median takes, and how fast a departure from the
/// profile weighs in and fades, in steps.
#[derive(Debug, Clone, Copy)]
struct Shape {
    season: usize,
    seasons_back: usize,
    half_life_steps: f64,
    decay_half_life_steps: f64,
}

impl Shape {
    /// The weekly profile of hourly (or finer) counts.
    fn weekly(history: &Series) -> Shape {
        let steps_per_hour = 3_600.0 / f64::from(history.step_s);
        Shape {
            season: history.week_steps(),
            seasons_back: PROFILE_WEEKS,
            half_life_steps: NOWCAST_HALF_LIFE_H * steps_per_hour,
            decay_half_life_steps: NOWCAST_DECAY_HALF_LIFE_H * steps_per_hour,
        }
    }

    /// The daily profile of minute counts, for the next minutes.
    fn daily_minutes(history: &Series) -> Shape {
        let steps_per_minute = 60.0 / f64::from(history.step_s);
        Shape {
            season: history.day_steps(),
            seasons_back: NOWCAST_DAYS,
            half_life_steps: NOWCAST_MINUTES_HALF_LIFE_MIN * steps_per_minute,
            decay_half_life_steps: NOWCAST_MINUTES_DECAY_HALF_LIFE_MIN * steps_per_minute,
        }
    }
}

/// The profile at each step ahead, moved by the faded nowcast.
fn profile_nowcast(log: &[f64], shape: Shape, steps: usize, level: f64, z: f64) -> Forecast {
    let n = log.len();
    let departures: Vec<f64> = (shape.season..n)
        .map(|t| log[t] - profile_at(log, t, shape))
        .collect();
    let recent = recent_departure(&departures, shape.half_life_steps);
    let sigma = std_dev(&departures);
    let decay = 0.5_f64.powf(1.0 / shape.decay_half_life_steps.max(1.0));
    let mut extended = log.to_vec();
    let mut out = Vec::with_capacity(steps);
    for h in 0..steps {
        let base = profile_at(&extended, n + h, shape);
        extended.push(base);
        let nudge = recent * decay.powi(h as i32 + 1);
        out.push((base + nudge, z * sigma));
    }
    from_log(&out, level)
}

/// The median of the values at `t` minus 1 to `seasons_back` seasons that
/// exist.
fn profile_at(log: &[f64], t: usize, shape: Shape) -> f64 {
    let mut past: Vec<f64> = (1..=shape.seasons_back)
        .filter_map(|k| t.checked_sub(k * shape.season).map(|i| log[i]))
        .collect();
    median(&mut past)
}

/// An exponentially weighted mean of the last departures, newest weighing
/// most, with a half-life of `half_life_steps`.
fn recent_departure(departures: &[f64], half_life_steps: f64) -> f64 {
    let keep = 0.5_f64.powf(1.0 / half_life_steps.max(1.0));
    let (mut sum, mut weights, mut weight) = (0.0, 0.0, 1.0);
    for departure in departures
        .iter()
        .rev()
        .take((half_life_steps * 8.0) as usize + 1)
    {
        sum += weight * departure;
        weights += weight;
        weight *= keep;
    }
    if weights > 0.0 {
        sum / weights
    } else {
        0.0
    }
}

/// MSTL with daily and weekly seasons and an AutoETS trend, on the log
/// scale.
fn mstl(
    log: &[f64],
    history: &Series,
    steps: usize,
    level: f64,
) -> Result<Forecast, ForecastError> {
    let week = history.week_steps();
    let fit_from = log.len().saturating_sub(MSTL_WEEKS * week);
    let failed = |reason: String| ForecastError::Fit {
        model: Model::Mstl.name(),
        reason,
    };
    // Additive errors: on the log scale a multiplicative error would count
    // the crowd's proportions twice (and halves the search).
    let trend = AutoETS::new(1, "AZN")
        .map_err(|error| failed(error.to_string()))?
        .into_trend_model();
    let model = MSTLModel::new(vec![history.day_steps(), week], trend);
    let fitted = model
        .fit(&log[fit_from..])
        .map_err(|error| failed(error.to_string()))?;
    let predicted = fitted
        .predict(steps, level)
        .map_err(|error| failed(error.to_string()))?;
    let intervals = predicted
        .intervals
        .ok_or_else(|| failed("no intervals".to_owned()))?;
    let back = |values: &[f64]| values.iter().map(|v| v.exp_m1().max(0.0)).collect();
    Ok(Forecast {
        point: back(&predicted.point),
        lower: back(&intervals.lower),
        upper: back(&intervals.upper),
        level,
    })
}

/// Counts from (centre, half-width) pairs on the log scale.
fn from_log(log: &[(f64, f64)], level: f64) -> Forecast {
    let count = |x: f64| x.exp_m1().max(0.0);
    Forecast {
        point: log.iter().map(|(c, _)| count(*c)).collect(),
        lower: log.iter().map(|(c, w)| count(c - w)).collect(),
        upper: log.iter().map(|(c, w)| count(c + w)).collect(),
        level,
    }
}

/// The median of `values` (sorted in place); 0 when empty.
pub(crate) fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 0 {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    }
}

fn std_dev(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return 0.0;
    }
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (values.len() - 1) as f64;
    var.sqrt()
}

/// The standard normal quantile at `p` (Acklam's rational approximation,
/// relative error below 1.2e-9).
pub(crate) fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

#[cfg(test)]
mod tests;
