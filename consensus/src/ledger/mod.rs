//! The dispatch ledger: the deterministic state machine replicated by Raft.
//!
//! `Ledger::apply` is a pure function of the ledger and one command: no
//! clock, no randomness, no IO. The proposer stamps the request id, the time
//! and the origin into the command; the log index comes from Raft. Every rule
//! is checked by [`Command::check`] before proposing and again inside
//! `apply`; each handler validates everything before it changes anything, so
//! a command that breaks a rule is rejected with a typed [`Rejection`] and
//! changes nothing but the dedup table, never half-applied.
//!
//! What the ledger holds: incidents with hash-chained timelines, units with
//! status, version and assignment, actor placements with epochs (fencing:
//! a command from an actor under a stale epoch is rejected), and each actor's
//! pending messages (committed first, delivered second; a message leaves the
//! queue only with the command that handles it).
//!
//! Modules: [`actions`] (one struct per action with its check, its
//! proposers and its apply, grouped by record), [`command`] (the command
//! envelope, origins and limits), [`permission`] (fencing and the
//! permission table), [`ids`] (identifiers and enumerations), [`model`]
//! (records and answers), [`audit`] (the timeline hash chain), and the
//! private `step` (one apply's context and the helpers actions share).

pub mod actions;
pub mod audit;
pub mod command;
pub mod ids;
pub mod model;
pub mod permission;
mod step;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

pub use actions::{
    Action, ApprovePlan, AssignUnit, CancelIncident, Dismiss, Escalate, LoadRoster,
    MarkUnresourced, NewIncident, PlaceActor, ProposePlan, RequestMutualAid, ResolveIncident,
    RetireNodeId, RosterUnit, SetNodeDrained, TriageIncident, UpdateUnitStatus,
};
pub use command::{
    request_id_is_valid, Command, Origin, PLAN_CORDON_POINTS_MAX, PLAN_FACILITIES_MAX,
    PLAN_FACILITY_TEXT_BYTES_MAX, PLAN_LINES_MAX, PLAN_SHORTFALLS_MAX, REQUEST_ID_BYTES_MAX,
    ROSTER_UNITS_MAX, SCALE_MAX, TEXT_BYTES_MAX,
};
pub use ids::{
    ActorId, Channel, IncidentId, IncidentKind, IncidentStatus, Position, RequestId, Ring,
    StationId, UnitId, UnitStatus,
};
pub use model::{
    Applied, Assignment, Effect, Envelope, FacilityKind, Incident, Message, Placement, Plan,
    PlanFacility, PlanLine, PlanParts, PlanRole, PlanShortfall, Rejection, TimelineEntry,
    TimelineStep, Unit, Unresourced,
};
pub use permission::Proposers;
pub use step::responder;

use step::Step;

/// The replicated dispatch state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    incidents: BTreeMap<IncidentId, Incident>,
    units: BTreeMap<UnitId, Unit>,
    /// Every request id seen, with its first answer.
    requests: BTreeMap<RequestId, Applied>,
    last_incident_id: u64,
    /// Node ids removed from the cluster; never to be reused.
    retired_node_ids: BTreeSet<u64>,
    placements: BTreeMap<ActorId, Placement>,
    /// Nodes an operator drained: no actor is placed on them.
    drained_nodes: BTreeSet<u64>,
    pending: BTreeMap<ActorId, BTreeMap<u64, Envelope>>,
    last_message_seq: u64,
}

impl Ledger {
    /// Applies one command committed at log `index`. Deterministic: the same
    /// ledger and command give the same result and the same new ledger on
    /// every node.
    pub fn apply(&mut self, index: u64, command: &Command) -> Applied {
        if let Some(first) = self.requests.get(&command.request_id) {
            return Applied {
                deduplicated: true,
                ..first.clone()
            };
        }
        let step = Step { index, command };
        let outcome = command
            .check()
            .and_then(|()| self.check_origin(command))
            .and_then(|()| command.action.rules().apply(self, &step));
        let effect = match outcome {
            Ok(effect) => {
                self.consume(command);
                effect
            }
            Err(rejection) => Effect::Rejected { rejection },
        };
        let applied = Applied {
            index,
            effect,
            deduplicated: false,
        };
        // An invalid request id is not remembered: it could never be retried usefully.
        if !matches!(
            applied.effect,
            Effect::Rejected {
                rejection: Rejection::BadRequestId { .. }
            }
        ) {
            self.requests
                .insert(command.request_id.clone(), applied.clone());
        }
        applied
    }

    /// Removes the messages the (accepted) command handled.
    fn consume(&mut self, command: &Command) {
        if let Origin::Actor { actor, .. } = &command.origin {
            if let Some(queue) = self.pending.get_mut(actor) {
                for seq in &command.consumes {
                    queue.remove(seq);
                }
            }
        }
    }

    /// One incident.
    pub fn incident(&self, id: IncidentId) -> Option<&Incident> {
        self.incidents.get(&id)
    }

    /// All incidents in id order.
    pub fn incidents(&self) -> impl DoubleEndedIterator<Item = &Incident> {
        self.incidents.values()
    }

    /// Number of incidents.
    pub fn incident_count(&self) -> usize {
        self.incidents.len()
    }

    /// One unit.
    pub fn unit(&self, id: &UnitId) -> Option<&Unit> {
        self.units.get(id)
    }

    /// All units in id order.
    pub fn units(&self) -> impl Iterator<Item = &Unit> {
        self.units.values()
    }

    /// True if `node_id` belonged to a node that was removed.
    pub fn is_retired_node_id(&self, node_id: u64) -> bool {
        self.retired_node_ids.contains(&node_id)
    }

    /// The first answer to a request id, if it was seen.
    pub fn request(&self, id: &RequestId) -> Option<&Applied> {
        self.requests.get(id)
    }

    /// Where an actor runs.
    pub fn placement(&self, actor: &ActorId) -> Option<&Placement> {
        self.placements.get(actor)
    }

    /// Every placement.
    pub fn placements(&self) -> impl Iterator<Item = (&ActorId, &Placement)> {
        self.placements.iter()
    }

    /// True if an operator drained the node.
    pub fn is_drained(&self, node_id: u64) -> bool {
        self.drained_nodes.contains(&node_id)
    }

    /// An actor's pending messages, oldest first.
    pub fn pending_for(&self, actor: &ActorId) -> impl Iterator<Item = &Envelope> {
        self.pending
            .get(actor)
            .into_iter()
            .flat_map(|queue| queue.values())
    }

    /// Every actor's pending messages, by addressee then age.
    pub fn pending(&self) -> impl Iterator<Item = &Envelope> {
        self.pending.values().flat_map(BTreeMap::values)
    }

    /// Number of pending messages of every actor.
    pub fn pending_count(&self) -> usize {
        self.pending.values().map(BTreeMap::len).sum()
    }
}
