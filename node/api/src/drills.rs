//! Drills: what a node offers (`GET /v1/drills`), actor faults
//! (`POST /v1/drills/actors/{actor}/fault`), planted dispatch bugs
//! (`POST /v1/drills/plant/{bug}`) and node drills
//! (`POST /v1/drills/nodes/{id}/{action}`), which a node relays to the
//! drill control of the `cordon demo` that started it (`GET /nodes`,
//! `POST /nodes/{id}/{action}` there).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `GET /v1/drills`: which drills this node offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DrillOffer {
    /// Actor faults (the node runs with `--drills`).
    pub actors: bool,
    /// Node drills (also needs the drill control of `cordon demo`).
    pub nodes: bool,
}

/// The answer to an actor fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ActorFaulted {
    /// The actor made to panic.
    pub faulted: String,
    /// The node it runs on.
    pub node: u64,
}

/// A dispatch bug a drill plants in a node's actors, to show that the
/// drill's dispatch checkers catch it (`POST /v1/drills/plant/{bug}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlantedBug {
    /// Responders drop every dispatch message: marked handled, nothing done.
    DropDispatch,
    /// Responders never look again at a message they left waiting.
    NeverRetry,
}

impl std::str::FromStr for PlantedBug {
    type Err = String;

    fn from_str(text: &str) -> Result<PlantedBug, String> {
        match text {
            "drop_dispatch" => Ok(PlantedBug::DropDispatch),
            "never_retry" => Ok(PlantedBug::NeverRetry),
            other => Err(format!(
                "{other:?} is not a bug a drill can plant: use drop_dispatch or never_retry"
            )),
        }
    }
}

/// The answer to planting a bug.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BugPlanted {
    /// The bug.
    pub planted: PlantedBug,
    /// The node whose actors now have it (until the node restarts).
    pub node: u64,
}

/// What a node drill does to a node's process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NodeDrill {
    /// SIGKILL: the node dies at once, as in a power cut.
    Kill,
    /// SIGSTOP: the node keeps its sockets but answers nothing.
    Pause,
    /// SIGCONT: a paused node carries on.
    Resume,
    /// Start a killed (or exited) node again from the same files.
    Restart,
    /// Cut the node off the network; `cordon demo` cannot do this (it
    /// needs network namespaces or nftables) and says so.
    Partition,
}

impl NodeDrill {
    /// Every drill, in the order the console offers them.
    pub const ALL: [NodeDrill; 5] = [
        NodeDrill::Kill,
        NodeDrill::Pause,
        NodeDrill::Resume,
        NodeDrill::Restart,
        NodeDrill::Partition,
    ];

    /// The drill's name in URLs and answers.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeDrill::Kill => "kill",
            NodeDrill::Pause => "pause",
            NodeDrill::Resume => "resume",
            NodeDrill::Restart => "restart",
            NodeDrill::Partition => "partition",
        }
    }

    /// True for drills after which the node answers nothing (kill, pause).
    pub fn silences(self) -> bool {
        matches!(self, NodeDrill::Kill | NodeDrill::Pause)
    }
}

impl std::fmt::Display for NodeDrill {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for NodeDrill {
    type Err = String;

    fn from_str(name: &str) -> Result<NodeDrill, String> {
        NodeDrill::ALL
            .into_iter()
            .find(|drill| drill.as_str() == name)
            .ok_or_else(|| {
                format!(
                    "node drill {name:?} is unknown: use kill, pause, resume, restart or partition"
                )
            })
    }
}

/// What a node's process is doing, as the process that started it sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProcessState {
    /// Started and not stopped.
    Running,
    /// Stopped with SIGSTOP: it keeps its sockets but answers nothing.
    Paused,
    /// Killed (or stopped) by its parent; it can be restarted.
    Killed,
    /// Ended by itself (a crash or a fatal error); it can be restarted.
    Exited,
}

impl ProcessState {
    /// The state's name in answers.
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessState::Running => "running",
            ProcessState::Paused => "paused",
            ProcessState::Killed => "killed",
            ProcessState::Exited => "exited",
        }
    }
}

impl std::fmt::Display for ProcessState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One node's process, as the drill control's `GET /nodes` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NodeProcess {
    /// The node id.
    pub id: u64,
    /// What the process is doing.
    pub state: ProcessState,
    /// Its pid while it runs (or is paused).
    pub pid: Option<u32>,
    /// How an exited process ended, e.g. `exit status: 1`.
    pub exit: Option<String>,
    /// The node's HTTP API.
    pub api_url: String,
}

/// The drill control's `GET /nodes`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NodeProcesses {
    /// Every node's process, in node order.
    pub nodes: Vec<NodeProcess>,
}

/// The answer to a node drill that was done (200).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DrillDone {
    /// The node drilled.
    pub node: u64,
    /// What was done.
    pub action: NodeDrill,
    /// The node's process state afterwards.
    pub state: ProcessState,
    /// Its pid afterwards (a new one after a restart, none after a kill).
    pub pid: Option<u32>,
    /// Its pid before (the killed process's, after a kill).
    pub previous_pid: Option<u32>,
}

/// The answer to a node drill checked now and done later (202): a node
/// asking to kill or pause itself gets its answer out first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DrillScheduled {
    /// The node to drill.
    pub node: u64,
    /// What will be done.
    pub action: NodeDrill,
    /// Always `scheduled`.
    pub state: String,
    /// In how many milliseconds.
    pub after_ms: u64,
    /// Its pid now.
    pub pid: Option<u32>,
}
