//! A one-way cut: the leader cannot reach one follower, which still reaches
//! the leader. QUIC needs both directions, so the follower is as good as
//! cut off, yet it keeps sending (election requests among them).

use std::sync::Arc;
use std::time::Instant;

use cordon_chaos::faults::NetworkFault;
use cordon_chaos::judge::history::History;
use cordon_chaos::judge::verdict::{OpTally, RequestVerdict};
use cordon_chaos::l2::report::ScenarioReport;
use cordon_chaos::l2::workload::ReportLoad;

use crate::{
    assert_every_node_holds, read_back, seed, three_nodes, CONVERGE_WITHIN, LEADER_WITHIN,
};

// With the link from the leader to one follower cut (the other way open),
// the cluster keeps committing every report, and after healing all three
// nodes hold the same reports, each once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_way_cut_from_the_leader_does_not_stop_commits() {
    let started = Instant::now();
    let seed = seed(33);

    // Phase 1: three nodes elect a leader.
    let (cluster, leader) = three_nodes(seed).await;
    let cut_follower = cluster
        .ids()
        .into_iter()
        .find(|id| *id != leader)
        .expect("a follower");

    // Phase 2: the leader can no longer send to one follower.
    NetworkFault::OneWay {
        from: leader,
        to: cut_follower,
    }
    .inject(&cluster.ids(), &**cluster.network())
    .expect("named nodes");
    let cut_at = Instant::now();

    // Phase 3: clients report through every node, retrying elsewhere after
    // a timeout; every report is acknowledged during the cut.
    let history = Arc::new(History::new());
    let load = ReportLoad {
        attempts_max: 8,
        attempt_timeout_ms: 1_000,
        ..ReportLoad::new("one-way", 5, 20)
    };
    load.run(cluster.clone(), history.clone()).await;
    let leader_during_cut = cluster.leader(LEADER_WITHIN).await.expect("a leader");
    let committing_for = cut_at.elapsed();
    let records = history.records().expect("well-formed history");
    let acknowledged_during_cut = RequestVerdict::check(&records, &Default::default()).acknowledged;
    assert_eq!(
        acknowledged_during_cut, 100,
        "commits stalled under the cut"
    );

    // Phase 4: healed, all three nodes apply the whole log.
    cluster.network().heal();
    let healed_at = Instant::now();
    cluster
        .wait_converged(CONVERGE_WITHIN)
        .await
        .expect("nodes converge");
    let catch_up = healed_at.elapsed();
    let leader_after_heal = cluster.leader(LEADER_WITHIN).await.expect("a leader");

    // Phase 5: the same reports everywhere, each once.
    let (final_reads, records, verdict) = read_back(&cluster, &history).await;
    let report = ScenarioReport {
        scenario: "one-way-cut",
        seed,
        faults: format!(
            "cut node {leader} -> node {cut_follower} for {} ms; leader during the cut: node {leader_during_cut}, after healing: node {leader_after_heal}",
            committing_for.as_millis()
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
    assert_every_node_holds(&final_reads, 100);
    cluster.shutdown().await;
}
