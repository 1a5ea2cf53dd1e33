//! An area's crowd counts from the ledger as a series, and its forecast:
//! the next hour from the minutes (the nowcast), longer horizons from the
//! hours with the model a short backtest on the area's own counts chose
//! (the event calendar among them when events fill the area), with the
//! area's density bands and the first crossing into a higher one. Pure
//! apart from the remembered choices: the ledger's counts and a time in, a
//! forecast out; any node answers the same.

use std::collections::BTreeMap;
use std::sync::Mutex;

use cordon_config::district::District;
use cordon_consensus::ledger::crowd::{CrowdCounts, SensorCounts, HOUR_MS, MINUTE_MS};
use cordon_forecast::eval::{choose, Choice, EVENT_HISTORY_WEEKS};
use cordon_forecast::{
    forecast_with_calendar, Band, Bands, Calendar, Crossing, Forecast, ForecastError, Model,
    Occurrence, Series,
};

/// The longest horizon the minute nowcast serves, in minutes; beyond it the
/// hourly models do.
pub const NOWCAST_HORIZON_MIN_MAX: u32 = 60;
/// The longest horizon, in minutes: 7 days.
pub const HORIZON_MIN_MAX: u32 = 7 * 24 * 60;
/// Weeks of hourly history a forecast sees.
pub const HOURLY_HISTORY_WEEKS: u64 = 8;
/// How long a backtest's choice of model stands, in milliseconds: a day.
pub const CHOICE_KEPT_MS: u64 = 24 * HOUR_MS;
/// Choices remembered at most (areas times horizon classes; polygons make
/// new areas).
pub const CHOICES_KEPT_MAX: usize = 1_024;
/// Days of minutes a nowcast sees (the ledger keeps 8).
pub const MINUTE_HISTORY_DAYS: u64 = 8;
/// The prediction intervals' level.
pub const INTERVAL_LEVEL: f64 = 0.8;

/// An area's forecast.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaForecast {
    /// The model that made it.
    pub model: Model,
    /// Milliseconds between its steps.
    pub step_ms: u64,
    /// The first step's time (ms since 1970 UTC).
    pub first_at_ms: u64,
    /// The forecast per step.
    pub forecast: Forecast,
    /// The newest count summed over every sensor: (time, people).
    pub latest: Option<(u64, f64)>,
    /// The backtest that chose the hourly model, when there was enough to
    /// test on.
    pub choice: Option<Choice>,
}

/// What an area's forecast knows besides its counts: the district's clock
/// (crowds follow local time) and the events that fill the area.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AreaSetting {
    /// Local time ahead of UTC, in minutes.
    pub utc_offset_min: i32,
    /// The occurrences of the events that fill the area.
    pub calendar: Calendar,
}

impl AreaSetting {
    /// The setting of the area holding `sensors` in `district`.
    pub fn of(district: &District, sensors: &[&str]) -> AreaSetting {
        let occurrences = district
            .crowd_events_at(sensors)
            .into_iter()
            .flat_map(|event| {
                event.occurrences.iter().filter_map(|window| {
                    let (start_local_s, end_local_s) = window.local_seconds()?;
                    Some(Occurrence {
                        event: event.id.clone(),
                        start_local_s,
                        end_local_s,
                    })
                })
            })
            .collect();
        AreaSetting {
            utc_offset_min: district.utc_offset_min(),
            // The district file's validation holds every occurrence to the
            // calendar's own rules; a file that slipped through forecasts
            // without its events rather than not at all.
            calendar: Calendar::new(occurrences).unwrap_or_default(),
        }
    }
}

/// An area (its sensor ids) and a horizon class, in hours.
type ChoiceKey = (Vec<String>, usize);

/// The hourly model each area and horizon class was last given by its
/// backtest, kept for [`CHOICE_KEPT_MS`] (a backtest fits MSTL a few dozen
/// times; a forecast should not).
#[derive(Debug, Default)]
pub struct ModelChoices {
    chosen: Mutex<BTreeMap<ChoiceKey, (u64, Option<Choice>)>>,
}

impl ModelChoices {
    /// The choice for `key` made within the last day, or a new one.
    fn get_or_choose(
        &self,
        key: ChoiceKey,
        now_ms: u64,
        choose: impl FnOnce() -> Option<Choice>,
    ) -> Option<Choice> {
        let fresh = |at_ms: u64| now_ms.saturating_sub(at_ms) < CHOICE_KEPT_MS;
        if let Ok(chosen) = self.chosen.lock() {
            if let Some((_, choice)) = chosen.get(&key).filter(|(at_ms, _)| fresh(*at_ms)) {
                return *choice;
            }
        }
        let choice = choose();
        if let Ok(mut chosen) = self.chosen.lock() {
            chosen.retain(|_, (at_ms, _)| fresh(*at_ms));
            if chosen.len() < CHOICES_KEPT_MAX {
                chosen.insert(key, (now_ms, choice));
            }
        }
        choice
    }
}

