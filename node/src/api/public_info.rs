//! The golden four hours by hand: a commander or a station's room flags an
//! incident of public concern (the hub flags by its rule at triage) and
//! records the first authoritative public release, which stops the clock.
//! Both are ledger commands under the caller's principal, on the trail.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::{Extension, Json};
use cordon_api::incidents::{Committed, FlagPublicConcern, PublicRelease};
use cordon_api::ApiError;
use cordon_consensus::ledger::{self, Action, IncidentId};

use super::{admit, body, propose, ApiResult, ApiState, Caller, Failure};

/// Flag an open incident of public concern: its first authoritative
/// public release is due within `actors.public_info_within_ms` (the golden
/// four hours) of its report; a second flag keeps the first clock.
#[utoipa::path(post, path = "/v1/incidents/{id}/public-concern", tag = "incidents",
    params(("id" = String, Path, description = "Incident id, e.g. I-000042")),
    request_body(content = FlagPublicConcern, description = "Why", content_type = "application/json"),
    responses(
        (status = 200, description = "Committed: log index and effect", body = Committed),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn flag(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    payload: Result<Json<FlagPublicConcern>, JsonRejection>,
) -> ApiResult<Json<Committed>> {
    let _permit = admit(&state)?;
    let incident_id: IncidentId = id.parse().map_err(Failure::bad_input)?;
    let asked = body(payload)?;
    let action = Action::FlagPublicConcern(ledger::FlagPublicConcern {
        incident_id,
        why: format!("flagged by {}: {}", caller.principal.name, asked.why),
        within_ms: state.actors.context().timing.public_info_within_ms,
    });
    propose(&state, &caller, asked.request_id, action).await
}

/// Record the first authoritative public release of an incident of public
/// concern, approved by the caller; its reminders stop.
#[utoipa::path(post, path = "/v1/incidents/{id}/public-release", tag = "incidents",
    params(("id" = String, Path, description = "Incident id, e.g. I-000042")),
    request_body(content = PublicRelease, description = "The release", content_type = "application/json"),
    responses(
        (status = 200, description = "Committed: log index and effect", body = Committed),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn release(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    payload: Result<Json<PublicRelease>, JsonRejection>,
) -> ApiResult<Json<Committed>> {
    let _permit = admit(&state)?;
    let incident_id: IncidentId = id.parse().map_err(Failure::bad_input)?;
    let asked = body(payload)?;
    let action = Action::ReleasePublicInfo(ledger::ReleasePublicInfo {
        incident_id,
        text: asked.text,
    });
    propose(&state, &caller, asked.request_id, action).await
}
