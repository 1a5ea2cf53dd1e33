//! The hazard loop through the API: a patrol reports a hazard at the Bund
//! riverside, the station pushes it to the zone's guardians, the guardians
//! confirm it, the station controls the flow, pre-positions a patrol at
//! the stairs and clears it (which sends the patrol home); the trail on
//! another node has every step with who; an illegal move is refused; the
//! day's tally counts the clearing; another station may not touch it.

use cordon_api::hazards::HazardList;
use cordon_api::incidents::Committed;
use cordon_api::units::UnitList;
use cordon_node::client::{ApiClient, ClientError};
use serde_json::json;

use crate::support::{start_cluster, Cluster};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hazard_goes_round_the_loop_through_the_api() {
    // Phase 1: a patrol reports packed stairs at the riverside; it is on
    // the Bund station's ground.
    let cluster = start_cluster().await;
    let station = cluster.client_as("bund-room", &["station:bund"]).await;
    let reported = station
        .post::<Committed>(
            "/v1/hazards",
            &json!({"area": "bund-riverside", "lat": 31.2420, "lon": 121.4868,
                    "source": "patrol", "summary": "the Chen Yi Square stairs are packed"}),
            0,
        )
        .await
        .unwrap();
    let id = reported.log_index;

    // Phase 2: an illegal move (clearing before verification) is refused
    // naming the stage; another station may not push it.
    wrong_moves_are_refused(&cluster, &station, id).await;

    // Phase 3: pushed to the zone's guardians, who confirm it; the station
    // controls the flow, pre-positions a free Bund patrol at the stairs and
    // clears it.
    let guardians = cluster
        .unit_ids(|unit| unit.ring == 1 && unit.id.starts_with("bund-"))
        .await;
    let verifier = guardians.first().expect("a Bund guardian group").clone();
    station
        .post::<Committed>(
            &format!("/v1/hazards/{id}/push"),
            &json!({"unit_id": verifier}),
            0,
        )
        .await
        .unwrap();
    let field = cluster
        .client_as("guardians", &[&format!("field:{verifier}")])
        .await;
    field
        .post::<Committed>(
            &format!("/v1/hazards/{id}/verify"),
            &json!({"confirmed": true, "seen": "people pressing on the stairs"}),
            0,
        )
        .await
        .unwrap();
    station
        .post::<Committed>(
            &format!("/v1/hazards/{id}/measures"),
            &json!({"kind": "flow_control", "note": "one-way up the stairs"}),
            0,
        )
        .await
        .unwrap();
    let patrol = pre_position_a_patrol(&cluster, &station, id).await;
    station
        .post::<Committed>(
            &format!("/v1/hazards/{id}/clear"),
            &json!({"note": "eased"}),
            0,
        )
        .await
        .unwrap();

    // Phase 4: another node shows the whole trail, who did each step, and
    // the day's tally; the patrol's post went with the hazard.
    the_trail_is_complete(&cluster, id, &verifier).await;
    assert_eq!(post_of(&cluster, &patrol).await, None);
}

/// Pre-positions a free Bund patrol group at the stairs against hazard
/// `id` and checks the unit has its post there, set by the hazard.
async fn pre_position_a_patrol(cluster: &Cluster, station: &ApiClient, id: u64) -> String {
    let patrols = cluster
        .unit_ids(|unit| {
            unit.ring == 3 && unit.id.starts_with("bund-") && unit.status == "available"
        })
        .await;
    let patrol = patrols.first().expect("a free Bund patrol").clone();
    station
        .post::<Committed>(
            &format!("/v1/hazards/{id}/measures"),
            &json!({"kind": "pre_position", "unit_id": patrol, "lat": 31.2421, "lon": 121.4869,
                    "note": "wait at the foot of the stairs"}),
            0,
        )
        .await
        .unwrap();
    let post = post_of(cluster, &patrol)
        .await
        .expect("a post at the stairs");
    assert_eq!(post.hazard_id, Some(id));
    assert!((post.lat - 31.2421).abs() < 1e-6 && (post.lon - 121.4869).abs() < 1e-6);
    patrol
}

/// Unit `id`'s post, as node 1 has it.
async fn post_of(cluster: &Cluster, id: &str) -> Option<cordon_api::units::UnitPost> {
    let units: UnitList = cluster.client.get_from(1, "/v1/units").await.unwrap();
    units.units.into_iter().find(|unit| unit.id == id)?.post
}

/// Clearing before verification is refused naming the stage; another
/// station may not push the Bund's hazard.
async fn wrong_moves_are_refused(cluster: &Cluster, station: &ApiClient, id: u64) {
    let early = station
        .post::<Committed>(&format!("/v1/hazards/{id}/clear"), &json!({}), 0)
        .await
        .unwrap_err();
    assert!(
        early
            .to_string()
            .contains("is detected and cannot become cleared"),
        "{early}"
    );
    let other = cluster.client_as("yuyuan-room", &["station:yuyuan"]).await;
    let refused = other
        .post::<Committed>(
            &format!("/v1/hazards/{id}/push"),
            &json!({"station": "yuyuan"}),
            0,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, ClientError::Refused { code, .. } if code == "forbidden"),
        "{refused}"
    );
}

/// Hazard `id` on node 1: cleared on the Bund's ground, every stage on its
/// trail with who moved it, and the riverside's tally of one.
async fn the_trail_is_complete(cluster: &Cluster, id: u64, verifier: &str) {
    let list: HazardList = cluster.client.get_from(1, "/v1/hazards").await.unwrap();
    let hazard = list.hazards.iter().find(|h| h.id == id).unwrap();
    assert_eq!(hazard.stage, "cleared");
    assert_eq!(hazard.station.as_deref(), Some("bund"));
    let stages: Vec<&str> = hazard.trail.iter().map(|s| s.stage.as_str()).collect();
    assert_eq!(
        stages,
        [
            "detected",
            "verifying",
            "confirmed",
            "in_hand",
            "in_hand",
            "cleared"
        ]
    );
    assert!(
        hazard.trail[2].by.contains(&format!("field:{verifier}")),
        "{:?}",
        hazard.trail[2]
    );
    assert!(
        hazard.trail[5].by.contains("station:bund"),
        "{:?}",
        hazard.trail[5]
    );
    let tally = list
        .cleared
        .iter()
        .find(|t| t.area == "bund-riverside")
        .unwrap();
    assert_eq!(tally.cleared, 1);
}
