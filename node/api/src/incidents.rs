//! Incidents: `POST /v1/incidents` (report), `GET /v1/incidents` (list),
//! `GET /v1/incidents/{id}` (one, with its audit timeline), resolve and
//! cancel, assign a unit (from the recommendations), add a note,
//! acknowledge an unresourced wait, and the mobilisation plan's approval.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `POST /v1/incidents`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportIncident {
    /// Makes the report idempotent: a retry with the same id takes effect
    /// once. Generated when absent (then a retry is a new report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 128)]
    pub request_id: Option<String>,
    /// Incident kind: `theft`, `assault`, `disturbance`, `crowd_crush`,
    /// `medical`, `fire`, `traffic_accident`, `missing_person`,
    /// `suspicious_object`, `extreme_act`, `hazard` or `other`. When
    /// absent, the channel's default kind (a 110 call has none: it must
    /// name one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// 0 to 10; when absent, the channel's default (5 for a 110 call).
    /// Raised to the channel's floor (6 for a risk warning, 10 for a
    /// safe-house alarm).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 10)]
    pub priority: Option<u8>,
    /// 0 to 10; default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 10)]
    pub force_level: Option<u8>,
    /// Latitude, WGS-84 degrees.
    #[schema(minimum = -90, maximum = 90)]
    pub lat: f64,
    /// Longitude, WGS-84 degrees.
    #[schema(minimum = -180, maximum = 180)]
    pub lon: f64,
    /// `emergency_call` (default), `community_report`, `risk_warning`,
    /// `partner_feed` or `safe_house_alarm`; its rule is listed by
    /// `GET /v1/channels`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
}

/// Body of `POST /v1/safe-houses/{id}/alarm` (optional): what the safe
/// house's keeper says, if anything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SafeHouseAlarm {
    /// Makes the alarm idempotent (a button pressed twice); generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The incident kind, if known (default `other`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
}

/// The answer to a committed report (201, or 200 for a retried request id).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Reported {
    /// The incident id, e.g. `I-000042`.
    pub incident_id: String,
    /// The log index at which the report was committed.
    pub log_index: u64,
    /// The request id the report was made with.
    pub request_id: String,
    /// True when this request id had already been reported.
    pub deduplicated: bool,
    /// What the channel's rule supplied or raised, in words (a default
    /// kind or priority, a priority raised to the channel's floor); empty
    /// when the report named both and nothing was raised.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channel_rule: Vec<String>,
}

/// One intake channel's rule (`GET /v1/channels`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChannelRule {
    /// The channel, e.g. `risk_warning`.
    pub channel: String,
    /// The role its principal holds to report on it, e.g. `reporter:risk_warning`.
    pub reporter_role: String,
    /// The kind a report takes when it names none; absent: it must name one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_kind: Option<String>,
    /// The priority a report takes when it gives none.
    pub default_priority: u8,
    /// A lower priority is raised to this one.
    pub priority_floor: u8,
    /// What the hub does with a report from it after triage, in words.
    pub triage: String,
}

/// Every intake channel's rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChannelRules {
    /// One per channel.
    pub channels: Vec<ChannelRule>,
}

/// Body of `POST /v1/incidents/{id}/resolve` and `/cancel` (optional).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseIncident {
    /// Makes the request idempotent; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Why, for the audit trail; default `resolved` or `cancelled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Body of `POST /v1/incidents/{id}/assign`: send this unit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignUnit {
    /// Makes the request idempotent; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The unit, e.g. `bund-1-a`: an available one (see the
    /// recommendations), or one busy on another incident when
    /// `reassign_reason` says why it is taken from there.
    pub unit_id: String,
    /// Takes a unit working another open incident off it (reassignment):
    /// why, on both incidents' trails. That incident's dispatch goes back
    /// to its responder when it keeps no unit and none has arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reassign_reason: Option<String>,
}

