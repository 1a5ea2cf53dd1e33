//! The HTTP JSON API served by every node. A follower answers reads after a
//! read barrier and forwards writes to the leader through the consensus
//! layer, so clients may talk to any node.
//!
//! Errors are JSON `{code, message}` with a stable code; a write that timed
//! out says its outcome is unknown and that retrying with the same request id
//! is safe.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use cordon_consensus::ledger::{
    Action, Applied, Channel, Command, Effect, Incident, IncidentId, IncidentKind, IncidentStatus,
    NewIncident, Origin, Position, RequestId, UnitId, UnitStatus,
};
use cordon_consensus::node::unix_millis;
use cordon_consensus::{ConsensusNode, WriteError};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::Semaphore;

use crate::api_types::{ApiError, ReportIncident, Reported, UnitStatusUpdate};

/// Shared state of the API handlers.
#[derive(Clone)]
pub struct ApiState {
    node: Arc<ConsensusNode>,
    inflight: Arc<Semaphore>,
    incidents_listed_max: usize,
}

/// The API's routes.
pub fn router(node: Arc<ConsensusNode>) -> Router {
    let limits = node.cluster().limits().clone();
    let state = ApiState {
        node,
        inflight: Arc::new(Semaphore::new(limits.api_requests_inflight_max as usize)),
        incidents_listed_max: limits.api_incidents_listed_max as usize,
    };
    Router::new()
        .route("/v1/incidents", post(report_incident).get(list_incidents))
        .route("/v1/incidents/{id}", get(get_incident))
        .route("/v1/units", get(list_units))
        .route("/v1/units/{id}/status", post(update_unit_status))
        .route("/v1/cluster", get(cluster))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(limits.api_body_bytes_max as usize))
        .with_state(state)
}

/// A failed request: status code plus the JSON body.
pub struct Failure(StatusCode, ApiError);

impl Failure {
    fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Failure {
        Failure(
            status,
            ApiError {
                code: code.to_string(),
                message: message.into(),
            },
        )
    }

    fn bad_input(message: impl Into<String>) -> Failure {
        Failure::new(StatusCode::BAD_REQUEST, "invalid_input", message)
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (self.0, Json(self.1)).into_response()
    }
}

impl From<WriteError> for Failure {
    fn from(error: WriteError) -> Failure {
        let message = error.to_string();
        match error {
            WriteError::Invalid { .. } => Failure::bad_input(message),
            WriteError::Timeout { .. } => {
                Failure::new(StatusCode::GATEWAY_TIMEOUT, "timeout", message)
            }
            WriteError::NotLeader { .. } | WriteError::NoLeader => Failure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "no_leader",
                format!("{message}; retry with the same request id"),
            ),
            WriteError::Unreachable { .. } => Failure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                format!("{message}; retry with the same request id"),
            ),
            WriteError::Fatal { .. } => {
                Failure::new(StatusCode::SERVICE_UNAVAILABLE, "stopping", message)
            }
        }
    }
}

type ApiResult<T> = Result<T, Failure>;

fn admit(state: &ApiState) -> ApiResult<tokio::sync::OwnedSemaphorePermit> {
    state.inflight.clone().try_acquire_owned().map_err(|_| {
        Failure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "api_requests_inflight_max requests are in flight; retry shortly",
        )
    })
}

fn body<T>(payload: Result<Json<T>, JsonRejection>) -> ApiResult<T> {
    payload
        .map(|Json(value)| value)
        .map_err(|rejection| Failure::bad_input(format!("request body: {}", rejection.body_text())))
}

fn request_id(given: Option<String>) -> RequestId {
    RequestId(given.unwrap_or_else(|| format!("api-{:032x}", rand::random::<u128>())))
}

fn position(lat: f64, lon: f64) -> ApiResult<Position> {
    Position::from_degrees(lat, lon).map_err(|e| {
        Failure::bad_input(format!(
            "{e}: send WGS-84 degrees as numbers, e.g. lat 31.2394, lon 121.4760"
        ))
    })
}

fn parse_enum<T: for<'de> Deserialize<'de>>(
    field: &str,
    value: &str,
    allowed: &str,
) -> ApiResult<T> {
    serde_json::from_value(serde_json::Value::String(value.to_string())).map_err(|_| {
        Failure::bad_input(format!(
            "{field} {value:?} is unknown: use one of {allowed}"
        ))
    })
}

fn rejected(applied: &Applied) -> Option<Failure> {
    match &applied.effect {
        Effect::Rejected { rejection } => Some(Failure::new(
            StatusCode::CONFLICT,
            "rejected",
            rejection.to_string(),
        )),
        _ => None,
    }
}

async fn report_incident(
    State(state): State<ApiState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    payload: Result<Json<ReportIncident>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Reported>)> {
    let _permit = admit(&state)?;
    let report = body(payload)?;
    let kind: IncidentKind = report.kind.parse().map_err(Failure::bad_input)?;
    let channel: Channel = match &report.channel {
        None => Channel::default(),
        Some(name) => parse_enum(
            "channel",
            name,
            "emergency_call, community_report, risk_warning, partner_feed",
        )?,
    };
    let command = Command {
        request_id: request_id(report.request_id),
        proposed_at_ms: unix_millis(),
        origin: Origin::Api {
            node: state.node.id(),
            client: client.to_string(),
        },
        action: Action::ReportIncident(NewIncident {
            kind,
            priority: report.priority.unwrap_or(5),
            force_level: report.force_level.unwrap_or(1),
            location: position(report.lat, report.lon)?,
            channel,
            description: report.description.unwrap_or_default(),
        }),
        consumes: Vec::new(),
    };
    let request_id = command.request_id.0.clone();
    let applied = state.node.write(command).await?;
    if let Some(failure) = rejected(&applied) {
        return Err(failure);
    }
    let Effect::IncidentReported { incident_id } = applied.effect else {
        return Err(Failure::new(
            StatusCode::CONFLICT,
            "request_id_reused",
            format!("request id {request_id:?} was already used for another kind of request: use a fresh id"),
        ));
    };
    let status = if applied.deduplicated {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        Json(Reported {
            incident_id: incident_id.to_string(),
            log_index: applied.index,
            request_id,
            deduplicated: applied.deduplicated,
        }),
    ))
}

