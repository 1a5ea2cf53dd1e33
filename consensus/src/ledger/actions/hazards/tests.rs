//! The hazard loop in the ledger: detected, pushed, verified, handled and
//! cleared with a complete trail and the day's tally; a false alarm closes
//! it; every illegal move is refused changing nothing; a missed deadline
//! escalates to the station, then the hub; only the right people act.

use crate::ledger::access::Role;
use crate::ledger::actions::testing::{apply, client, rejection};
use crate::ledger::hazards::{HazardSource, HazardStage, MeasureKind, Verifier};
use crate::ledger::ids::{Position, Ring, UnitId};
use crate::ledger::model::{Effect, Rejection};
use crate::ledger::{
    Action, ClearHazard, EscalateHazard, Ledger, LoadRoster, Origin, PushHazard, ReportHazard,
    RosterUnit, TakeHazardMeasure, VerifyHazard,
};

const T0_MS: u64 = 1_798_747_200_000;
const MINUTE_MS: u64 = 60_000;

/// A ledger with one guardian unit of the Bund station, and hazard 2
/// reported at the riverside on the Bund station's ground.
fn ledger_with_hazard() -> Ledger {
    let mut ledger = Ledger::default();
    let roster = Action::LoadRoster(LoadRoster {
        units: vec![RosterUnit {
            id: UnitId("bund-1-guardians".into()),
            home: Position::from_degrees(31.24, 121.487).unwrap(),
            ring: Ring::Guardian,
            station: Some("bund".into()),
        }],
        area: None,
        archive: None,
    });
    apply(&mut ledger, 1, T0_MS, Origin::System { node: 1 }, roster);
    let report = Action::ReportHazard(ReportHazard {
        area: "bund-riverside".into(),
        position: None,
        station: Some("bund".into()),
        source: HazardSource::CrowdWarning {
            band: "high".into(),
            expected_at_ms: T0_MS + 10 * MINUTE_MS,
            confidence_ppm: 730_000,
            expected_count: 58_000,
        },
        summary: "the riverside is forecast past 85 % of its capacity".into(),
    });
    let reported = apply(&mut ledger, 2, T0_MS, Origin::Operator, report);
    assert_eq!(
        reported,
        Effect::HazardChanged {
            hazard_id: 2,
            stage: "detected".into()
        }
    );
    ledger
}

fn push_to_guardians() -> Action {
    Action::PushHazard(PushHazard {
        hazard_id: 2,
        verifier: Verifier::Unit(UnitId("bund-1-guardians".into())),
    })
}

// The whole loop: pushed to the guardians, confirmed by them, a flow
// control measure, cleared; the trail has every step with who and when,
// each stage its deadline, and the day's tally counts the clearing.
#[test]
fn a_hazard_goes_round_the_loop_with_a_complete_trail() {
    let mut ledger = ledger_with_hazard();
    let guardian = client(vec![Role::Field {
        unit: UnitId("bund-1-guardians".into()),
    }]);
    let station = client(vec![Role::Station {
        station: "bund".into(),
    }]);

    apply(
        &mut ledger,
        3,
        T0_MS + MINUTE_MS,
        station.clone(),
        push_to_guardians(),
    );
    let verify = Action::VerifyHazard(VerifyHazard {
        hazard_id: 2,
        confirmed: true,
        seen: "the Chen Yi Square stairs are packed".into(),
    });
    apply(&mut ledger, 4, T0_MS + 4 * MINUTE_MS, guardian, verify);
    let measure = Action::TakeHazardMeasure(TakeHazardMeasure {
        hazard_id: 2,
        kind: MeasureKind::FlowControl,
        unit_id: None,
        at: None,
        note: "one-way up the stairs, entry metered".into(),
    });
    apply(
        &mut ledger,
        5,
        T0_MS + 6 * MINUTE_MS,
        station.clone(),
        measure,
    );
    let clear = Action::ClearHazard(ClearHazard {
        hazard_id: 2,
        note: "flow eased below 60 %".into(),
    });
    let cleared = apply(&mut ledger, 6, T0_MS + 40 * MINUTE_MS, station, clear);

    assert!(matches!(
        cleared,
        Effect::HazardChanged { hazard_id: 2, .. }
    ));
    let hazard = ledger.hazard(2).unwrap();
    let stages: Vec<HazardStage> = hazard.trail.iter().map(|step| step.stage).collect();
    assert_eq!(
        stages,
        vec![
            HazardStage::Detected,
            HazardStage::Verifying,
            HazardStage::Confirmed,
            HazardStage::InHand,
            HazardStage::Cleared
        ]
    );
    assert!(
        hazard.trail[2].by.contains("field:bund-1-guardians"),
        "{:?}",
        hazard.trail[2]
    );
    assert_eq!(hazard.trail[2].note, "the Chen Yi Square stairs are packed");
    assert_eq!(hazard.deadline_ms, None);
    let slot = (T0_MS + 40 * MINUTE_MS) / crate::ledger::hazards::CLEARED_SLOT_MS;
    assert_eq!(
        ledger
            .hazards_cleared()
            .get(&("bund-riverside".into(), slot)),
        Some(&1)
    );
}

