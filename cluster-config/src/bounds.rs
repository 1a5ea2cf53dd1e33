//! The allowed range of every value of the cluster file. Each value is
//! checked against its range before any relation between values, so the
//! relations only ever see sane numbers (and use saturating arithmetic
//! all the same). A refusal names the field, the value and the range.

use crate::cluster::{ActorTiming, ClusterFile, ConfigError, Limits, RaftTiming};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const SECOND_MS: u64 = 1_000;
const MINUTE_MS: u64 = 60 * SECOND_MS;
const HOUR_MS: u64 = 60 * MINUTE_MS;
const DAY_MS: u64 = 24 * HOUR_MS;

/// Largest wire frame: a batch of entries or a snapshot chunk, never 4 GiB.
pub const FRAME_BYTES_MAX: u64 = 64 * MIB;
/// Most nodes a cluster file may list.
pub const NODES_MAX: u64 = 100;
/// Largest node id (ids are never reused, so leave room).
pub const NODE_ID_MAX: u64 = 1_000_000;
/// Longest node name or station id.
pub const NAME_BYTES_MAX: u64 = 64;
/// Longest path in the file (Linux's PATH_MAX).
pub const PATH_BYTES_MAX: u64 = 4_096;
/// Largest `limits.district_margin_m`.
pub const DISTRICT_MARGIN_M_MAX: u64 = 50_000;

/// One value with the range it must lie in.
struct Bounded {
    field: String,
    value: u64,
    min: u64,
    max: u64,
    unit: &'static str,
}

fn bounded(field: &str, value: impl Into<u64>, min: u64, max: u64, unit: &'static str) -> Bounded {
    Bounded {
        field: field.to_string(),
        value: value.into(),
        min,
        max,
        unit,
    }
}

impl Bounded {
    fn check(self) -> Result<(), ConfigError> {
        if (self.min..=self.max).contains(&self.value) {
            return Ok(());
        }
        Err(ConfigError::OutOfRange {
            field: self.field,
            value: self.value,
            min: self.min,
            max: self.max,
            unit: self.unit,
        })
    }
}

/// Checks every value of `file` against its range.
pub(crate) fn check_bounds(file: &ClusterFile) -> Result<(), ConfigError> {
    file_bounds(file)
        .into_iter()
        .chain(raft_bounds(&file.raft))
        .chain(limits_bounds(&file.limits))
        .chain(actor_bounds(&file.actors))
        .try_for_each(Bounded::check)
}

fn length(text: impl AsRef<std::ffi::OsStr>) -> u64 {
    text.as_ref().len() as u64
}

/// The node list and the paths and names of the file.
fn file_bounds(file: &ClusterFile) -> Vec<Bounded> {
    let mut bounds = vec![
        bounded(
            "nodes (count)",
            file.nodes.len() as u64,
            1,
            NODES_MAX,
            "nodes",
        ),
        bounded(
            "data_dir (length)",
            length(&file.data_dir),
            1,
            PATH_BYTES_MAX,
            "bytes",
        ),
        bounded(
            "tls.ca_cert (length)",
            length(&file.tls.ca_cert),
            1,
            PATH_BYTES_MAX,
            "bytes",
        ),
        bounded(
            "tls.cert_dir (length)",
            length(&file.tls.cert_dir),
            1,
            PATH_BYTES_MAX,
            "bytes",
        ),
    ];
    if let Some(district) = &file.district {
        bounds.push(bounded(
            "district (length)",
            length(district),
            1,
            PATH_BYTES_MAX,
            "bytes",
        ));
    }
    for (index, node) in file.nodes.iter().enumerate() {
        let at = |field: &str| format!("nodes[{index}].{field}");
        bounds.push(bounded(&at("id"), node.id, 1, NODE_ID_MAX, "(node id)"));
        bounds.push(bounded(
            &at("name (length)"),
            length(&node.name),
            1,
            NAME_BYTES_MAX,
            "bytes",
        ));
        if let Some(station) = &node.station {
            bounds.push(bounded(
                &at("station (length)"),
                length(station),
                1,
                NAME_BYTES_MAX,
                "bytes",
            ));
        }
    }
    bounds
}

