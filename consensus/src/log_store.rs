//! The durable Raft log on redb: vote, committed log id, entries, purge and
//! truncate.
//!
//! Durability rule: `append` commits its redb transaction with immediate
//! durability (an fsync) and only then tells openraft the entries are
//! flushed, so an entry counted towards a quorum is on disk. Saving the vote
//! is fsynced too. The committed log id is saved without an fsync: it is a
//! hint that lets a restarted node re-apply sooner, and is re-learned from
//! the leader if lost.
//!
//! redb calls block, so each runs on tokio's blocking pool.

use std::fmt::{Debug, Display};
use std::ops::RangeBounds;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use openraft::storage::{LogFlushed, LogState, RaftLogStorage};
use openraft::{AnyError, RaftLogReader, StorageIOError, Vote};
use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition};

use crate::codec;
use crate::types::{Entry, LogId, NodeId, StorageError, TypeConfig};

const LOG: TableDefinition<u64, &[u8]> = TableDefinition::new("raft_log");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("raft_meta");
const KEY_VOTE: &str = "vote";
const KEY_COMMITTED: &str = "committed";
const KEY_LAST_PURGED: &str = "last_purged";

/// Largest encoded log entry or metadata value read back (far above any real entry).
const STORED_VALUE_BYTES_MAX: usize = 64 * 1024 * 1024;

/// Turns any displayable error into openraft's error payload.
pub(crate) fn any_error(error: impl Display) -> AnyError {
    AnyError::error(error.to_string())
}

/// Opens (or creates) the node's redb file. The log store and the state
/// machine's snapshot share it.
pub fn open_database(path: &Path) -> Result<Arc<Database>, redb::DatabaseError> {
    Ok(Arc::new(Database::create(path)?))
}

/// The Raft log on redb. Cloning gives another handle to the same log.
#[derive(Clone)]
pub struct LogStore {
    db: Arc<Database>,
    /// The committed index last saved, for status reports (0 = none).
    committed_index: Arc<AtomicU64>,
}

impl LogStore {
    /// A log store on an open database, creating its tables if needed.
    pub fn new(db: Arc<Database>) -> Result<LogStore, StorageError> {
        let txn = db
            .begin_write()
            .map_err(|e| StorageIOError::write_logs(any_error(e)))?;
        {
            txn.open_table(LOG)
                .map_err(|e| StorageIOError::write_logs(any_error(e)))?;
            txn.open_table(META)
                .map_err(|e| StorageIOError::write_logs(any_error(e)))?;
        }
        txn.commit()
            .map_err(|e| StorageIOError::write_logs(any_error(e)))?;
        let store = LogStore {
            db,
            committed_index: Arc::new(AtomicU64::new(0)),
        };
        if let Some(committed) = store.read_meta::<Option<LogId>>(KEY_COMMITTED)?.flatten() {
            store
                .committed_index
                .store(committed.index, Ordering::Relaxed);
        }
        Ok(store)
    }

    /// A shared view of the last committed index this node saved.
    pub fn committed_index(&self) -> Arc<AtomicU64> {
        self.committed_index.clone()
    }

    fn read_meta<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, StorageError> {
        let txn = self
            .db
            .begin_read()
            .map_err(|e| StorageIOError::read(any_error(e)))?;
        let table = txn
            .open_table(META)
            .map_err(|e| StorageIOError::read(any_error(e)))?;
        let Some(value) = table
            .get(key)
            .map_err(|e| StorageIOError::read(any_error(e)))?
        else {
            return Ok(None);
        };
        let decoded = codec::decode(value.value(), STORED_VALUE_BYTES_MAX)
            .map_err(|e| StorageIOError::read(any_error(e)))?;
        Ok(Some(decoded))
    }

    fn write_meta<T: serde::Serialize>(
        &self,
        key: &str,
        value: &T,
        durability: Durability,
    ) -> Result<(), StorageError> {
        let bytes = codec::encode(value).map_err(|e| StorageIOError::write(any_error(e)))?;
        let mut txn = self
            .db
            .begin_write()
            .map_err(|e| StorageIOError::write(any_error(e)))?;
        txn.set_durability(durability)
            .map_err(|e| StorageIOError::write(any_error(e)))?;
        {
            let mut table = txn
                .open_table(META)
                .map_err(|e| StorageIOError::write(any_error(e)))?;
            table
                .insert(key, bytes.as_slice())
                .map_err(|e| StorageIOError::write(any_error(e)))?;
        }
        txn.commit()
            .map_err(|e| StorageIOError::write(any_error(e)))?;
        Ok(())
    }

    fn read_range(&self, range: impl RangeBounds<u64>) -> Result<Vec<Entry>, StorageError> {
        let txn = self
            .db
            .begin_read()
            .map_err(|e| StorageIOError::read_logs(any_error(e)))?;
        let table = txn
            .open_table(LOG)
            .map_err(|e| StorageIOError::read_logs(any_error(e)))?;
        let rows = table
            .range(range)
            .map_err(|e| StorageIOError::read_logs(any_error(e)))?;
        let mut entries = Vec::new();
        for row in rows {
            let (_, value) = row.map_err(|e| StorageIOError::read_logs(any_error(e)))?;
            let entry: Entry = codec::decode(value.value(), STORED_VALUE_BYTES_MAX)
                .map_err(|e| StorageIOError::read_logs(any_error(e)))?;
            entries.push(entry);
        }
        Ok(entries)
    }

