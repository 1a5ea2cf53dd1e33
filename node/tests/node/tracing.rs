//! One incident's journey across nodes is one trace: spans exported over
//! OTLP by two different nodes carry the trace id the reporter sent, and
//! the HTTP span follows the OpenTelemetry conventions (named by method and
//! route, with the status; the environment's service name; the caller's
//! `tracestate` kept).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cordon_node::local_cluster::{wait_ready, LocalClusterOptions, LocalProcesses};

/// Starts an OTLP/HTTP receiver that keeps every request body.
async fn otlp_receiver() -> (String, Arc<Mutex<Vec<Vec<u8>>>>) {
    let bodies: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let kept = bodies.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: axum::body::Bytes| {
            let kept = kept.clone();
            async move {
                kept.lock().unwrap().push(body.to_vec());
                (
                    [(axum::http::header::CONTENT_TYPE, "application/x-protobuf")],
                    Vec::<u8>::new(),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}"), bodies)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(clippy::too_many_lines, reason = "a test read as phases")]
async fn one_incident_is_one_trace_across_nodes() {
    // Phase 1: three nodes export spans to a local OTLP receiver.
    let (endpoint, bodies) = otlp_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let env = vec![
        ("OTEL_EXPORTER_OTLP_ENDPOINT".to_string(), endpoint),
        ("OTEL_BSP_SCHEDULE_DELAY".to_string(), "200".to_string()),
        (
            "OTEL_SERVICE_NAME".to_string(),
            "cordon-under-test".to_string(),
        ),
    ];
    let processes = LocalProcesses::start(
        LocalClusterOptions {
            env,
            ..LocalClusterOptions::new(env!("CARGO_BIN_EXE_cordon").as_ref(), dir.path(), 3)
        },
        |_| {},
    )
    .unwrap();
    let client =
        cordon_node::client::ApiClient::new(processes.api_urls(), Duration::from_secs(20)).unwrap();
    let leader = wait_ready(&client, Duration::from_secs(30)).await.unwrap();
    cordon_node::local_cluster::wait_all_ready(&client, Duration::from_secs(30))
        .await
        .unwrap();
    let token = processes
        .issue_token(crate::support::TEST_PRINCIPAL, crate::support::TEST_ROLES)
        .await
        .unwrap();

    // Phase 2: report through a follower with a trace id of our own.
    let follower = (1..=3u64).find(|id| *id != leader).unwrap();
    let trace_id: u128 = rand::random::<u128>() | 1;
    let traceparent = format!("00-{trace_id:032x}-{:016x}-01", rand::random::<u64>() | 1);
    let url = format!(
        "{}/v1/incidents",
        processes.api_urls()[(follower - 1) as usize]
    );
    let response = reqwest::Client::new()
        .post(&url)
        .bearer_auth(&token)
        .header("traceparent", &traceparent)
        .header("tracestate", "caller=kept-7")
        .json(&serde_json::json!({ "request_id": "traced-1", "kind": "theft", "lat": 31.2394, "lon": 121.4760 }))
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{}",
        response.text().await.unwrap()
    );

    // Phase 3: spans with that trace id arrive from at least two nodes.
    let trace_bytes = trace_id.to_be_bytes();
    let give_up = std::time::Instant::now() + Duration::from_secs(30);
    let nodes = loop {
        let nodes: BTreeSet<u64> = bodies
            .lock()
            .unwrap()
            .iter()
            .filter(|body| contains(body, &trace_bytes))
            .flat_map(|body| {
                (1..=3u64)
                    .filter(|id| contains(body, format!("node-{id}").as_bytes()))
                    .collect::<Vec<_>>()
            })
            .collect();
        if nodes.len() >= 2 || std::time::Instant::now() > give_up {
            break nodes;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        nodes.len() >= 2,
        "spans of trace {trace_id:032x} came from nodes {nodes:?} only"
    );
    assert!(
        nodes.contains(&follower) && nodes.contains(&leader),
        "{nodes:?}"
    );

    // Phase 4: the follower's HTTP span is named by method and route, says
    // the route and status, keeps the caller's tracestate, and the
    // environment's service name stands.
    let traced: Vec<u8> = bodies
        .lock()
        .unwrap()
        .iter()
        .filter(|body| contains(body, &trace_bytes))
        .flatten()
        .copied()
        .collect();
    let missing: Vec<&str> = [
        "POST /v1/incidents",
        "http.route",
        "http.response.status_code",
        "caller=kept-7",
        "cordon-under-test",
        "service.namespace",
    ]
    .into_iter()
    .filter(|needle| !contains(&traced, needle.as_bytes()))
    .collect();
    assert!(missing.is_empty(), "not in the exported spans: {missing:?}");
}
