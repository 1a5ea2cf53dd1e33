//! Check in: a unit's crew says all is well (a special-operations team's
//! PAR: every member accounted for; a hospital post's patrol round done).
//! Its check-in, PAR and round timers start again, and an overdue
//! check-in, PAR or round alert ends.

use serde::{Deserialize, Serialize};

use crate::ledger::ids::UnitId;
use crate::ledger::model::{AlertKind, Effect, Rejection};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// A field unit (its own), a station or a dispatcher checks `unit_id` in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckIn {
    /// The unit.
    pub unit_id: UnitId,
}

impl Rules for CheckIn {
    fn name(&self) -> &'static str {
        "check_in"
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
        let unit = ledger.units.get_mut(&self.unit_id).expect("checked above");
        unit.checked_in_ms = Some(step.at_ms());
        let overdue = [
            AlertKind::CheckInOverdue,
            AlertKind::ParOverdue,
            AlertKind::RoundOverdue,
        ];
        if unit
            .alert
            .as_ref()
            .is_some_and(|alert| overdue.contains(&alert.kind))
        {
            unit.alert = None;
        }
        step.stamp(unit);
        Ok(Effect::UnitUpdated {
            unit_id: self.unit_id.clone(),
            version: unit.version,
        })
    }
}
