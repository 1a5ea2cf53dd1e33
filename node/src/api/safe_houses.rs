//! A safe house's alarm as an intake channel: the button at a safe house
//! (refuge, quick alarm and first aid in the key areas) raises an incident
//! at the safe house with the highest priority on channel
//! `safe_house_alarm`; at triage the hub sends the nearest ring-2 and
//! ring-3 units at once.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use cordon_api::incidents::{Reported, SafeHouseAlarm};
use cordon_api::ApiError;
use cordon_consensus::ledger::{Channel, NewIncident};

use super::incidents::by_channel_rule;
use super::{admit, optional_body, position, ApiResult, ApiState, Caller, Failure};

/// Raise a safe house's alarm: an incident at the safe house, priority 10.
#[utoipa::path(post, path = "/v1/safe-houses/{id}/alarm", tag = "incidents",
    params(("id" = String, Path, description = "Safe house id from GET /v1/district, e.g. bund-safe-house")),
    request_body(content = Option<SafeHouseAlarm>, description = "Optional: request id, kind, words", content_type = "application/json"),
    responses(
        (status = 201, description = "Committed: incident id, log index and request id", body = Reported),
        (status = 200, description = "The request id was raised before (deduplicated = true)", body = Reported),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn alarm(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    payload: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<Reported>)> {
    let _permit = admit(&state)?;
    let asked: SafeHouseAlarm = optional_body(&payload)?;
    let district = &state.actors.context().district;
    let Some(house) = district.safe_houses().iter().find(|house| house.id == id) else {
        let known: Vec<&str> = district
            .safe_houses()
            .iter()
            .map(|house| house.id.as_str())
            .collect();
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!(
                "no safe house {id:?}: the district's are {}",
                known.join(", ")
            ),
        ));
    };
    let ruled = by_channel_rule(Channel::SafeHouseAlarm, asked.kind.as_deref(), None)?;
    let incident = NewIncident {
        kind: ruled.kind,
        priority: ruled.priority,
        force_level: 1,
        location: position(&state, house.position.lat, house.position.lon)?,
        channel: Channel::SafeHouseAlarm,
        description: format!(
            "alarm at {}{}",
            house.name,
            asked
                .description
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        ),
    };
    super::incidents::enter(&state, &caller, asked.request_id, incident).await
}
