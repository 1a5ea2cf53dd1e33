//! Move-ups in the ledger: proposed, approved automatically or by a
//! commander, declined, superseded, and refused when they would move a
//! busy unit or another ring's.

use crate::ledger::ids::{Position, Ring, UnitId, UnitStatus};
use crate::ledger::model::{Effect, Rejection};
use crate::ledger::move_ups::{MoveUpLine, MoveUpParts, MoveUpStatus};
use crate::ledger::Ledger;
use crate::ledger::{
    Action, ActorId, ApproveMoveUp, Command, DeclineMoveUp, LoadRoster, Origin, ProposeMoveUp,
    RequestId, RosterUnit, UpdateUnitStatus,
};

fn at(lat: f64, lon: f64) -> Position {
    Position::from_degrees(lat, lon).unwrap()
}

fn command(index: u64, origin: Origin, action: Action) -> Command {
    Command::new(
        RequestId(format!("req-{index}")),
        index * 1_000,
        origin,
        action,
    )
}

fn ring_four() -> Origin {
    Origin::Actor {
        actor: ActorId::Ring(Ring::SpecialPolice),
        epoch: 1,
        node: 1,
    }
}

/// A ledger with two ring-4 rovers and a ring-3 group, ring 4 placed.
fn ledger() -> Ledger {
    let unit = |id: &str, ring| RosterUnit {
        id: UnitId(id.into()),
        home: at(31.23, 121.48),
        ring,
        station: None,
    };
    let mut ledger = Ledger::default();
    let roster = Action::LoadRoster(LoadRoster {
        units: vec![
            unit("rover-1", Ring::SpecialPolice),
            unit("rover-2", Ring::SpecialPolice),
            unit("group-1", Ring::StreetPatrol),
        ],
        area: None,
        archive: None,
    });
    let place = Action::PlaceActor(crate::ledger::PlaceActor {
        actor: ActorId::Ring(Ring::SpecialPolice),
        node: 1,
        epoch: 1,
    });
    for (index, action) in [(1, roster), (2, place)] {
        let applied = ledger.apply(index, &command(index, Origin::System { node: 1 }, action));
        assert!(
            !matches!(applied.effect, Effect::Rejected { .. }),
            "{applied:?}"
        );
    }
    ledger
}

fn propose(units: &[&str], approve_now: bool) -> Action {
    let lines = units
        .iter()
        .map(|unit| MoveUpLine {
            unit_id: UnitId((*unit).into()),
            post: at(31.215, 121.485),
            post_name: "Fuxing E Rd x Zhonghua Rd".into(),
            travel_s: 150,
        })
        .collect();
    Action::ProposeMoveUp(ProposeMoveUp {
        parts: MoveUpParts {
            ring: Ring::SpecialPolice,
            lines,
            coverage_before_ppm: 880_000,
            coverage_after_ppm: 930_000,
            reason: "ring 4 below its floor".into(),
        },
        approve_now,
    })
}

/// `unit` reported out of service.
fn off_duty(unit: &str) -> Action {
    Action::UpdateUnitStatus(UpdateUnitStatus {
        unit_id: UnitId(unit.into()),
        status: UnitStatus::OutOfService,
        position: None,
        expected_version: None,
    })
}

fn post_of(ledger: &Ledger, unit: &str) -> Option<u64> {
    let unit = ledger.unit(&UnitId(unit.into())).unwrap();
    unit.post.as_ref().and_then(|post| match post.set_by {
        crate::ledger::move_ups::PostSetBy::MoveUp(id) => Some(id),
        crate::ledger::move_ups::PostSetBy::Hazard(_) => None,
    })
}

