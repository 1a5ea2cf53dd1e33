//! The table of request ids: each id the ledger has seen, with its first
//! answer and the fingerprint of the request that got it.
//!
//! A retry (the same id, the same request) is answered from the table; a
//! request id used again for a different request is refused, naming where
//! it was first used, and the first answer stays as it was.
//!
//! A success is remembered for [`SUCCESS_MEMORY_ENTRIES`] log entries: it
//! took effect, and a retry within any proposer's retry horizon must never
//! make it take effect twice; remembering it longer would make the table
//! (and every snapshot) grow with history. A rejection changed nothing, so
//! it is remembered only for [`REJECTION_MEMORY_ENTRIES`] log entries: long
//! enough that every retry of the same attempt gets the same answer, short
//! enough that a retry after the world changed (the unit freed, the plan
//! arrived) is applied afresh instead of replaying an old refusal.

use std::collections::BTreeMap;
use std::sync::Arc;

use ring::digest::{digest, SHA256};
use serde::{Deserialize, Serialize};

use super::command::Command;
use super::ids::RequestId;
use super::model::{Applied, Effect, Rejection};
use crate::codec;

/// Log entries for which a rejected request is remembered: the command at
/// index `i + REJECTION_MEMORY_ENTRIES` no longer finds a rejection
/// answered at index `i`, and a retry from then on is applied afresh.
///
/// Why 10,000: a proposer that did not learn an outcome retries with the
/// same id for about `limits.client_write_timeout_ms` (5 s by default); at
/// 1,000 commands a second, far above a district's load, 10,000 entries are
/// 10 s, twice that. At a quiet hour the window lasts longer, which only
/// keeps an old refusal a while longer. It also bounds the remembered
/// rejections to 10,000 (a few MB in a snapshot at most).
pub const REJECTION_MEMORY_ENTRIES: u64 = 10_000;

/// Log entries for which a successful request is remembered.
///
/// Why 100,000: proposers retry for about `limits.client_write_timeout_ms`
/// (5 s by default, at most 10 minutes); 100,000 entries outlast the
/// default timeout up to 20,000 commands a second, and the longest one up
/// to 166 a second, while the table stays a few tens of MB at most,
/// whatever the history.
pub const SUCCESS_MEMORY_ENTRIES: u64 = 100_000;

/// SHA-256 of a request's canonical encoding: its action and the pending
/// messages it consumes. Not the proposer's time, origin or trace context:
/// a client's retry carries a new time, may come in through another node or
/// connection, and belongs to another trace, yet is the same request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// The fingerprint of `command`'s request, the same on every node.
    pub fn of(command: &Command) -> Fingerprint {
        // Every command was decoded from the log (or built in memory from
        // typed values) by the same codec, so it encodes again.
        let bytes = codec::encode(&(&command.action, &command.consumes))
            .expect("a command's action and consumed messages always encode");
        let hash = digest(&SHA256, &bytes);
        let mut fingerprint = [0u8; 32];
        fingerprint.copy_from_slice(hash.as_ref());
        Fingerprint(fingerprint)
    }
}

/// A request id's first answer and the fingerprint of the request it answered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Remembered {
    answer: Applied,
    fingerprint: Fingerprint,
}

/// A request id as the table keeps it: one allocation shared by the table
/// and its forgetting queue (100 000 successes are remembered, so a second
/// copy of each id costs megabytes). It encodes exactly as a [`RequestId`].
type SharedId = Arc<str>;

/// Every request id the ledger remembers, with its first answer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Requests {
    answers: BTreeMap<SharedId, Remembered>,
    /// The ids among `answers` whose answer is a rejection, by the number of
    /// the command answered (with its log index), oldest first: the queue
    /// they are forgotten from. Several commands may share an entry.
    rejections: BTreeMap<u64, (u64, SharedId)>,
    /// The same for the successes.
    successes: BTreeMap<u64, (u64, SharedId)>,
}

impl Requests {
    /// The answer to `command` at log `index` if its request id is known:
    /// the first answer again for the same request, a refusal naming the
    /// first use for a different one. `None` for an id never seen.
    pub(crate) fn recall(
        &self,
        command: &Command,
        fingerprint: Fingerprint,
        index: u64,
    ) -> Option<Applied> {
        let first = self.answers.get(command.request_id.0.as_str())?;
        if first.fingerprint == fingerprint {
            return Some(Applied {
                deduplicated: true,
                ..first.answer.clone()
            });
        }
        let rejection = Rejection::RequestIdReused {
            request_id: command.request_id.clone(),
            first_index: first.answer.index,
        };
        Some(Applied {
            index,
            effect: Effect::Rejected { rejection },
            deduplicated: false,
        })
    }

    /// Remembers the first answer to `request_id`; a rejection also joins
    /// the queue of rejections to forget.
    pub(crate) fn remember(
        &mut self,
        request_id: RequestId,
        fingerprint: Fingerprint,
        answer: Applied,
        at: super::At,
    ) {
        let queue = if matches!(answer.effect, Effect::Rejected { .. }) {
            &mut self.rejections
        } else {
            &mut self.successes
        };
        let request_id: SharedId = Arc::from(request_id.0);
        queue.insert(at.command, (at.index, request_id.clone()));
        self.answers.insert(
            request_id,
            Remembered {
                answer,
                fingerprint,
            },
        );
    }

    /// Forgets the rejections answered [`REJECTION_MEMORY_ENTRIES`] or more
    /// entries or commands before `at`, and the successes answered
    /// [`SUCCESS_MEMORY_ENTRIES`] or more before it (an entry may carry
    /// many commands: counting commands too keeps the table's size bounded).
    /// Deterministic: a function of the log alone, so every node forgets the
    /// same ones at the same command.
    pub(crate) fn forget_expired(&mut self, at: super::At) {
        forget_older(
            &mut self.answers,
            &mut self.rejections,
            at,
            REJECTION_MEMORY_ENTRIES,
        );
        forget_older(
            &mut self.answers,
            &mut self.successes,
            at,
            SUCCESS_MEMORY_ENTRIES,
        );
    }

    /// Number of rejections remembered (at most [`REJECTION_MEMORY_ENTRIES`]).
    pub(crate) fn rejection_count(&self) -> usize {
        self.rejections.len()
    }

    /// Number of successes remembered (at most [`SUCCESS_MEMORY_ENTRIES`]).
    pub(crate) fn success_count(&self) -> usize {
        self.successes.len()
    }

    /// The first answer to a request id, if it is remembered.
    pub(crate) fn answer(&self, request_id: &RequestId) -> Option<&Applied> {
        self.answers
            .get(request_id.0.as_str())
            .map(|first| &first.answer)
    }
}

/// Forgets the answers in `queue` given `memory_entries` or more entries
/// or commands before `at`.
fn forget_older(
    answers: &mut BTreeMap<SharedId, Remembered>,
    queue: &mut BTreeMap<u64, (u64, SharedId)>,
    at: super::At,
    memory_entries: u64,
) {
    while let Some(oldest) = queue.first_entry() {
        let answered = super::At {
            index: oldest.get().0,
            command: *oldest.key(),
        };
        if at.passed_since(answered) < memory_entries {
            break;
        }
        let (_, request_id) = oldest.remove();
        let forgotten = answers.remove(&request_id);
        debug_assert!(
            forgotten.is_some_and(|first| first.answer.index == answered.index),
            "the queue names {request_id} at {}, the table does not",
            answered.index
        );
    }
}
