//! The QUIC transport: one endpoint per node, mutual TLS, one connection per
//! peer shared by both directions, one bidirectional stream per request.
//!
//! Handshakes are bounded ([`crate::handshake`]): a connection slot is
//! taken only once the peer's certificate is verified, so peers without
//! one cannot crowd out members and operators.
//!
//! Dead peers are detected from request deadlines, never from connection
//! state: a connection can look alive through a one-way cut. A request that
//! misses its deadline closes the cached connection so the next request dials
//! afresh. The UDP socket under quinn is injectable
//! ([`TransportConfig::socket`]) so tests can put a faulty or simulated
//! network beneath the real QUIC stack.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use quinn::{AsyncUdpSocket, Connection, Endpoint, Incoming};
use tokio::sync::Semaphore;
use tracing::Instrument;

use crate::codec::{self, CodecError};
use crate::handshake::{Admission, HandshakeGate, HandshakeLimits, HandshakeTicket};
use crate::tls::{self, PeerIdentity, TlsError, TlsIdentity};
use crate::types::NodeId;
use crate::wire::{Refusal, Request, RequestFrame, Response, WIRE_VERSION};

/// quinn's first RTT estimate, before any measurement.
const QUIC_INITIAL_RTT_MS: u64 = 50;

/// Missed request deadlines in a row after which a connection is redialled.
/// Raft's append deadlines are short (about a heartbeat), so one miss under
/// a slow fsync must not tear the connection down.
const MISSED_DEADLINES_BEFORE_REDIAL: u32 = 3;

/// Serves requests that arrive on the transport.
pub trait RequestHandler: Send + Sync + 'static {
    /// Answers one request from an authenticated peer.
    fn handle(
        &self,
        peer: PeerIdentity,
        request: Request,
    ) -> Pin<Box<dyn Future<Output = Response> + Send + 'static>>;
}

/// Why a request got no answer.
#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    /// No connection could be made.
    #[error("connect to {target} at {addr}: {reason}")]
    Unreachable {
        /// The peer's name.
        target: String,
        /// Its address.
        addr: String,
        /// What failed.
        reason: String,
    },
    /// The deadline passed; the request may or may not have been served.
    #[error("no answer from {target} within {after_ms} ms")]
    Timeout {
        /// The peer's name.
        target: String,
        /// The deadline.
        after_ms: u64,
    },
    /// The stream failed mid-request.
    #[error("request to {target}: {reason}")]
    Stream {
        /// The peer's name.
        target: String,
        /// What failed.
        reason: String,
    },
    /// The peer refused the request.
    #[error("{target} refused: {refusal}")]
    Refused {
        /// The peer's name.
        target: String,
        /// Its reason.
        refusal: Refusal,
    },
}

/// Errors starting the transport.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// TLS could not be configured.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The socket could not be bound.
    #[error("bind quic endpoint on {addr}: {source} (fix: free the port or change quic_addr)")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// quinn refused the TLS configuration.
    #[error("configure quic: {0}")]
    Quic(String),
}

/// Settings of one endpoint.
pub struct TransportConfig {
    /// Where to listen (nodes) or bind (operator clients, use port 0).
    pub bind_addr: SocketAddr,
    /// Largest frame read.
    pub frame_bytes_max: usize,
    /// QUIC idle timeout.
    pub idle_timeout: Duration,
    /// QUIC keep-alive period.
    pub keep_alive: Duration,
    /// Incoming connections served at once, counted from the moment the
    /// peer's certificate is verified.
    pub connections_max: usize,
    /// Bounds on incoming handshakes in flight.
    pub handshakes: HandshakeLimits,
    /// Streams a peer may open at once on one connection.
    pub streams_per_connection_max: u32,
    /// Deadline of a QUIC handshake, independent of the request that needed
    /// it: a dial outlives a short request deadline so the next request
    /// finds the connection ready.
    pub connect_timeout: Duration,
    /// A socket to use instead of binding a real UDP socket.
    pub socket: Option<Arc<dyn AsyncUdpSocket>>,
    /// Seed of the endpoint's randomness (connection ids, reset tokens);
    /// `None` draws from the OS. Set by the deterministic simulation.
    pub rng_seed: Option<[u8; 32]>,
}

