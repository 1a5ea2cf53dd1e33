//! A mobilisation plan is kept whole in the ledger: its units with their
//! destinations, the cordon points, the nearest hospitals and safe houses,
//! and the shortfalls; a plan part beyond its bound is refused with the
//! field, the size found and the bound; a commander may amend a plan until
//! it is approved; a station's command room approves its own station's
//! plans only, the district any, and the plan names the level.

use cordon_consensus::ledger::{
    Action, AmendPlan, ApprovePlan, Channel, Command, CommandLevel, Credential, Effect,
    FacilityKind, IncidentId, IncidentKind, Ledger, LoadRoster, NewIncident, Origin, PlanFacility,
    PlanLine, PlanParts, PlanRole, PlanShortfall, Position, Principal, ProposePlan, Rejection,
    RequestId, Ring, Role, RosterUnit, StationId, TriageIncident, UnitId, PLAN_CORDON_POINTS_MAX,
    PLAN_FACILITY_TEXT_BYTES_MAX,
};

const INCIDENT: IncidentId = IncidentId(1);

/// A ledger and the next log index to apply at.
struct Log {
    ledger: Ledger,
    index: u64,
}

impl Log {
    /// A ledger with one ring-4 and one ring-3 unit and one major extreme
    /// act reported and triaged to ring 4.
    fn with_major_incident() -> Log {
        Log::with_major_incident_at(None)
    }

    /// The same, the incident owned by `station`.
    fn with_major_incident_at(station: Option<&str>) -> Log {
        let mut log = Log {
            ledger: Ledger::default(),
            index: 0,
        };
        let roster = [
            ("team-1", Ring::SpecialPolice),
            ("patrol-1", Ring::StreetPatrol),
        ]
        .map(|(id, ring)| RosterUnit {
            id: UnitId(id.into()),
            home: scene(),
            ring,
            station: None,
        });
        log.apply(Action::LoadRoster(LoadRoster {
            units: roster.to_vec(),
            area: None,
            archive: None,
        }));
        log.apply(Action::ReportIncident(NewIncident {
            kind: IncidentKind::ExtremeAct,
            priority: 9,
            force_level: 10,
            location: scene(),
            channel: Channel::EmergencyCall,
            description: String::new(),
        }));
        log.apply(Action::TriageIncident(TriageIncident {
            incident_id: INCIDENT,
            ring: Ring::SpecialPolice,
            station: station.map(StationId::from),
            run_card: "extreme-act-anywhere-p0".into(),
            target_s: 180,
            major: true,
        }));
        log
    }

    /// Applies `action` as the operator at the next index.
    fn apply(&mut self, action: Action) -> Effect {
        self.apply_as(Origin::Operator, action)
    }

    /// Applies `action` from `origin` at the next index.
    fn apply_as(&mut self, origin: Origin, action: Action) -> Effect {
        self.index += 1;
        let request_id = RequestId(format!("req-{}", self.index));
        let command = Command::new(request_id, 2_000, origin, action);
        self.ledger.apply(self.index, &command).effect
    }
}

/// An API client holding `role`, by a certificate the node verified.
pub(crate) fn client(name: &str, role: Role) -> Origin {
    Origin::Api {
        node: 1,
        client: "10.0.0.7:40000".into(),
        principal: Principal {
            name: name.into(),
            roles: vec![role],
            credential: Credential::Certificate {
                fingerprint: "00112233445566ff".into(),
            },
        },
    }
}

fn station_room(station: &str) -> Role {
    Role::Station {
        station: StationId::from(station),
    }
}

fn approve() -> Action {
    Action::ApprovePlan(ApprovePlan {
        incident_id: INCIDENT,
    })
}

