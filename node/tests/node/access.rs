//! Who may do what, on three real processes: requests without credentials
//! are refused 401 on every node; a role without the right is refused 403
//! naming the role that has it; scoped roles act only on their own unit
//! and channel; a revoked or expired token is refused on every node from
//! the commit that ends it; the audit trail names people, and the operator
//! audit log records tokens and drills, hash-chained.

use std::time::Duration;

use cordon_api::access::{AuditLog, WhoAmI};
use cordon_api::incidents::{Incident, Origin, ReportIncident};
use cordon_api::units::UnitStatusUpdate;
use cordon_node::client::ApiClient;
use cordon_node::ctl::Operator;
use reqwest::StatusCode;

use crate::support::{start_cluster, Cluster, TEST_PRINCIPAL};

/// A request to node `node` (1-based) with `token`, if any; the status and body.
async fn call(
    cluster: &Cluster,
    node: usize,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> (StatusCode, String) {
    let url = format!("{}{path}", cluster.client.urls()[node - 1]);
    let mut request = reqwest::Client::new().request(method, &url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

async fn get(
    cluster: &Cluster,
    node: usize,
    path: &str,
    token: Option<&str>,
) -> (StatusCode, String) {
    call(cluster, node, reqwest::Method::GET, path, token, None).await
}

async fn post(
    cluster: &Cluster,
    node: usize,
    path: &str,
    token: &str,
    body: serde_json::Value,
) -> (StatusCode, String) {
    call(
        cluster,
        node,
        reqwest::Method::POST,
        path,
        Some(token),
        Some(body),
    )
    .await
}

fn report_body(request_id: &str, channel: &str) -> serde_json::Value {
    serde_json::to_value(ReportIncident {
        request_id: Some(request_id.into()),
        kind: Some("theft".into()),
        priority: Some(4),
        force_level: Some(1),
        lat: 31.2394,
        lon: 121.4760,
        channel: Some(channel.into()),
        description: None,
    })
    .unwrap()
}

fn status_body(status: &str) -> serde_json::Value {
    serde_json::to_value(UnitStatusUpdate::new(status)).unwrap()
}

async fn issue(cluster: &Cluster, name: &str, roles: &[&str]) -> String {
    cluster.processes.issue_token(name, roles).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(clippy::too_many_lines, reason = "a test read as phases")]
async fn only_the_right_roles_may_act_and_the_trail_names_them() {
    // Phase 1: three nodes; a token per role.
    let cluster = start_cluster().await;
    let units = cluster.unit_ids(|unit| unit.ring == 3).await;
    let (own_unit, other_unit) = (units[0].clone(), units[1].clone());
    let viewer = issue(&cluster, "viewer-wu", &["viewer"]).await;
    let gateway = issue(&cluster, "gateway-110", &["reporter:emergency_call"]).await;
    let field = issue(&cluster, "officer-zhang", &[&format!("field:{own_unit}")]).await;
    let dispatcher = issue(&cluster, "dispatcher-li", &["dispatcher"]).await;

    // Phase 2: no credentials, or a malformed token, is refused 401 on
    // every node, naming how to get a token; public routes still answer.
    for node in 1..=3 {
        let (status, body) = get(&cluster, node, "/v1/incidents", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert!(body.contains("cordon token issue"), "{body}");
        let (status, body) = get(&cluster, node, "/v1/units", Some("cordon1.nope")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert!(body.contains("malformed"), "{body}");
        assert_eq!(
            get(&cluster, node, "/healthz", None).await.0,
            StatusCode::OK
        );
        assert_eq!(get(&cluster, node, "/readyz", None).await.0, StatusCode::OK);
    }

    // Phase 3: a role without the right is refused 403 naming the role
    // that has it: a viewer cannot write, a reporter cannot approve or
    // read, a dispatcher cannot drill or read the operator audit log.
    let report = report_body("access-viewer", "emergency_call");
    let (status, body) = post(&cluster, 2, "/v1/incidents", &viewer, report).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body.contains("viewer-wu") && body.contains("dispatcher"),
        "{body}"
    );
    let (status, body) = post(
        &cluster,
        1,
        "/v1/plans/I-000001/approve",
        &gateway,
        serde_json::json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("needs the role commander"), "{body}");
    assert_eq!(
        get(&cluster, 1, "/v1/units", Some(&gateway)).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, body) = post(
        &cluster,
        3,
        "/v1/drills/actors/hub/fault",
        &dispatcher,
        serde_json::json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("needs the role drill"), "{body}");
    let (status, body) = get(&cluster, 3, "/v1/audit", Some(&dispatcher)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("commander or operator"), "{body}");

    // Phase 4: scoped roles: the officer moves only its own unit (refused
    // by the ledger, 403), the 110 gateway reports only from its channel.
    let path = |unit: &str| format!("/v1/units/{unit}/status");
    let (status, body) = post(
        &cluster,
        3,
        &path(&other_unit),
        &field,
        status_body("out_of_service"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains(&format!("field:{other_unit}")), "{body}");
    let (status, body) = post(
        &cluster,
        3,
        &path(&own_unit),
        &field,
        status_body("out_of_service"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = post(
        &cluster,
        1,
        &path(&own_unit),
        &field,
        status_body("available"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = post(
        &cluster,
        2,
        "/v1/incidents",
        &gateway,
        report_body("access-feed", "partner_feed"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("reporter:partner_feed"), "{body}");
    let (status, body) = post(
        &cluster,
        2,
        "/v1/incidents",
        &gateway,
        report_body("access-call", "emergency_call"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // Phase 5: the audit trail names the person, the node and the address.
    let reported: serde_json::Value =
        serde_json::from_str(&body_of(&cluster, &gateway, "access-call").await).unwrap();
    let id = reported["incident_id"].as_str().unwrap().to_string();
    let incident: Incident = cluster
        .client
        .get(&format!("/v1/incidents/{id}"), 0)
        .await
        .unwrap();
    let Origin::Api {
        node,
        principal,
        client,
    } = &incident.timeline[0].origin
    else {
        panic!("the report's origin: {:?}", incident.timeline[0].origin)
    };
    assert_eq!((principal.name.as_str(), *node), ("gateway-110", 2));
    assert_eq!(principal.roles, vec!["reporter:emergency_call".to_string()]);
    assert!(principal.credential.starts_with("token "), "{principal:?}");
    assert!(client.starts_with("127.0.0.1:"), "{client}");
    let me: WhoAmI = ApiClient::new(cluster.client.urls().to_vec(), Duration::from_secs(10))
        .unwrap()
        .with_token(&field)
        .get("/v1/whoami", 0)
        .await
        .unwrap();
    assert_eq!(me.principal.name, "officer-zhang");
    assert_eq!(
        me.rights,
        vec![
            "read".to_string(),
            "update_unit".to_string(),
            "handle_hazards".to_string()
        ]
    );

    // Phase 6: a revoked token is refused on every node at once after the
    // revoking commit; one that expires is refused once it has.
    let operator = Operator::connect(cluster.processes.cluster.clone()).unwrap();
    let viewer_id = viewer.split('.').nth(1).unwrap().to_string();
    assert_eq!(
        get(&cluster, 3, "/v1/units", Some(&viewer)).await.0,
        StatusCode::OK
    );
    operator
        .revoke_token(&viewer_id, "left the shift")
        .await
        .unwrap();
    for node in 1..=3 {
        let (status, body) = get(&cluster, node, "/v1/units", Some(&viewer)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "node {node}: {body}");
        assert!(body.contains("revoked"), "{body}");
    }
    // A write under a token revoked a moment ago is refused on every node too.
    let gateway_id = gateway.split('.').nth(1).unwrap().to_string();
    operator
        .revoke_token(&gateway_id, "gateway replaced")
        .await
        .unwrap();
    for node in 1..=3 {
        let report = report_body(&format!("after-revoke-{node}"), "emergency_call");
        let (status, body) = post(&cluster, node, "/v1/incidents", &gateway, report).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "node {node}: {body}");
        assert!(body.contains("revoked"), "{body}");
    }
    let short = operator
        .issue_token(
            "short-lived",
            vec!["viewer".parse().unwrap()],
            Duration::from_secs(2),
        )
        .await
        .unwrap();
    assert_eq!(
        get(&cluster, 1, "/v1/units", Some(&short.text)).await.0,
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    for node in 1..=3 {
        let (status, body) = get(&cluster, node, "/v1/units", Some(&short.text)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "node {node}: {body}");
        assert!(body.contains("expired"), "{body}");
    }

    // Phase 7: a drill by the drill role is noted; the operator audit log
    // names token issue, revoke and the drill with who did each, and its
    // chain verifies; a commander reads it, as `cordon ctl audit` does.
    cluster
        .fault_actor("hub", cluster.placement("hub").await.0)
        .await;
    let log: AuditLog = cluster.client.get("/v1/audit", 0).await.unwrap();
    assert!(log.verified);
    let actions: Vec<&str> = log.entries.iter().map(|e| e.action.as_str()).collect();
    for action in ["issue_token", "revoke_token", "drill_fault_actor"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    let drill = log
        .entries
        .iter()
        .find(|e| e.action == "drill_fault_actor")
        .unwrap();
    let Origin::Api { principal, .. } = &drill.origin else {
        panic!("the drill's origin: {:?}", drill.origin)
    };
    assert_eq!(principal.name, TEST_PRINCIPAL);
    let secret = viewer.rsplit('.').next().unwrap();
    assert!(
        log.entries.iter().all(|e| !e.detail.contains(secret)),
        "no secret in the log"
    );
}

/// The answer to the report `request_id` sent again (deduplicated) with `token`.
async fn body_of(cluster: &Cluster, token: &str, request_id: &str) -> String {
    post(
        cluster,
        1,
        "/v1/incidents",
        token,
        report_body(request_id, "emergency_call"),
    )
    .await
    .1
}
