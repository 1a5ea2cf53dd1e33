//! Each intake channel's rule, on three real processes: a risk warning from
//! the risk-sensing net opens a hazard item in its area's register (one
//! open item an area: a second warning there adds none), an emergency call
//! opens none; the safe-house alarm's rule and the partner feed's are
//! tested in `safe_house.rs` and `eido.rs`. Each report is counted under
//! its channel.

use cordon_api::hazards::HazardList;
use cordon_api::incidents::{ReportIncident, Reported};
use cordon_node::client::ApiClient;

use crate::support::{report_of, start_cluster};

/// The Bund riverside, a sensitive area.
const BUND: (f64, f64) = (31.2400, 121.4870);

async fn report(client: &ApiClient, request_id: &str, kind: &str, channel: &str) -> String {
    let report = ReportIncident {
        channel: Some(channel.into()),
        description: Some("density rising on the river wall stairs".into()),
        ..report_of(request_id, kind, BUND, 1)
    };
    let reported: Reported = client.report(&report, 0).await.unwrap();
    reported.incident_id
}

/// The register's items a risk warning opened in the Bund riverside.
async fn risk_items(client: &ApiClient) -> Vec<String> {
    let list: HazardList = client.get("/v1/hazards", 0).await.unwrap();
    list.hazards
        .into_iter()
        .filter(|hazard| {
            hazard.area == "bund-riverside" && hazard.summary.starts_with("risk warning")
        })
        .map(|hazard| hazard.summary)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_risk_warning_opens_a_hazard_item_and_each_report_counts_under_its_channel() {
    // Phase 1: the risk-sensing platform warns of a crowd at the Bund: once
    // triaged, its hazard item is open in the register, naming the warning.
    let cluster = start_cluster().await;
    let platform = cluster
        .client_as("risk-platform", &["reporter:risk_warning"])
        .await;
    let first = report(&platform, "risk-1", "crowd_crush", "risk_warning").await;
    cluster
        .wait_incident(&first, "triaged", |incident| incident.status != "reported")
        .await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let items = loop {
        let items = risk_items(&cluster.client).await;
        if !items.is_empty() || tokio::time::Instant::now() > deadline {
            break items;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(items.len(), 1, "{items:?}");
    assert!(items[0].contains(&first), "{items:?}");

    // Phase 2: a second warning there and an emergency call open no item.
    let second = report(&platform, "risk-2", "crowd_crush", "risk_warning").await;
    let call = report(&cluster.client, "call-1", "medical", "emergency_call").await;
    for id in [&second, &call] {
        cluster
            .wait_incident(id, "triaged", |incident| incident.status != "reported")
            .await;
    }
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(risk_items(&cluster.client).await.len(), 1);

    // Phase 3: the leader counted each report under its channel.
    let mut counted = std::collections::BTreeMap::new();
    for url in cluster.client.urls() {
        let text = crate::support::get_text(cluster.token(), &format!("{url}/metrics"))
            .await
            .unwrap();
        for line in text
            .lines()
            .filter(|line| line.starts_with("cordon_incidents_reported_total{"))
        {
            let channel = line
                .split("channel=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or("")
                .to_owned();
            let value: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
            *counted.entry(channel).or_insert(0.0) += value;
        }
    }
    assert_eq!(counted.get("risk_warning"), Some(&2.0), "{counted:?}");
    assert_eq!(counted.get("emergency_call"), Some(&1.0), "{counted:?}");
}
