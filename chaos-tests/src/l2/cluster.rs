//! [`InProcessCluster`]: N real consensus nodes in one process (L2), on
//! 127.0.0.1, with real redb files in a temporary folder and real QUIC with
//! mutual TLS, every node's UDP socket a [`FaultySocket`] of one
//! [`FaultyNetwork`] so tests can cut, slow and corrupt the links under
//! quinn.
//!
//! # Crashes
//! Each node's files (`ledger.redb` and the log's segments in `raft-log/`)
//! are opened through a [`NodeDisk`], which remembers what every write
//! since the last sync replaced. [`InProcessCluster::crash`] first crashes
//! the disk (each file goes back to its last synced content, and the dying
//! node can no longer write), then stops the node (Raft shut down, endpoint
//! closed) and drops it: the node loses its memory and the unsynced tails
//! of its files, as a power cut would. [`InProcessCluster::restart`] starts
//! it again from the files on the same address. Cordon syncs every append
//! and vote before openraft hears of it, so what is lost is what may be
//! lost (appends not yet acknowledged, and the saved commit index, written
//! without a sync).
//!
//! The cluster may be shared (`Arc`) between the scenario and its clients:
//! crash and restart take `&self`, and clients take a node handle for each
//! attempt, so a crashed node stops receiving requests at once.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use cordon_config::cluster::free_local_ports;
use cordon_config::{ClusterConfig, ConfigError, Limits, RaftTiming};
use cordon_consensus::ledger::{Applied, Command};
use cordon_consensus::tls::TlsError;
use cordon_consensus::{ConsensusNode, NodeId, NodeOptions, StartError, WriteError};
use tokio::time::Instant;

use super::net::FaultyNetwork;
#[cfg(doc)]
use super::net::FaultySocket;
use crate::judge::checkers::FinalReads;
use crate::judge::raft_views::{
    converged_index, describe, incidents_by_request, majority_leader, RaftView,
};
use crate::shared::certs::certify;
use crate::shared::node_disk::NodeDisk;

/// The cluster's name (in certificates and the cluster file).
pub const CLUSTER_NAME: &str = "chaos";

/// How long a (re)starting node waits for its address and its files to be
/// let go of by its previous incarnation.
pub const NODE_START_MS_MAX: u64 = 5_000;

/// Pause between checks of a condition on the nodes' metrics.
const POLL_INTERVAL_MS: u64 = 10;

/// How to build an [`InProcessCluster`].
#[derive(Clone, Debug)]
pub struct ClusterOptions {
    /// Number of nodes, all voters.
    pub nodes: usize,
    /// Seed of the network's fault decisions.
    pub seed: u64,
    /// Raft timing of every node.
    pub raft: RaftTiming,
    /// Limits of every node.
    pub limits: Limits,
}

impl ClusterOptions {
    /// `nodes` nodes with Raft timing shortened for tests (heartbeat 50 ms,
    /// election timeout 300-600 ms, RPC deadline 500 ms, write deadline
    /// 3 s) so elections after a fault take well under a second.
    pub fn new(nodes: usize, seed: u64) -> ClusterOptions {
        ClusterOptions {
            nodes,
            seed,
            raft: RaftTiming {
                heartbeat_interval_ms: 50,
                election_timeout_ms_min: 300,
                election_timeout_ms_max: 600,
                ..RaftTiming::default()
            },
            limits: Limits {
                rpc_timeout_ms: 500,
                client_write_timeout_ms: 3_000,
                ..Limits::default()
            },
        }
    }
}

