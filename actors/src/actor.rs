//! The one actor shape every kind shares: immutable identity and shared
//! context in the actor struct, the placement epoch as state, one message
//! enum, replies by `RpcReplyPort`. What a kind does is its [`Role`],
//! chosen once from the actor's id, each in its own file (`hub.rs`,
//! `station.rs`, `ring.rs`, `special_ops.rs`); the shell never asks which
//! kind it is.
//!
//! An actor never keeps work only in memory: on every wake it reads its
//! pending messages from the ledger, so a restarted or moved actor carries
//! on where the last one stopped. Each handling proposes with request ids
//! derived from (actor, message, attempt), so a repeat after a crash is
//! deduplicated by the ledger instead of acting twice.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use cordon_consensus::ledger::{
    Action, ActorId, Applied, Dismiss, Envelope, IncidentId, MarkUnresourced, Message,
};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};
use serde::Serialize;
use tracing::Instrument;

use crate::context::{NodeContext, PlantedBug, ProposeError};
use crate::role::Role;
use crate::supervisor::{ChildSnapshot, Supervision};
use crate::waiting::{FreedUnits, Wait};

/// Attempts at one message before the actor leaves it for the next wake.
pub const ATTEMPTS_PER_MESSAGE_MAX: u32 = 4;

/// A waiting message no unit of its rings freed for since its last look:
/// planning it again would find nobody again, so a wake for new messages
/// costs no look at the waiting ones.
fn still_waiting(state: &ActorState, freed: &FreedUnits, seq: u64) -> bool {
    state
        .waiting
        .get(&seq)
        .is_some_and(|wait| !freed.since(wait))
}

/// Which pending messages a drain looks at (see [`DispatchActor::to_look_at`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Look {
    /// Those new since the last drain, and the waiting ones a unit freed for.
    NewAndFreed,
    /// Every pending message but those still waiting.
    AllButWaiting,
    /// Every pending message.
    Everything,
}

/// Seconds between looks at every waiting message whether or not a unit of
/// its rings freed (see [`crate::waiting`]).
pub const WAITING_LOOK_S: u64 = 10;

/// What handling one pending message came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handled {
    /// Answered: the answer consumed it (this incarnation will not look at
    /// it again while the ledger catches up).
    Done,
    /// Left pending on purpose (no unit can respond yet): looked at again
    /// on every wake until it can be answered.
    Waiting,
}

/// Messages every actor takes.
#[derive(Debug)]
pub enum ActorMsg {
    /// New pending messages may be in the ledger: read and handle them.
    Wake,
    /// Periodic work (the hub's deadline watch, the move-up rounds).
    Tick,
    /// Reply with an observable snapshot.
    Snapshot(RpcReplyPort<ActorSnapshot>),
    /// Drill: fail now, as a bug would (tests and drills only).
    Fault(String),
    /// Supervising actors (ring 4): reconcile the children placed here.
    Reconcile,
    /// Drill: make a supervised child fail.
    FaultChild(ActorId, String),
}

/// What an actor shows about itself (read by the API and tests).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActorSnapshot {
    /// The actor.
    pub actor: String,
    /// The epoch it runs under.
    pub epoch: u64,
    /// Pending messages handled by this incarnation.
    pub handled: u64,
    /// Proposals the ledger rejected.
    pub rejected: u64,
    /// True once the ledger refused its epoch; it no longer acts.
    pub fenced: bool,
    /// The last error, if any.
    pub last_error: Option<String>,
    /// The actors it supervises (ring 4: the special-ops teams).
    pub children: Vec<ChildSnapshot>,
}

/// An actor: its identity, its role and the node's context.
pub struct DispatchActor {
    /// Which actor this is.
    pub id: ActorId,
    /// What it does, chosen once from its id.
    role: Role,
    /// The node's context.
    pub context: Arc<NodeContext>,
}

