//! Telemetry: tracing subscribers (logs, OTLP span export) and Prometheus
//! metrics (every family in [`catalog`]). Only this crate installs them;
//! libraries only emit.

pub mod catalog;
mod process;

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
/// `service` names this process in exported spans.
pub fn init(json: bool, service: &Service) -> Telemetry {
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
        .and_then(|_| otlp_provider(service));
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

/// What exported spans say of this process, beyond what the environment
/// (`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`) says.
#[derive(Debug, Clone, Default)]
pub struct Service {
    /// `service.instance.id`, e.g. `node-2`.
    pub instance: Option<String>,
    /// `service.namespace`: the cluster's name.
    pub namespace: Option<String>,
}

/// The service name when the environment gives none.
const DEFAULT_SERVICE_NAME: &str = "cordon";

fn otlp_provider(service: &Service) -> Option<SdkTracerProvider> {
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
    // The builder reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES;
    // ours only fill what they leave out.
    let from_env = Resource::builder().build();
    let named = |key: &'static str| {
        from_env
            .get(&opentelemetry::Key::from_static_str(key))
            .is_some()
    };
    let mut resource = Resource::builder();
    let env_names_service = std::env::var("OTEL_SERVICE_NAME").is_ok_and(|v| !v.is_empty())
        || std::env::var("OTEL_RESOURCE_ATTRIBUTES").is_ok_and(|v| v.contains("service.name="));
    if !env_names_service {
        resource = resource.with_service_name(DEFAULT_SERVICE_NAME);
    }
    for (key, value) in [
        ("service.instance.id", &service.instance),
        ("service.namespace", &service.namespace),
    ] {
        if let Some(value) = value.as_ref().filter(|_| !named(key)) {
            resource = resource.with_attribute(KeyValue::new(key, value.clone()));
        }
    }
    Some(
        SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource.build())
            .build(),
    )
}

/// Installs the Prometheus recorder with each family's help and buckets,
/// and sets the build-info gauge (with the `cluster` it serves, which
/// dashboards pick nodes by); `/metrics` renders its handle. Returns `None`
/// when a recorder is already installed (tests).
pub fn install_metrics(cluster: &str) -> Option<metrics_exporter_prometheus::PrometheusHandle> {
    let builder = catalog::with_buckets(metrics_exporter_prometheus::PrometheusBuilder::new());
    let handle = builder.ok()?.install_recorder().ok()?;
    catalog::describe();
    metrics::gauge!(
        "cordon_build_info",
        "cluster" => cluster.to_owned(),
        "version" => env!("CARGO_PKG_VERSION"),
        "storage_format" => cordon_consensus::codec::STORAGE_FORMAT_VERSION.to_string(),
        "wire_version" => cordon_consensus::wire::WIRE_VERSION.to_string(),
    )
    .set(1.0);
    Some(handle)
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
/// replication lag per peer; QUIC connections and RTT; the ledger's gauges
/// (`sample_ledger_gauges`); the process's.
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
                metrics::gauge!("cordon_raft_replication_lag_entries", "peer_id" => member.id.to_string()).set(lag as f64);
            }
        }
        let connections = node.connection_stats();
        metrics::gauge!("cordon_quic_connections").set(connections.len() as f64);
        for (peer, rtt) in connections {
            metrics::gauge!("cordon_quic_rtt_seconds", "peer_addr" => peer.to_string())
                .set(rtt.as_secs_f64());
        }
        sample_ledger_gauges(&node);
        metrics::gauge!("cordon_archive_batches_missing")
            .set(node.archive_batches_missing() as f64);
        process::sample();
    }
}

/// The gauges read from the replicated ledger: incidents (archived ones
/// included) and units by status, every status set (zero included) on
/// every sample, open incidents marked unresourced, pending messages per
/// actor. Every node shows the same values (the ledger's, at its applied
/// index): aggregate them across nodes with `max`, never `sum`.
fn sample_ledger_gauges(node: &cordon_consensus::ConsensusNode) {
    use cordon_consensus::ledger::{AlertKind, IncidentStatus, UnitStatus};
    use std::collections::BTreeMap;
    let (incidents, unresourced, units, pending, alerts) = {
        let applied = node.ledger().read();
        let mut incidents: BTreeMap<String, usize> = IncidentStatus::ALL
            .iter()
            .map(|status| (status_name(status), 0))
            .collect();
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
        let mut units: BTreeMap<String, usize> = UnitStatus::ALL
            .iter()
            .map(|status| (status_name(status), 0))
            .collect();
        let mut alerts: BTreeMap<&'static str, usize> =
            AlertKind::ALL.iter().map(|kind| (kind.name(), 0)).collect();
        for unit in applied.ledger.units() {
            *units.entry(status_name(&unit.status)).or_default() += 1;
            if let Some(alert) = &unit.alert {
                *alerts.entry(alert.kind.name()).or_default() += 1;
            }
        }
        let pending: Vec<(String, usize)> = applied
            .ledger
            .placements()
            .map(|(actor, _)| (actor.to_string(), applied.ledger.pending_for(actor).count()))
            .collect();
        (incidents, unresourced, units, pending, alerts)
    };
    for (kind, count) in alerts {
        metrics::gauge!("cordon_unit_alerts", "kind" => kind).set(count as f64);
    }
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
