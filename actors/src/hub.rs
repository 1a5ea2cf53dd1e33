//! The hub (district command): triages every new incident through the run
//! cards, proposes force-mobilisation plans for major incidents and
//! dispatches them once approved (by a commander, or automatically after
//! `plan_auto_approve_ms`), and watches on-scene deadlines: an incident
//! whose deadline passes with nobody on scene escalates outward. It starts
//! the golden four hours of an incident of public concern at triage and
//! reminds of its public release until one is made. It raises the units'
//! timers: an unacknowledged dispatch, a missed check-in or PAR, and a
//! hospital post's missed patrol round.

use cordon_consensus::ledger::{
    timer_due_ms, Action, AlertKind, ApprovePlan, AssignUnit, Channel, Deadline, Envelope,
    Escalate, FlagPublicConcern, Incident, IncidentId, IncidentStatus, Ledger, Message, PlanLine,
    PlanParts, ProposePlan, RaiseUnitTimer, RemindPublicInfo, ReportHazard, Ring, StationId,
    TriageBatch, TriageIncident, UnitId, TRIAGE_BATCH_ITEMS_MAX,
};

use crate::actor::{batch_request_id, ActorState, DispatchActor, Handled};
use crate::context::ProposeError;
use crate::planning::public_concern::public_concern;
use crate::planning::run_cards::RunCardTable;
use crate::planning::select::{Planner, Scope};
use crate::planning::{escalation, mobilisation};
use crate::view;
use crate::waiting::Wait;
use cordon_consensus::ledger::hazards::{HazardSource, HazardStage};
use cordon_consensus::state_machine::AppliedState;
use std::collections::BTreeSet;

/// The hub's role: it holds no state of its own (the ledger holds it all).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hub;

impl Hub {
    /// Handles one pending message of the hub.
    pub(crate) async fn handle(
        &self,
        actor: &DispatchActor,
        state: &mut ActorState,
        envelope: &Envelope,
    ) -> Result<Handled, ProposeError> {
        handle(actor, state, envelope).await
    }

    /// Triage steps are independent of each other, so a backlog is
    /// triaged in bursts of up to [`TRIAGE_BATCH_ITEMS_MAX`], one entry
    /// each; returns the messages left for the one-at-a-time loop.
    pub(crate) async fn take_backlog(
        &self,
        actor: &DispatchActor,
        state: &mut ActorState,
        pending: Vec<Envelope>,
    ) -> Vec<Envelope> {
        let (triage_now, rest): (Vec<Envelope>, Vec<Envelope>) = pending
            .into_iter()
            .filter(|e| !state.done.contains(&e.seq))
            .partition(|e| matches!(e.message, Message::Triage { .. }));
        for burst in triage_now.chunks(TRIAGE_BATCH_ITEMS_MAX) {
            triage_burst(actor, state, burst).await;
        }
        rest
    }

    /// The deadline watch (see [`tick`]).
    pub(crate) async fn tick(
        &self,
        actor: &DispatchActor,
        state: &mut ActorState,
    ) -> Result<(), ProposeError> {
        tick(actor, state).await
    }
}

/// Handles one pending message of the hub.
async fn handle(
    actor: &DispatchActor,
    state: &mut ActorState,
    envelope: &Envelope,
) -> Result<Handled, ProposeError> {
    let answered = match &envelope.message {
        Message::Triage { .. } => triage(actor, state.epoch, envelope).await,
        Message::Dispatch { incident_id } => {
            return propose_plan(actor, state, envelope, *incident_id).await
        }
        Message::PlanApproved { incident_id } => {
            return dispatch_plan(actor, state, envelope, *incident_id).await
        }
        other => {
            let reason = format!("the hub does not handle {other:?}");
            actor.dismiss(state.epoch, envelope, reason).await
        }
    };
    answered.map(|()| Handled::Done)
}

