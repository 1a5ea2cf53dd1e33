//! Units: the list, and status updates from the field.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::Extension;
use axum::Json;
use cordon_api::incidents::Committed;
use cordon_api::units::{UnitList, UnitStatusUpdate};
use cordon_api::ApiError;
use cordon_consensus::ledger::{Action, Command, UnitId, UnitStatus, UpdateUnitStatus};
use cordon_consensus::node::unix_millis;

use super::{
    admit, body, commit, committed, parse_enum, position, request_id, ApiResult, ApiState, Caller,
    Failure,
};
use crate::wire;

/// Units with ring, status, position, assignment and version (linearizable read).
#[utoipa::path(get, path = "/v1/units", tag = "units",
    responses(
        (status = 200, description = "Every unit", body = UnitList),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn list_units(State(state): State<ApiState>) -> ApiResult<Json<UnitList>> {
    let _permit = admit(&state)?;
    state.node.read_barrier().await?;
    let ledger = state.node.ledger().read();
    let units = ledger.ledger.units().map(wire::unit).collect();
    Ok(Json(UnitList { units }))
}

/// Report a unit's status and position from the field.
#[utoipa::path(post, path = "/v1/units/{id}/status", tag = "units",
    params(("id" = String, Path, description = "Unit id, e.g. bund-1-a")),
    request_body(content = UnitStatusUpdate, description = "The new status", content_type = "application/json"),
    responses(
        (status = 200, description = "Committed: log index and effect", body = Committed),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn update_unit_status(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(unit_id): Path<String>,
    payload: Result<Json<UnitStatusUpdate>, JsonRejection>,
) -> ApiResult<Json<Committed>> {
    let _permit = admit(&state)?;
    let update = body(payload)?;
    let status: UnitStatus = parse_enum(
        "status",
        &update.status,
        "available, dispatched, acknowledged, en_route, on_scene, transporting, returning, out_of_service",
    )?;
    let position = match (update.lat, update.lon) {
        (Some(lat), Some(lon)) => Some(position(&state, lat, lon)?),
        (None, None) => None,
        _ => return Err(Failure::bad_input("send both lat and lon, or neither")),
    };
    let command = Command {
        request_id: request_id(update.request_id)?,
        proposed_at_ms: unix_millis(),
        origin: caller.origin.clone(),
        action: Action::UpdateUnitStatus(UpdateUnitStatus {
            unit_id: UnitId(unit_id),
            status,
            position,
            expected_version: update.expected_version,
        }),
        consumes: Vec::new(),
        traceparent: cordon_consensus::trace::current_traceparent(),
    };
    let applied = commit(&state, command, &caller).await?;
    Ok(committed(&applied))
}
