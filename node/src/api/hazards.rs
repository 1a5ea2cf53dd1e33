//! The hazard register: the list with the day's tally, a hazard reported,
//! and each stage of the loop (push, verify, measures, clear, escalate).

use std::collections::BTreeMap;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::Extension;
use axum::Json;
use cordon_api::hazards::{
    ClearHazard, ClearedTally, HazardList, PushHazard, ReportHazard, TakeMeasure, VerifyHazard,
};
use cordon_api::incidents::Committed;
use cordon_api::ApiError;
use cordon_config::district::sensors::CrowdArea;
use cordon_config::District;
use cordon_consensus::ledger::hazards::{HazardSource, MeasureKind, Verifier, CLEARED_SLOT_MS};
use cordon_consensus::ledger::{self, Action, Command, StationId, UnitId};
use cordon_consensus::node::unix_millis;

use super::{
    admit, body, commit, committed, optional_body, parse_enum, position, request_id, ApiResult,
    ApiState, Caller, Failure,
};
use crate::wire;

/// The register: open hazards first, oldest first, then the newest closed;
/// and the hazards cleared per area and day (linearizable read).
#[utoipa::path(get, path = "/v1/hazards", tag = "crowd",
    responses(
        (status = 200, description = "The hazard register", body = HazardList),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn list_hazards(State(state): State<ApiState>) -> ApiResult<Json<HazardList>> {
    let _permit = admit(&state)?;
    state.node.read_barrier().await?;
    let applied = state.node.ledger().read();
    let ledger = &applied.ledger;
    let (open, closed): (Vec<_>, Vec<_>) = ledger.hazards().partition(|h| !h.stage.is_closed());
    let hazards = open
        .into_iter()
        .chain(closed.into_iter().rev())
        .map(wire::hazard)
        .collect();
    let offset_min = state.actors.context().district.utc_offset_min();
    let cleared = local_days(ledger.hazards_cleared(), offset_min);
    Ok(Json(HazardList { hazards, cleared }))
}

/// The tally per area and local day (`offset_min` ahead of UTC), from its
/// quarter-hour slots.
fn local_days(slots: &BTreeMap<(String, u64), u32>, offset_min: i32) -> Vec<ClearedTally> {
    let mut days: BTreeMap<(String, i64), u32> = BTreeMap::new();
    for ((area, slot), cleared) in slots {
        let local_ms = (slot * CLEARED_SLOT_MS) as i64 + i64::from(offset_min) * 60_000;
        *days
            .entry((area.clone(), local_ms.div_euclid(86_400_000)))
            .or_default() += cleared;
    }
    days.into_iter()
        .map(|((area, day), cleared)| ClearedTally {
            area,
            date: date_of(day),
            cleared,
        })
        .collect()
}

/// Report a hazard seen: it enters the register awaiting a verifier.
#[utoipa::path(post, path = "/v1/hazards", tag = "crowd",
    request_body = ReportHazard,
    responses(
        (status = 200, description = "Committed: the hazard's id is the log index", body = Committed),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn report_hazard(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    payload: Result<Json<ReportHazard>, JsonRejection>,
) -> ApiResult<Json<Committed>> {
    let _permit = admit(&state)?;
    let report = body(payload)?;
    let district = &state.actors.context().district;
    let area = district.crowd_area(&report.area).ok_or_else(|| {
        Failure::bad_input(format!(
            "area {:?} is not a sensitive area, zone or station of the district: see GET /v1/district",
            report.area
        ))
    })?;
    let at = optional_position(&state, report.lat, report.lon)?;
    let source = parse_enum::<HazardSource>("source", &report.source, "patrol, report, sensor")?;
    let action = Action::ReportHazard(ledger::ReportHazard {
        area: report.area.clone(),
        position: at,
        station: station_of(district, &area, at.as_ref()),
        source,
        summary: report.summary,
    });
    let command = Command::new(
        request_id(report.request_id)?,
        unix_millis(),
        caller.origin.clone(),
        action,
    );
    Ok(committed(&commit(&state, command, &caller).await?))
}

/// The station whose ground the hazard is on: where it was seen, else the
/// area's own station, else the station holding the area's middle.
fn station_of(
    district: &District,
    area: &CrowdArea<'_>,
    at: Option<&ledger::Position>,
) -> Option<StationId> {
    let seen = at.map(|p| cordon_config::district::LatLon::new(p.lat(), p.lon()));
    district
        .station_of_area(area, seen.as_ref())
        .map(|station| StationId(station.id.clone()))
}

/// Push a hazard to its verifier: a station's patrol or one unit.
#[utoipa::path(post, path = "/v1/hazards/{id}/push", tag = "crowd",
    params(("id" = u64, Path, description = "The hazard's id, from GET /v1/hazards")),
    request_body = PushHazard,
    responses(
        (status = 200, description = "Committed", body = Committed),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn push_hazard(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    payload: Result<Json<PushHazard>, JsonRejection>,
) -> ApiResult<Json<Committed>> {
    let _permit = admit(&state)?;
    let hazard_id = hazard_id(&id)?;
    let push = body(payload)?;
    let verifier = match (push.station, push.unit_id) {
        (Some(station), None) => {
            if !state
                .actors
                .context()
                .district
                .stations()
                .iter()
                .any(|s| s.id == station)
            {
                return Err(Failure::bad_input(format!(
                    "station {station:?} is not a station of the district: see GET /v1/district"
                )));
            }
            Verifier::Station(StationId(station))
        }
        (None, Some(unit)) => Verifier::Unit(UnitId(unit)),
        _ => {
            return Err(Failure::bad_input(
                "name exactly one verifier: station or unit_id",
            ))
        }
    };
    let action = Action::PushHazard(ledger::PushHazard {
        hazard_id,
        verifier,
    });
    stage_command(&state, &caller, action).await
}

/// The verifier's finding: confirmed, or a false alarm, and what was seen.
#[utoipa::path(post, path = "/v1/hazards/{id}/verify", tag = "crowd",
    params(("id" = u64, Path, description = "The hazard's id, from GET /v1/hazards")),
    request_body = VerifyHazard,
    responses(
        (status = 200, description = "Committed", body = Committed),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn verify_hazard(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    payload: Result<Json<VerifyHazard>, JsonRejection>,
) -> ApiResult<Json<Committed>> {
    let _permit = admit(&state)?;
    let hazard_id = hazard_id(&id)?;
    let finding = body(payload)?;
    let action = Action::VerifyHazard(ledger::VerifyHazard {
        hazard_id,
        confirmed: finding.confirmed,
        seen: finding.seen,
    });
    stage_command(&state, &caller, action).await
}

/// A measure against a confirmed hazard.
#[utoipa::path(post, path = "/v1/hazards/{id}/measures", tag = "crowd",
    params(("id" = u64, Path, description = "The hazard's id, from GET /v1/hazards")),
    request_body = TakeMeasure,
    responses(
        (status = 200, description = "Committed", body = Committed),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn take_measure(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    payload: Result<Json<TakeMeasure>, JsonRejection>,
) -> ApiResult<Json<Committed>> {
    let _permit = admit(&state)?;
    let hazard_id = hazard_id(&id)?;
    let measure = body(payload)?;
    let kind = parse_enum::<MeasureKind>(
        "kind",
        &measure.kind,
        "pre_position, flow_control, closure, other",
    )?;
    let at = optional_position(&state, measure.lat, measure.lon)?;
    let action = Action::TakeHazardMeasure(ledger::TakeHazardMeasure {
        hazard_id,
        kind,
        unit_id: measure.unit_id.map(UnitId),
        at,
        note: measure.note,
    });
    stage_command(&state, &caller, action).await
}

/// The position `lat`, `lon` inside the district, or none when both are
/// left out.
fn optional_position(
    state: &ApiState,
    lat: Option<f64>,
    lon: Option<f64>,
) -> ApiResult<Option<ledger::Position>> {
    match (lat, lon) {
        (Some(lat), Some(lon)) => Ok(Some(position(state, lat, lon)?)),
        (None, None) => Ok(None),
        _ => Err(Failure::bad_input("give both lat and lon, or neither")),
    }
}

/// Clear a hazard at the source.
#[utoipa::path(post, path = "/v1/hazards/{id}/clear", tag = "crowd",
    params(("id" = u64, Path, description = "The hazard's id, from GET /v1/hazards")),
    request_body(content = Option<ClearHazard>, description = "Optional: how", content_type = "application/json"),
    responses(
        (status = 200, description = "Committed", body = Committed),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn clear_hazard(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    payload: axum::body::Bytes,
) -> ApiResult<Json<Committed>> {
    let _permit = admit(&state)?;
    let hazard_id = hazard_id(&id)?;
    let clear: ClearHazard = optional_body(&payload)?;
    let action = Action::ClearHazard(ledger::ClearHazard {
        hazard_id,
        note: clear.note.unwrap_or_else(|| "cleared".to_string()),
    });
    stage_command(&state, &caller, action).await
}

/// Escalate a hazard whose stage deadline passed.
#[utoipa::path(post, path = "/v1/hazards/{id}/escalate", tag = "crowd",
    params(("id" = u64, Path, description = "The hazard's id, from GET /v1/hazards")),
    responses(
        (status = 200, description = "Committed", body = Committed),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn escalate_hazard(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Committed>> {
    let _permit = admit(&state)?;
    let hazard_id = hazard_id(&id)?;
    let action = Action::EscalateHazard(ledger::EscalateHazard { hazard_id });
    stage_command(&state, &caller, action).await
}

/// Commits a caller's move of a hazard. Each is its own request (a move
/// refused now may be right later, so no id is tied to the hazard); the
/// ledger's transition table refuses a repeated move.
async fn stage_command(
    state: &ApiState,
    caller: &Caller,
    action: Action,
) -> ApiResult<Json<Committed>> {
    let command = Command::new(
        request_id(None)?,
        unix_millis(),
        caller.origin.clone(),
        action,
    );
    Ok(committed(&commit(state, command, caller).await?))
}

/// A hazard id from the path, or a refusal naming the fix.
fn hazard_id(id: &str) -> ApiResult<u64> {
    id.parse().map_err(|_| {
        Failure::bad_input(format!(
            "hazard id {id:?} is not a number: use an id from GET /v1/hazards"
        ))
    })
}

/// `YYYY-MM-DD` of the day `day` days after 1970-01-01.
fn date_of(day: i64) -> String {
    let date = (time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(day)).date();
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    // Two clearings a quarter hour apart either side of midnight in
    // Shanghai (UTC+8) fall on two local days, though on one UTC day.
    #[test]
    fn the_tally_adds_up_local_days() {
        let slot = |utc_ms: u64| ("bund-riverside".to_string(), utc_ms / CLEARED_SLOT_MS);
        let before_midnight = 1_798_732_800_000 - 10 * 60_000; // 2026-12-31 15:50 UTC
        let after_midnight = 1_798_732_800_000 + 5 * 60_000; // 16:05 UTC
        let slots = BTreeMap::from([(slot(before_midnight), 2), (slot(after_midnight), 1)]);

        let days = local_days(&slots, 480);
        let utc_days = local_days(&slots, 0);

        let dates: Vec<(&str, u32)> = days.iter().map(|t| (t.date.as_str(), t.cleared)).collect();
        assert_eq!(dates, [("2026-12-31", 2), ("2027-01-01", 1)]);
        assert_eq!(utc_days.len(), 1);
        assert_eq!(utc_days[0].cleared, 3);
    }
}
