//! Jepsen-style client histories.
//!
//! A client records every operation it attempts: an [`Event::Invoke`] before
//! sending it, then exactly one completion. [`Event::Ok`] means it took
//! effect with the given result; [`Event::Fail`] means it certainly did not
//! take effect; [`Event::Info`] means the outcome is unknown (a timeout: it
//! may have taken effect, now or later, or never). An invocation with no
//! completion at all is treated like `Info`.
//!
//! [`History`] is the recorder: a mutex around a vector, cheap enough to sit
//! on every client's path and shared across threads. Timestamps are
//! nanoseconds since the history started, taken under the lock, so they never
//! fall and the vector is in time order. [`History::records`] pairs each
//! invocation with its completion for the checkers; the events themselves
//! serialise as JSON lines for reports.
//!
//! Keys partition the history for the linearizability checker: a unit's
//! operations use `unit:<unit id>`, an incident's use `request:<request id>`,
//! because the request id is the only name the client knows for an incident
//! before the answer arrives. The constructors on [`Op`] set them.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, BufRead, Write};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Identifies one operation within a history (its invocation order, from 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OpId(pub u64);

impl fmt::Display for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "op {}", self.0)
    }
}

/// One operation as the client invoked it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Op {
    /// The logical client that invoked it; a process runs one operation at a
    /// time.
    pub process: u64,
    /// The object operated on (`unit:nanjing-east-1-a`, `request:abc`); the
    /// linearizability checker partitions by it.
    pub key: String,
    /// What was asked, with its arguments.
    pub kind: OpKind,
}

impl Op {
    /// Reads a unit's status and version.
    pub fn read_unit(process: u64, unit_id: &str) -> Op {
        Op {
            process,
            key: format!("unit:{unit_id}"),
            kind: OpKind::Unit(UnitOp::Read),
        }
    }

    /// Sets a unit's status, only if it is still at `expected_version` when
    /// one is given.
    pub fn write_unit(
        process: u64,
        unit_id: &str,
        expected_version: Option<u64>,
        status: &str,
    ) -> Op {
        Op {
            process,
            key: format!("unit:{unit_id}"),
            kind: OpKind::Unit(UnitOp::Write {
                expected_version,
                status: status.to_owned(),
            }),
        }
    }

    /// Reports an incident under an idempotency key.
    pub fn report(process: u64, request_id: &str) -> Op {
        Op {
            process,
            key: format!("request:{request_id}"),
            kind: OpKind::Incident(IncidentOp::Report {
                request_id: request_id.to_owned(),
            }),
        }
    }

    /// Reads the incident that `request_id` was acknowledged with.
    pub fn read_incident(process: u64, request_id: &str, incident_id: &str) -> Op {
        Op {
            process,
            key: format!("request:{request_id}"),
            kind: OpKind::Incident(IncidentOp::Read {
                incident_id: incident_id.to_owned(),
            }),
        }
    }
}

/// What an operation asks for.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    /// An operation on a unit's status register.
    Unit(UnitOp),
    /// An operation on an incident.
    Incident(IncidentOp),
}

/// An operation on a unit's status and version.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitOp {
    /// Read the status and version.
    Read,
    /// Set the status; the version rises by one.
    Write {
        /// Apply only if the unit is at this version (`None`: always).
        expected_version: Option<u64>,
        /// The new status (`en_route`, `on_scene`...).
        status: String,
    },
}

/// An operation on an incident.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentOp {
    /// Report an incident; the same request id always answers the same
    /// incident id.
    Report {
        /// The client's idempotency key.
        request_id: String,
    },
    /// Read an incident by id.
    Read {
        /// The id the report was acknowledged with (`I-000042`).
        incident_id: String,
    },
}

/// The answer to an operation that took effect.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpResult {
    /// The answer to a [`UnitOp`].
    Unit(UnitResult),
    /// The answer to an [`IncidentOp`].
    Incident(IncidentResult),
}

/// The answer to a [`UnitOp`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitResult {
    /// The unit's status and version.
    Read {
        /// Its status.
        status: String,
        /// Its version.
        version: u64,
    },
    /// The write took effect.
    Written {
        /// The unit's new version.
        version: u64,
    },
    /// The write was refused: the unit was at another version.
    VersionMismatch {
        /// The version the unit was at.
        actual_version: u64,
    },
}

/// The answer to an [`IncidentOp`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentResult {
    /// The report was acknowledged.
    Reported {
        /// The incident's id.
        incident_id: String,
    },
    /// Whether the incident read exists.
    Read {
        /// True when it exists.
        present: bool,
    },
}

