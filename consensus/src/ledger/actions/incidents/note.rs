//! Add note: a person's words on an open incident's trail (what the caller
//! said next, what the first unit saw). A note changes nothing else.

use serde::{Deserialize, Serialize};

use crate::ledger::command::check_note;
use crate::ledger::ids::IncidentId;
use crate::ledger::model::{Rejection, TimelineStep};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// A dispatcher, commander or the incident's station adds a note.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AddNote {
    /// The incident.
    pub incident_id: IncidentId,
    /// The note, 1 to [`crate::ledger::TEXT_BYTES_MAX`] bytes.
    pub text: String,
}

impl Rules for AddNote {
    fn name(&self) -> &'static str {
        "add_note"
    }

    fn proposers(&self) -> Proposers {
        // Any origin; a client needs dispatch (a station: on its own incidents).
        Proposers::Anyone(crate::ledger::access::Right::Dispatch)
    }

    fn check(&self) -> Result<(), Rejection> {
        check_note("text", &self.text)
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        let moving = ledger.incident_stay(self.incident_id, "add a note")?;
        Ok(ledger.record(step, moving, TimelineStep::Note, self.text.clone()))
    }
}
