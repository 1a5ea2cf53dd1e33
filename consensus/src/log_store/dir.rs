//! Where the log's segment files live. In production a directory on the
//! node's data disk; the simulations give a directory of disks that forget
//! unsynced writes at a crash. A file is seen through redb's
//! [`StorageBackend`], the one file abstraction the ledger's storage uses.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use redb::backends::FileBackend;
use redb::StorageBackend;

/// A directory of segment files.
pub trait SegmentDir: fmt::Debug + Send + Sync + 'static {
    /// The names of the files in it, in no particular order.
    fn list(&self) -> io::Result<Vec<String>>;
    /// Opens an existing file.
    fn open(&self, name: &str) -> io::Result<Box<dyn StorageBackend>>;
    /// Creates a file of `len_bytes` zeros. When this returns, the file,
    /// its zeros and its name in the directory are on disk.
    fn create(&self, name: &str, len_bytes: u64) -> io::Result<Box<dyn StorageBackend>>;
    /// Removes a file; when this returns, the removal is on disk.
    fn remove(&self, name: &str) -> io::Result<()>;
}

/// Segment files in a directory of the node's file system.
#[derive(Debug)]
pub struct FsSegmentDir {
    path: PathBuf,
}

/// Bytes of zeros written at a time when a segment is pre-allocated.
const ZERO_CHUNK_BYTES: usize = 1024 * 1024;

impl FsSegmentDir {
    /// The directory at `path`, created if missing.
    pub fn open(path: &Path) -> io::Result<FsSegmentDir> {
        fs::create_dir_all(path)?;
        Ok(FsSegmentDir {
            path: path.to_path_buf(),
        })
    }

    fn backend(file: File) -> io::Result<Box<dyn StorageBackend>> {
        let backend = FileBackend::new(file).map_err(io::Error::other)?;
        Ok(Box::new(backend))
    }

    /// Makes the directory's entries (created, renamed, removed files) durable.
    fn sync_dir(&self) -> io::Result<()> {
        File::open(&self.path)?.sync_all()
    }
}

impl SegmentDir for FsSegmentDir {
    fn list(&self) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(&self.path)? {
            if let Some(name) = entry?.file_name().to_str() {
                names.push(name.to_string());
            }
        }
        Ok(names)
    }

    fn open(&self, name: &str) -> io::Result<Box<dyn StorageBackend>> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(self.path.join(name))?;
        FsSegmentDir::backend(file)
    }

    /// Writes the zeros (not a sparse `set_len`), so that appending into
    /// the file later changes no block allocation and an `fdatasync` has
    /// only the data to flush. The file is filled under a temporary name
    /// and renamed, so a crash never leaves a half-made segment behind.
    fn create(&self, name: &str, len_bytes: u64) -> io::Result<Box<dyn StorageBackend>> {
        let temporary = self.path.join(format!("{name}.making"));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temporary)?;
        let zeros = vec![0u8; ZERO_CHUNK_BYTES];
        let mut written = 0u64;
        while written < len_bytes {
            let chunk = (len_bytes - written).min(ZERO_CHUNK_BYTES as u64) as usize;
            std::os::unix::fs::FileExt::write_all_at(&file, &zeros[..chunk], written)?;
            written += chunk as u64;
        }
        file.sync_all()?;
        fs::rename(&temporary, self.path.join(name))?;
        self.sync_dir()?;
        FsSegmentDir::backend(file)
    }

    fn remove(&self, name: &str) -> io::Result<()> {
        fs::remove_file(self.path.join(name))?;
        self.sync_dir()
    }
}
