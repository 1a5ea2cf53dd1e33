//! Dismiss: an actor drops pending messages that need no action (moot);
//! they leave its queue with this command, like any handled message.

use serde::{Deserialize, Serialize};

use crate::ledger::command::check_text;
use crate::ledger::model::{Effect, Rejection};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// Actor: drop pending messages that need no action (moot), by sequence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dismiss {
    /// Why they need no action.
    pub reason: String,
}

impl Rules for Dismiss {
    fn name(&self) -> &'static str {
        "dismiss"
    }

    fn proposers(&self) -> Proposers {
        // Only an actor has a queue to dismiss from.
        Proposers::Actors
    }

    fn check(&self) -> Result<(), Rejection> {
        check_text("reason", &self.reason)
    }

    fn apply(&self, _ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        // The consumed messages leave the queue once the command is accepted.
        Ok(Effect::Dismissed {
            count: step.command.consumes.len() as u32,
        })
    }
}
