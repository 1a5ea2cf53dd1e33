//! Tracing subscribers. Only this crate installs them; libraries only emit.

use tracing_subscriber::{fmt, EnvFilter};

/// Installs the process's log subscriber: human-readable by default, JSON
/// lines when `json` is set; the level comes from `RUST_LOG` (default `info`,
/// with openraft's chatter at `warn`).
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,openraft=warn,quinn=warn"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let result = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    // A second init (tests) keeps the first subscriber.
    let _ = result;
}

/// Installs the Prometheus recorder; `/metrics` renders its handle.
/// Returns `None` when a recorder is already installed (tests).
pub fn install_metrics() -> Option<metrics_exporter_prometheus::PrometheusHandle> {
    metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets(&[
            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            30.0, 60.0, 180.0, 300.0, 600.0,
        ])
        .ok()?
        .install_recorder()
        .ok()
}

/// How often gauges are sampled from Raft, the ledger and the transport.
pub const METRICS_SAMPLE_INTERVAL_MS: u64 = 1_000;

/// Samples gauges until the process stops: Raft term, leader, indexes and
/// replication lag per peer; QUIC connections and RTT; incidents and units
/// by status; pending messages (mailbox depth) per actor.
pub async fn sample_gauges(node: std::sync::Arc<cordon_consensus::ConsensusNode>) {
    use std::collections::BTreeMap;
    let mut ticker =
        tokio::time::interval(std::time::Duration::from_millis(METRICS_SAMPLE_INTERVAL_MS));
    loop {
        ticker.tick().await;
        let status = node.status();
        metrics::gauge!("cordon_raft_term").set(status.term as f64);
        metrics::gauge!("cordon_raft_is_leader").set(f64::from(u8::from(status.role == "leader")));
        metrics::gauge!("cordon_raft_leader_id").set(status.leader_id.unwrap_or(0) as f64);
        metrics::gauge!("cordon_raft_last_log_index")
            .set(status.last_log_index.unwrap_or(0) as f64);
        metrics::gauge!("cordon_raft_commit_index").set(status.committed_index.unwrap_or(0) as f64);
        metrics::gauge!("cordon_raft_applied_index").set(status.applied_index.unwrap_or(0) as f64);
        for member in &status.members {
            if let Some(lag) = member.lag {
                metrics::gauge!("cordon_raft_replication_lag_entries", "peer" => member.id.to_string()).set(lag as f64);
            }
        }
        let connections = node.connection_stats();
        metrics::gauge!("cordon_quic_connections").set(connections.len() as f64);
        for (peer, rtt) in connections {
            metrics::gauge!("cordon_quic_rtt_seconds", "peer" => peer.to_string())
                .set(rtt.as_secs_f64());
        }
        let (incidents, units, pending) = {
            let applied = node.ledger().read();
            let mut incidents: BTreeMap<String, usize> = BTreeMap::new();
            for incident in applied.ledger.incidents() {
                *incidents.entry(status_name(&incident.status)).or_default() += 1;
            }
            let mut units: BTreeMap<String, usize> = BTreeMap::new();
            for unit in applied.ledger.units() {
                *units.entry(status_name(&unit.status)).or_default() += 1;
            }
            let pending: Vec<(String, usize)> = applied
                .ledger
                .placements()
                .map(|(actor, _)| (actor.to_string(), applied.ledger.pending_for(actor).count()))
                .collect();
            (incidents, units, pending)
        };
        for (status, count) in incidents {
            metrics::gauge!("cordon_incidents", "status" => status).set(count as f64);
        }
        for (status, count) in units {
            metrics::gauge!("cordon_units", "status" => status).set(count as f64);
        }
        for (actor, count) in pending {
            metrics::gauge!("cordon_actor_mailbox_depth", "actor" => actor).set(count as f64);
        }
    }
}

fn status_name<T: serde::Serialize>(status: &T) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|value| value.as_str().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}
