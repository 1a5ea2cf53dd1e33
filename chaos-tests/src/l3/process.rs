//! The node processes of a drill, and who controls them: the drill itself
//! (one `cordon run` per namespace of its [`Lab`]) or the operator of an
//! existing cluster, through the kill and restart commands they supply.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::options::{setup, DrillError};
use super::{Fault, Lab};

/// The node processes of a drill, one per namespace.
pub(crate) struct Nodes {
    pub binary: PathBuf,
    pub cluster_path: PathBuf,
    pub dir: PathBuf,
    pub children: Vec<Option<Child>>,
}

impl Nodes {
    /// Starts node `node`, its command prefixed by `wrapper` (e.g.
    /// `faketime -f +300s`) with `env` added.
    fn spawn_with(
        &mut self,
        lab: &Lab,
        node: usize,
        wrapper: &[&str],
        env: &[(&str, &str)],
    ) -> Result<(), DrillError> {
        let log_path = self.dir.join(format!("node-{node}.log"));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|error| setup(format!("open {}: {error}", log_path.display())))?;
        let mut command = match wrapper.split_first() {
            Some((program, args)) => {
                let mut command = Command::new(program);
                command.args(args).arg(&self.binary);
                command
            }
            None => Command::new(&self.binary),
        };
        command.envs(env.iter().copied());
        command
            .arg("run")
            .arg("--cluster")
            .arg(&self.cluster_path)
            .arg("--node")
            .arg(node.to_string())
            // A lab cluster is a drill's own: its actor drills (faults,
            // planted bugs) are on.
            .arg("--drills");
        let child = lab
            .run_in(node, &command)?
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(setup)?)
            .stderr(log)
            .spawn()
            .map_err(|error| setup(format!("start node {node}: {error}")))?;
        self.children[node - 1] = Some(child);
        Ok(())
    }

    fn kill(&mut self, node: usize) {
        if let Some(mut child) = self.children[node - 1].take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn signal(&self, node: usize, signal: &str) -> Result<(), DrillError> {
        let Some(child) = &self.children[node - 1] else {
            return Err(setup(format!("node {node} does not run")));
        };
        let Some(named) = crate::shared::signal::named(signal) else {
            return Err(setup(format!(
                "SIG{signal} is not a signal the drills send"
            )));
        };
        crate::shared::signal::signal(child.id(), named)
            .map_err(|error| setup(format!("SIG{signal} to node {node}: {error}")))
    }

    fn logs(&self) -> Vec<(String, String)> {
        (1..=self.children.len())
            .map(|node| {
                let text = std::fs::read_to_string(self.dir.join(format!("node-{node}.log")))
                    .unwrap_or_default();
                (format!("node-{node}"), text)
            })
            .collect()
    }
}

impl Drop for Nodes {
    fn drop(&mut self) {
        for node in 1..=self.children.len() {
            // A stopped process dies of SIGKILL all the same.
            self.kill(node);
        }
    }
}

/// The operator's commands for their own cluster; `{node}` in a command is
/// replaced by the node's id.
#[derive(Clone, Debug, Default)]
pub struct OperatorCommands {
    /// Kills a node's process (e.g. `kill -9 $(cat /run/cordon-{node}.pid)`).
    pub kill: Option<String>,
    /// Starts a node's process again; it must return once started.
    pub restart: Option<String>,
}

impl OperatorCommands {
    /// The faults these commands make possible.
    pub fn faults(&self) -> Vec<Fault> {
        let mut faults = Vec::new();
        if self.kill.is_some() {
            faults.push(Fault::Kill);
        }
        if self.restart.is_some() {
            faults.push(Fault::Restart);
        }
        faults
    }

    fn run(&self, which: &str, template: Option<&String>, node: usize) -> Result<(), DrillError> {
        let template = template.ok_or_else(|| {
            setup(format!(
                "no --{which}-command given: this drill needs one to {which} node {node}"
            ))
        })?;
        let line = template.replace("{node}", &node.to_string());
        let status = Command::new("sh")
            .arg("-c")
            .arg(&line)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|error| setup(format!("run `{line}`: {error}")))?;
        if status.success() {
            Ok(())
        } else {
            Err(setup(format!("`{line}` failed: {status}")))
        }
    }
}

/// Who runs the node processes.
pub(crate) enum Control {
    /// The drill started them in its lab. Field order is drop order:
    /// processes die before the namespaces go.
    Lab { nodes: Nodes, lab: Lab },
    /// The operator's cluster, through their commands.
    Operator(OperatorCommands),
}

