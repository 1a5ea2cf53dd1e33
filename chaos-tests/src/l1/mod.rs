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
//! 2. Nodes are turmoil hosts (`192.168.0.<id>`), each a [`ConsensusNode`](cordon_consensus::ConsensusNode)
//!    over a [`SimSocket`], its log segments and redb database on a
//!    [`NodeDisk`]. A crash drops the host's runtime (every task and
//!    socket, the open database) and the disk forgets every write since its
//!    last sync; a restart starts the node from what the disk kept. Appends
//!    are synced before openraft hears of them, so what a crash loses is
//!    memory and the writes made without a sync (the saved commit index).
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
//!
//! Modules: [`schedule`] (the fault schedule drawn from the seed),
//! [`socket`] (quinn over turmoil's UDP, seeded loss), `driver` (steps the
//! simulation, injects and heals), `node` (a node's software on its host),
//! `clients` (the clients' and operator's host), `setup` (the cluster
//! file, addresses and seeds), `report` ([`SimReport`]). The binary's
//! `cordon-chaos sim` runs seeds from the command line.

mod clients;
mod driver;
mod field;
mod node;
mod report;
pub mod schedule;
mod setup;
pub mod socket;

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

pub use cordon_actors::context::PlantedBug;
use cordon_consensus::state_machine::LedgerReader;
use cordon_consensus::types::RaftMetrics;
use cordon_consensus::NodeId;
use serde::Serialize;
use tokio::sync::watch;

use crate::judge::checkers::dispatch::Window;
use crate::judge::checkers::{
    consensus_liveness, incidents_attended, messages_handled, statuses_follow_tables,
    targets_follow_rings, FinalReads, IncidentSummary, RecoveryTimes, Violation,
};
use crate::judge::history::{History, IncidentOp, OpKind, OpRecord};
use crate::judge::invariants::Invariant;
use crate::judge::linearizability::CheckResult;
use crate::judge::models::check_incident_history;
use crate::judge::raft_views::RaftView;
use crate::judge::verdict::{OpTally, RequestVerdict};
use crate::shared::certs::certify;
use crate::shared::node_disk::NodeDisk;
use clients::Clients;
use driver::drive;
use field::DISPATCH_SETTLE_MS;
use node::NodeSoftware;
pub use report::SimReport;
pub use schedule::{FaultSchedule, ScheduledFault, SimFault, SPARE_NODES};
use setup::{client_ip, cluster_config, election_timeouts, host_ip};
pub use socket::{SimLoss, SimSocket};

