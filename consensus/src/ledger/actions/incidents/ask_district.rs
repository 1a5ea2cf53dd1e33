//! Ask the district: a station's command room asks the district command
//! centre for more units of a ring for one of its open incidents, saying
//! why. The ask goes on the incident (numbered from 1) and its trail with
//! the level that asked; the district answers it (`AnswerDistrictAsk`).

use serde::{Deserialize, Serialize};

use crate::ledger::command::{check_note, out_of_range};
use crate::ledger::ids::{IncidentId, Ring};
use crate::ledger::model::{CommandLevel, DistrictAsk, Rejection, TimelineStep};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// Most units one ask asks for.
pub const ASK_UNITS_MAX: u8 = 20;
/// Most asks one incident carries.
pub const ASKS_PER_INCIDENT_MAX: usize = 16;

/// A station room's ask of the district for more.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AskDistrict {
    /// The incident.
    pub incident_id: IncidentId,
    /// The ring asked of.
    pub ring: Ring,
    /// How many more units, 1 to [`ASK_UNITS_MAX`].
    pub units: u8,
    /// Why.
    pub reason: String,
}

impl Rules for AskDistrict {
    fn name(&self) -> &'static str {
        "ask_district"
    }

    fn proposers(&self) -> Proposers {
        // A client needs dispatch (a station: on its own incidents).
        Proposers::Anyone(crate::ledger::access::Right::Dispatch)
    }

    fn check(&self) -> Result<(), Rejection> {
        if !(1..=ASK_UNITS_MAX).contains(&self.units) {
            return Err(out_of_range("units", self.units, "1 to 20 units"));
        }
        check_note("reason", &self.reason)
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        let incident_id = self.incident_id;
        let moving = ledger.incident_stay(incident_id, "ask the district")?;
        let incident = ledger.incident_mut(incident_id).expect("checked above");
        if incident.asks.len() >= ASKS_PER_INCIDENT_MAX {
            return Err(out_of_range(
                "asks",
                incident.asks.len(),
                "at most 16 asks an incident: ring the district command centre",
            ));
        }
        let by = step.command.origin.to_string();
        let level = CommandLevel::of(&step.command.origin);
        incident.asks.push(DistrictAsk {
            by,
            level: level.clone(),
            at_ms: step.at_ms(),
            ring: self.ring,
            units: self.units,
            reason: self.reason.clone(),
            answer: None,
        });
        let number = incident.asks.len();
        Ok(ledger.record(
            step,
            moving,
            TimelineStep::AskedDistrict,
            format!(
                "ask {number}: {level} asks the district for {} more ring-{} units: {}",
                self.units,
                self.ring.number(),
                self.reason
            ),
        ))
    }
}
