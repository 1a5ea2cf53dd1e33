//! Who may call which route: every route of [`super::api_routes`] names its
//! [`Access`], and this middleware enforces it before the handler runs.
//!
//! - A public route (health, readiness, the OpenAPI document, the console's
//!   files) needs nothing.
//! - Every other route needs `Authorization: Bearer <token>` (a token an
//!   operator issued with `cordon token issue`) or, over HTTPS, a client
//!   certificate from the cluster CA naming a principal and its roles
//!   (`cordon certs issue --principal`); else 401 naming how to get one.
//!   For a read the node first waits for a read barrier, so a token
//!   revoked (or issued) by a committed command is judged by that commit on
//!   every node; a write is judged by this node's ledger, again by the
//!   leader before it proposes, and by the ledger at apply.
//! - A route that needs a right is refused with 403 naming the roles that
//!   hold it (the table is `RoleKind::grants` in the ledger). What a
//!   scoped role may touch (a field unit's own unit, a station's own
//!   incidents, a reporter's own channel) is judged again by the ledger
//!   when the command applies, against the records.
//!
//! The caller's principal and proof go to the handler as [`Caller`]: the
//! command's origin names the principal, and the proof goes with the write
//! to the leader, which checks it again before proposing.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cordon_consensus::ledger::{AuthError, BearerToken, Origin, Principal, Right, RoleKind, Scope};
use cordon_consensus::wire::Proof;

use super::{ApiState, Failure};
use crate::http_server::PeerCertificate;

/// What a route needs of its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Nothing: health, readiness, the API description, the console's files.
    Public,
    /// Any valid credential (`GET /v1/whoami`).
    Authenticated,
    /// A credential whose roles hold this right.
    Needs(Right),
}

impl Access {
    /// The roles that may call a route with this access, for the route table.
    pub fn roles(self) -> String {
        match self {
            Access::Public => "anyone, no credentials".to_string(),
            Access::Authenticated => "any principal".to_string(),
            Access::Needs(right) => RoleKind::holders(right)
                .iter()
                .map(|kind| kind.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// An authenticated caller: who, and the proof the leader checks again.
#[derive(Clone, Debug)]
pub struct Caller {
    /// Who.
    pub principal: Principal,
    /// How it proved it.
    pub proof: Proof,
    /// The origin its commands carry (principal, this node, its address).
    pub origin: Origin,
}

/// The middleware of one route: authenticates and checks the right.
pub(super) async fn authorize(
    State((state, access)): State<(ApiState, Access)>,
    mut request: Request,
    next: Next,
) -> Response {
    if access == Access::Public {
        return next.run(request).await;
    }
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_string(), |info| info.0.to_string());
    let certificate = request.extensions().get::<PeerCertificate>();
    let writes = request.method() != axum::http::Method::GET;
    let caller = match authenticate(&state, request.headers(), certificate, client, writes).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    if let Err(refused) = state.rates.admit(&caller.principal.name) {
        return refused;
    }
    if let Access::Needs(right) = access {
        if let Err(denied) = caller.principal.may(right, &Scope::Any) {
            return Failure::new(StatusCode::FORBIDDEN, "forbidden", denied.to_string())
                .into_response();
        }
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// The caller named by the request's bearer token (or, without one, by
/// the client certificate its TLS connection proved). A read is judged
/// after a read barrier (so by every commit made before it); a write by
/// this node's ledger, then again by the leader and at apply.
async fn authenticate(
    state: &ApiState,
    headers: &HeaderMap,
    certificate: Option<&PeerCertificate>,
    client: String,
    writes: bool,
) -> Result<Caller, Response> {
    let proof = match (bearer_token(headers), certificate) {
        (Err(AuthError::Missing), Some(certificate)) => {
            Proof::Certificate(certificate.0.as_ref().clone())
        }
        (bearer, _) => Proof::Token(bearer.map_err(unauthenticated)?),
    };
    let principal = match (writes, state.node.authenticate(&proof)) {
        // A write's credential is judged again by the leader before it
        // proposes and by the ledger when it applies (as of that commit),
        // so this node's view is enough to let it through.
        (true, Ok(principal)) => principal,
        // A read waits for every commit made before it (a revocation
        // too), as does a token this node has not seen yet.
        _ => {
            if let Err(error) = state.node.read_barrier().await {
                return Err(Failure::from(error).into_response());
            }
            state.node.authenticate(&proof).map_err(unauthenticated)?
        }
    };
    let origin = Origin::Api {
        node: state.node.id(),
        client,
        principal: principal.clone(),
    };
    Ok(Caller {
        principal,
        proof,
        origin,
    })
}

/// The token of an `Authorization: Bearer` header.
fn bearer_token(headers: &HeaderMap) -> Result<BearerToken, AuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(AuthError::Missing);
    };
    let value = value.to_str().map_err(|_| AuthError::Malformed)?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or(AuthError::Malformed)?;
    BearerToken::parse(token)
}

/// A 401 naming why, with the challenge a client expects.
pub(super) fn unauthenticated(error: AuthError) -> Response {
    let mut response = Failure::new(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        error.to_string(),
    )
    .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"cordon\""),
    );
    response
}

/// Per-principal request rates on this node: a token bucket per principal
/// name, refilled at `limits.api_requests_per_principal_per_s` up to
/// `limits.api_requests_burst_per_principal`. One principal's flood costs
/// it 429s, not the other principals their service.
pub(super) struct PrincipalRates {
    per_s: f64,
    burst: f64,
    buckets: std::sync::Mutex<std::collections::HashMap<String, Bucket>>,
}

/// One principal's bucket: requests it may still make, as of when.
struct Bucket {
    tokens: f64,
    at: std::time::Instant,
}

/// Principals remembered at most; beyond it the full buckets are dropped
/// (a full bucket is what a forgotten principal starts with again).
const RATE_BUCKETS_MAX: usize = 20_000;

impl PrincipalRates {
    pub(super) fn new(limits: &cordon_config::Limits) -> PrincipalRates {
        PrincipalRates {
            per_s: f64::from(limits.api_requests_per_principal_per_s),
            burst: f64::from(limits.api_requests_burst_per_principal),
            buckets: std::sync::Mutex::default(),
        }
    }

    /// Takes one request from `principal`'s bucket, or a 429 naming the limit.
    fn admit(&self, principal: &str) -> Result<(), Response> {
        let now = std::time::Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= RATE_BUCKETS_MAX && !buckets.contains_key(principal) {
            let (per_s, burst) = (self.per_s, self.burst);
            buckets.retain(|_, b| b.tokens + b.at.elapsed().as_secs_f64() * per_s < burst);
        }
        let bucket = buckets.entry(principal.to_string()).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let refilled = bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * self.per_s;
        bucket.tokens = refilled.min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        let wait_s = ((1.0 - bucket.tokens) / self.per_s).ceil().max(1.0);
        drop(buckets);
        let mut response = Failure::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "{principal} sent more than limits.api_requests_per_principal_per_s = {} requests \
                 per second (burst limits.api_requests_burst_per_principal = {}) to this node: \
                 slow down and retry",
                self.per_s, self.burst
            ),
        )
        .into_response();
        if let Ok(value) = HeaderValue::from_str(&format!("{wait_s}")) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        Err(response)
    }
}
