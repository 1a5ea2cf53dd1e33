//! Cordon's chaos testing, shaped like its layers: a pure judge, one fault
//! vocabulary, and three layers that inject faults and record what the
//! clients saw, in the manner of Jepsen, FoundationDB and etcd's robustness
//! suite.
//!
//! Clients record every operation as invoke / ok / fail / info; after the
//! faults heal and a quiet period passes, each layer reads back from every
//! node and hands what it saw to the judge, which names each broken
//! invariant and exactly what broke it. The judge is pure code over plain
//! data; the layers are the IO side that produces what it judges.
//!
//! Modules:
//! - [`judge`]: the history model, the catalogue of invariant ids, the
//!   checkers, the linearizability checker and its models, the verdicts;
//! - [`l1`]: the deterministic simulation: whole clusters on turmoil's
//!   simulated network and clock, one seed per run, a fault schedule drawn
//!   from the seed, replayable (`cordon-chaos sim`);
//! - [`l2`]: in process, real time: N nodes in one process on real files
//!   and real QUIC over a fault-injecting socket; crash and restart;
//! - [`l3`]: the drills: real `cordon` processes in network namespaces,
//!   SIGKILL, SIGSTOP, partitions of every shape, one-way cuts and loss at a
//!   bridge, disk loss, clock skew, certificate expiry and membership churn,
//!   judged by every checker and reported with recovery times; repeated
//!   runs tabulated; an operator's own cluster drilled through their
//!   commands (`cordon-chaos drill`);
//! - [`shared`]: parts the layers build on: a disk that forgets unsynced
//!   writes at a crash, the certificates, the seeded incident load
//!   (`cordon-chaos load`).

pub mod faults;
pub mod judge;
pub mod l1;
pub mod l2;
pub mod l3;
pub mod shared;
