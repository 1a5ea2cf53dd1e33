//! Take a measure against a confirmed hazard: units pre-positioned (each
//! sent through the normal dispatch), flow control, a closure.

use serde::{Deserialize, Serialize};

use crate::ledger::command::out_of_range;
use crate::ledger::hazards::{HazardStage, MeasureKind, HAZARD_MEASURES_MAX};
use crate::ledger::ids::UnitId;
use crate::ledger::model::Rejection;
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// A measure against a hazard.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TakeHazardMeasure {
    /// The hazard.
    pub hazard_id: u64,
    /// What kind.
    pub kind: MeasureKind,
    /// The unit pre-positioned, for that kind.
    pub unit_id: Option<UnitId>,
    /// What, in words.
    pub note: String,
}

impl Rules for TakeHazardMeasure {
    fn name(&self) -> &'static str {
        "take_hazard_measure"
    }

    fn proposers(&self) -> Proposers {
        Proposers::Anyone(crate::ledger::access::Right::HandleHazards)
    }

    fn check(&self) -> Result<(), Rejection> {
        if (self.kind == MeasureKind::PrePosition) != self.unit_id.is_some() {
            return Err(out_of_range(
                "unit_id",
                format!("{:?}", self.unit_id),
                "name the unit for a pre-position measure, and only for it",
            ));
        }
        super::check_note("note", &self.note)
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        if let Some(unit_id) = &self.unit_id {
            if ledger.unit(unit_id).is_none() {
                return Err(Rejection::UnknownUnit {
                    unit_id: unit_id.clone(),
                });
            }
        }
        if ledger
            .hazards
            .get(&self.hazard_id)
            .is_some_and(|hazard| hazard.measures.len() >= HAZARD_MEASURES_MAX)
        {
            return Err(out_of_range(
                "measures",
                HAZARD_MEASURES_MAX,
                "at most 32 measures on a hazard: clear it, or report a new one",
            ));
        }
        let measure = (self.kind, self.unit_id.clone(), self.note.clone());
        let note = format!("{:?}: {}", self.kind, self.note);
        ledger.move_hazard(step, self.hazard_id, HazardStage::InHand, note, |hazard| {
            hazard.measures.push(measure);
        })
    }
}
