//! What an actor does, chosen once from its id: the hub, a station, a ring
//! or a special-ops team. The shared shell ([`crate::actor`]) keeps the
//! ledger-backed queue and asks the role what to do with each message, with
//! a backlog, on a tick, and whom it supervises; each kind's answers live in
//! its own file.

use cordon_consensus::ledger::{ActorId, Envelope};
use std::sync::Arc;

use crate::actor::{ActorState, DispatchActor, Handled};
use crate::context::{NodeContext, ProposeError};
use crate::forecaster::Forecaster;
use crate::hub::Hub;
use crate::ring::Ring;
use crate::special_ops::Team;
use crate::station::Station;
use crate::supervisor::Supervision;

/// One actor kind and what it needs to know of itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// District command: triage, plans, the deadline watch.
    Hub(Hub),
    /// A police station's dispatch.
    Station(Station),
    /// One of the four rings.
    Ring(Ring),
    /// A ring-4 special-ops team.
    Team(Team),
    /// The risk-sensing net: crowd warnings and the hazards' deadlines.
    Forecaster(Forecaster),
}

impl Role {
    /// The role of the actor `id`.
    pub fn of(id: &ActorId) -> Role {
        match id {
            ActorId::Hub => Role::Hub(Hub),
            ActorId::Station(station) => Role::Station(Station {
                station: station.clone(),
            }),
            ActorId::Ring(ring) => Role::Ring(Ring { ring: *ring }),
            ActorId::SpecialOps(unit) => Role::Team(Team { unit: unit.clone() }),
            ActorId::Forecaster => Role::Forecaster(Forecaster),
        }
    }

    /// Handles one pending message: answered, or left waiting.
    pub(crate) async fn handle(
        &self,
        actor: &DispatchActor,
        state: &mut ActorState,
        envelope: &Envelope,
    ) -> Result<Handled, ProposeError> {
        match self {
            Role::Hub(hub) => hub.handle(actor, state, envelope).await,
            Role::Station(station) => station.handle(actor, state, envelope).await,
            Role::Ring(ring) => ring.handle(actor, state, envelope).await,
            Role::Team(team) => team.handle(actor, state, envelope).await,
            Role::Forecaster(forecaster) => forecaster.handle(actor, state, envelope).await,
        }
    }

    /// Handles what it can of a backlog at once and returns the messages
    /// left for the one-at-a-time loop (only the hub batches its triage).
    pub(crate) async fn take_backlog(
        &self,
        actor: &DispatchActor,
        state: &mut ActorState,
        pending: Vec<Envelope>,
    ) -> Vec<Envelope> {
        match self {
            Role::Hub(hub) => hub.take_backlog(actor, state, pending).await,
            Role::Station(_) | Role::Ring(_) | Role::Team(_) | Role::Forecaster(_) => pending,
        }
    }

    /// Periodic work: the hub's deadline watch, the move-up rounds of rings
    /// 3 and 4, the forecaster's warnings and hazard deadlines.
    pub(crate) async fn tick(
        &self,
        actor: &DispatchActor,
        state: &mut ActorState,
    ) -> Result<(), ProposeError> {
        match self {
            Role::Hub(hub) => hub.tick(actor, state).await,
            Role::Ring(ring) => ring.tick(actor, state).await,
            Role::Forecaster(forecaster) => forecaster.tick(actor, state).await,
            Role::Station(_) | Role::Team(_) => Ok(()),
        }
    }

    /// The actors it supervises (only ring 4: the special-ops teams).
    pub(crate) fn supervision(&self, context: &Arc<NodeContext>) -> Option<Supervision> {
        match self {
            Role::Ring(ring) => ring.supervision(context),
            Role::Hub(_) | Role::Station(_) | Role::Team(_) | Role::Forecaster(_) => None,
        }
    }
}
