//! Identity is the certificate: a stranger's certificate, a non-member's,
//! or a member speaking for another node are all refused.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use cordon_config::Limits;
use cordon_consensus::handshake::HandshakeLimits;
use cordon_consensus::ledger::{ActorId, Origin, RequestId};
use cordon_consensus::tls::{
    generate_cluster_certs, issue_from_ca_files, CertPaths, PeerIdentity, TlsIdentity,
};
use cordon_consensus::transport::{RpcError, Transport, TransportConfig};
use cordon_consensus::wire::{Refusal, Request, Response};
use openraft::raft::VoteRequest;
use openraft::Vote;

use crate::cluster::{report, LocalCluster};

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

/// `report(request_id)` stamped with `origin`.
fn report_as(request_id: &str, origin: Origin) -> Request {
    let mut command = report(request_id);
    command.origin = origin;
    Request::ClientWrite(command)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_forwards_writes_only_in_its_own_name() {
    // Phase 1: a running cluster of three; node 2's own certificate talks
    // to the leader directly, as a follower forwarding a write would.
    let cluster = LocalCluster::start(3).await;
    let leader = cluster.wait_for_leader(0).await;
    let target: SocketAddr = cluster.config.node(leader).unwrap().quic_addr;
    let certs = &cluster.config.tls().cert_dir;
    let ca = CertPaths::ca_cert(certs);
    let deadline = Duration::from_secs(3);
    let node_two = client(&TlsIdentity::load("test", PeerIdentity::Node(2), &ca, certs).unwrap());

    // Phase 2: claiming the hub (placed nowhere here) or another node's
    // API is refused before anything is proposed.
    let hub = Origin::Actor {
        actor: ActorId::Hub,
        epoch: 1,
        node: 2,
    };
    let other_api = Origin::Api {
        node: 3,
        client: "127.0.0.1:1".into(),
    };
    for (request_id, origin, why) in [
        ("forged-hub", hub, "hub is not placed on node 2"),
        (
            "forged-api",
            other_api,
            "node 2 may not write as api@node-3",
        ),
    ] {
        let answer = node_two
            .call(leader, target, report_as(request_id, origin), deadline)
            .await;
        assert_refused(answer, why);
    }

    // Phase 3: nothing of it was applied; a write in node 2's own name
    // (an API client it served) goes through.
    let own = Origin::Api {
        node: 2,
        client: "127.0.0.1:1".into(),
    };
    let answer = node_two
        .call(leader, target, report_as("own-api", own), deadline)
        .await;
    assert!(
        matches!(answer, Ok(Response::ClientWrite(Ok(_)))),
        "{answer:?}"
    );
    // The leader acknowledged the last write, so it has applied it.
    let applied = cluster.node((leader - 1) as usize).ledger().read();
    for forged in ["forged-hub", "forged-api"] {
        assert!(applied.ledger.request(&RequestId(forged.into())).is_none());
    }
}
