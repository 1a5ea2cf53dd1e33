//! A disk under redb that forgets what was not synced: every write since
//! the last `sync_data` is undone when the node crashes, as a power cut
//! loses a page cache's dirty pages. Used by the in-process scenarios (L2,
//! over the node's real `ledger.redb` file) and the simulation (L1, in
//! memory).
//!
//! The disk outlives the node's incarnations (it belongs to the test, not
//! to the node); a crash also fences the old incarnation, so a database
//! dropped with its dying node cannot write (or sync) anything more, as a
//! killed process cannot. Writes keep the bytes they replace in the synced
//! part of the disk until the next sync; a crash writes them back and cuts
//! the disk to its synced length.

use std::fmt;
use std::fs::OpenOptions;
use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use redb::backends::{FileBackend, InMemoryBackend};
use redb::StorageBackend;

/// One node's disk.
pub struct CrashDisk {
    /// Where the bytes live (a file or memory); only touched under `state`.
    inner: Box<dyn StorageBackend>,
    state: Mutex<DiskState>,
}

impl fmt::Debug for CrashDisk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CrashDisk")
            .field("inner", &self.inner)
            .field("state", &*self.lock())
            .finish()
    }
}

#[derive(Debug, Default)]
struct DiskState {
    /// The length at the last sync.
    synced_len: u64,
    /// Since the last sync, the synced bytes each write or shrink replaced,
    /// oldest first.
    undo: Vec<(u64, Vec<u8>)>,
    /// Bumped by every crash; handles of older incarnations are fenced.
    incarnation: u64,
    /// Unsynced bytes thrown away by crashes, over the disk's life.
    lost_bytes: u64,
    /// A planted bug for the checkers' own tests: `sync_data` answers
    /// without syncing, so a crash loses everything ever written.
    lies_about_sync: bool,
}

impl CrashDisk {
    /// An empty disk in memory.
    pub fn in_memory() -> Arc<CrashDisk> {
        CrashDisk::over(Box::new(InMemoryBackend::new()), 0)
    }

    /// The file at `path` (created if missing) as a disk; what it holds now
    /// counts as synced.
    pub fn file(path: &Path) -> io::Result<Arc<CrashDisk>> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let synced_len = file.metadata()?.len();
        let backend = FileBackend::new(file).map_err(io::Error::other)?;
        Ok(CrashDisk::over(Box::new(backend), synced_len))
    }

    /// An empty in-memory disk whose `sync_data` returns without syncing:
    /// the bug the lost-acknowledgement checker must catch (tests only).
    pub fn lying_about_sync() -> Arc<CrashDisk> {
        let disk = CrashDisk::in_memory();
        disk.lock().lies_about_sync = true;
        disk
    }

    fn over(inner: Box<dyn StorageBackend>, synced_len: u64) -> Arc<CrashDisk> {
        Arc::new(CrashDisk {
            inner,
            state: Mutex::new(DiskState {
                synced_len,
                ..DiskState::default()
            }),
        })
    }

    /// A backend for the current incarnation, to open redb on.
    pub fn backend(self: &Arc<Self>) -> CrashDiskBackend {
        CrashDiskBackend {
            disk: self.clone(),
            incarnation: self.lock().incarnation,
        }
    }

    /// The node died: undo every write since the last sync and fence the
    /// current incarnation's backends.
    pub fn crash(&self) -> io::Result<()> {
        let mut state = self.lock();
        state.incarnation += 1;
        let len = self.inner.len()?;
        if len < state.synced_len {
            self.inner.set_len(state.synced_len)?;
        }
        let undo = std::mem::take(&mut state.undo);
        let mut lost = len.saturating_sub(state.synced_len);
        for (offset, old) in undo.into_iter().rev() {
            lost += old.len() as u64;
            self.inner.write(offset, &old)?;
        }
        self.inner.set_len(state.synced_len)?;
        // What survived the crash is the disk's durable content from now on.
        self.inner.sync_data()?;
        state.lost_bytes += lost;
        Ok(())
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

/// redb's view of a [`CrashDisk`] for one incarnation of its node.
pub struct CrashDiskBackend {
    disk: Arc<CrashDisk>,
    incarnation: u64,
}

impl fmt::Debug for CrashDiskBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CrashDiskBackend")
            .field("incarnation", &self.incarnation)
            .finish_non_exhaustive()
    }
}

impl CrashDiskBackend {
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

    /// Keeps the synced bytes in `[start, end)` for the next crash to put
    /// back.
    fn keep_old(&self, state: &mut DiskState, start: u64, end: u64) -> io::Result<()> {
        let end = end.min(state.synced_len).min(self.disk.inner.len()?);
        if start < end {
            let mut old = vec![0; (end - start) as usize];
            self.disk.inner.read(start, &mut old)?;
            state.undo.push((start, old));
        }
        Ok(())
    }
}

impl StorageBackend for CrashDiskBackend {
    fn len(&self) -> io::Result<u64> {
        let _state = self.state()?;
        self.disk.inner.len()
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        let _state = self.state()?;
        self.disk.inner.read(offset, out)
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        let mut state = self.state()?;
        self.keep_old(&mut state, len, u64::MAX)?;
        self.disk.inner.set_len(len)
    }

    fn sync_data(&self) -> io::Result<()> {
        let mut state = self.state()?;
        if state.lies_about_sync {
            return Ok(());
        }
        self.disk.inner.sync_data()?;
        state.undo.clear();
        state.synced_len = self.disk.inner.len()?;
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let mut state = self.state()?;
        self.keep_old(&mut state, offset, offset + data.len() as u64)?;
        self.disk.inner.write(offset, data)
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
        let disk = CrashDisk::in_memory();
        let backend = disk.backend();
        backend.set_len(8).unwrap();
        backend.write(0, b"durable!").unwrap();
        backend.sync_data().unwrap();
        backend.write(0, b"DUR").unwrap();
        backend.set_len(12).unwrap();
        backend.write(8, b"tail").unwrap();

        // Phase 2: the crash restores the synced image exactly.
        disk.crash().unwrap();
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
        let disk = CrashDisk::lying_about_sync();
        let backend = disk.backend();
        backend.set_len(4).unwrap();
        backend.write(0, b"data").unwrap();
        backend.sync_data().unwrap();
        disk.crash().unwrap();
        assert_eq!(disk.backend().len().unwrap(), 0);
    }

    #[test]
    fn a_shrink_before_a_crash_is_undone() {
        // Truncating synced bytes without a sync does not survive a crash.
        let disk = CrashDisk::in_memory();
        let backend = disk.backend();
        backend.set_len(6).unwrap();
        backend.write(0, b"abcdef").unwrap();
        backend.sync_data().unwrap();
        backend.set_len(2).unwrap();
        disk.crash().unwrap();
        let mut read = [0u8; 6];
        disk.backend().read(0, &mut read).unwrap();
        assert_eq!(&read, b"abcdef");
    }

    #[test]
    fn redb_reopens_after_a_crash_with_every_durable_commit() {
        // A durable commit survives; a commit without a sync does not.
        let disk = CrashDisk::in_memory();
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
            disk.crash().unwrap();
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