/// One QUIC endpoint with its connection cache.
pub struct Transport {
    endpoint: Endpoint,
    identity: PeerIdentity,
    cluster: String,
    frame_bytes_max: usize,
    connections: Mutex<HashMap<SocketAddr, Connection>>,
    /// Per address: the failure detector's count for the connection in use
    /// there. Reset by any answer and started afresh for a new connection.
    missed_deadlines: Mutex<HashMap<SocketAddr, MissedDeadlines>>,
    connect_timeout: Duration,
    /// One dial at a time per address, so concurrent requests share a connection.
    dialing: Mutex<HashMap<SocketAddr, Arc<tokio::sync::Mutex<()>>>>,
    handler: OnceLock<Arc<dyn RequestHandler>>,
    connection_slots: Arc<Semaphore>,
    connections_max: usize,
    handshakes: HandshakeGate,
}

impl Transport {
    /// Binds the endpoint. Nodes serve requests once [`Transport::serve`] is
    /// called with a handler; operator clients never serve.
    pub fn bind(
        identity: &TlsIdentity,
        config: TransportConfig,
    ) -> Result<Arc<Transport>, TransportError> {
        let mut transport_config = quinn::TransportConfig::default();
        transport_config
            .max_idle_timeout(Some(
                quinn::IdleTimeout::try_from(config.idle_timeout)
                    .map_err(|e| TransportError::Quic(e.to_string()))?,
            ))
            .keep_alive_interval(Some(config.keep_alive))
            .max_concurrent_bidi_streams(config.streams_per_connection_max.into())
            .max_concurrent_uni_streams(0u32.into())
            // quinn's 333 ms default suits the Internet; district and station
            // servers share a LAN, and handshakes must fit in RPC deadlines.
            .initial_rtt(Duration::from_millis(QUIC_INITIAL_RTT_MS));
        let transport_config = Arc::new(transport_config);

        let server_tls =
            quinn::crypto::rustls::QuicServerConfig::try_from(identity.server_config()?)
                .map_err(|e| TransportError::Quic(e.to_string()))?;
        let mut server_config = quinn::ServerConfig::with_crypto(Arc::new(server_tls));
        server_config.transport_config(transport_config.clone());
        let client_tls =
            quinn::crypto::rustls::QuicClientConfig::try_from(identity.client_config()?)
                .map_err(|e| TransportError::Quic(e.to_string()))?;
        let mut client_config = quinn::ClientConfig::new(Arc::new(client_tls));
        client_config.transport_config(transport_config);

        let runtime: Arc<dyn quinn::Runtime> = Arc::new(quinn::TokioRuntime);
        let socket = match config.socket {
            Some(socket) => socket,
            None => {
                let bind_err = |source| TransportError::Bind {
                    addr: config.bind_addr,
                    source,
                };
                let std_socket = bind_udp(config.bind_addr).map_err(bind_err)?;
                runtime.wrap_udp_socket(std_socket).map_err(bind_err)?
            }
        };
        let serves = matches!(identity.holder, PeerIdentity::Node(_));
        let mut endpoint_config = restart_stable_endpoint(identity);
        endpoint_config.rng_seed(config.rng_seed);
        let mut endpoint = Endpoint::new_with_abstract_socket(
            endpoint_config,
            serves.then_some(server_config),
            socket,
            runtime,
        )
        .map_err(|source| TransportError::Bind {
            addr: config.bind_addr,
            source,
        })?;
        endpoint.set_default_client_config(client_config);
        Ok(Arc::new(Transport {
            endpoint,
            identity: identity.holder,
            cluster: identity.cluster.clone(),
            frame_bytes_max: config.frame_bytes_max,
            connections: Mutex::new(HashMap::new()),
            missed_deadlines: Mutex::new(HashMap::new()),
            connect_timeout: config.connect_timeout,
            dialing: Mutex::new(HashMap::new()),
            handler: OnceLock::new(),
            connection_slots: Arc::new(Semaphore::new(config.connections_max)),
            connections_max: config.connections_max,
            handshakes: HandshakeGate::new(config.handshakes),
        }))
    }

