//! L2, in process and in real time: N consensus nodes in one process on
//! 127.0.0.1 with real redb files and real QUIC, every node's UDP socket a
//! fault-injecting socket under quinn.
//!
//! Modules:
//! - [`net`]: [`FaultyNetwork`](net::FaultyNetwork) and
//!   [`FaultySocket`](net::FaultySocket), per-link loss, delay, jitter,
//!   duplication, reordering and cuts under quinn, seeded;
//! - [`cluster`]: [`InProcessCluster`](cluster::InProcessCluster), the
//!   nodes on real files and real QUIC over the faulty network; crash and
//!   restart;
//! - [`workload`]: concurrent clients reporting incidents with retries
//!   under the same request id, recording a history;
//! - [`report`]: a scenario's one-line report.

pub mod cluster;
pub mod net;
pub mod report;
pub mod workload;