fn raft_bounds(raft: &RaftTiming) -> Vec<Bounded> {
    vec![
        bounded(
            "raft.heartbeat_interval_ms",
            raft.heartbeat_interval_ms,
            1,
            10 * SECOND_MS,
            "ms",
        ),
        bounded(
            "raft.election_timeout_ms_min",
            raft.election_timeout_ms_min,
            2,
            MINUTE_MS,
            "ms",
        ),
        bounded(
            "raft.election_timeout_ms_max",
            raft.election_timeout_ms_max,
            3,
            2 * MINUTE_MS,
            "ms",
        ),
        bounded(
            "raft.install_snapshot_timeout_ms",
            raft.install_snapshot_timeout_ms,
            201,
            10 * MINUTE_MS,
            "ms",
        ),
        bounded(
            "raft.snapshot_logs_since_last",
            raft.snapshot_logs_since_last,
            1,
            10_000_000,
            "entries",
        ),
        bounded(
            "raft.logs_kept_after_snapshot_max",
            raft.logs_kept_after_snapshot_max,
            0,
            10_000_000,
            "entries",
        ),
        bounded(
            "raft.entries_per_append_max",
            raft.entries_per_append_max,
            1,
            100_000,
            "entries",
        ),
    ]
}

fn limits_bounds(limits: &Limits) -> Vec<Bounded> {
    let mut bounds = vec![
        bounded(
            "limits.frame_bytes_max",
            limits.frame_bytes_max,
            64 * KIB,
            FRAME_BYTES_MAX,
            "bytes",
        ),
        bounded(
            "limits.snapshot_chunk_bytes_max",
            limits.snapshot_chunk_bytes_max,
            1,
            FRAME_BYTES_MAX / 2,
            "bytes",
        ),
        bounded(
            "limits.rpc_timeout_ms",
            limits.rpc_timeout_ms,
            2,
            MINUTE_MS,
            "ms",
        ),
        bounded(
            "limits.client_write_timeout_ms",
            limits.client_write_timeout_ms,
            3,
            10 * MINUTE_MS,
            "ms",
        ),
        bounded(
            "limits.api_body_bytes_max",
            limits.api_body_bytes_max,
            1,
            16 * MIB,
            "bytes",
        ),
        bounded(
            "limits.api_requests_inflight_max",
            limits.api_requests_inflight_max,
            1,
            65_536,
            "requests",
        ),
        bounded(
            "limits.api_incidents_listed_max",
            limits.api_incidents_listed_max,
            1,
            1_000_000,
            "incidents",
        ),
        bounded(
            "limits.district_margin_m",
            limits.district_margin_m,
            0,
            DISTRICT_MARGIN_M_MAX,
            "m",
        ),
    ];
    bounds.extend(archive_bounds(limits));
    bounds.extend(quic_bounds(limits));
    bounds
}

fn archive_bounds(limits: &Limits) -> Vec<Bounded> {
    vec![
        bounded(
            "limits.closed_incidents_kept_ms",
            limits.closed_incidents_kept_ms,
            0,
            7 * DAY_MS,
            "ms",
        ),
        bounded(
            "limits.closed_incidents_kept_max",
            limits.closed_incidents_kept_max,
            0,
            1_000_000,
            "incidents",
        ),
    ]
}

