//! Actor placement epochs: fencing holds when each epoch runs on one node
//! and an actor's epochs only rise.

use std::collections::{BTreeMap, BTreeSet};

use super::{verdict, Violation};
use crate::judge::invariants::Invariant;

/// An actor executed a command under a placement epoch on a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActorExecution {
    /// The actor's name (`station-nanjing-east-1`).
    pub actor: String,
    /// Its placement epoch at the time.
    pub epoch: u64,
    /// The node it ran on.
    pub node: u64,
    /// The log index of the command.
    pub index: u64,
}

/// Each (actor, epoch) ran on one node only ([`Invariant::EpochSingleNode`])
/// and an actor's epochs never fall in log order ([`Invariant::EpochsRise`]).
///
/// `executions` are in log order. Each conflict is reported once: per
/// (actor, epoch, extra node), and per (actor, fallen epoch).
pub fn epochs(executions: &[ActorExecution]) -> Result<(), Vec<Violation>> {
    let mut violations = Vec::new();
    // (actor, epoch) -> (node, index) of its first execution.
    let mut first_run: BTreeMap<(&str, u64), (u64, u64)> = BTreeMap::new();
    // actor -> (highest epoch, index where seen first).
    let mut highest: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    let mut reported_nodes: BTreeSet<(&str, u64, u64)> = BTreeSet::new();
    let mut reported_falls: BTreeSet<(&str, u64)> = BTreeSet::new();

    for run in executions {
        let actor = run.actor.as_str();
        let (first_node, first_index) = *first_run
            .entry((actor, run.epoch))
            .or_insert((run.node, run.index));
        if first_node != run.node && reported_nodes.insert((actor, run.epoch, run.node)) {
            violations.push(Violation::new(
                Invariant::EpochSingleNode,
                format!(
                    "actor {actor} epoch {} ran on node {first_node} (index {first_index}) and on node {} (index {})",
                    run.epoch, run.node, run.index
                ),
            ));
        }
        let (top_epoch, top_index) = *highest.entry(actor).or_insert((run.epoch, run.index));
        if run.epoch > top_epoch {
            highest.insert(actor, (run.epoch, run.index));
        } else if run.epoch < top_epoch && reported_falls.insert((actor, run.epoch)) {
            violations.push(Violation::new(
                Invariant::EpochsRise,
                format!(
                    "actor {actor} ran epoch {} at index {} on node {} after epoch {top_epoch} at index {top_index}",
                    run.epoch, run.index, run.node
                ),
            ));
        }
    }
    verdict(violations)
}
