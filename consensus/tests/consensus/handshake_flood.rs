//! Certless peers cannot crowd members and operators out of a node: QUIC
//! handshakes that never finish hold no connection slot, are capped per
//! source address, and past a threshold a client must first prove it can
//! receive at its address (a retry token) before a handshake starts.

use std::io::{self, IoSliceMut};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use cordon_consensus::tls::{CertPaths, PeerIdentity, TlsIdentity, ALPN};
use cordon_consensus::wire::{Request, Response};
use quinn::udp::{RecvMeta, Transmit};
use quinn::{AsyncUdpSocket, Endpoint, Runtime, UdpPoller};

use crate::cluster::LocalCluster;
use crate::transport_identity::client;

/// Sockets the flood comes from.
const FLOOD_SOURCES: usize = 30;
/// Handshakes opened from each source: 300 in all.
const HANDSHAKES_PER_SOURCE: usize = 10;
/// How long the operator may wait for its status answer during the flood.
const OPERATOR_ANSWER_BOUND: Duration = Duration::from_secs(3);
/// Time for the whole flood to reach the node (handshake crypto is slow in a
/// debug build) before the operator asks.
const FLOOD_LANDING: Duration = Duration::from_secs(2);

/// A UDP socket that sends but never hears anything: every handshake it
/// starts stays half open on the server, the cheapest flood there is.
#[derive(Debug)]
struct DeafSocket(Arc<dyn AsyncUdpSocket>);

impl AsyncUdpSocket for DeafSocket {
    fn create_io_poller(self: Arc<Self>) -> Pin<Box<dyn UdpPoller>> {
        self.0.clone().create_io_poller()
    }

    fn try_send(&self, transmit: &Transmit) -> io::Result<()> {
        self.0.try_send(transmit)
    }

    fn poll_recv(
        &self,
        _cx: &mut Context,
        _bufs: &mut [IoSliceMut<'_>],
        _meta: &mut [RecvMeta],
    ) -> Poll<io::Result<usize>> {
        Poll::Pending
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }

    fn max_transmit_segments(&self) -> usize {
        self.0.max_transmit_segments()
    }
}

/// A client TLS configuration with no certificate at all. The server is
/// never heard, so its certificate is never checked either.
fn certless_client_config() -> quinn::ClientConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    tls.alpn_protocols = vec![ALPN.to_vec()];
    let quic_tls = quinn::crypto::rustls::QuicClientConfig::try_from(tls).unwrap();
    quinn::ClientConfig::new(Arc::new(quic_tls))
}

/// Starts `HANDSHAKES_PER_SOURCE` handshakes from one deaf socket and keeps
/// them (and the endpoint) alive until the returned value is dropped.
fn flood_from_one_source(target: SocketAddr) -> (Endpoint, Vec<quinn::Connecting>) {
    let runtime: Arc<dyn Runtime> = Arc::new(quinn::TokioRuntime);
    let std_socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let socket = Arc::new(DeafSocket(runtime.wrap_udp_socket(std_socket).unwrap()));
    let mut endpoint =
        Endpoint::new_with_abstract_socket(quinn::EndpointConfig::default(), None, socket, runtime)
            .unwrap();
    endpoint.set_default_client_config(certless_client_config());
    let handshakes = (0..HANDSHAKES_PER_SOURCE)
        .map(|_| endpoint.connect(target, "node-1.test.cordon").unwrap())
        .collect();
    (endpoint, handshakes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certless_handshakes_do_not_lock_out_the_operator() {
    // Phase 1: a running cluster of three; node 1 is the target.
    let cluster = LocalCluster::start(3).await;
    cluster.wait_for_leader(0).await;
    let target: SocketAddr = cluster.config.node(1).unwrap().quic_addr;
    let certs = &cluster.config.tls().cert_dir;
    let ca = CertPaths::ca_cert(certs);

    // Phase 2: 300 handshakes without a client certificate, from 30 source
    // addresses, none of which will ever finish; give them time to land.
    let flood: Vec<_> = (0..FLOOD_SOURCES)
        .map(|_| flood_from_one_source(target))
        .collect();
    tokio::time::sleep(FLOOD_LANDING).await;

    // Phase 3: the operator still gets a status answer, within the bound.
    let operator = client(&TlsIdentity::load("test", PeerIdentity::Operator, &ca, certs).unwrap());
    let started = Instant::now();
    let answer = operator
        .call(1, target, Request::Status, OPERATOR_ANSWER_BOUND)
        .await;
    assert!(
        matches!(answer, Ok(Response::Status(_))),
        "the operator must be answered during the flood, got {answer:?}"
    );
    assert!(started.elapsed() <= OPERATOR_ANSWER_BOUND);

    // Phase 4: a member is answered too: node 1 still has a quorum behind it.
    let node_two = client(&TlsIdentity::load("test", PeerIdentity::Node(2), &ca, certs).unwrap());
    let answer = node_two
        .call(1, target, Request::Ping, OPERATOR_ANSWER_BOUND)
        .await;
    assert!(answer.is_ok(), "a member must be answered, got {answer:?}");

    drop(flood);
    for node in cluster.nodes.iter().flatten() {
        node.shutdown().await;
    }
}
