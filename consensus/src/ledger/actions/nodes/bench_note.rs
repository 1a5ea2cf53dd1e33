//! Bench note: a ledger-neutral entry, so that `cordon bench --raw`
//! measures the bare commit path (replication, fsync, apply, answer) with a
//! payload of a chosen size, comparable with any key-value store's put.

use serde::{Deserialize, Serialize};

use crate::ledger::command::out_of_range;
use crate::ledger::model::{Effect, Rejection};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// Largest bench note.
pub const BENCH_NOTE_BYTES_MAX: usize = 64 * 1024;

/// Operator: commit a note that changes nothing but the table of request
/// ids (as every command does).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchNote {
    /// The payload, at most [`BENCH_NOTE_BYTES_MAX`] bytes.
    pub bytes: Vec<u8>,
}

impl Rules for BenchNote {
    fn name(&self) -> &'static str {
        "bench_note"
    }

    fn proposers(&self) -> Proposers {
        Proposers::Operator
    }

    fn check(&self) -> Result<(), Rejection> {
        if self.bytes.len() > BENCH_NOTE_BYTES_MAX {
            return Err(out_of_range(
                "bytes",
                self.bytes.len(),
                "at most 65536 bytes",
            ));
        }
        Ok(())
    }

    fn apply(&self, _ledger: &mut Ledger, _step: &Step<'_>) -> Outcome {
        Ok(Effect::Noted {
            bytes: self.bytes.len() as u32,
        })
    }
}
