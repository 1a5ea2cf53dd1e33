//! `/metrics` is Prometheus text format and carries the series operators
//! need: Raft, storage, QUIC, actors, dispatch timings, incidents and units.

use cordon_api::incidents::Committed;
use cordon_api::units::UnitStatusUpdate;
use serde_json::json;

use crate::support::start_cluster;

/// The series every node must expose once it has dispatched an incident.
const EXPECTED_SERIES: [&str; 21] = [
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
    "cordon_unit_alerts",
    "cordon_units",
    "cordon_archive_batches_missing",
];

/// The series only the leader exposes: its view of replication, and the
/// dispatch timings it records once for the cluster.
const LEADERS_SERIES: [&str; 4] = [
    "cordon_raft_replication_lag_entries",
    "cordon_report_to_assignment_seconds_bucket",
    "cordon_on_scene_seconds_bucket",
    "cordon_on_scene_vs_target_ratio_bucket",
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
                        // Replication lag is the leader's view, and so are dispatch
                        // timings (recorded once, by the leader); restarts count where
                        // actors run.
                        (leads || !LEADERS_SERIES.contains(*s))
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

/// One node's exposition: every sample by series (name and labels), and
/// the families with a `# HELP` line.
struct Scrape {
    samples: Vec<(String, String, f64)>,
    helped: std::collections::BTreeSet<String>,
}

impl Scrape {
    async fn of(cluster: &crate::support::Cluster, node: usize) -> Option<Scrape> {
        let url = format!("{}/metrics", cluster.client.urls()[node]);
        let text = crate::support::get_text(cluster.token(), &url).await?;
        let mut samples = Vec::new();
        let mut helped = std::collections::BTreeSet::new();
        for line in text.lines().filter(|l| !l.is_empty()) {
            if let Some(help) = line.strip_prefix("# HELP ") {
                helped.insert(help.split(' ').next().unwrap_or_default().to_string());
            } else if !line.starts_with('#') {
                let (name, value) = parse_sample(line).unwrap_or_else(|e| panic!("{e}"));
                let labels = line.split_once('{').map_or("", |(_, rest)| rest);
                samples.push((name, labels.to_string(), value));
            }
        }
        Some(Scrape { samples, helped })
    }

    /// The sum of `name`'s samples whose labels contain `with`.
    fn sum(&self, name: &str, with: &str) -> f64 {
        self.samples
            .iter()
            .filter(|(n, labels, _)| n == name && labels.contains(with))
            .map(|(_, _, v)| v)
            .sum()
    }

    /// The families sampled without a `# HELP` line.
    fn unhelped(&self) -> Vec<String> {
        let family = |name: &str| {
            ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| name.strip_suffix(suffix))
                .filter(|base| self.helped.contains(*base))
                .unwrap_or(name)
                .to_string()
        };
        let mut missing: Vec<String> = self
            .samples
            .iter()
            .map(|(name, _, _)| family(name))
            .filter(|name| !self.helped.contains(name))
            .collect();
        missing.dedup();
        missing
    }
}

/// Reports `count` thefts named `prefix-N` and waits for each assignment.
async fn report_thefts(cluster: &crate::support::Cluster, prefix: &str, count: usize) {
    for n in 0..count {
        let id = cluster
            .report(&format!("{prefix}-{n}"), "theft", 31.2394, 121.4760, 1)
            .await;
        cluster.wait_assigned(&id).await;
    }
}

/// Waits until every node's scrape satisfies `good`, and returns them.
async fn scrapes_where(
    cluster: &crate::support::Cluster,
    nodes: &[usize],
    what: &str,
    good: impl Fn(&[Scrape]) -> bool,
) -> Vec<Scrape> {
    let give_up = std::time::Instant::now() + crate::support::WAIT_MAX;
    loop {
        let mut scrapes = Vec::new();
        for &node in nodes {
            if let Some(scrape) = Scrape::of(cluster, node).await {
                scrapes.push(scrape);
            }
        }
        if scrapes.len() == nodes.len() && good(&scrapes) {
            return scrapes;
        }
        assert!(
            std::time::Instant::now() < give_up,
            "timed out waiting for {what}\n{}",
            cluster.log_tails()
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_tell_the_truth_through_a_leader_kill_and_restart() {
    // Phase 1: three incidents are reported and dispatched; only the
    // leader counts them, so the sum across nodes is three; every family
    // has its help; every node's status gauges add up to the units.
    let mut cluster = start_cluster().await;
    let leader = cordon_node::local_cluster::wait_ready(&cluster.client, crate::support::WAIT_MAX)
        .await
        .unwrap();
    report_thefts(&cluster, "truth-a", 3).await;
    let units = cluster.unit_ids(|_| true).await.len() as f64;
    let reported = |s: &Scrape| s.sum("cordon_incidents_reported_total", "channel=");
    let scrapes = scrapes_where(&cluster, &[0, 1, 2], "three reports counted once", |s| {
        s.iter().map(reported).sum::<f64>() == 3.0
            && s.iter().all(|s| s.sum("cordon_units", "status=") == units)
    })
    .await;
    for (node, scrape) in scrapes.iter().enumerate() {
        assert_eq!(scrape.unhelped(), Vec::<String>::new(), "node {}", node + 1);
        let expected = if node as u64 + 1 == leader { 3.0 } else { 0.0 };
        assert_eq!(reported(scrape), expected, "node {}", node + 1);
        assert_eq!(scrape.sum("cordon_build_info", "cluster="), 1.0);
    }

    // Phase 2: the leader is killed; a new one counts the next two reports.
    cluster.processes.kill(leader);
    let survivors: Vec<usize> = (0..3).filter(|n| *n as u64 + 1 != leader).collect();
    report_thefts(&cluster, "truth-b", 2).await;
    scrapes_where(&cluster, &survivors, "two new reports counted once", |s| {
        s.iter().map(reported).sum::<f64>() == 2.0
    })
    .await;

    // Phase 3: the old leader restarts and replays the whole log: it
    // records none of it again (no spike), and the cluster still sums to
    // the two reports since the kill; its incident gauges match the others'.
    cluster.processes.restart(leader).unwrap();
    let incidents_of = |s: &Scrape| s.sum("cordon_incidents", "status=");
    let scrapes = scrapes_where(&cluster, &[0, 1, 2], "the restarted node caught up", |s| {
        s.iter().all(|s| incidents_of(s) == 5.0)
    })
    .await;
    let restarted = &scrapes[(leader - 1) as usize];
    assert_eq!(reported(restarted), 0.0, "the restart re-recorded history");
    assert_eq!(
        restarted.sum("cordon_report_to_assignment_seconds_count", ""),
        0.0
    );
    assert_eq!(scrapes.iter().map(reported).sum::<f64>(), 2.0);
}
