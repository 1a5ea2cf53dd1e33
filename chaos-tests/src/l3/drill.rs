//! The named drills: what each does in one line, the faults it needs (an
//! operator's cluster offers only some), its cluster size, and how long its
//! own fault sequence takes.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use super::faults::cert_expiry::SHORT_CERT_VALID_S;
use super::faults::disk_loss::DISK_TAIL_MS;
use super::faults::rolling_restart::LEADER_DOWN_MS;

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
    pub(crate) fn refused_because(self) -> &'static str {
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
    pub(crate) fn sequence_estimate(self, nodes: usize) -> Duration {
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
    pub(crate) fn hold_min(self) -> Duration {
        match self {
            DrillName::KillStationServer => Duration::from_secs(5),
            _ => Duration::ZERO,
        }
    }

    /// Nodes in the lab and cluster file beyond the initial voters, started
    /// only by the drill.
    pub(crate) fn extra_nodes(self) -> usize {
        usize::from(self == DrillName::MembershipChurn)
    }
}

impl fmt::Display for DrillName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
