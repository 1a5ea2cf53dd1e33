//! Who may propose what: fencing (an actor acts only under its current
//! placement epoch, on messages pending for it), the permission table
//! (which origins may propose each action, decided by every action) and,
//! for an API client, its credential and the rights of its roles on the
//! action's scope ([`crate::ledger::access`]).

use super::access::{Credential, Principal, Right, Role, Scope};
use super::actions::{Action, ClearHazard, EscalateHazard, PushHazard, TakeHazardMeasure};
use super::command::{Command, Origin};
use super::ids::{ActorId, Channel};
use super::model::Rejection;
use super::Ledger;

/// Which origins may propose an action: an entry of the permission table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proposers {
    /// Every origin; an API client needs this right for its roles on the
    /// action's scope.
    Anyone(Right),
    /// Every origin but API clients: actors, the operator, a node itself.
    Cluster,
    /// Only an actor, under its current placement epoch.
    Actors,
    /// Only the hub actor, or the operator standing in for it.
    HubOrOperator,
    /// Only a node itself (the leader placing actors).
    System,
    /// A node itself or the operator.
    SystemOrOperator,
    /// Only the operator (`cordon ctl` with the operator certificate).
    Operator,
    /// The operator, or an API client with this right.
    OperatorOrClient(Right),
}

impl Proposers {
    /// True if `origin` may propose an action with these proposers (for an
    /// API client: if it may at all; its right on the scope is checked by
    /// the ledger).
    pub fn allows(self, origin: &Origin) -> bool {
        match self {
            Proposers::Anyone(_) => true,
            Proposers::Cluster => !matches!(origin, Origin::Api { .. }),
            Proposers::Actors => matches!(origin, Origin::Actor { .. }),
            Proposers::HubOrOperator => matches!(
                origin,
                Origin::Actor {
                    actor: ActorId::Hub,
                    ..
                } | Origin::Operator
            ),
            Proposers::System => matches!(origin, Origin::System { .. }),
            Proposers::SystemOrOperator => {
                matches!(origin, Origin::System { .. } | Origin::Operator)
            }
            Proposers::Operator => matches!(origin, Origin::Operator),
            Proposers::OperatorOrClient(_) => {
                matches!(origin, Origin::Operator | Origin::Api { .. })
            }
        }
    }

    /// The right an API client needs, if a client may propose at all.
    pub fn client_right(self) -> Option<Right> {
        match self {
            Proposers::Anyone(right) | Proposers::OperatorOrClient(right) => Some(right),
            Proposers::Cluster
            | Proposers::Actors
            | Proposers::HubOrOperator
            | Proposers::System
            | Proposers::SystemOrOperator
            | Proposers::Operator => None,
        }
    }
}

impl Ledger {
    /// Fencing and permissions: who may propose what.
    pub(crate) fn check_origin(&self, command: &Command) -> Result<(), Rejection> {
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
        let proposers = command.action.proposers();
        if !proposers.allows(&command.origin) {
            return Err(Rejection::WrongOrigin {
                action: command.action.name().to_string(),
                origin: command.origin.to_string(),
            });
        }
        match (&command.origin, proposers.client_right()) {
            (Origin::Api { principal, .. }, Some(right)) => {
                self.check_credential(principal, command.proposed_at_ms)?;
                let scope = self.client_scope(&command.action);
                self.acting_principal(principal)
                    .may(right, &scope)
                    .map_err(|denied| Rejection::NotPermitted {
                        why: denied.to_string(),
                    })
            }
            _ => Ok(()),
        }
    }

    /// A token must be in the ledger, unrevoked and unexpired at the
    /// command's time, and name the principal and roles the command claims.
    /// A certificate was verified against the cluster CA by the node that
    /// took the request and again by the leader that proposed it.
    fn check_credential(&self, principal: &Principal, at_ms: u64) -> Result<(), Rejection> {
        let Credential::Token { id } = &principal.credential else {
            return Ok(());
        };
        let refused = |why: String| Rejection::CredentialRefused { why };
        let token = self
            .tokens
            .get(id)
            .ok_or_else(|| refused(format!("token {id} is unknown")))?;
        token.usable_at(at_ms).map_err(|e| refused(e.to_string()))?;
        if token.principal != principal.name || token.roles != principal.roles {
            return Err(refused(format!(
                "token {id} names {} ({}), not {principal}",
                token.principal,
                token.principal().roles_text()
            )));
        }
        Ok(())
    }

