//! The ledger's table of request ids: a retry is answered from it, a
//! request id reused for another request is refused without touching the
//! first answer, and a rejection is forgotten after its window.

use cordon_consensus::ledger::{
    Action, Applied, ApprovePlan, Channel, Command, Credential, Effect, IncidentId, IncidentKind,
    Ledger, LoadRoster, NewIncident, Origin, PlanLine, PlanParts, PlanRole, Position, Principal,
    ProposePlan, RequestId, ResolveIncident, Ring, Role, RosterUnit, TriageIncident, UnitId,
    REJECTION_MEMORY_ENTRIES,
};

/// A theft report under `request_id`, described as `description`.
fn report(request_id: &str, description: &str) -> Command {
    Command::new(
        RequestId(request_id.into()),
        1_000,
        Origin::Operator,
        Action::ReportIncident(NewIncident {
            kind: IncidentKind::Theft,
            priority: 3,
            force_level: 1,
            location: Position::from_degrees(31.24, 121.48).unwrap(),
            channel: Channel::EmergencyCall,
            description: description.into(),
        }),
    )
}

/// The rejection's message, or a failure naming what was applied instead.
fn refusal(answer: &Applied) -> String {
    match &answer.effect {
        Effect::Rejected { rejection } => rejection.to_string(),
        other => panic!("applied instead of refused: {other:?} ({answer:?})"),
    }
}

#[test]
fn a_request_id_reused_for_another_request_is_refused_naming_its_first_use() {
    // Phase 1: a report under `r-1` at log index 2.
    let mut ledger = Ledger::default();
    let first = ledger.apply(2, &report("r-1", "bag taken"));
    assert!(
        matches!(first.effect, Effect::IncidentReported { .. }),
        "{first:?}"
    );

    // Phase 2: the client's retry of the same request carries a new time,
    // comes in from elsewhere and in another trace: it is the same request,
    // answered from the table.
    let mut retry = report("r-1", "bag taken");
    retry.proposed_at_ms = 9_000;
    retry.origin = Origin::Api {
        node: 3,
        client: "10.0.0.9:51000".into(),
        principal: Principal {
            name: "gateway-110".into(),
            roles: vec![Role::Reporter {
                channel: Channel::EmergencyCall,
            }],
            credential: Credential::Token {
                id: "0123456789abcdef".into(),
            },
        },
    };
    retry.traceparent = Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".into());
    let again = ledger.apply(3, &retry);
    assert!(again.deduplicated, "{again:?}");
    assert_eq!((again.index, &again.effect), (first.index, &first.effect));

    // Phase 3: the same id with another report is refused, naming the first use.
    let reused = ledger.apply(4, &report("r-1", "wallet taken"));
    assert_eq!(
        refusal(&reused),
        "request id r-1 was first used at log index 2 for a different request: use a new request id for a new request"
    );
    assert!(!reused.deduplicated);
    assert_eq!(ledger.incident_count(), 1);

    // Phase 4: the refusal did not replace the first answer: the table and
    // a further retry still give it.
    assert_eq!(ledger.request(&RequestId("r-1".into())), Some(&first));
    let later = ledger.apply(5, &report("r-1", "bag taken"));
    assert_eq!((later.index, &later.effect), (first.index, &first.effect));
}

#[test]
fn a_command_consuming_other_messages_is_another_request() {
    // The consumed messages are part of the request: an actor's answer under
    // a used id that handles another message is refused, not replayed.
    let mut ledger = Ledger::default();
    let actor = Origin::Actor {
        actor: "hub".parse().unwrap(),
        epoch: 0,
        node: 1,
    };
    let mut first = report("hub.e0.m1.a0", "");
    first.origin = actor.clone();
    first.consumes = vec![1];
    let answer = ledger.apply(2, &first);
    let mut other = first.clone();
    other.consumes = vec![2];
    let reused = ledger.apply(3, &other);
    assert_eq!(
        refusal(&reused),
        format!("request id hub.e0.m1.a0 was first used at log index {} for a different request: use a new request id for a new request", answer.index)
    );
}

/// An operator's command under `request_id`.
fn operator(request_id: &str, action: Action) -> Command {
    Command::new(
        RequestId(request_id.into()),
        1_000,
        Origin::Operator,
        action,
    )
}

