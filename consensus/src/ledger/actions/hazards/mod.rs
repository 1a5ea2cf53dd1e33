//! Actions on the hazard register: report a hazard, push it to a
//! verifier, verify it (confirmed or a false alarm), take measures, clear
//! it, and escalate it when a stage's deadline passed. Each moves the
//! hazard along [`HazardStage::allows`] or is refused, changing nothing.

mod clear;
mod escalate;
mod measure;
mod push;
mod report;
mod verify;

pub use clear::ClearHazard;
pub use escalate::EscalateHazard;
pub use measure::TakeHazardMeasure;
pub use push::PushHazard;
pub use report::ReportHazard;
pub use verify::VerifyHazard;

use crate::ledger::command::check_text;
use crate::ledger::hazards::{
    HazardStage, HazardStep, CLEARED_KEPT_MS, CLEARED_SLOT_MS, HAZARDS_CLOSED_KEPT_MAX,
};
use crate::ledger::ids::UnitId;
use crate::ledger::model::{Effect, Rejection};
use crate::ledger::move_ups::{PostSetBy, UnitPost};
use crate::ledger::step::{Outcome, Step};
use crate::ledger::Ledger;

impl Ledger {
    /// Moves hazard `hazard_id` to `stage`, with `note` on its trail, or
    /// says why it may not; `change` edits the hazard first.
    fn move_hazard(
        &mut self,
        step: &Step<'_>,
        hazard_id: u64,
        stage: HazardStage,
        note: String,
        change: impl FnOnce(&mut crate::ledger::hazards::Hazard),
    ) -> Outcome {
        let hazard = self
            .hazards
            .get_mut(&hazard_id)
            .ok_or(Rejection::UnknownHazard { hazard_id })?;
        if !hazard.stage.allows(stage) {
            return Err(Rejection::HazardStage {
                hazard_id,
                stage: hazard.stage.as_str().to_string(),
                wanted: stage.as_str().to_string(),
            });
        }
        change(hazard);
        hazard.enter(stage, trail_step(step, stage, note));
        if stage == HazardStage::Cleared {
            let slot = step.at_ms() / CLEARED_SLOT_MS;
            *self
                .hazards_cleared
                .entry((hazard.area.clone(), slot))
                .or_default() += 1;
            let oldest = step.at_ms().saturating_sub(CLEARED_KEPT_MS) / CLEARED_SLOT_MS;
            self.hazards_cleared.retain(|(_, slot), _| *slot >= oldest);
        }
        if stage.is_closed() {
            self.lift_posts(step, hazard_id);
        }
        self.forget_closed_hazards();
        Ok(Effect::HazardChanged {
            hazard_id,
            stage: stage.as_str().to_string(),
        })
    }

    /// Gives `unit_id` its `post`.
    fn set_post(&mut self, unit_id: &UnitId, post: UnitPost, step: &Step<'_>) {
        if let Some(unit) = self.units.get_mut(unit_id) {
            unit.post = Some(post);
            step.stamp(unit);
        }
    }

    /// Lifts the posts the hazard's pre-position measures set: the units
    /// wait at home again.
    fn lift_posts(&mut self, step: &Step<'_>, hazard_id: u64) {
        for unit in self.units.values_mut() {
            let set_by_it = unit
                .post
                .as_ref()
                .is_some_and(|post| post.set_by == PostSetBy::Hazard(hazard_id));
            if set_by_it {
                unit.post = None;
                step.stamp(unit);
            }
        }
    }

    /// Forgets the oldest closed hazards past [`HAZARDS_CLOSED_KEPT_MAX`].
    fn forget_closed_hazards(&mut self) {
        let closed: Vec<u64> = self
            .hazards
            .values()
            .filter(|hazard| hazard.stage.is_closed())
            .map(|hazard| hazard.id)
            .collect();
        for id in closed
            .iter()
            .take(closed.len().saturating_sub(HAZARDS_CLOSED_KEPT_MAX))
        {
            self.hazards.remove(id);
        }
    }
}

/// A trail step for the command being applied.
fn trail_step(step: &Step<'_>, stage: HazardStage, note: String) -> HazardStep {
    HazardStep {
        at_ms: step.at_ms(),
        index: step.index,
        by: step.command.origin.to_string(),
        stage,
        note,
    }
}

/// Checks a hazard action's free text.
fn check_note(field: &str, note: &str) -> Result<(), Rejection> {
    check_text(field, note)
}

#[cfg(test)]
mod tests;
