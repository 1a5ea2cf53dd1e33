//! Identity is the certificate: a stranger's certificate, a non-member's,
//! or a member speaking for another node are all refused.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use cordon_config::Limits;
use cordon_consensus::handshake::HandshakeLimits;
use cordon_consensus::ledger::{
    Action, ActorId, BearerToken, Command, Credential, Effect, Origin, Principal, RequestId, Role,
};
use cordon_consensus::node::unix_millis;
use cordon_consensus::tls::{
    generate_cluster_certs, issue_from_ca_files, CertPaths, PeerIdentity, TlsIdentity,
};
use cordon_consensus::transport::{RpcError, Transport, TransportConfig};
use cordon_consensus::wire::{Proof, Refusal, Request, Response};
use cordon_consensus::WriteError;
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

/// `report(request_id)` stamped with `origin` and now, with `proof`.
fn report_as(request_id: &str, origin: Origin, proof: Option<&BearerToken>) -> Request {
    let mut command = report(request_id);
    command.origin = origin;
    command.proposed_at_ms = unix_millis();
    Request::ClientWrite(command, proof.cloned().map(Proof::Token))
}

/// The API origin of node `node` for `principal`.
fn api_origin(node: u64, principal: &Principal) -> Origin {
    Origin::Api {
        node,
        client: "127.0.0.1:1".into(),
        principal: principal.clone(),
    }
}

/// Issues a token for `name` with `roles` through the leader, as the operator.
async fn issue_token(
    cluster: &LocalCluster,
    leader: u64,
    name: &str,
    roles: Vec<Role>,
) -> (BearerToken, Principal) {
    let bearer = BearerToken::generate();
    let issue = bearer.issue(name, roles.clone(), unix_millis() + 3_600_000);
    let command = Command::new(
        RequestId(format!("issue-{name}")),
        unix_millis(),
        Origin::Operator,
        Action::IssueToken(issue),
    );
    let applied = cluster
        .node((leader - 1) as usize)
        .write(command)
        .await
        .unwrap();
    assert!(
        matches!(applied.effect, Effect::TokenIssued { .. }),
        "{applied:?}"
    );
    let principal = Principal {
        name: name.into(),
        roles,
        credential: Credential::Token {
            id: bearer.id.clone(),
        },
    };
    (bearer, principal)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(clippy::too_many_lines, reason = "a test read as phases")]
async fn a_member_forwards_writes_only_in_its_own_name() {
    // Phase 1: a running cluster of three with a dispatcher's token; node
    // 2's own certificate talks to the leader directly, as a follower
    // forwarding a write would.
    let cluster = LocalCluster::start(3).await;
    let leader = cluster.wait_for_leader(0).await;
    let target: SocketAddr = cluster.config.node(leader).unwrap().quic_addr;
    let certs = &cluster.config.tls().cert_dir;
    let ca = CertPaths::ca_cert(certs);
    let deadline = Duration::from_secs(3);
    let node_two = client(&TlsIdentity::load("test", PeerIdentity::Node(2), &ca, certs).unwrap());
    let (token, dispatcher) =
        issue_token(&cluster, leader, "dispatcher-li", vec![Role::Dispatcher]).await;
    let (viewer_token, viewer) =
        issue_token(&cluster, leader, "viewer-wu", vec![Role::Viewer]).await;

    // Phase 2: claiming the operator, the hub (placed nowhere here) or
    // another node's API is refused before anything is proposed.
    let hub = Origin::Actor {
        actor: ActorId::Hub,
        epoch: 1,
        node: 2,
    };
    for (request_id, origin, why) in [
        (
            "forged-operator",
            Origin::Operator,
            "node 2 may not write as operator",
        ),
        ("forged-hub", hub, "hub is not placed on node 2"),
        (
            "forged-api",
            api_origin(3, &dispatcher),
            "node 2 may not write as dispatcher-li (dispatcher; token",
        ),
    ] {
        let answer = node_two
            .call(
                leader,
                target,
                report_as(request_id, origin, Some(&token)),
                deadline,
            )
            .await;
        assert_refused(answer, why);
    }

    // Phase 3: in its own name, a client's write without the client's
    // proof, or naming a principal its proof does not prove (a viewer's
    // token for a dispatcher's write), is refused by the leader.
    let unproved = node_two
        .call(
            leader,
            target,
            report_as("no-proof", api_origin(2, &dispatcher), None),
            deadline,
        )
        .await;
    assert_unauthenticated(unproved, "no credentials");
    let borrowed = node_two
        .call(
            leader,
            target,
            report_as("borrowed", api_origin(2, &dispatcher), Some(&viewer_token)),
            deadline,
        )
        .await;
    assert_unauthenticated(borrowed, "the write claims dispatcher-li");
    let viewer_write = node_two
        .call(
            leader,
            target,
            report_as("viewer", api_origin(2, &viewer), Some(&viewer_token)),
            deadline,
        )
        .await;
    assert!(
        format!("{viewer_write:?}").contains("NotPermitted"),
        "a viewer's report is refused by its role: {viewer_write:?}"
    );

    // Phase 4: nothing of it was applied; the dispatcher's write, proved,
    // in node 2's own name goes through.
    let answer = node_two
        .call(
            leader,
            target,
            report_as("own-api", api_origin(2, &dispatcher), Some(&token)),
            deadline,
        )
        .await;
    assert!(
        matches!(&answer, Ok(Response::ClientWrite(Ok(applied))) if matches!(applied.effect, Effect::IncidentReported { .. })),
        "{answer:?}"
    );
    // The leader acknowledged the last write, so it has applied it.
    let applied = cluster.node((leader - 1) as usize).ledger().read();
    for forged in [
        "forged-operator",
        "forged-hub",
        "forged-api",
        "no-proof",
        "borrowed",
    ] {
        assert!(
            applied.ledger.request(&RequestId(forged.into())).is_none(),
            "{forged}"
        );
    }
}

fn assert_unauthenticated(answer: Result<Response, RpcError>, why: &str) {
    match answer {
        Ok(Response::ClientWrite(Err(WriteError::Unauthenticated { error }))) => {
            assert!(error.to_string().contains(why), "{error}");
        }
        other => panic!("expected an unauthenticated write ({why}), got {other:?}"),
    }
}
