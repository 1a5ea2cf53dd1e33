//! The dispatch ledger: the deterministic state machine replicated by Raft.
//!
//! `Ledger::apply` is a pure function of the ledger and one command: no
//! clock, no randomness, no IO. The proposer stamps the request id, the time
//! and the origin into the command; the log index comes from Raft. Every rule
//! is checked by [`Command::check`] before proposing and again inside
//! `apply`; a command that breaks one is rejected with a typed
//! [`Rejection`] and changes nothing but the dedup table, never half-applied.
//!
//! Positions are stored as integer 1e-7 degrees ([`Position`]) so that
//! equality, hashing and serialisation are exact on every node.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Longest request id accepted.
pub const REQUEST_ID_BYTES_MAX: usize = 64;
/// Longest free-text description of an incident.
pub const DESCRIPTION_BYTES_MAX: usize = 2_000;
/// Highest priority and force level.
pub const SCALE_MAX: u8 = 10;

/// A client-chosen id that makes a write idempotent: the same id twice takes
/// effect once and answers the same.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RequestId(pub String);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An incident's id, assigned by the ledger in log order (`I-000042`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
pub struct IncidentId(pub u64);

impl fmt::Display for IncidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "I-{:06}", self.0)
    }
}

impl std::str::FromStr for IncidentId {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let digits = text
            .strip_prefix("I-")
            .or_else(|| text.strip_prefix("i-"))
            .unwrap_or(text);
        digits
            .parse::<u64>()
            .map(IncidentId)
            .map_err(|_| format!("{text:?} is not an incident id (expected e.g. I-000042 or 42)"))
    }
}

/// A unit's id as named in the district model (`nanjing-east-1-a`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct UnitId(pub String);

impl fmt::Display for UnitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A WGS-84 position in integer 1e-7 degrees (about 1 cm), exact on every node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Position {
    /// Latitude x 1e7.
    pub lat_e7: i32,
    /// Longitude x 1e7.
    pub lon_e7: i32,
}

impl Position {
    /// Converts degrees, refusing values outside the valid ranges.
    pub fn from_degrees(lat: f64, lon: f64) -> Result<Position, String> {
        if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
            return Err(format!("latitude {lat} is outside -90..=90"));
        }
        if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
            return Err(format!("longitude {lon} is outside -180..=180"));
        }
        Ok(Position {
            lat_e7: (lat * 1e7).round() as i32,
            lon_e7: (lon * 1e7).round() as i32,
        })
    }

    /// Latitude in degrees.
    pub fn lat(&self) -> f64 {
        f64::from(self.lat_e7) / 1e7
    }

    /// Longitude in degrees.
    pub fn lon(&self) -> f64 {
        f64::from(self.lon_e7) / 1e7
    }

    fn is_valid(&self) -> bool {
        (-900_000_000..=900_000_000).contains(&self.lat_e7)
            && (-1_800_000_000..=1_800_000_000).contains(&self.lon_e7)
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.6},{:.6}", self.lat(), self.lon())
    }
}

/// What kind of incident was reported; drives triage and run cards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentKind {
    /// Theft, pickpocketing.
    Theft,
    /// A fight or assault.
    Assault,
    /// A dispute or public-order disturbance.
    Disturbance,
    /// Dangerous crowd density, crush risk.
    CrowdCrush,
    /// Someone needs medical help.
    Medical,
    /// Fire or smoke.
    Fire,
    /// A traffic accident.
    TrafficAccident,
    /// A missing person or lost child.
    MissingPerson,
    /// An unattended or suspicious object.
    SuspiciousObject,
    /// An individual extreme act, armed attack or hostage taking.
    ExtremeAct,
    /// A hazard found by the risk-sensing net (loose railing, blocked exit).
    Hazard,
    /// Anything else.
    Other,
}

impl IncidentKind {
    /// Every kind, for help texts and error messages.
    pub const ALL: [IncidentKind; 12] = [
        IncidentKind::Theft,
        IncidentKind::Assault,
        IncidentKind::Disturbance,
        IncidentKind::CrowdCrush,
        IncidentKind::Medical,
        IncidentKind::Fire,
        IncidentKind::TrafficAccident,
        IncidentKind::MissingPerson,
        IncidentKind::SuspiciousObject,
        IncidentKind::ExtremeAct,
        IncidentKind::Hazard,
        IncidentKind::Other,
    ];