fn incident_json(incident: &Incident) -> serde_json::Value {
    json!({
        "id": incident.id.to_string(),
        "kind": incident.report.kind,
        "priority": incident.report.priority,
        "force_level": incident.report.force_level,
        "lat": incident.report.location.lat(),
        "lon": incident.report.location.lon(),
        "channel": incident.report.channel,
        "description": incident.report.description,
        "status": incident.status,
        "version": incident.version,
        "request_id": incident.request_id.0,
        "reported_at_ms": incident.reported_at_ms,
        "reported_index": incident.reported_index,
        "timeline": incident.timeline,
    })
}

async fn get_incident(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let _permit = admit(&state)?;
    let id: IncidentId = id.parse().map_err(Failure::bad_input)?;
    state.node.read_barrier().await?;
    let ledger = state.node.ledger().read();
    let incident = ledger.ledger.incident(id).ok_or_else(|| {
        Failure::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no incident {id}: list incidents with GET /v1/incidents"),
        )
    })?;
    Ok(Json(incident_json(incident)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    status: Option<String>,
    limit: Option<usize>,
}

async fn list_incidents(
    State(state): State<ApiState>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    let _permit = admit(&state)?;
    let Query(query) = query.map_err(|e| Failure::bad_input(e.body_text()))?;
    let status: Option<IncidentStatus> = match &query.status {
        None => None,
        Some(name) => Some(parse_enum(
            "status",
            name,
            "reported, triaged, assigned, en_route, on_scene, escalated, resolved, cancelled",
        )?),
    };
    let limit = query
        .limit
        .unwrap_or(state.incidents_listed_max)
        .min(state.incidents_listed_max);
    state.node.read_barrier().await?;
    let ledger = state.node.ledger().read();
    let incidents: Vec<_> = ledger
        .ledger
        .incidents()
        .rev()
        .filter(|incident| status.is_none_or(|wanted| incident.status == wanted))
        .take(limit)
        .map(incident_json)
        .collect();
    Ok(Json(json!({
        "applied_index": ledger.last_applied.map(|id| id.index),
        "total": ledger.ledger.incident_count(),
        "incidents": incidents,
    })))
}

async fn list_units(State(state): State<ApiState>) -> ApiResult<Json<serde_json::Value>> {
    let _permit = admit(&state)?;
    state.node.read_barrier().await?;
    let ledger = state.node.ledger().read();
    let units: Vec<_> = ledger
        .ledger
        .units()
        .map(|unit| {
            json!({
                "id": unit.id.0,
                "status": unit.status,
                "lat": unit.position.lat(),
                "lon": unit.position.lon(),
                "version": unit.version,
                "updated_at_ms": unit.updated_at_ms,
                "updated_index": unit.updated_index,
            })
        })
        .collect();
    Ok(Json(json!({ "units": units })))
}

async fn update_unit_status(
    State(state): State<ApiState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(unit_id): Path<String>,
    payload: Result<Json<UnitStatusUpdate>, JsonRejection>,
) -> ApiResult<Json<serde_json::Value>> {
    let _permit = admit(&state)?;
    let update = body(payload)?;
    let status: UnitStatus = parse_enum(
        "status",
        &update.status,
        "available, dispatched, acknowledged, en_route, on_scene, transporting, returning, out_of_service",
    )?;
    let position = match (update.lat, update.lon) {
        (Some(lat), Some(lon)) => Some(position(lat, lon)?),
        (None, None) => None,
        _ => return Err(Failure::bad_input("send both lat and lon, or neither")),
    };
    let command = Command {
        request_id: request_id(update.request_id),
        proposed_at_ms: unix_millis(),
        origin: Origin::Api {
            node: state.node.id(),
            client: client.to_string(),
        },
        action: Action::UpdateUnitStatus {
            unit_id: UnitId(unit_id),
            status,
            position,
            expected_version: update.expected_version,
        },
        consumes: Vec::new(),
    };
    let applied = state.node.write(command).await?;
    if let Some(failure) = rejected(&applied) {
        return Err(failure);
    }
    Ok(Json(
        json!({ "log_index": applied.index, "effect": applied.effect }),
    ))
}

async fn cluster(State(state): State<ApiState>) -> Json<cordon_consensus::ClusterStatus> {
    Json(state.node.status())
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<ApiState>) -> Response {
    let status = state.node.status();
    match status.leader_id {
        Some(leader) => Json(json!({ "ready": true, "leader_id": leader })).into_response(),
        None => Failure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_leader",
            "this node knows no leader yet; wait for the election",
        )
        .into_response(),
    }
}

async fn not_found() -> Failure {
    Failure::new(
        StatusCode::NOT_FOUND,
        "no_route",
        "no such route: see /v1/incidents, /v1/units, /v1/cluster, /healthz, /readyz",
    )
}
