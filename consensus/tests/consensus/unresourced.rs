//! Dispatch never strands an incident, as the ledger records it: a
//! responder's "no unit anywhere" is a visible, audited mark that the next
//! answer clears, and an escalation moves the on-scene target (and with it
//! the next deadline) to the new ring's. A person may acknowledge the wait
//! (once, by name), and notes go on an open incident's trail.

use cordon_consensus::ledger::{
    audit, AcknowledgeUnresourced, Action, ActorId, AddNote, Applied, AssignUnit, Channel, Command,
    Effect, Escalate, IncidentId, IncidentKind, IncidentStatus, Ledger, LoadRoster,
    MarkUnresourced, NewIncident, Origin, PlaceActor, Position, RequestId, ResolveIncident, Ring,
    RosterUnit, TimelineStep, TriageIncident, UnitId,
};

pub(crate) const INCIDENT: IncidentId = IncidentId(1);
const RING_FOUR: ActorId = ActorId::Ring(Ring::SpecialPolice);

/// A ledger and the next log index to apply at.
pub(crate) struct Log {
    pub(crate) ledger: Ledger,
    index: u64,
}

impl Log {
    /// A ledger with one ring-3 and one ring-4 unit, ring 4's actor placed,
    /// and one assault reported and triaged to `ring` with `target_s`.
    pub(crate) fn with_incident(ring: Ring, target_s: u32) -> Log {
        let mut log = Log {
            ledger: Ledger::default(),
            index: 0,
        };
        let home = Position::from_degrees(31.2394, 121.4760).unwrap();
        let roster = [
            ("patrol-1", Ring::StreetPatrol),
            ("team-1", Ring::SpecialPolice),
        ]
        .map(|(id, ring)| RosterUnit {
            id: UnitId(id.into()),
            home,
            ring,
            station: None,
        });
        log.system(Action::LoadRoster(LoadRoster {
            units: roster.to_vec(),
            area: None,
            archive: None,
        }));
        log.system(Action::PlaceActor(PlaceActor {
            actor: RING_FOUR,
            node: 1,
            epoch: 1,
        }));
        log.operator(Action::ReportIncident(NewIncident {
            kind: IncidentKind::Assault,
            priority: 6,
            force_level: 3,
            location: home,
            channel: Channel::EmergencyCall,
            description: String::new(),
        }));
        log.operator(Action::TriageIncident(TriageIncident {
            incident_id: INCIDENT,
            ring,
            station: None,
            run_card: "assault".into(),
            target_s,
            major: false,
        }));
        log
    }

    /// Applies `action`, accepted or not.
    pub(crate) fn try_apply(&mut self, origin: Origin, action: Action, at_ms: u64) -> Applied {
        self.index += 1;
        let request_id = RequestId(format!("req-{}", self.index));
        let command = Command::new(request_id, at_ms, origin, action);
        self.ledger.apply(self.index, &command)
    }

    /// Applies `action`, which must be accepted.
    pub(crate) fn apply(&mut self, origin: Origin, action: Action, at_ms: u64) -> Applied {
        let applied = self.try_apply(origin, action, at_ms);
        assert!(
            !matches!(applied.effect, Effect::Rejected { .. }),
            "{applied:?}"
        );
        applied
    }

    fn system(&mut self, action: Action) -> Applied {
        self.apply(Origin::System { node: 1 }, action, 1_000)
    }

    pub(crate) fn operator(&mut self, action: Action) -> Applied {
        self.apply(Origin::Operator, action, 2_000)
    }

    /// Ring 4's actor proposes `action` at `at_ms`, consuming nothing.
    fn ring_four(&mut self, action: Action, at_ms: u64) -> Applied {
        let origin = Origin::Actor {
            actor: RING_FOUR,
            epoch: 1,
            node: 1,
        };
        self.apply(origin, action, at_ms)
    }

    pub(crate) fn steps(&self) -> Vec<&'static str> {
        let incident = self.ledger.incident(INCIDENT).unwrap();
        incident.timeline.iter().map(|e| e.step.name()).collect()
    }
}

fn mark(reason: &str) -> Action {
    Action::MarkUnresourced(MarkUnresourced {
        incident_id: INCIDENT,
        reason: reason.into(),
    })
}

pub(crate) fn assign(unit: &str, breach: bool) -> Action {
    Action::AssignUnit(AssignUnit {
        incident_id: INCIDENT,
        unit_id: UnitId(unit.into()),
        expected_unit_version: 1,
        eta_s: 240,
        breach,
    })
}

