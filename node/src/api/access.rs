//! Who may call which route: every route of [`super::api_routes`] names its
//! [`Access`], and this middleware enforces it before the handler runs.
//!
//! - A public route (health, readiness, the OpenAPI document, the console's
//!   files) needs nothing.
//! - Every other route needs `Authorization: Bearer <token>` (a token an
//!   operator issued with `cordon token issue`); else 401 naming how to get
//!   one. The node first waits for a read barrier, so a token revoked (or
//!   issued) by a committed command is judged by that commit on every node.
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
    let caller = match authenticate(&state, request.headers(), client).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    if let Access::Needs(right) = access {
        if let Err(denied) = caller.principal.may(right, &Scope::Any) {
            return Failure::new(StatusCode::FORBIDDEN, "forbidden", denied.to_string())
                .into_response();
        }
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// The caller named by the request's bearer token, judged after a read
/// barrier (so by every commit made before the request).
async fn authenticate(
    state: &ApiState,
    headers: &HeaderMap,
    client: String,
) -> Result<Caller, Response> {
    let bearer = bearer_token(headers).map_err(unauthenticated)?;
    if let Err(error) = state.node.read_barrier().await {
        return Err(Failure::from(error).into_response());
    }
    let proof = Proof::Token(bearer);
    let principal = state.node.authenticate(&proof).map_err(unauthenticated)?;
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
