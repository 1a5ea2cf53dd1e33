//! The floor under a commit, measured in the same run as the benchmark: an
//! `fdatasync` of one entry's bytes appended to a file on the data disk,
//! and a QUIC round trip. With the cluster file's operator certificate the
//! round trip is measured: [`RTT_SAMPLES`] pings to the leader over mutual
//! TLS, their median. Without it, the nodes' own smoothed estimate from
//! `/metrics` stands in; that gauge moves between 0.1 and 1 ms on a busy
//! machine, so a floor built on it is rough. A commit cannot be faster than
//! one `fdatasync` plus one round trip; the benchmark prints its latencies
//! as multiples of that.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::percentile;
use crate::client::ApiClient;
use crate::ctl::Operator;

/// Appends measured by [`disk`].
pub const DISK_SAMPLES: usize = 1_000;

/// Pings timed by [`round_trip`].
pub const RTT_SAMPLES: usize = 300;

/// The floor of one run.
#[derive(Clone, Debug, Serialize)]
pub struct Floor {
    /// Bytes appended per `fdatasync`.
    pub entry_bytes: usize,
    /// Median `fdatasync` of an append.
    pub fdatasync_p50_ms: f64,
    /// 99th percentile of the same.
    pub fdatasync_p99_ms: f64,
    /// The median QUIC round trip: measured by pings, or else the median
    /// of the first node's smoothed estimates to its peers (`/metrics`).
    pub quic_rtt_p50_ms: Option<f64>,
    /// How the round trip was found: `pings` or `metrics`.
    pub quic_rtt_source: Option<&'static str>,
}

impl Floor {
    /// What one commit cannot beat: the leader's and a follower's appends
    /// sync in parallel, and the follower's answer takes a round trip, so
    /// one `fdatasync` plus one QUIC round trip (the `fdatasync` alone when
    /// no round trip was reported).
    pub fn commit_floor_ms(&self) -> f64 {
        self.fdatasync_p50_ms + self.quic_rtt_p50_ms.unwrap_or(0.0)
    }
}

/// The floor of this run: [`disk`] on `dir` (on the blocking pool), and
/// the round trip: [`round_trip`] with `operator`, else the estimates in
/// the first node's `/metrics` (none if it does not answer; said on
/// stderr).
pub async fn measure(
    client: &ApiClient,
    operator: Option<&Operator>,
    dir: &Path,
    entry_bytes: usize,
) -> std::io::Result<Floor> {
    let owned = dir.to_path_buf();
    let (p50, p99) = tokio::task::spawn_blocking(move || disk(&owned, entry_bytes, DISK_SAMPLES))
        .await
        .map_err(std::io::Error::other)??;
    let pinged = match operator {
        Some(operator) => round_trip(operator, RTT_SAMPLES).await,
        None => None,
    };
    let (quic_rtt_p50_ms, quic_rtt_source) = match pinged {
        Some(rtt) => (Some(rtt), Some("pings")),
        None => match client.get_text_from(0, "/metrics").await {
            Ok(text) => (quic_rtt_p50_ms(&text), Some("metrics")),
            Err(error) => {
                eprintln!("no QUIC round trip in the floor: /metrics: {error}");
                (None, None)
            }
        },
    };
    Ok(Floor {
        entry_bytes,
        fdatasync_p50_ms: p50,
        fdatasync_p99_ms: p99,
        quic_rtt_p50_ms,
        quic_rtt_source,
    })
}

/// The median of `samples` pings to the leader over the operator's QUIC
/// connection, in ms (the first, which may open the connection, is not
/// counted); none when the leader cannot be found or a ping fails (said on
/// stderr).
pub async fn round_trip(operator: &Operator, samples: usize) -> Option<f64> {
    let timed = async {
        let leader = operator.leader().await?;
        operator.round_trip(leader).await?;
        let mut rtts = Vec::with_capacity(samples);
        for _ in 0..samples {
            rtts.push(operator.round_trip(leader).await?);
        }
        rtts.sort();
        anyhow::Ok(percentile(&rtts, 50.0))
    };
    match timed.await {
        Ok(rtt) => Some(rtt),
        Err(error) => {
            eprintln!("no pings in the floor, using /metrics: {error:#}");
            None
        }
    }
}

/// Appends `entry_bytes` to a new file in `dir` and syncs it, `samples`
/// times; the file is removed afterwards.
pub fn disk(dir: &Path, entry_bytes: usize, samples: usize) -> std::io::Result<(f64, f64)> {
    let path = dir.join(format!(".cordon-bench-floor-{}", std::process::id()));
    let result = sync_appends(&path, entry_bytes, samples);
    let removed = std::fs::remove_file(&path);
    let latencies = result?;
    removed?;
    Ok((percentile(&latencies, 50.0), percentile(&latencies, 99.0)))
}

fn sync_appends(path: &Path, entry_bytes: usize, samples: usize) -> std::io::Result<Vec<Duration>> {
    let mut file = OpenOptions::new()
        .create_new(true)
        .append(true)
        .open(path)?;
    let entry = vec![0x5a_u8; entry_bytes];
    let mut latencies = Vec::with_capacity(samples);
    for _ in 0..samples {
        let started = Instant::now();
        file.write_all(&entry)?;
        file.sync_data()?;
        latencies.push(started.elapsed());
    }
    latencies.sort();
    Ok(latencies)
}

/// The median of the `cordon_quic_rtt_seconds{peer=..}` gauges in a node's
/// Prometheus text, in milliseconds.
pub fn quic_rtt_p50_ms(metrics_text: &str) -> Option<f64> {
    let mut rtts: Vec<f64> = metrics_text
        .lines()
        .filter(|line| line.starts_with("cordon_quic_rtt_seconds{"))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|seconds| seconds * 1_000.0)
        .collect();
    if rtts.is_empty() {
        return None;
    }
    rtts.sort_by(f64::total_cmp);
    Some(rtts[(rtts.len() - 1) / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_disk_floor_measures_synced_appends_and_leaves_no_file() {
        let dir = tempfile::TempDir::new().unwrap();
        let (p50, p99) = disk(dir.path(), 256, 20).unwrap();
        assert!(p50 > 0.0 && p99 >= p50, "p50 {p50} ms, p99 {p99} ms");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn the_round_trip_is_the_median_of_the_peers_gauges() {
        let text = "# TYPE cordon_quic_rtt_seconds gauge\n\
                    cordon_quic_rtt_seconds{peer=\"2\"} 0.0004\n\
                    cordon_quic_rtt_seconds{peer=\"3\"} 0.0002\n\
                    cordon_quic_rtt_seconds{peer=\"4\"} 0.0009\n\
                    cordon_quic_connections 3\n";
        let rtt = quic_rtt_p50_ms(text).unwrap();
        assert!((rtt - 0.4).abs() < 1e-9, "{rtt}");
        assert_eq!(quic_rtt_p50_ms("cordon_quic_connections 3\n"), None);
    }
}
