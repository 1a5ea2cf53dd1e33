//! Commands: what a proposer asks the ledger to do, with everything the
//! proposer stamps (request id, time, origin), and the stateless checks run
//! both before proposing and when applying.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ids::{
    ActorId, Channel, IncidentId, IncidentKind, Position, RequestId, Ring, StationId, UnitId,
    UnitStatus,
};
use super::model::{PlanLine, Rejection};

/// Longest request id accepted.
pub const REQUEST_ID_BYTES_MAX: usize = 128;
/// Longest free-text field (description, reason).
pub const TEXT_BYTES_MAX: usize = 2_000;
/// Highest priority and force level.
pub const SCALE_MAX: u8 = 10;
/// Most units in one mobilisation plan.
pub const PLAN_LINES_MAX: usize = 64;
/// Most units in one roster load.
pub const ROSTER_UNITS_MAX: usize = 10_000;

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
    /// The node itself (roster loading, placement by the leader).
    System {
        /// The proposing node.
        node: u64,
    },
    /// An actor, fenced by its placement epoch.
    Actor {
        /// The actor.
        actor: ActorId,
        /// The placement epoch it runs under.
        epoch: u64,
        /// The node it runs on.
        node: u64,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Api { node, client } => write!(f, "api@node-{node} from {client}"),
            Origin::Operator => f.write_str("operator"),
            Origin::System { node } => write!(f, "system@node-{node}"),
            Origin::Actor { actor, epoch, node } => write!(f, "{actor}#{epoch}@node-{node}"),
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
    /// Its ring.
    pub ring: Ring,
}

/// What a command asks the ledger to do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Action {
    /// Record a new incident; the hub is told to triage it.
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
    /// Hub: classify an incident and hand it to a ring (or its station).
    TriageIncident {
        /// The incident.
        incident_id: IncidentId,
        /// The ring that responds first.
        ring: Ring,
        /// The owning station (whose zone contains the location), if any.
        station: Option<StationId>,
        /// The run card applied.
        run_card: String,
        /// On-scene target for this ring at this place.
        target_s: u32,
        /// Major incidents get a mobilisation plan before dispatch.
        major: bool,
    },
    /// Station, ring or hub: assign a unit, conditional on its version.
    AssignUnit {
        /// The incident.
        incident_id: IncidentId,
        /// The unit.
        unit_id: UnitId,
        /// The unit version the choice was made on.
        expected_unit_version: u64,
        /// Estimated time to reach the scene.
        eta_s: u32,
    },
    /// Hand an incident outward to another ring.
    Escalate {
        /// The incident.
        incident_id: IncidentId,
        /// The ring it goes to (above the current one).
        to_ring: Ring,
        /// Why.
        reason: String,
    },
    /// Station: ask a neighbouring station for one of its groups.
    RequestMutualAid {
        /// The incident.
        incident_id: IncidentId,
        /// The neighbouring station asked.
        to_station: StationId,
        /// Why.
        reason: String,
    },
    /// Hub: a force-mobilisation plan for a major incident, for approval.
    ProposePlan {
        /// The incident.
        incident_id: IncidentId,
        /// Units per ring with ETAs and roles.
        lines: Vec<PlanLine>,
        /// Approved automatically at this time (Unix ms) unless a commander acts first.
        auto_approve_at_ms: u64,
    },
    /// A commander (or the hub after the automatic-approval time) approves a plan.
    ApprovePlan {
        /// The incident.
        incident_id: IncidentId,
    },
    /// Close an incident with an outcome; its units are released.
    ResolveIncident {
        /// The incident.
        incident_id: IncidentId,
        /// The outcome, in words.
        reason: String,
    },
    /// Withdraw an incident (duplicate, false alarm); its units are released.
    CancelIncident {
        /// The incident.
        incident_id: IncidentId,
        /// Why.
        reason: String,
    },
    /// Leader: place an actor on a node under a new, higher epoch.
    PlaceActor {
        /// The actor.
        actor: ActorId,
        /// The node that hosts it from now on.
        node: u64,
        /// The new epoch; must exceed the current one.
        epoch: u64,
    },
    /// Operator: drain a node (its actors move away and stay away) or undrain it.
    SetNodeDrained {
        /// The node.
        node_id: u64,
        /// True to drain, false to let actors return.
        drained: bool,
    },
    /// Actor: drop pending messages that need no action (moot), by sequence.
    Dismiss {
        /// Why they need no action.
        reason: String,
    },
}

