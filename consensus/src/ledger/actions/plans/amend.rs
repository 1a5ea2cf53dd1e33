//! Amend plan: a commander changes a plan that awaits approval: units taken
//! off it (kept for elsewhere) and units added to it. Approving it then
//! sends what the commander chose, and the trail says who changed what.

use serde::{Deserialize, Serialize};

use crate::ledger::command::{out_of_range, PLAN_LINES_MAX};
use crate::ledger::ids::{IncidentId, UnitId};
use crate::ledger::model::{PlanLine, Rejection, TimelineStep};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// A commander amends the plan of `incident_id` before approving it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AmendPlan {
    /// The incident.
    pub incident_id: IncidentId,
    /// Units taken off the plan.
    pub drop_units: Vec<UnitId>,
    /// Lines added (their estimates made by the proposing node).
    pub add_lines: Vec<PlanLine>,
}

impl Rules for AmendPlan {
    fn name(&self) -> &'static str {
        "amend_plan"
    }

    fn proposers(&self) -> Proposers {
        // Commanders (the ledger checks a client's role) and the operator.
        Proposers::OperatorOrClient(crate::ledger::access::Right::ApprovePlan)
    }

    fn check(&self) -> Result<(), Rejection> {
        if self.drop_units.is_empty() && self.add_lines.is_empty() {
            return Err(out_of_range(
                "amendment",
                "nothing to change",
                "drop or add at least one unit",
            ));
        }
        if self.drop_units.len() + self.add_lines.len() > PLAN_LINES_MAX {
            return Err(out_of_range(
                "amendment",
                self.drop_units.len() + self.add_lines.len(),
                "at most 64 units changed at once",
            ));
        }
        if let Some(both) = self
            .add_lines
            .iter()
            .find(|line| self.drop_units.contains(&line.unit_id))
        {
            return Err(out_of_range(
                "add_lines",
                &both.unit_id.0,
                "a unit is dropped or added, not both",
            ));
        }
        Ok(())
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        let incident_id = self.incident_id;
        let moving = ledger.incident_stay(incident_id, "amend a plan")?;
        let incident = &ledger.incidents[&incident_id];
        let Some(plan) = incident
            .plan
            .as_ref()
            .filter(|plan| plan.approved_index.is_none())
        else {
            return Err(Rejection::WrongIncidentStatus {
                incident_id,
                status: incident.status,
                action: "amend (no plan awaits approval)".into(),
            });
        };
        let lines = &plan.parts.lines;
        if let Some(missing) = self
            .drop_units
            .iter()
            .find(|unit| !lines.iter().any(|line| &line.unit_id == *unit))
        {
            return Err(out_of_range(
                "drop_units",
                &missing.0,
                "a unit the plan names",
            ));
        }
        if let Some(twice) = self
            .add_lines
            .iter()
            .find(|add| lines.iter().any(|line| line.unit_id == add.unit_id))
        {
            return Err(out_of_range(
                "add_lines",
                &twice.unit_id.0,
                "a unit the plan does not name yet",
            ));
        }
        for line in &self.add_lines {
            ledger.known_unit(&line.unit_id)?;
        }
        if lines.len() - self.drop_units.len() + self.add_lines.len() > PLAN_LINES_MAX {
            return Err(out_of_range(
                "add_lines",
                self.add_lines.len(),
                "a plan of at most 64 units",
            ));
        }
        let reason = self.reason(&step.command.origin.to_string());
        let incident = ledger.incident_mut(incident_id).expect("checked above");
        let plan = incident.plan.as_mut().expect("checked above");
        plan.parts
            .lines
            .retain(|line| !self.drop_units.contains(&line.unit_id));
        plan.parts.lines.extend(self.add_lines.iter().cloned());
        Ok(ledger.record(step, moving, TimelineStep::PlanAmended, reason))
    }
}

impl AmendPlan {
    /// The trail's words: who dropped and added which units.
    fn reason(&self, by: &str) -> String {
        let names = |units: Vec<&str>| {
            if units.is_empty() {
                "none".to_owned()
            } else {
                units.join(", ")
            }
        };
        let dropped = names(self.drop_units.iter().map(|unit| unit.0.as_str()).collect());
        let added = names(
            self.add_lines
                .iter()
                .map(|line| line.unit_id.0.as_str())
                .collect(),
        );
        format!("amended by {by}: dropped {dropped}; added {added}")
    }
}
