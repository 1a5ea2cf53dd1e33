//! Push a hazard to its verifier: the area's guardians or a patrol (a
//! unit), or a station's patrol; pushing again names another verifier.

use serde::{Deserialize, Serialize};

use crate::ledger::hazards::{HazardStage, Verifier};
use crate::ledger::model::Rejection;
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// A hazard sent to be verified.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PushHazard {
    /// The hazard.
    pub hazard_id: u64,
    /// Who verifies it.
    pub verifier: Verifier,
}

impl Rules for PushHazard {
    fn name(&self) -> &'static str {
        "push_hazard"
    }

    fn proposers(&self) -> Proposers {
        Proposers::Anyone(crate::ledger::access::Right::HandleHazards)
    }

    fn check(&self) -> Result<(), Rejection> {
        Ok(())
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        if let Verifier::Unit(unit_id) = &self.verifier {
            if ledger.unit(unit_id).is_none() {
                return Err(Rejection::UnknownUnit {
                    unit_id: unit_id.clone(),
                });
            }
        }
        let note = match &self.verifier {
            Verifier::Station(station) => format!("pushed to station {station}"),
            Verifier::Unit(unit) => format!("pushed to unit {unit}"),
        };
        let verifier = self.verifier.clone();
        ledger.move_hazard(
            step,
            self.hazard_id,
            HazardStage::Verifying,
            note,
            |hazard| {
                hazard.verifier = Some(verifier);
            },
        )
    }
}
