//! Verify a hazard: the verifier confirms it or finds a false alarm, and
//! says what was seen.

use serde::{Deserialize, Serialize};

use crate::ledger::command::out_of_range;
use crate::ledger::hazards::HazardStage;
use crate::ledger::model::Rejection;
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// A verifier's finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VerifyHazard {
    /// The hazard.
    pub hazard_id: u64,
    /// True: the hazard is real; false: a false alarm.
    pub confirmed: bool,
    /// What was seen.
    pub seen: String,
}

impl Rules for VerifyHazard {
    fn name(&self) -> &'static str {
        "verify_hazard"
    }

    fn proposers(&self) -> Proposers {
        Proposers::Anyone(crate::ledger::access::Right::HandleHazards)
    }

    fn check(&self) -> Result<(), Rejection> {
        if self.seen.trim().is_empty() {
            return Err(out_of_range(
                "seen",
                "empty",
                "say what was seen on the spot",
            ));
        }
        super::check_note("seen", &self.seen)
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        let stage = if self.confirmed {
            HazardStage::Confirmed
        } else {
            HazardStage::FalseAlarm
        };
        ledger.move_hazard(step, self.hazard_id, stage, self.seen.clone(), |_| {})
    }
}
