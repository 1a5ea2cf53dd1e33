//! Placement: which node hosts which actor. Decided by the Raft leader only
//! and written to the ledger with a rising epoch per move.
//!
//! Policy (pure, [`desired_node`]): a station's actor prefers its station's
//! servers, then the district servers; the hub, the rings and the special-ops
//! teams prefer district servers; ties are broken by a stable hash of the
//! actor id so actors spread. Liveness comes from heartbeat replies: the
//! leader pings every member each `heartbeat_interval_ms`; a node silent for
//! longer than `detection_timeout_ms` loses its actors to the first live node
//! in their preference list. A preferred node that returns gets its actors
//! back only after staying alive for `move_back_after_ms` (hysteresis).
//! Special-ops teams are placed wherever the ring-4 actor runs, because it
//! supervises them. A node an operator drains counts as gone until undrained.
//!
//! An actor that failed past its restart budget on a node (its supervisor
//! recorded `ReportActorFailed` in the ledger) is placed again under a
//! higher epoch, on the first fit node of its preference list: the node it
//! failed on is unfit for it for `failed_node_hold_ms` after the failure, so
//! it does not move straight back. When every live node is unfit it goes to
//! the best one anyway, with an error logged: never left unplaced.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use cordon_config::district::{District, Ring, UnitKind};
use cordon_config::{ClusterConfig, NodeId, NodeRole};
use cordon_consensus::ledger::{
    Action, ActorFailure, ActorId, Command, Effect, Origin, PlaceActor, RequestId, StationId,
};
use tokio::time::Instant;

use crate::context::NodeContext;
use crate::health::{self, Health, SharedHealth};

/// Every actor the district needs: the hub, one per station, the four
/// rings, the forecaster and one per ring-4 team.
pub fn district_actors(district: &District) -> Vec<ActorId> {
    let mut actors = vec![ActorId::Hub];
    actors.extend(
        district
            .stations()
            .iter()
            .map(|s| ActorId::Station(StationId(s.id.clone()))),
    );
    actors.extend(Ring::ALL.iter().map(|ring| ActorId::Ring(*ring)));
    actors.push(ActorId::Forecaster);
    actors.extend(
        district
            .units()
            .iter()
            .filter(|unit| {
                matches!(
                    unit.kind,
                    UnitKind::SpecialPoliceTeam
                        | UnitKind::RovingSpecialVehicle
                        | UnitKind::StandbySquad
                )
            })
            .map(|unit| ActorId::SpecialOps(unit.id.clone())),
    );
    actors
}

/// The actor's nodes in order of preference, among `members`.
pub fn preference(actor: &ActorId, cluster: &ClusterConfig, members: &[NodeId]) -> Vec<NodeId> {
    let spec = |id: &NodeId| cluster.node(*id);
    let mut own_station: Vec<NodeId> = Vec::new();
    if let ActorId::Station(station) = actor {
        own_station = members
            .iter()
            .filter(|id| {
                spec(id).is_some_and(|n| {
                    n.role == NodeRole::Station && n.station.as_deref() == Some(station.as_str())
                })
            })
            .copied()
            .collect();
    }
    let mut district: Vec<NodeId> = members
        .iter()
        .filter(|id| spec(id).is_none_or(|n| n.role == NodeRole::District))
        .copied()
        .collect();
    let mut others: Vec<NodeId> = members
        .iter()
        .filter(|id| !own_station.contains(id) && !district.contains(id))
        .copied()
        .collect();
    // Spread actors over equal candidates by a stable hash of their name.
    let spread = stable_hash(&actor.to_string());
    rotate(&mut district, spread);
    rotate(&mut others, spread);
    own_station
        .into_iter()
        .chain(district)
        .chain(others)
        .collect()
}

fn rotate(nodes: &mut [NodeId], by: u64) {
    if !nodes.is_empty() {
        nodes.sort_unstable();
        let shift = (by % nodes.len() as u64) as usize;
        nodes.rotate_left(shift);
    }
}

