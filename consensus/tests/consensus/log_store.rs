//! The segmented Raft log: what a restart reads back (entries, vote,
//! truncations, purges), how it stops at a torn tail and refuses a damaged
//! segment, that purged segments are deleted, and that concurrent appends
//! share one fdatasync.

use std::future::Future;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use cordon_consensus::log_store::{
    refuse_legacy_log, FsSegmentDir, LogStore, SegmentDir, WriteMode,
};
use cordon_consensus::types::{Entry, TypeConfig};
use openraft::storage::{RaftLogStorage, RaftLogStorageExt};
use openraft::testing::{blank_ent, log_id};
use openraft::{RaftLogReader, Vote};
use redb::StorageBackend;
use tempfile::TempDir;

/// Small segments, so a few hundred entries span many files.
const SMALL_SEGMENT_BYTES: u64 = 1024;

fn open(dir: &Path, mode: WriteMode) -> LogStore {
    let segments = FsSegmentDir::open(dir).expect("log folder");
    LogStore::open(Arc::new(segments), SMALL_SEGMENT_BYTES, mode).expect("open the log")
}

fn entries(term: u64, indexes: std::ops::RangeInclusive<u64>) -> Vec<Entry> {
    indexes
        .map(|index| blank_ent::<TypeConfig>(term, 1, index))
        .collect()
}

fn segment_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("list the log folder")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .into_string()
                .expect("utf-8")
        })
        .filter(|name| name.ends_with(".wal"))
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn entries_vote_and_purge_survive_a_restart_and_purged_segments_go() {
    // Phase 1: 300 entries over many 1 KiB segments, a vote, a commit.
    let dir = TempDir::new().unwrap();
    let mut log = open(dir.path(), WriteMode::Inline);
    log.blocking_append(entries(1, 1..=300)).await.unwrap();
    let vote = Vote::new_committed(3, 2);
    log.save_vote(&vote).await.unwrap();
    log.save_committed(Some(log_id(1, 1, 290))).await.unwrap();
    let before_purge = segment_files(dir.path()).len();
    assert!(
        before_purge > 3,
        "300 entries fill {before_purge} 1 KiB segments"
    );

    // Phase 2: purging behind a snapshot deletes the segments it emptied.
    log.purge(log_id(1, 1, 250)).await.unwrap();
    log.blocking_append(entries(1, 301..=301)).await.unwrap();
    let after_purge = segment_files(dir.path()).len();
    assert!(
        after_purge < before_purge,
        "{after_purge} files after the purge, {before_purge} before"
    );
    drop(log);

    // Phase 3: a restart reads back exactly the live log and the vote.
    let mut reopened = open(dir.path(), WriteMode::Inline);
    let state = reopened.get_log_state().await.unwrap();
    assert_eq!(state.last_purged_log_id, Some(log_id(1, 1, 250)));
    assert_eq!(state.last_log_id, Some(log_id(1, 1, 301)));
    let live = reopened.try_get_log_entries(0..1000).await.unwrap();
    assert_eq!(live.first().map(|entry| entry.log_id.index), Some(251));
    assert_eq!(live.len(), 51);
    assert_eq!(reopened.read_vote().await.unwrap(), Some(vote));
    assert_eq!(
        reopened.read_committed().await.unwrap(),
        Some(log_id(1, 1, 290))
    );
}

#[tokio::test]
async fn a_truncation_survives_a_restart() {
    // Phase 1: entries 1-10 of term 1; a new leader replaces 6-10 with 6-8 of term 2.
    let dir = TempDir::new().unwrap();
    let mut log = open(dir.path(), WriteMode::Inline);
    log.blocking_append(entries(1, 1..=10)).await.unwrap();
    log.truncate(log_id(1, 1, 6)).await.unwrap();
    log.blocking_append(entries(2, 6..=8)).await.unwrap();
    drop(log);

    // Phase 2: the restart sees the replacement, not the truncated entries.
    let mut reopened = open(dir.path(), WriteMode::Inline);
    let live = reopened.try_get_log_entries(0..100).await.unwrap();
    let ids: Vec<(u64, u64)> = live
        .iter()
        .map(|entry| (entry.log_id.leader_id.term, entry.log_id.index))
        .collect();
    let mut expected: Vec<(u64, u64)> = (1..=5).map(|index| (1, index)).collect();
    expected.extend((6..=8).map(|index| (2, index)));
    assert_eq!(ids, expected);
}

