//! A drill process killed mid-drill leaves its namespaces and node
//! processes behind; `cordon-chaos drill --sweep` finds and removes them.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cordon_chaos::l3::netns::{process_alive, OWNER_DIR};

use crate::{cordon_binary, lab_or_skip};

/// How long the killed drill has to build its lab and start its nodes.
const LAB_UP_WITHIN: Duration = Duration::from_secs(60);

/// The lab run owned by process `pid` whose node 1 runs `cordon`, if any.
fn running_lab_of(pid: u32) -> Option<String> {
    for entry in std::fs::read_dir(OWNER_DIR).ok()?.flatten() {
        let owner = std::fs::read_to_string(entry.path()).ok()?;
        if owner.split_whitespace().next() != Some(&pid.to_string()) {
            continue;
        }
        let run = entry
            .file_name()
            .to_string_lossy()
            .strip_suffix(".owner")?
            .to_string();
        // A node, not a passing `ip` command setting the namespace up.
        let cordon_runs = node_pids(&format!("cl3-{run}-n1")).iter().any(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.trim() == "cordon")
        });
        if cordon_runs {
            return Some(run);
        }
    }
    None
}

fn node_pids(namespace: &str) -> Vec<String> {
    Command::new("ip")
        .args(["netns", "pids", namespace])
        .output()
        .map(|output| {
            String::from_utf8_lossy(&output.stdout)
                .split_whitespace()
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn namespace_exists(name: &str) -> bool {
    Path::new("/var/run/netns").join(name).exists()
}

#[test]
fn sweep_removes_the_lab_of_a_killed_drill() {
    let Some(_serial) = lab_or_skip() else {
        return;
    };
    let cordon = cordon_binary().expect("the cordon binary for the L3 drills");
    let chaos = env!("CARGO_BIN_EXE_cordon-chaos");

    // Phase 1: a drill runs until its lab is built and its nodes started...
    let mut drill = Command::new(chaos)
        .args(["drill", "kill-leader", "--cordon"])
        .arg(&cordon)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start cordon-chaos");
    let give_up = Instant::now() + LAB_UP_WITHIN;
    let run = loop {
        if let Some(run) = running_lab_of(drill.id()) {
            break run;
        }
        assert!(
            Instant::now() < give_up,
            "the drill built no lab with a running node within {LAB_UP_WITHIN:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };

    // Phase 2: ...and is SIGKILLed: nothing cleans up, the nodes live on.
    drill.kill().expect("SIGKILL the drill");
    drill.wait().expect("reap the drill");
    let bridge = format!("cl3-{run}-br");
    let first_node = format!("cl3-{run}-n1");
    let orphans = node_pids(&first_node);
    assert!(
        namespace_exists(&bridge),
        "the killed drill's bridge is left"
    );
    assert!(!orphans.is_empty(), "its node processes outlive it");

    // Phase 3: the sweep kills them and removes every namespace of the lab.
    let output = Command::new(chaos)
        .args(["drill", "--sweep"])
        .output()
        .expect("run cordon-chaos drill --sweep");
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "sweep failed: {printed}");
    assert!(
        printed.contains(&format!("lab {run} ")),
        "the sweep names lab {run}: {printed}"
    );
    assert!(!namespace_exists(&bridge), "the bridge namespace is gone");
    assert!(!namespace_exists(&first_node), "node 1's namespace is gone");
    for pid in orphans {
        let pid: u32 = pid.parse().expect("a pid");
        assert!(!process_alive(pid), "node process {pid} was killed");
    }
    assert!(
        !Path::new(OWNER_DIR).join(format!("{run}.owner")).exists(),
        "the owner file is gone"
    );
}
