//! L3 drills: real `cordon run` processes, one per network namespace of a
//! [`Lab`], real faults (SIGKILL, SIGSTOP, partitions of every shape,
//! one-way cuts and loss at the bridge, clock skew, disk loss, certificate
//! expiry, membership changes), a realistic incident load through the HTTP
//! API recorded as a [`History`](crate::judge::history::History), and every checker over the final reads
//! from every node.
//!
//! Each drill: sweep labs left by killed drills, start the cluster and
//! wait for a leader and every actor placed, run the load, inject the
//! fault, wait for recovery, hold, heal, measure liveness after heal, let
//! the load finish, wait a quiet period, drive every unanswered request to
//! an answer, read back incidents (with timelines) and units from every
//! node, check ([`CheckVerdict`]s) and report ([`DrillReport`]: timeline,
//! recovery times, ops, lost, duplicates, latency before, during and after
//! the fault). [`repeat`] runs drills again and again and tabulates them.
//!
//! A drill can also run against an operator's own cluster
//! ([`OperatorCluster`]) with only the faults the operator enables: process
//! kills and restarts through their commands; drills that need anything
//! else are refused by name before they start.

mod api;
mod checks;
mod load;
pub mod netns;
mod process;
pub mod repeat;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cordon_config::{ClusterConfig, District};
use serde::Serialize;

use crate::judge::checkers::RecoveryTimes;
use crate::judge::verdict::OpTally;
use crate::shared::certs::certify;
use crate::shared::load::{ClockTime, LoadGenerator, LoadPlan, LoadProfile};

use api::Api;
pub use checks::{CheckOutcome, CheckVerdict};
use checks::{Evidence, NodeReads};
use load::{Load, AFTER, BEFORE, DURING};
pub use netns::{Lab, LabError};
pub use process::OperatorCommands;
use process::{copy_dir, Control, Nodes};

/// QUIC (Raft) port of every node, on its own address.
const QUIC_PORT: u16 = 7_100;
/// API port of every node, on its own address.
const API_PORT: u16 = 8_100;
/// How long a started cluster has to elect a leader and place every actor.
const FIRST_LEADER_WITHIN: Duration = Duration::from_secs(30);
/// How long a fault may take to produce a new leader (or a restarted node
/// to be ready, or a faulted node's actors to be placed elsewhere).
const RECOVERY_WITHIN: Duration = Duration::from_secs(20);
/// The stated bound of liveness after heal: a settled leader, a fresh
/// write acknowledged and every actor placed on a running node, each
/// within this of the heal.
const LIVENESS_WITHIN: Duration = Duration::from_secs(30);
/// How often the observer samples leadership and placements.
const OBSERVE_EVERY_MS: u64 = 150;
/// Placement reads in flight at once from the observer (each may wait on
/// an unreachable peer for 1.5 s).
const PLACEMENT_READS_INFLIGHT_MAX: usize = 8;
/// rolling-restart keeps the old leader down this long, beyond the
/// election timeout (1 s at most), so the others must elect a new one.
const LEADER_DOWN_MS: u64 = 2_500;
/// cert-expiry: validity of the short-lived certificate.
const SHORT_CERT_VALID_S: u64 = 8;
/// disk-loss: how long the follower keeps acknowledging after the copy
/// of its data, before it is killed and the copy restored.
const DISK_TAIL_MS: u64 = 3_000;
/// Reads of a node's units around its incidents before the final read
/// settles for one where they changed.
const STABLE_READ_TRIES_MAX: usize = 5;
/// How far behind "the leader's log of a while ago" is measured when
/// telling whether a node still receives the log.
const CUT_OFF_LAG_MS: u64 = 2_000;

/// A named drill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DrillName {
    /// SIGKILL the leader's process; restart it at heal.
    KillLeader,
    /// SIGKILL the node that hosts the most station actors (from
    /// `/v1/actors`) while the load reports incidents in those stations'
    /// areas; measure how soon its actors are placed on live nodes and the
    /// first assignment after the fault; restart it at heal.
    KillStationServer,
    /// Cut the leader from every other node; clients still reach it.
    IsolateLeader,
    /// Cut one follower from the others (the 2|1 split of 3 nodes).
    MinoritySplit,
    /// Five nodes: {1,2} and {4,5} cannot talk to each other, node 3 talks
    /// to all (Jepsen's bridge). A leader a majority follows must exist.
    Bridge,
    /// Five nodes, each seeing only its two ring neighbours: every node
    /// sees a majority (itself and two), but no two majorities are the
    /// same. Progress may stall; the verdict is safety, and liveness after
    /// heal.
    MajoritiesRing,
    /// The leader cannot send to one follower; the follower still reaches
    /// the leader.
    OneWay,
    /// Drop 20 % of the packets between nodes at random.
    Lossy,
    /// SIGSTOP the leader past the election timeout; SIGCONT at heal.
    PauseLeader,
    /// A follower's disk loses writes it had acknowledged. The model: the
    /// follower is SIGSTOPped, its data folder copied (every write it had
    /// made is in the copy: the process is stopped between system calls,
    /// and Cordon fsyncs each append before acknowledging it), and
    /// SIGCONTed; it keeps acknowledging appends for a few seconds; then it
    /// is SIGKILLed and the copy put back. It comes back having lost the
    /// tail of its log that it had acknowledged, as after a disk that
    /// dropped its last writes. Its vote is kept only if no election
    /// happened between copy and kill (a forgotten vote could elect two
    /// leaders in one term, which no Raft survives): the drill notes the
    /// terms so a reader can tell. Only one node loses data, so every
    /// committed entry is still on a majority; the checkers (lost
    /// acknowledgements, requests applied once) decide. At heal the node
    /// starts again and must catch up.
    DiskLoss,
    /// Restart one follower with its wall clock 300 s ahead (libfaketime,
    /// monotonic time untouched); restart it with the true clock at heal.
    ClockSkew,
    /// Re-issue one follower's certificate valid for a few seconds (`cordon
    /// certs issue --valid-for`) and restart it; once it expires its peers
    /// must refuse it while the other two go on; at heal issue a fresh
    /// certificate (rotation), restart it, and it must rejoin.
    CertExpiry,
    /// Start a 4th node outside the initial voters, then `cordon ctl
    /// members add-learner`, `promote` and `remove` it.
    MembershipChurn,
    /// Restart every node in turn (SIGTERM, wait for the exit, start from
    /// the same files, wait for `/readyz` and a settled leader): followers
    /// first, then the leader, kept down beyond the election timeout so the
    /// others must elect a new one. Fails without a leader change.
    RollingRestart,
}

/// A kind of fault a drill injects; an operator's cluster offers only some.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    /// Kill a node's process.
    Kill,
    /// Start a node's process again.
    Restart,
    /// SIGSTOP / SIGCONT / SIGTERM a node's process.
    Signal,
    /// Cut or degrade links between nodes (nftables at the lab's bridge).
    Network,
    /// Copy and replace a node's data files.
    Files,
    /// Issue certificates from the cluster CA's key.
    Certs,
    /// Start a node under libfaketime.
    Clock,
    /// Start a node that is not a member and change the membership.
    Membership,
}

impl Fault {
    /// Why an operator's cluster does not offer this fault.
    fn refused_because(self) -> &'static str {
        match self {
            Fault::Kill => "pass --kill-command 'CMD {node}'",
            Fault::Restart => "pass --restart-command 'CMD {node}'",
            Fault::Signal => {
                "signals need the node's process, which only a cluster the drill starts gives it"
            }
            Fault::Network => {
                "network faults are injected at the bridge of the drill's own namespaces; an operator's network is not the drill's to cut"
            }
            Fault::Files => "the drill does not touch an operator's data files",
            Fault::Certs => "the drill does not issue certificates from an operator's CA key",
            Fault::Clock => "the drill cannot start an operator's node under libfaketime",
            Fault::Membership => {
                "the drill does not change an operator's membership or start nodes of its own"
            }
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Fault::Kill => "process kill",
            Fault::Restart => "process restart",
            Fault::Signal => "signals",
            Fault::Network => "network faults",
            Fault::Files => "data files",
            Fault::Certs => "certificates",
            Fault::Clock => "clock skew",
            Fault::Membership => "membership changes",
        })
    }
}

