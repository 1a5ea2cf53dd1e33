//! L1, the deterministic simulation: whole Cordon consensus clusters (real
//! openraft, real redb files, real quinn with mutual TLS) on turmoil's
//! simulated network and clock, driven by one seed.
//!
//! # A run
//! 1. The seed fixes the [`FaultSchedule`] before anything starts (isolated
//!    nodes, minority splits, bridges, one-way cuts, loss, slow links,
//!    crashes, power cuts of several nodes, quick restarts, pauses and
//!    membership churn), each node's election timeout, each QUIC
//!    endpoint's randomness, the loss decisions, turmoil's message
//!    latencies, and the clients' choices. A pause holds the node's
//!    datagrams on its links and delivers them at the heal: turmoil cannot
//!    stop one host's clock, so the paused node's own timers still run.
//! 2. Nodes are turmoil hosts (`192.168.0.<id>`), each a [`ConsensusNode`]
//!    over a [`SimSocket`], its redb database on a [`CrashDisk`]. A crash
//!    drops the host's runtime (every task and socket, the open database)
//!    and the disk forgets every write since its last sync; a restart
//!    starts the node from what the disk kept. Appends are synced before
//!    openraft hears of them, so what a crash loses is memory and the
//!    writes made without a sync (the saved commit index).
//! 3. Clients on their own host report incidents over QUIC with the
//!    operator's certificate, retrying under the same request id, and
//!    record a [`History`] in simulated time. What they report (kind,
//!    priority, force, place) is the New Year surge at the Bund from the
//!    seeded load generator ([`crate::shared::load`]). An operator on the same host
//!    carries out churn: a spare node (the cluster file lists
//!    [`SPARE_NODES`] non-voters) is added and promoted, a voter removed.
//! 4. At the end of the fault phase everything heals; the clients measure
//!    recovery (a leader, a fresh write), retry what stayed indeterminate,
//!    wait for every member to apply the whole log and read every member
//!    (a removed node is out of the cluster and owes nothing).
//! 5. The checkers judge: no acknowledged report lost on any node, each
//!    request applied once, liveness after heal within
//!    [`HEAL_BOUND_MS`].
//!
//! # What a seed does not fix
//! The schedule and the verdict replay exactly. The run itself replays as
//! far as these allow, and [`SimReport::fingerprint`] (a hash of the
//! clients' history with simulated timestamps) shows whether it did:
//! - tokio's `select!` picks its first branch at random unless tokio is
//!   built with `--cfg tokio_unstable` and seeded (turmoil seeds it then);
//! - quinn's work limiter measures real time to decide how many datagrams
//!   a driver handles before yielding;
//! - rustls with ring draws handshake randomness (key shares, nonces) from
//!   the OS; sizes are fixed for the ECDSA P-256 certificates except the
//!   DER length of a signature, which can move a packet boundary;
//! - the wall clock: certificates are checked against it, and the ledger's
//!   hash chains include `proposed_at_ms` (taken from the simulated clock
//!   here, so only the certificate check remains).

pub mod cli;
pub mod schedule;
pub mod socket;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use cordon_config::District;
use cordon_config::{ClusterConfig, Limits, RaftTiming};
use cordon_consensus::ledger::{Action, Command, Effect, NewIncident, Origin, RequestId};
use cordon_consensus::node::node_addr;
use cordon_consensus::state_machine::LedgerReader;
use cordon_consensus::tls::{PeerIdentity, TlsIdentity};
use cordon_consensus::transport::{Transport, TransportConfig};
use cordon_consensus::types::RaftMetrics;
use cordon_consensus::wire::{MembershipChange, Request, Response};
use cordon_consensus::{ConsensusNode, NodeId, NodeOptions, WriteError};
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use serde::Serialize;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::faults::{Links, NetworkFault};
use crate::judge::checkers::{
    consensus_liveness, request_outcomes, FinalReads, RecoveryTimes, RequestOutcome, Violation,
};
use crate::judge::history::{History, IncidentResult, Op, OpResult};
use crate::judge::raft_views::{
    converged_index, describe, incidents_by_request, majority_leader, RaftView,
};
use crate::judge::verdict::{OpTally, RequestVerdict};
use crate::shared::certs::certify;
use crate::shared::disk::CrashDisk;
use crate::shared::load::{ClockTime, LoadGenerator, LoadPlan, LoadProfile};
pub use schedule::{FaultSchedule, ScheduledFault, SimFault, SPARE_NODES};
pub use socket::{SimLoss, SimSocket};

