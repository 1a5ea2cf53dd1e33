//! Raise alarm: a unit's crew pressed the panic button; officers need
//! help. It stays until a dispatcher clears it, whatever the unit reports.

use serde::{Deserialize, Serialize};

use crate::ledger::ids::UnitId;
use crate::ledger::model::{AlertKind, Rejection};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// A field unit (its own), a station or a dispatcher: `unit_id` needs help.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RaiseAlarm {
    /// The unit.
    pub unit_id: UnitId,
}

impl Rules for RaiseAlarm {
    fn name(&self) -> &'static str {
        "raise_alarm"
    }

    fn proposers(&self) -> Proposers {
        // Any origin; a client needs update_unit (a field unit: its own).
        Proposers::Anyone(crate::ledger::access::Right::UpdateUnit)
    }

    fn check(&self) -> Result<(), Rejection> {
        Ok(())
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        ledger.known_unit(&self.unit_id)?;
        let reason = format!("{}: ALARM, officers need help", self.unit_id);
        Ok(ledger.raise_unit_alert(step, &self.unit_id, AlertKind::Panic, reason))
    }
}
