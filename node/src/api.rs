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
use cordon_api::actors::{Actor, ActorList, LocalActors, SupervisedActor};
use cordon_api::cluster::{ClusterStatus, Ready};
use cordon_api::drills::{ActorFaulted, DrillDone, DrillOffer, DrillScheduled, NodeDrill};
use cordon_api::incidents::{
    CloseIncident, Committed, IncidentList, IncidentsQuery, ReportIncident, Reported,
};
use cordon_api::units::{UnitList, UnitStatusUpdate};
use cordon_api::ApiError;
use cordon_consensus::ledger::{
    Action, ActorId, Applied, ApprovePlan, CancelIncident, Channel, Command, Effect, IncidentId,
    IncidentKind, IncidentStatus, NewIncident, Origin, Position, RequestId, ResolveIncident,
    UnitId, UnitStatus, UpdateUnitStatus,
};
use cordon_consensus::node::unix_millis;
use cordon_consensus::{ConsensusNode, WriteError};
use serde::Deserialize;
use tokio::sync::Semaphore;
use tracing::Instrument;

use crate::wire;

/// The environment variable through which `cordon demo` tells its nodes the
/// URL of its drill control server (see [`crate::drill_control::DrillControl`]).
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

/// The OpenAPI description of the routes above, generated from the
/// handlers' `#[utoipa::path]` attributes and the wire types of
/// [`cordon_api`]; [`crate::openapi::document`] adds the console's files.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Cordon dispatch cluster API",
        description = "Served by every node; a follower answers reads after a read barrier and forwards writes to the leader."
    ),
    paths(
        report_incident, list_incidents, get_incident, resolve_incident, cancel_incident,
        approve_plan, list_units, update_unit_status, list_actors, local_actors, drills,
        fault_actor, drill_node, events, cluster, district, openapi_document,
        prometheus_metrics, healthz, readyz,
    ),
    components(schemas(cordon_api::events::Applied, cordon_api::events::Lagged)),
    tags(
        (name = "incidents", description = "Report, read, close incidents; approve plans"),
        (name = "units", description = "Units and their status from the field"),
        (name = "actors", description = "Actor placements and supervision"),
        (name = "drills", description = "Drill faults (nodes started with --drills)"),
        (name = "cluster", description = "Cluster state, readiness, metrics, events"),
    )
)]
pub struct ApiDoc;

/// The paths of the JSON API (without the console's static files).
pub fn api_paths() -> Vec<&'static str> {
    api_routes().into_iter().map(|(path, _)| path).collect()
}

