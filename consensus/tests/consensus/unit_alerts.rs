//! A unit's timers and alarm, as the ledger keeps them: a crew that does
//! not acknowledge, check in or give its PAR in time gets an alert (raised
//! by the hub on the unit's version, so a report that came first wins), a
//! crew's alarm stays until a dispatcher clears it, and each of these is on
//! the incident's trail naming the unit.

use cordon_consensus::ledger::{
    audit, timer_due_ms, Action, AlertKind, CheckIn, ClearUnitAlert, Effect, FieldNote, Origin,
    RaiseAlarm, RaiseUnitTimer, Ring, UnitId, UnitStatus, UpdateUnitStatus,
};

use crate::unresourced::{assign, Log, INCIDENT};

const ACK_MS: u64 = 60_000;
const CHECK_IN_MS: u64 = 1_200_000;
const PAR_MS: u64 = 600_000;

fn unit(id: &str) -> UnitId {
    UnitId(id.into())
}

fn status(id: &str, status: UnitStatus) -> Action {
    Action::UpdateUnitStatus(UpdateUnitStatus {
        unit_id: unit(id),
        status,
        position: None,
        expected_version: None,
    })
}

fn timer(log: &Log, id: &str, kind: AlertKind, after_ms: u64) -> Action {
    Action::RaiseUnitTimer(RaiseUnitTimer {
        unit_id: unit(id),
        kind,
        expected_version: log.ledger.unit(&unit(id)).unwrap().version,
        after_ms,
    })
}

fn refused(log: &mut Log, action: Action, at_ms: u64) -> bool {
    let answer = log.try_apply(Origin::Operator, action, at_ms);
    matches!(answer.effect, Effect::Rejected { .. })
}

#[test]
fn an_unacknowledged_dispatch_raises_an_alert_that_the_acknowledgement_ends() {
    // Phase 1: patrol-1 is dispatched at 10 s; its acknowledgement is due at 70 s.
    let mut log = Log::with_incident(Ring::StreetPatrol, 300);
    log.apply(Origin::Operator, assign("patrol-1", false), 10_000);
    let patrol = log.ledger.unit(&unit("patrol-1")).unwrap();
    assert_eq!(
        timer_due_ms(patrol, AlertKind::AckOverdue, ACK_MS),
        Some(70_000)
    );
    assert_eq!(
        timer_due_ms(patrol, AlertKind::CheckInOverdue, CHECK_IN_MS),
        None
    );

    // Phase 2: the hub's timer is refused a second early and raised on time,
    // on the trail naming the unit.
    let early = timer(&log, "patrol-1", AlertKind::AckOverdue, ACK_MS);
    assert!(refused(&mut log, early, 69_999));
    log.apply(
        Origin::Operator,
        timer(&log, "patrol-1", AlertKind::AckOverdue, ACK_MS),
        70_000,
    );
    let alert = log
        .ledger
        .unit(&unit("patrol-1"))
        .unwrap()
        .alert
        .clone()
        .expect("raised");
    assert_eq!(
        (alert.kind, alert.since_ms, alert.incident_id),
        (AlertKind::AckOverdue, 70_000, Some(INCIDENT))
    );
    assert_eq!(log.steps().last(), Some(&"unit_alert"));

    // Phase 3: the crew acknowledges: the alert ends and the trail says so.
    log.apply(
        Origin::Operator,
        status("patrol-1", UnitStatus::Acknowledged),
        75_000,
    );
    assert_eq!(log.ledger.unit(&unit("patrol-1")).unwrap().alert, None);
    assert_eq!(log.steps().last(), Some(&"unit_acknowledged"));
    let incident = log.ledger.incident(INCIDENT).unwrap();
    assert_eq!(audit::verify(&incident.timeline), Ok(()));
}