#[tokio::test]
async fn a_torn_tail_is_left_behind_and_the_log_goes_on() {
    // Phase 1: ten entries in one segment; then a crash tears the last one.
    let dir = TempDir::new().unwrap();
    let log_dir = dir.path().join("log");
    let mut log = LogStore::open(
        Arc::new(FsSegmentDir::open(&log_dir).unwrap()),
        1024 * 1024,
        WriteMode::Inline,
    )
    .unwrap();
    log.blocking_append(entries(1, 1..=10)).await.unwrap();
    drop(log);
    let newest = segment_files(&log_dir).pop().unwrap();
    let path = log_dir.join(&newest);
    let mut bytes = std::fs::read(&path).unwrap();
    let end = bytes.iter().rposition(|byte| *byte != 0).unwrap();
    bytes[end] ^= 0x5a;
    std::fs::write(&path, &bytes).unwrap();

    // Phase 2: the restart reads up to the torn record, and new entries
    // (a new leader's) go to a new segment and read back after another restart.
    let mut reopened = LogStore::open(
        Arc::new(FsSegmentDir::open(&log_dir).unwrap()),
        1024 * 1024,
        WriteMode::Inline,
    )
    .unwrap();
    let state = reopened.get_log_state().await.unwrap();
    assert_eq!(state.last_log_id, Some(log_id(1, 1, 9)));
    reopened.blocking_append(entries(2, 10..=12)).await.unwrap();
    drop(reopened);
    let mut again = open(&log_dir, WriteMode::Inline);
    let state = again.get_log_state().await.unwrap();
    assert_eq!(state.last_log_id, Some(log_id(2, 1, 12)));
}

#[tokio::test]
async fn a_damaged_older_segment_is_refused_by_name() {
    // Phase 1: two segments; the older one loses its header.
    let dir = TempDir::new().unwrap();
    let mut log = open(dir.path(), WriteMode::Inline);
    log.blocking_append(entries(1, 1..=5)).await.unwrap();
    drop(log);
    let log = open(dir.path(), WriteMode::Inline);
    drop(log);
    let oldest = segment_files(dir.path()).remove(0);
    let path = dir.path().join(&oldest);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[0] = b'X';
    std::fs::write(&path, &bytes).unwrap();

    // Phase 2: opening names the damaged file and the way out.
    let segments = FsSegmentDir::open(dir.path()).unwrap();
    let error = LogStore::open(Arc::new(segments), SMALL_SEGMENT_BYTES, WriteMode::Inline)
        .err()
        .expect("a damaged segment is refused");
    let message = error.to_string();
    assert!(message.contains(&oldest), "{message}");
    assert!(
        message.contains("rebuild this node's data from its peers"),
        "{message}"
    );
}

/// A folder whose fdatasync takes 20 ms and is counted: a slow disk.
#[derive(Debug)]
struct SlowCountingDir {
    inner: FsSegmentDir,
    syncs: Arc<AtomicUsize>,
}

#[derive(Debug)]
struct SlowCountingFile {
    inner: Box<dyn StorageBackend>,
    syncs: Arc<AtomicUsize>,
}

