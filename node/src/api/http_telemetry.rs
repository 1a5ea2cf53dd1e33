//! Each request's span and metrics, by the OpenTelemetry HTTP server
//! conventions: a server span named `{method} {route}` (just `{method}`
//! when no route matched) with `http.request.method`, `http.route` and
//! `http.response.status_code`, joined to the caller's W3C trace context;
//! `http_server_request_duration_seconds` and
//! `http_server_active_requests` with the same attributes as labels (every
//! request; a refused or unrouted one has no span and an empty route).

use std::collections::HashMap;
use std::time::Instant;

use axum::extract::MatchedPath;
use axum::http::Method;
use axum::response::Response;
use tracing::field::Empty;
use tracing::Instrument;

/// The route the router matched, handed out on the response.
#[derive(Debug, Clone)]
struct MatchedRoute(String);

/// Outermost: the metrics of the whole request, guard refusals and
/// unrouted paths included (with an empty route).
pub(super) async fn request_metrics(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let method = method_label(request.method());
    let active = metrics::gauge!("http_server_active_requests", "http_request_method" => method);
    active.increment(1.0);
    let started = Instant::now();
    let response = next.run(request).await;
    active.decrement(1.0);
    let route = response
        .extensions()
        .get::<MatchedRoute>()
        .map(|route| route.0.clone());
    metrics::histogram!(
        "http_server_request_duration_seconds",
        "http_request_method" => method,
        "http_route" => route.unwrap_or_default(),
        "http_response_status_code" => response.status().as_u16().to_string(),
    )
    .record(started.elapsed().as_secs_f64());
    response
}

/// Inside the router, on every route: the request's server span, named
/// `{method} {route}` (the route is known only here), joined to the
/// caller's trace; hands the route out on the response for
/// [`request_metrics`].
pub(super) async fn route_span(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(String::new, |path| path.as_str().to_owned());
    let span = tracing::info_span!(
        "http_request",
        otel.name = format!("{method} {route}").as_str(),
        otel.kind = "server",
        http.request.method = method,
        http.route = route.as_str(),
        url.path = %request.uri().path(),
        http.response.status_code = Empty,
    );
    cordon_consensus::trace::set_remote_parent_from(&span, &trace_headers(request.headers()));
    let mut response = next.run(request).instrument(span.clone()).await;
    span.record("http.response.status_code", response.status().as_u16());
    response.extensions_mut().insert(MatchedRoute(route));
    response
}

/// The request's W3C trace context headers, for the propagator.
fn trace_headers(headers: &axum::http::HeaderMap) -> HashMap<String, String> {
    use cordon_consensus::trace::{TRACEPARENT, TRACESTATE};
    [TRACEPARENT, TRACESTATE]
        .into_iter()
        .filter_map(|name| {
            let value = headers.get(name)?.to_str().ok()?;
            Some((name.to_owned(), value.to_owned()))
        })
        .collect()
}

/// The method as the conventions name it: a known method, else `_OTHER`
/// (so a client cannot mint label values).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "_OTHER",
    }
}
