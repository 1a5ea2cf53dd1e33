//! The openraft type configuration: what a log entry carries, what applying
//! it answers, how nodes are addressed.

use std::io::Cursor;

use serde::{Deserialize, Serialize};

use crate::ledger::{Applied, Command};

/// A node's id; never reused after removal.
pub type NodeId = u64;

/// How to reach a member, as stored in the Raft membership.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeAddr {
    /// The node's name from the cluster file.
    pub name: String,
    /// `host:port` of its QUIC endpoint.
    pub quic_addr: String,
    /// `host:port` of its HTTP API.
    pub api_addr: String,
}

/// What one log entry carries: the commands proposed together, applied
/// in order at the entry's index, each with its own answer. The leader's
/// [`crate::proposer`] puts the writes that arrive while earlier entries
/// are on their way into one entry, so one fsync and one replication round
/// carry them all.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    /// The commands, in the order they are applied.
    pub commands: Vec<Command>,
}

impl Proposal {
    /// An entry of one command.
    pub fn one(command: Command) -> Proposal {
        Proposal {
            commands: vec![command],
        }
    }
}

openraft::declare_raft_types!(
    /// Cordon's Raft types: entries carry proposals of ledger commands and
    /// apply to one [`Applied`] answer per command.
    pub TypeConfig:
        D = Proposal,
        R = Vec<Applied>,
        NodeId = NodeId,
        Node = NodeAddr,
        Entry = openraft::Entry<TypeConfig>,
        SnapshotData = Cursor<Vec<u8>>,
        AsyncRuntime = openraft::TokioRuntime,
);

/// The Raft handle with Cordon's types.
pub type Raft = openraft::Raft<TypeConfig>;

/// What a node reports of its Raft state (role, term, leader, indexes).
pub type RaftMetrics = openraft::RaftMetrics<NodeId, NodeAddr>;

/// A log id with Cordon's node id.
pub type LogId = openraft::LogId<NodeId>;
/// A log entry.
pub type Entry = openraft::Entry<TypeConfig>;
/// A storage error.
pub type StorageError = openraft::StorageError<NodeId>;
/// Stored membership with Cordon's node types.
pub type StoredMembership = openraft::StoredMembership<NodeId, NodeAddr>;
/// A snapshot's metadata.
pub type SnapshotMeta = openraft::SnapshotMeta<NodeId, NodeAddr>;