#[test]
fn an_unresourced_mark_is_recorded_once_kept_pending_and_cleared_by_an_assignment() {
    // Phase 1: ring 4 finds no team and marks the incident; the mark carries
    // when, where in the log and why, the trail says so, the status stays,
    // and ring 4's dispatch message is still pending.
    let mut log = Log::with_incident(Ring::SpecialPolice, 180);
    let marked = log.ring_four(mark("no ring-4 team available"), 5_000);
    let incident = log.ledger.incident(INCIDENT).unwrap();
    let since = incident.unresourced.clone().expect("marked");
    assert_eq!((since.since_ms, since.since_index), (5_000, marked.index));
    assert_eq!(since.reason, "no ring-4 team available");
    assert_eq!(incident.status, IncidentStatus::Triaged);
    assert_eq!(
        incident.timeline.last().unwrap().step,
        TimelineStep::Unresourced
    );
    assert_eq!(log.ledger.pending_for(&RING_FOUR).count(), 1);

    // Phase 2: marking again (a new incarnation, a retry) changes nothing:
    // same version, no second step in the trail, the first mark kept.
    let version = incident.version;
    let again = log.ring_four(mark("still nobody"), 9_000);
    let Effect::IncidentUpdated {
        version: answered, ..
    } = again.effect
    else {
        panic!("{again:?}");
    };
    assert_eq!(answered, version);
    let incident = log.ledger.incident(INCIDENT).unwrap();
    assert_eq!(incident.unresourced, Some(since));
    assert_eq!(log.steps(), ["reported", "triaged", "unresourced"]);

    // Phase 3: a team frees and is assigned: the mark is gone and the
    // trail still verifies.
    log.ring_four(assign("team-1", true), 12_000);
    let incident = log.ledger.incident(INCIDENT).unwrap();
    assert_eq!(incident.unresourced, None);
    assert_eq!(
        log.steps(),
        ["reported", "triaged", "unresourced", "assigned"]
    );
    assert_eq!(audit::verify(&incident.timeline), Ok(()));
}

#[test]
fn escalating_or_closing_clears_the_mark() {
    // An escalation hands the incident to a ring with its own units; a
    // closed incident waits for nobody.
    let mut log = Log::with_incident(Ring::StreetPatrol, 300);
    log.ring_four(mark("no patrol group"), 3_000);
    log.ring_four(
        Action::Escalate(Escalate {
            incident_id: INCIDENT,
            to_ring: Ring::SpecialPolice,
            target_s: 180,
            reason: "none available".into(),
        }),
        4_000,
    );
    let incident = log.ledger.incident(INCIDENT).unwrap();
    assert_eq!(incident.unresourced, None);
    // A responder's escalation names the level it decided for.
    let escalated = &incident.timeline.last().unwrap().reason;
    assert!(escalated.contains("by district (automatic)"), "{escalated}");

    log.ring_four(mark("no ring-4 team available"), 6_000);
    assert!(log.ledger.incident(INCIDENT).unwrap().unresourced.is_some());
    log.operator(Action::ResolveIncident(ResolveIncident {
        incident_id: INCIDENT,
        reason: "handled by a passing patrol".into(),
    }));
    assert_eq!(log.ledger.incident(INCIDENT).unwrap().unresourced, None);
}

#[test]
fn an_escalation_to_ring_four_moves_the_target_deadline_and_keeps_the_breach() {
    // Phase 1: triaged to ring 3 with its 300 s target, escalated to ring 4
    // with the 180 s target the proposer read from the district.
    let mut log = Log::with_incident(Ring::StreetPatrol, 300);
    log.operator(Action::Escalate(Escalate {
        incident_id: INCIDENT,
        to_ring: Ring::SpecialPolice,
        target_s: 180,
        reason: "no patrol group within target".into(),
    }));
    assert_eq!(log.ledger.incident(INCIDENT).unwrap().target_s, Some(180));
    let escalated = &log
        .ledger
        .incident(INCIDENT)
        .unwrap()
        .timeline
        .last()
        .unwrap()
        .reason;
    assert!(
        escalated.contains("by operator: no patrol group"),
        "{escalated}"
    );

    // Phase 2: ring 4's team is assigned as a breach (eta 240 s > 180 s):
    // the assignment, the deadline and the trail all use ring 4's target.
    log.ring_four(assign("team-1", true), 10_000);
    let incident = log.ledger.incident(INCIDENT).unwrap();
    let assignment = &incident.assignments[0];
    assert_eq!((assignment.target_s, assignment.breach), (180, true));
    assert_eq!(incident.on_scene_deadline_ms, Some(10_000 + 180_000));
    let assigned = &incident.timeline.last().unwrap().reason;
    assert!(assigned.contains("target 180 s, breach"), "{assigned}");
}

