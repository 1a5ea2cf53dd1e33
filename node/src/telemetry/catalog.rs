//! Every metric family Cordon emits, with its kind, unit, help text and,
//! for histograms, its buckets: the one list `/metrics`'s `# HELP` lines
//! and bucket layouts come from. A family emitted elsewhere must be listed
//! here (the metrics test checks every scraped family has its help).

use metrics::Unit;
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder};

/// What a family is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// Goes up and down; sampled or set.
    Gauge,
    /// Only goes up.
    Counter,
    /// A distribution, in buckets.
    Histogram(&'static [f64]),
}

/// One family: its name, kind, unit and help.
#[derive(Debug, Clone, Copy)]
pub struct Family {
    /// The name `/metrics` shows.
    pub name: &'static str,
    /// Its kind (and buckets).
    pub kind: Kind,
    /// Its unit.
    pub unit: Option<Unit>,
    /// What it says.
    pub help: &'static str,
}

/// Sub-millisecond to a second: storage and Raft appends.
const DISK_SECONDS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
];
/// Seconds to half an hour: the time to reach an incident.
const ON_SCENE_SECONDS: &[f64] = &[
    15.0, 30.0, 60.0, 90.0, 120.0, 180.0, 240.0, 300.0, 420.0, 600.0, 900.0, 1_200.0, 1_800.0,
];
/// A fraction of the target: under 1 is in time.
const TARGET_RATIO: &[f64] = &[0.25, 0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0, 3.0, 5.0];
/// Sub-second to ten minutes: report to the first assignment.
const ASSIGNMENT_SECONDS: &[f64] = &[
    0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0,
];
/// Writes per batch, in powers of two.
const BATCH_WRITES: &[f64] = &[
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1_024.0,
];
/// The OpenTelemetry HTTP server duration buckets, in seconds.
const HTTP_SECONDS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

const fn family(name: &'static str, kind: Kind, unit: Option<Unit>, help: &'static str) -> Family {
    Family {
        name,
        kind,
        unit,
        help,
    }
}

use Kind::{Counter, Gauge, Histogram};