/// One line of a history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The client is about to send the operation.
    Invoke {
        /// The operation's id.
        id: OpId,
        /// Nanoseconds since the history started.
        at_ns: u64,
        /// The operation.
        op: Op,
    },
    /// The operation took effect.
    Ok {
        /// The operation's id.
        id: OpId,
        /// Nanoseconds since the history started.
        at_ns: u64,
        /// Its answer.
        result: OpResult,
    },
    /// The operation certainly did not take effect.
    Fail {
        /// The operation's id.
        id: OpId,
        /// Nanoseconds since the history started.
        at_ns: u64,
        /// Why, as the client saw it.
        error: String,
    },
    /// The outcome is unknown: it may take effect at any time after its
    /// invocation, or never.
    Info {
        /// The operation's id.
        id: OpId,
        /// Nanoseconds since the history started.
        at_ns: u64,
        /// Why the outcome is unknown (`timeout`, `connection lost`).
        reason: String,
    },
}

impl Event {
    /// The operation this event belongs to.
    pub fn id(&self) -> OpId {
        match self {
            Event::Invoke { id, .. }
            | Event::Ok { id, .. }
            | Event::Fail { id, .. }
            | Event::Info { id, .. } => *id,
        }
    }

    /// When it was recorded, in nanoseconds since the history started.
    pub fn at_ns(&self) -> u64 {
        match self {
            Event::Invoke { at_ns, .. }
            | Event::Ok { at_ns, .. }
            | Event::Fail { at_ns, .. }
            | Event::Info { at_ns, .. } => *at_ns,
        }
    }
}

/// An invocation paired with its completion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpRecord {
    /// The operation's id.
    pub id: OpId,
    /// The operation.
    pub op: Op,
    /// When it was invoked.
    pub invoked_ns: u64,
    /// How it ended.
    pub completion: Completion,
}

/// How an operation ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Completion {
    /// It took effect with this result.
    Ok {
        /// The answer.
        result: OpResult,
        /// When the answer arrived.
        at_ns: u64,
    },
    /// It certainly did not take effect.
    Fail {
        /// Why.
        error: String,
        /// When the failure arrived.
        at_ns: u64,
    },
    /// Unknown: it may have taken effect.
    Info {
        /// Why the outcome is unknown.
        reason: String,
        /// When the client gave up.
        at_ns: u64,
    },
    /// No completion was recorded (the client was still waiting, or died);
    /// as unknown as `Info`.
    Pending,
}

impl Completion {
    /// True when the operation may or may not have taken effect.
    pub fn is_indeterminate(&self) -> bool {
        matches!(self, Completion::Info { .. } | Completion::Pending)
    }
}

/// A history that cannot be paired: a client recorded it wrongly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HistoryError {
    /// A completion names an operation never invoked.
    CompletionWithoutInvoke {
        /// The operation named.
        id: OpId,
    },
    /// An operation was invoked twice under one id.
    InvokedTwice {
        /// The operation.
        id: OpId,
    },
    /// An operation was completed twice.
    CompletedTwice {
        /// The operation.
        id: OpId,
    },
    /// An operation's result is for another kind of operation.
    ResultDoesNotMatchOp {
        /// The operation.
        id: OpId,
    },
}

impl fmt::Display for HistoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HistoryError::CompletionWithoutInvoke { id } => {
                write!(f, "{id} completed but was never invoked")
            }
            HistoryError::InvokedTwice { id } => write!(f, "{id} was invoked twice"),
            HistoryError::CompletedTwice { id } => write!(f, "{id} was completed twice"),
            HistoryError::ResultDoesNotMatchOp { id } => {
                write!(f, "{id} has a result for another kind of operation")
            }
        }
    }
}

impl std::error::Error for HistoryError {}

/// Pairs invocations with completions, in invocation order.
pub fn pair(events: &[Event]) -> Result<Vec<OpRecord>, HistoryError> {
    let mut records: BTreeMap<OpId, OpRecord> = BTreeMap::new();
    for event in events {
        let completion = match event {
            Event::Invoke { id, at_ns, op } => {
                let record = OpRecord {
                    id: *id,
                    op: op.clone(),
                    invoked_ns: *at_ns,
                    completion: Completion::Pending,
                };
                if records.insert(*id, record).is_some() {
                    return Err(HistoryError::InvokedTwice { id: *id });
                }
                continue;
            }
            Event::Ok { result, at_ns, .. } => Completion::Ok {
                result: result.clone(),
                at_ns: *at_ns,
            },
            Event::Fail { error, at_ns, .. } => Completion::Fail {
                error: error.clone(),
                at_ns: *at_ns,
            },
            Event::Info { reason, at_ns, .. } => Completion::Info {
                reason: reason.clone(),
                at_ns: *at_ns,
            },
        };
        let id = event.id();
        let record = records
            .get_mut(&id)
            .ok_or(HistoryError::CompletionWithoutInvoke { id })?;
        if record.completion != Completion::Pending {
            return Err(HistoryError::CompletedTwice { id });
        }
        record.completion = completion;
    }
    Ok(records.into_values().collect())
}

