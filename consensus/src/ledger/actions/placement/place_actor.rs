//! Place actor: the leader moves an actor to a node under a new, higher
//! epoch; commands from the actor's older incarnations are fenced off.

use serde::{Deserialize, Serialize};

use crate::ledger::command::out_of_range;
use crate::ledger::ids::ActorId;
use crate::ledger::model::{Effect, Placement, Rejection};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// Leader: place an actor on a node under a new, higher epoch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlaceActor {
    /// The actor.
    pub actor: ActorId,
    /// The node that hosts it from now on.
    pub node: u64,
    /// The new epoch; must exceed the current one.
    pub epoch: u64,
}

impl Rules for PlaceActor {
    fn name(&self) -> &'static str {
        "place_actor"
    }

    fn proposers(&self) -> Proposers {
        // Only the leader's placement loop decides where actors run.
        Proposers::System
    }

    fn check(&self) -> Result<(), Rejection> {
        Ok(())
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        let (actor, node, epoch) = (&self.actor, self.node, self.epoch);
        if let Some(current) = ledger.placements.get(actor) {
            if epoch <= current.epoch {
                return Err(Rejection::EpochNotRaised {
                    actor: actor.clone(),
                    epoch,
                    current: current.epoch,
                });
            }
        }
        if epoch == 0 {
            return Err(out_of_range("epoch", 0, "epochs start at 1"));
        }
        ledger.placements.insert(
            actor.clone(),
            Placement {
                node,
                epoch,
                index: step.index,
                placed_at_ms: step.at_ms(),
            },
        );
        Ok(Effect::ActorPlaced {
            actor: actor.clone(),
            node,
            epoch,
        })
    }
}
