//! One node's software on its turmoil host: a consensus node over a
//! simulated socket and a crashable disk, and the node's actor runtime
//! (hub, stations, rings, special-ops teams, placement, roster), both on
//! the simulated clock; started again by turmoil at every restart.

use std::net::SocketAddr;
use std::sync::Arc;

use cordon_actors::context::PlantedBug;
use cordon_actors::runtime::ActorRuntime;
use cordon_config::{ClusterConfig, District};
use cordon_consensus::{ConsensusNode, NodeId, NodeOptions};

use super::setup::{endpoint_seed, host_ip, sim_clock};
use super::{lock, NodeHandle, Shared, SimLoss, SimSocket, QUIC_PORT};
use crate::shared::node_disk::NodeDisk;

/// One node's software, started again by turmoil on every restart.
#[derive(Clone)]
pub(super) struct NodeSoftware {
    pub(super) id: NodeId,
    pub(super) config: ClusterConfig,
    pub(super) shared: Arc<Shared>,
    pub(super) loss: Arc<SimLoss>,
    pub(super) disk: Arc<NodeDisk>,
    pub(super) seed: u64,
    pub(super) election_timeout_ms: u64,
    /// A bug planted in every node's actors, to prove the dispatch
    /// checkers catch it.
    pub(super) planted: Option<PlantedBug>,
}

impl NodeSoftware {
    pub(super) async fn run(self) -> turmoil::Result {
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
        let storage = self
            .disk
            .storage()
            .map_err(|error| failed(error.to_string()))?;
        let options = NodeOptions {
            socket: Some(socket),
            election_timeout_ms: Some(self.election_timeout_ms),
            quic_rng_seed: Some(endpoint_seed(self.seed, self.id, incarnation)),
            database: Some(storage.database),
            log_dir: Some(storage.log_dir),
            clock: Some(sim_clock()),
        };
        let node = ConsensusNode::start(&self.config, self.id, options)
            .await
            .map_err(|error| failed(error.to_string()))?;
        let actors = ActorRuntime::start(node.clone(), &self.config, District::embedded())
            .await
            .map_err(|error| failed(error.to_string()))?;
        if let Some(bug) = self.planted {
            actors.context().plant(bug);
        }
        lock(&self.shared.nodes).insert(
            self.id,
            NodeHandle {
                reader: node.ledger().clone(),
                metrics: node.raft().metrics(),
            },
        );
        // The node lives as long as its host's runtime: a crash drops it.
        std::future::pending::<()>().await;
        drop(actors);
        drop(node);
        Ok(())
    }
}
