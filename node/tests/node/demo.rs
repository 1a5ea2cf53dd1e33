//! `cordon demo` on its own runs incidents through their whole lifecycle.

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
}
