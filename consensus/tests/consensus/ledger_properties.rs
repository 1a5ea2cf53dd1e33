//! Property tests of the ledger: arbitrary command sequences keep its rules.

use cordon_consensus::ledger::{
    Action, Applied, Channel, Command, Effect, IncidentKind, Ledger, NewIncident, Origin, Position,
    RequestId, RosterUnit, UnitId, UnitStatus,
};
use proptest::prelude::*;

fn unit_ids() -> Vec<UnitId> {
    (0..4).map(|i| UnitId(format!("unit-{i}"))).collect()
}

fn roster_command() -> Command {
    Command {
        request_id: RequestId("roster".into()),
        proposed_at_ms: 1,
        origin: Origin::System { node: 1 },
        action: Action::LoadRoster {
            units: unit_ids()
                .into_iter()
                .map(|id| RosterUnit {
                    id,
                    home: Position::from_degrees(31.2394, 121.4760).unwrap(),
                })
                .collect(),
        },
    }
}

fn arb_action() -> impl Strategy<Value = Action> {
    let report = (0u8..=12, 0u8..=12, -95.0f64..95.0, 0usize..12).prop_map(
        |(priority, force_level, lat, kind)| {
            Action::ReportIncident(NewIncident {
                kind: IncidentKind::ALL[kind],
                priority,
                force_level,
                // Out-of-range latitudes are clamped by conversion only when valid.
                location: Position::from_degrees(lat.clamp(-90.0, 90.0), 121.47).unwrap(),
                channel: Channel::EmergencyCall,
                description: String::new(),
            })
        },
    );
    let status = (0usize..5, 0usize..8, proptest::option::of(0u64..6)).prop_map(
        |(unit, status, expected_version)| Action::UpdateUnitStatus {
            unit_id: UnitId(format!("unit-{unit}")),
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
        },
    );
    prop_oneof![report, status]
}

/// Commands with request ids drawn from a small pool, so retries are common.
fn arb_commands() -> impl Strategy<Value = Vec<Command>> {
    proptest::collection::vec((0u32..20, arb_action()), 1..80).prop_map(|items| {
        items
            .into_iter()
            .enumerate()
            .map(|(i, (request, action))| Command {
                request_id: RequestId(format!("req-{request}")),
                proposed_at_ms: 1_000 + i as u64,
                origin: Origin::Operator,
                action,
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

proptest! {
    #[test]
    fn a_request_id_takes_effect_once(commands in arb_commands()) {
        // Every retry of a request id answers exactly as its first apply did.
        let (ledger, answers) = run(&commands);
        for (command, answer) in commands.iter().zip(&answers) {
            let first = ledger.request(&command.request_id).expect("every valid id is remembered");
            prop_assert_eq!(&first.effect, &answer.effect);
            prop_assert_eq!(first.index, answer.index);
        }
        let created = answers
            .iter()
            .filter(|a| !a.deduplicated && matches!(a.effect, Effect::IncidentReported { .. }))
            .count();
        prop_assert_eq!(created, ledger.incident_count());
    }

    #[test]
    fn apply_is_deterministic(commands in arb_commands()) {
        // Two replicas applying the same log end in the same state.
        let (first, first_answers) = run(&commands);
        let (second, second_answers) = run(&commands);
        prop_assert_eq!(first, second);
        prop_assert_eq!(first_answers, second_answers);
    }

    #[test]
    fn rejected_commands_change_nothing(commands in arb_commands()) {
        // A rejection leaves incidents and units exactly as they were.
        let mut ledger = Ledger::default();
        ledger.apply(1, &roster_command());
        for (i, command) in commands.iter().enumerate() {
            let before_incidents: Vec<_> = ledger.incidents().cloned().collect();
            let before_units: Vec<_> = ledger.units().cloned().collect();
            let answer = ledger.apply(i as u64 + 2, command);
            if matches!(answer.effect, Effect::Rejected { .. }) || answer.deduplicated {
                prop_assert_eq!(before_incidents, ledger.incidents().cloned().collect::<Vec<_>>());
                prop_assert_eq!(before_units, ledger.units().cloned().collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn unit_versions_only_rise(commands in arb_commands()) {
        // A unit's version rises by one per accepted update and never falls.
        let mut ledger = Ledger::default();
        ledger.apply(1, &roster_command());
        for (i, command) in commands.iter().enumerate() {
            let before: Vec<u64> = ledger.units().map(|u| u.version).collect();
            ledger.apply(i as u64 + 2, command);
            let after: Vec<u64> = ledger.units().map(|u| u.version).collect();
            for (b, a) in before.iter().zip(&after) {
                prop_assert!(a == b || *a == b + 1);
            }
        }
    }
}

#[test]
fn out_of_range_priority_is_rejected_with_its_field() {
    // Bad input names the field and the allowed range, and is not applied.
    let mut ledger = Ledger::default();
    let command = Command {
        request_id: RequestId("bad-priority".into()),
        proposed_at_ms: 5,
        origin: Origin::Operator,
        action: Action::ReportIncident(NewIncident {
            kind: IncidentKind::Theft,
            priority: 11,
            force_level: 1,
            location: Position::from_degrees(31.24, 121.48).unwrap(),
            channel: Channel::EmergencyCall,
            description: String::new(),
        }),
    };
    let error = command.check().unwrap_err();
    assert!(error.to_string().contains("priority = 11"), "{error}");
    let answer = ledger.apply(1, &command);
    assert!(matches!(answer.effect, Effect::Rejected { .. }));
    assert_eq!(ledger.incident_count(), 0);
}