impl DrillName {
    /// Every drill, in the order `--list` prints them.
    pub const ALL: [DrillName; 14] = [
        DrillName::KillLeader,
        DrillName::KillStationServer,
        DrillName::IsolateLeader,
        DrillName::MinoritySplit,
        DrillName::Bridge,
        DrillName::MajoritiesRing,
        DrillName::OneWay,
        DrillName::Lossy,
        DrillName::PauseLeader,
        DrillName::DiskLoss,
        DrillName::ClockSkew,
        DrillName::CertExpiry,
        DrillName::MembershipChurn,
        DrillName::RollingRestart,
    ];

    /// The drill's command-line name.
    pub fn as_str(self) -> &'static str {
        match self {
            DrillName::KillLeader => "kill-leader",
            DrillName::KillStationServer => "kill-station-server",
            DrillName::IsolateLeader => "isolate-leader",
            DrillName::MinoritySplit => "minority-split",
            DrillName::Bridge => "bridge",
            DrillName::MajoritiesRing => "majorities-ring",
            DrillName::OneWay => "one-way",
            DrillName::Lossy => "lossy",
            DrillName::PauseLeader => "pause-leader",
            DrillName::DiskLoss => "disk-loss",
            DrillName::ClockSkew => "clock-skew",
            DrillName::CertExpiry => "cert-expiry",
            DrillName::MembershipChurn => "membership-churn",
            DrillName::RollingRestart => "rolling-restart",
        }
    }

    /// What the drill does, in one line.
    pub fn describe(self) -> &'static str {
        match self {
            DrillName::KillLeader => "SIGKILL the leader's process, restart it at heal",
            DrillName::KillStationServer => {
                "SIGKILL the node hosting the most station actors; time re-placement and the next assignment"
            }
            DrillName::IsolateLeader => "partition the leader alone (clients still reach it)",
            DrillName::MinoritySplit => "partition one follower alone (2|1 with 3 nodes)",
            DrillName::Bridge => "5 nodes: {1,2} and {4,5} cut apart, node 3 sees both",
            DrillName::MajoritiesRing => {
                "5 nodes, each sees only its ring neighbours: every majority differs"
            }
            DrillName::OneWay => "the leader cannot send to one follower (one-way cut)",
            DrillName::Lossy => "drop 20% of the packets between nodes",
            DrillName::PauseLeader => "SIGSTOP the leader past the election timeout, SIGCONT",
            DrillName::DiskLoss => {
                "a follower loses the acknowledged tail of its log (stop, copy, go on, kill, restore)"
            }
            DrillName::ClockSkew => {
                "restart one follower under faketime +300s (monotonic untouched)"
            }
            DrillName::CertExpiry => {
                "a follower's certificate expires (peers refuse it), then is rotated (it rejoins)"
            }
            DrillName::MembershipChurn => {
                "ctl members add-learner, promote, remove a 4th node under load"
            }
            DrillName::RollingRestart => {
                "restart followers, then the leader beyond the election timeout; needs a leader change"
            }
        }
    }

    /// The drill named `name`.
    pub fn parse(name: &str) -> Option<DrillName> {
        DrillName::ALL
            .into_iter()
            .find(|drill| drill.as_str() == name)
    }

    /// The faults the drill injects.
    pub fn needs(self) -> &'static [Fault] {
        match self {
            DrillName::KillLeader | DrillName::KillStationServer | DrillName::RollingRestart => {
                &[Fault::Kill, Fault::Restart]
            }
            DrillName::IsolateLeader
            | DrillName::MinoritySplit
            | DrillName::Bridge
            | DrillName::MajoritiesRing
            | DrillName::OneWay
            | DrillName::Lossy => &[Fault::Network],
            DrillName::PauseLeader => &[Fault::Signal],
            DrillName::DiskLoss => &[Fault::Signal, Fault::Kill, Fault::Files, Fault::Restart],
            DrillName::ClockSkew => &[Fault::Signal, Fault::Restart, Fault::Clock],
            DrillName::CertExpiry => &[Fault::Signal, Fault::Restart, Fault::Certs],
            DrillName::MembershipChurn => &[Fault::Membership],
        }
    }

    /// Cluster size: the drill's own, or `asked`.
    pub fn nodes(self, asked: usize) -> usize {
        match self {
            DrillName::Bridge | DrillName::MajoritiesRing => 5,
            _ => asked,
        }
    }

    /// About how long the fault's own sequence takes (restarts, expiry,
    /// membership changes) before the hold starts: the load is planned to
    /// cover it.
    fn sequence_estimate(self, nodes: usize) -> Duration {
        match self {
            DrillName::RollingRestart => {
                Duration::from_secs(nodes as u64) + Duration::from_millis(LEADER_DOWN_MS)
            }
            DrillName::ClockSkew => Duration::from_secs(3),
            DrillName::MembershipChurn => Duration::from_secs(8),
            DrillName::DiskLoss => Duration::from_millis(DISK_TAIL_MS),
            DrillName::CertExpiry => Duration::from_secs(SHORT_CERT_VALID_S + 4),
            _ => Duration::ZERO,
        }
    }

    /// The drill's own minimum hold: kill-station-server holds long enough
    /// for the killed node's actors to be placed elsewhere and dispatch to
    /// go on in its stations' areas.
    fn hold_min(self) -> Duration {
        match self {
            DrillName::KillStationServer => Duration::from_secs(5),
            _ => Duration::ZERO,
        }
    }

    /// Nodes in the lab and cluster file beyond the initial voters, started
    /// only by the drill.
    fn extra_nodes(self) -> usize {
        usize::from(self == DrillName::MembershipChurn)
    }
}

impl fmt::Display for DrillName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An operator's own cluster to drill: its cluster file and the commands
/// that kill and restart its nodes.
#[derive(Clone, Debug)]
pub struct OperatorCluster {
    /// The cluster file (`cordon run --cluster FILE`).
    pub cluster_file: PathBuf,
    /// Their kill and restart commands.
    pub commands: OperatorCommands,
}

impl OperatorCluster {
    /// `Ok` when every fault `drill` needs is enabled; otherwise why not,
    /// naming the drill and each missing fault.
    pub fn allows(&self, drill: DrillName) -> Result<(), String> {
        let enabled = self.commands.faults();
        let missing: Vec<String> = drill
            .needs()
            .iter()
            .filter(|fault| !enabled.contains(fault))
            .map(|fault| format!("{fault} ({})", fault.refused_because()))
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "drill {drill} is refused on the cluster in {}: it needs {}",
                self.cluster_file.display(),
                missing.join("; ")
            ))
        }
    }
}

/// How to run a drill.
#[derive(Clone, Debug)]
pub struct DrillOptions {
    /// The `cordon` binary.
    pub cordon: PathBuf,
    /// Cluster size (3 or more); 5-node drills take 5.
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
    /// Drill this existing cluster instead of starting one.
    pub operator: Option<OperatorCluster>,
    /// Draw the reports (kind, priority, force, place in the embedded
    /// district) from the seeded load generator with this profile, instead
    /// of thefts at each station in turn.
    pub profile: Option<LoadProfile>,
    /// Seed of the load generator.
    pub seed: u64,
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
            operator: None,
            profile: None,
            seed: 0,
        }
    }

    fn planned(&self, sequence: Duration) -> Duration {
        self.before + sequence + self.hold + self.after + Duration::from_secs(1)
    }
}

