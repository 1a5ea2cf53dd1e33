//! Escalate: hand an incident outward to a higher ring; the next ring's
//! responder is told to dispatch and a new on-scene deadline starts with its
//! first assignment.

use serde::{Deserialize, Serialize};

use crate::ledger::command::check_text;
use crate::ledger::ids::{IncidentId, IncidentStatus, Ring};
use crate::ledger::model::TimelineStep;
use crate::ledger::model::{Message, Rejection};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{responder, Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// Hand an incident outward to another ring.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Escalate {
    /// The incident.
    pub incident_id: IncidentId,
    /// The ring it goes to (above the current one).
    pub to_ring: Ring,
    /// Why.
    pub reason: String,
}

impl Rules for Escalate {
    fn name(&self) -> &'static str {
        "escalate"
    }

    fn proposers(&self) -> Proposers {
        // Hub, stations and rings escalate; so may a commander through the API.
        Proposers::Anyone
    }

    fn check(&self) -> Result<(), Rejection> {
        check_text("reason", &self.reason)
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        let incident_id = self.incident_id;
        let moving = ledger.incident_move(incident_id, IncidentStatus::Escalated)?;
        let incident = &ledger.incidents[&incident_id];
        if let Some(from) = incident.ring.filter(|from| self.to_ring <= *from) {
            return Err(Rejection::NotOutward {
                incident_id,
                from,
                to: self.to_ring,
            });
        }
        // An incident escalated before triage has no ring yet: "ring 0".
        let from = incident.ring.map_or(0, Ring::number);
        let station = incident.station.clone();
        let incident = ledger
            .incidents
            .get_mut(&incident_id)
            .expect("checked above");
        incident.ring = Some(self.to_ring);
        // The next ring's first assignment starts a new on-scene deadline.
        incident.on_scene_deadline_ms = None;
        let effect = ledger.record(
            step,
            moving,
            TimelineStep::Escalated,
            format!(
                "ring {from} -> ring {}: {}",
                self.to_ring.number(),
                self.reason
            ),
        );
        ledger.enqueue(
            step,
            responder(self.to_ring, station),
            Message::Dispatch { incident_id },
        );
        Ok(effect)
    }
}
