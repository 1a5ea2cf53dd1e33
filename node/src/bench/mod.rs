//! `cordon bench`: committed incident reports against a running cluster at
//! several client concurrencies; throughput and latency percentiles.
//! Every report is acknowledged only after commit, so this measures the
//! whole write path: HTTP, forwarding, Raft replication and fsync.
//! [`mod@dispatch`] measures dispatch instead: report to first attention;
//! [`floor`] measures, in the same run, what a commit cannot beat;
//! [`failover`] kills the leader of a local cluster, again and again;
//! [`raw`] commits ledger-neutral notes, the bare commit path, and
//! [`etcd`] puts the same sizes into an etcd cluster to compare;
//! [`growth`] runs the raw notes on local clusters of growing size;
//! [`history`] measures memory, restart and catch-up with a long history;
//! [`routing`] times travel-time queries on the street graph (no cluster).

pub mod dispatch;
pub mod etcd;
pub mod failover;
pub mod floor;
pub mod growth;
pub mod history;
pub mod raw;
pub mod routing;

pub use dispatch::{dispatch, print_dispatch_table};

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cordon_api::cluster::ClusterStatus;
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
    /// The median as a multiple of the run's commit floor (one
    /// `fdatasync` plus one QUIC round trip, [`floor::Floor::commit_floor_ms`]).
    pub p50_over_floor: Option<f64>,
    /// Raft log entries committed during the level per report committed
    /// (the reports and whatever the actors proposed meanwhile: triage,
    /// assignments, placement, the field's steps).
    pub entries_per_report: Option<f64>,
}

/// A run: its floor and its levels.
#[derive(Clone, Debug, Serialize)]
pub struct BenchRun {
    /// What each client committed: `reports` (incident reports through the
    /// API) or `notes` (`--raw`: ledger-neutral notes, the bare commit path).
    pub what: &'static str,
    /// What a commit cannot beat on this machine, measured first.
    pub floor: Option<floor::Floor>,
    /// One result per concurrency level.
    pub levels: Vec<LevelResult>,
    /// Elections during the run (the term's rise, as the first node saw it):
    /// a healthy cluster under load holds none.
    pub elections: Option<u64>,
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
    let log_before = cluster_status(client).await.and_then(|s| s.last_log_index);
    let reporter = client.clone();
    let (latencies, failed, elapsed) = drive(clients, reports.len(), move |worker, n| {
        let (client, reports) = (reporter.clone(), reports.clone());
        async move { client.report(&reports[n], worker).await.is_ok() }
    })
    .await;
    let log_after = cluster_status(client).await.and_then(|s| s.last_log_index);
    let entries = log_before
        .zip(log_after)
        .map(|(before, after)| after.saturating_sub(before));
    Ok(level_result(clients, latencies, failed, elapsed, entries))
}

/// Runs `requests` operations on `clients` concurrent workers: `op(worker,
/// n)` does the `n`th and says whether it succeeded. Returns the
/// successes' latencies, the failures and the time it all took.
pub(crate) async fn drive<F, Fut>(
    clients: usize,
    requests: usize,
    op: F,
) -> (Vec<Duration>, usize, Duration)
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..clients {
        let (op, next) = (op.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failed = 0;
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= requests {
                    break;
                }
                let sent = Instant::now();
                if op(worker, n).await {
                    latencies.push(sent.elapsed());
                } else {
                    failed += 1;
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
    (latencies, failed, started.elapsed())
}

/// A level's figures from its latencies, its failures, how long it took and
/// the log entries committed meanwhile.
pub(crate) fn level_result(
    clients: usize,
    mut latencies: Vec<Duration>,
    failed: usize,
    elapsed: Duration,
    log_entries: Option<u64>,
) -> LevelResult {
    latencies.sort();
    let entries_per_report = log_entries
        .filter(|_| !latencies.is_empty())
        .map(|entries| entries as f64 / latencies.len() as f64);
    LevelResult {
        clients,
        committed: latencies.len(),
        failed,
        throughput_per_s: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50_ms: percentile(&latencies, 50.0),
        p99_ms: percentile(&latencies, 99.0),
        p999_ms: percentile(&latencies, 99.9),
        max_ms: latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1_000.0),
        p50_over_floor: None,
        entries_per_report,
    }
}

impl BenchRun {
    /// Sets each level's median as a multiple of the floor.
    pub fn relate_to_floor(&mut self) {
        let Some(floor) = &self.floor else {
            return;
        };
        for level in &mut self.levels {
            level.p50_over_floor = Some(level.p50_ms / floor.commit_floor_ms());
        }
    }
}

/// The first node's view of the cluster (term, last log index), if it answers.
pub async fn cluster_status(client: &ApiClient) -> Option<ClusterStatus> {
    client.get_from(0, "/v1/cluster").await.ok()
}

/// The `p`-th percentile of `sorted`, in milliseconds (0 when empty).
pub(crate) fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1_000.0
}

/// Prints the floor, the elections, then the results as a table.
pub fn print_table(run: &BenchRun) {
    if let Some(floor) = &run.floor {
        let rtt = match (floor.quic_rtt_p50_ms, floor.quic_rtt_source) {
            (Some(rtt), Some(source)) => format!("{rtt:.3} ms (from {source})"),
            (Some(rtt), None) => format!("{rtt:.3} ms"),
            (None, _) => "not reported".to_string(),
        };
        println!(
            "floor: fdatasync of a {}-byte append p50 {:.3} ms, p99 {:.3} ms; QUIC round trip p50 {rtt}; a commit's floor (one of each) {:.3} ms",
            floor.entry_bytes, floor.fdatasync_p50_ms, floor.fdatasync_p99_ms, floor.commit_floor_ms()
        );
    }
    if let Some(elections) = run.elections {
        println!("elections during the run: {elections}");
    }
    println!(
        "{:>8} {:>10} {:>7} {:>12} {:>9} {:>9} {:>9} {:>9} {:>9} {:>12}",
        "clients",
        "committed",
        "failed",
        format!("{}/s", run.what),
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
        "max ms",
        "p50/floor",
        "entries/each"
    );
    for r in &run.levels {
        let ratio = r
            .p50_over_floor
            .map_or("-".to_string(), |x| format!("{x:.1}x"));
        let entries = r
            .entries_per_report
            .map_or("-".to_string(), |x| format!("{x:.2}"));
        println!(
            "{:>8} {:>10} {:>7} {:>12.1} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9} {:>12}",
            r.clients,
            r.committed,
            r.failed,
            r.throughput_per_s,
            r.p50_ms,
            r.p99_ms,
            r.p999_ms,
            r.max_ms,
            ratio,
            entries
        );
    }
}