/// Why a drill could not run to its checks.
#[derive(Debug, thiserror::Error)]
pub enum DrillError {
    /// The namespaces or their rules.
    #[error("lab: {0}")]
    Lab(#[from] LabError),
    /// The drill needs a fault the operator's cluster does not offer.
    #[error("{0}")]
    Refused(String),
    /// Anything else, in words.
    #[error("{0}")]
    Setup(String),
}

/// The drill's load generator, when a profile is asked for: the New Year
/// surge from the first minute after midnight, an ordinary day from 20:00.
fn profile_load(options: &DrillOptions) -> Result<Option<LoadGenerator>, DrillError> {
    let Some(profile) = options.profile else {
        return Ok(None);
    };
    let (hour, minute) = match profile {
        LoadProfile::NewYearSurge => (0, 1),
        LoadProfile::Ordinary => (20, 0),
    };
    let start = ClockTime::new(hour, minute).ok_or_else(|| setup("a load start time"))?;
    let plan = LoadPlan::new(profile, options.seed, start);
    LoadGenerator::new(&District::embedded(), &plan)
        .map(Some)
        .map_err(setup)
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

/// Recovery times of a drill, milliseconds; `None` where it does not apply
/// or never happened (the timeline and problems say which).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Recovery {
    /// From the fault to a new leader with a majority behind it, when the
    /// fault ends the old leader's term (rolling-restart: from stopping
    /// the leader).
    pub new_leader_ms: Option<u64>,
    /// From the fault to every actor of the faulted nodes placed on other
    /// nodes, when the faulted nodes hosted any.
    pub actors_replaced_ms: Option<u64>,
    /// From the fault to the first unit assigned after it.
    pub first_assignment_ms: Option<u64>,
    /// From the heal to a settled leader.
    pub heal_leader_ms: Option<u64>,
    /// From the heal to a fresh write acknowledged.
    pub heal_fresh_write_ms: Option<u64>,
    /// From the heal to every actor placed on a running node.
    pub heal_actors_placed_ms: Option<u64>,
}

/// What a drill did and found.
#[derive(Clone, Debug, Serialize)]
pub struct DrillReport {
    /// The drill.
    pub drill: DrillName,
    /// Cluster size.
    pub nodes: usize,
    /// The lab's subnet, or the operator's cluster file.
    pub cluster: String,
    /// Faults, heals and leader changes, in order.
    pub timeline: Vec<TimelineEntry>,
    /// The leader when the fault was injected.
    pub leader_before: u64,
    /// The leader after the quiet period.
    pub leader_after: Option<u64>,
    /// Leaders seen after the first, from the start of the load to the
    /// final reads.
    pub leader_changes: usize,
    /// The nodes the fault took out (killed, cut off, paused).
    pub faulted: Vec<u64>,
    /// Recovery times.
    pub recovery: Recovery,
    /// The longest time without any acknowledgement, from the fault on.
    pub longest_ack_gap_ms: u64,
    /// Reports in the load.
    pub requests: u64,
    /// Every report and read attempt's outcome.
    pub ops: Ops,
    /// Distinct requests acknowledged.
    pub acknowledged: usize,
    /// Requests still unacknowledged after the retries at the end.
    pub unanswered: usize,
    /// Incidents the load cancelled (so units come free).
    pub cancelled: usize,
    /// Acknowledged reports missing (or different) on some node.
    pub lost: usize,
    /// Requests that took effect more than once.
    pub duplicates: usize,
    /// Units on two open incidents (violations of unit-assigned-once).
    pub double_assigned: usize,
    /// Nodes whose final reads were checked.
    pub nodes_read: usize,
    /// Every checker's verdict.
    pub checks: Vec<CheckVerdict>,
    /// Failures outside the checkers (unreadable nodes, no recovery where
    /// one is required, a fault that did not take).
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
    /// True when no checker failed, nothing was lost, duplicated or
    /// assigned twice, every node was read, and recovery happened where
    /// required.
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
            && self.lost == 0
            && self.duplicates == 0
            && self.double_assigned == 0
            && self
                .checks
                .iter()
                .all(|check| check.outcome != CheckOutcome::Fail)
    }
}

fn ms(value: Option<u64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| v.to_string())
}

impl fmt::Display for DrillReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "drill {} ({} nodes, {}): {}",
            self.drill,
            self.nodes,
            self.cluster,
            if self.passed() { "PASS" } else { "FAIL" }
        )?;
        writeln!(f, "  timeline:")?;
        for entry in &self.timeline {
            writeln!(f, "    +{:>6} ms  {}", entry.at_ms, entry.event)?;
        }
        let faulted: Vec<String> = self.faulted.iter().map(u64::to_string).collect();
        writeln!(
            f,
            "  leader: before={} after={} changes={}; faulted nodes: {}",
            self.leader_before,
            ms(self.leader_after),
            self.leader_changes,
            if faulted.is_empty() {
                "-".to_string()
            } else {
                faulted.join(",")
            }
        )?;
        let r = &self.recovery;
        writeln!(
            f,
            "  recovery after fault: new_leader_ms={} actors_replaced_ms={} first_assignment_ms={} longest_ack_gap_ms={}",
            ms(r.new_leader_ms),
            ms(r.actors_replaced_ms),
            ms(r.first_assignment_ms),
            self.longest_ack_gap_ms
        )?;
        writeln!(
            f,
            "  after heal: leader_ms={} fresh_write_ms={} actors_placed_ms={}",
            ms(r.heal_leader_ms),
            ms(r.heal_fresh_write_ms),
            ms(r.heal_actors_placed_ms)
        )?;
        writeln!(
            f,
            "  ops: ok={} fail={} info={} pending={}; requests={} acknowledged={} unanswered={} cancelled={}",
            self.ops.ok,
            self.ops.fail,
            self.ops.info,
            self.ops.pending,
            self.requests,
            self.acknowledged,
            self.unanswered,
            self.cancelled
        )?;
        writeln!(
            f,
            "  lost={} duplicates={} double={} nodes_read={}/{}",
            self.lost, self.duplicates, self.double_assigned, self.nodes_read, self.nodes
        )?;
        writeln!(f, "  checks:")?;
        for check in &self.checks {
            writeln!(f, "    {check}")?;
        }
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

/// A drill in progress: who runs the nodes, its files and timeline.
struct Run {
    // Field order is drop order: processes and namespaces go before the
    // folder.
    control: Control,
    dir: tempfile::TempDir,
    cluster_path: PathBuf,
    cluster: ClusterConfig,
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

/// Watches the cluster in the background for the whole drill: leader
/// changes, and (once a fault names its nodes) when the last actor left
/// them.
struct Observer {
    api: Api,
    start: Instant,
    /// (ms since start, leader, term), the first being the leader at the
    /// start.
    leaders: Mutex<Vec<(u64, u64, u64)>>,
    /// The fault's time and the nodes it took out, once injected.
    faulted: Mutex<Option<(Instant, BTreeSet<u64>)>>,
    /// The earliest placement read showing no actor on a faulted node.
    replaced_at: Mutex<Option<Instant>>,
    reads_inflight: AtomicUsize,
    stop: AtomicBool,
}

impl Observer {
    async fn run(self: Arc<Self>) {
        while !self.stop.load(Ordering::Relaxed) {
            if let Some((leader, term)) = self.api.settled_leader(None).await {
                if let Ok(mut leaders) = self.leaders.lock() {
                    if leaders
                        .last()
                        .is_none_or(|(_, l, t)| (*l, *t) != (leader, term))
                    {
                        leaders.push((self.start.elapsed().as_millis() as u64, leader, term));
                    }
                }
            }
            self.probe_placements();
            tokio::time::sleep(Duration::from_millis(OBSERVE_EVERY_MS)).await;
        }
    }

    /// Starts one placement read (not awaited: a read may wait on an
    /// unreachable peer) from a node outside the fault; its answer counts
    /// from when it came.
    fn probe_placements(self: &Arc<Self>) {
        let faulted = match self.faulted.lock() {
            Ok(guard) => guard.clone(),
            Err(_) => None,
        };
        let Some((_, faulted)) = faulted else {
            return;
        };
        if self
            .replaced_at
            .lock()
            .map(|at| at.is_some())
            .unwrap_or(true)
            || self.reads_inflight.load(Ordering::Relaxed) >= PLACEMENT_READS_INFLIGHT_MAX
        {
            return;
        }
        let leader = self
            .leaders
            .lock()
            .ok()
            .and_then(|leaders| leaders.last().map(|(_, leader, _)| *leader));
        let node = leader
            .filter(|leader| !faulted.contains(leader))
            .or_else(|| (1..=self.api.urls.len() as u64).find(|n| !faulted.contains(n)));
        let Some(node) = node else {
            return;
        };
        let observer = self.clone();
        self.reads_inflight.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            if let Ok(placed) = observer
                .api
                .actors(node as usize, Duration::from_secs(4))
                .await
            {
                // The read barrier may wait for a leader, so the answer
                // shows the placements as of when it came, not when asked.
                let answered = Instant::now();
                if !placed.is_empty() && placed.iter().all(|p| !faulted.contains(&p.node)) {
                    if let Ok(mut at) = observer.replaced_at.lock() {
                        if at.is_none_or(|earlier| answered < earlier) {
                            *at = Some(answered);
                        }
                    }
                }
            }
            observer.reads_inflight.fetch_sub(1, Ordering::Relaxed);
        });
    }

    fn set_faulted(&self, at: Instant, nodes: &[u64]) {
        if let Ok(mut faulted) = self.faulted.lock() {
            *faulted = Some((at, nodes.iter().copied().collect()));
        }
    }

    fn replaced_ms(&self) -> Option<u64> {
        let fault = self.faulted.lock().ok()?.as_ref()?.0;
        let at = (*self.replaced_at.lock().ok()?)?;
        Some(at.saturating_duration_since(fault).as_millis() as u64)
    }
}

