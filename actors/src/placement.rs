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

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use cordon_config::district::{District, Ring, UnitKind};
use cordon_config::{ClusterConfig, NodeId, NodeRole};
use cordon_consensus::ledger::{
    Action, ActorId, Command, Origin, PlaceActor, RequestId, StationId,
};
use tokio::time::Instant;

use crate::context::NodeContext;

/// Every actor the district needs: the hub, one per station, the four rings
/// and one per ring-4 team.
pub fn district_actors(district: &District) -> Vec<ActorId> {
    let mut actors = vec![ActorId::Hub];
    actors.extend(
        district
            .stations()
            .iter()
            .map(|s| ActorId::Station(StationId(s.id.clone()))),
    );
    actors.extend(Ring::ALL.iter().map(|ring| ActorId::Ring(*ring)));
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

/// The leader's placement loop; idles on followers.
pub async fn run_controller(context: Arc<NodeContext>, cluster: ClusterConfig) {
    let actors = district_actors(&context.district);
    let heartbeat = Duration::from_millis(context.timing.heartbeat_interval_ms);
    let detection = Duration::from_millis(context.timing.detection_timeout_ms);
    let move_back = Duration::from_millis(context.timing.move_back_after_ms);
    let mut health = Health::default();
    let mut ticker = tokio::time::interval(heartbeat);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if context.node.leader() != Some(context.node_id()) {
            health = Health::default();
            continue;
        }
        let members = context.node.member_ids();
        health.probe(&context, &members, heartbeat).await;
        let now = Instant::now();
        let (current, drained): (BTreeMap<ActorId, (NodeId, u64)>, Vec<NodeId>) = {
            let applied = context.node.ledger().read();
            let current = applied
                .ledger
                .placements()
                .map(|(a, p)| (a.clone(), (p.node, p.epoch)))
                .collect();
            let drained = members
                .iter()
                .copied()
                .filter(|id| applied.ledger.is_drained(*id))
                .collect();
            (current, drained)
        };
        // A drained node counts as gone: its actors move away and stay away.
        let alive = |id: NodeId| !drained.contains(&id) && health.alive(id, now, detection);
        let stably_alive = |id: NodeId| {
            !drained.contains(&id) && health.stably_alive(id, now, detection, move_back)
        };
        // A round's moves are proposed together, so Raft commits them in a
        // few batches: one write at a time took 6 s to move the 19 actors of
        // a dead district server (the kill-leader drill).
        let mut moves = tokio::task::JoinSet::new();
        for actor in &actors {
            let placed = current.get(actor).copied();
            let target = if let ActorId::SpecialOps(_) = actor {
                // Teams live with the ring-4 actor that supervises them.
                match current.get(&ActorId::Ring(Ring::SpecialPolice)) {
                    Some((ring_four, _)) if alive(*ring_four) => Some(*ring_four),
                    _ => None,
                }
            } else {
                let order = preference(actor, &cluster, &members);
                desired_node(&order, placed.map(|(node, _)| node), &alive, &stably_alive)
            };
            let Some(target) = target else {
                continue;
            };
            if placed.map(|(node, _)| node) == Some(target) {
                continue;
            }
            let epoch = placed.map_or(1, |(_, epoch)| epoch + 1);
            let (context, actor) = (context.clone(), actor.clone());
            moves.spawn(async move {
                place(
                    &context,
                    &actor,
                    target,
                    epoch,
                    placed.map(|(node, _)| node),
                )
                .await
            });
        }
        while moves.join_next().await.is_some() {}
    }
}

async fn place(
    context: &NodeContext,
    actor: &ActorId,
    node: NodeId,
    epoch: u64,
    from: Option<NodeId>,
) {
    let command = Command::new(
        RequestId(format!(
            "place-{}-{epoch}",
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
        Ok(applied) => {
            tracing::info!(%actor, node, epoch, from = ?from, index = applied.index, "placed actor")
        }
        Err(error) => {
            tracing::warn!(%actor, node, epoch, %error, "place actor; retrying next round")
        }
    }
}

/// Heartbeat replies per node, as the leader sees them.
#[derive(Default)]
struct Health {
    /// Leader start of observation: nodes get the benefit of the doubt for one detection timeout.
    since: Option<Instant>,
    last_reply: BTreeMap<NodeId, Instant>,
    /// Start of the current unbroken run of replies.
    alive_since: BTreeMap<NodeId, Instant>,
}

impl Health {
    async fn probe(&mut self, context: &Arc<NodeContext>, members: &[NodeId], deadline: Duration) {
        let started = Instant::now();
        self.since.get_or_insert(started);
        let mut probes = tokio::task::JoinSet::new();
        for id in members.iter().copied() {
            let context = context.clone();
            probes.spawn(async move { (id, context.node.ping(id, deadline).await) });
        }
        while let Some(Ok((id, answered))) = probes.join_next().await {
            if answered {
                self.last_reply.insert(id, Instant::now());
                self.alive_since.entry(id).or_insert(started);
            } else {
                self.alive_since.remove(&id);
            }
        }
    }

    fn alive(&self, id: NodeId, now: Instant, detection: Duration) -> bool {
        match self.last_reply.get(&id) {
            Some(at) => now.duration_since(*at) <= detection,
            None => self
                .since
                .is_some_and(|since| now.duration_since(since) <= detection),
        }
    }

    fn stably_alive(&self, id: NodeId, now: Instant, detection: Duration, hold: Duration) -> bool {
        self.alive(id, now, detection)
            && self
                .alive_since
                .get(&id)
                .is_some_and(|since| now.duration_since(*since) >= hold)
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
