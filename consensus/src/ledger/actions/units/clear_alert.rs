//! Clear unit alert: a dispatcher saw a unit's alert and dealt with it
//! (sent help, raised the crew by radio). Its timers run again from now.

use serde::{Deserialize, Serialize};

use crate::ledger::ids::UnitId;
use crate::ledger::model::{Effect, Rejection, TimelineStep};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, command::out_of_range, Ledger};

/// A dispatcher, commander or the unit's station clears its alert.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClearUnitAlert {
    /// The unit.
    pub unit_id: UnitId,
}

impl Rules for ClearUnitAlert {
    fn name(&self) -> &'static str {
        "clear_unit_alert"
    }

    fn proposers(&self) -> Proposers {
        // Any origin; a client needs dispatch (a station: its own units).
        Proposers::Anyone(crate::ledger::access::Right::Dispatch)
    }

    fn check(&self) -> Result<(), Rejection> {
        Ok(())
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        let unit = ledger.known_unit(&self.unit_id)?;
        let Some(alert) = unit.alert.clone() else {
            return Err(out_of_range(
                "unit_id",
                &self.unit_id.0,
                "a unit with an alert",
            ));
        };
        let unit = ledger.units.get_mut(&self.unit_id).expect("checked above");
        unit.alert = None;
        unit.alert_cleared_ms = Some(step.at_ms());
        step.stamp(unit);
        let version = unit.version;
        let reason = format!(
            "{}: {} cleared by {}",
            self.unit_id,
            alert.kind.name(),
            step.command.origin
        );
        let cleared = TimelineStep::UnitAlertCleared {
            unit_id: self.unit_id.clone(),
        };
        ledger.record_on_open(step, alert.incident_id, cleared, reason);
        Ok(Effect::UnitUpdated {
            unit_id: self.unit_id.clone(),
            version,
        })
    }
}
