//! Field note: a unit's crew writes on the trail of the incident it is on
//! (what it found, who it spoke to).

use serde::{Deserialize, Serialize};

use crate::ledger::command::{check_note, out_of_range};
use crate::ledger::ids::UnitId;
use crate::ledger::model::{Rejection, TimelineStep};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// A field unit (its own), a station or a dispatcher: a note from the unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldNote {
    /// The unit, which must be assigned to an open incident.
    pub unit_id: UnitId,
    /// The note, 1 to [`crate::ledger::TEXT_BYTES_MAX`] bytes.
    pub text: String,
}

impl Rules for FieldNote {
    fn name(&self) -> &'static str {
        "field_note"
    }

    fn proposers(&self) -> Proposers {
        // Any origin; a client needs update_unit (a field unit: its own).
        Proposers::Anyone(crate::ledger::access::Right::UpdateUnit)
    }

    fn check(&self) -> Result<(), Rejection> {
        check_note("text", &self.text)
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        let unit = ledger.known_unit(&self.unit_id)?;
        let Some(incident_id) = unit.assigned_to else {
            return Err(out_of_range(
                "unit_id",
                &self.unit_id.0,
                "a unit assigned to an incident",
            ));
        };
        let moving = ledger.incident_stay(incident_id, "add a note")?;
        let reason = format!("{}: {}", self.unit_id, self.text);
        Ok(ledger.record(step, moving, TimelineStep::Note, reason))
    }
}