#[test]
fn a_station_room_approves_its_own_plans_and_the_district_any() {
    // Phase 1: the Bund station's incident has a plan awaiting approval.
    let mut log = Log::with_major_incident_at(Some("bund"));
    log.apply(propose(whole_plan()));

    // Phase 2: Xiaodongmen's room is refused, told who may; nothing changes.
    let refused =
        rejection(log.apply_as(client("room-xdm", station_room("xiaodongmen")), approve()));
    assert!(refused.to_string().contains("station:bund"), "{refused}");
    let plan = log.ledger.incident(INCIDENT).unwrap().plan.clone().unwrap();
    assert_eq!((plan.approved_index, plan.approved_level), (None, None));

    // Phase 3: the Bund's own room approves, and the plan names its level.
    log.apply_as(client("room-bund", station_room("bund")), approve());
    let plan = log.ledger.incident(INCIDENT).unwrap().plan.clone().unwrap();
    assert!(plan.approved_index.is_some());
    let level = plan.approved_level.unwrap();
    assert_eq!(
        level,
        CommandLevel::Station {
            station: StationId::from("bund")
        }
    );
    assert_eq!(level.to_string(), "station:bund");

    // Phase 4: on a second ledger, Xiaodongmen's plan is approved by the
    // district command centre, whatever station owns it.
    let mut log = Log::with_major_incident_at(Some("xiaodongmen"));
    log.apply(propose(whole_plan()));
    log.apply_as(client("commander-qian", Role::Commander), approve());
    let plan = log.ledger.incident(INCIDENT).unwrap().plan.clone().unwrap();
    assert_eq!(plan.approved_level, Some(CommandLevel::District));
}

fn scene() -> Position {
    Position::from_degrees(31.2394, 121.4760).unwrap()
}

fn at(lat: f64, lon: f64) -> Position {
    Position::from_degrees(lat, lon).unwrap()
}

/// A plan with every part: two units (one on a cordon point), two cordon
/// points, a hospital and a safe house, and ring 4 short of 3 teams.
fn whole_plan() -> PlanParts {
    let line = |unit: &str, ring, role, destination| PlanLine {
        ring,
        unit_id: UnitId(unit.into()),
        eta_s: 60,
        role,
        destination,
    };
    let north = at(31.2410, 121.4760);
    PlanParts {
        lines: vec![
            line(
                "team-1",
                Ring::SpecialPolice,
                PlanRole::FirstResponse,
                scene(),
            ),
            line("patrol-1", Ring::StreetPatrol, PlanRole::Cordon, north),
        ],
        cordon_points: vec![north, at(31.2394, 121.4779)],
        facilities: vec![
            PlanFacility {
                kind: FacilityKind::Hospital,
                id: "huangpu-central".into(),
                name: "Huangpu Central Hospital".into(),
                position: at(31.2330, 121.4790),
                eta_s: 240,
            },
            PlanFacility {
                kind: FacilityKind::SafeHouse,
                id: "nanjing-road-safe-house".into(),
                name: "Nanjing Road safe house".into(),
                position: at(31.2390, 121.4770),
                eta_s: 90,
            },
        ],
        shortfalls: vec![PlanShortfall {
            ring: Ring::SpecialPolice,
            role: PlanRole::FirstResponse,
            units_missing: 3,
        }],
    }
}

fn propose(parts: PlanParts) -> Action {
    Action::ProposePlan(ProposePlan {
        incident_id: INCIDENT,
        parts,
        auto_approve_at_ms: 9_000,
    })
}

