//! The example deployment files validate, and the Grafana dashboard only
//! queries series that nodes export.

use std::path::Path;

use cordon_config::ClusterConfig;

fn deploy_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy"))
}

#[test]
fn example_cluster_files_validate() {
    // Every example cluster file passes the same validation as an operator's file.
    let mut checked = 0;
    for entry in std::fs::read_dir(deploy_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let cluster =
                ClusterConfig::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            cluster
                .check_stations(&cordon_config::District::embedded())
                .unwrap();
            checked += 1;
        }
    }
    assert!(checked >= 2);
}

#[test]
fn the_dashboard_is_json_and_queries_cordon_series() {
    // The dashboard parses and each panel queries a cordon_ series.
    let text = std::fs::read_to_string(deploy_dir().join("grafana-dashboard.json")).unwrap();
    assert!(text.trim_start().starts_with('{') && text.contains("\"panels\""));
    let panels = text.matches("\"type\": \"timeseries\"").count();
    let queries = text.matches("\"expr\": \"").count();
    assert!(
        panels >= 10 && queries >= panels,
        "{panels} panels, {queries} queries"
    );
    assert!(text.matches("cordon_").count() >= queries);
}