/// Triages a burst of messages in one entry. A message whose incident is
/// no longer awaiting triage is dismissed alone; when the batch is refused
/// (an incident closed between the read and the commit) each message is
/// triaged on its own.
async fn triage_burst(actor: &DispatchActor, state: &mut ActorState, burst: &[Envelope]) {
    let mut ready = Vec::new();
    let mut one_by_one = Vec::new();
    {
        let applied = actor.context.node.ledger().read();
        for envelope in burst {
            match triage_of(actor, &applied.ledger, envelope) {
                Some(item) => ready.push((envelope, item)),
                None => one_by_one.push(envelope),
            }
        }
    }
    if ready.len() < 2 {
        one_by_one.extend(ready.into_iter().map(|(envelope, _)| envelope));
        return triage_each(actor, state, &one_by_one).await;
    }
    match propose_batch(actor, state.epoch, &ready).await {
        Ok(()) => {
            for (envelope, _) in &ready {
                state.handled += 1;
                state.done.insert(envelope.seq);
            }
            let triaged: Vec<Triaged> = ready.iter().map(|(_, triaged)| triaged.clone()).collect();
            if let Err(error) = after_triage(actor, state.epoch, &triaged).await {
                tracing::info!(actor = %actor.id, %error, "after the triage batch");
            }
        }
        Err(ProposeError::Rejected(rejection)) => {
            tracing::info!(actor = %actor.id, %rejection, "triage batch refused; triaging one by one");
            one_by_one.extend(ready.into_iter().map(|(envelope, _)| envelope));
        }
        Err(error) => {
            // The next wake reads the ledger again and retries what is left.
            return actor.note_error(state, ready[0].0, error);
        }
    }
    triage_each(actor, state, &one_by_one).await;
}

/// Proposes the ready triages as one [`TriageBatch`] consuming their messages.
async fn propose_batch(
    actor: &DispatchActor,
    epoch: u64,
    ready: &[(&Envelope, Triaged)],
) -> Result<(), ProposeError> {
    let seqs: Vec<u64> = ready.iter().map(|(envelope, _)| envelope.seq).collect();
    let request_id = batch_request_id(&actor.id, epoch, &seqs);
    let items = ready
        .iter()
        .map(|(_, triaged)| triaged.item.clone())
        .collect();
    let action = Action::TriageBatch(TriageBatch { items });
    let applied = actor
        .context
        .propose(&actor.id, epoch, request_id, action, seqs)
        .await?;
    tracing::info!(actor = %actor.id, index = applied.index, count = ready.len(), "triaged a burst");
    Ok(())
}

/// Triages each message in its own entry, concurrently (Raft still
/// appends them together).
async fn triage_each(actor: &DispatchActor, state: &mut ActorState, envelopes: &[&Envelope]) {
    let epoch = state.epoch;
    let outcomes = futures_util::future::join_all(
        envelopes
            .iter()
            .map(|envelope| async move { triage(actor, epoch, envelope).await }),
    )
    .await;
    for (envelope, outcome) in envelopes.iter().zip(outcomes) {
        match outcome {
            Ok(()) => {
                state.handled += 1;
                state.done.insert(envelope.seq);
            }
            Err(error) => actor.note_error(state, envelope, error),
        }
    }
}

/// Triages one message in its own entry, or dismisses it when its
/// incident is no longer awaiting triage.
async fn triage(
    actor: &DispatchActor,
    epoch: u64,
    envelope: &Envelope,
) -> Result<(), ProposeError> {
    let item = {
        let applied = actor.context.node.ledger().read();
        triage_of(actor, &applied.ledger, envelope)
    };
    match item {
        Some(triaged) => {
            actor
                .answer(
                    epoch,
                    envelope,
                    0,
                    Action::TriageIncident(triaged.item.clone()),
                )
                .await?;
            after_triage(actor, epoch, &[triaged]).await
        }
        None => {
            let reason = match envelope.message {
                Message::Triage { incident_id } => format!("{incident_id} is not awaiting triage"),
                _ => "not a triage message".to_string(),
            };
            actor.dismiss(epoch, envelope, reason).await
        }
    }
}

