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

/// What `POST /v1/drills/nodes/{id}/{action}` (and `cordon demo`'s drill
/// control server behind it) can do to a node's process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeDrill {
    /// SIGKILL: the node dies at once, as in a power cut.
    Kill,
    /// SIGSTOP: the node keeps its sockets but answers nothing.
    Pause,
    /// SIGCONT: a paused node carries on.
    Resume,
    /// Start a killed (or exited) node again from the same files.
    Restart,
    /// Cut the node off the network; `cordon demo` cannot do this (it
    /// needs network namespaces or nftables) and says so.
    Partition,
}

impl NodeDrill {
    /// Every drill, in the order the console offers them.
    pub const ALL: [NodeDrill; 5] = [
        NodeDrill::Kill,
        NodeDrill::Pause,
        NodeDrill::Resume,
        NodeDrill::Restart,
        NodeDrill::Partition,
    ];

    /// The drill's name in URLs and answers.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeDrill::Kill => "kill",
            NodeDrill::Pause => "pause",
            NodeDrill::Resume => "resume",
            NodeDrill::Restart => "restart",
            NodeDrill::Partition => "partition",
        }
    }

    /// True for drills after which the node answers nothing (kill, pause).
    pub fn silences(self) -> bool {
        matches!(self, NodeDrill::Kill | NodeDrill::Pause)
    }
}

impl std::fmt::Display for NodeDrill {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for NodeDrill {
    type Err = String;

    fn from_str(name: &str) -> Result<NodeDrill, String> {
        NodeDrill::ALL
            .into_iter()
            .find(|drill| drill.as_str() == name)
            .ok_or_else(|| {
                format!(
                    "node drill {name:?} is unknown: use kill, pause, resume, restart or partition"
                )
            })
    }
}
