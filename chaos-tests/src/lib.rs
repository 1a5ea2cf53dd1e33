//! Cordon's chaos testing: the client history model and the checkers that
//! judge a run after the faults heal, in the manner of Jepsen.
//!
//! Clients record every operation as invoke / ok / fail / info; after a quiet
//! period the drill reads back from every node and hands what it saw to the
//! checkers, which name each broken invariant and exactly what broke it.
//! Everything here is pure code over plain data: no IO, no async runtime.
//!
//! Modules:
//! - [`history`]: operations, events and the thread-safe [`History`]
//!   recorder; pairing and JSON lines;
//! - [`invariants`]: the one catalogue of invariant ids ([`Invariant`]);
//! - [`checkers`]: lost acknowledgements, requests applied once, units
//!   assigned once, actor epochs, panics in logs, liveness after heal;
//! - [`linearizability`]: a Wing-Gong checker with memoisation, per key,
//!   over any sequential [`Model`];
//! - [`models`]: Cordon's models (a unit's status register, an incident per
//!   request id) and adapters from a history to their operations.
//!
//! Fault injection, deterministic simulation and the drills are to come.
//!
//! [`History`]: history::History
//! [`Invariant`]: invariants::Invariant
//! [`Model`]: linearizability::Model

pub mod checkers;
pub mod history;
pub mod invariants;
pub mod linearizability;
pub mod models;
