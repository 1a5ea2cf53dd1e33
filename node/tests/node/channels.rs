//! Each intake channel's rule, on three real processes: a risk warning from
//! the risk-sensing net opens a hazard item in its area's register (one
//! open item an area: a second warning there adds none), an emergency call
//! opens none; the safe-house alarm's rule and the partner feed's are
//! tested in `safe_house.rs` and `eido.rs`. Each report is counted under
//! its channel. Each channel's rule fills a report's missing kind and
//! priority and raises a priority below the channel's floor.

use cordon_api::hazards::HazardList;
use cordon_api::incidents::{ChannelRules, IncidentList, ReportIncident, Reported};
use cordon_node::client::ApiClient;

use crate::support::{refusal, report_of, start_cluster, Cluster};

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

/// Reports `report` and waits for its triage: the incident's kind and
/// priority, and what the channel's rule said it did.
async fn ruled(
    cluster: &Cluster,
    client: &ApiClient,
    report: ReportIncident,
) -> (String, u8, Vec<String>) {
    let reported: Reported = client.report(&report, 0).await.unwrap();
    let incident = cluster
        .wait_incident(&reported.incident_id, "triaged", |incident| {
            incident.status != "reported"
        })
        .await;
    (incident.kind, incident.priority, reported.channel_rule)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_channel_s_rule_fills_and_raises_what_a_report_leaves_out() {
    // Phase 1: every channel's rule is listed, with the role that reports on it.
    let cluster = start_cluster().await;
    let rules: ChannelRules = cluster.client.get("/v1/channels", 0).await.unwrap();
    assert_eq!(rules.channels.len(), 5, "{rules:?}");
    let risk = rules
        .channels
        .iter()
        .find(|rule| rule.channel == "risk_warning")
        .unwrap();
    assert_eq!(
        (risk.priority_floor, risk.reporter_role.as_str()),
        (6, "reporter:risk_warning")
    );

    // Phase 2: a risk warning at priority 2 is raised to its floor, 6, and the answer says so.
    let platform = cluster
        .client_as("risk-platform", &["reporter:risk_warning"])
        .await;
    let low = ReportIncident {
        channel: Some("risk_warning".into()),
        priority: Some(2),
        ..report_of("risk-low", "crowd_crush", BUND, 1)
    };
    let (kind, priority, said) = ruled(&cluster, &platform, low).await;
    assert_eq!((kind.as_str(), priority), ("crowd_crush", 6));
    assert!(said[0].contains("raised to 6"), "{said:?}");

    // Phase 3: a bare community report is a hazard at 4; a bare partner
    // report is `other` at 5; a 110 call at 7 keeps what it said.
    let community = cluster
        .client_as("community-app", &["reporter:community_report"])
        .await;
    let bare = |request_id: &str, channel: &str| ReportIncident {
        kind: None,
        priority: None,
        channel: Some(channel.into()),
        ..report_of(request_id, "other", BUND, 1)
    };
    let (kind, priority, _) = ruled(
        &cluster,
        &community,
        bare("community-bare", "community_report"),
    )
    .await;
    assert_eq!((kind.as_str(), priority), ("hazard", 4));
    let partner = cluster
        .client_as("partner", &["reporter:partner_feed"])
        .await;
    let (kind, priority, _) = ruled(&cluster, &partner, bare("partner-bare", "partner_feed")).await;
    assert_eq!((kind.as_str(), priority), ("other", 5));
    let call = ReportIncident {
        priority: Some(7),
        ..report_of("call-7", "theft", BUND, 1)
    };
    let (kind, priority, said) = ruled(&cluster, &cluster.client, call).await;
    assert_eq!((kind.as_str(), priority, said.len()), ("theft", 7, 0));

    // Phase 4: a 110 call without a kind is refused naming the field, and
    // nothing is reported.
    let before: IncidentList = cluster.client.get("/v1/incidents", 0).await.unwrap();
    let (code, message) = refusal(
        cluster
            .client
            .report(&bare("call-bare", "emergency_call"), 0)
            .await,
    );
    assert_eq!(code, "invalid_input", "{message}");
    assert!(message.contains("kind is missing"), "{message}");
    let after: IncidentList = cluster.client.get("/v1/incidents", 0).await.unwrap();
    assert_eq!(after.incidents.len(), before.incidents.len());
}
