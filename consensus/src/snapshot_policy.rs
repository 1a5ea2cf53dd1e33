//! When a node builds a snapshot: after `raft.snapshot_logs_since_last`
//! entries or as many commands (an entry may carry many: counting them
//! keeps the log held in memory between snapshots bounded), and never
//! before the log since the last snapshot is worth rebuilding it. A snapshot costs its whole size to encode and write
//! while an entry costs its own size, so the threshold grows with the
//! snapshot: one entry per [`SNAPSHOT_BYTES_PER_ENTRY`] bytes of the last
//! snapshot. Snapshot work then stays in proportion to the log written,
//! however large the ledger's hot state grows (a bench that leaves 100,000
//! incidents open), instead of re-encoding tens of MB every few seconds on
//! every node at once. Nodes stagger their thresholds by id (1x, 1.25x,
//! 1.5x, 1.75x), so the members of a small cluster do not all encode a large
//! snapshot at the same index and starve the leader's heartbeats together.
//! openraft's own policy is off ([`SnapshotPolicy::Never`]).
//!
//! After each snapshot the log behind it is purged so that what is kept for
//! slow followers holds at most `raft.logs_kept_after_snapshot_max`
//! commands as well as entries (openraft counts only entries, and at 64
//! clients 1,000 entries carried tens of thousands of commands, all held in
//! memory).
//!
//! [`SnapshotPolicy::Never`]: openraft::SnapshotPolicy::Never

use std::sync::Weak;
use std::time::Duration;

use crate::node::ConsensusNode;

/// Bytes of the last snapshot that raise the threshold by one entry:
/// about twice a typical entry (a report with its trace context), so
/// snapshot bytes written stay at most about half the log bytes written.
pub const SNAPSHOT_BYTES_PER_ENTRY: u64 = 1_000;

/// Pause between two looks at the log's length.
const SNAPSHOT_LOOK_MS: u64 = 200;

/// Entries after which node `node_id` holding a snapshot of
/// `snapshot_bytes` builds the next one, given the configured minimum.
pub fn threshold_entries(node_id: u64, logs_since_last: u64, snapshot_bytes: u64) -> u64 {
    let base = logs_since_last.max(snapshot_bytes / SNAPSHOT_BYTES_PER_ENTRY);
    base.saturating_mul(4 + node_id % 4) / 4
}

/// Triggers snapshots by the policy, and purges behind them, until the
/// node stops.
pub(crate) async fn run(node: Weak<ConsensusNode>, logs_since_last: u64, kept_max: u64) {
    let mut triggered_at_index = None;
    let mut purged_behind = 0;
    loop {
        tokio::time::sleep(Duration::from_millis(SNAPSHOT_LOOK_MS)).await;
        let Some(node) = node.upgrade() else { return };
        let (applied, snapshot) = {
            let metrics = node.raft().metrics();
            let metrics = metrics.borrow();
            let index = |id: Option<crate::types::LogId>| id.map_or(0, |id| id.index);
            (index(metrics.last_applied), index(metrics.snapshot))
        };
        if snapshot > purged_behind {
            purged_behind = snapshot;
            if let Some(upto) = node.log_store().purge_point(snapshot, kept_max) {
                if node.raft().trigger().purge_log(upto).await.is_err() {
                    return;
                }
            }
        }
        // One build at a time: wait for the triggered one to land.
        if triggered_at_index.is_some_and(|at| snapshot < at) {
            continue;
        }
        let snapshot_bytes = node.state_machine().snapshot_bytes();
        let threshold = threshold_entries(node.id(), logs_since_last, snapshot_bytes);
        let commands = node.state_machine().commands_since_snapshot();
        if applied.saturating_sub(snapshot) >= threshold || commands >= threshold {
            triggered_at_index = Some(applied);
            if node.raft().trigger().snapshot().await.is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threshold_grows_with_the_snapshot_past_the_minimum() {
        // A small ledger snapshots every `logs_since_last`; a 55 MB one every 55,000 entries.
        assert_eq!(threshold_entries(4, 5_000, 0), 5_000);
        assert_eq!(threshold_entries(4, 5_000, 1_000_000), 5_000);
        assert_eq!(threshold_entries(4, 5_000, 55_000_000), 55_000);
    }

    #[test]
    fn nodes_stagger_their_thresholds() {
        // Nodes 1, 2 and 3 build at 1.25x, 1.5x and 1.75x of the base: never at the same index.
        let thresholds: Vec<u64> = (1..=3).map(|id| threshold_entries(id, 8_000, 0)).collect();
        assert_eq!(thresholds, vec![10_000, 12_000, 14_000]);
    }
}
