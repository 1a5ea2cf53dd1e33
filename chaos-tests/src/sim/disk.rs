//! A simulated disk under redb that forgets what was not synced: every
//! write since the last `sync_data` is undone when the node crashes, as a
//! power cut would lose a page cache's dirty pages.
//!
//! The disk outlives the node's incarnations (it belongs to the run, not
//! to the host's runtime); a crash also fences the old incarnation, so a
//! database being dropped with its dying process cannot write (or sync)
//! anything more, exactly as a killed process cannot.

use std::fmt;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use redb::StorageBackend;

/// One node's disk.
#[derive(Debug, Default)]
pub struct SimDisk {
    state: Mutex<DiskState>,
}

#[derive(Debug, Default)]
struct DiskState {
    /// What a read sees: the synced image with the writes since.
    data: Vec<u8>,
    /// The length at the last sync.
    synced_len: usize,
    /// Since the last sync, the synced bytes each write or shrink replaced,
    /// oldest first.
    undo: Vec<(usize, Vec<u8>)>,
    /// Bumped by every crash; handles of older incarnations are fenced.
    incarnation: u64,
    /// Unsynced bytes thrown away by crashes, over the run.
    lost_bytes: u64,
    /// A planted bug for the checkers' own tests: `sync_data` answers
    /// without syncing, so a crash loses everything ever written.
    lies_about_sync: bool,
}

impl SimDisk {
    /// An empty disk.
    pub fn new() -> Arc<SimDisk> {
        Arc::new(SimDisk::default())
    }

    /// An empty disk whose `sync_data` returns without syncing: the bug
    /// the lost-acknowledgement checker must catch (test use only).
    pub fn lying_about_sync() -> Arc<SimDisk> {
        let disk = SimDisk::default();
        disk.lock().lies_about_sync = true;
        Arc::new(disk)
    }

    /// A backend for the current incarnation, to open redb on.
    pub fn backend(self: &Arc<Self>) -> SimDiskBackend {
        SimDiskBackend {
            disk: self.clone(),
            incarnation: self.lock().incarnation,
        }
    }

    /// The process died: undo every write since the last sync and fence
    /// the current incarnation's backends.
    pub fn crash(&self) {
        let mut state = self.lock();
        let len = state.data.len().max(state.synced_len);
        state.data.resize(len, 0);
        let undo = std::mem::take(&mut state.undo);
        let mut lost = 0;
        for (offset, old) in undo.into_iter().rev() {
            lost += old.len() as u64;
            state.data[offset..offset + old.len()].copy_from_slice(&old);
        }
        lost += (state.data.len() - state.synced_len) as u64;
        let synced_len = state.synced_len;
        state.data.truncate(synced_len);
        state.incarnation += 1;
        state.lost_bytes += lost;
    }

    /// Unsynced bytes lost to crashes so far.
    pub fn lost_bytes(&self) -> u64 {
        self.lock().lost_bytes
    }

    fn lock(&self) -> MutexGuard<'_, DiskState> {
        // Each critical section leaves the state whole.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// redb's view of a [`SimDisk`] for one incarnation of its node.
pub struct SimDiskBackend {
    disk: Arc<SimDisk>,
    incarnation: u64,
}

impl fmt::Debug for SimDiskBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimDiskBackend")
            .field("incarnation", &self.incarnation)
            .finish_non_exhaustive()
    }
}

impl SimDiskBackend {
    /// The disk's state, if this backend's incarnation is still alive.
    fn state(&self) -> io::Result<MutexGuard<'_, DiskState>> {
        let state = self.disk.lock();
        if state.incarnation != self.incarnation {
            return Err(io::Error::other(
                "the disk of a crashed incarnation: the process is gone",
            ));
        }
        Ok(state)
    }
}

fn out_of_range(offset: u64, len: usize, disk_len: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{len} bytes at {offset} are past the end of the disk ({disk_len} bytes)"),
    )
}

impl StorageBackend for SimDiskBackend {
    fn len(&self) -> io::Result<u64> {
        Ok(self.state()?.data.len() as u64)
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        let state = self.state()?;
        let start = offset as usize;
        let source = state
            .data
            .get(start..start + out.len())
            .ok_or_else(|| out_of_range(offset, out.len(), state.data.len()))?;
        out.copy_from_slice(source);
        Ok(())
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        let mut state = self.state()?;
        let len = len as usize;
        if len < state.synced_len && len < state.data.len() {
            let end = state.synced_len.min(state.data.len());
            let old = state.data[len..end].to_vec();
            state.undo.push((len, old));
        }
        state.data.resize(len, 0);
        Ok(())
    }

