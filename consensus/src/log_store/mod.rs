//! The durable Raft log: a segmented write-ahead log made for Raft.
//!
//! - **Group commit.** `append` puts its entries in memory and queues them
//!   for the writer thread (`writer.rs`); every write queued while one
//!   `fdatasync` runs is committed by the next single one, and openraft is
//!   told an entry is flushed only after the `fdatasync` that covers it has
//!   returned. Appends do not wait for the disk, so a leader replicates an
//!   entry to followers while it is being synced locally, and a follower
//!   takes the next append while the previous one syncs.
//! - **Pre-allocated segments.** Records go into files of zeros written
//!   ahead of time (`dir.rs`), so an append changes no block allocation and
//!   an `fdatasync` flushes only data.
//! - **Checksummed, chained records** (`format.rs`); a restart replays the
//!   segments and stops at a crash's torn tail.
//! - **Reads from memory** (`memory.rs`): the live log is the entries not yet
//!   purged behind a snapshot.
//! - The vote is synced before `save_vote` returns; the committed id is a
//!   hint written without a sync of its own.
//!
//! In a current-thread runtime (tests and the deterministic simulation)
//! each write is done and synced inline, so the order of events follows
//! the simulated clock rather than a thread's timing.

use std::fmt::{Debug, Display};
use std::ops::RangeBounds;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use openraft::storage::{LogFlushed, LogState, RaftLogStorage};
use openraft::{AnyError, RaftLogReader, StorageIOError, Vote};
use redb::{Database, ReadableDatabase, TableHandle};

use crate::types::{Entry, LogId, NodeId, StorageError, TypeConfig};

mod dir;
mod format;
mod memory;
mod writer;

pub use dir::{FsSegmentDir, SegmentDir};
pub use writer::OpenLogError;

use format::LogRecord;
use memory::LogMemory;
use writer::{Done, Write, Writer};

/// Bytes of a segment file in production: pre-allocated when created.
pub const SEGMENT_BYTES: u64 = 32 * 1024 * 1024;

/// Turns any displayable error into openraft's error payload.
pub(crate) fn any_error(error: impl Display) -> AnyError {
    AnyError::error(error.to_string())
}

/// The page cache of a node's redb file, in bytes. redb's default is 1 GiB,
/// which the archive's pages could fill as a node's history grows; the
/// snapshot and the archive's index stay in the tens of MB.
pub const LEDGER_CACHE_BYTES: usize = 32 * 1024 * 1024;

/// How a node's redb file is opened: with [`LEDGER_CACHE_BYTES`] of cache.
pub fn database_builder() -> redb::Builder {
    let mut builder = redb::Builder::new();
    builder.set_cache_size(LEDGER_CACHE_BYTES);
    builder
}

/// Opens (or creates) the node's redb file, where the state machine keeps
/// its snapshot and the archive.
pub fn open_database(path: &Path) -> Result<Arc<Database>, redb::DatabaseError> {
    Ok(Arc::new(database_builder().create(path)?))
}

/// The redb tables in which storage formats up to 5 kept the Raft log.
const LEGACY_LOG_TABLES: [&str; 2] = ["raft_log", "raft_meta"];

/// Refuses a database that still holds a Raft log of storage format 5 or
/// older: starting on it would forget the node's vote and log.
pub fn refuse_legacy_log(db: &Database) -> Result<(), String> {
    let txn = db.begin_read().map_err(|e| e.to_string())?;
    let tables = txn.list_tables().map_err(|e| e.to_string())?;
    if tables
        .into_iter()
        .any(|table| LEGACY_LOG_TABLES.contains(&table.name()))
    {
        return Err("this node's ledger.redb holds a Raft log of storage format 5 or older, which this release keeps in raft-log/ instead; rebuild the node's data from its peers (stop it, move its data directory away, start it again)".to_string());
    }
    Ok(())
}

/// How the log's writes reach the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteMode {
    /// Queued for the group-commit thread (production).
    GroupCommit,
    /// Done and synced by the caller, one write at a time (the
    /// deterministic simulation, where a thread's timing must not decide
    /// the order of events).
    Inline,
}

impl WriteMode {
    /// Inline in a current-thread runtime, group commit otherwise.
    pub fn for_current_runtime() -> WriteMode {
        if on_current_thread_runtime() {
            WriteMode::Inline
        } else {
            WriteMode::GroupCommit
        }
    }
}

/// Whether the caller runs on a current-thread runtime (tests and the
/// deterministic simulation), where storage work is done inline.
fn on_current_thread_runtime() -> bool {
    tokio::runtime::Handle::try_current()
        .is_ok_and(|handle| handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread)
}

/// Where writes go: the group-commit thread, or inline.
enum Sink {
    Thread(mpsc::Sender<Write>),
    Inline(Box<Writer>),
}

struct Shared {
    /// The log as openraft sees it, and the way to the disk; one lock, so
    /// changes reach the disk in the order they were made.
    inner: Mutex<(LogMemory, Sink)>,
    /// The committed index last saved, for status reports (0 = none).
    committed_index: Arc<AtomicU64>,
}

/// The Raft log. Cloning gives another handle to the same log.
#[derive(Clone)]
pub struct LogStore {
    shared: Arc<Shared>,
}

