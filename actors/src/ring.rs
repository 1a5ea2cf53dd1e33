//! The ring actors. Ring 1 (guardian alliance) and ring 2 (mass prevention)
//! send community resources first and hand incidents that need police to
//! ring 3; ring 3 answers incidents outside every station's zones and
//! district-wide squads; ring 4 (special police) is the last ring: it
//! assigns its best team even when the 3-minute target cannot be met, and
//! flags the breach.

use std::sync::Arc;

use cordon_consensus::ledger::{Envelope, Message};

use crate::actor::{ActorState, DispatchActor, Handled};
use crate::context::{NodeContext, ProposeError};
use crate::planning::select::Scope;
use crate::respond::respond;
use crate::supervisor::{supervised_by_ring_four, Supervision};

/// A ring's role: which ring it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ring {
    /// The ring (1 to 4).
    pub ring: cordon_consensus::ledger::Ring,
}

impl Ring {
    /// Handles one pending message of the ring.
    pub(crate) async fn handle(
        &self,
        actor: &DispatchActor,
        state: &mut ActorState,
        envelope: &Envelope,
    ) -> Result<Handled, ProposeError> {
        match &envelope.message {
            Message::Dispatch { incident_id } => {
                respond(actor, state, envelope, *incident_id, Scope::Ring, None).await
            }
            other => {
                let reason = format!("a ring does not handle {other:?}");
                actor.dismiss(state.epoch, envelope, reason).await?;
                Ok(Handled::Done)
            }
        }
    }

    /// Rings 3 and 4 look at their coverage for a move-up.
    pub(crate) async fn tick(
        &self,
        actor: &DispatchActor,
        state: &mut ActorState,
    ) -> Result<(), ProposeError> {
        use cordon_consensus::ledger::Ring as LedgerRing;
        match self.ring {
            LedgerRing::StreetPatrol | LedgerRing::SpecialPolice => {
                crate::move_up_round::move_up_round(actor, state, self.ring).await
            }
            _ => Ok(()),
        }
    }

    /// Ring 4 supervises the special-ops teams placed on its node, with the
    /// node supervisor's policy; the other rings supervise nobody.
    pub(crate) fn supervision(&self, context: &Arc<NodeContext>) -> Option<Supervision> {
        (self.ring == cordon_consensus::ledger::Ring::SpecialPolice)
            .then(|| Supervision::new(context.clone(), "ring:4", supervised_by_ring_four))
    }
}