#[test]
fn a_check_in_restarts_the_timers_and_only_ring_four_owes_a_par() {
    // Phase 1: both units on scene at 100 s.
    let mut log = Log::with_incident(Ring::StreetPatrol, 300);
    log.apply(Origin::Operator, assign("patrol-1", false), 10_000);
    log.apply(Origin::Operator, assign("team-1", false), 10_000);
    for id in ["patrol-1", "team-1"] {
        log.apply(Origin::Operator, status(id, UnitStatus::OnScene), 100_000);
    }
    let patrol = log.ledger.unit(&unit("patrol-1")).unwrap();
    let team = log.ledger.unit(&unit("team-1")).unwrap();
    assert_eq!(
        timer_due_ms(patrol, AlertKind::CheckInOverdue, CHECK_IN_MS),
        Some(1_300_000)
    );
    assert_eq!(timer_due_ms(patrol, AlertKind::ParOverdue, PAR_MS), None);
    assert_eq!(
        timer_due_ms(team, AlertKind::ParOverdue, PAR_MS),
        Some(700_000)
    );

    // Phase 2: the team misses its PAR; its check-in (the PAR) ends the
    // alert and starts both timers again from then.
    log.apply(
        Origin::Operator,
        timer(&log, "team-1", AlertKind::ParOverdue, PAR_MS),
        700_000,
    );
    log.apply(
        Origin::Operator,
        Action::CheckIn(CheckIn {
            unit_id: unit("team-1"),
        }),
        720_000,
    );
    let team = log.ledger.unit(&unit("team-1")).unwrap();
    assert_eq!(team.alert, None);
    assert_eq!(
        timer_due_ms(team, AlertKind::ParOverdue, PAR_MS),
        Some(1_320_000)
    );

    // Phase 3: a timer raised on an old version (the check-in came first) is refused.
    let stale = Action::RaiseUnitTimer(RaiseUnitTimer {
        unit_id: unit("team-1"),
        kind: AlertKind::ParOverdue,
        expected_version: team.version - 1,
        after_ms: PAR_MS,
    });
    assert!(refused(&mut log, stale, 1_400_000));
}

#[test]
fn an_alarm_stays_until_a_dispatcher_clears_it_and_field_notes_reach_the_trail() {
    // Phase 1: patrol-1 on the incident writes a note, then presses the alarm.
    let mut log = Log::with_incident(Ring::StreetPatrol, 300);
    log.apply(Origin::Operator, assign("patrol-1", false), 10_000);
    let note = Action::FieldNote(FieldNote {
        unit_id: unit("patrol-1"),
        text: "two men, one armed".into(),
    });
    log.apply(Origin::Operator, note, 20_000);
    log.apply(
        Origin::Operator,
        Action::RaiseAlarm(RaiseAlarm {
            unit_id: unit("patrol-1"),
        }),
        30_000,
    );
    let incident = log.ledger.incident(INCIDENT).unwrap();
    let reasons: Vec<&str> = incident
        .timeline
        .iter()
        .map(|entry| entry.reason.as_str())
        .collect();
    assert!(
        reasons.contains(&"patrol-1: two men, one armed"),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&"patrol-1: ALARM, officers need help"),
        "{reasons:?}"
    );

    // Phase 2: a status report does not end an alarm.
    log.apply(
        Origin::Operator,
        status("patrol-1", UnitStatus::OnScene),
        40_000,
    );
    let alert = log.ledger.unit(&unit("patrol-1")).unwrap().alert.clone();
    assert_eq!(alert.map(|alert| alert.kind), Some(AlertKind::Panic));

    // Phase 3: a dispatcher clears it (once); its timers run from then.
    let clear = Action::ClearUnitAlert(ClearUnitAlert {
        unit_id: unit("patrol-1"),
    });
    log.apply(Origin::Operator, clear.clone(), 50_000);
    let patrol = log.ledger.unit(&unit("patrol-1")).unwrap();
    assert_eq!(
        (patrol.alert.clone(), patrol.alert_cleared_ms),
        (None, Some(50_000))
    );
    assert_eq!(
        timer_due_ms(patrol, AlertKind::CheckInOverdue, CHECK_IN_MS),
        Some(1_250_000)
    );
    assert!(refused(&mut log, clear, 60_000));
    assert_eq!(log.steps().last(), Some(&"unit_alert_cleared"));
    assert_eq!(
        audit::verify(&log.ledger.incident(INCIDENT).unwrap().timeline),
        Ok(())
    );
}
