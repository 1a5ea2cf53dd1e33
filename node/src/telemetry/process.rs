//! The standard process metrics (`process_cpu_seconds_total`, memory, open
//! descriptors, start time), read from Linux's `/proc`. Elsewhere they are
//! left out rather than made up.

use std::sync::OnceLock;

/// Sets the process gauges from `/proc/self`; skips any it cannot read.
pub fn sample() {
    let Some(stat) = read_stat() else {
        return;
    };
    let ticks = rustix::param::clock_ticks_per_second() as f64;
    let page = rustix::param::page_size() as f64;
    metrics::counter!("process_cpu_seconds_total")
        .absolute(((stat.utime + stat.stime) as f64 / ticks).round() as u64);
    metrics::gauge!("process_resident_memory_bytes").set(stat.rss_pages as f64 * page);
    metrics::gauge!("process_virtual_memory_bytes").set(stat.vsize_bytes as f64);
    if let Some(start) = start_time_s(stat.start_ticks, ticks) {
        metrics::gauge!("process_start_time_seconds").set(start);
    }
    if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
        metrics::gauge!("process_open_fds").set(fds.count() as f64);
    }
}

/// The fields of `/proc/self/stat` the gauges need.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Stat {
    utime: u64,
    stime: u64,
    start_ticks: u64,
    vsize_bytes: u64,
    rss_pages: u64,
}

fn read_stat() -> Option<Stat> {
    parse_stat(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

/// Fields after the command name (which may hold spaces and parentheses,
/// so the split is at the last `)`): state is the first, utime the 12th.
fn parse_stat(text: &str) -> Option<Stat> {
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| fields.get(n)?.parse::<u64>().ok();
    Some(Stat {
        utime: field(11)?,
        stime: field(12)?,
        start_ticks: field(19)?,
        vsize_bytes: field(20)?,
        rss_pages: field(21)?,
    })
}

/// Seconds since 1970 the process started: the boot time (`btime` in
/// `/proc/stat`, read once) plus its start in ticks since boot.
fn start_time_s(start_ticks: u64, ticks_per_s: f64) -> Option<f64> {
    static BOOT_S: OnceLock<Option<u64>> = OnceLock::new();
    let boot = BOOT_S.get_or_init(|| {
        let text = std::fs::read_to_string("/proc/stat").ok()?;
        text.lines()
            .find_map(|line| line.strip_prefix("btime "))
            .and_then(|value| value.trim().parse().ok())
    });
    boot.map(|boot| boot as f64 + start_ticks as f64 / ticks_per_s)
}

#[cfg(test)]
mod tests {
    use super::*;

    // A command name with spaces and parentheses does not shift the fields;
    // this process's own stat parses.
    #[test]
    fn stat_fields_are_found_after_the_command() {
        let text = "42 (cordon (node) 1) S 1 42 42 0 -1 4194560 500 0 0 0 \
                    250 75 0 0 20 0 9 0 1234 987654 321 18446744073709551615";

        let stat = parse_stat(text).unwrap();

        assert_eq!(
            stat,
            Stat {
                utime: 250,
                stime: 75,
                start_ticks: 1234,
                vsize_bytes: 987_654,
                rss_pages: 321
            }
        );
        assert!(read_stat().is_some_and(|own| own.rss_pages > 0));
    }
}
