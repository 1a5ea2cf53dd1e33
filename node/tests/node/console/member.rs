//! A member of the community forces on their phone, in a real browser: a
//! cadre of a Bund guardian team logs in with their `member:` token and
//! gets the team's field screen; the hazard the station room pushed to the
//! team waits there to be verified, and they confirm it with what they
//! saw; then they report a hazard of their own from the same page. The
//! register names them on both.

use cordon_api::hazards::HazardList;
use cordon_api::incidents::Committed;
use cordon_api::roster::CSV_HEADER;
use serde_json::json;

use super::{artifacts_dir, Browser};
use crate::support::{start_cluster, Cluster};

/// The member's team.
const TEAM: &str = "bund-1-guardians";

/// The member on duty all day in [`TEAM`], and a hazard pushed to the team: its id.
async fn member_and_pushed_hazard(cluster: &Cluster) -> u64 {
    let file = format!(
        "{CSV_HEADER}\nbund-huang,Huang Tao,cadre,{TEAM},bund,app:huang.tao,first_aid,daily 00:00-24:00,yes\n"
    );
    let _: Committed = cluster
        .client
        .post_csv("/v1/roster", &file, 0)
        .await
        .unwrap();
    let room = cluster.client_as("bund-room", &["station:bund"]).await;
    let reported: Committed = room
        .post(
            "/v1/hazards",
            &json!({"area": "bund-riverside", "lat": 31.2420, "lon": 121.4868,
                    "source": "patrol", "summary": "a drain cover is missing by the stairs"}),
            0,
        )
        .await
        .unwrap();
    let id = reported.log_index;
    let _: Committed = room
        .post(
            &format!("/v1/hazards/{id}/push"),
            &json!({"unit_id": TEAM}),
            0,
        )
        .await
        .unwrap();
    id
}

/// The register's hazards.
async fn hazards(cluster: &Cluster) -> HazardList {
    cluster.client.get("/v1/hazards", 0).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_verifies_and_reports_a_hazard_from_the_phone() {
    // Phase 1: the member on the roster, a hazard pushed to their team.
    let cluster = start_cluster().await;
    let pushed = member_and_pushed_hazard(&cluster).await;
    let token = cluster
        .processes
        .issue_token("huang-phone", &["member:bund-huang"])
        .await
        .unwrap();
    let artifacts = artifacts_dir();
    let mut browser = Browser::launch(&artifacts).await;
    let base = cluster.client.urls()[0].clone();

    // Phase 2: the phone shows the team's field screen with the request to verify.
    let phone = browser.signed_in(&base, &token, (390, 844), true).await;
    browser
        .wait_for(
            &phone,
            "the team's field screen with the hazard to verify",
            &format!("!document.getElementById('field').hidden && !!document.querySelector('#field-verify li[data-hazard=\"{pushed}\"]') && !!document.getElementById('field-member')"),
        )
        .await;
    browser.save(&phone, &artifacts, "8-member-verify").await;

    // Phase 3: they say what they saw and confirm; the register has it
    // confirmed under their name.
    browser
        .eval(
            &phone,
            &format!("document.getElementById('verify-seen').value = 'no cover, a child could fall in'; document.getElementById('verify-confirm-{pushed}').click()"),
        )
        .await;
    browser
        .wait_for(
            &phone,
            "the request answered",
            &format!("!document.querySelector('#field-verify li[data-hazard=\"{pushed}\"]')"),
        )
        .await;
    let list = hazards(&cluster).await;
    let item = list.hazards.iter().find(|h| h.id == pushed).unwrap();
    assert_eq!(item.stage, "confirmed");
    assert!(
        item.trail
            .iter()
            .any(|step| step.by.contains("huang-phone")),
        "{:?}",
        item.trail
    );

    // Phase 4: they report a hazard of their own from the same page.
    browser
        .eval(
            &phone,
            "document.getElementById('member-hazard-text').value = 'a loose railing on the river wall'; document.getElementById('member-hazard-send').click()",
        )
        .await;
    browser
        .wait_for(&phone, "the report taken", "(document.getElementById('field-result')?.textContent ?? '').startsWith('Hazard reported')")
        .await;
    let list = hazards(&cluster).await;
    let own = list
        .hazards
        .iter()
        .find(|h| h.summary == "a loose railing on the river wall")
        .expect("the member's hazard in the register");
    assert!(
        own.trail.iter().any(|step| step.by.contains("huang-phone")),
        "{:?}",
        own.trail
    );
    browser.save(&phone, &artifacts, "8a-member-reported").await;
    browser.assert_clean(&phone, &base);
}
