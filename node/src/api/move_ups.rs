//! Move-ups: the list, and a commander's approval or refusal of a proposal.

use axum::extract::{Path, State};
use axum::Extension;
use axum::Json;
use cordon_api::incidents::Committed;
use cordon_api::move_ups::{DeclineMoveUp, MoveUpList};
use cordon_api::ApiError;
use cordon_consensus::ledger::{self, Action, Command, RequestId};
use cordon_consensus::node::unix_millis;

use super::{admit, commit, committed, optional_body, ApiResult, ApiState, Caller, Failure};
use crate::wire;

/// Move-ups awaiting a decision and the newest decided, newest first
/// (linearizable read).
#[utoipa::path(get, path = "/v1/move-ups", tag = "units",
    responses(
        (status = 200, description = "The move-ups kept", body = MoveUpList),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn list_move_ups(State(state): State<ApiState>) -> ApiResult<Json<MoveUpList>> {
    let _permit = admit(&state)?;
    state.node.read_barrier().await?;
    let ledger = state.node.ledger().read();
    let move_ups = ledger.ledger.move_ups().rev().map(wire::move_up).collect();
    let approval = state.actors.context().timing.move_up.as_str().to_string();
    Ok(Json(MoveUpList { approval, move_ups }))
}

/// Approve a proposed move-up: its units get their new posts.
#[utoipa::path(post, path = "/v1/move-ups/{id}/approve", tag = "units",
    params(("id" = u64, Path, description = "The move-up's id, from GET /v1/move-ups")),
    responses(
        (status = 200, description = "Committed: log index and effect", body = Committed),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn approve_move_up(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Committed>> {
    let _permit = admit(&state)?;
    let move_up_id = move_up_id(&id)?;
    // One request id per move-up: a double click is answered once.
    let command = Command::new(
        RequestId(format!("approve-move-up-{move_up_id}")),
        unix_millis(),
        caller.origin.clone(),
        Action::ApproveMoveUp(ledger::ApproveMoveUp { move_up_id }),
    );
    Ok(committed(&commit(&state, command, &caller).await?))
}

/// Decline a proposed move-up, saying why: no unit moves.
#[utoipa::path(post, path = "/v1/move-ups/{id}/decline", tag = "units",
    params(("id" = u64, Path, description = "The move-up's id, from GET /v1/move-ups")),
    request_body(content = Option<DeclineMoveUp>, description = "Optional: why", content_type = "application/json"),
    responses(
        (status = 200, description = "Committed: log index and effect", body = Committed),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn decline_move_up(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    payload: axum::body::Bytes,
) -> ApiResult<Json<Committed>> {
    let _permit = admit(&state)?;
    let move_up_id = move_up_id(&id)?;
    let body: DeclineMoveUp = optional_body(&payload)?;
    let command = Command::new(
        RequestId(format!("decline-move-up-{move_up_id}")),
        unix_millis(),
        caller.origin.clone(),
        Action::DeclineMoveUp(ledger::DeclineMoveUp {
            move_up_id,
            reason: body.reason.unwrap_or_else(|| "declined".to_string()),
        }),
    );
    Ok(committed(&commit(&state, command, &caller).await?))
}

/// A move-up id from the path, or a refusal naming the fix.
fn move_up_id(id: &str) -> ApiResult<u64> {
    id.parse().map_err(|_| {
        Failure::bad_input(format!(
            "move-up id {id:?} is not a number: use an id from GET /v1/move-ups"
        ))
    })
}
