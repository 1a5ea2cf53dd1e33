//! Hospitals' patrol rounds on three real processes: with rounds due every
//! 2 s, the police post at Ruijin Hospital, waiting at its post, raises a
//! "round overdue" alert; its officer walks the round (a check-in from the
//! post's own field screen) and the alert ends; it comes back when the next
//! round is missed. Only hospitals' posts walk rounds: no other unit is
//! ever reminded.

use std::time::Duration;

use cordon_api::incidents::Committed;
use cordon_api::units::{Unit, UnitList};
use serde_json::json;

use crate::support::{start_cluster_with, Cluster};

/// The post under test.
const POST: &str = "ruijin-hospital-post";
/// How often this cluster's posts owe a round.
const ROUND_EVERY_MS: u64 = 2_000;

/// The post, once `holds` is true of it (within 20 s).
async fn post_when(cluster: &Cluster, what: &str, holds: impl Fn(&Unit) -> bool) -> Unit {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let units: UnitList = cluster.client.get("/v1/units", 0).await.unwrap();
        let post = units
            .units
            .into_iter()
            .find(|unit| unit.id == POST)
            .expect("the post");
        if holds(&post) {
            return post;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{POST}: {what} never came: {post:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn round_overdue(unit: &Unit) -> bool {
    unit.alert
        .as_ref()
        .is_some_and(|alert| alert.kind == "round_overdue")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hospital_post_that_misses_its_round_is_reminded_and_the_round_ends_it() {
    // Phase 1: the post, waiting at the hospital, misses its first round.
    let cluster =
        start_cluster_with(|file| file.actors.hospital_round_every_ms = ROUND_EVERY_MS).await;
    post_when(&cluster, "the round-overdue alert", round_overdue).await;

    // Phase 2: only hospitals' posts are reminded.
    let units: UnitList = cluster.client.get("/v1/units", 0).await.unwrap();
    let reminded: Vec<&str> = units
        .units
        .iter()
        .filter(|unit| round_overdue(unit))
        .map(|unit| unit.id.as_str())
        .collect();
    assert!(
        reminded.iter().all(|id| id.ends_with("-post")),
        "{reminded:?}"
    );

    // Phase 3: the officer walks the round from the post's field screen;
    // the alert ends and the round is the post's last check-in.
    let officer = cluster
        .client_as("officer-ruijin", &[&format!("field:{POST}")])
        .await;
    let _: Committed = officer
        .post(&format!("/v1/units/{POST}/check-in"), &json!({}), 0)
        .await
        .unwrap();
    let walked = post_when(&cluster, "the alert's end", |unit| unit.alert.is_none()).await;
    assert!(walked.checked_in_ms.is_some());

    // Phase 4: the next round missed, the reminder comes back.
    post_when(&cluster, "the next reminder", round_overdue).await;
}
