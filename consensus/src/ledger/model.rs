//! The ledger's records (incidents with their hash-chained timelines, units,
//! placements, pending messages, plans) and the answers of `apply`.

use serde::{Deserialize, Serialize};

use super::actions::NewIncident;
use super::command::Origin;
use super::ids::{
    ActorId, IncidentId, IncidentStatus, Position, RequestId, Ring, StationId, UnitId, UnitStatus,
};

/// Why the ledger refused a command. Part of the applied result: a rejected
/// command is still in the log, it just changed nothing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum Rejection {
    /// The request id is empty, too long or has odd characters.
    #[error("request id {request_id:?} is invalid: use 1-128 characters of A-Z, a-z, 0-9, '-', '_', '.', ':'")]
    BadRequestId {
        /// The offending id.
        request_id: String,
    },
    /// A field is out of range.
    #[error("{field} = {value} is out of range: {fix}")]
    OutOfRange {
        /// The field.
        field: String,
        /// The value given.
        value: String,
        /// What is allowed.
        fix: String,
    },
    /// The unit is not in the ledger's roster.
    #[error("unit {unit_id} is unknown: use an id from GET /v1/units")]
    UnknownUnit {
        /// The unit.
        unit_id: UnitId,
    },
    /// No move-up has this id (or it was long since decided and forgotten).
    #[error("move-up {move_up_id} is unknown: use an id from GET /v1/move-ups")]
    UnknownMoveUp {
        /// The id asked for.
        move_up_id: u64,
    },
    /// The move-up was already decided (approved, declined or superseded).
    #[error("move-up {move_up_id} is already {status}: only a proposed move-up can be approved or declined; see GET /v1/move-ups for the current one")]
    MoveUpDecided {
        /// The move-up.
        move_up_id: u64,
        /// Where it stands.
        status: crate::ledger::move_ups::MoveUpStatus,
    },
    /// The incident does not exist.
    #[error("incident {incident_id} is unknown")]
    UnknownIncident {
        /// The incident.
        incident_id: IncidentId,
    },
    /// The incident closed long enough ago to be archived: it reads back
    /// but no longer changes.
    #[error("incident {incident_id} is closed and archived: read it, report a new incident to act again")]
    IncidentArchived {
        /// The incident.
        incident_id: IncidentId,
    },
    /// The unit changed since the caller read it.
    #[error("unit {unit_id} is at version {actual}, not {expected}: read it again and retry")]
    VersionMismatch {
        /// The unit.
        unit_id: UnitId,
        /// The version the caller expected.
        expected: u64,
        /// The version the ledger has.
        actual: u64,
    },
    /// The unit cannot take an assignment now.
    #[error("unit {unit_id} is {status:?}{}: choose an available unit", assigned_to.map(|i| format!(" on {i}")).unwrap_or_default())]
    UnitUnavailable {
        /// The unit.
        unit_id: UnitId,
        /// Its status.
        status: UnitStatus,
        /// The open incident it is assigned to, if any.
        assigned_to: Option<IncidentId>,
    },
    /// The incident is closed or in a state that does not allow this step.
    #[error("incident {incident_id} is {status:?}: {action} is not allowed")]
    WrongIncidentStatus {
        /// The incident.
        incident_id: IncidentId,
        /// Its status.
        status: IncidentStatus,
        /// The refused step.
        action: String,
    },
    /// The proposing actor's placement epoch is not the current one (fencing).
    #[error("{actor} proposed under epoch {epoch} but the current epoch is {current:?}: a stale actor cannot act")]
    StaleEpoch {
        /// The actor.
        actor: ActorId,
        /// The epoch it claimed.
        epoch: u64,
        /// The ledger's epoch for it.
        current: Option<u64>,
    },
    /// A placement must raise the epoch.
    #[error("placement of {actor} with epoch {epoch} does not exceed the current epoch {current}")]
    EpochNotRaised {
        /// The actor.
        actor: ActorId,
        /// The epoch proposed.
        epoch: u64,
        /// The current epoch.
        current: u64,
    },
    /// Escalation must move outward.
    #[error("escalation of {incident_id} from {from} to {to} does not move outward")]
    NotOutward {
        /// The incident.
        incident_id: IncidentId,
        /// Its current ring.
        from: Ring,
        /// The ring asked for.
        to: Ring,
    },
    /// A consumed message is not pending for the proposing actor.
    #[error("message {seq} is not pending for {actor}")]
    NotPending {
        /// The actor.
        actor: ActorId,
        /// The message sequence number.
        seq: u64,
    },
    /// The action needs an actor, operator or system origin it does not have.
    #[error("{action} may not be proposed by {origin}")]
    WrongOrigin {
        /// The action.
        action: String,
        /// Who proposed it.
        origin: String,
    },
    /// A unit's status may not move this way (see
    /// [`UnitStatus::may_become`](crate::ledger::UnitStatus::may_become)).
    #[error(
        "unit {unit_id} is {from}: it cannot become {to}; it can become {}",
        names(allowed)
    )]
    IllegalUnitTransition {
        /// The unit.
        unit_id: UnitId,
        /// Its status.
        from: UnitStatus,
        /// The status asked for.
        to: UnitStatus,
        /// The statuses it may become by a status report.
        allowed: Vec<UnitStatus>,
    },
    /// An incident's status may not move this way (see
    /// [`IncidentStatus::may_become`](crate::ledger::IncidentStatus::may_become)).
    #[error(
        "incident {incident_id} is {from}: it cannot become {to}; {}",
        incident_next(allowed)
    )]
    IllegalIncidentTransition {
        /// The incident.
        incident_id: IncidentId,
        /// Its status.
        from: IncidentStatus,
        /// The status the command would give it.
        to: IncidentStatus,
        /// The statuses it may move to.
        allowed: Vec<IncidentStatus>,
    },
    /// A request id came again with a different request (another action or
    /// other consumed messages): it names the first, so it cannot name this one.
    #[error("request id {request_id} was first used at log index {first_index} for a different request: use a new request id for a new request")]
    RequestIdReused {
        /// The request id.
        request_id: RequestId,
        /// The log index of the request it was first used for.
        first_index: u64,
    },
    /// The client's credential is not valid for this command (unknown,
    /// revoked or expired token, or one naming someone else).
    #[error("credential refused: {why}")]
    CredentialRefused {
        /// Why.
        why: String,
    },
    /// The client's roles do not hold the right this action needs on its scope.
    #[error("{why}")]
    NotPermitted {
        /// Who was refused what, and the roles that would do.
        why: String,
    },
    /// A failure past the restart budget is reported by the failed
    /// incarnation itself (its actor, epoch and node), never by another.
    #[error("{origin} may not report a failure of {actor} under epoch {epoch} on node {node}: only that incarnation's supervisor, speaking as it, may")]
    NotOwnFailure {
        /// The actor named in the report.
        actor: ActorId,
        /// The epoch named in the report.
        epoch: u64,
        /// The node named in the report.
        node: u64,
        /// Who proposed it.
        origin: String,
    },
    /// No hazard has this id (or it closed long ago and was forgotten).
    #[error("hazard {hazard_id} is unknown: use an id from GET /v1/hazards")]
    UnknownHazard {
        /// The id asked for.
        hazard_id: u64,
    },
    /// The hazard's stage may not move this way.
    #[error("hazard {hazard_id} is {stage} and cannot become {wanted}: detected -> verifying -> confirmed or false_alarm; confirmed -> in_hand or cleared; in_hand -> cleared")]
    HazardStage {
        /// The hazard.
        hazard_id: u64,
        /// Where it stands.
        stage: String,
        /// Where the action would take it.
        wanted: String,
    },
    /// A sensor's minute already has another count.
    #[error("sensor {sensor} already has a different count for the minute at {at_ms} ms: a minute is counted once; resend the same count, or leave that minute out")]
    CrowdCountConflict {
        /// The sensor.
        sensor: String,
        /// The minute, ms since 1970 UTC.
        at_ms: u64,
    },
}