/// The cluster's name in certificates.
const CLUSTER_NAME: &str = "sim";
/// Simulated time before the first fault: the first election and the
/// first reports.
pub const WARMUP_MS: u64 = 1_500;
/// After the heal, a leader and a fresh write must come within this.
pub const HEAL_BOUND_MS: u64 = 10_000;
/// After the heal, everything (recovery, retries, catch-up) must be done
/// within this, or the run fails as stuck.
const SETTLE_MS_MAX: u64 = 60_000;
/// Latency of a healthy simulated LAN link.
const LAN_LATENCY_MS_MIN: u64 = 1;
/// Largest latency of a healthy simulated LAN link.
const LAN_LATENCY_MS_MAX: u64 = 5;
/// Datagrams a simulated socket queues before dropping (turmoil's default
/// of 64 would drop bursts a real socket buffer holds).
const UDP_QUEUE_DATAGRAMS_MAX: usize = 4_096;
/// The QUIC port of every node.
const QUIC_PORT: u16 = 7_100;
/// The HTTP port in the cluster file (no HTTP server runs in the simulation).
const API_PORT: u16 = 8_100;
/// The last octet of the clients' host address.
const CLIENT_HOST: u8 = 200;
/// The clients' QUIC port.
const CLIENT_PORT: u16 = 9_000;
/// Election timeouts are drawn from slots this far apart, from 300 ms up,
/// so no two nodes time out together.
const ELECTION_SLOT_MS: u64 = 40;
/// The shortest election timeout.
const ELECTION_TIMEOUT_MS_MIN: u64 = 300;
/// A client's deadline for one attempt.
const ATTEMPT_TIMEOUT_MS: u64 = 2_000;
/// Attempts per request id, the first included.
const ATTEMPTS_MAX: u32 = 8;
/// Pause after an attempt that got no answer or no leader.
const RETRY_PAUSE_MS: u64 = 50;
/// Longest pause between a client's reports.
const THINK_MS_MAX: u64 = 150;
/// How often waits look at the nodes.
const POLL_MS: u64 = 10;
/// Violations a report lists before it only counts the rest.
const VIOLATIONS_SHOWN_MAX: usize = 10;
/// How long the operator keeps at one churn (through elections and
/// partitions) before giving up on it.
const CHURN_MS_MAX: u64 = 10_000;

/// How to run one seed.
#[derive(Clone, Debug, Serialize)]
pub struct SimOptions {
    /// Every random choice of the run comes from it.
    pub seed: u64,
    /// Nodes, all voters (3 or 5 make sense).
    pub nodes: usize,
    /// Length of the fault phase in steps of 1 ms of simulated time.
    pub steps: u64,
    /// Concurrent clients.
    pub clients: u64,
    /// Faults to inject instead of the seed's schedule (the checkers' own
    /// tests plant exact scenarios); `None` draws them from the seed.
    pub schedule: Option<FaultSchedule>,
    /// Plant a bug: every node's disk answers `sync` without syncing. Only
    /// for proving that the checkers catch lost acknowledgements.
    pub lying_disks: bool,
}

impl SimOptions {
    /// Three nodes, three clients, an 8 s fault phase.
    pub fn new(seed: u64) -> SimOptions {
        SimOptions {
            seed,
            nodes: 3,
            steps: 8_000,
            clients: 3,
            schedule: None,
            lying_disks: false,
        }
    }

    /// The command that replays this run (a run with a planted schedule
    /// or planted bug replays only from its test).
    pub fn replay_command(&self) -> String {
        if self.schedule.is_some() || self.lying_disks {
            return "a planted scenario (its own schedule or bug): rerun its test".to_string();
        }
        format!(
            "cargo run -p cordon-chaos --bin cordon-chaos -- sim --seed {} --nodes {} --steps {} --clients {}",
            self.seed, self.nodes, self.steps, self.clients
        )
    }
}

/// Why a run could not get to its verdict.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// Files, certificates or the cluster file could not be set up.
    #[error("set up the simulated cluster: {0}")]
    Setup(String),
}

/// What one seed's run found.
#[derive(Clone, Debug, Serialize)]
pub struct SimReport {
    /// The run's options (seed, nodes, steps, clients).
    pub options: SimOptions,
    /// The faults, as drawn from the seed.
    pub schedule: FaultSchedule,
    /// How the clients' operations ended.
    #[serde(skip)]
    pub ops: OpTally,
    /// Lost acknowledgements and duplicates.
    #[serde(skip)]
    pub requests: RequestVerdict,
    /// Recovery after the heal.
    #[serde(skip)]
    pub recovery: RecoveryTimes,
    /// Violations of liveness after heal.
    #[serde(skip)]
    pub liveness: Vec<Violation>,
    /// What stopped the run short of a verdict (a node's software failed, a
    /// wait ran out).
    pub problems: Vec<String>,
    /// Datagrams sent between hosts and dropped by lossy faults.
    pub datagrams: (u64, u64),
    /// Unsynced bytes the nodes' disks lost at crashes.
    pub lost_unsynced_bytes: u64,
    /// The highest Raft term any node reached.
    pub highest_term: u64,
    /// What became of each membership churn.
    pub churns: Vec<String>,
    /// Simulated time the run took.
    pub simulated_ms: u64,
    /// Real time the run took.
    pub real_ms: u64,
    /// Hash of the clients' history (operations, outcomes, simulated
    /// times): equal fingerprints mean the run replayed exactly as the
    /// clients saw it.
    pub fingerprint: u64,
}

impl SimReport {
    /// True when every checker passed and the run reached its verdict.
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
            && self.requests.is_clean()
            && self.liveness.is_empty()
            && self.ops.ok > 0
    }

    /// The verdict in a form that replays compare: `pass`, or the broken
    /// invariants and problems.
    pub fn verdict(&self) -> String {
        if self.passed() {
            return "pass".to_string();
        }
        let mut parts: Vec<String> = self
            .requests
            .violations
            .iter()
            .chain(&self.liveness)
            .map(|violation| violation.invariant.to_string())
            .collect();
        if self.ops.ok == 0 {
            parts.push("no operation acknowledged".to_string());
        }
        parts.extend(self.problems.iter().cloned());
        parts.dedup();
        format!("fail: {}", parts.join(", "))
    }
}

