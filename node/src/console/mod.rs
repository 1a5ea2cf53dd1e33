//! The operators' web console, served by every node at `/console/` (and `/`,
//! which redirects there).
//!
//! The console is a static page (HTML, CSS and a few vanilla JavaScript
//! modules) that draws the district map (Leaflet and its marker-cluster
//! plugin, pinned by `vendor/package-lock.json` and copied into `vendor/` by
//! `vendor/update.sh`), units, open incidents, a call heat
//! map, coverage gaps, an incident drawer with its audit trail, and the
//! cluster panel, using only the JSON API of the node that serves it
//! (`/v1/whoami`, `/v1/district`, `/v1/units`, `/v1/incidents`,
//! `/v1/actors`, `/v1/cluster`, `/v1/drills`, the `/v1/events` stream,
//! `POST /v1/plans/{id}/approve` and, in `cordon demo`, the drill buttons'
//! `POST /v1/drills/nodes/{id}/{action}`, which the node forwards to the
//! demo's drill control).
//!
//! The files are public; the API is not. The page asks for a bearer token
//! (`cordon token issue`), keeps it in the tab's `sessionStorage` only and
//! sends it as `Authorization: Bearer` with every request, the event stream
//! included (read with `fetch`, since `EventSource` cannot send headers).
//! `/v1/whoami` says what the caller may do, and the page offers only
//! those controls; a 401 at any time returns it to the login screen.
//!
//! The assets are embedded in the binary with `include_str!` so that the
//! console is always the version of the node answering it, needs no files
//! beside the binary, no build step and no network beyond that node: a
//! command room cut off from the internet still has its map. The page loads
//! nothing from elsewhere (no CDN, no map tiles), and the content security
//! policy sent with it makes the browser refuse to, should that ever change.

use std::future::ready;

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

/// One embedded file of the console.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// The path it is served at.
    pub path: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its text.
    pub body: &'static str,
}

const HTML: &str = "text/html; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const SVG: &str = "image/svg+xml";

/// Where the console's page lives; `/` and `/console` redirect here.
pub const CONSOLE_PATH: &str = "/console/";

/// Every file of the console, in the order the page loads them.
pub const ASSETS: &[Asset] = &[
    Asset {
        path: CONSOLE_PATH,
        content_type: HTML,
        body: include_str!("index.html"),
    },
    Asset {
        path: "/console/vendor/leaflet.css",
        content_type: CSS,
        body: include_str!("vendor/leaflet.css"),
    },
    Asset {
        path: "/console/vendor/MarkerCluster.css",
        content_type: CSS,
        body: include_str!("vendor/MarkerCluster.css"),
    },
    Asset {
        path: "/console/console.css",
        content_type: CSS,
        body: include_str!("console.css"),
    },
    Asset {
        path: "/console/vendor/leaflet.js",
        content_type: JAVASCRIPT,
        body: include_str!("vendor/leaflet.js"),
    },
    Asset {
        path: "/console/vendor/leaflet.markercluster.js",
        content_type: JAVASCRIPT,
        body: include_str!("vendor/leaflet.markercluster.js"),
    },
    Asset {
        path: "/console/app.js",
        content_type: JAVASCRIPT,
        body: include_str!("app.js"),
    },
    Asset {
        path: "/console/format.js",
        content_type: JAVASCRIPT,
        body: include_str!("format.js"),
    },
    Asset {
        path: "/console/map.js",
        content_type: JAVASCRIPT,
        body: include_str!("map.js"),
    },
    Asset {
        path: "/console/marks.js",
        content_type: JAVASCRIPT,
        body: include_str!("marks.js"),
    },
    Asset {
        path: "/console/panels.js",
        content_type: JAVASCRIPT,
        body: include_str!("panels.js"),
    },
    Asset {
        path: "/console/crowd.js",
        content_type: JAVASCRIPT,
        body: include_str!("crowd.js"),
    },
    Asset {
        path: "/console/dispatch.js",
        content_type: JAVASCRIPT,
        body: include_str!("dispatch.js"),
    },
    Asset {
        path: "/console/search.js",
        content_type: JAVASCRIPT,
        body: include_str!("search.js"),
    },
    Asset {
        path: "/console/report.js",
        content_type: JAVASCRIPT,
        body: include_str!("report.js"),
    },
    Asset {
        path: "/console/serving.js",
        content_type: JAVASCRIPT,
        body: include_str!("serving.js"),
    },
    Asset {
        path: "/console/alerts.js",
        content_type: JAVASCRIPT,
        body: include_str!("alerts.js"),
    },
    Asset {
        path: "/console/duty.js",
        content_type: JAVASCRIPT,
        body: include_str!("duty.js"),
    },
    Asset {
        path: "/console/public.js",
        content_type: JAVASCRIPT,
        body: include_str!("public.js"),
    },
    Asset {
        path: "/console/command.js",
        content_type: JAVASCRIPT,
        body: include_str!("command.js"),
    },
    Asset {
        path: "/console/field.js",
        content_type: JAVASCRIPT,
        body: include_str!("field.js"),
    },
    Asset {
        path: "/console/favicon.svg",
        content_type: SVG,
        body: include_str!("favicon.svg"),
    },
];

/// The page's Content-Security-Policy: only the cluster's members may be
/// fetched from (`connect_src`: this node and the others, to move to one
/// when this one stops answering), scripts and styles come from files (no
/// inline code), and the page may not be framed.
fn content_security_policy(connect_src: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src {connect_src}; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )
}

/// The console's routes, whose page may connect to `connect_src` (the CSP
/// sources of the cluster's members). They need no state, so they merge
/// into a router of any state type.
pub fn routes<S>(connect_src: &str) -> anyhow::Result<Router<S>>
where
    S: Clone + Send + Sync + 'static,
{
    let policy = HeaderValue::from_str(&content_security_policy(connect_src))?;
    let redirect = || async { Redirect::to(CONSOLE_PATH) };
    let mut router = Router::new()
        .route("/", get(redirect))
        .route("/console", get(redirect));
    for asset in ASSETS {
        let policy = policy.clone();
        router = router.route(asset.path, get(move || ready(serve(asset, policy.clone()))));
    }
    Ok(router)
}

fn serve(asset: &'static Asset, policy: HeaderValue) -> Response {
    let mut response = (
        [
            (header::CONTENT_TYPE, asset.content_type),
            // Revalidate on every load: after a node is upgraded its console
            // must match its API, never a cached older copy.
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        asset.body,
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_SECURITY_POLICY, policy);
    response
}
