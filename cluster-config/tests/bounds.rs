//! Every value of the cluster file has an allowed range, and a value outside
//! it is refused with an error naming the field, the value and the range.
//! Timing relations never overflow: an absurd value is refused, not wrapped
//! or panicked on.

use std::path::Path;

use cordon_config::{ClusterConfig, ConfigError};
use toml::{Table, Value};

/// One out-of-range value: where it goes, how the error shows it, and the
/// range the error must name.
struct Case {
    field: &'static str,
    shown: String,
    range: &'static str,
    set: Box<dyn Fn(&mut Table)>,
}

/// `section.key = value`, written into the file's table.
fn number(field: &'static str, value: i64, range: &'static str) -> Case {
    let (section, key) = field.split_once('.').expect("section.key");
    Case {
        field,
        shown: value.to_string(),
        range,
        set: Box::new(move |table| {
            let section = table
                .entry(section)
                .or_insert_with(|| Value::Table(Table::new()));
            section
                .as_table_mut()
                .unwrap()
                .insert(key.to_string(), Value::Integer(value));
        }),
    }
}

/// A text value of `length` bytes written by `set`.
fn text(
    field: &'static str,
    length: usize,
    range: &'static str,
    set: fn(&mut Table, String),
) -> Case {
    Case {
        field,
        shown: length.to_string(),
        range,
        set: Box::new(move |table| set(table, "x".repeat(length))),
    }
}

fn first_node(table: &mut Table) -> &mut Table {
    table["nodes"].as_array_mut().unwrap()[0]
        .as_table_mut()
        .unwrap()
}

/// One value above each upper bound of `raft` and `actors`, and below the
/// lower bounds that matter.
fn timing_cases() -> Vec<Case> {
    vec![
        number("raft.heartbeat_interval_ms", 10_001, "1..=10000 ms"),
        number("raft.election_timeout_ms_min", 60_001, "2..=60000 ms"),
        number("raft.election_timeout_ms_max", 120_001, "3..=120000 ms"),
        number(
            "raft.install_snapshot_timeout_ms",
            600_001,
            "201..=600000 ms",
        ),
        number("raft.install_snapshot_timeout_ms", 200, "201..=600000 ms"),
        number(
            "raft.snapshot_logs_since_last",
            10_000_001,
            "1..=10000000 entries",
        ),
        number(
            "raft.logs_kept_after_snapshot_max",
            10_000_001,
            "0..=10000000 entries",
        ),
        number("raft.entries_per_append_max", 100_001, "1..=100000 entries"),
        number("raft.entries_per_append_max", 0, "1..=100000 entries"),
        number("actors.restarts_per_window_max", 1_001, "1..=1000 restarts"),
        number("actors.restart_window_ms", 86_400_001, "1..=86400000 ms"),
        number("actors.heartbeat_interval_ms", 60_001, "1..=60000 ms"),
        number("actors.detection_timeout_ms", 600_001, "2..=600000 ms"),
        number("actors.move_back_after_ms", 86_400_001, "2..=86400000 ms"),
        number(
            "actors.failed_node_hold_ms",
            604_800_001,
            "1..=604800000 ms",
        ),
        number("actors.plan_auto_approve_ms", 86_400_001, "0..=86400000 ms"),
        number("actors.deadline_watch_interval_ms", 60_001, "1..=60000 ms"),
    ]
}

/// One value above each upper bound of `limits`, and below the lower bounds
/// that matter.
fn limits_cases() -> Vec<Case> {
    vec![
        number(
            "limits.frame_bytes_max",
            4_294_967_295,
            "65536..=67108864 bytes",
        ),
        number("limits.frame_bytes_max", 65_535, "65536..=67108864 bytes"),
        number(
            "limits.snapshot_chunk_bytes_max",
            33_554_433,
            "1..=33554432 bytes",
        ),
        number("limits.rpc_timeout_ms", 60_001, "2..=60000 ms"),
        number("limits.client_write_timeout_ms", 600_001, "3..=600000 ms"),
        number("limits.quic_idle_timeout_ms", 600_001, "2..=600000 ms"),
        number("limits.quic_keep_alive_ms", 60_001, "1..=60000 ms"),
        number("limits.quic_connections_max", 4_097, "1..=4096 connections"),
        number("limits.quic_connections_max", 0, "1..=4096 connections"),
        number(
            "limits.quic_streams_per_connection_max",
            10_001,
            "1..=10000 streams",
        ),
        number("limits.quic_handshake_timeout_ms", 60_001, "100..=60000 ms"),
        number("limits.quic_handshake_timeout_ms", 99, "100..=60000 ms"),
        number("limits.quic_handshakes_max", 4_097, "1..=4096 handshakes"),
        number(
            "limits.quic_handshakes_before_retry",
            4_097,
            "0..=4096 handshakes",
        ),
        number(
            "limits.quic_handshakes_per_address_max",
            4_097,
            "1..=4096 handshakes",
        ),
        number(
            "limits.api_body_bytes_max",
            16_777_217,
            "1..=16777216 bytes",
        ),
        number(
            "limits.api_requests_inflight_max",
            65_537,
            "1..=65536 requests",
        ),
        number(
            "limits.api_incidents_listed_max",
            1_000_001,
            "1..=1000000 incidents",
        ),
        number("limits.district_margin_m", 50_001, "0..=50000 m"),
    ]
}

