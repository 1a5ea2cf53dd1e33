//! `cordon demo`: a local cluster of N `cordon run` child processes on
//! 127.0.0.1, certificates and data in a temporary folder, the embedded
//! district, and a steady synthetic incident feed. Ctrl-C (or the end of
//! `--duration`) stops the children and removes the folder.
//!
//! The demo process owns its nodes' processes, so it also serves the drill
//! control ([`DrillControl`]): a small HTTP API on 127.0.0.1 that kills,
//! pauses, resumes and restarts them. The nodes learn its URL from
//! [`crate::api::DRILL_CONTROL_ENV`] and forward the console's drill buttons
//! to it (`POST /v1/drills/nodes/{id}/{action}`), so failover can be
//! watched in the console.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use cordon_config::cluster::free_local_ports;
use cordon_config::district::District;
use cordon_config::ClusterConfig;
use cordon_consensus::tls::generate_cluster_certs;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::api::DRILL_CONTROL_ENV;
use crate::api_types::{ApiError, NodeDrill};
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
    /// Per node: stopped with SIGSTOP and not continued since.
    paused: Vec<AtomicBool>,
    /// Set by [`LocalProcesses::stop`]: no node is started again.
    stopping: bool,
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
            paused: ids.iter().map(|_| AtomicBool::new(false)).collect(),
            stopping: false,
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
        self.paused[(id - 1) as usize].store(false, Ordering::Relaxed);
    }

    /// SIGKILLs node `id` now, without waiting for it; for callers that
    /// share the processes and cannot take the child (it is reaped on stop).
    pub fn kill_now(&self, id: u64) {
        if let Some(child) = &self.children[(id - 1) as usize] {
            signal(child.id() as libc::pid_t, libc::SIGKILL);
        }
    }

    /// SIGSTOPs node `id` (it keeps its sockets but answers nothing).
    pub fn pause(&self, id: u64) {
        if let Some(child) = &self.children[(id - 1) as usize] {
            signal(child.id() as libc::pid_t, libc::SIGSTOP);
            self.paused[(id - 1) as usize].store(true, Ordering::Relaxed);
        }
    }

    /// SIGCONTs node `id`.
    pub fn resume(&self, id: u64) {
        if let Some(child) = &self.children[(id - 1) as usize] {
            signal(child.id() as libc::pid_t, libc::SIGCONT);
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

    /// Node `id`'s process now, if `drill` may be done to it.
    fn check_drill(&mut self, id: u64, drill: NodeDrill) -> Result<NodeProcess, DrillRefusal> {
        if self.stopping {
            return Err(DrillRefusal::Stopping);
        }
        let nodes = self.children.len();
        let process = self
            .process(id)
            .ok_or(DrillRefusal::UnknownNode { id, nodes })?;
        drill_allowed(id, process.state, drill)?;
        Ok(process)
    }

    /// Does `drill` to node `id`: what the drill control server runs.
    pub fn drill(&mut self, id: u64, drill: NodeDrill) -> Result<DrillDone, DrillRefusal> {
        let before = self.check_drill(id, drill)?;
        match drill {
            NodeDrill::Kill => self.kill(id),
            NodeDrill::Pause => self.pause(id),
            NodeDrill::Resume => self.resume(id),
            NodeDrill::Restart => {
                self.restart(id)
                    .map_err(|error| DrillRefusal::StartFailed {
                        id,
                        error: format!("{error:#}"),
                        log: self
                            .dir
                            .join(format!("node-{id}.log"))
                            .display()
                            .to_string(),
                    })?;
            }
            // `check_drill` refuses it; kept explicit so a new drill is not
            // silently a no-op.
            NodeDrill::Partition => return Err(DrillRefusal::Unsupported),
        }
        let after = self
            .process(id)
            .expect("the node exists: check_drill found it");
        Ok(DrillDone {
            node: id,
            action: drill,
            state: after.state,
            pid: after.pid,
            previous_pid: before.pid,
        })
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

/// What a node's process is doing, as the process that started it sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcessState {
    /// Started and not stopped.
    Running,
    /// Stopped with SIGSTOP: it keeps its sockets but answers nothing.
    Paused,
    /// Killed (or stopped) by its parent; it can be restarted.
    Killed,
    /// Ended by itself (a crash or a fatal error); it can be restarted.
    Exited,
}

impl ProcessState {
    /// The state's name in answers.
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessState::Running => "running",
            ProcessState::Paused => "paused",
            ProcessState::Killed => "killed",
            ProcessState::Exited => "exited",
        }
    }
}

