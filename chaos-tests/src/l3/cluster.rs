//! The drill's cluster: started in a fresh lab (or an operator's, attached
//! through its cluster file), settled (a leader, every actor placed), and
//! read back from every node at the end; liveness after heal.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cordon_config::district::DistrictSpec;
use cordon_config::ClusterConfig;

use super::api::{self, Api};
use super::checks::NodeReads;
use super::load::Load;
use super::netns::Lab;
use super::options::{setup, DrillError, DrillOptions, OperatorCluster};
use super::process::{Control, Nodes};
use super::report::TimelineEntry;
use super::LIVENESS_WITHIN;
use crate::judge::checkers::RecoveryTimes;
use crate::shared::certs::certify;

/// QUIC (Raft) port of every node, on its own address.
const QUIC_PORT: u16 = 7_100;
/// API port of every node, on its own address.
const API_PORT: u16 = 8_100;
/// Reads of a node's units around its incidents before the final read
/// settles for one where they changed.
const STABLE_READ_TRIES_MAX: usize = 5;

/// A drill in progress: who runs the nodes, its files and timeline.
pub(crate) struct Run {
    // Field order is drop order: processes and namespaces go before the
    // folder.
    pub(crate) control: Control,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) cluster_path: PathBuf,
    pub(crate) cluster: ClusterConfig,
    pub(crate) start: Instant,
    pub(crate) timeline: Vec<TimelineEntry>,
}

impl Run {
    /// Adds `event` to the timeline, at its time since the load started.
    pub(crate) fn note(&mut self, event: impl Into<String>) {
        let event = event.into();
        tracing::info!(%event, "drill");
        self.timeline.push(TimelineEntry {
            at_ms: self.start.elapsed().as_millis() as u64,
            event,
        });
    }
}

/// Starts the cluster in a fresh lab: cluster file, certificates, one
/// `cordon run` per node namespace. Labs left by killed drills are swept
/// first. `extra` more nodes go into the lab and the cluster file as
/// non-voters (outside the initial membership) and are not started; the
/// [`Api`] covers them too.
pub(crate) fn start_cluster(
    options: &DrillOptions,
    nodes: usize,
    extra: usize,
) -> Result<(Run, Api, Vec<String>), DrillError> {
    if nodes < 3 {
        return Err(setup("drills need 3 nodes or more"));
    }
    if !options.cordon.is_file() {
        return Err(setup(format!(
            "no cordon binary at {}: build it with `cargo build -p cordon-node` or pass --cordon PATH",
            options.cordon.display()
        )));
    }
    let swept = Lab::sweep()?;
    let total = nodes + extra;
    let lab = Lab::new(total)?;
    let dir = tempfile::Builder::new()
        .prefix("cordon-l3-")
        .tempdir()
        .map_err(setup)?;
    // Distinct placeholders to pass validation; replaced by lab addresses.
    let ports: Vec<(u16, u16)> = (0..total as u16)
        .map(|index| (QUIC_PORT + index, API_PORT + index))
        .collect();
    let base = ClusterConfig::local("l3drill", dir.path(), &ports).map_err(setup)?;
    let mut file = base.file().clone();
    for (index, node) in file.nodes.iter_mut().enumerate() {
        let address = lab.node_addr(index + 1);
        node.quic_addr = (address, QUIC_PORT).into();
        node.api_addr = (address, API_PORT).into();
        node.voter = index < nodes;
    }
    let cluster = ClusterConfig::from_file(file, dir.path()).map_err(setup)?;
    let cluster_path = dir.path().join("cluster.toml");
    std::fs::write(&cluster_path, cluster.to_toml_string()).map_err(setup)?;
    certify(&cluster).map_err(setup)?;
    let addrs = cluster.nodes().iter().map(|node| node.api_addr).collect();
    let api = Api::new(addrs, &cluster.tls().ca_cert).map_err(setup)?;
    let mut run = Run {
        control: Control::Lab {
            nodes: Nodes {
                binary: options.cordon.clone(),
                cluster_path: cluster_path.clone(),
                dir: dir.path().to_path_buf(),
                children: (0..total).map(|_| None).collect(),
            },
            lab,
        },
        dir,
        cluster_path,
        cluster,
        start: Instant::now(),
        timeline: Vec::new(),
    };
    for node in 1..=nodes {
        run.control.start(node)?;
    }
    Ok((run, api, swept))
}