/// What an incident can become, for the refusal of a move the table forbids.
fn incident_next(allowed: &[IncidentStatus]) -> String {
    if allowed.is_empty() {
        "a closed incident stays closed".to_string()
    } else {
        format!("it can become {}", names(allowed))
    }
}

/// "a, b or c", for messages that list statuses.
fn names<T: std::fmt::Display>(statuses: &[T]) -> String {
    let names: Vec<String> = statuses.iter().map(ToString::to_string).collect();
    match names.split_last() {
        None => "nothing".to_string(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

impl Rejection {
    /// The invariant this rejection keeps, if it guards one.
    pub fn invariant(&self) -> Option<crate::invariants::Invariant> {
        use crate::invariants::Invariant;
        match self {
            Rejection::UnitUnavailable { .. } | Rejection::VersionMismatch { .. } => {
                Some(Invariant::UnitAssignedOnce)
            }
            Rejection::StaleEpoch { .. } => Some(Invariant::EpochSingleNode),
            Rejection::EpochNotRaised { .. } => Some(Invariant::EpochsRise),
            Rejection::RequestIdReused { .. } => Some(Invariant::RequestAppliedOnce),
            _ => None,
        }
    }
}

/// An entry of an incident's timeline: the audit trail of who did what, when,
/// why and at which log index, hash-chained so a gap or an edit shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// The log index of the command.
    pub index: u64,
    /// The proposer's time, Unix milliseconds.
    pub at_ms: u64,
    /// Who proposed it (actor and epoch, API client, operator, system).
    pub origin: Origin,
    /// The request id of the command.
    pub request_id: RequestId,
    /// What happened, with the unit it is about where there is one.
    pub step: TimelineStep,
    /// The status after this step.
    pub status: IncidentStatus,
    /// Why, in words.
    pub reason: String,
    /// Hex SHA-256 of the previous entry's hash and this entry's fields.
    pub hash: String,
}

/// One step of an incident's audit trail. The hash chain covers its
/// canonical name ([`TimelineStep::name`], the names the trail has always
/// had) and its unit id through the reason, which names the unit; `verify`
/// checks that the two agree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimelineStep {
    /// The incident was reported.
    Reported,
    /// The hub triaged it to a ring and station.
    Triaged,
    /// It moved to an outer ring.
    Escalated,
    /// A station asked a neighbour for help.
    MutualAidRequested,
    /// A unit was assigned.
    Assigned {
        /// The unit.
        unit_id: UnitId,
    },
    /// The first assigned unit is on its way.
    EnRoute {
        /// The unit.
        unit_id: UnitId,
    },
    /// A unit arrived.
    OnScene {
        /// The unit.
        unit_id: UnitId,
    },
    /// A unit left the incident (out of service, available again).
    UnitReleased {
        /// The unit.
        unit_id: UnitId,
    },
    /// The hub proposed a mobilisation plan.
    PlanProposed,
    /// A commander (or the automatic approval) approved the plan.
    PlanApproved,
    /// The incident was resolved.
    Resolved,
    /// The incident was cancelled.
    Cancelled,
    /// No unit of any ring can respond: shown to commanders, retried when
    /// a unit frees.
    Unresourced,
    /// A person wrote a note on the incident.
    Note,
    /// A person acknowledged the unresourced wait and owns it.
    UnresourcedAcknowledged,
    /// A unit's crew acknowledged its assignment.
    UnitAcknowledged {
        /// The unit.
        unit_id: UnitId,
    },
    /// A unit asks the dispatcher's attention: a timer ran out (no
    /// acknowledgement, no check-in, no PAR) or its crew pressed the alarm.
    UnitAlert {
        /// The unit.
        unit_id: UnitId,
    },
    /// A dispatcher saw a unit's alert and cleared it.
    UnitAlertCleared {
        /// The unit.
        unit_id: UnitId,
    },
    /// A commander changed the plan awaiting approval.
    PlanAmended,
    /// The incident is of public concern: its first authoritative public
    /// release is due within the golden four hours.
    PublicConcern,
    /// The hub's reminder that the public release is due (or overdue).
    PublicInfoReminder,
    /// The first authoritative public release, with who approved it.
    PublicInfoReleased,
    /// A station's command room asked the district for more.
    AskedDistrict,
    /// The district answered a station room's ask.
    DistrictAnswered,
    /// Mutual aid was asked of a neighbouring district (an EIDO document).
    DistrictAidRequested,
}

impl TimelineStep {
    /// The step's canonical name (`assigned`, `on_scene`...): what the hash
    /// chain covers, and what the API shows.
    pub fn name(&self) -> &'static str {
        match self {
            TimelineStep::Reported => "reported",
            TimelineStep::Triaged => "triaged",
            TimelineStep::Escalated => "escalated",
            TimelineStep::MutualAidRequested => "mutual_aid_requested",
            TimelineStep::Assigned { .. } => "assigned",
            TimelineStep::EnRoute { .. } => "en_route",
            TimelineStep::OnScene { .. } => "on_scene",
            TimelineStep::UnitReleased { .. } => "unit_released",
            TimelineStep::PlanProposed => "plan_proposed",
            TimelineStep::PlanApproved => "plan_approved",
            TimelineStep::Resolved => "resolved",
            TimelineStep::Cancelled => "cancelled",
            TimelineStep::Unresourced => "unresourced",
            TimelineStep::Note => "note",
            TimelineStep::UnresourcedAcknowledged => "unresourced_acknowledged",
            TimelineStep::UnitAcknowledged { .. } => "unit_acknowledged",
            TimelineStep::UnitAlert { .. } => "unit_alert",
            TimelineStep::UnitAlertCleared { .. } => "unit_alert_cleared",
            TimelineStep::PlanAmended => "plan_amended",
            TimelineStep::PublicConcern => "public_concern",
            TimelineStep::PublicInfoReminder => "public_info_reminder",
            TimelineStep::PublicInfoReleased => "public_info_released",
            TimelineStep::AskedDistrict => "asked_district",
            TimelineStep::DistrictAnswered => "district_answered",
            TimelineStep::DistrictAidRequested => "district_aid_requested",
        }
    }

    /// The unit the step is about, if any.
    pub fn unit_id(&self) -> Option<&UnitId> {
        match self {
            TimelineStep::Assigned { unit_id }
            | TimelineStep::EnRoute { unit_id }
            | TimelineStep::OnScene { unit_id }
            | TimelineStep::UnitReleased { unit_id }
            | TimelineStep::UnitAcknowledged { unit_id }
            | TimelineStep::UnitAlert { unit_id }
            | TimelineStep::UnitAlertCleared { unit_id } => Some(unit_id),
            _ => None,
        }
    }
}

