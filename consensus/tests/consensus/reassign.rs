//! A dispatcher takes a busy unit to a more urgent incident, as the ledger
//! records it: the unit moves once, both trails say who moved it and why,
//! and the incident it left is handed back to its responder when it keeps
//! no unit and none has arrived (never silently stranded).

use cordon_consensus::ledger::{
    audit, Action, ActorId, AssignUnit, Channel, Effect, IncidentId, IncidentKind, IncidentStatus,
    Message, NewIncident, Position, ReassignUnit, Rejection, Ring, TimelineStep, TriageIncident,
    UnitId, UnitStatus, UpdateUnitStatus,
};

use crate::unresourced::{assign, Log, INCIDENT};

const URGENT: IncidentId = IncidentId(2);
const RING_THREE: ActorId = ActorId::Ring(Ring::StreetPatrol);

/// Reports and triages a second, more urgent incident to ring 3.
fn report_urgent(log: &mut Log) {
    log.operator(Action::ReportIncident(NewIncident {
        kind: IncidentKind::Assault,
        priority: 9,
        force_level: 3,
        location: Position::from_degrees(31.2400, 121.4770).unwrap(),
        channel: Channel::EmergencyCall,
        description: "a knife".into(),
    }));
    log.operator(Action::TriageIncident(TriageIncident {
        incident_id: URGENT,
        ring: Ring::StreetPatrol,
        station: None,
        run_card: "assault".into(),
        target_s: 300,
        major: false,
    }));
}

/// Moves patrol-1 from `from` to `to`, made on its version `version`.
fn reassign(from: IncidentId, to: IncidentId, version: u64, reason: &str) -> Action {
    Action::ReassignUnit(ReassignUnit {
        assign: AssignUnit {
            incident_id: to,
            unit_id: UnitId("patrol-1".into()),
            expected_unit_version: version,
            eta_s: 90,
            breach: false,
        },
        from_incident_id: from,
        reason: reason.into(),
    })
}

/// The dispatch messages pending for ring 3 about `incident_id`.
fn dispatches(log: &Log, incident_id: IncidentId) -> usize {
    log.ledger
        .pending_for(&RING_THREE)
        .filter(|envelope| envelope.message == Message::Dispatch { incident_id })
        .count()
}

fn rejection(log: &mut Log, action: Action) -> Rejection {
    match log
        .try_apply(cordon_consensus::ledger::Origin::Operator, action, 9_000)
        .effect
    {
        Effect::Rejected { rejection, .. } => rejection,
        other => panic!("accepted: {other:?}"),
    }
}

fn patrol_version(log: &Log) -> u64 {
    log.ledger.unit(&UnitId("patrol-1".into())).unwrap().version
}

#[test]
#[expect(clippy::too_many_lines, reason = "a test read as phases")]
fn a_reassigned_unit_moves_once_and_the_incident_it_left_is_dispatched_again() {
    // Phase 1: patrol-1 works the first incident; a more urgent one comes in.
    let mut log = Log::with_incident(Ring::StreetPatrol, 300);
    log.operator(assign("patrol-1", false));
    report_urgent(&mut log);
    let before = dispatches(&log, INCIDENT);

    // Phase 2: the dispatcher moves it: dispatched to the urgent incident,
    // off the first, both trails saying so, and the first incident's
    // dispatch handed back to ring 3 under the deadline already running.
    let deadline = log.ledger.incident(INCIDENT).unwrap().on_scene_deadline_ms;
    let version = patrol_version(&log);
    log.operator(reassign(INCIDENT, URGENT, version, "knife call nearby"));
    let unit = log.ledger.unit(&UnitId("patrol-1".into())).unwrap();
    assert_eq!(
        (unit.status, unit.assigned_to),
        (UnitStatus::Dispatched, Some(URGENT))
    );
    let left = log.ledger.incident(INCIDENT).unwrap();
    assert!(left.units.is_empty() && left.awaits_unit(), "{left:?}");
    assert_eq!(left.status, IncidentStatus::Assigned);
    assert_eq!(left.on_scene_deadline_ms, deadline);
    let released = left.timeline.last().unwrap();
    assert_eq!(
        released.step,
        TimelineStep::UnitReleased {
            unit_id: UnitId("patrol-1".into())
        }
    );
    assert!(
        released
            .reason
            .contains("reassigned to I-000002: knife call nearby"),
        "{}",
        released.reason
    );
    assert_eq!(dispatches(&log, INCIDENT), before + 1);
    let urgent = log.ledger.incident(URGENT).unwrap();
    assert_eq!(urgent.status, IncidentStatus::Assigned);
    assert!(urgent.on_scene_deadline_ms.is_some());
    let assigned = urgent.timeline.last().unwrap();
    assert!(
        assigned.reason.contains("reassigned from I-000001"),
        "{}",
        assigned.reason
    );
    assert_eq!(audit::verify(&left.timeline), Ok(()));
    assert_eq!(audit::verify(&urgent.timeline), Ok(()));

    // Phase 3: what is refused changes nothing: a second move from where
    // the unit no longer is, a stale version, the same incident twice, and
    // a move without a reason.
    let version = patrol_version(&log);
    assert!(matches!(
        rejection(&mut log, reassign(INCIDENT, URGENT, version, "again")),
        Rejection::UnitUnavailable { .. }
    ));
    assert!(matches!(
        rejection(&mut log, reassign(URGENT, INCIDENT, version - 1, "back")),
        Rejection::VersionMismatch { .. }
    ));
    assert!(matches!(
        rejection(&mut log, reassign(URGENT, URGENT, version, "same")),
        Rejection::OutOfRange { .. }
    ));
    assert!(matches!(
        rejection(&mut log, reassign(URGENT, INCIDENT, version, " ")),
        Rejection::OutOfRange { .. }
    ));
    assert_eq!(patrol_version(&log), version);

    // Phase 4: once a unit has reached an incident, moving it away does not
    // send that incident's dispatch again (someone was there).
    log.operator(Action::UpdateUnitStatus(UpdateUnitStatus {
        unit_id: UnitId("patrol-1".into()),
        status: UnitStatus::OnScene,
        position: None,
        expected_version: None,
    }));
    let before = dispatches(&log, URGENT);
    let version = patrol_version(&log);
    log.operator(reassign(
        URGENT,
        INCIDENT,
        version,
        "the first call escalates",
    ));
    assert_eq!(dispatches(&log, URGENT), before);
    assert!(!log.ledger.incident(URGENT).unwrap().awaits_unit());
    let back = log.ledger.incident(INCIDENT).unwrap();
    assert_eq!(back.units, [UnitId("patrol-1".into())]);
    assert!(!back.awaits_unit());
}
