//! A dispatcher's own hand on an incident: the recommended units with their
//! ETAs on the street graph, assigning one, notes, and acknowledging an
//! unresourced wait. Every write is a ledger command under the caller's
//! principal, so the trail says who did it.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Extension;
use axum::Json;
use cordon_actors::planning::{Planner, Recommended, Territory, RECOMMENDED_PER_RING_MAX};
use cordon_actors::view;
use cordon_api::incidents::{
    Acknowledge, AddNote, AmendPlan, AnswerAsk, AskDistrict, AssignUnit, Committed, Recommendation,
    Recommendations,
};
use cordon_api::ApiError;
use cordon_config::district::Ring;
use cordon_consensus::ledger::{self, Action, Incident, IncidentId, Ledger, UnitId};

use super::{admit, body, propose, propose_bare, ApiResult, ApiState, Caller, Failure};

/// The units a dispatcher may send, quickest first within each ring, the
/// incident's own ring first (linearizable read).
#[utoipa::path(get, path = "/v1/incidents/{id}/recommendations", tag = "incidents",
    params(("id" = String, Path, description = "Incident id, e.g. I-000042")),
    responses(
        (status = 200, description = "Available units with their ETAs and targets", body = Recommendations),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn recommendations(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Recommendations>> {
    let _permit = admit(&state)?;
    let incident_id: IncidentId = id.parse().map_err(Failure::bad_input)?;
    state.node.read_barrier().await?;
    let context = state.actors.context().clone();
    let applied = state.node.ledger().read();
    let incident = open_incident(&applied.ledger, incident_id)?;
    let units = view::candidates(&applied.ledger, &context.district, context.now_ms());
    let travel = context.travel_now();
    let planner = Planner::new(&context.district, &travel, &units);
    let at = view::incident_facts(incident).position;
    let recommended = planner.recommend(&at, incident.ring, RECOMMENDED_PER_RING_MAX);
    Ok(Json(Recommendations {
        incident_id: incident_id.to_string(),
        ring: incident.ring.map(ledger::Ring::number),
        read_index: applied.last_applied.map_or(0, |log_id| log_id.index),
        units: recommended.iter().map(recommendation).collect(),
    }))
}

fn recommendation(recommended: &Recommended<'_>) -> Recommendation {
    let Recommended { ranked, target_s } = *recommended;
    Recommendation {
        unit_id: ranked.unit.id.clone(),
        ring: ranked.unit.ring.number(),
        station: ranked.unit.station.clone(),
        eta_s: ranked.eta_s,
        target_s,
        meets_target: ranked.eta_s <= target_s,
        territory: match ranked.territory {
            Territory::OwnZone => "own_zone",
            Territory::OwnStation => "own_station",
            Territory::Elsewhere => "elsewhere",
        }
        .to_owned(),
    }
}

/// An open incident of the ledger, or the refusal that says why not.
fn open_incident(ledger: &Ledger, incident_id: IncidentId) -> ApiResult<&Incident> {
    match ledger.incident(incident_id) {
        Some(incident) if incident.status.is_open() => Ok(incident),
        Some(incident) => Err(Failure::new(
            StatusCode::CONFLICT,
            "rejected",
            format!("{incident_id} is {}: only an open incident takes units", crate::wire::name(&incident.status)),
        )),
        None => Err(Failure::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no open incident {incident_id}: list open incidents with GET /v1/incidents?status=open"),
        )),
    }
}

/// Send an available unit to an incident; its ETA is estimated on the
/// street graph now and the assignment is made on the unit's version read
/// with it, so a unit another dispatcher or a responder took first is
/// refused (409), never sent twice.
#[utoipa::path(post, path = "/v1/incidents/{id}/assign", tag = "incidents",
    params(("id" = String, Path, description = "Incident id, e.g. I-000042")),
    request_body(content = AssignUnit, description = "The unit to send", content_type = "application/json"),
    responses(
        (status = 200, description = "Committed: log index and effect", body = Committed),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn assign_unit(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    payload: Result<Json<AssignUnit>, JsonRejection>,
) -> ApiResult<Json<Committed>> {
    let _permit = admit(&state)?;
    let incident_id: IncidentId = id.parse().map_err(Failure::bad_input)?;
    let asked = body(payload)?;
    state.node.read_barrier().await?;
    let action = assignment(&state, incident_id, &asked)?;
    propose(&state, &caller, asked.request_id, action).await
}

/// The assignment of the unit asked for to `incident_id` as the ledger
/// stands now: the unit's version, its ETA from where it is, and whether it
/// misses the incident's on-scene target; a reassignment when the unit
/// works another open incident and the caller said why.
fn assignment(state: &ApiState, incident_id: IncidentId, asked: &AssignUnit) -> ApiResult<Action> {
    let unit_id = asked.unit_id.as_str();
    let context = state.actors.context();
    let applied = state.node.ledger().read();
    let incident = open_incident(&applied.ledger, incident_id)?;
    let unknown = || {
        Failure::bad_input(format!(
            "unit_id {unit_id:?} is unknown: choose one of GET /v1/incidents/{incident_id}/recommendations"
        ))
    };
    let unit = applied
        .ledger
        .unit(&UnitId(unit_id.to_owned()))
        .ok_or_else(unknown)?;
    let staffing = view::Staffing::at(&applied.ledger, &context.district, context.now_ms());
    let known = view::candidate(&applied.ledger, &context.district, unit_id, &staffing)
        .ok_or_else(unknown)?;
    super::roster::check_staffed(&staffing, unit_id)?;
    let at = view::incident_facts(incident).position;
    let eta_s = context
        .travel_now()
        .eta_s(&known.position, known.travel_mode, &at);
    let target_s = incident
        .target_s
        .unwrap_or_else(|| context.district.on_scene_target_s(known.ring, &at));
    let assign = ledger::AssignUnit {
        incident_id,
        unit_id: unit.id.clone(),
        expected_unit_version: unit.version,
        eta_s,
        breach: eta_s > target_s,
    };
    let busy_on = unit
        .assigned_to
        .filter(|from| *from != incident_id && unit.status != ledger::UnitStatus::Available);
    match (busy_on, asked.reassign_reason.as_deref()) {
        (None, _) => Ok(Action::AssignUnit(assign)),
        (Some(from), Some(reason)) => Ok(Action::ReassignUnit(ledger::ReassignUnit {
            assign,
            from_incident_id: from,
            reason: reason.to_owned(),
        })),
        (Some(from), None) => Err(Failure::new(
            StatusCode::CONFLICT,
            "unit_busy",
            format!(
                "{unit_id} works {from} ({}): to take it from there send reassign_reason saying why, or choose an available unit",
                crate::wire::name(&unit.status)
            ),
        )),
    }
}

/// Add a note to an open incident's trail.
#[utoipa::path(post, path = "/v1/incidents/{id}/notes", tag = "incidents",
    params(("id" = String, Path, description = "Incident id, e.g. I-000042")),
    request_body(content = AddNote, description = "The note", content_type = "application/json"),
    responses(
        (status = 200, description = "Committed: log index and effect", body = Committed),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn add_note(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    payload: Result<Json<AddNote>, JsonRejection>,
) -> ApiResult<Json<Committed>> {
    let _permit = admit(&state)?;
    let incident_id: IncidentId = id.parse().map_err(Failure::bad_input)?;
    let note = body(payload)?;
    let action = Action::AddNote(ledger::AddNote {
        incident_id,
        text: note.text,
    });
    propose(&state, &caller, note.request_id, action).await
}

/// Acknowledge that an open incident has no unit to send, and own the wait.
#[utoipa::path(post, path = "/v1/incidents/{id}/acknowledge", tag = "incidents",
    params(("id" = String, Path, description = "Incident id, e.g. I-000042")),
    request_body(content = Option<Acknowledge>, description = "Optional: a request id", content_type = "application/json"),
    responses(
        (status = 200, description = "Committed: log index and effect", body = Committed),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn acknowledge_unresourced(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    payload: axum::body::Bytes,
) -> ApiResult<Json<Committed>> {
    let _permit = admit(&state)?;
    let incident_id: IncidentId = id.parse().map_err(Failure::bad_input)?;
    let action = Action::AcknowledgeUnresourced(ledger::AcknowledgeUnresourced { incident_id });
    propose_bare(&state, &caller, &payload, action).await
}

/// A station's command room asks the district for more units of a ring
/// for one of its open incidents, saying why.
#[utoipa::path(post, path = "/v1/incidents/{id}/ask-district", tag = "incidents",
    params(("id" = String, Path, description = "Incident id, e.g. I-000042")),
    request_body(content = AskDistrict, description = "The ring, how many units, and why", content_type = "application/json"),
    responses(
        (status = 200, description = "Committed: log index and effect", body = Committed),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn ask_district(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    payload: Result<Json<AskDistrict>, JsonRejection>,
) -> ApiResult<Json<Committed>> {
    let _permit = admit(&state)?;
    let incident_id: IncidentId = id.parse().map_err(Failure::bad_input)?;
    let ask = body(payload)?;
    let ring = Ring::ALL
        .into_iter()
        .find(|ring| ring.number() == ask.ring)
        .ok_or_else(|| Failure::bad_input(format!("ring {} is unknown: use 1 to 4", ask.ring)))?;
    let action = Action::AskDistrict(ledger::AskDistrict {
        incident_id,
        ring,
        units: ask.units,
        reason: ask.reason,
    });
    propose(&state, &caller, ask.request_id, action).await
}

/// The district command centre grants or declines a station room's ask.
#[utoipa::path(post, path = "/v1/incidents/{id}/asks/{ask}/answer", tag = "incidents",
    params(
        ("id" = String, Path, description = "Incident id, e.g. I-000042"),
        ("ask" = u32, Path, description = "The ask's number on the incident, from 1"),
    ),
    request_body(content = AnswerAsk, description = "Granted or declined, and what the district says", content_type = "application/json"),
    responses(
        (status = 200, description = "Committed: log index and effect", body = Committed),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn answer_ask(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path((id, ask)): Path<(String, u32)>,
    payload: Result<Json<AnswerAsk>, JsonRejection>,
) -> ApiResult<Json<Committed>> {
    let _permit = admit(&state)?;
    let incident_id: IncidentId = id.parse().map_err(Failure::bad_input)?;
    let answer = body(payload)?;
    let action = Action::AnswerDistrictAsk(ledger::AnswerDistrictAsk {
        incident_id,
        ask,
        granted: answer.granted,
        note: answer.note,
    });
    propose(&state, &caller, answer.request_id, action).await
}

/// Amend a major incident's plan that awaits approval: units off it, units
/// onto it (sent to the scene as reinforcement, their ETAs estimated on the
/// street graph now).
#[utoipa::path(post, path = "/v1/plans/{id}/amend", tag = "incidents",
    params(("id" = String, Path, description = "The major incident's id, e.g. I-000042")),
    request_body(content = AmendPlan, description = "Units to drop and to add", content_type = "application/json"),
    responses(
        (status = 200, description = "Committed: log index and effect", body = Committed),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn amend_plan(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    payload: Result<Json<AmendPlan>, JsonRejection>,
) -> ApiResult<Json<Committed>> {
    let _permit = admit(&state)?;
    let incident_id: IncidentId = id.parse().map_err(Failure::bad_input)?;
    let asked = body(payload)?;
    state.node.read_barrier().await?;
    let action = amendment(&state, incident_id, &asked)?;
    propose(&state, &caller, asked.request_id, action).await
}

/// The amendment as the ledger takes it: each added unit's line to the
/// scene with its ETA from where it is now.
fn amendment(state: &ApiState, incident_id: IncidentId, asked: &AmendPlan) -> ApiResult<Action> {
    let context = state.actors.context();
    let applied = state.node.ledger().read();
    let incident = open_incident(&applied.ledger, incident_id)?;
    let at = view::incident_facts(incident).position;
    let travel = context.travel_now();
    let staffing = view::Staffing::at(&applied.ledger, &context.district, context.now_ms());
    let add_lines = asked
        .add
        .iter()
        .map(|unit_id| {
            let unknown = || {
                Failure::bad_input(format!(
                    "add: unit {unit_id:?} is unknown: list units with GET /v1/units"
                ))
            };
            let unit = applied
                .ledger
                .unit(&UnitId(unit_id.clone()))
                .ok_or_else(unknown)?;
            let known = view::candidate(&applied.ledger, &context.district, unit_id, &staffing)
                .ok_or_else(unknown)?;
            Ok(ledger::PlanLine {
                ring: unit.ring,
                unit_id: unit.id.clone(),
                eta_s: travel.eta_s(&known.position, known.travel_mode, &at),
                role: ledger::PlanRole::Reinforcement,
                destination: incident.report.location,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Action::AmendPlan(ledger::AmendPlan {
        incident_id,
        drop_units: asked.drop.iter().map(|unit| UnitId(unit.clone())).collect(),
        add_lines,
    }))
}
