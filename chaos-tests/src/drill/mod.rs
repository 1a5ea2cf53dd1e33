//! L3 drills: real `cordon run` processes, one per network namespace of a
//! [`Lab`], real faults (SIGKILL, SIGSTOP, partitions and one-way cuts and
//! loss at the bridge), a realistic incident load through the HTTP API
//! recorded as a [`History`], and the request checkers over final reads
//! from every node.
//!
//! Each drill: start the cluster and wait for a leader, run the load,
//! inject the fault, wait for recovery, hold, heal, let the load finish,
//! wait a quiet period, drive every unanswered request to an answer, read
//! back from every node, check ([`RequestVerdict`]) and report
//! ([`DrillReport`]: timeline, recovery time, ops, lost, duplicates,
//! latency percentiles before, during and after the fault).

pub mod netns;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cordon_config::ClusterConfig;
use cordon_consensus::tls::generate_cluster_certs;
use serde::Serialize;

use crate::checkers::{no_panic, FinalReads};
use crate::history::{History, IncidentResult, Op, OpResult};
use crate::report::{OpTally, RequestVerdict};

pub use netns::{Lab, LabError};

/// QUIC (Raft) port of every node, on its own address.
const QUIC_PORT: u16 = 7_100;
/// API port of every node, on its own address.
const API_PORT: u16 = 8_100;
/// How long a started cluster has to elect a leader.
const FIRST_LEADER_WITHIN: Duration = Duration::from_secs(30);
/// How long a fault may take to produce a new leader.
const RECOVERY_WITHIN: Duration = Duration::from_secs(20);
/// Deadline of one status probe.
const PROBE_TIMEOUT: Duration = Duration::from_millis(400);

/// A named drill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DrillName {
    /// SIGKILL the leader's process; restart it at heal.
    KillLeader,
    /// Cut the leader from every other node; clients still reach it.
    IsolateLeader,
    /// Cut one follower from the others (the 2|1 split of 3 nodes).
    MinoritySplit,
    /// The leader cannot send to one follower; the follower still reaches
    /// the leader.
    OneWay,
    /// SIGSTOP the leader past the election timeout; SIGCONT at heal.
    PauseLeader,
    /// Drop 20 % of the packets between nodes at random.
    Lossy,
    /// Restart every node in turn (SIGTERM, wait for the exit, start from
    /// the same files, wait for `/readyz` and a settled leader).
    RollingRestart,
    /// Restart one follower with its wall clock 300 s ahead (libfaketime,
    /// monotonic time untouched); restart it with the true clock at heal.
    ClockSkew,
    /// Start a 4th node outside the initial voters, then `cordon ctl
    /// members add-learner`, `promote` and `remove` it.
    MembershipChurn,
}

impl DrillName {
    /// Every drill, in the order `--list` prints them.
    pub const ALL: [DrillName; 9] = [
        DrillName::KillLeader,
        DrillName::IsolateLeader,
        DrillName::MinoritySplit,
        DrillName::OneWay,
        DrillName::PauseLeader,
        DrillName::Lossy,
        DrillName::RollingRestart,
        DrillName::ClockSkew,
        DrillName::MembershipChurn,
    ];

    /// The drill's command-line name.
    pub fn as_str(self) -> &'static str {
        match self {
            DrillName::KillLeader => "kill-leader",
            DrillName::IsolateLeader => "isolate-leader",
            DrillName::MinoritySplit => "minority-split",
            DrillName::OneWay => "one-way",
            DrillName::PauseLeader => "pause-leader",
            DrillName::Lossy => "lossy",
            DrillName::RollingRestart => "rolling-restart",
            DrillName::ClockSkew => "clock-skew",
            DrillName::MembershipChurn => "membership-churn",
        }
    }

    /// What the drill does, in one line.
    pub fn describe(self) -> &'static str {
        match self {
            DrillName::KillLeader => "SIGKILL the leader's process, restart it at heal",
            DrillName::IsolateLeader => "partition the leader alone (clients still reach it)",
            DrillName::MinoritySplit => "partition one follower alone (2|1 with 3 nodes)",
            DrillName::OneWay => "the leader cannot send to one follower (one-way cut)",
            DrillName::PauseLeader => "SIGSTOP the leader past the election timeout, SIGCONT",
            DrillName::Lossy => "drop 20% of the packets between nodes",
            DrillName::RollingRestart => {
                "restart every node in turn (SIGTERM, start, wait for /readyz and a leader)"
            }
            DrillName::ClockSkew => {
                "restart one follower under faketime +300s (monotonic untouched)"
            }
            DrillName::MembershipChurn => {
                "ctl members add-learner, promote, remove a 4th node under load"
            }
        }
    }

    /// The drill named `name`.
    pub fn parse(name: &str) -> Option<DrillName> {
        DrillName::ALL
            .into_iter()
            .find(|drill| drill.as_str() == name)
    }

    /// The drill's own minimum hold, counted from the fault: long enough
    /// for its restarts or membership changes to happen under load.
    fn min_hold(self, nodes: usize) -> Option<Duration> {
        match self {
            DrillName::RollingRestart => Some(Duration::from_secs(6 * nodes as u64)),
            DrillName::ClockSkew => Some(Duration::from_secs(8)),
            DrillName::MembershipChurn => Some(Duration::from_secs(15)),
            _ => None,
        }
    }

    /// Nodes in the lab and cluster file beyond the initial voters, started
    /// only by the drill.
    fn extra_nodes(self) -> usize {
        usize::from(self == DrillName::MembershipChurn)
    }

    /// True when the fault must end the old leader's term.
    fn expects_new_leader(self) -> bool {
        matches!(
            self,
            DrillName::KillLeader | DrillName::IsolateLeader | DrillName::PauseLeader
        )
    }
}