fn quic_bounds(limits: &Limits) -> Vec<Bounded> {
    vec![
        bounded(
            "limits.quic_idle_timeout_ms",
            limits.quic_idle_timeout_ms,
            2,
            10 * MINUTE_MS,
            "ms",
        ),
        bounded(
            "limits.quic_keep_alive_ms",
            limits.quic_keep_alive_ms,
            1,
            MINUTE_MS,
            "ms",
        ),
        bounded(
            "limits.quic_connections_max",
            limits.quic_connections_max,
            1,
            4_096,
            "connections",
        ),
        bounded(
            "limits.quic_streams_per_connection_max",
            limits.quic_streams_per_connection_max,
            1,
            10_000,
            "streams",
        ),
        bounded(
            "limits.quic_handshake_timeout_ms",
            limits.quic_handshake_timeout_ms,
            100,
            MINUTE_MS,
            "ms",
        ),
        bounded(
            "limits.quic_handshakes_max",
            limits.quic_handshakes_max,
            1,
            4_096,
            "handshakes",
        ),
        bounded(
            "limits.quic_handshakes_before_retry",
            limits.quic_handshakes_before_retry,
            0,
            4_096,
            "handshakes",
        ),
        bounded(
            "limits.quic_handshakes_per_address_max",
            limits.quic_handshakes_per_address_max,
            1,
            4_096,
            "handshakes",
        ),
    ]
}

fn actor_bounds(actors: &ActorTiming) -> Vec<Bounded> {
    vec![
        bounded(
            "actors.restarts_per_window_max",
            actors.restarts_per_window_max,
            1,
            1_000,
            "restarts",
        ),
        bounded(
            "actors.restart_window_ms",
            actors.restart_window_ms,
            1,
            DAY_MS,
            "ms",
        ),
        bounded(
            "actors.heartbeat_interval_ms",
            actors.heartbeat_interval_ms,
            1,
            MINUTE_MS,
            "ms",
        ),
        bounded(
            "actors.detection_timeout_ms",
            actors.detection_timeout_ms,
            2,
            10 * MINUTE_MS,
            "ms",
        ),
        bounded(
            "actors.move_back_after_ms",
            actors.move_back_after_ms,
            2,
            DAY_MS,
            "ms",
        ),
        bounded(
            "actors.failed_node_hold_ms",
            actors.failed_node_hold_ms,
            1,
            7 * DAY_MS,
            "ms",
        ),
        bounded(
            "actors.plan_auto_approve_ms",
            actors.plan_auto_approve_ms,
            0,
            DAY_MS,
            "ms",
        ),
    ]
    .into_iter()
    .chain(round_bounds(actors))
    .collect()
}

/// The periods of the actors' rounds.
fn round_bounds(actors: &ActorTiming) -> Vec<Bounded> {
    vec![
        bounded(
            "actors.deadline_watch_interval_ms",
            actors.deadline_watch_interval_ms,
            1,
            MINUTE_MS,
            "ms",
        ),
        bounded(
            "actors.move_up_interval_ms",
            actors.move_up_interval_ms,
            100,
            60 * MINUTE_MS,
            "ms",
        ),
        bounded(
            "actors.forecast_interval_ms",
            actors.forecast_interval_ms,
            100,
            60 * MINUTE_MS,
            "ms",
        ),
        bounded(
            "actors.ack_timeout_ms",
            actors.ack_timeout_ms,
            1_000,
            60 * MINUTE_MS,
            "ms",
        ),
        bounded(
            "actors.check_in_interval_ms",
            actors.check_in_interval_ms,
            1_000,
            24 * 60 * MINUTE_MS,
            "ms",
        ),
        bounded(
            "actors.par_interval_ms",
            actors.par_interval_ms,
            1_000,
            24 * 60 * MINUTE_MS,
            "ms",
        ),
        bounded(
            "actors.public_info_within_ms",
            actors.public_info_within_ms,
            1_000,
            24 * 60 * MINUTE_MS,
            "ms",
        ),
        bounded(
            "actors.hospital_round_every_ms",
            actors.hospital_round_every_ms,
            1_000,
            24 * 60 * MINUTE_MS,
            "ms",
        ),
    ]
}
