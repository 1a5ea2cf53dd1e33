//! The applied events a node publishes (API event streams, actors), and
//! the newest of them kept so a stream that broke can resume where it left
//! off (SSE `Last-Event-ID`): its client reads what it missed instead of
//! reloading everything. Events are named by their [`EventPosition`] (log
//! index, and place in the entry), the same on every node, so a client can
//! resume on another node too.

use std::collections::VecDeque;
use std::sync::Mutex;

use tokio::sync::broadcast;

use crate::state_machine::AppliedEvent;

/// Capacity of the live channel; a subscriber that falls further behind
/// misses events (and is told how many) rather than slowing apply.
pub const APPLIED_EVENTS_QUEUED_MAX: usize = 4_096;
/// Events kept for streams that resume.
pub const APPLIED_EVENTS_KEPT_MAX: usize = 4_096;

/// Where an event stands in the log: its entry's index, then its command's
/// place in the entry. Written `12` for the first command of entry 12 and
/// `12.3` for the fourth, the `Last-Event-ID` a client sends back.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct EventPosition {
    /// The entry's log index.
    pub index: u64,
    /// The command's place in the entry, from 0.
    pub slot: u32,
}

impl std::fmt::Display for EventPosition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.slot {
            0 => write!(f, "{}", self.index),
            slot => write!(f, "{}.{slot}", self.index),
        }
    }
}

impl std::str::FromStr for EventPosition {
    type Err = std::num::ParseIntError;

    fn from_str(text: &str) -> Result<EventPosition, Self::Err> {
        let (index, slot) = text.split_once('.').unwrap_or((text, "0"));
        Ok(EventPosition {
            index: index.parse()?,
            slot: slot.parse()?,
        })
    }
}

/// A resumed stream's start: the events after the one it saw last, or how
/// many it missed for good.
#[derive(Debug, Clone, PartialEq)]
pub enum Resumed {
    /// The kept events after the last one seen, oldest first.
    Events(Vec<AppliedEvent>),
    /// Events after the last one seen are no longer kept (or were applied
    /// before this node started): about this many log entries' worth.
    Gap {
        /// Log entries between the last seen and the oldest kept.
        missed: u64,
    },
}

/// The live channel and the kept events, published together.
#[derive(Debug)]
pub struct EventFeed {
    sender: broadcast::Sender<AppliedEvent>,
    kept: Mutex<Kept>,
}

#[derive(Debug, Default)]
struct Kept {
    events: VecDeque<AppliedEvent>,
    /// Every event from this log index on is kept.
    complete_from: u64,
}

impl EventFeed {
    /// A feed whose kept events are complete from log index `complete_from`
    /// (what this node applies from now on).
    pub fn new(complete_from: u64) -> EventFeed {
        EventFeed {
            sender: broadcast::channel(APPLIED_EVENTS_QUEUED_MAX).0,
            kept: Mutex::new(Kept {
                events: VecDeque::new(),
                complete_from,
            }),
        }
    }

    /// Publishes `event` to subscribers and keeps it.
    pub fn publish(&self, event: AppliedEvent) {
        let mut kept = self.lock();
        if kept.events.len() == APPLIED_EVENTS_KEPT_MAX {
            if let Some(oldest) = kept.events.pop_front() {
                kept.complete_from = oldest.index + 1;
            }
        }
        kept.events.push_back(event.clone());
        // No subscriber is fine; a lagging one loses the oldest events.
        let _ = self.sender.send(event);
    }

    /// Notes that the entries up to log index `index` published no events
    /// here (a snapshot stood in for them): the kept events are complete
    /// only after it.
    pub fn skipped_to(&self, index: u64) {
        let mut kept = self.lock();
        kept.events.retain(|event| event.index > index);
        kept.complete_from = kept.complete_from.max(index + 1);
    }

    /// Subscribes to events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<AppliedEvent> {
        self.sender.subscribe()
    }

    /// Subscribes to events from now on, with the kept ones after log
    /// position `last_seen` (none missed, none twice: both under one lock).
    pub fn resume(&self, last_seen: EventPosition) -> (broadcast::Receiver<AppliedEvent>, Resumed) {
        let kept = self.lock();
        let receiver = self.sender.subscribe();
        if last_seen.index + 1 < kept.complete_from {
            let missed = kept.complete_from - last_seen.index - 1;
            return (receiver, Resumed::Gap { missed });
        }
        let events = kept
            .events
            .iter()
            .filter(|event| event.position() > last_seen)
            .cloned()
            .collect();
        (receiver, Resumed::Events(events))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{Effect, IncidentId};

    fn event(index: u64, slot: u32) -> AppliedEvent {
        AppliedEvent {
            incidents: Vec::new(),
            index,
            slot,
            action: "report_incident",
            effect: Effect::IncidentReported {
                incident_id: IncidentId(index),
            },
        }
    }

    fn at(id: &str) -> EventPosition {
        id.parse().expect("an event id")
    }

    // A stream that saw index 12 resumes with 14 (both its commands) and 15
    // (13 published nothing); one that saw the first command of 14 resumes
    // with the second; one that saw an index from before the node started,
    // or older than the kept events, is told of the gap.
    #[test]
    fn a_stream_resumes_after_the_last_event_it_saw() {
        let feed = EventFeed::new(10);
        for (index, slot) in [(10, 0), (11, 0), (12, 0), (14, 0), (14, 1), (15, 0)] {
            feed.publish(event(index, slot));
        }

        let (_, after_12) = feed.resume(at("12"));
        let (_, after_14) = feed.resume(at("14"));
        let (_, before_start) = feed.resume(at("5"));
        let (mut live, _) = feed.resume(at("15"));
        feed.publish(event(16, 0));

        let ids = |r: Resumed| match r {
            Resumed::Events(events) => events
                .iter()
                .map(|e| e.position().to_string())
                .collect::<Vec<_>>(),
            Resumed::Gap { .. } => panic!("a gap"),
        };
        assert_eq!(ids(after_12), ["14", "14.1", "15"]);
        assert_eq!(ids(after_14), ["14.1", "15"]);
        assert_eq!(before_start, Resumed::Gap { missed: 4 });
        assert_eq!(live.try_recv().unwrap().index, 16);
        assert!("14.x".parse::<EventPosition>().is_err());
        let full = EventFeed::new(1);
        for index in 1..=(APPLIED_EVENTS_KEPT_MAX as u64 + 2) {
            full.publish(event(index, 0));
        }
        assert_eq!(full.resume(at("1")).1, Resumed::Gap { missed: 1 });
        assert!(
            matches!(full.resume(at("2")).1, Resumed::Events(e) if e.len() == APPLIED_EVENTS_KEPT_MAX)
        );
    }
}
