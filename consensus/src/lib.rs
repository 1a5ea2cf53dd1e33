//! Cordon's consensus layer: the replicated dispatch ledger.
//!
//! One Raft group (openraft 0.9) per district. Its state machine is the
//! dispatch ledger; its log is a segmented write-ahead log with group
//! commit (an fsync before an append is acknowledged) and its snapshots
//! live in redb; nodes talk over QUIC (quinn) with mutual TLS, identities
//! taken from certificates.
//!
//! Modules:
//! - [`ledger`]: the deterministic, sans-IO state machine logic (commands, rules, effects).
//! - [`types`]: the openraft type configuration.
//! - [`codec`]: the one place that encodes bytes for the wire and the log (bincode).
//! - [`log_store`]: the durable Raft log: segments, group commit, replay.
//! - [`state_machine`]: applying entries to the ledger, snapshots.
//! - [`tls`]: cluster CA, certificates, rustls configurations, peer identities.
//! - [`wire`]: versioned request and response types of the transport.
//! - [`transport`]: the QUIC endpoint, connection cache and request serving.
//! - [`network`]: openraft's network over the transport.
//! - [`election`]: elections with a pre-vote, so a returning node cannot depose a healthy leader.
//! - [`proposer`]: the writes that arrive while entries are on their way share the next entry.
//! - [`node`]: a running node: write with leader forwarding, read barrier, status, membership.
//! - [`invariants`]: the one catalogue of invariant ids, shared with the chaos checkers.
//! - [`trace`]: W3C trace context carried in frames, commands and pending messages.
//! - [`status`], [`error`]: the cluster view and the typed errors callers branch on.
//!
//! Invariants: this crate knows nothing of actors or HTTP; `apply` reads no
//! clock and draws no random number; nothing is acknowledged before it is
//! committed on a majority of fsynced logs.

mod archive_fetch;
pub mod archive_store;
pub mod codec;
pub mod election;
pub mod error;
pub mod event_feed;
pub mod handshake;
pub mod invariants;
pub mod ledger;
pub mod log_store;
pub mod network;
pub mod node;
pub mod proposer;
pub mod snapshot_policy;
pub mod state_machine;
pub mod status;
pub mod tls;
pub mod trace;
pub mod transport;
pub mod types;
pub mod wire;

pub use error::{AdminError, WriteError};
pub use node::{ConsensusNode, NodeOptions, StartError};
pub use status::{ClusterStatus, MemberStatus};
pub use types::{NodeAddr, NodeId, TypeConfig};
