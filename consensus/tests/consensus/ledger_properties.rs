//! Property tests of the ledger: arbitrary command sequences keep its rules.

use std::collections::BTreeMap;

use cordon_consensus::ledger::audit;
use cordon_consensus::ledger::{
    Action, ActorId, Applied, AssignUnit, CancelIncident, Channel, Command, Effect, Escalate,
    IncidentId, IncidentKind, IncidentStatus, Ledger, LoadRoster, MarkUnresourced, NewIncident,
    Origin, PlaceActor, Position, Rejection, RequestId, RequestMutualAid, ResolveIncident, Ring,
    RosterUnit, TimelineStep, TriageIncident, UnitId, UnitStatus, UpdateUnitStatus,
};
use proptest::prelude::*;

const UNITS: usize = 4;
const ACTORS: [&str; 3] = ["hub", "station:bund", "ring:4"];

fn unit(i: usize) -> UnitId {
    UnitId(format!("unit-{i}"))
}

fn roster_command() -> Command {
    Command::new(
        RequestId("roster".into()),
        1,
        Origin::System { node: 1 },
        Action::LoadRoster(LoadRoster {
            units: (0..UNITS)
                .map(|i| RosterUnit {
                    id: unit(i),
                    home: Position::from_degrees(31.2394, 121.4760).unwrap(),
                    ring: if i == 0 {
                        Ring::SpecialPolice
                    } else {
                        Ring::StreetPatrol
                    },
                    station: None,
                })
                .collect(),
            area: None,
            archive: None,
        }),
    )
}

fn arb_origin() -> impl Strategy<Value = Origin> {
    prop_oneof![
        Just(Origin::Operator),
        Just(Origin::System { node: 1 }),
        (0usize..ACTORS.len(), 0u64..4, 1u64..4).prop_map(|(actor, epoch, node)| Origin::Actor {
            actor: ACTORS[actor].parse().unwrap(),
            epoch,
            node,
        }),
    ]
}

fn arb_action() -> impl Strategy<Value = Action> {
    let incident = || (1u64..6).prop_map(IncidentId);
    prop_oneof![
        (0u8..=12, 0u8..=12, 0usize..12).prop_map(|(priority, force_level, kind)| {
            Action::ReportIncident(NewIncident {
                kind: IncidentKind::ALL[kind],
                priority,
                force_level,
                location: Position::from_degrees(31.24, 121.47).unwrap(),
                channel: Channel::EmergencyCall,
                description: String::new(),
            })
        }),
        (0usize..UNITS + 1, 0usize..8, proptest::option::of(0u64..6)).prop_map(
            |(u, status, expected_version)| Action::UpdateUnitStatus(UpdateUnitStatus {
                unit_id: unit(u),
                status: [
                    UnitStatus::Available,
                    UnitStatus::Dispatched,
                    UnitStatus::Acknowledged,
                    UnitStatus::EnRoute,
                    UnitStatus::OnScene,
                    UnitStatus::Transporting,
                    UnitStatus::Returning,
                    UnitStatus::OutOfService,
                ][status],
                position: None,
                expected_version,
            })
        ),
        (incident(), 1u8..=4, any::<bool>()).prop_map(|(incident_id, ring, major)| {
            Action::TriageIncident(TriageIncident {
                incident_id,
                ring: Ring::try_from(ring).unwrap(),
                station: Some("bund".into()),
                run_card: "test".into(),
                target_s: 60,
                major,
            })
        }),
        (incident(), 0usize..UNITS, 0u64..6).prop_map(|(incident_id, u, version)| {
            Action::AssignUnit(AssignUnit {
                incident_id,
                unit_id: unit(u),
                expected_unit_version: version,
                eta_s: 30,
                breach: false,
            })
        }),
        (incident(), 1u8..=4).prop_map(|(incident_id, to_ring)| Action::Escalate(Escalate {
            incident_id,
            to_ring: Ring::try_from(to_ring).unwrap(),
            target_s: 180,
            reason: "test".into(),
        })),
        incident().prop_map(|incident_id| Action::ResolveIncident(ResolveIncident {
            incident_id,
            reason: "done".into(),
        })),
        incident().prop_map(|incident_id| Action::MarkUnresourced(MarkUnresourced {
            incident_id,
            reason: "no unit in any ring".into(),
        })),
        (0usize..ACTORS.len(), 1u64..3, 0u64..4).prop_map(|(actor, node, epoch)| {
            Action::PlaceActor(PlaceActor {
                actor: ACTORS[actor].parse().unwrap(),
                node,
                epoch,
            })
        }),
    ]
}

