//! L2 scenarios: real nodes in one process, real files, real QUIC with
//! mutual TLS, over a fault-injecting UDP socket. One binary, a module per
//! scenario. Each scenario prints a one-line report (run with
//! `-- --nocapture` to see them); `CORDON_CHAOS_SEED` replaces every
//! scenario's seed to replay or vary the fault decisions.

mod crash_restart;
mod lossy_links;
mod minority_leader;
mod one_way_cut;
mod returning_node;
mod socket;

use std::sync::Arc;
use std::time::Duration;

use cordon_chaos::judge::checkers::FinalReads;
use cordon_chaos::judge::history::{Completion, History, OpRecord};
use cordon_chaos::judge::verdict::RequestVerdict;
use cordon_chaos::l2::cluster::InProcessCluster;

/// Deadline for an election after a fault.
pub const LEADER_WITHIN: Duration = Duration::from_secs(10);

/// Deadline for every node to apply the whole log after healing.
pub const CONVERGE_WITHIN: Duration = Duration::from_secs(15);

/// The scenario's seed, or `CORDON_CHAOS_SEED` when set.
pub fn seed(default: u64) -> u64 {
    std::env::var("CORDON_CHAOS_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(default)
}

/// Three nodes on a fresh faulty network, and the leader they elect.
pub async fn three_nodes(seed: u64) -> (Arc<InProcessCluster>, u64) {
    let cluster = Arc::new(
        InProcessCluster::start(3, seed)
            .await
            .expect("cluster starts"),
    );
    let leader = cluster.leader(LEADER_WITHIN).await.expect("a leader");
    (cluster, leader)
}

/// After healing: each node's final reads, the clients' records and the
/// verdict of the request checkers over them.
pub async fn read_back(
    cluster: &InProcessCluster,
    history: &History,
) -> (FinalReads, Vec<OpRecord>, RequestVerdict) {
    let final_reads = cluster.final_reads().await.expect("final reads");
    let records = history.records().expect("well-formed history");
    let verdict = RequestVerdict::check(&records, &final_reads);
    (final_reads, records, verdict)
}

/// Waits until `history` holds at least `count` acknowledged operations.
pub async fn wait_for_acks(history: &History, count: usize, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let acked = history
            .records()
            .expect("clients record well-formed histories")
            .iter()
            .filter(|record| matches!(record.completion, Completion::Ok { .. }))
            .count();
        if acked >= count {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {acked} of {count} operations acknowledged within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Asserts that every node holds exactly `expected` distinct requests.
pub fn assert_every_node_holds(final_reads: &FinalReads, expected: usize) {
    for (node, reads) in final_reads {
        assert_eq!(
            reads.len(),
            expected,
            "{node} holds {} requests",
            reads.len()
        );
    }
}
