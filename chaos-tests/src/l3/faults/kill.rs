//! kill-leader and kill-station-server: SIGKILL a node's process (the
//! leader, or the node hosting the most station actors while the load
//! reports incidents in those stations' areas); restart it at heal.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use super::FaultState;
use crate::l3::api::Placed;
use crate::l3::cluster::{stations_by_node, Run};
use crate::l3::load::Load;
use crate::l3::options::{setup, DrillError};
use crate::l3::DrillName;

/// kill-station-server: picks the node hosting the most station actors,
/// expects a new leader if it leads, and points the load at its stations'
/// areas.
pub(super) fn aim_at_station_server(
    state: &mut FaultState,
    placed: &[Placed],
    stations: &BTreeMap<String, (f64, f64)>,
    load: &Load,
    fault_at: Instant,
) -> Result<(), DrillError> {
    let leader = state.leader as u64;
    let by_node = stations_by_node(placed);
    let (victim, names) = by_node
        .iter()
        .max_by_key(|(node, names)| (names.len(), std::cmp::Reverse(**node)))
        .ok_or_else(|| setup("no station actor is placed anywhere"))?;
    state.mark_faulted(fault_at, vec![*victim]);
    state.stations = names.clone();
    state.expect_new_leader = *victim == leader;
    let points: Vec<(f64, f64)> = names
        .iter()
        .filter_map(|name| stations.get(name).copied())
        .collect();
    if let Ok(mut focus) = load.focus.lock() {
        *focus = Some(points);
    }
    Ok(())
}

/// SIGKILLs the leader (kill-leader) or the station server.
pub(super) fn inject(
    drill: DrillName,
    run: &mut Run,
    state: &mut FaultState,
) -> Result<(), DrillError> {
    let leader = state.leader;
    if drill == DrillName::KillLeader {
        run.control.kill(leader)?;
        run.note(format!("SIGKILL node {leader} (leader)"));
        return Ok(());
    }
    let victim = state.faulted[0] as usize;
    run.control.kill(victim)?;
    run.note(format!(
        "SIGKILL node {victim}{}: it hosts {} station actors ({}); reports go to their areas",
        if victim == leader { " (leader)" } else { "" },
        state.stations.len(),
        state.stations.join(", ")
    ));
    Ok(())
}

/// Starts the killed node again.
pub(super) fn heal(
    drill: DrillName,
    run: &mut Run,
    state: &mut FaultState,
) -> Result<(), DrillError> {
    let killed = if drill == DrillName::KillLeader {
        state.leader
    } else {
        state.faulted[0] as usize
    };
    run.control.start(killed)?;
    run.note(format!("restart node {killed}"));
    Ok(())
}

/// kill-station-server: how the incidents reported to the killed node's
/// stations during the fault fared.
pub(crate) fn note_station_incidents(
    run: &mut Run,
    load: &Load,
    incidents: &[cordon_api::incidents::Incident],
    state: &FaultState,
) {
    let focused: BTreeSet<String> = load
        .focused
        .lock()
        .map(|ids| ids.iter().cloned().collect())
        .unwrap_or_default();
    let assigned = incidents
        .iter()
        .filter(|incident| focused.contains(&incident.id))
        .filter(|incident| !incident.assignments.is_empty())
        .count();
    run.note(format!(
        "{} incidents reported during the fault in the areas of node {:?}'s stations ({}); {assigned} of them got a unit",
        focused.len(),
        state.faulted,
        state.stations.join(", ")
    ));
}
