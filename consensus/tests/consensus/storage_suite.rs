//! The redb log store and the state machine pass openraft's own storage suite.

use cordon_consensus::log_store::{open_database, LogStore};
use cordon_consensus::state_machine::StateMachine;
use cordon_consensus::types::{StorageError, TypeConfig};
use openraft::testing::{StoreBuilder, Suite};
use tempfile::TempDir;

struct RedbBuilder;

impl StoreBuilder<TypeConfig, LogStore, StateMachine, TempDir> for RedbBuilder {
    async fn build(&self) -> Result<(TempDir, LogStore, StateMachine), StorageError> {
        let dir = TempDir::new().expect("create a temporary folder");
        let db = open_database(&dir.path().join("ledger.redb")).expect("open redb");
        let log_store = LogStore::new(db.clone())?;
        let state_machine = StateMachine::open(db)?;
        Ok((dir, log_store, state_machine))
    }
}

#[test]
fn redb_store_passes_openraft_suite() {
    // Every case of openraft's storage suite runs against a fresh redb file.
    Suite::test_all(RedbBuilder).expect("openraft storage suite");
}