impl fmt::Display for DrillName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How to run a drill.
#[derive(Clone, Debug)]
pub struct DrillOptions {
    /// The `cordon` binary.
    pub cordon: PathBuf,
    /// Cluster size (3 or more).
    pub nodes: usize,
    /// Incident reports in the whole load.
    pub incidents: u64,
    /// Concurrent clients.
    pub clients: u64,
    /// Load before the fault.
    pub before: Duration,
    /// How long the fault is held after recovery (or after injection when
    /// no new leader is expected).
    pub hold: Duration,
    /// Load after healing (at least).
    pub after: Duration,
    /// Quiet period after the load, before the final reads.
    pub quiet: Duration,
    /// Keep the folder with the cluster file, data and node logs.
    pub keep: bool,
}

impl DrillOptions {
    /// 3 nodes, 300 incidents from 4 clients, 2 s before, 3 s hold, 2 s
    /// after, 2 s quiet.
    pub fn new(cordon: PathBuf) -> DrillOptions {
        DrillOptions {
            cordon,
            nodes: 3,
            incidents: 300,
            clients: 4,
            before: Duration::from_secs(2),
            hold: Duration::from_secs(3),
            after: Duration::from_secs(2),
            quiet: Duration::from_secs(2),
            keep: false,
        }
    }

    fn planned(&self) -> Duration {
        self.before + self.hold + self.after + Duration::from_secs(1)
    }
}

/// Why a drill could not run to its checks.
#[derive(Debug, thiserror::Error)]
pub enum DrillError {
    /// The namespaces or their rules.
    #[error("lab: {0}")]
    Lab(#[from] LabError),
    /// Anything else, in words.
    #[error("{0}")]
    Setup(String),
}

fn setup(error: impl fmt::Display) -> DrillError {
    DrillError::Setup(error.to_string())
}

/// Latency of acknowledged reports (first attempt to acknowledgement) in
/// one phase.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Latency {
    /// Acknowledged reports started in the phase.
    pub count: usize,
    /// Median, milliseconds.
    pub p50_ms: u64,
    /// 99th percentile, milliseconds.
    pub p99_ms: u64,
    /// Slowest, milliseconds.
    pub max_ms: u64,
}

impl Latency {
    fn of(mut samples: Vec<u64>) -> Latency {
        if samples.is_empty() {
            return Latency::default();
        }
        samples.sort_unstable();
        let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
        Latency {
            count: samples.len(),
            p50_ms: at(0.5),
            p99_ms: at(0.99),
            max_ms: *samples.last().unwrap_or(&0),
        }
    }
}

impl fmt::Display for Latency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "n={} p50={}ms p99={}ms max={}ms",
            self.count, self.p50_ms, self.p99_ms, self.max_ms
        )
    }
}

/// One line of a drill's timeline.
#[derive(Clone, Debug, Serialize)]
pub struct TimelineEntry {
    /// Milliseconds since the load started.
    pub at_ms: u64,
    /// What happened.
    pub event: String,
}

/// The operations' outcomes.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Ops {
    /// Took effect.
    pub ok: usize,
    /// Certainly did not take effect.
    pub fail: usize,
    /// Unknown (timeouts, lost leaders); retried under the same id.
    pub info: usize,
    /// Never completed.
    pub pending: usize,
}

impl From<OpTally> for Ops {
    fn from(tally: OpTally) -> Ops {
        Ops {
            ok: tally.ok,
            fail: tally.fail,
            info: tally.info,
            pending: tally.pending,
        }
    }
}

/// What a drill did and found.
#[derive(Clone, Debug, Serialize)]
pub struct DrillReport {
    /// The drill.
    pub drill: DrillName,
    /// Cluster size.
    pub nodes: usize,
    /// The lab's subnet.
    pub subnet: String,
    /// Faults, heals and leader changes, in order.
    pub timeline: Vec<TimelineEntry>,
    /// The leader when the fault was injected.
    pub leader_before: u64,
    /// The leader after the quiet period.
    pub leader_after: Option<u64>,
    /// From the fault to a new leader with a majority behind it, when the
    /// drill expects one.
    pub leader_recovery_ms: Option<u64>,
    /// The longest time without any acknowledgement, from the fault on.
    pub longest_ack_gap_ms: u64,
    /// Reports in the load.
    pub requests: u64,
    /// Every attempt's outcome.
    pub ops: Ops,
    /// Distinct requests acknowledged.
    pub acknowledged: usize,
    /// Requests still unacknowledged after the retries at the end.
    pub unanswered: usize,
    /// Acknowledged reports missing (or different) on some node.
    pub lost: usize,
    /// Requests that took effect more than once.
    pub duplicates: usize,
    /// Nodes whose final reads were checked.
    pub nodes_read: usize,
    /// Every violation, and other failures (unreadable nodes, panics, no
    /// recovery).
    pub problems: Vec<String>,
    /// Latency before the fault.
    pub latency_before: Latency,
    /// Latency while the fault was in force.
    pub latency_during: Latency,
    /// Latency after healing.
    pub latency_after: Latency,
    /// The whole drill's wall time.
    pub elapsed_ms: u64,
    /// The kept folder (cluster file, data, node logs), if kept.
    pub kept: Option<PathBuf>,
}

