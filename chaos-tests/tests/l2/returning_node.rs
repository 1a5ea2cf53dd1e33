//! A follower cut off from both peers for many election timeouts comes back
//! without deposing the leader: alone, it never wins a pre-vote, so it never
//! raises its term, and the leader and the term stay as they were.

use std::time::Duration;

use cordon_chaos::faults::NetworkFault;

use crate::{seed, three_nodes, LEADER_WITHIN};

/// How long the follower stays cut off: many election timeouts (150-300 ms).
const CUT_OFF_FOR: Duration = Duration::from_secs(2);

/// How long the healed cluster is watched for an election.
const WATCH_AFTER_HEAL: Duration = Duration::from_secs(2);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_back_from_a_partition_does_not_depose_the_leader() {
    // Phase 1: three nodes, their leader and its term.
    let (cluster, leader) = three_nodes(seed(31)).await;
    let follower = cluster
        .ids()
        .into_iter()
        .find(|id| *id != leader)
        .expect("a follower");
    let term = |id| {
        let node = cluster.running(id).expect("running");
        let current = node.raft().metrics().borrow().current_term;
        current
    };
    let term_before = term(leader);

    // Phase 2: the follower is cut off; its pre-votes fail, its term stays.
    NetworkFault::Isolate { node: follower }
        .inject(&cluster.ids(), &**cluster.network())
        .expect("named nodes");
    tokio::time::sleep(CUT_OFF_FOR).await;
    assert_eq!(
        term(follower),
        term_before,
        "the cut-off follower raised its term"
    );

    // Phase 3: healed, the cluster keeps its leader and its term.
    cluster.network().heal();
    tokio::time::sleep(WATCH_AFTER_HEAL).await;
    let leader_after = cluster.leader(LEADER_WITHIN).await.expect("a leader");
    assert_eq!(
        leader_after, leader,
        "the returning follower deposed the leader"
    );
    for id in cluster.ids() {
        assert_eq!(term(id), term_before, "node {id} moved to a new term");
    }
    cluster.shutdown().await;
}
