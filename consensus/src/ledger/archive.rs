//! The archive of closed incidents: what keeps the ledger's hot state (and
//! so its snapshots, its memory and every scan over it) the size of the
//! district's present instead of its history.
//!
//! A closed incident stays in the ledger while the [`ArchivePolicy`] keeps
//! it: for `closed_kept_ms` of ledger time after it closed, and among the
//! `closed_kept_max` most recently closed. After that the ledger moves it
//! out in an [`ArchivedBatch`], checked every [`ARCHIVE_EVERY_ENTRIES`] log
//! entries so that batches stay few. The ledger keeps only the batch's
//! [`ArchiveBatch`] summary (ids, count, digest): the archive index. The
//! state machine writes the incidents to the node's archive store, where
//! reads find them by id; a node that installed a snapshot fetches the
//! batches it lacks from a peer and checks them against the digests.
//!
//! Ledger time is the proposer's clock stamped into each command: archiving
//! is a function of the log alone, the same on every node.

use std::collections::BTreeSet;

use ring::digest::{digest, SHA256};
use serde::{Deserialize, Serialize};

use super::ids::{IncidentId, IncidentStatus};
use super::model::Incident;
use crate::codec;

/// Log entries (or commands, whichever pass first) between two looks for
/// closed incidents past the policy:
/// batches of a busy hour's closures instead of one batch per closure.
pub const ARCHIVE_EVERY_ENTRIES: u64 = 256;

/// Most incidents moved out by one entry, so one apply's work stays bounded
/// (the rest go with the next look).
pub const ARCHIVE_BATCH_INCIDENTS_MAX: usize = 2_000;

/// How long closed incidents stay in the ledger's hot state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivePolicy {
    /// Ledger time a closed incident stays hot after it closed, milliseconds.
    pub closed_kept_ms: u64,
    /// Most closed incidents kept hot; the longest closed go first.
    pub closed_kept_max: u32,
}

impl Default for ArchivePolicy {
    fn default() -> Self {
        ArchivePolicy {
            closed_kept_ms: 60 * 60 * 1_000,
            closed_kept_max: 10_000,
        }
    }
}

/// One archived batch as the ledger remembers it: enough to find, fetch and
/// verify its incidents, not the incidents themselves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveBatch {
    /// Batches are numbered from 1 in log order.
    pub seq: u64,
    /// The log index of the entry that archived it.
    pub index: u64,
    /// The incidents in it, in id order.
    pub incident_ids: Vec<IncidentId>,
    /// SHA-256 of the encoded incidents ([`ArchiveBatch::digest_of`]).
    pub digest: [u8; 32],
}

impl ArchiveBatch {
    /// The digest of a batch's incidents: SHA-256 of their encoding, in id order.
    pub fn digest_of(incidents: &[Incident]) -> [u8; 32] {
        let bytes = codec::encode(&incidents).expect("incidents always encode");
        let mut out = [0u8; 32];
        out.copy_from_slice(digest(&SHA256, &bytes).as_ref());
        out
    }

    /// True if `incidents` are exactly this batch's (ids and digest).
    pub fn matches(&self, incidents: &[Incident]) -> bool {
        incidents.len() == self.incident_ids.len()
            && incidents
                .iter()
                .zip(&self.incident_ids)
                .all(|(incident, id)| incident.id == *id)
            && Self::digest_of(incidents) == self.digest
    }
}

/// A batch on its way from the ledger to the node's archive store.
#[derive(Clone, Debug, PartialEq)]
pub struct ArchivedBatch {
    /// Its summary, as the ledger keeps it.
    pub batch: ArchiveBatch,
    /// Its incidents, in id order.
    pub incidents: Vec<Incident>,
}

/// The ledger's side of the archive: the closed incidents still hot, the
/// index of batches moved out, and the batches not yet handed to the store.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Archive {
    pub(crate) policy: ArchivePolicy,
    /// Hot closed incidents by (ledger time closed, id), oldest first.
    closed: BTreeSet<(u64, IncidentId)>,
    batches: Vec<ArchiveBatch>,
    archived_resolved: u64,
    archived_cancelled: u64,
    /// Where the last look was.
    last_look: super::At,
    /// Batches made since the state machine last took them; never in a
    /// snapshot (the state machine takes them within the same apply).
    #[serde(skip)]
    outbox: Vec<ArchivedBatch>,
}

impl Archive {
    /// Notes that `incident_id` closed at ledger time `at_ms`.
    pub(crate) fn closed(&mut self, at_ms: u64, incident_id: IncidentId) {
        self.closed.insert((at_ms, incident_id));
    }

    /// True on the entries that look for incidents to archive.
    pub(crate) fn look_due(&mut self, at: super::At) -> bool {
        if at.passed_since(self.last_look) < ARCHIVE_EVERY_ENTRIES {
            return false;
        }
        self.last_look = at;
        true
    }

    /// Takes the closed incidents past the policy at ledger time `now_ms`,
    /// longest closed first, at most [`ARCHIVE_BATCH_INCIDENTS_MAX`].
    pub(crate) fn take_due(&mut self, now_ms: u64) -> Vec<IncidentId> {
        let kept_max = self.policy.closed_kept_max as usize;
        let mut due = Vec::new();
        while due.len() < ARCHIVE_BATCH_INCIDENTS_MAX {
            let Some(&(closed_ms, id)) = self.closed.first() else {
                break;
            };
            let too_old = closed_ms.saturating_add(self.policy.closed_kept_ms) <= now_ms;
            if !too_old && self.closed.len() <= kept_max {
                break;
            }
            self.closed.pop_first();
            due.push(id);
        }
        due.sort_unstable();
        due
    }

    /// Records a batch of incidents moved out at log `index`.
    pub(crate) fn seal(&mut self, index: u64, mut incidents: Vec<Incident>) {
        incidents.sort_unstable_by_key(|incident| incident.id);
        for incident in &incidents {
            match incident.status {
                IncidentStatus::Resolved => self.archived_resolved += 1,
                _ => self.archived_cancelled += 1,
            }
        }
        let batch = ArchiveBatch {
            seq: self.batches.len() as u64 + 1,
            index,
            incident_ids: incidents.iter().map(|incident| incident.id).collect(),
            digest: ArchiveBatch::digest_of(&incidents),
        };
        self.batches.push(batch.clone());
        self.outbox.push(ArchivedBatch { batch, incidents });
    }

    /// The batches made since the last call.
    pub(crate) fn take_outbox(&mut self) -> Vec<ArchivedBatch> {
        std::mem::take(&mut self.outbox)
    }

    /// The archive index, oldest batch first.
    pub(crate) fn batches(&self) -> &[ArchiveBatch] {
        &self.batches
    }

    /// Archived incidents by status: (resolved, cancelled).
    pub(crate) fn archived_by_status(&self) -> (u64, u64) {
        (self.archived_resolved, self.archived_cancelled)
    }

    /// Closed incidents still hot.
    pub(crate) fn closed_hot_count(&self) -> usize {
        self.closed.len()
    }
}
