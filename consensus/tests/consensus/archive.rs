//! Costs that do not grow with history: closed incidents past the archive
//! policy leave the ledger's hot state for the node's archive store, where
//! they still read back whole; the snapshot holds only the hot state and
//! the archive's index; and the deadline watch visits only open incidents
//! whose deadline is due, however many incidents closed before.

use cordon_consensus::ledger::{
    Action, ActorId, Applied, ArchivePolicy, AssignUnit, CancelIncident, Channel, Command,
    Deadline, Effect, IncidentId, IncidentKind, Ledger, LoadRoster, NewIncident, Origin,
    PlaceActor, Position, Rejection, RequestId, Ring, RosterUnit, TriageIncident, UnitId,
};
use cordon_consensus::log_store::open_database;
use cordon_consensus::state_machine::StateMachine;
use cordon_consensus::types::{Entry, LogId, Proposal};
use openraft::storage::RaftStateMachine;
use openraft::{CommittedLeaderId, EntryPayload, RaftSnapshotBuilder};

const RING_FOUR: ActorId = ActorId::Ring(Ring::SpecialPolice);

/// Commands in log order, each stamped one second after the previous one.
#[derive(Default)]
struct Log {
    commands: Vec<Command>,
}

impl Log {
    fn push(&mut self, origin: Origin, action: Action) -> IncidentId {
        let index = self.commands.len() as u64 + 1;
        let request_id = RequestId(format!("req-{index}"));
        let at_ms = 1_000 * index;
        self.commands
            .push(Command::new(request_id, at_ms, origin, action));
        IncidentId(self.reports())
    }

    fn reports(&self) -> u64 {
        let is_report = |c: &&Command| matches!(c.action, Action::ReportIncident(_));
        self.commands.iter().filter(is_report).count() as u64
    }

    /// The roster (ring-4 units `team-1..=units`), ring 4's actor placed.
    fn with_roster(units: usize, policy: ArchivePolicy) -> Log {
        let mut log = Log::default();
        let roster = (1..=units)
            .map(|n| RosterUnit {
                id: UnitId(format!("team-{n}")),
                home: here(),
                ring: Ring::SpecialPolice,
                station: None,
            })
            .collect();
        log.push(
            Origin::System { node: 1 },
            Action::LoadRoster(LoadRoster {
                units: roster,
                area: None,
                archive: Some(policy),
            }),
        );
        log.push(
            Origin::System { node: 1 },
            Action::PlaceActor(PlaceActor {
                actor: RING_FOUR,
                node: 1,
                epoch: 1,
            }),
        );
        log
    }

    fn report(&mut self) -> IncidentId {
        self.push(
            Origin::Operator,
            Action::ReportIncident(NewIncident {
                kind: IncidentKind::Disturbance,
                priority: 5,
                force_level: 3,
                location: here(),
                channel: Channel::EmergencyCall,
                description: "crowd pushing at the river wall".into(),
            }),
        )
    }

    fn cancel(&mut self, incident_id: IncidentId) {
        self.push(
            Origin::Operator,
            Action::CancelIncident(CancelIncident {
                incident_id,
                reason: "duplicate call".into(),
            }),
        );
    }

    /// Reports an incident, triages it to ring 4 and assigns `unit`: it
    /// then waits on its on-scene deadline.
    fn assigned(&mut self, unit: &str) -> IncidentId {
        let incident_id = self.report();
        self.push(
            Origin::Operator,
            Action::TriageIncident(TriageIncident {
                incident_id,
                ring: Ring::SpecialPolice,
                station: None,
                run_card: "disturbance".into(),
                target_s: 600,
                major: false,
            }),
        );
        self.push(
            Origin::Actor {
                actor: RING_FOUR,
                epoch: 1,
                node: 1,
            },
            Action::AssignUnit(AssignUnit {
                incident_id,
                unit_id: UnitId(unit.into()),
                expected_unit_version: 1,
                eta_s: 240,
                breach: false,
            }),
        );
        incident_id
    }

    fn entries(&self) -> impl Iterator<Item = Entry> + '_ {
        self.commands.iter().enumerate().map(|(n, command)| Entry {
            log_id: LogId::new(CommittedLeaderId::new(1, 1), n as u64 + 1),
            payload: EntryPayload::Normal(Proposal::one(command.clone())),
        })
    }

    /// Applies every command to a fresh ledger; each must be accepted.
    fn ledger(&self) -> Ledger {
        let mut ledger = Ledger::default();
        for (n, command) in self.commands.iter().enumerate() {
            let applied = ledger.apply(n as u64 + 1, command);
            assert!(!rejected(&applied), "{command:?}: {applied:?}");
        }
        ledger
    }
}

