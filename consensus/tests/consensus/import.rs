//! A partner system's incident, as the ledger keeps it: created once per
//! tracking identifier, its notes added once each, closed when the partner
//! closes it, and the same document twice changes nothing.

use cordon_consensus::ledger::{
    audit, Action, Channel, Effect, ImportIncident, ImportedNote, IncidentId, IncidentKind,
    IncidentStatus, NewIncident, Origin, Position, Rejection, Ring,
};

use crate::unresourced::Log;

const TRACKING: &str = "urn:emergency:uid:incidentid:H42:renji.hospital.example";

fn document(notes: &[(&str, &str)], closed: Option<IncidentStatus>) -> Action {
    Action::ImportIncident(ImportIncident {
        tracking_id: TRACKING.into(),
        report: NewIncident {
            kind: IncidentKind::Medical,
            priority: 7,
            force_level: 1,
            location: Position::from_degrees(31.2300, 121.4800).unwrap(),
            channel: Channel::PartnerFeed,
            description: "EIDO from the hospital".into(),
        },
        notes: notes
            .iter()
            .map(|(id, text)| ImportedNote {
                id: (*id).into(),
                text: (*text).into(),
            })
            .collect(),
        closed,
    })
}

fn steps(log: &Log, id: IncidentId) -> Vec<&'static str> {
    let incident = log.ledger.incident(id).unwrap();
    incident.timeline.iter().map(|e| e.step.name()).collect()
}

#[test]
fn a_partner_incident_is_created_once_updated_by_its_notes_and_closed_by_the_partner() {
    // Phase 1: the first document creates an incident that keeps the
    // tracking identifier and carries its note, and goes to the hub.
    let mut log = Log::with_incident(Ring::StreetPatrol, 300);
    let first = log.apply(
        Origin::Operator,
        document(&[("n1", "patient violent")], None),
        3_000,
    );
    let Effect::IncidentReported { incident_id } = first.effect else {
        panic!("{first:?}");
    };
    let incident = log.ledger.incident(incident_id).unwrap();
    assert_eq!(incident.tracking_id.as_deref(), Some(TRACKING));
    assert_eq!(steps(&log, incident_id), ["reported", "note"]);
    assert_eq!(incident.timeline[1].reason, "[n1] patient violent");

    // Phase 2: the same document again changes nothing; a later one adds
    // only its new note.
    let version = log.ledger.incident(incident_id).unwrap().version;
    log.apply(
        Origin::Operator,
        document(&[("n1", "patient violent")], None),
        4_000,
    );
    assert_eq!(log.ledger.incident(incident_id).unwrap().version, version);
    log.apply(
        Origin::Operator,
        document(
            &[("n1", "patient violent"), ("n2", "security on the way")],
            None,
        ),
        5_000,
    );
    assert_eq!(steps(&log, incident_id), ["reported", "note", "note"]);

    // Phase 3: the partner closes it: closed here, the trail verifying; a
    // document after that changes nothing.
    log.apply(
        Origin::Operator,
        document(&[], Some(IncidentStatus::Resolved)),
        6_000,
    );
    let closed = log.ledger.incident(incident_id).unwrap();
    assert_eq!(closed.status, IncidentStatus::Resolved);
    assert_eq!(audit::verify(&closed.timeline), Ok(()));
    let version = closed.version;
    log.apply(Origin::Operator, document(&[("n3", "late")], None), 7_000);
    assert_eq!(log.ledger.incident(incident_id).unwrap().version, version);

    // Phase 4: a document that closes to anything but resolved or
    // cancelled, or has an empty note, is refused whole.
    for bad in [
        document(&[], Some(IncidentStatus::OnScene)),
        document(&[("n4", " ")], None),
    ] {
        let refused = log.try_apply(Origin::Operator, bad, 8_000);
        assert!(
            matches!(
                refused.effect,
                Effect::Rejected {
                    rejection: Rejection::OutOfRange { .. }
                }
            ),
            "{refused:?}"
        );
    }
}