/// Why an area cannot be forecast.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CrowdForecastError {
    /// The area holds no sensor.
    #[error("the area holds no crowd sensor: add one in the district file, or ask for an area that has one (GET /v1/crowd/sensors)")]
    NoSensors,
    /// The horizon is out of range.
    #[error("horizon {horizon_min} min is out of range: ask for 1 to 10080 minutes (7 days)")]
    Horizon {
        /// The horizon asked for.
        horizon_min: u32,
    },
    /// Too few counts for any model.
    #[error("{0}")]
    Model(#[from] ForecastError),
}

impl AreaForecast {
    /// The time of step `step`.
    pub fn at_ms(&self, step: usize) -> u64 {
        self.first_at_ms + step as u64 * self.step_ms
    }

    /// The first crossing into a band above the latest count's, if the
    /// area has bands.
    pub fn crossing(&self, bands: &Bands) -> Option<Crossing> {
        let now = self
            .latest
            .map_or(Band::Low, |(_, count)| bands.band(count));
        bands.first_crossing(&self.forecast, now)
    }
}

/// Forecasts the sum of `sensors` for the `horizon_min` minutes after
/// `now_ms`, from the counts the ledger keeps.
pub fn forecast_area(
    crowd: &CrowdCounts,
    sensors: &[&str],
    setting: &AreaSetting,
    now_ms: u64,
    horizon_min: u32,
) -> Result<AreaForecast, CrowdForecastError> {
    let counts: Vec<(String, Option<&SensorCounts>)> = sensors
        .iter()
        .map(|id| ((*id).to_owned(), crowd.sensor(id)))
        .collect();
    let choices = ModelChoices::default();
    forecast_counts(&counts, setting, &choices, now_ms, horizon_min)
}

/// Forecasts the sum of the sensors whose counts are `counts` (by id;
/// `None` for a sensor with none kept) for the `horizon_min` minutes after
/// `now_ms`, reusing `choices` of the hourly model.
pub fn forecast_counts(
    counts: &[(String, Option<&SensorCounts>)],
    setting: &AreaSetting,
    choices: &ModelChoices,
    now_ms: u64,
    horizon_min: u32,
) -> Result<AreaForecast, CrowdForecastError> {
    if !(1..=HORIZON_MIN_MAX).contains(&horizon_min) {
        return Err(CrowdForecastError::Horizon { horizon_min });
    }
    if counts.is_empty() {
        return Err(CrowdForecastError::NoSensors);
    }
    let ids: Vec<String> = counts.iter().map(|(id, _)| id.clone()).collect();
    let sensors = counts.len();
    let counts: Vec<&SensorCounts> = counts.iter().filter_map(|(_, c)| *c).collect();
    let latest = latest_sum(&counts, sensors);
    let offset_s = i64::from(setting.utc_offset_min) * 60;
    let end_ms = now_ms + u64::from(horizon_min) * MINUTE_MS;
    let calendar = &setting.calendar;
    let (model, choice, step_ms, series) = if horizon_min <= NOWCAST_HORIZON_MIN_MAX {
        let from_ms = now_ms.saturating_sub(MINUTE_HISTORY_DAYS * 24 * HOUR_MS);
        let series = minutes(&counts, sensors, from_ms, now_ms);
        (Model::Nowcast, None, MINUTE_MS, local(series, offset_s))
    } else {
        let weeks = if calendar.is_empty() {
            HOURLY_HISTORY_WEEKS
        } else {
            EVENT_HISTORY_WEEKS as u64
        };
        let from_ms = now_ms.saturating_sub(weeks * 7 * 24 * HOUR_MS);
        let series = local(hours(&counts, sensors, from_ms, now_ms), offset_s);
        let class = horizon_class_h(horizon_min);
        let choice =
            choices.get_or_choose((ids, class), now_ms, || choose(&series, calendar, class));
        let model = if event_ahead(&series, calendar, end_ms, offset_s) {
            Model::EventCalendar
        } else {
            choice.map_or_else(|| fallback_model(&series, calendar), |c| c.model)
        };
        (model, choice, HOUR_MS, seen_by(model, series))
    };
    let first_at_ms = series_end_ms(&series, step_ms, offset_s);
    let steps = end_ms.saturating_sub(first_at_ms).div_ceil(step_ms).max(1) as usize;
    let forecast = forecast_with_calendar(model, &series, calendar, steps, INTERVAL_LEVEL)?;
    Ok(AreaForecast {
        model,
        step_ms,
        first_at_ms,
        forecast,
        latest,
        choice,
    })
}

/// The horizon a backtest scores a forecast of `horizon_min` minutes at,
/// in hours: the next hour for the next hours, a day for the next days, a
/// week beyond.
fn horizon_class_h(horizon_min: u32) -> usize {
    match horizon_min.div_ceil(60) {
        0..=6 => 1,
        7..=72 => 24,
        _ => 168,
    }
}

