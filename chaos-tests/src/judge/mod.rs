//! The judge: pure code over plain data (no IO, no async runtime) that
//! every layer hands what it recorded and read back.
//!
//! Clients record every operation as invoke / ok / fail / info; after a
//! quiet period a run reads back from every node and hands what it saw to
//! the checkers, which name each broken invariant and exactly what broke
//! it, in the manner of Jepsen.
//!
//! Modules:
//! - [`history`]: operations, events and the thread-safe recorder; pairing
//!   and JSON lines;
//! - [`invariants`]: the one catalogue of invariant ids, shared with the
//!   ledger's own checks;
//! - [`checkers`]: lost acknowledgements, requests applied once, units
//!   assigned once, actor epochs, panics in logs, liveness after heal;
//! - [`linearizability`]: a Wing-Gong checker with memoisation, per key,
//!   over any sequential model;
//! - [`models`]: Cordon's models (a unit's status register, an incident per
//!   request id) and adapters from a history to their operations;
//! - [`verdict`]: the request checkers' verdict and the tally of outcomes;
//! - [`raft_views`]: a leader a majority follows and a converged log, read
//!   from Raft metrics (L1, L2).

pub mod checkers;
pub mod history;
pub use cordon_consensus::invariants;
pub mod linearizability;
pub mod models;
pub mod raft_views;
pub mod verdict;
