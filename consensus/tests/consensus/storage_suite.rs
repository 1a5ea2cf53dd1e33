//! The segmented log store and the redb state machine pass openraft's own
//! storage suite, with writes done inline (as in the simulation) and by the
//! group-commit thread (as in production).

use std::sync::Arc;

use cordon_consensus::log_store::{
    open_database, FsSegmentDir, LogStore, WriteMode, SEGMENT_BYTES,
};
use cordon_consensus::state_machine::StateMachine;
use cordon_consensus::types::{StorageError, TypeConfig};
use openraft::testing::{StoreBuilder, Suite};
use tempfile::TempDir;

struct Builder(WriteMode);

impl StoreBuilder<TypeConfig, LogStore, StateMachine, TempDir> for Builder {
    async fn build(&self) -> Result<(TempDir, LogStore, StateMachine), StorageError> {
        let dir = TempDir::new().expect("create a temporary folder");
        let db = open_database(&dir.path().join("ledger.redb")).expect("open redb");
        let segments = FsSegmentDir::open(&dir.path().join("raft-log")).expect("log folder");
        let log_store =
            LogStore::open(Arc::new(segments), SEGMENT_BYTES / 32, self.0).expect("open log");
        let state_machine = StateMachine::open(db)?;
        Ok((dir, log_store, state_machine))
    }
}

#[test]
fn the_store_passes_openraft_suite_with_inline_writes() {
    Suite::test_all(Builder(WriteMode::Inline)).expect("openraft storage suite");
}

#[test]
fn the_store_passes_openraft_suite_with_the_group_commit_thread() {
    Suite::test_all(Builder(WriteMode::GroupCommit)).expect("openraft storage suite");
}