/// Body of `POST /v1/plans/{id}/amend`: units off and onto a plan that
/// awaits approval.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmendPlan {
    /// Makes the request idempotent; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Units to take off the plan, e.g. `["point-bund-1"]`.
    #[serde(default)]
    pub drop: Vec<String>,
    /// Units to add, each sent to the scene as reinforcement.
    #[serde(default)]
    pub add: Vec<String>,
}

/// Body of `POST /v1/incidents/{id}/notes`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddNote {
    /// Makes the request idempotent; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The note, 1 to 2000 bytes.
    #[schema(max_length = 2000)]
    pub text: String,
}

/// Body of `POST /v1/incidents/{id}/ask-district`: a station's command
/// room asks the district for more units of a ring.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AskDistrict {
    /// Makes the request idempotent; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The ring asked of, 1 to 4.
    #[schema(minimum = 1, maximum = 4)]
    pub ring: u8,
    /// How many more units, 1 to 20.
    #[schema(minimum = 1, maximum = 20)]
    pub units: u8,
    /// Why, 1 to 2000 bytes.
    #[schema(max_length = 2000)]
    pub reason: String,
}

/// Body of `POST /v1/incidents/{id}/asks/{ask}/answer`: the district's
/// answer to a station room's ask.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerAsk {
    /// Makes the request idempotent; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// True: granted; false: declined.
    pub granted: bool,
    /// Which units come, or why not, 1 to 2000 bytes.
    #[schema(max_length = 2000)]
    pub note: String,
}

/// Body of `POST /v1/incidents/{id}/district-aid`: the district command
/// centre asks a neighbouring district for mutual aid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AskNeighbour {
    /// Makes the request idempotent; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The neighbour's id (`GET /v1/neighbours`).
    pub neighbour: String,
    /// How many units, 1 to 20.
    #[schema(minimum = 1, maximum = 20)]
    pub units: u8,
    /// Why, 1 to 2000 bytes.
    #[schema(max_length = 2000)]
    pub reason: String,
}

/// A mutual-aid request sent to a neighbouring district as an EIDO
/// document, and whether the neighbour took it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DistrictAidSent {
    /// The neighbour's id.
    pub neighbour: String,
    /// Who asked.
    pub by: String,
    /// When, Unix ms.
    pub at_ms: u64,
    /// How many units.
    pub units: u8,
    /// Why.
    pub reason: String,
    /// The EIDO document's tracking identifier.
    pub tracking_id: String,
    /// The neighbour's incident, when it took the document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub their_incident_id: Option<String>,
    /// Why it could not be delivered, when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// The log index of the record (in the answer to the request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
}

/// A neighbouring district that takes mutual-aid requests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Neighbour {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// `GET /v1/neighbours`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Neighbours {
    /// The neighbours configured in the cluster file.
    pub neighbours: Vec<Neighbour>,
}

/// A station room's ask of the district, with its answer once given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DistrictAsk {
    /// Its number on the incident, from 1.
    pub number: u32,
    /// Who asked, as the trail names them.
    pub by: String,
    /// The level of command that asked, e.g. `station:bund`.
    pub level: String,
    /// When, Unix ms.
    pub at_ms: u64,
    /// The ring asked of.
    pub ring: u8,
    /// How many more units.
    pub units: u8,
    /// Why.
    pub reason: String,
    /// The answer, once given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<DistrictAnswer>,
}

/// The district's answer to an ask.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DistrictAnswer {
    /// Who answered.
    pub by: String,
    /// The level that answered: `district`.
    pub level: String,
    /// When, Unix ms.
    pub at_ms: u64,
    /// Granted or declined.
    pub granted: bool,
    /// What the district said.
    pub note: String,
}

/// Body of `POST /v1/incidents/{id}/public-concern`: why the incident is of
/// public concern (its golden four hours start from its report).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlagPublicConcern {
    /// Makes the request idempotent; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Why, 1 to 2000 bytes, e.g. `video of the crush is spreading online`.
    #[schema(max_length = 2000)]
    pub why: String,
}