impl StorageBackend for SlowCountingFile {
    fn len(&self) -> std::io::Result<u64> {
        self.inner.len()
    }
    fn read(&self, offset: u64, out: &mut [u8]) -> std::io::Result<()> {
        self.inner.read(offset, out)
    }
    fn set_len(&self, len: u64) -> std::io::Result<()> {
        self.inner.set_len(len)
    }
    fn sync_data(&self) -> std::io::Result<()> {
        std::thread::sleep(Duration::from_millis(20));
        self.syncs.fetch_add(1, Ordering::SeqCst);
        self.inner.sync_data()
    }
    fn write(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        self.inner.write(offset, data)
    }
}

impl SegmentDir for SlowCountingDir {
    fn list(&self) -> std::io::Result<Vec<String>> {
        self.inner.list()
    }
    fn open(&self, name: &str) -> std::io::Result<Box<dyn StorageBackend>> {
        let inner = self.inner.open(name)?;
        Ok(Box::new(SlowCountingFile {
            inner,
            syncs: self.syncs.clone(),
        }))
    }
    fn create(&self, name: &str, len_bytes: u64) -> std::io::Result<Box<dyn StorageBackend>> {
        let inner = self.inner.create(name, len_bytes)?;
        Ok(Box::new(SlowCountingFile {
            inner,
            syncs: self.syncs.clone(),
        }))
    }
    fn remove(&self, name: &str) -> std::io::Result<()> {
        self.inner.remove(name)
    }
}

/// Appends the next index (openraft appends in index order), then waits
/// for its fdatasync without holding up the other appenders.
async fn append_in_turn(
    log: &mut LogStore,
    next_index: &tokio::sync::Mutex<u64>,
) -> Result<(), cordon_consensus::types::StorageError> {
    let mut next = next_index.lock().await;
    let index = *next;
    *next += 1;
    let mut append = std::pin::pin!(log.blocking_append(entries(1, index..=index)));
    // The first poll queues the entry; the rest is the wait for the disk.
    let queued = std::future::poll_fn(|cx| Poll::Ready(append.as_mut().poll(cx))).await;
    drop(next);
    match queued {
        Poll::Ready(result) => result,
        Poll::Pending => append.await,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_share_one_fdatasync() {
    // Phase 1: 64 appenders at once on a disk whose sync takes 20 ms.
    let dir = TempDir::new().unwrap();
    let syncs = Arc::new(AtomicUsize::new(0));
    let slow = SlowCountingDir {
        inner: FsSegmentDir::open(dir.path()).unwrap(),
        syncs: syncs.clone(),
    };
    let log = LogStore::open(Arc::new(slow), 1024 * 1024, WriteMode::GroupCommit).unwrap();
    let opened_syncs = syncs.load(Ordering::SeqCst);
    let next_index = Arc::new(tokio::sync::Mutex::new(1u64));
    let mut appenders = Vec::new();
    for _ in 0..64 {
        let (mut handle, next_index) = (log.clone(), next_index.clone());
        appenders.push(tokio::spawn(async move {
            append_in_turn(&mut handle, &next_index).await
        }));
    }
    for appender in appenders {
        appender.await.unwrap().unwrap();
    }

    // Phase 2: every append is durable, and a handful of syncs covered all 64.
    let append_syncs = syncs.load(Ordering::SeqCst) - opened_syncs;
    assert!(
        append_syncs <= 8,
        "64 appends took {append_syncs} fdatasyncs"
    );
    let mut reader = log.clone();
    assert_eq!(reader.try_get_log_entries(0..100).await.unwrap().len(), 64);
}

#[test]
fn a_database_with_a_format_5_log_is_refused() {
    // A ledger.redb that still holds the Raft log tables of format 5.
    let dir = TempDir::new().unwrap();
    let db = redb::Database::create(dir.path().join("ledger.redb")).unwrap();
    let txn = db.begin_write().unwrap();
    txn.open_table(redb::TableDefinition::<&str, &[u8]>::new("raft_meta"))
        .unwrap();
    txn.commit().unwrap();
    let refusal = refuse_legacy_log(&db).expect_err("a format-5 log is refused");
    assert!(refusal.contains("storage format 5"), "{refusal}");
}
