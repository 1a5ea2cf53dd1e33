//! What every actor on a node shares: the consensus node, the district
//! model and the actor timing; and the one way an actor acts: proposing a
//! command fenced by its placement epoch.

use std::sync::Arc;

use crate::actor::ActorSnapshot;
use crate::waiting::WaitIndex;
use cordon_config::district::District;
use cordon_config::ActorTiming;
use cordon_consensus::ledger::{
    Action, ActorId, Applied, Command, Effect, Origin, Rejection, RequestId,
};
use cordon_consensus::node::unix_millis;
use cordon_consensus::{ConsensusNode, WriteError};

/// Why an actor's proposal did not take effect.
#[derive(Debug, thiserror::Error)]
pub enum ProposeError {
    /// The cluster did not commit it (no leader, timeout...).
    #[error("propose: {0}")]
    Write(#[from] WriteError),
    /// The ledger applied it as a rejection.
    #[error("rejected: {0}")]
    Rejected(Rejection),
}

impl ProposeError {
    /// True when the actor's epoch is stale: it must stop acting.
    pub fn is_fenced(&self) -> bool {
        matches!(self, ProposeError::Rejected(Rejection::StaleEpoch { .. }))
    }
}

/// NodeContext by the actors of one node.
pub struct NodeContext {
    /// The consensus node of this process.
    pub node: Arc<ConsensusNode>,
    /// The district model.
    pub district: Arc<District>,
    /// Supervision and placement timing.
    pub timing: ActorTiming,
    /// Each local actor's latest published view.
    pub snapshots: std::sync::Mutex<std::collections::BTreeMap<ActorId, ActorSnapshot>>,
    /// The local actors waiting for a unit to free, by ring.
    pub waits: WaitIndex,
}

impl NodeContext {
    /// This node's id.
    pub fn node_id(&self) -> u64 {
        self.node.id()
    }

    /// Proposes `action` as `actor` under `epoch`, consuming the given
    /// pending messages, and waits until it is applied.
    pub async fn propose(
        &self,
        actor: &ActorId,
        epoch: u64,
        request_id: String,
        action: Action,
        consumes: Vec<u64>,
    ) -> Result<Applied, ProposeError> {
        let command = Command {
            request_id: RequestId(request_id),
            proposed_at_ms: unix_millis(),
            origin: Origin::Actor {
                actor: actor.clone(),
                epoch,
                node: self.node_id(),
            },
            action,
            consumes,
            traceparent: cordon_consensus::trace::current_traceparent(),
        };
        let applied = self.node.write(command).await?;
        match applied.effect {
            Effect::Rejected { rejection } => Err(ProposeError::Rejected(rejection)),
            _ => Ok(applied),
        }
    }
}
