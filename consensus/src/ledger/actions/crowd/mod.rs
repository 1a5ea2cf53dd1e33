//! Actions on crowd counts: the risk-sensing net's feeds record a batch
//! of sensor readings in one entry, all or none.

mod record;

pub use record::{CrowdReading, RecordCrowdCounts, CROWD_CLOCK_SKEW_MS, CROWD_READINGS_MAX};

#[cfg(test)]
mod tests;
