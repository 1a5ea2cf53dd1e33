//! Positions far outside the district are refused at the API, naming the
//! district's bounds, before they reach the ledger where planning cost
//! would grow with their distance; dispatch inside carries on.

use cordon_api::incidents::{Committed, ReportIncident};
use cordon_api::units::{UnitList, UnitStatusUpdate};
use cordon_node::client::ClientError;

use crate::support::start_cluster;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn positions_outside_the_district_are_refused_with_its_bounds() {
    // Phase 1: three nodes.
    let cluster = start_cluster().await;

    // Phase 2: a report at (0, 0), a GPS fix with no signal, is refused.
    let report = ReportIncident {
        request_id: Some("null-island".into()),
        kind: Some("theft".into()),
        priority: None,
        force_level: None,
        lat: 0.0,
        lon: 0.0,
        channel: None,
        description: None,
    };
    assert_refused_with_bounds(cluster.client.report(&report, 0).await.map(|_| ()));

    // Phase 3: a unit reported 400 km north of the district is refused;
    // the unit keeps its position.
    let units = cluster
        .client
        .get::<UnitList>("/v1/units", 0)
        .await
        .unwrap();
    let unit = &units.units[0];
    let path = format!("/v1/units/{}/status", unit.id);
    let far = UnitStatusUpdate::new(&unit.status).at(unit.lat + 3.6, unit.lon);
    let moved = cluster.client.post::<Committed>(&path, &far, 0).await;
    assert_refused_with_bounds(moved.map(|_| ()));
    let after = cluster
        .client
        .get::<UnitList>("/v1/units", 0)
        .await
        .unwrap();
    let same = after.units.iter().find(|u| u.id == unit.id).unwrap();
    assert_eq!((same.lat, same.lon), (unit.lat, unit.lon));

    // Phase 4: a report inside is dispatched as ever.
    let id = cluster
        .report("inside", "theft", 31.2394, 121.4760, 1)
        .await;
    cluster.wait_assigned(&id).await;
}

fn assert_refused_with_bounds(answer: Result<(), ClientError>) {
    match answer {
        Err(ClientError::Refused { code, message }) => {
            assert_eq!(code, "invalid_input", "{message}");
            assert!(
                message.contains("is outside") && message.contains("latitude 31."),
                "{message}"
            );
        }
        other => panic!("a position far outside the district was taken: {other:?}"),
    }
}
