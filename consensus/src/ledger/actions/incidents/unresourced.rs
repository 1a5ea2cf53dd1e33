//! Mark unresourced: a responder found no unit in any ring for an incident.
//! The mark makes the wait visible (to commanders, the API and metrics) and
//! leaves a step in the audit trail; the dispatch message itself stays
//! pending, so the responder tries again the moment a unit frees. Assign,
//! escalate, resolve and cancel clear the mark.

use serde::{Deserialize, Serialize};

use crate::ledger::command::check_text;
use crate::ledger::ids::IncidentId;
use crate::ledger::model::{Effect, Rejection, TimelineStep, Unresourced};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// Actor: no unit of any ring can respond to this incident yet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MarkUnresourced {
    /// The incident.
    pub incident_id: IncidentId,
    /// Why no unit can respond, in words.
    pub reason: String,
}

impl Rules for MarkUnresourced {
    fn name(&self) -> &'static str {
        "mark_unresourced"
    }

    fn proposers(&self) -> Proposers {
        // The responders (and the hub for a major incident's plan) find it out.
        Proposers::Actors
    }

    fn check(&self) -> Result<(), Rejection> {
        check_text("reason", &self.reason)
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        let incident_id = self.incident_id;
        let incident = ledger.open_incident(incident_id, "mark unresourced")?;
        // Only an incident waiting for a unit can lack one (its first, or
        // another after its unit was taken elsewhere before arriving).
        if !incident.awaits_unit() {
            return Err(Rejection::WrongIncidentStatus {
                incident_id,
                status: incident.status,
                action: "mark unresourced".into(),
            });
        }
        let status = incident.status;
        let moving = ledger.incident_stay(incident_id, "mark unresourced")?;
        if ledger.incidents[&incident_id].unresourced.is_some() {
            // Marked already: said once, so a surge does not flood the trail.
            return Ok(Effect::IncidentUpdated {
                incident_id,
                status,
                version: ledger.incidents[&incident_id].version,
            });
        }
        let incident = ledger.incident_mut(incident_id).expect("checked above");
        incident.unresourced = Some(Unresourced {
            since_ms: step.at_ms(),
            since_index: step.index,
            reason: self.reason.clone(),
            acknowledged: None,
        });
        Ok(ledger.record(step, moving, TimelineStep::Unresourced, self.reason.clone()))
    }
}
