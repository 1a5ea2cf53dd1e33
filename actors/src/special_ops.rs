//! A special-ops team actor: one per ring-4 team. It takes its committed
//! assignments and reports the team's acknowledgement to the ledger.

use cordon_consensus::ledger::{Action, Envelope, Message, UnitStatus, UpdateUnitStatus};

use crate::actor::{ActorState, DispatchActor, Handled};
use crate::context::ProposeError;

/// A team's role: which ring-4 unit it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Team {
    /// The team's unit id.
    pub unit: String,
}

impl Team {
    /// Handles one pending message of the team.
    pub(crate) async fn handle(
        &self,
        actor: &DispatchActor,
        state: &mut ActorState,
        envelope: &Envelope,
    ) -> Result<Handled, ProposeError> {
        let answered = match &envelope.message {
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
                    .answer(state.epoch, envelope, 0, action)
                    .await
                    .map(|_| ())
            }
            other => {
                let reason = format!("a team does not handle {other:?}");
                actor.dismiss(state.epoch, envelope, reason).await
            }
        };
        answered.map(|()| Handled::Done)
    }
}
