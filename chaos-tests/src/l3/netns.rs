//! A network lab of Linux namespaces for the L3 drills: one namespace per
//! node, each with one veth into a bridge that lives in a namespace of its
//! own, addresses on a private /24 and no default route. Faults (the
//! [`Links`] of the lab) are nftables rules of the `bridge` family in the
//! bridge's namespace, so a dropped datagram vanishes on the wire (the
//! sender's `sendto` succeeds), as on a real network.
//!
//! The test process reaches the nodes' APIs through one more veth from the
//! root namespace into the bridge (address `.2`): that adds one interface
//! and one connected route to the root namespace and nothing else, and the
//! fault rules match node addresses only, so client traffic is never cut.
//!
//! Dropping the [`Lab`] kills every process left in its namespaces, then
//! deletes them (which removes the veths and the root side's interface).
//! A drill process that dies without dropping its lab (SIGKILL, a power
//! cut of the test runner) leaves namespaces and node processes behind:
//! each lab writes its owner (pid and start time) to [`OWNER_DIR`], and
//! [`Lab::sweep`] removes every lab whose owner is gone, at the next drill
//! start or through `cordon-chaos drill --sweep`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, PoisonError};

use cordon_consensus::NodeId;

use crate::faults::{LinkChange, Links};

/// The third octet of the first subnet tried; runs take the next free one.
const FIRST_RUN: u8 = 77;
/// Address of the root namespace's client interface in each subnet.
const CLIENT_HOST: u8 = 2;
/// Node `n` (1-based) has host number `NODE_HOST_BASE + n`.
const NODE_HOST_BASE: u8 = 10;
/// The nftables table and chain that carry the faults.
const TABLE: &str = "cordon_faults";
const CHAIN: &str = "forward";
/// Where each lab records its owner process, one file per run.
pub const OWNER_DIR: &str = "/run/cordon-l3";
/// A lab with no owner file (left by a drill binary older than owner files,
/// or one killed between creating its bridge and writing the file) is
/// swept only when its bridge namespace is older than this, so a lab being
/// built right now by another process is never taken.
const UNOWNED_SWEPT_AFTER_S: u64 = 600;

/// Why a lab command failed.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// A command could not be started or exited with an error.
    #[error("`{command}` failed: {detail}")]
    Command {
        /// The command line.
        command: String,
        /// Its exit status and standard error.
        detail: String,
    },
    /// A node index out of range.
    #[error("no node {node} in this lab of {nodes} nodes (nodes are numbered from 1)")]
    NoSuchNode {
        /// The index asked for.
        node: usize,
        /// How many there are.
        nodes: usize,
    },
    /// No free subnet was found.
    #[error("no free lab subnet: every namespace name cl3-<run>-br is taken")]
    NoFreeRun,
}

/// A bridge namespace and one namespace per node; see the module docs.
#[derive(Debug)]
pub struct Lab {
    run: u8,
    nodes: usize,
    /// Namespaces created so far (bridge first), deleted on drop.
    created: Vec<String>,
    /// The faults in force at the bridge.
    faults: Mutex<LabFaults>,
}

/// The faults in force at the bridge, by directed link of node numbers.
#[derive(Debug, Default)]
struct LabFaults {
    cuts: BTreeSet<(usize, usize)>,
    /// Percent of the link's packets dropped.
    loss: BTreeMap<(usize, usize), u32>,
}

/// Faults keyed by node id, as nftables rules at the bridge: every change
/// rewrites the chain in one transaction.
impl Links for Lab {
    type Error = LabError;

    fn cut(&self, from: NodeId, to: NodeId) -> Result<(), LabError> {
        self.apply(&[LinkChange::Cut(from, to)])
    }

    fn restore(&self, from: NodeId, to: NodeId) -> Result<(), LabError> {
        self.apply(&[LinkChange::Restore(from, to)])
    }

    fn set_loss(&self, from: NodeId, to: NodeId, percent: u32) -> Result<(), LabError> {
        self.apply(&[LinkChange::Loss(from, to, percent)])
    }

