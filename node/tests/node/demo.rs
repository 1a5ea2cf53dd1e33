//! `cordon demo` on its own runs incidents through their whole lifecycle
//! and feeds the crowd sensors.

use std::process::Command;

#[test]
fn the_demo_runs_incidents_through_their_whole_lifecycle() {
    // `cordon demo` on its own: reports are triaged, assigned, reached and resolved.
    let output = Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args(["demo", "--duration", "30", "--rate", "3", "--seed", "5"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let last = stdout
        .lines()
        .rfind(|l| l.contains("by status"))
        .unwrap_or_default();
    assert!(
        last.contains("\"resolved\""),
        "no incident resolved by the end: {stdout}"
    );
    assert!(
        last.contains("\"on_scene\"")
            || last.contains("\"en_route\"")
            || last.contains("\"assigned\""),
        "{stdout}"
    );
    // Its crowd feed backfilled the sensors' history without a refusal.
    assert!(
        stdout.contains("crowd counts: ") && stdout.contains("readings backfilled over 15 days"),
        "{stdout}"
    );
    assert!(!stdout.contains("crowd counts refused"), "{stdout}");
    // Its banner gives the console's URL and a token for one principal of each role.
    assert!(stdout.contains("/console/"), "{stdout}");
    for role in [
        "commander",
        "dispatcher",
        "station:bund",
        "field:bund-1-a",
        "reporter:emergency_call",
        "reporter:risk_warning",
        "operator",
        "drill",
        "viewer",
    ] {
        let line = stdout
            .lines()
            .find(|line| line.trim_start().starts_with(&format!("{role} ")))
            .unwrap_or_else(|| panic!("no token printed for {role}: {stdout}"));
        assert!(line.contains(" cordon1."), "{line}");
    }
}

/// What a running `cordon demo` printed about itself.
struct DemoUnderTest {
    demo: std::process::Child,
    node_pids: Vec<u32>,
    folder: std::path::PathBuf,
}

/// Starts `sh -c 'trap "" INT; exec cordon demo ARGS'` (SIGINT ignored, as
/// a non-interactive shell starts a background job) and reads its banner
/// until it says how to stop it.
fn start_demo(args: &[&str]) -> DemoUnderTest {
    use std::io::BufRead;
    let command = format!(
        "trap '' INT; exec {} demo --rate 0 {}",
        env!("CARGO_BIN_EXE_cordon"),
        args.join(" ")
    );
    let mut demo = Command::new("sh")
        .args(["-c", &command])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = demo.stdout.take().unwrap();
    let (mut node_pids, mut folder) = (Vec::new(), None);
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(pid) = line
            .trim()
            .strip_prefix("node ")
            .and_then(|rest| rest.rsplit("pid ").next())
        {
            node_pids.push(pid.trim().parse::<u32>().unwrap());
        }
        if let Some(path) = line.trim().strip_prefix("folder ") {
            folder = Some(std::path::PathBuf::from(path.trim()));
        }
        if line.contains("to stop") {
            break;
        }
    }
    let folder = folder.expect("the demo prints its folder");
    assert_eq!(node_pids.len(), 3, "the demo prints its three nodes' pids");
    DemoUnderTest {
        demo,
        node_pids,
        folder,
    }
}

/// True while `pid` is a live process (not gone, not a zombie).
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| Some(stat.rsplit_once(')')?.1.trim_start().starts_with('Z')))
        .is_some_and(|zombie| !zombie)
}

/// Sends `signal` to the demo's pid only and waits up to 10 s for the
/// demo, its nodes and its folder to be gone.
fn stop_demo_by(mut under_test: DemoUnderTest, signal: cordon_node::local_cluster::Signal) {
    cordon_node::local_cluster::signal(under_test.demo.id(), signal);
    let give_up = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let gone = |under_test: &mut DemoUnderTest| {
        under_test.demo.try_wait().unwrap().is_some()
            && !under_test.node_pids.iter().any(|pid| running(*pid))
            && !under_test.folder.exists()
    };
    while !gone(&mut under_test) && std::time::Instant::now() < give_up {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let left: Vec<u32> = under_test
        .node_pids
        .iter()
        .copied()
        .filter(|pid| running(*pid))
        .collect();
    for pid in &left {
        cordon_node::local_cluster::signal(*pid, cordon_node::local_cluster::Signal::KILL);
    }
    let _ = under_test.demo.kill();
    assert!(
        left.is_empty(),
        "{signal:?}: node processes left running: {left:?}"
    );
    assert!(
        !under_test.folder.exists(),
        "{signal:?}: folder {} left behind",
        under_test.folder.display()
    );
    let status = under_test.demo.wait().unwrap();
    assert!(status.success(), "{signal:?}: the demo ended with {status}");
}

#[test]
fn a_signal_to_the_demo_pid_stops_its_nodes_and_removes_its_folder() {
    use cordon_node::local_cluster::Signal;
    // SIGTERM, as `timeout`, a supervisor or a CI harness sends it.
    stop_demo_by(start_demo(&[]), Signal::TERM);
    // SIGINT by pid, though the shell started the demo with SIGINT ignored.
    stop_demo_by(start_demo(&[]), Signal::INT);
    // A signal also ends a demo that runs for a set time.
    stop_demo_by(start_demo(&["--duration", "600"]), Signal::INT);
}
