//! The one place that knows the byte encoding of the wire and the log.
//!
//! bincode 2.0.1 (serde API, standard configuration) is unmaintained
//! (RUSTSEC-2025-0141) and its successor is not usable, so every encode and
//! decode in Cordon goes through these functions and the codec can be swapped
//! in one file. Decoding is bounded: a caller passes the largest size it
//! accepts and the length prefix is checked before any buffer is allocated.
//!
//! What is stored for long (the ledger in snapshots) is written with a
//! header naming [`STORAGE_FORMAT_VERSION`]; reading another version fails
//! with an error naming both, rather than misreading the bytes.

use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Errors from encoding, decoding and framing.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The value could not be encoded.
    #[error("encode: {0}")]
    Encode(String),
    /// The bytes are not a valid encoding of the expected type.
    #[error("decode: {0}")]
    Decode(String),
    /// A frame announced more bytes than the receiver accepts.
    #[error("frame of {len_bytes} bytes exceeds the limit of {limit_bytes} bytes")]
    FrameTooLarge {
        /// The announced length.
        len_bytes: u64,
        /// The receiver's limit.
        limit_bytes: u64,
    },
    /// The bytes do not start with the storage header (written by a
    /// release before storage format 2, or not Cordon's).
    #[error("bytes lack Cordon's storage header: written before storage format {expected} or not by Cordon; rebuild the node's data from its peers")]
    NoStorageHeader {
        /// The version this build reads.
        expected: u16,
    },
    /// The bytes were written in another storage format.
    #[error("storage format {found} is not {expected}: run the same Cordon release on every node, or rebuild the node's data from its peers")]
    StorageFormat {
        /// The version found in the header.
        found: u16,
        /// The version this build reads.
        expected: u16,
    },
    /// The stream failed or ended inside a frame.
    #[error("frame io: {0}")]
    Io(#[from] std::io::Error),
}

/// The version of the stored ledger's encoding: bump on any change of how
/// the ledger's types encode. 1 had no header; 2 types rings (1-4 only) and
/// station ids, so a ring outside 1..=4 no longer decodes; 3 types the
/// timeline's steps (a step carries the unit it is about); 4 adds the
/// unresourced mark (an action, a step and an incident field), the target
/// an escalation carries, the breach flag of an assignment, with each
/// remembered answer the fingerprint of the request it answered, the
/// report of an actor failed past its restart budget (an action, an effect,
/// a rejection and the ledger's failures per actor and node), and a
/// mobilisation plan kept whole (each line's destination, the cordon points,
/// facilities and shortfalls); 5 names the principal (name, roles,
/// credential) of every API origin, a unit's station, and adds bearer
/// tokens, the operator audit log and their actions; 6 keeps the Raft log
/// in segments, adds the deadline watch, the archive of closed incidents
/// (the policy a roster load sets, the index of archived batches, the
/// refusal of a change to an archived incident) and forgets successful
/// request ids after `SUCCESS_MEMORY_ENTRIES`; 7 adds move-ups (three
/// actions, two effects, two rejections, the ledger's move-ups and a
/// unit's post); 8 adds crowd counts (an action, an effect, a rejection and
/// the ledger's counts per sensor) and the hazard register (six actions, two
/// effects, two rejections, the hazards and the tally cleared per day); 9
/// has a unit's post say what set it (a move-up or a hazard's
/// pre-position measure) and the measure say where its unit waits; 10
/// adds notes and the acknowledgement of an unresourced wait (two actions,
/// two timeline steps and the acknowledgement on the mark); 11 adds the
/// field's voice and the unit timers (five actions, three timeline steps, a
/// unit's status time, last check-in, alert and last clearing) and the
/// amendment of a plan (an action and a timeline step); 12 adds the
/// reassignment of a busy unit and the import of a partner's incident (two
/// actions, and an incident's partner tracking identifier), and, landed
/// under 12 as well, the golden four hours and the roster of people; 13
/// adds two-level command and mutual aid between districts (three actions,
/// three timeline steps, an incident's asks of the district and requests
/// to neighbours), the hospital round timer (an alert kind), the member and
/// city-operations roles (two roles, two rights), and the roster's changes
/// on the operator audit log; 14 has a log entry carry a proposal of one or
/// more commands (the writes that arrived together, applied in order).
pub const STORAGE_FORMAT_VERSION: u16 = 14;