// Illegal moves are refused naming the stage, changing nothing: verifying
// before a push, clearing before a confirmation, anything after a false
// alarm; an unknown hazard is named.
#[test]
fn illegal_moves_are_refused() {
    let mut ledger = ledger_with_hazard();
    let verify = |confirmed| {
        Action::VerifyHazard(VerifyHazard {
            hazard_id: 2,
            confirmed,
            seen: "nothing unusual".into(),
        })
    };
    let clear = Action::ClearHazard(ClearHazard {
        hazard_id: 2,
        note: "done".into(),
    });

    let early = apply(&mut ledger, 3, T0_MS, Origin::Operator, verify(true));
    apply(&mut ledger, 4, T0_MS, Origin::Operator, push_to_guardians());
    let unconfirmed = apply(&mut ledger, 5, T0_MS, Origin::Operator, clear.clone());
    let false_alarm = apply(&mut ledger, 6, T0_MS, Origin::Operator, verify(false));
    let after = apply(&mut ledger, 7, T0_MS, Origin::Operator, clear);
    let unknown = apply(
        &mut ledger,
        8,
        T0_MS,
        Origin::Operator,
        Action::EscalateHazard(EscalateHazard { hazard_id: 99 }),
    );

    let early = rejection(early).to_string();
    assert!(
        early.contains("is detected and cannot become confirmed"),
        "{early}"
    );
    assert!(matches!(
        rejection(unconfirmed),
        Rejection::HazardStage { .. }
    ));
    assert_eq!(
        false_alarm,
        Effect::HazardChanged {
            hazard_id: 2,
            stage: "false_alarm".into()
        }
    );
    assert!(rejection(after).to_string().contains("is false_alarm"));
    assert_eq!(
        rejection(unknown),
        Rejection::UnknownHazard { hazard_id: 99 }
    );
    assert_eq!(ledger.hazard(2).unwrap().trail.len(), 3);
}

// A hazard not pushed within 5 minutes escalates to its station, then
// after another 5 to the hub; escalating before the deadline is refused.
#[test]
fn missed_deadlines_escalate_to_the_station_then_the_hub() {
    let mut ledger = ledger_with_hazard();
    let escalate = || Action::EscalateHazard(EscalateHazard { hazard_id: 2 });

    let early = apply(
        &mut ledger,
        3,
        T0_MS + 4 * MINUTE_MS,
        Origin::Operator,
        escalate(),
    );
    let first = apply(
        &mut ledger,
        4,
        T0_MS + 5 * MINUTE_MS,
        Origin::Operator,
        escalate(),
    );
    let again_early = apply(
        &mut ledger,
        5,
        T0_MS + 6 * MINUTE_MS,
        Origin::Operator,
        escalate(),
    );
    let second = apply(
        &mut ledger,
        6,
        T0_MS + 10 * MINUTE_MS,
        Origin::Operator,
        escalate(),
    );

    assert!(rejection(early).to_string().contains("deadline passed"));
    assert_eq!(
        first,
        Effect::HazardEscalated {
            hazard_id: 2,
            level: 1
        }
    );
    assert!(matches!(again_early, Effect::Rejected { .. }));
    assert_eq!(
        second,
        Effect::HazardEscalated {
            hazard_id: 2,
            level: 2
        }
    );
    let trail = &ledger.hazard(2).unwrap().trail;
    assert!(
        trail.last().unwrap().note.contains("the district hub"),
        "{trail:?}"
    );
}