/// Writes events as JSON lines, one event per line.
pub fn write_json_lines(events: &[Event], mut writer: impl Write) -> io::Result<()> {
    for event in events {
        serde_json::to_writer(&mut writer, event)?;
        writer.write_all(b"\n")?;
    }
    writer.flush()
}

/// Reads events written by [`write_json_lines`]; blank lines are skipped.
pub fn read_json_lines(reader: impl BufRead) -> io::Result<Vec<Event>> {
    let mut events = Vec::new();
    for line in reader.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        events.push(serde_json::from_str(&line)?);
    }
    Ok(events)
}

/// Where a history's timestamps come from.
enum Clock {
    /// Real monotonic time since the history started.
    Monotonic(Instant),
    /// Time since the start as some other clock tells it (a simulation's).
    Custom(Box<dyn Fn() -> Duration + Send + Sync>),
}

impl Clock {
    fn elapsed_ns(&self) -> u64 {
        let elapsed = match self {
            Clock::Monotonic(start) => start.elapsed(),
            Clock::Custom(clock) => clock(),
        };
        // u64 nanoseconds last 584 years; saturate rather than wrap beyond.
        u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX)
    }
}

/// What the mutex guards.
#[derive(Default)]
struct Recorded {
    events: Vec<Event>,
    ops_invoked: u64,
    last_ns: u64,
}

/// A thread-safe recorder of one history.
pub struct History {
    clock: Clock,
    recorded: Mutex<Recorded>,
}

impl fmt::Debug for History {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("History")
            .field("events", &self.lock().events.len())
            .finish_non_exhaustive()
    }
}

impl Default for History {
    fn default() -> Self {
        History::new()
    }
}

impl History {
    /// A history timed by the real monotonic clock, starting now.
    pub fn new() -> History {
        History {
            clock: Clock::Monotonic(Instant::now()),
            recorded: Mutex::new(Recorded::default()),
        }
    }

    /// A history timed by `clock`, which returns the time since the history
    /// started (a simulated clock, or a fixed script in tests). Timestamps
    /// are clamped so that they never fall even if the clock does.
    pub fn with_clock(clock: impl Fn() -> Duration + Send + Sync + 'static) -> History {
        History {
            clock: Clock::Custom(Box::new(clock)),
            recorded: Mutex::new(Recorded::default()),
        }
    }

    /// Records that `op` is about to be sent; complete it with the returned id.
    pub fn invoke(&self, op: Op) -> OpId {
        let mut recorded = self.lock();
        let id = OpId(recorded.ops_invoked);
        recorded.ops_invoked += 1;
        let at_ns = self.now_ns(&mut recorded);
        recorded.events.push(Event::Invoke { id, at_ns, op });
        id
    }

    /// Records that the operation took effect with `result`.
    pub fn ok(&self, id: OpId, result: OpResult) {
        let mut recorded = self.lock();
        let at_ns = self.now_ns(&mut recorded);
        recorded.events.push(Event::Ok { id, at_ns, result });
    }

    /// Records that the operation certainly did not take effect.
    pub fn fail(&self, id: OpId, error: impl Into<String>) {
        let mut recorded = self.lock();
        let at_ns = self.now_ns(&mut recorded);
        let error = error.into();
        recorded.events.push(Event::Fail { id, at_ns, error });
    }

    /// Records that the outcome is unknown (a timeout): the operation may
    /// take effect at any time, or never.
    pub fn info(&self, id: OpId, reason: impl Into<String>) {
        let mut recorded = self.lock();
        let at_ns = self.now_ns(&mut recorded);
        let reason = reason.into();
        recorded.events.push(Event::Info { id, at_ns, reason });
    }

    /// A copy of every event so far, in time order.
    pub fn events(&self) -> Vec<Event> {
        self.lock().events.clone()
    }

