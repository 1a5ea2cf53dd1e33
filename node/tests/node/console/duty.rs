//! Who is on duty, in a real browser: with a roster loaded, a viewer's
//! console lists each area with how many of its members are on duty now and
//! who they are; the map shows hospitals with their police post's status
//! and a safe house whose alarm is raised.

use cordon_api::incidents::Committed;
use cordon_api::roster::CSV_HEADER;

use super::{artifacts_dir, Browser};
use crate::support::start_cluster;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_shows_who_is_on_duty_and_the_state_of_hospitals_and_safe_houses() {
    // Phase 1: two Bund guardians, one on duty round the clock, one unable
    // to come; a viewer's console.
    let cluster = start_cluster().await;
    let file = format!(
        "{CSV_HEADER}\nbund-1-guardians-zhou,Zhou Min,cadre,bund-1-guardians,bund,app:zhou.min,first_aid,daily 00:00-24:00,yes\n\
         bund-1-guardians-chen,Chen Lei,building_head,bund-1-guardians,bund,app:chen.lei,,daily 00:00-24:00,no\n"
    );
    let _: Committed = cluster
        .client
        .post_csv("/v1/roster", &file, 0)
        .await
        .unwrap();
    let viewer = cluster
        .processes
        .issue_token("viewer-wu", &["viewer"])
        .await
        .unwrap();
    let artifacts = artifacts_dir();
    let mut browser = Browser::launch(&artifacts).await;
    let base = cluster.client.urls()[0].clone();
    let page = browser.signed_in(&base, &viewer, (1400, 900), false).await;

    // Phase 2: the Bund has one of its two members on duty, named.
    let named = browser
        .wait_for(&page, "the Bund's members on duty", "\
            (area => area && area.dataset.onDuty === '1' && [...area.querySelectorAll('.duty-member')].map(m => m.dataset.member)) \
            (document.querySelector('#duty-list li.duty-area[data-area=bund]'))")
        .await;
    assert_eq!(named, serde_json::json!(["bund-1-guardians-zhou"]));
    browser
        .eval(&page, "document.querySelector('#duty-list li.duty-area[data-area=bund] details').open = true; document.getElementById('duty-panel').scrollIntoView()")
        .await;
    browser.save(&page, &artifacts, "9-on-duty-by-area").await;

    // Phase 3: a hospital shows its police post's status; the safe house
    // whose alarm is pressed shows it raised, naming the incident.
    browser
        .wait_for(&page, "the Renji hospital's post status", "document.querySelector('#map .facility.hospital[data-id=renji-hospital-west]')?.dataset.postStatus === 'available'")
        .await;
    let house = "safe-house-nanjing-road-zhejiang-road";
    let raised: cordon_api::incidents::Reported = cluster
        .client
        .post(
            &format!("/v1/safe-houses/{house}/alarm"),
            &cordon_api::incidents::SafeHouseAlarm::default(),
            0,
        )
        .await
        .unwrap();
    let alarm = browser
        .wait_for(&page, "the safe house's alarm on the map", &format!(
            "document.querySelector('#map .facility.safe-house.alarm[data-id={house}]')?.dataset.alarm"
        ))
        .await;
    assert_eq!(alarm.as_str(), Some(raised.incident_id.as_str()));
    browser
        .save(&page, &artifacts, "9a-safe-house-alarm-on-the-map")
        .await;
}
