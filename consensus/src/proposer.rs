//! The proposer: puts the writes that arrive while earlier entries are on
//! their way into one log entry.
//!
//! openraft 0.9's core appends each proposal to the log and waits for that
//! append's fsync before it takes the next one. With one command per entry
//! the leader therefore committed at most one command per fsync, however
//! many clients waited (measured: 1.00 writes per leader fsync at 64
//! clients, while each follower's append carried 27-29 entries).
//!
//! Here at most [`ENTRIES_IN_FLIGHT_MAX`] entries are proposed at a time.
//! The writes that arrive meanwhile wait in a queue and go together in the
//! next entry, up to [`COMMANDS_PER_ENTRY_MAX`] commands and
//! [`ENTRY_BYTES_MAX`] bytes (a larger command goes alone). A write that
//! finds a free place is proposed at once, alone: a quiet cluster waits for
//! nothing. A command whose record takes the entry's index as its id
//! ([`crate::ledger::Action::names_record_by_index`]) also goes alone.
//! Each command keeps its own answer, and the ledger applies the commands
//! of an entry in order, as if each had its own.

use std::sync::Arc;

use openraft::error::{ClientWriteError, Fatal, RaftError};
use tokio::sync::{mpsc, oneshot, Semaphore};

use crate::codec;
use crate::ledger::{Applied, Command};
use crate::types::{NodeAddr, NodeId, Proposal, Raft};

/// Entries proposed and not yet answered, at most. The leader appends
/// them one fsync at a time, so under load they queue in openraft and
/// every write that arrives meanwhile shares the next entry here; a quiet
/// cluster's write (a report while its triage and the field's steps are on
/// their way) rarely waits. Measured on the 3-node demo (raw notes at 64
/// clients, reports at 1 client): 2, 4 and 8 gave 11.5-12.7 k notes/s
/// alike; 8 kept one client's report at its earlier p50 (3.5 ms), 2 and 4
/// made it wait 4.1-4.7 ms.
pub const ENTRIES_IN_FLIGHT_MAX: usize = 8;

/// Commands in one entry, at most: one follower append (at most
/// `raft.entries_per_append_max` entries) then carries tens of thousands.
pub const COMMANDS_PER_ENTRY_MAX: usize = 256;

/// Encoded bytes of the commands in one entry, at most, unless a single
/// command is larger (it then goes alone): a follower append shortened
/// after a too-large frame carries 64 entries, 4 MiB of these, well under
/// the default `limits.frame_bytes_max` of 16 MiB.
pub const ENTRY_BYTES_MAX: usize = 64 * 1024;

/// Writes waiting for a place in an entry, at most; a write beyond waits
/// to be queued (within its caller's deadline).
const QUEUED_WRITES_MAX: usize = 4096;

/// What a write is answered with: its command's answer, or why the entry
/// was not committed here (openraft's error, the leader's hint included).
pub type Proposed = Result<Applied, RaftError<NodeId, ClientWriteError<NodeId, NodeAddr>>>;

/// A write waiting for its entry.
struct Waiting {
    command: Command,
    bytes: usize,
    reply: oneshot::Sender<Proposed>,
}

impl Waiting {
    fn goes_alone(&self) -> bool {
        self.command.action.names_record_by_index()
    }
}

impl std::fmt::Debug for Waiting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Waiting")
            .field("request_id", &self.command.request_id)
            .field("bytes", &self.bytes)
            .finish()
    }
}

/// The handle a node writes through.
#[derive(Clone, Debug)]
pub struct Proposer {
    queue: mpsc::Sender<Waiting>,
}

impl Proposer {
    /// Starts proposing to `raft`; the task ends when every handle is gone.
    pub fn start(raft: Raft) -> Proposer {
        let (queue, waiting) = mpsc::channel(QUEUED_WRITES_MAX);
        tokio::spawn(run(raft, waiting));
        Proposer { queue }
    }

    /// Proposes `command` and waits for its answer: applied once its entry
    /// is committed, or openraft's refusal (not the leader, stopped).
    pub async fn propose(&self, command: Command) -> Proposed {
        // Counted, not encoded: the log encodes it once. Every command was
        // built from typed values, so it encodes; a failure would only make
        // it go alone.
        let bytes = codec::encoded_len(&command).unwrap_or(ENTRY_BYTES_MAX);
        let (reply, answer) = oneshot::channel();
        let waiting = Waiting {
            command,
            bytes,
            reply,
        };
        if self.queue.send(waiting).await.is_err() {
            return Err(RaftError::Fatal(Fatal::Stopped));
        }
        answer
            .await
            .unwrap_or(Err(RaftError::Fatal(Fatal::Stopped)))
    }
}