// A field unit verifies only what it was pushed; another station may not
// push the Bund's hazard; a reporter may report but not clear.
#[test]
fn only_the_right_people_work_a_hazard() {
    let mut ledger = ledger_with_hazard();
    let other_station = client(vec![Role::Station {
        station: "yuyuan".into(),
    }]);
    let other_unit = client(vec![Role::Field {
        unit: UnitId("yuyuan-1-a".into()),
    }]);
    let reporter = client(vec![Role::Reporter {
        channel: crate::ledger::Channel::RiskWarning,
    }]);

    let pushed_by_other = apply(&mut ledger, 3, T0_MS, other_station, push_to_guardians());
    apply(&mut ledger, 4, T0_MS, Origin::Operator, push_to_guardians());
    let verify = Action::VerifyHazard(VerifyHazard {
        hazard_id: 2,
        confirmed: true,
        seen: "busy".into(),
    });
    let verified_by_other = apply(&mut ledger, 5, T0_MS, other_unit, verify);
    let clear = Action::ClearHazard(ClearHazard {
        hazard_id: 2,
        note: "done".into(),
    });
    let cleared_by_reporter = apply(&mut ledger, 6, T0_MS, reporter, clear);

    for refused in [pushed_by_other, verified_by_other, cleared_by_reporter] {
        assert!(matches!(rejection(refused), Rejection::NotPermitted { .. }));
    }
    assert_eq!(ledger.hazard(2).unwrap().stage, HazardStage::Verifying);
}

/// A pre-position measure against hazard 2 for `unit`, waiting at `at`.
fn pre_position(unit: &str, at: Option<Position>) -> Action {
    Action::TakeHazardMeasure(TakeHazardMeasure {
        hazard_id: 2,
        kind: MeasureKind::PrePosition,
        unit_id: Some(UnitId(unit.into())),
        at,
        note: "wait at the foot of the stairs".into(),
    })
}

// A pre-position measure gives an available unit a post where it waits
// (the hazard has no position, so the measure says where); a busy or
// unknown unit, or no place to wait, is refused changing nothing; the
// hazard's clearing lifts the post.
#[test]
fn a_pre_positioned_unit_waits_at_its_post_until_the_hazard_closes() {
    let mut ledger = ledger_with_hazard();
    let station = client(vec![Role::Station {
        station: "bund".into(),
    }]);
    apply(&mut ledger, 3, T0_MS, station.clone(), push_to_guardians());
    let verify = Action::VerifyHazard(VerifyHazard {
        hazard_id: 2,
        confirmed: true,
        seen: "the stairs are packed".into(),
    });
    apply(&mut ledger, 4, T0_MS, station.clone(), verify);
    let stairs = Position::from_degrees(31.2421, 121.4869).unwrap();

    let nowhere = rejection(apply(
        &mut ledger,
        5,
        T0_MS,
        station.clone(),
        pre_position("bund-1-guardians", None),
    ));
    let unknown = rejection(apply(
        &mut ledger,
        6,
        T0_MS,
        station.clone(),
        pre_position("no-such-unit", Some(stairs)),
    ));
    apply(
        &mut ledger,
        7,
        T0_MS + MINUTE_MS,
        station.clone(),
        pre_position("bund-1-guardians", Some(stairs)),
    );
    let posted = ledger
        .unit(&UnitId("bund-1-guardians".into()))
        .unwrap()
        .post
        .clone();
    let clear = Action::ClearHazard(ClearHazard {
        hazard_id: 2,
        note: "flow eased".into(),
    });
    apply(&mut ledger, 8, T0_MS + 30 * MINUTE_MS, station, clear);

    assert!(
        nowhere
            .to_string()
            .contains("say where the unit is to wait"),
        "{nowhere}"
    );
    assert!(
        matches!(unknown, Rejection::UnknownUnit { .. }),
        "{unknown:?}"
    );
    assert_eq!(ledger.hazard(2).unwrap().measures.len(), 1);
    let posted = posted.expect("a post");
    assert_eq!(posted.position, stairs);
    assert_eq!(posted.set_by, crate::ledger::move_ups::PostSetBy::Hazard(2));
    assert_eq!(
        ledger
            .unit(&UnitId("bund-1-guardians".into()))
            .unwrap()
            .post,
        None
    );
}
