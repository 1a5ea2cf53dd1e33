//! A special-ops team actor: one per ring-4 team. It takes its committed
//! assignments and reports the team's acknowledgement to the ledger while
//! the team is still dispatched to the incident.

use cordon_consensus::ledger::{
    Action, Envelope, IncidentId, Message, UnitId, UnitStatus, UpdateUnitStatus,
};

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
            } => acknowledge(actor, state, envelope, *incident_id, unit_id).await,
            other => {
                let reason = format!("a team does not handle {other:?}");
                actor.dismiss(state.epoch, envelope, reason).await
            }
        };
        answered.map(|()| Handled::Done)
    }
}

/// Reports the team's acknowledgement, conditional on the unit still being
/// dispatched to the incident at the version read; a team that has already
/// moved on (acknowledged from the field, en route, released) has nothing
/// to acknowledge, and the message is dismissed saying so instead of being
/// retried against a status that can no longer become acknowledged.
async fn acknowledge(
    actor: &DispatchActor,
    state: &mut ActorState,
    envelope: &Envelope,
    incident_id: IncidentId,
    unit_id: &UnitId,
) -> Result<(), ProposeError> {
    let version = {
        let applied = actor.context.node.ledger().read();
        applied
            .ledger
            .unit(unit_id)
            .filter(|unit| {
                unit.status == UnitStatus::Dispatched && unit.assigned_to == Some(incident_id)
            })
            .map(|unit| unit.version)
    };
    let Some(version) = version else {
        let reason =
            format!("{unit_id} is no longer dispatched to {incident_id}: nothing to acknowledge");
        return actor.dismiss(state.epoch, envelope, reason).await;
    };
    tracing::info!(actor = %actor.id, %incident_id, %unit_id, "team acknowledges its assignment");
    let action = Action::UpdateUnitStatus(UpdateUnitStatus {
        unit_id: unit_id.clone(),
        status: UnitStatus::Acknowledged,
        position: None,
        expected_version: Some(version),
    });
    // A unit that moved between the read and the commit is a version
    // mismatch: the message stays pending and the next wake reads again
    // under a fresh attempt.
    let attempt = state.next_attempt(envelope.seq);
    actor
        .answer(state.epoch, envelope, attempt, action)
        .await
        .map(|_| ())
}
