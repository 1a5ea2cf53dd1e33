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
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Json, Router};
use cordon_actors::runtime::ActorRuntime;
use cordon_consensus::ledger::audit;
use cordon_consensus::ledger::{
    Action, ActorId, Applied, ApprovePlan, CancelIncident, Channel, Command, Effect, Incident,
    IncidentId, IncidentKind, IncidentStatus, NewIncident, Origin, Position, RequestId,
    ResolveIncident, UnitId, UnitStatus, UpdateUnitStatus,
};
use cordon_consensus::node::unix_millis;
use cordon_consensus::{ConsensusNode, WriteError};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::Semaphore;
use tracing::Instrument;

use crate::api_types::{ApiError, NodeDrill, ReportIncident, Reported, UnitStatusUpdate};

/// The environment variable through which `cordon demo` tells its nodes the
/// URL of its drill control server (see [`crate::demo::DrillControl`]).
pub const DRILL_CONTROL_ENV: &str = "CORDON_DRILL_CONTROL";

/// What drills a node offers, fixed when it starts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DrillConfig {
    /// `cordon run --drills`: the drill routes are on.
    pub enabled: bool,
    /// The URL of the drill control server of the `cordon demo` that
    /// started this node ([`DRILL_CONTROL_ENV`]), which can kill, pause,
    /// resume and restart the cluster's node processes.
    pub control: Option<String>,
}

impl DrillConfig {
    /// True when node drills are forwarded to a drill control server.
    pub fn nodes(&self) -> bool {
        self.enabled && self.control.is_some()
    }
}

/// Shared state of the API handlers.
#[derive(Clone)]
pub struct ApiState {
    node: Arc<ConsensusNode>,
    actors: Arc<ActorRuntime>,
    drills: DrillConfig,
    inflight: Arc<Semaphore>,
    incidents_listed_max: usize,
    peers: reqwest::Client,
    metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
}

/// Deadline for asking a peer node for its local actors.
const PEER_ACTORS_TIMEOUT_MS: u64 = 1_500;
/// Deadline for the drill control server's answer.
const DRILL_CONTROL_TIMEOUT_MS: u64 = 10_000;
/// How long the drill control waits before silencing the node that asked
/// (kill or pause of itself), so that its answer reaches the caller first.
const SELF_DRILL_DELAY_MS: u64 = 300;

/// The API's routes. Drill routes answer only when `drills.enabled` is set.
pub fn router(
    node: Arc<ConsensusNode>,
    actors: Arc<ActorRuntime>,
    drills: DrillConfig,
    metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
) -> Router {
    let limits = node.cluster().limits().clone();
    let state = ApiState {
        node,
        actors,
        drills,
        inflight: Arc::new(Semaphore::new(limits.api_requests_inflight_max as usize)),
        incidents_listed_max: limits.api_incidents_listed_max as usize,
        peers: reqwest::Client::builder()
            .timeout(std::time::Duration::from_millis(PEER_ACTORS_TIMEOUT_MS))
            .build()
            .expect("a plain http client builds"),
        metrics,
    };
    let mut router = Router::new();
    for (path, handlers) in api_routes() {
        router = router.route(path, handlers);
    }
    router
        .merge(crate::console::routes())
        .fallback(not_found)
        .layer(axum::middleware::from_fn(request_span))
        .layer(DefaultBodyLimit::max(limits.api_body_bytes_max as usize))
        .with_state(state)
}

/// Every API route with its handlers. The router is built from this table
/// and the OpenAPI document is checked against it, so they cannot drift.
fn api_routes() -> Vec<(&'static str, MethodRouter<ApiState>)> {
    vec![
        ("/v1/incidents", post(report_incident).get(list_incidents)),
        ("/v1/incidents/{id}", get(get_incident)),
        ("/v1/incidents/{id}/resolve", post(resolve_incident)),
        ("/v1/incidents/{id}/cancel", post(cancel_incident)),
        ("/v1/plans/{id}/approve", post(approve_plan)),
        ("/v1/units", get(list_units)),
        ("/v1/units/{id}/status", post(update_unit_status)),
        ("/v1/actors", get(list_actors)),
        ("/v1/actors/local", get(local_actors)),
        ("/v1/drills", get(drills)),
        ("/v1/drills/actors/{actor}/fault", post(fault_actor)),
        ("/v1/drills/nodes/{id}/{action}", post(drill_node)),
        ("/v1/events", get(events)),
        ("/v1/cluster", get(cluster)),
        ("/v1/district", get(district)),
        ("/v1/openapi.json", get(openapi_document)),
        ("/metrics", get(prometheus_metrics)),
        ("/healthz", get(healthz)),
        ("/readyz", get(readyz)),
    ]
}

