//! Triage: the hub classifies an incident, sets its ring, station and
//! on-scene target, and hands it to the responder (or back to itself for a
//! major incident's mobilisation plan).

use serde::{Deserialize, Serialize};

use crate::ledger::command::check_text;
use crate::ledger::ids::{ActorId, IncidentId, IncidentStatus, Ring, StationId};
use crate::ledger::model::TimelineStep;
use crate::ledger::model::{Effect, Message, Rejection};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{responder, Move, Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// Hub: classify an incident and hand it to a ring (or its station).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TriageIncident {
    /// The incident.
    pub incident_id: IncidentId,
    /// The ring that responds first.
    pub ring: Ring,
    /// The owning station (whose zone contains the location), if any.
    pub station: Option<StationId>,
    /// The run card applied.
    pub run_card: String,
    /// On-scene target for this ring at this place.
    pub target_s: u32,
    /// Major incidents get a mobilisation plan before dispatch.
    pub major: bool,
}

impl Rules for TriageIncident {
    fn name(&self) -> &'static str {
        "triage_incident"
    }

    fn proposers(&self) -> Proposers {
        Proposers::HubOrOperator
    }

    fn check(&self) -> Result<(), Rejection> {
        check_text("run_card", &self.run_card)
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        // Only a reported incident may be triaged (the status table).
        let moving = ledger.incident_move(self.incident_id, IncidentStatus::Triaged)?;
        Ok(self.commit(ledger, step, moving))
    }
}

impl TriageIncident {
    /// Records the triage the status table allowed (`moving`): ring,
    /// station, target, the timeline step, and the dispatch message to the
    /// responder (or to the hub for a major incident's plan).
    pub(super) fn commit(&self, ledger: &mut Ledger, step: &Step<'_>, moving: Move) -> Effect {
        let incident_id = self.incident_id;
        let incident = ledger
            .incident_mut(incident_id)
            .expect("a move is made only for an incident that exists");
        incident.ring = Some(self.ring);
        incident.station = self.station.clone();
        incident.target_s = Some(self.target_s);
        incident.major = self.major;
        let effect = ledger.record(step, moving, TimelineStep::Triaged, self.reason());
        let to = if self.major {
            ActorId::Hub
        } else {
            responder(self.ring, self.station.clone())
        };
        ledger.enqueue(step, to, Message::Dispatch { incident_id });
        effect
    }

    /// The timeline's reason: ring, station, run card and target.
    fn reason(&self) -> String {
        format!(
            "ring {}, station {}, run card {}, target {} s{}",
            self.ring.number(),
            self.station.as_ref().map_or("-", StationId::as_str),
            self.run_card,
            self.target_s,
            if self.major {
                ", major: mobilisation plan"
            } else {
                ""
            }
        )
    }
}
