//! The field's own voice on a unit: check-ins (a PAR), notes on the trail
//! of its incident, the alarm, and a dispatcher clearing a unit's alert.
//! A field unit acts on its own unit only (the ledger checks the scope).

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::Extension;
use axum::Json;
use cordon_api::incidents::AddNote;
use cordon_api::incidents::Committed;
use cordon_api::units::{UnitRequest, UnitRoute};
use cordon_api::ApiError;
use cordon_consensus::ledger::{self, Action, UnitId};

use super::{admit, body, propose, propose_bare, ApiResult, ApiState, Caller, Failure};

/// The unit's crew checks in (a ring-4 team's PAR, a hospital post's
/// patrol round): its check-in, PAR and round timers start again, and an
/// overdue check-in, PAR or round alert ends.
#[utoipa::path(post, path = "/v1/units/{id}/check-in", tag = "units",
    params(("id" = String, Path, description = "Unit id, e.g. bund-1-a")),
    request_body(content = Option<UnitRequest>, description = "Optional: a request id", content_type = "application/json"),
    responses(
        (status = 200, description = "Committed: log index and effect", body = Committed),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn check_in(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    payload: axum::body::Bytes,
) -> ApiResult<Json<Committed>> {
    let _permit = admit(&state)?;
    let action = Action::CheckIn(ledger::CheckIn {
        unit_id: UnitId(id),
    });
    propose_bare(&state, &caller, &payload, action).await
}

/// The unit's crew presses the alarm: officers need help. It shows on every
/// dispatcher's console and the incident's trail until a dispatcher clears it.
#[utoipa::path(post, path = "/v1/units/{id}/alarm", tag = "units",
    params(("id" = String, Path, description = "Unit id, e.g. bund-1-a")),
    request_body(content = Option<UnitRequest>, description = "Optional: a request id", content_type = "application/json"),
    responses(
        (status = 200, description = "Committed: log index and effect", body = Committed),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn raise_alarm(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    payload: axum::body::Bytes,
) -> ApiResult<Json<Committed>> {
    let _permit = admit(&state)?;
    let action = Action::RaiseAlarm(ledger::RaiseAlarm {
        unit_id: UnitId(id),
    });
    propose_bare(&state, &caller, &payload, action).await
}

/// A dispatcher clears a unit's alert (a timer's or the alarm); its timers
/// run again from now.
#[utoipa::path(post, path = "/v1/units/{id}/alert/clear", tag = "units",
    params(("id" = String, Path, description = "Unit id, e.g. bund-1-a")),
    request_body(content = Option<UnitRequest>, description = "Optional: a request id", content_type = "application/json"),
    responses(
        (status = 200, description = "Committed: log index and effect", body = Committed),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn clear_alert(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    payload: axum::body::Bytes,
) -> ApiResult<Json<Committed>> {
    let _permit = admit(&state)?;
    let action = Action::ClearUnitAlert(ledger::ClearUnitAlert {
        unit_id: UnitId(id),
    });
    propose_bare(&state, &caller, &payload, action).await
}

/// A note from the unit on the trail of the incident it is assigned to.
#[utoipa::path(post, path = "/v1/units/{id}/notes", tag = "units",
    params(("id" = String, Path, description = "Unit id, e.g. bund-1-a")),
    request_body(content = AddNote, description = "The note", content_type = "application/json"),
    responses(
        (status = 200, description = "Committed: log index and effect", body = Committed),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn field_note(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    payload: Result<Json<AddNote>, JsonRejection>,
) -> ApiResult<Json<Committed>> {
    let _permit = admit(&state)?;
    let note = body(payload)?;
    let action = Action::FieldNote(ledger::FieldNote {
        unit_id: UnitId(id),
        text: note.text,
    });
    propose(&state, &caller, note.request_id, action).await
}

/// The way for a unit to the incident it is assigned to, by the streets
/// now (its travel mode, the crowds of the hour): the points to draw and
/// the streets in order (linearizable read).
#[utoipa::path(get, path = "/v1/units/{id}/route", tag = "units",
    params(("id" = String, Path, description = "Unit id, e.g. bund-1-a")),
    responses(
        (status = 200, description = "The route", body = UnitRoute),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn unit_route(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Json<UnitRoute>> {
    let _permit = admit(&state)?;
    state.node.read_barrier().await?;
    let context = state.actors.context().clone();
    let (from, to, incident_id) = route_ends(&state, &id)?;
    let Some(known) = context.district.unit(&id) else {
        return Err(Failure::bad_input(format!(
            "unit {id:?} is not in the district model"
        )));
    };
    let mode = known.travel_mode;
    let travel = context.travel_now();
    let Some(trace) = travel.travel().trace(&from, &to, mode) else {
        return Err(Failure::new(
            axum::http::StatusCode::CONFLICT,
            "no_route",
            format!("no way for {id} by {} now: the crowds or closures shut every street; send it on foot or another unit", crate::wire::name(&mode)),
        ));
    };
    Ok(Json(UnitRoute {
        unit_id: id,
        incident_id: incident_id.to_string(),
        mode: crate::wire::name(&mode),
        travel_s: trace.seconds,
        points: trace
            .points
            .iter()
            .map(|point| [point.lat, point.lon])
            .collect(),
        streets: trace.streets,
    }))
}

/// Where unit `id` is and where its incident is, or why it has no route.
fn route_ends(
    state: &ApiState,
    id: &str,
) -> ApiResult<(
    cordon_config::district::LatLon,
    cordon_config::district::LatLon,
    ledger::IncidentId,
)> {
    use cordon_config::district::LatLon;
    let applied = state.node.ledger().read();
    let Some(unit) = applied.ledger.unit(&UnitId(id.to_owned())) else {
        let message = format!("no unit {id}: list units with GET /v1/units");
        return Err(Failure::new(
            axum::http::StatusCode::NOT_FOUND,
            "not_found",
            message,
        ));
    };
    let incident = unit
        .assigned_to
        .and_then(|incident_id| applied.ledger.incident(incident_id));
    let Some(incident) = incident else {
        let message = format!("unit {id} is not assigned to an open incident: it has no route");
        return Err(Failure::new(
            axum::http::StatusCode::CONFLICT,
            "no_assignment",
            message,
        ));
    };
    let at = |position: &ledger::Position| LatLon::new(position.lat(), position.lon());
    Ok((
        at(&unit.position),
        at(&incident.report.location),
        incident.id,
    ))
}