    fn apply(&self, changes: &[LinkChange]) -> Result<(), LabError> {
        let mut faults = self.lock_faults();
        for change in changes {
            let (LinkChange::Cut(from, to)
            | LinkChange::Restore(from, to)
            | LinkChange::Loss(from, to, _)) = *change;
            let link = (from as usize, to as usize);
            self.check(link.0)?;
            self.check(link.1)?;
            match *change {
                LinkChange::Cut(..) => {
                    faults.cuts.insert(link);
                }
                LinkChange::Restore(..) => {
                    faults.cuts.remove(&link);
                }
                LinkChange::Loss(_, _, 0) => {
                    faults.loss.remove(&link);
                }
                LinkChange::Loss(_, _, percent) => {
                    faults.loss.insert(link, percent);
                }
            }
        }
        self.nft(&self.render(&faults))
    }
}

impl Lab {
    /// Whether this machine can host a lab: root, `ip netns add` works,
    /// `nft` is present. The error says why not, for a skip message.
    pub fn available() -> Result<(), String> {
        let uid = run_output(Command::new("id").arg("-u"))
            .map_err(|error| format!("cannot tell the user id: {error}"))?;
        if uid.trim() != "0" {
            return Err(format!(
                "not root (uid {}): network namespaces need root",
                uid.trim()
            ));
        }
        run_output(Command::new("nft").arg("--version")).map_err(|error| {
            format!("nftables is missing ({error}): install the nftables package")
        })?;
        let probe = format!("cl3-probe-{}", std::process::id());
        run(Command::new("ip").args(["netns", "add", &probe]))
            .map_err(|error| format!("cannot create a network namespace: {error}"))?;
        let table = run(Command::new("ip").args([
            "netns", "exec", &probe, "nft", "add", "table", "bridge", TABLE,
        ]));
        let _ = run(Command::new("ip").args(["netns", "del", &probe]));
        table.map_err(|error| format!("nftables bridge tables do not work here: {error}"))?;
        Ok(())
    }

    /// Creates a lab of `nodes` nodes on the first free subnet
    /// `10.77.<run>.0/24` (free: no bridge namespace `cl3-<run>-br`).
    pub fn new(nodes: usize) -> Result<Lab, LabError> {
        let start = FIRST_RUN.wrapping_add((std::process::id() % 64) as u8);
        for offset in 0..=250u16 {
            let run = ((u16::from(start) + offset) % 250 + 1) as u8;
            let bridge = bridge_ns(run);
            if Path::new("/var/run/netns").join(&bridge).exists() {
                continue;
            }
            // `ip netns add` fails when another run took the name first.
            if run_cmd(Command::new("ip").args(["netns", "add", &bridge])).is_err() {
                continue;
            }
            let mut lab = Lab {
                run,
                nodes,
                created: vec![bridge],
                faults: Mutex::new(LabFaults::default()),
            };
            lab.write_owner()?;
            lab.build()?;
            return Ok(lab);
        }
        Err(LabError::NoFreeRun)
    }

    fn build(&mut self) -> Result<(), LabError> {
        let bridge = bridge_ns(self.run);
        ip(&["-n", &bridge, "link", "set", "lo", "up"])?;
        ip(&["-n", &bridge, "link", "add", "br0", "type", "bridge"])?;
        ip(&["-n", &bridge, "link", "set", "br0", "up"])?;
        for node in 1..=self.nodes {
            let ns = self.namespace(node);
            ip(&["netns", "add", &ns])?;
            self.created.push(ns.clone());
            let port = format!("v{node}");
            ip(&[
                "-n", &bridge, "link", "add", &port, "type", "veth", "peer", "name", "eth0",
                "netns", &ns,
            ])?;
            ip(&["-n", &bridge, "link", "set", &port, "master", "br0"])?;
            ip(&["-n", &bridge, "link", "set", &port, "up"])?;
            ip(&["-n", &ns, "link", "set", "lo", "up"])?;
            let address = format!("{}/24", self.node_addr(node));
            ip(&["-n", &ns, "addr", "add", &address, "dev", "eth0"])?;
            ip(&["-n", &ns, "link", "set", "eth0", "up"])?;
        }
        // The client's way in from the root namespace.
        let root_side = self.client_iface();
        ip(&[
            "link", "add", &root_side, "type", "veth", "peer", "name", "vc", "netns", &bridge,
        ])?;
        ip(&["-n", &bridge, "link", "set", "vc", "master", "br0"])?;
        ip(&["-n", &bridge, "link", "set", "vc", "up"])?;
        let address = format!("{}/24", self.client_addr());
        ip(&["addr", "add", &address, "dev", &root_side])?;
        ip(&["link", "set", &root_side, "up"])?;
        self.nft(&format!(
            "add table bridge {TABLE}\n\
             add chain bridge {TABLE} {CHAIN} {{ type filter hook forward priority 0; policy accept; }}\n"
        ))?;
        Ok(())
    }