impl LogStore {
    /// Opens the log in `dir` (replaying its segments) with segments of
    /// `segment_bytes`. With [`WriteMode::GroupCommit`] it starts the
    /// writer thread, which ends when the last handle is dropped.
    pub fn open(
        dir: Arc<dyn SegmentDir>,
        segment_bytes: u64,
        mode: WriteMode,
    ) -> Result<LogStore, OpenLogError> {
        let (writer, memory) = Writer::open(dir, segment_bytes)?;
        let committed = memory.committed().map_or(0, |log_id| log_id.index);
        tracing::info!(
            entries = memory.len(),
            last_purged = ?memory.last_purged(),
            last = ?memory.last_log_id(),
            "opened the Raft log"
        );
        let sink = if mode == WriteMode::Inline {
            Sink::Inline(Box::new(writer))
        } else {
            let (queue, taken) = mpsc::channel();
            std::thread::Builder::new()
                .name("cordon-log-writer".to_string())
                .spawn(move || writer::run(writer, taken))
                .map_err(|source| OpenLogError::Io {
                    name: ".".to_string(),
                    source,
                })?;
            Sink::Thread(queue)
        };
        Ok(LogStore {
            shared: Arc::new(Shared {
                inner: Mutex::new((memory, sink)),
                committed_index: Arc::new(AtomicU64::new(committed)),
            }),
        })
    }

    /// The last entry's log id (appended, flushed or not), or the last
    /// purged id.
    pub fn last_log_id(&self) -> Option<LogId> {
        self.lock().0.last_log_id()
    }

    /// The index to purge up to so that the entries after it, through
    /// `last` (a snapshot's), carry at most `commands_max` commands.
    pub fn purge_point(&self, last: u64, commands_max: u64) -> Option<u64> {
        self.lock().0.purge_point(last, commands_max)
    }

    /// A shared view of the last committed index this node saved.
    pub fn committed_index(&self) -> Arc<AtomicU64> {
        self.shared.committed_index.clone()
    }

    fn lock(&self) -> MutexGuard<'_, (LogMemory, Sink)> {
        // Each critical section leaves the log whole.
        self.shared
            .inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies `records` to memory and hands them to the writer, in one
    /// critical section.
    fn submit(&self, records: Vec<LogRecord>, done: Done) -> std::io::Result<()> {
        let mut inner = self.lock();
        let (memory, sink) = &mut *inner;
        for record in &records {
            memory.apply(record);
        }
        let write = Write {
            records,
            done,
            queued: Instant::now(),
        };
        match sink {
            Sink::Inline(writer) => writer.write_batch(vec![write]),
            Sink::Thread(queue) => queue.send(write).map_err(|_| {
                std::io::Error::other("the log writer thread is gone (it panicked)")
            })?,
        }
        Ok(())
    }

    /// Submits `records` and waits until they are durable.
    async fn submit_and_wait(&self, records: Vec<LogRecord>) -> std::io::Result<()> {
        let (reply, durable) = tokio::sync::oneshot::channel();
        self.submit(records, Done::Reply(reply))?;
        durable
            .await
            .map_err(|_| std::io::Error::other("the log writer dropped a write"))?
    }
}

/// Runs blocking redb work on tokio's blocking pool, or inline on a
/// current-thread runtime (tests and the deterministic simulation): there
/// the pool's threads would finish in real time, so the order of events
/// would depend on thread timing rather than on the simulated clock.
pub(crate) async fn blocking<T, F>(work: F) -> Result<T, StorageError>
where
    F: FnOnce() -> Result<T, StorageError> + Send + 'static,
    T: Send + 'static,
{
    off_runtime(work)
        .await
        .map_err(|e| StorageError::from(StorageIOError::write(any_error(e))))?
}

/// Runs blocking work as [`blocking`] does, for work with its own error
/// type; `Err` only if the work panicked.
pub(crate) async fn off_runtime<T, F>(work: F) -> Result<T, tokio::task::JoinError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    if on_current_thread_runtime() {
        return Ok(work());
    }
    tokio::task::spawn_blocking(work).await
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + Send>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, StorageError> {
        Ok(self.lock().0.entries(range))
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogStore;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError> {
        let inner = self.lock();
        Ok(LogState {
            last_purged_log_id: inner.0.last_purged(),
            last_log_id: inner.0.last_log_id(),
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<NodeId>) -> Result<(), StorageError> {
        self.submit_and_wait(vec![LogRecord::Vote(*vote)])
            .await
            .map_err(|e| StorageIOError::write_vote(any_error(e)).into())
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<NodeId>>, StorageError> {
        Ok(self.lock().0.vote())
    }

    async fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), StorageError> {
        if let Some(committed) = committed {
            self.shared
                .committed_index
                .fetch_max(committed.index, Ordering::Relaxed);
        }
        self.submit(vec![LogRecord::Committed(committed)], Done::Nothing)
            .map_err(|e| StorageIOError::write(any_error(e)).into())
    }

    async fn read_committed(&mut self) -> Result<Option<LogId>, StorageError> {
        Ok(self.lock().0.committed())
    }

    /// Queues the entries and returns; `callback` is called once they are
    /// on disk.
    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<TypeConfig>,
    ) -> Result<(), StorageError>
    where
        I: IntoIterator<Item = Entry> + Send,
        I::IntoIter: Send,
    {
        let records = entries.into_iter().map(LogRecord::Entry).collect();
        self.submit(records, Done::Flushed(callback))
            .map_err(|e| StorageIOError::write_logs(any_error(e)).into())
    }

    async fn truncate(&mut self, log_id: LogId) -> Result<(), StorageError> {
        self.submit(vec![LogRecord::TruncateSince(log_id.index)], Done::Nothing)
            .map_err(|e| StorageIOError::write_logs(any_error(e)).into())
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), StorageError> {
        self.submit(vec![LogRecord::PurgeUpTo(log_id)], Done::Nothing)
            .map_err(|e| StorageIOError::write_logs(any_error(e)).into())
    }
}