/// A public-concern flag to propose once its incident is triaged.
type Concern = FlagPublicConcern;

/// What the hub does for one incident at triage.
#[derive(Clone)]
struct Triaged {
    /// The triage itself.
    item: TriageIncident,
    /// Its public-concern flag, if it is of public concern.
    concern: Option<Concern>,
    /// A safe house's alarm: the nearest ring-2 and ring-3 units go at once.
    first_response: bool,
    /// A risk warning's hazard item, when its area has no open one.
    hazard: Option<ReportHazard>,
}

/// The run cards' triage of a triage message's incident, if it is still
/// awaiting triage in `ledger`, with its public-concern flag if the
/// incident is of public concern.
fn triage_of(actor: &DispatchActor, ledger: &Ledger, envelope: &Envelope) -> Option<Triaged> {
    let Message::Triage { incident_id } = envelope.message else {
        return None;
    };
    let incident = ledger
        .incident(incident_id)
        .filter(|incident| incident.status == IncidentStatus::Reported)?;
    let district = &actor.context.district;
    let facts = view::incident_facts(incident);
    let triage = RunCardTable::standard().triage(&facts, district);
    // The run card's first ring answers first; a force level beyond it
    // escalates outward by message, leaving the hop in the audit trail.
    let ring = triage.run_card.first_ring();
    let concern = public_concern(&facts, triage.major, district).map(|why| FlagPublicConcern {
        incident_id,
        why,
        within_ms: actor.context.timing.public_info_within_ms,
    });
    let item = TriageIncident {
        incident_id,
        ring,
        station: triage.station_id.clone().map(StationId),
        run_card: triage.run_card.id.clone(),
        target_s: district.on_scene_target_s(ring, &facts.position),
        major: triage.major,
    };
    let first_response = incident.report.channel == Channel::SafeHouseAlarm;
    let hazard = (incident.report.channel == Channel::RiskWarning)
        .then(|| risk_hazard(ledger, district, incident, &item))
        .flatten();
    Some(Triaged {
        item,
        concern,
        first_response,
        hazard,
    })
}

/// A risk warning opens a hazard item in the register, in the sensitive
/// area it lies in (or its station's ground), unless that area already has
/// an open one.
fn risk_hazard(
    ledger: &Ledger,
    district: &cordon_config::district::District,
    incident: &Incident,
    item: &TriageIncident,
) -> Option<ReportHazard> {
    let at = view::incident_facts(incident).position;
    let area = district
        .sensitive_areas()
        .iter()
        .find(|area| area.contains(&at))
        .map(|area| area.id.clone())
        .or_else(|| item.station.as_ref().map(|station| station.0.clone()))?;
    let open = ledger.hazards().any(|hazard| {
        hazard.area == area
            && !matches!(hazard.stage, HazardStage::Cleared | HazardStage::FalseAlarm)
    });
    let words: String = incident
        .report
        .description
        .chars()
        .take(RISK_SUMMARY_CHARS_MAX)
        .collect();
    (!open).then(|| ReportHazard {
        area,
        position: Some(incident.report.location),
        station: item.station.clone(),
        source: HazardSource::Report,
        summary: format!(
            "risk warning {} ({}): {words}",
            incident.id,
            incident.report.kind.name()
        ),
    })
}

/// How much of a risk warning's words its hazard item carries.
const RISK_SUMMARY_CHARS_MAX: usize = 300;

/// After the triage commit: a safe house's alarm gets its nearest units, a
/// risk warning its hazard item, and an incident of public concern its
/// golden four hours.
async fn after_triage(
    actor: &DispatchActor,
    epoch: u64,
    triaged: &[Triaged],
) -> Result<(), ProposeError> {
    for done in triaged.iter().filter(|done| done.first_response) {
        send_first_response(actor, epoch, done.item.incident_id).await?;
    }
    for (done, hazard) in triaged
        .iter()
        .filter_map(|done| Some((done, done.hazard.clone()?)))
    {
        let request_id = format!("hub.e{epoch}.risk.{}", done.item.incident_id.0);
        match actor
            .act(epoch, request_id, Action::ReportHazard(hazard))
            .await
        {
            Ok(_) => {}
            Err(error) if error.is_fenced() => return Err(error),
            Err(error) => tracing::info!(%error, "risk warning's hazard not opened"),
        }
    }
    let concerns = triaged
        .iter()
        .filter_map(|done| done.concern.clone())
        .collect();
    flag_public_concerns(actor, epoch, concerns).await
}

