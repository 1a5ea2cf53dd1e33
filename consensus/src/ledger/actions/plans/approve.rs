//! Approve plan: the plan awaiting approval is approved at this log index
//! and the hub is told to assign its units.

use serde::{Deserialize, Serialize};

use crate::ledger::ids::{ActorId, IncidentId};
use crate::ledger::model::{CommandLevel, TimelineStep};
use crate::ledger::model::{Message, Rejection};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// A commander (or the hub after the automatic-approval time) approves a plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApprovePlan {
    /// The incident.
    pub incident_id: IncidentId,
}

impl Rules for ApprovePlan {
    fn name(&self) -> &'static str {
        "approve_plan"
    }

    fn proposers(&self) -> Proposers {
        // Commanders (the district), a station's room on its own station's
        // incidents (the ledger checks a client's role and scope), the hub
        // at the automatic time.
        Proposers::Anyone(crate::ledger::access::Right::ApprovePlan)
    }

    fn check(&self) -> Result<(), Rejection> {
        Ok(())
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        let incident_id = self.incident_id;
        let moving = ledger.incident_stay(incident_id, "approve a plan")?;
        let incident = &ledger.incidents[&incident_id];
        match &incident.plan {
            Some(plan) if plan.approved_index.is_none() => {}
            _ => {
                return Err(Rejection::WrongIncidentStatus {
                    incident_id,
                    status: incident.status,
                    action: "approve (no plan awaits approval)".into(),
                })
            }
        }
        let incident = ledger.incident_mut(incident_id).expect("checked above");
        if let Some(plan) = incident.plan.as_mut() {
            plan.approved_index = Some(step.index);
            plan.approved_level = Some(CommandLevel::of(&step.command.origin));
        }
        let effect = ledger.record(
            step,
            moving,
            TimelineStep::PlanApproved,
            format!("approved by {}", step.command.origin),
        );
        ledger.enqueue(step, ActorId::Hub, Message::PlanApproved { incident_id });
        Ok(effect)
    }
}