impl std::fmt::Display for TimelineStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A unit's place in a plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanRole {
    /// First on scene.
    FirstResponse,
    /// Reinforces the first responders.
    Reinforcement,
    /// Holds a cordon point.
    Cordon,
}

/// One unit in a force-mobilisation plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanLine {
    /// Ring of the unit.
    pub ring: Ring,
    /// The unit.
    pub unit_id: UnitId,
    /// Estimated time to its destination.
    pub eta_s: u32,
    /// Its role.
    pub role: PlanRole,
    /// Where it goes: the incident, or the cordon point it holds.
    pub destination: Position,
}

/// What kind of place a plan names besides the scene.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FacilityKind {
    /// A hospital (reached by car).
    Hospital,
    /// A safe house of the mass-prevention ring: shelter, fast alarm, first
    /// aid (reached on foot).
    SafeHouse,
}

/// A hospital or safe house a plan names, with the time to reach it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanFacility {
    /// Hospital or safe house.
    pub kind: FacilityKind,
    /// The district's id for it.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Where it is.
    pub position: Position,
    /// Estimated seconds from the incident: by car to a hospital, on foot
    /// to a safe house.
    pub eta_s: u32,
}

/// Units a plan asked for of one ring and role that no available unit
/// could fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanShortfall {
    /// The ring asked.
    pub ring: Ring,
    /// The role asked.
    pub role: PlanRole,
    /// How many units are missing, at least 1.
    pub units_missing: u8,
}

