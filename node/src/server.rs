//! `cordon run`: one node. Starts consensus and the actor runtime (which
//! loads the district roster into the ledger when this node leads), serves
//! the HTTP API, and stops cleanly on SIGINT or SIGTERM.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use cordon_actors::runtime::ActorRuntime;
use cordon_config::district::District;
use cordon_config::{ClusterConfig, NodeId};
use cordon_consensus::{ConsensusNode, NodeOptions};

use crate::api;
use crate::http_server::ConnectionLimits;

/// Loads the district named by the cluster file, or the embedded one.
pub fn load_district(cluster: &ClusterConfig) -> anyhow::Result<District> {
    let district = match cluster.district_file() {
        None => District::embedded(),
        Some(path) => District::load(path)
            .with_context(|| format!("load district file {}", path.display()))?,
    };
    // Pieces no point of interest needs are kept, and said.
    for piece in district.streets().pieces() {
        tracing::warn!(%piece, streets = district.spec().streets, "street graph: a piece is cut off");
    }
    Ok(district)
}

/// Runs node `id` of the cluster file at `cluster_path` until a signal;
/// its API over HTTPS unless `insecure_http`.
pub async fn run(
    cluster_path: &Path,
    id: NodeId,
    drills: bool,
    insecure_http: bool,
) -> anyhow::Result<()> {
    let cluster = ClusterConfig::load(cluster_path)?;
    let district = load_district(&cluster)?;
    cluster.check_stations(&district)?;
    let spec = cluster
        .node(id)
        .with_context(|| {
            format!(
                "node {id} is not in {}: pass an id listed under [[nodes]]",
                cluster_path.display()
            )
        })?
        .clone();
    let metrics = crate::telemetry::install_metrics(cluster.name());
    let node = ConsensusNode::start(&cluster, id, NodeOptions::default())
        .await
        .with_context(|| format!("start node {id}"))?;
    tokio::spawn(crate::telemetry::sample_gauges(node.clone()));
    tokio::spawn(crate::memory::trim_freed_memory());
    if let Some(handle) = metrics.clone() {
        tokio::spawn(crate::telemetry::keep_metrics_up(handle));
    }
    let actors = Arc::new(
        ActorRuntime::start(node.clone(), &cluster, district)
            .await
            .context("start the actor runtime")?,
    );
    let drills = drill_config(drills)?;
    warn_about_drills(id, &drills);

    let tls = api_tls(&cluster, &node, insecure_http)?;
    let listener = tokio::net::TcpListener::bind(spec.api_addr)
        .await
        .with_context(|| {
            format!(
                "bind http api on {} (fix: free the port or change api_addr)",
                spec.api_addr
            )
        })?;
    tracing::info!(
        node_id = id,
        api_addr = %spec.api_addr,
        https = tls.is_some(),
        "http api listening"
    );
    let (stopping, shutdown) = tokio::sync::watch::channel(false);
    let app = api::router(
        node.clone(),
        actors.clone(),
        drills,
        metrics,
        shutdown.clone(),
        tls.is_some(),
    )?;
    tokio::spawn(async move {
        shutdown_signal().await;
        stopping.send_replace(true);
    });
    let limits = ConnectionLimits::new(cluster.limits());
    crate::http_server::serve(listener, app, limits, shutdown, tls).await;
    tracing::info!(node_id = id, "stopping");
    actors.stop();
    node.shutdown().await;
    Ok(())
}

/// Says loudly what drill routes a node offers.
fn warn_about_drills(id: NodeId, drills: &api::DrillConfig) {
    if drills.enabled {
        tracing::warn!(
            node_id = id,
            control = drills.control.as_deref().unwrap_or("none"),
            "drill routes enabled: actors can be made to fail (and, with a drill control, \
             node processes killed, paused and restarted) through the API"
        );
    } else if drills.control.is_some() {
        tracing::warn!(
            node_id = id,
            "{} is set but drill routes are off: node drills stay off (start with --drills)",
            api::DRILL_CONTROL_ENV
        );
    }
}

/// The API's TLS acceptor, or none with `--insecure-http` (said loudly:
/// bearer tokens then cross the network in clear).
fn api_tls(
    cluster: &ClusterConfig,
    node: &ConsensusNode,
    insecure_http: bool,
) -> anyhow::Result<Option<tokio_rustls::TlsAcceptor>> {
    let id = node.id();
    if insecure_http {
        tracing::warn!(
            node_id = id,
            "--insecure-http: the API serves plain HTTP and bearer tokens cross the network in \
             clear; use it only on 127.0.0.1 or a network you trust"
        );
        return Ok(None);
    }
    let clients = node.client_cert_authority().verifier();
    let config = crate::api_tls::server_config(&cluster.tls().cert_dir, id, clients)
        .context("load the API's HTTPS certificate")?;
    Ok(Some(tokio_rustls::TlsAcceptor::from(config)))
}

/// The node's drill settings: `--drills`, and the drill control URL that
/// `cordon demo` passes in [`api::DRILL_CONTROL_ENV`] (read once, here).
fn drill_config(enabled: bool) -> anyhow::Result<api::DrillConfig> {
    let control = match std::env::var(api::DRILL_CONTROL_ENV) {
        Err(std::env::VarError::NotPresent) => None,
        Err(std::env::VarError::NotUnicode(value)) => anyhow::bail!(
            "{}={value:?} is not text: unset it, or set it to the drill control URL \
             that `cordon demo` prints",
            api::DRILL_CONTROL_ENV
        ),
        Ok(value) if value.trim().is_empty() => None,
        Ok(value) => Some(check_drill_control_url(&value)?),
    };
    Ok(api::DrillConfig { enabled, control })
}

/// The drill control runs in the `cordon demo` process beside its nodes, so
/// its URL is plain HTTP on a loopback address; anything else is refused
/// rather than sent kill requests.
fn check_drill_control_url(value: &str) -> anyhow::Result<String> {
    let fix = format!(
        "unset {}, or set it to the drill control URL that `cordon demo` prints \
         (e.g. http://127.0.0.1:40123)",
        api::DRILL_CONTROL_ENV
    );
    let url = reqwest::Url::parse(value)
        .with_context(|| format!("{}={value:?} is not a URL: {fix}", api::DRILL_CONTROL_ENV))?;
    let loopback = match url.host_str() {
        Some("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    };
    if url.scheme() != "http" || !loopback || url.path() != "/" || url.query().is_some() {
        anyhow::bail!(
            "{}={value:?} is not a drill control URL (http:// on a loopback address, no path): {fix}",
            api::DRILL_CONTROL_ENV
        );
    }
    Ok(value.trim_end_matches('/').to_string())
}

async fn shutdown_signal() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("install SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
}

#[cfg(test)]
mod tests {
    use super::check_drill_control_url;

    #[test]
    fn only_a_loopback_http_url_is_taken_as_drill_control() {
        for good in [
            "http://127.0.0.1:40123",
            "http://127.0.0.1:40123/",
            "http://localhost:8080",
            "http://[::1]:9000",
        ] {
            let url = check_drill_control_url(good).unwrap_or_else(|e| panic!("{good}: {e:#}"));
            assert!(!url.ends_with('/'), "{url}");
        }
        for bad in [
            "127.0.0.1:40123",
            "https://127.0.0.1:40123",
            "http://10.0.0.5:40123",
            "http://example.org",
            "http://127.0.0.1:40123/nodes",
            "not a url",
        ] {
            let error = check_drill_control_url(bad).expect_err(bad).to_string();
            assert!(
                error.contains("CORDON_DRILL_CONTROL") && error.contains("cordon demo"),
                "{error}"
            );
        }
    }
}
