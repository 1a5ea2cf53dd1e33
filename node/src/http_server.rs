//! The HTTP server loop of the API: hyper driven by hand (rather than
//! `axum::serve`) so that a node stays up under abuse.
//!
//! - `limits.api_connections_max`: connections open at once; one more is
//!   answered 503 naming the limit and closed.
//! - `limits.api_header_read_timeout_ms`: once a client starts a request,
//!   its head must arrive within this time, or it is answered 408 naming the
//!   limit and the connection is closed (slowloris).
//! - `limits.api_idle_timeout_ms`: a kept-alive connection with no request
//!   in flight is closed after this long without a new request.
//! - The body deadline and size cap are checked per request by
//!   [`crate::api`]'s guard (408 / 413).
//!
//! - HTTPS (the default; `cordon run --insecure-http` serves plain HTTP):
//!   the TLS handshake must finish within `api_header_read_timeout_ms`; a
//!   client that speaks plain HTTP to it is answered 400 in plain text,
//!   saying to use `https://`. Over TLS a connection over the cap, or a
//!   late head, is closed without an answer (there is no TLS session to
//!   answer in).
//!
//! Shutdown stops accepting, asks every connection to close after its
//! current response (event streams end on the same signal), and waits at
//! most [`SHUTDOWN_DRAIN_MS`] before dropping what is left.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use cordon_config::Limits;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;

/// How long shutdown waits for open connections to finish their response.
pub const SHUTDOWN_DRAIN_MS: u64 = 2_000;
/// Connections being refused (answered 503) at once; beyond it a
/// connection over `api_connections_max` is closed without an answer.
const REFUSALS_INFLIGHT_MAX: usize = 64;
/// How long a refused or timed-out connection gets to take its answer.
const ANSWER_WRITE_TIMEOUT_MS: u64 = 1_000;
/// How long a refused connection may take to send its request head, which
/// is read (and dropped) so that closing does not reset the answer away.
const REFUSAL_READ_TIMEOUT_MS: u64 = 100;
/// Pause after a failed accept (e.g. out of file descriptors).
const ACCEPT_RETRY_MS: u64 = 50;

/// The connection limits of [`serve`], from the cluster file's `[limits]`.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    /// `limits.api_connections_max`.
    pub connections_max: usize,
    /// `limits.api_header_read_timeout_ms`.
    pub header_read_timeout: Duration,
    /// `limits.api_idle_timeout_ms`.
    pub idle_timeout: Duration,
}

impl ConnectionLimits {
    /// The connection limits of the cluster file's `[limits]`.
    pub fn new(limits: &Limits) -> ConnectionLimits {
        ConnectionLimits {
            connections_max: limits.api_connections_max as usize,
            header_read_timeout: Duration::from_millis(limits.api_header_read_timeout_ms),
            idle_timeout: Duration::from_millis(limits.api_idle_timeout_ms),
        }
    }
}

/// Serves `app` on `listener` (over TLS when `tls` is given) until
/// `shutdown` turns true, then drains.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: watch::Receiver<bool>,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    let permits = Arc::new(Semaphore::new(limits.connections_max));
    let refusals = Arc::new(Semaphore::new(REFUSALS_INFLIGHT_MAX));
    let mut tasks = JoinSet::new();
    let mut stopping = shutdown.clone();
    loop {
        tokio::select! {
            _ = stopping.wait_for(|stopping| *stopping) => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        tracing::warn!(%error, "http accept failed; retrying");
                        tokio::time::sleep(Duration::from_millis(ACCEPT_RETRY_MS)).await;
                        continue;
                    }
                };
                if let Ok(permit) = permits.clone().try_acquire_owned() {
                    let connection = Connection { peer, app: app.clone(), limits, _permit: permit };
                    tasks.spawn(connection.run(stream, shutdown.clone(), tls.clone()));
                } else if tls.is_some() {
                    drop(stream);
                } else if let Ok(permit) = refusals.clone().try_acquire_owned() {
                    tasks.spawn(refuse_connection(stream, limits.connections_max, permit));
                }
            }
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(Duration::from_millis(SHUTDOWN_DRAIN_MS), async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open = tasks.len(),
            "http connections still open after {SHUTDOWN_DRAIN_MS} ms of shutdown: dropping them"
        );
    }
}

