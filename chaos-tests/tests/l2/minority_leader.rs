//! A leader cut off from both followers: the majority elects a new leader
//! and goes on committing; the old leader commits nothing alone and catches
//! up after the partition heals.

use std::sync::Arc;
use std::time::Instant;

use cordon_chaos::faults::NetworkFault;
use cordon_chaos::judge::checkers::RequestOutcome;
use cordon_chaos::judge::history::History;
use cordon_chaos::judge::verdict::OpTally;
use cordon_chaos::l2::report::ScenarioReport;
use cordon_chaos::l2::workload::{outcomes_of, ReportLoad};

use crate::{read_back, seed, three_nodes, CONVERGE_WITHIN, LEADER_WITHIN};

// With the leader partitioned from both followers, writes through a
// follower still commit under a newly elected leader, writes through the
// old leader are never acknowledged, and after healing the old leader
// holds every acknowledged write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(clippy::too_many_lines, reason = "a test read as phases")]
async fn a_minority_leader_is_replaced_and_catches_up_after_healing() {
    let started = Instant::now();
    let seed = seed(22);

    // Phase 1: three nodes, a leader, 50 reports on a clean network.
    let (cluster, old_leader) = three_nodes(seed).await;
    let followers: Vec<u64> = cluster
        .ids()
        .into_iter()
        .filter(|id| *id != old_leader)
        .collect();
    let history = Arc::new(History::new());
    let before = ReportLoad::new("before", 5, 10);
    before.run(cluster.clone(), history.clone()).await;

    // Phase 2: the leader is cut off from both followers.
    NetworkFault::Isolate { node: old_leader }
        .inject(&cluster.ids(), &**cluster.network())
        .expect("named nodes");
    let partitioned_at = Instant::now();

    // Phase 3: clients write through the old leader (once each, short
    // deadline) and through the followers (with retries) while the
    // followers elect a new leader.
    let stranded = ReportLoad {
        targets: vec![old_leader],
        attempts_max: 1,
        attempt_timeout_ms: 1_500,
        first_process: 10,
        ..ReportLoad::new("stranded", 2, 2)
    };
    let majority = ReportLoad {
        targets: followers.clone(),
        attempts_max: 8,
        first_process: 20,
        ..ReportLoad::new("majority", 5, 20)
    };
    let stranded_run = stranded.spawn(cluster.clone(), history.clone());
    let majority_run = majority.spawn(cluster.clone(), history.clone());
    let new_leader = cluster
        .leader_excluding(&[old_leader], LEADER_WITHIN)
        .await
        .expect("the majority elects a new leader");
    let leader_recovery = partitioned_at.elapsed();
    assert!(followers.contains(&new_leader));
    stranded_run.await.expect("stranded clients finish");
    majority_run.await.expect("majority clients finish");

    // Phase 4: every write through the majority was acknowledged, none
    // through the old leader.
    let majority_outcomes = outcomes_of(&majority, &history).expect("well-formed history");
    let acknowledged = |outcomes: &std::collections::BTreeMap<String, RequestOutcome>| {
        outcomes
            .values()
            .filter(|outcome| matches!(outcome, RequestOutcome::Acknowledged { .. }))
            .count()
    };
    assert_eq!(acknowledged(&majority_outcomes), 100);
    let stranded_outcomes = outcomes_of(&stranded, &history).expect("well-formed history");
    assert_eq!(acknowledged(&stranded_outcomes), 0, "{stranded_outcomes:?}");

    // Phase 5: healed, the old leader follows the new one and applies the
    // whole log.
    cluster.network().heal();
    let healed_at = Instant::now();
    cluster
        .wait_converged(CONVERGE_WITHIN)
        .await
        .expect("nodes converge");
    let catch_up = healed_at.elapsed();

    // Phase 6: nothing acknowledged is missing anywhere; nothing applied twice.
    let (_, records, verdict) = read_back(&cluster, &history).await;
    let report = ScenarioReport {
        scenario: "minority-leader",
        seed,
        faults: format!("partition node {old_leader} | nodes {followers:?}"),
        counters: cluster.network().counters(),
        leader_recovery: Some(leader_recovery),
        catch_up: Some(catch_up),
        ops: OpTally::of(&records),
        verdict: verdict.clone(),
        elapsed: started.elapsed(),
    };
    println!("{report}");
    assert!(verdict.is_clean(), "{report}\n{:#?}", verdict.violations);
    assert_eq!(verdict.acknowledged, 150, "{report}");
    cluster.shutdown().await;
}