impl ActorState {
    /// The next attempt number at message `seq` (0 for the first).
    pub fn next_attempt(&mut self, seq: u64) -> u32 {
        let next = self.attempts.entry(seq).or_insert(0);
        let attempt = *next;
        *next += 1;
        attempt
    }
}

/// An actor's mutable state.
pub struct ActorState {
    /// The placement epoch it proposes under.
    pub epoch: u64,
    /// Messages handled by this incarnation.
    pub handled: u64,
    /// Rejected proposals.
    pub rejected: u64,
    /// Set when the ledger refused the epoch.
    pub fenced: bool,
    /// The last error.
    pub last_error: Option<String>,
    /// Message sequences handled here but maybe not yet applied locally.
    pub done: BTreeSet<u64>,
    /// Per pending message, the attempts this incarnation proposed for it.
    /// Each proposal takes a fresh attempt number, so a retry after the
    /// world changed is a new request, never a replay of a rejection the
    /// ledger remembers for an earlier one.
    pub attempts: BTreeMap<u64, u32>,
    /// Messages this incarnation left waiting (marked unresourced once),
    /// with the wait their last look found.
    pub waiting: BTreeMap<u64, Wait>,
    /// When the waiting messages are next looked at whether or not a unit
    /// freed (a shift that starts frees no unit in the ledger), Unix ms.
    pub next_waiting_look_ms: u64,
    /// The sequence after the newest pending message a drain has read (0
    /// before the first drain).
    pub next_seq: u64,
    /// A message is left for a retry on the next tick (a failed proposal,
    /// or a unit freed while the actor registered its wait).
    pub retry: bool,
    /// The teams it supervises (the ring-4 actor only).
    pub teams: Option<Supervision>,
    /// When its next move-up round is due, Unix ms (rings 3 and 4).
    pub next_move_up_ms: u64,
    /// When the forecaster next looks (0: at its first tick).
    pub next_forecast_ms: u64,
}

impl DispatchActor {
    /// The actor `id` on the node of `context`.
    pub fn new(id: ActorId, context: Arc<NodeContext>) -> DispatchActor {
        DispatchActor {
            role: Role::of(&id),
            id,
            context,
        }
    }

    /// Answers `envelope`: proposes `action` as this actor under `epoch`,
    /// consuming the message, with the request id of attempt `attempt`
    /// (so a repeat after a crash is deduplicated by the ledger).
    pub(crate) async fn answer(
        &self,
        epoch: u64,
        envelope: &Envelope,
        attempt: u32,
        action: Action,
    ) -> Result<Applied, ProposeError> {
        let request_id = self.request_id(epoch, envelope.seq, attempt);
        self.context
            .propose(&self.id, epoch, request_id, action, vec![envelope.seq])
            .await
    }

    /// Proposes `action` as this actor under `epoch` with its own request
    /// id, consuming no message (plan lines, the deadline watch).
    pub(crate) async fn act(
        &self,
        epoch: u64,
        request_id: String,
        action: Action,
    ) -> Result<Applied, ProposeError> {
        self.context
            .propose(&self.id, epoch, request_id, action, Vec::new())
            .await
    }

    /// Consumes a message that needs no action, saying why.
    pub(crate) async fn dismiss(
        &self,
        epoch: u64,
        envelope: &Envelope,
        reason: String,
    ) -> Result<(), ProposeError> {
        tracing::info!(actor = %self.id, seq = envelope.seq, %reason, "dismissing message");
        let request_id = dismiss_request_id(&self.id, epoch, envelope.seq, &reason);
        let action = Action::Dismiss(Dismiss { reason });
        self.context
            .propose(&self.id, epoch, request_id, action, vec![envelope.seq])
            .await
            .map(|_| ())
    }

