//! The ledger's table of request ids: a retry is answered from it, a
//! request id reused for another request is refused without touching the
//! first answer.

use cordon_consensus::ledger::{
    Action, Applied, Channel, Command, Effect, IncidentKind, Ledger, NewIncident, Origin, Position,
    RequestId,
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
