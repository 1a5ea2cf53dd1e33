//! Reassign: a dispatcher takes a unit off one incident and sends it to
//! another (a lower-priority call gives its patrol to a higher-priority
//! one). The first incident is never left behind: when it keeps no unit and
//! none has reached it, its dispatch goes back to its responder, which finds
//! the next unit under the deadline already running.

use serde::{Deserialize, Serialize};

use crate::ledger::command::check_note;
use crate::ledger::ids::{IncidentId, UnitStatus};
use crate::ledger::model::{Message, Rejection, TimelineStep};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{responder, Move, Outcome, Step};
use crate::ledger::{actions::Rules, ActorId, Ledger};

use super::AssignUnit;

/// A dispatcher moves a busy unit from `from_incident_id` to the
/// assignment's incident, conditional on the unit's version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReassignUnit {
    /// The new assignment: incident, unit, version, ETA, breach.
    pub assign: AssignUnit,
    /// The incident the unit leaves.
    pub from_incident_id: IncidentId,
    /// Why (on both trails), 1 to [`crate::ledger::TEXT_BYTES_MAX`] bytes.
    pub reason: String,
}

impl Rules for ReassignUnit {
    fn name(&self) -> &'static str {
        "reassign_unit"
    }

    fn proposers(&self) -> Proposers {
        // A person with dispatch (a station: on its own incidents), or an actor.
        Proposers::Anyone(crate::ledger::access::Right::Dispatch)
    }

    fn check(&self) -> Result<(), Rejection> {
        if self.from_incident_id == self.assign.incident_id {
            return Err(crate::ledger::command::out_of_range(
                "from_incident_id",
                self.from_incident_id,
                "the unit is already on this incident: choose another incident",
            ));
        }
        check_note("reason", &self.reason)
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        let (moving, target_s) = self.assign.check_incident_and_version(ledger)?;
        let leaving = self.check_unit(ledger)?;
        self.release(ledger, step, leaving);
        let how = format!(
            ", reassigned from {}: {}",
            self.from_incident_id, self.reason
        );
        Ok(self.assign.send(ledger, step, moving, target_s, &how))
    }
}

impl ReassignUnit {
    /// The unit works the incident it leaves (dispatched, acknowledged, en
    /// route or on scene there) and that incident is open. Returns the
    /// leaving incident's step (its status stays).
    fn check_unit(&self, ledger: &Ledger) -> Result<Move, Rejection> {
        let unit = &ledger.units[&self.assign.unit_id];
        let working = matches!(
            unit.status,
            UnitStatus::Dispatched
                | UnitStatus::Acknowledged
                | UnitStatus::EnRoute
                | UnitStatus::OnScene
        );
        if !working || unit.assigned_to != Some(self.from_incident_id) {
            return Err(Rejection::UnitUnavailable {
                unit_id: unit.id.clone(),
                status: unit.status,
                assigned_to: unit.assigned_to,
            });
        }
        ledger.incident_stay(self.from_incident_id, "release a unit")
    }

    /// Takes the unit off the incident it leaves, on that trail, and sends
    /// that incident's dispatch back to its responder (or the hub, for a
    /// major incident) when it keeps no unit and none has arrived.
    fn release(&self, ledger: &mut Ledger, step: &Step<'_>, leaving: Move) {
        let (from, unit_id) = (self.from_incident_id, &self.assign.unit_id);
        let incident = ledger.incident_mut(from).expect("checked above");
        incident.units.retain(|unit| unit != unit_id);
        let redispatch = incident.units.is_empty() && incident.on_scene_at_ms.is_none();
        let to = match (incident.major, incident.ring) {
            (false, Some(ring)) => responder(ring, incident.station.clone()),
            _ => ActorId::Hub,
        };
        let next = if redispatch {
            format!("; dispatch handed back to {to}")
        } else {
            String::new()
        };
        ledger.record(
            step,
            leaving,
            TimelineStep::UnitReleased {
                unit_id: unit_id.clone(),
            },
            format!(
                "{unit_id} reassigned to {}: {}{next}",
                self.assign.incident_id, self.reason
            ),
        );
        if redispatch {
            ledger.enqueue(step, to, Message::Dispatch { incident_id: from });
        }
    }
}
