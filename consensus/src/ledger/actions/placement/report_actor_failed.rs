//! Report actor failed: a node's supervisor records that an actor failed
//! past its restart budget there. The placement loop then moves the actor
//! to another node under a higher epoch and keeps it off this node for a
//! hold time; the API shows the failure to operators.
//!
//! The supervisor proposes it under the failed actor's own origin (actor,
//! epoch, node), so fencing holds: only the current incarnation, on the node
//! the ledger places it on, can report its failure, and a report from an
//! incarnation already moved away is refused as a stale epoch.

use serde::{Deserialize, Serialize};

use crate::ledger::command::{check_text, out_of_range, Origin};
use crate::ledger::ids::ActorId;
use crate::ledger::model::{ActorFailure, Effect, Rejection};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// Supervisor, as the failed actor: it failed past its restart budget on
/// `node` under `epoch`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportActorFailed {
    /// The actor.
    pub actor: ActorId,
    /// The node it failed on.
    pub node: u64,
    /// The placement epoch it failed under.
    pub epoch: u64,
    /// Restarts it had on that node before its supervisor gave up.
    pub restarts: u32,
    /// The last failure, in words.
    pub reason: String,
}

impl Rules for ReportActorFailed {
    fn name(&self) -> &'static str {
        "report_actor_failed"
    }

    fn proposers(&self) -> Proposers {
        // The supervisor speaks as the failed actor, so fencing applies.
        Proposers::Actors
    }

    fn check(&self) -> Result<(), Rejection> {
        check_text("reason", &self.reason)
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        self.check_reporter(step)?;
        let placed_on = ledger.placements.get(&self.actor).map(|p| p.node);
        if placed_on != Some(self.node) {
            return Err(out_of_range(
                "node",
                self.node,
                "an actor's failure is reported for the node the ledger places it on",
            ));
        }
        let failure = ActorFailure {
            node: self.node,
            epoch: self.epoch,
            restarts: self.restarts,
            reason: self.reason.clone(),
            at_ms: step.at_ms(),
            index: step.index,
        };
        ledger
            .actor_failures
            .entry(self.actor.clone())
            .or_default()
            .insert(self.node, failure);
        Ok(Effect::ActorFailed {
            actor: self.actor.clone(),
            node: self.node,
            epoch: self.epoch,
        })
    }
}

impl ReportActorFailed {
    /// Only the failed incarnation itself (its actor, epoch and node) may
    /// report: another actor cannot make an actor move.
    fn check_reporter(&self, step: &Step<'_>) -> Result<(), Rejection> {
        let origin = &step.command.origin;
        let own = matches!(
            origin,
            Origin::Actor { actor, epoch, node }
                if *actor == self.actor && *epoch == self.epoch && *node == self.node
        );
        if own {
            Ok(())
        } else {
            Err(Rejection::NotOwnFailure {
                actor: self.actor.clone(),
                epoch: self.epoch,
                node: self.node,
                origin: origin.to_string(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{Action, Command, RequestId, StationId};

    fn bund() -> ActorId {
        ActorId::Station(StationId::from("bund"))
    }

    fn command(request: &str, at_ms: u64, origin: Origin, action: Action) -> Command {
        Command::new(RequestId(request.into()), at_ms, origin, action)
    }

    fn as_bund(epoch: u64, node: u64) -> Origin {
        Origin::Actor {
            actor: bund(),
            epoch,
            node,
        }
    }

    fn report(epoch: u64, node: u64) -> Action {
        Action::ReportActorFailed(ReportActorFailed {
            actor: bund(),
            node,
            epoch,
            restarts: 3,
            reason: "panicked".into(),
        })
    }

    /// A ledger with `station:bund` placed on node 2 under epoch 4.
    fn placed() -> Ledger {
        let mut ledger = Ledger::default();
        let place = Action::PlaceActor(crate::ledger::PlaceActor {
            actor: bund(),
            node: 2,
            epoch: 4,
        });
        ledger.apply(1, &command("place", 10, Origin::System { node: 1 }, place));
        ledger
    }

    #[test]
    fn the_current_incarnation_records_its_failure_with_the_proposers_time() {
        // The report of the placed incarnation is kept per node, stamped with the command's time.
        let mut ledger = placed();
        let applied = ledger.apply(2, &command("failed", 5_000, as_bund(4, 2), report(4, 2)));
        assert!(matches!(
            applied.effect,
            Effect::ActorFailed {
                node: 2,
                epoch: 4,
                ..
            }
        ));
        let failure = ledger.last_actor_failure(&bund()).unwrap();
        assert_eq!((failure.node, failure.at_ms, failure.index), (2, 5_000, 2));
        assert_eq!(failure.restarts, 3);
    }

    #[test]
    fn a_stale_or_foreign_report_changes_nothing() {
        // A moved-away incarnation is fenced; another actor or node cannot report bund's failure.
        let mut ledger = placed();
        let stale = ledger.apply(2, &command("stale", 1, as_bund(3, 2), report(3, 2)));
        assert!(matches!(
            stale.effect,
            Effect::Rejected {
                rejection: Rejection::StaleEpoch { .. }
            }
        ));
        let hub = Origin::Actor {
            actor: ActorId::Hub,
            epoch: 4,
            node: 2,
        };
        ledger.apply(
            3,
            &command(
                "place-hub",
                1,
                Origin::System { node: 1 },
                Action::PlaceActor(crate::ledger::PlaceActor {
                    actor: ActorId::Hub,
                    node: 2,
                    epoch: 4,
                }),
            ),
        );
        let foreign = ledger.apply(4, &command("foreign", 1, hub, report(4, 2)));
        assert!(matches!(
            foreign.effect,
            Effect::Rejected {
                rejection: Rejection::NotOwnFailure { .. }
            }
        ));
        let elsewhere = ledger.apply(5, &command("elsewhere", 1, as_bund(4, 3), report(4, 3)));
        assert!(matches!(
            elsewhere.effect,
            Effect::Rejected {
                rejection: Rejection::OutOfRange { .. }
            }
        ));
        assert_eq!(ledger.last_actor_failure(&bund()), None);
    }
}
