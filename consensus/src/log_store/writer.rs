//! Writes the log's records to segments with group commit: every write
//! queued while one `fdatasync` runs goes to disk together, and is
//! acknowledged after the next single `fdatasync`, however many entries
//! and proposers it holds.
//!
//! Segments are pre-allocated files named by sequence number
//! (`00000000000000000001.wal`). A new one starts when the current one is
//! full and at every start of the node (so a torn tail is never written
//! over); each starts with a checkpoint of the vote, committed and purged
//! ids, so a segment whose entries are all purged behind a snapshot is
//! deleted. An I/O error stops the writer for good: what a failed
//! `fdatasync` left on disk is unknown, so the node must stop rather than
//! retry.

use std::sync::mpsc;
use std::sync::Arc;
use std::time::Instant;

use openraft::storage::LogFlushed;
use redb::StorageBackend;

use super::dir::SegmentDir;
use super::format::{self, Checkpoint, HeaderError, LogRecord, HEADER_BYTES, RECORD_HEADER_BYTES};
use super::memory::LogMemory;
use crate::codec::CodecError;
use crate::types::TypeConfig;

/// The most writes committed by one `fdatasync`.
const BATCH_WRITES_MAX: usize = 4096;

/// The file name suffix of a segment.
const SEGMENT_SUFFIX: &str = ".wal";

/// Who is told when a write is durable.
pub(crate) enum Done {
    /// Nobody (a committed-id hint, a truncation or a purge).
    Nothing,
    /// openraft, for appended entries.
    Flushed(LogFlushed<TypeConfig>),
    /// A caller waiting for its write (the vote).
    Reply(tokio::sync::oneshot::Sender<std::io::Result<()>>),
}

/// Records to write, in order, and who to tell.
pub(crate) struct Write {
    pub(crate) records: Vec<LogRecord>,
    pub(crate) done: Done,
    pub(crate) queued: Instant,
}

/// Why the log could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenLogError {
    /// A file could not be listed, read, created or written.
    #[error("log segment {name}: {source}")]
    Io {
        /// The file (or `.` for the directory).
        name: String,
        /// What failed.
        source: std::io::Error,
    },
    /// A segment other than the newest is not readable.
    #[error("log segment {name} is damaged ({reason}); rebuild this node's data from its peers")]
    Damaged {
        /// The file.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
}

fn io_error(name: &str) -> impl FnOnce(std::io::Error) -> OpenLogError + '_ {
    move |source| OpenLogError::Io {
        name: name.to_string(),
        source,
    }
}

/// A full segment, kept until its entries are purged.
#[derive(Debug)]
struct Sealed {
    sequence: u64,
    max_entry_index: Option<u64>,
}

/// The segment being written.
struct Active {
    sequence: u64,
    file: Box<dyn StorageBackend>,
    offset: u64,
    len: u64,
    last_crc: u32,
    max_entry_index: Option<u64>,
}

/// The single writer of the segments.
pub(crate) struct Writer {
    dir: Arc<dyn SegmentDir>,
    segment_bytes: u64,
    active: Active,
    sealed: Vec<Sealed>,
    /// Vote, committed and purged ids as of the last record written.
    state: Checkpoint,
    /// Set by the first I/O error; every later write fails with it.
    failed: Option<String>,
}

fn segment_name(sequence: u64) -> String {
    format!("{sequence:020}{SEGMENT_SUFFIX}")
}

/// The segments' sequence numbers, oldest first, after removing the
/// temporaries of a segment whose creation a crash interrupted.
fn segment_sequences(dir: &dyn SegmentDir) -> Result<Vec<u64>, OpenLogError> {
    let mut sequences = Vec::new();
    for name in dir.list().map_err(io_error("."))? {
        if name.ends_with(".making") {
            dir.remove(&name).map_err(io_error(&name))?;
        } else if let Some(sequence) = name
            .strip_suffix(SEGMENT_SUFFIX)
            .and_then(|digits| digits.parse::<u64>().ok())
        {
            sequences.push(sequence);
        }
    }
    sequences.sort_unstable();
    Ok(sequences)
}

/// Reads a whole segment.
fn read_segment(dir: &dyn SegmentDir, name: &str) -> Result<Vec<u8>, OpenLogError> {
    let file = dir.open(name).map_err(io_error(name))?;
    let len = file.len().map_err(io_error(name))?;
    let mut bytes = vec![0u8; len as usize];
    file.read(0, &mut bytes).map_err(io_error(name))?;
    Ok(bytes)
}

