//! The field's own voice on a unit: check-ins (a PAR), notes on the trail
//! of its incident, the alarm, and a dispatcher clearing a unit's alert.
//! A field unit acts on its own unit only (the ledger checks the scope).

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::Extension;
use axum::Json;
use cordon_api::incidents::Committed;
use cordon_api::units::{FieldNote, UnitRequest};
use cordon_api::ApiError;
use cordon_consensus::ledger::{self, Action, Command, UnitId};
use cordon_consensus::node::unix_millis;

use super::{
    admit, body, commit, committed, optional_body, request_id, ApiResult, ApiState, Caller,
};

/// Proposes `action` for the caller under the request id it sent.
async fn propose(
    state: &ApiState,
    caller: &Caller,
    given: Option<String>,
    action: Action,
) -> ApiResult<Json<Committed>> {
    let command = Command::new(
        request_id(given)?,
        unix_millis(),
        caller.origin.clone(),
        action,
    );
    let applied = commit(state, command, caller).await?;
    Ok(committed(&applied))
}

/// The unit's crew checks in (a ring-4 team's PAR): its check-in and PAR
/// timers start again, and an overdue check-in or PAR alert ends.
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
    let asked: UnitRequest = optional_body(&payload)?;
    let action = Action::CheckIn(ledger::CheckIn {
        unit_id: UnitId(id),
    });
    propose(&state, &caller, asked.request_id, action).await
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
    let asked: UnitRequest = optional_body(&payload)?;
    let action = Action::RaiseAlarm(ledger::RaiseAlarm {
        unit_id: UnitId(id),
    });
    propose(&state, &caller, asked.request_id, action).await
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
    let asked: UnitRequest = optional_body(&payload)?;
    let action = Action::ClearUnitAlert(ledger::ClearUnitAlert {
        unit_id: UnitId(id),
    });
    propose(&state, &caller, asked.request_id, action).await
}

/// A note from the unit on the trail of the incident it is assigned to.
#[utoipa::path(post, path = "/v1/units/{id}/notes", tag = "units",
    params(("id" = String, Path, description = "Unit id, e.g. bund-1-a")),
    request_body(content = FieldNote, description = "The note", content_type = "application/json"),
    responses(
        (status = 200, description = "Committed: log index and effect", body = Committed),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn field_note(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    payload: Result<Json<FieldNote>, JsonRejection>,
) -> ApiResult<Json<Committed>> {
    let _permit = admit(&state)?;
    let note = body(payload)?;
    let action = Action::FieldNote(ledger::FieldNote {
        unit_id: UnitId(id),
        text: note.text,
    });
    propose(&state, &caller, note.request_id, action).await
}
