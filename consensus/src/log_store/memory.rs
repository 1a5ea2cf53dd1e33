//! The log as openraft sees it, in memory: live entries, vote, committed
//! and purged ids. Every change is a [`LogRecord`] applied here and written
//! to the segments in the same order, so replaying the segments at a
//! restart rebuilds exactly what was synced.
//!
//! The entries kept are those not yet purged behind a snapshot: at most
//! about `raft.snapshot_logs_since_last + raft.logs_kept_after_snapshot_max`
//! of them, so reads never touch the disk.

use std::collections::BTreeMap;
use std::ops::RangeBounds;

use super::format::{Checkpoint, LogRecord};
use crate::types::{Entry, LogId, NodeId};

/// The log's state.
#[derive(Debug, Default)]
pub(crate) struct LogMemory {
    entries: BTreeMap<u64, Entry>,
    state: Checkpoint,
}

impl LogMemory {
    /// Applies one change.
    pub(crate) fn apply(&mut self, record: &LogRecord) {
        self.state.note(record);
        match record {
            LogRecord::Entry(entry) => {
                self.entries.split_off(&entry.log_id.index);
                self.entries.insert(entry.log_id.index, entry.clone());
            }
            LogRecord::TruncateSince(index) => {
                self.entries.split_off(index);
            }
            LogRecord::PurgeUpTo(_) | LogRecord::Checkpoint(_) => {
                if let Some(purged) = self.state.last_purged {
                    self.entries = self.entries.split_off(&(purged.index + 1));
                }
            }
            LogRecord::Vote(_) | LogRecord::Committed(_) => {}
        }
    }

    /// The vote, committed and purged ids, as a segment's first record.
    pub(crate) fn checkpoint(&self) -> Checkpoint {
        self.state.clone()
    }

    /// Clones of the entries whose index is in `range`.
    pub(crate) fn entries(&self, range: impl RangeBounds<u64>) -> Vec<Entry> {
        self.entries
            .range(range)
            .map(|(_, entry)| entry.clone())
            .collect()
    }

    /// The last entry's log id, or the last purged id when no entry is left.
    pub(crate) fn last_log_id(&self) -> Option<LogId> {
        self.entries
            .last_key_value()
            .map(|(_, entry)| entry.log_id)
            .or(self.state.last_purged)
    }

    /// The last purged log id.
    pub(crate) fn last_purged(&self) -> Option<LogId> {
        self.state.last_purged
    }

    /// The saved vote.
    pub(crate) fn vote(&self) -> Option<openraft::Vote<NodeId>> {
        self.state.vote
    }

    /// The saved committed log id.
    pub(crate) fn committed(&self) -> Option<LogId> {
        self.state.committed
    }

    /// Number of live entries.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}