impl fmt::Display for SimReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = |duration: Option<Duration>| {
            duration.map_or_else(|| "-".to_string(), |d| d.as_millis().to_string())
        };
        writeln!(
            f,
            "seed={} nodes={} steps={} verdict={} ops: {} acknowledged={} lost={} duplicates={} leader_after_heal_ms={} fresh_write_after_heal_ms={} highest_term={} datagrams={} dropped={} lost_unsynced_bytes={} simulated_ms={} real_ms={} fingerprint={:016x}",
            self.options.seed,
            self.options.nodes,
            self.options.steps,
            self.verdict(),
            self.ops,
            self.requests.acknowledged,
            self.requests.lost,
            self.requests.duplicates,
            millis(self.recovery.leader_elected),
            millis(self.recovery.fresh_write_committed),
            self.highest_term,
            self.datagrams.0,
            self.datagrams.1,
            self.lost_unsynced_bytes,
            self.simulated_ms,
            self.real_ms,
            self.fingerprint,
        )?;
        write!(f, "  faults: {}", self.schedule)?;
        for churn in &self.churns {
            write!(f, "\n  {churn}")?;
        }
        let violations: Vec<&Violation> = self
            .requests
            .violations
            .iter()
            .chain(&self.liveness)
            .collect();
        for violation in violations.iter().take(VIOLATIONS_SHOWN_MAX) {
            write!(f, "\n  violation: {violation}")?;
        }
        if violations.len() > VIOLATIONS_SHOWN_MAX {
            let more = violations.len() - VIOLATIONS_SHOWN_MAX;
            write!(f, "\n  ... and {more} more violations")?;
        }
        for problem in &self.problems {
            write!(f, "\n  problem: {problem}")?;
        }
        if !self.passed() {
            write!(f, "\n  replay: {}", self.options.replay_command())?;
        }
        Ok(())
    }
}

/// What a running node shows the clients: its applied ledger and its Raft
/// metrics (plain shared memory, readable from any host).
#[derive(Clone)]
struct NodeHandle {
    reader: LedgerReader,
    metrics: watch::Receiver<RaftMetrics>,
}

/// State shared by the driver, the node hosts and the clients' host.
#[derive(Default)]
struct Shared {
    /// The running nodes; a crash removes the node before its host stops.
    nodes: Mutex<BTreeMap<NodeId, NodeHandle>>,
    /// Starts of each node so far, to seed each incarnation's endpoint.
    starts: Mutex<BTreeMap<NodeId, u64>>,
    /// Set by the driver when the fault phase ends and everything heals.
    healed: AtomicBool,
    /// What the clients' host found, once it is done.
    outcome: Mutex<Option<ClientOutcome>>,
    /// Problems met by hosts (a node that failed to start).
    problems: Mutex<Vec<String>>,
    /// Membership churns the driver asked for, not yet taken by the
    /// operator (add, remove).
    churns: Mutex<Vec<(NodeId, NodeId)>>,
    /// What became of each churn.
    churn_log: Mutex<Vec<String>>,
}

impl Shared {
    fn views(&self) -> Vec<RaftView> {
        lock(&self.nodes)
            .values()
            .map(|node| RaftView::of(&node.metrics.borrow()))
            .collect()
    }
}

/// What the clients' host hands the driver.
struct ClientOutcome {
    recovery: RecoveryTimes,
    final_reads: FinalReads,
    problems: Vec<String>,
}

