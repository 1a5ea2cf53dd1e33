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
//! What the ledger holds: incidents with hash-chained timelines and a
//! status that moves along a table (`IncidentStatus::next_statuses`, checked
//! in one place, `step`'s `incident_move`), units with
//! status, version and assignment, actor placements with epochs (fencing:
//! a command from an actor under a stale epoch is rejected), the failures of
//! actors past their restart budget (per actor and node), and each actor's
//! pending messages (committed first, delivered second; a message leaves the
//! queue only with the command that handles it).
//!
//! Modules: [`actions`] (one struct per action with its check, its
//! proposers and its apply, grouped by record), [`command`] (the command
//! envelope, origins and limits), [`permission`] (fencing and the
//! permission table), [`ids`] (identifiers and enumerations), [`model`]
//! (records and answers), [`audit`] (the hash chains of the timelines and
//! of the operator audit log), [`access`] (principals, roles, rights),
//! [`tokens`] (bearer tokens), and the
//! private `requests` (the table of request ids, their first answers and
//! the fingerprints of their requests) and `step` (one apply's context and
//! the helpers actions share).

pub mod access;
pub mod actions;
pub mod archive;
pub mod audit;
pub mod command;
pub mod crowd;
pub mod hazards;
pub mod ids;
pub mod model;
pub mod move_ups;
pub mod permission;
mod requests;
pub mod roster;
mod step;
pub mod tokens;
pub mod watch;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

pub use access::{Credential, Principal, Right, Role, RoleKind, Scope};
pub use actions::{
    timer_due_ms, AmendPlan, CheckIn, ClearUnitAlert, FieldNote, RaiseAlarm, RaiseUnitTimer,
    ReassignUnit,
};
pub use actions::{
    AcknowledgeUnresourced, Action, AddNote, ApproveMoveUp, ApprovePlan, AssignUnit, BenchNote,
    CancelIncident, CrowdReading, DeclineMoveUp, Dismiss, Escalate, IssueToken, LoadRoster,
    MarkUnresourced, NewIncident, PlaceActor, ProposeMoveUp, ProposePlan, RecordCrowdCounts,
    RecordOperatorAction, ReportActorFailed, RequestMutualAid, ResolveIncident, RetireNodeId,
    RevokeToken, RosterUnit, SetNodeDrained, TriageBatch, TriageIncident, UpdateUnitStatus,
    BENCH_NOTE_BYTES_MAX, CROWD_READINGS_MAX, TRIAGE_BATCH_ITEMS_MAX,
};
pub use actions::{AnswerDistrictAsk, AskDistrict, ASKS_PER_INCIDENT_MAX, ASK_UNITS_MAX};
pub use actions::{
    ClearHazard, EscalateHazard, PushHazard, ReportHazard, TakeHazardMeasure, VerifyHazard,
};
pub use actions::{FlagPublicConcern, ReleasePublicInfo, RemindPublicInfo};
pub use actions::{ImportIncident, ImportedNote, IMPORTED_NOTES_MAX, TRACKING_ID_BYTES_MAX};
pub use actions::{LoadMembers, SetMemberAvailability, ROSTER_MEMBERS_MAX};
pub use actions::{RecordDistrictAid, DISTRICT_AID_PER_INCIDENT_MAX, NEIGHBOUR_ID_BYTES_MAX};
pub use archive::{ArchiveBatch, ArchivePolicy, ArchivedBatch};
pub use audit::OperatorAuditEntry;
pub use command::{
    request_id_is_valid, Command, Origin, PLAN_CORDON_POINTS_MAX, PLAN_FACILITIES_MAX,
    PLAN_FACILITY_TEXT_BYTES_MAX, PLAN_LINES_MAX, PLAN_SHORTFALLS_MAX, REQUEST_ID_BYTES_MAX,
    ROSTER_UNITS_MAX, SCALE_MAX, TEXT_BYTES_MAX,
};
pub use ids::{
    ActorId, Area, Channel, IncidentId, IncidentKind, IncidentStatus, Position, RequestId, Ring,
    StationId, UnitId, UnitStatus,
};
pub use model::{
    Acknowledgement, ActorFailure, AidDelivery, AlertKind, Applied, Assignment, CommandLevel,
    DistrictAid, DistrictAnswer, DistrictAsk, Effect, Envelope, FacilityKind, Incident, Message,
    Placement, Plan, PlanFacility, PlanLine, PlanParts, PlanRole, PlanShortfall, PublicInfo,
    PublicRelease, Rejection, TimelineEntry, TimelineStep, Unit, UnitAlert, Unresourced,
    PUBLIC_INFO_REMINDERS,
};
pub use move_ups::{MoveUp, MoveUpLine, MoveUpParts, MoveUpStatus, UnitPost};
pub use permission::Proposers;
pub use roster::{Member, MemberRole, Shift};
pub use step::responder;
pub use tokens::{AuthError, BearerToken, Token};
pub use watch::Deadline;