/// The operator's cluster: their file, their nodes, their commands.
pub(crate) fn attach_cluster(operator: &OperatorCluster) -> Result<(Run, Api), DrillError> {
    let cluster = ClusterConfig::load(&operator.cluster_file).map_err(|error| {
        setup(format!(
            "read the cluster file {}: {error}",
            operator.cluster_file.display()
        ))
    })?;
    let addrs = cluster
        .nodes()
        .iter()
        .filter(|node| node.voter)
        .map(|node| node.api_addr)
        .collect();
    let api = Api::new(addrs, &cluster.tls().ca_cert).map_err(setup)?;
    let dir = tempfile::Builder::new()
        .prefix("cordon-l3-operator-")
        .tempdir()
        .map_err(setup)?;
    let run = Run {
        control: Control::Operator(operator.commands.clone()),
        dir,
        cluster_path: operator.cluster_file.clone(),
        cluster,
        start: Instant::now(),
        timeline: Vec::new(),
    };
    Ok((run, api))
}

/// Runs `cordon <args>` (at most 30 s) from node 1's place in the lab (or
/// the operator's host); its standard output, or why it failed.
pub(crate) async fn cordon(
    run: &Run,
    options: &DrillOptions,
    args: &[&str],
) -> Result<String, String> {
    let mut command = std::process::Command::new("timeout");
    command.arg("30").arg(&options.cordon).args(args);
    let mut command = run
        .control
        .command_at(1, &command)
        .map_err(|e| e.to_string())?;
    command.stdin(std::process::Stdio::null());
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&output.stdout).trim().to_string();
    if output.status.success() {
        Ok(stdout)
    } else {
        Err(format!(
            "{}: {} {}",
            output.status,
            stdout,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// The principal a drill's load, faults and checks act as.
pub(crate) const DRILL_PRINCIPAL: &str = "chaos-drill";

/// Issues the drill's token (a commander who may also drill) with
/// `cordon token issue` once a leader takes it, within `within`.
pub(crate) async fn issue_drill_token(
    run: &Run,
    options: &DrillOptions,
    within: Duration,
) -> Result<String, DrillError> {
    let cluster = run.cluster_path.display().to_string();
    let args = [
        "token",
        "issue",
        "--cluster",
        &cluster,
        "--principal",
        DRILL_PRINCIPAL,
        "--role",
        "commander",
        "--role",
        "drill",
        "--hours",
        "24",
    ];
    let give_up = Instant::now() + within;
    loop {
        match cordon(run, options, &args).await {
            Ok(token) => return Ok(token),
            Err(error) if Instant::now() >= give_up => {
                return Err(setup(format!(
                    "no token for the drill within {within:?} (`cordon token issue` needs a leader): {error}"
                )))
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    }
}

pub(crate) fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Waits until every actor is placed and running, with the same count in
/// two reads in a row: the placements.
pub(crate) async fn wait_actors_settled(api: &Api, within: Duration) -> Option<Vec<api::Placed>> {
    let give_up = Instant::now() + within;
    let mut previous = 0;
    while Instant::now() < give_up {
        for node in 1..=api.urls.len() {
            if let Ok(placed) = api.actors(node, Duration::from_secs(3)).await {
                let running = !placed.is_empty() && placed.iter().all(|p| p.status == "running");
                if running && placed.len() == previous {
                    return Some(placed);
                }
                previous = if running { placed.len() } else { 0 };
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    None
}

/// The station actors (`station:<id>`) on each node.
pub(crate) fn stations_by_node(placed: &[api::Placed]) -> BTreeMap<u64, Vec<String>> {
    let mut by_node: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for placement in placed {
        if let Some(station) = placement.actor.strip_prefix("station:") {
            by_node
                .entry(placement.node)
                .or_default()
                .push(station.to_string());
        }
    }
    by_node
}

/// Station id and position of every station of the district the cluster
/// serves (`GET /v1/district`).
pub(crate) async fn station_points(api: &Api) -> Result<BTreeMap<String, (f64, f64)>, DrillError> {
    let mut last = String::new();
    for node in 1..=api.urls.len() {
        match api
            .get_json::<DistrictSpec>(node, "/v1/district", Duration::from_secs(3))
            .await
        {
            Ok(district) => {
                // The API answers the district in the shape of the district file.
                let district: DistrictSpec = district;
                return Ok(district
                    .stations
                    .into_iter()
                    .map(|station| (station.id, (station.position.lat, station.position.lon)))
                    .collect());
            }
            Err(error) => last = error,
        }
    }
    Err(setup(format!("read the district from any node: {last}")))
}

/// Incidents and units from every node; a node that cannot be read within
/// 15 s is a problem.
pub(crate) async fn final_reads(
    api: &Api,
    problems: &mut Vec<String>,
) -> BTreeMap<String, NodeReads> {
    let mut reads = BTreeMap::new();
    for node in 1..=api.urls.len() {
        let give_up = Instant::now() + Duration::from_secs(15);
        loop {
            let read = stable_read(api, node).await;
            match read {
                Ok(node_reads) => {
                    reads.insert(format!("node-{node}"), node_reads);
                    break;
                }
                Err(error) if Instant::now() > give_up => {
                    problems.push(format!("node {node} could not be read: {error}"));
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }
    reads
}

/// Incidents and units of node `node` as of one moment: the units are
/// read before and after the incidents and must not have changed (actors
/// may still assign units to the last open incidents), so the units agree
/// with the incidents read between them. Gives up on stability after a
/// few tries and returns the last read.
pub(crate) async fn stable_read(api: &Api, node: usize) -> Result<NodeReads, String> {
    let mut units = api.units(node).await?;
    for _ in 0..STABLE_READ_TRIES_MAX {
        let incidents = api.incidents(node).await?;
        let units_after = api.units(node).await?;
        if units_after == units {
            return Ok(NodeReads { incidents, units });
        }
        units = units_after;
    }
    Ok(NodeReads {
        incidents: api.incidents(node).await?,
        units,
    })
}

/// Liveness after heal, each sign timed from `heal_at` and bounded by
/// [`LIVENESS_WITHIN`]: a settled leader, a fresh report acknowledged
/// (recorded in the history like the load's), every actor placed and
/// running (at least `actors` of them).
pub(crate) async fn liveness_after_heal(
    api: &Api,
    load: &Load,
    heal_at: Instant,
    actors: usize,
) -> RecoveryTimes {
    let give_up = heal_at + LIVENESS_WITHIN;
    let mut times = RecoveryTimes::default();
    if api
        .wait_leader(None, give_up.saturating_duration_since(Instant::now()))
        .await
        .is_some()
    {
        times.leader_elected = Some(heal_at.elapsed());
    }
    let request_id = format!("{}-after-heal", load.prefix);
    if load.report(2_000, &request_id, 0).await.is_some() && Instant::now() < give_up {
        times.fresh_write_committed = Some(heal_at.elapsed());
    }
    while Instant::now() < give_up {
        let mut all_placed = false;
        if let Some((leader, _)) = api.settled_leader(None).await {
            if let Ok(placed) = api.actors(leader as usize, Duration::from_secs(3)).await {
                all_placed = placed.len() >= actors
                    && placed.iter().all(|placement| placement.status == "running");
            }
        }
        if all_placed {
            times.actors_placed = Some(heal_at.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    times
}
