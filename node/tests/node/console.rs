//! The web console in a real browser, against three real `cordon`
//! processes started as `cordon demo` starts them (with the drill control):
//! every page logs in by typing a bearer token into its login screen; the
//! page draws every unit and open incident from the API, its drawer shows a
//! verified audit trail and approves a plan, the leader is killed by
//! clicking the Kill button of its row in the cluster panel, its own console
//! moves to another member within 5 s and says so (`console/failover.rs`),
//! a surviving node's console shows the new leader and a newly reported
//! incident assigned, and the killed node is restarted from
//! the console. A viewer's page shows the records but no control, returns
//! to the login screen when its token is revoked, and a reporter's page
//! says it may only report. One console watched for 60 s of the demo's
//! load moves less than 1 MB (`console/bytes.rs`). A page of another site whose forms post
//! approve, resolve and cancel to a node is refused and changes nothing.
//! The dispatcher's hand (`console/hand.rs`): search opens an incident, the
//! report form reports one at a street found by name, and its drawer sends
//! a recommended unit and keeps a note.
//!
//! Headless Chromium is driven over the DevTools protocol on a pipe
//! (`--remote-debugging-pipe`), which lets the test wait for what the page
//! shows rather than for a fixed time: the console keeps an event stream
//! open, so Chromium's `--dump-dom` with a virtual-time budget would never
//! see the page settle. Screenshots and DOM dumps go to
//! `target/console-artifacts/`. Without `/usr/bin/chromium` the browser part
//! is skipped (and says so); every console asset is still checked.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use cordon_api::actors::ActorList;
use cordon_api::cluster::{ClusterStatus, StreetMap};
use cordon_api::coverage::Coverage;
use cordon_api::drills::{DrillDone, DrillOffer, NodeProcess, NodeProcesses};
use cordon_api::incidents::{Committed, Incident, Origin, ReportIncident};
use cordon_api::move_ups::MoveUpList;
use cordon_api::units::{UnitList, UnitStatusUpdate};
use cordon_api::ApiError;
use cordon_node::client::ApiClient;
use cordon_node::console::{ASSETS, CONSOLE_PATH};
use cordon_node::ctl::Operator;
use cordon_node::drill_control::DrillControl;
use cordon_node::local_cluster::{wait_ready, LocalClusterOptions, LocalProcesses, ProcessState};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::support::{Cluster, WAIT_MAX};

mod board;
mod bytes;
mod command;
mod duty;
mod failover;
mod field;
mod hand;
mod member;
mod public;

const CHROMIUM: &str = "/usr/bin/chromium";
/// Longest wait for one DevTools command's answer.
const CALL_TIMEOUT: Duration = Duration::from_secs(20);
/// Longest wait for the page to show something.
const PAGE_WAIT_MAX: Duration = Duration::from_secs(20);

/// The console's key for the token in the tab's `sessionStorage`.
const TOKEN_KEY: &str = "cordon.token";
/// JS: the buttons the page shows (rendered, not hidden), by id or class.
const VISIBLE_BUTTONS: &str = "[...document.querySelectorAll('button')]\
     .filter(b => b.getClientRects().length > 0).map(b => b.id || b.className)";

/// Landmarks in three stations' zones (WGS-84).
const LANDMARKS: [(&str, f64, f64); 3] = [
    ("console-nanjing-east", 31.2394, 121.4760),
    ("console-yuyuan", 31.2292, 121.4875),
    ("console-dapuqiao", 31.2122, 121.4644),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(clippy::too_many_lines, reason = "a test read as phases")]