    /// How many nodes.
    pub fn nodes(&self) -> usize {
        self.nodes
    }

    /// The run number: the third octet of the subnet.
    pub fn run(&self) -> u8 {
        self.run
    }

    /// Node `node`'s (1-based) namespace name.
    pub fn namespace(&self, node: usize) -> String {
        format!("cl3-{}-n{node}", self.run)
    }

    /// Node `node`'s (1-based) address.
    pub fn node_addr(&self, node: usize) -> Ipv4Addr {
        Ipv4Addr::new(10, 77, self.run, NODE_HOST_BASE + node as u8)
    }

    /// The root namespace's address on the lab network.
    pub fn client_addr(&self) -> Ipv4Addr {
        Ipv4Addr::new(10, 77, self.run, CLIENT_HOST)
    }

    fn client_iface(&self) -> String {
        format!("cl3c{}", self.run)
    }

    fn check(&self, node: usize) -> Result<(), LabError> {
        if node == 0 || node > self.nodes {
            return Err(LabError::NoSuchNode {
                node,
                nodes: self.nodes,
            });
        }
        Ok(())
    }

    /// `command` to run inside node `node`'s namespace (through
    /// `ip netns exec`, which execs in place: the child's pid is the
    /// command's own). Set its stdio, then spawn it.
    pub fn run_in(&self, node: usize, command: &Command) -> Result<Command, LabError> {
        self.check(node)?;
        let mut wrapped = Command::new("ip");
        wrapped
            .args(["netns", "exec", &self.namespace(node)])
            .arg(command.get_program())
            .args(command.get_args());
        for (key, value) in command.get_envs() {
            match value {
                Some(value) => wrapped.env(key, value),
                None => wrapped.env_remove(key),
            };
        }
        if let Some(dir) = command.get_current_dir() {
            wrapped.current_dir(dir);
        }
        Ok(wrapped)
    }

    /// Every node's id.
    pub fn node_ids(&self) -> Vec<NodeId> {
        (1..=self.nodes as NodeId).collect()
    }

    /// Removes every fault.
    pub fn heal(&self) -> Result<(), LabError> {
        *self.lock_faults() = LabFaults::default();
        self.nft(&format!("flush chain bridge {TABLE} {CHAIN}\n"))
    }

    /// The faults in force as one script: the chain flushed, then one drop
    /// rule per cut link and one random drop rule per lossy link.
    fn render(&self, faults: &LabFaults) -> String {
        let mut rules = format!("flush chain bridge {TABLE} {CHAIN}\n");
        for &(from, to) in &faults.cuts {
            self.drop_rule(&mut rules, from, to, "");
        }
        for (&(from, to), &percent) in &faults.loss {
            // nftables refuses `< 100` for a value mod 100 (range 0-99).
            let chance = if percent >= 100 {
                String::new()
            } else {
                format!("numgen random mod 100 < {percent} ")
            };
            self.drop_rule(&mut rules, from, to, &chance);
        }
        rules
    }

    fn lock_faults(&self) -> MutexGuard<'_, LabFaults> {
        // Each update is one insert or removal.
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The fault rules in force, as `nft list` prints them.
    pub fn rules(&self) -> Result<String, LabError> {
        run_cmd(Command::new("ip").args([
            "netns",
            "exec",
            &bridge_ns(self.run),
            "nft",
            "list",
            "chain",
            "bridge",
            TABLE,
            CHAIN,
        ]))
    }