/// Everything a force-mobilisation plan says, as proposed: who goes where,
/// where the cordon stands, which facilities are nearest and what is missing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanParts {
    /// Units with ETAs, roles and destinations.
    pub lines: Vec<PlanLine>,
    /// Where the cordon stands around the incident.
    pub cordon_points: Vec<Position>,
    /// Nearest hospitals and safe houses, quickest first within each kind.
    pub facilities: Vec<PlanFacility>,
    /// What the rings could not supply.
    pub shortfalls: Vec<PlanShortfall>,
}

impl PlanParts {
    /// Units asked for that no available unit could fill.
    pub fn units_short(&self) -> u32 {
        self.shortfalls
            .iter()
            .map(|s| u32::from(s.units_missing))
            .sum()
    }
}

/// A force-mobilisation plan for a major incident.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Units, cordon points, facilities and shortfalls.
    pub parts: PlanParts,
    /// Automatic approval time, Unix ms.
    pub auto_approve_at_ms: u64,
    /// Log index at which it was approved.
    pub approved_index: Option<u64>,
    /// The level of command that approved it.
    pub approved_level: Option<CommandLevel>,
}

/// A level of the two-level command: the district command centre (a
/// commander), a station's command room, the hub's automatic approval when
/// nobody decided in time, or the operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CommandLevel {
    /// The district command centre.
    District,
    /// A station's command room.
    Station {
        /// The station.
        station: StationId,
    },
    /// The hub, when the plan's automatic-approval time came.
    Automatic,
    /// The operator.
    Operator,
}

impl CommandLevel {
    /// The level `origin` commands at: a client with a commander role is
    /// the district (whatever else it holds), one with a station role that
    /// station's room; the operator; any actor or node is automatic.
    pub fn of(origin: &Origin) -> CommandLevel {
        use super::access::Role;
        match origin {
            Origin::Api { principal, .. } => {
                if principal.roles.contains(&Role::Commander) {
                    return CommandLevel::District;
                }
                principal
                    .roles
                    .iter()
                    .find_map(|role| match role {
                        Role::Station { station } => Some(CommandLevel::Station {
                            station: station.clone(),
                        }),
                        _ => None,
                    })
                    .unwrap_or(CommandLevel::District)
            }
            Origin::Operator => CommandLevel::Operator,
            Origin::System { .. } | Origin::Actor { .. } => CommandLevel::Automatic,
        }
    }

