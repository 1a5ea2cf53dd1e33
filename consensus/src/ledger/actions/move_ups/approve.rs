//! Approve move-up: a commander approves a proposed move-up; its units,
//! all still idle, get their new posts.

use serde::{Deserialize, Serialize};

use crate::ledger::model::{Effect, Rejection};
use crate::ledger::move_ups::MoveUpStatus;
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// A commander approves a proposed move-up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApproveMoveUp {
    /// The move-up (the log index of its proposal).
    pub move_up_id: u64,
}

impl Rules for ApproveMoveUp {
    fn name(&self) -> &'static str {
        "approve_move_up"
    }

    fn proposers(&self) -> Proposers {
        Proposers::OperatorOrClient(crate::ledger::access::Right::ApproveMoveUp)
    }

    fn check(&self) -> Result<(), Rejection> {
        Ok(())
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        let parts = ledger.move_up_to_decide(self.move_up_id)?;
        // A unit sent elsewhere since the proposal makes it stale: the ring
        // proposes afresh from the units idle now.
        ledger.check_move_up_units(parts)?;
        let by = step.command.origin.to_string();
        ledger.approve_move_up(step, self.move_up_id, by);
        Ok(Effect::MoveUpDecided {
            move_up_id: self.move_up_id,
            status: MoveUpStatus::Approved,
        })
    }
}
