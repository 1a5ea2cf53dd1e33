//! The ledger's actions: one struct per action, each in its own file with
//! its stateless check, the origins that may propose it and its apply side
//! by side, grouped by the record they change.
//!
//! Adding an action: write its struct and its `Rules` in the folder of
//! its record, add a variant to [`Action`] (at the end: the variant's
//! position is its number in the log) and one arm to `Action::rules`.
//! `Rules::proposers` has no default, so every action decides who may
//! propose it; the permission table's test lists every action.
//!
//! Folders: [`incidents`] (report, triage one or a burst, escalate, mutual aid, mark
//! unresourced and acknowledge it, notes, resolve, cancel), [`units`] (roster, status, assignment), [`plans`] (propose,
//! approve), [`move_ups`] (propose, approve, decline), [`crowd`] (record counts), [`hazards`] (the hazard loop), [`placement`] (where actors run, their pending messages,
//! their failures past the restart budget),
//! [`nodes`] (retired ids, draining, bench notes), [`access`] (tokens, the operator
//! audit log's notes).

pub mod access;
pub mod crowd;
pub mod hazards;
pub mod incidents;
pub mod move_ups;
pub mod nodes;
pub mod placement;
pub mod plans;
pub mod public;
pub mod roster;
#[cfg(test)]
pub(crate) mod testing;
pub mod units;

use serde::{Deserialize, Serialize};

pub use access::{IssueToken, RecordOperatorAction, RevokeToken};
pub use crowd::{CrowdReading, RecordCrowdCounts, CROWD_CLOCK_SKEW_MS, CROWD_READINGS_MAX};
pub use hazards::{
    ClearHazard, EscalateHazard, PushHazard, ReportHazard, TakeHazardMeasure, VerifyHazard,
};
pub use incidents::{
    AcknowledgeUnresourced, AddNote, CancelIncident, Escalate, MarkUnresourced, NewIncident,
    RequestMutualAid, ResolveIncident, TriageBatch, TriageIncident, TRIAGE_BATCH_ITEMS_MAX,
};
pub use incidents::{AnswerDistrictAsk, AskDistrict, ASKS_PER_INCIDENT_MAX, ASK_UNITS_MAX};
pub use incidents::{ImportIncident, ImportedNote, IMPORTED_NOTES_MAX, TRACKING_ID_BYTES_MAX};
pub use incidents::{RecordDistrictAid, DISTRICT_AID_PER_INCIDENT_MAX, NEIGHBOUR_ID_BYTES_MAX};
pub use move_ups::{ApproveMoveUp, DeclineMoveUp, ProposeMoveUp};
pub use nodes::{BenchNote, RetireNodeId, SetNodeDrained, BENCH_NOTE_BYTES_MAX};
pub use placement::{Dismiss, PlaceActor, ReportActorFailed};
pub use plans::{AmendPlan, ApprovePlan, ProposePlan};
pub use public::{FlagPublicConcern, ReleasePublicInfo, RemindPublicInfo};
pub use roster::{LoadMembers, SetMemberAvailability, ROSTER_MEMBERS_MAX};
pub use units::{
    timer_due_ms, AssignUnit, CheckIn, ClearUnitAlert, FieldNote, LoadRoster, RaiseAlarm,
    RaiseUnitTimer, ReassignUnit, RosterUnit, UpdateUnitStatus,
};

use super::model::Rejection;
use super::permission::Proposers;
use super::step::{Outcome, Step};
use super::Ledger;

/// What every action defines beside its fields; [`Action`] dispatches to it.
pub(crate) trait Rules {
    /// A short name for logs, refusals and events (`assign_unit`).
    fn name(&self) -> &'static str;

    /// Which origins may propose the action. No default: each action
    /// decides, so a new one cannot be proposed by anybody by accident.
    fn proposers(&self) -> Proposers;

    /// The rules that need no ledger state, checked before proposing (to
    /// answer bad input at once) and again when applying.
    fn check(&self) -> Result<(), Rejection>;

    /// Applies the action, checked and permitted, to the ledger. Validates
    /// everything before it changes anything: a rejection changes nothing.
    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome;
}