fn here() -> Position {
    Position::from_degrees(31.2394, 121.4860).unwrap()
}

fn rejected(applied: &Applied) -> bool {
    matches!(applied.effect, Effect::Rejected { .. })
}

/// Keeps 10 closed incidents hot, however recent.
fn keep_ten() -> ArchivePolicy {
    ArchivePolicy {
        closed_kept_ms: 24 * 60 * 60 * 1_000,
        closed_kept_max: 10,
    }
}

/// Keeps every closed incident hot.
fn keep_all() -> ArchivePolicy {
    ArchivePolicy {
        closed_kept_ms: u64::MAX,
        closed_kept_max: u32::MAX,
    }
}

/// A log of `closed` incidents reported and cancelled, then padded with
/// reports past the archive's next look.
fn closed_log(closed: u64) -> Log {
    let mut log = Log::with_roster(1, keep_ten());
    for _ in 0..closed {
        let incident_id = log.report();
        log.cancel(incident_id);
    }
    while log.commands.len() % 256 != 1 {
        log.report();
    }
    log
}

#[test]
fn closed_incidents_past_the_policy_move_out_whole_and_refuse_changes() {
    // Phase 1: 300 incidents reported and cancelled, 10 kept hot.
    let log = closed_log(300);
    let mut ledger = log.ledger();
    assert_eq!(ledger.closed_hot_count(), 10);
    assert_eq!(ledger.incidents_reported(), log.reports());

    // Phase 2: the 290 longest closed left in batches that carry them
    // whole, match their digests and name them in the index.
    let batches = ledger.take_archived();
    let archived: Vec<_> = batches.iter().flat_map(|b| &b.incidents).collect();
    assert_eq!(archived.len(), 290);
    for batch in &batches {
        assert!(batch.batch.matches(&batch.incidents));
        assert!(ledger.archive_batches().contains(&batch.batch));
    }
    assert!(archived.iter().all(|i| i.timeline.len() == 2));
    assert_eq!(archived[0].id, IncidentId(1));
    assert_eq!(ledger.archived_by_status(), (0, 290));

    // Phase 3: an archived incident is out of the hot state, and a change
    // to it is refused as archived, not as unknown.
    assert!(ledger.incident(IncidentId(1)).is_none());
    assert!(ledger.is_archived(IncidentId(1)));
    assert!(!ledger.is_archived(IncidentId(log.reports() + 1)));
    let cancel = Command::new(
        RequestId("late-cancel".into()),
        1,
        Origin::Operator,
        Action::CancelIncident(CancelIncident {
            incident_id: IncidentId(1),
            reason: "again".into(),
        }),
    );
    let refused = ledger.apply(log.commands.len() as u64 + 1, &cancel);
    assert!(
        matches!(
            refused.effect,
            Effect::Rejected {
                rejection: Rejection::IncidentArchived { .. }
            }
        ),
        "{refused:?}"
    );
}

#[test]
fn the_deadline_watch_visits_only_open_incidents_that_wait() {
    // Phase 1: the same three open incidents waiting on their on-scene
    // deadlines, after no closed incident and after 2,000 (all kept hot).
    let watched = |closed: u64| {
        let mut log = Log::with_roster(3, keep_all());
        for _ in 0..closed {
            let incident_id = log.report();
            log.cancel(incident_id);
        }
        let waiting: Vec<_> = ["team-1", "team-2", "team-3"]
            .into_iter()
            .map(|unit| log.assigned(unit))
            .collect();
        (log.ledger(), waiting)
    };
    let (quiet, quiet_waiting) = watched(0);
    let (busy, busy_waiting) = watched(2_000);
    assert_eq!(busy.closed_hot_count(), 2_000);

    // Phase 2: the watch holds one deadline per waiting incident, and at a
    // time past them all visits exactly those three, in both ledgers: its
    // work does not grow with the closed incidents.
    let far_future_ms = u64::MAX / 2;
    for (ledger, waiting) in [(&quiet, &quiet_waiting), (&busy, &busy_waiting)] {
        assert_eq!(ledger.deadlines_watched(), 3);
        let due: Vec<_> = ledger.deadlines_due(far_future_ms).collect();
        assert_eq!(due.len(), 3);
        assert!(due
            .iter()
            .all(|(deadline, _)| *deadline == Deadline::OnScene));
        let due_ids: Vec<_> = due.iter().map(|(_, incident)| incident.id).collect();
        assert_eq!(&due_ids, waiting);
    }

    // Phase 3: before any deadline nothing is due; a closed incident
    // leaves the watch.
    assert_eq!(busy.deadlines_due(0).count(), 0);
    let mut log = Log::with_roster(1, keep_ten());
    let incident_id = log.assigned("team-1");
    log.cancel(incident_id);
    assert_eq!(log.ledger().deadlines_watched(), 0);
}

