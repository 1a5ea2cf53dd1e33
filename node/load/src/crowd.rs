//! Seeded synthetic crowd counts for the district's sensors: what the demo
//! feeds the risk-sensing net so its forecasts, bands and warnings move on
//! their own. Pure: a seed, a sensor and a minute give the same count.
//!
//! Each sensor counts its share of its area (the area's capacity split
//! evenly over its sensors; 20 000 for an area without a capacity figure).
//! The share present follows the hour of local day (our curve: 2 % at
//! night, a midday rise, an evening peak of 40 % at 20:00), a third more
//! at weekends, and ±8 % noise per minute. On New Year's Eve the Bund
//! riverside and the pedestrian street fill toward 95 % of capacity by the
//! countdown and empty by 01:30.

use cordon_config::district::sensors::CrowdArea;
use cordon_config::District;

/// People an area without a capacity figure holds at once, for the demo.
pub const NOMINAL_AREA_CAPACITY: u32 = 20_000;
/// The areas that fill for the countdown.
const COUNTDOWN_AREAS: [&str; 2] = ["bund-riverside", "nanjing-road"];
/// A minute and a day, in milliseconds.
const MINUTE_MS: u64 = 60_000;
const DAY_MS: u64 = 86_400_000;

/// The district's sensors and how many people each counts at most.
#[derive(Debug, Clone)]
pub struct CrowdFeed {
    seed: u64,
    utc_offset_ms: i64,
    /// (sensor id, people its share of the area holds, fills for the countdown).
    sensors: Vec<(String, f64, bool)>,
}

impl CrowdFeed {
    /// The feed of `district`'s sensors under `seed`.
    pub fn new(district: &District, seed: u64) -> CrowdFeed {
        let mut sensors = Vec::new();
        for sensor in district.crowd_sensors() {
            let area = district
                .sensitive_areas()
                .iter()
                .find(|area| area.contains(&sensor.position));
            let (capacity, countdown, holders) = match area {
                Some(area) => (
                    area.crowd_capacity.unwrap_or(NOMINAL_AREA_CAPACITY),
                    COUNTDOWN_AREAS.contains(&area.id.as_str()),
                    district
                        .sensors_in(&CrowdArea::Sensitive(area))
                        .len()
                        .max(1),
                ),
                None => (NOMINAL_AREA_CAPACITY, false, 1),
            };
            sensors.push((
                sensor.id.clone(),
                f64::from(capacity) / holders as f64,
                countdown,
            ));
        }
        CrowdFeed {
            seed,
            utc_offset_ms: i64::from(district.utc_offset_min()) * 60_000,
            sensors,
        }
    }

    /// Every sensor's count for the minute starting at `at_ms` (Unix ms).
    pub fn minute(&self, at_ms: u64) -> Vec<(String, u32)> {
        self.sensors
            .iter()
            .map(|(id, holds, countdown)| {
                let share = self.share_present(at_ms, *countdown);
                let noise = 1.0 + 0.08 * (2.0 * unit_noise(self.seed, id, at_ms) - 1.0);
                (id.clone(), (holds * share * noise).round().max(0.0) as u32)
            })
            .collect()
    }

    /// The share of its capacity an area holds at `at_ms`.
    fn share_present(&self, at_ms: u64, countdown: bool) -> f64 {
        let local_ms = (at_ms as i64 + self.utc_offset_ms).max(0) as u64;
        let hour = (local_ms % DAY_MS) as f64 / 3_600_000.0;
        let weekday = (local_ms / DAY_MS + 3) % 7; // 1970-01-01 was a Thursday: 0 Monday
        let weekend = if weekday >= 5 { 1.33 } else { 1.0 };
        let usual = (0.02 + 0.18 * bump(hour, 14.0, 3.0) + 0.38 * bump(hour, 20.0, 2.0)) * weekend;
        if countdown && is_new_years_eve_night(local_ms) {
            usual.max(countdown_share(local_ms))
        } else {
            usual
        }
    }
}

/// A bump of height 1 at `centre` hours, `width` hours wide.
fn bump(hour: f64, centre: f64, width: f64) -> f64 {
    (-((hour - centre) / width).powi(2)).exp()
}

/// Whether local time `local_ms` is between 31 December 18:00 and 1 January
/// 02:00.
fn is_new_years_eve_night(local_ms: u64) -> bool {
    let (month, day) = month_day(local_ms / DAY_MS);
    let hour = (local_ms % DAY_MS) / 3_600_000;
    (month == 12 && day == 31 && hour >= 18) || (month == 1 && day == 1 && hour < 2)
}

/// The countdown crowd's share: rising from 18:00 to 95 % at midnight,
/// gone by 01:30.
fn countdown_share(local_ms: u64) -> f64 {
    let hours_to_midnight = {
        let into_day = (local_ms % DAY_MS) as f64 / 3_600_000.0;
        if into_day >= 12.0 {
            24.0 - into_day
        } else {
            -into_day
        }
    };
    if hours_to_midnight >= 0.0 {
        0.95 * (1.0 - hours_to_midnight / 6.0).clamp(0.0, 1.0).powf(1.5)
    } else {
        0.95 * (1.0 + hours_to_midnight / 1.5).clamp(0.0, 1.0)
    }
}

/// The month and day of the day `days` after 1970-01-01.
fn month_day(days: u64) -> (u32, u32) {
    let date = (time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(days as i64)).date();
    (u32::from(u8::from(date.month())), u32::from(date.day()))
}

/// A number in [0, 1) from the seed, the sensor and the minute (SplitMix64).
fn unit_noise(seed: u64, sensor: &str, at_ms: u64) -> f64 {
    let mut x = seed ^ (at_ms / MINUTE_MS).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for byte in sensor.bytes() {
        x = (x ^ u64::from(byte)).wrapping_mul(0x1000_0000_01B3);
    }
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-31 00:00 Shanghai (UTC+8), Unix ms.
    const NEW_YEARS_EVE_MS: u64 = 1_798_646_400_000;

    fn bund_total(feed: &CrowdFeed, at_ms: u64) -> u32 {
        feed.minute(at_ms)
            .iter()
            .filter(|(id, _)| id.starts_with("bund-"))
            .map(|(_, count)| count)
            .sum()
    }

    // A seed gives the same counts; the evening is busier than the night;
    // the countdown fills the riverside past its high band (85 % of
    // 67 000) and a week earlier the same hour does not.
    #[test]
    fn the_feed_follows_the_day_and_the_countdown() {
        let district = District::embedded();
        let feed = CrowdFeed::new(&district, 7);
        let hour = 3_600_000;

        assert_eq!(
            feed.minute(NEW_YEARS_EVE_MS),
            CrowdFeed::new(&district, 7).minute(NEW_YEARS_EVE_MS)
        );
        let night = bund_total(&feed, NEW_YEARS_EVE_MS - 7 * DAY_MS + 4 * hour);
        let evening = bund_total(&feed, NEW_YEARS_EVE_MS - 7 * DAY_MS + 20 * hour);
        assert!(evening > 8 * night, "{night} {evening}");
        let countdown = bund_total(&feed, NEW_YEARS_EVE_MS + 24 * hour - 5 * MINUTE_MS);
        assert!(countdown as f64 > 0.85 * 67_000.0, "{countdown}");
        assert!(
            bund_total(
                &feed,
                NEW_YEARS_EVE_MS - 7 * DAY_MS + 24 * hour - 5 * MINUTE_MS
            ) < 40_000
        );
        assert_eq!(month_day(NEW_YEARS_EVE_MS / DAY_MS), (12, 30));
    }
}
