//! L3 drills: real `cordon` processes, each in its own network namespace,
//! with real faults: kill-leader, kill-station-server, isolate-leader,
//! minority-split, bridge and majorities-ring (5 nodes), one-way (SIGKILL,
//! partitions of every shape and a one-way cut at the bridge).
//! They run when this machine allows namespaces (root, iproute2, nftables);
//! otherwise each test prints `L3 drills skipped: <reason>` and passes.
//!
//! Modules: [`sweep`] (labs of killed drills are removed), [`operator`]
//! (a drill against an operator's own cluster, which needs no root).
//!
//! The drills need the `cordon` binary: `<target dir>/debug/cordon`, next to
//! this test's `deps` folder; when it is missing the test builds it with
//! `cargo build -p cordon-node`. Run with `-- --nocapture` to see the
//! reports.

use std::path::PathBuf;
use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use cordon_api::drills::PlantedBug;
use cordon_chaos::faults::NetworkFault;
use cordon_chaos::l3::{
    cordon_next_to, run_drill, CheckOutcome, DrillName, DrillOptions, DrillReport, Lab,
};
use cordon_chaos::shared::load::LoadProfile;

mod operator;
mod sweep;

/// One drill at a time: they share two cores and the subnet space.
static SERIAL: Mutex<()> = Mutex::new(());

/// The `cordon` binary, built if it is missing; `Err` says why not.
fn cordon_binary() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|error| format!("current_exe: {error}"))?;
    if let Some(found) = cordon_next_to(&exe) {
        return Ok(found);
    }
    // target/debug/deps/l3-<hash> -> target/debug/cordon
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .ok_or("cannot find the target folder from the test's path")?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let target_dir = profile_dir.parent().ok_or("no target folder")?;
    println!(
        "L3: no cordon binary in {}; running `{cargo} build -p cordon-node`",
        profile_dir.display()
    );
    let status = Command::new(&cargo)
        .args(["build", "-p", "cordon-node"])
        .env("CARGO_TARGET_DIR", target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .map_err(|error| format!("run {cargo}: {error}"))?;
    if !status.success() {
        return Err(format!("`cargo build -p cordon-node` failed: {status}"));
    }
    let built = profile_dir.join("cordon");
    if built.is_file() {
        Ok(built)
    } else {
        Err(format!("built, but no binary at {}", built.display()))
    }
}

/// The one-drill-at-a-time guard when this machine can build a lab;
/// `None` (having said why) when the drills must be skipped.
fn lab_or_skip() -> Option<MutexGuard<'static, ()>> {
    let serial = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    match Lab::available() {
        Ok(()) => Some(serial),
        Err(reason) => {
            println!("L3 drills skipped: {reason}");
            None
        }
    }
}

/// A short drill for tests: 100 incidents, 1.5 s before, a 2 s hold,
/// 1.5 s after, 1 s quiet.
fn short_options(cordon: PathBuf) -> DrillOptions {
    let mut options = DrillOptions::new(cordon);
    options.incidents = 100;
    options.before = Duration::from_millis(1_500);
    options.hold = Duration::from_secs(2);
    options.after = Duration::from_millis(1_500);
    options.quiet = Duration::from_secs(1);
    options
}

/// Runs drill `name` on a two-worker runtime and prints its report.
fn run(name: DrillName, options: &DrillOptions) -> DrillReport {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let report = runtime
        .block_on(run_drill(name, options))
        .unwrap_or_else(|error| panic!("drill {name} could not run: {error}"));
    println!("{report}");
    report
}

fn drill(name: DrillName) {
    drill_with(name, None);
}

/// Runs drill `name`, its reports drawn from `profile` when given.
fn drill_with(name: DrillName, profile: Option<LoadProfile>) {
    let Some(_serial) = lab_or_skip() else {
        return;
    };
    let cordon = cordon_binary().expect("the cordon binary for the L3 drills");
    let mut options = short_options(cordon);
    options.clients = 4;
    options.profile = profile;
    options.seed = 2026;
    let report = run(name, &options);
    assert!(report.passed(), "drill {name} failed:\n{report}");
    assert_eq!(report.lost, 0, "{report}");
    assert_eq!(report.duplicates, 0, "{report}");
    assert_eq!(report.double_assigned, 0, "{report}");
    assert_eq!(report.nodes_read, report.nodes, "{report}");
    // Every checker judged the drill, dispatch included; none found a
    // violation.
    assert_eq!(report.checks.len(), 9, "{report}");
    assert!(
        report
            .checks
            .iter()
            .all(|check| check.outcome != CheckOutcome::Fail),
        "{report}"
    );
}

#[test]
fn kill_leader() {
    // Under the New Year surge's reports: kinds up to ring 4, places
    // around the Bund and the pedestrian street.
    drill_with(DrillName::KillLeader, Some(LoadProfile::NewYearSurge));
}

#[test]
fn a_planted_dropped_dispatch_fails_the_drill_dispatch_checks() {
    // Phase 1: every node's stations and rings drop their dispatch
    // messages, planted through the drill route before the load.
    let Some(_serial) = lab_or_skip() else {
        return;
    };
    let cordon = cordon_binary().expect("the cordon binary for the L3 drills");
    let mut options = short_options(cordon);
    options.planted = Some(PlantedBug::DropDispatch);
    options.seed = 2026;
    let report = run(DrillName::KillLeader, &options);

    // Phase 2: the consensus checks still pass; the drill's dispatch check
    // names incidents that have no unit and no unresourced mark.
    assert!(!report.passed(), "{report}");
    let verdict = |name: &str| {
        report
            .checks
            .iter()
            .find(|check| check.check == name)
            .map(|check| check.outcome)
    };
    assert_eq!(verdict("lost-acks"), Some(CheckOutcome::Pass), "{report}");
    assert_eq!(
        verdict("incidents-attended"),
        Some(CheckOutcome::Fail),
        "{report}"
    );
}