    /// The snake_case name used in the API and CLI.
    pub fn name(&self) -> &'static str {
        match self {
            IncidentKind::Theft => "theft",
            IncidentKind::Assault => "assault",
            IncidentKind::Disturbance => "disturbance",
            IncidentKind::CrowdCrush => "crowd_crush",
            IncidentKind::Medical => "medical",
            IncidentKind::Fire => "fire",
            IncidentKind::TrafficAccident => "traffic_accident",
            IncidentKind::MissingPerson => "missing_person",
            IncidentKind::SuspiciousObject => "suspicious_object",
            IncidentKind::ExtremeAct => "extreme_act",
            IncidentKind::Hazard => "hazard",
            IncidentKind::Other => "other",
        }
    }
}

impl std::str::FromStr for IncidentKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        IncidentKind::ALL
            .into_iter()
            .find(|kind| kind.name() == text)
            .ok_or_else(|| {
                let names: Vec<_> = IncidentKind::ALL.iter().map(|k| k.name()).collect();
                format!(
                    "unknown incident kind {text:?} (use one of: {})",
                    names.join(", ")
                )
            })
    }
}

/// Where a report came from (the hub takes incidents from every channel).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A 110 emergency call.
    #[default]
    EmergencyCall,
    /// A report from the community (guardians, volunteers, residents).
    CommunityReport,
    /// A warning from the risk-sensing net.
    RiskWarning,
    /// A partner company's feed.
    PartnerFeed,
}

/// Where an incident is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    /// Committed, not yet triaged.
    Reported,
    /// Classified; ring and station chosen.
    Triaged,
    /// A unit is assigned.
    Assigned,
    /// The assigned unit is on its way.
    EnRoute,
    /// A unit is on scene.
    OnScene,
    /// Handed outward to the next ring.
    Escalated,
    /// Closed with an outcome.
    Resolved,
    /// Withdrawn (duplicate, false alarm).
    Cancelled,
}

impl IncidentStatus {
    /// Open incidents still need work.
    pub fn is_open(&self) -> bool {
        !matches!(self, IncidentStatus::Resolved | IncidentStatus::Cancelled)
    }
}

/// A unit's status, after the APCO/NENA unit status set used by NENA EIDO.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitStatus {
    /// EIDO "Available": in service, free for assignment.
    Available,
    /// EIDO "Dispatched": assigned, not yet acknowledged.
    Dispatched,
    /// EIDO "Acknowledged": the crew confirmed the assignment.
    Acknowledged,
    /// EIDO "Enroute": moving to the scene.
    EnRoute,
    /// EIDO "OnScene": arrived.
    OnScene,
    /// EIDO "Transporting": taking someone to hospital or station.
    Transporting,
    /// EIDO "Returning" (available on radio): heading back to the area.
    Returning,
    /// EIDO "OutOfService": off duty or unusable.
    OutOfService,
}

/// Who or what proposed a command (the audit trail's "who").
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// A client of the HTTP API, received by this node.
    Api {
        /// The node that received the request.
        node: u64,
        /// The client's address as the node saw it.
        client: String,
    },
    /// An operator using `cordon ctl` with the operator certificate.
    Operator,
    /// The node itself (e.g. loading the roster from the district model).
    System {
        /// The proposing node.
        node: u64,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Api { node, client } => write!(f, "api@node-{node} from {client}"),
            Origin::Operator => f.write_str("operator"),
            Origin::System { node } => write!(f, "system@node-{node}"),
        }
    }
}

/// A new incident as reported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewIncident {
    /// What happened.
    pub kind: IncidentKind,
    /// 0 (lowest) to 10 (highest).
    pub priority: u8,
    /// Force needed, 0 to 10; decides the ring.
    pub force_level: u8,
    /// Where.
    pub location: Position,
    /// How it reached the hub.
    pub channel: Channel,
    /// Free text from the caller or reporter.
    pub description: String,
}