    /// The address the endpoint is bound to.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.endpoint.local_addr()
    }

    /// Who this endpoint is.
    pub fn identity(&self) -> PeerIdentity {
        self.identity
    }

    /// Open connections by peer address, with quinn's current RTT estimate.
    pub fn connection_stats(&self) -> Vec<(SocketAddr, Duration)> {
        let connections = self.connections.lock().unwrap_or_else(|p| p.into_inner());
        connections
            .iter()
            .filter(|(_, connection)| connection.close_reason().is_none())
            .map(|(addr, connection)| (*addr, connection.rtt()))
            .collect()
    }

    /// Starts accepting connections and serving requests with `handler`.
    pub fn serve(self: &Arc<Self>, handler: Arc<dyn RequestHandler>) {
        if self.handler.set(handler).is_err() {
            tracing::warn!("transport already serving; second serve ignored");
            return;
        }
        let transport = self.clone();
        tokio::spawn(async move { transport.accept_loop().await });
    }

    /// Stops the endpoint: open connections are closed at once, then waits
    /// (bounded) for peers to learn of it so the socket can be released.
    pub async fn close(&self) {
        self.endpoint.close(0u32.into(), b"node stopping");
        let _ = tokio::time::timeout(Duration::from_secs(1), self.endpoint.wait_idle()).await;
        // Tasks may still hold the endpoint for a moment; move it to a
        // throwaway port so a restarted node can bind the real one at once.
        // quinn keeps the previous socket until traffic arrives on the new
        // one, so rebind twice to let go of the original.
        if let Ok(local) = self.endpoint.local_addr() {
            for _ in 0..2 {
                let throwaway = SocketAddr::new(local.ip(), 0);
                let rebound = std::net::UdpSocket::bind(throwaway)
                    .and_then(|socket| self.endpoint.rebind(socket));
                if let Err(error) = rebound {
                    tracing::warn!(%error, "move stopped endpoint off its port");
                }
            }
        }
        self.connections
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Admits each connection attempt through the handshake gate: started,
    /// sent a retry token, or refused with the limit it reached.
    async fn accept_loop(self: Arc<Self>) {
        while let Some(incoming) = self.endpoint.accept().await {
            let remote = incoming.remote_address();
            match self
                .handshakes
                .admit(remote, incoming.remote_address_validated())
            {
                Admission::Start(ticket) => {
                    tokio::spawn(self.clone().handshake(incoming, ticket));
                }
                Admission::Retry => {
                    tracing::debug!(%remote, "handshakes piling up: asking an unvalidated source for a retry token");
                    if let Err(error) = incoming.retry() {
                        error.into_incoming().refuse();
                    }
                }
                Admission::Refuse(refusal) => {
                    tracing::debug!(%remote, %refusal, "refusing handshake");
                    incoming.refuse();
                }
            }
        }
    }

    /// Runs one admitted handshake to its end (at most the handshake
    /// timeout) and serves the peer if its certificate names one we know
    /// and a connection slot is free.
    async fn handshake(self: Arc<Self>, incoming: Incoming, ticket: HandshakeTicket) {
        let remote = incoming.remote_address();
        let connecting = match incoming.accept() {
            Ok(connecting) => connecting,
            Err(error) => {
                tracing::debug!(%remote, %error, "incoming handshake failed");
                return;
            }
        };
        let timeout = self.handshakes.limits().timeout;
        // Dropping an unfinished handshake closes it.
        let connection = match tokio::time::timeout(timeout, connecting).await {
            Ok(Ok(connection)) => connection,
            Ok(Err(error)) => {
                tracing::debug!(%remote, %error, "incoming handshake failed");
                return;
            }
            Err(_) => {
                tracing::debug!(%remote, "dropping handshake: not done within limits.quic_handshake_timeout_ms ({} ms)", timeout.as_millis());
                return;
            }
        };
        drop(ticket);
        let Some(peer) = self.known_peer(&connection) else {
            return;
        };
        // The certificate is verified: only now does the peer take a slot.
        let Ok(slot) = self.connection_slots.clone().try_acquire_owned() else {
            tracing::warn!(%remote, %peer, "closing connection: limits.quic_connections_max ({}) reached", self.connections_max);
            connection.close(4u32.into(), b"quic_connections_max reached");
            return;
        };
        self.adopt(connection, peer, true, slot).await;
    }

    /// The member or operator `connection`'s certificate names, or `None`
    /// after closing a connection whose certificate names nobody we know.
    fn known_peer(&self, connection: &Connection) -> Option<PeerIdentity> {
        let peer = self.peer_identity(connection);
        if peer.is_none() {
            tracing::warn!(remote = %connection.remote_address(), "closing connection: certificate names no member of this cluster");
            connection.close(1u32.into(), b"unknown identity");
        }
        peer
    }

    /// Serves the streams `peer` opens on `connection` (in either direction).
    async fn adopt(
        self: Arc<Self>,
        connection: Connection,
        peer: PeerIdentity,
        incoming: bool,
        slot: tokio::sync::OwnedSemaphorePermit,
    ) {
        let remote = connection.remote_address();
        let span = tracing::info_span!("connection", %peer, %remote, incoming);
        if incoming {
            self.close_at_certificate_expiry(&connection);
        }
        async move {
            tracing::debug!("connection established");
            if incoming {
                if let PeerIdentity::Node(_) = peer {
                    // Reuse the peer's connection for our own requests to it.
                    self.cache_connection_for_peer(peer, &connection);
                }
            }
            loop {
                let (send, recv) = match connection.accept_bi().await {
                    Ok(streams) => streams,
                    Err(error) => {
                        tracing::debug!(%error, "connection ended");
                        break;
                    }
                };
                let transport = self.clone();
                tokio::spawn(
                    async move { transport.serve_stream(peer, send, recv).await }.in_current_span(),
                );
            }
            drop(slot);
        }
        .instrument(span)
        .await
    }

    fn cache_connection_for_peer(&self, _peer: PeerIdentity, connection: &Connection) {
        // Keyed by the address the peer dials from, which is its listening
        // address because a node uses one endpoint for both directions.
        let mut connections = self.connections.lock().unwrap_or_else(|p| p.into_inner());
        connections
            .entry(connection.remote_address())
            .or_insert_with(|| connection.clone());
    }

    /// Closes `connection` when the peer's certificate expires. rustls
    /// checks validity only at the handshake, and a connection kept alive
    /// could otherwise carry a peer whose certificate expired (or was
    /// meant to be rotated out) for as long as the network holds; closed,
    /// the next dial meets the handshake's check and is refused.
    fn close_at_certificate_expiry(&self, connection: &Connection) {
        let not_after = connection
            .peer_identity()
            .and_then(|identity| {
                identity
                    .downcast::<Vec<rustls::pki_types::CertificateDer<'static>>>()
                    .ok()
            })
            .and_then(|certs| tls::certificate_not_after(certs.first()?));
        let Some(not_after) = not_after else {
            return;
        };
        let connection = connection.clone();
        tokio::spawn(async move {
            let valid_for = not_after
                .duration_since(std::time::SystemTime::now())
                .unwrap_or_default();
            tokio::select! {
                _ = connection.closed() => {}
                _ = tokio::time::sleep(valid_for) => {
                    tracing::warn!(remote = %connection.remote_address(), "closing connection: the peer's certificate expired");
                    connection.close(2u32.into(), b"certificate expired");
                }
            }
        });
    }

    fn peer_identity(&self, connection: &Connection) -> Option<PeerIdentity> {
        let identity = connection.peer_identity()?;
        let certs = identity
            .downcast::<Vec<rustls::pki_types::CertificateDer<'static>>>()
            .ok()?;
        tls::identity_from_certificate(&self.cluster, certs.first()?)
    }

    async fn serve_stream(
        self: Arc<Self>,
        peer: PeerIdentity,
        mut send: quinn::SendStream,
        mut recv: quinn::RecvStream,
    ) {
        let frame: RequestFrame = match codec::read_frame(&mut recv, self.frame_bytes_max).await {
            Ok(frame) => frame,
            Err(error) => {
                tracing::warn!(%error, "dropping malformed request");
                let _ = send.reset(2u32.into());
                return;
            }
        };
        let response = if frame.version != WIRE_VERSION {
            Response::Refused(Refusal::VersionMismatch {
                ours: WIRE_VERSION,
                theirs: frame.version,
            })
        } else {
            let span = tracing::info_span!("rpc", request = frame.request.name(), %peer);
            crate::trace::set_remote_parent(&span, frame.traceparent.as_deref());
            match self.handler.get() {
                Some(handler) => handler.handle(peer, frame.request).instrument(span).await,
                None => Response::Refused(Refusal::NotReady),
            }
        };
        if let Err(error) = codec::write_frame(&mut send, &response).await {
            tracing::debug!(%error, "peer went away before the answer");
            return;
        }
        let _ = send.finish();
    }

    /// Counts a missed deadline only when nothing arrived on the connection
    /// since the last count: a slow answer on a live connection is not a
    /// dead peer. Any answer resets the count. Requests that miss their
    /// deadlines together (as after a stall of this process, before the
    /// endpoint has read what arrived) count once. The count belongs to one
    /// connection: a redialled connection starts from zero, or one old
    /// connection's misses would condemn every new one at its first miss
    /// (the reconnect storm of a lossy link). Returns the misses in a row.
    fn count_missed_deadline(
        &self,
        addr: SocketAddr,
        connection: &Connection,
        deadline: Duration,
    ) -> u32 {
        let mut missed_deadlines = self
            .missed_deadlines
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let received = connection.stats().udp_rx.datagrams;
        let now = tokio::time::Instant::now();
        let fresh = MissedDeadlines {
            connection_id: connection.stable_id(),
            in_a_row: 0,
            datagrams_seen: received,
            counted_at: now,
        };
        let state = missed_deadlines.entry(addr).or_insert(fresh);
        if state.connection_id != connection.stable_id() {
            *state = fresh;
        }
        state.count(received, now, deadline);
        state.in_a_row
    }

    /// Any answer proves the connection at `addr` alive: its count starts over.
    fn note_answer(&self, addr: SocketAddr) {
        self.missed_deadlines
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&addr);
    }

    fn cached(&self, addr: SocketAddr) -> Option<Connection> {
        let mut connections = self.connections.lock().unwrap_or_else(|p| p.into_inner());
        match connections.get(&addr) {
            Some(connection) if connection.close_reason().is_none() => Some(connection.clone()),
            Some(_) => {
                connections.remove(&addr);
                None
            }
            None => None,
        }
    }

    fn forget(&self, addr: SocketAddr, connection: &Connection) {
        let mut connections = self.connections.lock().unwrap_or_else(|p| p.into_inner());
        if connections
            .get(&addr)
            .is_some_and(|cached| cached.stable_id() == connection.stable_id())
        {
            connections.remove(&addr);
        }
    }

    /// The cached connection to `addr`, or a new one. The dial runs in its
    /// own task with `connect_timeout`; the caller waits only until its own
    /// deadline, and a later request finds the connection the dial made.
    async fn connection(
        self: &Arc<Self>,
        target: NodeId,
        addr: SocketAddr,
        deadline: Duration,
    ) -> Result<Connection, RpcError> {
        if let Some(connection) = self.cached(addr) {
            return Ok(connection);
        }
        let dial = tokio::spawn(self.clone().dial(target, addr));
        match tokio::time::timeout(deadline, dial).await {
            Ok(Ok(result)) => result,
            Ok(Err(join_error)) => Err(RpcError::Unreachable {
                target: format!("node-{target}"),
                addr: addr.to_string(),
                reason: join_error.to_string(),
            }),
            Err(_) => Err(RpcError::Unreachable {
                target: format!("node-{target}"),
                addr: addr.to_string(),
                reason: format!(
                    "handshake not done within {} ms; still dialling",
                    deadline.as_millis()
                ),
            }),
        }
    }

    async fn dial(
        self: Arc<Self>,
        target: NodeId,
        addr: SocketAddr,
    ) -> Result<Connection, RpcError> {
        // One dial at a time per address; waiters then find it cached.
        let gate = {
            let mut dialing = self.dialing.lock().unwrap_or_else(|p| p.into_inner());
            dialing.entry(addr).or_default().clone()
        };
        let _dialing = gate.lock().await;
        if let Some(connection) = self.cached(addr) {
            return Ok(connection);
        }
        let unreachable = |reason: String| RpcError::Unreachable {
            target: format!("node-{target}"),
            addr: addr.to_string(),
            reason,
        };
        let server_name = tls::node_dns_name(&self.cluster, target);
        let connecting = self
            .endpoint
            .connect(addr, &server_name)
            .map_err(|e| unreachable(e.to_string()))?;
        let connection = tokio::time::timeout(self.connect_timeout, connecting)
            .await
            .map_err(|_| {
                unreachable(format!(
                    "handshake took over {} ms",
                    self.connect_timeout.as_millis()
                ))
            })?
            .map_err(|e| unreachable(e.to_string()))?;
        self.connections
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(addr, connection.clone());
        self.close_at_certificate_expiry(&connection);
        if let (PeerIdentity::Node(_), Ok(slot)) = (
            self.identity,
            self.connection_slots.clone().try_acquire_owned(),
        ) {
            // The peer may send its own requests on the connection we opened.
            if let Some(peer) = self.known_peer(&connection) {
                tokio::spawn(self.clone().adopt(connection.clone(), peer, false, slot));
            }
        }
        Ok(connection)
    }

    /// Sends one request to node `target` at `addr` and waits for its answer
    /// until `deadline`.
    pub async fn call(
        self: &Arc<Self>,
        target: NodeId,
        addr: SocketAddr,
        request: Request,
        deadline: Duration,
    ) -> Result<Response, RpcError> {
        let started = tokio::time::Instant::now();
        let connection = self.connection(target, addr, deadline).await?;
        let remaining = deadline.saturating_sub(started.elapsed());
        let frame = RequestFrame {
            version: WIRE_VERSION,
            traceparent: crate::trace::current_traceparent(),
            request,
        };
        let exchange = async {
            let (mut send, mut recv) = connection.open_bi().await.map_err(stream_error)?;
            codec::write_frame(&mut send, &frame).await?;
            send.finish().map_err(stream_error)?;
            codec::read_frame::<_, Response>(&mut recv, self.frame_bytes_max).await
        };
        let target_name = format!("node-{target}");
        let outcome = tokio::time::timeout(remaining, exchange).await;
        if outcome.is_ok() {
            self.note_answer(addr);
        }
        match outcome {
            Ok(Ok(Response::Refused(refusal))) => Err(RpcError::Refused {
                target: target_name,
                refusal,
            }),
            Ok(Ok(response)) => Ok(response),
            Ok(Err(error)) => {
                self.forget(addr, &connection);
                Err(RpcError::Stream {
                    target: target_name,
                    reason: error.to_string(),
                })
            }
            Err(_) => {
                // Missed deadlines are our failure detector: after a few in a
                // row the connection is presumed half dead; dial afresh.
                if self.count_missed_deadline(addr, &connection, deadline)
                    >= MISSED_DEADLINES_BEFORE_REDIAL
                {
                    self.forget(addr, &connection);
                    connection.close(3u32.into(), b"request deadlines missed");
                }
                Err(RpcError::Timeout {
                    target: target_name,
                    after_ms: deadline.as_millis() as u64,
                })
            }
        }
    }
}