/// Answers a connection over `api_connections_max` with a 503 and closes it.
async fn refuse_connection(
    mut stream: TcpStream,
    connections_max: usize,
    _permit: OwnedSemaphorePermit,
) {
    let mut head = [0_u8; 4096];
    let _ = tokio::time::timeout(
        Duration::from_millis(REFUSAL_READ_TIMEOUT_MS),
        stream.read(&mut head),
    )
    .await;
    let answer = raw_answer(
        "503 Service Unavailable",
        "busy",
        &format!(
            "this node has limits.api_connections_max = {connections_max} connections open: \
             retry shortly, or ask another node"
        ),
    );
    write_answer(stream, &answer).await;
}

/// A complete HTTP/1.1 answer with a JSON error body that closes the connection.
fn raw_answer(status: &str, code: &str, message: &str) -> Vec<u8> {
    let body = serde_json::to_string(&cordon_api::ApiError {
        code: code.to_string(),
        message: message.to_string(),
    })
    .unwrap_or_default();
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Writes `answer` (bounded in time) and closes the connection.
async fn write_answer(mut stream: TcpStream, answer: &[u8]) {
    let _ = tokio::time::timeout(Duration::from_millis(ANSWER_WRITE_TIMEOUT_MS), async {
        stream.write_all(answer).await?;
        stream.shutdown().await
    })
    .await;
}

/// One accepted connection, holding its place under `api_connections_max`.
struct Connection {
    peer: SocketAddr,
    app: Router,
    limits: ConnectionLimits,
    _permit: OwnedSemaphorePermit,
}

/// The client certificate (DER) a TLS client proved it holds the key of;
/// the API reads its principal after verifying it against the cluster CA.
#[derive(Clone, Debug)]
pub struct PeerCertificate(pub Arc<Vec<u8>>);

/// Why the server ended a connection itself.
enum Expired {
    /// A request head took longer than `api_header_read_timeout_ms`.
    Head,
    /// No request for `api_idle_timeout_ms`.
    Idle,
}

impl Connection {
    /// Serves requests until the client closes, a deadline expires or the
    /// node shuts down.
    async fn run(
        self,
        stream: TcpStream,
        shutdown: watch::Receiver<bool>,
        tls: Option<tokio_rustls::TlsAcceptor>,
    ) {
        let _ = stream.set_nodelay(true);
        if let Some(acceptor) = tls {
            if let Some(stream) = self.handshake(stream, acceptor).await {
                let peer_certificate = stream
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|chain| chain.first())
                    .map(|cert| PeerCertificate(Arc::new(cert.to_vec())));
                self.serve(stream, shutdown, peer_certificate).await;
            }
            return;
        }
        // A second handle on the socket, to answer 408 after hyper gave it up.
        let Ok((stream, spare)) = split_handle(stream) else {
            return;
        };
        if let Some(Expired::Head) = self.serve(stream, shutdown, None).await {
            let timeout_ms = self.limits.header_read_timeout.as_millis();
            let answer = raw_answer(
                "408 Request Timeout",
                "header_timeout",
                &format!(
                    "the request head did not arrive within limits.api_header_read_timeout_ms = \
                     {timeout_ms}: send the whole head at once"
                ),
            );
            if let Ok(spare) = TcpStream::from_std(spare) {
                write_answer(spare, &answer).await;
            }
        }
    }

    /// The TLS handshake, within the head deadline. A client that sends
    /// plain HTTP (its first byte is a letter, a TLS hello's is 0x16) is
    /// told in plain HTTP to use https.
    async fn handshake(
        &self,
        stream: TcpStream,
        acceptor: tokio_rustls::TlsAcceptor,
    ) -> Option<tokio_rustls::server::TlsStream<TcpStream>> {
        let deadline = self.limits.header_read_timeout;
        let mut first = [0_u8; 1];
        let peeked = tokio::time::timeout(deadline, stream.peek(&mut first)).await;
        if !matches!(peeked, Ok(Ok(1))) {
            return None;
        }
        if first[0].is_ascii_alphabetic() {
            let answer = raw_answer(
                "400 Bad Request",
                "https_required",
                "this node serves its API over HTTPS: use https:// with the cluster CA \
                 (tls.ca_cert), or start the nodes with --insecure-http on a trusted network",
            );
            write_answer(stream, &answer).await;
            return None;
        }
        match tokio::time::timeout(deadline, acceptor.accept(stream)).await {
            Ok(Ok(stream)) => Some(stream),
            Ok(Err(error)) => {
                tracing::debug!(peer = %self.peer, %error, "api tls handshake failed");
                None
            }
            Err(_) => None,
        }
    }

    /// Serves hyper on `stream` (whose client proved `peer_certificate`, if
    /// any); says which deadline ended it, if one did.
    async fn serve<S>(
        &self,
        stream: S,
        mut shutdown: watch::Receiver<bool>,
        peer_certificate: Option<PeerCertificate>,
    ) -> Option<Expired>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(WatchedIo {
            inner: stream,
            activity: activity.clone(),
        });
        let (app, peer, watched) = (self.app.clone(), self.peer, activity.clone());
        let service = hyper::service::service_fn(move |mut request: hyper::Request<_>| {
            if let Some(certificate) = &peer_certificate {
                request.extensions_mut().insert(certificate.clone());
            }
            handle(app.clone(), peer, watched.clone(), request)
        });
        let mut connection =
            Box::pin(hyper::server::conn::http1::Builder::new().serve_connection(io, service));
        let mut closing = false;
        loop {
            tokio::select! {
                _ = connection.as_mut() => return None,
                _ = shutdown.wait_for(|stopping| *stopping), if !closing => {
                    closing = true;
                    connection.as_mut().graceful_shutdown();
                }
                expired = activity.expired(self.limits) => return Some(expired),
            }
        }
    }
}

