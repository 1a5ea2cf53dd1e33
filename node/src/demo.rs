//! `cordon demo`: a local cluster of N `cordon run` child processes on
//! 127.0.0.1, certificates and data in a temporary folder, the embedded
//! district, and a steady synthetic incident feed. Ctrl-C (or the end of
//! `--duration`) stops the children and removes the folder.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use cordon_config::cluster::free_local_ports;
use cordon_config::district::District;
use cordon_config::ClusterConfig;
use cordon_consensus::tls::generate_cluster_certs;

use crate::client::ApiClient;
use crate::feed::Feed;

/// Demo settings from the command line.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// Cluster size.
    pub nodes: usize,
    /// Seed of the incident feed.
    pub seed: u64,
    /// Incidents per second.
    pub rate: f64,
    /// Stop after this long; run until Ctrl-C when absent.
    pub duration: Option<Duration>,
    /// Keep the folder (logs, data) after stopping.
    pub keep: bool,
}

/// The child processes of a local cluster; killed when dropped.
pub struct LocalProcesses {
    /// The cluster file the children run with.
    pub cluster_path: PathBuf,
    /// The configuration.
    pub cluster: ClusterConfig,
    /// One child per node, in node order.
    pub children: Vec<Option<Child>>,
    binary: PathBuf,
    dir: PathBuf,
    drills: bool,
    env: Vec<(String, String)>,
}

impl LocalProcesses {
    /// Writes a cluster file and certificates for `nodes` nodes under `dir`
    /// and starts one `cordon run` per node (logs in `dir/node-N.log`).
    pub fn start(
        binary: &Path,
        dir: &Path,
        nodes: usize,
        drills: bool,
        tune: impl FnOnce(&mut cordon_config::ClusterFile),
    ) -> anyhow::Result<LocalProcesses> {
        Self::start_with_env(binary, dir, nodes, drills, Vec::new(), tune)
    }

    /// Like [`LocalProcesses::start`], with extra environment variables for
    /// the children (e.g. an OTLP endpoint).
    pub fn start_with_env(
        binary: &Path,
        dir: &Path,
        nodes: usize,
        drills: bool,
        env: Vec<(String, String)>,
        tune: impl FnOnce(&mut cordon_config::ClusterFile),
    ) -> anyhow::Result<LocalProcesses> {
        let ports = free_local_ports(nodes).context("pick free local ports")?;
        let base = ClusterConfig::local("demo", dir, &ports)?;
        let mut file = base.file().clone();
        tune(&mut file);
        let cluster = ClusterConfig::from_file(file, dir)?;
        let cluster_path = dir.join("cluster.toml");
        std::fs::write(&cluster_path, cluster.to_toml_string()).context("write cluster file")?;
        let ids: Vec<u64> = cluster.nodes().iter().map(|n| n.id).collect();
        generate_cluster_certs(
            cluster.name(),
            &ids,
            &cluster.tls().cert_dir,
            Duration::from_secs(30 * 86_400),
        )?;
        let mut processes = LocalProcesses {
            cluster_path,
            cluster,
            children: Vec::new(),
            binary: binary.to_path_buf(),
            dir: dir.to_path_buf(),
            drills,
            env,
        };
        for id in ids {
            let child = processes.spawn(id)?;
            processes.children.push(Some(child));
        }
        Ok(processes)
    }