/// Body of `POST /v1/incidents/{id}/public-release`: the first
/// authoritative public release, approved by the caller.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicRelease {
    /// Makes the request idempotent; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The release's text, 1 to 2000 bytes.
    #[schema(max_length = 2000)]
    pub text: String,
}

/// An incident's public-information timer (the golden four hours).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PublicInfo {
    /// Why the incident is of public concern.
    pub why: String,
    /// When the clock started: the report (Unix ms).
    pub since_ms: u64,
    /// When the first authoritative release is due (Unix ms).
    pub due_ms: u64,
    /// Reminders the hub gave (at half and three quarters of the time, and
    /// the third at the end).
    pub reminders: u8,
    /// True once the due time passed without a release.
    pub overdue: bool,
    /// The release, once made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<PublicReleaseMade>,
}

/// A public release as the trail keeps it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PublicReleaseMade {
    /// The release.
    pub text: String,
    /// Who approved it.
    pub approved_by: String,
    /// When (Unix ms).
    pub at_ms: u64,
}

/// Body of `POST /v1/incidents/{id}/acknowledge` (optional).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Acknowledge {
    /// Makes the request idempotent; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// `GET /v1/incidents/{id}/recommendations`: the units a dispatcher may
/// send, quickest first within each ring, the incident's own ring first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Recommendations {
    /// The incident.
    pub incident_id: String,
    /// The ring responsible now (1-4), if triaged.
    pub ring: Option<u8>,
    /// The log index the units were read at.
    pub read_index: u64,
    /// The units, best first.
    pub units: Vec<Recommendation>,
}

/// One unit a dispatcher may send.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Recommendation {
    /// The unit.
    pub unit_id: String,
    /// Its ring (1-4).
    pub ring: u8,
    /// Its station, if a station owns it.
    pub station: Option<String>,
    /// Estimated seconds to the scene by the street graph, turnout included.
    pub eta_s: u32,
    /// The ring's on-scene target at the incident, seconds.
    pub target_s: u32,
    /// True when `eta_s` is within `target_s`.
    pub meets_target: bool,
    /// `own_zone`, `own_station` or `elsewhere`: how close the unit is to
    /// the incident's ground.
    pub territory: String,
}

/// The answer to a command that changed something.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Committed {
    /// The log index at which it was applied.
    pub log_index: u64,
    /// What it did.
    pub effect: crate::events::Effect,
}

/// Query of `GET /v1/incidents`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IncidentsQuery {
    /// Only incidents in this status: `reported`, `triaged`, `assigned`,
    /// `en_route`, `on_scene`, `escalated`, `resolved` or `cancelled`; or
    /// `open` for every open one (all but resolved and cancelled).
    pub status: Option<String>,
    /// At most this many, newest first (capped by the node's
    /// `api_incidents_listed_max`).
    pub limit: Option<usize>,
    /// Only these incidents, by number or id, comma-separated
    /// (`17,I-000018`), at most 100: what an event stream said changed.
    /// Archived ones are not listed (read them by id).
    pub ids: Option<String>,
    /// `false` leaves the timelines out (every `timeline` empty,
    /// `timeline_verified` still checked): a board's read. Default `true`.
    pub timeline: Option<bool>,
}

/// `GET /v1/incidents`: the hot state's incidents (open ones, and closed
/// ones until they move to the archive after the cluster's
/// `limits.closed_incidents_kept_ms`); an archived incident is read by id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IncidentList {
    /// The last log index applied on the node answering.
    pub applied_index: Option<u64>,
    /// Incidents ever recorded, archived ones included.
    pub total: u64,
    /// How many incidents are in each status, archived ones included.
    pub by_status: BTreeMap<String, u64>,
    /// Incidents moved to the archive (all closed; `GET /v1/incidents/{id}` reads them).
    #[serde(default)]
    pub archived: u64,
    /// The incidents asked for, newest first.
    pub incidents: Vec<Incident>,
}

