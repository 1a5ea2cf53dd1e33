//! A node's actor runtime: the node supervisor, the ledger watcher that
//! tells it when to reconcile, the unit watcher that wakes the actors
//! waiting for a freed unit, the tick, the roster loader and the placement
//! controller (the last two active only on the leader).

use std::sync::Arc;
use std::time::Duration;

use cordon_config::district::District;
use cordon_config::ClusterConfig;
use cordon_consensus::ledger::{ActorId, Ring};
use cordon_consensus::ConsensusNode;
use ractor::{Actor, ActorRef};
use tokio::task::JoinHandle;

use crate::context::NodeContext;
use crate::placement;
use crate::supervisor::{ChildSnapshot, NodeSupervisor, SupervisorMsg};
use crate::waiting::{freed_rings, WaitIndex};

/// Deadline for the supervisor to answer a snapshot request.
const SUPERVISOR_SNAPSHOT_TIMEOUT_MS: u64 = 2_000;

/// Errors starting the runtime.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The supervisor could not be spawned.
    #[error("spawn node supervisor: {0}")]
    Spawn(String),
}

/// A running actor runtime; stopped when dropped or by [`ActorRuntime::stop`].
pub struct ActorRuntime {
    supervisor: ActorRef<SupervisorMsg>,
    tasks: Vec<JoinHandle<()>>,
    context: Arc<NodeContext>,
}

impl ActorRuntime {
    /// Starts the runtime of this node.
    pub async fn start(
        node: Arc<ConsensusNode>,
        cluster: &ClusterConfig,
        district: District,
    ) -> Result<ActorRuntime, RuntimeError> {
        let district = Arc::new(district);
        let context = Arc::new(NodeContext {
            node: node.clone(),
            router: Arc::new(crate::planning::StreetRouter::new(&district)),
            coverage: std::sync::Mutex::new(crate::planning::CoverageBook::new(&district)),
            district: district.clone(),
            timing: cluster.actors().clone(),
            snapshots: Default::default(),
            planted: Default::default(),
            waits: WaitIndex::default(),
        });
        let (supervisor, _) = Actor::spawn(
            None,
            NodeSupervisor {
                context: context.clone(),
            },
            (),
        )
        .await
        .map_err(|e| RuntimeError::Spawn(e.to_string()))?;
        let tasks = vec![
            tokio::spawn(crate::roster::load_when_leading(node.clone(), district)),
            tokio::spawn(watch_ledger(node.clone(), supervisor.clone())),
            tokio::spawn(watch_units(context.clone(), supervisor.clone())),
            tokio::spawn(tick(
                supervisor.clone(),
                Duration::from_millis(context.timing.deadline_watch_interval_ms),
            )),
            tokio::spawn(placement::run_controller(context.clone(), cluster.clone())),
        ];
        Ok(ActorRuntime {
            supervisor,
            tasks,
            context,
        })
    }

    /// Every local actor's state.
    pub async fn snapshot(&self) -> Vec<ChildSnapshot> {
        self.supervisor
            .call(
                SupervisorMsg::Snapshot,
                Some(Duration::from_millis(SUPERVISOR_SNAPSHOT_TIMEOUT_MS)),
            )
            .await
            .ok()
            .and_then(|answer| answer.success_or(()).ok())
            .unwrap_or_default()
    }

    /// Drill: make a local actor fail as a bug would.
    pub fn fault(&self, actor: ActorId, reason: String) {
        let _ = self.supervisor.cast(SupervisorMsg::Fault { actor, reason });
    }

    /// The node context.
    pub fn context(&self) -> &Arc<NodeContext> {
        &self.context
    }

    /// Stops the supervisor (and with it every actor) and the background tasks.
    pub fn stop(&self) {
        for task in &self.tasks {
            task.abort();
        }
        self.supervisor.stop(Some("node stopping".into()));
    }
}

impl Drop for ActorRuntime {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Tells the supervisor to reconcile whenever the applied index moves.
async fn watch_ledger(node: Arc<ConsensusNode>, supervisor: ActorRef<SupervisorMsg>) {
    let mut metrics = node.raft().metrics();
    let mut last_applied = None;
    loop {
        let applied = metrics.borrow().last_applied;
        if applied != last_applied {
            last_applied = applied;
            if supervisor.cast(SupervisorMsg::Reconcile).is_err() {
                return;
            }
        }
        if metrics.changed().await.is_err() {
            return;
        }
    }
}

/// Wakes the actors waiting for a unit of a ring whenever one frees (see
/// [`crate::waiting`]). Events a slow watcher missed may have freed any
/// unit: every waiter is woken then.
async fn watch_units(context: Arc<NodeContext>, supervisor: ActorRef<SupervisorMsg>) {
    use tokio::sync::broadcast::error::RecvError;
    let mut events = context.node.ledger().subscribe();
    loop {
        let (rings, index) = match events.recv().await {
            Ok(event) => {
                let applied = context.node.ledger().read();
                (freed_rings(&applied.ledger, &event), event.index)
            }
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(
                    missed,
                    "unit watcher fell behind; waking every waiting actor"
                );
                let applied = context.node.ledger().read();
                let index = applied.last_applied.map_or(0, |log_id| log_id.index);
                (Ring::ALL.to_vec(), index)
            }
            Err(RecvError::Closed) => return,
        };
        if rings.is_empty() {
            continue;
        }
        let woken = context.waits.units_freed(&rings, index);
        if !woken.is_empty() && supervisor.cast(SupervisorMsg::Wake(woken)).is_err() {
            return;
        }
    }
}

async fn tick(supervisor: ActorRef<SupervisorMsg>, period: Duration) {
    let mut ticker = tokio::time::interval(period);
    loop {
        ticker.tick().await;
        if supervisor.cast(SupervisorMsg::Tick).is_err() {
            return;
        }
    }
}
