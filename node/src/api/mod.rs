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
    request_id_is_valid, Applied, Command, Effect, Position, Rejection, RequestId, Right,
    REQUEST_ID_BYTES_MAX,
};
use cordon_consensus::{ConsensusNode, WriteError};
use serde::Deserialize;
use tokio::sync::Semaphore;

use crate::wire;
pub use access::{Access, Caller};
use cordon_actors::bounds::DistrictBounds;

mod access;
mod actors;
mod cluster;
mod cors;
mod coverage;
mod crowd;
mod dispatch;
mod district_aid;
mod drills;
mod eido;
mod field;
mod guard;
mod hazards;
mod http_telemetry;
mod incidents;
mod move_ups;
mod partners;
mod public_info;
mod roster;
mod safe_houses;
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
    /// `https` when the members serve their API over TLS (`http` with
    /// `--insecure-http`): how to ask a peer for its local actors.
    peer_scheme: &'static str,
    metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    event_streams: Arc<streams::EventStreams>,
    /// Turns true when the node stops: open event streams end.
    shutdown: tokio::sync::watch::Receiver<bool>,
    /// Per-principal request rates.
    rates: Arc<access::PrincipalRates>,
    /// The hourly crowd model each area's backtest chose, kept a day.
    model_choices: Arc<cordon_actors::crowd::ModelChoices>,
    /// The neighbouring districts asked for mutual aid.
    neighbours: Arc<Vec<district_aid::NeighbourClient>>,
}

/// Deadline for asking a peer node for its local actors (a live peer
/// answers from memory in a few ms; a dead one costs `GET /v1/actors`
/// this much).
const PEER_ACTORS_TIMEOUT_MS: u64 = 500;
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
    https: bool,
) -> anyhow::Result<Router> {
    let limits = node.cluster().limits().clone();
    let node_ca = node.cluster().tls().ca_cert.clone();
    let api_addr = node
        .cluster()
        .node(node.id())
        .map_or(SocketAddr::from(([127, 0, 0, 1], 0)), |spec| spec.api_addr);
    let members = cors::MemberOrigins::new(
        node.cluster().nodes().iter().map(|spec| spec.api_addr),
        node.cluster().api_public_hosts(),
        https,
    );
    let console = crate::console::routes(&members.connect_src())?;
    let routes = api_routes();
    let file_routes = routes
        .iter()
        .filter(|route| route.body != guard::JSON)
        .map(|route| (route.path, route.body))
        .collect();
    let guard = Arc::new(guard::Guard::new(
        api_addr,
        node.cluster().api_public_hosts(),
        members,
        &limits,
        file_routes,
    ));
    let district_bounds = Arc::new(DistrictBounds::new(
        &actors.context().district,
        limits.district_margin_m,
    ));
    let neighbours = Arc::new(district_aid::clients(node.cluster().neighbours())?);
    let state = ApiState {
        node,
        actors,
        drills,
        inflight: Arc::new(Semaphore::new(limits.api_requests_inflight_max as usize)),
        incidents_listed_max: limits.api_incidents_listed_max as usize,
        district_bounds,
        peers: peer_client(&node_ca)?,
        peer_scheme: if https { "https" } else { "http" },
        metrics,
        event_streams: Arc::new(streams::EventStreams::new(streams::StreamCaps {
            total_max: limits.api_event_streams_max,
            per_client_max: limits.api_event_streams_per_client_max,
            per_principal_max: limits.api_event_streams_per_principal_max,
        })),
        shutdown,
        rates: Arc::new(access::PrincipalRates::new(&limits)),
        model_choices: Arc::default(),
        neighbours,
    };
    let mut router = Router::new();
    for route in routes {
        let layer =
            axum::middleware::from_fn_with_state((state.clone(), route.access), access::authorize);
        router = router.route(route.path, route.handler.route_layer(layer));
    }
    Ok(router
        .merge(console)
        .route_layer(axum::middleware::from_fn(http_telemetry::route_span))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(guard, guard::guard))
        // gzip for a client that asks (every browser): JSON shrinks several
        // times; event streams are left as they are, so no event waits.
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(DefaultBodyLimit::max(limits.api_body_bytes_max as usize))
        .layer(axum::middleware::from_fn(http_telemetry::request_metrics))
        .with_state(state))
}

