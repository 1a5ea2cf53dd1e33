//! The fault schedule of one simulated run: a pure function of the seed,
//! the number of nodes and the length of the fault phase, drawn before the
//! run starts so that it never depends on what the cluster does. Replaying
//! a seed replays exactly this schedule.

use std::fmt;

use cordon_consensus::NodeId;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::faults::NetworkFault;

/// Quiet time before the first fault and between two faults.
const GAP_MS_MIN: u64 = 300;
/// Longest quiet time between two faults.
const GAP_MS_MAX: u64 = 1_500;
/// Shortest fault.
const FAULT_MS_MIN: u64 = 400;
/// Longest fault: several election timeouts.
const FAULT_MS_MAX: u64 = 3_000;
/// Loss of a lossy fault, in percent.
const LOSS_PERCENT_MIN: u32 = 10;
/// Highest loss of a lossy fault, in percent.
const LOSS_PERCENT_MAX: u32 = 40;
/// Largest message latency of a slow-network fault.
const SLOW_LATENCY_MS_MAX: u64 = 250;
/// Smallest message latency ceiling of a slow-network fault.
const SLOW_LATENCY_MS_MIN: u64 = 40;
/// Nodes beyond the initial voters that a run starts outside the
/// membership, for churn to add (a removed node's id is never reused, so
/// each churn needs a fresh node).
pub const SPARE_NODES: usize = 2;

/// One fault, from its start to its heal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SimFault {
    /// Message latency rises to this ceiling on every link.
    Slow {
        /// The new latency ceiling.
        latency_ms_max: u64,
    },
    /// The node's process dies (every task and open file dropped); it
    /// starts again from its files at the heal.
    Crash {
        /// The node crashed.
        node: NodeId,
    },
    /// The node stops hearing and being heard (its datagrams are held on
    /// the links, as for a paused process) and gets everything at the heal.
    Pause {
        /// The node paused.
        node: NodeId,
    },
    /// The node crashes and restarts at once (a quick process restart).
    Restart {
        /// The node restarted.
        node: NodeId,
    },
    /// Several nodes lose power at once (a majority or all: the cluster
    /// stops); each starts again from its disk at the heal.
    PowerCut {
        /// The nodes cut.
        nodes: Vec<NodeId>,
    },
    /// Membership churn by the operator: a spare node joins as a learner
    /// and is promoted, then a voter is removed for good (its id is never
    /// used again). Nothing is undone at the heal.
    Churn {
        /// The spare node added.
        add: NodeId,
        /// The voter removed.
        remove: NodeId,
    },
    /// A fault of the network's links: isolate, split, bridge, one-way
    /// cut, loss (serialised as the fault itself).
    #[serde(untagged)]
    Network(NetworkFault),
}

impl fmt::Display for SimFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimFault::Network(fault) => fault.fmt(f),
            SimFault::Slow { latency_ms_max } => {
                write!(f, "slow (latency up to {latency_ms_max} ms)")
            }
            SimFault::Crash { node } => write!(f, "crash node {node}"),
            SimFault::Pause { node } => write!(f, "pause node {node}"),
            SimFault::Restart { node } => write!(f, "restart node {node}"),
            SimFault::PowerCut { nodes } => write!(f, "power cut of nodes {nodes:?}"),
            SimFault::Churn { add, remove } => {
                write!(f, "churn: add node {add}, remove node {remove}")
            }
        }
    }
}

/// A fault with its window in simulated time since the run's start.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScheduledFault {
    /// When the fault starts.
    pub at_ms: u64,
    /// When it heals.
    pub heal_at_ms: u64,
    /// What it is.
    pub fault: SimFault,
}

/// The faults of one run, in order, never overlapping.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FaultSchedule {
    /// The faults.
    pub faults: Vec<ScheduledFault>,
    /// When the fault phase ends: every fault has healed by then.
    pub end_ms: u64,
}

impl FaultSchedule {
    /// The schedule for `seed` with `nodes` voters (ids 1..=nodes; the
    /// [`SPARE_NODES`] after them are spares for churn), faults between
    /// `start_ms` and `start_ms + phase_ms`. Faults strike the voters of
    /// the moment.
    pub fn generate(seed: u64, nodes: usize, start_ms: u64, phase_ms: u64) -> FaultSchedule {
        // Its own stream, so the schedule does not shift when the run draws
        // more or fewer numbers elsewhere.
        let mut rng = StdRng::seed_from_u64(seed ^ 0x5ced_0001_u64);
        let mut voters: Vec<NodeId> = (1..=nodes as NodeId).collect();
        let mut spares: Vec<NodeId> =
            (nodes as NodeId + 1..=(nodes + SPARE_NODES) as NodeId).collect();
        let end_ms = start_ms + phase_ms;
        let mut faults = Vec::new();
        let mut at_ms = start_ms;
        loop {
            let begins = at_ms + rng.random_range(GAP_MS_MIN..=GAP_MS_MAX);
            let heals = begins + rng.random_range(FAULT_MS_MIN..=FAULT_MS_MAX);
            if heals > end_ms {
                break;
            }
            let fault = draw_fault(&mut rng, &voters, &mut spares);
            if let SimFault::Churn { add, remove } = fault {
                voters.retain(|voter| *voter != remove);
                voters.push(add);
                voters.sort_unstable();
            }
            faults.push(ScheduledFault {
                at_ms: begins,
                heal_at_ms: heals,
                fault,
            });
            at_ms = heals;
        }
        FaultSchedule { faults, end_ms }
    }
}