#[test]
#[expect(clippy::too_many_lines, reason = "a test read as phases")]
fn a_rejection_is_forgotten_after_its_window_and_a_success_never() {
    // Phase 1: a major incident, triaged, whose plan is approved before the
    // hub proposed one: refused at log index 5.
    let mut ledger = Ledger::default();
    let team = RosterUnit {
        id: UnitId("team-1".into()),
        home: Position::from_degrees(31.24, 121.48).unwrap(),
        ring: Ring::SpecialPolice,
        station: None,
    };
    let roster = LoadRoster {
        units: vec![team],
        area: None,
        archive: None,
    };
    ledger.apply(2, &operator("roster", Action::LoadRoster(roster)));
    ledger.apply(3, &report("r-1", "crush at the Bund"));
    let triage = TriageIncident {
        incident_id: IncidentId(1),
        ring: Ring::SpecialPolice,
        station: None,
        run_card: "crowd".into(),
        target_s: 180,
        major: true,
    };
    ledger.apply(4, &operator("t-1", Action::TriageIncident(triage)));
    let approve = operator(
        "approve-1",
        Action::ApprovePlan(ApprovePlan {
            incident_id: IncidentId(1),
        }),
    );
    let early = ledger.apply(5, &approve);
    assert!(
        refusal(&early).contains("no plan awaits approval"),
        "{early:?}"
    );

    // Phase 2: the plan arrives; within the window a retry still gets the
    // old refusal, the same answer as its first attempt.
    let scene = Position::from_degrees(31.24, 121.49).expect("a valid position");
    let plan = ProposePlan {
        incident_id: IncidentId(1),
        parts: PlanParts {
            lines: vec![PlanLine {
                ring: Ring::SpecialPolice,
                unit_id: UnitId("team-1".into()),
                eta_s: 90,
                role: PlanRole::FirstResponse,
                destination: scene,
            }],
            cordon_points: Vec::new(),
            facilities: Vec::new(),
            shortfalls: Vec::new(),
        },
        auto_approve_at_ms: 60_000,
    };
    ledger.apply(6, &operator("p-1", Action::ProposePlan(plan)));
    let last_in_window = 5 + REJECTION_MEMORY_ENTRIES - 1;
    let replayed = ledger.apply(last_in_window, &approve);
    assert!(replayed.deduplicated, "{replayed:?}");
    assert_eq!(replayed.index, 5);

    // Phase 3: once the window has passed the retry is applied afresh, and
    // this time the plan is approved.
    let fresh = ledger.apply(last_in_window + 1, &approve);
    assert!(!fresh.deduplicated, "{fresh:?}");
    assert!(
        matches!(fresh.effect, Effect::IncidentUpdated { .. }),
        "{fresh:?}"
    );
    let approved = ledger
        .incident(IncidentId(1))
        .unwrap()
        .plan
        .clone()
        .unwrap();
    assert_eq!(approved.approved_index, Some(last_in_window + 1));

    // Phase 4: a success is never forgotten: long after, a retry is answered
    // from the table and approves nothing twice.
    let much_later = ledger.apply(last_in_window + 10 * REJECTION_MEMORY_ENTRIES, &approve);
    assert!(much_later.deduplicated, "{much_later:?}");
    assert_eq!(much_later.index, last_in_window + 1);
}

/// Applies three windows of refused commands (each resolving an unknown
/// incident under its own id), `per_entry` to a log entry, and checks that
/// the table holds one window's worth of commands, the oldest gone.
fn refuse_three_windows(per_entry: u64) {
    let mut ledger = Ledger::default();
    let commands = 3 * REJECTION_MEMORY_ENTRIES;
    for n in 1..=commands {
        let resolve = ResolveIncident {
            incident_id: IncidentId(404),
            reason: "done".into(),
        };
        let answer = ledger.apply(
            1 + (n - 1) / per_entry,
            &operator(&format!("x-{n}"), Action::ResolveIncident(resolve)),
        );
        assert!(
            matches!(answer.effect, Effect::Rejected { .. }),
            "{answer:?}"
        );
        assert!(ledger.remembered_rejection_count() as u64 <= REJECTION_MEMORY_ENTRIES);
    }
    assert_eq!(
        ledger.remembered_rejection_count() as u64,
        REJECTION_MEMORY_ENTRIES
    );
    let oldest_kept = commands - REJECTION_MEMORY_ENTRIES + 1;
    assert!(ledger
        .request(&RequestId(format!("x-{}", oldest_kept - 1)))
        .is_none());
    assert!(ledger
        .request(&RequestId(format!("x-{oldest_kept}")))
        .is_some());
}

#[test]
fn remembered_rejections_never_outgrow_the_window() {
    // One command to an entry.
    refuse_three_windows(1);
}

#[test]
fn remembered_rejections_stay_within_the_window_when_entries_carry_many_commands() {
    // 250 commands to an entry, as the proposer packs them under load: few
    // entries pass, yet the table still forgets by commands.
    refuse_three_windows(250);
}
