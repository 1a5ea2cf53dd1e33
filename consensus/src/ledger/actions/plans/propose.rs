//! Propose plan: the hub's force-mobilisation plan for a major incident,
//! awaiting approval; it may replace a plan not yet approved.

use serde::{Deserialize, Serialize};

use crate::ledger::command::{out_of_range, PLAN_LINES_MAX};
use crate::ledger::ids::IncidentId;
use crate::ledger::model::TimelineStep;
use crate::ledger::model::{Plan, PlanLine, Rejection};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// Hub: a force-mobilisation plan for a major incident, for approval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProposePlan {
    /// The incident.
    pub incident_id: IncidentId,
    /// Units per ring with ETAs and roles.
    pub lines: Vec<PlanLine>,
    /// Approved automatically at this time (Unix ms) unless a commander acts first.
    pub auto_approve_at_ms: u64,
}

impl Rules for ProposePlan {
    fn name(&self) -> &'static str {
        "propose_plan"
    }

    fn proposers(&self) -> Proposers {
        Proposers::HubOrOperator
    }

    fn check(&self) -> Result<(), Rejection> {
        if self.lines.is_empty() || self.lines.len() > PLAN_LINES_MAX {
            return Err(out_of_range(
                "lines",
                self.lines.len(),
                "a plan has 1 to 64 lines",
            ));
        }
        Ok(())
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        let incident_id = self.incident_id;
        let moving = ledger.incident_stay(incident_id, "propose a plan")?;
        let incident = &ledger.incidents[&incident_id];
        if incident
            .plan
            .as_ref()
            .is_some_and(|plan| plan.approved_index.is_some())
        {
            return Err(Rejection::WrongIncidentStatus {
                incident_id,
                status: incident.status,
                action: "replace an approved plan".into(),
            });
        }
        for line in &self.lines {
            ledger.known_unit(&line.unit_id)?;
        }
        let incident = ledger
            .incidents
            .get_mut(&incident_id)
            .expect("checked above");
        incident.plan = Some(Plan {
            lines: self.lines.clone(),
            auto_approve_at_ms: self.auto_approve_at_ms,
            approved_index: None,
        });
        Ok(ledger.record(
            step,
            moving,
            TimelineStep::PlanProposed,
            format!(
                "{} units; automatic approval at {} ms",
                self.lines.len(),
                self.auto_approve_at_ms
            ),
        ))
    }
}
