//! What one seed's run found ([`SimReport`]): the schedule, the clients'
//! operations, the request checkers' verdict, recovery after the heal,
//! problems, and a fingerprint of the history that shows whether a replay
//! replayed exactly.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use super::{FaultSchedule, SimOptions, VIOLATIONS_SHOWN_MAX};
use crate::judge::checkers::{RecoveryTimes, Violation};
use crate::judge::verdict::{OpTally, RequestVerdict};

/// What one seed's run found.
#[derive(Clone, Debug, Serialize)]
pub struct SimReport {
    /// The run's options (seed, nodes, steps, clients).
    pub options: SimOptions,
    /// The faults, as drawn from the seed.
    pub schedule: FaultSchedule,
    /// How the clients' operations ended.
    #[serde(skip)]
    pub ops: OpTally,
    /// Lost acknowledgements and duplicates.
    #[serde(skip)]
    pub requests: RequestVerdict,
    /// Recovery after the heal.
    #[serde(skip)]
    pub recovery: RecoveryTimes,
    /// Violations of liveness after heal.
    #[serde(skip)]
    pub liveness: Vec<Violation>,
    /// What stopped the run short of a verdict (a node's software failed, a
    /// wait ran out).
    pub problems: Vec<String>,
    /// Datagrams sent between hosts and dropped by lossy faults.
    pub datagrams: (u64, u64),
    /// Unsynced bytes the nodes' disks lost at crashes.
    pub lost_unsynced_bytes: u64,
    /// The highest Raft term any node reached.
    pub highest_term: u64,
    /// What became of each membership churn.
    pub churns: Vec<String>,
    /// Simulated time the run took.
    pub simulated_ms: u64,
    /// Real time the run took.
    pub real_ms: u64,
    /// Hash of the clients' history (operations, outcomes, simulated
    /// times): equal fingerprints mean the run replayed exactly as the
    /// clients saw it.
    pub fingerprint: u64,
    /// Hash of the dispatch history (every incident's timeline with
    /// simulated times): what actors and the field did.
    pub dispatch_fingerprint: u64,
    /// Status reports and resolutions the field had applied.
    pub dispatch_steps: u64,
    /// Incidents in the ledger at the end.
    pub incidents: usize,
    /// Violations of the dispatch invariants.
    #[serde(skip)]
    pub dispatch: Vec<Violation>,
    /// Violations of per-key linearizability (reports and read-backs).
    #[serde(skip)]
    pub linearizable: Vec<Violation>,
    /// Read-backs the clients made (each checked for linearizability with
    /// the reports).
    pub reads: usize,
}

impl SimReport {
    /// True when every checker passed and the run reached its verdict.
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
            && self.requests.is_clean()
            && self.liveness.is_empty()
            && self.dispatch.is_empty()
            && self.linearizable.is_empty()
            && self.ops.ok > 0
    }

    /// The verdict in a form that replays compare: `pass`, or the broken
    /// invariants and problems.
    pub fn verdict(&self) -> String {
        if self.passed() {
            return "pass".to_string();
        }
        let mut parts: Vec<String> = self
            .requests
            .violations
            .iter()
            .chain(&self.liveness)
            .chain(&self.dispatch)
            .chain(&self.linearizable)
            .map(|violation| violation.invariant.to_string())
            .collect();
        if self.ops.ok == 0 {
            parts.push("no operation acknowledged".to_string());
        }
        parts.extend(self.problems.iter().cloned());
        parts.dedup();
        format!("fail: {}", parts.join(", "))
    }
}

impl fmt::Display for SimReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = |duration: Option<Duration>| {
            duration.map_or_else(|| "-".to_string(), |d| d.as_millis().to_string())
        };
        writeln!(
            f,
            "seed={} nodes={} steps={} verdict={} ops: {} acknowledged={} lost={} duplicates={} leader_after_heal_ms={} fresh_write_after_heal_ms={} highest_term={} datagrams={} dropped={} lost_unsynced_bytes={} simulated_ms={} real_ms={} fingerprint={:016x}",
            self.options.seed,
            self.options.nodes,
            self.options.steps,
            self.verdict(),
            self.ops,
            self.requests.acknowledged,
            self.requests.lost,
            self.requests.duplicates,
            millis(self.recovery.leader_elected),
            millis(self.recovery.fresh_write_committed),
            self.highest_term,
            self.datagrams.0,
            self.datagrams.1,
            self.lost_unsynced_bytes,
            self.simulated_ms,
            self.real_ms,
            self.fingerprint,
        )?;
        writeln!(
            f,
            "  reads={} linearizable={} dispatch: incidents={} field_steps={} violations={} fingerprint={:016x}",
            self.reads,
            self.linearizable.is_empty(),
            self.incidents,
            self.dispatch_steps,
            self.dispatch.len(),
            self.dispatch_fingerprint
        )?;
        write!(f, "  faults: {}", self.schedule)?;
        for churn in &self.churns {
            write!(f, "\n  {churn}")?;
        }
        let violations: Vec<&Violation> = self
            .requests
            .violations
            .iter()
            .chain(&self.liveness)
            .chain(&self.dispatch)
            .chain(&self.linearizable)
            .collect();
        for violation in violations.iter().take(VIOLATIONS_SHOWN_MAX) {
            write!(f, "\n  violation: {violation}")?;
        }
        if violations.len() > VIOLATIONS_SHOWN_MAX {
            let more = violations.len() - VIOLATIONS_SHOWN_MAX;
            write!(f, "\n  ... and {more} more violations")?;
        }
        for problem in &self.problems {
            write!(f, "\n  problem: {problem}")?;
        }
        if !self.passed() {
            write!(f, "\n  replay: {}", self.options.replay_command())?;
        }
        Ok(())
    }
}