impl std::fmt::Display for ProcessState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One node's process, as `GET /nodes` of the drill control reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeProcess {
    /// The node id.
    pub id: u64,
    /// What the process is doing.
    pub state: ProcessState,
    /// Its pid while it runs (or is paused).
    pub pid: Option<u32>,
    /// How an exited process ended, e.g. `exit status: 1`.
    pub exit: Option<String>,
    /// The node's HTTP API.
    pub api_url: String,
}

/// The answer to a drill that was done.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrillDone {
    /// The node drilled.
    pub node: u64,
    /// What was done.
    pub action: NodeDrill,
    /// The node's process state afterwards.
    pub state: ProcessState,
    /// Its pid afterwards (a new one after a restart, none after a kill).
    pub pid: Option<u32>,
    /// Its pid before (the killed process's, after a kill).
    pub previous_pid: Option<u32>,
}

/// Why the drill control refused a drill.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DrillRefusal {
    /// The cluster has no such node.
    #[error("no node {id} in this demo cluster: use an id from 1 to {nodes}")]
    UnknownNode {
        /// The id asked for.
        id: u64,
        /// How many nodes the cluster has (ids 1 to `nodes`).
        nodes: usize,
    },
    /// The drill does not fit the node's state (e.g. resuming a running node).
    #[error("cannot {drill} node {id}: it is {state}; {hint}")]
    WrongState {
        /// The node.
        id: u64,
        /// The drill asked for.
        drill: NodeDrill,
        /// The node's process state.
        state: ProcessState,
        /// What to do instead.
        hint: String,
    },
    /// Partitioning needs what the demo does not have.
    #[error(
        "partitioning a node is not possible in `cordon demo`: its nodes share 127.0.0.1, \
         and cutting one off needs network namespaces or nftables rules (root), which the \
         demo does not set up; pause the node instead (it keeps its sockets but answers \
         nothing), or kill it"
    )]
    Unsupported,
    /// Starting the node's process failed.
    #[error("could not start node {id} again: {error}; see {log}")]
    StartFailed {
        /// The node.
        id: u64,
        /// What failed.
        error: String,
        /// The node's log file.
        log: String,
    },
    /// The demo is shutting its nodes down.
    #[error("the demo is stopping: its nodes are being shut down and none is started again")]
    Stopping,
}