    /// Leaves `envelope` pending because no unit can answer it yet: marks
    /// its incident unresourced (once per message and incarnation, so a
    /// surge does not flood the log) and registers for a wake when a unit
    /// of the rings it waits for frees.
    pub(crate) async fn wait_for_units(
        &self,
        state: &mut ActorState,
        envelope: &Envelope,
        incident_id: IncidentId,
        wait: Wait,
    ) -> Result<Handled, ProposeError> {
        if self.context.waits.wait(&self.id, &wait) {
            // A unit freed after the read that found none: look again soon.
            state.retry = true;
        }
        if state.waiting.insert(envelope.seq, wait.clone()).is_some() {
            tracing::debug!(actor = %self.id, %incident_id, reason = %wait.reason, "still no unit can respond");
            return Ok(Handled::Waiting);
        }
        tracing::warn!(actor = %self.id, %incident_id, reason = %wait.reason, "no unit can respond yet; marking the incident unresourced and leaving the message pending");
        let request_id = unresourced_request_id(&self.id, state.epoch, envelope.seq, &wait.reason);
        let mark = Action::MarkUnresourced(MarkUnresourced {
            incident_id,
            reason: wait.reason,
        });
        if let Err(error) = self.act(state.epoch, request_id, mark).await {
            // Not marked: say it again when the message is next looked at.
            state.waiting.remove(&envelope.seq);
            return Err(error);
        }
        if self.context.has_planted(PlantedBug::NeverRetry) {
            tracing::warn!(actor = %self.id, %incident_id, "planted bug: never retrying a waiting message");
            return Ok(Handled::Done);
        }
        Ok(Handled::Waiting)
    }

    /// The request id of attempt `attempt` at handling message `seq`.
    ///
    /// The epoch is part of it: an answer the ledger remembers for a stale
    /// incarnation (a fencing rejection) must never be replayed to the
    /// incarnation that replaced it.
    pub fn request_id(&self, epoch: u64, seq: u64, attempt: u32) -> String {
        request_id(&self.id, epoch, seq, attempt)
    }

    /// Periodic work: the role's own (the hub's deadline watch, the rings' move-ups), a retry
    /// of messages a failure left pending, and the same for the teams this
    /// actor supervises. Messages waiting for a unit are looked at when the
    /// unit watcher wakes their actor for a freed unit, and here every
    /// [`WAITING_LOOK_S`].
    async fn tick(&self, state: &mut ActorState) {
        if !state.fenced {
            if let Err(error) = self.role.tick(self, state).await {
                state.fenced |= error.is_fenced();
                state.last_error = Some(error.to_string());
            }
        }
        if state.retry || self.waiting_look_is_due(state) {
            self.drain(state).await;
        }
        if let Some(teams) = &state.teams {
            teams.broadcast(|| ActorMsg::Tick);
        }
    }

    async fn drain(&self, state: &mut ActorState) {
        let pending = self.to_look_at(state);
        let pending = if state.fenced {
            pending
        } else {
            self.role.take_backlog(self, state, pending).await
        };
        for envelope in pending {
            if state.fenced || state.done.contains(&envelope.seq) {
                continue;
            }
            if self.drops_planted(&envelope) {
                state.done.insert(envelope.seq);
                continue;
            }
            match self.handle_envelope(state, &envelope).await {
                Ok(Handled::Done) => {
                    state.handled += 1;
                    state.done.insert(envelope.seq);
                }
                Ok(Handled::Waiting) => {}
                Err(error) => self.note_error(state, &envelope, error),
            }
        }
    }