    fn drop_rule(&self, rules: &mut String, from: usize, to: usize, chance: &str) {
        let _ = writeln!(
            rules,
            "add rule bridge {TABLE} {CHAIN} ip saddr {} ip daddr {} {chance}drop",
            self.node_addr(from),
            self.node_addr(to)
        );
    }

    fn nft(&self, script: &str) -> Result<(), LabError> {
        if script.is_empty() {
            return Ok(());
        }
        let mut child = Command::new("ip")
            .args(["netns", "exec", &bridge_ns(self.run), "nft", "-f", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| LabError::Command {
                command: "nft -f -".into(),
                detail: error.to_string(),
            })?;
        if let Some(mut stdin) = child.stdin.take() {
            use std::io::Write as _;
            let _ = stdin.write_all(script.as_bytes());
        }
        let output = child
            .wait_with_output()
            .map_err(|error| LabError::Command {
                command: "nft -f -".into(),
                detail: error.to_string(),
            })?;
        check_output(&format!("nft -f - <<{}", script.trim()), output).map(|_| ())
    }

    /// Kills (SIGKILL) every process left in the node namespaces.
    pub fn kill_all(&self) {
        for ns in &self.created {
            kill_in(ns);
        }
    }
}

impl Lab {
    fn owner_file(run: u8) -> std::path::PathBuf {
        Path::new(OWNER_DIR).join(format!("{run}.owner"))
    }

    /// Records this process as the lab's owner: `<pid> <start time>` (the
    /// start time tells a reused pid from the owner).
    fn write_owner(&self) -> Result<(), LabError> {
        let pid = std::process::id();
        let started = process_start_time(pid).unwrap_or_default();
        let failed = |error: std::io::Error| LabError::Command {
            command: format!("write {}", Lab::owner_file(self.run).display()),
            detail: error.to_string(),
        };
        std::fs::create_dir_all(OWNER_DIR).map_err(failed)?;
        std::fs::write(Lab::owner_file(self.run), format!("{pid} {started}\n")).map_err(failed)
    }

