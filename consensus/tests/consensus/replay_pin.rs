//! A pinned replay: seeded command sequences covering every action and
//! origin, applied to fresh ledgers, must give exactly the ledgers and
//! answers they gave when this test was written. It guards refactors of the
//! ledger (moves, renames, new types) against any change of behaviour.
//!
//! Commands are written as JSON so the test does not depend on how the
//! action types are spelled in Rust. A deliberate change of the ledger's
//! rules changes the digest: check that the change is intended, then update
//! [`PINNED_DIGEST`] to the value the failure prints.

use cordon_consensus::ledger::{audit, Command, Effect, Ledger};
use ring::digest::{Context, SHA256};

/// The digest of every ledger and answer of the seeded sequences. Changed
/// on purpose, each time checked by switching the new rule off and getting
/// the digest pinned before it back:
/// - unit status reports follow a transition table (c2aff26e…);
/// - storage format 4 adds the unresourced mark (an incident field, the
///   tail of marks), an escalation's target and an assignment's breach flag
///   (24ba9266… without them; 7ae2e0ec… with them alone);
/// - a request id reused for a different request is refused, and incident
///   statuses follow a transition table (44df0479… with these alone, over
///   24ba9266…);
/// - both of the last two together: f475c527…;
/// - a mobilisation plan kept whole (each line's destination, cordon
///   points, facilities, shortfalls, named in the trail's reason; with the
///   parts written back to bare lines and the old reason, 7ae2e0ec… over
///   the format-4 marks alone), with all of the above: fa121643….
/// - storage format 5 (#11): an API origin names its principal (a
///   commander with a token the sequence issues first, so the indices and
///   times of every command moved by one), units carry their station, and
///   an API client may no longer assign, escalate or ask for mutual aid
///   (no route does). Origins are hashed into the timelines, so no switch
///   gives the old digest back; the accepted actions still cover every
///   handler (asserted below): 5f35bccb….
/// - storage format 7 (#13): move-ups. With a unit's empty post left out of
///   the ledger's form, the old sequences gave 5f35bccb… again; then the
///   sequences gained seeded move-ups and a tail of them, and the ledger's
///   form its move-ups: 36a9d80f….
/// - storage format 8 (#14): crowd counts. With the new ledger field and
///   action in place, the old sequences gave 36a9d80f… again; then the tail
///   gained three crowd batches (kept, resent, refused for a conflicting
///   minute) and the ledger's form its counts: 7c940d5d….
/// - the hazard register (#14, same format): with its actions and fields in
///   place the sequences gave 7c940d5d… again; then the tail gained a hazard
///   round the loop (and a clearing refused before its confirmation, an
///   escalation refused before its deadline) and the ledger's form its
///   hazards: 1ccd983f….
/// - posts set by a hazard (#14, storage format 9): a unit's post says
///   what set it (a move-up or a hazard) instead of a move-up id, so the
///   tail's approved move-up encodes its post with the kind: 5707b27c….
/// - notes and owned waits (#15, storage format 10): an API client with
///   `dispatch` may assign again (a dispatcher's own choice, on the unit's
///   version), and an unresourced mark carries its acknowledgement. With
///   assignment back to the cluster's alone and an absent acknowledgement
///   left out of the ledger's form, the sequences gave 5707b27c… again; then
///   the tail gained an acknowledgement (twice) and two notes (one empty):
///   9835a6fa….
/// - the field's voice and unit timers (#15, storage format 11): with a
///   unit's status time, check-in, alert and clearing left out of the
///   ledger's form and the trail's step for a crew's acknowledgement off,
///   the sequences gave 9835a6fa… again; then the tail gained
///   `field_tail`: a3d14512….
/// - a commander's amendment of a plan (#15, same format): with the action
///   in place the sequences gave a3d14512… again; then `field_tail` gained
///   an amendment of incident 1's plan: 8f003fa7….
/// - the reassignment of a busy unit (#15, storage format 12): with the
///   action, the refactored assignment and a responder's view of an
///   incident awaiting a unit in place the sequences gave 8f003fa7… again;
///   then every sequence gained a tail reassigning unit 9: 632ce653….
/// - a partner's incident imported from an EIDO document (#16, same
///   format): with the action in place and the incident's new
///   `tracking_id` left out of the ledger's form the sequences gave
///   632ce653… again; then the tail (now `late_tail`) gained three imports:
///   fb488acd….
/// - the level of command that approved a plan (#16, same format): with the
///   plan's new `approved_level` left out of the ledger's form the
///   sequences gave fb488acd… again; with it (district, station, automatic
///   or operator, as each sequence approved): a18ed810….
/// - the golden four hours (#16, same format): with the actions in place
///   and the incident's new `public_info` left out of the ledger's form the
///   sequences gave a18ed810… again; then `late_tail` gained a flag, two
///   reminders and two releases: 1ab06873….
/// - the roster of people (#16, same format): with the actions and the
///   ledger's members in place the sequences gave 1ab06873… again; then
///   `late_tail` gained a load and two availability changes (dc7549d5…)
///   and the ledger's form the roster: af02eeb7….
/// - a station room's ask of the district (#16, storage format 13): with the
///   actions in place and the incident's `asks` left out of the ledger's
///   form the sequences gave af02eeb7… again; then `late_tail` gained two
///   asks (one refused) and two answers (one refused), and the form the
///   asks: 6f8e5d6a….
/// - mutual aid asked of neighbouring districts (#16, format 13): with
///   the action in place and the incident's `district_aid` left out of the
///   ledger's form the sequences gave 6f8e5d6a… again; then `late_tail`
///   gained two requests (one reached, one not) and a refused one, and the
///   form the requests: 6c2146a1….
/// - escalations name the level that decided them (#16, format 13): the
///   escalation step's words gained `by station:<id> (automatic)` or
///   `by district (automatic)`, which the hash chain covers: 63054e8b….
const PINNED_DIGEST: &str = "63054e8b3431ff3f850af8fd47285c8a20d66380cb17c850d50c36ca3e68ed17";
const SEQUENCES: u64 = 150;
/// The API origin of the tails' commander (the token `token()` issues).
const COMMANDER: &str = r#"{"api": {"node": 2, "client": "10.0.0.9:4000", "principal": {"name": "commander-qian", "roles": ["commander"], "credential": {"token": {"id": "00000000000000c1"}}}}}"#;
const COMMANDS_PER_SEQUENCE: u64 = 120;

