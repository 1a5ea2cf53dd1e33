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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::ids::ActorId;

    #[test]
    fn the_hash_of_a_fixed_timeline_never_changes() {
        // Timelines already in logs and snapshots must keep verifying: the
        // canonical line of an entry, step name included, is fixed.
        let mut timeline = Vec::new();
        append(
            &mut timeline,
            7,
            1_700_000_000_000,
            &Origin::Operator,
            &RequestId("report-1".into()),
            "reported",
            IncidentStatus::Reported,
            "theft reported by EmergencyCall".into(),
        );
        append(
            &mut timeline,
            9,
            1_700_000_004_000,
            &Origin::Actor {
                actor: ActorId::Hub,
                epoch: 3,
                node: 2,
            },
            &RequestId("hub.e3.triage.1".into()),
            "triaged",
            IncidentStatus::Triaged,
            "ring 3, station bund, run card theft, target 300 s".into(),
        );
        assert_eq!(verify(&timeline), Ok(()));
        assert_eq!(
            timeline[0].hash,
            "ca81d6772379699c9c5d6434dead1a41d7d16cbb89a86585e29fbad0a9424b47"
        );
        assert_eq!(
            timeline[1].hash,
            "83fa91a3eb8d05c0b48272779d3350a947afff5e29036c4548467e9b3b64fbc2"
        );
    }
}
