//! `cordon bench --growth-incidents N`: what a long history costs a node.
//!
//! On a fresh local cluster of 3 real processes (this binary, `cordon
//! run`), with the cluster's default retention (closed incidents leave the
//! hot state for the archive past `limits.closed_incidents_kept_*`):
//! 1. each node's resident memory idle;
//! 2. N incidents reported and cancelled over QUIC with the operator
//!    certificate, a follower killed (SIGKILL) for the last tenth;
//! 3. each node's memory after N/2, and the live nodes' after the N;
//! 4. **catch-up**: the follower started again, timed until it has applied
//!    the leader's log and holds every archived batch (it missed a tenth of
//!    the history: a snapshot install and an archive fetch);
//! 5. **restart**: the same follower killed and started again with the
//!    whole history on its disk, timed until ready and caught up;
//! 6. every node's memory at the end.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use cordon_consensus::ledger::{
    Action, CancelIncident, Channel, Effect, IncidentKind, NewIncident, Position,
};
use serde::Serialize;

use super::drive;
use super::growth::resident_all as resident;
use crate::client::ApiClient;
use crate::ctl::Operator;
use crate::local_cluster::{wait_all_ready, wait_ready, LocalClusterOptions, LocalProcesses};

/// Nodes of the bench's cluster.
const HISTORY_NODES: usize = 3;
/// The follower that is killed, caught up and restarted.
const FOLLOWER_KILLED: u64 = 3;
/// How long a catch-up or restart may take before the bench gives up.
const CATCH_UP_MS_MAX: u64 = 300_000;
/// How often the bench looks at the caught-up node.
const CATCH_UP_POLL_MS: u64 = 50;

/// The whole history bench.
#[derive(Clone, Debug, Serialize)]
pub struct HistoryBench {
    /// Incidents reported and cancelled.
    pub incidents: u64,
    /// Incidents whose report or cancel was not acknowledged.
    pub failed: u64,
    /// Incidents (report and cancel) per second while driving.
    pub incidents_per_s: f64,
    /// Each node's resident memory before the first incident, MB.
    pub rss_idle_mb: Vec<f64>,
    /// Each node's resident memory after half the incidents, MB.
    pub rss_half_mb: Vec<f64>,
    /// The live nodes' resident memory after the last incident, MB.
    pub rss_after_mb: Vec<f64>,
    /// Each node's heap in use after half the incidents, MB, as its
    /// allocator counts it (`cordon_heap_in_use_bytes`, up to 5 s old).
    pub heap_half_mb: Vec<f64>,
    /// Each node's resident memory at the end (after the catch-up and the
    /// restart), MB.
    pub rss_end_mb: Vec<f64>,
    /// Incidents in the archive at the end (the rest are hot).
    pub archived: u64,
    /// The leader's log entries the follower missed while down.
    pub missed_entries: u64,
    /// From starting the follower that missed the last tenth to its
    /// ledger at the leader's index with every archived batch, ms.
    pub catch_up_ms: u64,
    /// From starting the follower again (whole history on its disk) to
    /// ready and caught up, ms.
    pub restart_ms: u64,
}