impl DrillRefusal {
    /// The HTTP status of the refusal.
    pub fn status(&self) -> StatusCode {
        match self {
            DrillRefusal::UnknownNode { .. } => StatusCode::NOT_FOUND,
            DrillRefusal::WrongState { .. } => StatusCode::CONFLICT,
            DrillRefusal::Unsupported => StatusCode::NOT_IMPLEMENTED,
            DrillRefusal::StartFailed { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            DrillRefusal::Stopping => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The stable error code of the refusal.
    pub fn code(&self) -> &'static str {
        match self {
            DrillRefusal::UnknownNode { .. } => "unknown_node",
            DrillRefusal::WrongState { .. } => "wrong_state",
            DrillRefusal::Unsupported => "not_supported",
            DrillRefusal::StartFailed { .. } => "start_failed",
            DrillRefusal::Stopping => "stopping",
        }
    }
}

impl IntoResponse for DrillRefusal {
    fn into_response(self) -> Response {
        control_error(self.status(), self.code(), self.to_string())
    }
}

/// Which drill fits which process state; the refusal says what to do instead.
fn drill_allowed(id: u64, state: ProcessState, drill: NodeDrill) -> Result<(), DrillRefusal> {
    use NodeDrill::{Kill, Partition, Pause, Restart, Resume};
    use ProcessState::{Exited, Killed, Paused, Running};
    let hint = match (drill, state) {
        (Kill, Running | Paused)
        | (Pause, Running)
        | (Resume, Paused)
        | (Restart, Killed | Exited) => return Ok(()),
        (Partition, _) => return Err(DrillRefusal::Unsupported),
        (Kill | Pause | Resume, Killed | Exited) => "restart it first".to_string(),
        (Pause, Paused) => "it is already paused: resume it to let it answer again".to_string(),
        (Resume, Running) => "it is not paused, so there is nothing to resume".to_string(),
        (Restart, Running | Paused) => {
            "its process is still there: kill it first to restart it".to_string()
        }
    };
    Err(DrillRefusal::WrongState {
        id,
        drill,
        state,
        hint,
    })
}

/// The longest delay a drill may be scheduled with (`?after_ms=`).
pub const DRILL_DELAY_MAX_MS: u64 = 10_000;

/// The drill control's socket on 127.0.0.1 (an ephemeral port), bound but
/// not yet serving: bind it before starting the nodes, so that they can be
/// given its URL ([`DrillControlListener::env`]).
#[derive(Debug)]
pub struct DrillControlListener {
    listener: tokio::net::TcpListener,
    url: String,
}

impl DrillControlListener {
    /// Binds 127.0.0.1 on a port the system picks.
    pub async fn bind() -> anyhow::Result<DrillControlListener> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .context("bind the drill control server on 127.0.0.1 (any free port)")?;
        let address = listener
            .local_addr()
            .context("read the drill control server's address")?;
        Ok(DrillControlListener {
            listener,
            url: format!("http://{address}"),
        })
    }

    /// The URL the server will answer at, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The environment variable that tells a node this URL.
    pub fn env(&self) -> (String, String) {
        (DRILL_CONTROL_ENV.to_string(), self.url.clone())
    }
}

/// `cordon demo`'s drill control: an HTTP server on 127.0.0.1 that does
/// drills to the nodes of a [`LocalProcesses`], and owns that cluster.
///
/// - `GET /nodes`: every node's process: `{nodes: [{id, state, pid, exit, api_url}]}`,
///   state `running`, `paused`, `killed` or `exited`.
/// - `POST /nodes/{id}/kill` (SIGKILL), `/pause` (SIGSTOP), `/resume`
///   (SIGCONT), `/restart` (only a node whose process is gone): 200
///   [`DrillDone`]. With `?after_ms=N` (at most [`DRILL_DELAY_MAX_MS`]) the
///   drill is checked at once, answered 202 `{state: "scheduled"}` and done
///   N ms later: a node asking for its own kill gets its answer first.
/// - `POST /nodes/{id}/partition`: 501, the demo cannot partition a node.
///
/// Refusals are JSON `{code, message}` ([`DrillRefusal`]). Anyone on the
/// machine can reach it: it is for demos and tests, never for production.
/// Dropping it stops the server; the nodes stop when the last owner of the
/// cluster lets go (the server itself only holds a weak reference).
pub struct DrillControl {
    processes: Arc<Mutex<LocalProcesses>>,
    url: String,
    server: tokio::task::JoinHandle<()>,
}

impl DrillControl {
    /// Serves the drill control for `processes` on `listener` (in a task of
    /// the current Tokio runtime) and returns it; its URL is
    /// [`DrillControl::url`].
    pub fn serve(
        listener: DrillControlListener,
        processes: Arc<Mutex<LocalProcesses>>,
    ) -> DrillControl {
        let routes = Router::new()
            .route("/nodes", get(control_nodes))
            .route("/nodes/{id}/{action}", post(control_drill))
            .fallback(control_not_found)
            .with_state(Arc::downgrade(&processes));
        let url = listener.url.clone();
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener.listener, routes).await {
                tracing::error!(%error, "the drill control server stopped");
            }
        });
        DrillControl {
            processes,
            url,
            server,
        }
    }

    /// The server's URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The cluster it drills.
    pub fn processes(&self) -> &Arc<Mutex<LocalProcesses>> {
        &self.processes
    }
}

