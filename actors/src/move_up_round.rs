//! The move-up round of rings 3 and 4: every `actors.move_up_interval_ms`,
//! the ring reads its units from the ledger and, when its coverage is below
//! its trigger (its floor, or 3 points under its coverage at home when the
//! home layout misses the floor), proposes the moves of [`crate::planning::move_up`] as one
//! `ProposeMoveUp` with its reason: approved in the same entry when the
//! cluster says `actors.move_up = "automatic"`, left for a commander when
//! it says `"commander"`.

use std::collections::BTreeSet;
use std::sync::PoisonError;

use cordon_config::MoveUpApproval;
use cordon_consensus::ledger::{
    Action, Ledger, MoveUpLine, MoveUpParts, MoveUpStatus, ProposeMoveUp, Ring, UnitId,
};

use crate::actor::{ActorState, DispatchActor};
use crate::context::{NodeContext, ProposeError};
use crate::planning::facts::CandidateUnit;
use crate::planning::move_up::{
    home_share, posts, propose_move_ups, trigger_share, with_moves, MoveUp, Round,
    MOVE_UP_COOLDOWN_MS,
};
use crate::view;

/// A proposal awaiting a commander stands this long before the ring
/// proposes afresh (superseding it), in milliseconds.
pub const MOVE_UP_PROPOSAL_STANDS_MS: u64 = 10 * 60_000;
/// A unit farther than this from its post is still on its way there and is
/// not moved again, in metres.
pub const MOVE_UP_ARRIVED_M: f64 = 100.0;

/// Runs `ring`'s round if it is due: proposes a move-up when the ring's
/// coverage is below its trigger and a move gains enough. The planning
/// takes 5-10 ms with a ring's units out (`cordon bench --routing-units`),
/// so it runs on the blocking pool, off the threads that carry Raft and QUIC.
pub(crate) async fn move_up_round(
    actor: &DispatchActor,
    state: &mut ActorState,
    ring: Ring,
) -> Result<(), ProposeError> {
    let context = &actor.context;
    let approval = context.timing.move_up;
    let now_ms = context.now_ms();
    if approval == MoveUpApproval::Off || now_ms < state.next_move_up_ms {
        return Ok(());
    }
    state.next_move_up_ms = now_ms + context.timing.move_up_interval_ms;
    let (units, resting) = {
        let applied = context.node.ledger().read();
        if awaits_commander(&applied.ledger, ring, now_ms) {
            return Ok(());
        }
        let units = view::candidates(&applied.ledger, &context.district, now_ms);
        (units, resting(&applied.ledger, ring, now_ms))
    };
    let planner = context.clone();
    let planned = tokio::task::spawn_blocking(move || plan(&planner, &units, ring, &resting)).await;
    let parts = match planned {
        Ok(Some(parts)) => parts,
        Ok(None) => return Ok(()),
        Err(error) => {
            tracing::warn!(actor = %actor.id, %error, "move-up planning failed; the next round tries again");
            return Ok(());
        }
    };
    let approve_now = approval == MoveUpApproval::Automatic;
    tracing::info!(actor = %actor.id, reason = %parts.reason, moves = parts.lines.len(), approve_now, "proposing a move-up");
    let request_id = format!("{}.{}.move-up.{now_ms}", actor.id, state.epoch);
    let action = Action::ProposeMoveUp(ProposeMoveUp { parts, approve_now });
    match actor.act(state.epoch, request_id, action).await {
        Ok(applied) => {
            tracing::info!(actor = %actor.id, index = applied.index, effect = ?applied.effect, "move-up applied");
            Ok(())
        }
        Err(error) if error.is_fenced() => Err(error),
        Err(error) => {
            tracing::info!(actor = %actor.id, %error, "move-up not applied; the next round looks again");
            Ok(())
        }
    }
}

/// True while a proposal of `ring` waits for a commander, or a commander
/// declined one, within [`MOVE_UP_PROPOSAL_STANDS_MS`]: a commander is not
/// asked again every round, nor straight after saying no.
fn awaits_commander(ledger: &Ledger, ring: Ring, now_ms: u64) -> bool {
    let standing = |since_ms: u64| now_ms < since_ms + MOVE_UP_PROPOSAL_STANDS_MS;
    ledger.move_ups().any(|move_up| {
        move_up.parts.ring == ring
            && match move_up.status {
                MoveUpStatus::Proposed => standing(move_up.proposed_at_ms),
                MoveUpStatus::Declined => move_up.decided_at_ms.is_some_and(standing),
                MoveUpStatus::Approved | MoveUpStatus::Superseded => false,
            }
    })
}

/// The units of `ring` that stay put: moved within
/// [`MOVE_UP_COOLDOWN_MS`], or not yet at their post.
fn resting(ledger: &Ledger, ring: Ring, now_ms: u64) -> BTreeSet<String> {
    ledger
        .units()
        .filter(|unit| unit.ring == ring)
        .filter(|unit| {
            unit.post.as_ref().is_some_and(|post| {
                now_ms < post.since_ms + MOVE_UP_COOLDOWN_MS
                    || view::latlon(&unit.position).distance_m(&view::latlon(&post.position))
                        > MOVE_UP_ARRIVED_M
            })
        })
        .map(|unit| unit.id.0.clone())
        .collect()
}

