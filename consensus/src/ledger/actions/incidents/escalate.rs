//! Escalate: hand an incident outward to a higher ring; the next ring's
//! responder is told to dispatch, the incident's on-scene target becomes the
//! new ring's (the proposer reads it from the district model, which the
//! ledger does not have) and a new on-scene deadline starts with its first
//! assignment.

use serde::{Deserialize, Serialize};

use crate::ledger::command::{check_text, out_of_range};
use crate::ledger::ids::{IncidentId, IncidentStatus, Ring};
use crate::ledger::model::TimelineStep;
use crate::ledger::model::{CommandLevel, Message, Rejection};
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
    /// The new ring's on-scene target at the incident's place, seconds.
    pub target_s: u32,
    /// Why.
    pub reason: String,
}

impl Rules for Escalate {
    fn name(&self) -> &'static str {
        "escalate"
    }

    fn proposers(&self) -> Proposers {
        // Hub, stations and rings escalate (no API route does).
        Proposers::Cluster
    }

    fn check(&self) -> Result<(), Rejection> {
        if self.target_s == 0 {
            return Err(out_of_range(
                "target_s",
                self.target_s,
                "at least 1 s: the new ring's on-scene target from the district model",
            ));
        }
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
        let incident = ledger.incident_mut(incident_id).expect("checked above");
        incident.ring = Some(self.to_ring);
        incident.target_s = Some(self.target_s);
        // The next ring's first assignment starts a new on-scene deadline,
        // and the next ring has its own units to look for.
        incident.on_scene_deadline_ms = None;
        incident.unresourced = None;
        let effect = ledger.record(
            step,
            moving,
            TimelineStep::Escalated,
            format!(
                "ring {from} -> ring {}, target {} s, by {}: {}",
                self.to_ring.number(),
                self.target_s,
                CommandLevel::deciding(&step.command.origin),
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
