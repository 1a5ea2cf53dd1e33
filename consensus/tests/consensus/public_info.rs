//! The golden four hours as the ledger keeps them: a flagged incident's
//! first public release is due four hours after its report; the deadline
//! watch offers the hub its reminders at half, three quarters and the end
//! (overdue), in order and once each; a release by a person in command
//! stops the clock and names who approved it.

use cordon_consensus::ledger::{
    audit, Action, Deadline, Effect, FlagPublicConcern, Origin, Rejection, ReleasePublicInfo,
    RemindPublicInfo, Ring,
};

use crate::unresourced::{Log, INCIDENT};

const FOUR_HOURS_MS: u64 = 4 * 3_600_000;
/// The operator, standing in for the hub (whose placement this ledger lacks).
const HUB: Origin = Origin::Operator;

fn flag() -> Action {
    Action::FlagPublicConcern(FlagPublicConcern {
        incident_id: INCIDENT,
        why: "a crowd crush on the river wall".into(),
        within_ms: FOUR_HOURS_MS,
    })
}

fn remind(reminder: u8) -> Action {
    Action::RemindPublicInfo(RemindPublicInfo {
        incident_id: INCIDENT,
        reminder,
    })
}

fn release(text: &str) -> Action {
    Action::ReleasePublicInfo(ReleasePublicInfo {
        incident_id: INCIDENT,
        text: text.into(),
    })
}

/// The incident's public-information timer, which must be set.
fn public_info(log: &Log) -> cordon_consensus::ledger::PublicInfo {
    let incident = log.ledger.incident(INCIDENT).unwrap();
    incident.public_info.clone().expect("flagged")
}

/// The public-information deadlines due at `now_ms`.
fn due(log: &Log, now_ms: u64) -> usize {
    log.ledger
        .deadlines_due(now_ms)
        .filter(|(deadline, _)| *deadline == Deadline::PublicInfo)
        .count()
}

fn refused(log: &mut Log, origin: Origin, action: Action, at_ms: u64) -> Rejection {
    match log.try_apply(origin, action, at_ms).effect {
        Effect::Rejected { rejection, .. } => rejection,
        other => panic!("accepted: {other:?}"),
    }
}

#[test]
fn a_flagged_incident_is_reminded_in_order_and_marked_overdue_without_a_release() {
    // Phase 1: flagged (twice: the first clock stands), due four hours
    // after the report; nothing is due before half the time.
    let mut log = Log::with_incident(Ring::StreetPatrol, 300);
    let reported = log.ledger.incident(INCIDENT).unwrap().reported_at_ms;
    log.operator(flag());
    log.operator(flag());
    let info = public_info(&log);
    assert_eq!(
        (info.since_ms, info.due_ms),
        (reported, reported + FOUR_HOURS_MS)
    );
    assert_eq!(due(&log, reported + FOUR_HOURS_MS / 2 - 1), 0);
    assert_eq!(due(&log, reported + FOUR_HOURS_MS / 2), 1);

    // Phase 2: reminders come one at a time, in order; a skipped or
    // repeated one is refused.
    let half = reported + FOUR_HOURS_MS / 2;
    assert!(matches!(
        refused(&mut log, HUB, remind(2), half),
        Rejection::WrongIncidentStatus { .. }
    ));
    log.apply(HUB, remind(1), half);
    assert_eq!(due(&log, half), 0);
    assert!(matches!(
        refused(&mut log, HUB, remind(1), half),
        Rejection::WrongIncidentStatus { .. }
    ));
    log.apply(HUB, remind(2), reported + FOUR_HOURS_MS * 3 / 4);
    log.apply(HUB, remind(3), reported + FOUR_HOURS_MS);
    let incident = log.ledger.incident(INCIDENT).unwrap();
    assert!(incident.public_info.as_ref().unwrap().overdue());
    assert_eq!(due(&log, u64::MAX - 1), 0);
    let last = incident.timeline.last().unwrap();
    assert!(last.reason.starts_with("overdue"), "{}", last.reason);
    assert_eq!(audit::verify(&incident.timeline), Ok(()));
}

#[test]
fn a_release_stops_the_clock_and_names_who_approved_it() {
    // Phase 1: a release before a flag is refused, saying to flag first.
    let mut log = Log::with_incident(Ring::StreetPatrol, 300);
    let not_flagged = refused(&mut log, Origin::Operator, release("all clear"), 3_000);
    assert!(
        not_flagged.to_string().contains("flag it first"),
        "{not_flagged}"
    );

    // Phase 2: flagged, released: no reminder is due any more, the trail
    // names who approved it, and a second release is refused.
    log.operator(flag());
    log.operator(release("Police are at the scene; avoid the river wall."));
    let info = public_info(&log);
    let made = info.release.clone().unwrap();
    assert_eq!(made.text, "Police are at the scene; avoid the river wall.");
    assert_eq!(made.approved_by, "operator");
    assert!(!info.overdue());
    assert_eq!(due(&log, u64::MAX - 1), 0);
    let again = refused(&mut log, Origin::Operator, release("again"), 9_000);
    assert!(again.to_string().contains("released already"), "{again}");
}
