//! The network drills: isolate-leader, minority-split, bridge,
//! majorities-ring, one-way and lossy, each a [`NetworkFault`] of the one
//! vocabulary, injected and healed at the lab's bridge.

use cordon_consensus::NodeId;

use super::FaultState;
use crate::faults::NetworkFault;
use crate::l3::cluster::Run;
use crate::l3::options::DrillError;
use crate::l3::DrillName;

/// Percent of node-to-node packets the lossy drill drops.
const LOSSY_PERCENT: u32 = 20;

/// The network fault of drill `drill`, aimed by `state` (the leader and a
/// follower); `None` for drills that are not network faults.
pub(crate) fn network_fault(drill: DrillName, state: &FaultState) -> Option<NetworkFault> {
    let leader = state.leader as NodeId;
    let follower = state.follower as NodeId;
    Some(match drill {
        DrillName::IsolateLeader => NetworkFault::Isolate { node: leader },
        DrillName::MinoritySplit => NetworkFault::Split {
            minority: vec![follower],
        },
        // With five nodes: {1,2} and {4,5} cut apart, node 3 sees both.
        DrillName::Bridge => NetworkFault::Bridge { bridge: 3 },
        DrillName::MajoritiesRing => NetworkFault::MajoritiesRing,
        DrillName::OneWay => NetworkFault::OneWay {
            from: leader,
            to: follower,
        },
        DrillName::Lossy => NetworkFault::Lossy {
            percent: LOSSY_PERCENT,
        },
        _ => return None,
    })
}

/// The drill's nodes (the initial voters) by id.
fn ids(state: &FaultState) -> Vec<NodeId> {
    (1..=state.nodes as NodeId).collect()
}

/// Injects the drill's network fault at the bridge.
pub(super) fn inject(
    drill: DrillName,
    run: &mut Run,
    state: &mut FaultState,
) -> Result<(), DrillError> {
    let Some(fault) = network_fault(drill, state) else {
        return Ok(());
    };
    fault.inject(&ids(state), run.control.lab()?)?;
    let (leader, follower) = (state.leader, state.follower);
    run.note(match fault {
        NetworkFault::Isolate { .. } => {
            format!("isolate node {leader} (leader) from the other nodes")
        }
        NetworkFault::Split { .. } => format!("isolate node {follower} (follower): 2|1 split"),
        NetworkFault::Bridge { .. } => format!(
            "bridge: {{1,2}} and {{4,5}} cut apart, node 3 sees both (leader was node {leader})"
        ),
        NetworkFault::MajoritiesRing => {
            let cuts: Vec<(NodeId, NodeId)> = fault
                .links(&ids(state))
                .into_iter()
                .filter(|(a, b)| a < b)
                .collect();
            format!("majorities ring: each node sees only its ring neighbours; cut {cuts:?}")
        }
        NetworkFault::OneWay { .. } => {
            format!("cut node {leader} (leader) -> node {follower} one way")
        }
        NetworkFault::Lossy { percent } => format!("drop {percent}% of node-to-node packets"),
    });
    Ok(())
}

/// Heals the drill's network fault: its rules removed from the bridge.
pub(super) fn heal(
    drill: DrillName,
    run: &mut Run,
    state: &mut FaultState,
) -> Result<(), DrillError> {
    if let Some(fault) = network_fault(drill, state) {
        fault.heal(&ids(state), run.control.lab()?)?;
    }
    run.note("heal: every rule removed");
    Ok(())
}