    fn sync_data(&self) -> io::Result<()> {
        let mut state = self.state()?;
        if state.lies_about_sync {
            return Ok(());
        }
        state.undo.clear();
        state.synced_len = state.data.len();
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let mut state = self.state()?;
        let start = offset as usize;
        let end = start + data.len();
        if end > state.data.len() {
            return Err(out_of_range(offset, data.len(), state.data.len()));
        }
        // Bytes past the synced length vanish with the truncation at a
        // crash; only the synced ones need their old value kept.
        let kept_end = end.min(state.synced_len);
        if start < kept_end {
            let old = state.data[start..kept_end].to_vec();
            state.undo.push((start, old));
        }
        state.data[start..end].copy_from_slice(data);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use redb::ReadableDatabase;

    use super::*;

    #[test]
    fn a_crash_keeps_what_was_synced_and_loses_the_rest() {
        // Phase 1: write and sync "durable", then overwrite part of it and
        // grow the disk without syncing.
        let disk = SimDisk::new();
        let backend = disk.backend();
        backend.set_len(8).unwrap();
        backend.write(0, b"durable!").unwrap();
        backend.sync_data().unwrap();
        backend.write(0, b"DUR").unwrap();
        backend.set_len(12).unwrap();
        backend.write(8, b"tail").unwrap();

        // Phase 2: the crash restores the synced image exactly.
        disk.crash();
        let after = disk.backend();
        assert_eq!(after.len().unwrap(), 8);
        let mut read = [0u8; 8];
        after.read(0, &mut read).unwrap();
        assert_eq!(&read, b"durable!");
        assert_eq!(disk.lost_bytes(), 3 + 4);

        // Phase 3: the dead incarnation can no longer touch the disk.
        assert!(backend.write(0, b"x").is_err());
        assert!(backend.sync_data().is_err());
    }

    #[test]
    fn a_lying_disk_forgets_even_what_it_claimed_to_sync() {
        // The planted bug: sync answers Ok and keeps nothing.
        let disk = SimDisk::lying_about_sync();
        let backend = disk.backend();
        backend.set_len(4).unwrap();
        backend.write(0, b"data").unwrap();
        backend.sync_data().unwrap();
        disk.crash();
        assert_eq!(disk.backend().len().unwrap(), 0);
    }

    #[test]
    fn a_shrink_before_a_crash_is_undone() {
        // Truncating synced bytes without a sync does not survive a crash.
        let disk = SimDisk::new();
        let backend = disk.backend();
        backend.set_len(6).unwrap();
        backend.write(0, b"abcdef").unwrap();
        backend.sync_data().unwrap();
        backend.set_len(2).unwrap();
        disk.crash();
        let mut read = [0u8; 6];
        disk.backend().read(0, &mut read).unwrap();
        assert_eq!(&read, b"abcdef");
    }

    #[test]
    fn redb_reopens_after_a_crash_with_every_durable_commit() {
        // A durable commit survives; a commit without a sync does not.
        let disk = SimDisk::new();
        let table: redb::TableDefinition<u64, u64> = redb::TableDefinition::new("t");
        {
            let db = redb::Builder::new()
                .create_with_backend(disk.backend())
                .unwrap();
            let txn = db.begin_write().unwrap();
            txn.open_table(table).unwrap().insert(1, 10).unwrap();
            txn.commit().unwrap();
            let mut txn = db.begin_write().unwrap();
            txn.set_durability(redb::Durability::None).unwrap();
            txn.open_table(table).unwrap().insert(2, 20).unwrap();
            txn.commit().unwrap();
            disk.crash();
        }
        let db = redb::Builder::new()
            .create_with_backend(disk.backend())
            .unwrap();
        let txn = db.begin_read().unwrap();
        let read = txn.open_table(table).unwrap();
        assert_eq!(read.get(1).unwrap().map(|v| v.value()), Some(10));
        assert_eq!(read.get(2).unwrap().map(|v| v.value()), None);
    }
}
