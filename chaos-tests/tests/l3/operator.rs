//! A drill against an operator's own cluster: only the faults their
//! commands enable. Here the test is the operator: it starts three `cordon
//! run` processes on 127.0.0.1 with pid files and hands the drill a kill
//! and a restart command. No namespaces are needed, so this runs without
//! root too.

use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Command;

use cordon_chaos::l3::{CheckOutcome, DrillName, OperatorCluster, OperatorCommands};
use cordon_chaos::shared::certs::certify;
use cordon_config::ClusterConfig;

use crate::{cordon_binary, run, short_options, SERIAL};

/// A port free for both TCP (API) and UDP (QUIC) right now.
fn free_port() -> u16 {
    loop {
        let tcp = TcpListener::bind("127.0.0.1:0").expect("bind a TCP port");
        let port = tcp.local_addr().expect("its address").port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// Kills every node by its pid file when the test ends, pass or fail.
struct Operator {
    dir: PathBuf,
    nodes: usize,
}

impl Drop for Operator {
    fn drop(&mut self) {
        for node in 1..=self.nodes {
            let _ = Command::new("sh")
                .arg("-c")
                .arg(format!(
                    "kill -9 $(cat {}/node-{node}.pid) 2>/dev/null",
                    self.dir.display()
                ))
                .status();
        }
    }
}

/// The operator's cluster: a cluster file, certificates and a start script
/// that writes the node's pid file before it execs `cordon run`.
fn operator_cluster(dir: &Path, cordon: &Path) -> (PathBuf, OperatorCommands) {
    let ports: Vec<(u16, u16)> = (0..3).map(|_| (free_port(), free_port())).collect();
    let cluster = ClusterConfig::local("operator", dir, &ports).expect("a local cluster");
    let cluster_file = dir.join("cluster.toml");
    std::fs::write(&cluster_file, cluster.to_toml_string()).expect("write the cluster file");
    certify(&cluster).expect("certificates");
    let script = dir.join("start.sh");
    std::fs::write(
        &script,
        format!(
            "echo $$ > {dir}/node-$1.pid\nexec {cordon} run --cluster {file} --node $1 >> {dir}/node-$1.log 2>&1\n",
            dir = dir.display(),
            cordon = cordon.display(),
            file = cluster_file.display()
        ),
    )
    .expect("write the start script");
    let commands = OperatorCommands {
        kill: Some(format!(
            "kill -9 $(cat {}/node-{{node}}.pid)",
            dir.display()
        )),
        restart: Some(format!("sh {} {{node}} &", script.display())),
    };
    (cluster_file, commands)
}

#[test]
fn kill_leader_on_an_operators_cluster_through_their_commands() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let cordon = cordon_binary().expect("the cordon binary");
    let dir = tempfile::tempdir().expect("a folder");

    // Phase 1: the operator's cluster runs, started by their own command.
    let (cluster_file, commands) = operator_cluster(dir.path(), &cordon);
    let _operator = Operator {
        dir: dir.path().to_path_buf(),
        nodes: 3,
    };
    for node in 1..=3 {
        let line = commands
            .restart
            .as_ref()
            .expect("a restart command")
            .replace("{node}", &node.to_string());
        let started = Command::new("sh").arg("-c").arg(&line).status();
        assert!(started.is_ok_and(|status| status.success()), "{line}");
    }
    let operator = OperatorCluster {
        cluster_file,
        commands: commands.clone(),
    };

    // Phase 2: drills that need more than kills and restarts are refused
    // by name, saying why.
    let refusal = operator
        .allows(DrillName::IsolateLeader)
        .expect_err("no network faults on an operator's cluster");
    assert!(
        refusal.contains("isolate-leader") && refusal.contains("network faults"),
        "{refusal}"
    );
    let kill_only = OperatorCluster {
        cluster_file: operator.cluster_file.clone(),
        commands: OperatorCommands {
            kill: commands.kill.clone(),
            restart: None,
        },
    };
    let refusal = kill_only
        .allows(DrillName::KillLeader)
        .expect_err("kill-leader needs a restart command");
    assert!(refusal.contains("--restart-command"), "{refusal}");

    // Phase 3: kill-leader runs through the kill and restart commands and
    // passes every checker that applies (the logs are the operator's).
    let mut options = short_options(cordon);
    options.operator = Some(operator);
    let report = run(DrillName::KillLeader, &options);
    assert!(report.passed(), "{report}");
    assert!(report.recovery.new_leader_ms.is_some(), "{report}");
    assert_eq!(report.nodes_read, 3, "{report}");
    let no_panic = report
        .checks
        .iter()
        .find(|check| check.check == "no-panic")
        .expect("the panic checker's verdict");
    assert_eq!(no_panic.outcome, CheckOutcome::Skipped, "{report}");
}
