//! An actor past its restart budget is not left stopped (issue #10): its
//! supervisor records the failure in the ledger, the leader places it on
//! another node under a higher epoch, it dispatches again there, and the
//! failure shows in `/v1/actors`, the node's log and `/metrics`.

use cordon_api::actors::{Actor, ActorList};
use cordon_api::incidents::Origin;
use cordon_node::client::ApiClient;

use crate::support::start_cluster_with;

/// The station actor made to fail, and a landmark in its zone (WGS-84).
const STATION: (&str, f64, f64) = ("station:bund", 31.2422, 121.4858);

/// Actor `actor` as `/v1/actors` shows it now.
async fn actor_entry(client: &ApiClient, actor: &str) -> Option<Actor> {
    let actors = client.get::<ActorList>("/v1/actors", 0).await.ok()?;
    actors.actors.into_iter().find(|entry| entry.actor == actor)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_actor_past_its_restart_budget_is_placed_on_another_node() {
    // Phase 1: a cluster whose actors may restart once per minute, so a second panic is past the budget.
    let cluster = start_cluster_with(|file| {
        file.actors.restarts_per_window_max = 1;
        file.actors.restart_window_ms = 60_000;
    })
    .await;
    let (actor, lat, lon) = STATION;
    let (host, epoch) = cluster.placement(actor).await;

    // Phase 2: the first panic is restarted in place, the second exhausts the budget.
    cluster.fault_actor(actor, host).await;
    cluster
        .wait("a restart in place", |client| async move {
            let entry = actor_entry(&client, actor).await?;
            let in_place = (entry.node, entry.epoch) == (host, epoch);
            (in_place && entry.restarts == 1 && entry.status == "running").then_some(())
        })
        .await;
    cluster.fault_actor(actor, host).await;

    // Phase 3: the leader places it on another node under a higher epoch, where it runs.
    let moved = cluster
        .wait("the actor placed on another node", |client| async move {
            let entry = actor_entry(&client, actor).await?;
            let elsewhere = entry.node != host && entry.epoch > epoch;
            (elsewhere && entry.status == "running").then_some(entry)
        })
        .await;

    // Phase 4: the alert: the API shows the failure on the old node under the old epoch.
    let failure = moved.failed_past_budget.clone().expect("failure shown");
    assert_eq!(
        (failure.node, failure.epoch, failure.restarts),
        (host, epoch, 1)
    );
    assert!(failure.reason.contains("drill fault"), "{failure:?}");
    let log = std::fs::read_to_string(cluster.processes.dir().join(format!("node-{host}.log")))
        .unwrap_or_default();
    assert!(
        log.contains("actor failed past its restart budget"),
        "no error logged on node {host}"
    );

    // Phase 5: it dispatches again: an incident in its zone is assigned by the new incarnation.
    let id = cluster.report("replaced-1", "theft", lat, lon, 1).await;
    let incident = cluster.wait_assigned(&id).await;
    let assigned = incident
        .timeline
        .iter()
        .find(|entry| entry.step == "assigned")
        .unwrap();
    assert_eq!(
        assigned.origin,
        Origin::Actor {
            actor: actor.to_string(),
            epoch: moved.epoch,
            node: moved.node,
        },
        "{incident:?}"
    );
}
