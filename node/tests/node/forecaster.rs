//! The forecaster in a running cluster: counts posted show the riverside
//! filling toward its high band within the hour; the forecaster warns once,
//! into the hazard register; its node is killed, it is placed elsewhere,
//! and the hazard is verified and cleared through the API with its trail.

use std::time::Duration;

use cordon_api::actors::ActorList;
use cordon_api::hazards::{Hazard, HazardList};
use cordon_api::incidents::Committed;
use cordon_node::client::ApiClient;
use serde_json::json;

use crate::support::{post_a_day_that_rose_now, start_cluster_with, Cluster};

/// The riverside's crowd warnings in the register.
async fn warnings(client: &ApiClient) -> Option<Vec<Hazard>> {
    let list = client.get::<HazardList>("/v1/hazards", 0).await.ok()?;
    let found: Vec<Hazard> = list
        .hazards
        .into_iter()
        .filter(|h| h.area == "bund-riverside" && h.source == "crowd_warning")
        .collect();
    (!found.is_empty()).then_some(found)
}

/// The node the forecaster is placed on.
async fn forecaster_node(client: &ApiClient) -> Option<u64> {
    let list = client
        .get::<ActorList>("/v1/actors?supervisors=false", 0)
        .await
        .ok()?;
    list.actors
        .into_iter()
        .find(|a| a.actor == "forecaster")
        .map(|a| a.node)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_forecaster_warns_once_and_the_loop_survives_its_node() {
    // Phase 1: the forecaster looks every half second; the feed posts a
    // day whose profile rises to the high band ten minutes from now.
    let mut cluster = start_cluster_with(|file| file.actors.forecast_interval_ms = 500).await;
    let token = cluster
        .processes
        .issue_token("risk-platform", &["reporter:risk_warning"])
        .await
        .unwrap();
    post_a_day_that_rose_now(&cluster.client.clone().with_token(&token)).await;

    // Phase 2: a warning of the high band reaches the register, once.
    let found = cluster
        .wait("the riverside's warning", |client| async move {
            warnings(&client).await
        })
        .await;
    let warning = found[0].warning.clone().unwrap();
    assert_eq!(warning.band, "high");
    assert!(warning.confidence >= 0.5, "{warning:?}");
    assert_eq!(found[0].station.as_deref(), Some("bund"), "{:?}", found[0]);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(
        warnings(&cluster.client).await.unwrap().len(),
        1,
        "warned more than once"
    );

    // Phase 3: the forecaster's node is killed; it is placed on another.
    let first = forecaster_node(&cluster.client).await.unwrap();
    cluster.processes.kill(first);
    let moved = cluster
        .wait("the forecaster placed elsewhere", |client| async move {
            forecaster_node(&client).await.filter(|node| *node != first)
        })
        .await;
    assert_ne!(moved, first);

    // Phase 4: the loop carries on through the surviving nodes.
    carry_on(&cluster, found[0].id).await;
}

/// Verifies, handles and clears hazard `id` (the forecaster pushed it to
/// the Bund station); its trail shows the warning and each step.
async fn carry_on(cluster: &Cluster, id: u64) {
    let client = &cluster.client;
    let post = |path: String, body: serde_json::Value| async move {
        client.post::<Committed>(&path, &body, 0).await.unwrap()
    };
    post(
        format!("/v1/hazards/{id}/verify"),
        json!({"confirmed": true, "seen": "the river wall is filling"}),
    )
    .await;
    post(
        format!("/v1/hazards/{id}/measures"),
        json!({"kind": "closure", "note": "Chen Yi Square entry closed"}),
    )
    .await;
    post(
        format!("/v1/hazards/{id}/clear"),
        json!({"note": "held below 85 %"}),
    )
    .await;
    let list: HazardList = client.get("/v1/hazards", 0).await.unwrap();
    let hazard = list.hazards.iter().find(|h| h.id == id).unwrap();
    let stages: Vec<&str> = hazard.trail.iter().map(|s| s.stage.as_str()).collect();
    assert_eq!(
        stages,
        ["detected", "verifying", "confirmed", "in_hand", "cleared"]
    );
    for step in &hazard.trail[..2] {
        assert!(step.by.starts_with("forecaster"), "{step:?}");
    }
    assert_eq!(hazard.verifier.as_deref(), Some("station:bund"));
}
