//! The node supervisor: one per node. It starts exactly the actors the
//! ledger places on this node (with their epochs), stops those moved away,
//! wakes actors that have new pending messages, and restarts a crashed actor
//! within a budget (`restarts_per_window_max` per `restart_window_ms`);
//! past the budget the failure escalates: the actor is marked failed, left
//! stopped, and shows so in its snapshot until its placement changes.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cordon_consensus::ledger::ActorId;
use ractor::{Actor, ActorCell, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};
use serde::Serialize;

use crate::actor::{ActorMsg, ActorSnapshot, DispatchActor};
use crate::shared::Shared;

/// Deadline for an actor to answer a snapshot request.
const SNAPSHOT_TIMEOUT_MS: u64 = 500;

/// Messages of the node supervisor.
#[derive(Debug)]
pub enum SupervisorMsg {
    /// The ledger advanced: reconcile placements and wake actors.
    Reconcile,
    /// Forward the hub's periodic tick.
    Tick,
    /// Reply with every local actor's state.
    Snapshot(RpcReplyPort<Vec<ChildSnapshot>>),
    /// Drill: make a local actor fail.
    Fault {
        /// The actor.
        actor: ActorId,
        /// Why (shows in the failure).
        reason: String,
    },
}

/// How a supervised actor is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChildStatus {
    /// Running.
    Running,
    /// Past its restart budget: stopped, failure escalated.
    Failed,
}

/// A supervised actor's state as the supervisor and the actor see it.
#[derive(Clone, Debug, Serialize)]
pub struct ChildSnapshot {
    /// The actor.
    pub actor: String,
    /// This node.
    pub node: u64,
    /// The epoch it runs (or ran) under.
    pub epoch: u64,
    /// Running or failed.
    pub status: ChildStatus,
    /// Restarts since it was placed here.
    pub restarts: u32,
    /// The last failure.
    pub last_failure: Option<String>,
    /// The actor's own view, when it answered.
    pub state: Option<ActorSnapshot>,
}

struct Child {
    actor_ref: Option<ActorRef<ActorMsg>>,
    epoch: u64,
    status: ChildStatus,
    restarts_in_window: VecDeque<Instant>,
    restarts: u32,
    last_failure: Option<String>,
    woken_seq: u64,
}

/// The supervisor's state.
pub struct SupervisorState {
    children: BTreeMap<ActorId, Child>,
}

/// The node supervisor actor.
pub struct NodeSupervisor {
    /// The node's shared context.
    pub shared: Arc<Shared>,
}

impl NodeSupervisor {
    async fn spawn_child(
        &self,
        myself: &ActorRef<SupervisorMsg>,
        actor: &ActorId,
        epoch: u64,
    ) -> Result<ActorRef<ActorMsg>, ActorProcessingErr> {
        let handler = DispatchActor {
            id: actor.clone(),
            shared: self.shared.clone(),
        };
        let (actor_ref, _) = Actor::spawn_linked(None, handler, epoch, myself.get_cell()).await?;
        Ok(actor_ref)
    }

    async fn reconcile(
        &self,
        myself: &ActorRef<SupervisorMsg>,
        state: &mut SupervisorState,
    ) -> Result<(), ActorProcessingErr> {
        let me = self.shared.node_id();
        // Read what the ledger says under the lock, act after releasing it.
        let (placed_here, pending_max): (BTreeMap<ActorId, u64>, BTreeMap<ActorId, u64>) = {
            let applied = self.shared.node.ledger().read();
            let placed = applied
                .ledger
                .placements()
                .filter(|(_, placement)| placement.node == me)
                .map(|(actor, placement)| (actor.clone(), placement.epoch))
                .collect::<BTreeMap<_, _>>();
            let pending = placed
                .keys()
                .filter_map(|actor| {
                    applied
                        .ledger
                        .pending_for(actor)
                        .map(|e| e.seq)
                        .max()
                        .map(|seq| (actor.clone(), seq))
                })
                .collect();
            (placed, pending)
        };
        let moved_away: Vec<ActorId> = state
            .children
            .keys()
            .filter(|actor| !placed_here.contains_key(*actor))
            .cloned()
            .collect();
        for actor in moved_away {
            if let Some(child) = state.children.remove(&actor) {
                tracing::info!(%actor, epoch = child.epoch, "actor moved away; stopping it");
                if let Some(actor_ref) = child.actor_ref {
                    actor_ref.stop(Some("placed on another node".into()));
                }
            }
        }
        for (actor, epoch) in placed_here {
            let current = state.children.get(&actor).map(|child| child.epoch);
            if current != Some(epoch) {
                if let Some(old) = state
                    .children
                    .remove(&actor)
                    .and_then(|child| child.actor_ref)
                {
                    old.stop(Some("placement epoch changed".into()));
                }
                let actor_ref = self.spawn_child(myself, &actor, epoch).await?;
                state.children.insert(
                    actor.clone(),
                    Child {
                        actor_ref: Some(actor_ref),
                        epoch,
                        status: ChildStatus::Running,
                        restarts_in_window: VecDeque::new(),
                        restarts: 0,
                        last_failure: None,
                        woken_seq: 0,
                    },
                );
            }
            let child = state.children.get_mut(&actor).expect("inserted above");
            let newest = pending_max.get(&actor).copied().unwrap_or(0);
            if newest > child.woken_seq {
                child.woken_seq = newest;
                if let Some(actor_ref) = &child.actor_ref {
                    let _ = actor_ref.cast(ActorMsg::Wake);
                }
            }
        }
        Ok(())
    }