/// Background tasks of a drill (clients, observer), aborted if the drill
/// returns early with an error, so they do not go on against a cluster
/// that is gone; by the normal end they are done.
struct Background(Vec<tokio::task::AbortHandle>);

impl Drop for Background {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// Starts the cluster in a fresh lab: cluster file, certificates, one
/// `cordon run` per node namespace. Labs left by killed drills are swept
/// first. `extra` more nodes go into the lab and the cluster file as
/// non-voters (outside the initial membership) and are not started; the
/// [`Api`] covers them too.
fn start_cluster(
    options: &DrillOptions,
    nodes: usize,
    extra: usize,
) -> Result<(Run, Api, Vec<String>), DrillError> {
    if nodes < 3 {
        return Err(setup("drills need 3 nodes or more"));
    }
    if !options.cordon.is_file() {
        return Err(setup(format!(
            "no cordon binary at {}: build it with `cargo build -p cordon-node` or pass --cordon PATH",
            options.cordon.display()
        )));
    }
    let swept = Lab::sweep()?;
    let total = nodes + extra;
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
        node.voter = index < nodes;
    }
    let cluster = ClusterConfig::from_file(file, dir.path()).map_err(setup)?;
    let cluster_path = dir.path().join("cluster.toml");
    std::fs::write(&cluster_path, cluster.to_toml_string()).map_err(setup)?;
    certify(&cluster).map_err(setup)?;
    let urls = cluster
        .nodes()
        .iter()
        .map(|node| format!("http://{}", node.api_addr))
        .collect();
    let api = Api::new(urls).map_err(setup)?;
    let mut run = Run {
        control: Control::Lab {
            nodes: Nodes {
                binary: options.cordon.clone(),
                cluster_path: cluster_path.clone(),
                dir: dir.path().to_path_buf(),
                children: (0..total).map(|_| None).collect(),
            },
            lab,
        },
        dir,
        cluster_path,
        cluster,
        start: Instant::now(),
        timeline: Vec::new(),
    };
    for node in 1..=nodes {
        run.control.start(node)?;
    }
    Ok((run, api, swept))
}

