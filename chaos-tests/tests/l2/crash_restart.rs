//! A follower crashes under load (losing the unsynced tail of its file)
//! and restarts from its files.

use std::sync::Arc;
use std::time::{Duration, Instant};

use cordon_chaos::judge::history::History;
use cordon_chaos::judge::verdict::OpTally;
use cordon_chaos::l2::report::ScenarioReport;
use cordon_chaos::l2::workload::ReportLoad;

use crate::{
    assert_every_node_holds, read_back, seed, three_nodes, wait_for_acks, CONVERGE_WITHIN,
    LEADER_WITHIN,
};

// A follower crashed in the middle of a steady load misses part of it,
// restarts from its own files, catches up with the log, and no
// acknowledged report is lost or applied twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_follower_restarts_and_catches_up_under_load() {
    let started = Instant::now();
    let seed = seed(44);

    // Phase 1: three nodes elect a leader; a steady load starts.
    let (cluster, leader) = three_nodes(seed).await;
    let follower = cluster
        .ids()
        .into_iter()
        .find(|id| *id != leader)
        .expect("a follower");
    let history = Arc::new(History::new());
    let load = ReportLoad {
        pause_ms: 10,
        attempts_max: 8,
        ..ReportLoad::new("crash", 4, 50)
    };
    let running = load.spawn(cluster.clone(), history.clone());

    // Phase 2: after 40 acknowledgements the follower crashes; 60 more
    // commit without it.
    wait_for_acks(&history, 40, Duration::from_secs(20)).await;
    cluster.crash(follower).await.expect("follower stops");
    wait_for_acks(&history, 100, Duration::from_secs(20)).await;

    // Phase 3: it restarts from its files and catches up with the leader's
    // log while the load goes on.
    let restarted_at = Instant::now();
    cluster.restart(follower).await.expect("follower restarts");
    let leader_now = cluster.leader(LEADER_WITHIN).await.expect("a leader");
    let leader_index = cluster
        .running(leader_now)
        .expect("the leader runs")
        .raft()
        .metrics()
        .borrow()
        .last_log_index;
    cluster
        .running(follower)
        .expect("the follower runs")
        .raft()
        .wait(Some(CONVERGE_WITHIN))
        .applied_index_at_least(leader_index, "restarted follower caught up")
        .await
        .expect("the restarted follower catches up");
    let catch_up = restarted_at.elapsed();
    running.await.expect("clients finish");
    cluster
        .wait_converged(CONVERGE_WITHIN)
        .await
        .expect("nodes converge");

    // Phase 4: every report on every node, each once.
    let (final_reads, records, verdict) = read_back(&cluster, &history).await;
    let report = ScenarioReport {
        scenario: "crash-restart-follower",
        seed,
        faults: format!(
            "crash node {follower} (follower of node {leader}) after 40 acks, losing {} unsynced bytes; restart after 100",
            cluster.lost_unsynced_bytes(follower)
        ),
        counters: cluster.network().counters(),
        leader_recovery: None,
        catch_up: Some(catch_up),
        ops: OpTally::of(&records),
        verdict: verdict.clone(),
        elapsed: started.elapsed(),
    };
    println!("{report}");
    assert!(verdict.is_clean(), "{report}\n{:#?}", verdict.violations);
    assert_eq!(verdict.acknowledged, 200, "{report}");
    assert_every_node_holds(&final_reads, 200);
    cluster.shutdown().await;
}