/// The socket twice: the tokio stream hyper serves, and a duplicate handle.
fn split_handle(stream: TcpStream) -> std::io::Result<(TcpStream, std::net::TcpStream)> {
    let stream = stream.into_std()?;
    let spare = stream.try_clone()?;
    Ok((TcpStream::from_std(stream)?, spare))
}

/// One request: tagged with the client's address, counted as in flight
/// until its response body is done.
async fn handle(
    mut app: Router,
    peer: SocketAddr,
    activity: Arc<Activity>,
    mut request: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<Body>, std::convert::Infallible> {
    let in_flight = InFlight::begin(activity);
    request.extensions_mut().insert(ConnectInfo(peer));
    let response = tower_service::Service::call(&mut app, request.map(Body::new)).await?;
    Ok(response.map(|body| {
        Body::new(TrackedBody {
            body,
            _in_flight: in_flight,
        })
    }))
}

/// Where a connection is between requests.
#[derive(Clone, Copy, Debug)]
enum Phase {
    /// Waiting for a request since this instant.
    Idle(Instant),
    /// The first bytes of a request head arrived at this instant.
    Head(Instant),
    /// This many requests are in flight (their responses not yet done).
    Busy(u32),
}

/// A connection's phase, shared by its reader, its service and its watch.
struct Activity {
    phase: Mutex<Phase>,
    changed: Notify,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            phase: Mutex::new(Phase::Idle(Instant::now())),
            changed: Notify::new(),
        }
    }

    fn update(&self, change: impl FnOnce(Phase) -> Phase) {
        let mut phase = self.phase.lock().unwrap_or_else(|e| e.into_inner());
        *phase = change(*phase);
        drop(phase);
        self.changed.notify_waiters();
    }

    fn phase(&self) -> Phase {
        *self.phase.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Resolves when a head or an idle wait outlasts its deadline.
    async fn expired(&self, limits: ConnectionLimits) -> Expired {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let (deadline, why) = match self.phase() {
                Phase::Idle(since) => (since + limits.idle_timeout, Expired::Idle),
                Phase::Head(since) => (since + limits.header_read_timeout, Expired::Head),
                Phase::Busy(_) => {
                    changed.await;
                    continue;
                }
            };
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => return why,
                () = changed => {}
            }
        }
    }
}

/// Marks a request in flight until dropped (with its response body).
struct InFlight(Arc<Activity>);

impl InFlight {
    fn begin(activity: Arc<Activity>) -> InFlight {
        activity.update(|phase| match phase {
            Phase::Busy(count) => Phase::Busy(count + 1),
            Phase::Idle(_) | Phase::Head(_) => Phase::Busy(1),
        });
        InFlight(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.update(|phase| match phase {
            Phase::Busy(count) if count > 1 => Phase::Busy(count - 1),
            _ => Phase::Idle(Instant::now()),
        });
    }
}

/// A response body that keeps its request in flight until it is done.
struct TrackedBody {
    body: Body,
    _in_flight: InFlight,
}

impl http_body::Body for TrackedBody {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// The socket as hyper reads it: the first bytes read while idle start the
/// request head's deadline.
struct WatchedIo<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S: AsyncRead + Unpin> AsyncRead for WatchedIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before && matches!(self.activity.phase(), Phase::Idle(_)) {
            self.activity.update(|phase| match phase {
                Phase::Idle(_) => Phase::Head(Instant::now()),
                other => other,
            });
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WatchedIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
