//! clock-skew: one follower restarted with its wall clock 300 s ahead
//! (libfaketime preloaded, monotonic time untouched), the skew read back
//! from its log; at heal restarted with the true clock.

use std::path::{Path, PathBuf};

use super::nodes::restart;
use super::FaultState;
use crate::l3::api::Api;
use crate::l3::cluster::Run;
use crate::l3::options::{setup, DrillError};

/// Restarts the follower under libfaketime +300 s and checks its log shows
/// the skew.
pub(super) async fn inject(
    run: &mut Run,
    api: &Api,
    state: &mut FaultState,
) -> Result<(), DrillError> {
    let follower = state.follower;
    // libfaketime preloaded directly, not through the `faketime`
    // program: that one forks and waits, so SIGTERM would reach
    // it and not the node.
    let library = faketime_library().ok_or_else(|| {
        setup("libfaketime.so.1 not found: install libfaketime (apt-get install faketime)")
    })?;
    let library = library.to_string_lossy().into_owned();
    run.note(format!("skew node {follower} (follower) by +300 s"));
    let skewed = [
        ("LD_PRELOAD", library.as_str()),
        ("FAKETIME", "+300s"),
        ("FAKETIME_DONT_FAKE_MONOTONIC", "1"),
    ];
    if let Err(problem) = restart(run, api, follower, &skewed).await? {
        state.problems.push(problem);
    }
    match run
        .control
        .log_path(follower)
        .and_then(|log| last_start_skew(&log))
    {
        Some(skew) if (250..=400).contains(&skew) => run.note(format!(
            "node {follower} logs {skew} s ahead of the true clock"
        )),
        other => state.problems.push(format!(
            "node {follower}'s clock is not skewed by about +300 s: its log is {other:?} s ahead"
        )),
    }
    Ok(())
}

/// Restarts the follower with the true clock.
pub(super) async fn heal(
    run: &mut Run,
    api: &Api,
    state: &mut FaultState,
) -> Result<(), DrillError> {
    let follower = state.follower;
    run.note(format!(
        "unskew node {follower}: restart with the true clock"
    ));
    if let Err(problem) = restart(run, api, follower, &[]).await? {
        state.problems.push(problem);
    }
    Ok(())
}

/// libfaketime's preload library, where Debian and Fedora put it.
fn faketime_library() -> Option<PathBuf> {
    [
        "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
        "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
        "/usr/lib64/faketime/libfaketime.so.1",
        "/usr/lib/faketime/libfaketime.so.1",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|path| path.is_file())
}

/// Seconds by which the last `consensus node started` line of a node log
/// is ahead of the true clock now (negative: behind).
fn last_start_skew(log: &Path) -> Option<i64> {
    let text = std::fs::read_to_string(log).ok()?;
    let line = text
        .lines()
        .rev()
        .find(|line| line.contains("consensus node started"))?;
    // Drop the ANSI colours, then the first word is the RFC 3339 time.
    let mut plain = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    let stamp = plain.split_whitespace().next()?;
    let number = |range: std::ops::Range<usize>| stamp.get(range)?.parse::<i64>().ok();
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    // Days from 1970-01-01 to the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let logged = days * 86_400 + hour * 3_600 + minute * 60 + second;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs() as i64;
    Some(logged - now)
}