/// Why a cluster operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// A local resource (temporary folder, free ports) was unavailable.
    #[error("{action}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The cause.
        source: std::io::Error,
    },
    /// The cluster file was refused.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Certificates could not be made.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// A node's socket could not be bound.
    #[error("bind node {node_id}'s socket on {addr}: {source}")]
    Bind {
        /// The node.
        node_id: NodeId,
        /// Its QUIC address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// A node did not start.
    #[error("start node {node_id}: {source}")]
    Start {
        /// The node.
        node_id: NodeId,
        /// The cause.
        source: StartError,
    },
    /// The id is not one of the cluster's nodes.
    #[error("node {0} is not in the cluster")]
    UnknownNode(NodeId),
    /// The node is crashed.
    #[error("node {0} is not running (crashed and not restarted)")]
    NotRunning(NodeId),
    /// The node runs already.
    #[error("node {0} is already running")]
    AlreadyRunning(NodeId),
    /// A condition on the nodes did not hold in time.
    #[error("{condition} did not hold within {within_ms} ms: {last_seen}")]
    Timeout {
        /// What was awaited.
        condition: &'static str,
        /// The deadline.
        within_ms: u64,
        /// What the nodes showed last.
        last_seen: String,
    },
    /// A write or read barrier failed.
    #[error("through node {node_id}: {source}")]
    Write {
        /// The node asked.
        node_id: NodeId,
        /// The cause.
        source: WriteError,
    },
}

/// N consensus nodes in one process over a [`FaultyNetwork`].
pub struct InProcessCluster {
    /// Holds the files; removed when the cluster is dropped.
    dir: tempfile::TempDir,
    config: ClusterConfig,
    network: Arc<FaultyNetwork>,
    /// Every node's disk: its `ledger.redb` file, crashable.
    disks: BTreeMap<NodeId, Arc<NodeDisk>>,
    /// Every node id; `None` while the node is crashed.
    nodes: Mutex<BTreeMap<NodeId, Option<Arc<ConsensusNode>>>>,
}

impl fmt::Debug for InProcessCluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let running: Vec<(NodeId, bool)> = self
            .lock()
            .iter()
            .map(|(id, node)| (*id, node.is_some()))
            .collect();
        f.debug_struct("InProcessCluster")
            .field("dir", &self.dir.path())
            .field("running", &running)
            .field("network", &self.network)
            .finish()
    }
}

impl InProcessCluster {
    /// Starts `nodes` nodes with test timing ([`ClusterOptions::new`]);
    /// `seed` seeds the network's fault decisions.
    pub async fn start(nodes: usize, seed: u64) -> Result<InProcessCluster, ClusterError> {
        Self::start_with(ClusterOptions::new(nodes, seed)).await
    }

    /// Starts a cluster as `options` say: config, certificates, one faulty
    /// socket and one node per id. Leader election runs in the background;
    /// await it with [`InProcessCluster::leader`].
    pub async fn start_with(options: ClusterOptions) -> Result<InProcessCluster, ClusterError> {
        let io_error = |action| move |source| ClusterError::Io { action, source };
        let dir = tempfile::Builder::new()
            .prefix("cordon-l2-")
            .tempdir()
            .map_err(io_error("create the cluster's temporary folder"))?;
        let ports = free_local_ports(options.nodes).map_err(io_error("pick free local ports"))?;
        let mut file = ClusterConfig::local(CLUSTER_NAME, dir.path(), &ports)?
            .file()
            .clone();
        file.raft = options.raft;
        file.limits = options.limits;
        let config = ClusterConfig::from_file(file, dir.path())?;
        let ids: Vec<NodeId> = config.nodes().iter().map(|spec| spec.id).collect();
        certify(&config)?;
        let mut disks = BTreeMap::new();
        for id in &ids {
            let data_dir = config.node_data_dir(*id);
            std::fs::create_dir_all(&data_dir).map_err(io_error("create a node's data folder"))?;
            let disk = NodeDisk::files(&data_dir).map_err(io_error("open a node's files"))?;
            disks.insert(*id, disk);
        }
        let network = FaultyNetwork::new(options.seed);
        for spec in config.nodes() {
            network.name_node(spec.id, spec.quic_addr);
        }
        let cluster = InProcessCluster {
            dir,
            config,
            network,
            disks,
            nodes: Mutex::new(ids.iter().map(|id| (*id, None)).collect()),
        };
        for id in ids {
            cluster.restart(id).await?;
        }
        Ok(cluster)
    }

    /// The cluster configuration every node runs with.
    pub fn config(&self) -> &ClusterConfig {
        &self.config
    }

    /// The network under every node.
    pub fn network(&self) -> &Arc<FaultyNetwork> {
        &self.network
    }