    /// The level a responder's own decision (an escalation) is taken at,
    /// in words: a station's actor decides for its command room, every
    /// other actor (the hub, a ring, a team) for the district, both
    /// automatically; a person or the operator at their level.
    pub fn deciding(origin: &Origin) -> String {
        match origin {
            Origin::Actor {
                actor: ActorId::Station(station),
                ..
            } => format!("station:{} (automatic)", station.as_str()),
            Origin::Actor { .. } | Origin::System { .. } => "district (automatic)".to_owned(),
            other => CommandLevel::of(other).to_string(),
        }
    }
}

impl std::fmt::Display for CommandLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CommandLevel::District => f.write_str("district"),
            CommandLevel::Station { station } => write!(f, "station:{}", station.as_str()),
            CommandLevel::Automatic => f.write_str("automatic"),
            CommandLevel::Operator => f.write_str("operator"),
        }
    }
}

/// One assignment of a unit to an incident.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    /// The unit.
    pub unit_id: UnitId,
    /// Log index of the assignment.
    pub index: u64,
    /// Estimated time to the scene when assigned.
    pub eta_s: u32,
    /// The on-scene target it was measured against.
    pub target_s: u32,
    /// Ring 4's last resort: assigned although it misses the target (or the
    /// deadline passed) because no ring is left to escalate to.
    pub breach: bool,
}

/// Why and since when an open incident has no unit to send: every ring is
/// exhausted. Shown to commanders; its dispatch stays pending and is
/// retried the moment a unit frees. Assign, escalate, resolve and cancel
/// clear it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unresourced {
    /// When it was first marked, Unix ms (the proposer's stamp).
    pub since_ms: u64,
    /// The log index of the mark.
    pub since_index: u64,
    /// Why no unit can respond, in words.
    pub reason: String,
    /// Who owns the wait, once a person acknowledged it.
    pub acknowledged: Option<Acknowledgement>,
}

/// A person's acknowledgement of something that asked for attention.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgement {
    /// The origin that acknowledged, as the trail names it.
    pub by: String,
    /// When, Unix ms (the proposer's stamp).
    pub at_ms: u64,
    /// The log index of the acknowledgement.
    pub index: u64,
}

/// An incident as the ledger holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// Its id.
    pub id: IncidentId,
    /// What was reported.
    pub report: NewIncident,
    /// Current status.
    pub status: IncidentStatus,
    /// Rises on every change.
    pub version: u64,
    /// The request id that created it.
    pub request_id: RequestId,
    /// Time of the report, Unix milliseconds.
    pub reported_at_ms: u64,
    /// Log index of the report.
    pub reported_index: u64,
    /// The ring currently responsible (set at triage, raised by escalation).
    pub ring: Option<Ring>,
    /// The owning station.
    pub station: Option<StationId>,
    /// On-scene target of the current ring, seconds (set at triage, moved
    /// by every escalation).
    pub target_s: Option<u32>,
    /// When a unit must be on scene, Unix ms (set by the first assignment).
    pub on_scene_deadline_ms: Option<u64>,
    /// When the first unit arrived, Unix ms.
    pub on_scene_at_ms: Option<u64>,
    /// Units currently assigned.
    pub units: Vec<UnitId>,
    /// Every assignment ever made, in log order.
    pub assignments: Vec<Assignment>,
    /// Stations already asked for mutual aid.
    pub aid_asked: Vec<StationId>,
    /// Major incidents carry a plan.
    pub major: bool,
    /// The mobilisation plan, once proposed.
    pub plan: Option<Plan>,
    /// Set while no unit of any ring can respond (see [`Unresourced`]).
    pub unresourced: Option<Unresourced>,
    /// Every step.
    pub timeline: Vec<TimelineEntry>,
    /// The tracking identifier of the partner system it came from (an
    /// EIDO document's `$id`), if it was imported.
    pub tracking_id: Option<String>,
    /// The public-information timer of an incident of public concern.
    pub public_info: Option<PublicInfo>,
    /// What a station's command room asked of the district for it, in
    /// order (an ask's number is its place here, from 1).
    pub asks: Vec<DistrictAsk>,
    /// Mutual aid asked of neighbouring districts, in order.
    pub district_aid: Vec<DistrictAid>,
}