impl Drop for DrillControl {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl LocalProcesses {
    /// Like [`LocalProcesses::start_with_env`], with a drill control
    /// server: binds it first, starts the nodes with its URL in
    /// [`DRILL_CONTROL_ENV`], then serves it. Needs a Tokio runtime.
    pub async fn start_with_drill_control(
        binary: &Path,
        dir: &Path,
        nodes: usize,
        drills: bool,
        mut env: Vec<(String, String)>,
        tune: impl FnOnce(&mut cordon_config::ClusterFile),
    ) -> anyhow::Result<DrillControl> {
        let listener = DrillControlListener::bind().await?;
        env.push(listener.env());
        let processes = LocalProcesses::start_with_env(binary, dir, nodes, drills, env, tune)?;
        Ok(DrillControl::serve(
            listener,
            Arc::new(Mutex::new(processes)),
        ))
    }
}

type ControlState = Weak<Mutex<LocalProcesses>>;

fn control_error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let error = ApiError {
        code: code.to_string(),
        message: message.into(),
    };
    (status, Json(error)).into_response()
}

async fn control_nodes(State(processes): State<ControlState>) -> Response {
    let Some(processes) = processes.upgrade() else {
        return DrillRefusal::Stopping.into_response();
    };
    let nodes = processes.lock().await.processes();
    Json(serde_json::json!({ "nodes": nodes })).into_response()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DrillQuery {
    after_ms: Option<u64>,
}

async fn control_drill(
    State(processes): State<ControlState>,
    UrlPath((id, action)): UrlPath<(String, String)>,
    query: Result<Query<DrillQuery>, QueryRejection>,
) -> Response {
    let invalid =
        |message: String| control_error(StatusCode::BAD_REQUEST, "invalid_input", message);
    let drill: NodeDrill = match action.parse() {
        Ok(drill) => drill,
        Err(message) => return invalid(message),
    };
    let Ok(id) = id.parse::<u64>() else {
        return invalid(format!(
            "node id {id:?} is not a number: use a node id such as 1"
        ));
    };
    let after_ms = match query {
        Ok(Query(query)) => query.after_ms.unwrap_or(0),
        Err(rejection) => {
            return invalid(format!(
                "query: {}: use ?after_ms=N or nothing",
                rejection.body_text()
            ))
        }
    };
    if after_ms > DRILL_DELAY_MAX_MS {
        return invalid(format!(
            "after_ms {after_ms} is too long: use 0 to {DRILL_DELAY_MAX_MS}"
        ));
    }
    let Some(processes) = processes.upgrade() else {
        return DrillRefusal::Stopping.into_response();
    };
    let mut cluster = processes.lock().await;
    if after_ms == 0 {
        return match cluster.drill(id, drill) {
            Ok(done) => {
                tracing::warn!(node = id, action = %drill, state = %done.state, pid = ?done.pid, "drill done");
                Json(done).into_response()
            }
            Err(refusal) => refusal.into_response(),
        };
    }
    // Checked now, done later: the node asking may be the one to go silent,
    // and it must get its answer out first.
    let before = match cluster.check_drill(id, drill) {
        Ok(before) => before,
        Err(refusal) => return refusal.into_response(),
    };
    drop(cluster);
    let later = Arc::downgrade(&processes);
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(after_ms)).await;
        let Some(processes) = later.upgrade() else {
            return;
        };
        let outcome = processes.lock().await.drill(id, drill);
        match outcome {
            Ok(done) => {
                tracing::warn!(node = id, action = %drill, state = %done.state, "scheduled drill done")
            }
            Err(refusal) => {
                tracing::warn!(node = id, action = %drill, %refusal, "scheduled drill not done")
            }
        }
    });
    let answer = serde_json::json!({
        "node": id,
        "action": drill,
        "state": "scheduled",
        "after_ms": after_ms,
        "pid": before.pid,
    });
    (StatusCode::ACCEPTED, Json(answer)).into_response()
}

