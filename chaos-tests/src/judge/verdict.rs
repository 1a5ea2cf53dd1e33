//! The request checkers' verdict over a history and the final reads (lost
//! = 0, duplicates = 0 when all is well) and the tally of how operations
//! ended: what every layer's report states.

use std::fmt;

use super::checkers::request_outcomes;
use super::checkers::{acked_incidents, lost_acks, request_applied_once, FinalReads, Violation};
use super::history::{Completion, OpRecord};

/// How the operations of a history ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpTally {
    /// Took effect.
    pub ok: usize,
    /// Certainly did not take effect.
    pub fail: usize,
    /// Unknown: timed out or lost with its node.
    pub info: usize,
    /// Never completed.
    pub pending: usize,
}

impl OpTally {
    /// Counts the completions of `records`.
    pub fn of(records: &[OpRecord]) -> OpTally {
        let mut tally = OpTally::default();
        for record in records {
            match record.completion {
                Completion::Ok { .. } => tally.ok += 1,
                Completion::Fail { .. } => tally.fail += 1,
                Completion::Info { .. } => tally.info += 1,
                Completion::Pending => tally.pending += 1,
            }
        }
        tally
    }
}

impl fmt::Display for OpTally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ok={} fail={} info={} pending={}",
            self.ok, self.fail, self.info, self.pending
        )
    }
}

/// What the request checkers found in a history and the final reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestVerdict {
    /// Distinct request ids acknowledged to a client.
    pub acknowledged: usize,
    /// Violations of "no acknowledged incident is missing on any node".
    pub lost: usize,
    /// Violations of "a request id took effect once".
    pub duplicates: usize,
    /// Every violation, for the failure message.
    pub violations: Vec<Violation>,
}

impl RequestVerdict {
    /// Runs [`lost_acks`] and [`request_applied_once`] over `records` and
    /// each node's `final_reads`.
    pub fn check(records: &[OpRecord], final_reads: &FinalReads) -> RequestVerdict {
        let outcomes = request_outcomes(records);
        let acked = acked_incidents(&outcomes);
        let lost = lost_acks(&acked, final_reads).err().unwrap_or_default();
        let duplicates = request_applied_once(&outcomes, final_reads)
            .err()
            .unwrap_or_default();
        RequestVerdict {
            acknowledged: acked.len(),
            lost: lost.len(),
            duplicates: duplicates.len(),
            violations: lost.into_iter().chain(duplicates).collect(),
        }
    }

    /// True when nothing was lost or applied twice.
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty()
    }
}
