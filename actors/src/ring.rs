//! The ring actors. Ring 1 (guardian alliance) and ring 2 (mass prevention)
//! send community resources first and hand incidents that need police to
//! ring 3; ring 3 answers incidents outside every station's zones and
//! district-wide squads; ring 4 (special police) is the last ring: it
//! assigns its best team even when the 3-minute target cannot be met, and
//! flags the breach.

use cordon_consensus::ledger::{Envelope, Message};

use crate::actor::{ActorState, DispatchActor};
use crate::context::ProposeError;
use crate::planning::select::Scope;
use crate::respond::respond;

/// Handles one pending message of a ring.
pub(crate) async fn handle(
    actor: &DispatchActor,
    state: &mut ActorState,
    envelope: &Envelope,
) -> Result<(), ProposeError> {
    match &envelope.message {
        Message::Dispatch { incident_id } => {
            respond(actor, state, envelope, *incident_id, Scope::Ring, None).await
        }
        other => {
            crate::hub::dismiss(
                actor,
                state.epoch,
                envelope,
                format!("a ring does not handle {other:?}"),
            )
            .await
        }
    }
}
