//! A dispatcher's own hand, on three real processes: the node recommends
//! units with their ETAs on the street graph; a dispatcher owns an
//! unresourced wait, writes a note and sends a recommended unit; the trail
//! names them at every step; a unit is never sent twice, and a role without
//! the `dispatch` right is refused. A busy unit is taken to another incident
//! only when the dispatcher says why, and the incident it left is
//! dispatched again.

use cordon_api::incidents::{
    Acknowledge, AddNote, AssignUnit, Committed, Incident, Origin, Recommendations,
};

use crate::support::{refusal, set_status, start_cluster};

/// The principal named by a trail entry's origin.
fn who(origin: &Origin) -> &str {
    match origin {
        Origin::Api { principal, .. } => &principal.name,
        _ => "",
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(clippy::too_many_lines, reason = "a test read as phases")]
async fn a_dispatcher_owns_a_wait_writes_a_note_and_sends_a_recommended_unit() {
    // Phase 1: three nodes; every ring-4 team out of service; an assault no
    // ring can answer escalates to ring 4 and waits, unresourced.
    let cluster = start_cluster().await;
    let dispatcher = cluster.client_as("dispatcher-li", &["dispatcher"]).await;
    let viewer = cluster.client_as("viewer-wu", &["viewer"]).await;
    let ring_four = cluster.unit_ids(|unit| unit.ring == 4).await;
    set_status(&cluster.client, &ring_four, "out_of_service").await;
    let id = cluster
        .report("hand-1", "assault", 31.2200, 121.4750, 6)
        .await;
    let incident = cluster
        .wait_incident(&id, "unresourced at ring 4", |incident| {
            incident.unresourced.is_some()
        })
        .await;
    let address = incident.address.clone().expect("an address on the streets");
    assert!(address.contains(" near "), "{address}");

    // Phase 2: the recommendations put ring 4 first, and it has nobody; the
    // other rings offer their quickest units with street ETAs and targets.
    let path = format!("/v1/incidents/{id}/recommendations");
    let found: Recommendations = viewer.get(&path, 0).await.unwrap();
    assert_eq!(found.ring, Some(4));
    assert!(!found.units.is_empty(), "{found:#?}");
    assert!(
        found
            .units
            .iter()
            .all(|unit| unit.ring != 4 && unit.eta_s > 0 && unit.target_s > 0),
        "{found:#?}"
    );

    // Phase 3: the dispatcher owns the wait, once; the trail names them.
    let acknowledge = format!("/v1/incidents/{id}/acknowledge");
    let _: Committed = dispatcher
        .post(&acknowledge, &Acknowledge::default(), 0)
        .await
        .unwrap();
    let (code, message) = refusal(
        dispatcher
            .post::<Committed>(&acknowledge, &Acknowledge::default(), 0)
            .await,
    );
    assert_eq!(code, "rejected");
    assert!(
        message.contains("acknowledged already by dispatcher-li"),
        "{message}"
    );
    let incident = cluster.incident(&id).await;
    let owner = incident
        .unresourced
        .as_ref()
        .and_then(|wait| wait.acknowledged.clone());
    assert!(owner.expect("acknowledged").by.contains("dispatcher-li"));

    // Phase 4: a viewer may not send a unit nor write a note; the dispatcher
    // writes one, which the trail keeps under their name.
    let assign = format!("/v1/incidents/{id}/assign");
    let unit_id = found.units[0].unit_id.clone();
    let send = AssignUnit {
        request_id: None,
        unit_id: unit_id.clone(),
        reassign_reason: None,
    };
    assert_eq!(
        refusal(viewer.post::<Committed>(&assign, &send, 0).await).0,
        "forbidden"
    );
    let note = AddNote {
        request_id: None,
        text: "caller: the man ran towards Fuxing Road".into(),
    };
    assert_eq!(
        refusal(
            viewer
                .post::<Committed>(&format!("/v1/incidents/{id}/notes"), &note, 0)
                .await
        )
        .0,
        "forbidden"
    );
    let _: Committed = dispatcher
        .post(&format!("/v1/incidents/{id}/notes"), &note, 0)
        .await
        .unwrap();

    // Phase 5: the dispatcher sends the first recommended unit: the incident
    // is assigned to it, the wait is over, and the trail names the person.
    let _: Committed = dispatcher.post(&assign, &send, 0).await.unwrap();
    let incident: Incident = cluster.incident(&id).await;
    assert_eq!(
        incident.units,
        std::slice::from_ref(&unit_id),
        "{incident:#?}"
    );
    assert_eq!(incident.unresourced, None);
    let noted = incident
        .timeline
        .iter()
        .find(|entry| entry.step == "note")
        .expect("a note");
    assert_eq!(
        (who(&noted.origin), noted.reason.as_str()),
        ("dispatcher-li", note.text.as_str())
    );
    let assigned = incident
        .timeline
        .iter()
        .find(|entry| entry.step == "assigned")
        .expect("assigned");
    assert_eq!(who(&assigned.origin), "dispatcher-li");
    assert!(incident.timeline_verified);

    // Phase 6: the same unit is never sent twice, an unknown one is refused
    // naming where the choices are, and it is no longer recommended.
    let (code, message) = refusal(dispatcher.post::<Committed>(&assign, &send, 0).await);
    assert_eq!(code, "rejected", "{message}");
    let ghost = AssignUnit {
        request_id: None,
        unit_id: "no-such-unit".into(),
        reassign_reason: None,
    };
    let (code, message) = refusal(dispatcher.post::<Committed>(&assign, &ghost, 0).await);
    assert_eq!(code, "invalid_input");
    assert!(message.contains("recommendations"), "{message}");
    let again: Recommendations = viewer.get(&path, 0).await.unwrap();
    assert!(
        again.units.iter().all(|unit| unit.unit_id != unit_id),
        "{again:#?}"
    );

    // Phase 7: a more urgent call nearby. Taking the busy unit without a
    // reason is refused naming where it works; with one, it moves: on the
    // new incident, off the first (both trails say who and why), and the
    // first incident's dispatch goes back to ring 4, which marks it
    // unresourced again.
    let urgent = cluster
        .report("hand-2", "assault", 31.2205, 121.4755, 1)
        .await;
    let take = format!("/v1/incidents/{urgent}/assign");
    let (code, message) = refusal(dispatcher.post::<Committed>(&take, &send, 0).await);
    assert_eq!(code, "unit_busy", "{message}");
    assert!(
        message.contains(&id) && message.contains("reassign_reason"),
        "{message}"
    );
    let reassign = AssignUnit {
        reassign_reason: Some("a knife at the next corner".into()),
        ..send.clone()
    };
    let _: Committed = dispatcher.post(&take, &reassign, 0).await.unwrap();
    let taken = cluster.incident(&urgent).await;
    assert!(taken.units.contains(&unit_id), "{taken:#?}");
    let moved_in = taken
        .timeline
        .iter()
        .find(|entry| entry.step == "assigned" && entry.reason.starts_with(&unit_id))
        .unwrap();
    assert_eq!(who(&moved_in.origin), "dispatcher-li");
    assert!(
        moved_in.reason.contains(&format!("reassigned from {id}")),
        "{}",
        moved_in.reason
    );
    let left = cluster
        .wait_incident(&id, "the first incident waiting again", |incident| {
            incident.units.is_empty() && incident.unresourced.is_some()
        })
        .await;
    let released = left
        .timeline
        .iter()
        .find(|entry| entry.step == "unit_released")
        .unwrap();
    assert_eq!(who(&released.origin), "dispatcher-li");
    assert!(
        released.reason.contains("a knife at the next corner"),
        "{}",
        released.reason
    );
    assert!(left.timeline_verified && taken.timeline_verified);
}