    async fn restart_or_escalate(
        &self,
        myself: &ActorRef<SupervisorMsg>,
        state: &mut SupervisorState,
        cell: &ActorCell,
        failure: String,
    ) -> Result<(), ActorProcessingErr> {
        let Some((actor, child)) = state.children.iter_mut().find(|(_, child)| {
            child
                .actor_ref
                .as_ref()
                .is_some_and(|r| r.get_id() == cell.get_id())
        }) else {
            return Ok(());
        };
        let actor = actor.clone();
        let window = Duration::from_millis(self.shared.timing.restart_window_ms);
        let now = Instant::now();
        while child
            .restarts_in_window
            .front()
            .is_some_and(|at| now.duration_since(*at) > window)
        {
            child.restarts_in_window.pop_front();
        }
        child.last_failure = Some(failure.clone());
        child.actor_ref = None;
        if child.restarts_in_window.len() as u32 >= self.shared.timing.restarts_per_window_max {
            child.status = ChildStatus::Failed;
            tracing::error!(%actor, restarts = child.restarts, %failure, "actor failed past its restart budget; escalating: left stopped");
            return Ok(());
        }
        child.restarts_in_window.push_back(now);
        child.restarts += 1;
        let epoch = child.epoch;
        tracing::warn!(%actor, restarts = child.restarts, %failure, "actor failed; restarting");
        let actor_ref = self.spawn_child(myself, &actor, epoch).await?;
        if let Some(child) = state.children.get_mut(&actor) {
            child.actor_ref = Some(actor_ref);
            child.status = ChildStatus::Running;
        }
        Ok(())
    }

    async fn snapshot(&self, state: &SupervisorState) -> Vec<ChildSnapshot> {
        let mut snapshots = Vec::new();
        for (actor, child) in &state.children {
            let actor_state = match &child.actor_ref {
                Some(actor_ref) => actor_ref
                    .call(
                        ActorMsg::Snapshot,
                        Some(Duration::from_millis(SNAPSHOT_TIMEOUT_MS)),
                    )
                    .await
                    .ok()
                    .and_then(|answer| answer.success_or(()).ok()),
                None => None,
            };
            snapshots.push(ChildSnapshot {
                actor: actor.to_string(),
                node: self.shared.node_id(),
                epoch: child.epoch,
                status: child.status,
                restarts: child.restarts,
                last_failure: child.last_failure.clone(),
                state: actor_state,
            });
        }
        snapshots
    }
}

impl Actor for NodeSupervisor {
    type Msg = SupervisorMsg;
    type State = SupervisorState;
    type Arguments = ();

    async fn pre_start(
        &self,
        myself: ActorRef<SupervisorMsg>,
        _: (),
    ) -> Result<SupervisorState, ActorProcessingErr> {
        myself.cast(SupervisorMsg::Reconcile)?;
        Ok(SupervisorState {
            children: BTreeMap::new(),
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<SupervisorMsg>,
        message: SupervisorMsg,
        state: &mut SupervisorState,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            SupervisorMsg::Reconcile => self.reconcile(&myself, state).await?,
            SupervisorMsg::Tick => {
                if let Some(actor_ref) = state
                    .children
                    .get(&ActorId::Hub)
                    .and_then(|c| c.actor_ref.as_ref())
                {
                    let _ = actor_ref.cast(ActorMsg::Tick);
                }
                // Messages left pending (a failed proposal) are retried each tick.
                let waiting: Vec<ActorId> = {
                    let applied = self.shared.node.ledger().read();
                    state
                        .children
                        .keys()
                        .filter(|actor| applied.ledger.pending_for(actor).next().is_some())
                        .cloned()
                        .collect()
                };
                for actor in waiting {
                    if let Some(actor_ref) = state
                        .children
                        .get(&actor)
                        .and_then(|c| c.actor_ref.as_ref())
                    {
                        let _ = actor_ref.cast(ActorMsg::Wake);
                    }
                }
            }
            SupervisorMsg::Snapshot(reply) => {
                let _ = reply.send(self.snapshot(state).await);
            }
            SupervisorMsg::Fault { actor, reason } => {
                if let Some(actor_ref) = state
                    .children
                    .get(&actor)
                    .and_then(|c| c.actor_ref.as_ref())
                {
                    let _ = actor_ref.cast(ActorMsg::Fault(reason));
                }
            }
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<SupervisorMsg>,
        event: SupervisionEvent,
        state: &mut SupervisorState,
    ) -> Result<(), ActorProcessingErr> {
        if let SupervisionEvent::ActorFailed(cell, error) = event {
            self.restart_or_escalate(&myself, state, &cell, error.to_string())
                .await?;
        }
        Ok(())
    }
}
