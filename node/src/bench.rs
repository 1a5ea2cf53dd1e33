//! `cordon bench`: committed incident reports against a running cluster at
//! several client concurrencies; throughput and latency percentiles.
//! Every report is acknowledged only after commit, so this measures the
//! whole write path: HTTP, forwarding, Raft replication and fsync.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cordon_api::events::{Applied, Effect};
use cordon_api::incidents::{CloseIncident, Committed, Incident};
use cordon_api::units::UnitStatusUpdate;
use cordon_config::district::District;
use cordon_load::SteadyReports;
use serde::Serialize;

use crate::client::ApiClient;

/// One concurrency level's result.
#[derive(Clone, Debug, Serialize)]
pub struct LevelResult {
    /// Concurrent clients.
    pub clients: usize,
    /// Reports committed.
    pub committed: usize,
    /// Reports that failed for good.
    pub failed: usize,
    /// Committed reports per second.
    pub throughput_per_s: f64,
    /// Median latency.
    pub p50_ms: f64,
    /// 99th percentile latency.
    pub p99_ms: f64,
    /// 99.9th percentile latency.
    pub p999_ms: f64,
    /// Slowest report.
    pub max_ms: f64,
}

/// Runs `requests` reports at each concurrency level in `levels`: the
/// seeded ordinary reports of `cordon-load`, the same at every level.
pub async fn run(
    client: ApiClient,
    levels: &[usize],
    requests: usize,
    seed: u64,
) -> anyhow::Result<Vec<LevelResult>> {
    let mut results = Vec::new();
    let run_id: u32 = rand::random();
    for &clients in levels {
        results.push(level(&client, clients, requests, seed, run_id).await?);
    }
    Ok(results)
}

async fn level(
    client: &ApiClient,
    clients: usize,
    requests: usize,
    seed: u64,
    run_id: u32,
) -> anyhow::Result<LevelResult> {
    let reports = SteadyReports::new(
        &District::embedded(),
        seed,
        &format!("bench-{run_id:08x}-c{clients}"),
    )?;
    let reports: Arc<Vec<_>> = Arc::new(reports.take(requests).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..clients {
        let (client, reports, next) = (client.clone(), reports.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failed = 0;
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(report) = reports.get(index) else {
                    break;
                };
                let sent = Instant::now();
                match client.report(report, worker).await {
                    Ok(_) => latencies.push(sent.elapsed()),
                    Err(_) => failed += 1,
                }
            }
            (latencies, failed)
        }));
    }
    let mut latencies: Vec<Duration> = Vec::new();
    let mut failed = 0;
    for worker in workers {
        if let Ok((mut worker_latencies, worker_failed)) = worker.await {
            latencies.append(&mut worker_latencies);
            failed += worker_failed;
        }
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let percentile = |p: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * latencies.len() as f64).ceil() as usize;
        latencies[rank.clamp(1, latencies.len()) - 1].as_secs_f64() * 1_000.0
    };
    Ok(LevelResult {
        clients,
        committed: latencies.len(),
        failed,
        throughput_per_s: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50_ms: percentile(50.0),
        p99_ms: percentile(99.0),
        p999_ms: percentile(99.9),
        max_ms: latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1_000.0),
    })
}

/// Prints the results as a table.
pub fn print_table(results: &[LevelResult]) {
    println!(
        "{:>8} {:>10} {:>7} {:>12} {:>9} {:>9} {:>9} {:>9}",
        "clients", "committed", "failed", "reports/s", "p50 ms", "p99 ms", "p99.9 ms", "max ms"
    );
    for r in results {
        println!(
            "{:>8} {:>10} {:>7} {:>12.1} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
            r.clients,
            r.committed,
            r.failed,
            r.throughput_per_s,
            r.p50_ms,
            r.p99_ms,
            r.p999_ms,
            r.max_ms
        );
    }
}

/// One dispatch-latency run's result: report sent to first committed assignment.
#[derive(Clone, Debug, Serialize)]
pub struct DispatchResult {
    /// Offered incidents per second.
    pub rate_per_s: f64,
    /// Reports committed.
    pub reported: usize,
    /// Incidents that got a committed assignment.
    pub assigned: usize,
    /// Median report-to-assignment latency.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest.
    pub max_ms: f64,
}

/// Offers incidents at each rate for `duration`, watches the event stream for
/// their first committed assignment, and frees assigned units at once (resolve,
/// then available) so the district does not run out of units.
pub async fn dispatch(
    client: ApiClient,
    rates: &[f64],
    duration: Duration,
    seed: u64,
) -> anyhow::Result<Vec<DispatchResult>> {
    let mut results = Vec::new();
    for &rate in rates {
        results.push(dispatch_level(&client, rate, duration, seed).await?);
    }
    Ok(results)
}

