//! Parts every layer builds on: a disk that forgets unsynced writes at a
//! crash, the certificates of a chaos cluster, and the seeded incident load.
//!
//! Modules:
//! - [`disk`]: [`CrashDisk`](disk::CrashDisk), a redb backend (over a file
//!   or memory) that forgets every write since its last sync when its node
//!   crashes (L1, L2);
//! - [`node_disk`]: a node's whole disk of such files: the snapshot's redb
//!   file and the Raft log's segments (L1, L2);
//! - [`certs`]: one CA and certificates for every node and the operator;
//! - [`load`]: the workspace's one seeded incident generator (the
//!   `cordon-load` crate, re-exported here): a schedule weighted by the
//!   district's hot spots and the time of day, with the New Year surge at
//!   the Bund; pure, for the simulation, the drills and `cordon-chaos load`
//!   (and, outside chaos-tests, the demo and the benchmarks);
//! - [`signal`]: the one way the chaos layers signal a process.

pub mod certs;
pub mod disk;
pub mod node_disk;
pub use cordon_load as load;
pub mod signal;
