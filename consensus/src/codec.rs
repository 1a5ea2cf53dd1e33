//! The one place that knows the byte encoding of the wire and the log.
//!
//! bincode 2.0.1 (serde API, standard configuration) is unmaintained
//! (RUSTSEC-2025-0141) and its successor is not usable, so every encode and
//! decode in Cordon goes through these functions and the codec can be swapped
//! in one file. Decoding is bounded: a caller passes the largest size it
//! accepts and the length prefix is checked before any buffer is allocated.

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
    /// The stream failed or ended inside a frame.
    #[error("frame io: {0}")]
    Io(#[from] std::io::Error),
}

/// Absolute cap on the bytes one decoded value may claim, whatever the caller's limit.
const DECODE_BYTES_MAX: usize = 256 * 1024 * 1024;

fn config() -> bincode::config::Configuration {
    bincode::config::standard()
}

/// Encodes a value.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, CodecError> {
    bincode::serde::encode_to_vec(value, config()).map_err(|e| CodecError::Encode(e.to_string()))
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
