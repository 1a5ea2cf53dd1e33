//! The cluster: the event stream, this node's view, metrics, the
//! district, health and readiness.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use cordon_api::access::{AuditLog, WhoAmI};
use cordon_api::cluster::{ClusterStatus, Ready};
use cordon_api::ApiError;
use cordon_consensus::event_feed::EventPosition;
use futures_util::StreamExt;

use super::{ApiResult, ApiState, Caller, Failure};
use crate::wire;

/// Server-sent events: one `applied` event per command applied on this
/// node (data: [`cordon_api::events::Applied`]), its id its place in the log
/// (`12`, or `12.3` for an entry's fourth command), or
/// `lagged` when the stream fell behind (data:
/// [`cordon_api::events::Lagged`]). A stream opened with `Last-Event-ID`
/// (an event id) starts with the kept events after it, or with `lagged`
/// when they are no longer kept (on any node: the ids are the cluster's).
/// Streams are capped per client address, per principal and in total;
/// they end when the node stops or the caller's token is revoked.
#[utoipa::path(get, path = "/v1/events", tag = "cluster",
    responses(
        (status = 200, description = "text/event-stream of `applied` events (data: Applied) and `lagged` events (data: Lagged)", content_type = "text/event-stream", body = String),
        (status = 429, description = "This client address (limits.api_event_streams_per_client_max) or principal (limits.api_event_streams_per_principal_max) has its streams open", body = ApiError),
        (status = 503, description = "limits.api_event_streams_max streams are open on this node", body = ApiError),
    ))]
pub(super) async fn events(
    State(state): State<ApiState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Extension(caller): Extension<Caller>,
    headers: axum::http::HeaderMap,
) -> Result<
    Sse<impl futures_util::Stream<Item = Result<SseEvent, std::convert::Infallible>>>,
    Failure,
> {
    let ticket = state
        .event_streams
        .open(client.ip(), &caller.principal.name)?;
    let last_seen = last_event_id(&headers)?;
    let (receiver, backlog) = match last_seen {
        None => (state.node.ledger().subscribe(), Vec::new()),
        Some(last_seen) => {
            let (receiver, resumed) = state.node.ledger().resume(last_seen);
            (receiver, backlog_events(resumed))
        }
    };
    let last_seen = last_seen.unwrap_or_default();
    let mut shutdown = state.shutdown.clone();
    let stopping = async move {
        let _ = shutdown.wait_for(|stopping| *stopping).await;
    };
    let node = state.node.clone();
    let stream = futures_util::stream::unfold((receiver, ticket), move |(mut receiver, ticket)| {
        let (node, proof) = (node.clone(), caller.proof.clone());
        async move {
            let event = loop {
                let received = receiver.recv().await;
                // A stream ends with the commit that revokes its token (or when the token expires).
                if node.authenticate(&proof).is_err() {
                    return None;
                }
                match received {
                    // A node still replaying its log after a restart
                    // publishes what a resuming client saw already.
                    Ok(event) if event.position() <= last_seen => continue,
                    Ok(event) => break applied_sse(&event),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                        break lagged_sse(missed)
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                }
            };
            Some((Ok(event), (receiver, ticket)))
        }
    });
    let backlog = futures_util::stream::iter(backlog.into_iter().map(Ok));
    let keep_alive =
        KeepAlive::new().interval(std::time::Duration::from_millis(EVENT_KEEP_ALIVE_MS));
    Ok(Sse::new(backlog.chain(stream).take_until(stopping)).keep_alive(keep_alive))
}

/// How often a quiet event stream sends a comment: a console that hears
/// nothing for two of these takes its node for silent and moves to another
/// (about 3 bytes per keep-alive).
pub const EVENT_KEEP_ALIVE_MS: u64 = 2_000;

/// The `Last-Event-ID` a resuming stream sends: the id of the last event
/// it saw (its log index, then `.` and its place in the entry after the first).
fn last_event_id(headers: &axum::http::HeaderMap) -> Result<Option<EventPosition>, Failure> {
    let Some(value) = headers.get("last-event-id") else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .map(Some)
        .ok_or_else(|| {
            Failure::bad_input(
                "Last-Event-ID is not an event id (a log index such as 12, or 12.3): send the id of the last event received, or none",
            )
        })
}

