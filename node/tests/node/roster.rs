//! The roster of people on three real processes: a ring-2 team whose
//! members are all off duty is never sent (neither by the hub's safe-house
//! response nor by a dispatcher's hand); once one of them is on duty it is
//! sent again; the roster file round-trips, and a bad file loads nothing,
//! each bad row named by its line with the fix.

use cordon_api::incidents::{AssignUnit, CloseIncident, Committed, Reported, SafeHouseAlarm};
use cordon_api::roster::{MemberAvailability, Roster, CSV_HEADER};
use cordon_api::units::UnitList;
use cordon_node::client::{ApiClient, ClientError};

use crate::support::{start_cluster, Cluster};

const HOUSE: &str = "safe-house-nanjing-road-zhejiang-road";

/// Presses the safe house's alarm (`press` names the request) and waits for
/// its ring-2 unit: the incident and that unit.
async fn alarm_ring_two(cluster: &Cluster, press: &str) -> (String, String) {
    let alarm = SafeHouseAlarm {
        request_id: Some(press.into()),
        ..SafeHouseAlarm::default()
    };
    let raised: Reported = cluster
        .client
        .post(&format!("/v1/safe-houses/{HOUSE}/alarm"), &alarm, 0)
        .await
        .unwrap();
    let incident = cluster
        .wait_incident(&raised.incident_id, "its first response", |incident| {
            incident.units.len() >= 2
        })
        .await;
    let units: UnitList = cluster.client.get("/v1/units", 0).await.unwrap();
    let ring_two = incident
        .units
        .iter()
        .find(|id| {
            units
                .units
                .iter()
                .any(|unit| &unit.id == *id && unit.ring == 2)
        })
        .expect("a ring-2 unit")
        .clone();
    (raised.incident_id, ring_two)
}

async fn cancel(client: &ApiClient, id: &str) {
    let close = CloseIncident {
        request_id: None,
        reason: Some("drill".into()),
    };
    let _: Committed = client
        .post(&format!("/v1/incidents/{id}/cancel"), &close, 0)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(clippy::too_many_lines, reason = "a test read as phases")]
async fn a_team_with_nobody_on_duty_is_never_sent_and_the_roster_round_trips() {
    // Phase 1: the safe house's alarm brings its nearest ring-2 team; the
    // drill is cancelled, freeing it.
    let cluster = start_cluster().await;
    let (first, team) = alarm_ring_two(&cluster, "press-1").await;
    cancel(&cluster.client, &first).await;

    // Phase 2: the team's two members are loaded, neither able to come.
    let file = format!(
        "{CSV_HEADER}\n{team}-wang,Wang Li,volunteer,{team},nanjing-road,app:wang.li,first_aid,daily 00:00-24:00,no\n\
         {team}-zhou,\"Zhou, Min\",merchant_security,{team},nanjing-road,tel:+86-21-0000,,mon-fri 08:00-16:00,no\n"
    );
    let _: Committed = cluster
        .client
        .post_csv("/v1/roster", &file, 0)
        .await
        .unwrap();
    let roster: Roster = cluster.client.get("/v1/roster", 0).await.unwrap();
    assert_eq!(roster.members.len(), 2);
    assert!(roster.members.iter().all(|member| !member.on_duty));

    // Phase 3: the alarm again sends another ring-2 team, and a dispatcher
    // may not send this one by hand either.
    let (second, other) = alarm_ring_two(&cluster, "press-2").await;
    assert_ne!(other, team);
    let send = AssignUnit {
        request_id: None,
        unit_id: team.clone(),
        reassign_reason: None,
    };
    let refused = cluster
        .client
        .post::<Committed>(&format!("/v1/incidents/{second}/assign"), &send, 0)
        .await;
    let Err(ClientError::Refused { code, message }) = refused else {
        panic!("{refused:?}")
    };
    assert_eq!(code, "not_staffed", "{message}");
    cancel(&cluster.client, &second).await;

    // Phase 4: Wang can come (on duty all day): the team is sent again.
    let can = MemberAvailability {
        request_id: None,
        available: true,
    };
    let _: Committed = cluster
        .client
        .post(&format!("/v1/roster/{team}-wang/availability"), &can, 0)
        .await
        .unwrap();
    let (_, again) = alarm_ring_two(&cluster, "press-3").await;
    assert_eq!(again, team);

    // Phase 5: the roster file reads back as loaded (Wang now able to come);
    // a file with bad rows loads nothing and names each row's line and fix.
    let exported: String = cluster.client.get("/v1/roster/csv", 0).await.unwrap();
    assert_eq!(
        exported,
        file.replace(",daily 00:00-24:00,no", ",daily 00:00-24:00,yes")
    );
    let bad = format!(
        "{CSV_HEADER}\nx-1,A,astronaut,,,app:a,,,yes\nx-2,B,volunteer,,,app:b,,mon 8-16,yes\n"
    );
    let refused = cluster
        .client
        .post_csv::<Committed>("/v1/roster", &bad, 0)
        .await;
    let Err(ClientError::Refused { code, message }) = refused else {
        panic!("{refused:?}")
    };
    assert_eq!(code, "invalid_input");
    assert!(
        message.contains("line 3, shifts") && message.contains("mon-fri 08:00-16:00"),
        "{message}"
    );
    let bad_role = format!("{CSV_HEADER}\nx-1,A,astronaut,,,app:a,,,yes\n");
    let refused = cluster
        .client
        .post_csv::<Committed>("/v1/roster", &bad_role, 0)
        .await;
    let Err(ClientError::Refused { message, .. }) = refused else {
        panic!("{refused:?}")
    };
    assert!(
        message.contains("line 2, role") && message.contains("volunteer"),
        "{message}"
    );
    let roster: Roster = cluster.client.get("/v1/roster", 0).await.unwrap();
    assert_eq!(roster.members.len(), 2, "nothing of a bad file is loaded");
}