/// Every family.
pub const FAMILIES: &[Family] = &[
    family("cordon_build_info", Gauge, None, "Always 1; the labels say the cluster served and the build: version, storage format, wire version"),
    family("cordon_raft_term", Gauge, None, "This node's current Raft term"),
    family("cordon_raft_is_leader", Gauge, None, "1 while this node leads the cluster, else 0"),
    family("cordon_raft_leader_id", Gauge, None, "The leader this node knows (0: none)"),
    family("cordon_raft_last_log_index", Gauge, None, "The last index in this node's Raft log"),
    family("cordon_raft_commit_index", Gauge, None, "The highest index this node knows committed"),
    family("cordon_raft_applied_index", Gauge, None, "The highest index applied to this node's ledger"),
    family("cordon_raft_replication_lag_entries", Gauge, None, "On the leader: entries each follower (label peer_id) is behind"),
    family("cordon_raft_append_seconds", Histogram(DISK_SECONDS), Some(Unit::Seconds), "Time to append a batch of entries to the Raft log, fsync included"),
    family("cordon_quic_connections", Gauge, None, "Open QUIC connections to peers"),
    family("cordon_quic_rtt_seconds", Gauge, Some(Unit::Seconds), "Round-trip time per peer connection (label peer_addr)"),
    family("cordon_storage_fsync_seconds", Histogram(DISK_SECONDS), Some(Unit::Seconds), "Time of one fsync of the Raft log"),
    family("cordon_storage_log_batch_writes", Histogram(BATCH_WRITES), None, "Writes folded into one fsync"),
    family("cordon_storage_log_segments", Gauge, None, "Segment files of the Raft log"),
    family("cordon_archive_batches_missing", Gauge, None, "Archived incident batches the index names and this node's store lacks"),
    family("cordon_incidents", Gauge, None, "Incidents in the ledger by status (archived ones included); the same on every node: aggregate with max"),
    family("cordon_incidents_unresourced", Gauge, None, "Open incidents no ring has a unit for"),
    family("cordon_unit_alerts", Gauge, None, "Units with an alert, by kind: ack_overdue, check_in_overdue, par_overdue, panic"),
    family("cordon_incidents_reported_total", Counter, None, "Incidents reported, by channel; counted by the leader that applied them, so sum across nodes"),
    family("cordon_units", Gauge, None, "Units by status; the same on every node: aggregate with max"),
    family("cordon_report_to_assignment_seconds", Histogram(ASSIGNMENT_SECONDS), Some(Unit::Seconds), "Report to first assignment; recorded by the leader, so sum across nodes"),
    family("cordon_on_scene_seconds", Histogram(ON_SCENE_SECONDS), Some(Unit::Seconds), "Report to first unit on scene, by ring; recorded by the leader, so sum across nodes"),
    family("cordon_on_scene_vs_target_ratio", Histogram(TARGET_RATIO), None, "Report to first unit on scene over the ring's target, by ring (under 1: in time)"),
    family("cordon_on_scene_target_breaches_total", Counter, None, "First arrivals later than the ring's target, by ring; counted by the leader, so sum across nodes"),
    family("cordon_actor_mailbox_depth", Gauge, None, "Ledger messages waiting for each actor"),
    family("cordon_actor_failures_total", Counter, None, "Actor failures this node's supervisors saw, by actor"),
    family("cordon_actor_restarts_total", Counter, None, "Actor restarts on this node, by actor"),
    family("cordon_actor_failures_escalated_total", Counter, None, "Actors that failed past their restart budget on this node, by actor"),
    family("cordon_actor_replacements_total", Counter, None, "Actors this node started after a placement moved them here, by actor"),
    family("cordon_heap_in_use_bytes", Gauge, Some(Unit::Bytes), "Heap bytes in use (glibc mallinfo2)"),
    family("cordon_heap_free_bytes", Gauge, Some(Unit::Bytes), "Heap bytes free but held by the allocator"),
    family("http_server_request_duration_seconds", Histogram(HTTP_SECONDS), Some(Unit::Seconds), "Duration of HTTP server requests (OpenTelemetry http.server.request.duration), by http_request_method, http_route, http_response_status_code"),
    family("http_server_active_requests", Gauge, None, "HTTP server requests in flight (OpenTelemetry http.server.active_requests)"),
    family("process_cpu_seconds_total", Counter, Some(Unit::Seconds), "CPU time the process spent, user and system"),
    family("process_resident_memory_bytes", Gauge, Some(Unit::Bytes), "Resident memory of the process"),
    family("process_virtual_memory_bytes", Gauge, Some(Unit::Bytes), "Virtual memory of the process"),
    family("process_open_fds", Gauge, None, "Open file descriptors of the process"),
    family("process_start_time_seconds", Gauge, Some(Unit::Seconds), "When the process started, seconds since 1970 UTC"),
];

/// `builder` with each histogram's buckets.
pub fn with_buckets(mut builder: PrometheusBuilder) -> Result<PrometheusBuilder, BuildError> {
    for family in FAMILIES {
        if let Kind::Histogram(buckets) = family.kind {
            builder = builder.set_buckets_for_metric(Matcher::Full(family.name.into()), buckets)?;
        }
    }
    Ok(builder)
}

/// Gives every family its help and unit (the `# HELP` lines).
pub fn describe() {
    for family in FAMILIES {
        let (name, help) = (family.name, family.help);
        match (family.kind, family.unit) {
            (Kind::Gauge, Some(unit)) => metrics::describe_gauge!(name, unit, help),
            (Kind::Gauge, None) => metrics::describe_gauge!(name, help),
            (Kind::Counter, Some(unit)) => metrics::describe_counter!(name, unit, help),
            (Kind::Counter, None) => metrics::describe_counter!(name, help),
            (Kind::Histogram(_), Some(unit)) => metrics::describe_histogram!(name, unit, help),
            (Kind::Histogram(_), None) => metrics::describe_histogram!(name, help),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Every family is named once, and every histogram's buckets rise.
    #[test]
    fn families_are_unique_and_buckets_rise() {
        let mut names: Vec<&str> = FAMILIES.iter().map(|f| f.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before, "a family is listed twice");
        for family in FAMILIES {
            if let Kind::Histogram(buckets) = family.kind {
                assert!(buckets.windows(2).all(|w| w[0] < w[1]), "{}", family.name);
            }
        }
    }
}
