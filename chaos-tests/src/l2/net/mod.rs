//! A fault-injecting network under real quinn: [`FaultyNetwork`] holds the
//! faults of every directed link between socket addresses, and each
//! [`FaultySocket`] it hands out wraps a real UDP socket and applies them.
//!
//! `tc netem` does not exist on these machines, so delay, jitter,
//! duplication and reordering are done in user space, here, under QUIC:
//! quinn sees a lossy, slow, reordering network and has to cope with it the
//! way it would on a real one. A node uses a faulty socket through
//! `cordon_consensus::NodeOptions { socket: Some(socket) }`.
//!
//! # Where a link's faults are applied
//! The faults of the link `from -> to` are applied once per datagram: by the
//! sending socket when `from` is a faulty socket of this network (dropped
//! datagrams are reported to quinn as sent; delayed ones leave later from a
//! tokio task), otherwise by the receiving socket at `to`, judging by the
//! datagram's source. So a cluster whose nodes all use this network sees
//! every fault exactly once, and a client on a plain socket (an operator's
//! tool) still sees the faults set for its address.
//!
//! # Determinism
//! Every decision comes from seeded `StdRng`s: each socket draws from its
//! own generators (one for sending, one for receiving), seeded from the
//! network's seed and the socket's creation order. A seed therefore fixes
//! the sequence of fates each socket hands out. What it does not fix is
//! which datagram meets which fate: that depends on what quinn sends and
//! when, which depends on timing (scheduling of tasks on the runtime,
//! timers, the OS), on QUIC's own randomness (connection ids, crypto) and on
//! openraft's randomised election timeouts. A seed reproduces the fault
//! pattern, not the whole run; the deterministic simulation (L1) is where a
//! seed reproduces everything.
//!
//! Modules: [`fate`] (a link's faults and the pure per-datagram decision),
//! [`socket`] (the `quinn::AsyncUdpSocket` wrapper).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

pub mod fate;
pub mod socket;

use cordon_consensus::NodeId;

use crate::faults::Links;

pub use fate::{Fate, InvalidFaults, LinkFaults, LINK_DELAY_MS_MAX, REORDER_HOLD_MS_MAX};
pub use socket::FaultySocket;

/// The shared controller of a fault-injecting network. Create it with
/// [`FaultyNetwork::new`]; sockets and tests share it through an `Arc`.
pub struct FaultyNetwork {
    seed: u64,
    sockets_created: AtomicU64,
    state: Mutex<NetworkState>,
    counters: Counters,
}

impl fmt::Debug for FaultyNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultyNetwork")
            .field("seed", &self.seed)
            .field("counters", &self.counters())
            .finish_non_exhaustive()
    }
}

/// What the lock guards: the faults in force and who is on the network.
#[derive(Default)]
struct NetworkState {
    /// Faults of every link without faults of its own.
    every_link: LinkFaults,
    /// Faults set for one directed link (from, to).
    links: HashMap<(SocketAddr, SocketAddr), LinkFaults>,
    /// Directed links that carry nothing (partitions, one-way cuts).
    cuts: HashSet<(SocketAddr, SocketAddr)>,
    /// The live faulty sockets of this network: address -> creation ordinal.
    members: HashMap<SocketAddr, u64>,
    /// Each named node's address, for faults keyed by node id.
    nodes: HashMap<NodeId, SocketAddr>,
}

impl NetworkState {
    fn link(&self, from: SocketAddr, to: SocketAddr) -> (LinkFaults, bool) {
        let faults = self
            .links
            .get(&(from, to))
            .copied()
            .unwrap_or(self.every_link);
        (faults, self.cuts.contains(&(from, to)))
    }
}

impl FaultyNetwork {
    /// A network with no faults; `seed` seeds every fault decision.
    pub fn new(seed: u64) -> Arc<FaultyNetwork> {
        Arc::new(FaultyNetwork {
            seed,
            sockets_created: AtomicU64::new(0),
            state: Mutex::new(NetworkState::default()),
            counters: Counters::default(),
        })
    }