/// Replays the segments into `memory`; returns the ones kept, and whether
/// the newest ended in a torn tail.
fn replay(
    dir: &dyn SegmentDir,
    memory: &mut LogMemory,
) -> Result<(Vec<Sealed>, Option<u64>), OpenLogError> {
    let sequences = segment_sequences(dir)?;
    let mut sealed = Vec::new();
    let mut torn_bytes = None;
    for (position, &sequence) in sequences.iter().enumerate() {
        let name = segment_name(sequence);
        let newest = position + 1 == sequences.len();
        let bytes = read_segment(dir, &name)?;
        let damaged = |reason: String| OpenLogError::Damaged {
            name: name.clone(),
            reason,
        };
        let header_crc = match format::check_header(&bytes, sequence) {
            Ok(crc) => crc,
            // A segment created but never written to: nothing in it was acknowledged.
            Err(HeaderError::Invalid) if newest => {
                dir.remove(&name).map_err(io_error(&name))?;
                continue;
            }
            Err(error) => return Err(damaged(error.to_string())),
        };
        let scan = format::scan(&bytes, header_crc).map_err(|e| damaged(e.to_string()))?;
        let mut max_entry_index = None;
        for record in &scan.records {
            if let LogRecord::Entry(entry) = record {
                max_entry_index = max_entry_index.max(Some(entry.log_id.index));
            }
            memory.apply(record);
        }
        if newest && scan.torn {
            torn_bytes = Some(bytes.len() as u64 - scan.end);
        }
        sealed.push(Sealed {
            sequence,
            max_entry_index,
        });
    }
    Ok((sealed, torn_bytes))
}

impl Writer {
    /// Opens the log in `dir`: replays every segment into memory, then
    /// starts a new segment for what comes next.
    pub(crate) fn open(
        dir: Arc<dyn SegmentDir>,
        segment_bytes: u64,
    ) -> Result<(Writer, LogMemory), OpenLogError> {
        let mut memory = LogMemory::default();
        let (sealed, torn_bytes) = replay(dir.as_ref(), &mut memory)?;
        if let Some(torn_bytes) = torn_bytes {
            tracing::warn!(
                torn_bytes_max = torn_bytes,
                "the log's newest segment ends in a torn tail (writes a crash cut short); reading stopped before it"
            );
        }
        let sequence = sealed.last().map_or(1, |segment| segment.sequence + 1);
        let state = memory.checkpoint();
        let active = Writer::create_segment(dir.as_ref(), sequence, segment_bytes, &state)
            .map_err(io_error(&segment_name(sequence)))?;
        active
            .file
            .sync_data()
            .map_err(io_error(&segment_name(sequence)))?;
        let mut writer = Writer {
            dir,
            segment_bytes,
            active,
            sealed,
            state,
            failed: None,
        };
        writer.remove_purged();
        Ok((writer, memory))
    }

    /// Creates segment `sequence` of at least `len_bytes` and writes its
    /// header and checkpoint (not yet synced).
    fn create_segment(
        dir: &dyn SegmentDir,
        sequence: u64,
        len_bytes: u64,
        state: &Checkpoint,
    ) -> std::io::Result<Active> {
        let file = dir.create(&segment_name(sequence), len_bytes)?;
        let (header, header_crc) = format::header(sequence);
        let (checkpoint, last_crc) =
            format::frame(&LogRecord::Checkpoint(state.clone()), header_crc)
                .map_err(std::io::Error::other)?;
        file.write(0, &header)?;
        file.write(HEADER_BYTES as u64, &checkpoint)?;
        Ok(Active {
            sequence,
            file,
            offset: (HEADER_BYTES + checkpoint.len()) as u64,
            len: len_bytes,
            last_crc,
            max_entry_index: None,
        })
    }