/// The simulated clock's start: one minute past midnight on New Year's
/// Day 2027 in Shanghai (2026-12-31T16:01:00Z), when the surge begins.
const SIM_EPOCH_MS: u64 = 1_798_732_860_000;
/// A major incident's plan is approved automatically this long after it is
/// proposed (short, so plans are dispatched within a seed's run).
const PLAN_AUTO_APPROVE_MS: u64 = 2_000;
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
const THINK_MS_MAX: u64 = 500;
/// How often waits look at the nodes.
const POLL_MS: u64 = 10;
/// A committed message must be handled or dismissed within this, time
/// under faults not counted.
const MESSAGE_BOUND_MS: u64 = 5_000;
/// After a fault heals, this long more is not counted against the message
/// bound (elections, failure detection, actors moving back).
const FAULT_RECOVERY_MS: u64 = 3_000;
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
    /// Plant a dispatch bug in every node's actors. Only for proving that
    /// the dispatch checkers catch it.
    pub planted: Option<PlantedBug>,
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
            planted: None,
        }
    }

    /// The command that replays this run (a run with a planted schedule
    /// or planted bug replays only from its test).
    pub fn replay_command(&self) -> String {
        if self.schedule.is_some() || self.lying_disks || self.planted.is_some() {
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
    /// Set by the clients' host once recovery and final reads are done.
    clients_done: AtomicBool,
    /// What the field saw, once it is done.
    field: Mutex<Option<field::FieldOutcome>>,
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
#[expect(clippy::too_many_lines, reason = "predates the line limit")]
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
    let disks: BTreeMap<NodeId, Arc<NodeDisk>> = ids
        .iter()
        .map(|id| {
            let disk = if options.lying_disks {
                NodeDisk::lying_about_sync()
            } else {
                NodeDisk::in_memory()
            };
            (*id, disk)
        })
        .collect();
    let mut sim = turmoil::Builder::new()
        .rng_seed(options.seed)
        .tick_duration(Duration::from_millis(1))
        .simulation_duration(Duration::from_millis(
            schedule.end_ms + SETTLE_MS_MAX + DISPATCH_SETTLE_MS + WARMUP_MS,
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
            planted: options.planted,
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
    let linearizable = linearizability(&records);
    let reads = records
        .iter()
        .filter(|record| matches!(record.op.kind, OpKind::Incident(IncidentOp::Read { .. })))
        .count();
    let field = lock(&shared.field).take();
    let dispatch = judge_dispatch(field.as_ref(), &schedule, &mut problems);
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
        dispatch_fingerprint: field
            .as_ref()
            .map_or(0, |field| dispatch_fingerprint(&field.incidents)),
        dispatch_steps: field.as_ref().map_or(0, |field| field.steps_applied),
        incidents: field.as_ref().map_or(0, |field| field.incidents.len()),
        dispatch,
        linearizable,
        reads,
    })
}

/// The per-key linearizability of the clients' reports and read-backs
/// (the incident model of [`crate::judge::models`]): the violations, and a
/// search that ran out of budget as one too (it proved nothing).
fn linearizability(records: &[OpRecord]) -> Vec<Violation> {
    let unknown = |detail: String| vec![Violation::new(Invariant::Linearizable, detail)];
    let result = match check_incident_history(records) {
        Ok((_, _, result)) => result,
        Err(error) => return unknown(format!("the history could not be split by key: {error}")),
    };
    match result {
        CheckResult::Linearizable => Vec::new(),
        found @ CheckResult::NotLinearizable { .. } => found.violation().into_iter().collect(),
        CheckResult::Unknown {
            key,
            states_explored,
        } => unknown(format!(
            "key {key}: no verdict within the search budget ({states_explored} states)"
        )),
    }
}

/// The dispatch checkers' verdict on what the field saw: incidents
/// attended, messages handled within [`MESSAGE_BOUND_MS`] (time under a
/// fault and [`FAULT_RECOVERY_MS`] after it not counted), steps in order.
fn judge_dispatch(
    field: Option<&field::FieldOutcome>,
    schedule: &FaultSchedule,
    problems: &mut Vec<String>,
) -> Vec<Violation> {
    let Some(field) = field else {
        problems.push("the field did not finish".to_string());
        return Vec::new();
    };
    let windows: Vec<Window> = schedule
        .faults
        .iter()
        .map(|fault| {
            (
                SIM_EPOCH_MS + fault.at_ms,
                SIM_EPOCH_MS + fault.heal_at_ms + FAULT_RECOVERY_MS,
            )
        })
        .collect();
    [
        // The field frees every unit it is given, and had the settle bound
        // to: anything still open was stranded.
        incidents_attended(&field.incidents, true),
        messages_handled(&field.sightings, MESSAGE_BOUND_MS, &windows),
        statuses_follow_tables(&field.incidents),
        targets_follow_rings(&field.incidents),
    ]
    .into_iter()
    .filter_map(Result::err)
    .flatten()
    .collect()
}

/// A hash of the dispatch history: every incident's timeline (steps,
/// statuses, units and simulated times) in id order.
fn dispatch_fingerprint(incidents: &[IncidentSummary]) -> u64 {
    let mut hasher = DefaultHasher::new();
    for incident in incidents {
        format!("{incident:?}").hash(&mut hasher);
    }
    hasher.finish()
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