#[tokio::test]
async fn archived_incidents_read_back_after_restart_and_stay_out_of_snapshots() {
    // Phase 1: a state machine applies 2,000 closed incidents (1,990 are
    // archived) and builds a snapshot.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.redb");
    let log = closed_log(2_000);
    let archived_id = IncidentId(7);
    let snapshot_bytes = {
        let mut machine = StateMachine::open(open_database(&path).unwrap()).unwrap();
        machine.apply(log.entries()).await.unwrap();
        let reader = machine.reader();
        assert!(reader.read().ledger.is_archived(archived_id));
        let incident = reader.archived_incident(archived_id).unwrap().unwrap();
        assert_eq!(incident.id, archived_id);
        let snapshot = machine.build_snapshot().await.unwrap();
        snapshot.snapshot.into_inner().len()
    };

    // Phase 2: the snapshot is the size of the hot state, not of history:
    // under a third of the same log's with nothing archived (what remains
    // is mostly the table of recent request ids).
    let kept_all = {
        let mut log = Log::with_roster(1, keep_all());
        for _ in 0..2_000 {
            let incident_id = log.report();
            log.cancel(incident_id);
        }
        let mut machine =
            StateMachine::open(open_database(&dir.path().join("kept.redb")).unwrap()).unwrap();
        machine.apply(log.entries()).await.unwrap();
        machine
            .build_snapshot()
            .await
            .unwrap()
            .snapshot
            .into_inner()
            .len()
    };
    assert!(
        snapshot_bytes * 3 < kept_all,
        "snapshot {snapshot_bytes} bytes with the archive, {kept_all} without"
    );

    // Phase 3: reopened from disk, the node still reads the archived
    // incident and misses no batch.
    let reopened = StateMachine::open(open_database(&path).unwrap()).unwrap();
    assert!(reopened.archive_missing().is_empty());
    let incident = reopened.reader().archived_incident(archived_id).unwrap();
    assert_eq!(incident.map(|i| i.id), Some(archived_id));
}

#[tokio::test]
async fn a_node_that_installs_a_snapshot_knows_which_batches_to_fetch() {
    // Phase 1: a source archives batches and builds a snapshot.
    let dir = tempfile::tempdir().unwrap();
    let mut source =
        StateMachine::open(open_database(&dir.path().join("a.redb")).unwrap()).unwrap();
    source.apply(closed_log(600).entries()).await.unwrap();
    let batches = source.reader().read().ledger.archive_batches().to_vec();
    assert!(!batches.is_empty());
    let snapshot = source.build_snapshot().await.unwrap();

    // Phase 2: a fresh node installs it; it misses every batch and cannot
    // read an archived incident yet.
    let mut target =
        StateMachine::open(open_database(&dir.path().join("b.redb")).unwrap()).unwrap();
    target
        .install_snapshot(&snapshot.meta, snapshot.snapshot)
        .await
        .unwrap();
    assert_eq!(target.archive_missing(), batches);
    let first = batches[0].incident_ids[0];
    assert_eq!(target.reader().archived_incident(first).unwrap(), None);

    // Phase 3: a part served by the source refuses a forged batch (one
    // incident changed) and stores the true one, which then reads back.
    let store = source.reader().archive().clone();
    let served = store
        .batch_part(&batches[0], 0, usize::MAX)
        .unwrap()
        .unwrap();
    let mut forged = served.clone();
    forged[0].report.description = "nothing happened".into();
    assert!(!batches[0].matches(&forged));
    assert!(batches[0].matches(&served));
    target
        .store_fetched(cordon_consensus::ledger::ArchivedBatch {
            batch: batches[0].clone(),
            incidents: served,
        })
        .unwrap();
    assert_eq!(target.archive_missing(), batches[1..].to_vec());
    let read = target.reader().archived_incident(first).unwrap();
    assert_eq!(read.map(|i| i.id), Some(first));
}
