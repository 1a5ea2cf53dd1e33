//! Clear a hazard at the source: it closes and counts among the area's
//! hazards cleared that day.

use serde::{Deserialize, Serialize};

use crate::ledger::hazards::HazardStage;
use crate::ledger::model::Rejection;
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// A hazard cleared.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClearHazard {
    /// The hazard.
    pub hazard_id: u64,
    /// How, in words.
    pub note: String,
}

impl Rules for ClearHazard {
    fn name(&self) -> &'static str {
        "clear_hazard"
    }

    fn proposers(&self) -> Proposers {
        Proposers::Anyone(crate::ledger::access::Right::HandleHazards)
    }

    fn check(&self) -> Result<(), Rejection> {
        super::check_note("note", &self.note)
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        ledger.move_hazard(
            step,
            self.hazard_id,
            HazardStage::Cleared,
            self.note.clone(),
            |_| {},
        )
    }
}
