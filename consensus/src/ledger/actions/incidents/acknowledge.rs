//! Acknowledge unresourced: a person has seen that no unit of any ring can
//! respond to an incident and owns the wait. The dispatch message stays
//! pending (a unit that frees is still sent); the acknowledgement says who
//! took the incident on, and when, so the alert stops asking for somebody.

use serde::{Deserialize, Serialize};

use crate::ledger::ids::IncidentId;
use crate::ledger::model::{Acknowledgement, Rejection, TimelineStep};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// A dispatcher, commander or the incident's station acknowledges the wait.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AcknowledgeUnresourced {
    /// The incident.
    pub incident_id: IncidentId,
}

impl Rules for AcknowledgeUnresourced {
    fn name(&self) -> &'static str {
        "acknowledge_unresourced"
    }

    fn proposers(&self) -> Proposers {
        // Any origin; a client needs dispatch (a station: on its own incidents).
        Proposers::Anyone(crate::ledger::access::Right::Dispatch)
    }

    fn check(&self) -> Result<(), Rejection> {
        Ok(())
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        let incident_id = self.incident_id;
        let moving = ledger.incident_stay(incident_id, "acknowledge unresourced")?;
        let incident = ledger.incident_mut(incident_id).expect("checked above");
        let Some(unresourced) = incident.unresourced.as_mut() else {
            return Err(Rejection::WrongIncidentStatus {
                incident_id,
                status: incident.status,
                action: "acknowledge (it is not waiting for a unit)".into(),
            });
        };
        if let Some(earlier) = &unresourced.acknowledged {
            return Err(Rejection::WrongIncidentStatus {
                incident_id,
                status: incident.status,
                action: format!("acknowledge (acknowledged already by {})", earlier.by),
            });
        }
        let by = step.command.origin.to_string();
        unresourced.acknowledged = Some(Acknowledgement {
            by: by.clone(),
            at_ms: step.at_ms(),
            index: step.index,
        });
        Ok(ledger.record(
            step,
            moving,
            TimelineStep::UnresourcedAcknowledged,
            format!("acknowledged by {by}"),
        ))
    }
}