use archive::Archive;
use requests::{Fingerprint, Requests};
pub use requests::{REJECTION_MEMORY_ENTRIES, SUCCESS_MEMORY_ENTRIES};
use step::Step;
use watch::DeadlineWatch;

/// The replicated dispatch state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    incidents: BTreeMap<IncidentId, Incident>,
    units: BTreeMap<UnitId, Unit>,
    /// Every request id seen, with its first answer and the fingerprint
    /// of the request it answered.
    requests: Requests,
    last_incident_id: u64,
    /// Node ids removed from the cluster; never to be reused.
    retired_node_ids: BTreeSet<u64>,
    placements: BTreeMap<ActorId, Placement>,
    /// Nodes an operator drained: no actor is placed on them.
    drained_nodes: BTreeSet<u64>,
    pending: BTreeMap<ActorId, BTreeMap<u64, Envelope>>,
    last_message_seq: u64,
    /// Each actor's newest failure past its restart budget per node: the
    /// placement loop keeps it off those nodes for a hold time.
    actor_failures: BTreeMap<ActorId, BTreeMap<u64, ActorFailure>>,
    /// Bearer tokens by id (their secrets' hashes, never the secrets).
    tokens: BTreeMap<String, Token>,
    /// The operator audit log: every applied operator action, hash-chained.
    operator_audit: Vec<OperatorAuditEntry>,
    /// Where reported positions may lie, once the roster set it.
    area: Option<Area>,
    /// Open incidents' deadlines by time, for the hub's watch.
    watch: DeadlineWatch,
    /// Closed incidents still hot and the index of those moved out.
    archive: Archive,
    /// Move-ups by id: every one awaiting a decision and the newest
    /// decided ones (`move_ups::MOVE_UPS_KEPT_MAX`).
    move_ups: BTreeMap<u64, MoveUp>,
    /// Crowd counts per sensor, downsampled with age.
    crowd: crowd::CrowdCounts,
    /// The hazard register: every open hazard and the newest closed ones.
    hazards: BTreeMap<u64, hazards::Hazard>,
    /// Hazards cleared per area and quarter hour (quarter hours since
    /// 1970 UTC, so any district's local days add up from them).
    hazards_cleared: BTreeMap<(String, u64), u32>,
    /// The roster of people of rings 1 and 2, by member id.
    members: BTreeMap<String, roster::Member>,
    /// Commands applied so far: a log entry may carry several, so windows
    /// that bound memory count commands as well as entries.
    commands_applied: u64,
    /// Incidents the command being applied changed: re-indexed once it is.
    #[serde(skip)]
    touched: BTreeSet<IncidentId>,
}

/// Where a command applies in the history: its entry's log index and its
/// number among every command the ledger applied (from 1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct At {
    /// The entry's log index.
    pub(crate) index: u64,
    /// The command's number.
    pub(crate) command: u64,
}

impl At {
    /// How far the history has moved since `earlier`: entries or commands,
    /// whichever passed more (an entry may carry many commands, so the
    /// windows that bound memory count both).
    pub(crate) fn passed_since(self, earlier: At) -> u64 {
        let entries = self.index.saturating_sub(earlier.index);
        let commands = self.command.saturating_sub(earlier.command);
        entries.max(commands)
    }
}

impl Ledger {
    /// Applies one command committed at log `index`. Deterministic: the same
    /// ledger and command give the same result and the same new ledger on
    /// every node. A request id seen before is answered from the table of
    /// request ids: its first answer for the same request (a retry), a
    /// [`Rejection::RequestIdReused`] for a different one. A rejection is
    /// remembered for [`REJECTION_MEMORY_ENTRIES`] entries or as many
    /// commands, whichever pass first, a success for
    /// [`SUCCESS_MEMORY_ENTRIES`].
    ///
    /// After the command, the incidents it changed are re-indexed in the
    /// deadline watch, and every [`archive::ARCHIVE_EVERY_ENTRIES`] entries
    /// (or as many commands)
    /// the closed incidents past the [`ArchivePolicy`] move out (see
    /// [`Ledger::take_archived`]).
    pub fn apply(&mut self, index: u64, command: &Command) -> Applied {
        self.commands_applied += 1;
        let at = At {
            index,
            command: self.commands_applied,
        };
        let applied = self.answer(at, command);
        self.settle(at, command.proposed_at_ms);
        applied
    }