impl Control {
    /// The lab, for network faults; an operator's cluster has none.
    pub fn lab(&self) -> Result<&Lab, DrillError> {
        match self {
            Control::Lab { lab, .. } => Ok(lab),
            Control::Operator(_) => Err(setup(
                "network faults need the drill's own lab of namespaces; an operator's cluster has none",
            )),
        }
    }

    /// The data folder of the drill's cluster, when the drill owns it.
    pub fn owns_files(&self) -> bool {
        matches!(self, Control::Lab { .. })
    }

    pub fn start(&mut self, node: usize) -> Result<(), DrillError> {
        self.start_with(node, &[], &[])
    }

    pub fn start_with(
        &mut self,
        node: usize,
        wrapper: &[&str],
        env: &[(&str, &str)],
    ) -> Result<(), DrillError> {
        match self {
            Control::Lab { nodes, lab } => nodes.spawn_with(lab, node, wrapper, env),
            Control::Operator(commands) if wrapper.is_empty() && env.is_empty() => {
                commands.run("restart", commands.restart.as_ref(), node)
            }
            Control::Operator(_) => Err(setup(
                "an operator's cluster is restarted by its own command, without a wrapper or environment",
            )),
        }
    }

    /// SIGKILL (or the operator's kill command).
    pub fn kill(&mut self, node: usize) -> Result<(), DrillError> {
        match self {
            Control::Lab { nodes, .. } => {
                nodes.kill(node);
                Ok(())
            }
            Control::Operator(commands) => commands.run("kill", commands.kill.as_ref(), node),
        }
    }

    /// Sends `signal` (`STOP`, `CONT`, `TERM`) to node `node`'s process.
    pub fn signal(&self, node: usize, signal: &str) -> Result<(), DrillError> {
        match self {
            Control::Lab { nodes, .. } => nodes.signal(node, signal),
            Control::Operator(_) => Err(setup(format!(
                "cannot send SIG{signal} to an operator's node: only their kill and restart commands are available"
            ))),
        }
    }

    /// SIGTERM node `node` and wait up to `within` for its exit; SIGKILL
    /// after that. True when it exited of the SIGTERM. An operator's node
    /// is killed by their command.
    pub async fn stop(&mut self, node: usize, within: Duration) -> Result<bool, DrillError> {
        let nodes = match self {
            Control::Lab { nodes, .. } => nodes,
            Control::Operator(_) => {
                self.kill(node)?;
                return Ok(false);
            }
        };
        nodes.signal(node, "TERM")?;
        let give_up = Instant::now() + within;
        loop {
            let Some(child) = nodes.children[node - 1].as_mut() else {
                return Ok(true);
            };
            if child.try_wait().map_err(setup)?.is_some() {
                nodes.children[node - 1] = None;
                return Ok(true);
            }
            if Instant::now() > give_up {
                nodes.kill(node);
                return Ok(false);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// If node `node`'s process has exited, its status in words.
    pub fn exited(&mut self, node: usize) -> Option<String> {
        let Control::Lab { nodes, .. } = self else {
            return None;
        };
        let child = nodes.children[node - 1].as_mut()?;
        match child.try_wait() {
            Ok(Some(status)) => {
                nodes.children[node - 1] = None;
                Some(status.to_string())
            }
            _ => None,
        }
    }

    /// (node name, log text) of every node; none for an operator's cluster.
    pub fn logs(&self) -> Vec<(String, String)> {
        match self {
            Control::Lab { nodes, .. } => nodes.logs(),
            Control::Operator(_) => Vec::new(),
        }
    }

    /// Node `node`'s log file, when the drill started it.
    pub fn log_path(&self, node: usize) -> Option<PathBuf> {
        match self {
            Control::Lab { nodes, .. } => Some(nodes.dir.join(format!("node-{node}.log"))),
            Control::Operator(_) => None,
        }
    }

    /// `command` inside node `node`'s namespace (the drill's lab), or as it
    /// is (an operator's cluster).
    pub fn command_at(&self, node: usize, command: &Command) -> Result<Command, DrillError> {
        match self {
            Control::Lab { lab, .. } => Ok(lab.run_in(node, command)?),
            Control::Operator(_) => {
                let mut plain = Command::new(command.get_program());
                plain.args(command.get_args());
                Ok(plain)
            }
        }
    }
}

/// Copies folder `from` to `to` (which must not exist), recursively.
pub(crate) fn copy_dir(from: &Path, to: &Path) -> std::io::Result<u64> {
    std::fs::create_dir_all(to)?;
    let mut bytes = 0;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            bytes += copy_dir(&entry.path(), &target)?;
        } else {
            bytes += std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(bytes)
}
