//! The cluster: `GET /v1/cluster`, `GET /readyz` and the district's street map.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A node's view of the cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ClusterStatus {
    /// The cluster's name.
    pub cluster: String,
    /// The node answering.
    pub node_id: u64,
    /// `leader`, `follower`, `candidate` or `learner`.
    pub role: String,
    /// The leader this node knows of.
    pub leader_id: Option<u64>,
    /// Current term.
    pub term: u64,
    /// Last log index on this node.
    pub last_log_index: Option<u64>,
    /// Last index this node knows committed.
    pub committed_index: Option<u64>,
    /// Last index applied to this node's ledger.
    pub applied_index: Option<u64>,
    /// Last index covered by this node's snapshot.
    pub snapshot_index: Option<u64>,
    /// Milliseconds since a quorum last acknowledged this leader (leader only).
    pub millis_since_quorum_ack: Option<u64>,
    /// The members.
    pub members: Vec<Member>,
}

/// One member as the answering node sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Member {
    /// Its id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// Its QUIC address.
    pub quic_addr: String,
    /// Its HTTP API address.
    pub api_addr: String,
    /// Voter (true) or learner.
    pub voter: bool,
    /// The last log index known replicated to it (leader only).
    pub matched_index: Option<u64>,
    /// How far it is behind the leader's last log index (leader only).
    pub lag: Option<u64>,
}

/// `GET /readyz` when the node knows a leader.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Ready {
    /// Always true (a node without a leader answers 503).
    pub ready: bool,
    /// The leader.
    pub leader_id: u64,
}

/// `GET /v1/district/streets`: the district's streets as the router knows
/// them, for maps: each way's name, class and straight pieces.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StreetMap {
    /// The street file's name.
    pub name: String,
    /// Its ways.
    pub ways: Vec<StreetWay>,
}

/// One named way.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StreetWay {
    /// Its id in the street file.
    pub id: String,
    /// The street's name.
    pub name: String,
    /// `arterial`, `main`, `street`, `lane` or `pedestrian`.
    pub class: String,
    /// Its pieces between adjacent nodes, each `[[lat, lon], [lat, lon]]`
    /// (WGS-84 degrees), once whichever way it may be travelled.
    pub segments: Vec<[[f64; 2]; 2]>,
}
