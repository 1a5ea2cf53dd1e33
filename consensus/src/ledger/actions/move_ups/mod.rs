//! Actions on move-ups: a ring proposes relocating idle units to posts
//! that restore its coverage (approved at once when the cluster is set to
//! approve them automatically), and a commander approves or declines a
//! proposal awaiting a decision.

mod approve;
mod decline;
mod propose;

pub use approve::ApproveMoveUp;
pub use decline::DeclineMoveUp;
pub use propose::ProposeMoveUp;

use crate::ledger::model::Rejection;
use crate::ledger::move_ups::{MoveUpParts, MoveUpStatus, UnitPost};
use crate::ledger::step::Step;
use crate::ledger::Ledger;

impl Ledger {
    /// The proposed move-up `move_up_id`, or why it cannot be decided.
    fn move_up_to_decide(&self, move_up_id: u64) -> Result<&MoveUpParts, Rejection> {
        let move_up = self
            .move_ups
            .get(&move_up_id)
            .ok_or(Rejection::UnknownMoveUp { move_up_id })?;
        if move_up.status != MoveUpStatus::Proposed {
            return Err(Rejection::MoveUpDecided {
                move_up_id,
                status: move_up.status,
            });
        }
        Ok(&move_up.parts)
    }

    /// Refuses a move-up any of whose units is unknown, of another ring, or
    /// not available and free: a unit is only ever moved while idle.
    fn check_move_up_units(&self, parts: &MoveUpParts) -> Result<(), Rejection> {
        for (index, line) in parts.lines.iter().enumerate() {
            let unit = self.known_unit(&line.unit_id)?;
            if unit.ring != parts.ring {
                return Err(crate::ledger::command::out_of_range(
                    &format!("lines[{index}].unit_id"),
                    &line.unit_id,
                    &format!(
                        "a ring-{ring} move-up moves ring-{ring} units only",
                        ring = parts.ring.number()
                    ),
                ));
            }
            unit.check_free()?;
            self.check_position(&format!("lines[{index}].post"), &line.post)?;
        }
        Ok(())
    }

    /// Gives the units of move-up `move_up_id` their posts and marks it
    /// approved by `by`. The caller checked the move-up and its units.
    fn approve_move_up(&mut self, step: &Step<'_>, move_up_id: u64, by: String) {
        let Some(move_up) = self.move_ups.get_mut(&move_up_id) else {
            return;
        };
        move_up.status = MoveUpStatus::Approved;
        move_up.decided_by = Some(by);
        move_up.decided_at_ms = Some(step.at_ms());
        let lines = move_up.parts.lines.clone();
        for line in lines {
            let Some(unit) = self.units.get_mut(&line.unit_id) else {
                continue;
            };
            unit.post = Some(UnitPost {
                position: line.post,
                name: line.post_name,
                set_by: crate::ledger::move_ups::PostSetBy::MoveUp(move_up_id),
                since_ms: step.at_ms(),
            });
            step.stamp(unit);
        }
    }

    /// Forgets the oldest decided move-ups beyond
    /// [`crate::ledger::move_ups::MOVE_UPS_KEPT_MAX`].
    fn forget_old_move_ups(&mut self) {
        let kept_max = crate::ledger::move_ups::MOVE_UPS_KEPT_MAX;
        while self.move_ups.len() > kept_max {
            let oldest_decided = self
                .move_ups
                .values()
                .find(|move_up| move_up.status != MoveUpStatus::Proposed)
                .map(|move_up| move_up.id);
            match oldest_decided {
                Some(id) => self.move_ups.remove(&id),
                None => break,
            };
        }
    }
}

#[cfg(test)]
mod tests;
