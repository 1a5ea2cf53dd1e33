//! Ledger records into the API's wire types ([`cordon_api`]): the only
//! place where the ledger's shapes meet the API's JSON, so the log's serde
//! shape never leaks into answers.

use cordon_actors::actor::ActorSnapshot;
use cordon_actors::supervisor::ChildSnapshot;
use cordon_consensus::ledger::move_ups::PostSetBy;
use cordon_consensus::ledger::{self, audit, Effect, Incident, Origin, Unit};
use cordon_consensus::state_machine::AppliedEvent;
use cordon_consensus::{ClusterStatus, MemberStatus};

/// The snake_case name a ledger enum serialises to (`en_route`, `theft`).
pub fn name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|value| value.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A request id as its client knows it: a client's own id without the
/// prefix of the clients' namespace (see `api::CLIENT_REQUEST_ID_PREFIX`),
/// an id a node made as it is.
pub fn client_request_id(request_id: &ledger::RequestId) -> String {
    let id = request_id.0.as_str();
    id.strip_prefix(crate::api::CLIENT_REQUEST_ID_PREFIX)
        .unwrap_or(id)
        .to_string()
}

/// Why the ledger refused a command, as its client reads it: a request id
/// named in the refusal is the id the client sent.
pub fn rejection(rejection: &ledger::Rejection) -> String {
    match rejection {
        ledger::Rejection::RequestIdReused {
            request_id,
            first_index,
        } => ledger::Rejection::RequestIdReused {
            request_id: ledger::RequestId(client_request_id(request_id)),
            first_index: *first_index,
        }
        .to_string(),
        other => other.to_string(),
    }
}

/// One incident with its assignments, plan and verified timeline.
/// An incident as the API shows it, with its `address` on the streets.
pub fn incident(incident: &Incident, address: Option<String>) -> cordon_api::incidents::Incident {
    let report = &incident.report;
    cordon_api::incidents::Incident {
        id: incident.id.to_string(),
        kind: name(&report.kind),
        priority: report.priority,
        force_level: report.force_level,
        lat: report.location.lat(),
        lon: report.location.lon(),
        channel: name(&report.channel),
        description: report.description.clone(),
        address,
        status: name(&incident.status),
        version: incident.version,
        request_id: client_request_id(&incident.request_id),
        reported_at_ms: incident.reported_at_ms,
        reported_index: incident.reported_index,
        ring: incident.ring.map(|ring| ring.number()),
        station: incident.station.as_ref().map(|station| station.0.clone()),
        target_s: incident.target_s,
        on_scene_deadline_ms: incident.on_scene_deadline_ms,
        on_scene_at_ms: incident.on_scene_at_ms,
        units: incident.units.iter().map(|unit| unit.0.clone()).collect(),
        assignments: incident.assignments.iter().map(assignment).collect(),
        aid_asked: incident
            .aid_asked
            .iter()
            .map(|station| station.0.clone())
            .collect(),
        major: incident.major,
        plan: incident.plan.as_ref().map(plan),
        unresourced: incident.unresourced.as_ref().map(unresourced),
        tracking_id: incident.tracking_id.clone(),
        public_info: incident.public_info.as_ref().map(public_info),
        asks: incident.asks.iter().zip(1..).map(district_ask).collect(),
        district_aid: incident.district_aid.iter().map(district_aid).collect(),
        timeline_verified: audit::verify(&incident.timeline).is_ok(),
        timeline: incident.timeline.iter().map(timeline_entry).collect(),
    }
}

/// A member of the roster as the API shows it, `on_duty` now or not.
pub fn roster_member(member: &ledger::Member, on_duty: bool) -> cordon_api::roster::RosterMember {
    cordon_api::roster::RosterMember {
        id: member.id.clone(),
        name: member.name.clone(),
        role: member.role.as_str().to_owned(),
        team: member.team.as_ref().map(|team| team.0.clone()),
        area: member.area.clone(),
        contact: member.contact.clone(),
        skills: member.skills.clone(),
        shifts: member
            .shifts
            .iter()
            .map(|shift| cordon_api::roster::RosterShift {
                days: shift.days,
                start_min: shift.start_min,
                end_min: shift.end_min,
            })
            .collect(),
        available: member.available,
        on_duty,
    }
}