    /// Starts node `id` (again).
    pub fn spawn(&self, id: u64) -> anyhow::Result<Child> {
        let log_path = self.dir.join(format!("node-{id}.log"));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .with_context(|| format!("open {}", log_path.display()))?;
        Command::new(&self.binary)
            .arg("run")
            .arg("--cluster")
            .arg(&self.cluster_path)
            .arg("--node")
            .arg(id.to_string())
            .args(self.drills.then_some("--drills"))
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("start node {id} from {}", self.binary.display()))
    }

    /// Base URLs of the nodes' APIs, in node order.
    pub fn api_urls(&self) -> Vec<String> {
        self.cluster
            .nodes()
            .iter()
            .map(|n| format!("http://{}", n.api_addr))
            .collect()
    }

    /// SIGKILLs node `id` and waits for it to exit.
    pub fn kill(&mut self, id: u64) {
        if let Some(mut child) = self.children[(id - 1) as usize].take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGSTOPs node `id` (it keeps its sockets but answers nothing).
    pub fn pause(&self, id: u64) {
        if let Some(child) = &self.children[(id - 1) as usize] {
            signal(child.id() as libc::pid_t, libc::SIGSTOP);
        }
    }

    /// SIGCONTs node `id`.
    pub fn resume(&self, id: u64) {
        if let Some(child) = &self.children[(id - 1) as usize] {
            signal(child.id() as libc::pid_t, libc::SIGCONT);
        }
    }

    /// The folder holding the cluster's files and node logs.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Sends SIGTERM to every child and waits (bounded) before killing.
    pub fn stop(&mut self) {
        for child in self.children.iter_mut().flatten() {
            let pid = child.id() as libc::pid_t;
            // A stopped child cannot act on SIGTERM until continued.
            signal(pid, libc::SIGCONT);
            signal(pid, libc::SIGTERM);
        }
        let give_up = Instant::now() + Duration::from_secs(5);
        for child in self.children.iter_mut() {
            if let Some(mut running) = child.take() {
                while Instant::now() < give_up {
                    if let Ok(Some(_)) = running.try_wait() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                let _ = running.kill();
                let _ = running.wait();
            }
        }
    }
}

#[allow(unsafe_code)] // reason: signalling our own child needs libc::kill
fn signal(pid: libc::pid_t, signal: libc::c_int) {
    // SAFETY: kill(2) has no memory effects; the pid is a child we started.
    unsafe {
        libc::kill(pid, signal);
    }
}

impl Drop for LocalProcesses {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Waits until some node reports a leader through its API.
pub async fn wait_ready(client: &ApiClient, within: Duration) -> anyhow::Result<u64> {
    let give_up = Instant::now() + within;
    while Instant::now() < give_up {
        for index in 0..client.urls().len() {
            if let Ok(answer) = client.get_from(index, "/readyz").await {
                if let Some(leader) = answer.get("leader_id").and_then(|v| v.as_u64()) {
                    return Ok(leader);
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("no leader within {within:?}: see the node logs")
}

/// Runs the demo.
pub async fn run(options: DemoOptions) -> anyhow::Result<()> {
    if options.nodes == 0 || options.nodes > 9 {
        bail!("--nodes {} is out of range: use 1 to 9", options.nodes);
    }
    if !(options.rate >= 0.0 && options.rate <= 5_000.0) {
        bail!(
            "--rate {} is out of range: use 0 (no synthetic feed) to 5000 incidents per second",
            options.rate
        );
    }
    let dir = tempfile::Builder::new()
        .prefix("cordon-demo-")
        .tempdir()
        .context("create a temporary folder")?;
    let binary = std::env::current_exe().context("find the cordon binary")?;
    let mut processes = LocalProcesses::start(&binary, dir.path(), options.nodes, true, |_| {})?;
    let client = ApiClient::new(processes.api_urls(), Duration::from_secs(10))?;
    let leader = wait_ready(&client, Duration::from_secs(30)).await?;

    println!(
        "cordon demo: {} nodes, district {}, leader node {leader}",
        options.nodes,
        District::embedded().name()
    );
    for (spec, child) in processes.cluster.nodes().iter().zip(&processes.children) {
        let pid = child.as_ref().map_or(0, |c| c.id());
        println!(
            "  node {} api http://{}  quic {}  pid {}",
            spec.id, spec.api_addr, spec.quic_addr, pid
        );
    }
    println!("  folder   {}", dir.path().display());
    println!(
        "  status   cordon ctl --cluster {} status",
        processes.cluster_path.display()
    );
    println!(
        "  report   cordon incident report --api http://{} --kind theft --at 31.2394,121.4760",
        processes.cluster.nodes()[0].api_addr
    );
    println!("press Ctrl-C to stop");

    let feed = async {
        tokio::join!(
            feed_loop(client.clone(), options.seed, options.rate),
            simulate_field(client.clone())
        );
    };
    let stop = async {
        match options.duration {
            Some(duration) => tokio::time::sleep(duration).await,
            None => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    };
    tokio::select! {
        () = feed => {}
        () = stop => {}
    }
    let summary = client.get("/v1/cluster", 0).await.ok();
    println!("stopping the demo cluster");
    processes.stop();
    if let Some(summary) = summary {
        println!(
            "final: leader {} term {} applied index {}",
            summary["leader_id"], summary["term"], summary["applied_index"]
        );
    }
    if options.keep {
        let kept = dir.keep();
        println!("kept {}", kept.display());
    }
    Ok(())
}

async fn feed_loop(client: ApiClient, seed: u64, rate: f64) {
    if rate == 0.0 {
        // No synthetic feed: the cluster only serves what clients send.
        return std::future::pending().await;
    }
    let mut feed = Feed::new(District::embedded(), seed, &format!("demo-{seed}"));
    let period = Duration::from_secs_f64(1.0 / rate);
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<bool>();
    let (mut committed, mut failed, mut sent) = (0u64, 0u64, 0usize);
    let mut last_print = Instant::now();
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                let report = feed.next_report();
                let client = client.clone();
                let done = done_tx.clone();
                sent += 1;
                let start = sent;
                tokio::spawn(async move {
                    let ok = client.report(&report, start).await.is_ok();
                    let _ = done.send(ok);
                });
            }
            Some(ok) = done_rx.recv() => {
                if ok { committed += 1 } else { failed += 1 }
            }
        }
        if last_print.elapsed() >= Duration::from_secs(5) {
            last_print = Instant::now();
            let leader = client
                .get("/v1/cluster", 0)
                .await
                .ok()
                .and_then(|v| v["leader_id"].as_u64());
            println!("incidents committed {committed}, failed {failed}, leader {leader:?}");
        }
    }
}

/// Seconds a simulated unit spends on scene before the incident is resolved.
const ON_SCENE_S: u64 = 8;
/// Seconds a simulated unit takes to return and report available.
const RETURN_S: u64 = 4;

/// Plays the field: assigned units report en route, arrive after their ETA
/// (sped up tenfold), stay on scene, the incident is resolved, and they
/// return to their home position and report available.
async fn simulate_field(client: ApiClient) {
    use std::collections::BTreeMap;
    let mut homes: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    let mut since: BTreeMap<String, (String, Instant)> = BTreeMap::new();
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    loop {
        ticker.tick().await;
        let Ok(units) = client.get("/v1/units", 0).await else {
            continue;
        };
        for unit in units["units"].as_array().into_iter().flatten() {
            let (Some(id), Some(status)) = (unit["id"].as_str(), unit["status"].as_str()) else {
                continue;
            };
            homes.entry(id.to_string()).or_insert((
                unit["lat"].as_f64().unwrap_or(0.0),
                unit["lon"].as_f64().unwrap_or(0.0),
            ));
            let entered = since
                .entry(id.to_string())
                .or_insert((status.to_string(), Instant::now()));
            if entered.0 != status {
                *entered = (status.to_string(), Instant::now());
            }
            let elapsed = entered.1.elapsed();
            let incident = unit["assigned_to"].as_str().map(str::to_string);
            let step = match (status, &incident) {
                ("dispatched" | "acknowledged", Some(_)) => {
                    Some(serde_json::json!({ "status": "en_route" }))
                }
                ("en_route", Some(incident)) if elapsed >= Duration::from_secs(2) => {
                    let at = client
                        .get(&format!("/v1/incidents/{incident}"), 0)
                        .await
                        .ok();
                    at.map(|i| serde_json::json!({ "status": "on_scene", "lat": i["lat"], "lon": i["lon"] }))
                }
                ("on_scene", Some(incident)) if elapsed >= Duration::from_secs(ON_SCENE_S) => {
                    let body = serde_json::json!({ "reason": "handled on scene (demo)" });
                    let _ = client
                        .post(&format!("/v1/incidents/{incident}/resolve"), body, 0)
                        .await;
                    None
                }
                ("returning", _) | ("on_scene" | "en_route", None)
                    if elapsed >= Duration::from_secs(RETURN_S) =>
                {
                    let (lat, lon) = homes[id];
                    Some(serde_json::json!({ "status": "available", "lat": lat, "lon": lon }))
                }
                _ => None,
            };
            if let Some(body) = step {
                let _ = client
                    .post(&format!("/v1/units/{id}/status"), body, 0)
                    .await;
            }
        }
    }
}
