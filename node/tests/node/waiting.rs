//! Someone is coming: an incident that no unit can answer yet is shown to
//! commanders as unresourced and answered as soon as units free, by the
//! same actor incarnation, without anyone restarting anything.

use cordon_api::incidents::Committed;
use cordon_api::units::UnitStatusUpdate;

use cordon_node::client::ClientError;

use crate::support::{set_status, start_cluster, start_cluster_with, steps, Cluster};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_left_waiting_is_assigned_when_units_free() {
    // Phase 1: three nodes; every ring-4 unit out of service.
    let cluster = start_cluster().await;
    let ring_four = cluster.unit_ids(|unit| unit.ring == 4).await;
    assert!(!ring_four.is_empty());
    set_status(&cluster.client, &ring_four, "out_of_service").await;
    // A unit out of service cannot report itself on scene; the refusal
    // names what it can report.
    let path = format!("/v1/units/{}/status", ring_four[0]);
    let on_scene = UnitStatusUpdate::new("on_scene");
    match cluster.client.post::<Committed>(&path, &on_scene, 0).await {
        Err(ClientError::Refused { code, message }) => {
            assert_eq!(code, "rejected");
            assert!(message.contains("it can become available"), "{message}");
        }
        other => panic!("on scene from out of service: {other:?}"),
    }

    // Phase 2: a force-level-6 assault goes to ring 4, which has nobody
    // to send: the message is left waiting.
    let id = cluster
        .report("waiting-1", "assault", 31.2225, 121.4709, 6)
        .await;
    cluster
        .wait_incident(&id, "at ring 4, unassigned", |incident| {
            incident.ring == Some(4) && incident.assignments.is_empty()
        })
        .await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert!(cluster.incident(&id).await.assignments.is_empty());

    // Phase 3: the teams come back; the waiting incident gets one.
    set_status(&cluster.client, &ring_four, "available").await;
    let incident = cluster.wait_assigned(&id).await;
    assert_eq!(incident.assignments.len(), 1, "{incident:#?}");
    assert!(ring_four.contains(&incident.assignments[0].unit_id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_major_incident_without_units_gets_its_plan_when_units_free() {
    // Phase 1: three nodes; every unit of the district out of service.
    let cluster = start_cluster().await;
    let all = cluster.unit_ids(|_| true).await;
    set_status(&cluster.client, &all, "out_of_service").await;

    // Phase 2: an extreme act (major, ring 4 at once) is triaged, but no
    // plan can be made and there is no ring to escalate to: the hub leaves
    // its dispatch waiting.
    let id = cluster
        .report("waiting-major", "extreme_act", 31.2422, 121.4858, 8)
        .await;
    cluster
        .wait_incident(&id, "triaged as major at ring 4", |incident| {
            incident.major && incident.ring == Some(4)
        })
        .await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert!(cluster.incident(&id).await.plan.is_none());

    // Phase 3: the units come back; the hub proposes the plan.
    set_status(&cluster.client, &all, "available").await;
    cluster.wait_plan(&id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_no_ring_can_answer_is_shown_unresourced_until_a_unit_frees() {
    // Phase 1: three nodes; every ring-4 team out of service, so an
    // incident at ring 4 has no ring left and no unit to send.
    let cluster = start_cluster().await;
    let ring_four = cluster.unit_ids(|unit| unit.ring == 4).await;
    set_status(&cluster.client, &ring_four, "out_of_service").await;

    // Phase 2: a force-level-6 assault, away from every one-minute point
    // and sensitive area (ring 3's target there is 300 s, ring 4's 180 s),
    // escalates to ring 4: the API shows it unresourced (since when, why),
    // its trail says so once, and the cluster's gauge counts it.
    let id = cluster
        .report("unresourced-1", "assault", 31.2200, 121.4750, 6)
        .await;
    let incident = cluster
        .wait_incident(&id, "marked unresourced", |incident| {
            incident.unresourced.is_some()
        })
        .await;
    let mark = incident.unresourced.clone().unwrap();
    assert_eq!(incident.ring, Some(4), "{incident:#?}");
    assert!(incident.assignments.is_empty(), "{incident:#?}");
    assert!(mark.reason.contains("every ring exhausted"), "{mark:?}");
    assert!(mark.since_ms >= incident.reported_at_ms, "{mark:?}");
    let step = |incident: &cordon_api::incidents::Incident, name: &str| {
        steps(incident).iter().filter(|step| *step == name).count()
    };
    assert_eq!(step(&incident, "unresourced"), 1, "{incident:#?}");
    assert!(incident.timeline_verified);
    wait_unresourced_gauge(&cluster, 1).await;

    // Phase 3: the teams come back: the waiting dispatch is answered with a
    // ring-4 team, the mark is cleared, and the gauge drops back. The trail
    // still says "unresourced" once: every wake in between added nothing.
    set_status(&cluster.client, &ring_four, "available").await;
    let incident = cluster.wait_assigned(&id).await;
    assert!(ring_four.contains(&incident.assignments[0].unit_id));
    assert_eq!(incident.unresourced, None, "{incident:#?}");
    assert_eq!(step(&incident, "unresourced"), 1, "{incident:#?}");
    wait_unresourced_gauge(&cluster, 0).await;

    // Phase 4: ring 3's 300 s target did not follow the incident outward:
    // its target, its assignment and its deadline are ring 4's.
    let target_s = incident.target_s.expect("triaged");
    assert_eq!(step(&incident, "escalated"), 1, "{incident:#?}");
    assert_eq!(target_s, 180, "ring 4's target: {incident:#?}");
    assert_eq!(incident.assignments[0].target_s, target_s);
    let assigned = incident.timeline.iter().find(|e| e.step == "assigned");
    let assigned_at_ms = assigned.expect("assigned").at_ms;
    let deadline_ms = assigned_at_ms + u64::from(target_s) * 1_000;
    assert_eq!(incident.on_scene_deadline_ms, Some(deadline_ms));
}

/// Waits until a node's `/metrics` shows `count` unresourced open incidents.
async fn wait_unresourced_gauge(cluster: &Cluster, count: u32) {
    let url = format!("{}/metrics", cluster.client.urls()[0]);
    let expected = format!("cordon_incidents_unresourced {count}");
    let url = &url;
    let expected = &expected;
    let token = cluster.token();
    cluster
        .wait(expected, |_| async move {
            let text = crate::support::get_text(token, url).await?;
            text.lines().any(|line| line == expected).then_some(())
        })
        .await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_plan_whose_units_were_taken_is_drawn_again() {
    // Phase 1: a crowd crush at the Bund gets a mobilisation plan that
    // waits for the commanders (no automatic approval in this test).
    let cluster = start_cluster_with(|file| file.actors.plan_auto_approve_ms = 120_000).await;
    let id = cluster
        .report("plan-gone-1", "crowd_crush", 31.2422, 121.4858, 7)
        .await;
    let planned = cluster.wait_plan(&id).await;
    let plan_units: Vec<String> = planned
        .plan
        .as_ref()
        .map(|plan| plan.lines.iter().map(|line| line.unit_id.clone()).collect())
        .unwrap_or_default();
    assert!(!plan_units.is_empty(), "{planned:#?}");

    // Phase 2: before anyone approves, every unit of the plan goes out of
    // service (taken elsewhere); then a commander approves.
    set_status(&cluster.client, &plan_units, "out_of_service").await;
    let approve = format!("/v1/plans/{id}/approve");
    cluster
        .client
        .post::<Committed>(&approve, &(), 0)
        .await
        .expect("the approval commits");

    // Phase 3: the hub draws the missing units again from those free now,
    // instead of dismissing the plan with nobody going.
    let incident = cluster.wait_assigned(&id).await;
    assert!(
        incident
            .assignments
            .iter()
            .all(|assignment| !plan_units.contains(&assignment.unit_id)),
        "{incident:#?}"
    );
}