/// A mutual-aid request to a neighbour as the API shows it.
pub fn district_aid(aid: &ledger::DistrictAid) -> cordon_api::incidents::DistrictAidSent {
    let (their_incident_id, failure) = match &aid.delivery {
        ledger::AidDelivery::Delivered { their_incident_id } => {
            (Some(their_incident_id.clone()), None)
        }
        ledger::AidDelivery::Failed { why } => (None, Some(why.clone())),
    };
    cordon_api::incidents::DistrictAidSent {
        neighbour: aid.neighbour.clone(),
        by: aid.by.clone(),
        at_ms: aid.at_ms,
        units: aid.units,
        reason: aid.reason.clone(),
        tracking_id: aid.tracking_id.clone(),
        their_incident_id,
        failure,
        log_index: None,
    }
}

fn district_ask((ask, number): (&ledger::DistrictAsk, u32)) -> cordon_api::incidents::DistrictAsk {
    cordon_api::incidents::DistrictAsk {
        number,
        by: ask.by.clone(),
        level: ask.level.to_string(),
        at_ms: ask.at_ms,
        ring: ask.ring.number(),
        units: ask.units,
        reason: ask.reason.clone(),
        answer: ask
            .answer
            .as_ref()
            .map(|answer| cordon_api::incidents::DistrictAnswer {
                by: answer.by.clone(),
                level: answer.level.to_string(),
                at_ms: answer.at_ms,
                granted: answer.granted,
                note: answer.note.clone(),
            }),
    }
}

fn public_info(info: &ledger::PublicInfo) -> cordon_api::incidents::PublicInfo {
    cordon_api::incidents::PublicInfo {
        why: info.why.clone(),
        since_ms: info.since_ms,
        due_ms: info.due_ms,
        reminders: info.reminders,
        overdue: info.overdue(),
        release: info
            .release
            .as_ref()
            .map(|release| cordon_api::incidents::PublicReleaseMade {
                text: release.text.clone(),
                approved_by: release.approved_by.clone(),
                at_ms: release.at_ms,
            }),
    }
}

fn assignment(assignment: &ledger::Assignment) -> cordon_api::incidents::Assignment {
    cordon_api::incidents::Assignment {
        unit_id: assignment.unit_id.0.clone(),
        index: assignment.index,
        eta_s: assignment.eta_s,
        target_s: assignment.target_s,
        breach: assignment.breach,
    }
}

fn unresourced(mark: &ledger::Unresourced) -> cordon_api::incidents::Unresourced {
    cordon_api::incidents::Unresourced {
        since_ms: mark.since_ms,
        since_index: mark.since_index,
        reason: mark.reason.clone(),
        acknowledged: mark.acknowledged.as_ref().map(|ack| {
            cordon_api::incidents::Acknowledgement {
                by: ack.by.clone(),
                at_ms: ack.at_ms,
                index: ack.index,
            }
        }),
    }
}

fn plan(plan: &ledger::Plan) -> cordon_api::incidents::Plan {
    use cordon_api::incidents as wire;
    let parts = &plan.parts;
    wire::Plan {
        lines: parts
            .lines
            .iter()
            .map(|line| wire::PlanLine {
                ring: line.ring.number(),
                unit_id: line.unit_id.0.clone(),
                eta_s: line.eta_s,
                role: name(&line.role),
                destination: point(&line.destination),
            })
            .collect(),
        cordon_points: parts.cordon_points.iter().map(point).collect(),
        facilities: parts
            .facilities
            .iter()
            .map(|facility| wire::PlanFacility {
                kind: name(&facility.kind),
                id: facility.id.clone(),
                name: facility.name.clone(),
                position: point(&facility.position),
                eta_s: facility.eta_s,
            })
            .collect(),
        shortfalls: parts
            .shortfalls
            .iter()
            .map(|shortfall| wire::PlanShortfall {
                ring: shortfall.ring.number(),
                role: name(&shortfall.role),
                units_missing: shortfall.units_missing,
            })
            .collect(),
        units_short: parts.units_short(),
        auto_approve_at_ms: plan.auto_approve_at_ms,
        approved_index: plan.approved_index,
        approved_level: plan.approved_level.as_ref().map(ToString::to_string),
    }
}

/// A ledger position in degrees.
fn point(position: &ledger::Position) -> cordon_api::incidents::PlanPoint {
    cordon_api::incidents::PlanPoint {
        lat: position.lat(),
        lon: position.lon(),
    }
}

/// A timeline entry, with the unit its step is about.
fn timeline_entry(entry: &ledger::TimelineEntry) -> cordon_api::incidents::TimelineEntry {
    cordon_api::incidents::TimelineEntry {
        index: entry.index,
        at_ms: entry.at_ms,
        origin: origin(&entry.origin),
        request_id: client_request_id(&entry.request_id),
        step: entry.step.name().to_string(),
        unit_id: entry.step.unit_id().map(|unit| unit.0.clone()),
        status: name(&entry.status),
        reason: entry.reason.clone(),
        hash: entry.hash.clone(),
    }
}