    /// The pending messages a drain looks at, oldest first: those new since
    /// the last drain and the waiting ones a unit of their rings freed for.
    /// After a failure left a message for a retry (and at the first drain)
    /// every pending message but those still waiting; every
    /// [`WAITING_LOOK_S`] every pending message, for what frees a unit
    /// without a ledger event (a team's shift starting). A wake in a surge,
    /// with thousands waiting, thus reads only what is new.
    fn to_look_at(&self, state: &mut ActorState) -> Vec<Envelope> {
        let retry = std::mem::take(&mut state.retry);
        let look = if self.take_waiting_look(state) {
            Look::Everything
        } else if retry || state.next_seq == 0 {
            Look::AllButWaiting
        } else {
            Look::NewAndFreed
        };
        let freed = self.context.waits.freed();
        let applied = self.context.node.ledger().read();
        let ledger = &applied.ledger;
        let mut next_seq = state.next_seq;
        let mut seen = |envelope: &&Envelope| next_seq = next_seq.max(envelope.seq + 1);
        let chosen: Vec<Envelope> = match look {
            Look::NewAndFreed => state
                .waiting
                .iter()
                .filter(|(_, wait)| freed.since(wait))
                .filter_map(|(seq, _)| ledger.pending_message(&self.id, *seq))
                .chain(
                    ledger
                        .pending_for_from(&self.id, state.next_seq)
                        .inspect(&mut seen),
                )
                .filter(|envelope| !state.done.contains(&envelope.seq))
                .cloned()
                .collect(),
            Look::AllButWaiting | Look::Everything => ledger
                .pending_for(&self.id)
                .inspect(&mut seen)
                .filter(|envelope| !state.done.contains(&envelope.seq))
                .filter(|envelope| {
                    look == Look::Everything || !still_waiting(state, &freed, envelope.seq)
                })
                .cloned()
                .collect(),
        };
        state.next_seq = next_seq;
        let pending = |seq: &u64| ledger.pending_message(&self.id, *seq).is_some();
        state.done.retain(pending);
        state.attempts.retain(|seq, _| pending(seq));
        if look != Look::NewAndFreed {
            state.waiting.retain(|seq, _| pending(seq));
        }
        chosen
    }

    /// Whether every waiting message is due a look: every
    /// [`WAITING_LOOK_S`] while any waits.
    fn waiting_look_is_due(&self, state: &ActorState) -> bool {
        !state.waiting.is_empty() && self.context.now_ms() >= state.next_waiting_look_ms
    }

    /// Takes the look at every waiting message if it is due, and sets the
    /// next one.
    fn take_waiting_look(&self, state: &mut ActorState) -> bool {
        if !self.waiting_look_is_due(state) {
            return false;
        }
        state.next_waiting_look_ms = self.context.now_ms() + WAITING_LOOK_S * 1000;
        true
    }

    /// The planted drop-dispatch bug: a dispatch message is marked handled
    /// and nothing is done.
    fn drops_planted(&self, envelope: &Envelope) -> bool {
        let drops = matches!(envelope.message, Message::Dispatch { .. })
            && self.context.has_planted(PlantedBug::DropDispatch);
        if drops {
            tracing::warn!(actor = %self.id, seq = envelope.seq, "planted bug: dropping a dispatch message");
        }
        drops
    }

    async fn handle_envelope(
        &self,
        state: &mut ActorState,
        envelope: &Envelope,
    ) -> Result<Handled, ProposeError> {
        let span = tracing::info_span!("actor_message", actor = %self.id, epoch = state.epoch, seq = envelope.seq);
        // The message carries the trace of the command that enqueued it.
        cordon_consensus::trace::set_remote_parent(&span, envelope.traceparent.as_deref());
        self.role
            .handle(self, state, envelope)
            .instrument(span)
            .await
    }

    /// Records why handling `envelope` failed; a fencing rejection stops
    /// this incarnation from acting.
    pub(crate) fn note_error(
        &self,
        state: &mut ActorState,
        envelope: &Envelope,
        error: ProposeError,
    ) {
        if error.is_fenced() {
            tracing::warn!(actor = %self.id, epoch = state.epoch, %error, "fenced: a newer placement exists; not acting");
            state.fenced = true;
        } else {
            tracing::warn!(actor = %self.id, seq = envelope.seq, %error, "handle pending message; will retry on the next wake");
        }
        if matches!(error, ProposeError::Rejected(_)) {
            state.rejected += 1;
        }
        state.retry = !state.fenced;
        state.last_error = Some(error.to_string());
    }
}

