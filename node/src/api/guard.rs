//! What every request passes before its handler:
//!
//! - `Host` must name this node: its `api_addr`, the localhost forms of its
//!   port, or a name of `api_public_hosts` (a reverse proxy); else 421
//!   naming the allowed hosts (DNS rebinding: a page of another site that
//!   made its name resolve to this node).
//! - A state-changing request (POST, PUT, DELETE, PATCH) with an `Origin`
//!   must come from a console of the cluster (this node's own origin, a
//!   member's, or a public name); else 403 naming the origin. No `Origin`
//!   is a non-browser client.
//! - A state-changing request must say `Content-Type: application/json`,
//!   with or without a body; else 415. A browser cannot send that across
//!   sites without a CORS preflight, which this API grants only to the
//!   members' consoles (see `cors.rs`).
//! - A state-changing request's body must be empty, `null` or a JSON object
//!   (serde would read an array as a struct's fields in order); else 400.
//! - The body must arrive within `limits.api_body_read_timeout_ms` (else
//!   408, and the connection is closed) and hold at most
//!   `limits.api_body_bytes_max` bytes (else 413).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

use super::cors::{self, MemberOrigins};
use super::Failure;

/// The hosts and body limits the guard checks against.
#[derive(Clone, Debug)]
pub struct Guard {
    /// Exact `host:port` forms allowed, lowercase.
    hosts: Vec<String>,
    /// Public names allowed with any port (or none), lowercase.
    names: Vec<String>,
    /// The port of `api_addr`, when it is a wildcard address: any IP
    /// literal with this port is allowed (a literal cannot be rebound).
    wildcard_port: Option<u16>,
    /// The cluster's consoles, which may call this node from their pages.
    members: MemberOrigins,
    body_read_timeout: Duration,
    body_bytes_max: usize,
    /// The routes that take a file instead of JSON, with its type (from the
    /// route table): a type no HTML form can send, so a cross-site page
    /// still cannot forge the request.
    file_routes: Vec<(&'static str, &'static str)>,
}

/// What a change sends unless its route takes a file.
pub(super) const JSON: &str = "application/json";

impl Guard {
    /// The guard of a node serving on `api_addr`.
    pub fn new(
        api_addr: SocketAddr,
        public_hosts: &[String],
        members: MemberOrigins,
        limits: &cordon_config::Limits,
        file_routes: Vec<(&'static str, &'static str)>,
    ) -> Guard {
        let port = api_addr.port();
        let mut hosts = vec![
            api_addr.to_string(),
            format!("localhost:{port}"),
            format!("127.0.0.1:{port}"),
            format!("[::1]:{port}"),
        ];
        let mut names = Vec::new();
        for public in public_hosts {
            let public = public.to_ascii_lowercase();
            if split_port(&public).1.is_some() {
                hosts.push(public);
            } else {
                names.push(public);
            }
        }
        hosts.dedup();
        Guard {
            hosts,
            names,
            wildcard_port: api_addr.ip().is_unspecified().then_some(port),
            members,
            body_read_timeout: Duration::from_millis(limits.api_body_read_timeout_ms),
            body_bytes_max: limits.api_body_bytes_max as usize,
            file_routes,
        }
    }

    /// The file type route `path` takes, if it takes a file.
    fn file_type(&self, path: &str) -> Option<&'static str> {
        self.file_routes
            .iter()
            .find(|(route, _)| *route == path)
            .map(|(_, file)| *file)
    }

    /// True when `host` (a `Host` header or an origin's authority) names this node.
    fn allows(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        let (name, port) = split_port(&host);
        let literal = name
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok();
        self.hosts.contains(&host)
            || self.names.iter().any(|allowed| allowed == name)
            || (literal && port.is_some() && port == self.wildcard_port)
    }

    /// The allowed hosts, for refusals.
    fn allowed_list(&self) -> String {
        let mut all = self.hosts.clone();
        all.extend(self.names.iter().cloned());
        if let Some(port) = self.wildcard_port {
            all.push(format!("any IP address with port {port}"));
        }
        all.join(", ")
    }

    fn check_host(&self, headers: &HeaderMap) -> Result<(), Failure> {
        let host = headers.get(header::HOST).map(|value| value.to_str());
        match host {
            Some(Ok(host)) if self.allows(host) => Ok(()),
            Some(Ok(host)) => Err(Failure::new(
                StatusCode::MISDIRECTED_REQUEST,
                "host_not_allowed",
                format!(
                    "Host {host:?} is not a name of this node: use one of {} \
                     (add a reverse proxy's name to api_public_hosts in the cluster file)",
                    self.allowed_list()
                ),
            )),
            _ => Err(Failure::new(
                StatusCode::BAD_REQUEST,
                "host_missing",
                format!(
                    "the request has no readable Host header: send one of {}",
                    self.allowed_list()
                ),
            )),
        }
    }

    /// A browser's `Origin` must be this node's own origin, a member's or a public name.
    fn check_origin(&self, headers: &HeaderMap) -> Result<(), Failure> {
        let Some(origin) = headers.get(header::ORIGIN) else {
            return Ok(());
        };
        let origin = origin.to_str().unwrap_or("(not text)");
        let host = headers
            .get(header::HOST)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        let authority = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
            .filter(|authority| !authority.contains('/'));
        match authority {
            Some(authority)
                if authority.eq_ignore_ascii_case(host)
                    || self.allows(authority)
                    || self.members.admits(origin) =>
            {
                Ok(())
            }
            _ => Err(Failure::new(
                StatusCode::FORBIDDEN,
                "origin_refused",
                format!(
                    "Origin {origin:?} is another site: this node takes changes only from \
                     the cluster's own consoles (http://{host} and the other members') or from \
                     clients that send no Origin"
                ),
            )),
        }
    }
}

