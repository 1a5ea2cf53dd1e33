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

/// Trims the allocator's free memory every [`MEMORY_TRIM_INTERVAL_MS`]
/// until the process stops (on a blocking thread: a trim walks every
/// arena and may take a few ms).
pub async fn trim_freed_memory() {
    let mut ticker =
        tokio::time::interval(std::time::Duration::from_millis(MEMORY_TRIM_INTERVAL_MS));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let _ = tokio::task::spawn_blocking(trim).await;
    }
}

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