/// The client of peers' APIs (their local actors, trusting the cluster CA
/// only) and of the demo's drill control (plain HTTP on loopback).
fn peer_client(ca_cert: &std::path::Path) -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_millis(PEER_ACTORS_TIMEOUT_MS))
        .tls_built_in_root_certs(false)
        .add_root_certificate(crate::api_tls::ca_root(ca_cert)?)
        .build()
        .map_err(anyhow::Error::from)
}

/// One route: its path and method, who may call it, and its handler.
pub struct ApiRoute {
    /// The path, with `{parameters}`.
    pub path: &'static str,
    /// The method.
    pub method: axum::http::Method,
    /// Who may call it.
    pub access: Access,
    /// The Content-Type a change sends: JSON, or the file type of a route
    /// that takes a file.
    pub body: &'static str,
    handler: MethodRouter<ApiState>,
}

impl ApiRoute {
    /// This route takes a file of `content_type` instead of JSON.
    fn taking(self, content_type: &'static str) -> ApiRoute {
        ApiRoute {
            body: content_type,
            ..self
        }
    }
}

/// Every API route with who may call it and its handler: the one table of
/// the API's permissions (with `RoleKind::grants`, which says which role
/// holds which right). The router is built from it, the OpenAPI document is
/// checked against it, and `cordon routes` prints it, so they cannot drift.
#[rustfmt::skip] // reason: the table reads as rows
#[expect(clippy::too_many_lines, reason = "the route table: one row per route, read as one")]
pub fn api_routes() -> Vec<ApiRoute> {
    use actors::{list_actors, local_actors};
    use cluster::{
        audit, cluster, district, district_streets, events, healthz, prometheus_metrics, readyz,
        whoami,
    };
    use drills::{drill_node, drills, fault_actor, plant_bug};
    use incidents::{
        approve_plan, cancel_incident, get_incident, list_incidents, report_incident,
        resolve_incident,
    };
    use coverage::coverage;
    use crowd::{forecast, list_sensors, read_counts, record_counts};
    use hazards::{
        clear_hazard, escalate_hazard, list_hazards, push_hazard, report_hazard, take_measure,
        verify_hazard,
    };
    use move_ups::{approve_move_up, decline_move_up, list_move_ups};
    use units::{list_units, update_unit_status};
    use axum::http::Method;
    use Access::{Authenticated, Needs, Public};
    let route = |path, method, access, handler| ApiRoute { path, method, access, body: guard::JSON, handler };
    vec![
        route("/v1/incidents", Method::POST, Needs(Right::Report), post(report_incident)),
        route("/v1/incidents", Method::GET, Needs(Right::Read), get(list_incidents)),
        route("/v1/incidents/{id}", Method::GET, Needs(Right::Read), get(get_incident)),
        route("/v1/incidents/{id}/resolve", Method::POST, Needs(Right::CloseIncident), post(resolve_incident)),
        route("/v1/incidents/{id}/cancel", Method::POST, Needs(Right::CloseIncident), post(cancel_incident)),
        route("/v1/incidents/{id}/recommendations", Method::GET, Needs(Right::Read), get(dispatch::recommendations)),
        route("/v1/incidents/{id}/assign", Method::POST, Needs(Right::Dispatch), post(dispatch::assign_unit)),
        route("/v1/incidents/{id}/notes", Method::POST, Needs(Right::Dispatch), post(dispatch::add_note)),
        route("/v1/incidents/{id}/acknowledge", Method::POST, Needs(Right::Dispatch), post(dispatch::acknowledge_unresourced)),
        route("/v1/incidents/{id}/ask-district", Method::POST, Needs(Right::Dispatch), post(dispatch::ask_district)),
        route("/v1/incidents/{id}/asks/{ask}/answer", Method::POST, Needs(Right::CommandDistrict), post(dispatch::answer_ask)),
        route("/v1/incidents/{id}/district-aid", Method::POST, Needs(Right::CommandDistrict), post(district_aid::ask_neighbour)),
        route("/v1/neighbours", Method::GET, Needs(Right::Read), get(district_aid::list_neighbours)),
        route("/v1/incidents/{id}/eido", Method::GET, Needs(Right::Read), get(eido::export)),
        route("/v1/eido", Method::POST, Needs(Right::Report), post(eido::import)),
        route("/v1/roster", Method::GET, Needs(Right::Read), get(roster::read)),
        route("/v1/roster", Method::POST, Needs(Right::ManageRoster), post(roster::load)).taking("text/csv"),
        route("/v1/roster/csv", Method::GET, Needs(Right::Read), get(roster::read_csv)),
        route("/v1/roster/{id}/availability", Method::POST, Needs(Right::ManageRoster), post(roster::availability)),
        route("/v1/safe-houses/{id}/alarm", Method::POST, Needs(Right::Report), post(safe_houses::alarm)),
        route("/v1/channels", Method::GET, Needs(Right::Read), get(incidents::channels)),
        route("/v1/partners/city-ops/incidents", Method::GET, Needs(Right::PartnerFeed), get(partners::city_ops_feed)),
        route("/v1/incidents/{id}/public-concern", Method::POST, Needs(Right::ApprovePlan), post(public_info::flag)),
        route("/v1/incidents/{id}/public-release", Method::POST, Needs(Right::ApprovePlan), post(public_info::release)),
        route("/v1/plans/{id}/approve", Method::POST, Needs(Right::ApprovePlan), post(approve_plan)),
        route("/v1/plans/{id}/amend", Method::POST, Needs(Right::ApprovePlan), post(dispatch::amend_plan)),
        route("/v1/units", Method::GET, Needs(Right::Read), get(list_units)),
        route("/v1/units/{id}/status", Method::POST, Needs(Right::UpdateUnit), post(update_unit_status)),
        route("/v1/units/{id}/route", Method::GET, Needs(Right::Read), get(field::unit_route)),
        route("/v1/units/{id}/check-in", Method::POST, Needs(Right::UpdateUnit), post(field::check_in)),
        route("/v1/units/{id}/notes", Method::POST, Needs(Right::UpdateUnit), post(field::field_note)),
        route("/v1/units/{id}/alarm", Method::POST, Needs(Right::UpdateUnit), post(field::raise_alarm)),
        route("/v1/units/{id}/alert/clear", Method::POST, Needs(Right::Dispatch), post(field::clear_alert)),
        route("/v1/coverage", Method::GET, Needs(Right::Read), get(coverage)),
        route("/v1/move-ups", Method::GET, Needs(Right::Read), get(list_move_ups)),
        route("/v1/move-ups/{id}/approve", Method::POST, Needs(Right::ApproveMoveUp), post(approve_move_up)),
        route("/v1/move-ups/{id}/decline", Method::POST, Needs(Right::ApproveMoveUp), post(decline_move_up)),
        route("/v1/crowd/counts", Method::POST, Needs(Right::RecordCrowdCounts), post(record_counts)),
        route("/v1/crowd/counts", Method::GET, Needs(Right::Read), get(read_counts)),
        route("/v1/crowd/sensors", Method::GET, Needs(Right::Read), get(list_sensors)),
        route("/v1/crowd/forecast", Method::GET, Needs(Right::Read), get(forecast)),
        route("/v1/hazards", Method::GET, Needs(Right::Read), get(list_hazards)),
        route("/v1/hazards", Method::POST, Needs(Right::HandleHazards), post(report_hazard)),
        route("/v1/hazards/{id}/push", Method::POST, Needs(Right::HandleHazards), post(push_hazard)),
        route("/v1/hazards/{id}/verify", Method::POST, Needs(Right::HandleHazards), post(verify_hazard)),
        route("/v1/hazards/{id}/measures", Method::POST, Needs(Right::HandleHazards), post(take_measure)),
        route("/v1/hazards/{id}/clear", Method::POST, Needs(Right::HandleHazards), post(clear_hazard)),
        route("/v1/hazards/{id}/escalate", Method::POST, Needs(Right::HandleHazards), post(escalate_hazard)),
        route("/v1/actors", Method::GET, Needs(Right::Read), get(list_actors)),
        route("/v1/actors/local", Method::GET, Needs(Right::Read), get(local_actors)),
        route("/v1/drills", Method::GET, Needs(Right::Read), get(drills)),
        route("/v1/drills/actors/{actor}/fault", Method::POST, Needs(Right::Drill), post(fault_actor)),
        route("/v1/drills/plant/{bug}", Method::POST, Needs(Right::Drill), post(plant_bug)),
        route("/v1/drills/nodes/{id}/{action}", Method::POST, Needs(Right::Drill), post(drill_node)),
        route("/v1/events", Method::GET, Needs(Right::Read), get(events)),
        route("/v1/cluster", Method::GET, Needs(Right::Read), get(cluster)),
        route("/v1/district", Method::GET, Needs(Right::Read), get(district)),
        route("/v1/district/streets", Method::GET, Needs(Right::Read), get(district_streets)),
        route("/v1/whoami", Method::GET, Authenticated, get(whoami)),
        route("/v1/audit", Method::GET, Needs(Right::ReadAudit), get(audit)),
        route("/v1/openapi.json", Method::GET, Public, get(openapi_document)),
        route("/metrics", Method::GET, Needs(Right::Read), get(prometheus_metrics)),
        route("/healthz", Method::GET, Public, get(healthz)),
        route("/readyz", Method::GET, Public, get(readyz)),
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
        dispatch::recommendations, dispatch::assign_unit, dispatch::add_note,
        dispatch::acknowledge_unresourced, dispatch::amend_plan, dispatch::ask_district, dispatch::answer_ask, district_aid::ask_neighbour, district_aid::list_neighbours, eido::export, eido::import,
        public_info::flag, public_info::release, safe_houses::alarm, incidents::channels, partners::city_ops_feed,
        roster::read, roster::read_csv, roster::load, roster::availability,
        units::list_units, units::update_unit_status, field::check_in, field::field_note,
        field::raise_alarm, field::clear_alert, field::unit_route, coverage::coverage,
        move_ups::list_move_ups, move_ups::approve_move_up, move_ups::decline_move_up,
        crowd::record_counts, crowd::read_counts, crowd::list_sensors, crowd::forecast,
        hazards::list_hazards, hazards::report_hazard, hazards::push_hazard,
        hazards::verify_hazard, hazards::take_measure, hazards::clear_hazard,
        hazards::escalate_hazard,
        actors::list_actors,
        actors::local_actors, drills::drills, drills::fault_actor, drills::plant_bug,
        drills::drill_node,
        cluster::events, cluster::cluster, cluster::district, cluster::district_streets,
        cluster::whoami, cluster::audit,
        openapi_document,
        cluster::prometheus_metrics, cluster::healthz, cluster::readyz,
    ),
    components(schemas(cordon_api::events::Applied, cordon_api::events::Lagged)),
    modifiers(&BearerAuth),
    tags(
        (name = "incidents", description = "Report, read, close incidents; recommended units, assign, notes, acknowledge; approve plans"),
        (name = "units", description = "Units and their status from the field; coverage; move-ups"),
        (name = "crowd", description = "Crowd counts, forecasts and the hazard register of the risk-sensing net"),
        (name = "actors", description = "Actor placements and supervision"),
        (name = "drills", description = "Drill faults (nodes started with --drills)"),
        (name = "cluster", description = "Cluster state, readiness, metrics, events"),
    )
)]
pub struct ApiDoc;