    /// Every node id, running or not, in order.
    pub fn ids(&self) -> Vec<NodeId> {
        self.lock().keys().copied().collect()
    }

    /// The ids of the running nodes.
    pub fn running_ids(&self) -> Vec<NodeId> {
        self.lock()
            .iter()
            .filter(|(_, node)| node.is_some())
            .map(|(id, _)| *id)
            .collect()
    }

    /// Unsynced bytes node `id`'s disk lost at its crashes so far.
    pub fn lost_unsynced_bytes(&self, id: NodeId) -> u64 {
        self.disks.get(&id).map_or(0, |disk| disk.lost_bytes())
    }

    /// A node's QUIC address (its socket's address on the network).
    pub fn addr(&self, id: NodeId) -> Result<SocketAddr, ClusterError> {
        self.config
            .node(id)
            .map(|spec| spec.quic_addr)
            .ok_or(ClusterError::UnknownNode(id))
    }

    /// The QUIC addresses of `ids`.
    pub fn addrs(&self, ids: &[NodeId]) -> Result<Vec<SocketAddr>, ClusterError> {
        ids.iter().map(|id| self.addr(*id)).collect()
    }

    /// A running node's handle; `None` when it is crashed or unknown.
    pub fn node(&self, id: NodeId) -> Option<Arc<ConsensusNode>> {
        self.lock().get(&id).cloned().flatten()
    }

    /// A running node's handle, or why there is none.
    pub fn running(&self, id: NodeId) -> Result<Arc<ConsensusNode>, ClusterError> {
        match self.lock().get(&id) {
            None => Err(ClusterError::UnknownNode(id)),
            Some(None) => Err(ClusterError::NotRunning(id)),
            Some(Some(node)) => Ok(node.clone()),
        }
    }

    /// Waits for a leader that a majority of the cluster follows in its
    /// term, and returns its id.
    pub async fn leader(&self, within: Duration) -> Result<NodeId, ClusterError> {
        self.leader_excluding(&[], within).await
    }

    /// Waits for a leader other than `excluded` that a majority of the
    /// cluster follows in its term (a deposed leader cut off in a minority
    /// may still believe it leads; the majority's new leader is wanted).
    pub async fn leader_excluding(
        &self,
        excluded: &[NodeId],
        within: Duration,
    ) -> Result<NodeId, ClusterError> {
        self.poll("a leader followed by a majority", within, || {
            let views = self.views();
            majority_leader(&views, excluded).ok_or_else(|| describe(&views))
        })
        .await
    }

    /// Waits until every running node follows one leader and has applied
    /// everything in the leader's log; returns that log index.
    pub async fn wait_converged(&self, within: Duration) -> Result<u64, ClusterError> {
        self.poll(
            "every running node applied the leader's log",
            within,
            || {
                let views = self.views();
                converged_index(&views).ok_or_else(|| describe(&views))
            },
        )
        .await
    }

    /// Crashes node `id`: Raft is shut down, the endpoint closed, the node
    /// dropped. Its files stay; see the module docs for what a crash here
    /// does and does not lose.
    pub async fn crash(&self, id: NodeId) -> Result<(), ClusterError> {
        let node = {
            let mut nodes = self.lock();
            let slot = nodes.get_mut(&id).ok_or(ClusterError::UnknownNode(id))?;
            slot.take().ok_or(ClusterError::NotRunning(id))?
        };
        let disk = self.disks.get(&id).ok_or(ClusterError::UnknownNode(id))?;
        disk.crash().map_err(|source| ClusterError::Io {
            action: "crash a node's disk",
            source,
        })?;
        node.shutdown().await;
        drop(node);
        tracing::info!(node_id = id, "node crashed");
        Ok(())
    }