impl DispatchActor {
    fn snapshot(&self, state: &ActorState) -> ActorSnapshot {
        ActorSnapshot {
            actor: self.id.to_string(),
            epoch: state.epoch,
            handled: state.handled,
            rejected: state.rejected,
            fenced: state.fenced,
            last_error: state.last_error.clone(),
            children: state
                .teams
                .as_ref()
                .map(Supervision::snapshot)
                .unwrap_or_default(),
        }
    }

    /// Publishes this actor's view for supervisors and the API to read
    /// without sending it a message.
    fn publish(&self, state: &ActorState) {
        let snapshot = self.snapshot(state);
        let mut published = self
            .context
            .snapshots
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        published.insert(self.id.clone(), snapshot);
    }
}

impl Actor for DispatchActor {
    type Msg = ActorMsg;
    type State = ActorState;
    type Arguments = u64;

    async fn pre_start(
        &self,
        myself: ActorRef<ActorMsg>,
        epoch: u64,
    ) -> Result<ActorState, ActorProcessingErr> {
        tracing::info!(actor = %self.id, epoch, node_id = self.context.node_id(), "actor started");
        // Whatever is pending in the ledger is this incarnation's first work.
        myself.cast(ActorMsg::Wake)?;
        let teams = self.role.supervision(&self.context);
        if teams.is_some() {
            myself.cast(ActorMsg::Reconcile)?;
        }
        Ok(ActorState {
            epoch,
            handled: 0,
            rejected: 0,
            fenced: false,
            last_error: None,
            done: BTreeSet::new(),
            attempts: BTreeMap::new(),
            waiting: BTreeMap::new(),
            next_waiting_look_ms: 0,
            next_seq: 0,
            retry: false,
            teams,
            next_move_up_ms: 0,
            next_forecast_ms: 0,
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<ActorMsg>,
        message: ActorMsg,
        state: &mut ActorState,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            ActorMsg::Wake => self.drain(state).await,
            ActorMsg::Tick => self.tick(state).await,
            ActorMsg::Snapshot(reply) => {
                let _ = reply.send(self.snapshot(state));
            }
            ActorMsg::Fault(reason) => panic!("drill fault in {}: {reason}", self.id),
            ActorMsg::Reconcile => {
                if let Some(teams) = state.teams.as_mut() {
                    teams.reconcile(&myself.get_cell()).await?;
                }
            }
            ActorMsg::FaultChild(actor, reason) => {
                if let Some(child) = state.teams.as_ref().and_then(|teams| teams.child(&actor)) {
                    let _ = child.cast(ActorMsg::Fault(reason));
                }
            }
        }
        self.publish(state);
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<ActorMsg>,
        event: SupervisionEvent,
        state: &mut ActorState,
    ) -> Result<(), ActorProcessingErr> {
        // Only the ring-4 actor supervises; a team's failure is its to handle.
        if let (Some(teams), SupervisionEvent::ActorFailed(cell, error)) =
            (state.teams.as_mut(), event)
        {
            teams
                .on_failure(&myself.get_cell(), &cell, error.to_string())
                .await?;
        }
        Ok(())
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<ActorMsg>,
        state: &mut ActorState,
    ) -> Result<(), ActorProcessingErr> {
        if let Some(teams) = state.teams.as_mut() {
            teams.stop_all();
        }
        Ok(())
    }
}

/// The request id of `actor`'s attempt `attempt` at message `seq` under `epoch`.
pub fn request_id(actor: &ActorId, epoch: u64, seq: u64, attempt: u32) -> String {
    format!("{actor}.e{epoch}.m{seq}.a{attempt}")
}

/// The request id of `actor`'s one answer to the messages `seqs` (a
/// burst triaged in one entry) under `epoch`: the first message names it
/// and a tag of them all binds it to exactly that burst.
pub fn batch_request_id(actor: &ActorId, epoch: u64, seqs: &[u64]) -> String {
    let first = seqs.first().copied().unwrap_or(0);
    let all: Vec<String> = seqs.iter().map(u64::to_string).collect();
    format!(
        "{actor}.e{epoch}.m{first}.b{:08x}",
        text_tag(&all.join(","))
    )
}

/// The request id of `actor`'s mark that message `seq`'s incident is
/// unresourced, under `epoch`, for `reason`: one per message, incarnation
/// and reason, in the actors' namespace like every id of [`request_id`].
/// The reason is part of it: the ledger binds a request id to its body, so
/// a retry with another reason must be another request.
pub fn unresourced_request_id(actor: &ActorId, epoch: u64, seq: u64, reason: &str) -> String {
    format!("{actor}.e{epoch}.m{seq}.u{:08x}", text_tag(reason))
}

/// The request id of `actor`'s dismissal of message `seq` under `epoch`
/// for `reason`. Never the id of an answer (a dismissal after a refused
/// answer would otherwise reuse the answer's id for another body), and the
/// reason is part of it for the same reason as in [`unresourced_request_id`].
pub fn dismiss_request_id(actor: &ActorId, epoch: u64, seq: u64, reason: &str) -> String {
    format!("{actor}.e{epoch}.m{seq}.d{:08x}", text_tag(reason))
}

/// A short stable tag of `text` (32-bit FNV-1a): the same on every node
/// and every build.
fn text_tag(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5, |hash: u32, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use cordon_config::district::District;
    use cordon_consensus::ledger::{Action, Command, Dismiss, Origin, RequestId};

    use super::*;

    #[test]
    fn request_ids_of_every_actor_are_valid_even_after_years_of_messages() {
        // The longest actor name with large epoch, sequence and attempt still makes a valid request id.
        for actor in crate::placement::district_actors(&District::embedded()) {
            let answer = format!(
                "{}.line63",
                request_id(&actor, 99_999, 9_999_999_999, ATTEMPTS_PER_MESSAGE_MAX)
            );
            let mark = unresourced_request_id(&actor, 99_999, 9_999_999_999, "why");
            let dismissal = dismiss_request_id(&actor, 99_999, 9_999_999_999, "why");
            let burst = batch_request_id(&actor, 99_999, &[9_999_999_999; 64]);
            for id in [answer, mark, dismissal, burst] {
                let command = Command::new(
                    RequestId(id.clone()),
                    0,
                    Origin::Operator,
                    Action::Dismiss(Dismiss {
                        reason: String::new(),
                    }),
                );
                // Only the request id is judged here (a dismiss from an operator is refused later, by origin).
                assert!(
                    !matches!(
                        command.check(),
                        Err(cordon_consensus::ledger::Rejection::BadRequestId { .. })
                    ),
                    "{id} ({} bytes)",
                    id.len()
                );
            }
        }
    }

    #[test]
    fn a_dismissal_never_reuses_the_id_of_an_answer_or_of_another_reason() {
        // The ledger refuses a request id reused for another body: a
        // dismissal after a refused first answer, or with another reason,
        // must carry its own id; the same dismissal repeated keeps its id.
        let actor = ActorId::Hub;
        let dismissal = dismiss_request_id(&actor, 3, 41, "I-000007 is not awaiting triage");
        for attempt in 0..ATTEMPTS_PER_MESSAGE_MAX {
            assert_ne!(dismissal, request_id(&actor, 3, 41, attempt));
        }
        assert_ne!(
            dismissal,
            dismiss_request_id(&actor, 3, 41, "plan dispatched: 2 of 4")
        );
        assert_eq!(
            dismissal,
            dismiss_request_id(&actor, 3, 41, "I-000007 is not awaiting triage")
        );
        assert_ne!(
            unresourced_request_id(&actor, 3, 41, "no unit"),
            unresourced_request_id(&actor, 3, 41, "every ring exhausted")
        );
    }
}