async fn control_not_found() -> Response {
    control_error(
        StatusCode::NOT_FOUND,
        "no_route",
        "no such route on the drill control: use GET /nodes or \
         POST /nodes/{id}/kill|pause|resume|restart|partition",
    )
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

/// Waits until every node's API answers `/readyz` (each knows a leader).
pub async fn wait_all_ready(client: &ApiClient, within: Duration) -> anyhow::Result<()> {
    let give_up = Instant::now() + within;
    for index in 0..client.urls().len() {
        while client.get_from(index, "/readyz").await.is_err() {
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
    let control = LocalProcesses::start_with_drill_control(
        &binary,
        dir.path(),
        options.nodes,
        true,
        Vec::new(),
        |_| {},
    )
    .await?;
    let mut processes = control.processes().lock().await;
    let client = ApiClient::new(processes.api_urls(), Duration::from_secs(10))?;
    let leader = wait_ready(&client, Duration::from_secs(30)).await?;

    println!(
        "cordon demo: {} nodes, district {}, leader node {leader}",
        options.nodes,
        District::embedded().name()
    );
    let states = processes.processes();
    for (spec, process) in processes.cluster.nodes().iter().zip(&states) {
        let pid = process.pid.unwrap_or(0);
        println!(
            "  node {} api http://{}  quic {}  pid {}",
            spec.id, spec.api_addr, spec.quic_addr, pid
        );
    }
    println!(
        "  console  http://{}/console/ (every node serves it; drill buttons in its cluster panel)",
        processes.cluster.nodes()[0].api_addr
    );
    println!(
        "  drills   {url}/nodes (GET: node processes; POST {url}/nodes/ID/kill|pause|resume|restart)",
        url = control.url()
    );
    println!("  folder   {}", dir.path().display());
    println!(
        "  status   cordon ctl --cluster {} status",
        processes.cluster_path.display()
    );
    println!(
        "  report   cordon incident report --api http://{} --kind theft --at 31.2394,121.4760",
        processes.cluster.nodes()[0].api_addr
    );
    // The drill control needs the cluster while the demo runs.
    drop(processes);
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
    control.processes().lock().await.stop();
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
            let statuses = client
                .get("/v1/incidents?limit=1", 0)
                .await
                .map(|v| v["by_status"].to_string())
                .unwrap_or_default();
            println!("incidents committed {committed}, failed {failed}, leader {leader:?}, by status {statuses}");
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

#[cfg(test)]
mod tests {
    use super::{drill_allowed, DrillRefusal, ProcessState};
    use crate::api_types::NodeDrill;

    #[test]
    fn each_drill_fits_only_the_states_it_can_change() {
        use NodeDrill::{Kill, Partition, Pause, Restart, Resume};
        use ProcessState::{Exited, Killed, Paused, Running};
        let allowed = [
            (Kill, Running),
            (Kill, Paused),
            (Pause, Running),
            (Resume, Paused),
            (Restart, Killed),
            (Restart, Exited),
        ];
        for drill in NodeDrill::ALL {
            for state in [Running, Paused, Killed, Exited] {
                let answer = drill_allowed(2, state, drill);
                if allowed.contains(&(drill, state)) {
                    assert_eq!(answer, Ok(()), "{drill} when {state}");
                    continue;
                }
                let refusal = answer.expect_err("refused");
                if drill == Partition {
                    assert_eq!(refusal, DrillRefusal::Unsupported);
                    assert_eq!(refusal.status(), 501);
                    assert!(refusal.to_string().contains("pause the node instead"));
                } else {
                    assert_eq!(refusal.status(), 409, "{refusal}");
                    let message = refusal.to_string();
                    assert!(
                        message.starts_with(&format!("cannot {drill} node 2: it is {state}; ")),
                        "{message}"
                    );
                }
            }
        }
    }
}
