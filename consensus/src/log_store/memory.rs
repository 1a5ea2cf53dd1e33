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

    /// The index to purge up to so that the entries after it, through
    /// `last`, carry at most `commands_max` commands; none when they do
    /// already. An entry that is not a proposal counts as one.
    pub(crate) fn purge_point(&self, last: u64, commands_max: u64) -> Option<u64> {
        let mut kept = 0u64;
        for (index, entry) in self.entries.range(..=last).rev() {
            kept += match &entry.payload {
                openraft::EntryPayload::Normal(proposal) => proposal.commands.len() as u64,
                _ => 1,
            };
            if kept > commands_max {
                return Some(*index);
            }
        }
        None
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{Action, BenchNote, Command, Origin, RequestId};
    use crate::types::Proposal;

    fn entry(index: u64, commands: usize) -> LogRecord {
        let note = |n: usize| {
            let id = RequestId(format!("e{index}-{n}"));
            Command::new(
                id,
                0,
                Origin::Operator,
                Action::BenchNote(BenchNote { bytes: vec![] }),
            )
        };
        LogRecord::Entry(Entry {
            log_id: LogId::new(openraft::CommittedLeaderId::new(1, 1), index),
            payload: openraft::EntryPayload::Normal(Proposal {
                commands: (0..commands).map(note).collect(),
            }),
        })
    }

    #[test]
    fn the_purge_point_keeps_at_most_the_commands_asked_for() {
        // Entries 1-5 carry 1, 40, 40, 10 and 5 commands.
        let mut memory = LogMemory::default();
        for (index, commands) in [(1, 1), (2, 40), (3, 40), (4, 10), (5, 5)] {
            memory.apply(&entry(index, commands));
        }

        // Keeping 50 commands behind a snapshot at 5 keeps entries 4 and 5
        // (15); entry 3 would bring 55. Keeping 100 keeps them all.
        assert_eq!(memory.purge_point(5, 50), Some(3));
        assert_eq!(memory.purge_point(5, 15), Some(3));
        assert_eq!(memory.purge_point(5, 14), Some(4));
        assert_eq!(memory.purge_point(4, 50), Some(2));
        assert_eq!(memory.purge_point(5, 100), None);
    }
}