/// The failure detector's state for the connection in use at one address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct MissedDeadlines {
    /// The connection counted ([`Connection::stable_id`]).
    connection_id: usize,
    /// Missed deadlines in a row with nothing received in between.
    in_a_row: u32,
    /// Datagrams the connection had received at the last count.
    datagrams_seen: u64,
    /// When the last miss was counted.
    counted_at: tokio::time::Instant,
}

impl MissedDeadlines {
    /// Counts one missed deadline of length `deadline`, missed at `now`.
    /// Datagrams received since the last count prove the connection alive
    /// and start the count again; a miss within one deadline of the last
    /// counted one belongs to the same silence and is not counted again.
    fn count(&mut self, datagrams_received: u64, now: tokio::time::Instant, deadline: Duration) {
        if datagrams_received > self.datagrams_seen {
            self.in_a_row = 0;
        } else if self.in_a_row > 0 && now.duration_since(self.counted_at) < deadline {
            return;
        }
        self.in_a_row += 1;
        self.datagrams_seen = datagrams_received;
        self.counted_at = now;
    }
}

/// An endpoint configuration whose connection ids and stateless-reset
/// tokens are keyed by the holder's identity, so they survive a restart
/// (see [`TlsIdentity::endpoint_secret`]).
fn restart_stable_endpoint(identity: &TlsIdentity) -> quinn::EndpointConfig {
    let reset_key = ring::hmac::Key::new(
        ring::hmac::HMAC_SHA256,
        &identity.endpoint_secret("stateless reset"),
    );
    let cid_secret = identity.endpoint_secret("connection ids");
    let mut cid_key = [0u8; 8];
    cid_key.copy_from_slice(&cid_secret[..8]);
    let cid_key = u64::from_le_bytes(cid_key);
    let mut endpoint_config = quinn::EndpointConfig::new(Arc::new(reset_key));
    endpoint_config.cid_generator(move || {
        Box::new(quinn_proto::HashedConnectionIdGenerator::from_key(cid_key))
    });
    endpoint_config
}