/// Runs the history bench with `incidents` incidents on `clients`
/// concurrent writers, in a cluster under `dir`.
pub async fn history(
    binary: &std::path::Path,
    dir: &std::path::Path,
    incidents: u64,
    clients: usize,
) -> anyhow::Result<HistoryBench> {
    let options = LocalClusterOptions::new(binary, dir, HISTORY_NODES);
    let mut processes = LocalProcesses::start(options, |_| {})?;
    let client = processes.client(Duration::from_secs(10))?;
    wait_ready(&client, Duration::from_secs(30)).await?;
    wait_all_ready(&client, Duration::from_secs(30)).await?;
    let token = processes.issue_token("bench-history", &["viewer"]).await?;
    let client = client.with_token(&token);
    let operator = Arc::new(Operator::connect(processes.cluster.clone())?);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_idle_mb = resident(&mut processes);

    let (half, most) = (incidents / 2, incidents - incidents / 10);
    let started = Instant::now();
    let mut failed = drive_incidents(&operator, 0..half, clients).await?;
    let rss_half_mb = resident(&mut processes);
    let heap_half_mb = heap_in_use_mb(&client, HISTORY_NODES).await;
    failed += drive_incidents(&operator, half..most, clients).await?;
    let follower_index = log_index(&operator, FOLLOWER_KILLED).await?;
    processes.kill(FOLLOWER_KILLED);
    failed += drive_incidents(&operator, most..incidents, clients).await?;
    let incidents_per_s = incidents as f64 / started.elapsed().as_secs_f64();
    let rss_after_mb = resident(&mut processes);

    let leader = operator.leader().await?;
    let missed_entries = log_index(&operator, leader)
        .await?
        .saturating_sub(follower_index);
    let catch_up_ms = restart_and_catch_up(&mut processes, &operator, &client).await?;
    processes.kill(FOLLOWER_KILLED);
    let restart_ms = restart_and_catch_up(&mut processes, &operator, &client).await?;
    let rss_end_mb = resident(&mut processes);
    let archived = archived(&client).await;
    processes.stop();
    Ok(HistoryBench {
        incidents,
        failed,
        incidents_per_s,
        rss_idle_mb,
        rss_half_mb,
        rss_after_mb,
        heap_half_mb,
        rss_end_mb,
        archived,
        missed_entries,
        catch_up_ms,
        restart_ms,
    })
}

/// Reports and cancels incidents `range` (their numbers name the request
/// ids), following the leader; returns how many failed.
async fn drive_incidents(
    operator: &Arc<Operator>,
    range: std::ops::Range<u64>,
    clients: usize,
) -> anyhow::Result<u64> {
    let leader = Arc::new(AtomicU64::new(operator.leader().await?));
    let (first, count) = (range.start, (range.end - range.start) as usize);
    let done = Arc::new(AtomicU64::new(0));
    let operator = operator.clone();
    let (_, failed, _) = drive(clients, count, move |_, n| {
        let (operator, leader, done) = (operator.clone(), leader.clone(), done.clone());
        async move {
            let number = first + n as u64;
            let ok = report_and_cancel(&operator, &leader, number).await;
            let so_far = done.fetch_add(1, Ordering::Relaxed) + 1;
            if so_far % 50_000 == 0 {
                eprintln!("history: {} incidents", first + so_far);
            }
            ok
        }
    })
    .await;
    Ok(failed as u64)
}

/// One incident reported, then cancelled; on a failure the next write goes
/// to whichever node then leads.
async fn report_and_cancel(operator: &Operator, leader: &AtomicU64, number: u64) -> bool {
    let report = Action::ReportIncident(NewIncident {
        kind: IncidentKind::Theft,
        priority: 3,
        force_level: 1,
        // Around People's Square, inside the embedded district.
        location: Position {
            lat_e7: 312_304_000 + (number % 100) as i32 * 1_000,
            lon_e7: 1_214_737_000 + (number % 97) as i32 * 1_000,
        },
        channel: Channel::PartnerFeed,
        description: "bench: history".to_string(),
    });
    let at = leader.load(Ordering::Relaxed);
    let reported = operator
        .commit_on(at, &format!("history-{number}"), report)
        .await;
    let incident_id = match reported.map(|applied| applied.effect) {
        Ok(Effect::IncidentReported { incident_id }) => incident_id,
        outcome => {
            tracing::warn!(number, ?outcome, "history: a report failed");
            follow_leader(operator, leader).await;
            return false;
        }
    };
    let cancel = Action::CancelIncident(CancelIncident {
        incident_id,
        reason: "bench: history".to_string(),
    });
    let cancelled = operator
        .commit_on(at, &format!("history-{number}-cancel"), cancel)
        .await;
    if let Err(error) = &cancelled {
        tracing::warn!(number, %error, "history: a cancel failed");
        follow_leader(operator, leader).await;
    }
    cancelled.is_ok()
}

async fn follow_leader(operator: &Operator, leader: &AtomicU64) {
    if let Ok(now) = operator.leader().await {
        leader.store(now, Ordering::Relaxed);
    }
}

