//! The node's archive store: the closed incidents the ledger moved out of
//! its hot state ([`crate::ledger::archive`]), kept by id in the node's
//! redb file next to the snapshot.
//!
//! Writes follow apply and are not synced on their own: a batch the store
//! lost in a crash is written again when the entries after the snapshot are
//! applied again on restart. The snapshot's own commit is synced, and redb
//! makes every earlier commit durable with it, so every batch a stored
//! snapshot's index names is on disk. A node that installed a snapshot from
//! its leader lacks the batches archived before it: the node fetches them
//! from peers ([`crate::node`]) and checks each against the index's digest.

use std::sync::Arc;

use redb::{Database, Durability, ReadableDatabase, TableDefinition};

use crate::codec;
use crate::ledger::{ArchiveBatch, ArchivedBatch, Incident, IncidentId};

const INCIDENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("archived_incidents");
/// The batches whose every incident is stored, by sequence number.
const COMPLETE: TableDefinition<u64, ()> = TableDefinition::new("archive_batches_complete");

/// Largest archived incident read back.
const INCIDENT_BYTES_MAX: usize = 16 * 1024 * 1024;

/// Why the archive store could not read or write.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ArchiveError {
    /// The node's database failed.
    #[error("archive store: {0}")]
    Storage(String),
    /// A stored incident did not decode.
    #[error("archived incident {incident_id} does not decode: {reason}")]
    Corrupt {
        /// The incident.
        incident_id: IncidentId,
        /// What failed.
        reason: String,
    },
}

fn storage(error: impl std::fmt::Display) -> ArchiveError {
    ArchiveError::Storage(error.to_string())
}

/// The archived incidents of one node.
#[derive(Clone)]
pub struct ArchiveStore {
    db: Arc<Database>,
}

impl ArchiveStore {
    /// The store in the node's database.
    pub fn new(db: Arc<Database>) -> ArchiveStore {
        ArchiveStore { db }
    }

    /// Writes batches and marks them complete, in one unsynced commit (see
    /// the module's note on durability).
    pub fn write(&self, batches: &[ArchivedBatch]) -> Result<(), ArchiveError> {
        if batches.is_empty() {
            return Ok(());
        }
        let mut txn = self.db.begin_write().map_err(storage)?;
        txn.set_durability(Durability::None).map_err(storage)?;
        {
            let mut incidents = txn.open_table(INCIDENTS).map_err(storage)?;
            let mut complete = txn.open_table(COMPLETE).map_err(storage)?;
            for archived in batches {
                for incident in &archived.incidents {
                    let bytes = codec::encode(incident).map_err(storage)?;
                    incidents
                        .insert(incident.id.0, bytes.as_slice())
                        .map_err(storage)?;
                }
                complete.insert(archived.batch.seq, ()).map_err(storage)?;
            }
        }
        txn.commit().map_err(storage)
    }

    /// One archived incident, if this node holds it.
    pub fn incident(&self, incident_id: IncidentId) -> Result<Option<Incident>, ArchiveError> {
        let txn = self.db.begin_read().map_err(storage)?;
        let Some(table) = open_if_there(&txn, INCIDENTS)? else {
            return Ok(None);
        };
        let Some(bytes) = table.get(incident_id.0).map_err(storage)? else {
            return Ok(None);
        };
        decode_incident(incident_id, bytes.value()).map(Some)
    }

    /// The incidents of `batch` from its `skip`th on, as many as fit in
    /// `bytes_max` (at least one); `None` unless the batch is complete here.
    /// One read transaction; sizes are the stored encodings'.
    pub fn batch_part(
        &self,
        batch: &ArchiveBatch,
        skip: usize,
        bytes_max: usize,
    ) -> Result<Option<Vec<Incident>>, ArchiveError> {
        let txn = self.db.begin_read().map_err(storage)?;
        let complete = open_if_there(&txn, COMPLETE)?;
        let incidents = open_if_there(&txn, INCIDENTS)?;
        let (Some(complete), Some(incidents)) = (complete, incidents) else {
            return Ok(None);
        };
        if complete.get(batch.seq).map_err(storage)?.is_none() {
            return Ok(None);
        }
        let mut part = Vec::new();
        let mut bytes = 0usize;
        for &incident_id in batch.incident_ids.iter().skip(skip) {
            let Some(stored) = incidents.get(incident_id.0).map_err(storage)? else {
                return Ok(None);
            };
            bytes += stored.value().len();
            if !part.is_empty() && bytes > bytes_max {
                break;
            }
            part.push(decode_incident(incident_id, stored.value())?);
        }
        Ok(Some(part))
    }

    /// The batches of `index` this node does not hold, oldest first (one
    /// read transaction, however long the index).
    pub fn missing(&self, index: &[ArchiveBatch]) -> Result<Vec<ArchiveBatch>, ArchiveError> {
        let txn = self.db.begin_read().map_err(storage)?;
        let Some(complete) = open_if_there(&txn, COMPLETE)? else {
            return Ok(index.to_vec());
        };
        let mut missing = Vec::new();
        for batch in index {
            if complete.get(batch.seq).map_err(storage)?.is_none() {
                missing.push(batch.clone());
            }
        }
        Ok(missing)
    }
}

/// A table of a read transaction, `None` if nothing was ever written to it.
fn open_if_there<K: redb::Key + 'static, V: redb::Value + 'static>(
    txn: &redb::ReadTransaction,
    table: TableDefinition<K, V>,
) -> Result<Option<redb::ReadOnlyTable<K, V>>, ArchiveError> {
    match txn.open_table(table) {
        Ok(table) => Ok(Some(table)),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
        Err(error) => Err(storage(error)),
    }
}

fn decode_incident(incident_id: IncidentId, bytes: &[u8]) -> Result<Incident, ArchiveError> {
    codec::decode(bytes, INCIDENT_BYTES_MAX).map_err(|error| ArchiveError::Corrupt {
        incident_id,
        reason: error.to_string(),
    })
}