/// Mutual aid asked of a neighbouring district: the incident went to it as
/// an EIDO document carrying the request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistrictAid {
    /// The neighbour's id (the cluster file's `neighbours`).
    pub neighbour: String,
    /// Who asked, as the trail names them.
    pub by: String,
    /// When, Unix ms.
    pub at_ms: u64,
    /// How many units.
    pub units: u8,
    /// Why.
    pub reason: String,
    /// The document's tracking identifier.
    pub tracking_id: String,
    /// Whether the neighbour took it.
    pub delivery: AidDelivery,
}

/// What became of a mutual-aid request sent to a neighbour.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AidDelivery {
    /// The neighbour took the document: its incident.
    Delivered {
        /// The neighbour's incident id.
        their_incident_id: String,
    },
    /// It could not be delivered: why (ring the neighbour instead).
    Failed {
        /// What went wrong.
        why: String,
    },
}

/// A station's command room asking the district command centre for more:
/// units of a ring, and why. The district grants or declines it; both
/// name their level of command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistrictAsk {
    /// Who asked (the origin, as the trail names it).
    pub by: String,
    /// The level that asked.
    pub level: CommandLevel,
    /// When, Unix ms.
    pub at_ms: u64,
    /// The ring asked of.
    pub ring: Ring,
    /// How many more units.
    pub units: u8,
    /// Why.
    pub reason: String,
    /// The district's answer, once given.
    pub answer: Option<DistrictAnswer>,
}

/// The district's answer to an ask.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistrictAnswer {
    /// Who answered.
    pub by: String,
    /// The level that answered (the district).
    pub level: CommandLevel,
    /// When, Unix ms.
    pub at_ms: u64,
    /// True: granted (the district sends the units); false: declined.
    pub granted: bool,
    /// What the district said.
    pub note: String,
}

/// The golden four hours: an incident of public concern owes the public its
/// first authoritative release within a time from its report. The hub
/// reminds at half and three quarters of it, and marks it overdue at the
/// end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicInfo {
    /// Why it is of public concern (its kind, size, place, or who flagged it).
    pub why: String,
    /// When the clock started: the report (Unix ms).
    pub since_ms: u64,
    /// When the first release is due (Unix ms).
    pub due_ms: u64,
    /// Reminders given: 1 at half the time, 2 at three quarters, 3 at the
    /// end (overdue).
    pub reminders: u8,
    /// The first authoritative release, once made.
    pub release: Option<PublicRelease>,
}

/// Reminders the hub gives before a release is overdue, the last one
/// marking it overdue.
pub const PUBLIC_INFO_REMINDERS: u8 = 3;

impl PublicInfo {
    /// When the next reminder is due, while no release was made.
    pub fn next_reminder_ms(&self) -> Option<u64> {
        if self.release.is_some() || self.reminders >= PUBLIC_INFO_REMINDERS {
            return None;
        }
        let span = self.due_ms.saturating_sub(self.since_ms);
        let fraction_per_mille: u64 = [500, 750, 1000][usize::from(self.reminders)];
        Some(self.since_ms + span * fraction_per_mille / 1000)
    }

    /// True once the due time passed without a release (the last reminder).
    pub fn overdue(&self) -> bool {
        self.release.is_none() && self.reminders >= PUBLIC_INFO_REMINDERS
    }
}

/// A public release: its text, who approved it and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicRelease {
    /// The release.
    pub text: String,
    /// Who approved it (the proposing principal).
    pub approved_by: String,
    /// When (Unix ms).
    pub at_ms: u64,
    /// The log index.
    pub index: u64,
}

impl Incident {
    /// True while the incident waits for a unit: triaged or escalated and
    /// not yet staffed, or staffed on paper but left with no unit before
    /// any arrived (its unit was reassigned elsewhere).
    pub fn awaits_unit(&self) -> bool {
        match self.status {
            IncidentStatus::Triaged | IncidentStatus::Escalated => true,
            status => status.is_staffed() && self.units.is_empty() && self.on_scene_at_ms.is_none(),
        }
    }
}

