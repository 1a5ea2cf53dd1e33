//! Decline move-up: a commander declines a proposed move-up, saying why;
//! no unit moves.

use serde::{Deserialize, Serialize};

use crate::ledger::command::check_text;
use crate::ledger::model::{Effect, Rejection};
use crate::ledger::move_ups::MoveUpStatus;
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// A commander declines a proposed move-up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeclineMoveUp {
    /// The move-up (the log index of its proposal).
    pub move_up_id: u64,
    /// Why, in words.
    pub reason: String,
}

impl Rules for DeclineMoveUp {
    fn name(&self) -> &'static str {
        "decline_move_up"
    }

    fn proposers(&self) -> Proposers {
        Proposers::OperatorOrClient(crate::ledger::access::Right::ApproveMoveUp)
    }

    fn check(&self) -> Result<(), Rejection> {
        check_text("reason", &self.reason)
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        ledger.move_up_to_decide(self.move_up_id)?;
        let by = step.command.origin.to_string();
        if let Some(move_up) = ledger.move_ups.get_mut(&self.move_up_id) {
            move_up.status = MoveUpStatus::Declined;
            move_up.decided_by = Some(by);
            move_up.decided_at_ms = Some(step.at_ms());
            move_up.note = Some(self.reason.clone());
        }
        Ok(Effect::MoveUpDecided {
            move_up_id: self.move_up_id,
            status: MoveUpStatus::Declined,
        })
    }
}