fn stable_hash(text: &str) -> u64 {
    // FNV-1a: stable across builds and platforms, unlike std's hasher.
    text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Where an actor should be now: its current node if alive and no more
/// preferred node has been stably alive; else the first live node in
/// preference order. `None` when no preferred node is alive.
pub fn desired_node(
    preference: &[NodeId],
    current: Option<NodeId>,
    alive: &dyn Fn(NodeId) -> bool,
    stably_alive: &dyn Fn(NodeId) -> bool,
) -> Option<NodeId> {
    let first_alive = preference.iter().copied().find(|id| alive(*id))?;
    match current {
        Some(node) if alive(node) => {
            let rank = |id: NodeId| {
                preference
                    .iter()
                    .position(|p| *p == id)
                    .unwrap_or(usize::MAX)
            };
            let better = preference
                .iter()
                .copied()
                .find(|id| rank(*id) < rank(node) && stably_alive(*id));
            Some(better.unwrap_or(node))
        }
        _ => Some(first_alive),
    }
}

/// The nodes an actor's failures past its restart budget make unfit for it
/// at `now_ms`: those where it failed less than `hold_ms` ago.
pub fn unfit_nodes(failures: &[ActorFailure], now_ms: u64, hold_ms: u64) -> BTreeSet<NodeId> {
    failures
        .iter()
        .filter(|failure| now_ms < failure.at_ms.saturating_add(hold_ms))
        .map(|failure| failure.node)
        .collect()
}

/// True when the actor's current incarnation (`placed`: node and epoch)
/// failed past its restart budget: it must be placed again, under a higher
/// epoch, even if no other node is fit.
pub fn failed_where_placed(failures: &[ActorFailure], placed: Option<(NodeId, u64)>) -> bool {
    placed.is_some_and(|(node, epoch)| {
        failures
            .iter()
            .any(|failure| failure.node == node && failure.epoch == epoch)
    })
}

/// Where an actor should be, keeping it off the `unfit` nodes: as
/// [`desired_node`] over the fit nodes; when no fit node is alive, the best
/// live node anyway (an actor is never left unplaced for being unfit).
pub fn fit_node(
    preference: &[NodeId],
    current: Option<NodeId>,
    unfit: &BTreeSet<NodeId>,
    alive: &dyn Fn(NodeId) -> bool,
    stably_alive: &dyn Fn(NodeId) -> bool,
) -> Option<NodeId> {
    let fit = |id: NodeId| alive(id) && !unfit.contains(&id);
    let fit_stably = |id: NodeId| stably_alive(id) && !unfit.contains(&id);
    desired_node(preference, current, &fit, &fit_stably)
        .or_else(|| desired_node(preference, current, alive, stably_alive))
}

/// What the leader reads from the ledger for one placement round.
struct LedgerView {
    /// Each placed actor's node and epoch.
    current: BTreeMap<ActorId, (NodeId, u64)>,
    /// Each actor's failures past its restart budget (newest per node).
    failures: BTreeMap<ActorId, Vec<ActorFailure>>,
    /// Drained members.
    drained: Vec<NodeId>,
}

impl LedgerView {
    fn read(context: &NodeContext, actors: &[ActorId], members: &[NodeId]) -> LedgerView {
        let applied = context.node.ledger().read();
        let ledger = &applied.ledger;
        LedgerView {
            current: ledger
                .placements()
                .map(|(a, p)| (a.clone(), (p.node, p.epoch)))
                .collect(),
            failures: actors
                .iter()
                .map(|actor| {
                    (
                        actor.clone(),
                        ledger.actor_failures(actor).cloned().collect(),
                    )
                })
                .collect(),
            drained: members
                .iter()
                .copied()
                .filter(|id| ledger.is_drained(*id))
                .collect(),
        }
    }
}

/// One placement: the actor, where to, under which epoch, from where, and
/// whether it replaces an incarnation that failed past its budget.
struct Move {
    actor: ActorId,
    node: NodeId,
    epoch: u64,
    from: Option<NodeId>,
    replaces_failed: bool,
}

/// The leader's placement loop; idles on followers. Every heartbeat it
/// sends the pings that are not out yet and plans a round on the replies
/// so far.
pub async fn run_controller(context: Arc<NodeContext>, cluster: ClusterConfig) {
    let actors = district_actors(&context.district);
    let heartbeat = Duration::from_millis(context.timing.heartbeat_interval_ms);
    // Half the detection timeout: a ping lost or stuck is followed by
    // another before its node counts as dead.
    let ping_deadline =
        Duration::from_millis(context.timing.detection_timeout_ms / 2).max(heartbeat);
    let mut health = SharedHealth::default();
    let mut ticker = tokio::time::interval(heartbeat);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if context.node.leader() != Some(context.node_id()) {
            // A later term starts from no replies (pings still out write
            // into the old one).
            health = SharedHealth::default();
            continue;
        }
        let members = context.node.member_ids();
        {
            let mut state = health::lock(&health);
            if state.since.is_none() {
                state.remember_previous_leader(context.node.last_leader_heard(), context.node_id());
            }
        }
        health::send_pings(&health, &context, &members, ping_deadline);
        let view = LedgerView::read(&context, &actors, &members);
        let moves = {
            let state = health::lock(&health);
            plan_round(&context, &cluster, &actors, &members, &state, &view)
        };
        // A round's moves are proposed together, so Raft commits them in a
        // few batches: one write at a time took 6 s to move the 19 actors of
        // a dead district server (the kill-leader drill).
        let mut writes = tokio::task::JoinSet::new();
        for placement in moves {
            let context = context.clone();
            writes.spawn(async move { place(&context, &placement).await });
        }
        while writes.join_next().await.is_some() {}
    }
}

