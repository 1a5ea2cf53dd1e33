//! What a drill did and found ([`DrillReport`]): its timeline, recovery
//! times, operations, checks, problems and latency before, during and
//! after the fault.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

use super::checks::{CheckOutcome, CheckVerdict};
use super::DrillName;
use crate::judge::verdict::OpTally;

/// Latency of acknowledged reports (first attempt to acknowledgement) in
/// one phase.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Latency {
    /// Acknowledged reports started in the phase.
    pub count: usize,
    /// Median, milliseconds.
    pub p50_ms: u64,
    /// 99th percentile, milliseconds.
    pub p99_ms: u64,
    /// Slowest, milliseconds.
    pub max_ms: u64,
}

impl Latency {
    pub(crate) fn of(mut samples: Vec<u64>) -> Latency {
        if samples.is_empty() {
            return Latency::default();
        }
        samples.sort_unstable();
        let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
        Latency {
            count: samples.len(),
            p50_ms: at(0.5),
            p99_ms: at(0.99),
            max_ms: *samples.last().unwrap_or(&0),
        }
    }
}

impl fmt::Display for Latency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "n={} p50={}ms p99={}ms max={}ms",
            self.count, self.p50_ms, self.p99_ms, self.max_ms
        )
    }
}

/// One line of a drill's timeline.
#[derive(Clone, Debug, Serialize)]
pub struct TimelineEntry {
    /// Milliseconds since the load started.
    pub at_ms: u64,
    /// What happened.
    pub event: String,
}

/// The operations' outcomes.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Ops {
    /// Took effect.
    pub ok: usize,
    /// Certainly did not take effect.
    pub fail: usize,
    /// Unknown (timeouts, lost leaders); retried under the same id.
    pub info: usize,
    /// Never completed.
    pub pending: usize,
}

impl From<OpTally> for Ops {
    fn from(tally: OpTally) -> Ops {
        Ops {
            ok: tally.ok,
            fail: tally.fail,
            info: tally.info,
            pending: tally.pending,
        }
    }
}

/// Recovery times of a drill, milliseconds; `None` where it does not apply
/// or never happened (the timeline and problems say which).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Recovery {
    /// From the fault to a new leader with a majority behind it, when the
    /// fault ends the old leader's term (rolling-restart: from stopping
    /// the leader).
    pub new_leader_ms: Option<u64>,
    /// From the fault to every actor of the faulted nodes placed on other
    /// nodes, when the faulted nodes hosted any.
    pub actors_replaced_ms: Option<u64>,
    /// From the fault to the first unit assigned after it.
    pub first_assignment_ms: Option<u64>,
    /// From the heal to a settled leader.
    pub heal_leader_ms: Option<u64>,
    /// From the heal to a fresh write acknowledged.
    pub heal_fresh_write_ms: Option<u64>,
    /// From the heal to every actor placed on a running node.
    pub heal_actors_placed_ms: Option<u64>,
}

/// What a drill did and found.
#[derive(Clone, Debug, Serialize)]
pub struct DrillReport {
    /// The drill.
    pub drill: DrillName,
    /// Cluster size.
    pub nodes: usize,
    /// The lab's subnet, or the operator's cluster file.
    pub cluster: String,
    /// Faults, heals and leader changes, in order.
    pub timeline: Vec<TimelineEntry>,
    /// The leader when the fault was injected.
    pub leader_before: u64,
    /// The leader after the quiet period.
    pub leader_after: Option<u64>,
    /// Leaders seen after the first, from the start of the load to the
    /// final reads.
    pub leader_changes: usize,
    /// The nodes the fault took out (killed, cut off, paused).
    pub faulted: Vec<u64>,
    /// Recovery times.
    pub recovery: Recovery,
    /// The longest time without any acknowledgement, from the fault on.
    pub longest_ack_gap_ms: u64,
    /// Reports in the load.
    pub requests: u64,
    /// Every report and read attempt's outcome.
    pub ops: Ops,
    /// Distinct requests acknowledged.
    pub acknowledged: usize,
    /// Requests still unacknowledged after the retries at the end.
    pub unanswered: usize,
    /// Incidents the load cancelled (so units come free).
    pub cancelled: usize,
    /// Acknowledged reports missing (or different) on some node.
    pub lost: usize,
    /// Requests that took effect more than once.
    pub duplicates: usize,
    /// Units on two open incidents (violations of unit-assigned-once).
    pub double_assigned: usize,
    /// Nodes whose final reads were checked.
    pub nodes_read: usize,
    /// Every checker's verdict.
    pub checks: Vec<CheckVerdict>,
    /// Failures outside the checkers (unreadable nodes, no recovery where
    /// one is required, a fault that did not take).
    pub problems: Vec<String>,
    /// Latency before the fault.
    pub latency_before: Latency,
    /// Latency while the fault was in force.
    pub latency_during: Latency,
    /// Latency after healing.
    pub latency_after: Latency,
    /// The whole drill's wall time.
    pub elapsed_ms: u64,
    /// The kept folder (cluster file, data, node logs), if kept.
    pub kept: Option<PathBuf>,
}

