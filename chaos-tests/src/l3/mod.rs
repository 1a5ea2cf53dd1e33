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
//! Modules: [`drill`] the named drills and the faults each needs,
//! `options` how to run one, `run` [`run_drill`] as named phases, `faults`
//! one file per fault family with its inject and heal, `cluster` the
//! drill's cluster (start, settle, read back), `observer` the background
//! watch on leaders and placements, `load` the clients, `api` the HTTP
//! reads, `checks` every checker's verdict, `report` the
//! [`DrillReport`], `process` who runs the nodes, [`netns`] the lab of
//! namespaces, [`repeat`] repeated runs.
//!
//! A drill can also run against an operator's own cluster
//! ([`OperatorCluster`]) with only the faults the operator enables: process
//! kills and restarts through their commands; drills that need anything
//! else are refused by name before they start.

mod api;
mod checks;
mod cluster;
pub mod drill;
mod faults;
mod load;
pub mod netns;
mod observer;
mod options;
mod process;
pub mod repeat;
mod report;
mod run;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use checks::{CheckOutcome, CheckVerdict};
pub use drill::{DrillName, Fault};
pub use netns::{Lab, LabError};
pub use options::{DrillError, DrillOptions, OperatorCluster};
pub use process::OperatorCommands;
pub use report::{DrillReport, Latency, Ops, Recovery, TimelineEntry};
pub use run::run_drill;

/// How long a started cluster has to elect a leader and place every actor.
const FIRST_LEADER_WITHIN: Duration = Duration::from_secs(30);
/// How long a fault may take to produce a new leader (or a restarted node
/// to be ready, or a faulted node's actors to be placed elsewhere).
const RECOVERY_WITHIN: Duration = Duration::from_secs(20);
/// The stated bound of liveness after heal: a settled leader, a fresh
/// write acknowledged and every actor placed on a running node, each
/// within this of the heal.
const LIVENESS_WITHIN: Duration = Duration::from_secs(30);

/// `<target dir>/debug/cordon` next to the running test or binary
/// (`target/debug/deps/<test>` or `target/debug/<bin>`).
pub fn cordon_next_to(exe: &Path) -> Option<PathBuf> {
    exe.ancestors()
        .skip(1)
        .take(3)
        .map(|dir| dir.join("cordon"))
        .find(|candidate| candidate.is_file())
}
