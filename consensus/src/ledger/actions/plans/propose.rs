//! Propose plan: the hub's force-mobilisation plan for a major incident,
//! awaiting approval; it may replace a plan not yet approved. The plan is
//! kept whole: its units with their destinations, the cordon points, the
//! nearest hospitals and safe houses, and what the rings could not supply.

use serde::{Deserialize, Serialize};

use crate::ledger::command::{
    out_of_range, PLAN_CORDON_POINTS_MAX, PLAN_FACILITIES_MAX, PLAN_FACILITY_TEXT_BYTES_MAX,
    PLAN_LINES_MAX, PLAN_SHORTFALLS_MAX,
};
use crate::ledger::ids::{IncidentId, Position};
use crate::ledger::model::TimelineStep;
use crate::ledger::model::{Plan, PlanFacility, PlanParts, Rejection};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// Hub: a force-mobilisation plan for a major incident, for approval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProposePlan {
    /// The incident.
    pub incident_id: IncidentId,
    /// Units, cordon points, facilities and shortfalls.
    pub parts: PlanParts,
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
        check_parts(&self.parts)
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
        for line in &self.parts.lines {
            ledger.known_unit(&line.unit_id)?;
        }
        let incident = ledger.incident_mut(incident_id).expect("checked above");
        incident.plan = Some(Plan {
            parts: self.parts.clone(),
            auto_approve_at_ms: self.auto_approve_at_ms,
            approved_index: None,
            approved_level: None,
        });
        Ok(ledger.record(
            step,
            moving,
            TimelineStep::PlanProposed,
            format!(
                "{} units, {} cordon points, {} facilities, {} units short; automatic approval at {} ms",
                self.parts.lines.len(),
                self.parts.cordon_points.len(),
                self.parts.facilities.len(),
                self.parts.units_short(),
                self.auto_approve_at_ms
            ),
        ))
    }
}

/// The stateless checks of a plan: every part within its bound, every
/// position valid, every shortfall at least one unit.
fn check_parts(parts: &PlanParts) -> Result<(), Rejection> {
    check_count("lines", parts.lines.len(), 1, PLAN_LINES_MAX)?;
    check_count(
        "cordon_points",
        parts.cordon_points.len(),
        0,
        PLAN_CORDON_POINTS_MAX,
    )?;
    check_count("facilities", parts.facilities.len(), 0, PLAN_FACILITIES_MAX)?;
    check_count("shortfalls", parts.shortfalls.len(), 0, PLAN_SHORTFALLS_MAX)?;
    for (index, point) in parts.cordon_points.iter().enumerate() {
        check_position(&format!("cordon_points[{index}]"), point)?;
    }
    for (index, line) in parts.lines.iter().enumerate() {
        check_position(&format!("lines[{index}].destination"), &line.destination)?;
    }
    for (index, facility) in parts.facilities.iter().enumerate() {
        check_facility(index, facility)?;
    }
    for (index, shortfall) in parts.shortfalls.iter().enumerate() {
        let missing = usize::from(shortfall.units_missing);
        if missing == 0 || missing > PLAN_LINES_MAX {
            return Err(out_of_range(
                &format!("shortfalls[{index}].units_missing"),
                missing,
                "a shortfall is 1 to 64 units (leave out a line that was filled)",
            ));
        }
    }
    Ok(())
}

/// Refuses `count` items of `field` outside `min..=max`.
fn check_count(field: &str, count: usize, min: usize, max: usize) -> Result<(), Rejection> {
    if (min..=max).contains(&count) {
        return Ok(());
    }
    Err(out_of_range(
        field,
        count,
        &format!("a plan has {min} to {max} {field}"),
    ))
}

/// Refuses a position outside the valid latitude and longitude ranges.
fn check_position(field: &str, position: &Position) -> Result<(), Rejection> {
    if position.is_valid() {
        return Ok(());
    }
    Err(out_of_range(
        field,
        position,
        "latitude -90..=90 and longitude -180..=180 degrees",
    ))
}

/// Refuses a facility with an empty or overlong id or name, or an invalid
/// position.
fn check_facility(index: usize, facility: &PlanFacility) -> Result<(), Rejection> {
    check_position(&format!("facilities[{index}].position"), &facility.position)?;
    for (name, text) in [("id", &facility.id), ("name", &facility.name)] {
        if text.is_empty() || text.len() > PLAN_FACILITY_TEXT_BYTES_MAX {
            return Err(out_of_range(
                &format!("facilities[{index}].{name}"),
                format!("{} bytes", text.len()),
                "1 to 200 bytes",
            ));
        }
    }
    Ok(())
}
