//! Answer an ask: the district command centre grants or declines a station
//! room's ask for more, once, saying why; the answer names its level. A
//! granted ask's units are sent by the district's hand (`AssignUnit`).

use serde::{Deserialize, Serialize};

use crate::ledger::command::check_note;
use crate::ledger::ids::IncidentId;
use crate::ledger::model::{CommandLevel, DistrictAnswer, Rejection, TimelineStep};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// The district's answer to ask `ask` (from 1) of an incident.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnswerDistrictAsk {
    /// The incident.
    pub incident_id: IncidentId,
    /// The ask's number on the incident, from 1.
    pub ask: u32,
    /// True: granted; false: declined.
    pub granted: bool,
    /// What the district says (which units come, or why not).
    pub note: String,
}

impl Rules for AnswerDistrictAsk {
    fn name(&self) -> &'static str {
        "answer_district_ask"
    }

    fn proposers(&self) -> Proposers {
        // The district command centre: a client needs command_district.
        Proposers::Anyone(crate::ledger::access::Right::CommandDistrict)
    }

    fn check(&self) -> Result<(), Rejection> {
        check_note("note", &self.note)
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        let incident_id = self.incident_id;
        let moving = ledger.incident_stay(incident_id, "answer an ask")?;
        let incident = ledger.incident_mut(incident_id).expect("checked above");
        let status = incident.status;
        let asks = incident.asks.len();
        let refused = |why: String| Rejection::WrongIncidentStatus {
            incident_id,
            status,
            action: why,
        };
        let index = usize::try_from(self.ask).unwrap_or(usize::MAX);
        let Some(ask) = index.checked_sub(1).and_then(|i| incident.asks.get_mut(i)) else {
            return Err(refused(format!(
                "answer ask {} (it has {asks} asks, numbered from 1)",
                self.ask
            )));
        };
        if let Some(earlier) = &ask.answer {
            return Err(refused(format!(
                "answer ask {} (answered already by {})",
                self.ask, earlier.by
            )));
        }
        let level = CommandLevel::of(&step.command.origin);
        ask.answer = Some(DistrictAnswer {
            by: step.command.origin.to_string(),
            level: level.clone(),
            at_ms: step.at_ms(),
            granted: self.granted,
            note: self.note.clone(),
        });
        let verdict = if self.granted { "granted" } else { "declined" };
        Ok(ledger.record(
            step,
            moving,
            TimelineStep::DistrictAnswered,
            format!("ask {}: {verdict} by {level}: {}", self.ask, self.note),
        ))
    }
}