/// The moves of one round: every actor whose node is not where it should
/// be, or whose incarnation failed past its restart budget.
fn plan_round(
    context: &NodeContext,
    cluster: &ClusterConfig,
    actors: &[ActorId],
    members: &[NodeId],
    health: &Health,
    view: &LedgerView,
) -> Vec<Move> {
    let timing = &context.timing;
    let detection = Duration::from_millis(timing.detection_timeout_ms);
    let move_back = Duration::from_millis(timing.move_back_after_ms);
    let (now, now_ms) = (Instant::now(), context.now_ms());
    // A drained node counts as gone: its actors move away and stay away.
    let drained = &view.drained;
    let alive = |id: NodeId| !drained.contains(&id) && health.alive(id, now, detection);
    let stably_alive =
        |id: NodeId| !drained.contains(&id) && health.stably_alive(id, now, detection, move_back);
    let target_of = |actor: &ActorId| {
        let failures = view.failures.get(actor).map_or(&[][..], Vec::as_slice);
        let unfit = unfit_nodes(failures, now_ms, timing.failed_node_hold_ms);
        let order = preference(actor, cluster, members);
        let current = view.current.get(actor).map(|(node, _)| *node);
        fit_node(&order, current, &unfit, &alive, &stably_alive)
    };
    // Teams live with the ring-4 actor that supervises them, and move in
    // the same round as it.
    let ring_four = target_of(&ActorId::Ring(Ring::SpecialPolice));
    let mut moves = Vec::new();
    for actor in actors {
        let placed = view.current.get(actor).copied();
        let failures = view.failures.get(actor).map_or(&[][..], Vec::as_slice);
        let unfit = unfit_nodes(failures, now_ms, timing.failed_node_hold_ms);
        let target = match actor {
            ActorId::SpecialOps(_) => ring_four,
            _ => target_of(actor),
        };
        let Some(target) = target else {
            continue;
        };
        let replaces_failed = failed_where_placed(failures, placed);
        if placed.map(|(node, _)| node) == Some(target) && !replaces_failed {
            continue;
        }
        if replaces_failed && unfit.contains(&target) {
            tracing::error!(%actor, node = target, "every live node is unfit for the actor (it failed past its restart budget there); placing it on the best one anyway");
        }
        moves.push(Move {
            actor: actor.clone(),
            node: target,
            epoch: placed.map_or(1, |(_, epoch)| epoch + 1),
            from: placed.map(|(node, _)| node),
            replaces_failed,
        });
    }
    moves
}

