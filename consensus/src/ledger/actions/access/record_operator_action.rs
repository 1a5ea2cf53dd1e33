//! Record operator action: an operator's action that is not itself a ledger
//! action (a membership change, a drill fault) is written to the operator
//! audit log before it is carried out.

use serde::{Deserialize, Serialize};

use crate::ledger::access::Right;
use crate::ledger::command::{check_text, out_of_range};
use crate::ledger::model::{Effect, Rejection};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// Longest name of a recorded operator action.
pub const OPERATOR_ACTION_NAME_BYTES_MAX: usize = 64;

/// Operator (or a drill principal): note an action taken outside the
/// ledger in the operator audit log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordOperatorAction {
    /// What kind of action (`add_learner`, `drill_fault_actor`).
    pub action: String,
    /// Its details, in words.
    pub detail: String,
}

impl Rules for RecordOperatorAction {
    fn name(&self) -> &'static str {
        "record_operator_action"
    }

    fn proposers(&self) -> Proposers {
        Proposers::OperatorOrClient(Right::Drill)
    }

    fn check(&self) -> Result<(), Rejection> {
        let name_ok = !self.action.is_empty()
            && self.action.len() <= OPERATOR_ACTION_NAME_BYTES_MAX
            && self
                .action
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !name_ok {
            return Err(out_of_range(
                "action",
                format!("{:?}", self.action),
                "1-64 characters of a-z, 0-9 and '_'",
            ));
        }
        check_text("detail", &self.detail)
    }

    fn apply(&self, _ledger: &mut Ledger, _step: &Step<'_>) -> Outcome {
        // The operator audit log records every applied operator action,
        // this one included (see `Ledger::apply_fresh`).
        Ok(Effect::OperatorActionRecorded)
    }
}