    fn last_entry_log_id(&self) -> Result<Option<LogId>, StorageError> {
        let txn = self
            .db
            .begin_read()
            .map_err(|e| StorageIOError::read_logs(any_error(e)))?;
        let table = txn
            .open_table(LOG)
            .map_err(|e| StorageIOError::read_logs(any_error(e)))?;
        let Some((_, value)) = table
            .last()
            .map_err(|e| StorageIOError::read_logs(any_error(e)))?
        else {
            return Ok(None);
        };
        let entry: Entry = codec::decode(value.value(), STORED_VALUE_BYTES_MAX)
            .map_err(|e| StorageIOError::read_logs(any_error(e)))?;
        Ok(Some(entry.log_id))
    }

    /// Writes entries in one transaction and fsyncs it.
    fn append_durably(&self, entries: &[Entry]) -> Result<(), StorageError> {
        let txn = self
            .db
            .begin_write()
            .map_err(|e| StorageIOError::write_logs(any_error(e)))?;
        {
            let mut table = txn
                .open_table(LOG)
                .map_err(|e| StorageIOError::write_logs(any_error(e)))?;
            for entry in entries {
                let bytes =
                    codec::encode(entry).map_err(|e| StorageIOError::write_logs(any_error(e)))?;
                table
                    .insert(entry.log_id.index, bytes.as_slice())
                    .map_err(|e| StorageIOError::write_logs(any_error(e)))?;
            }
        }
        // Durability::Immediate is redb's default: commit returns after fsync.
        let fsync_started = std::time::Instant::now();
        txn.commit()
            .map_err(|e| StorageIOError::write_logs(any_error(e)))?;
        metrics::histogram!("cordon_storage_fsync_seconds")
            .record(fsync_started.elapsed().as_secs_f64());
        Ok(())
    }

    /// Deletes the entries whose index is in `range`; optionally records the
    /// last purged log id in the same transaction.
    fn delete_range(
        &self,
        range: impl RangeBounds<u64>,
        last_purged: Option<LogId>,
    ) -> Result<(), StorageError> {
        let txn = self
            .db
            .begin_write()
            .map_err(|e| StorageIOError::write_logs(any_error(e)))?;
        {
            let mut table = txn
                .open_table(LOG)
                .map_err(|e| StorageIOError::write_logs(any_error(e)))?;
            table
                .retain_in(range, |_, _| false)
                .map_err(|e| StorageIOError::write_logs(any_error(e)))?;
            if let Some(last_purged) = last_purged {
                let bytes = codec::encode(&last_purged)
                    .map_err(|e| StorageIOError::write_logs(any_error(e)))?;
                let mut meta = txn
                    .open_table(META)
                    .map_err(|e| StorageIOError::write_logs(any_error(e)))?;
                meta.insert(KEY_LAST_PURGED, bytes.as_slice())
                    .map_err(|e| StorageIOError::write_logs(any_error(e)))?;
            }
        }
        txn.commit()
            .map_err(|e| StorageIOError::write_logs(any_error(e)))?;
        Ok(())
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
    if tokio::runtime::Handle::current().runtime_flavor()
        == tokio::runtime::RuntimeFlavor::CurrentThread
    {
        return work();
    }
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StorageError::from(StorageIOError::write(any_error(e))))?
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + Send>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, StorageError> {
        let store = self.clone();
        let bounds = (range.start_bound().cloned(), range.end_bound().cloned());
        blocking(move || store.read_range(bounds)).await
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogStore;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError> {
        let store = self.clone();
        blocking(move || {
            let last_purged_log_id = store.read_meta::<LogId>(KEY_LAST_PURGED)?;
            let last_log_id = store.last_entry_log_id()?.or(last_purged_log_id);
            Ok(LogState {
                last_purged_log_id,
                last_log_id,
            })
        })
        .await
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<NodeId>) -> Result<(), StorageError> {
        let store = self.clone();
        let vote = *vote;
        blocking(move || store.write_meta(KEY_VOTE, &vote, Durability::Immediate))
            .await
            .map_err(|e| StorageIOError::write_vote(any_error(e)).into())
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<NodeId>>, StorageError> {
        let store = self.clone();
        blocking(move || store.read_meta(KEY_VOTE)).await
    }

    async fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), StorageError> {
        let store = self.clone();
        if let Some(committed) = committed {
            self.committed_index
                .fetch_max(committed.index, Ordering::Relaxed);
        }
        blocking(move || store.write_meta(KEY_COMMITTED, &committed, Durability::None)).await
    }

    async fn read_committed(&mut self) -> Result<Option<LogId>, StorageError> {
        let store = self.clone();
        let committed = blocking(move || store.read_meta::<Option<LogId>>(KEY_COMMITTED)).await?;
        Ok(committed.flatten())
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<TypeConfig>,
    ) -> Result<(), StorageError>
    where
        I: IntoIterator<Item = Entry> + Send,
        I::IntoIter: Send,
    {
        let entries: Vec<Entry> = entries.into_iter().collect();
        let store = self.clone();
        let started = std::time::Instant::now();
        let result = blocking(move || store.append_durably(&entries)).await;
        metrics::histogram!("cordon_raft_append_seconds").record(started.elapsed().as_secs_f64());
        // Tell openraft only after the fsync above has returned.
        match &result {
            Ok(()) => callback.log_io_completed(Ok(())),
            Err(error) => callback.log_io_completed(Err(std::io::Error::other(error.to_string()))),
        }
        result
    }

    async fn truncate(&mut self, log_id: LogId) -> Result<(), StorageError> {
        let store = self.clone();
        blocking(move || store.delete_range(log_id.index.., None)).await
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), StorageError> {
        let store = self.clone();
        blocking(move || store.delete_range(..=log_id.index, Some(log_id))).await
    }
}
