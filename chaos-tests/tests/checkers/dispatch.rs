//! The dispatch checkers: each catches its planted violation and passes
//! the clean case.

use cordon_chaos::judge::checkers::dispatch::{StepSummary, TargetSummary, Window};
use cordon_chaos::judge::checkers::{
    incidents_attended, messages_handled, statuses_follow_tables, targets_follow_rings,
    IncidentSummary, MessageSighting,
};
use cordon_chaos::judge::invariants::Invariant;
use cordon_consensus::ledger::IncidentStatus;

use super::violations_of;

/// An incident in `status` with `units`, no mark, no plan, no target.
fn incident(id: &str, status: IncidentStatus, units: &[&str]) -> IncidentSummary {
    IncidentSummary {
        id: id.to_string(),
        status,
        units: units.iter().map(|unit| unit.to_string()).collect(),
        unresourced: false,
        plan_pending: false,
        reported_at_ms: 1_000,
        target: None,
        steps: Vec::new(),
    }
}

fn step(step: &str, unit: Option<&str>) -> StepSummary {
    let status = match step {
        "reported" => "reported",
        "triaged" => "triaged",
        "en_route" => "en_route",
        "on_scene" | "unit_released" => "on_scene",
        "resolved" => "resolved",
        _ => "assigned",
    };
    StepSummary {
        step: step.to_string(),
        unit: unit.map(str::to_string),
        status: status.to_string(),
    }
}

fn sighting(seq: u64, enqueued_at_ms: u64, last_pending_at_ms: u64) -> MessageSighting {
    MessageSighting {
        seq,
        to: "station:bund".to_string(),
        what: "Dispatch".to_string(),
        enqueued_at_ms,
        last_pending_at_ms,
        excused_at_ms: None,
    }
}

#[test]
fn an_open_incident_with_nobody_on_it_breaks_incident_attended() {
    // Clean: closed, assigned, marked unresourced, or a plan before the
    // commanders.
    let mut marked = incident("I-000003", IncidentStatus::Escalated, &[]);
    marked.unresourced = true;
    let mut planned = incident("I-000004", IncidentStatus::Triaged, &[]);
    planned.plan_pending = true;
    let clean = vec![
        incident("I-000001", IncidentStatus::Resolved, &[]),
        incident("I-000002", IncidentStatus::Assigned, &["bund-g1"]),
        marked,
        planned,
    ];
    assert_eq!(incidents_attended(&clean, false), Ok(()));

    // Planted: a triaged incident with nothing; and, once the field freed
    // every unit, anything still open.
    let silent = vec![incident("I-000005", IncidentStatus::Triaged, &[])];
    let found = violations_of(
        Invariant::IncidentAttended,
        incidents_attended(&silent, false),
    );
    assert!(found[0].contains("I-000005"), "{found:?}");
    let found = violations_of(
        Invariant::IncidentAttended,
        incidents_attended(&clean, true),
    );
    assert_eq!(found.len(), 3, "{found:?}");
}

#[test]
fn a_message_pending_past_the_bound_breaks_message_handled() {
    // Clean: handled within 5 s, or pending long but mostly under a fault,
    // or marked unresourced within the bound.
    let mut excused = sighting(3, 0, 60_000);
    excused.excused_at_ms = Some(4_000);
    let faults: Vec<Window> = vec![(1_000, 20_000)];
    let clean = vec![sighting(1, 0, 4_900), sighting(2, 0, 22_000), excused];
    assert_eq!(messages_handled(&clean, 5_000, &faults), Ok(()));

    // Planted: 6 s outside any fault, with no mark.
    let late = vec![sighting(4, 30_000, 36_000)];
    let found = violations_of(
        Invariant::MessageHandled,
        messages_handled(&late, 5_000, &faults),
    );
    assert!(found[0].contains("message 4"), "{found:?}");
}

#[test]
fn steps_out_of_the_tables_break_statuses_follow_tables() {
    // Clean: reported, triaged, assigned, en route, on scene, released,
    // assigned again (on scene still), resolved.
    let mut clean = incident("I-000001", IncidentStatus::Resolved, &[]);
    clean.steps = vec![step("reported", None), step("triaged", None)];
    clean.steps.extend(
        ["assigned", "en_route", "on_scene", "unit_released"]
            .iter()
            .map(|name| step(name, Some("bund-g1"))),
    );
    // A unit sent again to an incident already on scene keeps its status.
    let mut again = step("assigned", Some("bund-g1"));
    again.status = "on_scene".to_string();
    clean.steps.push(again);
    clean.steps.push(step("resolved", None));
    assert_eq!(statuses_follow_tables(&[clean]), Ok(()));

    // Planted: on scene without an assignment.
    let mut planted = incident("I-000002", IncidentStatus::OnScene, &["bund-g2"]);
    planted.steps = vec![
        step("reported", None),
        step("triaged", None),
        step("on_scene", Some("bund-g2")),
    ];
    let found = violations_of(
        Invariant::StatusesFollowTables,
        statuses_follow_tables(&[planted]),
    );
    assert!(found.iter().any(|f| f.contains("bund-g2")), "{found:?}");

    // Planted: a resolved incident assigned again.
    let mut reopened = incident("I-000003", IncidentStatus::Assigned, &["bund-g3"]);
    reopened.steps = vec![
        step("reported", None),
        step("resolved", None),
        step("assigned", Some("bund-g3")),
    ];
    let found = violations_of(
        Invariant::StatusesFollowTables,
        statuses_follow_tables(&[reopened]),
    );
    assert!(found[0].contains("resolved -> assigned"), "{found:?}");
}

#[test]
fn a_target_left_at_the_old_ring_breaks_target_follows_ring() {
    // Clean: ring 4's target held at ring 4.
    let mut clean = incident("I-000001", IncidentStatus::Escalated, &[]);
    clean.target = Some(TargetSummary {
        ring: 4,
        held_s: 180,
        expected_s: 180,
    });
    assert_eq!(targets_follow_rings(&[clean]), Ok(()));

    // Planted: escalated to ring 4 but still holding ring 3's 300 s.
    let mut planted = incident("I-000002", IncidentStatus::Escalated, &[]);
    planted.target = Some(TargetSummary {
        ring: 4,
        held_s: 300,
        expected_s: 180,
    });
    let found = violations_of(
        Invariant::TargetFollowsRing,
        targets_follow_rings(&[planted]),
    );
    assert!(found[0].contains("I-000002"), "{found:?}");
}
