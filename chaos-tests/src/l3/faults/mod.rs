//! The drills' faults, one file per family, each with its inject and its
//! heal side by side: [`kill`] (kill-leader, kill-station-server),
//! [`network`] (isolate-leader, minority-split, bridge, majorities-ring,
//! one-way, lossy), [`pause`], [`disk_loss`], [`clock_skew`],
//! [`cert_expiry`], [`membership`] (membership-churn), [`rolling_restart`];
//! [`nodes`] restarts a node and waits for it back and caught up.
//!
//! Here: what a fault did ([`FaultState`]), whom it aims at before it
//! starts, and the dispatch of a drill to its family.

pub(crate) mod cert_expiry;
mod clock_skew;
pub(crate) mod disk_loss;
pub(crate) mod kill;
mod membership;
pub(crate) mod network;
mod nodes;
mod pause;
pub(crate) mod rolling_restart;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;

use super::api::{Api, Placed};
use super::cluster::Run;
use super::load::Load;
use super::observer::Observer;
use super::options::{DrillError, DrillOptions};
use super::DrillName;

/// What the fault did, for the heal and the report.
pub(crate) struct FaultState {
    pub(crate) nodes: usize,
    pub(crate) leader: usize,
    pub(crate) term: u64,
    pub(crate) follower: usize,
    /// Nodes the fault took out, for the actors-re-placed measure.
    pub(crate) faulted: Vec<u64>,
    /// The fault must end the leader's term.
    pub(crate) expect_new_leader: bool,
    pub(crate) new_leader_ms: Option<u64>,
    /// kill-station-server: the killed node's stations.
    pub(crate) stations: Vec<String>,
    pub(crate) problems: Vec<String>,
    /// Watches for the faulted nodes' actors to be placed elsewhere.
    pub(crate) observer: Arc<Observer>,
    /// The nodes that hosted actors before the fault.
    pub(crate) hosts: BTreeSet<u64>,
}

impl FaultState {
    /// The fault took `nodes` out at `at`: time the re-placement of their
    /// actors from then, if they hosted any.
    pub(crate) fn mark_faulted(&mut self, at: Instant, nodes: Vec<u64>) {
        if nodes.iter().any(|node| self.hosts.contains(node)) {
            self.observer.set_faulted(at, &nodes);
        }
        self.faulted = nodes;
    }
}

/// Names the nodes the fault takes out (for the actors-re-placed measure)
/// before it is injected; kill-station-server picks the node hosting the
/// most station actors and points the load at those stations' areas.
pub(crate) fn aim(
    drill: DrillName,
    state: &mut FaultState,
    placed: &[Placed],
    stations: &BTreeMap<String, (f64, f64)>,
    load: &Load,
    fault_at: Instant,
) -> Result<(), DrillError> {
    let leader = state.leader as u64;
    match drill {
        DrillName::KillLeader | DrillName::IsolateLeader | DrillName::PauseLeader => {
            state.mark_faulted(fault_at, vec![leader]);
        }
        DrillName::MinoritySplit => state.mark_faulted(fault_at, vec![state.follower as u64]),
        DrillName::KillStationServer => {
            kill::aim_at_station_server(state, placed, stations, load, fault_at)?;
        }
        // The others name their nodes when the fault takes them out, or
        // take out no node as a whole.
        _ => {}
    }
    Ok(())
}

/// Where a fault acts: the drill's cluster, as the initial voters see it
/// and with every node (extra ones included).
pub(crate) struct Target<'a> {
    pub(crate) api: &'a Api,
    pub(crate) api_all: &'a Api,
    pub(crate) options: &'a DrillOptions,
}

/// Injects drill `drill`'s fault (and, for drills whose fault is a
/// sequence, runs the sequence).
pub(crate) async fn inject(
    drill: DrillName,
    run: &mut Run,
    target: &Target<'_>,
    state: &mut FaultState,
    fault_at: Instant,
) -> Result<(), DrillError> {
    let api = target.api;
    match drill {
        DrillName::KillLeader | DrillName::KillStationServer => kill::inject(drill, run, state),
        DrillName::IsolateLeader
        | DrillName::MinoritySplit
        | DrillName::Bridge
        | DrillName::MajoritiesRing
        | DrillName::OneWay
        | DrillName::Lossy => network::inject(drill, run, state),
        DrillName::PauseLeader => pause::inject(run, state),
        DrillName::DiskLoss => disk_loss::inject(run, api, state).await,
        DrillName::ClockSkew => clock_skew::inject(run, api, state).await,
        DrillName::CertExpiry => cert_expiry::inject(run, api, state).await,
        DrillName::MembershipChurn => {
            membership::inject(run, target.api_all, target.options, state).await
        }
        DrillName::RollingRestart => rolling_restart::inject(run, api, state, fault_at).await,
    }
}

/// Undoes drill `drill`'s fault.
pub(crate) async fn heal(
    drill: DrillName,
    run: &mut Run,
    api: &Api,
    state: &mut FaultState,
) -> Result<(), DrillError> {
    match drill {
        DrillName::KillLeader | DrillName::KillStationServer => kill::heal(drill, run, state),
        DrillName::IsolateLeader
        | DrillName::MinoritySplit
        | DrillName::Bridge
        | DrillName::MajoritiesRing
        | DrillName::OneWay
        | DrillName::Lossy => network::heal(drill, run, state),
        DrillName::PauseLeader => pause::heal(run, state),
        DrillName::DiskLoss => disk_loss::heal(run, api, state).await,
        DrillName::ClockSkew => clock_skew::heal(run, api, state).await,
        DrillName::CertExpiry => cert_expiry::heal(run, api, state).await,
        DrillName::MembershipChurn => {
            membership::heal(run);
            Ok(())
        }
        DrillName::RollingRestart => {
            rolling_restart::heal(run);
            Ok(())
        }
    }
}
