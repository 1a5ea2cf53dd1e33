//! `cordon demo`'s drill control: a small HTTP server on 127.0.0.1 that
//! kills, pauses, resumes and restarts the nodes of a [`LocalProcesses`].
//! The nodes learn its URL from [`crate::api::DRILL_CONTROL_ENV`] and
//! forward the console's drill buttons to it
//! (`POST /v1/drills/nodes/{id}/{action}`), so failover can be watched in
//! the console.

use std::sync::{Arc, Weak};
use std::time::Duration;

use anyhow::Context;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::api::DRILL_CONTROL_ENV;
use crate::local_cluster::{LocalClusterOptions, LocalProcesses, NodeProcess, ProcessState};
use cordon_api::drills::{DrillDone, DrillScheduled, NodeDrill, NodeProcesses};
use cordon_api::ApiError;

impl LocalProcesses {
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
    /// Like [`LocalProcesses::start`], with a drill control server: binds
    /// it first, starts the nodes with its URL in [`DRILL_CONTROL_ENV`],
    /// then serves it. Needs a Tokio runtime.
    pub async fn start_with_drill_control(
        mut options: LocalClusterOptions,
        tune: impl FnOnce(&mut cordon_config::ClusterFile),
    ) -> anyhow::Result<DrillControl> {
        let listener = DrillControlListener::bind().await?;
        options.env.push(listener.env());
        let processes = LocalProcesses::start(options, tune)?;
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
    Json(NodeProcesses { nodes }).into_response()
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
    let answer = DrillScheduled {
        node: id,
        action: drill,
        state: "scheduled".to_string(),
        after_ms,
        pid: before.pid,
    };
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

#[cfg(test)]
mod tests {
    use super::{drill_allowed, DrillRefusal, ProcessState};
    use cordon_api::drills::NodeDrill;

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
