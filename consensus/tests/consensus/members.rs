//! A member of the community forces on their phone acts for the team the
//! roster puts them in, judged when each command applies: they check their
//! own team in and verify nothing else; moved to another team, they act
//! for the new one and no longer for the old; taken off a team, or marked
//! unavailable, for none.
//! The roster's changes, which decide that, are on the operator audit log.

use cordon_consensus::ledger::{
    Action, CheckIn, Command, Effect, Ledger, LoadMembers, LoadRoster, Member, MemberRole, Origin,
    Position, RequestId, Ring, Role, RosterUnit, SetMemberAvailability, Shift, UnitId,
};

/// A ledger and the next log index to apply at.
struct Log {
    ledger: Ledger,
    index: u64,
}

impl Log {
    /// Two guardian teams on the roster.
    fn with_teams() -> Log {
        let mut log = Log {
            ledger: Ledger::default(),
            index: 0,
        };
        let home = Position::from_degrees(31.2420, 121.4868).unwrap();
        let units = ["bund-1-guardians", "bund-2-guardians"].map(|id| RosterUnit {
            id: UnitId(id.into()),
            home,
            ring: Ring::Guardian,
            station: None,
        });
        let loaded = log.apply(
            Origin::System { node: 1 },
            Action::LoadRoster(LoadRoster {
                units: units.to_vec(),
                area: None,
                archive: None,
            }),
        );
        assert!(!matches!(loaded, Effect::Rejected { .. }), "{loaded:?}");
        log
    }

    fn apply(&mut self, origin: Origin, action: Action) -> Effect {
        self.index += 1;
        let request_id = RequestId(format!("req-{}", self.index));
        let command = Command::new(request_id, 2_000, origin, action);
        self.ledger.apply(self.index, &command).effect
    }

    /// Wang, of the roster, in `team` (or none).
    fn put_wang_in(&mut self, team: Option<&str>) {
        let wang = Member {
            id: "bund-wang".into(),
            name: "Wang Li".into(),
            role: MemberRole::Volunteer,
            team: team.map(|t| UnitId(t.into())),
            area: Some("bund".into()),
            contact: "app:wang.li".into(),
            skills: vec!["first_aid".into()],
            shifts: vec![Shift {
                days: 0b111_1111,
                start_min: 0,
                end_min: 24 * 60,
            }],
            available: true,
        };
        let effect = self.apply(
            client("commander-qian", "commander"),
            Action::LoadMembers(LoadMembers {
                members: vec![wang],
            }),
        );
        assert!(!matches!(effect, Effect::Rejected { .. }), "{effect:?}");
    }

    /// Whether Wang's phone may check `team` in now.
    fn wang_checks_in(&mut self, team: &str) -> bool {
        let effect = self.apply(
            client("wang-phone", "member:bund-wang"),
            Action::CheckIn(CheckIn {
                unit_id: UnitId(team.into()),
            }),
        );
        !matches!(effect, Effect::Rejected { .. })
    }
}

/// An API client with `role` written as text.
fn client(name: &str, role: &str) -> Origin {
    crate::plans::client(name, role.parse::<Role>().unwrap())
}

#[test]
fn a_member_acts_for_the_team_the_roster_puts_them_in_and_the_roster_is_audited() {
    // Phase 1: in team 1, Wang checks team 1 in, not team 2.
    let mut log = Log::with_teams();
    log.put_wang_in(Some("bund-1-guardians"));
    assert!(log.wang_checks_in("bund-1-guardians"));
    assert!(!log.wang_checks_in("bund-2-guardians"));

    // Phase 2: moved to team 2, the other way round.
    log.put_wang_in(Some("bund-2-guardians"));
    assert!(log.wang_checks_in("bund-2-guardians"));
    assert!(!log.wang_checks_in("bund-1-guardians"));

    // Phase 3: in no team, for none.
    log.put_wang_in(None);
    assert!(!log.wang_checks_in("bund-2-guardians"));

    // Phase 4: back in team 2 but marked unavailable (ill): for none.
    log.put_wang_in(Some("bund-2-guardians"));
    assert!(log.wang_checks_in("bund-2-guardians"));
    let effect = log.apply(
        client("commander-qian", "commander"),
        Action::SetMemberAvailability(SetMemberAvailability {
            member_id: "bund-wang".into(),
            available: false,
        }),
    );
    assert!(!matches!(effect, Effect::Rejected { .. }), "{effect:?}");
    assert!(!log.wang_checks_in("bund-2-guardians"));

    // Phase 5: the four loads and the availability change are on the
    // operator audit log, naming the commander.
    let audited: Vec<&str> = log
        .ledger
        .operator_audit()
        .iter()
        .map(|entry| entry.action.as_str())
        .collect();
    assert_eq!(
        audited,
        [
            "load_members",
            "load_members",
            "load_members",
            "load_members",
            "set_member_availability"
        ]
    );
    assert!(log.ledger.operator_audit()[0]
        .origin
        .to_string()
        .contains("commander-qian"));
}