#[test]
fn an_escalation_without_a_target_is_refused_naming_the_fix() {
    // A proposer that forgot the new ring's target gets told where it comes from.
    let command = Command::new(
        RequestId("escalate-no-target".into()),
        1,
        Origin::Operator,
        Action::Escalate(Escalate {
            incident_id: INCIDENT,
            to_ring: Ring::SpecialPolice,
            target_s: 0,
            reason: "why".into(),
        }),
    );
    let error = command.check().unwrap_err().to_string();
    assert!(
        error.contains("target_s = 0") && error.contains("district model"),
        "{error}"
    );
}

#[test]
fn a_person_acknowledges_an_unresourced_wait_once_and_the_trail_says_who() {
    // Phase 1: nothing waits yet, so there is nothing to acknowledge: refused.
    let mut log = Log::with_incident(Ring::SpecialPolice, 180);
    let acknowledge = Action::AcknowledgeUnresourced(AcknowledgeUnresourced {
        incident_id: INCIDENT,
    });
    let early = log.try_apply(Origin::Operator, acknowledge.clone(), 4_000);
    assert!(
        matches!(&early.effect, Effect::Rejected { rejection } if rejection.to_string().contains("not waiting for a unit")),
        "{early:?}"
    );

    // Phase 2: ring 4 marks it; the operator acknowledges: the mark keeps
    // its reason and gains who and when; the trail names the operator.
    log.ring_four(mark("no ring-4 team available"), 5_000);
    let acknowledged = log.apply(Origin::Operator, acknowledge.clone(), 7_000);
    let incident = log.ledger.incident(INCIDENT).unwrap();
    let owner = incident
        .unresourced
        .as_ref()
        .and_then(|wait| wait.acknowledged.clone());
    let owner = owner.expect("acknowledged");
    assert_eq!((owner.at_ms, owner.index), (7_000, acknowledged.index));
    assert_eq!(owner.by, Origin::Operator.to_string());
    assert_eq!(
        log.steps(),
        [
            "reported",
            "triaged",
            "unresourced",
            "unresourced_acknowledged"
        ]
    );
    assert_eq!(
        log.ledger.pending_for(&RING_FOUR).count(),
        1,
        "the dispatch still waits"
    );

    // Phase 3: a second acknowledgement is refused and names the owner; an
    // assignment then clears the whole mark and the trail verifies.
    let twice = log.try_apply(Origin::Operator, acknowledge, 8_000);
    assert!(
        matches!(&twice.effect, Effect::Rejected { rejection } if rejection.to_string().contains("acknowledged already by")),
        "{twice:?}"
    );
    log.ring_four(assign("team-1", true), 12_000);
    let incident = log.ledger.incident(INCIDENT).unwrap();
    assert_eq!(incident.unresourced, None);
    assert_eq!(audit::verify(&incident.timeline), Ok(()));
}

#[test]
fn a_note_goes_on_an_open_incidents_trail_and_an_empty_or_late_one_is_refused() {
    // Phase 1: an empty note is refused before it is proposed, naming the fix.
    let mut log = Log::with_incident(Ring::StreetPatrol, 300);
    let note = |text: &str| {
        Action::AddNote(AddNote {
            incident_id: INCIDENT,
            text: text.into(),
        })
    };
    let error = note("  ").check().unwrap_err().to_string();
    assert!(
        error.contains("text") && error.contains("write the note"),
        "{error}"
    );

    // Phase 2: a note is a step with the words as its reason; the status stays.
    log.operator(note("caller says a second man is hurt"));
    let incident = log.ledger.incident(INCIDENT).unwrap();
    let last = incident.timeline.last().unwrap();
    assert_eq!(last.step, TimelineStep::Note);
    assert_eq!(last.reason, "caller says a second man is hurt");
    assert_eq!(incident.status, IncidentStatus::Triaged);

    // Phase 3: a resolved incident takes no more notes.
    log.operator(Action::ResolveIncident(ResolveIncident {
        incident_id: INCIDENT,
        reason: "handled".into(),
    }));
    let late = log.try_apply(Origin::Operator, note("one more thing"), 9_000);
    assert!(matches!(late.effect, Effect::Rejected { .. }), "{late:?}");
    assert_eq!(
        audit::verify(&log.ledger.incident(INCIDENT).unwrap().timeline),
        Ok(())
    );
}