/// Who proposed a change.
pub fn origin(origin: &Origin) -> cordon_api::incidents::Origin {
    use cordon_api::incidents::Origin as Wire;
    match origin {
        Origin::Api {
            node,
            client,
            principal,
        } => Wire::Api {
            node: *node,
            client: client.clone(),
            principal: self::principal(principal),
        },
        Origin::Operator => Wire::Operator,
        Origin::System { node } => Wire::System { node: *node },
        Origin::Actor { actor, epoch, node } => Wire::Actor {
            actor: actor.to_string(),
            epoch: *epoch,
            node: *node,
        },
    }
}

/// A principal as the audit trail names it.
pub fn principal(principal: &ledger::Principal) -> cordon_api::access::Principal {
    cordon_api::access::Principal {
        name: principal.name.clone(),
        roles: principal.roles.iter().map(ToString::to_string).collect(),
        credential: principal.credential.to_string(),
    }
}

/// The operator audit log, with whether its chain verifies.
pub fn audit_log(entries: &[ledger::OperatorAuditEntry]) -> cordon_api::access::AuditLog {
    cordon_api::access::AuditLog {
        entries: entries
            .iter()
            .map(|entry| cordon_api::access::AuditEntry {
                index: entry.index,
                at_ms: entry.at_ms,
                origin: origin(&entry.origin),
                request_id: entry.request_id.0.clone(),
                action: entry.action.clone(),
                detail: entry.detail.clone(),
                hash: entry.hash.clone(),
            })
            .collect(),
        verified: ledger::audit::verify_operator(entries).is_ok(),
    }
}

/// One unit.
pub fn unit(unit: &Unit) -> cordon_api::units::Unit {
    cordon_api::units::Unit {
        id: unit.id.0.clone(),
        ring: unit.ring.number(),
        status: name(&unit.status),
        next_statuses: unit.status.next_statuses().iter().map(name).collect(),
        status_since_ms: unit.status_since_ms,
        checked_in_ms: unit.checked_in_ms,
        alert: unit
            .alert
            .as_ref()
            .map(|alert| cordon_api::units::UnitAlert {
                kind: alert.kind.name().to_owned(),
                since_ms: alert.since_ms,
                index: alert.index,
                incident_id: alert.incident_id.map(|id| id.to_string()),
            }),
        assigned_to: unit.assigned_to.map(|id| id.to_string()),
        lat: unit.position.lat(),
        lon: unit.position.lon(),
        version: unit.version,
        updated_at_ms: unit.updated_at_ms,
        updated_index: unit.updated_index,
        post: unit.post.as_ref().map(|post| cordon_api::units::UnitPost {
            lat: post.position.lat(),
            lon: post.position.lon(),
            name: post.name.clone(),
            move_up_id: match post.set_by {
                PostSetBy::MoveUp(id) => Some(id),
                PostSetBy::Hazard(_) => None,
            },
            hazard_id: match post.set_by {
                PostSetBy::Hazard(id) => Some(id),
                PostSetBy::MoveUp(_) => None,
            },
            since_ms: post.since_ms,
        }),
    }
}

/// One move-up.
pub fn move_up(move_up: &ledger::MoveUp) -> cordon_api::move_ups::MoveUp {
    let parts = &move_up.parts;
    cordon_api::move_ups::MoveUp {
        id: move_up.id,
        ring: parts.ring.number(),
        status: move_up.status.to_string(),
        lines: parts
            .lines
            .iter()
            .map(|line| cordon_api::move_ups::MoveUpLine {
                unit_id: line.unit_id.0.clone(),
                lat: line.post.lat(),
                lon: line.post.lon(),
                post_name: line.post_name.clone(),
                travel_s: line.travel_s,
            })
            .collect(),
        coverage_before: f64::from(parts.coverage_before_ppm) / 1e6,
        coverage_after: f64::from(parts.coverage_after_ppm) / 1e6,
        reason: parts.reason.clone(),
        proposed_by: move_up.proposed_by.clone(),
        proposed_at_ms: move_up.proposed_at_ms,
        decided_by: move_up.decided_by.clone(),
        decided_at_ms: move_up.decided_at_ms,
        note: move_up.note.clone(),
    }
}

