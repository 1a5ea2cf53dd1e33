//! The bytes of a log segment: a header, then checksummed records.
//!
//! ```text
//! header (32 bytes): b"CRDNWAL\0" · storage format u16 BE · sequence u64 BE ·
//!                    crc32 of the 18 bytes before it (u32 BE) · 10 zero bytes
//! record:            length u32 LE · crc u32 LE · payload (length bytes)
//! ```
//!
//! A record's crc covers the previous record's crc (the header's, for the
//! first), its length and its payload, so the records form a chain: a
//! leftover record from before a crash cannot pass as the successor of a
//! record written after it. A length of zero is the pre-allocated space
//! after the last record. Reading stops at the first record that is cut
//! short, too long, or breaks the chain: the torn tail of a crash.

use serde::{Deserialize, Serialize};

use crate::codec::{self, CodecError, STORAGE_FORMAT_VERSION};
use crate::types::{Entry, LogId, NodeId};

/// What one record says. Replaying a segment's records in order rebuilds
/// the log as it was (see [`super::memory::LogMemory::apply`]).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) enum LogRecord {
    /// An entry appended at its index (replacing any entry at or after it).
    Entry(Entry),
    /// The vote, saved.
    Vote(openraft::Vote<NodeId>),
    /// The last committed log id, as a hint for a restart.
    Committed(Option<LogId>),
    /// Entries at and after this index removed (a follower's conflict).
    TruncateSince(u64),
    /// Entries up to and including this log id removed (behind a snapshot).
    PurgeUpTo(LogId),
    /// The state no entry carries, written first in every segment so older
    /// segments can be deleted once their entries are purged.
    Checkpoint(Checkpoint),
}

/// Vote, committed and purged ids: what a segment's first record restates.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Checkpoint {
    pub(crate) vote: Option<openraft::Vote<NodeId>>,
    pub(crate) committed: Option<LogId>,
    pub(crate) last_purged: Option<LogId>,
}

impl Checkpoint {
    /// Takes in what `record` changes of the vote, committed and purged ids.
    pub(crate) fn note(&mut self, record: &LogRecord) {
        match record {
            LogRecord::Vote(vote) => self.vote = Some(*vote),
            LogRecord::Committed(committed) => self.committed = *committed,
            LogRecord::PurgeUpTo(log_id) => {
                if self.last_purged.is_none_or(|purged| purged < *log_id) {
                    self.last_purged = Some(*log_id);
                }
            }
            LogRecord::Checkpoint(checkpoint) => *self = checkpoint.clone(),
            LogRecord::Entry(_) | LogRecord::TruncateSince(_) => {}
        }
    }
}

/// The first bytes of every segment file.
const MAGIC: [u8; 8] = *b"CRDNWAL\0";

/// Bytes of a segment's header.
pub(crate) const HEADER_BYTES: usize = 32;

/// Bytes of a record's length and crc.
pub(crate) const RECORD_HEADER_BYTES: usize = 8;

/// Largest payload one record may hold (far above any real entry).
pub(crate) const RECORD_PAYLOAD_BYTES_MAX: usize = 64 * 1024 * 1024;

/// A segment's header bytes for `sequence`, and the crc the first record
/// chains from.
pub(crate) fn header(sequence: u64) -> ([u8; HEADER_BYTES], u32) {
    let mut bytes = [0u8; HEADER_BYTES];
    bytes[0..8].copy_from_slice(&MAGIC);
    bytes[8..10].copy_from_slice(&STORAGE_FORMAT_VERSION.to_be_bytes());
    bytes[10..18].copy_from_slice(&sequence.to_be_bytes());
    let crc = crc32fast::hash(&bytes[0..18]);
    bytes[18..22].copy_from_slice(&crc.to_be_bytes());
    (bytes, crc)
}

/// Why a segment's header cannot be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum HeaderError {
    /// Not a segment, or its header was never completely written.
    #[error("no valid segment header (a file cut short at its creation, or not Cordon's)")]
    Invalid,
    /// A segment of another storage format.
    #[error(transparent)]
    Format(CodecError),
    /// The header names another sequence number than the file name.
    #[error("the header names segment {found}, the file name {expected}")]
    Sequence { found: u64, expected: u64 },
}

/// Checks a segment's header and returns the crc its first record chains from.
pub(crate) fn check_header(bytes: &[u8], sequence: u64) -> Result<u32, HeaderError> {
    if bytes.len() < HEADER_BYTES || bytes[0..8] != MAGIC {
        return Err(HeaderError::Invalid);
    }
    let crc = u32::from_be_bytes([bytes[18], bytes[19], bytes[20], bytes[21]]);
    if crc32fast::hash(&bytes[0..18]) != crc {
        return Err(HeaderError::Invalid);
    }
    let found_format = u16::from_be_bytes([bytes[8], bytes[9]]);
    if found_format != STORAGE_FORMAT_VERSION {
        return Err(HeaderError::Format(CodecError::StorageFormat {
            found: found_format,
            expected: STORAGE_FORMAT_VERSION,
        }));
    }
    let mut found_sequence = [0u8; 8];
    found_sequence.copy_from_slice(&bytes[10..18]);
    let found = u64::from_be_bytes(found_sequence);
    if found != sequence {
        return Err(HeaderError::Sequence {
            found,
            expected: sequence,
        });
    }
    Ok(crc)
}

/// The crc of a record that follows one whose crc was `previous`.
fn chained_crc(previous: u32, len: u32, payload: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&previous.to_le_bytes());
    hasher.update(&len.to_le_bytes());
    hasher.update(payload);
    hasher.finalize()
}

