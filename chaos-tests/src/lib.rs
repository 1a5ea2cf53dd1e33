//! Cordon's chaos testing: the client history model and the checkers that
//! judge a run after the faults heal, in the manner of Jepsen, and the
//! machinery of the in-process scenarios (L2): a fault-injecting network
//! under real quinn and a cluster of real nodes in one process.
//!
//! Clients record every operation as invoke / ok / fail / info; after a quiet
//! period the drill reads back from every node and hands what it saw to the
//! checkers, which name each broken invariant and exactly what broke it.
//! The history, the checkers and the models are pure code over plain data
//! (no IO, no async runtime); [`net`], [`cluster`] and [`workload`] are the
//! IO side that produces what they judge.
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
//!   request id) and adapters from a history to their operations;
//! - [`net`]: [`FaultyNetwork`] and [`FaultySocket`], per-link loss, delay,
//!   jitter, duplication, reordering, partitions and one-way cuts under
//!   quinn, seeded;
//! - [`disk`]: [`CrashDisk`], a redb backend (over a file or memory) that
//!   forgets every write since its last sync when its node crashes;
//! - [`cluster`]: [`InProcessCluster`], N consensus nodes in one process on
//!   real files and real QUIC over the faulty network; crash and restart;
//! - [`load`]: a seeded incident schedule weighted by the district's hot
//!   spots and the time of day, with the New Year surge at the Bund; pure,
//!   for drills and `cordon-chaos load`;
//! - [`workload`]: concurrent clients reporting incidents with retries under
//!   the same request id, recording a history;
//! - [`report`]: the request checkers' verdict and a scenario's one-line
//!   report;
//! - [`drill`]: the L3 drills: real `cordon` processes in network
//!   namespaces ([`drill::Lab`]), SIGKILL, SIGSTOP, partitions of every
//!   shape, one-way cuts and loss at a bridge, disk loss, clock skew,
//!   certificate expiry and membership churn, judged by every checker and
//!   reported with recovery times; repeated runs tabulated; an operator's
//!   own cluster drilled through their commands (binary `cordon-chaos`).
//!
//! - [`sim`]: the deterministic simulation (L1): whole clusters on
//!   turmoil's simulated network and clock, one seed per run, a fault
//!   schedule drawn from the seed, replayable (`cordon-chaos sim`).
//!
//! [`History`]: history::History
//! [`Invariant`]: invariants::Invariant
//! [`Model`]: linearizability::Model
//! [`FaultyNetwork`]: net::FaultyNetwork
//! [`FaultySocket`]: net::FaultySocket
//! [`InProcessCluster`]: cluster::InProcessCluster
//! [`CrashDisk`]: disk::CrashDisk

pub mod checkers;
pub mod cluster;
pub mod disk;
pub mod drill;
pub mod history;
pub use cordon_consensus::invariants;
pub mod linearizability;
pub mod load;
pub mod models;
pub mod net;
pub mod report;
pub mod sim;
pub mod workload;
