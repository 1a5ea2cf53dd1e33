//! The station actor: owns its 3 zones x 2 patrol groups; answers dispatches
//! for incidents in its zones and mutual-aid requests from neighbours with
//! the best available group by travel time, asks neighbours or escalates to
//! ring 4 when no group can meet the target.

use cordon_consensus::ledger::{ActorId, Envelope, Message};

use crate::actor::{ActorState, DispatchActor};
use crate::context::ProposeError;
use crate::planning::select::Scope;
use crate::respond::respond;

/// Handles one pending message of a station.
pub(crate) async fn handle(
    actor: &DispatchActor,
    state: &mut ActorState,
    envelope: &Envelope,
) -> Result<(), ProposeError> {
    let ActorId::Station(station) = &actor.id else {
        unreachable!("station::handle is only called for station actors");
    };
    match &envelope.message {
        Message::Dispatch { incident_id } | Message::MutualAid { incident_id, .. } => {
            respond(
                actor,
                state,
                envelope,
                *incident_id,
                Scope::Station(station.0.clone()),
                Some(station.as_str()),
            )
            .await
        }
        other => {
            crate::hub::dismiss(
                actor,
                state.epoch,
                envelope,
                format!("a station does not handle {other:?}"),
            )
            .await
        }
    }
}
