//! Take a measure against a confirmed hazard: a unit pre-positioned (an
//! available unit given a post at the hazard, where it waits and from
//! where it is dispatched like any other, until the hazard closes), flow
//! control, a closure.

use serde::{Deserialize, Serialize};

use crate::ledger::command::out_of_range;
use crate::ledger::hazards::{HazardStage, MeasureKind, HAZARD_MEASURES_MAX};
use crate::ledger::ids::{Position, UnitId};
use crate::ledger::model::Rejection;
use crate::ledger::move_ups::{PostSetBy, UnitPost};
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
    /// Where it waits; the hazard's position when not given.
    pub at: Option<Position>,
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
        let pre_position = self.kind == MeasureKind::PrePosition;
        if pre_position != self.unit_id.is_some() {
            return Err(out_of_range(
                "unit_id",
                format!("{:?}", self.unit_id),
                "name the unit for a pre-position measure, and only for it",
            ));
        }
        if !pre_position && self.at.is_some() {
            return Err(out_of_range(
                "at",
                format!("{:?}", self.at),
                "give a waiting place only for a pre-position measure",
            ));
        }
        super::check_note("note", &self.note)
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        let post = match &self.unit_id {
            Some(unit_id) => Some(self.post_for(ledger, unit_id, step)?),
            None => None,
        };
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
        let effect =
            ledger.move_hazard(step, self.hazard_id, HazardStage::InHand, note, |hazard| {
                hazard.measures.push(measure);
            })?;
        if let (Some(unit_id), Some(post)) = (&self.unit_id, post) {
            ledger.set_post(unit_id, post, step);
        }
        Ok(effect)
    }
}

impl TakeHazardMeasure {
    /// The post `unit_id` gets: at `at` or the hazard, if the unit is free
    /// to wait there.
    fn post_for(
        &self,
        ledger: &Ledger,
        unit_id: &UnitId,
        step: &Step<'_>,
    ) -> Result<UnitPost, Rejection> {
        let unit = ledger.unit(unit_id).ok_or_else(|| Rejection::UnknownUnit {
            unit_id: unit_id.clone(),
        })?;
        unit.check_free()?;
        let hazard = ledger
            .hazards
            .get(&self.hazard_id)
            .ok_or(Rejection::UnknownHazard {
                hazard_id: self.hazard_id,
            })?;
        let position = self.at.or(hazard.position).ok_or_else(|| {
            out_of_range(
                "at",
                "none",
                "the hazard has no position: say where the unit is to wait",
            )
        })?;
        Ok(UnitPost {
            position,
            name: format!("hazard {} ({})", hazard.id, hazard.area),
            set_by: PostSetBy::Hazard(hazard.id),
            since_ms: step.at_ms(),
        })
    }
}
