//! How a responder (a station or a ring) answers a dispatch: plan with the
//! pure planning code on a fresh read of the ledger, then propose one step
//! (assign, ask a neighbour, escalate) that consumes the message. A lost
//! race for a unit (its version moved) is retried on a fresh read. When no
//! unit of any ring can respond, the incident is marked unresourced and the
//! message waits for a unit to free (see [`crate::waiting`]).

use cordon_config::district::District;
use cordon_consensus::ledger::{
    Action, AssignUnit, Dismiss, Envelope, Escalate, Incident, IncidentId, Ledger, Rejection,
    RequestMutualAid, Ring, StationId, UnitId,
};

use crate::actor::{ActorState, DispatchActor, Handled, ATTEMPTS_PER_MESSAGE_MAX};
use crate::context::ProposeError;
use crate::planning::choose::{choose_by_coverage, DispatchPolicy};
use crate::planning::escalation::{decide, look_further, Attempt, Decision};
use crate::planning::facts::IncidentFacts;
use crate::planning::run_cards::RunCardTable;
use crate::planning::select::{NoCandidate, Planner, Scope, Selection};
use crate::view;
use crate::waiting::Wait;

/// What to do with one message, decided on one read of the ledger.
enum Step {
    /// Nothing left to do: dismiss the message with this reason.
    Moot(String),
    /// Propose this action.
    Act(Action),
    /// No unit anywhere: leave the message pending until a unit frees.
    Wait(Wait),
}

/// Answers a dispatch (or mutual-aid request) for `incident_id` within `scope`.
pub(crate) async fn respond(
    actor: &DispatchActor,
    state: &mut ActorState,
    envelope: &Envelope,
    incident_id: IncidentId,
    scope: Scope,
    own_station: Option<&str>,
) -> Result<Handled, ProposeError> {
    let mut lost_race = None;
    for _ in 0..ATTEMPTS_PER_MESSAGE_MAX {
        let step = plan_step(actor, incident_id, &scope, own_station);
        let action = match step {
            Step::Moot(reason) => Action::Dismiss(Dismiss { reason }),
            Step::Act(action) => action,
            Step::Wait(wait) => {
                return actor
                    .wait_for_units(state, envelope, incident_id, wait)
                    .await
            }
        };
        let attempt = state.next_attempt(envelope.seq);
        match actor.answer(state.epoch, envelope, attempt, action).await {
            Ok(applied) => {
                tracing::info!(actor = %actor.id, %incident_id, index = applied.index, effect = ?applied.effect, "responded");
                return Ok(Handled::Done);
            }
            Err(ProposeError::Rejected(
                rejection @ (Rejection::VersionMismatch { .. } | Rejection::UnitUnavailable { .. }),
            )) => {
                // Another actor took the unit first: read again and choose again.
                state.rejected += 1;
                lost_race = Some(rejection);
                actor.context.node.read_barrier().await?;
            }
            Err(error) => return Err(error),
        }
    }
    // Every attempt lost its race; the message stays pending for the next wake.
    Err(ProposeError::Rejected(
        lost_race.expect("the loop only ends after a lost race"),
    ))
}

fn plan_step(
    actor: &DispatchActor,
    incident_id: IncidentId,
    scope: &Scope,
    own_station: Option<&str>,
) -> Step {
    let district = &actor.context.district;
    let applied = actor.context.node.ledger().read();
    let ledger = &applied.ledger;
    let Some(incident) = ledger.incident(incident_id) else {
        return Step::Moot(format!("incident {incident_id} is unknown"));
    };
    if !incident.awaits_unit() {
        return Step::Moot(format!(
            "incident {incident_id} is already {:?}",
            incident.status
        ));
    }
    let facts = view::incident_facts(incident);
    let ring = incident.ring.unwrap_or(Ring::StreetPatrol);
    let candidates = view::candidates(ledger, district, actor.context.now_ms());
    let travel = actor.context.travel_now();
    let planner = Planner::new(district, &travel, &candidates);
    let selection = choose_unit(actor, &planner, &facts, ring, scope);
    let run_card = RunCardTable::standard().triage(&facts, district).run_card;
    let mut attempt = Attempt::ring_wide();
    attempt.stations_asked = incident.aid_asked.iter().map(|id| id.0.clone()).collect();
    if let Some(station) = own_station.or(incident.station.as_ref().map(StationId::as_str)) {
        attempt.stations_asked.push(station.to_string());
    }
    look_further(&planner, &facts.position, ring, &selection, &mut attempt);
    let decision = decide(&facts, ring, &selection, district, &run_card, &attempt);
    let read_index = applied.last_applied.map_or(0, |log_id| log_id.index);
    step_of(decision, incident, ledger, district, read_index)
}

/// The unit to send by the cluster's dispatch policy: the closest, or
/// (coverage-aware) the one among those in time whose departure costs the
/// least coverage, territory first below ring 4.
fn choose_unit(
    actor: &DispatchActor,
    planner: &Planner<'_>,
    facts: &IncidentFacts,
    ring: Ring,
    scope: &Scope,
) -> Result<Selection, NoCandidate> {
    let context = &actor.context;
    match context.timing.dispatch_policy {
        DispatchPolicy::ClosestIdle => planner.select(facts, ring, scope),
        DispatchPolicy::CoverageAware => {
            planner.select_with(facts, ring, scope, |ranked, target_s| {
                let mut book = context
                    .coverage
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                choose_by_coverage(
                    &mut book,
                    planner.model(),
                    planner.units(),
                    ranked,
                    target_s,
                    ring,
                )
            })
        }
    }
}

/// The step a planning decision for `incident` comes to, on the ledger read
/// (at `read_index`) it was made on.
fn step_of(
    decision: Decision,
    incident: &Incident,
    ledger: &Ledger,
    district: &District,
    read_index: u64,
) -> Step {
    let incident_id = incident.id;
    let ring = incident.ring.unwrap_or(Ring::StreetPatrol);
    let position = view::incident_facts(incident).position;
    let wait = |reason: String, rings: Vec<Ring>| {
        Step::Wait(Wait {
            reason,
            rings,
            read_index,
        })
    };
    match decision {
        Decision::Assign {
            unit_id,
            eta_s,
            breach,
            ..
        } => {
            let unit_id = UnitId(unit_id);
            let Some(unit) = ledger.unit(&unit_id) else {
                // The roster is loading: any ring's new units end the wait.
                let reason = format!("unit {unit_id} is not in the ledger yet");
                return wait(reason, Ring::ALL.to_vec());
            };
            Step::Act(Action::AssignUnit(AssignUnit {
                incident_id,
                unit_id,
                expected_unit_version: unit.version,
                eta_s,
                breach,
            }))
        }
        Decision::MutualAid { from_station } => {
            Step::Act(Action::RequestMutualAid(RequestMutualAid {
                incident_id,
                to_station: StationId(from_station),
                reason: format!(
                    "no group of ring {} within {} s",
                    ring.number(),
                    district.on_scene_target_s(ring, &position)
                ),
            }))
        }
        Decision::Escalate { to_ring, reason } => Step::Act(Action::Escalate(Escalate {
            incident_id,
            to_ring,
            target_s: district.on_scene_target_s(to_ring, &position),
            reason: format!("{reason:?}"),
        })),
        Decision::Exhausted { reason } => {
            wait(format!("every ring exhausted: {reason}"), vec![ring])
        }
    }
}
