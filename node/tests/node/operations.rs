//! Cluster operations through `cordon ctl`: readiness, drain (every actor
//! leaves the node with nothing lost or assigned twice), snapshot, leadership
//! transfer.

use std::process::Command;

use cordon_api::actors::ActorList;
use cordon_api::cluster::ClusterStatus;
use cordon_chaos::judge::checkers::epochs;

use crate::support::{actor_executions, placement, start_cluster, steps, Cluster};

fn ctl(cluster: &Cluster, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_cordon"))
        .arg("ctl")
        .arg("--cluster")
        .arg(&cluster.processes.cluster_path)
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "ctl {args:?} failed: {}{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

async fn actors_on(cluster: &Cluster, node: u64) -> Option<usize> {
    let actors = cluster
        .client
        .get::<ActorList>("/v1/actors", 0)
        .await
        .ok()?;
    Some(actors.actors.iter().filter(|a| a.node == node).count())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(clippy::too_many_lines, reason = "a test read as phases")]
async fn drain_snapshot_and_transfer_leadership() {
    // Phase 1: the cluster reports ready.
    let cluster = start_cluster().await;
    assert!(ctl(&cluster, &["ready", "--timeout", "30"]).contains("ready"));

    // Phase 2: drain the node hosting station:bund while incidents keep coming.
    let (node, _) = cluster.placement("station:bund").await;
    let reports = {
        let client = cluster.client.clone();
        tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..12 {
                let report = cordon_api::incidents::ReportIncident {
                    request_id: Some(format!("drain-{i}")),
                    kind: Some("theft".into()),
                    priority: Some(5),
                    force_level: Some(1),
                    lat: 31.2422,
                    lon: 121.4858,
                    channel: None,
                    description: None,
                };
                ids.push(client.report(&report, i).await.unwrap().incident_id);
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            ids
        })
    };
    ctl(&cluster, &["drain", &node.to_string()]);
    cluster
        .wait("every actor off the drained node", |client| async move {
            let actors = client.get::<ActorList>("/v1/actors", 0).await.ok()?;
            let left = actors.actors.iter().filter(|a| a.node == node).count();
            (left == 0).then_some(())
        })
        .await;
    let ids = reports.await.unwrap();
    for id in &ids {
        let incident = cluster.wait_assigned(id).await;
        let assigned = steps(&incident).iter().filter(|s| *s == "assigned").count();
        // A unit freed by a drained actor's move could be assigned again only through a second "assigned" step.
        assert_eq!(assigned, 1, "{id}: {:?}", steps(&incident));
    }
    let executions = actor_executions(&cluster.client).await;
    epochs(&executions).unwrap_or_else(|v| panic!("{v:?}"));
    assert_eq!(actors_on(&cluster, node).await, Some(0));
    assert_ne!(
        placement(&cluster.client, "station:bund").await.unwrap().0,
        node
    );

    // Phase 3: a snapshot on demand.
    ctl(&cluster, &["snapshot", &node.to_string()]);
    let url = format!("{}/v1/cluster", cluster.client.urls()[(node - 1) as usize]);
    cluster
        .wait("a snapshot on the node", |_| {
            let url = url.clone();
            let token = cluster.token().to_string();
            async move {
                let text = crate::support::get_text(&token, &url).await?;
                let status: ClusterStatus = serde_json::from_str(&text).ok()?;
                (status.snapshot_index? > 0).then_some(())
            }
        })
        .await;

    // Phase 4: leadership moves to the drained node on request, then it is undrained.
    ctl(&cluster, &["transfer-leader", &node.to_string()]);
    assert_eq!(
        cordon_node::local_cluster::wait_ready(&cluster.client, crate::support::WAIT_MAX)
            .await
            .unwrap(),
        node
    );
    ctl(&cluster, &["undrain", &node.to_string()]);
    assert!(ctl(&cluster, &["status"]).contains("leader"));

    // Phase 5: `ctl status --json | head` closes the pipe early; the command
    // ends quietly, as Unix tools do, instead of panicking on the write.
    let mut piped = Command::new(env!("CARGO_BIN_EXE_cordon"))
        .arg("ctl")
        .arg("--cluster")
        .arg(&cluster.processes.cluster_path)
        .args(["status", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(piped.stdout.take());
    let output = piped.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("panicked") && output.status.code() != Some(101),
        "ctl status --json into a closed pipe: {}: {stderr}",
        output.status
    );
}