/// One incident with its assignments, plan and audit timeline.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Incident {
    /// `I-000042`.
    pub id: String,
    /// Its kind, e.g. `theft`.
    pub kind: String,
    /// 0 to 10.
    pub priority: u8,
    /// 0 to 10: how much force it needs.
    pub force_level: u8,
    /// Latitude, WGS-84 degrees.
    pub lat: f64,
    /// Longitude, WGS-84 degrees.
    pub lon: f64,
    /// How it was reported, e.g. `emergency_call`.
    pub channel: String,
    /// Free text.
    pub description: String,
    /// Where it is on the streets: the nearest street and a cross street,
    /// e.g. `Nanjing East Road near Henan Middle Road`.
    #[serde(default)]
    pub address: Option<String>,
    /// `reported`, `triaged`, `assigned`, `en_route`, `on_scene`,
    /// `escalated`, `resolved` or `cancelled`.
    pub status: String,
    /// Rises with every change.
    pub version: u64,
    /// The request id it was reported with.
    pub request_id: String,
    /// When it was reported (Unix ms, stamped by the proposer).
    pub reported_at_ms: u64,
    /// The log index of the report.
    pub reported_index: u64,
    /// The responsible ring (1 to 4), once triaged.
    pub ring: Option<u8>,
    /// The responsible station, once triaged.
    pub station: Option<String>,
    /// The on-scene target in seconds.
    pub target_s: Option<u32>,
    /// When a unit must be on scene (Unix ms).
    pub on_scene_deadline_ms: Option<u64>,
    /// When the first unit arrived (Unix ms).
    pub on_scene_at_ms: Option<u64>,
    /// Units assigned now.
    pub units: Vec<String>,
    /// Every assignment made, in order.
    pub assignments: Vec<Assignment>,
    /// Stations asked for mutual aid.
    pub aid_asked: Vec<String>,
    /// A major incident (it gets a mobilisation plan).
    pub major: bool,
    /// The mobilisation plan of a major incident.
    pub plan: Option<Plan>,
    /// Set while no unit of any ring can respond: the dispatch waits and is
    /// retried the moment a unit frees; an assignment, escalation,
    /// resolution or cancellation clears it.
    #[serde(default)]
    pub unresourced: Option<Unresourced>,
    /// The partner system's tracking identifier (an EIDO document's `$id`)
    /// of an incident taken in at `POST /v1/eido`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_id: Option<String>,
    /// The golden four hours of an incident of public concern.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_info: Option<PublicInfo>,
    /// What a station's command room asked of the district, numbered from 1.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub asks: Vec<DistrictAsk>,
    /// Mutual aid asked of neighbouring districts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub district_aid: Vec<DistrictAidSent>,
    /// True when the timeline's hash chain verifies.
    pub timeline_verified: bool,
    /// The audit trail, oldest first.
    pub timeline: Vec<TimelineEntry>,
}

/// One assignment of a unit to an incident.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Assignment {
    /// The unit.
    pub unit_id: String,
    /// The log index of the assignment.
    pub index: u64,
    /// Estimated travel time in seconds.
    pub eta_s: u32,
    /// The on-scene target in seconds when it was made.
    pub target_s: u32,
    /// Assigned although it misses the target (or the deadline passed):
    /// ring 4 with no ring left to escalate to, or an inner ring when the
    /// next ring out would be no sooner.
    #[serde(default)]
    pub breach: bool,
}

/// Why and since when an open incident has no unit to send.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Unresourced {
    /// When it was first marked (Unix ms, stamped by the proposer).
    pub since_ms: u64,
    /// The log index of the mark.
    pub since_index: u64,
    /// Why no unit can respond, e.g. `every ring exhausted: none of the 12
    /// units of ring 4 in scope is available`.
    pub reason: String,
    /// Who owns the wait, once a person acknowledged it.
    #[serde(default)]
    pub acknowledged: Option<Acknowledgement>,
}