    /// `principal` with, for each of its member roles, the field role of
    /// the member's team while the roster puts them in one and they are
    /// available: a member acts for their team's unit on their phone.
    /// Judged at the command, so a member moved to another team acts for
    /// the new one from then on, and one marked unavailable for none.
    fn acting_principal(&self, principal: &Principal) -> Principal {
        let mut acting = principal.clone();
        for role in &principal.roles {
            let Role::Member { member } = role else {
                continue;
            };
            let team = self
                .members
                .get(member)
                .filter(|member| member.available)
                .and_then(|member| member.team.clone());
            if let Some(team) = team {
                acting.roles.push(Role::Field { unit: team });
            }
        }
        acting
    }

    /// What verifying hazard `hazard_id` acts on: its verifier unit (so the
    /// unit pushed may verify), else its station's ground.
    fn verifier_scope(&self, hazard_id: u64) -> Scope {
        let hazard = self.hazards.get(&hazard_id);
        let station = hazard.and_then(|h| h.station.clone());
        match hazard.and_then(|h| h.verifier.as_ref()) {
            Some(crate::ledger::hazards::Verifier::Unit(unit)) => Scope::Unit {
                unit: unit.clone(),
                station: self.units.get(unit).and_then(|u| u.station.clone()),
            },
            Some(crate::ledger::hazards::Verifier::Station(verifier)) => Scope::Incident {
                station: Some(verifier.clone()),
            },
            None => Scope::Incident { station },
        }
    }

