//! Move-up in a running cluster: ring 4's southern units go off duty, its
//! coverage drops below its trigger, ring 4 proposes a move-up that is
//! approved automatically (the cluster's `actors.move_up`), the units get
//! their posts, and coverage rises once they report from there. A
//! dispatcher may not decide a move-up; a decided one cannot be decided again.

use cordon_api::coverage::Coverage;
use cordon_api::incidents::Committed;
use cordon_api::move_ups::MoveUpList;
use cordon_api::units::{Unit, UnitList, UnitStatusUpdate};
use cordon_config::MoveUpApproval;
use cordon_node::client::{ApiClient, ClientError};

use crate::support::{set_status, start_cluster_with, Cluster, TEST_PRINCIPAL};

/// Ring 4's share of demand covered in time, now.
async fn ring_four_share(client: &ApiClient) -> f64 {
    let coverage = client.get::<Coverage>("/v1/coverage", 0).await.unwrap();
    let ring = coverage.rings.iter().find(|ring| ring.ring == 4).unwrap();
    ring.demand_covered_share
}

/// The units with a post, as the API lists them now.
async fn posted(client: &ApiClient) -> Vec<Unit> {
    let units = client.get::<UnitList>("/v1/units", 0).await.unwrap();
    units
        .units
        .into_iter()
        .filter(|unit| unit.post.is_some())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coverage_drop_is_answered_by_a_move_up_committed_in_the_ledger() {
    // Phase 1: at home nobody moves up (coverage is at its home level).
    let cluster = start_cluster_with(|file| {
        file.actors.move_up = MoveUpApproval::Automatic;
        file.actors.move_up_interval_ms = 1_000;
    })
    .await;
    let home = ring_four_share(&cluster.client).await;
    let listed = cluster
        .client
        .get::<MoveUpList>("/v1/move-ups", 0)
        .await
        .unwrap();
    assert_eq!(listed.approval, "automatic");
    assert!(posted(&cluster.client).await.is_empty());

    // Phase 2: ring 4's units south of Fuxing Road go off duty (as a shift
    // change would); ring 4's coverage drops.
    let south = cluster
        .unit_ids(|unit| unit.ring == 4 && unit.lat < 31.215)
        .await;
    assert!(south.len() >= 2, "{south:?}");
    set_status(&cluster.client, &south, "out_of_service").await;
    let dropped = ring_four_share(&cluster.client).await;
    assert!(dropped < home - 0.03, "home {home}, after {dropped}");

    // Phase 3: ring 4 proposes a move-up within a round, approved in the
    // same entry; its units have their posts, with the move-up's id.
    let move_up = cluster
        .wait("ring 4's approved move-up", |client| async move {
            let list = client.get::<MoveUpList>("/v1/move-ups", 0).await.ok()?;
            list.move_ups
                .into_iter()
                .find(|m| m.ring == 4 && m.status == "approved")
        })
        .await;
    assert!(move_up.proposed_by.starts_with("ring:4#"), "{move_up:?}");
    assert!(move_up
        .decided_by
        .as_deref()
        .unwrap()
        .starts_with("automatic"));
    assert!(
        move_up.coverage_after > move_up.coverage_before,
        "{move_up:?}"
    );
    assert!(
        move_up.reason.contains("below its move-up trigger"),
        "{move_up:?}"
    );
    let moved = posted(&cluster.client).await;
    let moved_ids: Vec<&str> = moved.iter().map(|unit| unit.id.as_str()).collect();
    for line in &move_up.lines {
        assert!(moved_ids.contains(&line.unit_id.as_str()), "{moved_ids:?}");
        assert!(!south.contains(&line.unit_id), "an off-duty unit was moved");
    }

    // Phase 4: the crews report from their posts (as the field would);
    // ring 4's coverage rises.
    for unit in &moved {
        let post = unit.post.as_ref().unwrap();
        let update = UnitStatusUpdate::new("available").at(post.lat, post.lon);
        let path = format!("/v1/units/{}/status", unit.id);
        cluster
            .client
            .post::<Committed>(&path, &update, 0)
            .await
            .unwrap();
    }
    let after = ring_four_share(&cluster.client).await;
    assert!(after > dropped, "before {dropped}, after {after}");

    // Phase 5: a dispatcher may not decide a move-up (403 naming the
    // role), and a decided move-up cannot be decided again (409).
    decisions_are_the_commanders_and_made_once(&cluster, move_up.id).await;
}

/// A dispatcher's decision on move-up `id` is refused naming the role that
/// may decide; a second approval is refused as already decided.
async fn decisions_are_the_commanders_and_made_once(cluster: &Cluster, id: u64) {
    let dispatcher = cluster
        .processes
        .issue_token("dispatcher-li", &["dispatcher"])
        .await
        .unwrap();
    let as_dispatcher = cluster.client.clone().with_token(&dispatcher);
    let refused = as_dispatcher
        .post::<Committed>(
            &format!("/v1/move-ups/{id}/decline"),
            &serde_json::json!({}),
            0,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, ClientError::Refused { code, message } if code == "forbidden" && message.contains("commander")),
        "{refused}"
    );
    let again = cluster
        .client
        .post::<Committed>(
            &format!("/v1/move-ups/{id}/approve"),
            &serde_json::json!({}),
            0,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&again, ClientError::Refused { message, .. } if message.contains("already approved")),
        "{again} ({TEST_PRINCIPAL})"
    );
}
