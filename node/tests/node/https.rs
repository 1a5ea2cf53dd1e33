//! HTTPS by default, on three real processes: the API is served over TLS
//! with each node's API certificate from the cluster CA; plain HTTP is
//! answered 400 saying to use https; a client that does not trust the
//! cluster CA cannot connect; a client certificate from the cluster CA
//! logs in as its principal (one of another CA does not); a rotated
//! certificate is served without a restart; a node started with
//! `--insecure-http` says so in its log.

use std::time::Duration;

use cordon_api::access::WhoAmI;
use cordon_api::cluster::ClusterStatus;
use cordon_api::incidents::{Incident, Origin, ReportIncident, Reported};
use cordon_consensus::tls::{generate_cluster_certs, issue_api_certs, issue_client_cert};
use cordon_node::local_cluster::{wait_all_ready, wait_ready, LocalClusterOptions, LocalProcesses};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{TEST_PRINCIPAL, TEST_ROLES, WAIT_MAX};

/// The certificate a node presents to a new connection (its DER).
async fn presented_certificate(url: &str, ca: &reqwest::Certificate, token: &str) -> Vec<u8> {
    let http = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(ca.clone())
        .tls_info(true)
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let response = http
        .get(format!("{url}/v1/cluster"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let info = response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .cloned();
    info.and_then(|info| info.peer_certificate().map(<[u8]>::to_vec))
        .expect("the node presented a certificate")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(clippy::too_many_lines, reason = "a test read as phases")]
async fn the_api_is_https_by_default_and_plain_http_is_refused() {
    // Phase 1: three nodes started without --insecure-http; a client that
    // trusts the cluster CA reports and reads back through every node.
    let dir = tempfile::tempdir().unwrap();
    let processes = LocalProcesses::start(
        LocalClusterOptions {
            https: true,
            ..LocalClusterOptions::new(env!("CARGO_BIN_EXE_cordon").as_ref(), dir.path(), 3)
        },
        |_| {},
    )
    .unwrap();
    let urls = processes.api_urls();
    assert!(
        urls.iter().all(|url| url.starts_with("https://")),
        "{urls:?}"
    );
    let client = processes.client(Duration::from_secs(20)).unwrap();
    wait_ready(&client, WAIT_MAX).await.unwrap();
    wait_all_ready(&client, WAIT_MAX).await.unwrap();
    let token = processes
        .issue_token(TEST_PRINCIPAL, TEST_ROLES)
        .await
        .unwrap();
    let client = client.with_token(&token);
    for (index, url) in urls.iter().enumerate() {
        let report = ReportIncident {
            request_id: Some(format!("https-{index}")),
            kind: Some("theft".into()),
            priority: Some(4),
            force_level: Some(1),
            lat: 31.2394,
            lon: 121.4760,
            channel: None,
            description: None,
        };
        let reported = client.report(&report, index).await.unwrap();
        let status: ClusterStatus = client.get_from(index, "/v1/cluster").await.unwrap();
        assert!(status.leader_id.is_some(), "{url}");
        assert!(reported.incident_id.starts_with("I-"), "{reported:?}");
    }

    // Phase 1b: these nodes run without --drills: even the drill role's
    // fault is refused, naming the flag.
    let drill = processes
        .issue_token("drill-team", &["drill"])
        .await
        .unwrap();
    let refused = client
        .clone()
        .with_token(&drill)
        .post::<serde_json::Value>("/v1/drills/actors/hub/fault", &serde_json::json!({}), 0)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("drills_disabled") && refused.contains("--drills"),
        "{refused}"
    );

    // Phase 2: plain HTTP to the HTTPS port is answered 400 in plain text
    // naming the fix, and changes nothing.
    let addr = processes.cluster.nodes()[0].api_addr;
    let mut plain = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request =
        format!("GET /v1/incidents HTTP/1.1\r\nHost: {addr}\r\nconnection: close\r\n\r\n");
    plain.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(5), plain.read_to_string(&mut answer))
        .await
        .expect("the node answers and closes")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(
        answer.contains("https_required") && answer.contains("--insecure-http"),
        "{answer}"
    );

    // Phase 3: a client that does not trust the cluster CA cannot connect.
    let stranger = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .build()
        .unwrap();
    let refused = stranger.get(format!("{}/healthz", urls[0])).send().await;
    assert!(refused.is_err(), "{refused:?}");

    // Phase 4: a client certificate from the cluster CA logs in instead of
    // a token, also through a follower (the leader checks the certificate
    // again); one from another CA cannot connect.
    client_certificates_log_in(&processes).await;

    // Phase 5: the API certificates are issued anew (a rotation): within a
    // few seconds every node presents its new one, without a restart.
    let ca_pem = std::fs::read(&processes.cluster.tls().ca_cert).unwrap();
    let ca = reqwest::Certificate::from_pem(&ca_pem).unwrap();
    let before = presented_certificate(&urls[1], &ca, &token).await;
    let cert_dir = processes.cluster.tls().cert_dir.clone();
    issue_api_certs(&processes.cluster, &cert_dir, Duration::from_secs(86_400)).unwrap();
    let rotated = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            if presented_certificate(&urls[1], &ca, &token).await != before {
                return;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    })
    .await;
    assert!(rotated.is_ok(), "node 2 still presents its old certificate");
    let after: ClusterStatus = client.get_from(1, "/v1/cluster").await.unwrap();
    assert!(after.leader_id.is_some());
    drop(processes);

    // Phase 6: a node started with --insecure-http says so in its log.
    let insecure_dir = tempfile::tempdir().unwrap();
    let insecure = LocalProcesses::start(
        LocalClusterOptions::new(
            env!("CARGO_BIN_EXE_cordon").as_ref(),
            insecure_dir.path(),
            3,
        ),
        |_| {},
    )
    .unwrap();
    let client = insecure.client(Duration::from_secs(20)).unwrap();
    wait_ready(&client, WAIT_MAX).await.unwrap();
    // The cluster may be ready on nodes 2 and 3 before node 1 has logged.
    let warned = || {
        let log =
            std::fs::read_to_string(insecure_dir.path().join("node-1.log")).unwrap_or_default();
        log.contains("--insecure-http") && log.contains("in clear")
    };
    let give_up = std::time::Instant::now() + WAIT_MAX;
    while !warned() && std::time::Instant::now() < give_up {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(warned(), "node 1 did not warn about plain HTTP");
}

