//! How to run a drill ([`DrillOptions`]), an operator's own cluster to
//! drill ([`OperatorCluster`]), and why a drill could not run
//! ([`DrillError`]).

use cordon_api::drills::PlantedBug;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use cordon_config::District;

use super::netns::LabError;
use super::process::OperatorCommands;
use super::DrillName;
use crate::shared::load::{LoadGenerator, LoadPlan, LoadProfile};

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
    /// A dispatch bug to plant in every node's actors before the load,
    /// to show the dispatch checkers catch it (lab clusters only).
    pub planted: Option<PlantedBug>,
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
            planted: None,
        }
    }

    /// These options as drill `drill` runs them: held at least its own
    /// minimum hold.
    pub(crate) fn for_drill(&self, drill: DrillName) -> DrillOptions {
        let mut options = self.clone();
        options.hold = options.hold.max(drill.hold_min());
        options
    }

    /// How long the load is planned to last, with the fault's own
    /// `sequence`.
    pub(crate) fn planned(&self, sequence: Duration) -> Duration {
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

/// The drill's load generator, when a profile is asked for, from the
/// profile's usual start: the New Year surge from the first minute after
/// midnight, an ordinary day from 20:00.
pub(crate) fn profile_load(options: &DrillOptions) -> Result<Option<LoadGenerator>, DrillError> {
    let Some(profile) = options.profile else {
        return Ok(None);
    };
    let plan = LoadPlan::new(profile, options.seed, profile.usual_start());
    LoadGenerator::new(&District::embedded(), &plan)
        .map(Some)
        .map_err(setup)
}

pub(crate) fn setup(error: impl fmt::Display) -> DrillError {
    DrillError::Setup(error.to_string())
}
