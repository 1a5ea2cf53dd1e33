//! [`FaultySocket`]: a `quinn::AsyncUdpSocket` around quinn's own tokio UDP
//! socket that applies its network's link faults to every datagram.
//!
//! Sending: the link `local -> destination` decides each datagram's fate.
//! A lost or cut datagram is reported to quinn as sent; a delayed or
//! duplicated one is copied and sent from a tokio task after its delay; a
//! datagram held for reordering waits in a per-destination slot until the
//! next datagram to the same destination has gone (or
//! [`REORDER_HOLD_MS_MAX`] passed). quinn is told the socket sends one
//! datagram per transmit (no GSO), so faults apply per datagram.
//!
//! Receiving: datagrams from sockets of the same network were judged when
//! they were sent and pass untouched. Datagrams from anywhere else are
//! judged here by the link `source -> local`; when any of a batch is, the
//! batch is copied into an inbox, from which quinn receives delivered,
//! delayed and duplicated datagrams in turn.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::poll_fn;
use std::io::{self, IoSliceMut};
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{ready, Context, Poll, Waker};
use std::time::Duration;

use quinn::udp::{EcnCodepoint, RecvMeta, Transmit};
use quinn::{AsyncUdpSocket, Runtime, UdpPoller};
use rand::rngs::StdRng;
use rand::SeedableRng;

use super::fate::{decide, Fate, REORDER_HOLD_MS_MAX};
use super::FaultyNetwork;

/// Datagrams waiting in a socket's inbox for quinn to receive them; beyond
/// it, late arrivals are dropped (and counted as deferred failures).
pub const INBOX_DATAGRAMS_MAX: usize = 4_096;

/// Tries of a late send that finds the socket buffer full.
const DEFERRED_SEND_ATTEMPTS_MAX: u32 = 3;

/// Longest wait of a late send for the socket to become writable.
const DEFERRED_WRITABLE_WAIT_MS_MAX: u64 = 100;

/// The first byte's bit that marks a QUIC long header (Initial, Handshake,
/// 0-RTT, Retry): datagrams of connection set-up.
const QUIC_LONG_HEADER_BIT: u8 = 0x80;

/// A UDP socket whose datagrams suffer its [`FaultyNetwork`]'s faults.
pub struct FaultySocket {
    network: Arc<FaultyNetwork>,
    inner: Arc<dyn AsyncUdpSocket>,
    local_addr: SocketAddr,
    ordinal: u64,
    runtime: tokio::runtime::Handle,
    send_rng: Mutex<StdRng>,
    receive_rng: Mutex<StdRng>,
    /// Per destination, the datagram held back for reordering.
    held: Arc<Mutex<HashMap<SocketAddr, Held>>>,
    holds_made: AtomicU64,
    inbox: Arc<Mutex<Inbox>>,
}

impl fmt::Debug for FaultySocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultySocket")
            .field("local_addr", &self.local_addr)
            .field("ordinal", &self.ordinal)
            .finish_non_exhaustive()
    }
}

/// A datagram to send later, owning its bytes.
struct OutgoingDatagram {
    destination: SocketAddr,
    ecn: Option<EcnCodepoint>,
    src_ip: Option<IpAddr>,
    contents: Vec<u8>,
}

impl OutgoingDatagram {
    fn transmit(&self) -> Transmit<'_> {
        Transmit {
            destination: self.destination,
            ecn: self.ecn,
            contents: &self.contents,
            segment_size: None,
            src_ip: self.src_ip,
        }
    }
}

/// A datagram held back for reordering.
struct Held {
    /// Which hold this is, so the release timer of an earlier hold leaves it.
    hold: u64,
    datagram: OutgoingDatagram,
}

/// A received datagram waiting for quinn, owning its bytes.
struct IncomingDatagram {
    source: SocketAddr,
    ecn: Option<EcnCodepoint>,
    dst_ip: Option<IpAddr>,
    contents: Vec<u8>,
}

/// Received datagrams that faults delivered late (or copied), and the task
/// to wake when they are ready.
#[derive(Default)]
struct Inbox {
    ready: VecDeque<IncomingDatagram>,
    /// A datagram held back to be delivered after the next one.
    held: Option<(u64, IncomingDatagram)>,
    holds_made: u64,
    waker: Option<Waker>,
}

