//! The audit trail's hash chain. Each timeline entry's hash is SHA-256 over
//! the previous entry's hash and a canonical line of the entry's fields, so a
//! removed, reordered or edited entry breaks every hash after it.

use ring::digest::{digest, SHA256};

use super::command::Origin;
use super::ids::{IncidentStatus, RequestId};
use super::model::TimelineEntry;

/// The hash before the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The hash of an entry given the previous hash.
pub fn entry_hash(previous: &str, entry: &TimelineEntry) -> String {
    let line = format!(
        "{previous}\n{}\n{}\n{}\n{}\n{}\n{:?}\n{}",
        entry.index,
        entry.at_ms,
        entry.origin,
        entry.request_id,
        entry.step,
        entry.status,
        entry.reason
    );
    hex(digest(&SHA256, line.as_bytes()).as_ref())
}

/// Appends an entry with its chained hash.
#[allow(clippy::too_many_arguments)] // reason: one argument per audited field keeps call sites explicit
pub(crate) fn append(
    timeline: &mut Vec<TimelineEntry>,
    index: u64,
    at_ms: u64,
    origin: &Origin,
    request_id: &RequestId,
    step: &str,
    status: IncidentStatus,
    reason: String,
) {
    let previous = timeline
        .last()
        .map_or(GENESIS_HASH, |e| e.hash.as_str())
        .to_string();
    let mut entry = TimelineEntry {
        index,
        at_ms,
        origin: origin.clone(),
        request_id: request_id.clone(),
        step: step.to_string(),
        status,
        reason,
        hash: String::new(),
    };
    entry.hash = entry_hash(&previous, &entry);
    timeline.push(entry);
}

/// Checks a timeline's chain; on a break, returns the position of the first bad entry.
pub fn verify(timeline: &[TimelineEntry]) -> Result<(), usize> {
    let mut previous = GENESIS_HASH.to_string();
    for (position, entry) in timeline.iter().enumerate() {
        if entry_hash(&previous, entry) != entry.hash {
            return Err(position);
        }
        previous = entry.hash.clone();
    }
    Ok(())
}