/// The paths of the JSON API (without the console's static files).
pub fn api_paths() -> Vec<&'static str> {
    api_routes().into_iter().map(|(path, _)| path).collect()
}

async fn openapi_document() -> Json<serde_json::Value> {
    Json(crate::openapi::document())
}

/// One span per request, joined to the caller's trace when the request
/// carries a W3C `traceparent` header.
async fn request_span(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let span = tracing::info_span!(
        "http_request",
        method = %request.method(),
        path = %request.uri().path(),
    );
    let traceparent = request
        .headers()
        .get("traceparent")
        .and_then(|value| value.to_str().ok())
        .map(str::to_string);
    cordon_consensus::trace::set_remote_parent(&span, traceparent.as_deref());
    next.run(request).instrument(span).await
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

/// Proposes a command and waits until it is applied; a rejection becomes a
/// 409 that names the broken rule and, when it guards one, the invariant.
async fn commit(state: &ApiState, command: Command) -> ApiResult<Applied> {
    let applied = state.node.write(command).await?;
    match &applied.effect {
        Effect::Rejected { rejection } => Err(Failure::new(
            StatusCode::CONFLICT,
            "rejected",
            match rejection.invariant() {
                // Name the rule kept, as drill reports name it.
                Some(invariant) => format!("{rejection} [{}]", invariant.code()),
                None => rejection.to_string(),
            },
        )),
        _ => Ok(applied),
    }
}

/// The answer to a command that changed something.
fn applied_json(applied: &Applied) -> Json<serde_json::Value> {
    Json(json!({ "log_index": applied.index, "effect": applied.effect }))
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
        traceparent: cordon_consensus::trace::current_traceparent(),
    };
    let request_id = command.request_id.0.clone();
    let applied = commit(&state, command).await?;
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
        "ring": incident.ring,
        "station": incident.station,
        "target_s": incident.target_s,
        "on_scene_deadline_ms": incident.on_scene_deadline_ms,
        "on_scene_at_ms": incident.on_scene_at_ms,
        "units": incident.units,
        "assignments": incident.assignments,
        "aid_asked": incident.aid_asked,
        "major": incident.major,
        "plan": incident.plan,
        "timeline_verified": audit::verify(&incident.timeline).is_ok(),
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
        "by_status": by_status(ledger.ledger.incidents().map(|incident| incident.status)),
        "incidents": incidents,
    })))
}

