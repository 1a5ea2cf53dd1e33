//! Telemetry: tracing subscribers (logs, OTLP span export) and Prometheus
//! metrics. Only this crate installs them; libraries only emit.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry::KeyValue;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter, Layer};

/// The environment variable that turns span export on (OTLP over HTTP).
pub const OTLP_ENDPOINT_ENV: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";

/// Installed telemetry; flush it before the process exits.
#[derive(Default)]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Exports the spans still queued (bounded by the exporter's timeout).
    pub fn shutdown(&self) {
        if let Some(provider) = &self.provider {
            let _ = provider.force_flush();
            let _ = provider.shutdown();
        }
    }
}

/// Installs the process's subscriber: logs to stderr (human-readable, or
/// JSON lines with `json`) filtered by `RUST_LOG` (default `info`, openraft
/// and quinn at `warn`), and, when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, an
/// OpenTelemetry layer exporting spans over OTLP/HTTP with its own filter
/// (per-layer filters, so the log level never hides spans from the exporter).
/// `instance` names this process in exported spans (e.g. `node-2`).
pub fn init(json: bool, instance: Option<&str>) -> Telemetry {
    let log_filter = || {
        EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| EnvFilter::new("info,openraft=warn,quinn=warn"))
    };
    let logs = if json {
        fmt::layer()
            .json()
            .with_writer(std::io::stderr)
            .with_filter(log_filter())
            .boxed()
    } else {
        fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(log_filter())
            .boxed()
    };
    let provider = std::env::var(OTLP_ENDPOINT_ENV)
        .ok()
        .filter(|v| !v.is_empty())
        .and_then(|_| otlp_provider(instance));
    let spans = provider.as_ref().map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("cordon"))
            .with_filter(EnvFilter::new(
                "info,openraft=off,quinn=off,h2=off,hyper=off,reqwest=off",
            ))
    });
    // A second init (tests) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(logs)
        .with(spans)
        .try_init();
    Telemetry { provider }
}

fn otlp_provider(instance: Option<&str>) -> Option<SdkTracerProvider> {
    // The exporter reads the endpoint from the environment; its batch
    // processor runs on its own thread with the blocking HTTP client.
    let exporter = match opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()
    {
        Ok(exporter) => exporter,
        Err(error) => {
            eprintln!("warning: build the OTLP span exporter: {error}; spans are not exported");
            return None;
        }
    };
    let mut resource = Resource::builder().with_service_name("cordon");
    if let Some(instance) = instance {
        resource =
            resource.with_attribute(KeyValue::new("service.instance.id", instance.to_string()));
    }
    Some(
        SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource.build())
            .build(),
    )
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

/// How often the recorder folds the histogram samples recorded since into
/// their buckets, in ms.
pub const METRICS_UPKEEP_INTERVAL_MS: u64 = 5_000;

/// Folds recorded histogram samples into their buckets every
/// [`METRICS_UPKEEP_INTERVAL_MS`] until the process stops. The recorder
/// keeps each sample until the next upkeep or scrape, so a node nobody
/// scrapes would otherwise hold every sample since it started (on a
/// leader, 16 MB after 200 000 incidents).
pub async fn keep_metrics_up(handle: metrics_exporter_prometheus::PrometheusHandle) {
    let mut ticker =
        tokio::time::interval(std::time::Duration::from_millis(METRICS_UPKEEP_INTERVAL_MS));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        handle.run_upkeep();
    }
}

/// How often gauges are sampled from Raft, the ledger and the transport.
pub const METRICS_SAMPLE_INTERVAL_MS: u64 = 1_000;

/// Samples gauges until the process stops: Raft term, leader, indexes and
/// replication lag per peer; QUIC connections and RTT; and the ledger's
/// gauges (`sample_ledger_gauges`).
pub async fn sample_gauges(node: std::sync::Arc<cordon_consensus::ConsensusNode>) {
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
        sample_ledger_gauges(&node);
        metrics::gauge!("cordon_archive_batches_missing")
            .set(node.archive_batches_missing() as f64);
    }
}

/// The gauges read from the replicated ledger: incidents (archived ones
/// included) and units by status, open incidents marked unresourced, pending messages per actor.
/// Every node shows the same values (the ledger's, at its applied index):
/// aggregate them across nodes with `max`, never `sum`.
fn sample_ledger_gauges(node: &cordon_consensus::ConsensusNode) {
    use std::collections::BTreeMap;
    let (incidents, unresourced, units, pending) = {
        let applied = node.ledger().read();
        let mut incidents: BTreeMap<String, usize> = BTreeMap::new();
        let mut unresourced = 0usize;
        for incident in applied.ledger.incidents() {
            *incidents.entry(status_name(&incident.status)).or_default() += 1;
            if incident.status.is_open() && incident.unresourced.is_some() {
                unresourced += 1;
            }
        }
        let (resolved, cancelled) = applied.ledger.archived_by_status();
        *incidents.entry("resolved".into()).or_default() += resolved as usize;
        *incidents.entry("cancelled".into()).or_default() += cancelled as usize;
        let mut units: BTreeMap<String, usize> = BTreeMap::new();
        for unit in applied.ledger.units() {
            *units.entry(status_name(&unit.status)).or_default() += 1;
        }
        let pending: Vec<(String, usize)> = applied
            .ledger
            .placements()
            .map(|(actor, _)| (actor.to_string(), applied.ledger.pending_for(actor).count()))
            .collect();
        (incidents, unresourced, units, pending)
    };
    for (status, count) in incidents {
        metrics::gauge!("cordon_incidents", "status" => status).set(count as f64);
    }
    metrics::gauge!("cordon_incidents_unresourced").set(unresourced as f64);
    for (status, count) in units {
        metrics::gauge!("cordon_units", "status" => status).set(count as f64);
    }
    for (actor, count) in pending {
        metrics::gauge!("cordon_actor_mailbox_depth", "actor" => actor).set(count as f64);
    }
}

fn status_name<T: serde::Serialize>(status: &T) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|value| value.as_str().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}