    /// The seed of the fault decisions.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Binds a real UDP socket at `bind_addr` and wraps it. Must be called
    /// within a tokio runtime (the socket registers with its reactor, and
    /// delayed datagrams are sent from tasks on it). Give the returned `Arc`
    /// to quinn (`NodeOptions::socket`).
    pub fn socket(self: &Arc<Self>, bind_addr: SocketAddr) -> io::Result<Arc<FaultySocket>> {
        let ordinal = self.sockets_created.fetch_add(1, Ordering::Relaxed);
        let socket = FaultySocket::bind(self.clone(), bind_addr, ordinal)?;
        Ok(Arc::new(socket))
    }

    /// Sets the faults of the directed link `from -> to`, replacing any
    /// faults it had (a cut stays in force until [`FaultyNetwork::heal`]).
    pub fn set_link(
        &self,
        from: SocketAddr,
        to: SocketAddr,
        faults: LinkFaults,
    ) -> Result<(), InvalidFaults> {
        faults.validate()?;
        self.lock().links.insert((from, to), faults);
        tracing::info!(%from, %to, %faults, "link faults set");
        Ok(())
    }

    /// Sets the faults of every link that has none of its own.
    pub fn set_every_link(&self, faults: LinkFaults) -> Result<(), InvalidFaults> {
        faults.validate()?;
        self.lock().every_link = faults;
        tracing::info!(%faults, "faults set on every link");
        Ok(())
    }

    /// Names the node at `addr`, so that faults keyed by node id
    /// ([`Links`]) reach its links.
    pub fn name_node(&self, id: NodeId, addr: SocketAddr) {
        self.lock().nodes.insert(id, addr);
    }

    /// Cuts the link `from -> to` only: `to` still reaches `from`.
    pub fn cut_link(&self, from: SocketAddr, to: SocketAddr) {
        self.lock().cuts.insert((from, to));
        tracing::info!(%from, %to, "link cut");
    }

    /// Ends the cut of the link `from -> to`.
    pub fn restore_link(&self, from: SocketAddr, to: SocketAddr) {
        self.lock().cuts.remove(&(from, to));
        tracing::info!(%from, %to, "link restored");
    }

    /// Removes every fault: cuts, partitions and link faults. Datagrams
    /// already delayed or held still arrive, later.
    pub fn heal(&self) {
        let mut state = self.lock();
        state.every_link = LinkFaults::NONE;
        state.links.clear();
        state.cuts.clear();
        tracing::info!("network healed");
    }

    /// What the network has done so far.
    pub fn counters(&self) -> FaultCounters {
        self.counters.snapshot()
    }

    /// The faults of `from -> to` and whether it is cut.
    fn link(&self, from: SocketAddr, to: SocketAddr) -> (LinkFaults, bool) {
        self.lock().link(from, to)
    }

    /// The faults of `from -> to` when the receiver must judge them (the
    /// sender is not a faulty socket of this network), else `None`.
    fn link_judged_on_receive(
        &self,
        from: SocketAddr,
        to: SocketAddr,
    ) -> Option<(LinkFaults, bool)> {
        let state = self.lock();
        if state.members.contains_key(&from) {
            return None;
        }
        Some(state.link(from, to))
    }

    fn join(&self, addr: SocketAddr, ordinal: u64) {
        self.lock().members.insert(addr, ordinal);
    }

    fn leave(&self, addr: SocketAddr, ordinal: u64) {
        let mut state = self.lock();
        // A restarted node's new socket may already hold the address.
        if state.members.get(&addr) == Some(&ordinal) {
            state.members.remove(&addr);
        }
    }

    fn lock(&self) -> MutexGuard<'_, NetworkState> {
        // Every update of the state is one insert or clear; a panic while
        // holding the lock leaves it consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A fault keyed by a node id this network was never told of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("node {0} has no address on this network: name it first (FaultyNetwork::name_node)")]
pub struct UnnamedNode(pub NodeId);

impl FaultyNetwork {
    fn addr_of(&self, id: NodeId) -> Result<SocketAddr, UnnamedNode> {
        self.lock().nodes.get(&id).copied().ok_or(UnnamedNode(id))
    }
}

/// The links between named nodes; a loss replaces only the link's drop
/// probability and keeps its other faults.
impl Links for FaultyNetwork {
    type Error = UnnamedNode;

