//! A safe house's alarm as an intake channel, on three real processes: the
//! alarm box's principal raises it at the safe house with the highest
//! priority, and in the same dispatch round (at triage, by the hub) the
//! nearest ring-2 and ring-3 units are sent; another channel's reporter
//! may not raise it, and an unknown safe house is named with the known ones.

use cordon_api::incidents::{Reported, SafeHouseAlarm};
use cordon_api::units::UnitList;
use cordon_node::client::ClientError;

use crate::support::start_cluster;

const HOUSE: &str = "safe-house-nanjing-road-zhejiang-road";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_safe_house_alarm_sends_the_nearest_ring_two_and_ring_three_units_at_once() {
    // Phase 1: the alarm box of the Zhejiang Road safe house presses.
    let cluster = start_cluster().await;
    let alarm_box = cluster
        .client_as("safe-house-box-7", &["reporter:safe_house_alarm"])
        .await;
    let path = format!("/v1/safe-houses/{HOUSE}/alarm");
    let press = SafeHouseAlarm {
        request_id: Some("box-7-press-1".into()),
        kind: Some("assault".into()),
        description: Some("a man with a knife came in".into()),
    };
    let raised: Reported = alarm_box.post(&path, &press, 0).await.unwrap();
    let id = raised.incident_id;

    // Phase 2: one ring-2 and one ring-3 unit are on it, sent by the hub
    // right after its triage (before any responder's round).
    let incident = cluster
        .wait_incident(&id, "a ring-2 and a ring-3 unit", |incident| {
            incident.units.len() >= 2
        })
        .await;
    assert_eq!(
        (incident.priority, incident.channel.as_str()),
        (10, "safe_house_alarm")
    );
    assert!(
        incident.description.contains("Zhejiang Middle Road"),
        "{}",
        incident.description
    );
    let units: UnitList = cluster.client.get("/v1/units", 0).await.unwrap();
    let ring = |id: &String| units.units.iter().find(|unit| &unit.id == id).unwrap().ring;
    let mut rings: Vec<u8> = incident.units.iter().map(ring).collect();
    rings.sort_unstable();
    assert_eq!(rings[..2], [2, 3], "{:?}", incident.units);
    let triaged = incident
        .timeline
        .iter()
        .position(|e| e.step == "triaged")
        .unwrap();
    let sent: Vec<&str> = incident.timeline[triaged + 1..triaged + 3]
        .iter()
        .map(|e| e.step.as_str())
        .collect();
    assert_eq!(sent, ["assigned", "assigned"], "{:#?}", incident.timeline);

    // Phase 3: the same press again is the same incident; a 110 gateway may
    // not raise a safe house's alarm; an unknown house is named with the
    // known ones.
    let again: Reported = alarm_box.post(&path, &press, 0).await.unwrap();
    assert!(again.deduplicated && again.incident_id == id, "{again:?}");
    let gateway = cluster
        .client_as("gateway-110", &["reporter:emergency_call"])
        .await;
    let refused = gateway
        .post::<Reported>(&path, &SafeHouseAlarm::default(), 0)
        .await;
    assert!(
        matches!(&refused, Err(ClientError::Refused { code, .. }) if code == "forbidden"),
        "{refused:?}"
    );
    let unknown = alarm_box
        .post::<Reported>(
            "/v1/safe-houses/nowhere/alarm",
            &SafeHouseAlarm::default(),
            0,
        )
        .await;
    let Err(ClientError::Refused { code, message }) = unknown else {
        panic!("{unknown:?}")
    };
    assert_eq!(code, "not_found");
    assert!(message.contains(HOUSE), "{message}");
}
