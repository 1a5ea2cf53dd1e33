//! The station actor: owns its 3 zones x 2 patrol groups; answers dispatches
//! for incidents in its zones and mutual-aid requests from neighbours with
//! the best available group by travel time, asks neighbours or escalates to
//! ring 4 when no group can meet the target.

use cordon_consensus::ledger::{Envelope, Message, StationId};

use crate::actor::{ActorState, DispatchActor, Handled};
use crate::context::ProposeError;
use crate::planning::select::Scope;
use crate::respond::respond;

/// A station's role: which station it dispatches for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Station {
    /// The station, as named in the district model.
    pub station: StationId,
}

impl Station {
    /// Handles one pending message of the station.
    pub(crate) async fn handle(
        &self,
        actor: &DispatchActor,
        state: &mut ActorState,
        envelope: &Envelope,
    ) -> Result<Handled, ProposeError> {
        match &envelope.message {
            Message::Dispatch { incident_id } | Message::MutualAid { incident_id, .. } => {
                let scope = Scope::Station(self.station.0.clone());
                let own = Some(self.station.as_str());
                respond(actor, state, envelope, *incident_id, scope, own).await
            }
            other => {
                let reason = format!("a station does not handle {other:?}");
                actor.dismiss(state.epoch, envelope, reason).await?;
                Ok(Handled::Done)
            }
        }
    }
}