/// The events a resuming stream starts with.
fn backlog_events(resumed: cordon_consensus::event_feed::Resumed) -> Vec<SseEvent> {
    match resumed {
        cordon_consensus::event_feed::Resumed::Events(events) => {
            events.iter().map(applied_sse).collect()
        }
        cordon_consensus::event_feed::Resumed::Gap { missed } => vec![lagged_sse(missed)],
    }
}

fn applied_sse(event: &cordon_consensus::state_machine::AppliedEvent) -> SseEvent {
    SseEvent::default()
        .event("applied")
        .id(event.position().to_string())
        .data(serde_json::to_string(&wire::applied_event(event)).unwrap_or_default())
}

fn lagged_sse(missed: u64) -> SseEvent {
    let lagged = cordon_api::events::Lagged { missed };
    SseEvent::default()
        .event("lagged")
        .data(serde_json::to_string(&lagged).unwrap_or_default())
}

/// Who the caller is: its principal, roles and rights (the console shows
/// only what these allow).
#[utoipa::path(get, path = "/v1/whoami", tag = "cluster",
    responses(
        (status = 200, description = "The caller", body = WhoAmI),
        (status = 401, description = "No valid credentials", body = ApiError),
    ))]
pub(super) async fn whoami(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
) -> Json<WhoAmI> {
    Json(WhoAmI {
        principal: wire::principal(&caller.principal),
        rights: caller
            .principal
            .rights()
            .into_iter()
            .map(|right| right.as_str().to_string())
            .collect(),
        node: state.node.id(),
    })
}

/// The operator audit log (token issue and revoke, draining, retired node
/// ids, membership changes, drills), hash-chained, after a read barrier.
#[utoipa::path(get, path = "/v1/audit", tag = "cluster",
    responses(
        (status = 200, description = "The operator audit log, oldest first", body = AuditLog),
        (status = 403, description = "The caller is not an operator or a commander", body = ApiError),
    ))]
pub(super) async fn audit(State(state): State<ApiState>) -> ApiResult<Json<AuditLog>> {
    state.node.read_barrier().await?;
    let ledger = state.node.ledger().read();
    Ok(Json(wire::audit_log(ledger.ledger.operator_audit())))
}

/// This node's view: role, leader, term, indexes, members, replication lag.
#[utoipa::path(get, path = "/v1/cluster", tag = "cluster",
    responses((status = 200, description = "The cluster as this node sees it", body = ClusterStatus)))]
pub(super) async fn cluster(State(state): State<ApiState>) -> Json<ClusterStatus> {
    Json(wire::cluster_status(state.node.status()))
}

/// Prometheus text exposition of this node's metrics.
#[utoipa::path(get, path = "/metrics", tag = "cluster",
    responses(
        (status = 200, description = "Prometheus text exposition", content_type = "text/plain", body = String),
        (status = "default", description = "No recorder installed", body = ApiError),
    ))]
pub(super) async fn prometheus_metrics(State(state): State<ApiState>) -> Response {
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
pub(super) async fn district(State(state): State<ApiState>) -> Json<serde_json::Value> {
    Json(serde_json::to_value(state.actors.context().district.as_ref()).unwrap_or_default())
}

/// The district's streets as the router knows them (names, classes and
/// pieces), for maps; the same on every node.
#[utoipa::path(get, path = "/v1/district/streets", tag = "cluster",
    responses((status = 200, description = "The street map", body = cordon_api::cluster::StreetMap)))]
pub(super) async fn district_streets(
    State(state): State<ApiState>,
) -> Json<cordon_api::cluster::StreetMap> {
    Json(wire::street_map(state.actors.context().district.streets()))
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "cluster",
    responses((status = 200, description = "ok", content_type = "text/plain", body = String)))]
pub(super) async fn healthz() -> &'static str {
    "ok"
}

/// A leader is known.
#[utoipa::path(get, path = "/readyz", tag = "cluster",
    responses(
        (status = 200, description = "This node knows a leader", body = Ready),
        (status = 503, description = "No leader known yet", body = ApiError),
    ))]
pub(super) async fn readyz(State(state): State<ApiState>) -> Response {
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