    /// What a client's action acts on, for the scoped roles: a report's
    /// channel, a unit and its station, an incident's station.
    fn client_scope(&self, action: &Action) -> Scope {
        let incident = |id| Scope::Incident {
            station: self.incidents.get(&id).and_then(|i| i.station.clone()),
        };
        match action {
            Action::ReportIncident(report) => Scope::Report {
                channel: report.channel,
            },
            Action::ImportIncident(import) => Scope::Report {
                channel: import.report.channel,
            },
            Action::UpdateUnitStatus(update) => Scope::Unit {
                unit: update.unit_id.clone(),
                station: self
                    .units
                    .get(&update.unit_id)
                    .and_then(|unit| unit.station.clone()),
            },
            Action::ResolveIncident(close) => incident(close.incident_id),
            Action::CancelIncident(close) => incident(close.incident_id),
            Action::ApprovePlan(approve) => incident(approve.incident_id),
            Action::AmendPlan(amend) => incident(amend.incident_id),
            Action::AssignUnit(assign) => incident(assign.incident_id),
            Action::FlagPublicConcern(flag) => incident(flag.incident_id),
            Action::ReleasePublicInfo(release) => incident(release.incident_id),
            // A station moves its units only between its own incidents.
            Action::ReassignUnit(reassign) => {
                let (to, from) = (
                    incident(reassign.assign.incident_id),
                    incident(reassign.from_incident_id),
                );
                if to == from {
                    to
                } else {
                    Scope::Incident { station: None }
                }
            }
            Action::AddNote(note) => incident(note.incident_id),
            Action::AcknowledgeUnresourced(ack) => incident(ack.incident_id),
            Action::AskDistrict(ask) => incident(ask.incident_id),
            Action::RaiseAlarm(crate::ledger::RaiseAlarm { unit_id })
            | Action::CheckIn(crate::ledger::CheckIn { unit_id })
            | Action::ClearUnitAlert(crate::ledger::ClearUnitAlert { unit_id })
            | Action::FieldNote(crate::ledger::FieldNote { unit_id, .. }) => Scope::Unit {
                unit: unit_id.clone(),
                station: self
                    .units
                    .get(unit_id)
                    .and_then(|unit| unit.station.clone()),
            },
            // Counts come from the risk-sensing net: its channel's reporters.
            Action::RecordCrowdCounts(_) => Scope::Report {
                channel: Channel::RiskWarning,
            },
            Action::PushHazard(PushHazard { hazard_id, .. })
            | Action::TakeHazardMeasure(TakeHazardMeasure { hazard_id, .. })
            | Action::ClearHazard(ClearHazard { hazard_id, .. })
            | Action::EscalateHazard(EscalateHazard { hazard_id }) => Scope::Incident {
                station: self.hazards.get(hazard_id).and_then(|h| h.station.clone()),
            },
            Action::VerifyHazard(verify) => self.verifier_scope(verify.hazard_id),
            _ => Scope::Any,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{
        Action, ApprovePlan, AssignUnit, BenchNote, CancelIncident, Channel, Dismiss, Effect,
        Escalate, IncidentId, IncidentKind, LoadRoster, MarkUnresourced, NewIncident, PlaceActor,
        PlanLine, PlanParts, PlanRole, Position, ProposePlan, ReportActorFailed, RequestId,
        RequestMutualAid, ResolveIncident, RetireNodeId, Ring, SetNodeDrained, StationId,
        TriageBatch, TriageIncident, UnitId, UnitStatus, UpdateUnitStatus,
    };
    use crate::ledger::{
        ApproveMoveUp, Credential, DeclineMoveUp, IssueToken, MoveUpLine, MoveUpParts, Principal,
        ProposeMoveUp, RecordOperatorAction, RevokeToken, Role,
    };

    /// The origins of the table's columns, in order.
    fn origins() -> [Origin; 7] {
        let actor = |actor: ActorId| Origin::Actor {
            actor,
            epoch: 1,
            node: 1,
        };
        [
            Origin::Api {
                node: 1,
                client: "10.0.0.9:4000".into(),
                principal: Principal {
                    name: "dispatcher-li".into(),
                    roles: vec![Role::Dispatcher],
                    credential: Credential::Token {
                        id: "0123456789abcdef".into(),
                    },
                },
            },
            Origin::Operator,
            Origin::System { node: 1 },
            actor(ActorId::Hub),
            actor(ActorId::Station(StationId::from("bund"))),
            actor(ActorId::Ring(Ring::SpecialPolice)),
            actor(ActorId::SpecialOps("point-bund-1".into())),
        ]
    }

    /// The permission table. Columns: API client (whose roles the ledger
    /// then checks, see `access.rs`), operator, system, hub, station, ring,
    /// special-ops team. No wildcard: a new action needs a row.
    #[rustfmt::skip] // reason: the table reads as rows and columns
    fn expected(action: &Action) -> [bool; 7] {
        const Y: bool = true;
        const N: bool = false;
        match action {
            //                               api op sys hub stn ring team
            Action::ReportIncident(_) =>     [Y, Y, Y, Y, Y, Y, Y],
            Action::UpdateUnitStatus(_) =>   [Y, Y, Y, Y, Y, Y, Y],
            Action::LoadRoster(_) =>         [N, Y, Y, N, N, N, N],
            Action::RetireNodeId(_) =>       [N, Y, Y, N, N, N, N],
            Action::TriageIncident(_) =>     [N, Y, N, Y, N, N, N],
            Action::AssignUnit(_) =>         [Y, Y, Y, Y, Y, Y, Y],
            Action::Escalate(_) =>           [N, Y, Y, Y, Y, Y, Y],
            Action::RequestMutualAid(_) =>   [N, Y, Y, Y, Y, Y, Y],
            Action::ProposePlan(_) =>        [N, Y, N, Y, N, N, N],
            Action::ApprovePlan(_) =>        [Y, Y, Y, Y, Y, Y, Y],
            Action::ResolveIncident(_) =>    [Y, Y, Y, Y, Y, Y, Y],
            Action::CancelIncident(_) =>     [Y, Y, Y, Y, Y, Y, Y],
            Action::PlaceActor(_) =>         [N, N, Y, N, N, N, N],
            Action::SetNodeDrained(_) =>     [N, Y, Y, N, N, N, N],
            Action::Dismiss(_) =>            [N, N, N, Y, Y, Y, Y],
            Action::MarkUnresourced(_) =>    [N, N, N, Y, Y, Y, Y],
            Action::ReportActorFailed(_) =>  [N, N, N, Y, Y, Y, Y],
            Action::IssueToken(_) =>         [N, Y, N, N, N, N, N],
            Action::RevokeToken(_) =>        [N, Y, N, N, N, N, N],
            Action::RecordOperatorAction(_) => [Y, Y, N, N, N, N, N],
            Action::BenchNote(_) =>          [N, Y, N, N, N, N, N],
            Action::TriageBatch(_) =>        [N, Y, N, Y, N, N, N],
            Action::ProposeMoveUp(_) =>      [N, Y, Y, Y, Y, Y, Y],
            Action::ApproveMoveUp(_) =>      [Y, Y, N, N, N, N, N],
            Action::DeclineMoveUp(_) =>      [Y, Y, N, N, N, N, N],
            Action::RecordCrowdCounts(_) =>  [Y, Y, N, N, N, N, N],
            Action::ReportHazard(_) =>       [Y, Y, Y, Y, Y, Y, Y],
            Action::PushHazard(_) =>         [Y, Y, Y, Y, Y, Y, Y],
            Action::VerifyHazard(_) =>       [Y, Y, Y, Y, Y, Y, Y],
            Action::TakeHazardMeasure(_) =>  [Y, Y, Y, Y, Y, Y, Y],
            Action::ClearHazard(_) =>        [Y, Y, Y, Y, Y, Y, Y],
            Action::EscalateHazard(_) =>     [Y, Y, Y, Y, Y, Y, Y],
            Action::AddNote(_) =>            [Y, Y, Y, Y, Y, Y, Y],
            Action::AcknowledgeUnresourced(_) => [Y, Y, Y, Y, Y, Y, Y],
            Action::AskDistrict(_) =>        [Y, Y, Y, Y, Y, Y, Y],
            Action::AnswerDistrictAsk(_) =>  [Y, Y, Y, Y, Y, Y, Y],
            Action::RecordDistrictAid(_) =>  [Y, Y, Y, Y, Y, Y, Y],
            Action::RaiseUnitTimer(_) =>     [N, Y, N, Y, N, N, N],
            Action::RaiseAlarm(_) =>         [Y, Y, Y, Y, Y, Y, Y],
            Action::CheckIn(_) =>            [Y, Y, Y, Y, Y, Y, Y],
            Action::ClearUnitAlert(_) =>     [Y, Y, Y, Y, Y, Y, Y],
            Action::FieldNote(_) =>          [Y, Y, Y, Y, Y, Y, Y],
            Action::AmendPlan(_) =>          [Y, Y, N, N, N, N, N],
            Action::ReassignUnit(_) =>       [Y, Y, Y, Y, Y, Y, Y],
            Action::ImportIncident(_) =>     [Y, Y, Y, Y, Y, Y, Y],
            Action::FlagPublicConcern(_) =>  [Y, Y, Y, Y, Y, Y, Y],
            Action::RemindPublicInfo(_) =>   [N, Y, N, Y, N, N, N],
            Action::ReleasePublicInfo(_) =>  [Y, Y, N, N, N, N, N],
            Action::LoadMembers(_) =>        [Y, Y, N, N, N, N, N],
            Action::SetMemberAvailability(_) => [Y, Y, N, N, N, N, N],
        }
    }

    /// One action of each kind, in the order of [`Action`]'s variants.
    fn one_of_each_action() -> Vec<Action> {
        let mut actions = roster_and_triage_actions();
        actions.extend(dispatch_and_cluster_actions());
        actions.extend(access_actions());
        actions
    }

    fn roster_and_triage_actions() -> Vec<Action> {
        vec![
            Action::ReportIncident(NewIncident {
                kind: IncidentKind::Theft,
                priority: 3,
                force_level: 1,
                location: Position::from_degrees(31.24, 121.48).unwrap(),
                channel: Channel::EmergencyCall,
                description: String::new(),
            }),
            Action::UpdateUnitStatus(UpdateUnitStatus {
                unit_id: UnitId("unit-1".into()),
                status: UnitStatus::EnRoute,
                position: None,
                expected_version: None,
            }),
            Action::LoadRoster(LoadRoster {
                units: Vec::new(),
                area: None,
                archive: None,
            }),
            Action::RetireNodeId(RetireNodeId { node_id: 9 }),
            Action::TriageIncident(theft_triage()),
        ]
    }

    /// A street-patrol triage of incident 1 at the Bund station.
    fn theft_triage() -> TriageIncident {
        TriageIncident {
            incident_id: IncidentId(1),
            ring: Ring::StreetPatrol,
            station: Some("bund".into()),
            run_card: "theft".into(),
            target_s: 300,
            major: false,
        }
    }

    fn dispatch_and_cluster_actions() -> Vec<Action> {
        let incident_id = IncidentId(1);
        let reason = || "why".to_string();
        vec![
            Action::AssignUnit(AssignUnit {
                incident_id,
                unit_id: UnitId("unit-1".into()),
                expected_unit_version: 1,
                eta_s: 30,
                breach: false,
            }),
            Action::Escalate(Escalate {
                incident_id,
                to_ring: Ring::SpecialPolice,
                target_s: 180,
                reason: reason(),
            }),
            Action::RequestMutualAid(RequestMutualAid {
                incident_id,
                to_station: "xiaodongmen".into(),
                reason: reason(),
            }),
            Action::ProposePlan(ProposePlan {
                incident_id,
                parts: PlanParts {
                    lines: vec![PlanLine {
                        ring: Ring::SpecialPolice,
                        unit_id: UnitId("unit-1".into()),
                        eta_s: 40,
                        role: PlanRole::Cordon,
                        destination: Position::from_degrees(31.24, 121.48).unwrap(),
                    }],
                    ..PlanParts::default()
                },
                auto_approve_at_ms: 9_000,
            }),
            Action::ApprovePlan(ApprovePlan { incident_id }),
            Action::ResolveIncident(ResolveIncident {
                incident_id,
                reason: reason(),
            }),
            Action::CancelIncident(CancelIncident {
                incident_id,
                reason: reason(),
            }),
            Action::PlaceActor(PlaceActor {
                actor: ActorId::Hub,
                node: 2,
                epoch: 7,
            }),
            Action::SetNodeDrained(SetNodeDrained {
                node_id: 2,
                drained: true,
            }),
            Action::Dismiss(Dismiss { reason: reason() }),
            Action::MarkUnresourced(MarkUnresourced {
                incident_id,
                reason: reason(),
            }),
            Action::ReportActorFailed(ReportActorFailed {
                actor: ActorId::Hub,
                node: 1,
                epoch: 1,
                restarts: 3,
                reason: reason(),
            }),
        ]
    }

    fn access_actions() -> Vec<Action> {
        vec![
            Action::IssueToken(IssueToken {
                token_id: "0123456789abcdef".into(),
                principal: "dispatcher-li".into(),
                roles: vec![Role::Dispatcher],
                secret_sha256: "ab".repeat(32),
                expires_at_ms: 10_000_000,
            }),
            Action::RevokeToken(RevokeToken {
                token_id: "0123456789abcdef".into(),
                reason: "left".into(),
            }),
            Action::RecordOperatorAction(RecordOperatorAction {
                action: "add_learner".into(),
                detail: "node 4".into(),
            }),
            Action::BenchNote(BenchNote {
                bytes: vec![7; 256],
            }),
            Action::TriageBatch(TriageBatch {
                items: vec![theft_triage()],
            }),
            Action::ProposeMoveUp(ProposeMoveUp {
                parts: MoveUpParts {
                    ring: Ring::SpecialPolice,
                    lines: vec![MoveUpLine {
                        unit_id: UnitId("unit-1".into()),
                        post: Position::from_degrees(31.24, 121.48).unwrap(),
                        post_name: "Bund".into(),
                        travel_s: 120,
                    }],
                    coverage_before_ppm: 900_000,
                    coverage_after_ppm: 950_000,
                    reason: "why".into(),
                },
                approve_now: false,
            }),
            Action::ApproveMoveUp(ApproveMoveUp { move_up_id: 1 }),
            Action::DeclineMoveUp(DeclineMoveUp {
                move_up_id: 1,
                reason: "why".into(),
            }),
            Action::RecordCrowdCounts(crate::ledger::RecordCrowdCounts {
                source: "gate counters".into(),
                readings: vec![crate::ledger::CrowdReading {
                    sensor: "yuyuan-gates".into(),
                    at_ms: 60_000,
                    count: 1_200,
                }],
            }),
        ]
        .into_iter()
        .chain(hazard_actions())
        .chain(hand_actions())
        .chain(two_level_actions())
        .collect()
    }

    /// A station room's ask of the district, its answer, and mutual aid
    /// asked of a neighbouring district.
    fn two_level_actions() -> Vec<Action> {
        vec![
            Action::AskDistrict(crate::ledger::AskDistrict {
                incident_id: IncidentId(1),
                ring: Ring::SpecialPolice,
                units: 2,
                reason: "the crowd at the stairs is past our patrols".into(),
            }),
            Action::AnswerDistrictAsk(crate::ledger::AnswerDistrictAsk {
                incident_id: IncidentId(1),
                ask: 1,
                granted: true,
                note: "two special-ops teams from the Bund points".into(),
            }),
            Action::RecordDistrictAid(crate::ledger::RecordDistrictAid {
                incident_id: IncidentId(1),
                neighbour: "jingan".into(),
                units: 4,
                reason: "the countdown crowd spills over Yan'an Road".into(),
                tracking_id: "urn:emergency:uid:incidentid:I000001:huangpu.cordon.example".into(),
                delivery: crate::ledger::AidDelivery::Delivered {
                    their_incident_id: "I-000007".into(),
                },
            }),
        ]
    }

    /// A commander's amendment of a plan and a dispatcher's reassignment.
    fn hand_actions() -> Vec<Action> {
        vec![
            Action::AmendPlan(crate::ledger::AmendPlan {
                incident_id: IncidentId(1),
                drop_units: vec![UnitId("unit-1".into())],
                add_lines: Vec::new(),
            }),
            Action::ReassignUnit(crate::ledger::ReassignUnit {
                assign: AssignUnit {
                    incident_id: IncidentId(2),
                    unit_id: UnitId("unit-1".into()),
                    expected_unit_version: 3,
                    eta_s: 40,
                    breach: false,
                },
                from_incident_id: IncidentId(1),
                reason: "a higher priority".into(),
            }),
            Action::ImportIncident(crate::ledger::ImportIncident {
                tracking_id: "urn:emergency:uid:incidentid:X1:partner.example".into(),
                report: NewIncident {
                    kind: IncidentKind::Medical,
                    priority: 5,
                    force_level: 1,
                    location: Position::from_degrees(31.24, 121.49).unwrap(),
                    channel: Channel::PartnerFeed,
                    description: "from a hospital".into(),
                },
                notes: Vec::new(),
                closed: None,
            }),
            Action::FlagPublicConcern(crate::ledger::FlagPublicConcern {
                incident_id: IncidentId(1),
                why: "a crowd crush at the Bund".into(),
                within_ms: 4 * 3_600_000,
            }),
            Action::RemindPublicInfo(crate::ledger::RemindPublicInfo {
                incident_id: IncidentId(1),
                reminder: 1,
            }),
            Action::ReleasePublicInfo(crate::ledger::ReleasePublicInfo {
                incident_id: IncidentId(1),
                text: "Police are at the scene; avoid the riverside.".into(),
            }),
            Action::LoadMembers(crate::ledger::LoadMembers {
                members: vec![crate::ledger::Member {
                    id: "bund-volunteer-wang".into(),
                    name: "Wang Li".into(),
                    role: crate::ledger::MemberRole::Volunteer,
                    team: None,
                    area: Some("bund".into()),
                    contact: "app:wang.li".into(),
                    skills: vec!["first_aid".into()],
                    shifts: Vec::new(),
                    available: true,
                }],
            }),
            Action::SetMemberAvailability(crate::ledger::SetMemberAvailability {
                member_id: "bund-volunteer-wang".into(),
                available: false,
            }),
        ]
    }

    fn hazard_actions() -> Vec<Action> {
        use crate::ledger::hazards::{HazardSource, MeasureKind, Verifier};
        vec![
            Action::ReportHazard(crate::ledger::ReportHazard {
                area: "bund-riverside".into(),
                position: None,
                station: Some("bund".into()),
                source: HazardSource::Patrol,
                summary: "a crowd pressing on the river wall".into(),
            }),
            Action::PushHazard(crate::ledger::PushHazard {
                hazard_id: 1,
                verifier: Verifier::Station("bund".into()),
            }),
            Action::VerifyHazard(crate::ledger::VerifyHazard {
                hazard_id: 1,
                confirmed: true,
                seen: "packed at the stairs".into(),
            }),
            Action::TakeHazardMeasure(crate::ledger::TakeHazardMeasure {
                hazard_id: 1,
                kind: MeasureKind::FlowControl,
                unit_id: None,
                at: None,
                note: "one-way up the stairs".into(),
            }),
            Action::ClearHazard(crate::ledger::ClearHazard {
                hazard_id: 1,
                note: "eased".into(),
            }),
            Action::EscalateHazard(crate::ledger::EscalateHazard { hazard_id: 1 }),
            Action::AddNote(crate::ledger::AddNote {
                incident_id: IncidentId(1),
                text: "caller says two more are hurt".into(),
            }),
            Action::AcknowledgeUnresourced(crate::ledger::AcknowledgeUnresourced {
                incident_id: IncidentId(1),
            }),
            Action::RaiseUnitTimer(crate::ledger::RaiseUnitTimer {
                unit_id: UnitId("unit-1".into()),
                kind: crate::ledger::AlertKind::AckOverdue,
                expected_version: 1,
                after_ms: 60_000,
            }),
            Action::RaiseAlarm(crate::ledger::RaiseAlarm {
                unit_id: UnitId("unit-1".into()),
            }),
            Action::CheckIn(crate::ledger::CheckIn {
                unit_id: UnitId("unit-1".into()),
            }),
            Action::ClearUnitAlert(crate::ledger::ClearUnitAlert {
                unit_id: UnitId("unit-1".into()),
            }),
            Action::FieldNote(crate::ledger::FieldNote {
                unit_id: UnitId("unit-1".into()),
                text: "the door was forced".into(),
            }),
        ]
    }

    #[test]
    fn every_action_is_in_the_permission_table_once() {
        // The samples cover each action once, so the table's test sees every row.
        let names: std::collections::BTreeSet<_> =
            one_of_each_action().iter().map(Action::name).collect();
        assert_eq!(names.len(), 50);
        assert_eq!(one_of_each_action().len(), names.len());
    }

    #[test]
    fn the_permission_table_decides_every_action_for_every_origin() {
        // Each action's proposers allow exactly the origins its table row names.
        for action in one_of_each_action() {
            for (origin, allowed) in origins().iter().zip(expected(&action)) {
                assert_eq!(
                    action.proposers().allows(origin),
                    allowed,
                    "{} proposed by {origin}",
                    action.name()
                );
            }
        }
    }

    #[test]
    fn the_ledger_refuses_every_origin_the_table_forbids() {
        // Applied under a current epoch, a forbidden origin gets WrongOrigin
        // and an allowed one never does.
        let mut ledger = Ledger::default();
        for (index, origin) in origins().iter().enumerate() {
            if let Origin::Actor { actor, .. } = origin {
                let place = Command::new(
                    RequestId(format!("place-{index}")),
                    1,
                    Origin::System { node: 1 },
                    Action::PlaceActor(PlaceActor {
                        actor: actor.clone(),
                        node: 1,
                        epoch: 1,
                    }),
                );
                ledger.apply(index as u64 + 1, &place);
            }
        }
        let mut index = 100;
        for action in one_of_each_action() {
            for (origin, allowed) in origins().iter().zip(expected(&action)) {
                index += 1;
                let command = Command::new(
                    RequestId(format!("req-{index}")),
                    1_000,
                    origin.clone(),
                    action.clone(),
                );
                let answer = ledger.clone().apply(index, &command);
                let refused = matches!(
                    answer.effect,
                    Effect::Rejected {
                        rejection: Rejection::WrongOrigin { .. }
                    }
                );
                assert_eq!(
                    refused,
                    !allowed,
                    "{} by {origin}: {answer:?}",
                    action.name()
                );
            }
        }
    }
}
