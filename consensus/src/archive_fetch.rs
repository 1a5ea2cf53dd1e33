//! Fetching the archived batches this node's store lacks: those archived
//! before a snapshot it installed (or lost, unsynced, in a crash). The
//! batches come from peers in parts that fit a frame, and each is stored
//! only once it matches the digest in the ledger's archive index, so a
//! faulty or lying peer cannot plant an incident.

use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::ledger::{ArchiveBatch, ArchivedBatch, Incident};
use crate::node::ConsensusNode;
use crate::types::NodeId;
use crate::wire::{Request, Response};

/// Pause between two looks for missing batches, and after a failed fetch.
const ARCHIVE_FETCH_PAUSE_MS: u64 = 500;

/// Why one batch was not fetched this time.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FetchError {
    /// No peer holds the batch or answers.
    #[error("no peer served archive batch {seq}")]
    NoPeer {
        /// The batch.
        seq: u64,
    },
    /// The node's store failed.
    #[error(transparent)]
    Store(#[from] crate::archive_store::ArchiveError),
}

/// Fetches missing batches until the node stops.
pub(crate) async fn run(node: Weak<ConsensusNode>) {
    loop {
        tokio::time::sleep(Duration::from_millis(ARCHIVE_FETCH_PAUSE_MS)).await;
        let Some(node) = node.upgrade() else { return };
        for batch in node.state_machine().archive_missing() {
            match fetch_batch(&node, &batch).await {
                Ok(()) => tracing::info!(
                    seq = batch.seq,
                    incidents = batch.incident_ids.len(),
                    "fetched archived batch"
                ),
                Err(error) => {
                    tracing::warn!(%error, "archive batch not fetched; retrying");
                    break;
                }
            }
        }
    }
}

/// Fetches one batch from the first peer that has it all and stores it.
async fn fetch_batch(node: &Arc<ConsensusNode>, batch: &ArchiveBatch) -> Result<(), FetchError> {
    for peer in node.peers_leader_first() {
        let Some(incidents) = fetch_from(node, peer, batch).await else {
            continue;
        };
        if !batch.matches(&incidents) {
            tracing::warn!(
                peer,
                seq = batch.seq,
                "archive batch does not match the index's digest"
            );
            continue;
        }
        let archived = ArchivedBatch {
            batch: batch.clone(),
            incidents,
        };
        let machine = node.state_machine().clone();
        crate::log_store::off_runtime(move || machine.store_fetched(archived))
            .await
            .map_err(|e| crate::archive_store::ArchiveError::Storage(e.to_string()))??;
        return Ok(());
    }
    Err(FetchError::NoPeer { seq: batch.seq })
}

/// The batch's incidents from `peer`, part by part; `None` if the peer does
/// not hold it all or does not answer.
async fn fetch_from(
    node: &Arc<ConsensusNode>,
    peer: NodeId,
    batch: &ArchiveBatch,
) -> Option<Vec<Incident>> {
    let mut incidents: Vec<Incident> = Vec::new();
    while incidents.len() < batch.incident_ids.len() {
        let request = Request::ArchiveFetch {
            seq: batch.seq,
            skip: incidents.len() as u64,
        };
        match node.call_peer(peer, request).await {
            Some(Response::ArchiveFetch(Some(part))) if !part.is_empty() => {
                incidents.extend(part);
            }
            _ => return None,
        }
    }
    Some(incidents)
}
