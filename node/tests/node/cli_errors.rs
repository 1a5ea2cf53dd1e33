//! Bad input on the command line and in files gets a clear error naming
//! what is wrong and how to fix it.

use std::process::Command;

fn cordon(args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args(args)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_cluster_file_with_two_voters_is_refused_with_the_fix() {
    // Two voters cannot survive a node loss: the error says so and how to fix it.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cluster.toml");
    std::fs::write(
        &path,
        r#"
version = 1
name = "huangpu"
data_dir = "data"
tls = { ca_cert = "certs/ca.crt", cert_dir = "certs" }
[[nodes]]
id = 1
name = "district-1"
role = "district"
quic_addr = "127.0.0.1:7101"
api_addr = "127.0.0.1:7181"
[[nodes]]
id = 2
name = "district-2"
role = "district"
quic_addr = "127.0.0.1:7102"
api_addr = "127.0.0.1:7182"
"#,
    )
    .unwrap();
    let (ok, stderr) = cordon(&["certs", "init", "--cluster", path.to_str().unwrap()]);
    assert!(!ok);
    assert!(stderr.contains("nodes = 2 voter(s)"), "{stderr}");
    assert!(stderr.contains("single_node = true"), "{stderr}");
}

#[test]
fn an_unknown_field_is_named() {
    // A typo in the cluster file is reported with its name, not silently ignored.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cluster.toml");
    std::fs::write(
        &path,
        "version = 1\nname = \"x\"\ndata_dir = \"d\"\nnodez = []\n",
    )
    .unwrap();
    let (ok, stderr) = cordon(&["ctl", "--cluster", path.to_str().unwrap(), "status"]);
    assert!(!ok);
    assert!(stderr.contains("nodez"), "{stderr}");
}

#[test]
fn a_malformed_location_says_how_to_write_it() {
    // --at takes LAT,LON; anything else is refused before any request is sent.
    let (ok, stderr) = cordon(&[
        "incident",
        "report",
        "--api",
        "http://127.0.0.1:9",
        "--kind",
        "theft",
        "--at",
        "31.2",
    ]);
    assert!(!ok);
    assert!(stderr.contains("--at 31.2394,121.4760"), "{stderr}");
}

#[test]
fn a_bad_certificate_validity_is_refused_with_the_fix() {
    // `certs issue --valid-for` names the unit to use, and refuses zero.
    for (value, expected) in [
        ("30", "has no unit"),
        ("30w", "unknown unit \"w\""),
        ("0s", "at least 1s"),
        ("x5s", "whole number"),
        ("40000d", "at most 36500d"),
    ] {
        let (ok, stderr) = cordon(&[
            "certs",
            "issue",
            "--cluster",
            "cluster.toml",
            "--node",
            "1",
            "--valid-for",
            value,
        ]);
        assert!(!ok, "--valid-for {value} was accepted");
        assert!(stderr.contains(expected), "--valid-for {value}: {stderr}");
    }
    // `--days` of init and issue: none at all, or past 100 years (which
    // once wrapped to a few hours), is refused with the range.
    for command in [
        &["certs", "init"][..],
        &["certs", "issue", "--node", "1"][..],
    ] {
        for (value, expected) in [
            ("0", "expired at issue"),
            ("40000", "at most 36500"),
            ("300000000000000", "at most 36500"),
            ("x", "whole number of days"),
        ] {
            let mut args = command.to_vec();
            args.extend(["--cluster", "cluster.toml", "--days", value]);
            let (ok, stderr) = cordon(&args);
            assert!(!ok, "{command:?} --days {value} was accepted");
            assert!(
                stderr.contains(expected),
                "{command:?} --days {value}: {stderr}"
            );
        }
    }
}