/// xorshift64*: a small deterministic generator, the same on every machine.
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const POSITION: &str = r#"{"lat_e7": 312394000, "lon_e7": 1214760000}"#;
const ACTORS: [&str; 5] = [
    r#""hub""#,
    r#"{"station": "bund"}"#,
    r#"{"station": "xiaodongmen"}"#,
    r#"{"ring": 4}"#,
    r#"{"special_ops": "unit-0"}"#,
];
const STATUSES: [&str; 8] = [
    "available",
    "dispatched",
    "acknowledged",
    "en_route",
    "on_scene",
    "transporting",
    "returning",
    "out_of_service",
];

fn roster() -> String {
    let units: Vec<String> = (0..5)
        .map(|i| {
            let ring = if i == 0 { 4 } else { 1 + i % 3 };
            format!(r#"{{"id": "unit-{i}", "home": {POSITION}, "ring": {ring}}}"#)
        })
        .collect();
    format!(r#"{{"LoadRoster": {{"units": [{}]}}}}"#, units.join(", "))
}

/// The id of the API client's token.
const TOKEN_ID: &str = "00000000000000c1";

/// The operator issues the API client's token (a commander's) for the
/// whole sequence.
fn token() -> String {
    format!(
        r#"{{"request_id": "token", "proposed_at_ms": 1, "origin": "operator", "action": {{"IssueToken": {{"token_id": "{TOKEN_ID}", "principal": "commander-qian", "roles": ["commander"], "secret_sha256": "{}", "expires_at_ms": 86400000}}}}, "consumes": [], "traceparent": null}}"#,
        "ab".repeat(32)
    )
}

fn origin(rng: &mut Seeded) -> String {
    match rng.below(6) {
        0 | 5 => r#""operator""#.to_string(),
        1 => r#"{"system": {"node": 1}}"#.to_string(),
        2 => format!(
            r#"{{"api": {{"node": 2, "client": "10.0.0.9:4000", "principal": {{"name": "commander-qian", "roles": ["commander"], "credential": {{"token": {{"id": "{TOKEN_ID}"}}}}}}}}}}"#
        ),
        _ => format!(
            r#"{{"actor": {{"actor": {}, "epoch": {}, "node": {}}}}}"#,
            rng.pick(&ACTORS),
            rng.below(3),
            1 + rng.below(3)
        ),
    }
}

fn incident_action(rng: &mut Seeded, incident: u64) -> String {
    let ring = 1 + rng.below(4);
    let unit = rng.below(6);
    match rng.below(8) {
        0 => format!(
            r#"{{"TriageIncident": {{"incident_id": {incident}, "ring": {ring}, "station": {}, "run_card": "card", "target_s": {}, "major": {}}}}}"#,
            rng.pick(&[r#""bund""#, "null"]),
            30 + rng.below(300),
            rng.below(4) == 0
        ),
        1 | 2 => format!(
            r#"{{"AssignUnit": {{"incident_id": {incident}, "unit_id": "unit-{unit}", "expected_unit_version": {}, "eta_s": {}, "breach": false}}}}"#,
            1 + rng.below(3),
            10 + rng.below(200)
        ),
        3 => format!(
            r#"{{"Escalate": {{"incident_id": {incident}, "to_ring": {ring}, "target_s": 180, "reason": "too far"}}}}"#
        ),
        4 => format!(
            r#"{{"RequestMutualAid": {{"incident_id": {incident}, "to_station": "xiaodongmen", "reason": "busy"}}}}"#
        ),
        5 => format!(
            r#"{{"ProposePlan": {{"incident_id": {incident}, "parts": {{"lines": [{{"ring": {ring}, "unit_id": "unit-{unit}", "eta_s": 40, "role": "cordon", "destination": {POSITION}}}], "cordon_points": [{POSITION}], "facilities": [{{"kind": "hospital", "id": "renji", "name": "Renji Hospital", "position": {POSITION}, "eta_s": 240}}], "shortfalls": [{{"ring": 4, "role": "first_response", "units_missing": 1}}]}}, "auto_approve_at_ms": 9000}}}}"#
        ),
        6 => format!(r#"{{"ApprovePlan": {{"incident_id": {incident}}}}}"#),
        _ => format!(
            r#"{{"{}": {{"incident_id": {incident}, "reason": "done"}}}}"#,
            rng.pick(&["ResolveIncident", "CancelIncident"])
        ),
    }
}

fn action(rng: &mut Seeded) -> String {
    let incident = 1 + rng.below(4);
    match rng.below(12) {
        0 | 1 => format!(
            r#"{{"ReportIncident": {{"kind": "{}", "priority": {}, "force_level": {}, "location": {POSITION}, "channel": "emergency_call", "description": "seeded"}}}}"#,
            rng.pick(&["theft", "fire", "crowd_crush", "medical"]),
            rng.below(12),
            rng.below(12)
        ),
        2 | 3 => format!(
            r#"{{"UpdateUnitStatus": {{"unit_id": "unit-{}", "status": "{}", "position": null, "expected_version": {}}}}}"#,
            rng.below(6),
            rng.pick(&STATUSES),
            rng.pick(&["null", "1", "2", "3"])
        ),
        4 => format!(
            r#"{{"PlaceActor": {{"actor": {}, "node": {}, "epoch": {}}}}}"#,
            rng.pick(&ACTORS),
            1 + rng.below(3),
            rng.below(3)
        ),
        5 => match rng.below(4) {
            0 => format!(r#"{{"RetireNodeId": {{"node_id": {}}}}}"#, 1 + rng.below(5)),
            1 => format!(
                r#"{{"SetNodeDrained": {{"node_id": {}, "drained": {}}}}}"#,
                1 + rng.below(3),
                rng.below(2) == 0
            ),
            2 => r#"{"Dismiss": {"reason": "moot"}}"#.to_string(),
            _ => format!(
                r#"{{"LoadRoster": {{"units": [{{"id": "unit-{}", "home": {POSITION}, "ring": {}}}]}}}}"#,
                rng.below(7),
                1 + rng.below(4)
            ),
        },
        6 => {
            let id = 3 + rng.below(COMMANDS_PER_SEQUENCE);
            move_up_action(rng, id)
        }
        _ => incident_action(rng, incident),
    }
}

/// A move-up of ring 3 or 4 proposed (approved at once or not), or the
/// move-up proposed at log index `id` approved or declined.
fn move_up_action(rng: &mut Seeded, id: u64) -> String {
    match rng.below(4) {
        0 | 1 => format!(
            r#"{{"ProposeMoveUp": {{"parts": {{"ring": {}, "lines": [{{"unit_id": "unit-{}", "post": {POSITION}, "post_name": "Bund", "travel_s": 120}}], "coverage_before_ppm": 900000, "coverage_after_ppm": 950000, "reason": "below the floor"}}, "approve_now": {}}}}}"#,
            3 + rng.below(2),
            rng.below(6),
            rng.below(2) == 0
        ),
        2 => format!(r#"{{"ApproveMoveUp": {{"move_up_id": {id}}}}}"#),
        _ => format!(r#"{{"DeclineMoveUp": {{"move_up_id": {id}, "reason": "keep it"}}}}"#),
    }
}

fn command(rng: &mut Seeded, at_ms: u64) -> Command {
    let origin = origin(rng);
    let consumes = if origin.contains("actor") && rng.below(3) == 0 {
        format!("[{}]", 1 + rng.below(8))
    } else {
        "[]".to_string()
    };
    let json = format!(
        r#"{{"request_id": "req-{}", "proposed_at_ms": {at_ms}, "origin": {origin}, "action": {}, "consumes": {consumes}, "traceparent": null}}"#,
        rng.below(60),
        action(rng)
    );
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

/// The field's voice by `commander`: an alarm, a check-in, the alarm
/// cleared (then cleared again, refused), a note from the unit, a timer
/// the commander may not raise (only the hub or the operator may), and an
/// amendment of incident 1's plan.
fn field_tail(commander: &'static str) -> Vec<(&'static str, String)> {
    [
        r#"{"RaiseAlarm": {"unit_id": "unit-0"}}"#,
        r#"{"CheckIn": {"unit_id": "unit-0"}}"#,
        r#"{"ClearUnitAlert": {"unit_id": "unit-0"}}"#,
        r#"{"ClearUnitAlert": {"unit_id": "unit-0"}}"#,
        r#"{"FieldNote": {"unit_id": "unit-0", "text": "door forced"}}"#,
        r#"{"RaiseUnitTimer": {"unit_id": "unit-0", "kind": "ack_overdue", "expected_version": 1, "after_ms": 60000}}"#,
        r#"{"AmendPlan": {"incident_id": 1, "drop_units": ["unit-0"], "add_lines": []}}"#,
    ]
    .into_iter()
    .map(|action| (commander, action.to_string()))
    .collect()
}

/// After every other tail (the first incident id it reports is `next`):
/// unit 9 joins the roster, two incidents are reported and triaged, a
/// commander sends unit 9 to the first, then takes it to the second (and
/// once more, refused: it is no longer there); then a partner's incident is
/// imported, imported again with a new note, and closed by the partner; and
/// the first incident is flagged of public concern, reminded (twice, the
/// second refused) and released (twice, the second refused); and a member
/// is loaded onto the roster and made unavailable (an unknown one refused).
/// Built once the sequence has run, since the seeded commands decide how
/// many incidents came before.
fn late_tail(next: u64) -> Vec<(&'static str, String)> {
    let system = r#"{"system": {"node": 1}}"#;
    let report = format!(
        r#"{{"ReportIncident": {{"kind": "theft", "priority": 5, "force_level": 1, "location": {POSITION}, "channel": "emergency_call", "description": "tail"}}}}"#
    );
    let triage = |id: u64| {
        format!(
            r#"{{"TriageIncident": {{"incident_id": {id}, "ring": 3, "station": null, "run_card": "theft", "target_s": 300, "major": false}}}}"#
        )
    };
    let reassign = format!(
        r#"{{"ReassignUnit": {{"assign": {{"incident_id": {}, "unit_id": "unit-9", "expected_unit_version": 2, "eta_s": 60, "breach": false}}, "from_incident_id": {next}, "reason": "a more urgent call"}}}}"#,
        next + 1
    );
    vec![
        (
            system,
            format!(
                r#"{{"LoadRoster": {{"units": [{{"id": "unit-9", "home": {POSITION}, "ring": 3}}]}}}}"#
            ),
        ),
        (r#""operator""#, report.clone()),
        (r#""operator""#, report),
        (r#""operator""#, triage(next)),
        (r#""operator""#, triage(next + 1)),
        (
            COMMANDER,
            format!(
                r#"{{"AssignUnit": {{"incident_id": {next}, "unit_id": "unit-9", "expected_unit_version": 1, "eta_s": 60, "breach": false}}}}"#
            ),
        ),
        (COMMANDER, reassign.clone()),
        (COMMANDER, reassign),
        (r#""operator""#, import(r#"[]"#, "null")),
        (
            r#""operator""#,
            import(r#"[{"id": "n1", "text": "patient violent"}]"#, "null"),
        ),
        (r#""operator""#, import(r#"[]"#, r#""resolved""#)),
        (COMMANDER, public("FlagPublicConcern", r#""why": "a crowd at the river wall", "within_ms": 14400000"#)),
        (r#""operator""#, public("RemindPublicInfo", r#""reminder": 1"#)),
        (r#""operator""#, public("RemindPublicInfo", r#""reminder": 1"#)),
        (COMMANDER, public("ReleasePublicInfo", r#""text": "avoid the river wall""#)),
        (COMMANDER, public("ReleasePublicInfo", r#""text": "again""#)),
        (COMMANDER, ROSTER.to_string()),
        (COMMANDER, r#"{"SetMemberAvailability": {"member_id": "wang", "available": false}}"#.to_string()),
        (COMMANDER, r#"{"SetMemberAvailability": {"member_id": "nobody", "available": true}}"#.to_string()),
    ]
    .into_iter()
    .map(|(origin, action)| (origin, action.replace("{next}", &next.to_string())))
    .collect()
}

/// One member without a team.
const ROSTER: &str = r#"{"LoadMembers": {"members": [{"id": "wang", "name": "Wang Li", "role": "volunteer", "team": null, "area": "bund", "contact": "app:wang", "skills": ["first_aid"], "shifts": [{"days": 31, "start_min": 480, "end_min": 960}], "available": true}]}}"#;

/// A public-information action `name` on the tail's first incident
/// (`{next}`, filled in by the tail) with `fields`.
fn public(name: &str, fields: &str) -> String {
    format!(r#"{{"{name}": {{"incident_id": {{next}}, {fields}}}}}"#)
}

/// A partner's document about its incident H42, with `notes` and `closed`.
fn import(notes: &str, closed: &str) -> String {
    format!(
        r#"{{"ImportIncident": {{"tracking_id": "urn:emergency:uid:incidentid:H42:renji.example", "report": {{"kind": "medical", "priority": 7, "force_level": 1, "location": {POSITION}, "channel": "partner_feed", "description": "from the hospital"}}, "notes": {notes}, "closed": {closed}}}}}"#
    )
}

/// The tail's risk-sensing commands by `commander`: crowd counts at the
/// first minutes (kept, resent, then a conflicting minute refused whole),
/// and hazard `first_hazard` round the loop with an illegal move refused.
fn risk_sensing_tail(commander: &'static str, first_hazard: u64) -> Vec<(&'static str, String)> {
    // Crowd counts at the tail's first minutes: kept, resent, then a
    // conflicting minute refused whole.
    let counts = |count: u32| {
        format!(
            r#"{{"RecordCrowdCounts": {{"source": "cameras", "readings": [{{"sensor": "bund-north", "at_ms": 0, "count": {count}}}, {{"sensor": "bund-south", "at_ms": 60000, "count": 40}}]}}}}"#
        )
    };
    let crowd = [
        (commander, counts(30)),
        (commander, counts(30)),
        (commander, counts(31)),
    ];
    // A hazard round the loop, and an illegal move refused.
    let on_hazard = |action: &str, rest: &str| {
        format!(r#"{{"{action}": {{"hazard_id": {first_hazard}{rest}}}}}"#)
    };
    let report = r#"{"ReportHazard": {"area": "bund-riverside", "position": null, "station": "bund", "source": "patrol", "summary": "packed stairs"}}"#;
    let hazards = [
        (commander, report.to_string()),
        (
            commander,
            on_hazard("ClearHazard", r#", "note": "too soon""#),
        ),
        (
            commander,
            on_hazard("PushHazard", r#", "verifier": {"station": "bund"}"#),
        ),
        (
            commander,
            on_hazard("VerifyHazard", r#", "confirmed": true, "seen": "packed""#),
        ),
        (
            commander,
            on_hazard(
                "TakeHazardMeasure",
                r#", "kind": "flow_control", "unit_id": null, "note": "one-way""#,
            ),
        ),
        (commander, on_hazard("ClearHazard", r#", "note": "eased""#)),
        (commander, on_hazard("EscalateHazard", "")),
    ];
    crowd.into_iter().chain(hazards).collect()
}

/// The tail of every sequence from `index` on: ring 4 placed under a fresh
/// epoch marks each incident unresourced (twice, so a repeated mark is
/// covered), then proposes three move-ups of its unit and ring 3's: one a
/// commander approves, one superseded and the next declined. Seeded actor
/// origins rarely hold the current epoch and seeded ids rarely name a
/// proposal, so these come after the seeded commands rather than among them.
fn marks(index: u64) -> impl Iterator<Item = (u64, Command)> {
    let place = r#"{"PlaceActor": {"actor": {"ring": 4}, "node": 1, "epoch": 99}}"#.to_string();
    let marks = (0..8).map(|i| {
        format!(
            r#"{{"MarkUnresourced": {{"incident_id": {}, "reason": "no unit in any ring"}}}}"#,
            1 + i % 4
        )
    });
    let ring_four = r#"{"actor": {"actor": {"ring": 4}, "epoch": 99, "node": 1}}"#;
    let commander = COMMANDER;
    let first_move_up = index + 9;
    let propose = |ring: u8, unit: u8| {
        format!(
            r#"{{"ProposeMoveUp": {{"parts": {{"ring": {ring}, "lines": [{{"unit_id": "unit-{unit}", "post": {POSITION}, "post_name": "Bund", "travel_s": 90}}], "coverage_before_ppm": 800000, "coverage_after_ppm": 960000, "reason": "below the floor"}}, "approve_now": false}}}}"#
        )
    };
    let move_ups = [
        (ring_four, propose(4, 0)),
        (
            commander,
            format!(r#"{{"ApproveMoveUp": {{"move_up_id": {first_move_up}}}}}"#),
        ),
        (ring_four, propose(3, 2)),
        (ring_four, propose(3, 2)),
        (
            commander,
            format!(
                r#"{{"DeclineMoveUp": {{"move_up_id": {}, "reason": "keep them"}}}}"#,
                first_move_up + 3
            ),
        ),
    ];
    let risk = risk_sensing_tail(commander, first_move_up + 8);
    let tail = std::iter::once((r#"{"system": {"node": 1}}"#, place))
        .chain(marks.map(move |mark| (ring_four, mark)))
        .chain(move_ups)
        .chain(risk)
        .chain(hand_tail(commander))
        .chain(field_tail(commander));
    tail_commands(tail, index)
}

/// A person's hand: the first marked wait owned (then owned again,
/// refused), a note, and an empty note refused; then the district asked
/// for more (zero units refused), granted once.
fn hand_tail(commander: &'static str) -> Vec<(&'static str, String)> {
    vec![
        (
            commander,
            r#"{"AcknowledgeUnresourced": {"incident_id": 1}}"#.to_string(),
        ),
        (
            commander,
            r#"{"AcknowledgeUnresourced": {"incident_id": 1}}"#.to_string(),
        ),
        (
            commander,
            r#"{"AddNote": {"incident_id": 2, "text": "caller rang again"}}"#.to_string(),
        ),
        (
            commander,
            r#"{"AddNote": {"incident_id": 2, "text": " "}}"#.to_string(),
        ),
        // The district asked for more (zero units refused), granted once.
        (
            commander,
            r#"{"AskDistrict": {"incident_id": 2, "ring": 4, "units": 0, "reason": "more"}}"#.to_string(),
        ),
        (
            commander,
            r#"{"AskDistrict": {"incident_id": 2, "ring": 4, "units": 2, "reason": "the crowd is past our patrols"}}"#.to_string(),
        ),
        (
            commander,
            r#"{"AnswerDistrictAsk": {"incident_id": 2, "ask": 1, "granted": true, "note": "two teams come"}}"#.to_string(),
        ),
        (
            commander,
            r#"{"AnswerDistrictAsk": {"incident_id": 2, "ask": 1, "granted": false, "note": "again"}}"#.to_string(),
        ),
        // Mutual aid asked of two neighbours (one reached, one not), and a
        // request for no units refused.
        (
            commander,
            r#"{"RecordDistrictAid": {"incident_id": 2, "neighbour": "jingan", "units": 4, "reason": "spill-over", "tracking_id": "urn:emergency:uid:incidentid:I000002:huangpu.cordon.example", "delivery": {"Delivered": {"their_incident_id": "I-000007"}}}}"#.to_string(),
        ),
        (
            commander,
            r#"{"RecordDistrictAid": {"incident_id": 2, "neighbour": "xuhui", "units": 2, "reason": "ferry", "tracking_id": "urn:emergency:uid:incidentid:I000002:huangpu.cordon.example", "delivery": {"Failed": {"why": "no answer"}}}}"#.to_string(),
        ),
        (
            commander,
            r#"{"RecordDistrictAid": {"incident_id": 2, "neighbour": "xuhui", "units": 0, "reason": "ferry", "tracking_id": "urn:emergency:uid:incidentid:I000002:huangpu.cordon.example", "delivery": {"Failed": {"why": "no answer"}}}}"#.to_string(),
        ),
    ]
}

/// A tail's `(origin, action)` pairs as commands from log index `index` on.
fn tail_commands(
    tail: impl IntoIterator<Item = (&'static str, String)>,
    index: u64,
) -> impl Iterator<Item = (u64, Command)> {
    tail.into_iter()
        .zip(index..)
        .map(|((origin, action), index)| {
            let json = format!(
                r#"{{"request_id": "tail-{index}", "proposed_at_ms": {}, "origin": {origin}, "action": {action}, "consumes": [], "traceparent": null}}"#,
                1_000 + index * 7_000
            );
            let command = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
            (index, command)
        })
}

/// The ledger's state as its queries show it (its own serde form has map
/// keys JSON cannot hold). Timeline steps are written by their canonical
/// name, the form they had when the digest was pinned (storage format 3
/// added the unit to a step; the unit is checked against the hashed
/// reason by `audit::verify`, which this test runs on every timeline).
fn ledger_json(ledger: &Ledger) -> String {
    let incidents: Vec<_> = ledger.incidents().collect();
    for incident in &incidents {
        assert_eq!(audit::verify(&incident.timeline), Ok(()), "{incident:?}");
    }
    let units: Vec<_> = ledger.units().collect();
    let placements: Vec<_> = ledger.placements().collect();
    let actors = [
        "hub",
        "station:bund",
        "station:xiaodongmen",
        "ring:1",
        "ring:2",
        "ring:3",
        "ring:4",
        "special-ops:unit-0",
    ];
    let pending: Vec<Vec<_>> = actors
        .iter()
        .map(|actor| ledger.pending_for(&actor.parse().unwrap()).collect())
        .collect();
    let nodes: Vec<_> = (0..6)
        .map(|node| (ledger.is_retired_node_id(node), ledger.is_drained(node)))
        .collect();
    let move_ups: Vec<_> = ledger.move_ups().collect();
    let crowd: Vec<_> = ledger.crowd().sensors().collect();
    let hazards: Vec<_> = ledger.hazards().collect();
    let json = serde_json::to_string(&(incidents, units, placements, pending, nodes, move_ups))
        .unwrap()
        + &serde_json::to_string(&(crowd, hazards)).unwrap()
        + &serde_json::to_string(&ledger.members().collect::<Vec<_>>()).unwrap();
    steps_by_name(json, ledger)
}

/// Writes every timeline step that carries a unit by its name alone.
fn steps_by_name(mut json: String, ledger: &Ledger) -> String {
    for incident in ledger.incidents() {
        for entry in &incident.timeline {
            if let Some(unit) = entry.step.unit_id() {
                let typed = format!(
                    r#""step":{{"{}":{{"unit_id":"{}"}}}}"#,
                    entry.step.name(),
                    unit.0
                );
                json = json.replace(&typed, &format!(r#""step":"{}""#, entry.step.name()));
            }
        }
    }
    json
}

#[test]
fn seeded_sequences_replay_to_the_pinned_ledgers() {
    // Every sequence starts from a roster, then applies seeded commands; the
    // digest covers each answer and each final ledger.
    let mut total = Context::new(&SHA256);
    let mut accepted = std::collections::BTreeMap::<&str, u32>::new();
    for seed in 1..=SEQUENCES {
        let mut rng = Seeded(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut ledger = Ledger::default();
        let roster = format!(
            r#"{{"request_id": "roster", "proposed_at_ms": 1, "origin": {{"system": {{"node": 1}}}}, "action": {}, "consumes": [], "traceparent": null}}"#,
            roster()
        );
        ledger.apply(1, &serde_json::from_str(&roster).unwrap());
        ledger.apply(2, &serde_json::from_str(&token()).unwrap());
        let seeded = (3..COMMANDS_PER_SEQUENCE + 3)
            .map(|index| (index, command(&mut rng, 1_000 + index * 7_000)));
        let last = COMMANDS_PER_SEQUENCE + 3;
        let mut next_index = last;
        for (index, command) in seeded.chain(marks(last)) {
            let answer = ledger.apply(index, &command);
            if !answer.deduplicated && !matches!(answer.effect, Effect::Rejected { .. }) {
                *accepted.entry(command.action.name()).or_default() += 1;
            }
            total.update(serde_json::to_string(&answer).unwrap().as_bytes());
            next_index = index + 1;
        }
        let tail = late_tail(ledger.incidents_reported() + 1);
        for (index, command) in tail_commands(tail, next_index) {
            let answer = ledger.apply(index, &command);
            if !matches!(answer.effect, Effect::Rejected { .. }) {
                *accepted.entry(command.action.name()).or_default() += 1;
            }
            total.update(serde_json::to_string(&answer).unwrap().as_bytes());
        }
        total.update(ledger_json(&ledger).as_bytes());
    }
    let hex: String = total
        .finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    // The sequences reach every action, so the pin covers every handler.
    assert_eq!(accepted.len(), 42, "accepted actions: {accepted:?}");
    assert_eq!(hex, PINNED_DIGEST, "the ledger's behaviour changed");
}
