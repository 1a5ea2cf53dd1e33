//! Bounds on QUIC handshakes in flight, so peers without a certificate
//! cannot crowd out members and operators.
//!
//! A handshake costs the node memory and crypto before the peer has proved
//! anything. The gate admits a handshake only while its source address has
//! fewer than `per_address_max` in flight and the node fewer than
//! `in_flight_max`; past `before_retry` in flight, a source that has not
//! proved it can receive at its address is sent a stateless retry token
//! first (a spoofed or deaf source never comes back). Connection slots
//! (`quic_connections_max`) are taken only after the handshake verified
//! the peer's certificate, and every handshake ends within `timeout`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cordon_config::Limits;

/// The handshake bounds of one endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HandshakeLimits {
    /// A handshake not done by then is dropped (`quic_handshake_timeout_ms`).
    pub timeout: Duration,
    /// Handshakes in flight at once (`quic_handshakes_max`).
    pub in_flight_max: usize,
    /// Handshakes in flight past which an unvalidated source address gets a
    /// retry token instead of a handshake (`quic_handshakes_before_retry`).
    pub before_retry: usize,
    /// Handshakes in flight from one source address, IP and port
    /// (`quic_handshakes_per_address_max`).
    pub per_address_max: usize,
}

impl HandshakeLimits {
    /// The bounds a cluster file sets.
    pub fn from_limits(limits: &Limits) -> HandshakeLimits {
        HandshakeLimits {
            timeout: Duration::from_millis(limits.quic_handshake_timeout_ms),
            in_flight_max: limits.quic_handshakes_max as usize,
            before_retry: limits.quic_handshakes_before_retry as usize,
            per_address_max: limits.quic_handshakes_per_address_max as usize,
        }
    }
}

/// Why a handshake was refused, naming the limit reached.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeRefusal {
    /// Too many handshakes in flight from one source address.
    #[error("{addr} has {in_flight} handshakes in flight: limits.quic_handshakes_per_address_max ({limit}) reached")]
    PerAddress {
        /// The source address.
        addr: SocketAddr,
        /// Its handshakes in flight.
        in_flight: usize,
        /// The limit.
        limit: usize,
    },
    /// Too many handshakes in flight in all.
    #[error("{in_flight} handshakes in flight: limits.quic_handshakes_max ({limit}) reached")]
    InFlight {
        /// Handshakes in flight.
        in_flight: usize,
        /// The limit.
        limit: usize,
    },
}

/// What to do with a new connection attempt.
#[derive(Debug)]
pub enum Admission {
    /// Run the handshake; the ticket counts it until dropped.
    Start(HandshakeTicket),
    /// Ask the source to prove its address with a retry token first.
    Retry,
    /// Refuse the attempt.
    Refuse(HandshakeRefusal),
}

#[derive(Debug, Default)]
struct InFlight {
    total: usize,
    per_address: HashMap<SocketAddr, usize>,
}

/// Counts the handshakes in flight of one endpoint and admits new ones.
#[derive(Debug)]
pub struct HandshakeGate {
    limits: HandshakeLimits,
    in_flight: Arc<Mutex<InFlight>>,
}

impl HandshakeGate {
    /// A gate with nothing in flight.
    pub fn new(limits: HandshakeLimits) -> HandshakeGate {
        HandshakeGate {
            limits,
            in_flight: Arc::default(),
        }
    }

    /// The bounds this gate applies.
    pub fn limits(&self) -> HandshakeLimits {
        self.limits
    }

    /// Decides on an attempt from `addr`; `validated` tells whether the
    /// source proved its address (a retry token, or a validated path).
    pub fn admit(&self, addr: SocketAddr, validated: bool) -> Admission {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        let from_addr = in_flight.per_address.get(&addr).copied().unwrap_or(0);
        if from_addr >= self.limits.per_address_max {
            return Admission::Refuse(HandshakeRefusal::PerAddress {
                addr,
                in_flight: from_addr,
                limit: self.limits.per_address_max,
            });
        }
        if !validated && in_flight.total >= self.limits.before_retry {
            return Admission::Retry;
        }
        if in_flight.total >= self.limits.in_flight_max {
            return Admission::Refuse(HandshakeRefusal::InFlight {
                in_flight: in_flight.total,
                limit: self.limits.in_flight_max,
            });
        }
        in_flight.total += 1;
        *in_flight.per_address.entry(addr).or_default() += 1;
        Admission::Start(HandshakeTicket {
            addr,
            in_flight: self.in_flight.clone(),
        })
    }

    /// Handshakes in flight now.
    pub fn in_flight(&self) -> usize {
        self.in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .total
    }
}

/// One admitted handshake; dropping it (handshake done, failed or timed
/// out) frees its place.
#[derive(Debug)]
pub struct HandshakeTicket {
    addr: SocketAddr,
    in_flight: Arc<Mutex<InFlight>>,
}

impl Drop for HandshakeTicket {
    fn drop(&mut self) {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        in_flight.total = in_flight.total.saturating_sub(1);
        if let Some(count) = in_flight.per_address.get_mut(&self.addr) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                in_flight.per_address.remove(&self.addr);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate() -> HandshakeGate {
        HandshakeGate::new(HandshakeLimits {
            timeout: Duration::from_secs(1),
            in_flight_max: 4,
            before_retry: 2,
            per_address_max: 2,
        })
    }

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    // One source gets its quota; past the retry threshold only validated
    // sources start, up to the total; a finished handshake frees its place.
    #[test]
    fn the_gate_caps_sources_retries_strangers_and_frees_places() {
        let first = gate();
        let tickets: Vec<_> = (0..2)
            .map(|_| match first.admit(addr(1), false) {
                Admission::Start(ticket) => ticket,
                other => panic!("expected a start, got {other:?}"),
            })
            .collect();
        assert!(matches!(
            first.admit(addr(1), true),
            Admission::Refuse(HandshakeRefusal::PerAddress { limit: 2, .. })
        ));
        assert!(matches!(first.admit(addr(2), false), Admission::Retry));
        let validated: Vec<_> = [3, 4]
            .map(|port| first.admit(addr(port), true))
            .into_iter()
            .collect();
        assert!(validated.iter().all(|a| matches!(a, Admission::Start(_))));
        assert!(matches!(
            first.admit(addr(5), true),
            Admission::Refuse(HandshakeRefusal::InFlight { limit: 4, .. })
        ));
        drop(validated);
        drop(tickets);
        assert_eq!(first.in_flight(), 0);
        assert!(matches!(first.admit(addr(1), false), Admission::Start(_)));
    }
}
