//! An area's crowd counts from the ledger as a series, and its forecast:
//! the next hour from the minutes (the nowcast), longer horizons from the
//! hours (the weekly profile and MSTL combined), with the area's density
//! bands and the first crossing into a higher one. Pure: the ledger's
//! counts and a time in, a forecast out; any node answers the same.

use cordon_consensus::ledger::crowd::{CrowdCounts, SensorCounts, HOUR_MS, MINUTE_MS};
use cordon_forecast::{forecast, Band, Bands, Crossing, Forecast, ForecastError, Model, Series};

/// The longest horizon the minute nowcast serves, in minutes; beyond it the
/// hourly models do.
pub const NOWCAST_HORIZON_MIN_MAX: u32 = 60;
/// The longest horizon, in minutes: 7 days.
pub const HORIZON_MIN_MAX: u32 = 7 * 24 * 60;
/// Weeks of hourly history a forecast sees.
pub const HOURLY_HISTORY_WEEKS: u64 = 8;
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
    now_ms: u64,
    horizon_min: u32,
) -> Result<AreaForecast, CrowdForecastError> {
    let counts: Vec<Option<&SensorCounts>> = sensors.iter().map(|id| crowd.sensor(id)).collect();
    forecast_counts(&counts, now_ms, horizon_min)
}

/// Forecasts the sum of the sensors whose counts are `counts` (`None` for
/// a sensor with none kept) for the `horizon_min` minutes after `now_ms`.
pub fn forecast_counts(
    counts: &[Option<&SensorCounts>],
    now_ms: u64,
    horizon_min: u32,
) -> Result<AreaForecast, CrowdForecastError> {
    if !(1..=HORIZON_MIN_MAX).contains(&horizon_min) {
        return Err(CrowdForecastError::Horizon { horizon_min });
    }
    if counts.is_empty() {
        return Err(CrowdForecastError::NoSensors);
    }
    let sensors = counts.len();
    let counts: Vec<&SensorCounts> = counts.iter().flatten().copied().collect();
    let latest = latest_sum(&counts, sensors);
    let end_ms = now_ms + u64::from(horizon_min) * MINUTE_MS;
    let (model, step_ms, series) = if horizon_min <= NOWCAST_HORIZON_MIN_MAX {
        let from_ms = now_ms.saturating_sub(MINUTE_HISTORY_DAYS * 24 * HOUR_MS);
        (
            Model::Nowcast,
            MINUTE_MS,
            minutes(&counts, sensors, from_ms, now_ms),
        )
    } else {
        let from_ms = now_ms.saturating_sub(HOURLY_HISTORY_WEEKS * 7 * 24 * HOUR_MS);
        let series = hours(&counts, sensors, from_ms, now_ms);
        (hourly_model(&series), HOUR_MS, series)
    };
    let first_at_ms = series_end_ms(&series, step_ms);
    let steps = end_ms.saturating_sub(first_at_ms).div_ceil(step_ms).max(1) as usize;
    let forecast = forecast(model, &series, steps, INTERVAL_LEVEL)?;
    Ok(AreaForecast {
        model,
        step_ms,
        first_at_ms,
        forecast,
        latest,
    })
}

/// The hourly model a series of `len` hours supports: the combination with
/// two weeks, the weekly profile with one.
fn hourly_model(series: &Series) -> Model {
    if series.values.len() >= 2 * series.week_steps() {
        Model::Combined
    } else {
        Model::WeeklyProfile
    }
}

/// The time just after the series' last step.
fn series_end_ms(series: &Series, step_ms: u64) -> u64 {
    (series.start_local_s.max(0) as u64) * 1_000 + series.values.len() as u64 * step_ms
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
