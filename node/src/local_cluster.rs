//! A local cluster of `cordon run` child processes on 127.0.0.1: a cluster
//! file and certificates in a folder, one process per node with its log
//! beside it, and what the demo, the drill control and the node tests do
//! to them (kill, pause, resume, restart, stop). Every signal to a child
//! goes through [`signal`].

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use cordon_api::cluster::Ready;
pub use cordon_api::drills::{NodeProcess, ProcessState};
use cordon_config::cluster::free_local_ports;
use cordon_config::ClusterConfig;
use cordon_consensus::tls::{generate_cluster_certs, issue_api_certs};

use cordon_consensus::ledger::Role;

use crate::client::ApiClient;
use crate::ctl::Operator;

/// How long the tokens of [`LocalProcesses::issue_token`] last: a day.
const TOKEN_LIFETIME_S: u64 = 86_400;

/// The child processes of a local cluster; killed when dropped.
pub struct LocalProcesses {
    /// The cluster file the children run with.
    pub cluster_path: PathBuf,
    /// The configuration.
    pub cluster: ClusterConfig,
    /// One child per node, in node order.
    pub children: Vec<Option<Child>>,
    binary: PathBuf,
    pub(crate) dir: PathBuf,
    drills: bool,
    env: Vec<(String, String)>,
    https: bool,
    /// Per node: stopped with SIGSTOP and not continued since.
    paused: Vec<AtomicBool>,
    /// Set by [`LocalProcesses::stop`]: no node is started again.
    pub(crate) stopping: bool,
}

/// How to start a [`LocalProcesses`], by name.
#[derive(Clone, Debug)]
pub struct LocalClusterOptions {
    /// The `cordon` binary each node runs.
    pub binary: PathBuf,
    /// The folder for the cluster file, certificates, data and logs.
    pub dir: PathBuf,
    /// Cluster size.
    pub nodes: usize,
    /// Start the nodes with `--drills` (drill faults on the API).
    pub drills: bool,
    /// Extra environment variables of every node (e.g. an OTLP endpoint).
    pub env: Vec<(String, String)>,
    /// Serve the API over HTTPS (the nodes' default); off, the nodes run
    /// with `--insecure-http` on 127.0.0.1, as the demo does.
    pub https: bool,
}

impl LocalClusterOptions {
    /// `nodes` nodes of `binary` in `dir`, without drills or extra environment.
    pub fn new(binary: &Path, dir: &Path, nodes: usize) -> LocalClusterOptions {
        LocalClusterOptions {
            binary: binary.to_path_buf(),
            dir: dir.to_path_buf(),
            nodes,
            drills: false,
            env: Vec::new(),
            https: false,
        }
    }
}

impl LocalProcesses {
    /// Writes a cluster file and certificates for `options.nodes` nodes
    /// under `options.dir`, lets `tune` change the cluster file, and starts
    /// one `cordon run` per node (logs in `dir/node-N.log`).
    pub fn start(
        options: LocalClusterOptions,
        tune: impl FnOnce(&mut cordon_config::ClusterFile),
    ) -> anyhow::Result<LocalProcesses> {
        let LocalClusterOptions {
            binary,
            dir,
            nodes,
            drills,
            env,
            https,
        } = options;
        let ports = free_local_ports(nodes).context("pick free local ports")?;
        let base = ClusterConfig::local("demo", &dir, &ports)?;
        let mut file = base.file().clone();
        tune(&mut file);
        let cluster = ClusterConfig::from_file(file, &dir)?;
        let cluster_path = dir.join("cluster.toml");
        std::fs::write(&cluster_path, cluster.to_toml_string()).context("write cluster file")?;
        let ids: Vec<u64> = cluster.nodes().iter().map(|n| n.id).collect();
        let valid_for = Duration::from_secs(30 * 86_400);
        generate_cluster_certs(cluster.name(), &ids, &cluster.tls().cert_dir, valid_for)?;
        issue_api_certs(&cluster, &cluster.tls().cert_dir, valid_for)?;
        let mut processes = LocalProcesses {
            cluster_path,
            cluster,
            children: Vec::new(),
            binary,
            dir,
            drills,
            env,
            https,
            paused: ids.iter().map(|_| AtomicBool::new(false)).collect(),
            stopping: false,
        };
        for id in ids {
            let child = processes.spawn(id)?;
            processes.children.push(Some(child));
        }
        Ok(processes)
    }