/// The paths of the JSON API (without the console's static files).
pub fn api_paths() -> Vec<&'static str> {
    let mut paths: Vec<_> = api_routes().into_iter().map(|route| route.path).collect();
    paths.dedup();
    paths
}

/// Adds the bearer-token scheme to the OpenAPI document.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// This document.
#[utoipa::path(get, path = "/v1/openapi.json", tag = "cluster",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", body = Object)))]
async fn openapi_document() -> Json<utoipa::openapi::OpenApi> {
    Json(crate::openapi::document())
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
            WriteError::Unauthenticated { .. } => {
                Failure::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
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

/// Proposes a caller's command (with its proof, which the leader checks
/// again) and waits until it is applied; a rejection becomes a 409 that
/// names the broken rule and, when it guards one, the invariant. Its code is
/// `rejected`, or `request_id_reused` when the client sent a request id it
/// had used for another request (the fix is a new id); the ledger's refusal
/// of the caller's role on the records (a field unit moving another unit) is
/// a 403 `forbidden`, of its credential a 401 `unauthenticated`.
async fn commit(state: &ApiState, command: Command, caller: &Caller) -> ApiResult<Applied> {
    let applied = state.node.write_as(command, caller.proof.clone()).await?;
    match &applied.effect {
        Effect::Rejected { rejection } => Err(Failure::new(
            match rejection {
                Rejection::NotPermitted { .. } => StatusCode::FORBIDDEN,
                Rejection::CredentialRefused { .. } => StatusCode::UNAUTHORIZED,
                _ => StatusCode::CONFLICT,
            },
            match rejection {
                Rejection::RequestIdReused { .. } => "request_id_reused",
                Rejection::NotPermitted { .. } => "forbidden",
                Rejection::CredentialRefused { .. } => "unauthenticated",
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

/// Proposes `action` as the caller under the request id it sent (or a
/// fresh one) and answers what it did once applied.
async fn propose(
    state: &ApiState,
    caller: &Caller,
    given: Option<String>,
    action: cordon_consensus::ledger::Action,
) -> ApiResult<Json<Committed>> {
    let command = Command::new(
        request_id(given)?,
        cordon_consensus::node::unix_millis(),
        caller.origin.clone(),
        action,
    );
    let applied = commit(state, command, caller).await?;
    Ok(committed(&applied))
}

/// Proposes `action` for a request whose body may be left out or hold only
/// a request id (`{"request_id": "..."}`).
async fn propose_bare(
    state: &ApiState,
    caller: &Caller,
    payload: &[u8],
    action: cordon_consensus::ledger::Action,
) -> ApiResult<Json<Committed>> {
    let asked: cordon_api::units::UnitRequest = optional_body(payload)?;
    propose(state, caller, asked.request_id, action).await
}

/// A body that may be left out (`{"reason": "..."}` or nothing): the
/// default when empty, else parsed, or a refusal naming what to send.
fn optional_body<T: Default + serde::de::DeserializeOwned>(payload: &[u8]) -> ApiResult<T> {
    if payload.is_empty() {
        return Ok(T::default());
    }
    serde_json::from_slice(payload).map_err(|e| {
        Failure::bad_input(format!(
            "request body: {e}: send {{\"reason\": \"...\"}} or nothing"
        ))
    })
}

/// The answer to a command that changed something.
fn committed(applied: &Applied) -> Json<Committed> {
    Json(wire::committed(applied))
}

/// A known path asked with a method it does not serve (axum adds `Allow`).
async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> Failure {
    Failure::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "{method} is not served on {}: see the Allow header, or GET /v1/openapi.json",
            uri.path()
        ),
    )
}

async fn not_found() -> Failure {
    Failure::new(
        StatusCode::NOT_FOUND,
        "no_route",
        "no such route: see /v1/incidents, /v1/units, /v1/cluster, /healthz, /readyz",
    )
}

#[cfg(test)]
mod tests {
    use super::api_routes;

    #[test]
    fn the_security_guide_lists_every_route_with_its_roles() {
        // node/SECURITY.md's table is the route table, row for row.
        let guide = include_str!("../../SECURITY.md");
        for route in api_routes() {
            let row = format!(
                "| `{} {}` | {} |",
                route.method,
                route.path,
                route.access.roles()
            );
            assert!(guide.contains(&row), "node/SECURITY.md lacks the row {row}");
        }
        let rows = guide
            .lines()
            .filter(|line| line.starts_with("| `GET ") || line.starts_with("| `POST "))
            .count();
        assert_eq!(rows, api_routes().len(), "a row for a route that is gone");
    }
}
