//! Raise unit timer: a unit's timer ran out (dispatched and not
//! acknowledged, on scene without a check-in, a special-operations team
//! without its PAR, a hospital's police post without its patrol round). The hub's watch proposes it on the unit's version it
//! read, so a status report or check-in that came first wins and nothing
//! is raised.

use serde::{Deserialize, Serialize};

use crate::ledger::ids::{Ring, UnitId, UnitStatus};
use crate::ledger::model::{AlertKind, Rejection, Unit};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, command::out_of_range, Ledger};

/// The hub: `unit_id`'s `kind` timer of `after_ms` ran out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RaiseUnitTimer {
    /// The unit.
    pub unit_id: UnitId,
    /// Which timer (never `panic`: only a crew raises that).
    pub kind: AlertKind,
    /// The unit version the hub read.
    pub expected_version: u64,
    /// The timer's length, ms (from the cluster's actor timing).
    pub after_ms: u64,
}

impl Rules for RaiseUnitTimer {
    fn name(&self) -> &'static str {
        "raise_unit_timer"
    }

    fn proposers(&self) -> Proposers {
        // The hub's deadline watch, or the operator standing in for it.
        Proposers::HubOrOperator
    }

    fn check(&self) -> Result<(), Rejection> {
        if self.kind == AlertKind::Panic {
            return Err(out_of_range(
                "kind",
                "panic",
                "a timer is ack_overdue, check_in_overdue, par_overdue or round_overdue",
            ));
        }
        Ok(())
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        let unit = ledger.known_unit(&self.unit_id)?;
        if unit.version != self.expected_version {
            return Err(Rejection::VersionMismatch {
                unit_id: self.unit_id.clone(),
                expected: self.expected_version,
                actual: unit.version,
            });
        }
        let due_ms = timer_due_ms(unit, self.kind, self.after_ms);
        if unit.alert.is_some() || due_ms.is_none_or(|due| step.at_ms() < due) {
            return Err(out_of_range(
                "kind",
                self.kind.name(),
                "a timer the unit runs and that ran out, on a unit without an alert",
            ));
        }
        let reason = match self.kind {
            AlertKind::AckOverdue => format!(
                "{}: not acknowledged {} s after dispatch",
                self.unit_id,
                self.after_ms / 1_000
            ),
            AlertKind::CheckInOverdue => format!(
                "{}: no check-in for {} s on scene",
                self.unit_id,
                self.after_ms / 1_000
            ),
            AlertKind::ParOverdue | AlertKind::Panic => format!(
                "{}: no PAR for {} s on scene",
                self.unit_id,
                self.after_ms / 1_000
            ),
            AlertKind::RoundOverdue => format!(
                "{}: no patrol round of the hospital for {} min",
                self.unit_id,
                self.after_ms / 60_000
            ),
        };
        Ok(ledger.raise_unit_alert(step, &self.unit_id, self.kind, reason))
    }
}

/// When `unit`'s `kind` timer of `after_ms` runs out, if the unit runs it
/// now: from its status change, its last check-in or the last clearing of
/// an alert, whichever is latest. The round timer runs on any available
/// ring-1 unit as far as the ledger knows; the hub, which has the
/// district, raises it only on hospitals' police posts.
pub fn timer_due_ms(unit: &Unit, kind: AlertKind, after_ms: u64) -> Option<u64> {
    let runs = match kind {
        AlertKind::AckOverdue => unit.status == UnitStatus::Dispatched,
        AlertKind::CheckInOverdue => unit.status == UnitStatus::OnScene,
        AlertKind::ParOverdue => {
            unit.status == UnitStatus::OnScene && unit.ring == Ring::SpecialPolice
        }
        AlertKind::RoundOverdue => {
            unit.status == UnitStatus::Available && unit.ring == Ring::Guardian
        }
        AlertKind::Panic => false,
    };
    let check_in = if kind == AlertKind::AckOverdue {
        None
    } else {
        unit.checked_in_ms
    };
    let start = [Some(unit.status_since_ms), check_in, unit.alert_cleared_ms]
        .into_iter()
        .flatten()
        .max()?;
    runs.then_some(start + after_ms)
}