/// Binds a UDP socket, retrying briefly while the address is still held by
/// a stopped endpoint of this process whose driver is draining.
fn bind_udp(addr: SocketAddr) -> std::io::Result<std::net::UdpSocket> {
    let give_up = std::time::Instant::now() + Duration::from_secs(3);
    loop {
        match std::net::UdpSocket::bind(addr) {
            Err(error)
                if error.kind() == std::io::ErrorKind::AddrInUse
                    && std::time::Instant::now() < give_up =>
            {
                std::thread::sleep(Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

fn stream_error(error: impl std::fmt::Display) -> CodecError {
    CodecError::Io(std::io::Error::other(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEADLINE: Duration = Duration::from_millis(50);

    fn fresh(connection_id: usize, now: tokio::time::Instant) -> MissedDeadlines {
        MissedDeadlines {
            connection_id,
            in_a_row: 0,
            datagrams_seen: 0,
            counted_at: now,
        }
    }

    // A silent connection is condemned after three misses a deadline apart;
    // misses at the same moment count once, and anything received starts
    // the count again.
    #[test]
    fn misses_count_only_across_silence() {
        let start = tokio::time::Instant::now();
        let mut state = fresh(1, start);
        for _ in 0..5 {
            state.count(0, start, DEADLINE);
        }
        assert_eq!(state.in_a_row, 1, "misses of one stall count once");
        state.count(0, start + DEADLINE, DEADLINE);
        state.count(0, start + DEADLINE * 2, DEADLINE);
        assert_eq!(state.in_a_row, 3, "three silent deadlines in a row");
        state.count(7, start + DEADLINE * 3, DEADLINE);
        assert_eq!(state.in_a_row, 1, "a datagram received restarts the count");
    }
}
