//! A snapshot built on one node installs on another and survives a restart;
//! its data is the ledger behind the storage header, and a snapshot of
//! another storage format is refused rather than misread.

use std::io::Cursor;

use cordon_consensus::codec::{self, CodecError, STORAGE_FORMAT_VERSION};
use cordon_consensus::ledger::{
    Action, AssignUnit, Channel, Command, IncidentId, IncidentKind, Ledger, LoadRoster,
    NewIncident, Origin, Position, RequestId, Ring, RosterUnit, TimelineStep, TriageIncident,
    UnitId,
};
use cordon_consensus::log_store::open_database;
use cordon_consensus::state_machine::StateMachine;
use cordon_consensus::types::{Entry, LogId, Proposal};
use openraft::storage::RaftStateMachine;
use openraft::{CommittedLeaderId, EntryPayload, RaftSnapshotBuilder};

fn report(index: u64) -> Entry {
    Entry {
        log_id: LogId::new(CommittedLeaderId::new(1, 1), index),
        payload: EntryPayload::Normal(Proposal::one(Command {
            request_id: RequestId(format!("req-{index}")),
            proposed_at_ms: 1_000 + index,
            origin: Origin::Operator,
            action: Action::ReportIncident(NewIncident {
                kind: IncidentKind::Disturbance,
                priority: 5,
                force_level: 3,
                location: Position::from_degrees(31.2422, 121.4858).unwrap(),
                channel: Channel::EmergencyCall,
                description: "crowd pushing at the river wall".into(),
            }),
            consumes: Vec::new(),
            traceparent: None,
        })),
    }
}

#[tokio::test]
async fn snapshot_installs_elsewhere_and_survives_restart() {
    // Phase 1: apply 50 reports on a source machine and build a snapshot.
    let source_dir = tempfile::tempdir().unwrap();
    let mut source =
        StateMachine::open(open_database(&source_dir.path().join("a.redb")).unwrap()).unwrap();
    source.apply((1..=50).map(report)).await.unwrap();
    let snapshot = source.build_snapshot().await.unwrap();
    assert_eq!(snapshot.meta.last_log_id.map(|id| id.index), Some(50));

    // Phase 2: install it on a fresh machine; the ledgers are equal.
    let target_dir = tempfile::tempdir().unwrap();
    let target_path = target_dir.path().join("b.redb");
    {
        let mut target = StateMachine::open(open_database(&target_path).unwrap()).unwrap();
        target
            .install_snapshot(&snapshot.meta, snapshot.snapshot)
            .await
            .unwrap();
        assert_eq!(target.reader().read().ledger, source.reader().read().ledger);
    }

    // Phase 3: reopen the target from disk; it starts from the stored snapshot.
    let reopened = StateMachine::open(open_database(&target_path).unwrap()).unwrap();
    let state = reopened.reader();
    let state = state.read();
    assert_eq!(state.ledger.incident_count(), 50);
    assert_eq!(state.last_applied.map(|id| id.index), Some(50));
}

fn entry(index: u64, action: Action) -> Entry {
    Entry {
        log_id: LogId::new(CommittedLeaderId::new(1, 1), index),
        payload: EntryPayload::Normal(Proposal::one(Command::new(
            RequestId(format!("step-{index}")),
            1_000 * index,
            Origin::Operator,
            action,
        ))),
    }
}

/// A small ledger's log: a roster of one ring-4 unit, a report, its
/// triage and the unit's assignment.
fn small_ledger_log() -> Vec<Entry> {
    let home = Position::from_degrees(31.2394, 121.4760).unwrap();
    vec![
        entry(
            1,
            Action::LoadRoster(LoadRoster {
                units: vec![RosterUnit {
                    id: UnitId("team-1".into()),
                    home,
                    ring: Ring::SpecialPolice,
                    station: None,
                }],
                area: None,
                archive: None,
            }),
        ),
        report(2),
        entry(
            3,
            Action::TriageIncident(TriageIncident {
                incident_id: IncidentId(1),
                ring: Ring::SpecialPolice,
                station: Some("bund".into()),
                run_card: "disturbance".into(),
                target_s: 180,
                major: false,
            }),
        ),
        entry(
            4,
            Action::AssignUnit(AssignUnit {
                incident_id: IncidentId(1),
                unit_id: UnitId("team-1".into()),
                expected_unit_version: 1,
                eta_s: 120,
                breach: false,
            }),
        ),
    ]
}

#[tokio::test]
async fn a_snapshot_is_the_ledger_behind_the_storage_header() {
    // Phase 1: a small ledger's snapshot starts with the header of this build's storage format.
    let dir = tempfile::tempdir().unwrap();
    let mut machine =
        StateMachine::open(open_database(&dir.path().join("a.redb")).unwrap()).unwrap();
    machine.apply(small_ledger_log()).await.unwrap();
    let snapshot = machine.build_snapshot().await.unwrap();
    let data = snapshot.snapshot.into_inner();
    assert_eq!(&data[..4], b"CRDN");
    assert_eq!(data[4..6], STORAGE_FORMAT_VERSION.to_be_bytes());
    assert_eq!(
        STORAGE_FORMAT_VERSION, 14,
        "a log entry carrying a proposal of one or more commands is storage format 14"
    );

    // Phase 2: it decodes to the same ledger, typed rings, station and assignment included.
    let decoded: Ledger = codec::decode_versioned(&data, 1 << 20).unwrap();
    assert_eq!(decoded, machine.reader().read().ledger);
    let incident = decoded.incident(IncidentId(1)).unwrap();
    assert_eq!(incident.ring, Some(Ring::SpecialPolice));
    assert_eq!(incident.units, vec![UnitId("team-1".into())]);
    assert_eq!(incident.timeline.len(), 3);
    let assigned = TimelineStep::Assigned {
        unit_id: UnitId("team-1".into()),
    };
    assert_eq!(incident.timeline[2].step, assigned);

    // Phase 3: the same bytes claiming storage format 13 (before entries
    // carried proposals) are refused on decode and on install.
    let mut older = data.clone();
    older[4..6].copy_from_slice(&13u16.to_be_bytes());
    assert!(matches!(
        codec::decode_versioned::<Ledger>(&older, 1 << 20),
        Err(CodecError::StorageFormat {
            found: 13,
            expected: 14
        })
    ));
    let target_dir = tempfile::tempdir().unwrap();
    let mut target =
        StateMachine::open(open_database(&target_dir.path().join("b.redb")).unwrap()).unwrap();
    let refused = target
        .install_snapshot(&snapshot.meta, Box::new(Cursor::new(older)))
        .await;
    assert!(refused.is_err(), "a snapshot of format 13 was installed");
    assert_eq!(target.reader().read().ledger.incident_count(), 0);

    // Phase 4: a snapshot without the header (the format-1 layout) is refused too.
    let unversioned = codec::encode(&decoded).unwrap();
    let refused = target
        .install_snapshot(&snapshot.meta, Box::new(Cursor::new(unversioned)))
        .await;
    assert!(
        refused.is_err(),
        "a snapshot without the header was installed"
    );
}