    /// Removes every lab whose owner process is gone: kills the processes
    /// in its namespaces, then deletes the namespaces and the root side's
    /// interface. Labs of live owners (another drill running now) are left
    /// alone. Returns what was removed, one line per lab.
    pub fn sweep() -> Result<Vec<String>, LabError> {
        let listed = run_cmd(Command::new("ip").args(["netns", "list"]))?;
        let mut runs: std::collections::BTreeMap<u8, Vec<String>> = Default::default();
        for line in listed.lines() {
            let Some(name) = line.split_whitespace().next() else {
                continue;
            };
            if let Some(run) = lab_run_of(name) {
                runs.entry(run).or_default().push(name.to_string());
            }
        }
        let mut swept = Vec::new();
        for (run, namespaces) in runs {
            let owner = match std::fs::read_to_string(Lab::owner_file(run)) {
                Ok(text) => text,
                Err(_) if !bridge_older_than(run, UNOWNED_SWEPT_AFTER_S) => continue,
                Err(_) => String::new(),
            };
            if owner_alive(&owner) {
                continue;
            }
            let mut killed = 0;
            for ns in &namespaces {
                killed += kill_in(ns);
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
            // Node namespaces first, the bridge's last.
            let mut ordered = namespaces.clone();
            ordered.sort_by_key(|ns| ns.ends_with("-br"));
            for ns in &ordered {
                let _ = run_cmd(Command::new("ip").args(["netns", "del", ns]));
            }
            let _ = Command::new("ip")
                .args(["link", "del", &format!("cl3c{run}")])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let _ = std::fs::remove_file(Lab::owner_file(run));
            swept.push(format!(
                "lab {run} ({}): {} namespaces, {killed} processes killed",
                if owner.trim().is_empty() {
                    "no owner file".to_string()
                } else {
                    format!(
                        "owner {} gone",
                        owner.split_whitespace().next().unwrap_or("?")
                    )
                },
                namespaces.len()
            ));
        }
        Ok(swept)
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        self.kill_all();
        // Give the kernel a moment to reap, then delete, nodes first.
        std::thread::sleep(std::time::Duration::from_millis(100));
        for ns in self.created.iter().rev() {
            let _ = Command::new("ip")
                .args(["netns", "del", ns])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        // Deleting the bridge namespace removes the root side's veth; be
        // sure anyway.
        let _ = Command::new("ip")
            .args(["link", "del", &self.client_iface()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_file(Lab::owner_file(self.run));
    }
}

/// The run number of a lab namespace name (`cl3-<run>-br`, `cl3-<run>-n<k>`).
fn lab_run_of(name: &str) -> Option<u8> {
    let rest = name.strip_prefix("cl3-")?;
    let (run, tail) = rest.split_once('-')?;
    let is_lab = tail == "br"
        || tail
            .strip_prefix('n')
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
    if is_lab {
        run.parse().ok()
    } else {
        None
    }
}

/// Field 22 of `/proc/<pid>/stat`: the process's start time in clock ticks
/// since boot; `None` when there is no such process or it is a zombie (dead,
/// not yet reaped).
fn process_start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; it ends at the last ')'.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace();
    if fields.next()? == "Z" {
        return None;
    }
    fields.nth(18)?.parse().ok()
}

/// True when process `pid` runs (exists and is not a zombie).
pub fn process_alive(pid: u32) -> bool {
    process_start_time(pid).is_some()
}

/// True when an owner file's `<pid> <start time>` names a live process.
fn owner_alive(owner: &str) -> bool {
    let mut fields = owner.split_whitespace();
    let (Some(pid), Some(started)) = (fields.next(), fields.next()) else {
        return false;
    };
    let (Ok(pid), Ok(started)) = (pid.parse::<u32>(), started.parse::<u64>()) else {
        return false;
    };
    process_start_time(pid) == Some(started)
}

/// True when lab `run`'s bridge namespace was made more than `seconds` ago
/// (or its age cannot be told).
fn bridge_older_than(run: u8, seconds: u64) -> bool {
    std::fs::metadata(Path::new("/var/run/netns").join(bridge_ns(run)))
        .and_then(|meta| meta.modified())
        .ok()
        .and_then(|made| made.elapsed().ok())
        .is_none_or(|age| age.as_secs() > seconds)
}

/// SIGKILLs every process in namespace `ns`; how many there were.
fn kill_in(ns: &str) -> usize {
    let Ok(pids) = run_output(Command::new("ip").args(["netns", "pids", ns])) else {
        return 0;
    };
    let pids: Vec<u32> = pids
        .split_whitespace()
        .filter_map(|pid| pid.parse().ok())
        .collect();
    for pid in &pids {
        // Gone already is fine: the namespace is being emptied.
        let _ = crate::shared::signal::signal(*pid, crate::shared::signal::Signal::KILL);
    }
    pids.len()
}

fn bridge_ns(run: u8) -> String {
    format!("cl3-{run}-br")
}

fn ip(args: &[&str]) -> Result<(), LabError> {
    run_cmd(Command::new("ip").args(args)).map(|_| ())
}

fn run_cmd(command: &mut Command) -> Result<String, LabError> {
    let line = describe(command);
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|error| LabError::Command {
            command: line.clone(),
            detail: error.to_string(),
        })?;
    check_output(&line, output)
}

fn run(command: &mut Command) -> Result<(), String> {
    run_cmd(command)
        .map(|_| ())
        .map_err(|error| error.to_string())
}

fn run_output(command: &mut Command) -> Result<String, String> {
    run_cmd(command).map_err(|error| error.to_string())
}

fn check_output(line: &str, output: Output) -> Result<String, LabError> {
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(LabError::Command {
            command: line.to_string(),
            detail: format!(
                "{}: {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        })
    }
}

fn describe(command: &Command) -> String {
    let mut line = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    line
}
