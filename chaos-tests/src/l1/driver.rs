//! The driver: steps the simulation, starting each scheduled fault and
//! healing it at its end (network faults through the one vocabulary on
//! turmoil's links, pauses as held links, crashes and restarts of hosts,
//! churn handed to the operator), and heals everything at the end of the
//! fault phase.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use cordon_consensus::NodeId;

use super::setup::host_ip;
use super::{lock, FaultSchedule, ScheduledFault, Shared, SimFault, SimLoss, LAN_LATENCY_MS_MAX};
use crate::faults::{Links, NetworkFault};
use crate::shared::node_disk::NodeDisk;

/// Steps the simulation, applying each fault at its start and healing it
/// at its end; heals everything at the end of the fault phase. Returns the
/// problems met (a host failed, the run did not finish).
pub(super) fn drive(
    sim: &mut turmoil::Sim<'_>,
    schedule: &FaultSchedule,
    disks: &BTreeMap<NodeId, Arc<NodeDisk>>,
    shared: &Shared,
    loss: &SimLoss,
) -> Vec<String> {
    let ids: Vec<NodeId> = disks.keys().copied().collect();
    let ids = ids.as_slice();
    let mut next = 0;
    let mut active: Option<&ScheduledFault> = None;
    let mut healed = false;
    loop {
        let now_ms = sim.elapsed().as_millis() as u64;
        if let Some(fault) = active {
            if now_ms >= fault.heal_at_ms {
                heal(sim, &fault.fault, ids, loss);
                active = None;
            }
        }
        if active.is_none() {
            if let Some(fault) = schedule.faults.get(next) {
                if now_ms >= fault.at_ms {
                    inject(sim, &fault.fault, disks, shared, loss);
                    active = Some(fault);
                    next += 1;
                }
            }
        }
        if !healed && now_ms >= schedule.end_ms {
            if let Some(fault) = active.take() {
                heal(sim, &fault.fault, ids, loss);
            }
            shared.healed.store(true, Ordering::SeqCst);
            healed = true;
        }
        match sim.step() {
            Ok(true) => return Vec::new(),
            Ok(false) => {}
            Err(error) => return vec![format!("simulation stopped: {error}")],
        }
    }
}

/// Starts `fault`: its links cut (or, for a pause, held), its loss set,
/// its nodes crashed, its churn handed to the operator.
pub(super) fn inject(
    sim: &mut turmoil::Sim<'_>,
    fault: &SimFault,
    disks: &BTreeMap<NodeId, Arc<NodeDisk>>,
    shared: &Shared,
    loss: &SimLoss,
) {
    let ids: Vec<NodeId> = disks.keys().copied().collect();
    match fault {
        SimFault::Network(fault) => {
            let Ok(()) = fault.inject(&ids, &SimLinks { sim: &*sim, loss });
        }
        SimFault::Pause { node } => {
            for (a, b) in (NetworkFault::Isolate { node: *node }).links(&ids) {
                sim.hold(host_ip(a), host_ip(b));
            }
        }
        SimFault::Slow { latency_ms_max } => {
            sim.set_max_message_latency(Duration::from_millis(*latency_ms_max));
        }
        SimFault::Crash { node } => crash(sim, disks, shared, *node),
        SimFault::Restart { node } => {
            lock(&shared.nodes).remove(node);
            crash_disk(&disks[node], *node, shared);
            sim.bounce(host_ip(*node));
        }
        SimFault::Churn { add, remove } => lock(&shared.churns).push((*add, *remove)),
        SimFault::PowerCut { nodes } => {
            for node in nodes {
                crash(sim, disks, shared, *node);
            }
        }
    }
}

/// Ends `fault`: its links restored (or released), its loss cleared, its
/// crashed nodes started again.
pub(super) fn heal(sim: &mut turmoil::Sim<'_>, fault: &SimFault, ids: &[NodeId], loss: &SimLoss) {
    match fault {
        SimFault::Network(fault) => {
            let Ok(()) = fault.heal(ids, &SimLinks { sim: &*sim, loss });
        }
        SimFault::Pause { node } => {
            for (a, b) in (NetworkFault::Isolate { node: *node }).links(ids) {
                sim.release(host_ip(a), host_ip(b));
            }
        }
        SimFault::Restart { .. } | SimFault::Churn { .. } => {}
        SimFault::Slow { .. } => {
            sim.set_max_message_latency(Duration::from_millis(LAN_LATENCY_MS_MAX));
        }
        SimFault::Crash { node } => sim.bounce(host_ip(*node)),
        SimFault::PowerCut { nodes } => {
            for node in nodes {
                sim.bounce(host_ip(*node));
            }
        }
    }
}

/// Crashes node `node`: out of the clients' sight, its disk back to its
/// last sync, its host stopped.
pub(super) fn crash(
    sim: &mut turmoil::Sim<'_>,
    disks: &BTreeMap<NodeId, Arc<NodeDisk>>,
    shared: &Shared,
    node: NodeId,
) {
    lock(&shared.nodes).remove(&node);
    crash_disk(&disks[&node], node, shared);
    sim.crash(host_ip(node));
}

/// Crashes a node's disk; a disk that cannot even do that is a problem of
/// the run.
pub(super) fn crash_disk(disk: &NodeDisk, node: NodeId, shared: &Shared) {
    if let Err(error) = disk.crash() {
        lock(&shared.problems).push(format!("crash node {node}'s disk: {error}"));
    }
}

/// turmoil's network and the run's loss, as [`Links`] between node hosts:
/// a cut is a one-way partition, a loss a rate in [`SimLoss`].
pub(super) struct SimLinks<'a, 'sim> {
    sim: &'a turmoil::Sim<'sim>,
    loss: &'a SimLoss,
}

impl Links for SimLinks<'_, '_> {
    type Error = Infallible;

    fn cut(&self, from: NodeId, to: NodeId) -> Result<(), Infallible> {
        self.sim.partition_oneway(host_ip(from), host_ip(to));
        Ok(())
    }

    fn restore(&self, from: NodeId, to: NodeId) -> Result<(), Infallible> {
        self.sim.repair_oneway(host_ip(from), host_ip(to));
        Ok(())
    }

    fn set_loss(&self, from: NodeId, to: NodeId, percent: u32) -> Result<(), Infallible> {
        self.loss
            .set(host_ip(from), host_ip(to), f64::from(percent) / 100.0);
        Ok(())
    }
}
