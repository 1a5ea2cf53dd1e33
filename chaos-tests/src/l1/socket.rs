//! quinn over turmoil's simulated UDP: [`SimSocket`] is the small
//! `AsyncUdpSocket` adapter, and [`SimLoss`] drops datagrams per directed
//! link from the run's seed (turmoil itself only fails whole links).
//!
//! A socket must be created and used inside a turmoil host: sending goes
//! through turmoil's world, which only the host being stepped may touch.
//! quinn's endpoint driver runs on that host's runtime, so it does.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::io::{self, IoSliceMut};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use quinn::udp::{RecvMeta, Transmit};
use quinn::{AsyncUdpSocket, UdpPoller};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Per directed link (by IP address), the share of datagrams to drop, and
/// the one seeded generator that decides each datagram's fate.
///
/// Every host runs on the simulation's one thread, one after another, so
/// datagrams draw from the generator in an order fixed by the run itself.
pub struct SimLoss {
    rates: Mutex<BTreeMap<(IpAddr, IpAddr), f64>>,
    rng: Mutex<StdRng>,
    dropped: AtomicU64,
    sent: AtomicU64,
}

impl fmt::Debug for SimLoss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimLoss")
            .field("rates", &*lock(&self.rates))
            .field("dropped", &self.dropped.load(Ordering::Relaxed))
            .field("sent", &self.sent.load(Ordering::Relaxed))
            .finish()
    }
}

impl SimLoss {
    /// No loss; fates drawn from `seed`.
    pub fn new(seed: u64) -> Arc<SimLoss> {
        Arc::new(SimLoss {
            rates: Mutex::new(BTreeMap::new()),
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            dropped: AtomicU64::new(0),
            sent: AtomicU64::new(0),
        })
    }

    /// Drops `rate` (0 to 1) of the datagrams from `from` to `to`.
    pub fn set(&self, from: IpAddr, to: IpAddr, rate: f64) {
        let mut rates = lock(&self.rates);
        if rate > 0.0 {
            rates.insert((from, to), rate.min(1.0));
        } else {
            rates.remove(&(from, to));
        }
    }

    /// Ends every loss.
    pub fn clear(&self) {
        lock(&self.rates).clear();
    }

    /// Datagrams offered and dropped so far.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.sent.load(Ordering::Relaxed),
            self.dropped.load(Ordering::Relaxed),
        )
    }

    /// True when the datagram from `from` to `to` is to be dropped.
    fn drops(&self, from: IpAddr, to: IpAddr) -> bool {
        self.sent.fetch_add(1, Ordering::Relaxed);
        let Some(rate) = lock(&self.rates).get(&(from, to)).copied() else {
            return false;
        };
        let dropped = lock(&self.rng).random_bool(rate);
        if dropped {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        dropped
    }
}

type Readable = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

/// A turmoil UDP socket that quinn can run over.
pub struct SimSocket {
    socket: Arc<turmoil::net::UdpSocket>,
    local_addr: SocketAddr,
    loss: Arc<SimLoss>,
    /// The pending wait for a datagram, kept across polls.
    readable: Mutex<Option<Readable>>,
}

impl fmt::Debug for SimSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimSocket")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

impl SimSocket {
    /// Binds `addr`'s port on the current turmoil host, whose address is
    /// `addr`'s IP (turmoil binds the unspecified address only).
    pub async fn bind(addr: SocketAddr, loss: Arc<SimLoss>) -> io::Result<Arc<SimSocket>> {
        let unspecified = SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), addr.port());
        let socket = turmoil::net::UdpSocket::bind(unspecified).await?;
        let local_addr = addr;
        Ok(Arc::new(SimSocket {
            socket: Arc::new(socket),
            local_addr,
            loss,
            readable: Mutex::new(None),
        }))
    }
}

/// Always writable: turmoil's UDP has no back pressure.
#[derive(Debug)]
struct AlwaysWritable;

impl UdpPoller for AlwaysWritable {
    fn poll_writable(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl AsyncUdpSocket for SimSocket {
    fn create_io_poller(self: Arc<Self>) -> Pin<Box<dyn UdpPoller>> {
        Box::pin(AlwaysWritable)
    }

    fn try_send(&self, transmit: &Transmit<'_>) -> io::Result<()> {
        // max_transmit_segments is 1: one datagram per transmit.
        if self
            .loss
            .drops(self.local_addr.ip(), transmit.destination.ip())
        {
            // Reported as sent, as a datagram lost on the wire would be.
            return Ok(());
        }
        match self
            .socket
            .try_send_to(transmit.contents, transmit.destination)
        {
            Ok(_) => Ok(()),
            // Sending to a host that does not exist (yet) is a loss on the
            // wire, not the sender's failure.
            Err(error) if error.kind() == io::ErrorKind::ConnectionRefused => Ok(()),
            Err(error) => Err(error),
        }
    }

    fn poll_recv(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta],
    ) -> Poll<io::Result<usize>> {
        let (Some(buf), Some(slot)) = (bufs.first_mut(), meta.first_mut()) else {
            return Poll::Ready(Ok(0));
        };
        loop {
            match self.socket.try_recv_from(buf) {
                Ok((len, addr)) => {
                    *slot = RecvMeta {
                        addr,
                        len,
                        stride: len,
                        ecn: None,
                        dst_ip: Some(self.local_addr.ip()),
                    };
                    return Poll::Ready(Ok(1));
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                Err(error) => return Poll::Ready(Err(error)),
            }
            let mut readable = lock(&self.readable);
            let wait = readable.get_or_insert_with(|| {
                let socket = self.socket.clone();
                Box::pin(async move { socket.readable().await })
            });
            match wait.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(result) => {
                    *readable = None;
                    result?;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local_addr)
    }

    fn max_transmit_segments(&self) -> usize {
        1
    }

    fn max_receive_segments(&self) -> usize {
        1
    }

    fn may_fragment(&self) -> bool {
        false
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Each critical section is a single map or generator operation.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
