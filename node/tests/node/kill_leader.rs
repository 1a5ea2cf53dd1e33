//! Promise 1 under fire: SIGKILL the leader in the middle of 1,000 reports;
//! no acknowledged incident is lost or doubled on any node, and the killed
//! node catches up after a restart.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use cordon_api::cluster::{ClusterStatus, Ready};
use cordon_api::incidents::IncidentList;
use cordon_config::district::District;
use cordon_load::SteadyReports;
use cordon_node::client::ApiClient;
use cordon_node::local_cluster::{wait_ready, LocalClusterOptions, LocalProcesses};
use tokio::sync::Mutex;

const INCIDENTS: usize = 1_000;
const CLIENTS: usize = 8;

/// Reads every incident a node holds (after its read barrier): request id -> incident ids.
async fn incidents_on(client: &ApiClient, index: usize) -> BTreeMap<String, Vec<String>> {
    let answer = client
        .get_from::<IncidentList>(index, "/v1/incidents?limit=10000")
        .await
        .unwrap_or_else(|e| panic!("list incidents on node {}: {e}", index + 1));
    by_request(answer)
}

/// The incident ids of a list by the request id that reported them.
fn by_request(answer: IncidentList) -> BTreeMap<String, Vec<String>> {
    let mut by_request: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for incident in answer.incidents {
        by_request
            .entry(incident.request_id)
            .or_default()
            .push(incident.id);
    }
    by_request
}

fn assert_all_present_once(
    node: usize,
    held: &BTreeMap<String, Vec<String>>,
    acked: &BTreeMap<String, String>,
) {
    for (request_id, incident_id) in acked {
        let ids = held.get(request_id).unwrap_or_else(|| {
            panic!("node {node} lost acknowledged {request_id} ({incident_id})")
        });
        assert_eq!(
            ids,
            &vec![incident_id.clone()],
            "node {node}: {request_id} held as {ids:?}"
        );
    }
    let distinct: BTreeSet<&String> = held.values().flatten().collect();
    assert_eq!(
        distinct.len(),
        held.values().map(Vec::len).sum::<usize>(),
        "node {node} repeats an incident id"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(clippy::too_many_lines, reason = "a test read as phases")]
async fn no_acknowledged_incident_is_lost_when_the_leader_is_killed() {
    // Phase 1: three real `cordon run` processes; snapshots every 300 entries so
    // a restarted node may catch up from a snapshot.
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = LocalProcesses::start(
        LocalClusterOptions::new(env!("CARGO_BIN_EXE_cordon").as_ref(), dir.path(), 3),
        |file| {
            file.raft.snapshot_logs_since_last = 300;
            file.raft.logs_kept_after_snapshot_max = 50;
        },
    )
    .unwrap();
    let client = ApiClient::new(cluster.api_urls(), Duration::from_secs(30)).unwrap();
    let leader = wait_ready(&client, Duration::from_secs(30)).await.unwrap();
    let token = cluster
        .issue_token(crate::support::TEST_PRINCIPAL, crate::support::TEST_ROLES)
        .await
        .unwrap();
    let client = client.with_token(&token);

    // Phase 2: 8 clients report 1,000 incidents, retrying with the same request id
    // on any failure; the leader is SIGKILLed after the 500th acknowledgement.
    let reports = SteadyReports::new(&District::embedded(), 42, "kill-leader")
        .expect("the embedded district plans the ordinary profile");
    let reports: Arc<Mutex<Vec<_>>> = Arc::new(Mutex::new(reports.take(INCIDENTS).collect()));
    let acked: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();
    let (killed_tx, killed_rx) = tokio::sync::watch::channel(false);
    let mut workers = Vec::new();
    for worker in 0..CLIENTS {
        let (client, reports, acked) = (client.clone(), reports.clone(), acked.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let Some(report) = reports.lock().await.pop() else {
                    break;
                };
                let reported = loop {
                    match client.report(&report, worker).await {
                        Ok(reported) => break reported,
                        Err(error) => eprintln!("retrying {:?}: {error}", report.request_id),
                    }
                };
                assert_eq!(reported.request_id, report.request_id.clone().unwrap());
                acked
                    .lock()
                    .await
                    .insert(reported.request_id, reported.incident_id);
            }
        }));
    }
    loop {
        if acked.lock().await.len() >= INCIDENTS / 2 {
            cluster.kill(leader);
            killed_tx.send(true).unwrap();
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for worker in workers {
        worker.await.expect("a client task panicked");
    }
    assert!(*killed_rx.borrow());
    let acked = acked.lock().await.clone();
    assert_eq!(
        acked.len(),
        INCIDENTS,
        "every report is eventually acknowledged"
    );

    // Phase 3: every survivor holds every acknowledged incident exactly once.
    let survivors: Vec<usize> = (0..3).filter(|i| *i as u64 + 1 != leader).collect();
    for &index in &survivors {
        let held = incidents_on(&client, index).await;
        assert_all_present_once(index + 1, &held, &acked);
    }
    let new_leader = wait_ready(&client, Duration::from_secs(10)).await.unwrap();
    assert_ne!(new_leader, leader, "a new leader was elected");

    // Phase 4: the killed node restarts from its files and catches up.
    let restarted = cluster.spawn(leader).unwrap();
    cluster.children[(leader - 1) as usize] = Some(restarted);
    let index = (leader - 1) as usize;
    loop {
        match client.get_from::<Ready>(index, "/readyz").await {
            Ok(_) => break,
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let held = match client
        .get_from::<IncidentList>(index, "/v1/incidents?limit=10000")
        .await
    {
        Ok(answer) => by_request(answer),
        // Once seen in CI and never here: say what the node knew then.
        Err(error) => {
            let status = client.get_from::<ClusterStatus>(index, "/v1/cluster").await;
            let log = std::fs::read_to_string(cluster.dir().join(format!("node-{leader}.log")))
                .unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(80).collect();
            panic!(
                "the restarted node {leader} refused a read: {error}\nits status: {status:?}\n\
                 the end of its log, newest first:\n{}",
                tail.join("\n")
            );
        }
    };
    assert_all_present_once(leader as usize, &held, &acked);
    let status = client
        .get_from::<ClusterStatus>(index, "/v1/cluster")
        .await
        .unwrap();
    eprintln!(
        "restarted node {leader}: snapshot index {:?}, applied index {:?}",
        status.snapshot_index, status.applied_index
    );
    cluster.stop();
}
