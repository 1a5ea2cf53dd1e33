//! Crowd counts from the risk-sensing net's sensors, kept per sensor and
//! downsampled with age so they stay bounded: each minute for the last
//! [`MINUTE_COUNTS_KEPT_MS`], then the hour's mean for
//! [`HOUR_COUNTS_KEPT_MS`]. A sensor is an id the node checked against the
//! district; the ledger only bounds how many there are.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A minute, in milliseconds.
pub const MINUTE_MS: u64 = 60_000;
/// An hour, in milliseconds.
pub const HOUR_MS: u64 = 3_600_000;
/// How long each minute's count is kept before it folds into its hour:
/// 8 days, so a week-ahead forecast sees the same minute a week ago.
pub const MINUTE_COUNTS_KEPT_MS: u64 = 8 * 24 * HOUR_MS;
/// How long an hour's mean is kept: two years, for yearly events.
pub const HOUR_COUNTS_KEPT_MS: u64 = 2 * 366 * 24 * HOUR_MS;
/// Most sensors the ledger keeps counts of.
pub const CROWD_SENSORS_MAX: usize = 2_000;

/// One sensor's counts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SensorCounts {
    /// People present, by the minute's start (ms since 1970 UTC).
    pub minutes: BTreeMap<u64, u32>,
    /// Older counts by the hour's start: what the hour's minutes summed to
    /// and which minutes they were.
    pub hours: BTreeMap<u64, HourCount>,
}

/// An hour's counts folded together.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourCount {
    /// The sum of its minutes' counts.
    pub sum: u64,
    /// Bit `m` set: minute `m` of the hour was counted.
    pub minutes_counted: u64,
}

impl HourCount {
    /// The mean of the minutes counted.
    pub fn mean(&self) -> f64 {
        let minutes = self.minutes_counted.count_ones();
        if minutes == 0 {
            0.0
        } else {
            self.sum as f64 / f64::from(minutes)
        }
    }

    fn minute_bit(at_ms: u64) -> u64 {
        1 << ((at_ms % HOUR_MS) / MINUTE_MS)
    }

    fn has(&self, at_ms: u64) -> bool {
        self.minutes_counted & Self::minute_bit(at_ms) != 0
    }

    fn add(&mut self, at_ms: u64, count: u32) {
        self.sum += u64::from(count);
        self.minutes_counted |= Self::minute_bit(at_ms);
    }
}

/// Every sensor's counts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CrowdCounts {
    sensors: BTreeMap<String, SensorCounts>,
}

/// Where a reading stands against what is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stored {
    /// Not counted yet.
    New,
    /// The same count is already kept (a resend).
    Same,
    /// Another count is kept for that minute.
    Other,
}

impl CrowdCounts {
    /// A sensor's counts.
    pub fn sensor(&self, id: &str) -> Option<&SensorCounts> {
        self.sensors.get(id)
    }

    /// Every sensor's id and counts.
    pub fn sensors(&self) -> impl Iterator<Item = (&String, &SensorCounts)> {
        self.sensors.iter()
    }

    /// Whether `sensor` may be added without passing [`CROWD_SENSORS_MAX`].
    pub(crate) fn has_room_for(&self, sensor: &str) -> bool {
        self.sensors.contains_key(sensor) || self.sensors.len() < CROWD_SENSORS_MAX
    }

    /// How a reading of `count` at `at_ms` compares with what is kept.
    pub(crate) fn stored(&self, sensor: &str, at_ms: u64, count: u32) -> Stored {
        let Some(counts) = self.sensors.get(sensor) else {
            return Stored::New;
        };
        if let Some(kept) = counts.minutes.get(&at_ms) {
            return if *kept == count {
                Stored::Same
            } else {
                Stored::Other
            };
        }
        match counts.hours.get(&(at_ms - at_ms % HOUR_MS)) {
            Some(hour) if hour.has(at_ms) => Stored::Other,
            _ => Stored::New,
        }
    }

    /// Keeps a reading: as a minute when newer than `now_ms` minus
    /// [`MINUTE_COUNTS_KEPT_MS`], else folded into its hour.
    pub(crate) fn record(&mut self, sensor: &str, at_ms: u64, count: u32, now_ms: u64) {
        let counts = self.sensors.entry(sensor.to_owned()).or_default();
        if at_ms + MINUTE_COUNTS_KEPT_MS >= now_ms {
            counts.minutes.insert(at_ms, count);
        } else {
            counts
                .hours
                .entry(at_ms - at_ms % HOUR_MS)
                .or_default()
                .add(at_ms, count);
        }
    }

    /// Folds minutes past [`MINUTE_COUNTS_KEPT_MS`] into their hours and
    /// drops hours past [`HOUR_COUNTS_KEPT_MS`], as of `now_ms`.
    pub(crate) fn age(&mut self, now_ms: u64) {
        let minutes_from = now_ms.saturating_sub(MINUTE_COUNTS_KEPT_MS);
        let hours_from = now_ms.saturating_sub(HOUR_COUNTS_KEPT_MS);
        for counts in self.sensors.values_mut() {
            let kept = counts.minutes.split_off(&minutes_from);
            for (at_ms, count) in std::mem::replace(&mut counts.minutes, kept) {
                counts
                    .hours
                    .entry(at_ms - at_ms % HOUR_MS)
                    .or_default()
                    .add(at_ms, count);
            }
            counts.hours = counts.hours.split_off(&(hours_from - hours_from % HOUR_MS));
        }
    }
}