/// A safe house's alarm: the nearest available ring-2 and ring-3 units
/// (by the street graph) are sent at once, each on its version; a ring with
/// none available, or a unit taken first, leaves the incident to its
/// responder.
async fn send_first_response(
    actor: &DispatchActor,
    epoch: u64,
    incident_id: IncidentId,
) -> Result<(), ProposeError> {
    let sends = first_response(actor, epoch, incident_id);
    for (request_id, action) in sends {
        match actor.act(epoch, request_id, action).await {
            Ok(applied) => {
                tracing::info!(%incident_id, index = applied.index, "safe-house alarm: unit sent")
            }
            Err(error) if error.is_fenced() => return Err(error),
            Err(error) => tracing::info!(%incident_id, %error, "safe-house alarm: unit not sent"),
        }
    }
    Ok(())
}

/// The assignments of a safe house's alarm: the nearest available unit of
/// ring 2 and of ring 3, as the ledger stands now.
fn first_response(
    actor: &DispatchActor,
    epoch: u64,
    incident_id: IncidentId,
) -> Vec<(String, Action)> {
    let applied = actor.context.node.ledger().read();
    let Some(incident) = applied.ledger.incident(incident_id) else {
        return Vec::new();
    };
    let district = &actor.context.district;
    let units = view::candidates(&applied.ledger, district, actor.context.now_ms());
    let travel = actor.context.travel_now();
    let planner = Planner::new(district, &travel, &units);
    let at = view::incident_facts(incident).position;
    [Ring::MassPrevention, Ring::StreetPatrol]
        .into_iter()
        .filter_map(|ring| {
            let nearest = planner
                .rank(&at, ring, &Scope::Ring, &BTreeSet::new())
                .into_iter()
                .next()?;
            let unit = applied.ledger.unit(&UnitId(nearest.unit.id.clone()))?;
            let action = Action::AssignUnit(AssignUnit {
                incident_id,
                unit_id: unit.id.clone(),
                expected_unit_version: unit.version,
                eta_s: nearest.eta_s,
                breach: nearest.eta_s > district.on_scene_target_s(ring, &at),
            });
            Some((
                format!(
                    "hub.e{epoch}.safe-house.{}.r{}",
                    incident_id.0,
                    ring.number()
                ),
                action,
            ))
        })
        .collect()
}

/// Starts the golden four hours of the incidents just triaged that are of
/// public concern (a refusal, e.g. one closed meanwhile, is logged only).
async fn flag_public_concerns(
    actor: &DispatchActor,
    epoch: u64,
    concerns: Vec<Concern>,
) -> Result<(), ProposeError> {
    for flag in concerns {
        let request_id = format!("hub.e{epoch}.concern.{}", flag.incident_id.0);
        match actor
            .act(epoch, request_id, Action::FlagPublicConcern(flag))
            .await
        {
            Ok(_) => {}
            Err(error) if error.is_fenced() => return Err(error),
            Err(error) => tracing::info!(%error, "public concern not flagged"),
        }
    }
    Ok(())
}

