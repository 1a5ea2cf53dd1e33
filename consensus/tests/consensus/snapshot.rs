//! A snapshot built on one node installs on another and survives a restart.

use cordon_consensus::ledger::{
    Action, Channel, Command, IncidentKind, NewIncident, Origin, Position, RequestId,
};
use cordon_consensus::log_store::open_database;
use cordon_consensus::state_machine::StateMachine;
use cordon_consensus::types::{Entry, LogId};
use openraft::storage::RaftStateMachine;
use openraft::{CommittedLeaderId, EntryPayload, RaftSnapshotBuilder};

fn report(index: u64) -> Entry {
    Entry {
        log_id: LogId::new(CommittedLeaderId::new(1, 1), index),
        payload: EntryPayload::Normal(Command {
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
        }),
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