    /// Every operation so far with its completion, in invocation order.
    pub fn records(&self) -> Result<Vec<OpRecord>, HistoryError> {
        pair(&self.lock().events)
    }

    /// The number of events recorded.
    pub fn len(&self) -> usize {
        self.lock().events.len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.lock().events.is_empty()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Recorded> {
        // A client thread that panicked while recording left a whole event
        // or none; the history stays usable and the panic is reported
        // elsewhere.
        self.recorded.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn now_ns(&self, recorded: &mut Recorded) -> u64 {
        let at_ns = self.clock.elapsed_ns().max(recorded.last_ns);
        recorded.last_ns = at_ns;
        at_ns
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    use super::*;

    fn scripted_clock() -> (Arc<AtomicU64>, History) {
        let now_ms = Arc::new(AtomicU64::new(0));
        let clock = Arc::clone(&now_ms);
        let history =
            History::with_clock(move || Duration::from_millis(clock.load(Ordering::SeqCst)));
        (now_ms, history)
    }

    // Pairing joins each invocation to its completion and leaves unanswered
    // ones pending.
    #[test]
    fn records_pair_invocations_with_completions() {
        // Phase 1: three operations, completed ok, info, and not at all.
        let (now_ms, history) = scripted_clock();
        let report = history.invoke(Op::report(1, "abc"));
        let read = history.invoke(Op::read_unit(2, "nanjing-east-1-a"));
        now_ms.store(5, Ordering::SeqCst);
        history.ok(
            report,
            OpResult::Incident(IncidentResult::Reported {
                incident_id: "I-000001".into(),
            }),
        );
        history.info(read, "timeout");
        let pending = history.invoke(Op::report(3, "def"));

        // Phase 2: the records say exactly that.
        let records = history.records().expect("history is well formed");
        assert_eq!(records.len(), 3);
        assert_eq!(records[0].id, report);
        assert_eq!(records[0].op.key, "request:abc");
        assert!(matches!(
            records[0].completion,
            Completion::Ok {
                at_ns: 5_000_000,
                ..
            }
        ));
        assert!(records[1].completion.is_indeterminate());
        assert_eq!(records[2].id, pending);
        assert_eq!(records[2].completion, Completion::Pending);
    }

    // A clock that falls must not make timestamps fall.
    #[test]
    fn timestamps_never_fall() {
        let (now_ms, history) = scripted_clock();
        now_ms.store(10, Ordering::SeqCst);
        let first = history.invoke(Op::read_unit(1, "u"));
        now_ms.store(3, Ordering::SeqCst);
        history.ok(
            first,
            OpResult::Unit(UnitResult::Read {
                status: "available".into(),
                version: 1,
            }),
        );

        let events = history.events();
        assert_eq!(events[0].at_ns(), 10_000_000);
        assert_eq!(events[1].at_ns(), 10_000_000);
    }

    // Client bugs (double completion, unknown ids) are refused, not guessed at.
    #[test]
    fn malformed_histories_are_refused() {
        let history = History::new();
        let id = history.invoke(Op::report(1, "abc"));
        history.fail(id, "rejected");
        history.info(id, "timeout");
        assert_eq!(history.records(), Err(HistoryError::CompletedTwice { id }));

        let orphan = [Event::Info {
            id: OpId(7),
            at_ns: 0,
            reason: "timeout".into(),
        }];
        assert_eq!(
            pair(&orphan),
            Err(HistoryError::CompletionWithoutInvoke { id: OpId(7) })
        );
    }

    // Histories go into reports as JSON lines and come back unchanged.
    #[test]
    fn json_lines_round_trip() {
        // Phase 1: one event of each type, from several threads.
        let history = Arc::new(History::new());
        let threads: Vec<_> = (0..4)
            .map(|process| {
                let history = Arc::clone(&history);
                std::thread::spawn(move || {
                    let id = history.invoke(Op::write_unit(process, "u", Some(1), "en_route"));
                    match process {
                        0 => history.ok(id, OpResult::Unit(UnitResult::Written { version: 2 })),
                        1 => history.fail(id, "not leader"),
                        2 => history.info(id, "timeout"),
                        _ => {}
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("recording thread does not panic");
        }

        // Phase 2: write and read back.
        let events = history.events();
        let mut text = Vec::new();
        write_json_lines(&events, &mut text).expect("writing to a vector succeeds");
        let parsed = read_json_lines(text.as_slice()).expect("our own output parses");
        assert_eq!(parsed, events);
        assert_eq!(text.iter().filter(|&&byte| byte == b'\n').count(), 7);
    }
}