/// What a command asks the ledger to do. The variants' order is their
/// number in the log and on the wire: add new ones at the end.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Action {
    /// Record a new incident; the hub is told to triage it.
    ReportIncident(NewIncident),
    /// Record a unit's status (and position) reported from the field.
    UpdateUnitStatus(UpdateUnitStatus),
    /// Add units from the district model that the ledger does not know yet.
    LoadRoster(LoadRoster),
    /// Record that a node id leaves the cluster for good.
    RetireNodeId(RetireNodeId),
    /// Hub: classify an incident and hand it to a ring (or its station).
    TriageIncident(TriageIncident),
    /// Station, ring or hub: assign a unit, conditional on its version.
    AssignUnit(AssignUnit),
    /// Hand an incident outward to another ring.
    Escalate(Escalate),
    /// Station: ask a neighbouring station for one of its groups.
    RequestMutualAid(RequestMutualAid),
    /// Hub: a force-mobilisation plan for a major incident, for approval.
    ProposePlan(ProposePlan),
    /// A commander (or the hub after the automatic-approval time) approves a plan.
    ApprovePlan(ApprovePlan),
    /// Close an incident with an outcome; its units are released.
    ResolveIncident(ResolveIncident),
    /// Withdraw an incident (duplicate, false alarm); its units are released.
    CancelIncident(CancelIncident),
    /// Leader: place an actor on a node under a new, higher epoch.
    PlaceActor(PlaceActor),
    /// Operator: drain a node or undrain it.
    SetNodeDrained(SetNodeDrained),
    /// Actor: drop pending messages that need no action (moot).
    Dismiss(Dismiss),
    /// Actor: no unit of any ring can respond yet; the dispatch stays pending.
    MarkUnresourced(MarkUnresourced),
    /// Supervisor, as the actor: it failed past its restart budget; the
    /// placement loop moves it to another node.
    ReportActorFailed(ReportActorFailed),
    /// Operator: add a bearer token.
    IssueToken(IssueToken),
    /// Operator: end a bearer token cluster-wide.
    RevokeToken(RevokeToken),
    /// Operator (or a drill principal): note an action taken outside the
    /// ledger (membership, drills) in the operator audit log.
    RecordOperatorAction(RecordOperatorAction),
    /// Operator: a note that changes nothing (`cordon bench --raw`).
    BenchNote(BenchNote),
    /// Hub: triage a burst of incidents in one entry, all or none.
    TriageBatch(TriageBatch),
    /// Ring 3 or 4: relocate idle units to posts that restore its coverage.
    ProposeMoveUp(ProposeMoveUp),
    /// A commander approves a proposed move-up.
    ApproveMoveUp(ApproveMoveUp),
    /// A commander declines a proposed move-up.
    DeclineMoveUp(DeclineMoveUp),
    /// A risk-sensing feed records a batch of crowd counts.
    RecordCrowdCounts(RecordCrowdCounts),
    /// A hazard detected enters the register.
    ReportHazard(ReportHazard),
    /// A hazard is pushed to its verifier.
    PushHazard(PushHazard),
    /// The verifier confirms a hazard or finds a false alarm.
    VerifyHazard(VerifyHazard),
    /// A measure is taken against a confirmed hazard.
    TakeHazardMeasure(TakeHazardMeasure),
    /// A hazard is cleared at the source.
    ClearHazard(ClearHazard),
    /// A hazard past its stage deadline is escalated.
    EscalateHazard(EscalateHazard),
    /// A person adds a note to an open incident.
    AddNote(AddNote),
    /// A person owns an unresourced incident's wait.
    AcknowledgeUnresourced(AcknowledgeUnresourced),
    /// The hub: a unit's timer ran out.
    RaiseUnitTimer(RaiseUnitTimer),
    /// A unit's crew pressed the alarm.
    RaiseAlarm(RaiseAlarm),
    /// A unit's crew checks in (a PAR).
    CheckIn(CheckIn),
    /// A dispatcher clears a unit's alert.
    ClearUnitAlert(ClearUnitAlert),
    /// A unit's crew writes on its incident's trail.
    FieldNote(FieldNote),
    /// A commander amends a plan awaiting approval.
    AmendPlan(AmendPlan),
    /// A dispatcher moves a busy unit from one incident to another.
    ReassignUnit(ReassignUnit),
    /// A partner system's incident (an EIDO document): created or updated.
    ImportIncident(ImportIncident),
    /// The hub's rule or a person in command starts the golden four hours.
    FlagPublicConcern(FlagPublicConcern),
    /// The hub reminds that a public release is due, or overdue.
    RemindPublicInfo(RemindPublicInfo),
    /// A person in command records the first public release.
    ReleasePublicInfo(ReleasePublicInfo),
    /// Add or replace members of the roster of people (rings 1 and 2).
    LoadMembers(LoadMembers),
    /// A member can, or cannot, come.
    SetMemberAvailability(SetMemberAvailability),
    /// A station's command room asks the district for more.
    AskDistrict(AskDistrict),
    /// The district grants or declines a station room's ask.
    AnswerDistrictAsk(AnswerDistrictAsk),
    /// The district asked a neighbouring district for mutual aid.
    RecordDistrictAid(RecordDistrictAid),
}