#[test]
fn isolate_leader() {
    drill(DrillName::IsolateLeader);
}

#[test]
fn minority_split() {
    drill(DrillName::MinoritySplit);
}

#[test]
fn one_way() {
    drill(DrillName::OneWay);
}

#[test]
fn kill_station_server() {
    drill(DrillName::KillStationServer);
}

#[test]
fn bridge() {
    drill(DrillName::Bridge);
}

#[test]
fn majorities_ring() {
    drill(DrillName::MajoritiesRing);
}

/// Whether node `from` reaches node `to` with one ping (1 s deadline).
fn pings(lab: &Lab, from: usize, to: usize) -> bool {
    let mut ping = Command::new("ping");
    ping.args(["-c", "1", "-W", "1", &lab.node_addr(to).to_string()]);
    lab.run_in(from, &ping)
        .expect("a node of the lab")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// The lab's rules cut what they say, at the bridge, and heal restores it;
/// the client's address reaches an isolated node.
#[test]
fn lab_faults_cut_traffic() {
    let Some(_serial) = lab_or_skip() else {
        return;
    };
    if Command::new("ping").arg("-V").output().is_err() {
        println!("L3 lab check skipped: no ping (install iputils-ping)");
        return;
    }
    let lab = Lab::new(3).expect("a lab of 3 nodes");
    assert!(pings(&lab, 1, 2), "a fresh lab connects its nodes");
    NetworkFault::Isolate { node: 1 }
        .inject(&lab.node_ids(), &lab)
        .expect("isolate node 1");
    assert!(
        !pings(&lab, 1, 2) && !pings(&lab, 3, 1),
        "node 1 is isolated"
    );
    assert!(pings(&lab, 2, 3), "the others still talk");
    let client = Command::new("ping")
        .args(["-c", "1", "-W", "1", &lab.node_addr(1).to_string()])
        .output()
        .expect("ping from the root namespace");
    assert!(client.status.success(), "the client still reaches node 1");
    lab.heal().expect("heal");
    assert!(pings(&lab, 1, 2), "healed");
    // Echo requests 1 -> 2 pass, replies 2 -> 1 are dropped.
    NetworkFault::OneWay { from: 2, to: 1 }
        .inject(&lab.node_ids(), &lab)
        .expect("cut 2 -> 1");
    assert!(!pings(&lab, 1, 2), "no reply crosses the cut");
    lab.heal().expect("heal");
    NetworkFault::Lossy { percent: 100 }
        .inject(&lab.node_ids(), &lab)
        .expect("lose everything");
    assert!(!pings(&lab, 1, 3), "100% loss");
    lab.heal().expect("heal");
    assert!(pings(&lab, 3, 1), "healed again");
}

/// Bad command lines (drills and simulation runs) get an error naming what
/// is wrong and how to fix it, with exit code 2, before anything starts (no
/// root needed). Each case lists what the error must say: the flag or value
/// at fault and the fix.
#[test]
fn bad_command_lines_say_what_to_fix() {
    for (args, expected) in [
        (
            vec!["drill", "nope"],
            vec!["no drill \"nope\": see `cordon-chaos drill --list`"],
        ),
        (
            vec!["drill", "kill-leader", "--repeat", "0"],
            vec!["'--repeat <N>'", "give 1 to 1000 runs"],
        ),
        (
            vec!["drill", "kill-leader", "--repeat", "five"],
            vec!["'--repeat <N>'", "\"five\" is not a number of runs"],
        ),
        (
            vec!["drill", "kill-leader", "--kill-command", "kill -9"],
            vec!["'--kill-command", "has no {node}"],
        ),
        (
            vec!["drill", "kill-leader", "--kill-command", "kill {node}"],
            vec!["pass --cluster FILE too"],
        ),
        (
            vec!["drill", "kill-leader", "--profile", "carnival"],
            vec!["profile \"carnival\" is unknown: use ordinary or new-year"],
        ),
        (
            vec!["drill", "kill-leader", "--seed", "3"],
            vec!["pass --profile new-year|ordinary too"],
        ),
        (
            vec!["sim", "--nodes", "0"],
            vec!["'--nodes <N>'", "0 is out of range"],
        ),
        (vec!["sim", "--seed", "1", "--seeds", "3"], vec!["not both"]),
        (
            vec!["sim", "--steps", "many"],
            vec!["'--steps <M>'", "\"many\" is not a whole number"],
        ),
        (vec!["sim", "--clients", "0"], vec!["use 1 or more"]),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_cordon-chaos"))
            .args(&args)
            .output()
            .expect("run cordon-chaos");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        for expected in expected {
            assert!(stderr.contains(expected), "{args:?}: {stderr}");
        }
    }
}

/// `--help` answers for the binary and each of its commands: exit code 0
/// and the usage on standard output (no root needed).
#[test]
fn help_prints_the_usage_of_every_command() {
    for (args, usage) in [
        (vec!["--help"], "Usage: cordon-chaos <COMMAND>"),
        (vec!["drill", "--help"], "Usage: cordon-chaos drill"),
        (vec!["sim", "--help"], "Usage: cordon-chaos sim"),
        (vec!["load", "--help"], "Usage: cordon-chaos load"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_cordon-chaos"))
            .args(&args)
            .output()
            .expect("run cordon-chaos");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stdout}");
        assert!(stdout.contains(usage), "{args:?}: {stdout}");
    }
}