/// A unit as the ledger holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    /// Its id.
    pub id: UnitId,
    /// Its ring.
    pub ring: Ring,
    /// Its station, for the ring-3 groups and guardians a station owns.
    pub station: Option<StationId>,
    /// Current status.
    pub status: UnitStatus,
    /// Last known position.
    pub position: Position,
    /// The open incident it is assigned to.
    pub assigned_to: Option<IncidentId>,
    /// Rises on every change.
    pub version: u64,
    /// Time of the last change, Unix milliseconds.
    pub updated_at_ms: u64,
    /// Log index of the last change.
    pub updated_index: u64,
    /// Where it waits while idle, once a move-up gave it a post; none
    /// means its home in the district model.
    pub post: Option<crate::ledger::move_ups::UnitPost>,
    /// When its status last changed, Unix ms (a report of the same status
    /// with a new position does not change it).
    pub status_since_ms: u64,
    /// Its crew's last check-in (a PAR is one), Unix ms.
    pub checked_in_ms: Option<u64>,
    /// What asks the dispatcher's attention about it now, if anything.
    pub alert: Option<UnitAlert>,
    /// When a dispatcher last cleared an alert of it, Unix ms: its timers
    /// run again from then.
    pub alert_cleared_ms: Option<u64>,
}

impl Unit {
    /// Available and assigned to nothing: a unit an assignment, a hazard
    /// measure or a move-up may take.
    pub fn is_free(&self) -> bool {
        self.status == UnitStatus::Available && self.assigned_to.is_none()
    }

    /// Refuses to take this unit unless it is free.
    pub fn check_free(&self) -> Result<(), Rejection> {
        if self.is_free() {
            return Ok(());
        }
        Err(Rejection::UnitUnavailable {
            unit_id: self.id.clone(),
            status: self.status,
            assigned_to: self.assigned_to,
        })
    }
}

/// Why a unit asks the dispatcher's attention.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Dispatched, and its crew has not acknowledged in time.
    AckOverdue,
    /// On scene past the check-in interval without a check-in.
    CheckInOverdue,
    /// A special-operations team on scene missed its personnel
    /// accountability report (PAR).
    ParOverdue,
    /// Its crew pressed the alarm: officers need help.
    Panic,
    /// A hospital's police post, at its post, has not walked its patrol
    /// round of the hospital (a check-in) in time.
    RoundOverdue,
}

impl AlertKind {
    /// Every kind, timers first.
    pub const ALL: [AlertKind; 5] = [
        AlertKind::AckOverdue,
        AlertKind::CheckInOverdue,
        AlertKind::ParOverdue,
        AlertKind::RoundOverdue,
        AlertKind::Panic,
    ];

    /// Its name in the API and the trail (`ack_overdue`...).
    pub fn name(self) -> &'static str {
        match self {
            AlertKind::AckOverdue => "ack_overdue",
            AlertKind::CheckInOverdue => "check_in_overdue",
            AlertKind::ParOverdue => "par_overdue",
            AlertKind::Panic => "panic",
            AlertKind::RoundOverdue => "round_overdue",
        }
    }
}

/// A unit's alert: what, since when, and the incident it was on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitAlert {
    /// Why.
    pub kind: AlertKind,
    /// When it was raised, Unix ms.
    pub since_ms: u64,
    /// The log index that raised it.
    pub index: u64,
    /// The incident the unit was assigned to, if any.
    pub incident_id: Option<IncidentId>,
}

/// Where an actor runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    /// The hosting node.
    pub node: u64,
    /// Rises on every move.
    pub epoch: u64,
    /// Log index of the placement.
    pub index: u64,
    /// Proposer's time, Unix ms.
    pub placed_at_ms: u64,
}

/// An actor that failed past its restart budget on a node, as its
/// supervisor reported it (see `ReportActorFailed`). The placement loop
/// treats the node as unfit for the actor for a hold time after `at_ms`,
/// and the API shows the newest such failure to operators.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActorFailure {
    /// The node it failed on.
    pub node: u64,
    /// The placement epoch it failed under.
    pub epoch: u64,
    /// Restarts it had on that node before giving up.
    pub restarts: u32,
    /// The last failure, in words.
    pub reason: String,
    /// When the supervisor gave up, Unix ms (the proposer's stamp).
    pub at_ms: u64,
    /// The log index of the report.
    pub index: u64,
}

/// A message committed for an actor; it stays pending until a command of
/// that actor consumes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Message {
    /// Hub: triage a new incident.
    Triage {
        /// The incident.
        incident_id: IncidentId,
    },
    /// Station or ring: find a unit for an incident.
    Dispatch {
        /// The incident.
        incident_id: IncidentId,
    },
    /// Station: a neighbour asks for one of your groups.
    MutualAid {
        /// The incident.
        incident_id: IncidentId,
        /// The asking station.
        from_station: StationId,
    },
    /// Hub: a plan was approved; assign its units.
    PlanApproved {
        /// The incident.
        incident_id: IncidentId,
    },
    /// Special-ops team: you are assigned.
    Assignment {
        /// The incident.
        incident_id: IncidentId,
        /// The team's unit.
        unit_id: UnitId,
    },
}

