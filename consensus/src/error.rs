//! Typed errors at the consensus crate's boundary. Callers branch on them:
//! retry elsewhere (`NotLeader`, `NoLeader`), report an unknown outcome
//! (`Timeout`), fix the input (`Invalid`), or stop (`Fatal`).

use serde::{Deserialize, Serialize};

use crate::ledger::{AuthError, Rejection};
use crate::types::NodeId;

/// Why a write (or a linearizable read) did not complete.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum WriteError {
    /// The command breaks a rule and was not proposed.
    #[error("invalid command: {rejection}")]
    Invalid {
        /// The broken rule.
        rejection: Rejection,
    },
    /// This node is not the leader; the leader is named when known.
    #[error("not the leader (leader: {leader_id:?})")]
    NotLeader {
        /// The leader this node knows of.
        leader_id: Option<NodeId>,
        /// The leader's HTTP API address, when known.
        leader_api_addr: Option<String>,
    },
    /// No leader is known at the moment (an election is running).
    #[error("no leader is known; retry shortly")]
    NoLeader,
    /// The deadline passed; the command may or may not have been committed.
    /// Retry with the same request id.
    #[error(
        "no answer within {after_ms} ms; the outcome is unknown, retry with the same request id"
    )]
    Timeout {
        /// The deadline that passed.
        after_ms: u64,
    },
    /// The leader could not be reached.
    #[error("leader unreachable: {reason}")]
    Unreachable {
        /// What failed.
        reason: String,
    },
    /// The client's credential did not prove the principal the write names.
    #[error("not authenticated: {error}")]
    Unauthenticated {
        /// Why.
        error: AuthError,
    },
    /// The node is shutting down or its storage failed.
    #[error("node stopped: {reason}")]
    Fatal {
        /// What happened.
        reason: String,
    },
}

impl WriteError {
    /// True when retrying (same request id) may succeed.
    pub fn is_retryable(&self) -> bool {
        !matches!(self, WriteError::Invalid { .. } | WriteError::Fatal { .. })
    }
}

/// Why a membership change failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum AdminError {
    /// Ask the leader instead.
    #[error("not the leader (leader: {leader_id:?})")]
    NotLeader {
        /// The leader this node knows of.
        leader_id: Option<NodeId>,
    },
    /// The change is not allowed as asked.
    #[error("refused: {reason}")]
    Refused {
        /// Why, with the fix.
        reason: String,
    },
    /// The change did not complete.
    #[error("failed: {reason}")]
    Failed {
        /// What happened.
        reason: String,
    },
}