    /// Starts node `id` (again) from its files, on a fresh faulty socket
    /// bound to its address. Waits up to [`NODE_START_MS_MAX`] for the
    /// previous incarnation to let go of the address and the database.
    pub async fn restart(&self, id: NodeId) -> Result<(), ClusterError> {
        let addr = self.addr(id)?;
        if self.node(id).is_some() {
            return Err(ClusterError::AlreadyRunning(id));
        }
        let deadline = Instant::now() + Duration::from_millis(NODE_START_MS_MAX);
        let node = loop {
            let socket = match self.network.socket(addr) {
                Ok(socket) => socket,
                Err(source) if Instant::now() >= deadline => {
                    return Err(ClusterError::Bind {
                        node_id: id,
                        addr,
                        source,
                    });
                }
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(POLL_INTERVAL_MS)).await;
                    continue;
                }
            };
            let disk = self.disks.get(&id).ok_or(ClusterError::UnknownNode(id))?;
            let storage = disk.storage().map_err(|error| ClusterError::Start {
                node_id: id,
                source: StartError::Storage {
                    path: disk_path(&self.config, id),
                    reason: error.to_string(),
                },
            })?;
            let options = NodeOptions {
                socket: Some(socket),
                database: Some(storage.database),
                log_dir: Some(storage.log_dir),
                ..NodeOptions::default()
            };
            match ConsensusNode::start(&self.config, id, options).await {
                Ok(node) => break node,
                // The previous incarnation's database may still be closing.
                Err(StartError::Storage { .. }) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(POLL_INTERVAL_MS)).await;
                }
                Err(source) => {
                    return Err(ClusterError::Start {
                        node_id: id,
                        source,
                    })
                }
            }
        };
        self.lock().insert(id, Some(node));
        Ok(())
    }

    /// Proposes `command` through node `via` (forwarded to the leader if
    /// `via` is a follower).
    pub async fn write(&self, via: NodeId, command: Command) -> Result<Applied, ClusterError> {
        self.running(via)?
            .write(command)
            .await
            .map_err(|source| ClusterError::Write {
                node_id: via,
                source,
            })
    }

    /// After a linearizable read barrier on each running node, what each
    /// holds: per request id, the incidents carrying it.
    pub async fn final_reads(&self) -> Result<FinalReads, ClusterError> {
        let mut reads = FinalReads::new();
        for id in self.running_ids() {
            let node = self.running(id)?;
            node.read_barrier()
                .await
                .map_err(|source| ClusterError::Write {
                    node_id: id,
                    source,
                })?;
            reads.insert(format!("node-{id}"), incidents_by_request(node.ledger()));
        }
        Ok(reads)
    }

    /// Stops every running node.
    pub async fn shutdown(&self) {
        for id in self.running_ids() {
            if let Err(error) = self.crash(id).await {
                tracing::warn!(node_id = id, %error, "stop node");
            }
        }
    }

    /// Each running node's view of Raft.
    fn views(&self) -> Vec<RaftView> {
        let nodes: Vec<Arc<ConsensusNode>> = self.lock().values().flatten().cloned().collect();
        nodes
            .iter()
            .map(|node| RaftView::of(&node.raft().metrics().borrow()))
            .collect()
    }

    /// Checks `condition` every [`POLL_INTERVAL_MS`] until it returns `Ok`
    /// or `within` passes; on timeout, the error carries its last `Err`.
    async fn poll<T>(
        &self,
        name: &'static str,
        within: Duration,
        mut condition: impl FnMut() -> Result<T, String>,
    ) -> Result<T, ClusterError> {
        let deadline = Instant::now() + within;
        loop {
            let last_seen = match condition() {
                Ok(value) => return Ok(value),
                Err(last_seen) => last_seen,
            };
            if Instant::now() >= deadline {
                return Err(ClusterError::Timeout {
                    condition: name,
                    within_ms: within.as_millis() as u64,
                    last_seen,
                });
            }
            tokio::time::sleep(Duration::from_millis(POLL_INTERVAL_MS)).await;
        }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<NodeId, Option<Arc<ConsensusNode>>>> {
        // Updates are single inserts and takes; a panic cannot leave the map
        // half changed.
        self.nodes.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Where node `id` keeps its ledger, for error messages.
fn disk_path(config: &ClusterConfig, id: NodeId) -> String {
    config
        .node_data_dir(id)
        .join("ledger.redb")
        .display()
        .to_string()
}