/// Incident-heavy commands: every action that moves an incident, proposed
/// by the operator (never fenced), with fresh request ids, so long
/// lifecycles (triage, assignment, en route, on scene, escalation, closing)
/// happen often.
fn arb_incident_commands() -> impl Strategy<Value = Vec<Command>> {
    let incident = || (1u64..4).prop_map(IncidentId);
    let moves = prop_oneof![
        arb_action(),
        (incident(), 0usize..UNITS, 0u64..4).prop_map(|(incident_id, u, version)| {
            Action::AssignUnit(AssignUnit {
                incident_id,
                unit_id: unit(u),
                expected_unit_version: version,
                eta_s: 30,
                breach: false,
            })
        }),
        (
            0usize..UNITS,
            prop_oneof![Just(UnitStatus::EnRoute), Just(UnitStatus::OnScene)]
        )
            .prop_map(|(u, status)| Action::UpdateUnitStatus(UpdateUnitStatus {
                unit_id: unit(u),
                status,
                position: None,
                expected_version: None,
            })),
        incident().prop_map(|incident_id| Action::CancelIncident(CancelIncident {
            incident_id,
            reason: "false alarm".into(),
        })),
        incident().prop_map(|incident_id| Action::RequestMutualAid(RequestMutualAid {
            incident_id,
            to_station: "xiaodongmen".into(),
            reason: "busy".into(),
        })),
    ];
    proptest::collection::vec(moves, 1..120).prop_map(|actions| {
        actions
            .into_iter()
            .enumerate()
            .map(|(i, action)| {
                Command::new(
                    RequestId(format!("move-{i}")),
                    1_000 + i as u64,
                    Origin::Operator,
                    action,
                )
            })
            .collect()
    })
}

/// Commands with request ids drawn from a small pool, so retries are common.
fn arb_commands() -> impl Strategy<Value = Vec<Command>> {
    proptest::collection::vec((0u32..40, arb_origin(), arb_action()), 1..120).prop_map(|items| {
        items
            .into_iter()
            .enumerate()
            .map(|(i, (request, origin, action))| {
                Command::new(
                    RequestId(format!("req-{request}")),
                    1_000 + i as u64,
                    origin,
                    action,
                )
            })
            .collect()
    })
}

fn run(commands: &[Command]) -> (Ledger, Vec<Applied>) {
    let mut ledger = Ledger::default();
    ledger.apply(1, &roster_command());
    let answers = commands
        .iter()
        .enumerate()
        .map(|(i, command)| ledger.apply(i as u64 + 2, command))
        .collect();
    (ledger, answers)
}

