//! Supervision, written once and used twice: by the node supervisor (one per
//! node; it supervises the hub, the stations and the rings placed on the
//! node) and by the ring-4 actor (it supervises the special-ops teams placed
//! with it).
//!
//! A supervisor starts exactly the actors of its kind that the ledger places
//! on this node (with their epochs), stops those moved away, wakes actors that
//! have new pending messages, and restarts a crashed actor within a budget
//! (`restarts_per_window_max` per `restart_window_ms`); past the budget the
//! failure escalates: the actor is marked failed and left stopped here, an
//! error is logged and counted, and the failure is recorded in the ledger
//! ([`ReportActorFailed`], proposed as the failed incarnation) so the
//! leader's placement loop moves the actor to another node under a higher
//! epoch. Nothing waits for a person to restart it.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use cordon_consensus::ledger::{Action, ActorId, ReportActorFailed, Ring, TEXT_BYTES_MAX};
use ractor::{Actor, ActorCell, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};
use serde::Serialize;

use crate::actor::{ActorMsg, ActorSnapshot, DispatchActor};
use crate::context::{NodeContext, ProposeError};

/// Messages of the node supervisor.
#[derive(Debug)]
pub enum SupervisorMsg {
    /// The ledger advanced: reconcile placements and wake actors.
    Reconcile,
    /// Forward the periodic tick.
    Tick,
    /// A unit these actors wait for freed: wake them.
    Wake(BTreeSet<ActorId>),
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
    /// Past its restart budget: stopped here, failure escalated (the
    /// leader places it on another node).
    Failed,
}

/// A supervised actor's state as its supervisor and the actor see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
    /// Who supervises it: `node` or an actor id.
    pub supervisor: String,
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

/// The children of one supervisor and the policy that keeps them running.
pub struct Supervision {
    context: Arc<NodeContext>,
    /// Name shown as the children's supervisor.
    name: String,
    /// Which actors this supervisor owns.
    owns: fn(&ActorId) -> bool,
    children: BTreeMap<ActorId, Child>,
}

impl Supervision {
    /// A supervisor of the actors `owns` accepts.
    pub fn new(context: Arc<NodeContext>, name: &str, owns: fn(&ActorId) -> bool) -> Supervision {
        Supervision {
            context,
            name: name.to_string(),
            owns,
            children: BTreeMap::new(),
        }
    }

    async fn spawn_child(
        &self,
        supervisor: &ActorCell,
        actor: &ActorId,
        epoch: u64,
    ) -> Result<ActorRef<ActorMsg>, ActorProcessingErr> {
        let handler = DispatchActor::new(actor.clone(), self.context.clone());
        let (actor_ref, _) = Actor::spawn_linked(None, handler, epoch, supervisor.clone()).await?;
        Ok(actor_ref)
    }