/// The first bytes of a versioned encoding, before the version.
const STORAGE_FORMAT_MAGIC: [u8; 4] = *b"CRDN";

/// Bytes of the header: magic, then the version as big-endian u16.
const STORAGE_HEADER_BYTES: usize = 6;

/// Absolute cap on the bytes one decoded value may claim, whatever the caller's limit.
const DECODE_BYTES_MAX: usize = 256 * 1024 * 1024;

fn config() -> bincode::config::Configuration {
    bincode::config::standard()
}

/// Encodes a value.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, CodecError> {
    bincode::serde::encode_to_vec(value, config()).map_err(|e| CodecError::Encode(e.to_string()))
}

/// The bytes [`encode`] would make of a value, counted without making them.
pub fn encoded_len<T: Serialize>(value: &T) -> Result<usize, CodecError> {
    let mut counter = bincode::enc::write::SizeWriter::default();
    bincode::serde::encode_into_writer(value, &mut counter, config())
        .map_err(|e| CodecError::Encode(e.to_string()))?;
    Ok(counter.bytes_written)
}

/// Decodes a value, refusing trailing bytes and inputs above `limit_bytes`.
pub fn decode<T: DeserializeOwned>(bytes: &[u8], limit_bytes: usize) -> Result<T, CodecError> {
    if bytes.len() > limit_bytes {
        return Err(CodecError::FrameTooLarge {
            len_bytes: bytes.len() as u64,
            limit_bytes: limit_bytes as u64,
        });
    }
    // A slice decoder cannot read past its input and serde caps
    // pre-allocation from announced lengths, so the frame limit bounds memory;
    // bincode's own limit is a second, absolute cap on what one value claims.
    let config = config().with_limit::<DECODE_BYTES_MAX>();
    let (value, read) = bincode::serde::decode_from_slice(bytes, config)
        .map_err(|e| CodecError::Decode(e.to_string()))?;
    if read != bytes.len() {
        return Err(CodecError::Decode(format!(
            "{} trailing bytes after the value",
            bytes.len() - read
        )));
    }
    Ok(value)
}

/// Encodes a value for storage: the header (magic and
/// [`STORAGE_FORMAT_VERSION`]), then the encoded value.
pub fn encode_versioned<T: Serialize>(value: &T) -> Result<Vec<u8>, CodecError> {
    let body = encode(value)?;
    let mut bytes = Vec::with_capacity(STORAGE_HEADER_BYTES + body.len());
    bytes.extend_from_slice(&STORAGE_FORMAT_MAGIC);
    bytes.extend_from_slice(&STORAGE_FORMAT_VERSION.to_be_bytes());
    bytes.extend_from_slice(&body);
    Ok(bytes)
}

/// Decodes a value written by [`encode_versioned`], refusing bytes without
/// the header or of another [`STORAGE_FORMAT_VERSION`].
pub fn decode_versioned<T: DeserializeOwned>(
    bytes: &[u8],
    limit_bytes: usize,
) -> Result<T, CodecError> {
    let expected = STORAGE_FORMAT_VERSION;
    let (header, body) = bytes
        .split_at_checked(STORAGE_HEADER_BYTES)
        .filter(|(header, _)| header.starts_with(&STORAGE_FORMAT_MAGIC))
        .ok_or(CodecError::NoStorageHeader { expected })?;
    let found = u16::from_be_bytes([header[4], header[5]]);
    if found != expected {
        return Err(CodecError::StorageFormat { found, expected });
    }
    decode(body, limit_bytes)
}

/// Writes one frame: a 4-byte big-endian length, then the encoded value.
pub async fn write_frame<W, T>(writer: &mut W, value: &T) -> Result<(), CodecError>
where
    W: AsyncWrite + Unpin,
    T: Serialize,
{
    let bytes = encode(value)?;
    let len = u32::try_from(bytes.len()).map_err(|_| CodecError::FrameTooLarge {
        len_bytes: bytes.len() as u64,
        limit_bytes: u32::MAX as u64,
    })?;
    writer.write_all(&len.to_be_bytes()).await?;
    writer.write_all(&bytes).await?;
    Ok(())
}

