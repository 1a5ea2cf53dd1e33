//! A node's whole disk for the in-process layers: the redb file its
//! snapshot lives in and the directory of its Raft log's segments, every
//! file a [`CrashDisk`] that forgets unsynced writes when the node crashes.
//!
//! Creating or removing a segment is durable at once (the log store syncs
//! the real directory before it relies on either); a file none of whose
//! bytes were ever synced does not survive a crash, as a file created and
//! written but never synced does not after a power cut.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use cordon_consensus::log_store::SegmentDir;
use redb::StorageBackend;

use super::disk::CrashDisk;

/// Bytes of a log segment in the simulations: small, so runs roll over to
/// new segments and delete purged ones, and memory stays low.
pub const SIM_SEGMENT_BYTES: u64 = 1024 * 1024;

/// How a node's disk keeps its bytes.
#[derive(Clone, Debug)]
enum Medium {
    Memory,
    /// Memory, and `sync` answers without syncing (a planted bug).
    LyingMemory,
    /// Files under a folder.
    Files(PathBuf),
}

/// One node's disk.
pub struct NodeDisk {
    ledger: Arc<CrashDisk>,
    log: Arc<CrashDir>,
}

impl fmt::Debug for NodeDisk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeDisk")
            .field("log", &self.log)
            .finish_non_exhaustive()
    }
}

/// What a node opens its storage on.
#[derive(Debug)]
pub struct NodeStorage {
    /// The snapshot's database.
    pub database: Arc<redb::Database>,
    /// The log's segments and their size.
    pub log_dir: (Arc<dyn SegmentDir>, u64),
}

impl NodeDisk {
    /// An empty disk in memory.
    pub fn in_memory() -> Arc<NodeDisk> {
        NodeDisk::over(CrashDisk::in_memory(), Medium::Memory)
    }

    /// An empty in-memory disk whose syncs sync nothing: the bug the
    /// lost-acknowledgement checker must catch (tests only).
    pub fn lying_about_sync() -> Arc<NodeDisk> {
        NodeDisk::over(CrashDisk::lying_about_sync(), Medium::LyingMemory)
    }

    /// The files of `data_dir`: `ledger.redb` and the segments in `raft-log/`.
    pub fn files(data_dir: &Path) -> io::Result<Arc<NodeDisk>> {
        let log_dir = data_dir.join("raft-log");
        std::fs::create_dir_all(&log_dir)?;
        let ledger = CrashDisk::file(&data_dir.join("ledger.redb"))?;
        Ok(NodeDisk::over(ledger, Medium::Files(log_dir)))
    }

    fn over(ledger: Arc<CrashDisk>, medium: Medium) -> Arc<NodeDisk> {
        Arc::new(NodeDisk {
            ledger,
            log: Arc::new(CrashDir {
                medium,
                files: Mutex::new(BTreeMap::new()),
            }),
        })
    }

    /// Opens the current incarnation's storage.
    pub fn storage(&self) -> Result<NodeStorage, redb::DatabaseError> {
        let database = cordon_consensus::log_store::database_builder()
            .create_with_backend(self.ledger.backend())?;
        Ok(NodeStorage {
            database: Arc::new(database),
            log_dir: (self.log.clone(), SIM_SEGMENT_BYTES),
        })
    }

    /// The node died: every file loses what was not synced.
    pub fn crash(&self) -> io::Result<()> {
        self.ledger.crash()?;
        self.log.crash()
    }

    /// Unsynced bytes lost to crashes so far, over all files.
    pub fn lost_bytes(&self) -> u64 {
        self.ledger.lost_bytes() + self.log.lost_bytes()
    }
}

/// The log's directory: a crashable disk per segment.
#[derive(Debug)]
struct CrashDir {
    medium: Medium,
    files: Mutex<BTreeMap<String, Arc<CrashDisk>>>,
}

impl CrashDir {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Arc<CrashDisk>>> {
        // Each critical section leaves the map whole.
        self.files.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn new_disk(&self, name: &str) -> io::Result<Arc<CrashDisk>> {
        match &self.medium {
            Medium::Memory => Ok(CrashDisk::in_memory()),
            Medium::LyingMemory => Ok(CrashDisk::lying_about_sync()),
            Medium::Files(dir) => CrashDisk::file(&dir.join(name)),
        }
    }

    fn crash(&self) -> io::Result<()> {
        let mut files = self.lock();
        let mut gone = Vec::new();
        for (name, disk) in files.iter() {
            disk.crash()?;
            if disk.backend().len()? == 0 {
                gone.push(name.clone());
            }
        }
        for name in gone {
            files.remove(&name);
            if let Medium::Files(dir) = &self.medium {
                std::fs::remove_file(dir.join(&name))?;
            }
        }
        Ok(())
    }

    fn lost_bytes(&self) -> u64 {
        self.lock().values().map(|disk| disk.lost_bytes()).sum()
    }
}

impl SegmentDir for CrashDir {
    fn list(&self) -> io::Result<Vec<String>> {
        Ok(self.lock().keys().cloned().collect())
    }

    fn open(&self, name: &str) -> io::Result<Box<dyn StorageBackend>> {
        let files = self.lock();
        let disk = files
            .get(name)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, name.to_string()))?;
        Ok(Box::new(disk.backend()))
    }

    fn create(&self, name: &str, len_bytes: u64) -> io::Result<Box<dyn StorageBackend>> {
        let disk = self.new_disk(name)?;
        let backend = disk.backend();
        backend.set_len(len_bytes)?;
        backend.sync_data()?;
        self.lock().insert(name.to_string(), disk);
        Ok(Box::new(backend))
    }

    fn remove(&self, name: &str) -> io::Result<()> {
        self.lock().remove(name);
        if let Medium::Files(dir) = &self.medium {
            std::fs::remove_file(dir.join(name))?;
        }
        Ok(())
    }
}
