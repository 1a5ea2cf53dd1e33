//! A special-ops team actor: one per ring-4 team. It takes its committed
//! assignments and reports the team's acknowledgement to the ledger.

use cordon_consensus::ledger::{Action, Envelope, Message, UnitStatus, UpdateUnitStatus};

use crate::actor::{ActorState, DispatchActor};
use crate::context::ProposeError;

/// Handles one pending message of a team.
pub(crate) async fn handle(
    actor: &DispatchActor,
    state: &mut ActorState,
    envelope: &Envelope,
) -> Result<(), ProposeError> {
    match &envelope.message {
        Message::Assignment {
            incident_id,
            unit_id,
        } => {
            tracing::info!(actor = %actor.id, %incident_id, %unit_id, "team acknowledges its assignment");
            let action = Action::UpdateUnitStatus(UpdateUnitStatus {
                unit_id: unit_id.clone(),
                status: UnitStatus::Acknowledged,
                position: None,
                expected_version: None,
            });
            actor
                .context
                .propose(
                    &actor.id,
                    state.epoch,
                    actor.request_id(state.epoch, envelope.seq, 0),
                    action,
                    vec![envelope.seq],
                )
                .await
                .map(|_| ())
        }
        other => {
            crate::hub::dismiss(
                actor,
                state.epoch,
                envelope,
                format!("a team does not handle {other:?}"),
            )
            .await
        }
    }
}