/// Lengths of paths and names, and the node id.
fn text_cases() -> Vec<Case> {
    vec![
        text("data_dir (length)", 4_097, "1..=4096 bytes", |t, v| {
            t.insert("data_dir".into(), Value::String(v));
        }),
        text("district (length)", 4_097, "1..=4096 bytes", |t, v| {
            t.insert("district".into(), Value::String(v));
        }),
        text("tls.ca_cert (length)", 4_097, "1..=4096 bytes", |t, v| {
            let tls = t["tls"].as_table_mut().unwrap();
            tls.insert("ca_cert".into(), Value::String(v));
        }),
        text("tls.cert_dir (length)", 4_097, "1..=4096 bytes", |t, v| {
            let tls = t["tls"].as_table_mut().unwrap();
            tls.insert("cert_dir".into(), Value::String(v));
        }),
        text("nodes[0].name (length)", 65, "1..=64 bytes", |t, v| {
            first_node(t).insert("name".into(), Value::String(v));
        }),
        text("nodes[0].station (length)", 65, "1..=64 bytes", |t, v| {
            let node = first_node(t);
            node.insert("role".into(), Value::String("station".into()));
            node.insert("station".into(), Value::String(v));
        }),
        Case {
            field: "nodes[0].id",
            shown: "1000001".into(),
            range: "1..=1000000 (node id)",
            set: Box::new(|t| {
                first_node(t).insert("id".into(), Value::Integer(1_000_001));
            }),
        },
    ]
}

/// Nothing is read or bound: validation only looks at the text.
const DIR: &str = "/var/lib/cordon-bounds-test";
const PORTS: [(u16, u16); 3] = [(7101, 7181), (7102, 7182), (7103, 7183)];

/// A valid three-node cluster.
fn valid_config() -> ClusterConfig {
    ClusterConfig::local("test", Path::new(DIR), &PORTS).unwrap()
}

fn load(table: &Table, dir: &Path) -> Result<ClusterConfig, ConfigError> {
    let text = toml::to_string(table).unwrap();
    ClusterConfig::from_toml_str(&text, Path::new("cluster.toml"), dir)
}

#[test]
fn every_value_out_of_its_range_is_refused_naming_field_value_and_range() {
    // Phase 1: the file the cases start from validates.
    let dir = Path::new(DIR);
    let valid: Table = valid_config().to_toml_string().parse().unwrap();
    load(&valid, dir).unwrap();

    // Phase 2: each value out of its range is refused, and the error names
    // the field, the value and the allowed range; every miss is listed.
    let mut misses = Vec::new();
    for case in timing_cases()
        .into_iter()
        .chain(limits_cases())
        .chain(text_cases())
    {
        let mut table = valid.clone();
        (case.set)(&mut table);
        let expected = format!(
            "{} = {}: outside the allowed range {}",
            case.field, case.shown, case.range
        );
        match load(&table, dir) {
            Err(error) if error.to_string().contains(&expected) => {}
            Err(error) => misses.push(format!("{expected:?}: refused as {error}")),
            Ok(_) => misses.push(format!("{expected:?}: accepted")),
        }
    }
    assert!(
        misses.is_empty(),
        "{} cases missed:\n{}",
        misses.len(),
        misses.join("\n")
    );
}

#[test]
fn a_timing_relation_never_overflows() {
    // Phase 1: twice u64::MAX overflows; the heartbeat is refused by its
    // range instead of panicking (debug) or wrapping (release) in the
    // "detection timeout at least twice the heartbeat" relation.
    let dir = Path::new(DIR);
    let valid = valid_config();
    let mut file = valid.file().clone();
    file.actors.heartbeat_interval_ms = u64::MAX;
    file.actors.detection_timeout_ms = 1;
    let error = ClusterConfig::from_file(file, dir).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("actors.heartbeat_interval_ms = 18446744073709551615: outside the allowed range 1..=60000 ms"),
        "{error}"
    );

    // Phase 2: within range, the relation itself refuses, naming both values.
    let mut file = valid.file().clone();
    file.actors.heartbeat_interval_ms = 60_000;
    file.actors.detection_timeout_ms = 119_999;
    let error = ClusterConfig::from_file(file, dir).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("actors.detection_timeout_ms = 119999")
            && error.to_string().contains("(60000)"),
        "{error}"
    );
}
