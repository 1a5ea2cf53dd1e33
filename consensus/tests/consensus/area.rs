//! The ledger's own position check: once the roster set the district's
//! area, a report or a unit position outside it is refused by the ledger
//! itself (whatever node or actor proposed it), naming the area.

use cordon_consensus::ledger::{
    Action, Applied, Area, Channel, Command, Effect, IncidentKind, Ledger, LoadRoster, NewIncident,
    Origin, Position, RequestId, Ring, RosterUnit, UnitId, UnitStatus, UpdateUnitStatus,
};

fn at(lat: f64, lon: f64) -> Position {
    Position::from_degrees(lat, lon).unwrap()
}

fn command(request_id: &str, action: Action) -> Command {
    Command::new(
        RequestId(request_id.into()),
        1_000,
        Origin::Operator,
        action,
    )
}

fn report(request_id: &str, location: Position) -> Command {
    command(
        request_id,
        Action::ReportIncident(NewIncident {
            kind: IncidentKind::Theft,
            priority: 3,
            force_level: 1,
            location,
            channel: Channel::EmergencyCall,
            description: String::new(),
        }),
    )
}

fn refusal(answer: &Applied) -> String {
    match &answer.effect {
        Effect::Rejected { rejection } => rejection.to_string(),
        other => panic!("applied instead of refused: {other:?}"),
    }
}

#[test]
fn positions_outside_the_area_are_refused_by_the_ledger() {
    // Phase 1: a roster that sets the area of the Bund.
    let mut ledger = Ledger::default();
    let roster = LoadRoster {
        units: vec![RosterUnit {
            id: UnitId("bund-1-a".into()),
            home: at(31.2394, 121.4860),
            ring: Ring::StreetPatrol,
            station: None,
        }],
        area: Some(Area {
            south_west: at(31.20, 121.45),
            north_east: at(31.26, 121.50),
            name: "huangpu".into(),
        }),
        archive: None,
    };
    ledger.apply(1, &command("roster", Action::LoadRoster(roster)));

    // Phase 2: a report at (0, 0) and one 400 km north are refused naming
    // the area; one on the Bund is taken.
    for (index, (id, location)) in [("equator", at(0.0, 0.0)), ("north", at(34.9, 121.48))]
        .into_iter()
        .enumerate()
    {
        let refused = refusal(&ledger.apply(index as u64 + 2, &report(id, location)));
        assert!(
            refused.contains("location")
                && refused.contains("huangpu and its margin: latitude 31.2000 to 31.2600"),
            "{refused}"
        );
    }
    let taken = ledger.apply(5, &report("bund", at(31.2394, 121.4860)));
    assert!(
        matches!(taken.effect, Effect::IncidentReported { .. }),
        "{taken:?}"
    );

    // Phase 3: a unit moved 420 km is refused, its position unchanged.
    let moved = UpdateUnitStatus {
        unit_id: UnitId("bund-1-a".into()),
        status: UnitStatus::OutOfService,
        position: Some(at(35.0, 121.48)),
        expected_version: None,
    };
    let refused = refusal(&ledger.apply(6, &command("moved", Action::UpdateUnitStatus(moved))));
    assert!(refused.contains("position"), "{refused}");
    let unit = ledger.unit(&UnitId("bund-1-a".into())).unwrap();
    assert_eq!(
        (unit.position, unit.status),
        (at(31.2394, 121.4860), UnitStatus::Available)
    );
    assert_eq!(ledger.incident_count(), 1);
}