/// The operator's cluster: their file, their nodes, their commands.
fn attach_cluster(operator: &OperatorCluster) -> Result<(Run, Api), DrillError> {
    let cluster = ClusterConfig::load(&operator.cluster_file).map_err(|error| {
        setup(format!(
            "read the cluster file {}: {error}",
            operator.cluster_file.display()
        ))
    })?;
    let urls = cluster
        .nodes()
        .iter()
        .filter(|node| node.voter)
        .map(|node| format!("http://{}", node.api_addr))
        .collect();
    let api = Api::new(urls).map_err(setup)?;
    let dir = tempfile::Builder::new()
        .prefix("cordon-l3-operator-")
        .tempdir()
        .map_err(setup)?;
    let run = Run {
        control: Control::Operator(operator.commands.clone()),
        dir,
        cluster_path: operator.cluster_file.clone(),
        cluster,
        start: Instant::now(),
        timeline: Vec::new(),
    };
    Ok((run, api))
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Waits until every actor is placed and running, with the same count in
/// two reads in a row: the placements.
async fn wait_actors_settled(api: &Api, within: Duration) -> Option<Vec<api::Placed>> {
    let give_up = Instant::now() + within;
    let mut previous = 0;
    while Instant::now() < give_up {
        for node in 1..=api.urls.len() {
            if let Ok(placed) = api.actors(node, Duration::from_secs(3)).await {
                let running = !placed.is_empty() && placed.iter().all(|p| p.status == "running");
                if running && placed.len() == previous {
                    return Some(placed);
                }
                previous = if running { placed.len() } else { 0 };
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    None
}

/// The station actors (`station:<id>`) on each node.
fn stations_by_node(placed: &[api::Placed]) -> BTreeMap<u64, Vec<String>> {
    let mut by_node: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for placement in placed {
        if let Some(station) = placement.actor.strip_prefix("station:") {
            by_node
                .entry(placement.node)
                .or_default()
                .push(station.to_string());
        }
    }
    by_node
}

/// Station id and position of every station of the district the cluster
/// serves (`GET /v1/district`).
async fn station_points(api: &Api) -> Result<BTreeMap<String, (f64, f64)>, DrillError> {
    let mut last = String::new();
    for node in 1..=api.urls.len() {
        match api
            .get_json(node, "/v1/district", Duration::from_secs(3))
            .await
        {
            Ok(district) => {
                let stations = district["stations"]
                    .as_array()
                    .ok_or_else(|| setup("GET /v1/district: no stations"))?;
                return Ok(stations
                    .iter()
                    .filter_map(|station| {
                        Some((
                            station["id"].as_str()?.to_string(),
                            (
                                station["position"][0].as_f64()?,
                                station["position"][1].as_f64()?,
                            ),
                        ))
                    })
                    .collect());
            }
            Err(error) => last = error,
        }
    }
    Err(setup(format!("read the district from any node: {last}")))
}

/// What the fault did, for the heal and the report.
struct FaultState {
    nodes: usize,
    leader: usize,
    term: u64,
    follower: usize,
    /// Nodes the fault took out, for the actors-re-placed measure.
    faulted: Vec<u64>,
    /// The fault must end the leader's term.
    expect_new_leader: bool,
    new_leader_ms: Option<u64>,
    /// kill-station-server: the killed node's stations.
    stations: Vec<String>,
    problems: Vec<String>,
    /// Watches for the faulted nodes' actors to be placed elsewhere.
    observer: Arc<Observer>,
    /// The nodes that hosted actors before the fault.
    hosts: BTreeSet<u64>,
}

impl FaultState {
    /// The fault took `nodes` out at `at`: time the re-placement of their
    /// actors from then, if they hosted any.
    fn mark_faulted(&mut self, at: Instant, nodes: Vec<u64>) {
        if nodes.iter().any(|node| self.hosts.contains(node)) {
            self.observer.set_faulted(at, &nodes);
        }
        self.faulted = nodes;
    }
}

/// Runs drill `drill`; an error means it could not get to its checks.
pub async fn run_drill(
    drill: DrillName,
    options: &DrillOptions,
) -> Result<DrillReport, DrillError> {
    let started = Instant::now();
    let mut options = options.clone();
    let nodes = drill.nodes(options.nodes);
    options.hold = options.hold.max(drill.hold_min());
    let options = &options;
    let (mut run, api_all, swept, cluster_name) = match &options.operator {
        Some(operator) => {
            operator.allows(drill).map_err(DrillError::Refused)?;
            let (run, api) = attach_cluster(operator)?;
            let name = operator.cluster_file.display().to_string();
            (run, api, Vec::new(), name)
        }
        None => {
            let (run, api, swept) = start_cluster(options, nodes, drill.extra_nodes())?;
            let name = format!("10.77.{}.0/24", run.control.lab()?.run());
            (run, api, swept, name)
        }
    };
    let nodes = api_all.urls.len() - drill.extra_nodes();
    // The load, the leader probes and the final reads go to the initial
    // voters only.
    let api = api_all.first(nodes);
    for line in swept {
        run.note(format!("swept a lab left by a killed drill: {line}"));
    }
    let Some((leader, term)) = api.wait_leader(None, FIRST_LEADER_WITHIN).await else {
        let kept = std::mem::replace(&mut run.dir, tempfile::tempdir().map_err(setup)?).keep();
        return Err(setup(format!(
            "no leader within {FIRST_LEADER_WITHIN:?}: see the node logs in {}",
            kept.display()
        )));
    };
    let Some(placed) = wait_actors_settled(&api, FIRST_LEADER_WITHIN).await else {
        return Err(setup(format!(
            "the actors were not all placed and running within {FIRST_LEADER_WITHIN:?} of the start"
        )));
    };
    let stations = station_points(&api).await?;
    // The leader may have changed while the actors were being placed.
    let (leader, term) = api.settled_leader(None).await.unwrap_or((leader, term));
    run.start = Instant::now();
    run.note(format!(
        "cluster up: leader node {leader} term {term}, {} actors placed",
        placed.len()
    ));

    let observer = Arc::new(Observer {
        api: api.clone(),
        start: run.start,
        leaders: Mutex::new(vec![(0, leader, term)]),
        faulted: Mutex::new(None),
        replaced_at: Mutex::new(None),
        reads_inflight: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
    });
    let observing = tokio::spawn(observer.clone().run());

    let clients = options.clients.max(1);
    let per_client = options.incidents.div_ceil(clients).max(1);
    let pause = options
        .planned(drill.sequence_estimate(nodes))
        .mul_f64(clients as f64 / (clients * per_client) as f64);
    let load = Load::new(
        api.clone(),
        run.start,
        format!("l3-{}-{}", drill.as_str(), std::process::id()),
        (clients, per_client, pause),
        stations.values().copied().collect(),
        profile_load(options)?,
    );
    if let Some(profile) = options.profile {
        run.note(format!(
            "load: reports drawn from the {profile} profile, seed {}",
            options.seed
        ));
    }
    let workers: Vec<_> = (0..clients)
        .map(|client| tokio::spawn(load.clone().run_client(client)))
        .collect();
    let _background = Background(
        workers
            .iter()
            .map(|worker| worker.abort_handle())
            .chain([observing.abort_handle()])
            .collect(),
    );

    tokio::time::sleep(options.before).await;
    load.phase.store(DURING, Ordering::Relaxed);
    let fault_at = Instant::now();
    let fault_unix_ms = unix_ms();
    let fault_ms = run.start.elapsed().as_millis() as u64;
    let leader_index = leader as usize;
    let mut state = FaultState {
        nodes,
        leader: leader_index,
        term,
        follower: (1..=nodes).find(|n| *n != leader_index).unwrap_or(1),
        faulted: Vec::new(),
        expect_new_leader: matches!(
            drill,
            DrillName::KillLeader | DrillName::IsolateLeader | DrillName::PauseLeader
        ),
        new_leader_ms: None,
        stations: Vec::new(),
        problems: Vec::new(),
        observer: observer.clone(),
        hosts: placed.iter().map(|placement| placement.node).collect(),
    };
    aim(drill, &mut state, &placed, &stations, &load, fault_at)?;
    inject(
        drill, &mut run, &api, &api_all, options, &mut state, fault_at,
    )
    .await?;

    if state.expect_new_leader {
        match api.wait_leader(Some(term), RECOVERY_WITHIN).await {
            Some((new_leader, new_term)) => {
                state.new_leader_ms = Some(fault_at.elapsed().as_millis() as u64);
                run.note(format!("new leader node {new_leader} term {new_term}"));
            }
            None => state.problems.push(format!(
                "no new leader within {RECOVERY_WITHIN:?} of the fault"
            )),
        }
    }
    // Hold the fault.
    let hold_until = Instant::now() + options.hold;
    tokio::time::sleep_until(hold_until.into()).await;
    if drill == DrillName::Bridge {
        // Still cut: a leader that a majority follows must exist.
        match api.wait_leader(None, RECOVERY_WITHIN).await {
            Some((node, term)) => run.note(format!(
                "at the end of the hold: leader node {node} term {term} followed by a majority across the bridge"
            )),
            None => state.problems.push(format!(
                "no leader followed by a majority within {RECOVERY_WITHIN:?} at the end of the bridge's hold"
            )),
        }
    }
    let acked_during = load.latency(DURING).count;
    run.note(format!(
        "{acked_during} reports started since the fault were acknowledged while it held"
    ));
    if let Ok(mut focus) = load.focus.lock() {
        *focus = None;
    }
    heal(drill, &mut run, &api, &mut state).await?;
    load.phase.store(AFTER, Ordering::Relaxed);
    let heal_at = Instant::now();
    let recovery_after_heal = liveness_after_heal(&api, &load, heal_at, placed.len()).await;
    run.note(format!(
        "after heal: leader {} ms, fresh write {} ms, every actor placed {} ms",
        ms(recovery_after_heal
            .leader_elected
            .map(|d| d.as_millis() as u64)),
        ms(recovery_after_heal
            .fresh_write_committed
            .map(|d| d.as_millis() as u64)),
        ms(recovery_after_heal
            .actors_placed
            .map(|d| d.as_millis() as u64)),
    ));

    tokio::time::sleep_until((heal_at + options.after).into()).await;
    for worker in workers {
        if let Err(error) = worker.await {
            state
                .problems
                .push(format!("a client task failed: {error}"));
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
    let reads = final_reads(&api, &mut state.problems).await;
    run.note(format!(
        "final reads from {} nodes ({} ms after heal)",
        reads.len(),
        heal_at.elapsed().as_millis()
    ));
    observer.stop.store(true, Ordering::Relaxed);
    let _ = observing.await;

    let records = load.history.records().map_err(setup)?;
    let logs = run.control.logs();
    let (checks, lost, duplicates) = checks::judge(&Evidence {
        records: &records,
        reads: &reads,
        logs: run.control.owns_files().then_some(logs.as_slice()),
        recovery: recovery_after_heal,
        liveness_within: LIVENESS_WITHIN,
    });
    let double_assigned = checks
        .iter()
        .find(|check| check.check == "unit-assigned-once")
        .map_or(0, |check| check.violation_count);
    let acknowledged = crate::judge::checkers::acked_incidents(
        &crate::judge::checkers::request_outcomes(&records),
    )
    .len();
    if acknowledged == 0 {
        state.problems.push("no report was acknowledged".into());
    }
    let incidents = reads
        .values()
        .max_by_key(|node| node.incidents.len())
        .map(|node| node.incidents.as_slice())
        .unwrap_or_default();
    let first_assignment_ms = first_assignment_ms(drill, incidents, &load, fault_unix_ms);
    if drill == DrillName::KillStationServer {
        note_station_incidents(&mut run, &load, incidents, &state);
    }

    let actors_replaced_ms = note_actors_replaced(&mut run, &mut state, &observer, drill, fault_ms);
    let leader_changes = note_leader_changes(&mut run, &observer);
    if drill == DrillName::RollingRestart && leader_changes == 0 {
        state
            .problems
            .push("rolling restart: the leader never changed".into());
    }

    let phase = |wanted: u8| load.latency(wanted);
    let longest_ack_gap_ms = load.longest_ack_gap_ms(fault_ms);

    let mut report = DrillReport {
        drill,
        nodes,
        cluster: cluster_name,
        timeline: std::mem::take(&mut run.timeline),
        leader_before: leader,
        leader_after,
        leader_changes,
        faulted: state.faulted.clone(),
        recovery: Recovery {
            new_leader_ms: state.new_leader_ms,
            actors_replaced_ms,
            first_assignment_ms,
            heal_leader_ms: recovery_after_heal
                .leader_elected
                .map(|d| d.as_millis() as u64),
            heal_fresh_write_ms: recovery_after_heal
                .fresh_write_committed
                .map(|d| d.as_millis() as u64),
            heal_actors_placed_ms: recovery_after_heal
                .actors_placed
                .map(|d| d.as_millis() as u64),
        },
        longest_ack_gap_ms,
        requests: clients * per_client,
        ops: OpTally::of(&records).into(),
        acknowledged,
        unanswered,
        cancelled: load.cancelled.load(Ordering::Relaxed),
        lost,
        duplicates,
        double_assigned,
        nodes_read: reads.len(),
        checks,
        problems: std::mem::take(&mut state.problems),
        latency_before: phase(BEFORE),
        latency_during: phase(DURING),
        latency_after: phase(AFTER),
        elapsed_ms: 0,
        kept: None,
    };
    if (options.keep || !report.passed()) && run.control.owns_files() {
        let dir = std::mem::replace(&mut run.dir, tempfile::tempdir().map_err(setup)?);
        report.kept = Some(dir.keep());
    }
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}

/// The first assignment after the fault, ms after it: kill-station-server
/// counts only incidents in the killed node's stations' areas.
fn first_assignment_ms(
    drill: DrillName,
    incidents: &[serde_json::Value],
    load: &Load,
    fault_unix_ms: u64,
) -> Option<u64> {
    let focused: BTreeSet<String> = load
        .focused
        .lock()
        .map(|ids| ids.iter().cloned().collect())
        .unwrap_or_default();
    let measured: Vec<serde_json::Value> = incidents
        .iter()
        .filter(|incident| {
            drill != DrillName::KillStationServer
                || incident["id"]
                    .as_str()
                    .is_some_and(|id| focused.contains(id))
        })
        .cloned()
        .collect();
    checks::first_assignment_since(&measured, fault_unix_ms)
        .map(|at| at.saturating_sub(fault_unix_ms))
}

/// The faulted nodes' actors, as the observer saw them move, into the
/// timeline (it keeps looking after the heal: a restarted node gets its
/// actors back only after the hysteresis, so a late move still counts).
/// kill-station-server fails if they never moved.
fn note_actors_replaced(
    run: &mut Run,
    state: &mut FaultState,
    observer: &Observer,
    drill: DrillName,
    fault_ms: u64,
) -> Option<u64> {
    let replaced_ms = observer.replaced_ms();
    let watched = observer
        .faulted
        .lock()
        .map(|faulted| faulted.is_some())
        .unwrap_or(false);
    match replaced_ms {
        Some(ms) => run.timeline.push(TimelineEntry {
            at_ms: fault_ms + ms,
            event: format!(
                "every actor of node(s) {:?} placed on other nodes ({ms} ms after the fault)",
                state.faulted
            ),
        }),
        None if watched && drill == DrillName::KillStationServer => state.problems.push(format!(
            "the actors of node {:?} were never placed elsewhere",
            state.faulted
        )),
        None if watched => run.note(format!(
            "the actors of node(s) {:?} were not seen placed elsewhere before they came back",
            state.faulted
        )),
        None => {}
    }
    replaced_ms
}

/// Leader changes, as the observer saw them, into the timeline (sorted);
/// how many there were after the first leader.
fn note_leader_changes(run: &mut Run, observer: &Observer) -> usize {
    let leaders = observer
        .leaders
        .lock()
        .map(|leaders| leaders.clone())
        .unwrap_or_default();
    for (at_ms, node, term) in leaders.iter().skip(1) {
        run.timeline.push(TimelineEntry {
            at_ms: *at_ms,
            event: format!("observed: leader node {node} term {term}"),
        });
    }
    run.timeline.sort_by_key(|entry| entry.at_ms);
    leaders.len().saturating_sub(1)
}

/// Names the nodes the fault takes out (for the actors-re-placed measure)
/// before it is injected; kill-station-server picks the node hosting the
/// most station actors and points the load at those stations' areas.
fn aim(
    drill: DrillName,
    state: &mut FaultState,
    placed: &[api::Placed],
    stations: &BTreeMap<String, (f64, f64)>,
    load: &Load,
    fault_at: Instant,
) -> Result<(), DrillError> {
    let leader = state.leader as u64;
    match drill {
        DrillName::KillLeader | DrillName::IsolateLeader | DrillName::PauseLeader => {
            state.mark_faulted(fault_at, vec![leader]);
        }
        DrillName::MinoritySplit => state.mark_faulted(fault_at, vec![state.follower as u64]),
        DrillName::KillStationServer => {
            let by_node = stations_by_node(placed);
            let (victim, names) = by_node
                .iter()
                .max_by_key(|(node, names)| (names.len(), std::cmp::Reverse(**node)))
                .ok_or_else(|| setup("no station actor is placed anywhere"))?;
            state.mark_faulted(fault_at, vec![*victim]);
            state.stations = names.clone();
            state.expect_new_leader = *victim == leader;
            let points: Vec<(f64, f64)> = names
                .iter()
                .filter_map(|name| stations.get(name).copied())
                .collect();
            if let Ok(mut focus) = load.focus.lock() {
                *focus = Some(points);
            }
        }
        // The others name their nodes when the fault takes them out, or
        // take out no node as a whole.
        _ => {}
    }
    Ok(())
}

/// Incidents and units from every node; a node that cannot be read within
/// 15 s is a problem.
async fn final_reads(api: &Api, problems: &mut Vec<String>) -> BTreeMap<String, NodeReads> {
    let mut reads = BTreeMap::new();
    for node in 1..=api.urls.len() {
        let give_up = Instant::now() + Duration::from_secs(15);
        loop {
            let read = stable_read(api, node).await;
            match read {
                Ok(node_reads) => {
                    reads.insert(format!("node-{node}"), node_reads);
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
    reads
}

/// Incidents and units of node `node` as of one moment: the units are
/// read before and after the incidents and must not have changed (actors
/// may still assign units to the last open incidents), so the units agree
/// with the incidents read between them. Gives up on stability after a
/// few tries and returns the last read.
async fn stable_read(api: &Api, node: usize) -> Result<NodeReads, String> {
    let mut units = api.units(node).await?;
    for _ in 0..STABLE_READ_TRIES_MAX {
        let incidents = api.incidents(node).await?;
        let units_after = api.units(node).await?;
        if units_after == units {
            return Ok(NodeReads { incidents, units });
        }
        units = units_after;
    }
    Ok(NodeReads {
        incidents: api.incidents(node).await?,
        units,
    })
}

/// kill-station-server: how the incidents reported to the killed node's
/// stations during the fault fared.
fn note_station_incidents(
    run: &mut Run,
    load: &Load,
    incidents: &[serde_json::Value],
    state: &FaultState,
) {
    let focused: BTreeSet<String> = load
        .focused
        .lock()
        .map(|ids| ids.iter().cloned().collect())
        .unwrap_or_default();
    let assigned = incidents
        .iter()
        .filter(|incident| {
            incident["id"]
                .as_str()
                .is_some_and(|id| focused.contains(id))
        })
        .filter(|incident| {
            incident["assignments"]
                .as_array()
                .is_some_and(|list| !list.is_empty())
        })
        .count();
    run.note(format!(
        "{} incidents reported during the fault in the areas of node {:?}'s stations ({}); {assigned} of them got a unit",
        focused.len(),
        state.faulted,
        state.stations.join(", ")
    ));
}

/// Liveness after heal, each sign timed from `heal_at` and bounded by
/// [`LIVENESS_WITHIN`]: a settled leader, a fresh report acknowledged
/// (recorded in the history like the load's), every actor placed and
/// running (at least `actors` of them).
async fn liveness_after_heal(
    api: &Api,
    load: &Load,
    heal_at: Instant,
    actors: usize,
) -> RecoveryTimes {
    let give_up = heal_at + LIVENESS_WITHIN;
    let mut times = RecoveryTimes::default();
    if api
        .wait_leader(None, give_up.saturating_duration_since(Instant::now()))
        .await
        .is_some()
    {
        times.leader_elected = Some(heal_at.elapsed());
    }
    let request_id = format!("{}-after-heal", load.prefix);
    if load.report(2_000, &request_id, 0).await.is_some() && Instant::now() < give_up {
        times.fresh_write_committed = Some(heal_at.elapsed());
    }
    while Instant::now() < give_up {
        let mut all_placed = false;
        if let Some((leader, _)) = api.settled_leader(None).await {
            if let Ok(placed) = api.actors(leader as usize, Duration::from_secs(3)).await {
                all_placed = placed.len() >= actors
                    && placed.iter().all(|placement| placement.status == "running");
            }
        }
        if all_placed {
            times.actors_placed = Some(heal_at.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    times
}

/// Injects drill `drill`'s fault (and, for drills whose fault is a
/// sequence, runs the sequence).
async fn inject(
    drill: DrillName,
    run: &mut Run,
    api: &Api,
    api_all: &Api,
    options: &DrillOptions,
    state: &mut FaultState,
    fault_at: Instant,
) -> Result<(), DrillError> {
    let leader = state.leader;
    let follower = state.follower;
    match drill {
        DrillName::KillLeader => {
            run.control.kill(leader)?;
            run.note(format!("SIGKILL node {leader} (leader)"));
        }
        DrillName::KillStationServer => {
            let victim = state.faulted[0] as usize;
            run.control.kill(victim)?;
            run.note(format!(
                "SIGKILL node {victim}{}: it hosts {} station actors ({}); reports go to their areas",
                if victim == leader { " (leader)" } else { "" },
                state.stations.len(),
                state.stations.join(", ")
            ));
        }
        DrillName::IsolateLeader => {
            run.control.lab()?.isolate(leader)?;
            run.note(format!(
                "isolate node {leader} (leader) from the other nodes"
            ));
        }
        DrillName::MinoritySplit => {
            run.control.lab()?.isolate(follower)?;
            run.note(format!("isolate node {follower} (follower): 2|1 split"));
        }
        DrillName::Bridge => {
            run.control
                .lab()?
                .cut_links(&[(1, 4), (1, 5), (2, 4), (2, 5)])?;
            run.note(format!(
                "bridge: {{1,2}} and {{4,5}} cut apart, node 3 sees both (leader was node {leader})"
            ));
        }
        DrillName::MajoritiesRing => {
            let n = state.nodes;
            let cuts: Vec<(usize, usize)> = (1..=n)
                .flat_map(|a| (a + 1..=n).map(move |b| (a, b)))
                .filter(|(a, b)| b - a != 1 && b - a != n - 1)
                .collect();
            run.control.lab()?.cut_links(&cuts)?;
            run.note(format!(
                "majorities ring: each node sees only its ring neighbours; cut {cuts:?}"
            ));
        }
        DrillName::OneWay => {
            run.control.lab()?.cut_one_way(leader, follower)?;
            run.note(format!(
                "cut node {leader} (leader) -> node {follower} one way"
            ));
        }
        DrillName::PauseLeader => {
            run.control.signal(leader, "STOP")?;
            run.note(format!("SIGSTOP node {leader} (leader)"));
        }
        DrillName::Lossy => {
            run.control.lab()?.lossy(20)?;
            run.note("drop 20% of node-to-node packets");
        }
        DrillName::DiskLoss => disk_loss(run, api, state).await?,
        DrillName::ClockSkew => {
            // libfaketime preloaded directly, not through the `faketime`
            // program: that one forks and waits, so SIGTERM would reach
            // it and not the node.
            let library = faketime_library().ok_or_else(|| {
                setup("libfaketime.so.1 not found: install libfaketime (apt-get install faketime)")
            })?;
            let library = library.to_string_lossy().into_owned();
            run.note(format!("skew node {follower} (follower) by +300 s"));
            let skewed = [
                ("LD_PRELOAD", library.as_str()),
                ("FAKETIME", "+300s"),
                ("FAKETIME_DONT_FAKE_MONOTONIC", "1"),
            ];
            if let Err(problem) = restart(run, api, follower, &skewed).await? {
                state.problems.push(problem);
            }
            match run.control.log_path(follower).and_then(|log| last_start_skew(&log)) {
                Some(skew) if (250..=400).contains(&skew) => {
                    run.note(format!("node {follower} logs {skew} s ahead of the true clock"))
                }
                other => state.problems.push(format!(
                    "node {follower}'s clock is not skewed by about +300 s: its log is {other:?} s ahead"
                )),
            }
        }
        DrillName::CertExpiry => cert_expiry(run, api, state).await?,
        DrillName::MembershipChurn => {
            let extra = state.nodes + 1;
            run.control.start(extra)?;
            run.note(format!("start node {extra} (not a member)"));
            for (verb, pause) in [
                ("add-learner", Duration::from_secs(2)),
                ("promote", Duration::from_secs(3)),
                ("remove", Duration::from_secs(1)),
            ] {
                match ctl(run, options, &["members", verb, &extra.to_string()]).await {
                    Ok(out) => run.note(format!("ctl members {verb} {extra}: {out}")),
                    Err(error) => {
                        run.note(format!("ctl members {verb} {extra} FAILED"));
                        state
                            .problems
                            .push(format!("ctl members {verb} {extra}: {error}"));
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
            let graceful = run.control.stop(extra, Duration::from_secs(10)).await?;
            run.note(format!(
                "stop node {extra} ({})",
                if graceful {
                    "SIGTERM"
                } else {
                    "SIGKILL after 10 s"
                }
            ));
            let status = ctl(run, options, &["status"]).await;
            run.note(format!(
                "ctl status: {}",
                status.unwrap_or_else(|error| error).replace('\n', " | ")
            ));
        }
        DrillName::RollingRestart => rolling_restart(run, api, state, fault_at).await?,
    }
    Ok(())
}

/// Undoes drill `drill`'s fault.
async fn heal(
    drill: DrillName,
    run: &mut Run,
    api: &Api,
    state: &mut FaultState,
) -> Result<(), DrillError> {
    let leader = state.leader;
    let follower = state.follower;
    match drill {
        DrillName::KillLeader => {
            run.control.start(leader)?;
            run.note(format!("restart node {leader}"));
        }
        DrillName::KillStationServer => {
            let victim = state.faulted[0] as usize;
            run.control.start(victim)?;
            run.note(format!("restart node {victim}"));
        }
        DrillName::PauseLeader => {
            run.control.signal(leader, "CONT")?;
            run.note(format!("SIGCONT node {leader}"));
        }
        DrillName::ClockSkew => {
            run.note(format!(
                "unskew node {follower}: restart with the true clock"
            ));
            if let Err(problem) = restart(run, api, follower, &[]).await? {
                state.problems.push(problem);
            }
        }
        DrillName::DiskLoss => {
            let target = leader_log_end(api).await;
            run.control.start(follower)?;
            run.note(format!(
                "restart node {follower} from the restored copy; the leader's log ends at {}",
                ms(target)
            ));
            note_catch_up(run, api, follower, target, state).await;
        }
        DrillName::CertExpiry => {
            issue_certificate(run, follower, None)?;
            run.note(format!(
                "rotate: issue node {follower} a fresh certificate (`cordon certs issue`)"
            ));
            match restart(run, api, follower, &[]).await? {
                Ok(_) => {
                    let target = leader_log_end(api).await;
                    note_catch_up(run, api, follower, target, state).await;
                }
                Err(problem) => state.problems.push(problem),
            }
        }
        DrillName::RollingRestart | DrillName::MembershipChurn => {
            run.note("heal: nothing left to undo");
        }
        DrillName::IsolateLeader
        | DrillName::MinoritySplit
        | DrillName::Bridge
        | DrillName::MajoritiesRing
        | DrillName::OneWay
        | DrillName::Lossy => {
            run.control.lab()?.heal()?;
            run.note("heal: every rule removed");
        }
    }
    Ok(())
}

/// Followers first, each restarted and back; then the leader, kept down
/// [`LEADER_DOWN_MS`] (beyond the election timeout) so the others elect a
/// new leader before it starts again.
async fn rolling_restart(
    run: &mut Run,
    api: &Api,
    state: &mut FaultState,
    fault_at: Instant,
) -> Result<(), DrillError> {
    let mut slowest = 0;
    for node in (1..=state.nodes).filter(|node| *node != state.leader) {
        match restart(run, api, node, &[]).await? {
            Ok(ms) => slowest = slowest.max(ms),
            Err(problem) => state.problems.push(problem),
        }
    }
    // The leader may have moved while the followers restarted.
    let (leader, term) = api
        .settled_leader(None)
        .await
        .unwrap_or((state.leader as u64, state.term));
    let leader = leader as usize;
    let began = Instant::now();
    let graceful = run.control.stop(leader, Duration::from_secs(15)).await?;
    run.note(format!(
        "stop node {leader} (leader) {}; keep it down {LEADER_DOWN_MS} ms",
        if graceful {
            "with SIGTERM"
        } else {
            "with SIGKILL"
        }
    ));
    match api.wait_leader(Some(term), RECOVERY_WITHIN).await {
        Some((new_leader, new_term)) => {
            state.new_leader_ms = Some(began.elapsed().as_millis() as u64);
            run.note(format!(
                "new leader node {new_leader} term {new_term} while node {leader} is down"
            ));
        }
        None => state.problems.push(format!(
            "no new leader within {RECOVERY_WITHIN:?} of stopping leader node {leader}"
        )),
    }
    tokio::time::sleep_until((began + Duration::from_millis(LEADER_DOWN_MS)).into()).await;
    run.control.start(leader)?;
    run.note(format!("start node {leader}"));
    match wait_back(run, api, leader, began).await {
        Ok(ms) => slowest = slowest.max(ms),
        Err(problem) => state.problems.push(problem),
    }
    run.note(format!(
        "every node restarted; slowest back in {slowest} ms, {} ms since the first",
        fault_at.elapsed().as_millis()
    ));
    Ok(())
}

/// disk-loss: stop, copy, continue, keep acknowledging, kill, restore
/// (see [`DrillName::DiskLoss`]).
async fn disk_loss(run: &mut Run, api: &Api, state: &mut FaultState) -> Result<(), DrillError> {
    let node = state.follower;
    let data = run.cluster.node_data_dir(node as u64);
    let copy = run.dir.path().join(format!("node-{node}-copy"));
    run.control.signal(node, "STOP")?;
    let copied = copy_dir(&data, &copy);
    run.control.signal(node, "CONT")?;
    let bytes = copied.map_err(|error| setup(format!("copy {}: {error}", data.display())))?;
    let before = api.view(node).await;
    run.note(format!(
        "SIGSTOP node {node} (follower), copy its data ({bytes} bytes, log to {}, term {}), SIGCONT",
        ms(before.as_ref().and_then(|view| view.last_log_index)),
        ms(before.as_ref().map(|view| view.term)),
    ));
    tokio::time::sleep(Duration::from_millis(DISK_TAIL_MS)).await;
    let after = api.view(node).await;
    run.control.kill(node)?;
    state.mark_faulted(Instant::now(), vec![node as u64]);
    std::fs::remove_dir_all(&data)
        .map_err(|error| setup(format!("remove {}: {error}", data.display())))?;
    std::fs::rename(&copy, &data)
        .map_err(|error| setup(format!("restore {}: {error}", data.display())))?;
    let copied_end = before.as_ref().and_then(|view| view.last_log_index);
    let lost_end = after.as_ref().and_then(|view| view.last_log_index);
    run.note(format!(
        "SIGKILL node {node}, put the copy back: it forgets log entries {}..={} it had acknowledged",
        copied_end.map_or(0, |end| end + 1),
        ms(lost_end)
    ));
    if lost_end <= copied_end {
        state.problems.push(format!(
            "node {node} acknowledged nothing after the copy (log end {} then {}): no tail was lost",
            ms(copied_end),
            ms(lost_end)
        ));
    }
    match (before.map(|view| view.term), after.map(|view| view.term)) {
        (Some(then), Some(now)) if then == now => run.note(format!(
            "term {now} unchanged since the copy: the restored vote is the vote it had"
        )),
        (then, now) => run.note(format!(
            "term moved from {} to {} since the copy: the restored copy forgets a vote (outside the model)",
            ms(then),
            ms(now)
        )),
    }
    Ok(())
}

/// cert-expiry: a short-lived certificate for a follower, its expiry, and
/// proof that its peers then refuse it.
async fn cert_expiry(run: &mut Run, api: &Api, state: &mut FaultState) -> Result<(), DrillError> {
    let node = state.follower;
    issue_certificate(run, node, Some(&format!("{SHORT_CERT_VALID_S}s")))?;
    let expires = Instant::now() + Duration::from_secs(SHORT_CERT_VALID_S);
    run.note(format!(
        "issue node {node} (follower) a certificate valid for {SHORT_CERT_VALID_S} s; restart it"
    ));
    if let Err(problem) = restart(run, api, node, &[]).await? {
        state.problems.push(problem);
        return Ok(());
    }
    tokio::time::sleep_until(expires.into()).await;
    run.note(format!("node {node}'s certificate expired"));
    state.mark_faulted(expires, vec![node as u64]);
    match wait_cut_off(api, node, RECOVERY_WITHIN).await {
        Some(lag) => run.note(format!(
            "node {node} is cut off: its log is behind the leader's of {CUT_OFF_LAG_MS} ms ago by {lag} entries, {} ms after the expiry",
            expires.elapsed().as_millis()
        )),
        None => state.problems.push(format!(
            "node {node} still receives the log {RECOVERY_WITHIN:?} after its certificate expired: its peers do not refuse an expired certificate"
        )),
    }
    Ok(())
}

/// Waits until node `node` no longer receives the log: its last index is
/// below the leader's of [`CUT_OFF_LAG_MS`] ago. The lag, or `None` if it
/// kept up for `within`.
async fn wait_cut_off(api: &Api, node: usize, within: Duration) -> Option<u64> {
    let give_up = Instant::now() + within;
    let mut leader_ends: Vec<(Instant, u64)> = Vec::new();
    while Instant::now() < give_up {
        if let Some(end) = leader_log_end(api).await {
            leader_ends.push((Instant::now(), end));
        }
        let old = leader_ends
            .iter()
            .rev()
            .find(|(at, _)| at.elapsed() >= Duration::from_millis(CUT_OFF_LAG_MS))
            .map(|(_, end)| *end);
        if let (Some(old), Some(view)) = (old, api.view(node).await) {
            let end = view.last_log_index.unwrap_or(0);
            if end < old {
                return Some(old - end);
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    None
}

/// The settled leader's last log index.
async fn leader_log_end(api: &Api) -> Option<u64> {
    let (leader, _) = api.settled_leader(None).await?;
    api.view(leader as usize).await?.last_log_index
}

/// Waits until node `node` has applied the log up to `target` and notes
/// how long it took; not within [`RECOVERY_WITHIN`] is a problem.
async fn note_catch_up(
    run: &mut Run,
    api: &Api,
    node: usize,
    target: Option<u64>,
    state: &mut FaultState,
) {
    let Some(target) = target else {
        state
            .problems
            .push(format!("no leader's log end to catch node {node} up to"));
        return;
    };
    let began = Instant::now();
    while began.elapsed() < RECOVERY_WITHIN {
        if let Some(view) = api.view(node).await {
            if view.applied_index.unwrap_or(0) >= target {
                run.note(format!(
                    "node {node} caught up: applied {} >= {target} after {} ms",
                    view.applied_index.unwrap_or(0),
                    began.elapsed().as_millis()
                ));
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    state.problems.push(format!(
        "node {node} did not apply the log up to {target} within {RECOVERY_WITHIN:?}"
    ));
}

/// `cordon certs issue --cluster F --node N [--valid-for V]`.
fn issue_certificate(run: &Run, node: usize, valid_for: Option<&str>) -> Result<(), DrillError> {
    let Control::Lab { nodes, .. } = &run.control else {
        return Err(setup(
            "certificates are issued only for a cluster the drill starts",
        ));
    };
    let mut command = Command::new(&nodes.binary);
    command
        .args(["certs", "issue", "--cluster"])
        .arg(&run.cluster_path)
        .args(["--node", &node.to_string()]);
    if let Some(valid_for) = valid_for {
        command.args(["--valid-for", valid_for]);
    }
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|error| setup(format!("run cordon certs issue: {error}")))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(setup(format!(
            "cordon certs issue for node {node} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )))
    }
}

/// Restarts node `node`: SIGTERM, wait for the exit (SIGKILL after 15 s),
/// start it again from the same files (with `env`; an operator's node
/// through their commands), wait until it answers `/readyz` and a leader is
/// settled. `Ok(Ok(ms))`: from the SIGTERM to ready; `Ok(Err(problem))`:
/// it did not come back in time.
async fn restart(
    run: &mut Run,
    api: &Api,
    node: usize,
    env: &[(&str, &str)],
) -> Result<Result<u64, String>, DrillError> {
    let began = Instant::now();
    let graceful = run.control.stop(node, Duration::from_secs(15)).await?;
    run.note(format!(
        "node {node} {} after {} ms",
        if graceful {
            "exited on SIGTERM"
        } else {
            "killed (SIGKILL or the kill command)"
        },
        began.elapsed().as_millis()
    ));
    run.control.start_with(node, &[], env)?;
    run.note(format!("start node {node}"));
    Ok(wait_back(run, api, node, began).await)
}

/// Waits until node `node` answers `/readyz` (from its new process) and a
/// leader is settled: ms since `began`, or the problem.
async fn wait_back(run: &mut Run, api: &Api, node: usize, began: Instant) -> Result<u64, String> {
    let give_up = Instant::now() + RECOVERY_WITHIN;
    while Instant::now() < give_up {
        if let Some(status) = run.control.exited(node) {
            return Err(format!(
                "node {node} exited right after its restart: {status} (see its log)"
            ));
        }
        if api.ready(node).await {
            if let Some((leader, term)) = api.settled_leader(None).await {
                let ms = began.elapsed().as_millis() as u64;
                run.note(format!(
                    "node {node} ready; leader node {leader} term {term} ({ms} ms after the stop)"
                ));
                return Ok(ms);
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!(
        "node {node} not ready with a settled leader within {RECOVERY_WITHIN:?} of its restart"
    ))
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
        .arg(&run.cluster_path)
        .args(args);
    let mut command = run
        .control
        .command_at(1, &command)
        .map_err(|e| e.to_string())?;
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
