//! Versioned wire types: everything that crosses the QUIC transport.
//!
//! One request and one response per bidirectional stream, each a
//! length-prefixed frame (see [`crate::codec`]). A frame carries
//! [`WIRE_VERSION`]; a peer speaking another version is refused with a
//! message naming both versions rather than misread.

use openraft::error::{InstallSnapshotError, RaftError};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use serde::{Deserialize, Serialize};

use crate::election::PreVote;
use crate::error::{AdminError, WriteError};
use crate::ledger::{Applied, BearerToken, Command, Incident, OperatorAuditEntry, Token};
use crate::status::ClusterStatus;
use crate::types::{NodeAddr, NodeId, TypeConfig};

/// The version of the frames below; bump on any incompatible change.
/// 2: commands carry typed rings (1-4 only) and station ids, and snapshots
/// the storage header of [`crate::codec::STORAGE_FORMAT_VERSION`] 2.
/// 3: client writes carry their author's proof; API origins name a
/// principal; operators read tokens and the audit log.
/// 4: pre-votes.
/// 5: archive batches fetched from peers; storage format 6 in snapshots.
/// 6: move-up actions and effects; storage format 7 in snapshots.
/// 7: crowd counts and the hazard register; storage format 8.
/// 8: a pre-position measure says where its unit waits; storage format 9.
/// 9: notes and acknowledgements of unresourced waits; storage format 10.
/// 10: unit timers, alarms, check-ins and field notes; storage format 11.
/// 11: the reassignment of a busy unit, a partner's incident imported;
/// storage format 12.
/// 12: asks of the district, mutual aid between districts, the round
/// timer, member and city-operations roles; storage format 13.
/// 13: a log entry carries a proposal of one or more commands; storage
/// format 14.
pub const WIRE_VERSION: u16 = 13;

/// A request frame.
#[derive(Debug, Serialize, Deserialize)]
pub struct RequestFrame {
    /// The sender's [`WIRE_VERSION`].
    pub version: u16,
    /// The sender's trace context (W3C `traceparent`), so the request's
    /// handling joins the sender's trace.
    pub traceparent: Option<String>,
    /// The request.
    pub request: Request,
}

/// Everything a peer can ask.
#[derive(Debug, Serialize, Deserialize)]
pub enum Request {
    /// Raft log replication and heartbeats (nodes only).
    AppendEntries(AppendEntriesRequest<TypeConfig>),
    /// Raft election (nodes only).
    Vote(VoteRequest<NodeId>),
    /// Raft snapshot chunk (nodes only).
    InstallSnapshot(InstallSnapshotRequest<TypeConfig>),
    /// A command for the leader to propose (a follower forwarding, or an
    /// operator), with the proof of its API client's credential: the leader
    /// checks it again before proposing.
    ClientWrite(Command, Option<Proof>),
    /// A read of the ledger's access records after a read barrier (operators only).
    Read(LedgerQuery),
    /// The leader's read index for a linearizable read on a follower.
    ReadIndex,
    /// This node's view of the cluster.
    Status,
    /// A membership change (operators only; sent to the leader).
    Membership(MembershipChange),
    /// An operation on the node it is sent to (operators only).
    Admin(AdminOp),
    /// Liveness probe.
    Ping,
    /// Would the receiver vote for the sender in the next term? (nodes only;
    /// see [`crate::election`])
    PreVote(PreVote),
    /// The incidents of an archived batch from the `skip`th on, as many as
    /// fit a snapshot chunk (nodes only; see the private `archive_fetch` module).
    ArchiveFetch {
        /// The batch's sequence number in the archive index.
        seq: u64,
        /// Incidents of the batch already fetched.
        skip: u64,
    },
}

/// The proof of an API client's credential, carried with its forwarded
/// write so that the leader can check it again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Proof {
    /// A bearer token (only over the members' mutual-TLS connections).
    Token(BearerToken),
    /// A client certificate's DER (the leader verifies it against the
    /// cluster CA; without its key it proves nothing by itself, but it
    /// travels only from the node whose TLS handshake verified the key).
    Certificate(Vec<u8>),
}

/// What an operator reads of the ledger's access records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LedgerQuery {
    /// Every token (never a secret).
    Tokens,
    /// The operator audit log.
    OperatorAudit,
}

