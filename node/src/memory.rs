//! Gives the memory the node freed back to the operating system.
//!
//! glibc's allocator keeps what a thread freed in that thread's arena (up
//! to 64 MB each, eight per core). A node frees tens of MB every few
//! seconds (snapshots, archive batches, replication buffers) on whichever
//! worker or blocking thread did the work, so its resident memory rises
//! with its history while its live heap does not (heaptrack on a node
//! between 30 000 and 60 000 incidents: 142 KB more live heap; `pmap`:
//! five arenas of 30-65 MB each). `malloc_trim` releases the free pages of
//! every arena: in `cordon bench --growth-incidents 200000` each node's
//! memory was 133-144 MB after 100 000 incidents and 155-214 MB after
//! 200 000, against 170-190 and 202-263 MB without it.

/// How often the node trims its allocator's free memory, in ms.
pub const MEMORY_TRIM_INTERVAL_MS: u64 = 5_000;

/// Allocations from this size up get pages of their own, returned to the
/// kernel when freed, in bytes. glibc's default starts at 128 KiB and
/// rises to the largest block freed (up to 32 MiB), so after the first
/// snapshot every multi-MB encoding buffer lands in an arena and leaves
/// holes there; a fixed threshold keeps them out. In
/// `cordon bench --growth-incidents 200000`: each node's memory was 96-110
/// MB after 100 000 incidents and 101-156 MB after 200 000, against 133-144
/// and 155-214 MB with the dynamic threshold.
pub const MMAP_THRESHOLD_BYTES: usize = 128 * 1024;

/// Sets the allocator's fixed mmap threshold ([`MMAP_THRESHOLD_BYTES`]).
/// Call first thing, before the runtime's threads start.
pub fn tune_allocator() {
    set_mmap_threshold(MMAP_THRESHOLD_BYTES);
}

/// Trims the allocator's free memory every [`MEMORY_TRIM_INTERVAL_MS`]
/// until the process stops (on a blocking thread: a trim walks every
/// arena and may take a few ms), then publishes the allocator's account
/// after the trim (`cordon_heap_in_use_bytes`, `cordon_heap_free_bytes`).
pub async fn trim_freed_memory() {
    let mut ticker =
        tokio::time::interval(std::time::Duration::from_millis(MEMORY_TRIM_INTERVAL_MS));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let _ = tokio::task::spawn_blocking(trim).await;
        if let Some(heap) = heap_usage() {
            metrics::gauge!("cordon_heap_in_use_bytes").set(heap.in_use_bytes as f64);
            metrics::gauge!("cordon_heap_free_bytes").set(heap.free_bytes as f64);
        }
    }
}

/// The allocator's own account of the heap: what the program holds, and
/// what the allocator holds free (resident memory beyond the two is
/// code, stacks and pages the allocator has not touched).
#[derive(Clone, Copy, Debug)]
pub struct HeapUsage {
    /// Bytes allocated and not freed, arenas and mmapped blocks together.
    pub in_use_bytes: u64,
    /// Bytes free in the arenas, held by the allocator.
    pub free_bytes: u64,
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)] // reason: glibc's mallinfo2 has no safe binding
fn heap_usage() -> Option<HeapUsage> {
    // SAFETY: mallinfo2 takes no arguments and returns a plain struct of
    // counters; it reads the allocator's state under its own locks.
    let info = unsafe { libc::mallinfo2() };
    Some(HeapUsage {
        in_use_bytes: (info.uordblks + info.hblkhd) as u64,
        free_bytes: info.fordblks as u64,
    })
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn heap_usage() -> Option<HeapUsage> {
    None
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)] // reason: glibc's mallopt has no safe binding
fn set_mmap_threshold(bytes: usize) {
    let bytes = i32::try_from(bytes).unwrap_or(i32::MAX);
    // SAFETY: mallopt only changes a tuning parameter of the allocator,
    // under its own lock; no memory the program owns is touched.
    let changed = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, bytes) };
    if changed == 0 {
        tracing::warn!(
            bytes,
            "the allocator refused the mmap threshold; keeping its default"
        );
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set_mmap_threshold(_bytes: usize) {}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)] // reason: glibc's malloc_trim has no safe binding
fn trim() {
    // SAFETY: malloc_trim only returns free pages to the kernel; it takes
    // the allocator's own locks and touches no memory the program owns.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() {}