/// No unit is assigned to two open incidents, and assignments agree both ways.
fn assert_assignments_consistent(ledger: &Ledger) -> Result<(), TestCaseError> {
    let mut holders: std::collections::BTreeMap<&UnitId, Vec<IncidentId>> = Default::default();
    for incident in ledger.incidents().filter(|i| i.status.is_open()) {
        for unit_id in &incident.units {
            holders.entry(unit_id).or_default().push(incident.id);
        }
    }
    for (unit_id, incidents) in &holders {
        prop_assert_eq!(incidents.len(), 1, "{} held by {:?}", unit_id, incidents);
        prop_assert_eq!(
            ledger.unit(unit_id).unwrap().assigned_to,
            Some(incidents[0])
        );
    }
    for unit in ledger.units() {
        if let Some(incident_id) = unit.assigned_to {
            let incident = ledger.incident(incident_id).unwrap();
            prop_assert!(incident.status.is_open() && incident.units.contains(&unit.id));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_unit_is_ever_assigned_to_two_open_incidents(commands in arb_commands()) {
        // After every command, each unit has at most one open incident, and both sides agree.
        let mut ledger = Ledger::default();
        ledger.apply(1, &roster_command());
        for (i, command) in commands.iter().enumerate() {
            ledger.apply(i as u64 + 2, command);
            assert_assignments_consistent(&ledger)?;
        }
    }

    #[test]
    fn a_stale_epoch_is_never_applied(commands in arb_commands()) {
        // A command from an actor is accepted only under the actor's current epoch.
        let mut ledger = Ledger::default();
        ledger.apply(1, &roster_command());
        for (i, command) in commands.iter().enumerate() {
            let current = match &command.origin {
                Origin::Actor { actor, .. } => ledger.placement(actor).map(|p| p.epoch),
                _ => None,
            };
            let answer = ledger.apply(i as u64 + 2, command);
            if let (Origin::Actor { epoch, .. }, false) = (&command.origin, answer.deduplicated) {
                if !matches!(answer.effect, Effect::Rejected { .. }) {
                    prop_assert_eq!(Some(*epoch), current);
                }
            }
        }
    }

    #[test]
    fn a_request_id_takes_effect_once(commands in arb_commands()) {
        // A retry (the same id and action) answers exactly as the first apply
        // did; the same id with another action is refused naming the first
        // use, and the answer the ledger remembers stays the first one.
        let mut ledger = Ledger::default();
        ledger.apply(1, &roster_command());
        let mut firsts: BTreeMap<RequestId, (Action, Applied)> = BTreeMap::new();
        let mut created = 0;
        for (i, command) in commands.iter().enumerate() {
            let answer = ledger.apply(i as u64 + 2, command);
            match firsts.get(&command.request_id) {
                None => {
                    firsts.insert(command.request_id.clone(), (command.action.clone(), answer.clone()));
                }
                Some((action, first)) if *action == command.action => {
                    prop_assert!(answer.deduplicated);
                    prop_assert_eq!(&answer.effect, &first.effect);
                    prop_assert_eq!(answer.index, first.index);
                }
                Some((_, first)) => {
                    let reused = Rejection::RequestIdReused {
                        request_id: command.request_id.clone(),
                        first_index: first.index,
                    };
                    prop_assert_eq!(&answer.effect, &Effect::Rejected { rejection: reused });
                    prop_assert!(!answer.deduplicated);
                }
            }
            if !answer.deduplicated && matches!(answer.effect, Effect::IncidentReported { .. }) {
                created += 1;
            }
        }
        for (request_id, (_, first)) in &firsts {
            prop_assert_eq!(ledger.request(request_id), Some(first), "{}", request_id);
        }
        prop_assert_eq!(created, ledger.incident_count());
    }

    #[test]
    fn apply_is_deterministic_and_timelines_verify(commands in arb_commands()) {
        // Two replicas applying the same log end in the same state, with intact hash chains.
        let (first, first_answers) = run(&commands);
        let (second, second_answers) = run(&commands);
        prop_assert_eq!(&first, &second);
        prop_assert_eq!(first_answers, second_answers);
        for incident in first.incidents() {
            prop_assert_eq!(audit::verify(&incident.timeline), Ok(()));
        }
    }

    #[test]
    fn rejected_commands_change_nothing(commands in arb_commands()) {
        // A rejection or a retry leaves incidents, units and placements exactly as they were.
        let mut ledger = Ledger::default();
        ledger.apply(1, &roster_command());
        for (i, command) in commands.iter().enumerate() {
            let before = ledger.clone();
            let answer = ledger.apply(i as u64 + 2, command);
            if matches!(answer.effect, Effect::Rejected { .. }) || answer.deduplicated {
                prop_assert!(before.incidents().eq(ledger.incidents()));
                prop_assert!(before.units().eq(ledger.units()));
                prop_assert!(before.placements().eq(ledger.placements()));
                prop_assert_eq!(before.pending_count(), ledger.pending_count());
            }
        }
    }

    #[test]
    fn an_unresourced_mark_lasts_only_until_the_incident_is_answered(commands in arb_commands()) {
        // A marked incident is open, its mark is the one unresourced step of
        // its trail since it was last answered, and nothing answered it since.
        let (ledger, _) = run(&commands);
        for incident in ledger.incidents() {
            let Some(mark) = &incident.unresourced else { continue };
            prop_assert!(incident.status.is_open(), "{:?}", incident);
            let since: Vec<&TimelineStep> = incident
                .timeline
                .iter()
                .filter(|entry| entry.index >= mark.since_index)
                .map(|entry| &entry.step)
                .collect();
            prop_assert_eq!(since.first(), Some(&&TimelineStep::Unresourced));
            prop_assert!(
                since[1..].iter().all(|step| !matches!(
                    step,
                    TimelineStep::Assigned { .. }
                        | TimelineStep::Escalated
                        | TimelineStep::Unresourced
                )),
                "{:?}",
                since
            );
        }
    }

    #[test]
    fn unit_status_reports_follow_the_transition_table(commands in arb_commands()) {
        // Every applied status report moved its unit along the table (or kept
        // its status); a report the table forbids changed nothing.
        let mut ledger = Ledger::default();
        ledger.apply(1, &roster_command());
        for (i, command) in commands.iter().enumerate() {
            let Action::UpdateUnitStatus(report) = &command.action else {
                ledger.apply(i as u64 + 2, command);
                continue;
            };
            let before = ledger.unit(&report.unit_id).map(|unit| unit.status);
            let answer = ledger.apply(i as u64 + 2, command);
            if let (Some(from), Effect::UnitUpdated { .. }, false) =
                (before, &answer.effect, answer.deduplicated)
            {
                prop_assert!(from.may_become(report.status), "{from} -> {}", report.status);
            }
        }
    }

    #[test]
    fn incident_timelines_follow_the_status_table(commands in arb_incident_commands()) {
        // Every timeline starts reported, and each step either keeps the
        // status of an open incident or makes a move the table allows.
        let (ledger, _) = run(&commands);
        for incident in ledger.incidents() {
            let statuses: Vec<IncidentStatus> =
                incident.timeline.iter().map(|entry| entry.status).collect();
            prop_assert_eq!(statuses.first(), Some(&IncidentStatus::Reported));
            prop_assert_eq!(statuses.last(), Some(&incident.status));
            for pair in statuses.windows(2) {
                let (from, to) = (pair[0], pair[1]);
                prop_assert!(
                    (from == to && from.is_open()) || from.may_become(to),
                    "{}: {} -> {} in {:?}", incident.id, from, to, statuses
                );
            }
        }
    }
}

#[test]
fn out_of_range_priority_is_rejected_with_its_field() {
    // Bad input names the field and the allowed range, and is not applied.
    let mut ledger = Ledger::default();
    let command = Command::new(
        RequestId("bad-priority".into()),
        5,
        Origin::Operator,
        Action::ReportIncident(NewIncident {
            kind: IncidentKind::Theft,
            priority: 11,
            force_level: 1,
            location: Position::from_degrees(31.24, 121.48).unwrap(),
            channel: Channel::EmergencyCall,
            description: String::new(),
        }),
    );
    let error = command.check().unwrap_err();
    assert!(error.to_string().contains("priority = 11"), "{error}");
    let answer = ledger.apply(1, &command);
    assert!(matches!(answer.effect, Effect::Rejected { .. }));
    assert_eq!(ledger.incident_count(), 0);
}

#[test]
fn an_edited_timeline_fails_verification() {
    // The hash chain catches an edited reason in the audit trail.
    let mut ledger = Ledger::default();
    ledger.apply(1, &roster_command());
    let report = Command::new(
        RequestId("r".into()),
        10,
        Origin::Operator,
        Action::ReportIncident(NewIncident {
            kind: IncidentKind::Theft,
            priority: 3,
            force_level: 1,
            location: Position::from_degrees(31.24, 121.48).unwrap(),
            channel: Channel::EmergencyCall,
            description: String::new(),
        }),
    );
    ledger.apply(2, &report);
    let triage = Command::new(
        RequestId("t".into()),
        11,
        Origin::Operator,
        Action::TriageIncident(TriageIncident {
            incident_id: IncidentId(1),
            ring: Ring::StreetPatrol,
            station: Some("bund".into()),
            run_card: "theft".into(),
            target_s: 300,
            major: false,
        }),
    );
    ledger.apply(3, &triage);
    let mut timeline = ledger.incident(IncidentId(1)).unwrap().timeline.clone();
    assert_eq!(audit::verify(&timeline), Ok(()));
    timeline[0].reason = "nothing happened".into();
    assert_eq!(audit::verify(&timeline), Err(0));
    assert_eq!(
        ledger.pending_for(&ActorId::Station("bund".into())).count(),
        1
    );
}

#[test]
fn a_second_assignment_of_a_busy_unit_is_refused_naming_its_invariant() {
    // The ledger refuses to put a unit on a second open incident and names the invariant it keeps.
    let mut ledger = Ledger::default();
    ledger.apply(1, &roster_command());
    let report = |request: &str| {
        Command::new(
            RequestId(request.into()),
            10,
            Origin::Operator,
            Action::ReportIncident(NewIncident {
                kind: IncidentKind::Theft,
                priority: 3,
                force_level: 1,
                location: Position::from_degrees(31.24, 121.48).unwrap(),
                channel: Channel::EmergencyCall,
                description: String::new(),
            }),
        )
    };
    let triage = |request: &str, id: u64| {
        Command::new(
            RequestId(request.into()),
            11,
            Origin::Operator,
            Action::TriageIncident(TriageIncident {
                incident_id: IncidentId(id),
                ring: Ring::StreetPatrol,
                station: None,
                run_card: "theft".into(),
                target_s: 300,
                major: false,
            }),
        )
    };
    let assign = |request: &str, id: u64, version: u64| {
        Command::new(
            RequestId(request.into()),
            12,
            Origin::Operator,
            Action::AssignUnit(AssignUnit {
                incident_id: IncidentId(id),
                unit_id: unit(1),
                expected_unit_version: version,
                eta_s: 30,
                breach: false,
            }),
        )
    };
    for (index, command) in [
        report("r1"),
        report("r2"),
        triage("t1", 1),
        triage("t2", 2),
        assign("a1", 1, 1),
    ]
    .iter()
    .enumerate()
    {
        let answer = ledger.apply(index as u64 + 2, command);
        assert!(
            !matches!(answer.effect, Effect::Rejected { .. }),
            "{answer:?}"
        );
    }
    let second = ledger.apply(20, &assign("a2", 2, 2));
    let Effect::Rejected { rejection } = second.effect else {
        panic!("a busy unit was assigned again: {second:?}");
    };
    assert_eq!(
        rejection.invariant(),
        Some(cordon_consensus::invariants::Invariant::UnitAssignedOnce)
    );
}

#[test]
fn a_status_the_table_forbids_is_refused_naming_what_is_allowed() {
    // A unit out of service reports on scene: refused, the unit unchanged,
    // the answer naming the one status it may report next.
    let mut ledger = Ledger::default();
    ledger.apply(1, &roster_command());
    let report = |status| {
        Command::new(
            RequestId(format!("report-{status}")),
            2,
            Origin::Operator,
            Action::UpdateUnitStatus(UpdateUnitStatus {
                unit_id: unit(1),
                status,
                position: None,
                expected_version: None,
            }),
        )
    };
    let out = ledger.apply(2, &report(UnitStatus::OutOfService));
    assert!(matches!(out.effect, Effect::UnitUpdated { .. }), "{out:?}");
    let refused = ledger.apply(3, &report(UnitStatus::OnScene));
    let Effect::Rejected { rejection } = refused.effect else {
        panic!("on scene from out of service was applied: {refused:?}");
    };
    assert_eq!(
        rejection.to_string(),
        "unit unit-1 is out_of_service: it cannot become on_scene; it can become available"
    );
    assert_eq!(
        ledger.unit(&unit(1)).unwrap().status,
        UnitStatus::OutOfService
    );
    // Nothing but an assignment dispatches a unit.
    assert!(UnitStatus::ALL
        .iter()
        .all(|status| !status.next_statuses().contains(&UnitStatus::Dispatched)));
}

/// An operator's command under `request`.
fn operator(request: &str, action: Action) -> Command {
    Command::new(RequestId(request.into()), 10, Origin::Operator, action)
}

/// A theft report.
fn theft() -> Action {
    Action::ReportIncident(NewIncident {
        kind: IncidentKind::Theft,
        priority: 3,
        force_level: 1,
        location: Position::from_degrees(31.24, 121.48).unwrap(),
        channel: Channel::EmergencyCall,
        description: String::new(),
    })
}

/// Incident `id` triaged to ring 3.
fn triage(id: u64) -> Action {
    Action::TriageIncident(TriageIncident {
        incident_id: IncidentId(id),
        ring: Ring::StreetPatrol,
        station: None,
        run_card: "theft".into(),
        target_s: 300,
        major: false,
    })
}

/// Unit 1 (at version 1) assigned to incident `id`.
fn assign_unit_one(id: u64) -> Action {
    Action::AssignUnit(AssignUnit {
        incident_id: IncidentId(id),
        unit_id: unit(1),
        expected_unit_version: 1,
        eta_s: 30,
        breach: false,
    })
}

/// The rejection's message, or a failure naming what was applied instead.
fn refusal(answer: Applied) -> String {
    match answer.effect {
        Effect::Rejected { rejection } => rejection.to_string(),
        other => panic!("applied instead of refused: {other:?}"),
    }
}

#[test]
fn an_incident_move_the_table_forbids_is_refused_naming_what_is_allowed() {
    // An incident triaged twice, one assigned before triage and one resolved
    // after it was cancelled: each refused, the incident unchanged, the
    // answer naming the statuses it can move to.
    let mut ledger = Ledger::default();
    ledger.apply(1, &roster_command());

    // Phase 1: incident 1 reported, triaged and assigned; incident 2 only reported.
    for (index, command) in [
        operator("r1", theft()),
        operator("t1", triage(1)),
        operator("a1", assign_unit_one(1)),
        operator("r2", theft()),
    ]
    .iter()
    .enumerate()
    {
        let answer = ledger.apply(index as u64 + 2, command);
        assert!(
            !matches!(answer.effect, Effect::Rejected { .. }),
            "{answer:?}"
        );
    }
    let assigned = ledger.incident(IncidentId(1)).unwrap().clone();
    assert_eq!(assigned.status, IncidentStatus::Assigned);

    // Phase 2: a second triage of the assigned incident is refused.
    assert_eq!(
        refusal(ledger.apply(10, &operator("t1-again", triage(1)))),
        "incident I-000001 is assigned: it cannot become triaged; it can become en_route, on_scene, escalated, resolved or cancelled"
    );
    assert_eq!(ledger.incident(IncidentId(1)), Some(&assigned));

    // Phase 3: a unit cannot be assigned to an incident not yet triaged.
    assert_eq!(
        refusal(ledger.apply(11, &operator("a2", assign_unit_one(2)))),
        "incident I-000002 is reported: it cannot become assigned; it can become triaged, escalated, resolved or cancelled"
    );

    // Phase 4: a cancelled incident cannot be resolved: nothing follows a close.
    let cancel = Action::CancelIncident(CancelIncident {
        incident_id: IncidentId(1),
        reason: "duplicate".into(),
    });
    ledger.apply(12, &operator("c1", cancel));
    let resolve = Action::ResolveIncident(ResolveIncident {
        incident_id: IncidentId(1),
        reason: "done".into(),
    });
    assert_eq!(
        refusal(ledger.apply(13, &operator("x1", resolve))),
        "incident I-000001 is cancelled: it cannot become resolved; a closed incident stays closed"
    );
    assert_eq!(
        ledger.incident(IncidentId(1)).unwrap().status,
        IncidentStatus::Cancelled
    );
}
