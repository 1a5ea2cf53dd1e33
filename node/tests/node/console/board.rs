//! Every open incident stays on the board: an incident still open behind
//! 500 newer ones is listed by `GET /v1/incidents?status=open` (what the
//! console loads), though the newest 500 do not hold it, and a console in
//! a real browser at 1280x720 shows it in its queue and on its map.

use cordon_api::incidents::{Committed, IncidentList};
use serde_json::json;

use super::{artifacts_dir, Browser};
use crate::support::start_cluster;

/// Newer incidents reported and cancelled after the open one.
const NEWER_INCIDENTS: usize = 500;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_open_incident_is_on_the_board_behind_500_newer_ones() {
    // Phase 1: an incident is reported and stays open; 500 newer ones are
    // reported and cancelled (kept in the hot state for the default hour).
    let cluster = start_cluster().await;
    let old = cluster
        .report("board-old", "theft", 31.2394, 121.4760, 1)
        .await;
    for n in 0..NEWER_INCIDENTS {
        let id = cluster
            .report(&format!("board-{n}"), "theft", 31.2422, 121.4858, 1)
            .await;
        let body = json!({ "request_id": format!("board-cancel-{n}"), "reason": "caller hung up" });
        let _: Committed = cluster
            .client
            .post(&format!("/v1/incidents/{id}/cancel"), &body, n)
            .await
            .unwrap();
    }

    // Phase 2: the newest 500 do not hold it; the open ones do, and only
    // open ones; a status that does not exist is refused naming `open`.
    let newest: IncidentList = cluster
        .client
        .get(&format!("/v1/incidents?limit={NEWER_INCIDENTS}"), 0)
        .await
        .unwrap();
    let open: IncidentList = cluster
        .client
        .get("/v1/incidents?status=open", 0)
        .await
        .unwrap();
    let refused = cluster
        .client
        .get::<IncidentList>("/v1/incidents?status=opened", 0)
        .await
        .unwrap_err();

    assert!(newest.incidents.iter().all(|i| i.id != old));
    assert!(
        open.incidents.iter().any(|i| i.id == old),
        "{:?}",
        open.incidents.len()
    );
    assert!(open
        .incidents
        .iter()
        .all(|i| i.status != "cancelled" && i.status != "resolved"));
    assert!(refused.to_string().contains("or open"), "{refused}");

    // Phase 3: a console at 1280x720 has it in its queue and on its map.
    let artifacts = artifacts_dir();
    let mut browser = Browser::launch(&artifacts).await;
    let base = cluster.client.urls()[0].clone();
    let page = browser
        .signed_in(&base, cluster.token(), (1280, 720), false)
        .await;
    browser
        .wait_for(
            &page,
            "the old open incident in the queue and on the map",
            &format!(
                "!!document.querySelector('#incident-list tr[data-id=\"{old}\"]') && \
             !!document.querySelector('#map .incident[data-id=\"{old}\"], #map .cluster-incidents[data-ids~=\"{old}\"]')"
            ),
        )
        .await;
    browser
        .save(&page, &artifacts, "7-old-open-incident-on-the-board")
        .await;
    browser.assert_clean(&page, &base);
}