/// Runs one seed to its verdict.
pub fn run(options: &SimOptions) -> Result<SimReport, SimError> {
    let real_start = std::time::Instant::now();
    let nodes = options.nodes.max(1);
    let schedule = options
        .schedule
        .clone()
        .unwrap_or_else(|| FaultSchedule::generate(options.seed, nodes, WARMUP_MS, options.steps));
    let dir = tempfile::Builder::new()
        .prefix("cordon-l1-")
        .tempdir()
        .map_err(|e| SimError::Setup(format!("temporary folder: {e}")))?;
    let config = cluster_config(dir.path(), nodes, SPARE_NODES)?;
    let ids: Vec<NodeId> = config.nodes().iter().map(|spec| spec.id).collect();
    certify(&config).map_err(|e| SimError::Setup(format!("certificates: {e}")))?;

    let shared = Arc::new(Shared::default());
    // Stamped in simulated time: only the clients' host records.
    let history = Arc::new(History::with_clock(|| {
        turmoil::sim_elapsed().unwrap_or_default()
    }));
    let loss = SimLoss::new(options.seed.rotate_left(17) ^ 0x1055);
    let timeouts = election_timeouts(options.seed, &ids);
    let disks: BTreeMap<NodeId, Arc<CrashDisk>> = ids
        .iter()
        .map(|id| {
            let disk = if options.lying_disks {
                CrashDisk::lying_about_sync()
            } else {
                CrashDisk::in_memory()
            };
            (*id, disk)
        })
        .collect();
    let mut sim = turmoil::Builder::new()
        .rng_seed(options.seed)
        .tick_duration(Duration::from_millis(1))
        .simulation_duration(Duration::from_millis(
            schedule.end_ms + SETTLE_MS_MAX + WARMUP_MS,
        ))
        .min_message_latency(Duration::from_millis(LAN_LATENCY_MS_MIN))
        .max_message_latency(Duration::from_millis(LAN_LATENCY_MS_MAX))
        .udp_capacity(UDP_QUEUE_DATAGRAMS_MAX)
        .build();
    for id in &ids {
        let node = NodeSoftware {
            id: *id,
            config: config.clone(),
            shared: shared.clone(),
            loss: loss.clone(),
            disk: disks[id].clone(),
            seed: options.seed,
            election_timeout_ms: timeouts[id],
        };
        sim.host(host_ip(*id), move || node.clone().run());
    }
    let clients = Clients {
        options: options.clone(),
        config: config.clone(),
        shared: shared.clone(),
        loss: loss.clone(),
        history: history.clone(),
        fault_end_ms: schedule.end_ms,
    };
    sim.client(client_ip(), clients.run());

    let mut problems = drive(&mut sim, &schedule, &disks, &shared, &loss);
    let simulated_ms = sim.elapsed().as_millis() as u64;
    let highest_term = shared
        .views()
        .iter()
        .map(|view| view.term)
        .max()
        .unwrap_or(0);
    drop(sim);

    problems.extend(lock(&shared.problems).drain(..));
    let outcome = lock(&shared.outcome).take();
    let churns = std::mem::take(&mut *lock(&shared.churn_log));
    let records = history.records().unwrap_or_else(|error| {
        problems.push(format!("history: {error}"));
        Vec::new()
    });
    let (recovery, final_reads) = match outcome {
        Some(outcome) => {
            problems.extend(outcome.problems);
            (outcome.recovery, outcome.final_reads)
        }
        None => {
            problems.push("the clients did not finish".to_string());
            (RecoveryTimes::default(), FinalReads::new())
        }
    };
    let requests = RequestVerdict::check(&records, &final_reads);
    let liveness = consensus_liveness(&recovery, Duration::from_millis(HEAL_BOUND_MS))
        .err()
        .unwrap_or_default();
    Ok(SimReport {
        options: options.clone(),
        schedule,
        ops: OpTally::of(&records),
        requests,
        recovery,
        liveness,
        problems,
        datagrams: loss.counts(),
        lost_unsynced_bytes: disks.values().map(|disk| disk.lost_bytes()).sum(),
        highest_term,
        churns,
        simulated_ms,
        real_ms: real_start.elapsed().as_millis() as u64,
        fingerprint: fingerprint(&history),
    })
}

/// Steps the simulation, applying each fault at its start and healing it
/// at its end; heals everything at the end of the fault phase. Returns the
/// problems met (a host failed, the run did not finish).
fn drive(
    sim: &mut turmoil::Sim<'_>,
    schedule: &FaultSchedule,
    disks: &BTreeMap<NodeId, Arc<CrashDisk>>,
    shared: &Shared,
    loss: &SimLoss,
) -> Vec<String> {
    let ids: Vec<NodeId> = disks.keys().copied().collect();
    let ids = ids.as_slice();
    let mut next = 0;
    let mut active: Option<&ScheduledFault> = None;
    let mut healed = false;
    loop {
        let now_ms = sim.elapsed().as_millis() as u64;
        if let Some(fault) = active {
            if now_ms >= fault.heal_at_ms {
                heal(sim, &fault.fault, ids, loss);
                active = None;
            }
        }
        if active.is_none() {
            if let Some(fault) = schedule.faults.get(next) {
                if now_ms >= fault.at_ms {
                    inject(sim, &fault.fault, disks, shared, loss);
                    active = Some(fault);
                    next += 1;
                }
            }
        }
        if !healed && now_ms >= schedule.end_ms {
            if let Some(fault) = active.take() {
                heal(sim, &fault.fault, ids, loss);
            }
            shared.healed.store(true, Ordering::SeqCst);
            healed = true;
        }
        match sim.step() {
            Ok(true) => return Vec::new(),
            Ok(false) => {}
            Err(error) => return vec![format!("simulation stopped: {error}")],
        }
    }
}

/// Starts `fault`: its links cut (or, for a pause, held), its loss set,
/// its nodes crashed, its churn handed to the operator.
fn inject(
    sim: &mut turmoil::Sim<'_>,
    fault: &SimFault,
    disks: &BTreeMap<NodeId, Arc<CrashDisk>>,
    shared: &Shared,
    loss: &SimLoss,
) {
    let ids: Vec<NodeId> = disks.keys().copied().collect();
    match fault {
        SimFault::Network(fault) => {
            let Ok(()) = fault.inject(&ids, &SimLinks { sim: &*sim, loss });
        }
        SimFault::Pause { node } => {
            for (a, b) in (NetworkFault::Isolate { node: *node }).links(&ids) {
                sim.hold(host_ip(a), host_ip(b));
            }
        }
        SimFault::Slow { latency_ms_max } => {
            sim.set_max_message_latency(Duration::from_millis(*latency_ms_max));
        }
        SimFault::Crash { node } => crash(sim, disks, shared, *node),
        SimFault::Restart { node } => {
            lock(&shared.nodes).remove(node);
            crash_disk(&disks[node], *node, shared);
            sim.bounce(host_ip(*node));
        }
        SimFault::Churn { add, remove } => lock(&shared.churns).push((*add, *remove)),
        SimFault::PowerCut { nodes } => {
            for node in nodes {
                crash(sim, disks, shared, *node);
            }
        }
    }
}

