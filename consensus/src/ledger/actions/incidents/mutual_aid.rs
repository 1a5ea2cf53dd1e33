//! Mutual aid: a station asks a neighbouring station for one of its groups;
//! the neighbour is told by message and remembered as asked.

use serde::{Deserialize, Serialize};

use crate::ledger::command::check_text;
use crate::ledger::ids::{ActorId, IncidentId, StationId};
use crate::ledger::model::TimelineStep;
use crate::ledger::model::{Message, Rejection};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// Station: ask a neighbouring station for one of its groups.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestMutualAid {
    /// The incident.
    pub incident_id: IncidentId,
    /// The neighbouring station asked.
    pub to_station: StationId,
    /// Why.
    pub reason: String,
}

impl Rules for RequestMutualAid {
    fn name(&self) -> &'static str {
        "request_mutual_aid"
    }

    fn proposers(&self) -> Proposers {
        // Stations ask (no API route does).
        Proposers::Cluster
    }

    fn check(&self) -> Result<(), Rejection> {
        check_text("reason", &self.reason)
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        let incident_id = self.incident_id;
        let moving = ledger.incident_stay(incident_id, "request mutual aid")?;
        let incident = &ledger.incidents[&incident_id];
        // An incident without a station asks in the name of "" (no station).
        let from_station = incident
            .station
            .clone()
            .unwrap_or_else(|| StationId(String::new()));
        ledger
            .incident_mut(incident_id)
            .expect("checked above")
            .aid_asked
            .push(self.to_station.clone());
        let effect = ledger.record(
            step,
            moving,
            TimelineStep::MutualAidRequested,
            format!("{from_station} asks {}: {}", self.to_station, self.reason),
        );
        ledger.enqueue(
            step,
            ActorId::Station(self.to_station.clone()),
            Message::MutualAid {
                incident_id,
                from_station,
            },
        );
        Ok(effect)
    }
}