    /// The answer to one command: remembered, or applied afresh.
    fn answer(&mut self, at: At, command: &Command) -> Applied {
        let index = at.index;
        self.requests.forget_expired(at);
        let fingerprint = Fingerprint::of(command);
        if let Some(answer) = self.requests.recall(command, fingerprint, index) {
            return answer;
        }
        let applied = self.apply_fresh(index, command);
        // An invalid request id is not remembered: it could never be retried usefully.
        if !matches!(
            applied.effect,
            Effect::Rejected {
                rejection: Rejection::BadRequestId { .. }
            }
        ) {
            self.requests
                .remember(command.request_id.clone(), fingerprint, applied.clone(), at);
        }
        applied
    }

    /// Checks and applies a command whose request id is not remembered.
    fn apply_fresh(&mut self, index: u64, command: &Command) -> Applied {
        let step = Step { index, command };
        let outcome = command
            .check()
            .and_then(|()| self.check_origin(command))
            .and_then(|()| command.action.rules().apply(self, &step));
        let effect = match outcome {
            Ok(effect) => {
                self.consume(command);
                if command.action.is_operator_action() {
                    audit::append_operator(&mut self.operator_audit, index, command);
                }
                effect
            }
            Err(rejection) => Effect::Rejected { rejection },
        };
        Applied {
            index,
            effect,
            deduplicated: false,
        }
    }

    /// Re-indexes the incidents the command changed and, when due, moves
    /// closed incidents past the policy out to the archive.
    fn settle(&mut self, at: At, at_ms: u64) {
        let index = at.index;
        for incident_id in std::mem::take(&mut self.touched) {
            self.watch
                .update(incident_id, self.incidents.get(&incident_id));
        }
        if !self.archive.look_due(at) {
            return;
        }
        let due = self.archive.take_due(at_ms);
        if due.is_empty() {
            return;
        }
        let incidents = due
            .iter()
            .filter_map(|incident_id| self.incidents.remove(incident_id))
            .collect();
        self.archive.seal(index, incidents);
    }

    /// The incident to change, noted for re-indexing after the command.
    pub(crate) fn incident_mut(&mut self, incident_id: IncidentId) -> Option<&mut Incident> {
        self.touched.insert(incident_id);
        self.incidents.get_mut(&incident_id)
    }