impl DrillReport {
    /// True when no checker failed, nothing was lost, duplicated or
    /// assigned twice, every node was read, and recovery happened where
    /// required.
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
            && self.lost == 0
            && self.duplicates == 0
            && self.double_assigned == 0
            && self
                .checks
                .iter()
                .all(|check| check.outcome != CheckOutcome::Fail)
    }
}

pub(crate) fn ms(value: Option<u64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| v.to_string())
}

impl fmt::Display for DrillReport {
    #[expect(clippy::too_many_lines, reason = "predates the line limit")]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "drill {} ({} nodes, {}): {}",
            self.drill,
            self.nodes,
            self.cluster,
            if self.passed() { "PASS" } else { "FAIL" }
        )?;
        writeln!(f, "  timeline:")?;
        for entry in &self.timeline {
            writeln!(f, "    +{:>6} ms  {}", entry.at_ms, entry.event)?;
        }
        let faulted: Vec<String> = self.faulted.iter().map(u64::to_string).collect();
        writeln!(
            f,
            "  leader: before={} after={} changes={}; faulted nodes: {}",
            self.leader_before,
            ms(self.leader_after),
            self.leader_changes,
            if faulted.is_empty() {
                "-".to_string()
            } else {
                faulted.join(",")
            }
        )?;
        let r = &self.recovery;
        writeln!(
            f,
            "  recovery after fault: new_leader_ms={} actors_replaced_ms={} first_assignment_ms={} longest_ack_gap_ms={}",
            ms(r.new_leader_ms),
            ms(r.actors_replaced_ms),
            ms(r.first_assignment_ms),
            self.longest_ack_gap_ms
        )?;
        writeln!(
            f,
            "  after heal: leader_ms={} fresh_write_ms={} actors_placed_ms={}",
            ms(r.heal_leader_ms),
            ms(r.heal_fresh_write_ms),
            ms(r.heal_actors_placed_ms)
        )?;
        writeln!(
            f,
            "  ops: ok={} fail={} info={} pending={}; requests={} acknowledged={} unanswered={} cancelled={}",
            self.ops.ok,
            self.ops.fail,
            self.ops.info,
            self.ops.pending,
            self.requests,
            self.acknowledged,
            self.unanswered,
            self.cancelled
        )?;
        writeln!(
            f,
            "  lost={} duplicates={} double={} nodes_read={}/{}",
            self.lost, self.duplicates, self.double_assigned, self.nodes_read, self.nodes
        )?;
        writeln!(f, "  checks:")?;
        for check in &self.checks {
            writeln!(f, "    {check}")?;
        }
        writeln!(f, "  latency before: {}", self.latency_before)?;
        writeln!(f, "  latency during: {}", self.latency_during)?;
        writeln!(f, "  latency after:  {}", self.latency_after)?;
        for problem in &self.problems {
            writeln!(f, "  PROBLEM: {problem}")?;
        }
        if let Some(dir) = &self.kept {
            writeln!(f, "  files kept in {}", dir.display())?;
        }
        write!(f, "  elapsed_ms={}", self.elapsed_ms)
    }
}