/// Starts the killed follower and times it to ready, at the leader's last
/// index, with no archived batch missing.
async fn restart_and_catch_up(
    processes: &mut LocalProcesses,
    operator: &Operator,
    client: &ApiClient,
) -> anyhow::Result<u64> {
    let leader = operator.leader().await?;
    let target = log_index(operator, leader).await?;
    let started = Instant::now();
    processes.restart(FOLLOWER_KILLED)?;
    let give_up = started + Duration::from_millis(CATCH_UP_MS_MAX);
    let index = (FOLLOWER_KILLED - 1) as usize;
    loop {
        let caught_up = operator
            .status(FOLLOWER_KILLED)
            .await
            .and_then(|status| status.applied_index)
            .is_some_and(|applied| applied >= target);
        if caught_up && archive_whole(client, index).await {
            return Ok(started.elapsed().as_millis() as u64);
        }
        if Instant::now() >= give_up {
            anyhow::bail!(
                "node {FOLLOWER_KILLED} did not catch up to index {target} within {CATCH_UP_MS_MAX} ms: see {}",
                processes.dir().join(format!("node-{FOLLOWER_KILLED}.log")).display()
            );
        }
        tokio::time::sleep(Duration::from_millis(CATCH_UP_POLL_MS)).await;
    }
}

/// True when node `index` (0-based) reports no archived batch missing.
async fn archive_whole(client: &ApiClient, index: usize) -> bool {
    gauge(client, index, "cordon_archive_batches_missing")
        .await
        .is_some_and(|missing| missing == 0.0)
}

/// Each of the first `nodes` nodes' heap in use, MB (nodes that do not
/// answer are left out).
async fn heap_in_use_mb(client: &ApiClient, nodes: usize) -> Vec<f64> {
    let mut heaps = Vec::new();
    for index in 0..nodes {
        if let Some(bytes) = gauge(client, index, "cordon_heap_in_use_bytes").await {
            heaps.push(bytes / 1e6);
        }
    }
    heaps
}

/// The value of the unlabelled gauge `name` on node `index` (0-based).
async fn gauge(client: &ApiClient, index: usize, name: &str) -> Option<f64> {
    let metrics = client.get_text_from(index, "/metrics").await.ok()?;
    metrics
        .lines()
        .find(|line| line.split_whitespace().next() == Some(name))
        .and_then(|line| line.split_whitespace().last())
        .and_then(|value| value.parse::<f64>().ok())
}

async fn log_index(operator: &Operator, id: u64) -> anyhow::Result<u64> {
    operator
        .last_log_index(id)
        .await
        .with_context(|| format!("node {id} gave no log index"))
}

/// Incidents in the archive, as the first node that answers says.
async fn archived(client: &ApiClient) -> u64 {
    client
        .get::<cordon_api::incidents::IncidentList>("/v1/incidents?limit=1", 0)
        .await
        .map_or(0, |list| list.archived)
}

/// Prints the history bench.
pub fn print_history(bench: &HistoryBench) {
    let mb = |values: &[f64]| {
        values
            .iter()
            .map(|mb| format!("{mb:.0}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!(
        "{} incidents reported and cancelled ({} failed) at {:.0}/s; {} archived at the end",
        bench.incidents, bench.failed, bench.incidents_per_s, bench.archived
    );
    println!(
        "node RSS MB: idle {}; after {} incidents {}; after all (node {FOLLOWER_KILLED} down) {}; at the end {}",
        mb(&bench.rss_idle_mb),
        bench.incidents / 2,
        mb(&bench.rss_half_mb),
        mb(&bench.rss_after_mb),
        mb(&bench.rss_end_mb)
    );
    println!(
        "node heap in use MB after {} incidents (the allocator's count): {}",
        bench.incidents / 2,
        mb(&bench.heap_half_mb)
    );
    println!(
        "catch-up of node {FOLLOWER_KILLED} after missing the last tenth ({} entries): {} ms",
        bench.missed_entries, bench.catch_up_ms
    );
    println!(
        "restart of node {FOLLOWER_KILLED} with the whole history on disk: {} ms",
        bench.restart_ms
    );
}
