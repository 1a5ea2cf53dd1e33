//! Closed incidents leave the hot state for each node's archive and still
//! read back by id on every node (issue #12): also on a node that was down
//! while they were archived, caught up by a snapshot that holds only the
//! archive's index, and fetched the batches from its peers.

use cordon_api::incidents::{Committed, Incident, IncidentList};
use serde_json::json;

use crate::support::{start_cluster_with, Cluster};

/// Incidents reported and cancelled: about 2.5 log entries each (report,
/// triage, cancel), past the 256 entries between two looks of the archive.
const CLOSED_INCIDENTS: usize = 120;

/// Node 3's index among the client's URLs.
const NODE_3: usize = 2;

async fn report_and_cancel(cluster: &Cluster, n: usize) -> String {
    let id = cluster
        .report(&format!("archive-{n}"), "theft", 31.2422, 121.4858, 2)
        .await;
    let path = format!("/v1/incidents/{id}/cancel");
    let body = json!({ "request_id": format!("archive-cancel-{n}"), "reason": "caller hung up" });
    let _: Committed = cluster.client.post(&path, &body, n).await.unwrap();
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archived_incidents_read_back_on_every_node_including_one_rebuilt_by_snapshot() {
    // Phase 1: a cluster that archives every closed incident at the next
    // look and snapshots every 64 entries keeping no log behind; node 3 is
    // down from the start of the work.
    let mut cluster = start_cluster_with(|file| {
        file.limits.closed_incidents_kept_ms = 0;
        file.limits.closed_incidents_kept_max = 0;
        file.raft.snapshot_logs_since_last = 64;
        file.raft.logs_kept_after_snapshot_max = 0;
    })
    .await;
    cluster.processes.kill(3);

    // Phase 2: 120 incidents reported and cancelled; the list says some are
    // archived and counts them among the cancelled.
    let mut ids = Vec::new();
    for n in 0..CLOSED_INCIDENTS {
        ids.push(report_and_cancel(&cluster, n).await);
    }
    let list = cluster
        .wait("incidents archived", |client| async move {
            let list: IncidentList = client.get("/v1/incidents", 0).await.ok()?;
            (list.archived > 0).then_some(list)
        })
        .await;
    assert_eq!(list.total, CLOSED_INCIDENTS as u64);
    assert_eq!(
        list.by_status.get("cancelled"),
        Some(&(CLOSED_INCIDENTS as u64))
    );
    assert!(
        list.incidents.len() < CLOSED_INCIDENTS,
        "{}",
        list.incidents.len()
    );

    // Phase 3: the first incident is archived and reads back whole from
    // the two running nodes.
    let first = ids[0].clone();
    for node in 0..NODE_3 {
        let incident: Incident = cluster
            .client
            .get_from(node, &format!("/v1/incidents/{first}"))
            .await
            .unwrap();
        assert_eq!(incident.status, "cancelled");
        assert!(incident.timeline.len() >= 2, "{incident:?}");
    }

    // Phase 4: node 3 comes back, installs a snapshot (its log is gone
    // from the leader), fetches the archived batches from a peer and then
    // reads the same incident.
    cluster.processes.restart(3).unwrap();
    let path = format!("/v1/incidents/{first}");
    let on_node_3: Incident = cluster
        .wait("node 3 reads the archived incident", |client| {
            let path = path.clone();
            async move { client.get_from(NODE_3, &path).await.ok() }
        })
        .await;
    assert_eq!(on_node_3.status, "cancelled");
    let log = std::fs::read_to_string(cluster.processes.dir().join("node-3.log")).unwrap();
    assert!(
        log.contains("installed snapshot"),
        "node 3 did not install a snapshot"
    );
    assert!(
        log.contains("fetched archived batch"),
        "node 3 fetched no batch"
    );
}