impl DrillReport {
    /// True when nothing was lost or duplicated, every node was read, and
    /// recovery happened where expected.
    pub fn passed(&self) -> bool {
        self.problems.is_empty() && self.lost == 0 && self.duplicates == 0
    }
}

impl fmt::Display for DrillReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |value: Option<u64>| value.map_or_else(|| "-".to_string(), |v| v.to_string());
        writeln!(
            f,
            "drill {} ({} nodes, {}): {}",
            self.drill,
            self.nodes,
            self.subnet,
            if self.passed() { "PASS" } else { "FAIL" }
        )?;
        writeln!(f, "  timeline:")?;
        for entry in &self.timeline {
            writeln!(f, "    +{:>6} ms  {}", entry.at_ms, entry.event)?;
        }
        writeln!(
            f,
            "  leader: before={} after={} recovery_ms={} longest_ack_gap_ms={}",
            self.leader_before,
            ms(self.leader_after),
            ms(self.leader_recovery_ms),
            self.longest_ack_gap_ms
        )?;
        writeln!(
            f,
            "  ops: ok={} fail={} info={} pending={}; requests={} acknowledged={} unanswered={}",
            self.ops.ok,
            self.ops.fail,
            self.ops.info,
            self.ops.pending,
            self.requests,
            self.acknowledged,
            self.unanswered
        )?;
        writeln!(
            f,
            "  checks: lost={} duplicates={} nodes_read={}/{}",
            self.lost, self.duplicates, self.nodes_read, self.nodes
        )?;
        writeln!(f, "  latency before: {}", self.latency_before)?;
        writeln!(f, "  latency during: {}", self.latency_during)?;
        writeln!(f, "  latency after:  {}", self.latency_after)?;
        for problem in &self.problems {
            writeln!(f, "  PROBLEM: {problem}")?;
        }
        if let Some(dir) = &self.kept {
            writeln!(f, "  files kept in {}", dir.display())?;
        }
        write!(f, "  elapsed_ms={}", self.elapsed_ms)
    }
}

/// The node processes of a drill, one per namespace.
struct Nodes {
    binary: PathBuf,
    cluster_path: PathBuf,
    dir: PathBuf,
    children: Vec<Option<Child>>,
}

impl Nodes {
    fn spawn(&mut self, lab: &Lab, node: usize) -> Result<(), DrillError> {
        self.spawn_with(lab, node, &[], &[])
    }