impl Inbox {
    /// Queues a datagram for quinn; false when the inbox is full.
    fn push(&mut self, datagram: IncomingDatagram) -> bool {
        if self.ready.len() >= INBOX_DATAGRAMS_MAX {
            return false;
        }
        self.ready.push_back(datagram);
        if let Some((_, held)) = self.held.take() {
            self.ready.push_back(held);
        }
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
        true
    }

    /// Moves ready datagrams into quinn's buffers, one per buffer.
    fn deliver(&mut self, bufs: &mut [IoSliceMut<'_>], meta: &mut [RecvMeta]) -> usize {
        let mut delivered = 0;
        for (buf, meta) in bufs.iter_mut().zip(meta.iter_mut()) {
            let Some(datagram) = self.ready.pop_front() else {
                break;
            };
            // quinn sizes each buffer for its largest datagram; a longer one
            // is truncated as the kernel would.
            let len = datagram.contents.len().min(buf.len());
            buf[..len].copy_from_slice(&datagram.contents[..len]);
            *meta = RecvMeta {
                addr: datagram.source,
                len,
                stride: len,
                ecn: datagram.ecn,
                dst_ip: datagram.dst_ip,
            };
            delivered += 1;
        }
        delivered
    }
}

impl FaultySocket {
    /// Binds a real UDP socket and joins `network`. The `ordinal` (creation
    /// order within the network) seeds this socket's fault decisions.
    pub(super) fn bind(
        network: Arc<FaultyNetwork>,
        bind_addr: SocketAddr,
        ordinal: u64,
    ) -> io::Result<FaultySocket> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|error| {
            io::Error::other(format!(
                "bind faulty socket on {bind_addr}: needs a tokio runtime ({error})"
            ))
        })?;
        let std_socket = std::net::UdpSocket::bind(bind_addr)?;
        let local_addr = canonical(std_socket.local_addr()?);
        let inner = quinn::TokioRuntime.wrap_udp_socket(std_socket)?;
        let seed = network.seed();
        network.join(local_addr, ordinal);
        Ok(FaultySocket {
            network,
            inner,
            local_addr,
            ordinal,
            runtime,
            send_rng: Mutex::new(StdRng::seed_from_u64(mix(seed, ordinal, 0))),
            receive_rng: Mutex::new(StdRng::seed_from_u64(mix(seed, ordinal, 1))),
            held: Arc::default(),
            holds_made: AtomicU64::new(0),
            inbox: Arc::default(),
        })
    }

    /// The address this socket is bound to.
    pub fn addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Sends one datagram according to its fate. Only a `WouldBlock` (or
    /// other error) on an immediate send is returned, so quinn retries it.
    fn send_one(&self, datagram: &Transmit<'_>, fate: Fate) -> io::Result<()> {
        let Fate::Delivered {
            delay,
            duplicate,
            held_for_reorder,
        } = fate
        else {
            // Lost or cut: quinn believes it was sent, as on a real network.
            return Ok(());
        };
        let held_now = held_for_reorder && self.hold(datagram);
        if !held_now {
            if delay.is_zero() {
                self.inner.try_send(datagram)?;
            } else {
                self.send_later(delay, owned(datagram));
            }
            // A datagram held on this link goes out right after this one.
            self.release_held(datagram.destination, delay);
        }
        if let Some(duplicate_delay) = duplicate {
            self.send_later(duplicate_delay, owned(datagram));
        }
        Ok(())
    }

    /// Holds `datagram` back unless one is already held for its destination.
    fn hold(&self, datagram: &Transmit<'_>) -> bool {
        let hold = self.holds_made.fetch_add(1, Ordering::Relaxed);
        {
            let mut held = lock(&self.held);
            if held.contains_key(&datagram.destination) {
                return false;
            }
            let datagram = owned(datagram);
            held.insert(datagram.destination, Held { hold, datagram });
        }
        // Sent anyway if no datagram follows on the link in time.
        let destination = datagram.destination;
        let held = Arc::downgrade(&self.held);
        let inner = Arc::downgrade(&self.inner);
        let network = self.network.clone();
        self.runtime.spawn(async move {
            tokio::time::sleep(Duration::from_millis(REORDER_HOLD_MS_MAX)).await;
            let Some(held) = held.upgrade() else {
                return;
            };
            let slot = {
                let mut held = lock(&held);
                if held.get(&destination).is_none_or(|slot| slot.hold != hold) {
                    return;
                }
                held.remove(&destination)
            };
            if let Some(slot) = slot {
                send_deferred(&inner, &network, &slot.datagram).await;
            }
        });
        true
    }

    fn release_held(&self, destination: SocketAddr, after: Duration) {
        let Some(slot) = lock(&self.held).remove(&destination) else {
            return;
        };
        // The datagram just sent went first; this one follows from a task.
        self.send_later(after, slot.datagram);
    }

    /// Sends `datagram` from a task after `delay`. The task holds the real
    /// socket weakly while it sleeps: once quinn lets go of this socket,
    /// late datagrams are lost and the port is free for a restarted node.
    fn send_later(&self, delay: Duration, datagram: OutgoingDatagram) {
        let inner = Arc::downgrade(&self.inner);
        let network = self.network.clone();
        self.runtime.spawn(async move {
            tokio::time::sleep(delay).await;
            send_deferred(&inner, &network, &datagram).await;
        });
    }

    /// Judges a received batch. Returns true when every datagram passes
    /// untouched (the batch can go to quinn as it is); otherwise the batch
    /// has been moved to the inbox, minus what the faults dropped.
    fn judge_received(&self, bufs: &[IoSliceMut<'_>], meta: &[RecvMeta]) -> bool {
        let links: Vec<_> = meta
            .iter()
            .map(|meta| {
                self.network
                    .link_judged_on_receive(canonical(meta.addr), self.local_addr)
                    .filter(|(faults, cut)| *cut || !faults.is_clear())
            })
            .collect();
        if links.iter().all(Option::is_none) {
            return true;
        }
        for ((buf, meta), link) in bufs.iter().zip(meta).zip(links) {
            let stride = meta.stride.clamp(1, meta.len.max(1));
            for contents in buf[..meta.len].chunks(stride) {
                let datagram = IncomingDatagram {
                    source: meta.addr,
                    ecn: meta.ecn,
                    dst_ip: meta.dst_ip,
                    contents: contents.to_vec(),
                };
                let fate = match link {
                    None => Fate::CLEAR,
                    Some((faults, cut)) => {
                        self.network
                            .counters
                            .judged_on_receive
                            .fetch_add(1, Ordering::Relaxed);
                        decide(&faults, cut, &mut *lock(&self.receive_rng))
                    }
                };
                self.network.counters.count(&fate);
                self.receive_one(datagram, fate);
            }
        }
        false
    }

    fn receive_one(&self, datagram: IncomingDatagram, fate: Fate) {
        let Fate::Delivered {
            delay,
            duplicate,
            held_for_reorder,
        } = fate
        else {
            return;
        };
        if let Some(duplicate_delay) = duplicate {
            let copy = IncomingDatagram {
                contents: datagram.contents.clone(),
                ..datagram
            };
            self.receive_later(duplicate_delay, copy);
        }
        if held_for_reorder {
            let mut inbox = lock(&self.inbox);
            if inbox.held.is_none() {
                let hold = inbox.holds_made;
                inbox.holds_made += 1;
                inbox.held = Some((hold, datagram));
                drop(inbox);
                self.release_inbox_hold_later(hold);
                return;
            }
        }
        self.receive_later(delay, datagram);
    }

    fn receive_later(&self, delay: Duration, datagram: IncomingDatagram) {
        if delay.is_zero() {
            if !lock(&self.inbox).push(datagram) {
                self.network.counters.count_deferred_failure();
            }
            return;
        }
        let inbox = Arc::downgrade(&self.inbox);
        let network = self.network.clone();
        self.runtime.spawn(async move {
            tokio::time::sleep(delay).await;
            let pushed = inbox
                .upgrade()
                .is_some_and(|inbox| lock(&inbox).push(datagram));
            if !pushed {
                network.counters.count_deferred_failure();
            }
        });
    }

    fn release_inbox_hold_later(&self, hold: u64) {
        let inbox = Arc::downgrade(&self.inbox);
        self.runtime.spawn(async move {
            tokio::time::sleep(Duration::from_millis(REORDER_HOLD_MS_MAX)).await;
            let Some(inbox) = inbox.upgrade() else {
                return;
            };
            let mut inbox = lock(&inbox);
            if inbox.held.as_ref().is_some_and(|(held, _)| *held == hold) {
                if let Some((_, datagram)) = inbox.held.take() {
                    inbox.push(datagram);
                }
            }
        });
    }
}

impl Drop for FaultySocket {
    fn drop(&mut self) {
        self.network.leave(self.local_addr, self.ordinal);
    }
}

impl AsyncUdpSocket for FaultySocket {
    fn create_io_poller(self: Arc<Self>) -> Pin<Box<dyn UdpPoller>> {
        self.inner.clone().create_io_poller()
    }

    fn try_send(&self, transmit: &Transmit<'_>) -> io::Result<()> {
        let destination = canonical(transmit.destination);
        let (faults, cut) = self.network.link(self.local_addr, destination);
        // quinn sends one datagram per transmit (max_transmit_segments is 1);
        // a batch is still split so faults stay per datagram.
        let segment_bytes = transmit
            .segment_size
            .unwrap_or(transmit.contents.len())
            .max(1);
        for (index, contents) in transmit.contents.chunks(segment_bytes).enumerate() {
            let datagram = Transmit {
                destination: transmit.destination,
                ecn: transmit.ecn,
                contents,
                segment_size: None,
                src_ip: transmit.src_ip,
            };
            let fate = decide(&faults, cut, &mut *lock(&self.send_rng));
            match self.send_one(&datagram, fate) {
                // Nothing of the transmit went out: quinn retries all of it.
                Err(error) if index == 0 => return Err(error),
                Err(_) => self.network.counters.count_deferred_failure(),
                Ok(()) => {}
            }
            self.network.counters.sent.fetch_add(1, Ordering::Relaxed);
            if contents
                .first()
                .is_some_and(|byte| byte & QUIC_LONG_HEADER_BIT != 0)
            {
                self.network
                    .counters
                    .long_header
                    .fetch_add(1, Ordering::Relaxed);
            }
            self.network.counters.count(&fate);
        }
        Ok(())
    }

    fn poll_recv(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta],
    ) -> Poll<io::Result<usize>> {
        loop {
            {
                let mut inbox = lock(&self.inbox);
                if !inbox.ready.is_empty() {
                    return Poll::Ready(Ok(inbox.deliver(bufs, meta)));
                }
                let registered = inbox
                    .waker
                    .as_ref()
                    .is_some_and(|waker| waker.will_wake(cx.waker()));
                if !registered {
                    inbox.waker = Some(cx.waker().clone());
                }
            }
            let received = ready!(self.inner.poll_recv(cx, bufs, meta))?;
            if self.judge_received(&bufs[..received], &meta[..received]) {
                return Poll::Ready(Ok(received));
            }
            // The batch went to the inbox (or was dropped): deliver from there.
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    fn max_transmit_segments(&self) -> usize {
        1
    }

    fn max_receive_segments(&self) -> usize {
        self.inner.max_receive_segments()
    }

    fn may_fragment(&self) -> bool {
        self.inner.may_fragment()
    }
}

/// Sends a late datagram if the real socket is still open, waiting (a
/// bounded time) for it to become writable; a failure loses the datagram, as
/// a full buffer would.
async fn send_deferred(
    inner: &Weak<dyn AsyncUdpSocket>,
    network: &FaultyNetwork,
    datagram: &OutgoingDatagram,
) {
    if let Some(inner) = inner.upgrade() {
        let mut poller = None;
        for _ in 0..DEFERRED_SEND_ATTEMPTS_MAX {
            match inner.try_send(&datagram.transmit()) {
                Ok(()) => return,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    let poller = poller.get_or_insert_with(|| inner.clone().create_io_poller());
                    let writable = poll_fn(|cx| poller.as_mut().poll_writable(cx));
                    let within = Duration::from_millis(DEFERRED_WRITABLE_WAIT_MS_MAX);
                    if !matches!(tokio::time::timeout(within, writable).await, Ok(Ok(()))) {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
    }
    network.counters.count_deferred_failure();
}

fn owned(datagram: &Transmit<'_>) -> OutgoingDatagram {
    OutgoingDatagram {
        destination: datagram.destination,
        ecn: datagram.ecn,
        src_ip: datagram.src_ip,
        contents: datagram.contents.to_vec(),
    }
}

/// IPv4-mapped IPv6 addresses as plain IPv4, so links match either form.
fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

/// A per-socket, per-direction seed from the network's seed (splitmix64).
fn mix(seed: u64, ordinal: u64, direction: u64) -> u64 {
    let mut z = seed
        .wrapping_add(ordinal.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(direction.wrapping_mul(0xD1B5_4A32_D192_ED03));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Each critical section is a single insert, remove or draw; a panic in
    // one leaves the value usable.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