async fn dispatch_level(
    client: &ApiClient,
    rate: f64,
    duration: Duration,
    seed: u64,
) -> anyhow::Result<DispatchResult> {
    use std::collections::BTreeMap;
    use tokio::sync::Mutex;

    let sent_at: Arc<Mutex<BTreeMap<u64, Instant>>> = Arc::default();
    let assigned_at: Arc<Mutex<BTreeMap<u64, Instant>>> = Arc::default();
    let watcher = tokio::spawn(watch_assignments(client.clone(), assigned_at.clone()));
    // Give the event stream a moment to connect before the first report.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let run_id: u32 = rand::random();
    let mut reports = SteadyReports::new(
        &District::embedded(),
        seed,
        &format!("dispatch-{run_id:08x}-r{rate}"),
    )?;
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    let started = Instant::now();
    let mut reporters = tokio::task::JoinSet::new();
    while started.elapsed() < duration {
        ticker.tick().await;
        let Some(report) = reports.next() else { break };
        let (client, sent_at) = (client.clone(), sent_at.clone());
        reporters.spawn(async move {
            let sent = Instant::now();
            if let Ok(reported) = client.report(&report, 0).await {
                if let Some(number) = incident_number(&reported.incident_id) {
                    sent_at.lock().await.insert(number, sent);
                }
            }
        });
    }
    while reporters.join_next().await.is_some() {}
    // Let the last assignments land.
    tokio::time::sleep(Duration::from_secs(3)).await;
    watcher.abort();
    let sent_at = sent_at.lock().await;
    let assigned_at = assigned_at.lock().await;
    let mut latencies: Vec<Duration> = sent_at
        .iter()
        .filter_map(|(number, sent)| {
            assigned_at
                .get(number)
                .map(|at| at.saturating_duration_since(*sent))
        })
        .collect();
    latencies.sort();
    let percentile = |p: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * latencies.len() as f64).ceil() as usize;
        latencies[rank.clamp(1, latencies.len()) - 1].as_secs_f64() * 1_000.0
    };
    Ok(DispatchResult {
        rate_per_s: rate,
        reported: sent_at.len(),
        assigned: latencies.len(),
        p50_ms: percentile(50.0),
        p99_ms: percentile(99.0),
        max_ms: latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1_000.0),
    })
}

fn incident_number(id: &str) -> Option<u64> {
    id.trim_start_matches("I-").parse().ok()
}

/// Reads `/v1/events` and records the first assignment of every incident;
/// frees the assigned unit right away (resolve, then available).
async fn watch_assignments(
    client: ApiClient,
    assigned_at: Arc<tokio::sync::Mutex<std::collections::BTreeMap<u64, Instant>>>,
) {
    use futures_util::StreamExt;
    let url = format!("{}/v1/events", client.urls()[0]);
    let Ok(response) = reqwest::get(&url).await else {
        return;
    };
    let mut stream = response.bytes_stream();
    let mut buffer = String::new();
    while let Some(Ok(chunk)) = stream.next().await {
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            let Some(data) = frame.lines().find_map(|line| line.strip_prefix("data:")) else {
                continue;
            };
            let Ok(event) = serde_json::from_str::<Applied>(data.trim()) else {
                continue;
            };
            let (
                action,
                Effect::IncidentUpdated {
                    incident_id: number,
                    ..
                },
            ) = (event.action, event.effect)
            else {
                continue;
            };
            if action != "assign_unit" {
                continue;
            }
            let first = assigned_at
                .lock()
                .await
                .insert(number, Instant::now())
                .is_none();
            if first {
                let client = client.clone();
                tokio::spawn(async move { free_units(&client, number).await });
            }
        }
    }
}

async fn free_units(client: &ApiClient, number: u64) {
    let id = format!("I-{number:06}");
    let Ok(incident) = client
        .get::<Incident>(&format!("/v1/incidents/{id}"), 0)
        .await
    else {
        return;
    };
    let close = CloseIncident {
        request_id: Some(format!("bench-resolve-{number}")),
        reason: Some("bench: freed at once".to_string()),
    };
    let _ = client
        .post::<Committed>(&format!("/v1/incidents/{id}/resolve"), &close, 0)
        .await;
    for unit in &incident.units {
        let available = UnitStatusUpdate::new("available");
        let _ = client
            .post::<Committed>(&format!("/v1/units/{unit}/status"), &available, 0)
            .await;
    }
}

/// Prints dispatch results as a table.
pub fn print_dispatch_table(results: &[DispatchResult]) {
    println!(
        "{:>10} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "rate/s", "reported", "assigned", "p50 ms", "p99 ms", "max ms"
    );
    for r in results {
        println!(
            "{:>10.0} {:>9} {:>9} {:>9.1} {:>9.1} {:>9.1}",
            r.rate_per_s, r.reported, r.assigned, r.p50_ms, r.p99_ms, r.max_ms
        );
    }
}
