//! A node's view of the cluster, as shown by `GET /v1/cluster` and
//! `cordon ctl status`.

use serde::{Deserialize, Serialize};

use crate::types::NodeId;

/// One member as this node sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberStatus {
    /// Its id.
    pub id: NodeId,
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

/// A node's view of the cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterStatus {
    /// The cluster's name.
    pub cluster: String,
    /// The node answering.
    pub node_id: NodeId,
    /// `leader`, `follower`, `candidate` or `learner`.
    pub role: String,
    /// The leader this node knows of.
    pub leader_id: Option<NodeId>,
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
    pub members: Vec<MemberStatus>,
}