/// Ends `fault`: its links restored (or released), its loss cleared, its
/// crashed nodes started again.
fn heal(sim: &mut turmoil::Sim<'_>, fault: &SimFault, ids: &[NodeId], loss: &SimLoss) {
    match fault {
        SimFault::Network(fault) => {
            let Ok(()) = fault.heal(ids, &SimLinks { sim: &*sim, loss });
        }
        SimFault::Pause { node } => {
            for (a, b) in (NetworkFault::Isolate { node: *node }).links(ids) {
                sim.release(host_ip(a), host_ip(b));
            }
        }
        SimFault::Restart { .. } | SimFault::Churn { .. } => {}
        SimFault::Slow { .. } => {
            sim.set_max_message_latency(Duration::from_millis(LAN_LATENCY_MS_MAX));
        }
        SimFault::Crash { node } => sim.bounce(host_ip(*node)),
        SimFault::PowerCut { nodes } => {
            for node in nodes {
                sim.bounce(host_ip(*node));
            }
        }
    }
}

/// Crashes node `node`: out of the clients' sight, its disk back to its
/// last sync, its host stopped.
fn crash(
    sim: &mut turmoil::Sim<'_>,
    disks: &BTreeMap<NodeId, Arc<CrashDisk>>,
    shared: &Shared,
    node: NodeId,
) {
    lock(&shared.nodes).remove(&node);
    crash_disk(&disks[&node], node, shared);
    sim.crash(host_ip(node));
}

/// Crashes a node's disk; a disk that cannot even do that is a problem of
/// the run.
fn crash_disk(disk: &CrashDisk, node: NodeId, shared: &Shared) {
    if let Err(error) = disk.crash() {
        lock(&shared.problems).push(format!("crash node {node}'s disk: {error}"));
    }
}

/// turmoil's network and the run's loss, as [`Links`] between node hosts:
/// a cut is a one-way partition, a loss a rate in [`SimLoss`].
struct SimLinks<'a, 'sim> {
    sim: &'a turmoil::Sim<'sim>,
    loss: &'a SimLoss,
}

impl Links for SimLinks<'_, '_> {
    type Error = Infallible;

    fn cut(&self, from: NodeId, to: NodeId) -> Result<(), Infallible> {
        self.sim.partition_oneway(host_ip(from), host_ip(to));
        Ok(())
    }

    fn restore(&self, from: NodeId, to: NodeId) -> Result<(), Infallible> {
        self.sim.repair_oneway(host_ip(from), host_ip(to));
        Ok(())
    }

    fn set_loss(&self, from: NodeId, to: NodeId, percent: u32) -> Result<(), Infallible> {
        self.loss
            .set(host_ip(from), host_ip(to), f64::from(percent) / 100.0);
        Ok(())
    }
}

/// One node's software, started again by turmoil on every restart.
#[derive(Clone)]
struct NodeSoftware {
    id: NodeId,
    config: ClusterConfig,
    shared: Arc<Shared>,
    loss: Arc<SimLoss>,
    disk: Arc<CrashDisk>,
    seed: u64,
    election_timeout_ms: u64,
}

impl NodeSoftware {
    async fn run(self) -> turmoil::Result {
        let incarnation = {
            let mut starts = lock(&self.shared.starts);
            let count = starts.entry(self.id).or_insert(0);
            *count += 1;
            *count
        };
        let addr = SocketAddr::new(host_ip(self.id), QUIC_PORT);
        let socket = SimSocket::bind(addr, self.loss.clone()).await?;
        let failed = |error: String| {
            let problem = format!("node {} start {incarnation}: {error}", self.id);
            lock(&self.shared.problems).push(problem.clone());
            problem
        };
        let database = redb::Builder::new()
            .create_with_backend(self.disk.backend())
            .map_err(|error| failed(error.to_string()))?;
        let options = NodeOptions {
            socket: Some(socket),
            election_timeout_ms: Some(self.election_timeout_ms),
            quic_rng_seed: Some(endpoint_seed(self.seed, self.id, incarnation)),
            database: Some(Arc::new(database)),
        };
        let node = ConsensusNode::start(&self.config, self.id, options)
            .await
            .map_err(|error| failed(error.to_string()))?;
        lock(&self.shared.nodes).insert(
            self.id,
            NodeHandle {
                reader: node.ledger().clone(),
                metrics: node.raft().metrics(),
            },
        );
        // The node lives as long as its host's runtime: a crash drops it.
        std::future::pending::<()>().await;
        drop(node);
        Ok(())
    }
}

/// The clients' host: load during the fault phase, then recovery, retries,
/// catch-up and final reads.
struct Clients {
    options: SimOptions,
    config: ClusterConfig,
    shared: Arc<Shared>,
    loss: Arc<SimLoss>,
    history: Arc<History>,
    fault_end_ms: u64,
}

/// One client's view of the cluster and its history.
struct Client {
    transport: Arc<Transport>,
    addrs: BTreeMap<NodeId, SocketAddr>,
    history: Arc<History>,
    started: Instant,
    /// The node that acknowledged last: where the next report goes first.
    last_leader: Mutex<Option<NodeId>>,
    /// What the clients report: the New Year surge at the Bund, drawn from
    /// the run's seed.
    load: Mutex<LoadGenerator>,
    /// Each request id's incident, so a retry proposes the same report.
    incidents: Mutex<BTreeMap<String, NewIncident>>,
}