/// Reads one frame, checking its announced length against `limit_bytes`
/// before allocating.
pub async fn read_frame<R, T>(reader: &mut R, limit_bytes: usize) -> Result<T, CodecError>
where
    R: AsyncRead + Unpin,
    T: DeserializeOwned,
{
    let mut len = [0u8; 4];
    reader.read_exact(&mut len).await?;
    let len = u32::from_be_bytes(len) as usize;
    if len > limit_bytes {
        return Err(CodecError::FrameTooLarge {
            len_bytes: len as u64,
            limit_bytes: limit_bytes as u64,
        });
    }
    let mut bytes = vec![0u8; len];
    reader.read_exact(&mut bytes).await?;
    decode(&bytes, limit_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
    struct Sample {
        id: u64,
        name: String,
        tags: Vec<String>,
    }

    #[test]
    fn the_counted_length_is_the_encoded_length() {
        let sample = Sample {
            id: 300_000,
            name: "nanjing road".into(),
            tags: vec!["a".into(); 40],
        };
        assert_eq!(
            encoded_len(&sample).unwrap(),
            encode(&sample).unwrap().len()
        );
    }

    #[test]
    fn value_round_trips() {
        let sample = Sample {
            id: 7,
            name: "bund".into(),
            tags: vec!["a".into(), "b".into()],
        };
        let bytes = encode(&sample).unwrap();
        assert_eq!(decode::<Sample>(&bytes, 1024).unwrap(), sample);
    }

    #[test]
    fn trailing_bytes_are_refused() {
        let mut bytes = encode(&5u64).unwrap();
        bytes.push(0);
        assert!(matches!(
            decode::<u64>(&bytes, 1024),
            Err(CodecError::Decode(_))
        ));
    }

    #[test]
    fn versioned_values_round_trip_and_other_versions_are_refused() {
        // The header names the version; another version or no header is an error naming it.
        let bytes = encode_versioned(&"ledger".to_string()).unwrap();
        assert_eq!(&bytes[..4], b"CRDN");
        assert_eq!(&bytes[4..6], &STORAGE_FORMAT_VERSION.to_be_bytes());
        assert_eq!(decode_versioned::<String>(&bytes, 64).unwrap(), "ledger");
        let mut older = bytes.clone();
        older[4..6].copy_from_slice(&1u16.to_be_bytes());
        assert!(matches!(
            decode_versioned::<String>(&older, 64),
            Err(CodecError::StorageFormat {
                found: 1,
                expected: STORAGE_FORMAT_VERSION
            })
        ));
        let unversioned = encode(&"ledger".to_string()).unwrap();
        assert!(matches!(
            decode_versioned::<String>(&unversioned, 64),
            Err(CodecError::NoStorageHeader { .. })
        ));
        assert!(matches!(
            decode_versioned::<String>(b"CRD", 64),
            Err(CodecError::NoStorageHeader { .. })
        ));
    }

    #[tokio::test]
    async fn oversized_frame_is_refused_before_allocating() {
        // A forged 3 GiB length prefix must fail on the check, not on allocation.
        let mut input: &[u8] = &[0xC0, 0, 0, 0, 1, 2, 3];
        let result = read_frame::<_, Vec<u8>>(&mut input, 1024).await;
        assert!(matches!(
            result,
            Err(CodecError::FrameTooLarge { len_bytes, .. }) if len_bytes == 0xC000_0000
        ));
    }

    #[tokio::test]
    async fn frames_round_trip_through_a_stream() {
        let mut buffer = Vec::new();
        write_frame(&mut buffer, &"first".to_string())
            .await
            .unwrap();
        write_frame(&mut buffer, &42u32).await.unwrap();
        let mut reader: &[u8] = &buffer;
        assert_eq!(
            read_frame::<_, String>(&mut reader, 64).await.unwrap(),
            "first"
        );
        assert_eq!(read_frame::<_, u32>(&mut reader, 64).await.unwrap(), 42);
    }
}