/// What applying a command did.
pub fn effect(effect: &Effect) -> cordon_api::events::Effect {
    use cordon_api::events::Effect as Wire;
    match effect {
        Effect::IncidentReported { incident_id } => Wire::IncidentReported {
            incident_id: incident_id.0,
        },
        Effect::IncidentUpdated {
            incident_id,
            status,
            version,
        } => Wire::IncidentUpdated {
            incident_id: incident_id.0,
            status: name(status),
            version: *version,
        },
        Effect::UnitUpdated { unit_id, version } => Wire::UnitUpdated {
            unit_id: unit_id.0.clone(),
            version: *version,
        },
        Effect::RosterLoaded { added } => Wire::RosterLoaded { added: *added },
        Effect::NodeIdRetired { node_id } => Wire::NodeIdRetired { node_id: *node_id },
        Effect::ActorPlaced { actor, node, epoch } => Wire::ActorPlaced {
            actor: actor.to_string(),
            node: *node,
            epoch: *epoch,
        },
        Effect::NodeDrained { node_id, drained } => Wire::NodeDrained {
            node_id: *node_id,
            drained: *drained,
        },
        Effect::Dismissed { count } => Wire::Dismissed { count: *count },
        Effect::RaftInternal => Wire::RaftInternal,
        Effect::Rejected { rejection: refused } => Wire::Rejected {
            rejection: rejection(refused),
        },
        Effect::TokenIssued { token_id } => Wire::TokenIssued {
            token_id: token_id.clone(),
        },
        Effect::TokenRevoked { token_id } => Wire::TokenRevoked {
            token_id: token_id.clone(),
        },
        Effect::OperatorActionRecorded => Wire::OperatorActionRecorded,
        Effect::Noted { bytes } => Wire::Noted { bytes: *bytes },
        Effect::ActorFailed { actor, node, epoch } => Wire::ActorFailed {
            actor: actor.to_string(),
            node: *node,
            epoch: *epoch,
        },
        Effect::IncidentsTriaged { count } => Wire::IncidentsTriaged { count: *count },
        Effect::MoveUpProposed { move_up_id, status } => Wire::MoveUpProposed {
            move_up_id: *move_up_id,
            status: status.to_string(),
        },
        Effect::MoveUpDecided { move_up_id, status } => Wire::MoveUpDecided {
            move_up_id: *move_up_id,
            status: status.to_string(),
        },
        Effect::HazardChanged { hazard_id, stage } => Wire::HazardChanged {
            hazard_id: *hazard_id,
            stage: stage.clone(),
        },
        Effect::HazardEscalated { hazard_id, level } => Wire::HazardEscalated {
            hazard_id: *hazard_id,
            level: *level,
        },
        Effect::CrowdCounted { kept, resent } => Wire::CrowdCounted {
            kept: *kept,
            resent: *resent,
        },
        Effect::MembersLoaded { count } => Wire::MembersLoaded { count: *count },
    }
}

/// One `applied` event of the event stream.
pub fn applied_event(event: &AppliedEvent) -> cordon_api::events::Applied {
    cordon_api::events::Applied {
        index: event.index,
        action: event.action.to_string(),
        effect: effect(&event.effect),
        incidents: event.incidents.iter().map(|id| id.0).collect(),
    }
}

/// The answer to a command that changed something.
pub fn committed(applied: &ledger::Applied) -> cordon_api::incidents::Committed {
    cordon_api::incidents::Committed {
        log_index: applied.index,
        effect: effect(&applied.effect),
    }
}

/// A node's view of the cluster.
pub fn cluster_status(status: ClusterStatus) -> cordon_api::cluster::ClusterStatus {
    cordon_api::cluster::ClusterStatus {
        cluster: status.cluster,
        node_id: status.node_id,
        role: status.role,
        leader_id: status.leader_id,
        term: status.term,
        last_log_index: status.last_log_index,
        committed_index: status.committed_index,
        applied_index: status.applied_index,
        snapshot_index: status.snapshot_index,
        millis_since_quorum_ack: status.millis_since_quorum_ack,
        members: status.members.into_iter().map(member).collect(),
    }
}

fn member(member: MemberStatus) -> cordon_api::cluster::Member {
    cordon_api::cluster::Member {
        id: member.id,
        name: member.name,
        quic_addr: member.quic_addr,
        api_addr: member.api_addr,
        voter: member.voter,
        matched_index: member.matched_index,
        lag: member.lag,
    }
}