/// GET `url` with `http` and read the answer as `T`.
async fn get_json<T: serde::de::DeserializeOwned>(http: &reqwest::Client, url: &str) -> T {
    http.get(url).send().await.unwrap().json().await.unwrap()
}

/// A reqwest client presenting the client certificate and key at the paths.
fn client_with_identity(
    ca: &std::path::Path,
    cert: &std::path::Path,
    key: &std::path::Path,
) -> reqwest::Client {
    let mut pem = std::fs::read(cert).unwrap();
    pem.extend(std::fs::read(key).unwrap());
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&std::fs::read(ca).unwrap()).unwrap())
        .identity(reqwest::Identity::from_pem(&pem).unwrap())
        .build()
        .unwrap()
}

#[expect(clippy::too_many_lines, reason = "a phase read as steps")]
async fn client_certificates_log_in(processes: &LocalProcesses) {
    let tls = processes.cluster.tls();
    let roles = vec!["dispatcher".to_string()];
    let (cert, key) = issue_client_cert(
        processes.cluster.name(),
        "dispatcher-cert",
        &roles,
        &tls.cert_dir,
        Duration::from_secs(3_600),
    )
    .unwrap();
    let http = client_with_identity(&tls.ca_cert, &cert, &key);
    let urls = processes.api_urls();
    let me: WhoAmI = get_json(&http, &format!("{}/v1/whoami", urls[0])).await;
    assert_eq!(me.principal.name, "dispatcher-cert");
    assert!(
        me.principal.credential.starts_with("certificate "),
        "{me:?}"
    );
    for (index, url) in urls.iter().enumerate() {
        let report = serde_json::json!({"request_id": format!("cert-{index}"), "kind": "theft", "lat": 31.2394, "lon": 121.4760});
        let response = http
            .post(format!("{url}/v1/incidents"))
            .json(&report)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            reqwest::StatusCode::CREATED,
            "node {}: {}",
            index + 1,
            response.text().await.unwrap()
        );
        let reported: Reported = response.json().await.unwrap();
        let incident: Incident = get_json(
            &http,
            &format!("{url}/v1/incidents/{}", reported.incident_id),
        )
        .await;
        let Origin::Api {
            principal, node, ..
        } = &incident.timeline[0].origin
        else {
            panic!("{:?}", incident.timeline[0].origin)
        };
        assert_eq!(
            (principal.name.as_str(), *node),
            ("dispatcher-cert", index as u64 + 1)
        );
    }
    let foreign = tempfile::tempdir().unwrap();
    generate_cluster_certs(
        processes.cluster.name(),
        &[1],
        foreign.path(),
        Duration::from_secs(3_600),
    )
    .unwrap();
    let (cert, key) = issue_client_cert(
        processes.cluster.name(),
        "impostor",
        &roles,
        foreign.path(),
        Duration::from_secs(3_600),
    )
    .unwrap();
    let impostor = client_with_identity(&tls.ca_cert, &cert, &key);
    let refused = impostor.get(format!("{}/v1/whoami", urls[0])).send().await;
    assert!(
        refused
            .as_ref()
            .map_or(true, |r| r.status() == reqwest::StatusCode::UNAUTHORIZED),
        "a certificate of another CA was taken: {refused:?}"
    );
}
