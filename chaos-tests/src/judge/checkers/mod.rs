//! History checkers: pure functions from what a drill observed to the list
//! of broken invariants.
//!
//! Each checker takes plain data (final reads per node, the ledger's
//! assignment and execution records, node logs, recovery times) and returns
//! `Ok(())` or every [`Violation`] it found, each naming its [`Invariant`]
//! and exactly what broke: request and incident ids, log indexes, nodes.
//!
//! - [`requests`]: acknowledged incidents present everywhere
//!   ([`lost_acks`]) and retried requests applied once
//!   ([`request_applied_once`]);
//! - [`assignments`]: no unit assigned to two open incidents
//!   ([`unit_assigned_once`]);
//! - [`epochs`](mod@epochs): one node per actor epoch, epochs rising ([`epochs()`]);
//! - [`dispatch`]: incidents attended, messages handled in time, steps in
//!   order ([`incidents_attended`], [`messages_handled`],
//!   [`statuses_follow_tables`]);
//! - [`panics`]: no panic in any node's log ([`no_panic`]);
//! - [`liveness`](mod@liveness): recovery after healing within a bound ([`liveness()`]).
//!
//! Linearizability has its own module, [`crate::judge::linearizability`].

use std::fmt;

use crate::judge::invariants::Invariant;

pub mod assignments;
pub mod dispatch;
pub mod epochs;
pub mod liveness;
pub mod panics;
pub mod requests;

pub use assignments::{unit_assigned_once, AssignmentChange, AssignmentEvent};
pub use dispatch::{
    incidents_attended, messages_handled, statuses_follow_tables, targets_follow_rings,
    IncidentSummary, MessageSighting,
};
pub use epochs::{epochs, ActorExecution};
pub use liveness::{consensus_liveness, liveness, RecoveryTimes};
pub use panics::no_panic;
pub use requests::{
    acked_incidents, lost_acks, request_applied_once, request_outcomes, FinalReads, RequestOutcome,
};

/// A client's idempotency key.
pub type RequestId = String;
/// An incident's id as the ledger assigned it (`I-000042`).
pub type IncidentId = String;
/// A node's name in reports (`node-2`).
pub type NodeName = String;

/// One broken invariant, with what broke.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The rule broken.
    pub invariant: Invariant,
    /// What broke it: ids, indexes, nodes.
    pub detail: String,
}

impl Violation {
    /// A violation of `invariant`.
    pub fn new(invariant: Invariant, detail: impl Into<String>) -> Violation {
        Violation {
            invariant,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.invariant.code(), self.detail)
    }
}

/// `Ok(())` when nothing was found.
fn verdict(violations: Vec<Violation>) -> Result<(), Vec<Violation>> {
    if violations.is_empty() {
        Ok(())
    } else {
        Err(violations)
    }
}