    fn cut(&self, from: NodeId, to: NodeId) -> Result<(), UnnamedNode> {
        self.cut_link(self.addr_of(from)?, self.addr_of(to)?);
        Ok(())
    }

    fn restore(&self, from: NodeId, to: NodeId) -> Result<(), UnnamedNode> {
        self.restore_link(self.addr_of(from)?, self.addr_of(to)?);
        Ok(())
    }

    fn set_loss(&self, from: NodeId, to: NodeId, percent: u32) -> Result<(), UnnamedNode> {
        let (from, to) = (self.addr_of(from)?, self.addr_of(to)?);
        let mut state = self.lock();
        let mut faults = state.link(from, to).0;
        faults.drop_probability = f64::from(percent.min(100)) / 100.0;
        if faults == state.every_link {
            state.links.remove(&(from, to));
        } else {
            state.links.insert((from, to), faults);
        }
        tracing::info!(%from, %to, %faults, "link loss set");
        Ok(())
    }
}

/// The network's counters, as atomics shared by its sockets.
#[derive(Default)]
struct Counters {
    sent: AtomicU64,
    long_header: AtomicU64,
    judged_on_receive: AtomicU64,
    lost: AtomicU64,
    cut: AtomicU64,
    delayed: AtomicU64,
    duplicated: AtomicU64,
    reordered: AtomicU64,
    deferred_send_failures: AtomicU64,
}

impl Counters {
    fn count(&self, fate: &Fate) {
        let counter = match fate {
            Fate::Cut => &self.cut,
            Fate::Lost => &self.lost,
            Fate::Delivered {
                delay,
                duplicate,
                held_for_reorder,
            } => {
                if !delay.is_zero() {
                    self.delayed.fetch_add(1, Ordering::Relaxed);
                }
                if duplicate.is_some() {
                    self.duplicated.fetch_add(1, Ordering::Relaxed);
                }
                if *held_for_reorder {
                    self.reordered.fetch_add(1, Ordering::Relaxed);
                }
                return;
            }
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn count_deferred_failure(&self) {
        self.deferred_send_failures.fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> FaultCounters {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        FaultCounters {
            sent: load(&self.sent),
            long_header_sent: load(&self.long_header),
            judged_on_receive: load(&self.judged_on_receive),
            lost: load(&self.lost),
            cut: load(&self.cut),
            delayed: load(&self.delayed),
            duplicated: load(&self.duplicated),
            reordered: load(&self.reordered),
            deferred_send_failures: load(&self.deferred_send_failures),
        }
    }
}

/// What a network did to datagrams, for reports. Each field counts
/// datagrams.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultCounters {
    /// Handed to a faulty socket by quinn for sending.
    pub sent: u64,
    /// Of those, QUIC long-header datagrams: connection set-up (Initial,
    /// Handshake). Growth after the cluster formed means connections were
    /// dialled afresh.
    pub long_header_sent: u64,
    /// Received from a socket outside the network and judged on receipt.
    pub judged_on_receive: u64,
    /// Lost to a link's drop probability.
    pub lost: u64,
    /// Dropped by a partition or a one-way cut.
    pub cut: u64,
    /// Delivered late.
    pub delayed: u64,
    /// Delivered twice.
    pub duplicated: u64,
    /// Held back to go after the next datagram on their link.
    pub reordered: u64,
    /// Delayed, duplicated or held datagrams whose late send failed (a full
    /// socket buffer, or the socket closed meanwhile): lost as well.
    pub deferred_send_failures: u64,
}

impl fmt::Display for FaultCounters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "sent={} long_header_sent={} lost={} cut={} delayed={} duplicated={} reordered={} judged_on_receive={} deferred_send_failures={}",
            self.sent,
            self.long_header_sent,
            self.lost,
            self.cut,
            self.delayed,
            self.duplicated,
            self.reordered,
            self.judged_on_receive,
            self.deferred_send_failures
        )
    }
}

impl fmt::Display for LinkFaults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_clear() {
            return write!(f, "none");
        }
        write!(
            f,
            "loss {:.0}% delay {}±{} ms duplicate {:.0}% reorder {:.0}%",
            self.drop_probability * 100.0,
            self.delay_ms,
            self.jitter_ms,
            self.duplicate_probability * 100.0,
            self.reorder_probability * 100.0
        )
    }
}
