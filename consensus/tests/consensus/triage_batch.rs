//! A burst triaged in one entry leaves the ledger exactly as one triage per
//! incident would (timeline steps, dispatch messages, consumed triage
//! messages), and a batch that cannot apply in full changes no incident.

use cordon_consensus::ledger::{
    Action, ActorId, Applied, CancelIncident, Channel, Command, Effect, IncidentId, IncidentKind,
    IncidentStatus, Ledger, NewIncident, Origin, PlaceActor, Position, Rejection, RequestId, Ring,
    StationId, TimelineStep, TriageBatch, TriageIncident, TRIAGE_BATCH_ITEMS_MAX,
};

/// A ledger with the hub placed and `reports` incidents reported, each
/// waiting in the hub's queue for triage.
struct Log {
    ledger: Ledger,
    index: u64,
}

impl Log {
    fn with_reports(reports: u64) -> Log {
        let mut log = Log {
            ledger: Ledger::default(),
            index: 0,
        };
        let placed = log.apply(
            Origin::System { node: 1 },
            Action::PlaceActor(PlaceActor {
                actor: ActorId::Hub,
                node: 1,
                epoch: 1,
            }),
            Vec::new(),
        );
        assert!(matches!(placed.effect, Effect::ActorPlaced { .. }));
        for _ in 0..reports {
            let reported = log.apply(Origin::Operator, report(), Vec::new());
            assert!(matches!(reported.effect, Effect::IncidentReported { .. }));
        }
        log
    }

    fn apply(&mut self, origin: Origin, action: Action, consumes: Vec<u64>) -> Applied {
        self.index += 1;
        let request_id = RequestId(format!("req-{}", self.index));
        let mut command = Command::new(request_id, 1_000 + self.index, origin, action);
        command.consumes = consumes;
        self.ledger.apply(self.index, &command)
    }

    /// The hub proposes `action`, consuming the triage messages of every
    /// incident it names.
    fn hub(&mut self, action: Action, incidents: &[u64]) -> Applied {
        let consumes = self.triage_seqs(incidents);
        let origin = Origin::Actor {
            actor: ActorId::Hub,
            epoch: 1,
            node: 1,
        };
        self.apply(origin, action, consumes)
    }

    /// The sequence numbers of the hub's pending triage messages for `incidents`.
    fn triage_seqs(&self, incidents: &[u64]) -> Vec<u64> {
        self.ledger
            .pending_for(&ActorId::Hub)
            .filter(|envelope| {
                incidents.contains(&envelope.message.incident_id().map_or(0, |id| id.0))
            })
            .map(|envelope| envelope.seq)
            .collect()
    }

    fn status(&self, incident: u64) -> IncidentStatus {
        self.ledger.incident(IncidentId(incident)).unwrap().status
    }
}

fn report() -> Action {
    Action::ReportIncident(NewIncident {
        kind: IncidentKind::Theft,
        priority: 3,
        force_level: 1,
        location: Position::from_degrees(31.2394, 121.4760).unwrap(),
        channel: Channel::EmergencyCall,
        description: String::new(),
    })
}

fn triage(incident: u64) -> TriageIncident {
    TriageIncident {
        incident_id: IncidentId(incident),
        ring: Ring::StreetPatrol,
        station: Some(StationId::from("bund")),
        run_card: "theft".into(),
        target_s: 300,
        major: false,
    }
}

fn batch(incidents: &[u64]) -> Action {
    Action::TriageBatch(TriageBatch {
        items: incidents.iter().copied().map(triage).collect(),
    })
}

#[test]
fn a_burst_triaged_in_one_entry_reads_as_one_triage_per_incident() {
    // Phase 1: three reports wait for the hub; a second ledger triages them one by one.
    let mut burst = Log::with_reports(3);
    let mut single = Log::with_reports(3);
    for incident in 1..=3 {
        let applied = single.hub(Action::TriageIncident(triage(incident)), &[incident]);
        assert!(matches!(applied.effect, Effect::IncidentUpdated { .. }));
    }

    // Phase 2: the hub triages all three in one entry.
    let applied = burst.hub(batch(&[1, 2, 3]), &[1, 2, 3]);
    assert_eq!(applied.effect, Effect::IncidentsTriaged { count: 3 });

    // Phase 3: each incident is triaged with its own step, and the station has one dispatch each.
    let station = ActorId::Station(StationId::from("bund"));
    for incident in 1..=3 {
        assert_eq!(burst.status(incident), IncidentStatus::Triaged);
        let timeline = &burst
            .ledger
            .incident(IncidentId(incident))
            .unwrap()
            .timeline;
        assert_eq!(timeline.last().unwrap().step, TimelineStep::Triaged);
    }
    assert_eq!(burst.ledger.pending_for(&ActorId::Hub).count(), 0);
    let dispatched = |log: &Log| -> Vec<u64> {
        log.ledger
            .pending_for(&station)
            .map(|envelope| envelope.message.incident_id().map_or(0, |id| id.0))
            .collect()
    };
    assert_eq!(dispatched(&burst), vec![1, 2, 3]);
    assert_eq!(dispatched(&burst), dispatched(&single));
}

#[test]
fn a_batch_that_cannot_apply_in_full_changes_no_incident() {
    // Phase 1: three reports; incident 2 is cancelled before the hub's batch commits.
    let mut log = Log::with_reports(3);
    let seqs = log.triage_seqs(&[1, 2, 3]);
    let cancel = Action::CancelIncident(CancelIncident {
        incident_id: IncidentId(2),
        reason: "duplicate".into(),
    });
    let cancelled = log.apply(Origin::Operator, cancel, Vec::new());
    assert!(matches!(cancelled.effect, Effect::IncidentUpdated { .. }));

    // Phase 2: the batch read before the cancellation names incident 2 and is refused.
    let origin = Origin::Actor {
        actor: ActorId::Hub,
        epoch: 1,
        node: 1,
    };
    let kept: Vec<u64> = seqs
        .into_iter()
        .filter(|seq| log.ledger.pending_for(&ActorId::Hub).any(|e| e.seq == *seq))
        .collect();
    let refused = log.apply(origin, batch(&[1, 2, 3]), kept);
    assert!(
        matches!(
            refused.effect,
            Effect::Rejected {
                rejection: Rejection::IllegalIncidentTransition { .. }
            }
        ),
        "{refused:?}"
    );

    // Phase 3: incidents 1 and 3 still wait for triage, their messages still pending.
    assert_eq!(log.status(1), IncidentStatus::Reported);
    assert_eq!(log.status(3), IncidentStatus::Reported);
    assert_eq!(log.triage_seqs(&[1, 3]).len(), 2);
}

#[test]
fn a_batch_is_refused_before_apply_when_empty_too_long_or_naming_an_incident_twice() {
    // Each malformed batch names the field and the fix.
    let too_long: Vec<u64> = (1..=TRIAGE_BATCH_ITEMS_MAX as u64 + 1).collect();
    for incidents in [vec![], too_long, vec![1, 2, 1]] {
        let Err(Rejection::OutOfRange { field, fix, .. }) = batch(&incidents).check() else {
            panic!("a batch of {incidents:?} passed its check");
        };
        assert_eq!(field, "items");
        assert!(!fix.is_empty());
    }
    assert_eq!(batch(&[1, 2, 3]).check(), Ok(()));
}
