//! What every actor on a node shares: the consensus node, the district
//! model and the actor timing; and the one way an actor acts: proposing a
//! command fenced by its placement epoch.

use std::sync::Arc;

use crate::actor::ActorSnapshot;
use crate::planning::{CoverageBook, LocalTime, StreetRouter, TravelModel, Turnouts};
use crate::waiting::WaitIndex;
use cordon_config::district::District;
use cordon_config::ActorTiming;
use cordon_consensus::ledger::{
    Action, ActorId, Applied, Command, Effect, Origin, Rejection, RequestId,
};
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
    /// The district's streets prepared for routing, built once.
    pub router: Arc<StreetRouter>,
    /// Coverage rows kept between questions (the API's and the responders').
    pub coverage: std::sync::Mutex<CoverageBook>,
    /// Supervision and placement timing.
    pub timing: ActorTiming,
    /// Each local actor's latest published view.
    pub snapshots: std::sync::Mutex<std::collections::BTreeMap<ActorId, ActorSnapshot>>,
    /// The local actors waiting for a unit to free, by ring.
    pub waits: WaitIndex,
    /// A bug planted by a drill or the simulation, if any.
    pub planted: std::sync::Mutex<Option<PlantedBug>>,
}

/// A dispatch bug planted on purpose, so that the dispatch checkers of the
/// simulation and of the drills can be shown to catch it. Never set in
/// service: only the simulation and a node's drill routes plant one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlantedBug {
    /// Responders drop every dispatch message: marked handled, nothing done.
    DropDispatch,
    /// Responders never look again at a message they left waiting.
    NeverRetry,
}

impl NodeContext {
    /// This node's id.
    pub fn node_id(&self) -> u64 {
        self.node.id()
    }

    /// Plants `bug` in every actor of this node.
    pub fn plant(&self, bug: PlantedBug) {
        tracing::warn!(
            ?bug,
            node_id = self.node_id(),
            "planting a dispatch bug (drill or simulation)"
        );
        *self.planted.lock().unwrap_or_else(|p| p.into_inner()) = Some(bug);
    }

    /// True when `bug` is planted on this node.
    pub fn has_planted(&self, bug: PlantedBug) -> bool {
        *self.planted.lock().unwrap_or_else(|p| p.into_inner()) == Some(bug)
    }

    /// Unix milliseconds by the node's clock (simulated in the simulation).
    pub fn now_ms(&self) -> u64 {
        self.node.now_ms()
    }

    /// Travel as it is now: the streets under the crowds of this hour.
    pub fn travel_now(&self) -> TravelModel<'_> {
        let time = LocalTime::at(self.now_ms(), self.district.utc_offset_min());
        TravelModel::new(
            &self.router,
            &self.router.regime_at(&time),
            Turnouts::default(),
        )
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
            proposed_at_ms: self.node.now_ms(),
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