impl fmt::Display for FaultSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.faults.is_empty() {
            return write!(f, "no faults (phase too short)");
        }
        let parts: Vec<String> = self
            .faults
            .iter()
            .map(|scheduled| {
                format!(
                    "{}..{} ms {}",
                    scheduled.at_ms, scheduled.heal_at_ms, scheduled.fault
                )
            })
            .collect();
        f.write_str(&parts.join("; "))
    }
}

fn draw_fault(rng: &mut StdRng, ids: &[NodeId], spares: &mut Vec<NodeId>) -> SimFault {
    let node = *ids.choose(rng).unwrap_or(&1);
    let other = loop {
        let other = *ids.choose(rng).unwrap_or(&1);
        if other != node || ids.len() < 2 {
            break other;
        }
    };
    // Bridges need two nodes on each side of the middle one.
    let kinds = if ids.len() >= 5 { 11 } else { 10 };
    match rng.random_range(0..kinds) {
        0 => SimFault::Network(NetworkFault::Isolate { node }),
        1 => {
            let minority_len = (ids.len() - 1) / 2;
            let mut shuffled = ids.to_vec();
            rand::seq::SliceRandom::shuffle(shuffled.as_mut_slice(), rng);
            let mut minority: Vec<NodeId> = shuffled.into_iter().take(minority_len).collect();
            minority.sort_unstable();
            SimFault::Network(NetworkFault::Split { minority })
        }
        2 => SimFault::Network(NetworkFault::OneWay {
            from: node,
            to: other,
        }),
        3 => SimFault::Network(NetworkFault::Lossy {
            percent: rng.random_range(LOSS_PERCENT_MIN..=LOSS_PERCENT_MAX),
        }),
        4 => SimFault::Slow {
            latency_ms_max: rng.random_range(SLOW_LATENCY_MS_MIN..=SLOW_LATENCY_MS_MAX),
        },
        5 => SimFault::Crash { node },
        6 => SimFault::Pause { node },
        7 => SimFault::Restart { node },
        9 if !spares.is_empty() => SimFault::Churn {
            add: spares.remove(0),
            remove: node,
        },
        9 => SimFault::Restart { node },
        8 => {
            let count = rng.random_range(ids.len() / 2 + 1..=ids.len());
            let mut shuffled = ids.to_vec();
            rand::seq::SliceRandom::shuffle(shuffled.as_mut_slice(), rng);
            let mut nodes: Vec<NodeId> = shuffled.into_iter().take(count).collect();
            nodes.sort_unstable();
            SimFault::PowerCut { nodes }
        }
        _ => SimFault::Network(NetworkFault::Bridge { bridge: node }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_fixes_the_schedule_and_seeds_differ() {
        // The same inputs give the same schedule; another seed another one.
        let first = FaultSchedule::generate(7, 3, 2_000, 20_000);
        let again = FaultSchedule::generate(7, 3, 2_000, 20_000);
        let other = FaultSchedule::generate(8, 3, 2_000, 20_000);
        assert_eq!(first, again);
        assert_ne!(first, other);
        assert!(first.faults.len() >= 4, "{first}");
    }

    #[test]
    fn faults_never_overlap_and_heal_within_the_phase() {
        // Windows are ordered, disjoint, and end by the phase's end.
        for seed in 0..200 {
            let schedule = FaultSchedule::generate(seed, 5, 1_000, 15_000);
            let mut last_heal = 1_000;
            for scheduled in &schedule.faults {
                assert!(scheduled.at_ms >= last_heal + GAP_MS_MIN, "{schedule}");
                assert!(scheduled.heal_at_ms > scheduled.at_ms);
                last_heal = scheduled.heal_at_ms;
            }
            assert!(last_heal <= schedule.end_ms);
        }
    }

    #[test]
    fn three_nodes_never_get_a_bridge_and_splits_are_minorities() {
        // A bridge needs five nodes; a split's minority is under half;
        // churn adds each spare once and never removes a removed node.
        for seed in 0..300 {
            let mut removed = Vec::new();
            let mut added = Vec::new();
            for scheduled in FaultSchedule::generate(seed, 3, 0, 30_000).faults {
                match scheduled.fault {
                    SimFault::Network(NetworkFault::Bridge { .. }) => {
                        panic!("bridge with 3 nodes (seed {seed})")
                    }
                    SimFault::Network(NetworkFault::Split { minority }) => {
                        assert_eq!(minority.len(), 1)
                    }
                    SimFault::Network(NetworkFault::OneWay { from, to }) => assert_ne!(from, to),
                    SimFault::Churn { add, remove } => {
                        assert!(add > 3 && !added.contains(&add), "seed {seed}");
                        assert!(!removed.contains(&remove), "seed {seed}");
                        added.push(add);
                        removed.push(remove);
                    }
                    _ => {}
                }
            }
        }
    }
}