/// A unit as loaded from the district model's roster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RosterUnit {
    /// The unit's id.
    pub id: UnitId,
    /// Its home position, the starting position.
    pub home: Position,
}

/// What a command asks the ledger to do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Action {
    /// Record a new incident.
    ReportIncident(NewIncident),
    /// Record a unit's status (and position) reported from the field.
    UpdateUnitStatus {
        /// The unit.
        unit_id: UnitId,
        /// The new status.
        status: UnitStatus,
        /// The position reported with it, if any.
        position: Option<Position>,
        /// Apply only if the unit is still at this version.
        expected_version: Option<u64>,
    },
    /// Add units from the district model that the ledger does not know yet.
    LoadRoster {
        /// The units.
        units: Vec<RosterUnit>,
    },
    /// Record that a node id leaves the cluster for good, before its removal
    /// from the membership, so the id is never given to another node.
    RetireNodeId {
        /// The node id.
        node_id: u64,
    },
}

/// One replicated command: the action plus everything the proposer stamps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Command {
    /// Makes the command idempotent.
    pub request_id: RequestId,
    /// Wall-clock time at the proposer, Unix milliseconds.
    pub proposed_at_ms: u64,
    /// Who proposed it.
    pub origin: Origin,
    /// What to do.
    pub action: Action,
}

/// Why the ledger refused a command. Part of the applied result: a rejected
/// command is still in the log, it just changed nothing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum Rejection {
    /// The request id is empty, too long or has odd characters.
    #[error("request id {request_id:?} is invalid: use 1-64 characters of A-Z, a-z, 0-9, '-', '_', '.', ':'")]
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
}

/// An entry of an incident's timeline: the audit trail of who did what, when,
/// why and at which log index.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// The log index of the command.
    pub index: u64,
    /// The proposer's time, Unix milliseconds.
    pub at_ms: u64,
    /// Who proposed it.
    pub origin: Origin,
    /// The request id of the command.
    pub request_id: RequestId,
    /// The status after this step.
    pub status: IncidentStatus,
    /// Why, in words.
    pub reason: String,
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
    /// Every step.
    pub timeline: Vec<TimelineEntry>,
}

/// A unit as the ledger holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    /// Its id.
    pub id: UnitId,
    /// Current status.
    pub status: UnitStatus,
    /// Last known position.
    pub position: Position,
    /// Rises on every change.
    pub version: u64,
    /// Time of the last change, Unix milliseconds.
    pub updated_at_ms: u64,
    /// Log index of the last change.
    pub updated_index: u64,
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
    /// A unit's status changed.
    UnitUpdated {
        /// The unit.
        unit_id: UnitId,
        /// Its new version.
        version: u64,
    },
    /// A node id is retired.
    NodeIdRetired {
        /// The node id.
        node_id: u64,
    },
    /// Units were added to the roster.
    RosterLoaded {
        /// How many were new.
        added: u32,
    },
    /// A blank or membership entry of Raft's own; the ledger is unchanged.
    RaftInternal,
    /// Nothing changed, for this reason.
    Rejected {
        /// Why.
        rejection: Rejection,
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

/// The replicated dispatch state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    incidents: BTreeMap<IncidentId, Incident>,
    units: BTreeMap<UnitId, Unit>,
    /// Every request id seen, with its first answer.
    requests: BTreeMap<RequestId, Applied>,
    last_incident_id: u64,
    /// Node ids removed from the cluster; never to be reused.
    retired_node_ids: std::collections::BTreeSet<u64>,
}

impl Command {
    /// Checks the rules that need no ledger state. Called before proposing
    /// (to answer bad input at once) and again when applying.
    pub fn check(&self) -> Result<(), Rejection> {
        let id = &self.request_id.0;
        let id_ok = !id.is_empty()
            && id.len() <= REQUEST_ID_BYTES_MAX
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
        if !id_ok {
            return Err(Rejection::BadRequestId {
                request_id: id.clone(),
            });
        }
        match &self.action {
            Action::ReportIncident(report) => check_report(report),
            Action::UpdateUnitStatus { position, .. } => match position {
                Some(position) if !position.is_valid() => Err(out_of_range(
                    "position",
                    position,
                    "latitude within -90..=90 and longitude within -180..=180",
                )),
                _ => Ok(()),
            },
            Action::LoadRoster { units } => match units.iter().find(|unit| !unit.home.is_valid()) {
                Some(unit) => Err(out_of_range(
                    "units[].home",
                    unit.home,
                    "a valid WGS-84 position",
                )),
                None => Ok(()),
            },
            Action::RetireNodeId { .. } => Ok(()),
        }
    }
}