    /// Why `incident_id` is not in the hot state: archived or never reported.
    pub(crate) fn missing_incident(&self, incident_id: IncidentId) -> Rejection {
        if self.is_archived(incident_id) {
            Rejection::IncidentArchived { incident_id }
        } else {
            Rejection::UnknownIncident { incident_id }
        }
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

    /// One incident of the hot state (open, or closed and not yet
    /// archived); an archived one is in the node's archive store.
    pub fn incident(&self, id: IncidentId) -> Option<&Incident> {
        self.incidents.get(&id)
    }

    /// The hot state's incidents in id order.
    pub fn incidents(&self) -> impl DoubleEndedIterator<Item = &Incident> {
        self.incidents.values()
    }

    /// Number of commands applied since the ledger began (a log entry may
    /// carry several).
    pub fn commands_applied(&self) -> u64 {
        self.commands_applied
    }

    /// Number of incidents in the hot state.
    pub fn incident_count(&self) -> usize {
        self.incidents.len()
    }

    /// Number of incidents ever reported (hot and archived).
    pub fn incidents_reported(&self) -> u64 {
        self.last_incident_id
    }

    /// True if the incident was reported, closed and moved to the archive.
    pub fn is_archived(&self, id: IncidentId) -> bool {
        id.0 >= 1 && id.0 <= self.last_incident_id && !self.incidents.contains_key(&id)
    }

    /// Archived incidents by status: (resolved, cancelled).
    pub fn archived_by_status(&self) -> (u64, u64) {
        self.archive.archived_by_status()
    }

    /// Closed incidents still in the hot state.
    pub fn closed_hot_count(&self) -> usize {
        self.archive.closed_hot_count()
    }

    /// The archive index: every batch moved out, oldest first.
    pub fn archive_batches(&self) -> &[ArchiveBatch] {
        self.archive.batches()
    }

    /// How long closed incidents stay hot.
    pub fn archive_policy(&self) -> ArchivePolicy {
        self.archive.policy
    }

    /// The batches archived since the last call, for the archive store.
    /// The state machine takes them after every apply.
    pub fn take_archived(&mut self) -> Vec<ArchivedBatch> {
        self.archive.take_outbox()
    }

    /// The open incidents' deadlines reached at `now_ms`, earliest first:
    /// the work of the hub's watch, however many incidents closed before.
    pub fn deadlines_due(&self, now_ms: u64) -> impl Iterator<Item = (Deadline, &Incident)> {
        self.watch
            .due(now_ms)
            .filter_map(|(deadline, id)| Some((deadline, self.incidents.get(&id)?)))
    }

    /// Deadlines the watch holds (open incidents only).
    pub fn deadlines_watched(&self) -> usize {
        self.watch.len()
    }

    /// One unit.
    pub fn unit(&self, id: &UnitId) -> Option<&Unit> {
        self.units.get(id)
    }

    /// A unit by the district model's id, without building a [`UnitId`].
    pub fn unit_named(&self, id: &str) -> Option<&Unit> {
        self.units.get(id)
    }

    /// The move-ups kept, oldest first.
    pub fn move_ups(&self) -> impl DoubleEndedIterator<Item = &MoveUp> {
        self.move_ups.values()
    }

    /// The move-up `id`, if it is still kept.
    pub fn move_up(&self, id: u64) -> Option<&MoveUp> {
        self.move_ups.get(&id)
    }

    /// The crowd counts kept.
    pub fn crowd(&self) -> &crowd::CrowdCounts {
        &self.crowd
    }

    /// The hazards kept, oldest first.
    pub fn hazards(&self) -> impl DoubleEndedIterator<Item = &hazards::Hazard> {
        self.hazards.values()
    }

    /// The roster of people of rings 1 and 2, by id.
    pub fn members(&self) -> impl Iterator<Item = &roster::Member> {
        self.members.values()
    }

    /// The hazard `id`, if it is kept.
    pub fn hazard(&self, id: u64) -> Option<&hazards::Hazard> {
        self.hazards.get(&id)
    }

    /// Hazards cleared, per (area, quarter hour since 1970 UTC; see
    /// [`hazards::CLEARED_SLOT_MS`]).
    pub fn hazards_cleared(&self) -> &BTreeMap<(String, u64), u32> {
        &self.hazards_cleared
    }

    /// All units in id order.
    pub fn units(&self) -> impl Iterator<Item = &Unit> {
        self.units.values()
    }

    /// True if `node_id` belonged to a node that was removed.
    pub fn is_retired_node_id(&self, node_id: u64) -> bool {
        self.retired_node_ids.contains(&node_id)
    }

    /// The first answer to a request id, if it is remembered (a rejection
    /// is forgotten [`REJECTION_MEMORY_ENTRIES`] entries after it).
    pub fn request(&self, id: &RequestId) -> Option<&Applied> {
        self.requests.answer(id)
    }

    /// Number of rejected requests remembered: at most
    /// [`REJECTION_MEMORY_ENTRIES`], one per log entry of the window.
    pub fn remembered_rejection_count(&self) -> usize {
        self.requests.rejection_count()
    }

    /// Number of successful requests remembered: at most [`SUCCESS_MEMORY_ENTRIES`].
    pub fn remembered_success_count(&self) -> usize {
        self.requests.success_count()
    }

    /// Where an actor runs.
    pub fn placement(&self, actor: &ActorId) -> Option<&Placement> {
        self.placements.get(actor)
    }

    /// Every placement.
    pub fn placements(&self) -> impl Iterator<Item = (&ActorId, &Placement)> {
        self.placements.iter()
    }

    /// The actor's newest failure past its restart budget on each node
    /// where it had one, by node.
    pub fn actor_failures(&self, actor: &ActorId) -> impl Iterator<Item = &ActorFailure> {
        self.actor_failures
            .get(actor)
            .into_iter()
            .flat_map(BTreeMap::values)
    }

    /// The actor's newest failure past its restart budget, on any node.
    pub fn last_actor_failure(&self, actor: &ActorId) -> Option<&ActorFailure> {
        self.actor_failures(actor)
            .max_by_key(|failure| failure.index)
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

    /// An actor's pending messages from sequence `seq` on, oldest first.
    pub fn pending_for_from(&self, actor: &ActorId, seq: u64) -> impl Iterator<Item = &Envelope> {
        self.pending
            .get(actor)
            .into_iter()
            .flat_map(move |queue| queue.range(seq..).map(|(_, envelope)| envelope))
    }

    /// An actor's pending message `seq`, if it is still pending.
    pub fn pending_message(&self, actor: &ActorId, seq: u64) -> Option<&Envelope> {
        self.pending.get(actor)?.get(&seq)
    }

    /// Every actor's pending messages, by addressee then age.
    pub fn pending(&self) -> impl Iterator<Item = &Envelope> {
        self.pending.values().flat_map(BTreeMap::values)
    }

    /// Refuses `position` (of `field`) outside the area the roster set.
    pub(crate) fn check_position(&self, field: &str, position: &Position) -> Result<(), Rejection> {
        match &self.area {
            Some(area) if !area.contains(position) => Err(command::out_of_range(
                field,
                position,
                &format!("a position inside {area}"),
            )),
            _ => Ok(()),
        }
    }

    /// The operator audit log, oldest first.
    pub fn operator_audit(&self) -> &[OperatorAuditEntry] {
        &self.operator_audit
    }

    /// Number of pending messages of every actor.
    pub fn pending_count(&self) -> usize {
        self.pending.values().map(BTreeMap::len).sum()
    }
}
