//! `cordon bench --failover-kills N`: how long a district waits for its
//! first acknowledged report after the leader dies. On a local cluster of
//! real processes (this binary, `cordon run`), each round finds the leader,
//! SIGKILLs it, and at once sends a report through a surviving node: the
//! time from the kill to that report's acknowledgement is the failover.
//! The killed node is started again and the cluster settles before the
//! next round.

use std::path::Path;
use std::time::{Duration, Instant};

use cordon_api::cluster::ClusterStatus;
use cordon_config::district::District;
use cordon_load::SteadyReports;
use serde::Serialize;

use super::percentile;
use crate::client::ApiClient;
use crate::local_cluster::{wait_all_ready, wait_ready, LocalClusterOptions, LocalProcesses};

/// How long a round waits for the cluster to settle after a restart.
const SETTLE_MS: u64 = 1_500;

/// Deadline of the report sent after a kill.
const REPORT_DEADLINE_S: u64 = 10;

/// One kill.
#[derive(Clone, Debug, Serialize)]
pub struct Kill {
    /// The leader killed.
    pub leader: u64,
    /// Kill to the first acknowledged report, in ms.
    pub to_first_ack_ms: f64,
    /// The leader after the kill.
    pub new_leader: u64,
}

/// A failover run.
#[derive(Clone, Debug, Serialize)]
pub struct FailoverRun {
    /// Nodes in the cluster.
    pub nodes: usize,
    /// Every kill, in order.
    pub kills: Vec<Kill>,
    /// Median kill to first acknowledged report, in ms.
    pub p50_ms: f64,
    /// 90th percentile of the same.
    pub p90_ms: f64,
    /// Slowest.
    pub max_ms: f64,
}

/// Runs `kills` rounds on a fresh local cluster of `nodes` processes of
/// `binary` in `dir`.
pub async fn failover(
    binary: &Path,
    dir: &Path,
    nodes: usize,
    kills: usize,
) -> anyhow::Result<FailoverRun> {
    let mut processes =
        LocalProcesses::start(LocalClusterOptions::new(binary, dir, nodes), |_| {})?;
    let everyone = processes.client(Duration::from_secs(REPORT_DEADLINE_S))?;
    wait_ready(&everyone, Duration::from_secs(30)).await?;
    wait_all_ready(&everyone, Duration::from_secs(30)).await?;
    let token = processes
        .issue_token("bench-failover", &["dispatcher"])
        .await?;
    let mut reports = SteadyReports::new(&District::embedded(), 7, "bench-failover")?;
    let mut rounds = Vec::new();
    for round in 0..kills {
        let leader = settled_leader(&everyone.clone().with_token(&token)).await?;
        let survivors = survivors(&processes, leader, &token)?;
        let report = reports
            .next()
            .ok_or_else(|| anyhow::anyhow!("the report generator ran dry"))?;
        let killed_at = Instant::now();
        processes.kill(leader);
        survivors.report(&report, round).await.map_err(|error| {
            anyhow::anyhow!("round {round}: the report after the kill: {error}")
        })?;
        let to_first_ack_ms = killed_at.elapsed().as_secs_f64() * 1_000.0;
        let new_leader = wait_ready(&survivors, Duration::from_secs(10)).await?;
        eprintln!("kill {}/{kills}: leader {leader} -> {new_leader}, first ack after {to_first_ack_ms:.0} ms", round + 1);
        rounds.push(Kill {
            leader,
            to_first_ack_ms,
            new_leader,
        });
        processes.restart(leader)?;
        wait_all_ready(&everyone, Duration::from_secs(30)).await?;
    }
    Ok(summarise(nodes, rounds))
}

/// A client of every node but `leader`.
fn survivors(processes: &LocalProcesses, leader: u64, token: &str) -> anyhow::Result<ApiClient> {
    let urls: Vec<String> = processes
        .api_urls()
        .into_iter()
        .enumerate()
        .filter(|(index, _)| *index as u64 + 1 != leader)
        .map(|(_, url)| url)
        .collect();
    Ok(ApiClient::new(urls, Duration::from_secs(REPORT_DEADLINE_S))?.with_token(token))
}

/// Waits for the cluster to settle (every node applied what the leader
/// committed), then returns the leader.
async fn settled_leader(client: &ApiClient) -> anyhow::Result<u64> {
    tokio::time::sleep(Duration::from_millis(SETTLE_MS)).await;
    let status: ClusterStatus = client.get("/v1/cluster", 0).await?;
    status
        .leader_id
        .ok_or_else(|| anyhow::anyhow!("node {} knows no leader", status.node_id))
}

fn summarise(nodes: usize, kills: Vec<Kill>) -> FailoverRun {
    let mut times: Vec<Duration> = kills
        .iter()
        .map(|kill| Duration::from_secs_f64(kill.to_first_ack_ms / 1_000.0))
        .collect();
    times.sort();
    FailoverRun {
        nodes,
        p50_ms: percentile(&times, 50.0),
        p90_ms: percentile(&times, 90.0),
        max_ms: percentile(&times, 100.0),
        kills,
    }
}

/// Prints the kills and their summary.
pub fn print_failover(run: &FailoverRun) {
    println!(
        "{} kills of the leader ({} nodes): kill -9 to the first acknowledged report p50 {:.0} ms, p90 {:.0} ms, max {:.0} ms",
        run.kills.len(),
        run.nodes,
        run.p50_ms,
        run.p90_ms,
        run.max_ms
    );
}