async fn console_follows_the_cluster_in_a_browser_through_a_leader_kill() {
    // Phase 1: three processes; plans wait long enough for the browser to approve one.
    let cluster = start_cluster().await;
    let leader = wait_ready(&cluster.client, WAIT_MAX).await.unwrap();
    let leader_url = cluster.client.urls()[(leader - 1) as usize].clone();

    // Phase 2: every asset is served with its content type, by every node's
    // router, to anyone, while the API answers only a token; every node
    // offers node drills, and the drill control sees every node running.
    check_assets(&leader_url, cluster.token()).await;
    for index in 0..cluster.client.urls().len() {
        let drills: DrillOffer = cluster.client.get_from(index, "/v1/drills").await.unwrap();
        let offer = DrillOffer {
            actors: true,
            nodes: true,
        };
        assert_eq!(drills, offer, "node {}", index + 1);
    }
    let processes = control_nodes(&cluster).await;
    assert!(
        processes
            .iter()
            .all(|node| node.state == ProcessState::Running),
        "{processes:?}"
    );

    // Phase 3: a few incidents, assigned, and one major incident with a plan.
    let mut ordinary = Vec::new();
    for (request_id, lat, lon) in LANDMARKS {
        ordinary.push(cluster.report(request_id, "theft", lat, lon, 1).await);
    }
    let major = report_major(&cluster).await;
    for id in &ordinary {
        cluster.wait_assigned(id).await;
    }
    cluster.wait_plan(&major).await;

    let artifacts = artifacts_dir();
    let mut browser = Browser::launch(&artifacts).await;

    // Phase 4: the leader's console asks for a token, keeps it in the tab's
    // session storage only, names the caller, and draws every unit and open incident.
    let first = browser.open(&leader_url).await;
    let caller = browser.log_in(&first, cluster.token()).await;
    assert_eq!(caller, "node-tests (commander, drill, operator)");
    let kept = browser
        .eval(
            &first,
            &format!(
                "sessionStorage.getItem('{TOKEN_KEY}') === '{}' && localStorage.length === 0 && \
                 document.cookie === ''",
                cluster.token()
            ),
        )
        .await;
    assert_eq!(kept, true, "the token is kept in sessionStorage alone");
    let units = cluster
        .client
        .get::<UnitList>("/v1/units", 0)
        .await
        .unwrap();
    let unit_count = units.units.len();
    // Every unit is on the map, as its own marker or counted in a cluster
    // (the Bund's units crowd into clusters at the district's zoom).
    let drawn = browser
        .wait_for(&first, "every unit drawn", &format!(
            "(d => d.own.length + d.clustered.length >= {unit_count} && d) \
             ({{ own: [...document.querySelectorAll('#map .unit[data-id][data-status]')].map(n => [n.dataset.id, n.dataset.status]), \
                clustered: [...document.querySelectorAll('#map .cluster-units[data-ids]')].flatMap(c => c.dataset.ids.split(' ')) }})"
        ))
        .await;
    assert_units_match(&drawn, &units);
    // The coverage note and the gaps drawn are the API's answer (the units
    // stay put now: the incidents above were assigned before the page opened).
    let coverage = cluster
        .client
        .get::<Coverage>("/v1/coverage", 0)
        .await
        .unwrap();
    let gaps: usize = coverage.rings.iter().map(|ring| ring.gaps.len()).sum();
    let note = browser
        .wait_for(&first, "the coverage gaps and note from GET /v1/coverage", &format!(
            "document.querySelectorAll('#map .gap').length === {gaps} && \
             (({{dataset: d}}) => ({{ring3: Number(d.ring3Share), ring4: Number(d.ring4Share), promise4: Number(d.ring4Promise)}}))(document.getElementById('coverage-note'))"
        ))
        .await;
    assert_eq!(
        note["ring3"].as_f64(),
        Some(coverage.rings[0].demand_covered_share),
        "{note}"
    );
    assert_eq!(
        note["ring4"].as_f64(),
        Some(coverage.rings[1].demand_covered_share),
        "{note}"
    );
    assert_eq!(
        note["promise4"].as_f64(),
        Some(coverage.rings[1].ring_target_share),
        "{note}"
    );
    for id in &ordinary {
        // Assigned before the page opened, so the page and the API agree.
        let incident = cluster.incident(id).await;
        let marker = browser
            .wait_for(&first, &format!("{id} on the map"), &incident_marker(id))
            .await;
        let ring = incident.ring.map(|ring| ring.to_string());
        assert_eq!(marker["ring"].as_str(), ring.as_deref(), "{id}: {marker}");
        let unit = incident.units[0].as_str();
        assert!(
            marker["units"].as_str().unwrap().contains(unit),
            "{id}: {marker}"
        );
    }
    browser
        .wait_for(
            &first,
            "the major incident on the map",
            &incident_marker(&major),
        )
        .await;
    let panel = browser
        .wait_for(
            &first,
            "the cluster panel, every member up",
            &members_js("up", 3),
        )
        .await;
    assert_eq!(panel["leader"], leader.to_string(), "{panel}");
    let actors = cluster
        .client
        .get::<ActorList>("/v1/actors", 0)
        .await
        .unwrap();
    browser
        .wait_for(
            &first,
            "every actor placement listed",
            &format!(
            "document.querySelectorAll('#actors tr.actor[data-actor][data-node]').length === {}",
            actors.actors.len()
        ),
        )
        .await;
    browser
        .wait_for(
            &first,
            "the drill buttons of every member",
            "document.querySelectorAll('#members tr.member-drill button.drill[data-node][data-action]').length === 12 && \
             !document.querySelector('#drill-status').hidden",
        )
        .await;
    // The map draws every way of the street graph and writes the main
    // streets' names along them.
    let ways = cluster
        .client
        .get::<StreetMap>("/v1/district/streets", 0)
        .await
        .unwrap()
        .ways
        .len();
    let streets = browser
        .wait_for(&first, "the streets with their names", &format!("\
            (names => document.querySelectorAll('#map path.street[data-way]').length === {ways} && names.length > 15 && names) \
            ([...document.querySelectorAll('#map .street-name')].map(t => t.textContent))"))
        .await;
    let names: Vec<&str> = streets
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|name| name.as_str())
        .collect();
    assert!(names.contains(&"Xizang Middle Road"), "{names:?}");
    browser.save(&first, &artifacts, "1-leader-console").await;
    queue_at_1280x720(&mut browser, &first, &artifacts).await;

    // Phase 5: a viewer's console: a wrong token is refused with the node's
    // message; the viewer's token shows the records and the plan awaiting
    // its commander, but no control; when the token is revoked the page
    // returns to the login screen and says why; a reporter sees only that
    // it may report.
    viewer_and_reporter(&mut browser, &cluster, &leader_url, &major, &artifacts).await;

    // Phase 6: a page of another site whose forms post approve, resolve and
    // cancel to the node, as a browser sends them (its Origin, a form
    // content type, no token), is refused and changes nothing.
    cross_site_forms_refused(
        &mut browser,
        &cluster,
        &leader_url,
        [&ordinary[1], &ordinary[2], &major],
    )
    .await;

    // Phase 7: the drawer shows the major incident's verified audit trail, and approves its plan.
    approve_in_drawer(&mut browser, &first, &cluster, &major).await;
    browser.save(&first, &artifacts, "3-incident-drawer").await;
    browser.assert_clean(&first, &leader_url);

    // Phase 7a: an ordinary incident is resolved from its drawer with a
    // reason, which its audit trail keeps.
    resolve_in_drawer(&mut browser, &first, &cluster, &ordinary[0]).await;
    browser
        .save(&first, &artifacts, "3a-resolved-from-drawer")
        .await;

    // Phase 7b: ring 4's southern units go off duty; its move-up appears in
    // the move-up panel, the commander approves it there, and the map shows
    // the moved unit's post, then the unit at its post.
    move_up_in_console(&mut browser, &first, &cluster).await;
    browser.save(&first, &artifacts, "3b-move-up").await;

    // Phase 7c: the riverside's counts show it filling within the hour;
    // the crowd chart draws the counts, the forecast and the bands, the
    // forecaster's warning appears in the hazard register and on the map,
    // and the commander works it round the loop from the panel.
    crowd_and_hazards_in_console(&mut browser, &first, &cluster).await;
    browser
        .eval(
            &first,
            "document.getElementById('crowd-panel').scrollIntoView()",
        )
        .await;
    browser
        .save(&first, &artifacts, "3c-crowd-and-hazards")
        .await;

    // Phase 7d: a dispatcher's desk at 1280x720 (a dispatcher who may also
    // drill): the search box opens an incident by its number; the report
    // form reports a theft at a street found by name; its drawer sends a
    // recommended unit and keeps a note, both on the trail under the
    // dispatcher's name.
    let desk = hand::dispatchers_desk(&mut browser, &cluster, &leader_url).await;
    hand::search_opens_an_incident(&mut browser, &desk, &ordinary[1]).await;
    let reported = hand::report_from_the_form(&mut browser, &desk).await;
    hand::assign_and_note_from_the_drawer(
        &mut browser,
        &desk,
        &cluster,
        &reported,
        hand::DISPATCHER,
    )
    .await;
    browser
        .save(&desk, &artifacts, "3d-dispatch-from-the-drawer")
        .await;
    browser.assert_clean(&desk, &leader_url);

    // Phase 8: kill the leader with the Kill button of its row in the
    // dispatcher's console it serves; the answer arrives before the kill;
    // within 5 s the console says it moved to another member, then shows
    // the new leader and keeps following the cluster from the stream where
    // it left off.
    let new_leader =
        failover::console_moves_when_its_node_dies(&mut browser, &desk, &cluster, leader).await;
    browser
        .save(&desk, &artifacts, "3e-moved-after-leader-kill")
        .await;

    // Phase 9: a new incident is assigned and shows on the new leader's own console.
    let new_url = cluster.client.urls()[(new_leader - 1) as usize].clone();
    let after = cluster
        .report(
            "console-after-kill",
            "theft",
            LANDMARKS[0].1,
            LANDMARKS[0].2,
            1,
        )
        .await;
    cluster.wait_assigned(&after).await;
    let second = browser.open(&new_url).await;
    browser.log_in(&second, cluster.token()).await;
    let panel = browser
        .wait_for(&second, "the new leader in the cluster panel", &format!(
            "document.querySelector('#cluster-leader').dataset.leaderId === '{new_leader}' && \
             document.querySelector('tr.member[data-id=\"{leader}\"]')?.dataset.health === 'down' && ({})",
            members_js("", 3)
        ))
        .await;
    assert_eq!(panel["serving_role"], "leader", "{panel}");
    let marker = browser
        .wait_for(
            &second,
            "the new incident assigned",
            &format!(
                "(() => {{ const m = {}; return m && m.units ? m : null; }})()",
                incident_marker(&after)
            ),
        )
        .await;
    assert!(
        ["assigned", "en_route", "on_scene"].contains(&marker["status"].as_str().unwrap()),
        "{marker}"
    );
    browser
        .save(&second, &artifacts, "4-after-leader-kill")
        .await;
    browser.assert_clean(&second, &new_url);

    // Phase 10: the surviving follower's console names the same leader and
    // does not guess the rest; logging out forgets the token.
    let follower = [1, 2, 3]
        .into_iter()
        .find(|id| *id != leader && *id != new_leader)
        .unwrap();
    let third = browser
        .open(&cluster.client.urls()[(follower - 1) as usize].clone())
        .await;
    browser.log_in(&third, cluster.token()).await;
    browser
        .wait_for(&third, "the follower's console names the new leader", &format!(
            "document.querySelector('#cluster-leader').dataset.leaderId === '{new_leader}' && \
             document.querySelector('tr.member[data-id=\"{leader}\"]')?.dataset.health === 'unknown'"
        ))
        .await;
    browser
        .eval(&third, "document.querySelector('#logout').click()")
        .await;
    browser
        .wait_for(
            &third,
            "the login screen again, the token forgotten",
            &format!(
                "!document.querySelector('#login').hidden && document.querySelector('#console').hidden && \
                 sessionStorage.getItem('{TOKEN_KEY}') === null"
            ),
        )
        .await;

    // Phase 11: the killed node is restarted from the new leader's console and catches up.
    let status = press_drill(&mut browser, &second, leader, "restart").await;
    assert!(
        status.contains(&format!("node {leader}: restarted")),
        "{status}"
    );
    browser
        .wait_for(
            &second,
            "the restarted node up again",
            &format!(
                "document.querySelector('tr.member[data-id=\"{leader}\"]')?.dataset.health === 'up'"
            ),
        )
        .await;
    browser.save(&second, &artifacts, "5-after-restart").await;

    // Phase 12: the other drills through the API: pause and resume a
    // follower, a drill that does not fit the node's state, and partition,
    // which the demo cannot do and says so.
    let drill = |node: u64, action: &'static str| {
        let url = format!("{new_url}/v1/drills/nodes/{node}/{action}");
        let token = cluster.token().to_string();
        async move {
            let response = reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            let answer = if status == 200 {
                Ok(serde_json::from_str::<DrillDone>(&text).unwrap())
            } else {
                Err(serde_json::from_str::<ApiError>(&text).unwrap())
            };
            (status, answer)
        }
    };
    let (status, paused) = drill(follower, "pause").await;
    assert_eq!(
        (status, paused.map(|done| done.state)),
        (200, Ok(ProcessState::Paused))
    );
    let (status, resumed) = drill(follower, "resume").await;
    assert_eq!(
        (status, resumed.map(|done| done.state)),
        (200, Ok(ProcessState::Running))
    );
    let (status, refused) = drill(follower, "resume").await;
    let refused = refused.expect_err("resuming a running node is refused");
    assert_eq!(
        (status, refused.code.as_str()),
        (409, "wrong_state"),
        "{refused:?}"
    );
    let (status, refused) = drill(follower, "partition").await;
    let refused = refused.expect_err("the demo cannot partition");
    assert_eq!(
        (status, refused.code.as_str()),
        (501, "not_supported"),
        "{refused:?}"
    );
    assert!(refused.message.contains("nftables"), "{refused:?}");
    let (status, refused) = drill(9, "kill").await;
    let refused = refused.expect_err("there is no node 9");
    assert_eq!(
        (status, refused.code.as_str()),
        (404, "unknown_node"),
        "{refused:?}"
    );
    // Phase 13: the new leader's console, watched for 60 s of the demo's
    // load, moves less than 1 MB.
    bytes::console_moves_less_than_a_megabyte_a_minute(&mut browser, &second, &cluster, &artifacts)
        .await;
    eprintln!(
        "console test: leader {leader} killed from its console, new leader {new_leader}, \
         node {leader} restarted; artifacts in {}",
        artifacts.display()
    );
}

