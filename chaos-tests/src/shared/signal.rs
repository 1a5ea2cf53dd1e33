//! Signals to processes: every signal the chaos layers send goes through
//! [`signal`], the same call (`rustix::process::kill_process`) that
//! `cordon_node::local_cluster::signal` makes for the demo and the node
//! tests; nothing shells out to `kill` or calls libc.

pub use rustix::process::Signal;

/// Sends `signal` to process `pid`.
pub fn signal(pid: u32, signal: Signal) -> std::io::Result<()> {
    let pid = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .ok_or_else(|| std::io::Error::other(format!("{pid} is not a process id")))?;
    rustix::process::kill_process(pid, signal).map_err(std::io::Error::from)
}

/// The signal named `name` (`STOP`, `CONT`, `TERM`, `KILL`, `INT`), as the
/// drills name them in their reports.
pub fn named(name: &str) -> Option<Signal> {
    match name {
        "STOP" => Some(Signal::STOP),
        "CONT" => Some(Signal::CONT),
        "TERM" => Some(Signal::TERM),
        "KILL" => Some(Signal::KILL),
        "INT" => Some(Signal::INT),
        _ => None,
    }
}