impl Action {
    /// The action's rules: the one place that lists every action.
    pub(crate) fn rules(&self) -> &dyn Rules {
        match self {
            Action::ReportIncident(action) => action,
            Action::UpdateUnitStatus(action) => action,
            Action::LoadRoster(action) => action,
            Action::RetireNodeId(action) => action,
            Action::TriageIncident(action) => action,
            Action::AssignUnit(action) => action,
            Action::Escalate(action) => action,
            Action::RequestMutualAid(action) => action,
            Action::ProposePlan(action) => action,
            Action::ApprovePlan(action) => action,
            Action::ResolveIncident(action) => action,
            Action::CancelIncident(action) => action,
            Action::PlaceActor(action) => action,
            Action::SetNodeDrained(action) => action,
            Action::Dismiss(action) => action,
            Action::MarkUnresourced(action) => action,
            Action::ReportActorFailed(action) => action,
            Action::IssueToken(action) => action,
            Action::RevokeToken(action) => action,
            Action::RecordOperatorAction(action) => action,
            Action::BenchNote(action) => action,
            Action::TriageBatch(action) => action,
            Action::ProposeMoveUp(action) => action,
            Action::ApproveMoveUp(action) => action,
            Action::DeclineMoveUp(action) => action,
            Action::RecordCrowdCounts(action) => action,
            Action::ReportHazard(action) => action,
            Action::PushHazard(action) => action,
            Action::VerifyHazard(action) => action,
            Action::TakeHazardMeasure(action) => action,
            Action::ClearHazard(action) => action,
            Action::EscalateHazard(action) => action,
            Action::AddNote(action) => action,
            Action::AcknowledgeUnresourced(action) => action,
            Action::RaiseUnitTimer(action) => action,
            Action::RaiseAlarm(action) => action,
            Action::CheckIn(action) => action,
            Action::ClearUnitAlert(action) => action,
            Action::FieldNote(action) => action,
            Action::AmendPlan(action) => action,
            Action::ReassignUnit(action) => action,
            Action::ImportIncident(action) => action,
            Action::FlagPublicConcern(action) => action,
            Action::RemindPublicInfo(action) => action,
            Action::ReleasePublicInfo(action) => action,
            Action::LoadMembers(action) => action,
            Action::SetMemberAvailability(action) => action,
            Action::AskDistrict(action) => action,
            Action::AnswerDistrictAsk(action) => action,
            Action::RecordDistrictAid(action) => action,
        }
    }

    /// True for the actions whose record takes the log index as its id (a
    /// hazard, a move-up): such a command goes alone in its log entry, so
    /// no two records made in one entry share an id.
    pub fn names_record_by_index(&self) -> bool {
        matches!(self, Action::ReportHazard(_) | Action::ProposeMoveUp(_))
    }

    /// True for the actions the operator audit log records: the
    /// operator's (membership and drills as notes, node ids, draining,
    /// tokens) and the roster of people's changes, which decide what a
    /// member's phone may act on.
    pub fn is_operator_action(&self) -> bool {
        match self {
            Action::RetireNodeId(_)
            | Action::SetNodeDrained(_)
            | Action::IssueToken(_)
            | Action::RevokeToken(_)
            | Action::RecordOperatorAction(_)
            | Action::LoadMembers(_)
            | Action::SetMemberAvailability(_) => true,
            Action::ReportIncident(_)
            | Action::UpdateUnitStatus(_)
            | Action::LoadRoster(_)
            | Action::TriageIncident(_)
            | Action::AssignUnit(_)
            | Action::Escalate(_)
            | Action::RequestMutualAid(_)
            | Action::ProposePlan(_)
            | Action::ApprovePlan(_)
            | Action::ResolveIncident(_)
            | Action::CancelIncident(_)
            | Action::PlaceActor(_)
            | Action::Dismiss(_)
            | Action::MarkUnresourced(_)
            | Action::ReportActorFailed(_)
            | Action::BenchNote(_)
            | Action::TriageBatch(_)
            | Action::ProposeMoveUp(_)
            | Action::ApproveMoveUp(_)
            | Action::DeclineMoveUp(_)
            | Action::RecordCrowdCounts(_)
            | Action::ReportHazard(_)
            | Action::PushHazard(_)
            | Action::VerifyHazard(_)
            | Action::TakeHazardMeasure(_)
            | Action::ClearHazard(_)
            | Action::EscalateHazard(_)
            | Action::AddNote(_)
            | Action::AcknowledgeUnresourced(_)
            | Action::RaiseUnitTimer(_)
            | Action::RaiseAlarm(_)
            | Action::CheckIn(_)
            | Action::ClearUnitAlert(_)
            | Action::FieldNote(_)
            | Action::AmendPlan(_)
            | Action::ReassignUnit(_)
            | Action::ImportIncident(_)
            | Action::FlagPublicConcern(_)
            | Action::RemindPublicInfo(_)
            | Action::ReleasePublicInfo(_)
            | Action::AskDistrict(_)
            | Action::AnswerDistrictAsk(_)
            | Action::RecordDistrictAid(_) => false,
        }
    }

    /// A short name for logs and timelines.
    pub fn name(&self) -> &'static str {
        self.rules().name()
    }

    /// Which origins may propose this action (the permission table).
    pub fn proposers(&self) -> Proposers {
        self.rules().proposers()
    }

    /// Checks the rules of the action that need no ledger state.
    pub fn check(&self) -> Result<(), Rejection> {
        self.rules().check()
    }
}