/// Presses the `action` drill button of node `node` in `page`; returns the
/// drill status line once it says the drill was done.
async fn press_drill(browser: &mut Browser, page: &Page, node: u64, action: &str) -> String {
    browser
        .eval(page, &format!(
            "document.querySelector('#members button.drill[data-node=\"{node}\"][data-action=\"{action}\"]').click()"
        ))
        .await;
    let status = browser
        .wait_for(
            page,
            &format!("the drill status line after {action}"),
            "\
            document.querySelector('#drill-status').dataset.state === 'done' && \
            document.querySelector('#drill-status').textContent",
        )
        .await;
    status.as_str().expect("the status line").to_owned()
}

async fn get_json<T: serde::de::DeserializeOwned>(url: &str) -> T {
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

/// The drill control's view of the node processes (`GET /nodes`).
async fn control_nodes(cluster: &Cluster<DrillControl>) -> Vec<NodeProcess> {
    let answer: NodeProcesses = get_json(&format!("{}/nodes", cluster.processes.url())).await;
    answer.nodes
}

/// Starts three nodes as `cordon demo` does (drill routes on, the drill
/// control's URL in their environment; plan auto-approval after 2 min) and
/// waits until every actor is placed and the roster is loaded.
async fn start_cluster() -> Cluster<DrillControl> {
    let dir = tempfile::tempdir().unwrap();
    let processes = LocalProcesses::start_with_drill_control(
        LocalClusterOptions {
            drills: true,
            ..LocalClusterOptions::new(env!("CARGO_BIN_EXE_cordon").as_ref(), dir.path(), 3)
        },
        |file| {
            // The page's node must stay leader until the test kills it: under
            // the load of Chromium beside another test's cluster on two
            // cores, a heartbeat can be 300 ms late (the default election
            // timeout) and a follower then takes over. A second or two is
            // what a busy machine needs; the test does not time elections.
            file.raft.election_timeout_ms_min = 1_000;
            file.raft.election_timeout_ms_max = 2_000;
            file.actors.plan_auto_approve_ms = 120_000;
            file.actors.move_up = cordon_config::MoveUpApproval::Commander;
            file.actors.move_up_interval_ms = 1_000;
            file.actors.forecast_interval_ms = 500;
        },
    )
    .await
    .unwrap();
    let urls = processes.processes().lock().await.api_urls();
    let client = ApiClient::new(urls, Duration::from_secs(20)).unwrap();
    wait_ready(&client, WAIT_MAX).await.unwrap();
    let token = processes
        .processes()
        .lock()
        .await
        .issue_token(crate::support::TEST_PRINCIPAL, crate::support::TEST_ROLES)
        .await
        .unwrap();
    let client = client.with_token(&token);
    cordon_node::local_cluster::wait_all_ready(&client, WAIT_MAX)
        .await
        .unwrap();
    let cluster = Cluster {
        processes,
        client,
        _dir: dir,
    };
    cluster
        .wait(
            "every actor placed and the roster loaded",
            |client| async move {
                let actors = client.get::<ActorList>("/v1/actors", 0).await.ok()?;
                let units = client.get::<UnitList>("/v1/units", 0).await.ok()?;
                (actors.actors.len() >= 31 && units.units.len() >= 100).then_some(())
            },
        )
        .await;
    cluster
}

/// Each asset answers anyone (no token) with its content type, its embedded
/// text and the content security policy; `/` and `/console` redirect to the
/// page; the API's own routes and its JSON 404 are untouched, and the API
/// answers only a bearer token.
async fn check_assets(base: &str, token: &str) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for asset in ASSETS {
        let response = http
            .get(format!("{base}{}", asset.path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", asset.path);
        let header = |name: &str| {
            response.headers()[name]
                .to_str()
                .unwrap_or_default()
                .to_string()
        };
        assert_eq!(header("content-type"), asset.content_type, "{}", asset.path);
        assert!(header("content-security-policy").contains("connect-src 'self'"));
        assert_eq!(response.text().await.unwrap(), asset.body, "{}", asset.path);
    }
    for path in ["/", "/console"] {
        let response = http.get(format!("{base}{path}")).send().await.unwrap();
        assert!(
            response.status().is_redirection(),
            "{path}: {}",
            response.status()
        );
        assert_eq!(response.headers()["location"], CONSOLE_PATH, "{path}");
    }
    let map = ASSETS
        .iter()
        .find(|asset| asset.path.ends_with("/map.js"))
        .unwrap();
    assert!(
        !map.body.contains("travelSeconds") && !map.body.contains("detour"),
        "the console must draw coverage from GET /v1/coverage, not estimate it"
    );
    let page = ASSETS[0].body;
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "the page names another host"
    );
    let missing = http
        .get(format!("{base}/console/missing.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.json::<ApiError>().await.unwrap().code, "no_route");
    let refused = http.get(format!("{base}/v1/cluster")).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(
        refused.json::<ApiError>().await.unwrap().code,
        "unauthenticated"
    );
    let cluster = http
        .get(format!("{base}/v1/cluster"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert!(!cluster
        .json::<ClusterStatus>()
        .await
        .unwrap()
        .members
        .is_empty());
}

/// A viewer's and a reporter's consoles on `base` (their tokens issued
/// here). A wrong token is refused with the node's message. The viewer sees
/// the records but no control, and is back on the login screen, told why,
/// once its token is revoked. The reporter sees only that it may report.
async fn viewer_and_reporter(
    browser: &mut Browser,
    cluster: &Cluster<DrillControl>,
    base: &str,
    major: &str,
    artifacts: &Path,
) {
    let (viewer_token, reporter_token, operator) = {
        let processes = cluster.processes.processes().lock().await;
        let viewer = processes.issue_token("viewer-wu", &["viewer"]).await;
        let reporter = processes
            .issue_token("gateway-110", &["reporter:emergency_call"])
            .await;
        let operator = Operator::connect(processes.cluster.clone());
        (viewer.unwrap(), reporter.unwrap(), operator.unwrap())
    };
    let page = browser.open(base).await;
    let unknown = format!("cordon1.{}.{}", "0".repeat(16), "0".repeat(64));
    let refused = browser.log_in_refused(&page, &unknown).await;
    assert!(refused.contains("is unknown"), "{refused}");
    browser.save(&page, artifacts, "2a-login-refused").await;

    viewer_sees_no_control(browser, &page, &viewer_token, major).await;
    browser.save(&page, artifacts, "2b-viewer-console").await;

    let token_id = viewer_token
        .split('.')
        .nth(1)
        .expect("a token reads cordon1.<id>.<secret>");
    operator
        .revoke_token(token_id, "the console test revokes the viewer")
        .await
        .unwrap();
    let reason = browser
        .wait_for(
            &page,
            "the login screen saying the token was revoked",
            &format!(
                "!document.querySelector('#login').hidden && \
                 sessionStorage.getItem('{TOKEN_KEY}') === null && \
                 document.querySelector('#login-error').textContent"
            ),
        )
        .await;
    let revoked = format!("token {token_id} was revoked");
    assert!(reason.as_str().unwrap().contains(&revoked), "{reason}");

    reporter_sees_note(browser, &page, &reporter_token).await;
    browser.save(&page, artifacts, "2c-reporter-note").await;
}

/// Logs in as the viewer: the header names it, the page draws the records,
/// and the major incident's drawer shows the plan awaiting a commander, but
/// the only buttons shown are "Log out" and the drawer's close.
async fn viewer_sees_no_control(browser: &mut Browser, page: &Page, token: &str, major: &str) {
    let caller = browser.log_in(page, token).await;
    assert_eq!(caller, "viewer-wu (viewer)");
    browser
        .wait_for(
            page,
            "the viewer's console: the major incident and every member",
            &format!("({}) && ({})", incident_marker(major), members_js("up", 3)),
        )
        .await;
    open_drawer_from_map(browser, page, major).await;
    browser
        .wait_for(
            page,
            "the drawer with the plan awaiting a commander",
            "document.querySelector('#timeline-verified')?.dataset.verified === 'true' && \
             document.querySelector('#plan-status')?.dataset.approved === 'false'",
        )
        .await;
    let buttons = browser.eval(page, VISIBLE_BUTTONS).await;
    assert_eq!(
        buttons,
        json!(["logout", "drawer-close"]),
        "a viewer is offered no approve, resolve, cancel, status or drill control"
    );
}

/// Logs in as the reporter: the header names it, and the page shows only
/// the note that it may report, with "Log out".
async fn reporter_sees_note(browser: &mut Browser, page: &Page, token: &str) {
    let caller = browser.log_in(page, token).await;
    assert_eq!(caller, "gateway-110 (reporter:emergency_call)");
    let note = browser
        .wait_for(
            page,
            "the note that a reporter may only report",
            "document.querySelector('#console').hidden && \
             !document.querySelector('#report-only').hidden && \
             document.querySelector('#report-only').textContent",
        )
        .await;
    assert!(
        note.as_str()
            .unwrap()
            .contains("gateway-110 may report incidents but not read them"),
        "{note}"
    );
    let buttons = browser.eval(page, VISIBLE_BUTTONS).await;
    assert_eq!(buttons, json!(["logout"]));
}

/// A page of another site (served here, on 127.0.0.2) whose forms post to
/// `base` as soon as it loads, one form a load: resolve and cancel two open
/// incidents and approve the major incident's plan, each in both content
/// types a page may send across sites unasked. Chromium sends every post
/// and shows the node's refusal (see [`form_post_refused`]); through the
/// API the incidents are unchanged: same status, version and timeline, no
/// plan approved.
async fn cross_site_forms_refused(
    browser: &mut Browser,
    cluster: &Cluster<DrillControl>,
    base: &str,
    [resolved, cancelled, major]: [&str; 3],
) {
    let mut before: Vec<Incident> = Vec::new();
    for id in [resolved, cancelled, major] {
        before.push(cluster.incident(id).await);
    }
    let plan = before[2].plan.as_ref().expect("the major incident's plan");
    assert_eq!(
        plan.approved_index, None,
        "the plan must await approval here"
    );
    let paths = [
        format!("/v1/incidents/{resolved}/resolve"),
        format!("/v1/incidents/{cancelled}/cancel"),
        format!("/v1/plans/{major}/approve"),
    ];
    // Each form's action has its own query (the routes ignore it), so that
    // the tab's URL says whose answer it shows.
    let forms: Vec<(String, &str)> = paths
        .iter()
        .flat_map(|path| ["text/plain", "application/x-www-form-urlencoded"].map(|e| (path, e)))
        .enumerate()
        .map(|(n, (path, enctype))| (format!("{base}{path}?form={n}"), enctype))
        .collect();
    let (origin, server) = serve_page(forms_page(&forms)).await;
    let tab = browser.open(&origin).await;
    for (n, (action, enctype)) in forms.iter().enumerate() {
        let url = format!("{origin}/?form{n}");
        browser
            .call(Some(&tab), "Page.navigate", json!({ "url": url }))
            .await;
        form_post_refused(browser, &tab, &origin, action, enctype).await;
    }
    let _ = browser.try_call(Some(&tab), "Page.close", json!({})).await;
    server.abort();

    for old in &before {
        let now = cluster.incident(&old.id).await;
        assert!(
            !["resolved", "cancelled"].contains(&now.status.as_str()),
            "{now:#?}"
        );
        assert_eq!(
            (&now.status, now.version, now.timeline.len()),
            (&old.status, old.version, old.timeline.len()),
            "{} changed: {now:#?}",
            old.id
        );
    }
    let now = cluster.incident(major).await;
    assert_eq!(now.plan.and_then(|plan| plan.approved_index), None);
    eprintln!(
        "console test: {} form posts from {origin} sent by Chromium, each answered \
         403 origin_refused; {resolved}, {cancelled} and {major}'s plan unchanged",
        forms.len()
    );
}

/// The other site's page: a form `form<n>` for each (action, enctype), and
/// a script that submits the one its query names (`?form3`) as it loads.
/// A text/plain form's body is JSON (`{"reason":…,"pad":"="}`), as a forger
/// of a JSON API would make it.
fn forms_page(forms: &[(String, &str)]) -> String {
    let mut page = String::from("<!doctype html><title>another site</title>");
    for (n, (action, enctype)) in forms.iter().enumerate() {
        let field = if *enctype == "text/plain" {
            r#"<input name='{"reason":"forged by another site","pad":"' value='"}'>"#
        } else {
            r#"<input name="reason" value="forged by another site">"#
        };
        page += &format!(
            r#"<form id="form{n}" method="post" action="{action}" enctype="{enctype}">{field}</form>"#
        );
    }
    page + "<script>const form = document.getElementById(location.search.slice(1)); \
            if (form) form.submit();</script>"
}

/// Waits until `tab` shows the node's answer to the form post to `action`
/// (a new document at that URL): 403 `origin_refused` naming `origin`; and
/// checks that Chromium reports having sent it, a POST with the form's
/// content type, `origin`'s Origin, a body and no token, answered 403.
async fn form_post_refused(
    browser: &mut Browser,
    tab: &Page,
    origin: &str,
    action: &str,
    enctype: &str,
) {
    let shown = browser
        .wait_for(
            tab,
            &format!("the node's answer to the {enctype} post to {action}"),
            &format!("location.href === '{action}' && document.querySelector('pre')?.textContent"),
        )
        .await;
    let refusal: ApiError = serde_json::from_str(shown.as_str().unwrap())
        .unwrap_or_else(|error| panic!("{action}: {error}: {shown}"));
    assert_eq!(refusal.code, "origin_refused", "{action}: {refusal:?}");
    let named = format!("Origin \"{origin}\"");
    assert!(refusal.message.contains(&named), "{action}: {refusal:?}");

    let of_tab = |event: &&Value, method: &str| {
        event["sessionId"] == tab.session.as_str() && event["method"] == method
    };
    let sent = (browser.events.iter())
        .find(|e| of_tab(e, "Network.requestWillBeSent") && e["params"]["request"]["url"] == action)
        .unwrap_or_else(|| panic!("Chromium reports no request to {action}"));
    let request = &sent["params"]["request"];
    let headers = request["headers"].as_object().unwrap();
    assert_eq!(request["method"], "POST", "{sent}");
    assert_eq!(request["hasPostData"], true, "{sent}");
    let content_type = headers["Content-Type"].as_str().unwrap_or_default();
    assert!(content_type.starts_with(enctype), "{sent}");
    assert_eq!(headers["Origin"], origin, "{sent}");
    let token = headers
        .keys()
        .any(|name| name.eq_ignore_ascii_case("authorization"));
    assert!(!token, "{sent}");
    if enctype == "text/plain" {
        let body = request["postData"].as_str().unwrap_or_default();
        let json = serde_json::from_str::<Value>(body);
        assert!(json.is_ok_and(|body| body.is_object()), "{sent}");
    }
    let answered = (browser.events.iter())
        .find(|e| {
            of_tab(e, "Network.responseReceived")
                && e["params"]["requestId"] == sent["params"]["requestId"]
        })
        .unwrap_or_else(|| panic!("Chromium reports no answer to {action}"));
    assert_eq!(answered["params"]["response"]["status"], 403, "{answered}");
}

/// Serves `page` as HTML to every `GET /` (with any query) on 127.0.0.2,
/// another site than the nodes' 127.0.0.1; returns its origin and the task
/// to abort when done.
async fn serve_page(page: String) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.2:0")
        .await
        .expect("listen on 127.0.0.2 (loopback)");
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let page = std::sync::Arc::new(page);
    let server = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let page = page.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut chunk = [0u8; 1024];
                while !head.windows(4).any(|window| window == b"\r\n\r\n") {
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(read) => head.extend_from_slice(&chunk[..read]),
                    }
                }
                let (status, body) = if head.starts_with(b"GET / ") || head.starts_with(b"GET /?") {
                    ("200 OK", page.as_str())
                } else {
                    ("404 Not Found", "")
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    (origin, server)
}

async fn report_major(cluster: &Cluster<DrillControl>) -> String {
    let report = ReportIncident {
        request_id: Some("console-major".into()),
        kind: Some("crowd_crush".into()),
        priority: Some(9),
        force_level: Some(7),
        lat: 31.2422,
        lon: 121.4858,
        channel: None,
        description: Some("crowd surge on the river wall <script>not code</script>".into()),
    };
    cluster.client.report(&report, 0).await.unwrap().incident_id
}

/// Posts a day of Bund counts that rose at this time yesterday; waits for
/// the chart (counts, forecast, both bands) and the forecaster's warning in
/// the register (pushed to the Bund station at once) and on the map;
/// confirms it, pre-positions the nearest free patrol and clears it with
/// the panel's buttons, checking the API's trail after each.
async fn crowd_and_hazards_in_console(
    browser: &mut Browser,
    page: &Page,
    cluster: &Cluster<DrillControl>,
) {
    let token = cluster
        .processes
        .processes()
        .lock()
        .await
        .issue_token("risk-platform", &["reporter:risk_warning"])
        .await
        .unwrap();
    crate::support::post_a_day_that_rose_now(&cluster.client.clone().with_token(&token)).await;
    browser
        .eval(page, "document.getElementById('drawer-close').click()")
        .await;
    browser
        .wait_for(page, "the crowd chart with its forecast and bands", "\
            document.querySelector('#crowd-chart polyline[data-series=forecast]')?.getAttribute('points')?.length > 10 && \
            document.querySelector('#crowd-chart polyline[data-series=counts]') && \
            document.querySelectorAll('#crowd-chart line[data-band]').length === 2")
        .await;
    let id = browser
        .wait_for(page, "the forecaster's warning in the register and on the map", "\
            (li => li && document.querySelector(`#map .hazard[data-hazard=\"${li.dataset.hazard}\"]`) && Number(li.dataset.hazard)) \
            (document.querySelector('#hazard-list li[data-area=bund-riverside][data-stage=verifying]'))")
        .await
        .as_u64()
        .expect("a hazard id");
    for (verb, stage) in [
        ("confirm", "confirmed"),
        ("pre_position", "in_hand"),
        ("clear", "cleared"),
    ] {
        browser
            .eval(page, &format!(
                "document.querySelector('#hazard-list li[data-hazard=\"{id}\"] button[data-verb={verb}]').click()"
            ))
            .await;
        browser
            .wait_for(page, &format!("the hazard {stage}"), &format!(
                "document.querySelector('#hazard-list li[data-hazard=\"{id}\"]')?.dataset.stage === '{stage}'"
            ))
            .await;
    }
    let list = cluster
        .client
        .get::<cordon_api::hazards::HazardList>("/v1/hazards", 0)
        .await
        .unwrap();
    let hazard = list.hazards.iter().find(|h| h.id == id).unwrap();
    let stages: Vec<&str> = hazard.trail.iter().map(|s| s.stage.as_str()).collect();
    assert_eq!(
        stages,
        ["detected", "verifying", "confirmed", "in_hand", "cleared"]
    );
    assert!(hazard.trail[3].by.contains(crate::support::TEST_PRINCIPAL));
    let measure = &hazard.measures[0];
    assert_eq!(measure.kind, "pre_position");
    assert!(measure.unit_id.is_some(), "{:?}", hazard.measures);
}

/// Takes ring 4's available southern units off duty, approves the ring's
/// move-up from the console's panel, checks the API gave the units their
/// posts and that the map shows each post, with a dashed line while the
/// unit is away and none once it reports from there; then puts the
/// southern units back on duty.
async fn move_up_in_console(browser: &mut Browser, page: &Page, cluster: &Cluster<DrillControl>) {
    let south = cluster
        .unit_ids(|unit| unit.ring == 4 && unit.lat < 31.215 && unit.status == "available")
        .await;
    crate::support::set_status(&cluster.client, &south, "out_of_service").await;
    let proposed = browser
        .wait_for(page, "ring 4's move-up awaiting approval", "\
            (li => li && li.querySelector('button[data-verb=approve]') && Number(li.dataset.moveUp)) \
            (document.querySelector('#move-up-list li[data-ring=\"4\"][data-status=proposed]'))")
        .await;
    let id = proposed.as_u64().expect("a move-up id");
    browser
        .eval(page, &format!(
            "document.querySelector('#move-up-list li[data-move-up=\"{id}\"] button[data-verb=approve]').click()"
        ))
        .await;
    browser
        .wait_for(page, "the move-up shown approved", &format!(
            "document.querySelector('#move-up-list li[data-move-up=\"{id}\"]')?.dataset.status === 'approved'"
        ))
        .await;
    let list = cluster
        .client
        .get::<MoveUpList>("/v1/move-ups", 0)
        .await
        .unwrap();
    let move_up = list.move_ups.iter().find(|m| m.id == id).unwrap();
    assert_eq!(move_up.status, "approved", "{move_up:?}");
    assert!(move_up
        .decided_by
        .as_deref()
        .unwrap()
        .contains(crate::support::TEST_PRINCIPAL));
    for line in &move_up.lines {
        let unit = &line.unit_id;
        let shown = browser
            .wait_for(
                page,
                &format!("{unit}'s post and the way there"),
                &format!(
                    "document.querySelector('#map .post[data-unit=\"{unit}\"]') && \
                 document.querySelector('#map .post-link[data-unit=\"{unit}\"]') && \
                 {}?.dataset.post",
                    reveal_js("unit", unit)
                ),
            )
            .await;
        assert_eq!(shown.as_str(), Some(line.post_name.as_str()), "{unit}");
        let arrived = UnitStatusUpdate::new("available").at(line.lat, line.lon);
        cluster
            .client
            .post::<Committed>(&format!("/v1/units/{unit}/status"), &arrived, 0)
            .await
            .unwrap();
        browser
            .wait_for(
                page,
                &format!("{unit} at its post"),
                &format!(
                    "document.querySelector('#map .post[data-unit=\"{unit}\"]') && \
                 !document.querySelector('#map .post-link[data-unit=\"{unit}\"]')"
                ),
            )
            .await;
    }
    crate::support::set_status(&cluster.client, &south, "available").await;
}

/// Opens the major incident's drawer by clicking its marker, checks the
/// audit trail against the API, clicks "Approve plan" and sees the ledger
/// record the approval from this API client.
/// At 1280x720 the incident queue is on screen with room for at least ten
/// rows, every open incident's row inside it; the window goes back to
/// 1400x900 after a screenshot.
async fn queue_at_1280x720(browser: &mut Browser, page: &Page, artifacts: &std::path::Path) {
    browser.viewport(page, 1280, 720, false).await;
    let queue = browser
        .wait_for(page, "the queue on screen at 1280x720", "\
            (box => box.top >= 0 && box.bottom <= innerHeight && innerWidth === 1280 && ({ \
              height: box.height, \
              row: document.querySelector('#incident-list tbody tr')?.getBoundingClientRect().height, \
              rows: document.querySelectorAll('#incident-list tbody tr').length })) \
            (document.querySelector('#incidents-panel .scroll').getBoundingClientRect())")
        .await;
    let row = queue["row"].as_f64().expect("a row");
    let height = queue["height"].as_f64().unwrap();
    assert!(height >= 10.0 * row, "{queue}");
    browser.save(page, artifacts, "1b-queue-at-1280x720").await;
    browser.viewport(page, 1400, 900, false).await;
}

/// Clicks incident `id`'s marker on the map, which opens its drawer.
async fn open_drawer_from_map(browser: &mut Browser, page: &Page, id: &str) {
    browser
        .wait_for(
            page,
            &format!("{id}'s own marker, clicked"),
            &format!(
                "(n => n && (n.dispatchEvent(new MouseEvent('click', {{ bubbles: true }})), true))({})",
                reveal_js("incident", id)
            ),
        )
        .await;
}

/// Opens incident `id`'s drawer from the map, types a reason and presses
/// Resolve; waits for the drawer to show it resolved and checks the API's
/// trail ends with the resolution and its reason.
async fn resolve_in_drawer(
    browser: &mut Browser,
    page: &Page,
    cluster: &Cluster<DrillControl>,
    id: &str,
) {
    open_drawer_from_map(browser, page, id).await;
    browser
        .wait_for(page, "the drawer's Resolve button", &format!(
            "document.querySelector('#drawer-body')?.dataset.id === '{id}' && !!document.querySelector('#resolve-incident')"
        ))
        .await;
    browser
        .eval(page, "document.getElementById('close-reason').value = 'wallet found, returned to its owner'; \
            document.getElementById('resolve-incident').click()")
        .await;
    browser
        .wait_for(
            page,
            "the drawer showing it resolved",
            "\
            document.querySelector('#drawer-body')?.dataset.status === 'resolved'",
        )
        .await;
    let incident = cluster.incident(id).await;
    assert_eq!(incident.status, "resolved");
    let last = incident.timeline.last().expect("a timeline");
    assert!(
        last.reason.contains("wallet found, returned to its owner"),
        "{last:?}"
    );
}

async fn approve_in_drawer(
    browser: &mut Browser,
    page: &Page,
    cluster: &Cluster<DrillControl>,
    id: &str,
) {
    open_drawer_from_map(browser, page, id).await;
    let drawer = browser
        .wait_for(page, "the drawer with a verified chain and the approve button", "\
            document.querySelector('#timeline-verified')?.dataset.verified === 'true' && \
            document.querySelector('#approve-plan') && ({ \
              steps: [...document.querySelectorAll('#timeline tr.timeline-entry')].map(r => r.dataset.step), \
              description: document.querySelector('#drawer .description')?.textContent, \
              scripts: document.querySelectorAll('#drawer script').length, \
              cordon: document.querySelectorAll('#plan-cordon li').length, \
              facilities: document.querySelectorAll('#plan-facilities li').length, \
              short: document.querySelector('#plan-short')?.dataset.unitsShort })")
        .await;
    let incident = cluster.incident(id).await;
    // The drawer shows the whole plan: its cordon points, hospitals and safe
    // houses, and the commander's "short of N units" marker.
    let plan = incident.plan.as_ref().expect("a plan");
    assert!(!plan.cordon_points.is_empty(), "{plan:#?}");
    assert_eq!(drawer["cordon"], plan.cordon_points.len(), "{drawer}");
    assert_eq!(drawer["facilities"], plan.facilities.len(), "{drawer}");
    assert_eq!(drawer["short"], plan.units_short.to_string(), "{drawer}");
    let steps: Vec<&str> = drawer["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(steps.first(), Some(&"reported"), "{drawer}");
    assert!(steps.contains(&"plan_proposed"), "{drawer}");
    assert!(steps.len() <= incident.timeline.len());
    // The reporter's free text is shown as text, never run as markup.
    assert_eq!(drawer["scripts"], 0);
    assert!(drawer["description"].as_str().unwrap().contains("<script>"));
    browser
        .eval(page, "document.querySelector('#approve-plan').click()")
        .await;
    browser
        .wait_for(
            page,
            "the plan shown approved",
            "\
            document.querySelector('#plan-status')?.dataset.approved === 'true'",
        )
        .await;
    let approved = cluster.incident(id).await;
    assert!(
        approved
            .plan
            .as_ref()
            .is_some_and(|plan| plan.approved_index.is_some()),
        "{approved:#?}"
    );
    let entry = approved
        .timeline
        .iter()
        .find(|entry| entry.step == "plan_approved")
        .expect("a plan_approved step");
    assert!(matches!(entry.origin, Origin::Api { .. }), "{entry:?}");
}

async fn wait_new_leader(cluster: &Cluster<DrillControl>, old: u64) -> u64 {
    cluster
        .wait("a new leader", |client| async move {
            for index in 0..client.urls().len() {
                if index as u64 + 1 == old {
                    continue;
                }
                let status = client
                    .get_from::<ClusterStatus>(index, "/v1/cluster")
                    .await
                    .ok()?;
                if status.role == "leader" {
                    return Some(status.node_id);
                }
            }
            None
        })
        .await
}

/// JS: the incident's marker as {status, ring, units}, or null.
fn incident_marker(id: &str) -> String {
    format!(
        "(() => {{ const n = {}; \
         return n && n.dataset.status && {{ status: n.dataset.status, ring: n.dataset.ring, units: n.dataset.units }}; }})()",
        reveal_js("incident", id)
    )
}

/// JS: the map marker of the incident or unit (`kind`) `id`, or null while
/// it is inside a cluster, which this clicks, as a dispatcher would, to zoom
/// in on it; polled, it reaches the marker.
fn reveal_js(kind: &str, id: &str) -> String {
    format!(
        "(() => {{ const own = document.querySelector('#map .{kind}[data-id=\"{id}\"]'); if (own) return own; \
         document.querySelector('#map .cluster[data-ids~=\"{id}\"]')?.dispatchEvent(new MouseEvent('click', {{ bubbles: true }})); \
         return null; }})()"
    )
}

/// JS: the cluster panel once it lists `count` members (all with `health`
/// unless empty): {leader, serving_role, members}, or null.
fn members_js(health: &str, count: usize) -> String {
    format!(
        "(() => {{ const rows = [...document.querySelectorAll('#members tr.member[data-id][data-role][data-health]')]; \
         if (rows.length !== {count}) return null; \
         if ('{health}' && !rows.every(r => r.dataset.health === '{health}')) return null; \
         return {{ leader: document.querySelector('#cluster-leader').dataset.leaderId, \
                  serving_role: document.querySelector('#serving-role').textContent, \
                  members: rows.map(r => [r.dataset.id, r.dataset.role, r.dataset.health]) }}; }})()"
    )
}

/// Checks the map's units, `{own: [[id, status]], clustered: [id]}`,
/// against the API's: each unit once, a marker's status a real one, and
/// both kinds present (clustering happens, and not to everything).
fn assert_units_match(drawn: &Value, units: &UnitList) {
    let statuses = [
        "available",
        "dispatched",
        "acknowledged",
        "en_route",
        "on_scene",
        "transporting",
        "returning",
        "out_of_service",
    ];
    let own = drawn["own"].as_array().unwrap();
    let clustered = drawn["clustered"].as_array().unwrap();
    assert!(!own.is_empty() && !clustered.is_empty(), "{drawn}");
    let mut drawn_ids: Vec<&str> = own
        .iter()
        .map(|pair| {
            assert!(statuses.contains(&pair[1].as_str().unwrap()), "{pair}");
            pair[0].as_str().unwrap()
        })
        .chain(clustered.iter().map(|id| id.as_str().unwrap()))
        .collect();
    let mut api_ids: Vec<&str> = units.units.iter().map(|unit| unit.id.as_str()).collect();
    drawn_ids.sort_unstable();
    api_ids.sort_unstable();
    assert_eq!(drawn_ids, api_ids);
}

fn artifacts_dir() -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target tmp folder sits in the target folder");
    let dir = target.join("console-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A page (tab) of the browser, attached in flat mode.
struct Page {
    session: String,
}

/// Headless Chromium driven over the DevTools protocol on a pipe: commands
/// are JSON written to its fd 3, answers and events JSON read from its fd 4,
/// each message ended by a NUL byte.
struct Browser {
    child: Child,
    commands: ChildStdin,
    messages: mpsc::UnboundedReceiver<Value>,
    /// Events kept for the checks: requests sent and answered, exceptions,
    /// console errors.
    events: Vec<Value>,
    next_id: u64,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts Chromium; a machine without it fails the test, naming the
    /// package to install (a browser test never passes by skipping).
    async fn launch(artifacts: &Path) -> Browser {
        assert!(
            Path::new(CHROMIUM).exists(),
            "the browser tests need {CHROMIUM}: install it with `apt-get install -y chromium`"
        );
        let profile = tempfile::tempdir().unwrap();
        let log = std::fs::File::create(artifacts.join("chromium.log")).unwrap();
        // The shell hands our stdin and stdout pipes to Chromium as fds 3
        // and 4, where --remote-debugging-pipe expects them.
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(r#"exec "$0" "$@" 3<&0 4>&1 0</dev/null 1>/dev/null"#)
            .arg(CHROMIUM)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--hide-scrollbars",
                "--window-size=1400,900",
                "--remote-debugging-pipe",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("start chromium");
        let commands = child.stdin.take().unwrap();
        let mut answers = BufReader::new(child.stdout.take().unwrap());
        let (sender, messages) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut message = Vec::new();
            while answers.read_until(0, &mut message).await.unwrap_or(0) > 0 {
                message.pop();
                if let Ok(value) = serde_json::from_slice::<Value>(&message) {
                    if sender.send(value).is_err() {
                        break;
                    }
                }
                message.clear();
            }
        });
        Browser {
            child,
            commands,
            messages,
            events: Vec::new(),
            next_id: 0,
            _profile: profile,
        }
    }

    /// Sends one command and waits for its answer, keeping events aside.
    async fn call(&mut self, page: Option<&Page>, method: &str, params: Value) -> Value {
        self.try_call(page, method, params)
            .await
            .unwrap_or_else(|error| panic!("{method}: {error}"))
    }

    /// Sends one command and waits for its answer, or the error Chromium
    /// answered instead, keeping events aside.
    async fn try_call(
        &mut self,
        page: Option<&Page>,
        method: &str,
        params: Value,
    ) -> Result<Value, Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(page) = page {
            message["sessionId"] = json!(page.session);
        }
        let mut bytes = serde_json::to_vec(&message).unwrap();
        bytes.push(0);
        self.commands
            .write_all(&bytes)
            .await
            .expect("write to chromium");
        let deadline = Instant::now() + CALL_TIMEOUT;
        loop {
            let message = tokio::time::timeout_at(deadline, self.messages.recv())
                .await
                .unwrap_or_else(|_| {
                    panic!("chromium did not answer {method} within {CALL_TIMEOUT:?}")
                })
                .unwrap_or_else(|| {
                    panic!("chromium closed its pipe during {method}: see chromium.log")
                });
            if message["id"] == id {
                if let Some(error) = message.get("error") {
                    return Err(error.clone());
                }
                return Ok(message["result"].clone());
            }
            let kept = [
                "Network.requestWillBeSent",
                "Network.responseReceived",
                "Network.dataReceived",
                "Network.loadingFinished",
                "Runtime.exceptionThrown",
                "Runtime.consoleAPICalled",
                "Log.entryAdded",
            ];
            if kept.contains(&message["method"].as_str().unwrap_or_default()) {
                self.events.push(message);
            }
        }
    }

    /// Opens `base`'s console in a new 1400x900 tab.
    async fn open(&mut self, base: &str) -> Page {
        let target = self
            .call(None, "Target.createTarget", json!({ "url": "about:blank" }))
            .await;
        let attached = self
            .call(
                None,
                "Target.attachToTarget",
                json!({ "targetId": target["targetId"], "flatten": true }),
            )
            .await;
        let page = Page {
            session: attached["sessionId"].as_str().unwrap().to_string(),
        };
        for domain in [
            "Page.enable",
            "Runtime.enable",
            "Network.enable",
            "Log.enable",
        ] {
            self.call(Some(&page), domain, json!({})).await;
        }
        self.viewport(&page, 1400, 900, false).await;
        self.call(
            Some(&page),
            "Page.navigate",
            json!({ "url": format!("{base}/") }),
        )
        .await;
        page
    }

    /// A new tab on `base`'s console at `width` x `height` (a phone when
    /// `mobile`), logged in with `token`.
    async fn signed_in(
        &mut self,
        base: &str,
        token: &str,
        (width, height): (u32, u32),
        mobile: bool,
    ) -> Page {
        let page = self.open(base).await;
        self.viewport(&page, width, height, mobile).await;
        self.log_in(&page, token).await;
        page
    }

    /// Opens incident `id`'s drawer by clicking its row in the queue, once
    /// the row is there.
    async fn open_from_queue(&mut self, page: &Page, id: &str) {
        let open = format!(
            "(row => row && (row.click(), true))(document.querySelector('#incident-list tr[data-id=\"{id}\"]'))"
        );
        self.wait_for(page, &format!("{id} in the queue, opened"), &open)
            .await;
    }

    /// Sets the page's window to `width` x `height` CSS pixels, as a phone
    /// (touch, mobile layout) when `mobile`.
    async fn viewport(&mut self, page: &Page, width: u32, height: u32, mobile: bool) {
        let size =
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile });
        self.call(Some(page), "Emulation.setDeviceMetricsOverride", size)
            .await;
    }

    /// Evaluates `expression` in the page and returns its value.
    async fn eval(&mut self, page: &Page, expression: &str) -> Value {
        let answer = self
            .call(
                Some(page),
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true }),
            )
            .await;
        if let Some(exception) = answer.get("exceptionDetails") {
            panic!("evaluating {expression}: {exception}");
        }
        answer["result"]["value"].clone()
    }

    /// Re-evaluates `expression` until it yields something other than
    /// null/false (the page updates itself; this waits for it), and returns
    /// it. A page that reloads (a 401 ends its session) may have no context
    /// to evaluate in for a moment: that is "not yet" too.
    async fn wait_for(&mut self, page: &Page, what: &str, expression: &str) -> Value {
        let give_up = Instant::now() + PAGE_WAIT_MAX;
        loop {
            let answer = self
                .try_call(
                    Some(page),
                    "Runtime.evaluate",
                    json!({ "expression": expression, "returnByValue": true }),
                )
                .await
                .unwrap_or_else(|error| json!({ "exceptionDetails": error }));
            let value = &answer["result"]["value"];
            if answer.get("exceptionDetails").is_none()
                && !value.is_null()
                && value.as_bool() != Some(false)
            {
                return value.clone();
            }
            if Instant::now() > give_up {
                let dom = self.eval(page, "document.body.outerHTML").await;
                std::fs::write(
                    artifacts_dir().join("timeout.html"),
                    dom.as_str().unwrap_or_default(),
                )
                .unwrap();
                let thrown: Vec<&Value> = self
                    .events
                    .iter()
                    .filter(|event| {
                        event["sessionId"] == page.session.as_str()
                            && (event["method"] == "Runtime.exceptionThrown"
                                || event["params"]["type"] == "error")
                    })
                    .collect();
                panic!("timed out waiting for {what}: the page is in target/console-artifacts/timeout.html; last answer {answer}; the page's errors {thrown:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Types `token` into the login screen's password field and clicks "Log in".
    async fn submit_token(&mut self, page: &Page, token: &str) {
        self.wait_for(
            page,
            "the login screen",
            "!document.querySelector('#login').hidden",
        )
        .await;
        self.eval(
            page,
            "document.querySelector('#login-token').value = ''; \
             document.querySelector('#login-token').focus()",
        )
        .await;
        self.call(Some(page), "Input.insertText", json!({ "text": token }))
            .await;
        self.wait_for(
            page,
            "the token typed",
            &format!(
                "document.querySelector('#login-token').value.length === {}",
                token.len()
            ),
        )
        .await;
        self.eval(page, "document.querySelector('#login-button').click()")
            .await;
    }

    /// Tries to log in on `page` with `token`, which the node refuses;
    /// returns the reason the login screen then shows.
    async fn log_in_refused(&mut self, page: &Page, token: &str) -> String {
        self.submit_token(page, token).await;
        let reason = self
            .wait_for(
                page,
                "the login screen saying why the token is refused",
                "!document.querySelector('#login-error').hidden && \
                 document.querySelector('#login-error').textContent",
            )
            .await;
        reason.as_str().unwrap().to_string()
    }

    /// Logs in on `page`'s login screen with `token`; returns the caller as
    /// the header then names it, `name (roles)`.
    async fn log_in(&mut self, page: &Page, token: &str) -> String {
        self.submit_token(page, token).await;
        let caller = self
            .wait_for(
                page,
                "the header naming the caller",
                "document.querySelector('#login').hidden && \
                 !document.querySelector('#principal').hidden && \
                 document.querySelector('#principal-name').textContent",
            )
            .await;
        caller.as_str().unwrap().to_string()
    }

    /// Saves a PNG screenshot and the DOM as `console-<name>.png/.html`.
    async fn save(&mut self, page: &Page, dir: &Path, name: &str) {
        let shot = self
            .call(
                Some(page),
                "Page.captureScreenshot",
                json!({ "format": "png" }),
            )
            .await;
        let png = base64_decode(shot["data"].as_str().unwrap());
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        std::fs::write(dir.join(format!("console-{name}.png")), png).unwrap();
        let dom = self.eval(page, "document.documentElement.outerHTML").await;
        std::fs::write(
            dir.join(format!("console-{name}.html")),
            dom.as_str().unwrap(),
        )
        .unwrap();
    }

    /// The page asked only its own node for anything, never put a token in a
    /// URL, threw no exception and logged no error.
    fn assert_clean(&self, page: &Page, base: &str) {
        let mine = self
            .events
            .iter()
            .filter(|event| event["sessionId"] == page.session.as_str());
        let mut requests = 0;
        for event in mine {
            let params = &event["params"];
            match event["method"].as_str().unwrap() {
                "Network.requestWillBeSent" => {
                    let url = params["request"]["url"].as_str().unwrap();
                    assert!(
                        url.starts_with(&format!("{base}/")),
                        "the page asked another host: {url}"
                    );
                    assert!(!url.contains("cordon1."), "a token in a URL: {url}");
                    requests += 1;
                }
                "Runtime.exceptionThrown" => panic!("the page threw: {params}"),
                "Runtime.consoleAPICalled" if params["type"] == "error" => {
                    panic!("the page logged an error: {params}")
                }
                "Log.entryAdded" if params["entry"]["level"] == "error" => {
                    panic!("the browser logged an error: {params}")
                }
                _ => {}
            }
        }
        assert!(requests > 0, "no request seen from the page");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// Standard base64 (the DevTools protocol's encoding of binary data).
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let mut bytes = Vec::with_capacity(text.len() / 4 * 3);
    for chunk in text.as_bytes().chunks(4) {
        let digits: Vec<u32> = chunk
            .iter()
            .filter(|c| **c != b'=')
            .map(|c| value(*c))
            .collect();
        let word = digits
            .iter()
            .enumerate()
            .fold(0u32, |word, (i, digit)| word | digit << (18 - 6 * i));
        let produced = digits.len().saturating_sub(1);
        bytes.extend_from_slice(&word.to_be_bytes()[1..1 + produced]);
    }
    bytes
}