/// How many incidents are in each status.
fn by_status(statuses: impl Iterator<Item = IncidentStatus>) -> serde_json::Value {
    let mut counts: std::collections::BTreeMap<String, u64> = Default::default();
    for status in statuses {
        let name = serde_json::to_value(status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string));
        *counts.entry(name.unwrap_or_default()).or_default() += 1;
    }
    json!(counts)
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
                "ring": unit.ring,
                "status": unit.status,
                "assigned_to": unit.assigned_to.map(|id| id.to_string()),
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
        action: Action::UpdateUnitStatus(UpdateUnitStatus {
            unit_id: UnitId(unit_id),
            status,
            position,
            expected_version: update.expected_version,
        }),
        consumes: Vec::new(),
        traceparent: cordon_consensus::trace::current_traceparent(),
    };
    let applied = commit(&state, command).await?;
    Ok(applied_json(&applied))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReasonBody {
    #[serde(default)]
    request_id: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

async fn close_incident(
    state: ApiState,
    client: SocketAddr,
    id: String,
    payload: axum::body::Bytes,
    resolve: bool,
) -> ApiResult<Json<serde_json::Value>> {
    let _permit = admit(&state)?;
    let incident_id: IncidentId = id.parse().map_err(Failure::bad_input)?;
    let body: ReasonBody = if payload.is_empty() {
        ReasonBody::default()
    } else {
        serde_json::from_slice(&payload).map_err(|e| {
            Failure::bad_input(format!(
                "request body: {e}: send {{\"reason\": \"...\"}} or nothing"
            ))
        })?
    };
    let reason = body.reason.unwrap_or_else(|| {
        if resolve {
            "resolved".into()
        } else {
            "cancelled".into()
        }
    });
    let action = if resolve {
        Action::ResolveIncident(ResolveIncident {
            incident_id,
            reason,
        })
    } else {
        Action::CancelIncident(CancelIncident {
            incident_id,
            reason,
        })
    };
    let command = Command::new(
        request_id(body.request_id),
        unix_millis(),
        Origin::Api {
            node: state.node.id(),
            client: client.to_string(),
        },
        action,
    );
    let applied = commit(&state, command).await?;
    Ok(applied_json(&applied))
}

async fn resolve_incident(
    State(state): State<ApiState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    payload: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    close_incident(state, client, id, payload, true).await
}

async fn cancel_incident(
    State(state): State<ApiState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    payload: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    close_incident(state, client, id, payload, false).await
}

async fn approve_plan(
    State(state): State<ApiState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let _permit = admit(&state)?;
    let incident_id: IncidentId = id.parse().map_err(Failure::bad_input)?;
    let command = Command::new(
        RequestId(format!("approve-{}", incident_id.0)),
        unix_millis(),
        Origin::Api {
            node: state.node.id(),
            client: client.to_string(),
        },
        Action::ApprovePlan(ApprovePlan { incident_id }),
    );
    let applied = commit(&state, command).await?;
    Ok(applied_json(&applied))
}

async fn local_actors(State(state): State<ApiState>) -> Json<serde_json::Value> {
    Json(json!({ "node": state.node.id(), "actors": state.actors.snapshot().await }))
}

/// Every actor: its placement from the ledger, plus what its node's
/// supervisor reports (restarts, failures, the actor's own snapshot).
async fn list_actors(State(state): State<ApiState>) -> ApiResult<Json<serde_json::Value>> {
    let _permit = admit(&state)?;
    state.node.read_barrier().await?;
    let placements: Vec<(String, u64, u64, usize)> = {
        let applied = state.node.ledger().read();
        applied
            .ledger
            .placements()
            .map(|(actor, placement)| {
                (
                    actor.to_string(),
                    placement.node,
                    placement.epoch,
                    applied.ledger.pending_for(actor).count(),
                )
            })
            .collect()
    };
    let mut reports: std::collections::BTreeMap<String, serde_json::Value> = Default::default();
    let members = state.node.status().members;
    for member in members {
        let snapshots = if member.id == state.node.id() {
            serde_json::to_value(state.actors.snapshot().await).unwrap_or_default()
        } else {
            let url = format!("http://{}/v1/actors/local", member.api_addr);
            match state.peers.get(&url).send().await {
                Ok(response) => response
                    .json::<serde_json::Value>()
                    .await
                    .map(|v| v["actors"].clone())
                    .unwrap_or_default(),
                Err(_) => serde_json::Value::Null,
            }
        };
        for snapshot in snapshots.as_array().into_iter().flatten() {
            if let Some(actor) = snapshot["actor"].as_str() {
                // Keep the report of the node the ledger places the actor on.
                let key = format!("{actor}@{}", snapshot["node"]);
                reports.insert(key, snapshot.clone());
            }
        }
    }
    let actors: Vec<_> = placements
        .into_iter()
        .map(|(actor, node, epoch, pending)| {
            let report = reports.get(&format!("{actor}@{node}")).cloned().unwrap_or(serde_json::Value::Null);
            json!({
                "actor": actor,
                "node": node,
                "epoch": epoch,
                "pending": pending,
                "status": report.get("status").cloned().unwrap_or(json!("unknown")),
                "restarts": report.get("restarts").cloned().unwrap_or(json!(0)),
                "supervisor": report.get("supervisor").cloned().unwrap_or(serde_json::Value::Null),
                "last_failure": report.get("last_failure").cloned().unwrap_or(serde_json::Value::Null),
                "supervisor_epoch": report.get("epoch").cloned().unwrap_or(serde_json::Value::Null),
                "state": report.get("state").cloned().unwrap_or(serde_json::Value::Null),
            })
        })
        .collect();
    Ok(Json(json!({ "actors": actors })))
}

async fn fault_actor(
    State(state): State<ApiState>,
    Path(actor): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    drills_enabled(&state)?;
    let actor: ActorId = actor.parse().map_err(Failure::bad_input)?;
    state
        .actors
        .fault(actor.clone(), "requested through the drill route".into());
    Ok(Json(
        json!({ "faulted": actor.to_string(), "node": state.node.id() }),
    ))
}

fn drills_enabled(state: &ApiState) -> ApiResult<()> {
    if state.drills.enabled {
        return Ok(());
    }
    Err(Failure::new(
        StatusCode::FORBIDDEN,
        "drills_disabled",
        "drill routes are off on this node: start it with `cordon run --drills`",
    ))
}

/// Which drills this node offers: actor faults (`--drills`) and node
/// drills (also needs the drill control of the `cordon demo` that started it).
async fn drills(State(state): State<ApiState>) -> Json<serde_json::Value> {
    Json(json!({
        "actors": state.drills.enabled,
        "nodes": state.drills.nodes(),
    }))
}

/// Forwards a node drill (kill, pause, resume, restart, partition) to the
/// demo's drill control server and relays its answer. A kill or pause of
/// this very node is scheduled shortly after the answer, so that the
/// answer still reaches the caller.
async fn drill_node(
    State(state): State<ApiState>,
    Path((id, action)): Path<(String, String)>,
) -> ApiResult<Response> {
    drills_enabled(&state)?;
    let Some(control) = &state.drills.control else {
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            "no_drill_control",
            format!(
                "no demo control in this cluster: node drills need the drill control server of \
                 `cordon demo`, which starts its nodes with {DRILL_CONTROL_ENV} set; this node \
                 was started without it (actor drills still work)"
            ),
        ));
    };
    let drill: NodeDrill = action.parse().map_err(Failure::bad_input)?;
    let target: u64 = id.parse().map_err(|_| {
        Failure::bad_input(format!(
            "node id {id:?} is not a number: use a member id from GET /v1/cluster"
        ))
    })?;
    let mut url = format!("{}/nodes/{target}/{drill}", control.trim_end_matches('/'));
    if target == state.node.id() && drill.silences() {
        url.push_str(&format!("?after_ms={SELF_DRILL_DELAY_MS}"));
    }
    tracing::warn!(node = target, action = %drill, "node drill requested through the API");
    let response = state
        .peers
        .post(&url)
        .timeout(std::time::Duration::from_millis(DRILL_CONTROL_TIMEOUT_MS))
        .send()
        .await
        .map_err(|error| {
            Failure::new(
                StatusCode::BAD_GATEWAY,
                "drill_control_unreachable",
                format!(
                    "the demo's drill control at {control} does not answer ({error}): \
                     the `cordon demo` process has probably stopped; restart the demo"
                ),
            )
        })?;
    let status =
        StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let answer: serde_json::Value = response.json().await.map_err(|error| {
        Failure::new(
            StatusCode::BAD_GATEWAY,
            "drill_control_bad_answer",
            format!(
                "the demo's drill control at {control} answered {status} without JSON ({error})"
            ),
        )
    })?;
    Ok((status, Json(answer)).into_response())
}

