//! The HTTP JSON API served by every node. A follower answers reads after a
//! read barrier and forwards writes to the leader through the consensus
//! layer, so clients may talk to any node.
//!
//! One file per record: `incidents.rs`, `units.rs`, `actors.rs`, `drills.rs`,
//! `cluster.rs`; this module holds the router, the state, the OpenAPI
//! description and the helpers every handler shares.
//!
//! Errors are JSON `{code, message}` with a stable code; a write that timed
//! out says its outcome is unknown and that retrying with the same request id
//! is safe.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Json, Router};
use cordon_actors::runtime::ActorRuntime;
use cordon_api::incidents::Committed;
use cordon_api::ApiError;
use cordon_consensus::ledger::{
    request_id_is_valid, Applied, Command, Effect, Origin, Position, Rejection, RequestId,
    REQUEST_ID_BYTES_MAX,
};
use cordon_consensus::{ConsensusNode, WriteError};
use serde::Deserialize;
use tokio::sync::Semaphore;
use tracing::Instrument;

use crate::wire;
use bounds::DistrictBounds;

mod actors;
mod bounds;
mod cluster;
mod drills;
mod guard;
mod incidents;
mod streams;
mod units;

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
    district_bounds: Arc<DistrictBounds>,
    peers: reqwest::Client,
    metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    event_streams: Arc<streams::EventStreams>,
    /// Turns true when the node stops: open event streams end.
    shutdown: tokio::sync::watch::Receiver<bool>,
}

/// Deadline for asking a peer node for its local actors.
const PEER_ACTORS_TIMEOUT_MS: u64 = 1_500;
/// Deadline for the drill control server's answer.
const DRILL_CONTROL_TIMEOUT_MS: u64 = 10_000;
/// How long the drill control waits before silencing the node that asked
/// (kill or pause of itself), so that its answer reaches the caller first.
const SELF_DRILL_DELAY_MS: u64 = 300;

