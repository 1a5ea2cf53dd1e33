//! Identity is the certificate: a stranger's certificate, a non-member's,
//! or a member speaking for another node are all refused.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use cordon_config::Limits;
use cordon_consensus::handshake::HandshakeLimits;
use cordon_consensus::tls::{
    generate_cluster_certs, issue_from_ca_files, CertPaths, PeerIdentity, TlsIdentity,
};
use cordon_consensus::transport::{RpcError, Transport, TransportConfig};
use cordon_consensus::wire::{Refusal, Request, Response};
use openraft::raft::VoteRequest;
use openraft::Vote;

use crate::cluster::LocalCluster;

/// A transport for `identity` that only dials (operator or stand-in peer).
pub(crate) fn client(identity: &TlsIdentity) -> Arc<Transport> {
    Transport::bind(
        identity,
        TransportConfig {
            bind_addr: "127.0.0.1:0".parse().unwrap(),
            frame_bytes_max: 1 << 20,
            idle_timeout: Duration::from_secs(5),
            keep_alive: Duration::from_millis(500),
            connections_max: 4,
            handshakes: HandshakeLimits::from_limits(&Limits::default()),
            streams_per_connection_max: 16,
            connect_timeout: Duration::from_secs(3),
            socket: None,
            rng_seed: None,
        },
    )
    .unwrap()
}

fn vote_as(node: u64) -> Request {
    Request::Vote(VoteRequest::new(Vote::new(99, node), None))
}

fn assert_refused(result: Result<Response, RpcError>, expected: &str) {
    match result {
        Err(RpcError::Refused {
            refusal: Refusal::NotAuthorized { why, .. },
            ..
        }) => assert!(why.contains(expected), "refusal {why:?} lacks {expected:?}"),
        other => panic!("expected a refusal containing {expected:?}, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(clippy::too_many_lines, reason = "a test read as phases")]
async fn certificates_decide_who_may_speak() {
    // Phase 1: a running cluster of three; node 1's address is the target.
    let cluster = LocalCluster::start(3).await;
    cluster.wait_for_leader(0).await;
    let target: SocketAddr = cluster.config.node(1).unwrap().quic_addr;
    let certs = &cluster.config.tls().cert_dir;
    let ca = CertPaths::ca_cert(certs);
    let deadline = Duration::from_secs(3);

    // Phase 2: node 2's valid certificate cannot cast a vote as node 3.
    let node_two = client(&TlsIdentity::load("test", PeerIdentity::Node(2), &ca, certs).unwrap());
    assert_refused(
        node_two.call(1, target, vote_as(3), deadline).await,
        "certificate is node 2's",
    );

    // Phase 3: node 7 holds a certificate from the cluster CA but is no member.
    issue_from_ca_files(
        "test",
        PeerIdentity::Node(7),
        certs,
        Duration::from_secs(3_600),
    )
    .unwrap();
    let node_seven = client(&TlsIdentity::load("test", PeerIdentity::Node(7), &ca, certs).unwrap());
    assert_refused(
        node_seven.call(1, target, vote_as(7), deadline).await,
        "not a member",
    );

    // Phase 4: the operator may ask for status but may not take part in Raft.
    let operator = client(&TlsIdentity::load("test", PeerIdentity::Operator, &ca, certs).unwrap());
    assert!(matches!(
        operator.call(1, target, Request::Status, deadline).await,
        Ok(Response::Status(_))
    ));
    assert_refused(
        operator.call(1, target, vote_as(1), deadline).await,
        "operators",
    );

    // Phase 5: a certificate from another CA gets no answer to its first request.
    let stranger_dir = tempfile::tempdir().unwrap();
    generate_cluster_certs(
        "test",
        &[1],
        stranger_dir.path(),
        Duration::from_secs(3_600),
    )
    .unwrap();
    let stranger = client(
        &TlsIdentity::load(
            "test",
            PeerIdentity::Node(1),
            &CertPaths::ca_cert(stranger_dir.path()),
            stranger_dir.path(),
        )
        .unwrap(),
    );
    let result = stranger.call(1, target, Request::Ping, deadline).await;
    assert!(
        matches!(
            result,
            Err(RpcError::Unreachable { .. } | RpcError::Stream { .. })
        ),
        "a stranger's request must fail, got {result:?}"
    );

    // Phase 6: a certificate that expires ends its connection. The first
    // request opens a connection under a certificate valid for 3 s; once it
    // expires node 1 closes that connection, and a new handshake is refused.
    issue_from_ca_files(
        "test",
        PeerIdentity::Operator,
        certs,
        Duration::from_secs(3),
    )
    .unwrap();
    let short_lived =
        client(&TlsIdentity::load("test", PeerIdentity::Operator, &ca, certs).unwrap());
    assert!(matches!(
        short_lived.call(1, target, Request::Status, deadline).await,
        Ok(Response::Status(_))
    ));
    tokio::time::sleep(Duration::from_secs(4)).await;
    let after_expiry = short_lived.call(1, target, Request::Status, deadline).await;
    assert!(
        after_expiry.is_err(),
        "a request after the certificate expired must fail, got {after_expiry:?}"
    );

    for node in cluster.nodes.iter().flatten() {
        node.shutdown().await;
    }
}
