//! The field screen in a real browser: a unit's crew logs in with its
//! `field:` token and gets its own phone-sized page; an assignment arrives
//! live with its route on the street graph; Acknowledge, En route and On
//! scene follow the unit state machine
//! and reach the incident's trail under the crew's name. A crew that does
//! not acknowledge in time raises an alert on a dispatcher's console, which
//! the dispatcher clears there; the trail keeps both.

use cordon_api::incidents::{AssignUnit, Committed, Origin};
use cordon_api::units::UnitList;

use super::{artifacts_dir, Browser, Page, LANDMARKS};
use crate::support::{start_cluster_with, Cluster};

/// The unit whose crew uses the field screen.
const FIELD_UNIT: &str = "bund-1-a";
/// The acknowledgement timer of this test's cluster.
const ACK_TIMEOUT_MS: u64 = 3_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crew_works_its_assignment_and_a_missed_acknowledgement_alerts_the_dispatcher() {
    // Phase 1: three nodes whose crews must acknowledge within 3 s; a
    // token for the crew of bund-1-a and one for a dispatcher.
    let cluster = start_cluster_with(|file| file.actors.ack_timeout_ms = ACK_TIMEOUT_MS).await;
    let crew = cluster
        .processes
        .issue_token("officer-zhang", &[&format!("field:{FIELD_UNIT}")])
        .await
        .unwrap();
    let dispatcher = cluster
        .processes
        .issue_token("dispatcher-li", &["dispatcher"])
        .await
        .unwrap();
    let artifacts = artifacts_dir();
    let mut browser = Browser::launch(&artifacts).await;
    let base = cluster.client.urls()[0].clone();

    // Phase 2: the crew's page, phone-sized, waits for dispatch.
    let phone = browser.signed_in(&base, &crew, (390, 844), true).await;
    browser
        .wait_for(
            &phone,
            "the field screen, idle",
            "!document.getElementById('field').hidden && !!document.getElementById('field-idle')",
        )
        .await;

    // Phase 3: an incident at the unit's home gets it (by the responders or
    // a dispatcher): the assignment arrives on the page by itself.
    let id = assigned_to_field_unit(&cluster, &dispatcher).await;
    browser
        .wait_for(&phone, "the assignment and its route on the field screen", &format!(
            "document.getElementById('field-assignment')?.dataset.id === '{id}' && !!document.getElementById('status-acknowledged') && \
             Number(document.getElementById('field-route')?.dataset.streets) > 1"
        ))
        .await;
    browser.save(&phone, &artifacts, "6-field-assignment").await;

    // Phase 4: Acknowledge, En route, On scene: each button is the state
    // machine's next move, and each is on the trail under the crew's name.
    for status in ["acknowledged", "en_route", "on_scene"] {
        press_status(&mut browser, &phone, status).await;
    }
    browser.save(&phone, &artifacts, "6a-field-on-scene").await;
    let incident = cluster.incident(&id).await;
    for step in ["unit_acknowledged", "en_route", "on_scene"] {
        let entry = incident
            .timeline
            .iter()
            .find(|entry| entry.step == step && entry.unit_id.as_deref() == Some(FIELD_UNIT));
        let by_crew = entry.is_some_and(|entry| matches!(&entry.origin, Origin::Api { principal, .. } if principal.name == "officer-zhang"));
        assert!(by_crew, "{step} by the crew: {incident:#?}");
    }

    // Phase 5: another incident's unit is never acknowledged: within the
    // timer and a units refresh the dispatcher's console shows its alert;
    // the dispatcher clears it there, and the trail keeps both.
    let desk = missed_acknowledgement_on_the_desk(&mut browser, &cluster, &base, &dispatcher).await;
    browser.assert_clean(&phone, &base);
    browser.assert_clean(&desk, &base);
}

/// Reports an incident near the field unit's position and makes sure the unit
/// is on it (a responder may have sent it; else the dispatcher does).
async fn assigned_to_field_unit(cluster: &Cluster, dispatcher: &str) -> String {
    let units: UnitList = cluster.client.get("/v1/units", 0).await.unwrap();
    let home = units
        .units
        .iter()
        .find(|unit| unit.id == FIELD_UNIT)
        .expect("the field unit");
    // A few hundred metres inland of its home, so it has a way to drive.
    let (lat, lon) = (home.lat - 0.003, home.lon - 0.003);
    let id = cluster.report("field-1", "theft", lat, lon, 1).await;
    let incident = cluster.wait_assigned(&id).await;
    if !incident.units.iter().any(|unit| unit == FIELD_UNIT) {
        let send = AssignUnit {
            request_id: None,
            unit_id: FIELD_UNIT.into(),
            reassign_reason: None,
        };
        let desk = cluster.client.clone().with_token(dispatcher);
        let _: Committed = desk
            .post(&format!("/v1/incidents/{id}/assign"), &send, 0)
            .await
            .unwrap();
    }
    id
}

/// Presses the field screen's button for `status` and waits for the unit to show it.
async fn press_status(browser: &mut Browser, page: &Page, status: &str) {
    browser
        .wait_for(
            page,
            &format!("the {status} button"),
            &format!("!!document.getElementById('status-{status}')"),
        )
        .await;
    browser
        .eval(
            page,
            &format!("document.getElementById('status-{status}').click()"),
        )
        .await;
    browser
        .wait_for(
            page,
            &format!("the unit {status}"),
            &format!("document.getElementById('field').dataset.status === '{status}'"),
        )
        .await;
}

/// A dispatcher's console sees the alert of a unit never acknowledged and
/// clears it; the incident's trail keeps both. Returns the console's page.
async fn missed_acknowledgement_on_the_desk(
    browser: &mut Browser,
    cluster: &Cluster,
    base: &str,
    dispatcher: &str,
) -> Page {
    let artifacts = artifacts_dir();
    let desk = browser.open(base).await;
    browser.log_in(&desk, dispatcher).await;
    let late = cluster
        .report("field-late", "theft", LANDMARKS[1].1, LANDMARKS[1].2, 1)
        .await;
    let unit = cluster.wait_assigned(&late).await.units[0].clone();
    let selector =
        format!("#alert-list li.unit-alert[data-unit=\"{unit}\"][data-kind=\"ack_overdue\"]");
    browser
        .wait_for(
            &desk,
            "the missed acknowledgement on the dispatcher's console",
            &format!("!!document.querySelector('{selector}')"),
        )
        .await;
    browser
        .save(&desk, &artifacts, "6b-ack-overdue-alert")
        .await;
    browser
        .eval(
            &desk,
            &format!("document.querySelector('{selector} button.clear-alert').click()"),
        )
        .await;
    browser
        .wait_for(
            &desk,
            "the alert cleared",
            &format!("!document.querySelector('{selector}')"),
        )
        .await;
    let trail = cluster.incident(&late).await;
    let steps: Vec<&str> = trail
        .timeline
        .iter()
        .map(|entry| entry.step.as_str())
        .collect();
    assert!(
        steps.contains(&"unit_alert") && steps.contains(&"unit_alert_cleared"),
        "{steps:?}"
    );
    desk
}