/// This document.
#[utoipa::path(get, path = "/v1/openapi.json", tag = "cluster",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", body = Object)))]
async fn openapi_document() -> Json<utoipa::openapi::OpenApi> {
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
fn committed(applied: &Applied) -> Json<Committed> {
    Json(wire::committed(applied))
}

/// Report an incident; answered once the report is committed.
#[utoipa::path(post, path = "/v1/incidents", tag = "incidents",
    request_body(content = ReportIncident, description = "The report", content_type = "application/json"),
    responses(
        (status = 201, description = "Committed: incident id, log index and request id", body = Reported),
        (status = 200, description = "The request id was reported before (deduplicated = true)", body = Reported),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
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

/// One incident with its hash-chained timeline (linearizable read).
#[utoipa::path(get, path = "/v1/incidents/{id}", tag = "incidents",
    params(("id" = String, Path, description = "Incident id, e.g. I-000042")),
    responses(
        (status = 200, description = "The incident", body = cordon_api::incidents::Incident),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
async fn get_incident(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Json<cordon_api::incidents::Incident>> {
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
    Ok(Json(wire::incident(incident)))
}

/// List incidents, newest first (linearizable read).
#[utoipa::path(get, path = "/v1/incidents", tag = "incidents",
    params(IncidentsQuery),
    responses(
        (status = 200, description = "Incidents with their timelines, and counts by status", body = IncidentList),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
async fn list_incidents(
    State(state): State<ApiState>,
    query: Result<Query<IncidentsQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<IncidentList>> {
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
        .map(wire::incident)
        .collect();
    Ok(Json(IncidentList {
        applied_index: ledger.last_applied.map(|id| id.index),
        total: ledger.ledger.incident_count() as u64,
        by_status: by_status(ledger.ledger.incidents().map(|incident| incident.status)),
        incidents,
    }))
}

/// How many incidents are in each status.
fn by_status(
    statuses: impl Iterator<Item = IncidentStatus>,
) -> std::collections::BTreeMap<String, u64> {
    let mut counts: std::collections::BTreeMap<String, u64> = Default::default();
    for status in statuses {
        *counts.entry(wire::name(&status)).or_default() += 1;
    }
    counts
}

/// Units with ring, status, position, assignment and version (linearizable read).
#[utoipa::path(get, path = "/v1/units", tag = "units",
    responses(
        (status = 200, description = "Every unit", body = UnitList),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
async fn list_units(State(state): State<ApiState>) -> ApiResult<Json<UnitList>> {
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
async fn update_unit_status(
    State(state): State<ApiState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
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
    Ok(committed(&applied))
}

async fn close_incident(
    state: ApiState,
    client: SocketAddr,
    id: String,
    payload: axum::body::Bytes,
    resolve: bool,
) -> ApiResult<Json<Committed>> {
    let _permit = admit(&state)?;
    let incident_id: IncidentId = id.parse().map_err(Failure::bad_input)?;
    let body: CloseIncident = if payload.is_empty() {
        CloseIncident::default()
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
    Ok(committed(&applied))
}

/// Resolve an incident; its units are released.
#[utoipa::path(post, path = "/v1/incidents/{id}/resolve", tag = "incidents",
    params(("id" = String, Path, description = "Incident id, e.g. I-000042")),
    request_body(content = Option<CloseIncident>, description = "Optional: a reason and a request id", content_type = "application/json"),
    responses(
        (status = 200, description = "Committed: log index and effect", body = Committed),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
async fn resolve_incident(
    State(state): State<ApiState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    payload: axum::body::Bytes,
) -> ApiResult<Json<Committed>> {
    close_incident(state, client, id, payload, true).await
}

/// Cancel an incident; its units are released.
#[utoipa::path(post, path = "/v1/incidents/{id}/cancel", tag = "incidents",
    params(("id" = String, Path, description = "Incident id, e.g. I-000042")),
    request_body(content = Option<CloseIncident>, description = "Optional: a reason and a request id", content_type = "application/json"),
    responses(
        (status = 200, description = "Committed: log index and effect", body = Committed),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
async fn cancel_incident(
    State(state): State<ApiState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    payload: axum::body::Bytes,
) -> ApiResult<Json<Committed>> {
    close_incident(state, client, id, payload, false).await
}

/// Approve a major incident's mobilisation plan.
#[utoipa::path(post, path = "/v1/plans/{id}/approve", tag = "incidents",
    params(("id" = String, Path, description = "The major incident's id, e.g. I-000042")),
    responses(
        (status = 200, description = "Committed: log index and effect", body = Committed),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
async fn approve_plan(
    State(state): State<ApiState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
) -> ApiResult<Json<Committed>> {
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
    Ok(committed(&applied))
}

/// The actors this node supervises.
#[utoipa::path(get, path = "/v1/actors/local", tag = "actors",
    responses((status = 200, description = "What this node's supervisors report", body = LocalActors)))]
async fn local_actors(State(state): State<ApiState>) -> Json<LocalActors> {
    Json(local_report(&state).await)
}

async fn local_report(state: &ApiState) -> LocalActors {
    let snapshots = state.actors.snapshot().await;
    LocalActors {
        node: state.node.id(),
        actors: snapshots.iter().map(wire::supervised_actor).collect(),
    }
}

/// Every actor: its placement from the ledger, plus what its node's
/// supervisor reports (restarts, failures, the actor's own snapshot).
#[utoipa::path(get, path = "/v1/actors", tag = "actors",
    responses(
        (status = 200, description = "Every actor: node, epoch, pending messages, status, restarts, supervisor, state", body = ActorList),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
async fn list_actors(State(state): State<ApiState>) -> ApiResult<Json<ActorList>> {
    let _permit = admit(&state)?;
    state.node.read_barrier().await?;
    let placements: Vec<(String, u64, u64, u64)> = {
        let applied = state.node.ledger().read();
        applied
            .ledger
            .placements()
            .map(|(actor, placement)| {
                let pending = applied.ledger.pending_for(actor).count() as u64;
                (actor.to_string(), placement.node, placement.epoch, pending)
            })
            .collect()
    };
    let reports = supervisor_reports(&state).await;
    let actors = placements
        .into_iter()
        .map(|(actor, node, epoch, pending)| {
            let report = reports.get(&(actor.clone(), node));
            Actor {
                status: report.map_or_else(|| "unknown".to_string(), |r| r.status.clone()),
                restarts: report.map_or(0, |r| r.restarts),
                supervisor: report.map(|r| r.supervisor.clone()),
                last_failure: report.and_then(|r| r.last_failure.clone()),
                supervisor_epoch: report.map(|r| r.epoch),
                state: report.and_then(|r| r.state.clone()),
                actor,
                node,
                epoch,
                pending,
            }
        })
        .collect();
    Ok(Json(ActorList { actors }))
}

/// What every member's supervisors report, by (actor, node): an actor's
/// report is the one of the node the ledger places it on. A member that
/// does not answer reports nothing.
async fn supervisor_reports(
    state: &ApiState,
) -> std::collections::BTreeMap<(String, u64), SupervisedActor> {
    let mut reports = std::collections::BTreeMap::new();
    for member in state.node.status().members {
        let local = if member.id == state.node.id() {
            Some(local_report(state).await)
        } else {
            let url = format!("http://{}/v1/actors/local", member.api_addr);
            match state.peers.get(&url).send().await {
                Ok(response) => response.json::<LocalActors>().await.ok(),
                Err(_) => None,
            }
        };
        // A supervisor's report lists the teams its actors supervise too.
        for report in local.into_iter().flat_map(|local| local.actors) {
            reports.insert((report.actor.clone(), report.node), report);
        }
    }
    reports
}

/// Drill: make an actor fail (only with `cordon run --drills`).
#[utoipa::path(post, path = "/v1/drills/actors/{actor}/fault", tag = "drills",
    params(("actor" = String, Path, description = "Actor id, e.g. station:bund")),
    responses(
        (status = 200, description = "The fault was sent", body = ActorFaulted),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
async fn fault_actor(
    State(state): State<ApiState>,
    Path(actor): Path<String>,
) -> ApiResult<Json<ActorFaulted>> {
    drills_enabled(&state)?;
    let actor: ActorId = actor.parse().map_err(Failure::bad_input)?;
    state
        .actors
        .fault(actor.clone(), "requested through the drill route".into());
    Ok(Json(ActorFaulted {
        faulted: actor.to_string(),
        node: state.node.id(),
    }))
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
#[utoipa::path(get, path = "/v1/drills", tag = "drills",
    responses((status = 200, description = "Which drills this node offers", body = DrillOffer)))]
async fn drills(State(state): State<ApiState>) -> Json<DrillOffer> {
    Json(DrillOffer {
        actors: state.drills.enabled,
        nodes: state.drills.nodes(),
    })
}

/// Forwards a node drill (kill, pause, resume, restart, partition) to the
/// demo's drill control server and relays its answer. A kill or pause of
/// this very node is scheduled shortly after the answer, so that the
/// answer still reaches the caller.
#[utoipa::path(post, path = "/v1/drills/nodes/{id}/{action}", tag = "drills",
    params(
        ("id" = u64, Path, description = "Node id, e.g. 2"),
        ("action" = NodeDrill, Path, description = "kill, pause, resume, restart or partition"),
    ),
    responses(
        (status = 200, description = "The drill was done", body = DrillDone),
        (status = 202, description = "A kill or pause of the answering node itself, scheduled so this answer gets out first", body = DrillScheduled),
        (status = "default", description = "An error (501 for partition: the demo cannot do it)", body = ApiError),
    ))]
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

/// Server-sent events: one `applied` event per command applied on this
/// node (data: [`cordon_api::events::Applied`]), or `lagged` when the
/// stream fell behind (data: [`cordon_api::events::Lagged`]).
#[utoipa::path(get, path = "/v1/events", tag = "cluster",
    responses((status = 200, description = "text/event-stream of `applied` events (data: Applied) and `lagged` events (data: Lagged)", content_type = "text/event-stream", body = String)))]
async fn events(
    State(state): State<ApiState>,
) -> Sse<impl futures_util::Stream<Item = Result<SseEvent, std::convert::Infallible>>> {
    let receiver = state.node.ledger().subscribe();
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        let event = match receiver.recv().await {
            Ok(event) => SseEvent::default()
                .event("applied")
                .data(serde_json::to_string(&wire::applied_event(&event)).unwrap_or_default()),
            Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                let lagged = cordon_api::events::Lagged { missed };
                SseEvent::default()
                    .event("lagged")
                    .data(serde_json::to_string(&lagged).unwrap_or_default())
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
        };
        Some((Ok(event), receiver))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// This node's view: role, leader, term, indexes, members, replication lag.
#[utoipa::path(get, path = "/v1/cluster", tag = "cluster",
    responses((status = 200, description = "The cluster as this node sees it", body = ClusterStatus)))]
async fn cluster(State(state): State<ApiState>) -> Json<ClusterStatus> {
    Json(wire::cluster_status(state.node.status()))
}

/// Prometheus text exposition of this node's metrics.
#[utoipa::path(get, path = "/metrics", tag = "cluster",
    responses(
        (status = 200, description = "Prometheus text exposition", content_type = "text/plain", body = String),
        (status = "default", description = "No recorder installed", body = ApiError),
    ))]
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
#[utoipa::path(get, path = "/v1/district", tag = "cluster",
    responses((status = 200, description = "The district model, in the shape of the district file (cluster-config's district.toml as JSON)", body = Object)))]
async fn district(State(state): State<ApiState>) -> Json<serde_json::Value> {
    Json(serde_json::to_value(state.actors.context().district.as_ref()).unwrap_or_default())
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "cluster",
    responses((status = 200, description = "ok", content_type = "text/plain", body = String)))]
async fn healthz() -> &'static str {
    "ok"
}

/// A leader is known.
#[utoipa::path(get, path = "/readyz", tag = "cluster",
    responses(
        (status = 200, description = "This node knows a leader", body = Ready),
        (status = 503, description = "No leader known yet", body = ApiError),
    ))]
async fn readyz(State(state): State<ApiState>) -> Response {
    let status = state.node.status();
    match status.leader_id {
        Some(leader) => Json(Ready {
            ready: true,
            leader_id: leader,
        })
        .into_response(),
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