impl Action {
    /// A short name for logs and timelines.
    pub fn name(&self) -> &'static str {
        match self {
            Action::ReportIncident(_) => "report_incident",
            Action::UpdateUnitStatus { .. } => "update_unit_status",
            Action::LoadRoster { .. } => "load_roster",
            Action::RetireNodeId { .. } => "retire_node_id",
            Action::TriageIncident { .. } => "triage_incident",
            Action::AssignUnit { .. } => "assign_unit",
            Action::Escalate { .. } => "escalate",
            Action::RequestMutualAid { .. } => "request_mutual_aid",
            Action::ProposePlan { .. } => "propose_plan",
            Action::ApprovePlan { .. } => "approve_plan",
            Action::ResolveIncident { .. } => "resolve_incident",
            Action::CancelIncident { .. } => "cancel_incident",
            Action::PlaceActor { .. } => "place_actor",
            Action::SetNodeDrained { .. } => "set_node_drained",
            Action::Dismiss { .. } => "dismiss",
        }
    }
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
    /// Pending messages of the proposing actor that this command handles;
    /// they leave its queue in the same apply, so a message is acted on once.
    pub consumes: Vec<u64>,
    /// The proposer's trace context (W3C `traceparent`); messages this
    /// command enqueues carry it to the actor that handles them. Never read
    /// by the ledger's rules.
    pub traceparent: Option<String>,
}

impl Command {
    /// A command that handles no pending message.
    pub fn new(
        request_id: RequestId,
        proposed_at_ms: u64,
        origin: Origin,
        action: Action,
    ) -> Command {
        Command {
            request_id,
            proposed_at_ms,
            origin,
            action,
            consumes: Vec::new(),
            traceparent: None,
        }
    }

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
        if !self.consumes.is_empty() && !matches!(self.origin, Origin::Actor { .. }) {
            return Err(out_of_range(
                "consumes",
                format!("{:?}", self.consumes),
                "only actors consume pending messages",
            ));
        }
        check_action(&self.action)
    }
}

pub(crate) fn out_of_range(field: &str, value: impl fmt::Display, fix: &str) -> Rejection {
    Rejection::OutOfRange {
        field: field.to_string(),
        value: value.to_string(),
        fix: fix.to_string(),
    }
}

fn check_text(field: &str, text: &str) -> Result<(), Rejection> {
    if text.len() > TEXT_BYTES_MAX {
        return Err(out_of_range(
            field,
            format!("{} bytes", text.len()),
            "at most 2000 bytes",
        ));
    }
    Ok(())
}

fn check_action(action: &Action) -> Result<(), Rejection> {
    match action {
        Action::ReportIncident(report) => check_report(report),
        Action::UpdateUnitStatus { position, .. } => match position {
            Some(position) if !position.is_valid() => Err(out_of_range(
                "position",
                position,
                "latitude within -90..=90 and longitude within -180..=180",
            )),
            _ => Ok(()),
        },
        Action::LoadRoster { units } => {
            if units.len() > ROSTER_UNITS_MAX {
                return Err(out_of_range("units", units.len(), "at most 10000 units"));
            }
            for unit in units {
                if !unit.home.is_valid() {
                    return Err(out_of_range(
                        "units[].home",
                        unit.home,
                        "a valid WGS-84 position",
                    ));
                }
            }
            Ok(())
        }
        Action::TriageIncident { run_card, .. } => check_text("run_card", run_card),
        Action::Escalate { reason, .. }
        | Action::RequestMutualAid { reason, .. }
        | Action::ResolveIncident { reason, .. }
        | Action::CancelIncident { reason, .. }
        | Action::Dismiss { reason } => check_text("reason", reason),
        Action::ProposePlan { lines, .. } => {
            if lines.is_empty() || lines.len() > PLAN_LINES_MAX {
                return Err(out_of_range(
                    "lines",
                    lines.len(),
                    "a plan has 1 to 64 lines",
                ));
            }
            Ok(())
        }
        Action::PlaceActor { .. }
        | Action::AssignUnit { .. }
        | Action::ApprovePlan { .. }
        | Action::RetireNodeId { .. }
        | Action::SetNodeDrained { .. } => Ok(()),
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
    check_text("description", &report.description)
}