async fn propose_plan(
    actor: &DispatchActor,
    state: &mut ActorState,
    envelope: &Envelope,
    incident_id: IncidentId,
) -> Result<Handled, ProposeError> {
    let Some(draft) = draft_plan(actor, incident_id) else {
        let reason = format!("{incident_id} needs no new plan");
        actor.dismiss(state.epoch, envelope, reason).await?;
        return Ok(Handled::Done);
    };
    let action = match draft {
        PlanDraft::NoUnit {
            at_ring_four: true,
            wait,
            ..
        } => {
            // No unit anywhere and no ring left: wait for units to free.
            return actor
                .wait_for_units(state, envelope, incident_id, wait)
                .await;
        }
        PlanDraft::NoUnit {
            ring_four_target_s, ..
        } => Action::Escalate(Escalate {
            incident_id,
            to_ring: Ring::SpecialPolice,
            target_s: ring_four_target_s,
            reason: "no unit available for a mobilisation plan".into(),
        }),
        PlanDraft::Parts(parts) => Action::ProposePlan(ProposePlan {
            incident_id,
            parts,
            auto_approve_at_ms: actor.context.now_ms() + actor.context.timing.plan_auto_approve_ms,
        }),
    };
    let attempt = state.next_attempt(envelope.seq);
    actor
        .answer(state.epoch, envelope, attempt, action)
        .await
        .map(|_| Handled::Done)
}

/// What a major incident's plan can be made of now.
enum PlanDraft {
    /// The whole plan, from the units free now.
    Parts(PlanParts),
    /// No unit is free for a plan: escalate to ring 4 (with its target at
    /// the incident's place) or, already there, wait.
    NoUnit {
        /// The incident is at ring 4 already: no ring is left.
        at_ring_four: bool,
        /// Ring 4's on-scene target at the incident's place, seconds.
        ring_four_target_s: u32,
        /// What to wait for at ring 4: a unit of any ring.
        wait: Wait,
    },
}

/// Drafts the plan of an open incident that has none yet (`None` otherwise)
/// from one read of the ledger.
fn draft_plan(actor: &DispatchActor, incident_id: IncidentId) -> Option<PlanDraft> {
    let district = &actor.context.district;
    let applied = actor.context.node.ledger().read();
    let incident = applied
        .ledger
        .incident(incident_id)
        .filter(|i| i.status.is_open() && i.plan.is_none())?;
    let parts = plan_parts(actor, &applied.ledger, incident);
    if parts.lines.is_empty() {
        return Some(PlanDraft::NoUnit {
            at_ring_four: incident.ring == Some(Ring::SpecialPolice),
            ring_four_target_s: view::target_s(incident, Ring::SpecialPolice, district),
            wait: any_unit(&applied, "no unit is available for a mobilisation plan"),
        });
    }
    Some(PlanDraft::Parts(parts))
}

/// Waiting for a unit of any ring to free, as read at `applied`.
fn any_unit(applied: &AppliedState, why: &str) -> Wait {
    Wait {
        reason: format!("every ring exhausted: {why}"),
        rings: Ring::ALL.to_vec(),
        read_index: applied.last_applied.map_or(0, |log_id| log_id.index),
    }
}

/// A mobilisation plan for `incident`, sized by its force level, from the
/// units available in `ledger`: the whole plan as the ledger keeps it.
fn plan_parts(actor: &DispatchActor, ledger: &Ledger, incident: &Incident) -> PlanParts {
    let district = &actor.context.district;
    let facts = view::incident_facts(incident);
    let triage = RunCardTable::standard().triage(&facts, district);
    let candidates = view::candidates(ledger, district, actor.context.now_ms());
    let travel = actor.context.travel_now();
    let plan = mobilisation::plan(&facts, &triage.run_card, &candidates, district, &travel);
    view::plan_parts(&plan)
}

