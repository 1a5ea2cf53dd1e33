//! Recovery after the faults heal, within a stated bound.

use std::time::Duration;

use super::{verdict, Violation};
use crate::judge::invariants::Invariant;

/// How long after the heal each sign of recovery was seen; `None` when it
/// never was within the observation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecoveryTimes {
    /// A leader was elected and known to every node.
    pub leader_elected: Option<Duration>,
    /// A write proposed after the heal was committed and acknowledged.
    pub fresh_write_committed: Option<Duration>,
    /// Every actor had a placement.
    pub actors_placed: Option<Duration>,
}

/// Each sign of recovery arrived within `bound` of the heal
/// ([`Invariant::LivenessAfterHeal`]).
pub fn liveness(recovery: &RecoveryTimes, bound: Duration) -> Result<(), Vec<Violation>> {
    check_signs(
        [
            ("leader elected", recovery.leader_elected),
            ("fresh write committed", recovery.fresh_write_committed),
            ("all actors placed", recovery.actors_placed),
        ],
        bound,
    )
}

/// As [`liveness`] for a cluster that runs no actors (the simulation's
/// consensus nodes): a leader and a fresh write, within `bound`.
pub fn consensus_liveness(recovery: &RecoveryTimes, bound: Duration) -> Result<(), Vec<Violation>> {
    check_signs(
        [
            ("leader elected", recovery.leader_elected),
            ("fresh write committed", recovery.fresh_write_committed),
        ],
        bound,
    )
}

fn check_signs<const N: usize>(
    signs: [(&str, Option<Duration>); N],
    bound: Duration,
) -> Result<(), Vec<Violation>> {
    let violations = signs
        .into_iter()
        .filter_map(|(sign, after_heal)| {
            let detail = match after_heal {
                None => format!("{sign}: never observed (bound {bound:.3?} after heal)"),
                Some(after_heal) if after_heal > bound => {
                    format!("{sign} {after_heal:.3?} after heal, over the bound of {bound:.3?}")
                }
                Some(_) => return None,
            };
            Some(Violation::new(Invariant::LivenessAfterHeal, detail))
        })
        .collect();
    verdict(violations)
}
