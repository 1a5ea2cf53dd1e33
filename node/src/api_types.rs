//! Bodies of the HTTP JSON API, shared by the server and its clients.

use serde::{Deserialize, Serialize};

/// `POST /v1/incidents`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportIncident {
    /// Makes the report idempotent; generated when absent (then a retry is a new report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Incident kind, e.g. `theft`, `crowd_crush`.
    pub kind: String,
    /// 0 to 10; default 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u8>,
    /// 0 to 10; default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_level: Option<u8>,
    /// Latitude, WGS-84.
    pub lat: f64,
    /// Longitude, WGS-84.
    pub lon: f64,
    /// `emergency_call` (default), `community_report`, `risk_warning`, `partner_feed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The answer to a committed report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reported {
    /// The incident id, e.g. `I-000042`.
    pub incident_id: String,
    /// The log index at which the report was committed.
    pub log_index: u64,
    /// The request id the report was made with.
    pub request_id: String,
    /// True when this request id had already been reported.
    pub deduplicated: bool,
}

/// `POST /v1/units/{id}/status`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitStatusUpdate {
    /// Makes the update idempotent; generated when absent.
    #[serde(default)]
    pub request_id: Option<String>,
    /// `available`, `dispatched`, `acknowledged`, `en_route`, `on_scene`,
    /// `transporting`, `returning`, `out_of_service`.
    pub status: String,
    /// Latitude of the reported position.
    #[serde(default)]
    pub lat: Option<f64>,
    /// Longitude of the reported position.
    #[serde(default)]
    pub lon: Option<f64>,
    /// Apply only if the unit is at this version.
    #[serde(default)]
    pub expected_version: Option<u64>,
}

/// An error answer: a stable code and a human message saying what to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// Stable, machine-readable.
    pub code: String,
    /// For people: what is wrong and how to fix it.
    pub message: String,
}