/// Dispatches an approved plan: assigns its units; the units taken since
/// the plan was drawn are replaced from those available now. With no unit
/// assigned at all, the incident is marked unresourced and the message
/// waits for units instead of being consumed: a major incident is never
/// left with an approved plan and nobody going.
async fn dispatch_plan(
    actor: &DispatchActor,
    state: &mut ActorState,
    envelope: &Envelope,
    incident_id: IncidentId,
) -> Result<Handled, ProposeError> {
    let attempt = state.next_attempt(envelope.seq);
    let prefix = actor.request_id(state.epoch, envelope.seq, attempt);
    let lines: Vec<PlanLine> = {
        let applied = actor.context.node.ledger().read();
        applied
            .ledger
            .incident(incident_id)
            .filter(|incident| incident.status.is_open())
            .and_then(|incident| incident.plan.as_ref())
            .map(|plan| plan.parts.lines.clone())
            .unwrap_or_default()
    };
    let wanted = lines.len();
    let line_prefix = format!("{prefix}.line");
    let mut assigned = assign_lines(actor, state.epoch, &line_prefix, incident_id, &lines).await?;
    if assigned < wanted {
        let (fresh, wait) = {
            let applied = actor.context.node.ledger().read();
            let fresh = applied
                .ledger
                .incident(incident_id)
                .map(|incident| plan_parts(actor, &applied.ledger, incident).lines)
                .unwrap_or_default();
            (
                fresh,
                any_unit(&applied, "no unit of the approved plan is available"),
            )
        };
        let missing = fresh.len().min(wanted - assigned);
        let re_prefix = format!("{prefix}.re");
        assigned += assign_lines(
            actor,
            state.epoch,
            &re_prefix,
            incident_id,
            &fresh[..missing],
        )
        .await?;
        if assigned == 0 {
            return actor
                .wait_for_units(state, envelope, incident_id, wait)
                .await;
        }
    }
    let reason = format!("plan dispatched: {assigned} of {wanted} units assigned");
    actor.dismiss(state.epoch, envelope, reason).await?;
    Ok(Handled::Done)
}

/// Assigns each line's unit that is free now, conditional on the unit
/// version read now; returns how many were assigned. A line whose unit is
/// busy costs no commit (a plan waiting for units retries its lines on
/// every unit freed). Request ids are `{prefix}{position}`.
async fn assign_lines(
    actor: &DispatchActor,
    epoch: u64,
    prefix: &str,
    incident_id: IncidentId,
    lines: &[PlanLine],
) -> Result<usize, ProposeError> {
    let mut assigned = 0;
    for (position, line) in lines.iter().enumerate() {
        let version = {
            let applied = actor.context.node.ledger().read();
            applied
                .ledger
                .unit(&line.unit_id)
                .filter(|unit| unit.is_free())
                .map(|unit| unit.version)
        };
        let Some(version) = version else { continue };
        let action = Action::AssignUnit(AssignUnit {
            incident_id,
            unit_id: line.unit_id.clone(),
            expected_unit_version: version,
            eta_s: line.eta_s,
            breach: false,
        });
        match actor
            .act(epoch, format!("{prefix}{position}"), action)
            .await
        {
            Ok(_) => assigned += 1,
            Err(error) if error.is_fenced() => return Err(error),
            Err(error) => {
                tracing::info!(%incident_id, unit_id = %line.unit_id, %error, "plan unit not assigned")
            }
        }
    }
    Ok(assigned)
}

/// The deadline watch: approves plans past their automatic-approval time,
/// escalates incidents whose on-scene deadline passed with nobody on scene,
/// and raises the alert of a unit whose timer ran out. It reads the
/// ledger's index of open incidents' deadlines, so its work is the
/// deadlines due, however many incidents were ever recorded (and the
/// roster's units, a fixed few hundred).
async fn tick(actor: &DispatchActor, state: &mut ActorState) -> Result<(), ProposeError> {
    let now_ms = actor.context.now_ms();
    let actions: Vec<(String, Action)> = {
        let applied = actor.context.node.ledger().read();
        let deadlines = applied
            .ledger
            .deadlines_due(now_ms)
            .filter_map(|(deadline, incident)| {
                deadline_action(actor, state.epoch, deadline, incident)
            });
        deadlines
            .chain(timers_due(actor, state.epoch, &applied.ledger, now_ms))
            .collect()
    };
    for (request_id, action) in actions {
        match actor.act(state.epoch, request_id, action).await {
            Ok(applied) => {
                tracing::info!(index = applied.index, effect = ?applied.effect, "deadline watch acted")
            }
            Err(error) if error.is_fenced() => return Err(error),
            Err(error) => tracing::debug!(%error, "deadline watch step not applied"),
        }
    }
    Ok(())
}