impl Clients {
    async fn run(self) -> turmoil::Result {
        let started = Instant::now();
        let identity = TlsIdentity::load(
            CLUSTER_NAME,
            PeerIdentity::Operator,
            &self.config.tls().ca_cert,
            &self.config.tls().cert_dir,
        )?;
        let socket =
            SimSocket::bind(SocketAddr::new(client_ip(), CLIENT_PORT), self.loss.clone()).await?;
        let limits = self.config.limits();
        let transport = Transport::bind(
            &identity,
            TransportConfig {
                bind_addr: SocketAddr::new(client_ip(), CLIENT_PORT),
                frame_bytes_max: limits.frame_bytes_max as usize,
                idle_timeout: Duration::from_millis(limits.quic_idle_timeout_ms),
                keep_alive: Duration::from_millis(limits.quic_keep_alive_ms),
                connections_max: self.options.nodes,
                streams_per_connection_max: 64,
                connect_timeout: Duration::from_millis(limits.rpc_timeout_ms),
                socket: Some(socket),
                rng_seed: Some(endpoint_seed(self.options.seed, 0, 1)),
            },
        )?;
        let client = Arc::new(Client {
            transport,
            addrs: self
                .config
                .nodes()
                .iter()
                .map(|spec| (spec.id, spec.quic_addr))
                .collect(),
            history: self.history.clone(),
            started,
            last_leader: Mutex::new(None),
            load: Mutex::new(surge_load(self.options.seed)?),
            incidents: Mutex::new(BTreeMap::new()),
        });

        let fault_end = started + Duration::from_millis(self.fault_end_ms);
        let operator = {
            let client = client.clone();
            let shared = self.shared.clone();
            let config = self.config.clone();
            tokio::spawn(async move { operate(&client, &shared, &config).await })
        };
        let workers: Vec<_> = (0..self.options.clients)
            .map(|index| {
                let client = client.clone();
                let seed = self.options.seed;
                tokio::spawn(async move { client.report_until(index, seed, fault_end).await })
            })
            .collect();
        for worker in workers {
            worker.await?;
        }
        while !self.shared.healed.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(POLL_MS)).await;
        }
        operator.await?;
        let outcome = self.recover(&client).await;
        *lock(&self.shared.outcome) = Some(outcome);
        Ok(())
    }

    /// After the heal: time to a leader and to a fresh write, then the
    /// indeterminate reports retried, every node caught up, and read.
    async fn recover(&self, client: &Client) -> ClientOutcome {
        let healed_at = Instant::now();
        let settle_by = healed_at + Duration::from_millis(SETTLE_MS_MAX);
        let mut problems = Vec::new();
        let mut recovery = RecoveryTimes::default();
        let mut rng = StdRng::seed_from_u64(self.options.seed ^ 0xfe5);

        while Instant::now() < settle_by {
            if majority_leader(&self.shared.views(), &[]).is_some() {
                recovery.leader_elected = Some(healed_at.elapsed());
                break;
            }
            tokio::time::sleep(Duration::from_millis(POLL_MS)).await;
        }
        let process = self.options.clients;
        let fresh = format!("sim-{}-fresh", self.options.seed);
        let incident = lock(&client.load).next_report().incident;
        lock(&client.incidents).insert(fresh.clone(), incident);
        while Instant::now() < settle_by {
            if client.report(process, &fresh, &mut rng).await {
                recovery.fresh_write_committed = Some(healed_at.elapsed());
                break;
            }
        }

        let outcomes = match client.history.records() {
            Ok(records) => request_outcomes(&records),
            Err(error) => {
                problems.push(format!("history: {error}"));
                BTreeMap::new()
            }
        };
        for (request_id, outcome) in &outcomes {
            if matches!(outcome, RequestOutcome::Indeterminate) && Instant::now() < settle_by {
                client.report(process + 1, request_id, &mut rng).await;
            }
        }

        let mut last_seen = String::new();
        let converged = loop {
            let views = self.shared.views();
            let members = views
                .iter()
                .find(|view| view.leading)
                .map(|leader| leader.members.clone())
                .unwrap_or_default();
            let all_running = members
                .iter()
                .all(|member| views.iter().any(|view| view.id == *member));
            if all_running {
                if let Some(index) = converged_index(&views) {
                    break Some((index, members));
                }
            }
            last_seen = describe(&views);
            if Instant::now() >= settle_by {
                break None;
            }
            tokio::time::sleep(Duration::from_millis(POLL_MS)).await;
        };
        let members = match converged {
            Some((_, members)) => members,
            None => {
                problems.push(format!(
                    "nodes did not converge within {SETTLE_MS_MAX} ms of the heal: {last_seen}"
                ));
                Vec::new()
            }
        };
        // Every member reads back; removed nodes and spares never added are
        // out of the cluster and owe nothing.
        let final_reads = lock(&self.shared.nodes)
            .iter()
            .filter(|(id, _)| members.contains(id))
            .map(|(id, node)| (format!("node-{id}"), incidents_by_request(&node.reader)))
            .collect();
        ClientOutcome {
            recovery,
            final_reads,
            problems,
        }
    }
}

