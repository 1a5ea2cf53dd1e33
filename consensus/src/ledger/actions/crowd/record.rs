//! Record crowd counts: a batch of sensor readings (people present at a
//! minute) from one feed, checked whole before any is kept: times on the
//! minute, not ahead of the command, not older than what is kept; one
//! reading per sensor and minute; a minute already counted differently
//! refuses the batch, the same count again is a harmless resend.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::ledger::command::{check_text, out_of_range};
use crate::ledger::crowd::{Stored, HOUR_COUNTS_KEPT_MS, MINUTE_MS};
use crate::ledger::model::{Effect, Rejection};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// Most readings in one batch.
pub const CROWD_READINGS_MAX: usize = 5_000;
/// How far ahead of the command's time a reading may be (clocks differ).
pub const CROWD_CLOCK_SKEW_MS: u64 = 60_000;
/// Largest count one sensor may report: several times the district's
/// busiest area; more is a broken feed.
pub const CROWD_COUNT_MAX: u32 = 500_000;
/// Longest sensor id, in bytes.
pub const SENSOR_ID_BYTES_MAX: usize = 64;

/// A feed's batch of readings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordCrowdCounts {
    /// The feed ("gate counters", "cell estimates").
    pub source: String,
    /// The readings.
    pub readings: Vec<CrowdReading>,
}

/// People present in a sensor's view at a minute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrowdReading {
    /// The sensor's id (the node checked it names a district sensor).
    pub sensor: String,
    /// The minute's start, ms since 1970 UTC.
    pub at_ms: u64,
    /// People.
    pub count: u32,
}

impl Rules for RecordCrowdCounts {
    fn name(&self) -> &'static str {
        "record_crowd_counts"
    }

    fn proposers(&self) -> Proposers {
        Proposers::OperatorOrClient(crate::ledger::access::Right::RecordCrowdCounts)
    }

    fn check(&self) -> Result<(), Rejection> {
        check_text("source", &self.source)?;
        if self.readings.is_empty() || self.readings.len() > CROWD_READINGS_MAX {
            return Err(out_of_range(
                "readings",
                format!("{} readings", self.readings.len()),
                "send 1 to 5000 readings in a batch",
            ));
        }
        let mut seen = BTreeSet::new();
        for (index, reading) in self.readings.iter().enumerate() {
            check_reading(index, reading)?;
            if !seen.insert((reading.sensor.as_str(), reading.at_ms)) {
                return Err(out_of_range(
                    &format!("readings[{index}]"),
                    format!("{} at {}", reading.sensor, reading.at_ms),
                    "one reading per sensor and minute in a batch",
                ));
            }
        }
        Ok(())
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        let now_ms = step.at_ms();
        let mut fresh = Vec::new();
        for (index, reading) in self.readings.iter().enumerate() {
            check_time(index, reading, now_ms)?;
            if !ledger.crowd.has_room_for(&reading.sensor) {
                return Err(out_of_range(
                    &format!("readings[{index}].sensor"),
                    &reading.sensor,
                    "the ledger keeps at most 2000 sensors: retire unused ones",
                ));
            }
            match ledger
                .crowd
                .stored(&reading.sensor, reading.at_ms, reading.count)
            {
                Stored::New => fresh.push(reading),
                Stored::Same => {}
                Stored::Other => {
                    return Err(Rejection::CrowdCountConflict {
                        sensor: reading.sensor.clone(),
                        at_ms: reading.at_ms,
                    })
                }
            }
        }
        for reading in &fresh {
            ledger
                .crowd
                .record(&reading.sensor, reading.at_ms, reading.count, now_ms);
        }
        ledger.crowd.age(now_ms);
        Ok(Effect::CrowdCounted {
            kept: fresh.len() as u32,
            resent: (self.readings.len() - fresh.len()) as u32,
        })
    }
}

fn check_reading(index: usize, reading: &CrowdReading) -> Result<(), Rejection> {
    let field = |name: &str| format!("readings[{index}].{name}");
    let id_ok = !reading.sensor.is_empty()
        && reading.sensor.len() <= SENSOR_ID_BYTES_MAX
        && reading
            .sensor
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !id_ok {
        return Err(out_of_range(
            &field("sensor"),
            format!("{:?}", reading.sensor),
            "a sensor id: 1-64 of a-z, 0-9 and '-', as in GET /v1/crowd/sensors",
        ));
    }
    if reading.at_ms % MINUTE_MS != 0 {
        return Err(out_of_range(
            &field("at_ms"),
            reading.at_ms,
            "a whole minute (ms since 1970 UTC divisible by 60000)",
        ));
    }
    if reading.count > CROWD_COUNT_MAX {
        return Err(out_of_range(
            &field("count"),
            reading.count,
            "at most 500000 people per sensor: check the feed's units",
        ));
    }
    Ok(())
}

fn check_time(index: usize, reading: &CrowdReading, now_ms: u64) -> Result<(), Rejection> {
    if reading.at_ms > now_ms + CROWD_CLOCK_SKEW_MS {
        return Err(out_of_range(
            &format!("readings[{index}].at_ms"),
            reading.at_ms,
            "not ahead of now by more than a minute: send counts once they are taken",
        ));
    }
    if reading.at_ms + HOUR_COUNTS_KEPT_MS < now_ms {
        return Err(out_of_range(
            &format!("readings[{index}].at_ms"),
            reading.at_ms,
            "within the last two years, the longest counts are kept",
        ));
    }
    Ok(())
}