fn out_of_range(field: &str, value: impl fmt::Display, fix: &str) -> Rejection {
    Rejection::OutOfRange {
        field: field.to_string(),
        value: value.to_string(),
        fix: fix.to_string(),
    }
}

fn check_report(report: &NewIncident) -> Result<(), Rejection> {
    if report.priority > SCALE_MAX {
        return Err(out_of_range("priority", report.priority, "use 0 to 10"));
    }
    if report.force_level > SCALE_MAX {
        return Err(out_of_range(
            "force_level",
            report.force_level,
            "use 0 to 10",
        ));
    }
    if !report.location.is_valid() {
        return Err(out_of_range(
            "location",
            report.location,
            "latitude within -90..=90 and longitude within -180..=180",
        ));
    }
    if report.description.len() > DESCRIPTION_BYTES_MAX {
        return Err(out_of_range(
            "description",
            format!("{} bytes", report.description.len()),
            "at most 2000 bytes",
        ));
    }
    Ok(())
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
        let effect = match command.check() {
            Err(rejection) => Effect::Rejected { rejection },
            Ok(()) => self.apply_checked(index, command),
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

    fn apply_checked(&mut self, index: u64, command: &Command) -> Effect {
        match &command.action {
            Action::ReportIncident(report) => self.report_incident(index, command, report),
            Action::UpdateUnitStatus {
                unit_id,
                status,
                position,
                expected_version,
            } => {
                let Some(unit) = self.units.get_mut(unit_id) else {
                    return Effect::Rejected {
                        rejection: Rejection::UnknownUnit {
                            unit_id: unit_id.clone(),
                        },
                    };
                };
                if let Some(expected) = expected_version {
                    if *expected != unit.version {
                        return Effect::Rejected {
                            rejection: Rejection::VersionMismatch {
                                unit_id: unit_id.clone(),
                                expected: *expected,
                                actual: unit.version,
                            },
                        };
                    }
                }
                unit.status = *status;
                if let Some(position) = position {
                    unit.position = *position;
                }
                unit.version += 1;
                unit.updated_at_ms = command.proposed_at_ms;
                unit.updated_index = index;
                Effect::UnitUpdated {
                    unit_id: unit_id.clone(),
                    version: unit.version,
                }
            }
            Action::LoadRoster { units } => {
                let mut added = 0;
                for roster_unit in units {
                    if self.units.contains_key(&roster_unit.id) {
                        continue;
                    }
                    added += 1;
                    self.units.insert(
                        roster_unit.id.clone(),
                        Unit {
                            id: roster_unit.id.clone(),
                            status: UnitStatus::Available,
                            position: roster_unit.home,
                            version: 1,
                            updated_at_ms: command.proposed_at_ms,
                            updated_index: index,
                        },
                    );
                }
                Effect::RosterLoaded { added }
            }
            Action::RetireNodeId { node_id } => {
                self.retired_node_ids.insert(*node_id);
                Effect::NodeIdRetired { node_id: *node_id }
            }
        }
    }

    fn report_incident(&mut self, index: u64, command: &Command, report: &NewIncident) -> Effect {
        self.last_incident_id += 1;
        let id = IncidentId(self.last_incident_id);
        let incident = Incident {
            id,
            report: report.clone(),
            status: IncidentStatus::Reported,
            version: 1,
            request_id: command.request_id.clone(),
            reported_at_ms: command.proposed_at_ms,
            reported_index: index,
            timeline: vec![TimelineEntry {
                index,
                at_ms: command.proposed_at_ms,
                origin: command.origin.clone(),
                request_id: command.request_id.clone(),
                status: IncidentStatus::Reported,
                reason: format!("reported by {:?} channel", report.channel),
            }],
        };
        self.incidents.insert(id, incident);
        Effect::IncidentReported { incident_id: id }
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
}
