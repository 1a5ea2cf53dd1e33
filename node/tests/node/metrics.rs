//! `/metrics` is Prometheus text format and carries the series operators
//! need: Raft, storage, QUIC, actors, dispatch timings, incidents and units.

use cordon_api::incidents::Committed;
use cordon_api::units::UnitStatusUpdate;
use serde_json::json;

use crate::support::start_cluster;

/// The series every node must expose once it has dispatched an incident.
const EXPECTED_SERIES: [&str; 20] = [
    "cordon_raft_term",
    "cordon_raft_is_leader",
    "cordon_raft_leader_id",
    "cordon_raft_commit_index",
    "cordon_raft_applied_index",
    "cordon_raft_replication_lag_entries",
    "cordon_raft_append_seconds_bucket",
    "cordon_storage_fsync_seconds_bucket",
    "cordon_quic_connections",
    "cordon_quic_rtt_seconds",
    "cordon_actor_restarts_total",
    "cordon_actor_mailbox_depth",
    "cordon_report_to_assignment_seconds_bucket",
    "cordon_on_scene_seconds_bucket",
    "cordon_on_scene_vs_target_ratio_bucket",
    "cordon_on_scene_target_breaches_total",
    "cordon_incidents",
    "cordon_incidents_unresourced",
    "cordon_units",
    "cordon_archive_batches_missing",
];

/// Checks one exposition line: `name{labels} value` with a numeric value.
fn parse_sample(line: &str) -> Result<(String, f64), String> {
    let (series, value) = line
        .rsplit_once(' ')
        .ok_or_else(|| format!("no value in {line:?}"))?;
    let name = series.split('{').next().unwrap_or_default();
    let name_ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if !name_ok {
        return Err(format!("bad metric name in {line:?}"));
    }
    if series.contains('{') && !series.ends_with('}') {
        return Err(format!("unterminated labels in {line:?}"));
    }
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        number => number
            .parse()
            .map_err(|_| format!("bad value in {line:?}"))?,
    };
    Ok((name.to_string(), value))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_parse_and_cover_the_operators_series() {
    // Phase 1: a cluster dispatches an incident and its unit arrives.
    let cluster = start_cluster().await;
    let id = cluster
        .report("metrics-1", "theft", 31.2394, 121.4760, 1)
        .await;
    let incident = cluster.wait_assigned(&id).await;
    let unit = incident.assignments[0].unit_id.clone();
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    cluster
        .client
        .post::<Committed>(
            &format!("/v1/units/{unit}/status"),
            &UnitStatusUpdate::new("on_scene"),
            0,
        )
        .await
        .unwrap();
    // Phase 2: make one actor restart so the restart counter exists.
    let (host, _) = cluster.placement("station:bund").await;
    reqwest::Client::new()
        .post(format!(
            "{}/v1/drills/actors/station:bund/fault",
            cluster.client.urls()[(host - 1) as usize]
        ))
        .bearer_auth(cluster.token())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .send()
        .await
        .unwrap();
    // Phase 3: every line of every node's exposition parses; the leader's has every series.
    let leader = cordon_node::local_cluster::wait_ready(&cluster.client, crate::support::WAIT_MAX)
        .await
        .unwrap();
    for index in 0..3 {
        let url = format!("{}/metrics", cluster.client.urls()[index]);
        let names = cluster
            .wait("metrics with every series", |_| {
                let url = url.clone();
                let token = cluster.token().to_string();
                async move {
                    let text = crate::support::get_text(&token, &url).await?;
                    let mut names = std::collections::BTreeSet::new();
                    for line in text
                        .lines()
                        .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    {
                        let (name, _) = parse_sample(line).unwrap_or_else(|e| panic!("{e}"));
                        names.insert(name);
                    }
                    let restarted_here = index as u64 + 1 == host;
                    let leads = index as u64 + 1 == leader;
                    let wanted = EXPECTED_SERIES.iter().filter(|s| {
                        // Replication lag is the leader's view; restarts count where actors run.
                        (leads || **s != "cordon_raft_replication_lag_entries")
                            && (restarted_here || **s != "cordon_actor_restarts_total")
                    });
                    wanted.clone().all(|s| names.contains(*s)).then_some(names)
                }
            })
            .await;
        assert!(names.len() >= 15, "{names:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_operation_is_answered() {
    // Phase 1: a cluster with one incident, so every path parameter has a real value.
    let cluster = start_cluster().await;
    let id = cluster
        .report("openapi-1", "theft", 31.2394, 121.4760, 1)
        .await;
    let incident = cluster.wait_assigned(&id).await;
    let unit = incident.assignments[0].unit_id.clone();
    let base = cluster.client.urls()[0].clone();
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap();
    let document: utoipa::openapi::OpenApi = http
        .get(format!("{base}/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(matches!(
        document.openapi,
        utoipa::openapi::OpenApiVersion::Version31
    ));

    // Phase 2: call each documented operation; none may be unrouted or the wrong method.
    let mut called = 0;
    for (path, item) in &document.paths.paths {
        let methods = [("get", &item.get), ("post", &item.post)];
        let documented = methods.iter().filter(|(_, operation)| operation.is_some());
        for (method, _) in documented {
            let concrete = path
                .replace(
                    "{id}",
                    if path.starts_with("/v1/units") {
                        &unit
                    } else {
                        &id
                    },
                )
                .replace("{actor}", "station:bund");
            let url = format!("{base}{concrete}");
            let request = match *method {
                "get" => http.get(&url),
                "post" => http
                    .post(&url)
                    .json(&json!({ "status": "en_route", "reason": "openapi check" })),
                other => panic!("undocumented method kind {other}"),
            };
            let response = request.send().await.unwrap();
            let status = response.status();
            assert_ne!(
                status,
                reqwest::StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
            if status == reqwest::StatusCode::NOT_FOUND {
                let body = response.text().await.unwrap_or_default();
                assert!(
                    !body.contains("no_route"),
                    "{method} {path} is documented but not routed"
                );
            }
            called += 1;
        }
    }
    assert!(called >= 18, "{called} operations called");
}