/// Encodes `record` after one whose crc was `previous`: the framed bytes
/// and the new record's crc.
pub(crate) fn frame(record: &LogRecord, previous: u32) -> Result<(Vec<u8>, u32), CodecError> {
    let payload = codec::encode(record)?;
    let len = u32::try_from(payload.len())
        .ok()
        .filter(|len| (*len as usize) <= RECORD_PAYLOAD_BYTES_MAX)
        .ok_or(CodecError::FrameTooLarge {
            len_bytes: payload.len() as u64,
            limit_bytes: RECORD_PAYLOAD_BYTES_MAX as u64,
        })?;
    let crc = chained_crc(previous, len, &payload);
    let mut bytes = Vec::with_capacity(RECORD_HEADER_BYTES + payload.len());
    bytes.extend_from_slice(&len.to_le_bytes());
    bytes.extend_from_slice(&crc.to_le_bytes());
    bytes.extend_from_slice(&payload);
    Ok((bytes, crc))
}

/// The valid records of one segment, read from its bytes.
#[derive(Debug)]
pub(crate) struct Scan {
    pub(crate) records: Vec<LogRecord>,
    /// Offset just past the last valid record.
    pub(crate) end: u64,
    /// Whether reading stopped at bytes that are not the zeros of
    /// pre-allocated space: a torn tail.
    pub(crate) torn: bool,
}

/// Reads the records after the header, stopping at the first that is not
/// valid. A record whose chain holds but whose payload does not decode is
/// an error: the bytes are Cordon's but not of this release.
pub(crate) fn scan(bytes: &[u8], header_crc: u32) -> Result<Scan, CodecError> {
    let mut offset = HEADER_BYTES;
    let mut last_crc = header_crc;
    let mut records = Vec::new();
    let torn = loop {
        let Some(head) = bytes.get(offset..offset + RECORD_HEADER_BYTES) else {
            break false;
        };
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        if len == 0 {
            break crc != 0;
        }
        let start = offset + RECORD_HEADER_BYTES;
        let Some(payload) = bytes.get(start..start + len as usize) else {
            break true;
        };
        if len as usize > RECORD_PAYLOAD_BYTES_MAX || chained_crc(last_crc, len, payload) != crc {
            break true;
        }
        records.push(codec::decode(payload, RECORD_PAYLOAD_BYTES_MAX)?);
        last_crc = crc;
        offset = start + len as usize;
    };
    Ok(Scan {
        records,
        end: offset as u64,
        torn,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(records: &[LogRecord]) -> (Vec<u8>, u32) {
        let (head, mut crc) = header(7);
        let mut bytes = head.to_vec();
        for record in records {
            let (framed, next) = frame(record, crc).unwrap();
            bytes.extend_from_slice(&framed);
            crc = next;
        }
        (bytes, crc)
    }

    fn committed(index: u64) -> LogRecord {
        LogRecord::Committed(Some(LogId::new(
            openraft::CommittedLeaderId::new(1, 1),
            index,
        )))
    }

    #[test]
    fn records_read_back_in_order_up_to_the_zeros() {
        // Phase 1: three records, then pre-allocated zeros.
        let (mut bytes, _) = segment(&[committed(1), committed(2), committed(3)]);
        let end = bytes.len() as u64;
        bytes.resize(bytes.len() + 4096, 0);

        // Phase 2: all three read back, and the scan ends at the zeros.
        let header_crc = check_header(&bytes, 7).unwrap();
        let scan = scan(&bytes, header_crc).unwrap();
        assert_eq!(scan.records.len(), 3);
        assert_eq!((scan.end, scan.torn), (end, false));
    }

    #[test]
    fn a_torn_or_foreign_record_ends_the_segment() {
        // Phase 1: a record cut short stops the scan before it.
        let (bytes, _) = segment(&[committed(1), committed(2)]);
        let header_crc = check_header(&bytes, 7).unwrap();
        let cut = &bytes[..bytes.len() - 3];
        let scan_cut = scan(cut, header_crc).unwrap();
        assert_eq!((scan_cut.records.len(), scan_cut.torn), (1, true));

        // Phase 2: a valid record from another chain (a leftover from
        // before a crash) does not follow the records before it.
        let (other, _) = segment(&[committed(9)]);
        let (first, _) = segment(&[committed(1)]);
        let mut spliced = first.clone();
        spliced.extend_from_slice(&other[HEADER_BYTES..]);
        spliced.extend_from_slice(&other[HEADER_BYTES..]);
        let scan_spliced = scan(&spliced, header_crc).unwrap();
        assert_eq!((scan_spliced.records.len(), scan_spliced.torn), (1, true));
    }

    #[test]
    fn a_header_of_another_segment_or_format_is_refused() {
        let (bytes, _) = header(7);
        assert!(matches!(
            check_header(&bytes, 8),
            Err(HeaderError::Sequence {
                found: 7,
                expected: 8
            })
        ));
        let mut other_format = bytes;
        other_format[9] ^= 0xff;
        let crc = crc32fast::hash(&other_format[0..18]);
        other_format[18..22].copy_from_slice(&crc.to_be_bytes());
        assert!(matches!(
            check_header(&other_format, 7),
            Err(HeaderError::Format(_))
        ));
        assert!(matches!(
            check_header(&[0u8; HEADER_BYTES], 7),
            Err(HeaderError::Invalid)
        ));
    }
}