/// The rejection of `effect`, which must be one.
fn rejection(effect: Effect) -> Rejection {
    match effect {
        Effect::Rejected { rejection } => rejection,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn a_proposed_plan_keeps_all_its_parts() {
    // Phase 1: the plan is proposed and the incident holds it whole, every
    // part equal to what was proposed, awaiting approval.
    let mut log = Log::with_major_incident();
    let effect = log.apply(propose(whole_plan()));
    assert!(!matches!(effect, Effect::Rejected { .. }), "{effect:?}");
    let incident = log.ledger.incident(INCIDENT).unwrap();
    let plan = incident.plan.as_ref().expect("a plan");
    assert_eq!(plan.parts, whole_plan());
    assert_eq!(
        (plan.auto_approve_at_ms, plan.approved_index),
        (9_000, None)
    );

    // Phase 2: the audit trail says what the plan holds, shortfall included,
    // so a commander reading the trail alone sees the plan is short.
    let reason = &incident.timeline.last().unwrap().reason;
    assert!(
        reason.starts_with("2 units, 2 cordon points, 2 facilities, 3 units short"),
        "{reason}"
    );
}

#[test]
fn an_oversized_plan_part_is_refused_with_a_clear_error() {
    // Phase 1: one cordon point beyond the bound is refused before and at
    // apply, naming the field, the count and the bound; no plan is kept.
    let mut log = Log::with_major_incident();
    let mut parts = whole_plan();
    parts.cordon_points = vec![scene(); PLAN_CORDON_POINTS_MAX + 1];
    let action = propose(parts);
    let before = action.check().expect_err("too many cordon points");
    let applied = rejection(log.apply(action));
    assert_eq!(before, applied);
    assert_eq!(
        applied.to_string(),
        "cordon_points = 17 is out of range: a plan has 0 to 16 cordon_points"
    );
    assert!(log.ledger.incident(INCIDENT).unwrap().plan.is_none());

    // Phase 2: an overlong facility name and an empty shortfall are refused
    // the same way, each naming the offending item.
    let mut parts = whole_plan();
    parts.facilities[1].name = "x".repeat(PLAN_FACILITY_TEXT_BYTES_MAX + 1);
    let long_name = rejection(log.apply(propose(parts)));
    assert!(
        matches!(&long_name, Rejection::OutOfRange { field, .. } if field == "facilities[1].name"),
        "{long_name}"
    );
    let mut parts = whole_plan();
    parts.shortfalls[0].units_missing = 0;
    let empty = rejection(log.apply(propose(parts)));
    assert!(
        empty
            .to_string()
            .starts_with("shortfalls[0].units_missing = 0"),
        "{empty}"
    );

    // Phase 3: the whole plan within its bounds is then accepted.
    let effect = log.apply(propose(whole_plan()));
    assert!(!matches!(effect, Effect::Rejected { .. }), "{effect:?}");
}

#[test]
fn a_commander_amends_a_plan_before_approving_it_and_not_after() {
    // Phase 1: a plan of team-1 only awaits approval.
    let mut log = Log::with_major_incident();
    let mut parts = whole_plan();
    parts.lines.retain(|line| line.unit_id.0 == "team-1");
    log.apply(propose(parts));
    let amend = |drop: &[&str], add: &[&str]| {
        Action::AmendPlan(AmendPlan {
            incident_id: INCIDENT,
            drop_units: drop.iter().map(|unit| UnitId((*unit).into())).collect(),
            add_lines: add
                .iter()
                .map(|unit| PlanLine {
                    ring: Ring::StreetPatrol,
                    unit_id: UnitId((*unit).into()),
                    eta_s: 90,
                    role: PlanRole::Reinforcement,
                    destination: scene(),
                })
                .collect(),
        })
    };

    // Phase 2: dropping a unit the plan does not name, or adding one it
    // names, is refused naming the unit; nothing changes.
    let refused = rejection(log.apply(amend(&["patrol-1"], &[])));
    assert!(refused.to_string().contains("patrol-1"), "{refused}");
    let refused = rejection(log.apply(amend(&[], &["team-1"])));
    assert!(refused.to_string().contains("team-1"), "{refused}");
    assert!(
        amend(&[], &[]).check().is_err(),
        "an amendment that changes nothing"
    );

    // Phase 3: team-1 off, patrol-1 on: the plan holds patrol-1 alone and
    // the trail says who changed what.
    log.apply(amend(&["team-1"], &["patrol-1"]));
    let incident = log.ledger.incident(INCIDENT).unwrap();
    let lines: Vec<&str> = incident
        .plan
        .as_ref()
        .unwrap()
        .parts
        .lines
        .iter()
        .map(|line| line.unit_id.0.as_str())
        .collect();
    assert_eq!(lines, ["patrol-1"]);
    let last = incident.timeline.last().unwrap();
    assert_eq!(last.step.name(), "plan_amended");
    assert!(
        last.reason.contains("dropped team-1; added patrol-1"),
        "{}",
        last.reason
    );

    // Phase 4: once approved, the plan is no longer amended.
    log.apply(Action::ApprovePlan(cordon_consensus::ledger::ApprovePlan {
        incident_id: INCIDENT,
    }));
    let refused = rejection(log.apply(amend(&["patrol-1"], &[])));
    assert!(
        refused.to_string().contains("no plan awaits approval"),
        "{refused}"
    );
}
