//! The table of request ids: each id the ledger has seen, with its first
//! answer and the fingerprint of the request that got it.
//!
//! A retry (the same id, the same request) is answered from the table; a
//! request id used again for a different request is refused, naming where
//! it was first used, and the first answer stays as it was.

use std::collections::BTreeMap;

use ring::digest::{digest, SHA256};
use serde::{Deserialize, Serialize};

use super::command::Command;
use super::ids::RequestId;
use super::model::{Applied, Effect, Rejection};
use crate::codec;

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

/// Every request id the ledger remembers, with its first answer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Requests {
    answers: BTreeMap<RequestId, Remembered>,
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
        let first = self.answers.get(&command.request_id)?;
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

    /// Remembers the first answer to `request_id`.
    pub(crate) fn remember(
        &mut self,
        request_id: RequestId,
        fingerprint: Fingerprint,
        answer: Applied,
    ) {
        self.answers.insert(
            request_id,
            Remembered {
                answer,
                fingerprint,
            },
        );
    }

    /// The first answer to a request id, if it is remembered.
    pub(crate) fn answer(&self, request_id: &RequestId) -> Option<&Applied> {
        self.answers.get(request_id).map(|first| &first.answer)
    }
}