/// Takes the waiting writes, an entry's worth at a time, whenever fewer
/// than [`ENTRIES_IN_FLIGHT_MAX`] entries are on their way.
async fn run(raft: Raft, mut queue: mpsc::Receiver<Waiting>) {
    let places = Arc::new(Semaphore::new(ENTRIES_IN_FLIGHT_MAX));
    let mut carried = None;
    loop {
        let first = match carried.take() {
            Some(waiting) => waiting,
            None => match queue.recv().await {
                Some(waiting) => waiting,
                None => return,
            },
        };
        // Writes that arrive while every place is taken queue up behind.
        let Ok(place) = places.clone().acquire_owned().await else {
            return;
        };
        let (entry, next) = gather(first, &mut queue);
        carried = next;
        // Handed to openraft here, in queue order; answered in a task.
        let (commands, replies): (Vec<Command>, Vec<_>) = entry
            .into_iter()
            .map(|waiting| (waiting.command, waiting.reply))
            .unzip();
        match raft.client_write_ff(Proposal { commands }).await {
            Ok(answers) => {
                tokio::spawn(async move {
                    let outcome = match answers.await {
                        Ok(written) => written.map_err(RaftError::APIError),
                        Err(_) => Err(RaftError::Fatal(Fatal::Stopped)),
                    };
                    answer(replies, outcome);
                    drop(place);
                });
            }
            Err(fatal) => answer(replies, Err(RaftError::Fatal(fatal))),
        }
    }
}

/// One entry's writes: `first`, then those already queued, within the
/// entry's limits; the first write that does not fit is handed back.
fn gather(first: Waiting, queue: &mut mpsc::Receiver<Waiting>) -> (Vec<Waiting>, Option<Waiting>) {
    if first.goes_alone() {
        return (vec![first], None);
    }
    let mut bytes = first.bytes;
    let mut entry = vec![first];
    while entry.len() < COMMANDS_PER_ENTRY_MAX {
        let Ok(next) = queue.try_recv() else {
            break;
        };
        if next.goes_alone() || bytes + next.bytes > ENTRY_BYTES_MAX {
            return (entry, Some(next));
        }
        bytes += next.bytes;
        entry.push(next);
    }
    (entry, None)
}

/// Answers each write of an entry: its own command's answer, or the
/// entry's refusal.
fn answer(
    replies: Vec<oneshot::Sender<Proposed>>,
    outcome: Result<
        openraft::raft::ClientWriteResponse<crate::types::TypeConfig>,
        RaftError<NodeId, ClientWriteError<NodeId, NodeAddr>>,
    >,
) {
    match outcome {
        Ok(response) => {
            for (reply, applied) in replies.into_iter().zip(response.data) {
                // The writer may have stopped waiting (its deadline passed).
                let _ = reply.send(Ok(applied));
            }
        }
        Err(error) => {
            for reply in replies {
                let _ = reply.send(Err(error.clone()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{Action, BenchNote, Origin, RequestId};

    fn waiting(n: u64, action: Action, bytes: usize) -> Waiting {
        let command = Command::new(RequestId(format!("w-{n}")), 0, Origin::Operator, action);
        Waiting {
            command,
            bytes,
            reply: oneshot::channel().0,
        }
    }

    fn note(n: u64, bytes: usize) -> Waiting {
        waiting(n, Action::BenchNote(BenchNote { bytes: vec![] }), bytes)
    }

    fn ids(entry: &[Waiting]) -> Vec<String> {
        entry
            .iter()
            .map(|w| w.command.request_id.0.clone())
            .collect()
    }

    #[test]
    fn an_entry_takes_what_is_queued_within_its_limits() {
        // Queued writes join the first; the one that would pass the byte
        // limit is handed back for the next entry.
        let (sender, mut queue) = mpsc::channel(16);
        for n in 2..=4 {
            sender.try_send(note(n, 30_000)).unwrap();
        }
        let (entry, next) = gather(note(1, 10), &mut queue);
        assert_eq!(ids(&entry), ["w-1", "w-2", "w-3"]);
        assert_eq!(next.map(|w| w.command.request_id.0), Some("w-4".into()));

        // Nothing queued: the first goes alone at once.
        let (entry, next) = gather(note(5, 10), &mut queue);
        assert_eq!(ids(&entry), ["w-5"]);
        assert!(next.is_none());
    }

    #[test]
    fn a_record_named_by_its_index_goes_alone() {
        // A hazard report takes the entry's index as its id: it neither
        // joins an entry nor lets another join its own.
        let (sender, mut queue) = mpsc::channel(16);
        let hazard = || {
            Action::ReportHazard(crate::ledger::ReportHazard {
                area: "bund".into(),
                position: None,
                station: None,
                source: crate::ledger::hazards::HazardSource::Patrol,
                summary: "a loose barrier".into(),
            })
        };
        sender.try_send(waiting(2, hazard(), 10)).unwrap();
        sender.try_send(note(3, 10)).unwrap();
        let (entry, next) = gather(note(1, 10), &mut queue);
        assert_eq!(ids(&entry), ["w-1"]);
        let held = next.expect("the hazard is handed back");
        let (entry, next) = gather(held, &mut queue);
        assert_eq!(ids(&entry), ["w-2"]);
        assert!(next.is_none());
        assert_eq!(ids(&gather(note(4, 10), &mut queue).0), ["w-4", "w-3"]);
    }
}