/// The move-up to propose for `ring`, if its coverage is below its trigger
/// and a move gains enough.
fn plan(
    context: &NodeContext,
    units: &[CandidateUnit],
    ring: Ring,
    resting: &BTreeSet<String>,
) -> Option<MoveUpParts> {
    let model = context.travel_now();
    let posts = posts(&context.district);
    let mut book = context
        .coverage
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let home = home_share(&mut book, &model, &context.district, ring);
    let trigger = trigger_share(ring, home)?;
    let round = Round {
        ring,
        trigger_share: trigger,
        posts: &posts,
        resting,
    };
    let moves = propose_move_ups(&mut book, &model, &context.district, units, &round);
    if moves.is_empty() {
        return None;
    }
    let before = book.report(&model, units).ring_target_share(ring);
    let after = book
        .report(&model, &with_moves(units, &moves))
        .ring_target_share(ring);
    Some(parts(ring, &moves, before, after, trigger))
}

/// The ledger's form of a move-up, with its reason.
fn parts(ring: Ring, moves: &[MoveUp], before: f64, after: f64, trigger: f64) -> MoveUpParts {
    let reason = format!(
        "ring {} reaches {:.1} % of the district's demand within its target, below its move-up trigger of {:.1} %; moving {} idle unit(s) lifts it to {:.1} %",
        ring.number(),
        before * 100.0,
        trigger * 100.0,
        moves.len(),
        after * 100.0
    );
    let lines = moves
        .iter()
        .map(|move_up| MoveUpLine {
            unit_id: UnitId(move_up.unit_id.clone()),
            post: view::position(&move_up.post),
            post_name: move_up.post_name.clone(),
            travel_s: move_up.travel_s,
        })
        .collect();
    MoveUpParts {
        ring,
        lines,
        coverage_before_ppm: ppm(before),
        coverage_after_ppm: ppm(after),
        reason,
    }
}

/// A share as parts per million.
fn ppm(share: f64) -> u32 {
    (share.clamp(0.0, 1.0) * 1e6).round() as u32
}

#[cfg(test)]
mod tests {
    use cordon_consensus::ledger::{
        ActorId, Command, DeclineMoveUp, LoadRoster, Origin, PlaceActor, Position, RequestId,
        RosterUnit,
    };

    use super::*;

    const MINUTE_MS: u64 = 60_000;

    fn apply(ledger: &mut Ledger, index: u64, at_ms: u64, origin: Origin, action: Action) {
        let command = Command::new(RequestId(format!("r-{index}")), at_ms, origin, action);
        let applied = ledger.apply(index, &command);
        assert!(
            !matches!(
                applied.effect,
                cordon_consensus::ledger::Effect::Rejected { .. }
            ),
            "{applied:?}"
        );
    }

    /// A ledger whose ring 4 proposed a move-up of its rover at `at_ms`.
    fn proposed_at(at_ms: u64) -> Ledger {
        let home = Position::from_degrees(31.23, 121.48).unwrap();
        let mut ledger = Ledger::default();
        let system = Origin::System { node: 1 };
        let roster = Action::LoadRoster(LoadRoster {
            units: vec![RosterUnit {
                id: UnitId("rover".into()),
                home,
                ring: Ring::SpecialPolice,
                station: None,
            }],
            area: None,
            archive: None,
        });
        apply(&mut ledger, 1, 0, system.clone(), roster);
        let actor = ActorId::Ring(Ring::SpecialPolice);
        let place = Action::PlaceActor(PlaceActor {
            actor: actor.clone(),
            node: 1,
            epoch: 1,
        });
        apply(&mut ledger, 2, 0, system, place);
        let parts = MoveUpParts {
            ring: Ring::SpecialPolice,
            lines: vec![MoveUpLine {
                unit_id: UnitId("rover".into()),
                post: home,
                post_name: "Bund".into(),
                travel_s: 60,
            }],
            coverage_before_ppm: 800_000,
            coverage_after_ppm: 850_000,
            reason: "below its trigger".into(),
        };
        let origin = Origin::Actor {
            actor,
            epoch: 1,
            node: 1,
        };
        let propose = Action::ProposeMoveUp(ProposeMoveUp {
            parts,
            approve_now: false,
        });
        apply(&mut ledger, 3, at_ms, origin, propose);
        ledger
    }

    // A waiting proposal holds the ring's next one for ten minutes; a
    // decline holds it for ten minutes from the decline.
    #[test]
    fn a_commander_is_not_asked_again_while_a_proposal_waits_or_after_a_no() {
        let mut ledger = proposed_at(MINUTE_MS);
        assert!(awaits_commander(
            &ledger,
            Ring::SpecialPolice,
            2 * MINUTE_MS
        ));
        assert!(!awaits_commander(
            &ledger,
            Ring::StreetPatrol,
            2 * MINUTE_MS
        ));
        assert!(!awaits_commander(
            &ledger,
            Ring::SpecialPolice,
            12 * MINUTE_MS
        ));

        let decline = Action::DeclineMoveUp(DeclineMoveUp {
            move_up_id: 3,
            reason: "keep it at the Bund".into(),
        });
        apply(&mut ledger, 4, 5 * MINUTE_MS, Origin::Operator, decline);
        assert!(awaits_commander(
            &ledger,
            Ring::SpecialPolice,
            14 * MINUTE_MS
        ));
        assert!(!awaits_commander(
            &ledger,
            Ring::SpecialPolice,
            16 * MINUTE_MS
        ));
    }
}