    /// Starts the owned actors placed here, stops those placed elsewhere,
    /// wakes those with new pending messages.
    #[expect(clippy::too_many_lines, reason = "predates the line limit")]
    pub async fn reconcile(&mut self, supervisor: &ActorCell) -> Result<(), ActorProcessingErr> {
        let me = self.context.node_id();
        let owns = self.owns;
        // Read what the ledger says under the lock, act after releasing it.
        let (placed_here, pending_max): (BTreeMap<ActorId, u64>, BTreeMap<ActorId, u64>) = {
            let applied = self.context.node.ledger().read();
            let placed = applied
                .ledger
                .placements()
                .filter(|(actor, placement)| placement.node == me && owns(actor))
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
        let moved_away: Vec<ActorId> = self
            .children
            .keys()
            .filter(|actor| !placed_here.contains_key(*actor))
            .cloned()
            .collect();
        for actor in moved_away {
            if let Some(child) = self.children.remove(&actor) {
                tracing::info!(%actor, epoch = child.epoch, "actor moved away; stopping it");
                if let Some(actor_ref) = child.actor_ref {
                    actor_ref.stop(Some("placed on another node".into()));
                }
            }
        }
        for (actor, epoch) in placed_here {
            if self.children.get(&actor).map(|child| child.epoch) != Some(epoch) {
                if let Some(old) = self
                    .children
                    .remove(&actor)
                    .and_then(|child| child.actor_ref)
                {
                    old.stop(Some("placement epoch changed".into()));
                }
                let actor_ref = self.spawn_child(supervisor, &actor, epoch).await?;
                metrics::counter!("cordon_actor_restarts_total", "actor" => actor.to_string())
                    .increment(0);
                self.children.insert(
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
            let child = self.children.get_mut(&actor).expect("inserted above");
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

    /// Restarts the failed child within its budget, or marks it failed.
    pub async fn on_failure(
        &mut self,
        supervisor: &ActorCell,
        cell: &ActorCell,
        failure: String,
    ) -> Result<(), ActorProcessingErr> {
        let Some((actor, child)) = self.children.iter_mut().find(|(_, child)| {
            child
                .actor_ref
                .as_ref()
                .is_some_and(|r| r.get_id() == cell.get_id())
        }) else {
            return Ok(());
        };
        let actor = actor.clone();
        let window = Duration::from_millis(self.context.timing.restart_window_ms);
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
        metrics::counter!("cordon_actor_failures_total", "actor" => actor.to_string()).increment(1);
        if child.restarts_in_window.len() as u32 >= self.context.timing.restarts_per_window_max {
            child.status = ChildStatus::Failed;
            let report = ReportActorFailed {
                actor: actor.clone(),
                node: self.context.node_id(),
                epoch: child.epoch,
                restarts: child.restarts,
                reason: clip(&failure, TEXT_BYTES_MAX),
            };
            escalate(&self.context, report);
            return Ok(());
        }
        child.restarts_in_window.push_back(now);
        child.restarts += 1;
        metrics::counter!("cordon_actor_restarts_total", "actor" => actor.to_string()).increment(1);
        let epoch = child.epoch;
        tracing::warn!(%actor, restarts = child.restarts, %failure, "actor failed; restarting");
        let actor_ref = self.spawn_child(supervisor, &actor, epoch).await?;
        if let Some(child) = self.children.get_mut(&actor) {
            child.actor_ref = Some(actor_ref);
            child.status = ChildStatus::Running;
        }
        Ok(())
    }

    /// A running child.
    pub fn child(&self, actor: &ActorId) -> Option<&ActorRef<ActorMsg>> {
        self.children
            .get(actor)
            .and_then(|child| child.actor_ref.as_ref())
    }

    /// Casts `message()` to every running child.
    pub fn broadcast(&self, message: fn() -> ActorMsg) {
        for child in self.children.values() {
            if let Some(actor_ref) = &child.actor_ref {
                let _ = actor_ref.cast(message());
            }
        }
    }

    /// Wakes the running children among `actors` (a unit they wait for freed).
    pub fn wake(&self, actors: &BTreeSet<ActorId>) {
        for actor in actors {
            if let Some(actor_ref) = self.child(actor) {
                let _ = actor_ref.cast(ActorMsg::Wake);
            }
        }
    }

    /// Stops every child (the supervisor is stopping).
    pub fn stop_all(&mut self) {
        for (_, child) in std::mem::take(&mut self.children) {
            if let Some(actor_ref) = child.actor_ref {
                actor_ref.stop(Some("supervisor stopping".into()));
            }
        }
    }

    /// Every child's state, and their children's, depth first.
    pub fn snapshot(&self) -> Vec<ChildSnapshot> {
        // Actors publish their own view after every message (see
        // `NodeContext::snapshots`), so a snapshot never waits on a busy actor.
        let published = self
            .context
            .snapshots
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let mut snapshots = Vec::new();
        for (actor, child) in &self.children {
            let actor_state = published
                .get(actor)
                .filter(|s| s.epoch == child.epoch)
                .cloned();
            let grandchildren = actor_state
                .as_ref()
                .map(|s| s.children.clone())
                .unwrap_or_default();
            snapshots.push(ChildSnapshot {
                actor: actor.to_string(),
                node: self.context.node_id(),
                epoch: child.epoch,
                status: child.status,
                restarts: child.restarts,
                last_failure: child.last_failure.clone(),
                supervisor: self.name.clone(),
                state: actor_state,
            });
            snapshots.extend(grandchildren);
        }
        snapshots
    }
}

/// Escalates a failure past the restart budget: an error log and a count
/// (once, here, where it happened) and the ledger record, proposed in the
/// background so the supervisor keeps serving its other children.
fn escalate(context: &Arc<NodeContext>, report: ReportActorFailed) {
    metrics::counter!("cordon_actor_failures_escalated_total", "actor" => report.actor.to_string())
        .increment(1);
    tracing::error!(
        actor = %report.actor,
        node = report.node,
        epoch = report.epoch,
        restarts = report.restarts,
        failure = %report.reason,
        "actor failed past its restart budget; stopped here, the leader places it on another node"
    );
    tokio::spawn(record_failure(context.clone(), report));
}

/// Records the failure in the ledger as the failed incarnation, retrying
/// while the cluster cannot commit, until the ledger has it, refuses it, or
/// has already moved the actor (a newer epoch).
async fn record_failure(context: Arc<NodeContext>, report: ReportActorFailed) {
    let retry = Duration::from_millis(context.timing.heartbeat_interval_ms);
    let request_id = format!("failed-{}-{}", report.actor, report.epoch);
    let (actor, epoch) = (report.actor.clone(), report.epoch);
    loop {
        let still_placed = {
            let applied = context.node.ledger().read();
            applied
                .ledger
                .placement(&actor)
                .is_some_and(|placement| placement.epoch == epoch)
        };
        if !still_placed {
            return;
        }
        let action = Action::ReportActorFailed(report.clone());
        match context
            .propose(&actor, epoch, request_id.clone(), action, Vec::new())
            .await
        {
            Ok(applied) => {
                tracing::info!(%actor, epoch, index = applied.index, "failure past the restart budget recorded");
                return;
            }
            Err(ProposeError::Rejected(rejection)) => {
                tracing::warn!(%actor, epoch, %rejection, "failure past the restart budget not recorded");
                return;
            }
            Err(error) => {
                tracing::warn!(%actor, epoch, %error, "record failure past the restart budget; retrying");
                tokio::time::sleep(retry).await;
            }
        }
    }
}

/// `text` cut to at most `bytes_max` bytes on a character boundary.
fn clip(text: &str, bytes_max: usize) -> String {
    let mut end = text.len().min(bytes_max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// The special-ops teams are supervised by the ring-4 actor.
pub fn supervised_by_ring_four(actor: &ActorId) -> bool {
    matches!(actor, ActorId::SpecialOps(_))
}

/// The node supervisor owns everything else.
pub fn supervised_by_node(actor: &ActorId) -> bool {
    !supervised_by_ring_four(actor)
}

/// The node supervisor actor.
pub struct NodeSupervisor {
    /// The node's context.
    pub context: Arc<NodeContext>,
}

impl Actor for NodeSupervisor {
    type Msg = SupervisorMsg;
    type State = Supervision;
    type Arguments = ();

    async fn pre_start(
        &self,
        myself: ActorRef<SupervisorMsg>,
        _: (),
    ) -> Result<Supervision, ActorProcessingErr> {
        myself.cast(SupervisorMsg::Reconcile)?;
        Ok(Supervision::new(
            self.context.clone(),
            "node",
            supervised_by_node,
        ))
    }

    async fn handle(
        &self,
        myself: ActorRef<SupervisorMsg>,
        message: SupervisorMsg,
        state: &mut Supervision,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            SupervisorMsg::Reconcile => {
                // A failed reconcile is retried on the next ledger change or
                // tick; it must never take the node supervisor down.
                if let Err(error) = state.reconcile(&myself.get_cell()).await {
                    tracing::error!(%error, "reconcile actors with their placements");
                }
                // The ring-4 actor reconciles the teams it supervises.
                if let Some(ring_four) = state.child(&ActorId::Ring(Ring::SpecialPolice)) {
                    let _ = ring_four.cast(ActorMsg::Reconcile);
                }
            }
            SupervisorMsg::Tick => state.broadcast(|| ActorMsg::Tick),
            SupervisorMsg::Wake(actors) => state.wake(&actors),
            SupervisorMsg::Snapshot(reply) => {
                let _ = reply.send(state.snapshot());
            }
            SupervisorMsg::Fault { actor, reason } => {
                let target = if supervised_by_ring_four(&actor) {
                    state
                        .child(&ActorId::Ring(Ring::SpecialPolice))
                        .map(|ring_four| (ring_four, ActorMsg::FaultChild(actor, reason)))
                } else {
                    state
                        .child(&actor)
                        .map(|child| (child, ActorMsg::Fault(reason)))
                };
                if let Some((actor_ref, message)) = target {
                    let _ = actor_ref.cast(message);
                }
            }
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<SupervisorMsg>,
        event: SupervisionEvent,
        state: &mut Supervision,
    ) -> Result<(), ActorProcessingErr> {
        if let SupervisionEvent::ActorFailed(cell, error) = event {
            state
                .on_failure(&myself.get_cell(), &cell, error.to_string())
                .await?;
        }
        Ok(())
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<SupervisorMsg>,
        state: &mut Supervision,
    ) -> Result<(), ActorProcessingErr> {
        state.stop_all();
        Ok(())
    }
}
