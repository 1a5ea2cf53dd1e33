//! The caps on open event streams (`GET /v1/events`): in total
//! (`limits.api_event_streams_max`, else 503), per client address
//! (`limits.api_event_streams_per_client_max`, else 429) and per principal
//! (`limits.api_event_streams_per_principal_max`, else 429). A stream holds
//! a [`StreamTicket`] and gives its places back when it ends.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;

use super::Failure;

/// Who holds open streams: an address or a principal.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Holder {
    Address(IpAddr),
    Principal(String),
}

/// The event streams open on this node, by client address and by principal.
#[derive(Debug)]
pub struct EventStreams {
    open: Mutex<HashMap<Holder, u32>>,
    total: Mutex<u32>,
    caps: StreamCaps,
}

/// The caps, from `[limits]`.
#[derive(Clone, Copy, Debug)]
pub struct StreamCaps {
    /// `limits.api_event_streams_max`.
    pub total_max: u32,
    /// `limits.api_event_streams_per_client_max`.
    pub per_client_max: u32,
    /// `limits.api_event_streams_per_principal_max`.
    pub per_principal_max: u32,
}

/// One open event stream's places under the caps, given back when dropped.
#[derive(Debug)]
pub struct StreamTicket {
    streams: Arc<EventStreams>,
    holders: [Holder; 2],
}

impl EventStreams {
    /// No stream open yet.
    pub fn new(caps: StreamCaps) -> EventStreams {
        EventStreams {
            open: Mutex::new(HashMap::new()),
            total: Mutex::new(0),
            caps,
        }
    }

    /// A place for one more stream of `principal` from `client`, or the
    /// cap it would pass.
    pub fn open(
        self: &Arc<Self>,
        client: IpAddr,
        principal: &str,
    ) -> Result<StreamTicket, Failure> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let mut total = self.total.lock().unwrap_or_else(|e| e.into_inner());
        if *total >= self.caps.total_max {
            return Err(Failure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "event_streams_full",
                format!(
                    "limits.api_event_streams_max = {} event streams are open on this node: \
                     retry later, or follow the events of another node",
                    self.caps.total_max
                ),
            ));
        }
        let holders = [
            Holder::Address(client),
            Holder::Principal(principal.to_string()),
        ];
        let count = |holder: &Holder| open.get(holder).copied().unwrap_or(0);
        if count(&holders[0]) >= self.caps.per_client_max {
            return Err(Failure::new(
                StatusCode::TOO_MANY_REQUESTS,
                "event_streams_per_client_full",
                format!(
                    "{client} has limits.api_event_streams_per_client_max = {} event streams \
                     open on this node: close one before opening another",
                    self.caps.per_client_max
                ),
            ));
        }
        if count(&holders[1]) >= self.caps.per_principal_max {
            return Err(Failure::new(
                StatusCode::TOO_MANY_REQUESTS,
                "event_streams_per_principal_full",
                format!(
                    "{principal} has limits.api_event_streams_per_principal_max = {} event \
                     streams open on this node: close one before opening another",
                    self.caps.per_principal_max
                ),
            ));
        }
        for holder in &holders {
            *open.entry(holder.clone()).or_insert(0) += 1;
        }
        *total += 1;
        Ok(StreamTicket {
            streams: self.clone(),
            holders,
        })
    }
}

impl Drop for StreamTicket {
    fn drop(&mut self) {
        let mut open = self.streams.open.lock().unwrap_or_else(|e| e.into_inner());
        for holder in &self.holders {
            if let Some(count) = open.get_mut(holder) {
                *count -= 1;
                if *count == 0 {
                    open.remove(holder);
                }
            }
        }
        let mut total = self.streams.total.lock().unwrap_or_else(|e| e.into_inner());
        *total = total.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Two per client, two per principal and four in all: a client's or a
    // principal's third stream is 429, a fifth stream from anyone is 503,
    // and a closed stream frees its places.
    #[test]
    fn streams_over_a_cap_are_refused_until_one_closes() {
        let caps = StreamCaps {
            total_max: 4,
            per_client_max: 2,
            per_principal_max: 2,
        };
        let streams = Arc::new(EventStreams::new(caps));
        let ip = |text: &str| -> IpAddr { text.parse().unwrap() };
        let refused = |result: Result<StreamTicket, Failure>| result.err().unwrap().0;
        let first = streams.open(ip("10.0.0.1"), "li").unwrap();
        let _second = streams.open(ip("10.0.0.1"), "wu").unwrap();
        assert_eq!(
            refused(streams.open(ip("10.0.0.1"), "qian")),
            StatusCode::TOO_MANY_REQUESTS
        );
        let _third = streams.open(ip("10.0.0.2"), "li").unwrap();
        assert_eq!(
            refused(streams.open(ip("10.0.0.3"), "li")),
            StatusCode::TOO_MANY_REQUESTS
        );
        let _fourth = streams.open(ip("10.0.0.3"), "qian").unwrap();
        assert_eq!(
            refused(streams.open(ip("10.0.0.4"), "zhao")),
            StatusCode::SERVICE_UNAVAILABLE
        );
        drop(first);
        assert!(streams.open(ip("10.0.0.1"), "li").is_ok());
    }
}