/// An actor's failure past its restart budget, as the ledger records it.
pub fn actor_failure(failure: &ledger::ActorFailure) -> cordon_api::actors::ActorFailure {
    cordon_api::actors::ActorFailure {
        node: failure.node,
        epoch: failure.epoch,
        restarts: failure.restarts,
        reason: failure.reason.clone(),
        at_ms: failure.at_ms,
        log_index: failure.index,
    }
}

/// A supervised actor as this node's supervisor reports it.
pub fn supervised_actor(child: &ChildSnapshot) -> cordon_api::actors::SupervisedActor {
    cordon_api::actors::SupervisedActor {
        actor: child.actor.clone(),
        node: child.node,
        epoch: child.epoch,
        status: name(&child.status),
        restarts: child.restarts,
        last_failure: child.last_failure.clone(),
        supervisor: child.supervisor.clone(),
        state: child.state.as_ref().map(actor_state),
    }
}

fn actor_state(state: &ActorSnapshot) -> cordon_api::actors::ActorState {
    cordon_api::actors::ActorState {
        actor: state.actor.clone(),
        epoch: state.epoch,
        handled: state.handled,
        rejected: state.rejected,
        fenced: state.fenced,
        last_error: state.last_error.clone(),
        children: state.children.iter().map(supervised_actor).collect(),
    }
}

/// A hazard of the register.
pub fn hazard(hazard: &ledger::hazards::Hazard) -> cordon_api::hazards::Hazard {
    use cordon_api::hazards::{Hazard as Wire, HazardMeasure, HazardStep, HazardWarning};
    use ledger::hazards::{HazardSource, Verifier};
    let (source, warning) = match &hazard.source {
        HazardSource::CrowdWarning {
            band,
            expected_at_ms,
            confidence_ppm,
            expected_count,
        } => (
            "crowd_warning",
            Some(HazardWarning {
                band: band.clone(),
                expected_at_ms: *expected_at_ms,
                confidence: f64::from(*confidence_ppm) / 1e6,
                expected_count: *expected_count,
            }),
        ),
        HazardSource::Sensor => ("sensor", None),
        HazardSource::Report => ("report", None),
        HazardSource::Patrol => ("patrol", None),
    };
    Wire {
        id: hazard.id,
        area: hazard.area.clone(),
        station: hazard.station.as_ref().map(ToString::to_string),
        lat: hazard.position.map(|p| p.lat()),
        lon: hazard.position.map(|p| p.lon()),
        source: source.to_string(),
        warning,
        summary: hazard.summary.clone(),
        stage: hazard.stage.as_str().to_string(),
        deadline_ms: hazard.deadline_ms,
        verifier: hazard.verifier.as_ref().map(|verifier| match verifier {
            Verifier::Station(station) => format!("station:{station}"),
            Verifier::Unit(unit) => format!("unit:{unit}"),
        }),
        escalation_level: hazard.escalation_level,
        measures: hazard
            .measures
            .iter()
            .map(|(kind, unit, note)| HazardMeasure {
                kind: name(kind),
                unit_id: unit.as_ref().map(|unit| unit.0.clone()),
                note: note.clone(),
            })
            .collect(),
        trail: hazard
            .trail
            .iter()
            .map(|step| HazardStep {
                at_ms: step.at_ms,
                index: step.index,
                by: step.by.clone(),
                stage: step.stage.as_str().to_string(),
                note: step.note.clone(),
            })
            .collect(),
    }
}

/// The street graph as a map: each way with its pieces, once per pair of
/// adjacent nodes whichever way it runs.
pub fn street_map(
    graph: &cordon_config::district::streets::StreetGraph,
) -> cordon_api::cluster::StreetMap {
    let nodes = graph.nodes();
    let mut ways: Vec<cordon_api::cluster::StreetWay> = graph
        .ways()
        .iter()
        .map(|way| cordon_api::cluster::StreetWay {
            id: way.id.clone(),
            name: way.name.clone(),
            class: way.class.as_str().to_string(),
            segments: Vec::new(),
        })
        .collect();
    let mut drawn = std::collections::BTreeSet::new();
    for edge in graph.edges() {
        let pair = (edge.way, edge.from.min(edge.to), edge.from.max(edge.to));
        if !drawn.insert(pair) {
            continue;
        }
        let at = |index: u32| {
            let node = &nodes[index as usize];
            [node.at.lat, node.at.lon]
        };
        if let Some(way) = ways.get_mut(edge.way as usize) {
            way.segments.push([at(edge.from), at(edge.to)]);
        }
    }
    cordon_api::cluster::StreetMap {
        name: graph.name().to_string(),
        ways,
    }
}