impl Message {
    /// The incident the message is about.
    pub fn incident_id(&self) -> Option<IncidentId> {
        match self {
            Message::Triage { incident_id }
            | Message::Dispatch { incident_id }
            | Message::MutualAid { incident_id, .. }
            | Message::PlanApproved { incident_id }
            | Message::Assignment { incident_id, .. } => Some(*incident_id),
        }
    }
}

/// A pending message with its sequence number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// Ledger-wide sequence number, rising.
    pub seq: u64,
    /// The addressee.
    pub to: ActorId,
    /// The message.
    pub message: Message,
    /// Log index at which it was committed.
    pub index: u64,
    /// Proposer's time, Unix ms.
    pub at_ms: u64,
    /// Trace context of the command that enqueued it.
    pub traceparent: Option<String>,
}

/// What applying a command did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// A new incident exists.
    IncidentReported {
        /// Its id.
        incident_id: IncidentId,
    },
    /// An incident moved on (triaged, assigned, escalated, resolved...).
    IncidentUpdated {
        /// The incident.
        incident_id: IncidentId,
        /// Its status now.
        status: IncidentStatus,
        /// Its version now.
        version: u64,
    },
    /// A unit's status changed.
    UnitUpdated {
        /// The unit.
        unit_id: UnitId,
        /// Its new version.
        version: u64,
    },
    /// Units were added to the roster.
    RosterLoaded {
        /// How many were new.
        added: u32,
    },
    /// A node id is retired.
    NodeIdRetired {
        /// The node id.
        node_id: u64,
    },
    /// An actor was placed.
    ActorPlaced {
        /// The actor.
        actor: ActorId,
        /// Its node.
        node: u64,
        /// Its new epoch.
        epoch: u64,
    },
    /// A node was drained or undrained.
    NodeDrained {
        /// The node.
        node_id: u64,
        /// Whether it is drained now.
        drained: bool,
    },
    /// Pending messages were dismissed.
    Dismissed {
        /// How many.
        count: u32,
    },
    /// A bench note was committed; the ledger is unchanged.
    Noted {
        /// The note's size.
        bytes: u32,
    },
    /// A blank or membership entry of Raft's own; the ledger is unchanged.
    RaftInternal,
    /// Nothing changed, for this reason.
    Rejected {
        /// Why.
        rejection: Rejection,
    },
    /// A move-up was proposed (and approved at once when automatic).
    MoveUpProposed {
        /// Its id.
        move_up_id: u64,
        /// Where it stands.
        status: crate::ledger::move_ups::MoveUpStatus,
    },
    /// A commander approved or declined a move-up.
    MoveUpDecided {
        /// Its id.
        move_up_id: u64,
        /// Where it stands now.
        status: crate::ledger::move_ups::MoveUpStatus,
    },
    /// A bearer token was issued.
    TokenIssued {
        /// Its id.
        token_id: String,
    },
    /// A bearer token was revoked.
    TokenRevoked {
        /// Its id.
        token_id: String,
    },
    /// An operator action was noted in the operator audit log.
    OperatorActionRecorded,
    /// An actor's failure past its restart budget was recorded; the
    /// placement loop moves it off the node.
    ActorFailed {
        /// The actor.
        actor: ActorId,
        /// The node it failed on.
        node: u64,
        /// The epoch it failed under.
        epoch: u64,
    },
    /// A burst of incidents was triaged (each has its timeline step).
    IncidentsTriaged {
        /// How many.
        count: u32,
    },
    /// A hazard entered a stage.
    HazardChanged {
        /// Its id.
        hazard_id: u64,
        /// The stage now.
        stage: String,
    },
    /// A hazard past its deadline was escalated.
    HazardEscalated {
        /// Its id.
        hazard_id: u64,
        /// 1 the station, 2 the hub.
        level: u8,
    },
    /// Crowd counts were kept.
    CrowdCounted {
        /// Readings kept now.
        kept: u32,
        /// Readings already kept with the same count (a resend).
        resent: u32,
    },
    /// Members of the roster were added, replaced or changed.
    MembersLoaded {
        /// How many.
        count: u32,
    },
}

/// The answer to a command, identical for every retry of its request id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Applied {
    /// The log index at which the request first took effect.
    pub index: u64,
    /// What it did.
    pub effect: Effect,
    /// True when this answer comes from the dedup table, not a fresh apply.
    pub deduplicated: bool,
}