/// The API's routes, behind the guard of `api/guard.rs` (Host, Origin,
/// Content-Type, body deadline and size). Drill routes answer only when
/// `drills.enabled` is set; event streams end when `shutdown` turns true.
pub fn router(
    node: Arc<ConsensusNode>,
    actors: Arc<ActorRuntime>,
    drills: DrillConfig,
    metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> Router {
    let limits = node.cluster().limits().clone();
    let api_addr = node
        .cluster()
        .node(node.id())
        .map_or(SocketAddr::from(([127, 0, 0, 1], 0)), |spec| spec.api_addr);
    let guard = Arc::new(guard::Guard::new(
        api_addr,
        node.cluster().api_public_hosts(),
        &limits,
    ));
    let district_bounds = Arc::new(DistrictBounds::new(
        &actors.context().district,
        limits.district_margin_m,
    ));
    let state = ApiState {
        node,
        actors,
        drills,
        inflight: Arc::new(Semaphore::new(limits.api_requests_inflight_max as usize)),
        incidents_listed_max: limits.api_incidents_listed_max as usize,
        district_bounds,
        peers: reqwest::Client::builder()
            .timeout(std::time::Duration::from_millis(PEER_ACTORS_TIMEOUT_MS))
            .build()
            .expect("a plain http client builds"),
        metrics,
        event_streams: Arc::new(streams::EventStreams::new(
            limits.api_event_streams_max,
            limits.api_event_streams_per_client_max,
        )),
        shutdown,
    };
    let mut router = Router::new();
    for (path, handlers) in api_routes() {
        router = router.route(path, handlers);
    }
    router
        .merge(crate::console::routes())
        .fallback(not_found)
        .layer(axum::middleware::from_fn(request_span))
        .layer(axum::middleware::from_fn_with_state(guard, guard::guard))
        .layer(DefaultBodyLimit::max(limits.api_body_bytes_max as usize))
        .with_state(state)
}

/// Every API route with its handlers. The router is built from this table
/// and the OpenAPI document is checked against it, so they cannot drift.
fn api_routes() -> Vec<(&'static str, MethodRouter<ApiState>)> {
    use actors::{list_actors, local_actors};
    use cluster::{cluster, district, events, healthz, prometheus_metrics, readyz};
    use drills::{drill_node, drills, fault_actor, plant_bug};
    use incidents::{
        approve_plan, cancel_incident, get_incident, list_incidents, report_incident,
        resolve_incident,
    };
    use units::{list_units, update_unit_status};
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
        ("/v1/drills/plant/{bug}", post(plant_bug)),
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
        incidents::report_incident, incidents::list_incidents, incidents::get_incident,
        incidents::resolve_incident, incidents::cancel_incident, incidents::approve_plan,
        units::list_units, units::update_unit_status, actors::list_actors,
        actors::local_actors, drills::drills, drills::fault_actor, drills::plant_bug,
        drills::drill_node,
        cluster::events, cluster::cluster, cluster::district, openapi_document,
        cluster::prometheus_metrics, cluster::healthz, cluster::readyz,
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
#[derive(Debug)]
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

/// The prefix of every request id a client chose, in the ledger's table of
/// request ids. No id a node makes (the API's own, the actors', placement's)
/// starts with it, so a client can neither forge nor collide with them: a
/// report sent with request id `approve-1` or `place-station.bund-2` is the
/// client's own `c.approve-1`, and changes nothing of anyone else's.
pub const CLIENT_REQUEST_ID_PREFIX: &str = "c.";

/// The ledger's request id of a client's request: the client's own id in
/// the clients' namespace, or a fresh id of the API's when it sent none
/// (then a retry is a new request).
fn request_id(given: Option<String>) -> ApiResult<RequestId> {
    let Some(given) = given else {
        return Ok(RequestId(format!("api-{:032x}", rand::random::<u128>())));
    };
    let bytes_max = REQUEST_ID_BYTES_MAX - CLIENT_REQUEST_ID_PREFIX.len();
    if !request_id_is_valid(&given, bytes_max) {
        return Err(Failure::bad_input(format!(
            "request_id {given:?} is invalid: use 1-{bytes_max} characters of A-Z, a-z, 0-9, '-', '_', '.', ':'"
        )));
    }
    Ok(RequestId(format!("{CLIENT_REQUEST_ID_PREFIX}{given}")))
}

/// Who proposes a command the API takes from `client`: this node's API.
fn api_origin(state: &ApiState, client: SocketAddr) -> Origin {
    Origin::Api {
        node: state.node.id(),
        client: client.to_string(),
    }
}

/// A reported position: WGS-84 degrees inside the district (and its margin).
fn position(state: &ApiState, lat: f64, lon: f64) -> ApiResult<Position> {
    let position = Position::from_degrees(lat, lon).map_err(|e| {
        Failure::bad_input(format!(
            "{e}: send WGS-84 degrees as numbers, e.g. lat 31.2394, lon 121.4760"
        ))
    })?;
    state
        .district_bounds
        .check(lat, lon)
        .map_err(Failure::bad_input)?;
    Ok(position)
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
/// Its code is `rejected`, or `request_id_reused` when the client sent a
/// request id it had used for another request (the fix is a new id).
async fn commit(state: &ApiState, command: Command) -> ApiResult<Applied> {
    let applied = state.node.write(command).await?;
    match &applied.effect {
        Effect::Rejected { rejection } => Err(Failure::new(
            StatusCode::CONFLICT,
            match rejection {
                Rejection::RequestIdReused { .. } => "request_id_reused",
                _ => "rejected",
            },
            match rejection.invariant() {
                // Name the rule kept, as drill reports name it.
                Some(invariant) => format!("{} [{}]", wire::rejection(rejection), invariant.code()),
                None => wire::rejection(rejection),
            },
        )),
        _ => Ok(applied),
    }
}

/// The answer to a command that changed something.
fn committed(applied: &Applied) -> Json<Committed> {
    Json(wire::committed(applied))
}

async fn not_found() -> Failure {
    Failure::new(
        StatusCode::NOT_FOUND,
        "no_route",
        "no such route: see /v1/incidents, /v1/units, /v1/cluster, /healthz, /readyz",
    )
}
