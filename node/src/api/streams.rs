//! The caps on open event streams (`GET /v1/events`): in total
//! (`limits.api_event_streams_max`, else 503) and per client address
//! (`limits.api_event_streams_per_client_max`, else 429). A stream holds a
//! [`StreamTicket`] and gives its place back when it ends.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;

use super::Failure;

/// The event streams open on this node, by client address.
#[derive(Debug)]
pub struct EventStreams {
    open: Mutex<HashMap<IpAddr, u32>>,
    total_max: u32,
    per_client_max: u32,
}

/// One open event stream's place under the caps, given back when dropped.
#[derive(Debug)]
pub struct StreamTicket {
    streams: Arc<EventStreams>,
    client: IpAddr,
}

impl EventStreams {
    /// No stream open yet; at most `total_max`, `per_client_max` per address.
    pub fn new(total_max: u32, per_client_max: u32) -> EventStreams {
        EventStreams {
            open: Mutex::new(HashMap::new()),
            total_max,
            per_client_max,
        }
    }

    /// A place for one more stream from `client`, or the cap it would pass.
    pub fn open(self: &Arc<Self>, client: IpAddr) -> Result<StreamTicket, Failure> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let total: u32 = open.values().sum();
        if total >= self.total_max {
            return Err(Failure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "event_streams_full",
                format!(
                    "limits.api_event_streams_max = {} event streams are open on this node: \
                     retry later, or follow the events of another node",
                    self.total_max
                ),
            ));
        }
        let mine = open.entry(client).or_insert(0);
        if *mine >= self.per_client_max {
            return Err(Failure::new(
                StatusCode::TOO_MANY_REQUESTS,
                "event_streams_per_client_full",
                format!(
                    "{client} has limits.api_event_streams_per_client_max = {} event streams \
                     open on this node: close one before opening another",
                    self.per_client_max
                ),
            ));
        }
        *mine += 1;
        Ok(StreamTicket {
            streams: self.clone(),
            client,
        })
    }
}

impl Drop for StreamTicket {
    fn drop(&mut self) {
        let mut open = self.streams.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.client) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Two per client and three in all: a client's third stream is 429, a
    // fourth stream from anyone is 503, and a closed stream frees its place.
    #[test]
    fn streams_over_a_cap_are_refused_until_one_closes() {
        let streams = Arc::new(EventStreams::new(3, 2));
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let first = streams.open(a).unwrap();
        let _second = streams.open(a).unwrap();
        assert_eq!(
            streams.open(a).err().unwrap().0,
            StatusCode::TOO_MANY_REQUESTS
        );
        let _third = streams.open(b).unwrap();
        assert_eq!(
            streams.open(b).err().unwrap().0,
            StatusCode::SERVICE_UNAVAILABLE
        );
        drop(first);
        assert!(streams.open(a).is_ok());
    }
}
