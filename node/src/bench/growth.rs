//! `cordon bench --growth-nodes 3,5,7`: how the bare commit path (the
//! `--raw` notes) grows with the cluster's size. For each size, a fresh
//! local cluster of real processes (this binary, `cordon run`) in its own
//! folder, the raw level at the given clients, and each node's resident
//! memory afterwards; then the cluster is stopped.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::{raw, LevelResult};
use crate::ctl::Operator;
use crate::local_cluster::{wait_all_ready, wait_ready, LocalClusterOptions, LocalProcesses};

/// One cluster size's result.
#[derive(Clone, Debug, Serialize)]
pub struct GrowthLevel {
    /// Nodes in the cluster (all voters).
    pub nodes: usize,
    /// The raw commits at the chosen clients.
    pub level: LevelResult,
    /// Each node's resident memory after the level, in MB (`VmRSS`).
    pub rss_mb: Vec<f64>,
}

/// Runs the raw level at `clients` on fresh clusters of each size in
/// `sizes`, in folders under `dir`.
pub async fn growth(
    binary: &Path,
    dir: &Path,
    sizes: &[usize],
    clients: usize,
    requests: usize,
    note_bytes: usize,
) -> anyhow::Result<Vec<GrowthLevel>> {
    let mut results = Vec::new();
    for &nodes in sizes {
        let folder = dir.join(format!("nodes-{nodes}"));
        std::fs::create_dir_all(&folder)?;
        let mut processes =
            LocalProcesses::start(LocalClusterOptions::new(binary, &folder, nodes), |_| {})?;
        let client = processes.client(Duration::from_secs(10))?;
        wait_ready(&client, Duration::from_secs(30)).await?;
        wait_all_ready(&client, Duration::from_secs(30)).await?;
        let operator = Arc::new(Operator::connect(processes.cluster.clone())?);
        let mut levels = raw::run(operator, &[clients], requests, note_bytes).await?;
        let rss_mb = resident_all(&mut processes);
        processes.stop();
        eprintln!("{nodes} nodes done");
        results.push(GrowthLevel {
            nodes,
            level: levels.remove(0),
            rss_mb,
        });
    }
    Ok(results)
}

/// Each running node's resident memory in MB, in node order.
pub fn resident_all(processes: &mut LocalProcesses) -> Vec<f64> {
    processes
        .processes()
        .iter()
        .filter_map(|process| process.pid.and_then(resident_mb))
        .collect()
}

/// A process's resident memory in MB, from `/proc/PID/status`.
pub fn resident_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Prints one row per cluster size, and the p99's growth from the first.
pub fn print_growth(levels: &[GrowthLevel]) {
    println!(
        "{:>6} {:>8} {:>10} {:>9} {:>9} {:>9} {:>9}  node RSS MB",
        "nodes", "clients", "notes/s", "p50 ms", "p99 ms", "max ms", "p99 x"
    );
    let first_p99 = levels.first().map(|l| l.level.p99_ms);
    for growth in levels {
        let level = &growth.level;
        let ratio = first_p99
            .filter(|first| *first > 0.0)
            .map_or("-".to_string(), |first| {
                format!("{:.2}", level.p99_ms / first)
            });
        let rss: Vec<String> = growth.rss_mb.iter().map(|mb| format!("{mb:.0}")).collect();
        println!(
            "{:>6} {:>8} {:>10.1} {:>9.2} {:>9.2} {:>9.2} {:>9}  {}",
            growth.nodes,
            level.clients,
            level.throughput_per_s,
            level.p50_ms,
            level.p99_ms,
            level.max_ms,
            ratio,
            rss.join(" ")
        );
    }
}
