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
//! Modules: [`ids`] (identifiers and enumerations), [`command`] (commands and
//! stateless checks), [`model`] (records and answers), [`audit`] (the
//! timeline hash chain).

pub mod audit;
pub mod command;
pub mod ids;
pub mod model;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

pub use command::{
    Action, Command, NewIncident, Origin, RosterUnit, PLAN_LINES_MAX, REQUEST_ID_BYTES_MAX,
    SCALE_MAX, TEXT_BYTES_MAX,
};
pub use ids::{
    ActorId, Channel, IncidentId, IncidentKind, IncidentStatus, Position, RequestId, Ring,
    StationId, UnitId, UnitStatus,
};
pub use model::{
    Applied, Assignment, Effect, Envelope, Incident, Message, Placement, Plan, PlanLine, PlanRole,
    Rejection, TimelineEntry, Unit,
};

use command::out_of_range;

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

/// The context of one apply: index, time and origin of the command.
struct Step<'a> {
    index: u64,
    command: &'a Command,
}

impl Step<'_> {
    fn at_ms(&self) -> u64 {
        self.command.proposed_at_ms
    }
}

type Outcome = Result<Effect, Rejection>;

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
            .and_then(|()| self.apply_checked(&step));
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

    /// Fencing and permissions: who may propose what.
    fn check_origin(&self, command: &Command) -> Result<(), Rejection> {
        let wrong_origin = || Rejection::WrongOrigin {
            action: command.action.name().to_string(),
            origin: command.origin.to_string(),
        };
        if let Origin::Actor { actor, epoch, .. } = &command.origin {
            let current = self.placements.get(actor).map(|p| p.epoch);
            if current != Some(*epoch) {
                return Err(Rejection::StaleEpoch {
                    actor: actor.clone(),
                    epoch: *epoch,
                    current,
                });
            }
            let queue = self.pending.get(actor);
            for seq in &command.consumes {
                if !queue.is_some_and(|q| q.contains_key(seq)) {
                    return Err(Rejection::NotPending {
                        actor: actor.clone(),
                        seq: *seq,
                    });
                }
            }
        }
        let allowed = match (&command.action, &command.origin) {
            (Action::PlaceActor { .. }, origin) => matches!(origin, Origin::System { .. }),
            (Action::Dismiss { .. }, origin) => matches!(origin, Origin::Actor { .. }),
            (Action::TriageIncident { .. } | Action::ProposePlan { .. }, origin) => matches!(
                origin,
                Origin::Actor {
                    actor: ActorId::Hub,
                    ..
                } | Origin::Operator
            ),
            (
                Action::LoadRoster { .. }
                | Action::RetireNodeId { .. }
                | Action::SetNodeDrained { .. },
                origin,
            ) => {
                matches!(origin, Origin::System { .. } | Origin::Operator)
            }
            _ => true,
        };
        if allowed {
            Ok(())
        } else {
            Err(wrong_origin())
        }
    }

    fn apply_checked(&mut self, step: &Step<'_>) -> Outcome {
        match &step.command.action {
            Action::ReportIncident(report) => Ok(self.report_incident(step, report)),
            Action::UpdateUnitStatus {
                unit_id,
                status,
                position,
                expected_version,
            } => self.update_unit_status(step, unit_id, *status, *position, *expected_version),
            Action::LoadRoster { units } => Ok(self.load_roster(step, units)),
            Action::RetireNodeId { node_id } => {
                self.retired_node_ids.insert(*node_id);
                Ok(Effect::NodeIdRetired { node_id: *node_id })
            }
            Action::TriageIncident {
                incident_id,
                ring,
                station,
                run_card,
                target_s,
                major,
            } => self.triage(
                step,
                *incident_id,
                *ring,
                station.clone(),
                run_card,
                *target_s,
                *major,
            ),
            Action::AssignUnit {
                incident_id,
                unit_id,
                expected_unit_version,
                eta_s,
            } => self.assign(step, *incident_id, unit_id, *expected_unit_version, *eta_s),
            Action::Escalate {
                incident_id,
                to_ring,
                reason,
            } => self.escalate(step, *incident_id, *to_ring, reason),
            Action::RequestMutualAid {
                incident_id,
                to_station,
                reason,
            } => self.request_mutual_aid(step, *incident_id, to_station, reason),
            Action::ProposePlan {
                incident_id,
                lines,
                auto_approve_at_ms,
            } => self.propose_plan(step, *incident_id, lines, *auto_approve_at_ms),
            Action::ApprovePlan { incident_id } => self.approve_plan(step, *incident_id),
            Action::ResolveIncident {
                incident_id,
                reason,
            } => self.close(step, *incident_id, IncidentStatus::Resolved, reason),
            Action::CancelIncident {
                incident_id,
                reason,
            } => self.close(step, *incident_id, IncidentStatus::Cancelled, reason),
            Action::PlaceActor { actor, node, epoch } => self.place(step, actor, *node, *epoch),
            Action::SetNodeDrained { node_id, drained } => {
                if *drained {
                    self.drained_nodes.insert(*node_id);
                } else {
                    self.drained_nodes.remove(node_id);
                }
                Ok(Effect::NodeDrained {
                    node_id: *node_id,
                    drained: *drained,
                })
            }
            Action::Dismiss { .. } => Ok(Effect::Dismissed {
                count: step.command.consumes.len() as u32,
            }),
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

    fn enqueue(&mut self, step: &Step<'_>, to: ActorId, message: Message) {
        self.last_message_seq += 1;
        let seq = self.last_message_seq;
        let envelope = Envelope {
            seq,
            to: to.clone(),
            message,
            index: step.index,
            at_ms: step.at_ms(),
            traceparent: step.command.traceparent.clone(),
        };
        self.pending.entry(to).or_default().insert(seq, envelope);
    }

    fn open_incident(&self, incident_id: IncidentId, action: &str) -> Result<&Incident, Rejection> {
        let incident = self
            .incidents
            .get(&incident_id)
            .ok_or(Rejection::UnknownIncident { incident_id })?;
        if !incident.status.is_open() {
            return Err(Rejection::WrongIncidentStatus {
                incident_id,
                status: incident.status,
                action: action.to_string(),
            });
        }
        Ok(incident)
    }

    /// Appends a timeline entry (hash-chained) and bumps the version.
    fn record(
        &mut self,
        step: &Step<'_>,
        incident_id: IncidentId,
        step_name: &str,
        status: IncidentStatus,
        reason: String,
    ) -> Effect {
        let incident = self
            .incidents
            .get_mut(&incident_id)
            .expect("callers check the incident exists before recording");
        incident.status = status;
        incident.version += 1;
        audit::append(
            &mut incident.timeline,
            step.index,
            step.at_ms(),
            &step.command.origin,
            &step.command.request_id,
            step_name,
            status,
            reason,
        );
        Effect::IncidentUpdated {
            incident_id,
            status,
            version: incident.version,
        }
    }

    fn report_incident(&mut self, step: &Step<'_>, report: &NewIncident) -> Effect {
        self.last_incident_id += 1;
        let id = IncidentId(self.last_incident_id);
        let mut timeline = Vec::new();
        audit::append(
            &mut timeline,
            step.index,
            step.at_ms(),
            &step.command.origin,
            &step.command.request_id,
            "reported",
            IncidentStatus::Reported,
            format!("{} reported by {:?}", report.kind.name(), report.channel),
        );
        let incident = Incident {
            id,
            report: report.clone(),
            status: IncidentStatus::Reported,
            version: 1,
            request_id: step.command.request_id.clone(),
            reported_at_ms: step.at_ms(),
            reported_index: step.index,
            ring: None,
            station: None,
            target_s: None,
            on_scene_deadline_ms: None,
            on_scene_at_ms: None,
            units: Vec::new(),
            assignments: Vec::new(),
            aid_asked: Vec::new(),
            major: false,
            plan: None,
            timeline,
        };
        self.incidents.insert(id, incident);
        self.enqueue(step, ActorId::Hub, Message::Triage { incident_id: id });
        Effect::IncidentReported { incident_id: id }
    }

    fn load_roster(&mut self, step: &Step<'_>, units: &[RosterUnit]) -> Effect {
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
                    ring: roster_unit.ring,
                    status: UnitStatus::Available,
                    position: roster_unit.home,
                    assigned_to: None,
                    version: 1,
                    updated_at_ms: step.at_ms(),
                    updated_index: step.index,
                },
            );
        }
        Effect::RosterLoaded { added }
    }

    fn update_unit_status(
        &mut self,
        step: &Step<'_>,
        unit_id: &UnitId,
        status: UnitStatus,
        position: Option<Position>,
        expected_version: Option<u64>,
    ) -> Outcome {
        let unit = self
            .units
            .get(unit_id)
            .ok_or_else(|| Rejection::UnknownUnit {
                unit_id: unit_id.clone(),
            })?;
        if let Some(expected) = expected_version {
            if expected != unit.version {
                return Err(Rejection::VersionMismatch {
                    unit_id: unit_id.clone(),
                    expected,
                    actual: unit.version,
                });
            }
        }
        let assigned_to = unit.assigned_to;
        let releases = matches!(
            status,
            UnitStatus::Available | UnitStatus::Returning | UnitStatus::OutOfService
        );
        let unit = self.units.get_mut(unit_id).expect("checked above");
        unit.status = status;
        if let Some(position) = position {
            unit.position = position;
        }
        unit.version += 1;
        unit.updated_at_ms = step.at_ms();
        unit.updated_index = step.index;
        if releases {
            unit.assigned_to = None;
        }
        let version = unit.version;
        if let Some(incident_id) = assigned_to {
            self.follow_unit(step, incident_id, unit_id, status, releases);
        }
        Ok(Effect::UnitUpdated {
            unit_id: unit_id.clone(),
            version,
        })
    }

    /// An assigned unit's status moves its incident on.
    fn follow_unit(
        &mut self,
        step: &Step<'_>,
        incident_id: IncidentId,
        unit_id: &UnitId,
        status: UnitStatus,
        releases: bool,
    ) {
        let Some(incident) = self.incidents.get_mut(&incident_id) else {
            return;
        };
        if releases {
            incident.units.retain(|u| u != unit_id);
            let current = incident.status;
            self.record(
                step,
                incident_id,
                "unit_released",
                current,
                format!("{unit_id} is {status:?}"),
            );
            return;
        }
        let next = match (status, incident.status) {
            (UnitStatus::EnRoute, IncidentStatus::Assigned) => Some(IncidentStatus::EnRoute),
            (
                UnitStatus::OnScene,
                IncidentStatus::Assigned | IncidentStatus::EnRoute | IncidentStatus::Escalated,
            ) => Some(IncidentStatus::OnScene),
            _ => None,
        };
        if status == UnitStatus::OnScene && incident.on_scene_at_ms.is_none() {
            incident.on_scene_at_ms = Some(step.at_ms());
        }
        if let Some(next) = next {
            let late = incident
                .on_scene_deadline_ms
                .filter(|deadline| next == IncidentStatus::OnScene && step.at_ms() > *deadline)
                .map(|deadline| format!(", {} ms past the target", step.at_ms() - deadline))
                .unwrap_or_default();
            let step_name = if next == IncidentStatus::OnScene {
                "on_scene"
            } else {
                "en_route"
            };
            self.record(
                step,
                incident_id,
                step_name,
                next,
                format!("{unit_id} is {status:?}{late}"),
            );
        }
    }

    #[allow(clippy::too_many_arguments)] // reason: mirrors the fields of Action::TriageIncident
    fn triage(
        &mut self,
        step: &Step<'_>,
        incident_id: IncidentId,
        ring: Ring,
        station: Option<StationId>,
        run_card: &str,
        target_s: u32,
        major: bool,
    ) -> Outcome {
        let incident = self.open_incident(incident_id, "triage")?;
        if incident.status != IncidentStatus::Reported {
            return Err(Rejection::WrongIncidentStatus {
                incident_id,
                status: incident.status,
                action: "triage".into(),
            });
        }
        let incident = self.incidents.get_mut(&incident_id).expect("checked above");
        incident.ring = Some(ring);
        incident.station = station.clone();
        incident.target_s = Some(target_s);
        incident.major = major;
        let reason = format!(
            "ring {}, station {}, run card {run_card}, target {target_s} s{}",
            ring.number(),
            station.as_ref().map_or("-", StationId::as_str),
            if major {
                ", major: mobilisation plan"
            } else {
                ""
            }
        );
        let effect = self.record(
            step,
            incident_id,
            "triaged",
            IncidentStatus::Triaged,
            reason,
        );
        let to = if major {
            ActorId::Hub
        } else {
            responder(ring, station)
        };
        self.enqueue(step, to, Message::Dispatch { incident_id });
        Ok(effect)
    }

    fn assign(
        &mut self,
        step: &Step<'_>,
        incident_id: IncidentId,
        unit_id: &UnitId,
        expected_version: u64,
        eta_s: u32,
    ) -> Outcome {
        let incident = self.open_incident(incident_id, "assign")?;
        if incident.status == IncidentStatus::Reported {
            return Err(Rejection::WrongIncidentStatus {
                incident_id,
                status: incident.status,
                action: "assign before triage".into(),
            });
        }
        let target_s = incident.target_s.unwrap_or(eta_s);
        let unit = self
            .units
            .get(unit_id)
            .ok_or_else(|| Rejection::UnknownUnit {
                unit_id: unit_id.clone(),
            })?;
        if unit.version != expected_version {
            return Err(Rejection::VersionMismatch {
                unit_id: unit_id.clone(),
                expected: expected_version,
                actual: unit.version,
            });
        }
        if unit.status != UnitStatus::Available || unit.assigned_to.is_some() {
            return Err(Rejection::UnitUnavailable {
                unit_id: unit_id.clone(),
                status: unit.status,
                assigned_to: unit.assigned_to,
            });
        }
        let unit_ring = unit.ring;
        let unit = self.units.get_mut(unit_id).expect("checked above");
        unit.status = UnitStatus::Dispatched;
        unit.assigned_to = Some(incident_id);
        unit.version += 1;
        unit.updated_at_ms = step.at_ms();
        unit.updated_index = step.index;
        let incident = self.incidents.get_mut(&incident_id).expect("checked above");
        incident.units.push(unit_id.clone());
        incident.assignments.push(model::Assignment {
            unit_id: unit_id.clone(),
            index: step.index,
            eta_s,
            target_s,
        });
        if incident.on_scene_deadline_ms.is_none() {
            incident.on_scene_deadline_ms = Some(step.at_ms() + u64::from(target_s) * 1_000);
        }
        let status = match incident.status {
            IncidentStatus::Triaged | IncidentStatus::Escalated => IncidentStatus::Assigned,
            other => other,
        };
        let reason = format!(
            "{unit_id} (ring {}), eta {eta_s} s, target {target_s} s",
            unit_ring.number()
        );
        let effect = self.record(step, incident_id, "assigned", status, reason);
        if unit_ring == Ring::SpecialPolice {
            self.enqueue(
                step,
                ActorId::SpecialOps(unit_id.0.clone()),
                Message::Assignment {
                    incident_id,
                    unit_id: unit_id.clone(),
                },
            );
        }
        Ok(effect)
    }

    fn escalate(
        &mut self,
        step: &Step<'_>,
        incident_id: IncidentId,
        to_ring: Ring,
        reason: &str,
    ) -> Outcome {
        let incident = self.open_incident(incident_id, "escalate")?;
        if let Some(from) = incident.ring.filter(|from| to_ring <= *from) {
            return Err(Rejection::NotOutward {
                incident_id,
                from,
                to: to_ring,
            });
        }
        // An incident escalated before triage has no ring yet: "ring 0".
        let from = incident.ring.map_or(0, Ring::number);
        let station = incident.station.clone();
        let incident = self.incidents.get_mut(&incident_id).expect("checked above");
        incident.ring = Some(to_ring);
        // The next ring's first assignment starts a new on-scene deadline.
        incident.on_scene_deadline_ms = None;
        let effect = self.record(
            step,
            incident_id,
            "escalated",
            IncidentStatus::Escalated,
            format!("ring {from} -> ring {}: {reason}", to_ring.number()),
        );
        self.enqueue(
            step,
            responder(to_ring, station),
            Message::Dispatch { incident_id },
        );
        Ok(effect)
    }

    fn request_mutual_aid(
        &mut self,
        step: &Step<'_>,
        incident_id: IncidentId,
        to_station: &StationId,
        reason: &str,
    ) -> Outcome {
        let incident = self.open_incident(incident_id, "request mutual aid")?;
        // An incident without a station asks in the name of "" (no station).
        let from_station = incident
            .station
            .clone()
            .unwrap_or_else(|| StationId(String::new()));
        let status = incident.status;
        self.incidents
            .get_mut(&incident_id)
            .expect("checked above")
            .aid_asked
            .push(to_station.clone());
        let effect = self.record(
            step,
            incident_id,
            "mutual_aid_requested",
            status,
            format!("{from_station} asks {to_station}: {reason}"),
        );
        self.enqueue(
            step,
            ActorId::Station(to_station.clone()),
            Message::MutualAid {
                incident_id,
                from_station,
            },
        );
        Ok(effect)
    }

    fn propose_plan(
        &mut self,
        step: &Step<'_>,
        incident_id: IncidentId,
        lines: &[PlanLine],
        auto_approve_at_ms: u64,
    ) -> Outcome {
        let incident = self.open_incident(incident_id, "propose a plan")?;
        if incident
            .plan
            .as_ref()
            .is_some_and(|plan| plan.approved_index.is_some())
        {
            return Err(Rejection::WrongIncidentStatus {
                incident_id,
                status: incident.status,
                action: "replace an approved plan".into(),
            });
        }
        for line in lines {
            if !self.units.contains_key(&line.unit_id) {
                return Err(Rejection::UnknownUnit {
                    unit_id: line.unit_id.clone(),
                });
            }
        }
        let status = incident.status;
        let incident = self.incidents.get_mut(&incident_id).expect("checked above");
        incident.plan = Some(Plan {
            lines: lines.to_vec(),
            auto_approve_at_ms,
            approved_index: None,
        });
        Ok(self.record(
            step,
            incident_id,
            "plan_proposed",
            status,
            format!(
                "{} units; automatic approval at {auto_approve_at_ms} ms",
                lines.len()
            ),
        ))
    }

    fn approve_plan(&mut self, step: &Step<'_>, incident_id: IncidentId) -> Outcome {
        let incident = self.open_incident(incident_id, "approve a plan")?;
        match &incident.plan {
            Some(plan) if plan.approved_index.is_none() => {}
            _ => {
                return Err(Rejection::WrongIncidentStatus {
                    incident_id,
                    status: incident.status,
                    action: "approve (no plan awaits approval)".into(),
                })
            }
        }
        let status = incident.status;
        let incident = self.incidents.get_mut(&incident_id).expect("checked above");
        if let Some(plan) = incident.plan.as_mut() {
            plan.approved_index = Some(step.index);
        }
        let effect = self.record(
            step,
            incident_id,
            "plan_approved",
            status,
            format!("approved by {}", step.command.origin),
        );
        self.enqueue(step, ActorId::Hub, Message::PlanApproved { incident_id });
        Ok(effect)
    }

    fn close(
        &mut self,
        step: &Step<'_>,
        incident_id: IncidentId,
        status: IncidentStatus,
        reason: &str,
    ) -> Outcome {
        self.open_incident(incident_id, "close")?;
        let units = std::mem::take(
            &mut self
                .incidents
                .get_mut(&incident_id)
                .expect("checked above")
                .units,
        );
        let released = if status == IncidentStatus::Resolved {
            UnitStatus::Returning
        } else {
            UnitStatus::Available
        };
        for unit_id in &units {
            if let Some(unit) = self.units.get_mut(unit_id) {
                if unit.assigned_to == Some(incident_id) {
                    unit.assigned_to = None;
                    unit.status = released;
                    unit.version += 1;
                    unit.updated_at_ms = step.at_ms();
                    unit.updated_index = step.index;
                }
            }
        }
        // Messages about a closed incident are moot.
        for queue in self.pending.values_mut() {
            queue.retain(|_, envelope| message_incident(&envelope.message) != incident_id);
        }
        let step_name = if status == IncidentStatus::Resolved {
            "resolved"
        } else {
            "cancelled"
        };
        Ok(self.record(step, incident_id, step_name, status, reason.to_string()))
    }

    fn place(&mut self, step: &Step<'_>, actor: &ActorId, node: u64, epoch: u64) -> Outcome {
        if let Some(current) = self.placements.get(actor) {
            if epoch <= current.epoch {
                return Err(Rejection::EpochNotRaised {
                    actor: actor.clone(),
                    epoch,
                    current: current.epoch,
                });
            }
        }
        if epoch == 0 {
            return Err(out_of_range("epoch", 0, "epochs start at 1"));
        }
        self.placements.insert(
            actor.clone(),
            Placement {
                node,
                epoch,
                index: step.index,
                placed_at_ms: step.at_ms(),
            },
        );
        Ok(Effect::ActorPlaced {
            actor: actor.clone(),
            node,
            epoch,
        })
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

    /// Number of pending messages of every actor.
    pub fn pending_count(&self) -> usize {
        self.pending.values().map(BTreeMap::len).sum()
    }
}

/// The actor that answers for a ring: a ring-3 incident with a station goes
/// to that station's actor, everything else to the ring's actor.
pub fn responder(ring: Ring, station: Option<StationId>) -> ActorId {
    match (ring, station) {
        (Ring::StreetPatrol, Some(station)) => ActorId::Station(station),
        (ring, _) => ActorId::Ring(ring),
    }
}

fn message_incident(message: &Message) -> IncidentId {
    match message {
        Message::Triage { incident_id }
        | Message::Dispatch { incident_id }
        | Message::MutualAid { incident_id, .. }
        | Message::PlanApproved { incident_id }
        | Message::Assignment { incident_id, .. } => *incident_id,
    }
}