async fn place(context: &NodeContext, placement: &Move) {
    let Move {
        actor,
        node,
        epoch,
        from,
        replaces_failed,
    } = placement;
    let (node, epoch) = (*node, *epoch);
    let command = Command::new(
        // The node is part of the id: the ledger binds an id to its body,
        // and a placement at this epoch refused on one node may be retried
        // on another.
        RequestId(format!(
            "place-{}-{epoch}-n{node}",
            actor.to_string().replace(':', ".")
        )),
        context.now_ms(),
        Origin::System {
            node: context.node_id(),
        },
        Action::PlaceActor(PlaceActor {
            actor: actor.clone(),
            node,
            epoch,
        }),
    );
    match context.node.write(command).await {
        Ok(applied) if *replaces_failed => {
            let fresh =
                !applied.deduplicated && matches!(applied.effect, Effect::ActorPlaced { .. });
            if fresh {
                // Counted once: a retried write of the same placement is deduplicated.
                metrics::counter!("cordon_actor_replacements_total", "actor" => actor.to_string())
                    .increment(1);
                tracing::error!(%actor, node, epoch, from = ?from, index = applied.index, "actor failed past its restart budget; placed again");
            }
        }
        Ok(applied) => {
            tracing::info!(%actor, node, epoch, from = ?from, index = applied.index, "placed actor")
        }
        Err(error) => {
            tracing::warn!(%actor, node, epoch, %error, "place actor; retrying next round")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dead_node_loses_its_actor_to_the_next_preference() {
        // The current node is dead: the first live node in preference order takes over.
        let order = [4, 1, 2];
        let alive = |id: NodeId| id != 4;
        assert_eq!(desired_node(&order, Some(4), &alive, &alive), Some(1));
    }

    #[test]
    fn a_returning_node_gets_its_actor_back_only_when_stable() {
        // Hysteresis: the preferred node must be stably alive before the actor moves back.
        let order = [4, 1, 2];
        let alive = |_: NodeId| true;
        let not_yet = |id: NodeId| id != 4;
        assert_eq!(desired_node(&order, Some(1), &alive, &not_yet), Some(1));
        assert_eq!(desired_node(&order, Some(1), &alive, &alive), Some(4));
    }

    #[test]
    fn unplaced_actors_go_to_the_first_live_preference() {
        // A fresh actor is placed on its most preferred live node.
        let order = [3, 2];
        let alive = |id: NodeId| id == 2;
        assert_eq!(desired_node(&order, None, &alive, &alive), Some(2));
        let none = |_: NodeId| false;
        assert_eq!(desired_node(&order, None, &none, &none), None);
    }

    fn failure(node: NodeId, epoch: u64, at_ms: u64) -> ActorFailure {
        ActorFailure {
            node,
            epoch,
            restarts: 3,
            reason: "panicked".into(),
            at_ms,
            index: 1,
        }
    }

    #[test]
    fn a_node_the_actor_failed_on_is_unfit_for_the_hold_time() {
        // The failure on node 4 at t=1000 keeps node 4 unfit until t=1000+hold.
        let failures = [failure(4, 2, 1_000)];
        assert_eq!(unfit_nodes(&failures, 1_500, 1_000), BTreeSet::from([4]));
        assert!(unfit_nodes(&failures, 2_000, 1_000).is_empty());
    }

    #[test]
    fn a_failed_actor_moves_to_the_next_fit_node_and_not_straight_back() {
        // Node 4 failed it: the next preference takes it, and the stably
        // alive node 4 does not win it back while unfit.
        let order = [4, 1, 2];
        let alive = |_: NodeId| true;
        let unfit = BTreeSet::from([4]);
        assert!(failed_where_placed(&[failure(4, 2, 0)], Some((4, 2))));
        assert_eq!(fit_node(&order, Some(4), &unfit, &alive, &alive), Some(1));
        assert_eq!(fit_node(&order, Some(1), &unfit, &alive, &alive), Some(1));
        assert!(!failed_where_placed(&[failure(4, 2, 0)], Some((1, 3))));
    }

    #[test]
    fn when_every_node_is_unfit_the_best_live_one_keeps_the_actor() {
        // Never unplaced: with 4 and 1 unfit and 2 dead, the first live node is chosen.
        let order = [4, 1, 2];
        let alive = |id: NodeId| id != 2;
        let unfit = BTreeSet::from([4, 1]);
        assert_eq!(fit_node(&order, Some(4), &unfit, &alive, &alive), Some(4));
        assert_eq!(fit_node(&order, None, &unfit, &alive, &alive), Some(4));
    }

    #[test]
    fn the_district_needs_hub_stations_rings_and_teams() {
        // The embedded district yields 1 hub, 10 stations, 4 rings and one actor per ring-4 team.
        let actors = district_actors(&District::embedded());
        assert_eq!(
            actors
                .iter()
                .filter(|a| matches!(a, ActorId::Station(_)))
                .count(),
            10
        );
        assert_eq!(
            actors
                .iter()
                .filter(|a| matches!(a, ActorId::Ring(_)))
                .count(),
            4
        );
        assert!(
            actors
                .iter()
                .filter(|a| matches!(a, ActorId::SpecialOps(_)))
                .count()
                >= 11
        );
    }
}
