//! Two-level command on three real processes: the Bund station's command
//! room asks the district for two more special-police units for one of its
//! incidents; another station's room may not ask for it, and no station
//! room may answer; the district (a commander) grants it once; the ask and
//! the answer name their levels of command, and the trail has both.

use cordon_api::incidents::Committed;
use serde_json::json;

use crate::support::{refusal, report_of, start_cluster};

/// The Bund riverside, on the Bund station's ground.
const BUND: (f64, f64) = (31.2420, 121.4868);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_station_room_asks_the_district_for_more_and_the_district_answers() {
    // Phase 1: an incident on the Bund station's ground, triaged.
    let cluster = start_cluster().await;
    let reported = cluster
        .client
        .report(&report_of("ask-1", "disturbance", BUND, 2), 0)
        .await
        .unwrap();
    let id = reported.incident_id;
    let incident = cluster
        .wait_incident(&id, "triaged", |incident| incident.station.is_some())
        .await;
    assert_eq!(incident.station.as_deref(), Some("bund"));

    // Phase 2: Yuyuan's room may not ask for it; the Bund room asks, and
    // an ask for no units is refused naming the field.
    let bund = cluster.client_as("bund-room", &["station:bund"]).await;
    let yuyuan = cluster.client_as("yuyuan-room", &["station:yuyuan"]).await;
    let ask =
        json!({"ring": 4, "units": 2, "reason": "the crowd at the stairs is past our patrols"});
    let path = format!("/v1/incidents/{id}/ask-district");
    let (code, message) = refusal(yuyuan.post::<Committed>(&path, &ask, 0).await);
    assert_eq!(code, "forbidden", "{message}");
    assert!(message.contains("station:bund"), "{message}");
    let none = json!({"ring": 4, "units": 0, "reason": "more"});
    let (_, message) = refusal(bund.post::<Committed>(&path, &none, 0).await);
    assert!(message.contains("units"), "{message}");
    let _: Committed = bund.post(&path, &ask, 0).await.unwrap();

    // Phase 3: the room may not answer its own ask; the district grants it,
    // once.
    let answer = json!({"granted": true, "note": "two special-ops teams from the Bund points"});
    let answer_path = format!("/v1/incidents/{id}/asks/1/answer");
    let (code, message) = refusal(bund.post::<Committed>(&answer_path, &answer, 0).await);
    assert_eq!(code, "forbidden", "{message}");
    assert!(message.contains("commander"), "{message}");
    let commander = cluster.client_as("commander-qian", &["commander"]).await;
    let _: Committed = commander.post(&answer_path, &answer, 0).await.unwrap();
    let again = json!({"granted": false, "note": "changed our mind"});
    let (code, message) = refusal(commander.post::<Committed>(&answer_path, &again, 0).await);
    assert_eq!(code, "rejected", "{message}");
    assert!(message.contains("answered already"), "{message}");

    // Phase 4: the ask and its answer name their levels; the trail has both.
    let incident = cluster
        .wait_incident(&id, "the answer", |incident| {
            incident
                .asks
                .first()
                .is_some_and(|ask| ask.answer.is_some())
        })
        .await;
    let ask = &incident.asks[0];
    assert_eq!(
        (ask.number, ask.level.as_str(), ask.ring, ask.units),
        (1, "station:bund", 4, 2)
    );
    let answer = ask.answer.as_ref().unwrap();
    assert_eq!((answer.level.as_str(), answer.granted), ("district", true));
    let steps: Vec<&str> = incident
        .timeline
        .iter()
        .map(|entry| entry.step.as_str())
        .collect();
    assert!(
        steps.contains(&"asked_district") && steps.contains(&"district_answered"),
        "{steps:?}"
    );
    assert!(incident.timeline_verified);
}