/// Whether one of the area's events falls between the series' end and
/// `end_ms` (UTC) with two weeks of hours to forecast from: then the event
/// calendar forecasts, whatever the backtest chose, since the backtest's
/// recent hours held no event to score and only the calendar knows one is
/// coming.
fn event_ahead(series: &Series, calendar: &Calendar, end_ms: u64, offset_s: i64) -> bool {
    let from_s = series.start_local_s + (series.values.len() as i64) * i64::from(series.step_s);
    let to_s = (end_ms / 1_000) as i64 + offset_s;
    series.values.len() >= 2 * series.week_steps() && calendar.any_between(from_s, to_s)
}

/// The model when a backtest could not choose: the event calendar (or,
/// with no events, the combination) with two weeks, the weekly profile
/// with one.
fn fallback_model(series: &Series, calendar: &Calendar) -> Model {
    if series.values.len() < 2 * series.week_steps() {
        Model::WeeklyProfile
    } else if calendar.is_empty() {
        Model::Combined
    } else {
        Model::EventCalendar
    }
}

/// The hours `model` forecasts from: all of them for the event calendar,
/// the last [`HOURLY_HISTORY_WEEKS`] for the others.
fn seen_by(model: Model, series: Series) -> Series {
    let keep = HOURLY_HISTORY_WEEKS as usize * series.week_steps();
    if model == Model::EventCalendar || series.values.len() <= keep {
        return series;
    }
    let len = series.values.len();
    series.window(len - keep, len)
}

/// `series` (in UTC) on the district's local clock.
fn local(mut series: Series, offset_s: i64) -> Series {
    series.start_local_s += offset_s;
    series
}

/// The UTC time just after the series' last step.
fn series_end_ms(series: &Series, step_ms: u64, offset_s: i64) -> u64 {
    ((series.start_local_s - offset_s).max(0) as u64) * 1_000 + series.values.len() as u64 * step_ms
}

/// The newest minute every sensor counted, summed.
fn latest_sum(counts: &[&SensorCounts], sensors: usize) -> Option<(u64, f64)> {
    if counts.len() < sensors {
        return None;
    }
    let newest = counts
        .iter()
        .filter_map(|c| c.minutes.keys().next_back())
        .min()?;
    let sum = counts
        .iter()
        .map(|c| c.minutes.get(newest).copied())
        .sum::<Option<u32>>()?;
    Some((*newest, f64::from(sum)))
}

/// Whole minutes from `from_ms` to the last minute every sensor counted
/// before `now_ms`, summed; a minute some sensor missed is a gap.
fn minutes(counts: &[&SensorCounts], sensors: usize, from_ms: u64, now_ms: u64) -> Series {
    let value = |at_ms: u64| -> Option<f64> {
        if counts.len() < sensors {
            return None;
        }
        counts
            .iter()
            .map(|c| c.minutes.get(&at_ms).map(|n| f64::from(*n)))
            .sum()
    };
    grid(from_ms - from_ms % MINUTE_MS, now_ms, MINUTE_MS, value)
}

/// Whole hours from `from_ms` to the last complete hour before `now_ms`:
/// each sensor's hourly mean (kept, or from its minutes), summed; an hour
/// some sensor missed is a gap.
fn hours(counts: &[&SensorCounts], sensors: usize, from_ms: u64, now_ms: u64) -> Series {
    let value = |at_ms: u64| -> Option<f64> {
        if counts.len() < sensors {
            return None;
        }
        counts.iter().map(|c| hour_mean(c, at_ms)).sum()
    };
    let until_ms = now_ms - now_ms % HOUR_MS;
    grid(from_ms - from_ms % HOUR_MS, until_ms, HOUR_MS, value)
}

/// A sensor's mean count over the hour from `at_ms`.
fn hour_mean(counts: &SensorCounts, at_ms: u64) -> Option<f64> {
    if let Some(hour) = counts.hours.get(&at_ms) {
        return Some(hour.mean());
    }
    let minutes: Vec<f64> = counts
        .minutes
        .range(at_ms..at_ms + HOUR_MS)
        .map(|(_, n)| f64::from(*n))
        .collect();
    (!minutes.is_empty()).then(|| minutes.iter().sum::<f64>() / minutes.len() as f64)
}

/// The values at each step from `from_ms` before `until_ms`, trimmed to
/// start at the first value and end at the last.
fn grid(from_ms: u64, until_ms: u64, step_ms: u64, value: impl Fn(u64) -> Option<f64>) -> Series {
    let mut values: Vec<Option<f64>> = (from_ms..until_ms)
        .step_by(step_ms as usize)
        .map(value)
        .collect();
    let first = values
        .iter()
        .position(Option::is_some)
        .unwrap_or(values.len());
    let last = values
        .iter()
        .rposition(Option::is_some)
        .map_or(first, |i| i + 1);
    values.truncate(last);
    values.drain(..first);
    Series {
        start_local_s: ((from_ms + first as u64 * step_ms) / 1_000) as i64,
        step_s: (step_ms / 1_000) as u32,
        values,
    }
}

#[cfg(test)]
pub(crate) mod tests;
