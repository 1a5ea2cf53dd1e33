//! What one open console costs the network: a console of the leader, its
//! board drawn, watched for 60 s while the demo's load runs (its seeded
//! reports at the demo's rate and its simulated field units), must move
//! less than 1 MB. Bytes are Chromium's own count (DevTools' encoded data
//! length per response: what crossed the wire, headers included).

use std::collections::BTreeMap;
use std::time::Duration;

use cordon_node::drill_control::DrillControl;
use serde_json::Value;

use super::{Browser, Page};
use crate::support::Cluster;

/// How long the console is watched.
const WATCHED: Duration = Duration::from_secs(60);
/// What it may move in that time.
const BYTES_MAX: u64 = 1_000_000;

/// Watches `page` for 60 s of the demo's load; returns the bytes it received.
pub(super) async fn console_moves_less_than_a_megabyte_a_minute(
    browser: &mut Browser,
    page: &Page,
    cluster: &Cluster<DrillControl>,
    artifacts: &std::path::Path,
) -> u64 {
    // Phase 1: the page is settled; what Chromium recorded so far is dropped.
    browser
        .wait_for(
            page,
            "the live board",
            "document.getElementById('live').dataset.state === 'live'",
        )
        .await;
    browser.eval(page, "1").await;
    browser.events.clear();

    // Phase 2: the demo's load runs for 60 s beside the open page.
    let client = cluster.client.clone();
    let load = tokio::spawn(async move {
        cordon_node::demo::drive(&client, 7, cordon_node::demo::DEMO_RATE_PER_S).await
    });
    tokio::time::sleep(WATCHED).await;
    load.abort();
    browser.eval(page, "1").await; // drains what Chromium sent meanwhile

    // Phase 3: the bytes of every response in the window, per path kind.
    let (total, by_path) = received(&browser.events, page);
    let shown = serde_json::to_string_pretty(&by_path).unwrap();
    std::fs::write(artifacts.join("console-bytes-60s.json"), &shown).unwrap();
    eprintln!("console test: one console over 60 s of the demo received {total} bytes: {shown}");
    assert!(
        total > 0,
        "no bytes counted: the DevTools events were not seen"
    );
    assert!(
        total < BYTES_MAX,
        "one console moved {total} bytes in 60 s (at most {BYTES_MAX}): {shown}"
    );
    total
}

/// Total bytes received by `page` and the bytes per path (ids and queries
/// folded), from the DevTools network events: per request the larger of its
/// chunks' sum and its finished length (a stream never finishes).
fn received(events: &[Value], page: &Page) -> (u64, BTreeMap<String, u64>) {
    let mut paths: BTreeMap<String, String> = BTreeMap::new();
    let mut chunks: BTreeMap<String, u64> = BTreeMap::new();
    let mut finished: BTreeMap<String, u64> = BTreeMap::new();
    for event in events
        .iter()
        .filter(|event| event["sessionId"] == page.session.as_str())
    {
        let params = &event["params"];
        let id = params["requestId"].as_str().unwrap_or_default().to_owned();
        let length = params["encodedDataLength"].as_f64().unwrap_or(0.0) as u64;
        match event["method"].as_str() {
            Some("Network.requestWillBeSent") => {
                paths.insert(
                    id,
                    path_kind(params["request"]["url"].as_str().unwrap_or_default()),
                );
            }
            Some("Network.dataReceived") => *chunks.entry(id).or_default() += length,
            Some("Network.loadingFinished") => {
                finished.insert(id, length);
            }
            _ => {}
        }
    }
    let mut by_path: BTreeMap<String, u64> = BTreeMap::new();
    let ids: std::collections::BTreeSet<&String> = chunks.keys().chain(finished.keys()).collect();
    for id in ids {
        let bytes = chunks
            .get(id)
            .copied()
            .unwrap_or(0)
            .max(finished.get(id).copied().unwrap_or(0));
        let path = paths
            .get(id)
            .cloned()
            .unwrap_or_else(|| "(begun before the window)".to_owned());
        *by_path.entry(path).or_default() += bytes;
    }
    (by_path.values().sum(), by_path)
}

/// `/v1/incidents/I-000042?x=1` -> `/v1/incidents/{id}`.
fn path_kind(url: &str) -> String {
    let path = url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.find('/').map(|at| &rest[at..]))
        .unwrap_or(url);
    let path = path.split('?').next().unwrap_or(path);
    path.split('/')
        .map(|part| {
            if part.starts_with("I-")
                || part.chars().all(|c| c.is_ascii_digit()) && !part.is_empty()
            {
                "{id}"
            } else {
                part
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}