/// The operator: carries out each churn the driver asks for, until the
/// heal, then finishes the one in hand.
async fn operate(client: &Client, shared: &Shared, config: &ClusterConfig) {
    loop {
        let next = {
            let mut churns = lock(&shared.churns);
            (!churns.is_empty()).then(|| churns.remove(0))
        };
        match next {
            Some((add, remove)) => {
                let outcome = churn(client, shared, config, add, remove).await;
                lock(&shared.churn_log).push(outcome);
            }
            None if shared.healed.load(Ordering::SeqCst) => return,
            None => tokio::time::sleep(Duration::from_millis(POLL_MS)).await,
        }
    }
}

/// Adds `add` as a learner, promotes it, removes `remove`: each step sent
/// to the leader of the moment until the leader's membership shows it
/// done, within [`CHURN_MS_MAX`]. Says what became of it.
async fn churn(
    client: &Client,
    shared: &Shared,
    config: &ClusterConfig,
    add: NodeId,
    remove: NodeId,
) -> String {
    let started = Instant::now();
    let Some(spec) = config.node(add) else {
        return format!("churn +{add} -{remove}: node {add} is not in the cluster file");
    };
    let steps = [
        MembershipChange::AddLearner {
            node_id: add,
            addr: node_addr(spec),
        },
        MembershipChange::Promote { node_id: add },
        MembershipChange::Remove { node_id: remove },
    ];
    for step in steps {
        loop {
            if started.elapsed() >= Duration::from_millis(CHURN_MS_MAX) {
                return format!(
                    "churn +{add} -{remove}: gave up after {CHURN_MS_MAX} ms at {step:?}"
                );
            }
            let views = shared.views();
            let Some(leader) = majority_leader(&views, &[])
                .and_then(|id| views.into_iter().find(|view| view.id == id))
            else {
                tokio::time::sleep(Duration::from_millis(RETRY_PAUSE_MS)).await;
                continue;
            };
            let done = match &step {
                MembershipChange::AddLearner { node_id, .. } => leader.members.contains(node_id),
                MembershipChange::Promote { node_id } => leader.voters.contains(node_id),
                MembershipChange::Remove { node_id } => !leader.members.contains(node_id),
            };
            if done {
                break;
            }
            if let Some(addr) = client.addrs.get(&leader.id).copied() {
                // The answer does not matter: the membership shows the result.
                let _answer = client
                    .transport
                    .call(
                        leader.id,
                        addr,
                        Request::Membership(step.clone()),
                        Duration::from_millis(ATTEMPT_TIMEOUT_MS),
                    )
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(RETRY_PAUSE_MS)).await;
        }
    }
    format!(
        "churn +{add} -{remove}: done in {} ms",
        started.elapsed().as_millis()
    )
}

impl Client {
    /// Client `index` reports one incident after another until `until`.
    async fn report_until(&self, index: u64, seed: u64, until: Instant) {
        let mut rng = StdRng::seed_from_u64(seed.wrapping_mul(31).wrapping_add(index + 1));
        let mut n = 0;
        while Instant::now() < until {
            let request_id = format!("sim-{seed}-{index}-{n}");
            n += 1;
            let incident = lock(&self.load).next_report().incident;
            lock(&self.incidents).insert(request_id.clone(), incident);
            self.report(index, &request_id, &mut rng).await;
            let think = rng.random_range(0..=THINK_MS_MAX);
            tokio::time::sleep(Duration::from_millis(think)).await;
        }
    }

    /// Reports under `request_id` until acknowledged, certainly refused,
    /// or out of attempts; true when acknowledged. Starts with the node
    /// that acknowledged last, follows the leader a node names, and
    /// otherwise tries a node drawn from `rng`.
    async fn report(&self, process: u64, request_id: &str, rng: &mut StdRng) -> bool {
        let ids: Vec<NodeId> = self.addrs.keys().copied().collect();
        let last_leader = *lock(&self.last_leader);
        let mut target = last_leader.unwrap_or_else(|| *ids.choose(rng).unwrap_or(&1));
        for _ in 0..ATTEMPTS_MAX {
            let Some(addr) = self.addrs.get(&target).copied() else {
                return false;
            };
            let Some(incident) = lock(&self.incidents).get(request_id).cloned() else {
                return false;
            };
            let command = Command::new(
                RequestId(request_id.to_string()),
                self.started.elapsed().as_millis() as u64,
                Origin::Operator,
                Action::ReportIncident(incident),
            );
            let id = self.history.invoke(Op::report(process, request_id));
            let answer = self
                .transport
                .call(
                    target,
                    addr,
                    Request::ClientWrite(command),
                    Duration::from_millis(ATTEMPT_TIMEOUT_MS),
                )
                .await;
            match answer {
                Ok(Response::ClientWrite(Ok(applied))) => match applied.effect {
                    Effect::IncidentReported { incident_id } => {
                        let incident_id = incident_id.to_string();
                        self.history.ok(
                            id,
                            OpResult::Incident(IncidentResult::Reported { incident_id }),
                        );
                        *lock(&self.last_leader) = Some(target);
                        return true;
                    }
                    other => {
                        self.history
                            .fail(id, format!("applied without a report: {other:?}"));
                        return false;
                    }
                },
                Ok(Response::ClientWrite(Err(error @ WriteError::Invalid { .. }))) => {
                    self.history.fail(id, error.to_string());
                    return false;
                }
                // Refused before proposing: certainly not applied.
                Ok(Response::ClientWrite(Err(
                    error @ WriteError::NotLeader {
                        leader_id: Some(leader),
                        ..
                    },
                ))) => {
                    self.history.fail(id, error.to_string());
                    target = leader;
                    continue;
                }
                Ok(Response::ClientWrite(Err(error @ WriteError::NoLeader))) => {
                    self.history.fail(id, error.to_string());
                }
                Ok(Response::ClientWrite(Err(error))) => self.history.info(id, error.to_string()),
                Ok(_) => self.history.info(id, "an answer that is not a write's"),
                Err(error) => self.history.info(id, error.to_string()),
            }
            tokio::time::sleep(Duration::from_millis(RETRY_PAUSE_MS)).await;
            target = *ids.choose(rng).unwrap_or(&1);
        }
        false
    }
}