/// The answer to a [`LedgerQuery`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum LedgerAnswer {
    /// Every token, in id order.
    Tokens(Vec<Token>),
    /// The operator audit log, oldest first.
    OperatorAudit(Vec<OperatorAuditEntry>),
}

/// Operations an operator asks of one node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AdminOp {
    /// Build a snapshot now.
    TriggerSnapshot,
    /// Start an election now: how leadership is moved to this node
    /// (openraft 0.9 has no transfer-leader; a caught-up node that campaigns wins).
    CampaignForLeader,
}

impl Request {
    /// A short name for logs and refusals.
    pub fn name(&self) -> &'static str {
        match self {
            Request::AppendEntries(_) => "append_entries",
            Request::Vote(_) => "vote",
            Request::InstallSnapshot(_) => "install_snapshot",
            Request::ClientWrite(..) => "client_write",
            Request::Read(_) => "read",
            Request::ReadIndex => "read_index",
            Request::Status => "status",
            Request::Membership(_) => "membership",
            Request::Admin(_) => "admin",
            Request::Ping => "ping",
            Request::PreVote(_) => "pre_vote",
            Request::ArchiveFetch { .. } => "archive_fetch",
        }
    }
}

/// A membership change requested by an operator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum MembershipChange {
    /// Add a node that replicates but does not vote.
    AddLearner {
        /// Its id (never one a removed node had).
        node_id: NodeId,
        /// How to reach it.
        addr: NodeAddr,
    },
    /// Make a learner a voter.
    Promote {
        /// The learner.
        node_id: NodeId,
    },
    /// Remove a node (voter or learner) from the cluster for good.
    Remove {
        /// The node.
        node_id: NodeId,
    },
}

impl MembershipChange {
    /// The change's name in the operator audit log.
    pub fn audit_name(&self) -> &'static str {
        match self {
            MembershipChange::AddLearner { .. } => "add_learner",
            MembershipChange::Promote { .. } => "promote_voter",
            MembershipChange::Remove { .. } => "remove_node",
        }
    }
}

/// Answers, one variant per request kind, plus refusals.
#[derive(Debug, Serialize, Deserialize)]
pub enum Response {
    /// Answer to [`Request::AppendEntries`].
    AppendEntries(Result<AppendEntriesResponse<NodeId>, RaftError<NodeId>>),
    /// Answer to [`Request::Vote`].
    Vote(Result<VoteResponse<NodeId>, RaftError<NodeId>>),
    /// Answer to [`Request::InstallSnapshot`].
    InstallSnapshot(
        Result<InstallSnapshotResponse<NodeId>, RaftError<NodeId, InstallSnapshotError>>,
    ),
    /// Answer to [`Request::ClientWrite`].
    ClientWrite(Result<Applied, WriteError>),
    /// Answer to [`Request::Read`].
    Read(Result<LedgerAnswer, WriteError>),
    /// Answer to [`Request::ReadIndex`]: the index to wait for.
    ReadIndex(Result<u64, WriteError>),
    /// Answer to [`Request::Status`].
    Status(Box<ClusterStatus>),
    /// Answer to [`Request::Membership`]: the log index of the change.
    Membership(Result<u64, AdminError>),
    /// Answer to [`Request::Admin`]: what was done.
    Admin(Result<String, AdminError>),
    /// Answer to [`Request::Ping`].
    Pong,
    /// Answer to [`Request::PreVote`]: granted or not.
    PreVote(bool),
    /// Answer to [`Request::ArchiveFetch`]: the part, or `None` if this
    /// node does not hold the whole batch.
    ArchiveFetch(Option<Vec<Incident>>),
    /// The request was not served.
    Refused(Refusal),
}

/// Why a request was not served.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum Refusal {
    /// The peer speaks another wire version.
    #[error("wire version {theirs} is not {ours}: run the same Cordon release on every node")]
    VersionMismatch {
        /// Our version.
        ours: u16,
        /// Theirs.
        theirs: u16,
    },
    /// The peer's certificate does not allow this request.
    #[error("{identity} may not send {request}: {why}")]
    NotAuthorized {
        /// Who the certificate says the peer is.
        identity: String,
        /// The request kind.
        request: String,
        /// Why not.
        why: String,
    },
    /// The node is still starting.
    #[error("node is starting; retry shortly")]
    NotReady,
}
