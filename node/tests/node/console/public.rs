//! The golden four hours in a real browser (the time shortened to 8 s): a
//! commander opens a crowd crush, sees its release countdown in the drawer,
//! and, when nobody releases in time, the overdue release on the alerts
//! panel; a release recorded from the drawer names the commander.

use super::{artifacts_dir, Browser};
use crate::support::start_cluster_with;

/// The golden four hours, shortened for the test.
const WITHIN_MS: u64 = 8_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(clippy::too_many_lines, reason = "a test read as phases")]
async fn the_drawer_counts_down_to_the_public_release_and_an_overdue_one_alerts() {
    // Phase 1: a commander's console at 1280x720 and a crowd crush at the
    // Bund, of public concern at triage.
    let cluster = start_cluster_with(|file| file.actors.public_info_within_ms = WITHIN_MS).await;
    let commander = cluster
        .processes
        .issue_token("commander-qian", &["commander"])
        .await
        .unwrap();
    let artifacts = artifacts_dir();
    let mut browser = Browser::launch(&artifacts).await;
    let base = cluster.client.urls()[0].clone();
    let page = browser
        .signed_in(&base, &commander, (1280, 720), false)
        .await;
    let crush = cluster
        .report("public-1", "crowd_crush", 31.2400, 121.4870, 1)
        .await;
    cluster
        .wait_incident(&crush, "of public concern", |incident| {
            incident.public_info.is_some()
        })
        .await;

    // Phase 2: its drawer counts down to the first release.
    browser.open_from_queue(&page, &crush).await;
    let left = browser
        .wait_for(
            &page,
            "the release countdown",
            "document.getElementById('public-countdown')?.textContent",
        )
        .await;
    assert!(left.as_str().unwrap().ends_with("left"), "{left}");
    browser
        .save(&page, &artifacts, "8-public-release-countdown")
        .await;

    // Phase 3: nobody releases: the alerts panel says the release is
    // overdue, and the drawer says by how long.
    let alert = format!("#alert-list li[data-kind=public_info_overdue][data-incident=\"{crush}\"]");
    browser
        .wait_for(
            &page,
            "the overdue release on the alerts panel",
            &format!("!!document.querySelector('{alert}')"),
        )
        .await;
    browser
        .wait_for(
            &page,
            "the drawer's overdue countdown",
            "document.getElementById('public-countdown')?.textContent.startsWith('overdue')",
        )
        .await;
    browser
        .save(&page, &artifacts, "8a-public-release-overdue")
        .await;

    // Phase 4: the commander records the release from the drawer: the
    // drawer shows it with their name, and the alert is gone.
    browser
        .eval(&page, "document.getElementById('public-release-text').value = 'Police are at the river wall; keep away from the stairs.'; document.getElementById('public-release-send').click()")
        .await;
    let shown = browser
        .wait_for(
            &page,
            "the release in the drawer",
            "document.getElementById('public-release')?.textContent",
        )
        .await;
    assert!(
        shown.as_str().unwrap().contains("commander-qian"),
        "{shown}"
    );
    browser
        .wait_for(
            &page,
            "the alert gone",
            &format!("!document.querySelector('{alert}')"),
        )
        .await;
    let made = cluster
        .incident(&crush)
        .await
        .public_info
        .unwrap()
        .release
        .unwrap();
    assert!(
        made.approved_by.contains("commander-qian"),
        "{}",
        made.approved_by
    );
}