    /// Starts node `node`, its command prefixed by `wrapper` (e.g.
    /// `faketime -f +300s`) with `env` added.
    fn spawn_with(
        &mut self,
        lab: &Lab,
        node: usize,
        wrapper: &[&str],
        env: &[(&str, &str)],
    ) -> Result<(), DrillError> {
        let log_path = self.dir.join(format!("node-{node}.log"));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|error| setup(format!("open {}: {error}", log_path.display())))?;
        let mut command = match wrapper.split_first() {
            Some((program, args)) => {
                let mut command = Command::new(program);
                command.args(args).arg(&self.binary);
                command
            }
            None => Command::new(&self.binary),
        };
        command.envs(env.iter().copied());
        command
            .arg("run")
            .arg("--cluster")
            .arg(&self.cluster_path)
            .arg("--node")
            .arg(node.to_string());
        let child = lab
            .run_in(node, &command)?
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(setup)?)
            .stderr(log)
            .spawn()
            .map_err(|error| setup(format!("start node {node}: {error}")))?;
        self.children[node - 1] = Some(child);
        Ok(())
    }

    fn kill(&mut self, node: usize) {
        if let Some(mut child) = self.children[node - 1].take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM node `node` and wait up to `within` for its exit; SIGKILL
    /// after that. True when it exited of the SIGTERM.
    async fn stop(&mut self, node: usize, within: Duration) -> Result<bool, DrillError> {
        self.signal(node, "TERM")?;
        let give_up = Instant::now() + within;
        loop {
            let Some(child) = self.children[node - 1].as_mut() else {
                return Ok(true);
            };
            if child.try_wait().map_err(setup)?.is_some() {
                self.children[node - 1] = None;
                return Ok(true);
            }
            if Instant::now() > give_up {
                self.kill(node);
                return Ok(false);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn signal(&self, node: usize, signal: &str) -> Result<(), DrillError> {
        let Some(child) = &self.children[node - 1] else {
            return Err(setup(format!("node {node} does not run")));
        };
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(child.id().to_string())
            .status()
            .map_err(setup)?;
        if status.success() {
            Ok(())
        } else {
            Err(setup(format!("kill -{signal} node {node}: {status}")))
        }
    }

    fn logs(&self) -> Vec<(String, String)> {
        (1..=self.children.len())
            .map(|node| {
                let text = std::fs::read_to_string(self.dir.join(format!("node-{node}.log")))
                    .unwrap_or_default();
                (format!("node-{node}"), text)
            })
            .collect()
    }
}

impl Drop for Nodes {
    fn drop(&mut self) {
        for node in 1..=self.children.len() {
            // A stopped process dies of SIGKILL all the same.
            self.kill(node);
        }
    }
}

/// A node's view of the cluster, from `GET /v1/cluster`.
#[derive(Clone, Debug)]
struct View {
    node: u64,
    role: String,
    leader: Option<u64>,
    term: u64,
}

/// The HTTP side: status probes, reports, final reads.
#[derive(Clone)]
struct Api {
    http: reqwest::Client,
    urls: Vec<String>,
}

impl Api {
    async fn view(&self, node: usize) -> Option<View> {
        let url = format!("{}/v1/cluster", self.urls[node - 1]);
        let response = self
            .http
            .get(&url)
            .timeout(PROBE_TIMEOUT)
            .send()
            .await
            .ok()?;
        let value: serde_json::Value = response.json().await.ok()?;
        Some(View {
            node: value.get("node_id")?.as_u64()?,
            role: value.get("role")?.as_str()?.to_string(),
            leader: value.get("leader_id").and_then(|v| v.as_u64()),
            term: value.get("term")?.as_u64()?,
        })
    }

    /// True when node `node` answers `GET /readyz` with a success.
    async fn ready(&self, node: usize) -> bool {
        let url = format!("{}/readyz", self.urls[node - 1]);
        match self.http.get(&url).timeout(PROBE_TIMEOUT).send().await {
            Ok(response) => response.status().is_success(),
            Err(_) => false,
        }
    }

    async fn views(&self) -> Vec<View> {
        let probes: Vec<_> = (1..=self.urls.len()).map(|node| self.view(node)).collect();
        let mut views = Vec::new();
        for probe in probes {
            if let Some(view) = probe.await {
                views.push(view);
            }
        }
        views
    }

    /// A leader that a majority of the nodes follow in its term, with a
    /// term above `above`: (leader, term).
    async fn settled_leader(&self, above: Option<u64>) -> Option<(u64, u64)> {
        let views = self.views().await;
        let majority = self.urls.len() / 2 + 1;
        views
            .iter()
            .filter(|view| view.role == "leader" && above.is_none_or(|term| view.term > term))
            .find(|leader| {
                views
                    .iter()
                    .filter(|view| view.leader == Some(leader.node) && view.term == leader.term)
                    .count()
                    >= majority
            })
            .map(|leader| (leader.node, leader.term))
    }

    async fn wait_leader(&self, above: Option<u64>, within: Duration) -> Option<(u64, u64)> {
        let give_up = Instant::now() + within;
        while Instant::now() < give_up {
            if let Some(found) = self.settled_leader(above).await {
                return Some(found);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }

    /// One report attempt at node `node` (1-based).
    async fn report_once(
        &self,
        node: usize,
        request_id: &str,
        timeout: Duration,
    ) -> Result<String, (bool, String)> {
        let url = format!("{}/v1/incidents", self.urls[node - 1]);
        let body = serde_json::json!({
            "request_id": request_id,
            "kind": "theft",
            "priority": 4,
            "force_level": 2,
            "lat": 31.2394,
            "lon": 121.4760,
            "channel": "emergency_call",
            "description": format!("l3 drill report {request_id}"),
        });
        let response = self
            .http
            .post(&url)
            .json(&body)
            .timeout(timeout)
            .send()
            .await
            .map_err(|error| (true, format!("{url}: {error}")))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|error| (true, format!("{url}: {error}")))?;
        if status.is_success() {
            let value: serde_json::Value = serde_json::from_str(&text)
                .map_err(|error| (true, format!("{url}: bad answer {error}: {text}")))?;
            return value
                .get("incident_id")
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .ok_or((true, format!("{url}: no incident_id in {text}")));
        }
        // A refusal of the input (4xx other than a timeout) certainly did
        // not take effect; anything else may have.
        let certain = status.is_client_error() && status != reqwest::StatusCode::REQUEST_TIMEOUT;
        Err((!certain, format!("{url}: {status}: {text}")))
    }

    /// Per request id, the incidents node `node` holds, read after a read
    /// barrier.
    async fn final_read(&self, node: usize) -> Result<BTreeMap<String, Vec<String>>, String> {
        let url = format!("{}/v1/incidents?limit=100000", self.urls[node - 1]);
        let response = self
            .http
            .get(&url)
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .map_err(|error| error.to_string())?;
        let status = response.status();
        let value: serde_json::Value = response.json().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("{status}: {value}"));
        }
        let incidents = value
            .get("incidents")
            .and_then(|v| v.as_array())
            .ok_or("no incidents in the answer")?;
        let mut reads: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for incident in incidents {
            let (Some(request), Some(id)) = (
                incident.get("request_id").and_then(|v| v.as_str()),
                incident.get("id").and_then(|v| v.as_str()),
            ) else {
                return Err(format!("an incident without id or request_id: {incident}"));
            };
            reads
                .entry(request.to_string())
                .or_default()
                .push(id.to_string());
        }
        Ok(reads)
    }
}

/// Phases of the load.
const BEFORE: u8 = 0;
const DURING: u8 = 1;
const AFTER: u8 = 2;

/// The client load: `clients` concurrent clients reporting incidents with
/// request ids, retrying on the next node under the same id.
struct Load {
    api: Api,
    history: Arc<History>,
    phase: AtomicU8,
    start: Instant,
    /// (phase at the first attempt, ms to the acknowledgement)
    latencies: Mutex<Vec<(u8, u64)>>,
    /// ms since start of every acknowledgement
    acks: Mutex<Vec<u64>>,
    prefix: String,
    clients: u64,
    per_client: u64,
    pause: Duration,
    attempt_timeout: Duration,
    attempts_max: u32,
}

impl Load {
    fn request_id(&self, client: u64, n: u64) -> String {
        format!("{}-{client}-{n}", self.prefix)
    }

    fn elapsed_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    /// Reports `request_id` until acknowledged, certainly refused, or out
    /// of attempts; true when acknowledged.
    async fn report(&self, process: u64, request_id: &str, turn: u64) -> bool {
        let nodes = self.api.urls.len();
        let phase = self.phase.load(Ordering::Relaxed);
        let first = Instant::now();
        for attempt in 0..self.attempts_max {
            let node = ((turn + u64::from(attempt)) % nodes as u64) as usize + 1;
            let id = self.history.invoke(Op::report(process, request_id));
            match self
                .api
                .report_once(node, request_id, self.attempt_timeout)
                .await
            {
                Ok(incident_id) => {
                    self.history.ok(
                        id,
                        OpResult::Incident(IncidentResult::Reported { incident_id }),
                    );
                    let took = first.elapsed().as_millis() as u64;
                    if let Ok(mut latencies) = self.latencies.lock() {
                        latencies.push((phase, took));
                    }
                    if let Ok(mut acks) = self.acks.lock() {
                        acks.push(self.elapsed_ms());
                    }
                    return true;
                }
                Err((false, error)) => {
                    self.history.fail(id, error);
                    return false;
                }
                Err((true, error)) => {
                    self.history.info(id, error);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        false
    }

    async fn run_client(self: Arc<Self>, client: u64) {
        // Paced on a schedule (not a pause after each report), so a slow
        // phase does not stretch the load past the drill's plan.
        let offset = self.pause.mul_f64(client as f64 / self.clients as f64);
        for n in 0..self.per_client {
            let due = self.start + offset + self.pause * n as u32;
            tokio::time::sleep_until(due.into()).await;
            let request_id = self.request_id(client, n);
            self.report(client, &request_id, client + n).await;
        }
    }

    /// Drives every request neither acknowledged nor refused to an answer.
    async fn retry_unanswered(&self) -> usize {
        let records = self.history.records().unwrap_or_default();
        let outcomes = crate::checkers::request_outcomes(&records);
        let mut unanswered = 0;
        for client in 0..self.clients {
            for n in 0..self.per_client {
                let request_id = self.request_id(client, n);
                let answered = matches!(
                    outcomes.get(&request_id),
                    Some(
                        crate::checkers::RequestOutcome::Acknowledged { .. }
                            | crate::checkers::RequestOutcome::Failed
                    )
                );
                if !answered && !self.report(1_000 + client, &request_id, n).await {
                    unanswered += 1;
                }
            }
        }
        unanswered
    }
}

/// A drill in progress: its lab, files, processes and timeline.
struct Run {
    // Field order is drop order: processes die before the namespaces go.
    nodes: Nodes,
    lab: Lab,
    dir: tempfile::TempDir,
    start: Instant,
    timeline: Vec<TimelineEntry>,
}

impl Run {
    fn note(&mut self, event: impl Into<String>) {
        let event = event.into();
        tracing::info!(%event, "drill");
        self.timeline.push(TimelineEntry {
            at_ms: self.start.elapsed().as_millis() as u64,
            event,
        });
    }
}

/// Starts the cluster in a fresh lab: cluster file, certificates, one
/// `cordon run` per node namespace.
/// `extra` more nodes go into the lab and the cluster file as non-voters
/// (outside the initial membership) and are not started; the [`Api`] covers
/// them too.
fn start_cluster(options: &DrillOptions, extra: usize) -> Result<(Run, Api), DrillError> {
    if options.nodes < 3 {
        return Err(setup("drills need 3 nodes or more"));
    }
    if !options.cordon.is_file() {
        return Err(setup(format!(
            "no cordon binary at {}: build it with `cargo build -p cordon-node` or pass --cordon PATH",
            options.cordon.display()
        )));
    }
    let total = options.nodes + extra;
    let lab = Lab::new(total)?;
    let dir = tempfile::Builder::new()
        .prefix("cordon-l3-")
        .tempdir()
        .map_err(setup)?;
    // Distinct placeholders to pass validation; replaced by lab addresses.
    let ports: Vec<(u16, u16)> = (0..total as u16)
        .map(|index| (QUIC_PORT + index, API_PORT + index))
        .collect();
    let base = ClusterConfig::local("l3drill", dir.path(), &ports).map_err(setup)?;
    let mut file = base.file().clone();
    for (index, node) in file.nodes.iter_mut().enumerate() {
        let address = lab.node_addr(index + 1);
        node.quic_addr = (address, QUIC_PORT).into();
        node.api_addr = (address, API_PORT).into();
        node.voter = index < options.nodes;
    }
    let cluster = ClusterConfig::from_file(file, dir.path()).map_err(setup)?;
    let cluster_path = dir.path().join("cluster.toml");
    std::fs::write(&cluster_path, cluster.to_toml_string()).map_err(setup)?;
    let ids: Vec<u64> = cluster.nodes().iter().map(|node| node.id).collect();
    generate_cluster_certs(
        cluster.name(),
        &ids,
        &cluster.tls().cert_dir,
        Duration::from_secs(86_400),
    )
    .map_err(setup)?;
    let urls = cluster
        .nodes()
        .iter()
        .map(|node| format!("http://{}", node.api_addr))
        .collect();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(16)
        .no_proxy()
        .build()
        .map_err(setup)?;
    let mut run = Run {
        nodes: Nodes {
            binary: options.cordon.clone(),
            cluster_path,
            dir: dir.path().to_path_buf(),
            children: (0..total).map(|_| None).collect(),
        },
        lab,
        dir,
        start: Instant::now(),
        timeline: Vec::new(),
    };
    for node in 1..=options.nodes {
        run.nodes.spawn(&run.lab, node)?;
    }
    Ok((run, Api { http, urls }))
}

/// Runs drill `drill`; an error means it could not get to its checks.
pub async fn run_drill(
    drill: DrillName,
    options: &DrillOptions,
) -> Result<DrillReport, DrillError> {
    let started = Instant::now();
    let mut options = options.clone();
    if let Some(hold) = drill.min_hold(options.nodes) {
        options.hold = options.hold.max(hold);
    }
    let options = &options;
    let (mut run, api_all) = start_cluster(options, drill.extra_nodes())?;
    // The load, the leader probes and the final reads go to the initial
    // voters only.
    let api = Api {
        http: api_all.http.clone(),
        urls: api_all.urls[..options.nodes].to_vec(),
    };
    let subnet = format!("10.77.{}.0/24", run.lab.run());
    let Some((leader, term)) = api.wait_leader(None, FIRST_LEADER_WITHIN).await else {
        let kept = run.dir.keep();
        return Err(setup(format!(
            "no leader within {FIRST_LEADER_WITHIN:?}: see the node logs in {}",
            kept.display()
        )));
    };
    run.start = Instant::now();
    run.note(format!("cluster up: leader node {leader} term {term}"));

    let clients = options.clients.max(1);
    let per_client = options.incidents.div_ceil(clients).max(1);
    let pause = options
        .planned()
        .mul_f64(clients as f64 / (clients * per_client) as f64);
    let load = Arc::new(Load {
        api: api.clone(),
        history: Arc::new(History::new()),
        phase: AtomicU8::new(BEFORE),
        start: run.start,
        latencies: Mutex::new(Vec::new()),
        acks: Mutex::new(Vec::new()),
        prefix: format!("l3-{}-{}", drill.as_str(), run.lab.run()),
        clients,
        per_client,
        pause,
        attempt_timeout: Duration::from_millis(2_500),
        attempts_max: 12,
    });
    let workers: Vec<_> = (0..clients)
        .map(|client| tokio::spawn(load.clone().run_client(client)))
        .collect();

    tokio::time::sleep(options.before).await;
    let mut problems = Vec::new();
    let mut leader_recovery_ms = None;
    load.phase.store(DURING, Ordering::Relaxed);
    let fault_at = Instant::now();
    let fault_ms = run.start.elapsed().as_millis() as u64;
    let nodes = options.nodes;
    let leader_index = leader as usize;
    let follower = (1..=nodes).find(|n| *n != leader_index).unwrap_or(1);
    match drill {
        DrillName::KillLeader => {
            run.nodes.kill(leader_index);
            run.note(format!("SIGKILL node {leader} (leader)"));
        }
        DrillName::IsolateLeader => {
            run.lab.isolate(leader_index)?;
            run.note(format!(
                "isolate node {leader} (leader) from the other nodes"
            ));
        }
        DrillName::MinoritySplit => {
            run.lab.isolate(follower)?;
            run.note(format!("isolate node {follower} (follower): 2|1 split"));
        }
        DrillName::OneWay => {
            run.lab.cut_one_way(leader_index, follower)?;
            run.note(format!(
                "cut node {leader} (leader) -> node {follower} one way"
            ));
        }
        DrillName::PauseLeader => {
            run.nodes.signal(leader_index, "STOP")?;
            run.note(format!("SIGSTOP node {leader} (leader)"));
        }
        DrillName::Lossy => {
            run.lab.lossy(20)?;
            run.note("drop 20% of node-to-node packets");
        }
        DrillName::RollingRestart => {
            let mut slowest = 0;
            for node in 1..=nodes {
                match restart(&mut run, &api, node, &[], &[]).await? {
                    Ok(ms) => slowest = slowest.max(ms),
                    Err(problem) => problems.push(problem),
                }
            }
            leader_recovery_ms = Some(slowest);
            run.note(format!(
                "every node restarted; slowest back in {slowest} ms"
            ));
        }
        DrillName::ClockSkew => {
            // libfaketime preloaded directly, not through the `faketime`
            // program: that one forks and waits, so SIGTERM would reach
            // it and not the node.
            let library = faketime_library().ok_or_else(|| {
                setup("libfaketime.so.1 not found: install libfaketime (apt-get install faketime)")
            })?;
            let library = library.to_string_lossy().into_owned();
            run.note(format!("skew node {follower} (follower) by +300 s"));
            match restart(
                &mut run,
                &api,
                follower,
                &[],
                &[
                    ("LD_PRELOAD", library.as_str()),
                    ("FAKETIME", "+300s"),
                    ("FAKETIME_DONT_FAKE_MONOTONIC", "1"),
                ],
            )
            .await?
            {
                Ok(ms) => leader_recovery_ms = Some(ms),
                Err(problem) => problems.push(problem),
            }
            match last_start_skew(&run.nodes.dir.join(format!("node-{follower}.log"))) {
                Some(skew) if (250..=400).contains(&skew) => {
                    run.note(format!("node {follower} logs {skew} s ahead of the true clock"))
                }
                other => problems.push(format!(
                    "node {follower}'s clock is not skewed by about +300 s: its log is {other:?} s ahead"
                )),
            }
        }
        DrillName::MembershipChurn => {
            let extra = nodes + 1;
            run.nodes.spawn(&run.lab, extra)?;
            run.note(format!("start node {extra} (not a member)"));
            for (verb, pause) in [
                ("add-learner", Duration::from_secs(2)),
                ("promote", Duration::from_secs(3)),
                ("remove", Duration::from_secs(1)),
            ] {
                match ctl(&run, options, &["members", verb, &extra.to_string()]).await {
                    Ok(out) => run.note(format!("ctl members {verb} {extra}: {out}")),
                    Err(error) => {
                        run.note(format!("ctl members {verb} {extra} FAILED"));
                        problems.push(format!("ctl members {verb} {extra}: {error}"));
                    }
                }
                if verb != "remove" {
                    let caught_up = api_all.view(extra).await;
                    run.note(format!(
                        "node {extra} sees: {}",
                        caught_up.map_or("no answer".to_string(), |view| format!(
                            "role {} leader {:?} term {}",
                            view.role, view.leader, view.term
                        ))
                    ));
                }
                tokio::time::sleep(pause).await;
            }
            let graceful = run.nodes.stop(extra, Duration::from_secs(10)).await?;
            run.note(format!(
                "stop node {extra} ({})",
                if graceful {
                    "SIGTERM"
                } else {
                    "SIGKILL after 10 s"
                }
            ));
            let status = ctl(&run, options, &["status"]).await;
            run.note(format!(
                "ctl status: {}",
                status.unwrap_or_else(|error| error).replace('\n', " | ")
            ));
        }
    }

    if drill.expects_new_leader() {
        match api.wait_leader(Some(term), RECOVERY_WITHIN).await {
            Some((new_leader, new_term)) => {
                leader_recovery_ms = Some(fault_at.elapsed().as_millis() as u64);
                run.note(format!("new leader node {new_leader} term {new_term}"));
            }
            None => problems.push(format!(
                "no new leader within {RECOVERY_WITHIN:?} of the fault"
            )),
        }
    }
    // Hold the fault, noting leadership changes.
    let hold_until = if drill.min_hold(nodes).is_some() {
        (fault_at + options.hold).max(Instant::now())
    } else {
        Instant::now() + options.hold
    };
    let mut seen = api.settled_leader(None).await;
    while Instant::now() < hold_until {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = api.settled_leader(None).await;
        if now.is_some() && now != seen {
            if let Some((node, term)) = now {
                run.note(format!("leader node {node} term {term}"));
            }
            seen = now;
        }
    }

    match drill {
        DrillName::KillLeader => {
            run.nodes.spawn(&run.lab, leader_index)?;
            run.note(format!("restart node {leader}"));
        }
        DrillName::PauseLeader => {
            run.nodes.signal(leader_index, "CONT")?;
            run.note(format!("SIGCONT node {leader}"));
        }
        DrillName::ClockSkew => {
            run.note(format!(
                "unskew node {follower}: restart with the true clock"
            ));
            if let Err(problem) = restart(&mut run, &api, follower, &[], &[]).await? {
                problems.push(problem);
            }
        }
        DrillName::RollingRestart | DrillName::MembershipChurn => {
            run.note("heal: nothing left to undo");
        }
        _ => {
            run.lab.heal()?;
            run.note("heal: every rule removed");
        }
    }
    load.phase.store(AFTER, Ordering::Relaxed);
    let heal_at = Instant::now();

    tokio::time::sleep(options.after).await;
    for worker in workers {
        if let Err(error) = worker.await {
            problems.push(format!("a client task failed: {error}"));
        }
    }
    run.note("load done");
    tokio::time::sleep(options.quiet).await;
    let unanswered = load.retry_unanswered().await;
    run.note(format!(
        "quiet period over; {unanswered} requests unanswered"
    ));

    // Every node must be back and caught up: read back from each.
    let leader_after = api
        .wait_leader(None, Duration::from_secs(10))
        .await
        .map(|(node, _)| node);
    let mut final_reads: FinalReads = BTreeMap::new();
    for node in 1..=nodes {
        let give_up = Instant::now() + Duration::from_secs(15);
        loop {
            match api.final_read(node).await {
                Ok(reads) => {
                    final_reads.insert(format!("node-{node}"), reads);
                    break;
                }
                Err(error) if Instant::now() > give_up => {
                    problems.push(format!("node {node} could not be read: {error}"));
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }
    run.note(format!(
        "final reads from {} nodes ({} ms after heal)",
        final_reads.len(),
        heal_at.elapsed().as_millis()
    ));

    let records = load.history.records().map_err(setup)?;
    let verdict = RequestVerdict::check(&records, &final_reads);
    problems.extend(verdict.violations.iter().map(ToString::to_string));
    if let Err(panics) = no_panic(&run.nodes.logs()) {
        problems.extend(panics.iter().map(ToString::to_string));
    }
    if verdict.acknowledged == 0 {
        problems.push("no report was acknowledged".into());
    }

    let latencies = load.latencies.lock().map(|l| l.clone()).unwrap_or_default();
    let phase = |wanted: u8| {
        Latency::of(
            latencies
                .iter()
                .filter(|(phase, _)| *phase == wanted)
                .map(|(_, ms)| *ms)
                .collect(),
        )
    };
    let mut acks = load.acks.lock().map(|a| a.clone()).unwrap_or_default();
    acks.sort_unstable();
    let longest_ack_gap_ms = acks
        .iter()
        .filter(|at| **at >= fault_ms)
        .fold((fault_ms, 0), |(last, gap), at| (*at, gap.max(at - last)))
        .1;

    let passed = problems.is_empty();
    let kept = if options.keep || !passed {
        let dir = std::mem::replace(&mut run.dir, tempfile::tempdir().map_err(setup)?);
        Some(dir.keep())
    } else {
        None
    };
    Ok(DrillReport {
        drill,
        nodes,
        subnet,
        timeline: std::mem::take(&mut run.timeline),
        leader_before: leader,
        leader_after,
        leader_recovery_ms,
        longest_ack_gap_ms,
        requests: clients * per_client,
        ops: OpTally::of(&records).into(),
        acknowledged: verdict.acknowledged,
        unanswered,
        lost: verdict.lost,
        duplicates: verdict.duplicates,
        nodes_read: final_reads.len(),
        problems,
        latency_before: phase(BEFORE),
        latency_during: phase(DURING),
        latency_after: phase(AFTER),
        elapsed_ms: started.elapsed().as_millis() as u64,
        kept,
    })
}

/// Restarts node `node`: SIGTERM, wait for the exit (SIGKILL after 15 s),
/// start it again from the same files (under `wrapper` with `env`), wait
/// until it answers `/readyz` and a leader is settled. `Ok(Ok(ms))`: from
/// the SIGTERM to ready; `Ok(Err(problem))`: it did not come back in time.
async fn restart(
    run: &mut Run,
    api: &Api,
    node: usize,
    wrapper: &[&str],
    env: &[(&str, &str)],
) -> Result<Result<u64, String>, DrillError> {
    let began = Instant::now();
    let graceful = run.nodes.stop(node, Duration::from_secs(15)).await?;
    run.note(format!(
        "node {node} {} after {} ms",
        if graceful {
            "exited on SIGTERM"
        } else {
            "ignored SIGTERM for 15 s: SIGKILLed"
        },
        began.elapsed().as_millis()
    ));
    run.nodes.spawn_with(&run.lab, node, wrapper, env)?;
    let shown = if wrapper.is_empty() {
        String::new()
    } else {
        format!(" under `{}`", wrapper.join(" "))
    };
    run.note(format!("start node {node}{shown}"));
    let give_up = Instant::now() + RECOVERY_WITHIN;
    while Instant::now() < give_up {
        // The answer must come from the new process, not a survivor.
        if let Some(child) = run.nodes.children[node - 1].as_mut() {
            if let Ok(Some(status)) = child.try_wait() {
                run.nodes.children[node - 1] = None;
                return Ok(Err(format!(
                    "node {node} exited right after its restart: {status} (see its log)"
                )));
            }
        }
        if api.ready(node).await {
            if let Some((leader, term)) = api.settled_leader(None).await {
                let ms = began.elapsed().as_millis() as u64;
                run.note(format!(
                    "node {node} ready; leader node {leader} term {term} ({ms} ms after SIGTERM)"
                ));
                return Ok(Ok(ms));
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(Err(format!(
        "node {node} not ready with a settled leader within {RECOVERY_WITHIN:?} of its restart"
    )))
}

/// libfaketime's preload library, where Debian and Fedora put it.
fn faketime_library() -> Option<PathBuf> {
    [
        "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
        "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
        "/usr/lib64/faketime/libfaketime.so.1",
        "/usr/lib/faketime/libfaketime.so.1",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|path| path.is_file())
}

/// Seconds by which the last `consensus node started` line of a node log
/// is ahead of the true clock now (negative: behind).
fn last_start_skew(log: &Path) -> Option<i64> {
    let text = std::fs::read_to_string(log).ok()?;
    let line = text
        .lines()
        .rev()
        .find(|line| line.contains("consensus node started"))?;
    // Drop the ANSI colours, then the first word is the RFC 3339 time.
    let mut plain = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    let stamp = plain.split_whitespace().next()?;
    let number = |range: std::ops::Range<usize>| stamp.get(range)?.parse::<i64>().ok();
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    // Days from 1970-01-01 to the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let logged = days * 86_400 + hour * 3_600 + minute * 60 + second;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs() as i64;
    Some(logged - now)
}

/// `cordon ctl --cluster F ARGS` inside node 1's namespace (the operator
/// certificate sits with the cluster's), bounded to 30 s: its stdout, or
/// the failure with its stderr.
async fn ctl(run: &Run, options: &DrillOptions, args: &[&str]) -> Result<String, String> {
    let mut command = Command::new("timeout");
    command
        .arg("30")
        .arg(&options.cordon)
        .arg("ctl")
        .arg("--cluster")
        .arg(&run.nodes.cluster_path)
        .args(args);
    let mut command = run.lab.run_in(1, &command).map_err(|e| e.to_string())?;
    command.stdin(Stdio::null());
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&output.stdout).trim().to_string();
    if output.status.success() {
        Ok(stdout)
    } else {
        Err(format!(
            "{}: {} {}",
            output.status,
            stdout,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// `<target dir>/debug/cordon` next to the running test or binary
/// (`target/debug/deps/<test>` or `target/debug/<bin>`).
pub fn cordon_next_to(exe: &Path) -> Option<PathBuf> {
    exe.ancestors()
        .skip(1)
        .take(3)
        .map(|dir| dir.join("cordon"))
        .find(|candidate| candidate.is_file())
}
