//! A console that survives its node: the leader's own console, its node
//! killed from the drill buttons, moves to another member within 5 s, says
//! so, shows the new leader, and keeps following the cluster from the event
//! stream where it left off (no full reload of the board).

use std::time::Duration;

use cordon_node::drill_control::DrillControl;
use cordon_node::local_cluster::ProcessState;
use tokio::time::Instant;

use super::{incident_marker, press_drill, wait_new_leader, Browser, Page, LANDMARKS};
use crate::support::Cluster;

/// The longest a console may take to move after its node dies.
const MOVE_WITHIN: Duration = Duration::from_secs(5);

/// How many times the page read the incident board whole.
async fn full_loads(browser: &mut Browser, page: &Page) -> u64 {
    let loads = browser
        .eval(page, "Number(document.body.dataset.fullLoads ?? 0)")
        .await;
    loads.as_u64().expect("a count")
}

/// Kills `leader` from its own console (`page`) and follows the page to
/// another member; returns the new leader.
pub(super) async fn console_moves_when_its_node_dies(
    browser: &mut Browser,
    page: &Page,
    cluster: &Cluster<DrillControl>,
    leader: u64,
) -> u64 {
    // Phase 1: the board has been read whole a few times; the Kill button
    // of the leader's row answers before the kill.
    let loads_before = full_loads(browser, page).await;
    let killed_at = kill_from_console(browser, page, cluster, leader).await;

    // Phase 2: within 5 s the page says it moved, from the dead node to a live one.
    let moved = browser
        .wait_for(
            page,
            "the console saying it moved",
            "\
            (m => !m.hidden && ({ from: m.dataset.from, to: m.dataset.to, text: m.textContent })) \
            (document.getElementById('moved'))",
        )
        .await;
    let took = killed_at.elapsed();
    assert!(
        took <= MOVE_WITHIN,
        "the console moved after {took:?}: {moved}"
    );
    assert_eq!(moved["from"], leader.to_string(), "{moved}");
    let to: u64 = moved["to"].as_str().unwrap().parse().unwrap();
    assert_ne!(to, leader);

    // Phase 3: it names the node serving it now and the new leader.
    let new_leader = wait_new_leader(cluster, leader).await;
    browser
        .wait_for(
            page,
            "the new node and leader on the moved console",
            &format!(
                "document.getElementById('serving-node').textContent === 'node {to}' && \
             document.querySelector('#cluster-leader').dataset.leaderId === '{new_leader}' && \
             document.getElementById('live').dataset.state === 'live'"
            ),
        )
        .await;

    // Phase 4: a report after the move reaches the board from the resumed
    // stream: read as a delta, the board never read whole again.
    let after = cluster
        .report(
            "console-after-move",
            "theft",
            LANDMARKS[1].1,
            LANDMARKS[1].2,
            1,
        )
        .await;
    cluster.wait_assigned(&after).await;
    browser
        .wait_for(
            page,
            "the report after the move on the moved console",
            &format!(
                "(() => {{ const m = {}; return m && m.units ? m : null; }})()",
                incident_marker(&after)
            ),
        )
        .await;
    assert_eq!(
        full_loads(browser, page).await,
        loads_before,
        "the board was read whole after the move"
    );
    new_leader
}

/// Presses the Kill button of `leader`'s row in `page`; returns when the
/// drill control has seen the process die.
async fn kill_from_console(
    browser: &mut Browser,
    page: &Page,
    cluster: &Cluster<DrillControl>,
    leader: u64,
) -> Instant {
    let button = format!("#members button.drill[data-node=\"{leader}\"][data-action=\"kill\"]");
    browser
        .wait_for(
            page,
            "the leader's Kill button",
            &format!("!!document.querySelector('{button}')"),
        )
        .await;
    let status = press_drill(browser, page, leader, "kill").await;
    assert!(
        status.contains(&format!("node {leader}: kill in")),
        "{status}"
    );
    cluster
        .wait("the drill control to report the leader killed", |_| {
            let processes = cluster.processes.processes().clone();
            async move {
                let node = processes.lock().await.process(leader)?;
                (node.state == ProcessState::Killed).then_some(())
            }
        })
        .await;
    Instant::now()
}
