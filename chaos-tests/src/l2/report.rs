//! The one-line report of an in-process scenario: which faults, what the
//! network did, how long recovery took, what the clients saw, and what the
//! checkers found.

use std::fmt;
use std::time::Duration;

use super::net::FaultCounters;
use crate::judge::verdict::{OpTally, RequestVerdict};

/// One scenario's report, printed as one line.
#[derive(Clone, Debug)]
pub struct ScenarioReport {
    /// The scenario's name.
    pub scenario: &'static str,
    /// The network's seed.
    pub seed: u64,
    /// The faults injected, in words.
    pub faults: String,
    /// What the network did to datagrams.
    pub counters: FaultCounters,
    /// From the fault to a new leader followed by a majority, when the
    /// scenario awaited one.
    pub leader_recovery: Option<Duration>,
    /// From healing (or restarting) to every node having applied the whole
    /// log.
    pub catch_up: Option<Duration>,
    /// How the clients' operations ended.
    pub ops: OpTally,
    /// What the checkers found.
    pub verdict: RequestVerdict,
    /// The whole scenario's wall time.
    pub elapsed: Duration,
}

impl fmt::Display for ScenarioReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = |duration: Option<Duration>| {
            duration.map_or_else(|| "-".to_string(), |d| d.as_millis().to_string())
        };
        write!(
            f,
            "scenario={} seed={} faults=\"{}\" {} leader_recovery_ms={} catch_up_ms={} ops: {} acknowledged={} lost={} duplicates={} elapsed_ms={}",
            self.scenario,
            self.seed,
            self.faults,
            self.counters,
            millis(self.leader_recovery),
            millis(self.catch_up),
            self.ops,
            self.verdict.acknowledged,
            self.verdict.lost,
            self.verdict.duplicates,
            self.elapsed.as_millis()
        )
    }
}