fn rejection(effect: Effect) -> Rejection {
    match effect {
        Effect::Rejected { rejection } => rejection,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn an_automatic_move_up_gives_its_units_their_posts_in_the_same_entry() {
    // Proposed with approve_now: approved at once, each unit's post set and
    // its version raised (a choice made on the old version is refused).
    let mut ledger = ledger();
    let before = ledger.unit(&UnitId("rover-1".into())).unwrap().version;

    let applied = ledger.apply(3, &command(3, ring_four(), propose(&["rover-1"], true)));

    assert_eq!(
        applied.effect,
        Effect::MoveUpProposed {
            move_up_id: 3,
            status: MoveUpStatus::Approved
        }
    );
    assert_eq!(post_of(&ledger, "rover-1"), Some(3));
    let rover = ledger.unit(&UnitId("rover-1".into())).unwrap();
    assert_eq!(rover.version, before + 1);
    let move_up = ledger.move_up(3).unwrap();
    assert!(move_up
        .decided_by
        .as_deref()
        .unwrap()
        .starts_with("automatic"));
}

#[test]
fn a_commander_approves_once_and_a_second_approval_is_refused() {
    // Phase 1: proposed for a commander, nothing moves yet.
    let mut ledger = ledger();
    ledger.apply(
        3,
        &command(3, ring_four(), propose(&["rover-1", "rover-2"], false)),
    );
    assert_eq!(ledger.move_up(3).unwrap().status, MoveUpStatus::Proposed);
    assert_eq!(post_of(&ledger, "rover-1"), None);

    // Phase 2: the commander (here the operator standing in) approves it.
    let approve = Action::ApproveMoveUp(ApproveMoveUp { move_up_id: 3 });
    let applied = ledger.apply(4, &command(4, Origin::Operator, approve.clone()));
    assert_eq!(
        applied.effect,
        Effect::MoveUpDecided {
            move_up_id: 3,
            status: MoveUpStatus::Approved
        }
    );
    assert_eq!(
        (post_of(&ledger, "rover-1"), post_of(&ledger, "rover-2")),
        (Some(3), Some(3))
    );

    // Phase 3: approving it again (a new request) is refused by name.
    let again = ledger.apply(5, &command(5, Origin::Operator, approve));
    assert_eq!(
        rejection(again.effect),
        Rejection::MoveUpDecided {
            move_up_id: 3,
            status: MoveUpStatus::Approved
        }
    );
}

#[test]
fn a_newer_proposal_supersedes_and_a_declined_one_moves_nobody() {
    // Phase 1: two proposals of ring 4; the first is superseded.
    let mut ledger = ledger();
    ledger.apply(3, &command(3, ring_four(), propose(&["rover-1"], false)));
    ledger.apply(4, &command(4, ring_four(), propose(&["rover-2"], false)));
    let first = ledger.move_up(3).unwrap();
    assert_eq!(first.status, MoveUpStatus::Superseded);
    assert_eq!(first.note.as_deref(), Some("replaced by move-up 4"));

    // Phase 2: the commander declines the second; no unit has a post and
    // the superseded one can no longer be approved.
    let decline = Action::DeclineMoveUp(DeclineMoveUp {
        move_up_id: 4,
        reason: "the rovers stay for the parade".into(),
    });
    ledger.apply(5, &command(5, Origin::Operator, decline));
    assert_eq!(ledger.move_up(4).unwrap().status, MoveUpStatus::Declined);
    assert_eq!(post_of(&ledger, "rover-2"), None);
    let approve = Action::ApproveMoveUp(ApproveMoveUp { move_up_id: 3 });
    let refused = ledger.apply(6, &command(6, Origin::Operator, approve));
    assert!(matches!(
        rejection(refused.effect),
        Rejection::MoveUpDecided {
            status: MoveUpStatus::Superseded,
            ..
        }
    ));
}

#[test]
fn a_busy_unit_another_rings_unit_or_a_unit_named_twice_is_refused() {
    // Each refusal changes nothing: no move-up is kept, no post set.
    let mut ledger = ledger();
    let out = off_duty("rover-2");
    ledger.apply(3, &command(3, Origin::Operator, out));

    let busy = ledger.apply(4, &command(4, ring_four(), propose(&["rover-2"], true)));
    assert!(matches!(
        rejection(busy.effect),
        Rejection::UnitUnavailable { .. }
    ));
    let other_ring = ledger.apply(5, &command(5, ring_four(), propose(&["group-1"], true)));
    let other_ring = rejection(other_ring.effect).to_string();
    assert!(
        other_ring.contains("moves ring-4 units only"),
        "{other_ring}"
    );
    let twice = propose(&["rover-1", "rover-1"], true);
    assert!(twice
        .check()
        .unwrap_err()
        .to_string()
        .contains("name each unit once"));

    assert_eq!(ledger.move_ups().count(), 0);
    assert_eq!(post_of(&ledger, "rover-1"), None);
}

#[test]
fn approval_of_a_proposal_whose_unit_went_busy_is_refused() {
    // The proposal is stale once a unit is sent elsewhere: approving it
    // moves nobody, and the ring proposes afresh.
    let mut ledger = ledger();
    ledger.apply(
        3,
        &command(3, ring_four(), propose(&["rover-1", "rover-2"], false)),
    );
    let out = off_duty("rover-2");
    ledger.apply(4, &command(4, Origin::Operator, out));

    let approve = Action::ApproveMoveUp(ApproveMoveUp { move_up_id: 3 });
    let refused = ledger.apply(5, &command(5, Origin::Operator, approve));

    assert!(matches!(
        rejection(refused.effect),
        Rejection::UnitUnavailable { .. }
    ));
    assert_eq!(ledger.move_up(3).unwrap().status, MoveUpStatus::Proposed);
    assert_eq!(post_of(&ledger, "rover-1"), None);
}
