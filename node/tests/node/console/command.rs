//! Two-level command in a real browser: the Bund station's command room
//! asks the district for two more special-police units from the incident
//! drawer; the district's commander sees the ask in the same incident's
//! drawer on another console and grants it; the room's console shows the
//! grant with the level that gave it.

use super::{artifacts_dir, Browser, Page};
use crate::support::start_cluster;

/// A console at 1280x720 logged in with `token`, the incident's drawer open.
async fn console_on(browser: &mut Browser, base: &str, token: &str, incident: &str) -> Page {
    let page = browser.signed_in(base, token, (1280, 720), false).await;
    browser.open_from_queue(&page, incident).await;
    page
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(clippy::too_many_lines, reason = "a test read as phases")]
async fn a_station_room_asks_the_district_and_the_commander_grants_it_in_the_drawer() {
    // Phase 1: a disturbance on the Bund station's ground, triaged.
    let cluster = start_cluster().await;
    let room = cluster
        .processes
        .issue_token("bund-room", &["station:bund"])
        .await
        .unwrap();
    let commander = cluster
        .processes
        .issue_token("commander-qian", &["commander"])
        .await
        .unwrap();
    let incident = cluster
        .report("command-1", "disturbance", 31.2420, 121.4868, 2)
        .await;
    cluster
        .wait_incident(&incident, "triaged to the Bund", |i| {
            i.station.as_deref() == Some("bund")
        })
        .await;
    let artifacts = artifacts_dir();
    let mut browser = Browser::launch(&artifacts).await;
    let base = cluster.client.urls()[0].clone();

    // Phase 2: the room asks the district for two more ring-4 units.
    let desk = console_on(&mut browser, &base, &room, &incident).await;
    browser
        .wait_for(
            &desk,
            "the ask form",
            "!!document.getElementById('ask-district-send')",
        )
        .await;
    browser
        .eval(
            &desk,
            "document.getElementById('ask-district-units').value = '2'; document.getElementById('ask-district-ring').value = '4'; \
             document.getElementById('ask-district-reason').value = 'the crowd at the stairs is past our patrols'; \
             document.getElementById('ask-district-send').click()",
        )
        .await;
    browser
        .wait_for(
            &desk,
            "the ask on the drawer",
            "!!document.querySelector('#command-levels li[data-ask=\"1\"]')",
        )
        .await;
    browser
        .save(&desk, &artifacts, "9-station-asks-district")
        .await;

    // Phase 3: the commander grants it from the same incident's drawer.
    let centre = console_on(&mut browser, &base, &commander, &incident).await;
    browser
        .wait_for(
            &centre,
            "the grant button",
            "!!document.getElementById('grant-ask-1')",
        )
        .await;
    browser
        .eval(
            &centre,
            "document.getElementById('answer-ask-note').value = 'two teams from the Bund points'; document.getElementById('grant-ask-1').click()",
        )
        .await;
    browser
        .wait_for(&centre, "the ask answered", "!!document.querySelector('#command-levels li[data-ask=\"1\"][data-answered=\"true\"]')")
        .await;
    browser
        .save(&centre, &artifacts, "9a-district-grants")
        .await;
    let answered = cluster.incident(&incident).await;
    let ask = &answered.asks[0];
    assert_eq!(
        (ask.level.as_str(), ask.ring, ask.units),
        ("station:bund", 4, 2)
    );
    assert_eq!(
        ask.answer.as_ref().map(|a| (a.level.as_str(), a.granted)),
        Some(("district", true))
    );

    // Phase 4: the room's console shows the grant and who gave it.
    browser
        .wait_for(
            &desk,
            "the grant on the room's console",
            "(document.querySelector('#command-levels li[data-ask=\"1\"]')?.textContent ?? '').includes('Granted by district')",
        )
        .await;
    browser.assert_clean(&desk, &base);
    browser.assert_clean(&centre, &base);
}