/// The units' timers that ran out at `now_ms` (one per unit, on a unit
/// without an alert): each raised on the unit's version read here. A
/// crew's timers run while it works an incident, a hospital post's round
/// while it waits at its post, so a unit has at most one due.
fn timers_due(
    actor: &DispatchActor,
    epoch: u64,
    ledger: &Ledger,
    now_ms: u64,
) -> Vec<(String, Action)> {
    let timing = &actor.context.timing;
    let crews = [
        (AlertKind::AckOverdue, timing.ack_timeout_ms),
        (AlertKind::CheckInOverdue, timing.check_in_interval_ms),
        (AlertKind::ParOverdue, timing.par_interval_ms),
    ];
    let due = |unit: &cordon_consensus::ledger::Unit, kind: AlertKind, after_ms: u64| {
        unit.alert.is_none() && timer_due_ms(unit, kind, after_ms).is_some_and(|at| at <= now_ms)
    };
    let crew_timers = ledger.units().filter_map(|unit| {
        let (kind, after_ms) = crews
            .into_iter()
            .find(|(kind, after_ms)| due(unit, *kind, *after_ms))?;
        Some(raise_timer(epoch, unit, kind, after_ms))
    });
    // Only the district knows which ring-1 units are hospitals' posts.
    let round_ms = timing.hospital_round_every_ms;
    let rounds = actor
        .context
        .district
        .units()
        .iter()
        .filter(|post| post.kind == cordon_config::district::UnitKind::HospitalPost)
        .filter_map(|post| ledger.unit(&UnitId(post.id.clone())))
        .filter(|unit| due(unit, AlertKind::RoundOverdue, round_ms))
        .map(|unit| raise_timer(epoch, unit, AlertKind::RoundOverdue, round_ms));
    crew_timers.chain(rounds).collect()
}

/// The hub's proposal that `unit`'s `kind` timer of `after_ms` ran out.
fn raise_timer(
    epoch: u64,
    unit: &cordon_consensus::ledger::Unit,
    kind: AlertKind,
    after_ms: u64,
) -> (String, Action) {
    let request_id = format!(
        "hub.e{epoch}.timer.{}.{}.v{}",
        unit.id.0,
        kind.name(),
        unit.version
    );
    let action = Action::RaiseUnitTimer(RaiseUnitTimer {
        unit_id: unit.id.clone(),
        kind,
        expected_version: unit.version,
        after_ms,
    });
    (request_id, action)
}

/// What the watch proposes for a deadline reached: the plan's approval, or
/// the escalation to the next ring out (none past the last ring).
fn deadline_action(
    actor: &DispatchActor,
    epoch: u64,
    deadline: Deadline,
    incident: &Incident,
) -> Option<(String, Action)> {
    match deadline {
        Deadline::PlanApproval => Some((
            format!("hub.e{epoch}.approve.{}", incident.id.0),
            Action::ApprovePlan(ApprovePlan {
                incident_id: incident.id,
            }),
        )),
        Deadline::PublicInfo => {
            let reminder = incident.public_info.as_ref()?.reminders + 1;
            Some((
                format!("hub.e{epoch}.public.{}.r{reminder}", incident.id.0),
                Action::RemindPublicInfo(RemindPublicInfo {
                    incident_id: incident.id,
                    reminder,
                }),
            ))
        }
        Deadline::OnScene => {
            let ring = incident.ring.unwrap_or(Ring::StreetPatrol);
            let to_ring = escalation::outward(ring)?;
            Some((
                format!("hub.e{epoch}.deadline.{}.r{}", incident.id.0, ring.number()),
                Action::Escalate(Escalate {
                    incident_id: incident.id,
                    to_ring,
                    target_s: view::target_s(incident, to_ring, &actor.context.district),
                    reason: "on-scene deadline passed with no unit on scene".into(),
                }),
            ))
        }
    }
}