/// `host:port` split at the port, if there is one (IPv6 literals are bracketed).
pub(super) fn split_port(host: &str) -> (&str, Option<u16>) {
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') || name.ends_with(']') => {
            (name, port.parse().ok())
        }
        _ => (host, None),
    }
}

/// True for the methods that change state.
fn changes_state(method: &Method) -> bool {
    [Method::POST, Method::PUT, Method::DELETE, Method::PATCH].contains(method)
}

fn check_content_type(guard: &Guard, path: &str, headers: &HeaderMap) -> Result<(), Failure> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok());
    let essence = content_type.map(|value| value.split(';').next().unwrap_or_default().trim());
    let accepted = guard.file_type(path).unwrap_or(JSON);
    if essence.is_some_and(|essence| essence.eq_ignore_ascii_case(accepted)) {
        return Ok(());
    }
    Err(Failure::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        format!(
            "Content-Type {} is not accepted: a request that changes state must send \
             Content-Type: {accepted}, also when it has no body",
            content_type.map_or_else(|| "(none)".to_string(), |value| format!("{value:?}"))
        ),
    ))
}

/// The middleware: Host, a member console's preflight, then Origin and
/// Content-Type of changes, then the body; a member console may read the answer.
pub(super) async fn guard(
    State(guard): State<Arc<Guard>>,
    request: Request,
    next: Next,
) -> Response {
    if let Err(refused) = guard.check_host(request.headers()) {
        return refused.into_response();
    }
    let member = guard.members.granted(request.headers());
    if cors::is_preflight(request.method(), request.headers()) {
        if let Some(origin) = member {
            return cors::preflight(origin);
        }
    }
    let mut response = checked(&guard, request, next).await;
    if let Some(origin) = member {
        cors::grant(response.headers_mut(), origin);
    }
    response
}

/// Origin and Content-Type of changes, then the body, then the handler.
async fn checked(guard: &Guard, request: Request, next: Next) -> Response {
    if changes_state(request.method()) {
        let checked = guard
            .check_origin(request.headers())
            .and_then(|()| check_content_type(guard, request.uri().path(), request.headers()));
        if let Err(refused) = checked {
            return refused.into_response();
        }
    }
    // A JSON change must be an object; a file route's body is its file.
    let json_change =
        changes_state(request.method()) && guard.file_type(request.uri().path()).is_none();
    let (parts, body) = request.into_parts();
    match read_body(guard, body).await {
        Ok(bytes) if json_change && !is_object_or_empty(&bytes) => Failure::bad_input(
            "the request body must be a JSON object ({...}) or empty: arrays, strings and \
             numbers are not requests; see GET /v1/openapi.json",
        )
        .into_response(),
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(refused) => refused,
    }
}

/// True for an empty body, `null` (what a client serialising "no body"
/// sends), or one whose first non-blank byte opens an object.
fn is_object_or_empty(body: &[u8]) -> bool {
    let text = body.trim_ascii();
    text.is_empty() || text == b"null" || text.starts_with(b"{")
}

/// The whole body, within the deadline and the size cap.
async fn read_body(guard: &Guard, body: Body) -> Result<Bytes, Response> {
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    let collect = async {
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| Failure::bad_input(format!("request body: {e}")))?;
            if bytes.len() + chunk.len() > guard.body_bytes_max {
                return Err(Failure::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body_too_large",
                    format!(
                        "the request body is larger than limits.api_body_bytes_max = {} bytes",
                        guard.body_bytes_max
                    ),
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(())
    };
    match tokio::time::timeout(guard.body_read_timeout, collect).await {
        Ok(Ok(())) => Ok(Bytes::from(bytes)),
        Ok(Err(refused)) => Err(close(refused.into_response())),
        Err(_) => {
            let refused = Failure::new(
                StatusCode::REQUEST_TIMEOUT,
                "body_timeout",
                format!(
                    "the request body did not arrive within limits.api_body_read_timeout_ms = {}: \
                     send the whole body at once",
                    guard.body_read_timeout.as_millis()
                ),
            );
            Err(close(refused.into_response()))
        }
    }
}

/// Ends the connection after this answer (its request's body was not read to the end).
fn close(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CONNECTION,
        axum::http::HeaderValue::from_static("close"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    // The node's own address, the localhost forms and the public names are
    // allowed; a rebinding name, another port and another address are not.
    #[test]
    fn only_the_names_of_the_node_are_allowed_hosts() {
        let public = vec![
            "dispatch.example.org".to_string(),
            "ops.example.org:8443".to_string(),
        ];
        let guard = Guard::new(
            "10.0.0.5:8080".parse().unwrap(),
            &public,
            MemberOrigins::new([], &[], false),
            &cordon_config::Limits::default(),
            Vec::new(),
        );
        for good in [
            "10.0.0.5:8080",
            "localhost:8080",
            "LOCALHOST:8080",
            "127.0.0.1:8080",
            "[::1]:8080",
            "dispatch.example.org",
            "dispatch.example.org:443",
            "ops.example.org:8443",
        ] {
            assert!(guard.allows(good), "{good}");
        }
        for bad in [
            "attacker.example",
            "attacker.example:8080",
            "10.0.0.5:9090",
            "10.0.0.6:8080",
            "ops.example.org",
            "localhost",
        ] {
            assert!(!guard.allows(bad), "{bad}");
        }
        let wildcard = Guard::new(
            "0.0.0.0:8080".parse().unwrap(),
            &[],
            MemberOrigins::new([], &[], false),
            &cordon_config::Limits::default(),
            Vec::new(),
        );
        assert!(wildcard.allows("192.168.1.20:8080"));
        assert!(!wildcard.allows("rebound.example:8080"));
    }
}