    /// Issues a bearer token for `principal` with `roles` through the
    /// operator certificate (the cluster must have a leader), valid for a day.
    pub async fn issue_token(&self, principal: &str, roles: &[&str]) -> anyhow::Result<String> {
        let roles = roles
            .iter()
            .map(|role| role.parse().map_err(|e: String| anyhow::anyhow!(e)))
            .collect::<anyhow::Result<Vec<Role>>>()?;
        let operator = Operator::connect(self.cluster.clone())?;
        let issued = operator
            .issue_token(principal, roles, Duration::from_secs(TOKEN_LIFETIME_S))
            .await
            .with_context(|| format!("issue a token for {principal}"))?;
        Ok(issued.text)
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
            .args((!self.https).then_some("--insecure-http"))
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("start node {id} from {}", self.binary.display()))
    }

    /// Base URLs of the nodes' APIs, in node order.
    pub fn api_urls(&self) -> Vec<String> {
        let scheme = if self.https { "https" } else { "http" };
        self.cluster
            .nodes()
            .iter()
            .map(|n| format!("{scheme}://{}", n.api_addr))
            .collect()
    }

    /// A client of every node's API, trusting the cluster CA when the
    /// nodes serve HTTPS.
    pub fn client(&self, deadline: Duration) -> anyhow::Result<ApiClient> {
        let client = ApiClient::new(self.api_urls(), deadline)?;
        if self.https {
            client.with_ca(&self.cluster.tls().ca_cert)
        } else {
            Ok(client)
        }
    }

    /// SIGKILLs node `id` and waits for it to exit.
    pub fn kill(&mut self, id: u64) {
        if let Some(mut child) = self.children[(id - 1) as usize].take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.paused[(id - 1) as usize].store(false, Ordering::Relaxed);
    }

    /// SIGKILLs node `id` now, without waiting for it; for callers that
    /// share the processes and cannot take the child (it is reaped on stop).
    pub fn kill_now(&self, id: u64) {
        if let Some(child) = &self.children[(id - 1) as usize] {
            signal(child.id(), Signal::KILL);
        }
    }

    /// SIGSTOPs node `id` (it keeps its sockets but answers nothing).
    pub fn pause(&self, id: u64) {
        if let Some(child) = &self.children[(id - 1) as usize] {
            signal(child.id(), Signal::STOP);
            self.paused[(id - 1) as usize].store(true, Ordering::Relaxed);
        }
    }

    /// SIGCONTs node `id`.
    pub fn resume(&self, id: u64) {
        if let Some(child) = &self.children[(id - 1) as usize] {
            signal(child.id(), Signal::CONT);
            self.paused[(id - 1) as usize].store(false, Ordering::Relaxed);
        }
    }

    /// Starts node `id` again from the same files (cluster file,
    /// certificates, data folder, environment) if its process is gone
    /// (killed, or exited by itself); returns the new pid.
    pub fn restart(&mut self, id: u64) -> anyhow::Result<u32> {
        let Some(before) = self.process(id) else {
            bail!(
                "no node {id} in this cluster: use an id from 1 to {}",
                self.children.len()
            );
        };
        if matches!(before.state, ProcessState::Running | ProcessState::Paused) {
            bail!("node {id} is still running: kill it before restarting it");
        }
        if self.stopping {
            bail!("the cluster is stopping: no node is started again");
        }
        let child = self.spawn(id)?;
        let pid = child.id();
        let index = (id - 1) as usize;
        self.children[index] = Some(child);
        self.paused[index].store(false, Ordering::Relaxed);
        Ok(pid)
    }

    /// What node `id`'s process is doing, or `None` if the cluster has no
    /// node `id`.
    pub fn process(&mut self, id: u64) -> Option<NodeProcess> {
        let index = usize::try_from(id.checked_sub(1)?).ok()?;
        let api_url = format!("http://{}", self.cluster.nodes().get(index)?.api_addr);
        let paused = self.paused.get(index)?.load(Ordering::Relaxed);
        let (state, pid, exit) = match self.children.get_mut(index)? {
            None => (ProcessState::Killed, None, None),
            Some(child) => match child.try_wait() {
                Ok(Some(status)) => (ProcessState::Exited, None, Some(status.to_string())),
                _ if paused => (ProcessState::Paused, Some(child.id()), None),
                _ => (ProcessState::Running, Some(child.id()), None),
            },
        };
        Some(NodeProcess {
            id,
            state,
            pid,
            exit,
            api_url,
        })
    }

    /// What every node's process is doing, in node order.
    pub fn processes(&mut self) -> Vec<NodeProcess> {
        let ids: Vec<u64> = self.cluster.nodes().iter().map(|n| n.id).collect();
        ids.into_iter().filter_map(|id| self.process(id)).collect()
    }

    /// The folder holding the cluster's files and node logs.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Sends SIGTERM to every child and waits (bounded) before killing.
    /// No node is restarted afterwards.
    pub fn stop(&mut self) {
        self.stopping = true;
        for paused in &self.paused {
            paused.store(false, Ordering::Relaxed);
        }
        for child in self.children.iter_mut().flatten() {
            // A stopped child cannot act on SIGTERM until continued.
            signal(child.id(), Signal::CONT);
            signal(child.id(), Signal::TERM);
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

pub use rustix::process::Signal;

/// Sends `signal` to the process `pid` (a child this process started).
/// Every signal in the workspace goes through `rustix::process::kill_process`
/// (here for the demo and the node tests; `cordon_chaos::shared::signal`
/// for the drills): no shell `kill`, no libc. A process that is already
/// gone is not an error (it may have died between the check and the signal).
pub fn signal(pid: u32, signal: Signal) {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        tracing::warn!(pid, "not signalling: not a valid process id");
        return;
    };
    if let Err(error) = rustix::process::kill_process(pid, signal) {
        tracing::debug!(pid = pid.as_raw_nonzero().get(), ?signal, %error, "signal not delivered");
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
            if let Ok(ready) = client.get_from::<Ready>(index, "/readyz").await {
                return Ok(ready.leader_id);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("no leader within {within:?}: see the node logs")
}

/// Waits until every node's API answers `/readyz` (each knows a leader).
pub async fn wait_all_ready(client: &ApiClient, within: Duration) -> anyhow::Result<()> {
    let give_up = Instant::now() + within;
    for index in 0..client.urls().len() {
        while client.get_from::<Ready>(index, "/readyz").await.is_err() {
            if Instant::now() >= give_up {
                bail!(
                    "{} not ready within {within:?}: see its log",
                    client.urls()[index]
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    Ok(())
}