/// Server-sent events: one `applied` event per command applied on this node.
async fn events(
    State(state): State<ApiState>,
) -> Sse<impl futures_util::Stream<Item = Result<SseEvent, std::convert::Infallible>>> {
    let receiver = state.node.ledger().subscribe();
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        let event = match receiver.recv().await {
            Ok(event) => SseEvent::default()
                .event("applied")
                .data(serde_json::to_string(&event).unwrap_or_default()),
            Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => SseEvent::default()
                .event("lagged")
                .data(json!({ "missed": missed }).to_string()),
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
        };
        Some((Ok(event), receiver))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

async fn cluster(State(state): State<ApiState>) -> Json<cordon_consensus::ClusterStatus> {
    Json(state.node.status())
}

/// Prometheus text exposition of this node's metrics.
async fn prometheus_metrics(State(state): State<ApiState>) -> Response {
    match &state.metrics {
        Some(handle) => (
            [(
                axum::http::header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            handle.render(),
        )
            .into_response(),
        None => Failure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics_unavailable",
            "no metrics recorder is installed in this process",
        )
        .into_response(),
    }
}

/// The district model this node runs with (stations, zones, units, rings,
/// areas, points, facilities), for maps and tools.
async fn district(State(state): State<ApiState>) -> Json<serde_json::Value> {
    Json(serde_json::to_value(state.actors.shared().district.as_ref()).unwrap_or_default())
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
