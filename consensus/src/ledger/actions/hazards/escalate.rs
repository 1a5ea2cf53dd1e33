//! Escalate a hazard whose stage deadline passed: first to its station,
//! then to the district hub; each escalation gives the stage another
//! allowance before the next.

use serde::{Deserialize, Serialize};

use crate::ledger::command::out_of_range;
use crate::ledger::hazards::HazardStep;
use crate::ledger::model::{Effect, Rejection};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// The highest escalation: the district hub.
pub const HAZARD_ESCALATION_MAX: u8 = 2;

/// A missed deadline escalated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EscalateHazard {
    /// The hazard.
    pub hazard_id: u64,
}

impl Rules for EscalateHazard {
    fn name(&self) -> &'static str {
        "escalate_hazard"
    }

    fn proposers(&self) -> Proposers {
        Proposers::Anyone(crate::ledger::access::Right::HandleHazards)
    }

    fn check(&self) -> Result<(), Rejection> {
        Ok(())
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        let hazard_id = self.hazard_id;
        let hazard = ledger
            .hazards
            .get_mut(&hazard_id)
            .ok_or(Rejection::UnknownHazard { hazard_id })?;
        let Some(deadline_ms) = hazard.deadline_ms.filter(|d| step.at_ms() >= *d) else {
            return Err(out_of_range(
                "hazard deadline",
                format!("{:?}", hazard.deadline_ms),
                "escalate only a hazard whose stage deadline passed (see GET /v1/hazards)",
            ));
        };
        let level = (hazard.escalation_level + 1).min(HAZARD_ESCALATION_MAX);
        let to = if level == 1 {
            "its station"
        } else {
            "the district hub"
        };
        hazard.escalation_level = level;
        hazard.deadline_ms = hazard
            .stage
            .allowed_ms()
            .map(|allowed| step.at_ms() + allowed);
        hazard.trail.push(HazardStep {
            at_ms: step.at_ms(),
            index: step.index,
            by: step.command.origin.to_string(),
            stage: hazard.stage,
            note: format!(
                "{} past its deadline ({} ms ago): escalated to {to}",
                hazard.stage.as_str(),
                step.at_ms() - deadline_ms
            ),
        });
        Ok(Effect::HazardEscalated { hazard_id, level })
    }
}
