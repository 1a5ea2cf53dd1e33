use cordon_chaos::judge::checkers::{unit_assigned_once, AssignmentChange, AssignmentEvent};
use cordon_chaos::judge::invariants::Invariant;

use crate::violations_of;

fn assigned(index: u64, unit: &str, incident: &str) -> AssignmentEvent {
    AssignmentEvent {
        index,
        incident: incident.into(),
        change: AssignmentChange::Assigned { unit: unit.into() },
    }
}

fn released(index: u64, unit: &str, incident: &str) -> AssignmentEvent {
    AssignmentEvent {
        index,
        incident: incident.into(),
        change: AssignmentChange::Released { unit: unit.into() },
    }
}

fn closed(index: u64, incident: &str) -> AssignmentEvent {
    AssignmentEvent {
        index,
        incident: incident.into(),
        change: AssignmentChange::IncidentClosed,
    }
}

// Reassignment inside one entry, reuse after a close and after a release all
// keep a unit on one open incident.
#[test]
fn clean_assignment_log_passes() {
    let events = [
        assigned(3, "nanjing-east-1-a", "I-000001"),
        assigned(4, "nanjing-east-1-b", "I-000002"),
        // One entry moves unit a: the new assignment is listed first.
        assigned(7, "nanjing-east-1-a", "I-000002"),
        released(7, "nanjing-east-1-a", "I-000001"),
        closed(9, "I-000002"),
        assigned(10, "nanjing-east-1-a", "I-000003"),
        released(11, "nanjing-east-1-b", "I-000002"),
        assigned(12, "nanjing-east-1-b", "I-000003"),
    ];

    assert_eq!(unit_assigned_once(&events), Ok(()));
}

// A unit assigned to a second open incident at one index is caught with the
// index, the unit and both incidents.
#[test]
fn unit_on_two_open_incidents_is_caught() {
    // Phase 1: unit a is never released from I-000001 before I-000002.
    let events = [
        assigned(3, "nanjing-east-1-a", "I-000001"),
        assigned(8, "nanjing-east-1-a", "I-000002"),
        closed(9, "I-000001"),
        assigned(10, "nanjing-east-1-a", "I-000003"),
    ];

    // Phase 2: index 8 is named; index 10 is a second violation (I-000002
    // is still open).
    let details = violations_of(Invariant::UnitAssignedOnce, unit_assigned_once(&events));
    assert_eq!(
        details,
        [
            "at index 8 unit nanjing-east-1-a is assigned to 2 open incidents: I-000001 (since index 3), I-000002 (since index 8)",
            "at index 10 unit nanjing-east-1-a is assigned to 2 open incidents: I-000002 (since index 8), I-000003 (since index 10)",
        ]
    );
}