/// A person's acknowledgement.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Acknowledgement {
    /// Who, as the audit trail names them.
    pub by: String,
    /// When (Unix ms, stamped by the proposer).
    pub at_ms: u64,
    /// The log index of the acknowledgement.
    pub index: u64,
}

/// A mobilisation plan, whole: who goes where, where the cordon stands,
/// the nearest hospitals and safe houses, and what the rings could not
/// supply.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Plan {
    /// The units it mobilises.
    pub lines: Vec<PlanLine>,
    /// Where the cordon stands around the incident.
    pub cordon_points: Vec<PlanPoint>,
    /// Nearest hospitals (by car) and safe houses (on foot), quickest first
    /// within each kind.
    pub facilities: Vec<PlanFacility>,
    /// Units asked for of a ring and role that no available unit could fill.
    pub shortfalls: Vec<PlanShortfall>,
    /// Sum of the shortfalls: the plan is short of this many units (0: fully
    /// resourced).
    pub units_short: u32,
    /// When it is approved without a commander (Unix ms).
    pub auto_approve_at_ms: u64,
    /// The log index of its approval.
    pub approved_index: Option<u64>,
    /// The level of command that approved it: `district` (a commander),
    /// `station:<id>` (that station's command room), `automatic` (nobody
    /// decided before the automatic-approval time) or `operator`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_level: Option<String>,
}

/// One unit of a plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PlanLine {
    /// The unit's ring.
    pub ring: u8,
    /// The unit.
    pub unit_id: String,
    /// Estimated travel time to its destination in seconds.
    pub eta_s: u32,
    /// `first_response`, `reinforcement` or `cordon`.
    pub role: String,
    /// Where it goes: the incident, or the cordon point it holds.
    pub destination: PlanPoint,
}

/// A place, WGS-84 degrees.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PlanPoint {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

/// A hospital or safe house a plan names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PlanFacility {
    /// `hospital` or `safe_house`.
    pub kind: String,
    /// The district's id for it.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Where it is.
    pub position: PlanPoint,
    /// Estimated seconds from the incident: by car to a hospital, on foot
    /// to a safe house.
    pub eta_s: u32,
}

/// Units of one ring and role a plan could not fill.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PlanShortfall {
    /// The ring asked.
    pub ring: u8,
    /// `first_response`, `reinforcement` or `cordon`.
    pub role: String,
    /// How many units are missing.
    pub units_missing: u8,
}

/// Who proposed a change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// A client of a node's HTTP API.
    Api {
        /// The node that took the request.
        node: u64,
        /// The client's address.
        client: String,
        /// Who the client proved to be.
        principal: crate::access::Principal,
    },
    /// The operator (`cordon ctl`).
    #[default]
    Operator,
    /// A node's own machinery (placement, roster).
    System {
        /// The node.
        node: u64,
    },
    /// An actor under its placement epoch.
    Actor {
        /// The actor, e.g. `station:bund`.
        actor: String,
        /// Its epoch.
        epoch: u64,
        /// The node it ran on.
        node: u64,
    },
}

/// One entry of an incident's hash-chained audit trail.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TimelineEntry {
    /// The log index of the change.
    pub index: u64,
    /// When (Unix ms, stamped by the proposer).
    pub at_ms: u64,
    /// Who.
    pub origin: Origin,
    /// The request id of the change.
    pub request_id: String,
    /// What happened, e.g. `triaged`, `assigned`, `escalated`, `unresourced`.
    pub step: String,
    /// The unit the step is about (`assigned`, `en_route`, `on_scene`,
    /// `unit_released`), if any.
    pub unit_id: Option<String>,
    /// The incident's status afterwards.
    pub status: String,
    /// Why, in words.
    pub reason: String,
    /// The entry's hash (over the previous entry's hash).
    pub hash: String,
}