    /// Writes a batch, syncs once, then tells each write's waiter.
    pub(crate) fn write_batch(&mut self, batch: Vec<Write>) {
        let result = self.write_and_sync(&batch);
        if let Err(error) = &result {
            tracing::error!(%error, "the Raft log's disk failed; this node stops writing its log");
            self.failed.get_or_insert_with(|| error.to_string());
        }
        let now = Instant::now();
        for write in batch {
            let outcome = match &result {
                Ok(()) => Ok(()),
                Err(error) => Err(std::io::Error::other(error.to_string())),
            };
            if matches!(write.done, Done::Flushed(_)) {
                metrics::histogram!("cordon_raft_append_seconds")
                    .record(now.duration_since(write.queued).as_secs_f64());
            }
            match write.done {
                Done::Nothing => {}
                Done::Flushed(callback) => callback.log_io_completed(outcome),
                Done::Reply(reply) => {
                    // The waiter may have gone (its node shut down).
                    let _ = reply.send(outcome);
                }
            }
        }
        if result.is_ok() {
            self.remove_purged();
        }
        metrics::gauge!("cordon_storage_log_segments").set(self.segments() as f64);
    }

    fn write_and_sync(&mut self, batch: &[Write]) -> std::io::Result<()> {
        if let Some(reason) = &self.failed {
            return Err(std::io::Error::other(format!(
                "the log stopped at an earlier disk error: {reason}"
            )));
        }
        let mut needs_sync = false;
        for write in batch {
            needs_sync |= !matches!(write.done, Done::Nothing);
            for record in &write.records {
                // A committed id is a hint: it rides along with the next sync.
                needs_sync |= !matches!(record, LogRecord::Committed(_));
                self.write_record(record)?;
            }
        }
        if needs_sync {
            let started = Instant::now();
            self.active.file.sync_data()?;
            metrics::histogram!("cordon_storage_fsync_seconds")
                .record(started.elapsed().as_secs_f64());
            metrics::histogram!("cordon_storage_log_batch_writes").record(batch.len() as f64);
        }
        Ok(())
    }

    fn write_record(&mut self, record: &LogRecord) -> std::io::Result<()> {
        let framed = |previous| format::frame(record, previous).map_err(codec_io);
        let (mut bytes, mut crc) = framed(self.active.last_crc)?;
        if self.active.offset + bytes.len() as u64 > self.active.len {
            self.roll(bytes.len() as u64)?;
            (bytes, crc) = framed(self.active.last_crc)?;
        }
        self.active.file.write(self.active.offset, &bytes)?;
        self.active.offset += bytes.len() as u64;
        self.active.last_crc = crc;
        if let LogRecord::Entry(entry) = record {
            let index = Some(entry.log_id.index);
            self.active.max_entry_index = self.active.max_entry_index.max(index);
        }
        self.state.note(record);
        Ok(())
    }

    /// Seals the full segment (synced) and starts the next, large enough
    /// for a record of `record_bytes`.
    fn roll(&mut self, record_bytes: u64) -> std::io::Result<()> {
        self.active.file.sync_data()?;
        let room = (HEADER_BYTES + 2 * RECORD_HEADER_BYTES) as u64 + 1024 + record_bytes;
        let len = self.segment_bytes.max(room);
        let next = Writer::create_segment(
            self.dir.as_ref(),
            self.active.sequence + 1,
            len,
            &self.state,
        )?;
        let full = std::mem::replace(&mut self.active, next);
        self.sealed.push(Sealed {
            sequence: full.sequence,
            max_entry_index: full.max_entry_index,
        });
        Ok(())
    }

    /// Deletes the sealed segments whose entries are all purged (their
    /// vote and ids are restated by a newer segment's checkpoint).
    fn remove_purged(&mut self) {
        let purged = self.state.last_purged.map(|log_id| log_id.index);
        let removable = |segment: &Sealed| match segment.max_entry_index {
            None => true,
            Some(index) => purged.is_some_and(|purged| index <= purged),
        };
        while let Some(oldest) = self.sealed.first().filter(|segment| removable(segment)) {
            let name = segment_name(oldest.sequence);
            if let Err(error) = self.dir.remove(&name) {
                tracing::warn!(segment = %name, %error, "could not delete a purged log segment; will try again");
                return;
            }
            self.sealed.remove(0);
        }
    }

    /// The number of segment files.
    fn segments(&self) -> usize {
        self.sealed.len() + 1
    }
}

fn codec_io(error: CodecError) -> std::io::Error {
    std::io::Error::other(error.to_string())
}

/// The group-commit loop: takes one write, then every write already
/// queued, and commits them together. Ends when every sender is gone.
pub(crate) fn run(mut writer: Writer, queue: mpsc::Receiver<Write>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < BATCH_WRITES_MAX {
            match queue.try_recv() {
                Ok(write) => batch.push(write),
                Err(_) => break,
            }
        }
        writer.write_batch(batch);
    }
}