/// The cluster file of a simulated run: `nodes` voters and `spares`
/// non-voters (for churn to add) at `192.168.0.<id>`, the in-process
/// scenarios' short Raft timing.
fn cluster_config(
    dir: &std::path::Path,
    nodes: usize,
    spares: usize,
) -> Result<ClusterConfig, SimError> {
    let setup = |e: cordon_config::ConfigError| SimError::Setup(e.to_string());
    // Distinct ports only to get past the check for 127.0.0.1; every node
    // then gets its own address and the same ports.
    let ports: Vec<(u16, u16)> = (0..(nodes + spares) as u16)
        .map(|index| (QUIC_PORT + index, API_PORT + index))
        .collect();
    let mut file = ClusterConfig::local(CLUSTER_NAME, dir, &ports)
        .map_err(setup)?
        .file()
        .clone();
    for spec in &mut file.nodes {
        spec.quic_addr = SocketAddr::new(host_ip(spec.id), QUIC_PORT);
        spec.api_addr = SocketAddr::new(host_ip(spec.id), API_PORT);
        spec.voter = spec.id <= nodes as NodeId;
    }
    file.raft = RaftTiming {
        heartbeat_interval_ms: 50,
        election_timeout_ms_min: ELECTION_TIMEOUT_MS_MIN,
        election_timeout_ms_max: ELECTION_TIMEOUT_MS_MIN * 2,
        ..RaftTiming::default()
    };
    file.limits = Limits {
        rpc_timeout_ms: 500,
        client_write_timeout_ms: 1_500,
        ..Limits::default()
    };
    ClusterConfig::from_file(file, dir).map_err(setup)
}

/// Each node's fixed election timeout: distinct slots drawn from the seed,
/// [`ELECTION_SLOT_MS`] apart, from [`ELECTION_TIMEOUT_MS_MIN`] up.
fn election_timeouts(seed: u64, ids: &[NodeId]) -> BTreeMap<NodeId, u64> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0xe1ec);
    let mut slots: Vec<u64> = (0..ids.len() as u64 * 2).collect();
    slots.shuffle(&mut rng);
    ids.iter()
        .zip(slots)
        .map(|(id, slot)| {
            let jitter = rng.random_range(0..ELECTION_SLOT_MS / 4);
            (
                *id,
                ELECTION_TIMEOUT_MS_MIN + slot * ELECTION_SLOT_MS + jitter,
            )
        })
        .collect()
}

/// The clients' reports: the New Year surge from the first minute after
/// midnight, on the embedded district, seeded by the run.
fn surge_load(seed: u64) -> Result<LoadGenerator, crate::shared::load::LoadError> {
    const AFTER_MIDNIGHT: ClockTime = match ClockTime::new(0, 1) {
        Some(time) => time,
        None => panic!("00:01 is a clock time"),
    };
    let plan = LoadPlan {
        request_id_prefix: format!("sim-{seed}-load"),
        ..LoadPlan::new(LoadProfile::NewYearSurge, seed, AFTER_MIDNIGHT)
    };
    LoadGenerator::new(&District::embedded(), &plan)
}

/// The QUIC endpoint seed of `node`'s `incarnation`-th start (node 0 is
/// the clients' host).
fn endpoint_seed(seed: u64, node: NodeId, incarnation: u64) -> [u8; 32] {
    let mut rng = StdRng::seed_from_u64(seed ^ (node << 32) ^ incarnation);
    rng.random()
}

fn host_ip(id: NodeId) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 168, 0, id as u8))
}

fn client_ip() -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 168, 0, CLIENT_HOST))
}

/// A hash of the history: operations, outcomes and simulated times.
fn fingerprint(history: &History) -> u64 {
    let mut hasher = DefaultHasher::new();
    for event in history.events() {
        format!("{event:?}").hash(&mut hasher);
    }
    hasher.finish()
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Critical sections are single map operations.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn election_timeouts_are_distinct_and_fixed_by_the_seed() {
        // Distinct per node so no two nodes campaign together; same per seed.
        let ids = [1, 2, 3, 4, 5];
        let first = election_timeouts(9, &ids);
        assert_eq!(first, election_timeouts(9, &ids));
        let mut values: Vec<u64> = first.values().copied().collect();
        values.sort_unstable();
        values.dedup();
        assert_eq!(values.len(), 5);
        assert!(values.iter().all(|ms| *ms >= ELECTION_TIMEOUT_MS_MIN));
    }
}
