//! Propose move-up: a ring (3 or 4) whose coverage fell below its floor
//! proposes moving idle units to posts, with the coverage before and after
//! and its reason. A proposal of the same ring still awaiting a decision is
//! superseded. When the cluster approves move-ups automatically the
//! proposer says so and the units get their posts in the same entry.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::ledger::command::{check_text, out_of_range};
use crate::ledger::ids::Ring;
use crate::ledger::model::{Effect, Rejection};
use crate::ledger::move_ups::{
    MoveUp, MoveUpParts, MoveUpStatus, MOVE_UP_LINES_MAX, MOVE_UP_POST_NAME_BYTES_MAX,
};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// A ring: relocate idle units to posts that restore its coverage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProposeMoveUp {
    /// The units, their posts and why.
    pub parts: MoveUpParts,
    /// Approve it now (the cluster's `actors.move_up` is `automatic`);
    /// otherwise it waits for a commander.
    pub approve_now: bool,
}

impl Rules for ProposeMoveUp {
    fn name(&self) -> &'static str {
        "propose_move_up"
    }

    fn proposers(&self) -> Proposers {
        // The ring actors; the operator may stand in for them.
        Proposers::Cluster
    }

    fn check(&self) -> Result<(), Rejection> {
        check_parts(&self.parts)
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        ledger.check_move_up_units(&self.parts)?;
        let ring = self.parts.ring;
        let superseded: Vec<u64> = ledger
            .move_ups
            .values()
            .filter(|m| m.status == MoveUpStatus::Proposed && m.parts.ring == ring)
            .map(|m| m.id)
            .collect();
        for id in superseded {
            if let Some(old) = ledger.move_ups.get_mut(&id) {
                old.status = MoveUpStatus::Superseded;
                old.decided_at_ms = Some(step.at_ms());
                old.note = Some(format!("replaced by move-up {}", step.index));
            }
        }
        let proposed_by = step.command.origin.to_string();
        ledger.move_ups.insert(
            step.index,
            MoveUp {
                id: step.index,
                parts: self.parts.clone(),
                proposed_by,
                proposed_at_ms: step.at_ms(),
                status: MoveUpStatus::Proposed,
                decided_by: None,
                decided_at_ms: None,
                note: None,
            },
        );
        if self.approve_now {
            let by = "automatic (actors.move_up = automatic)".to_string();
            ledger.approve_move_up(step, step.index, by);
        }
        ledger.forget_old_move_ups();
        Ok(Effect::MoveUpProposed {
            move_up_id: step.index,
            status: ledger.move_ups[&step.index].status,
        })
    }
}

/// The stateless checks of a proposal: ring 3 or 4, 1 to
/// [`MOVE_UP_LINES_MAX`] distinct units with valid posts and names, shares
/// within a million, a reason of bounded length.
fn check_parts(parts: &MoveUpParts) -> Result<(), Rejection> {
    if !matches!(parts.ring, Ring::StreetPatrol | Ring::SpecialPolice) {
        return Err(out_of_range(
            "ring",
            parts.ring,
            "move-ups are for ring 3 (street patrol) and ring 4 (special police)",
        ));
    }
    let count = parts.lines.len();
    if !(1..=MOVE_UP_LINES_MAX).contains(&count) {
        return Err(out_of_range("lines", count, "a move-up moves 1 to 8 units"));
    }
    let mut seen = BTreeSet::new();
    for (index, line) in parts.lines.iter().enumerate() {
        if !seen.insert(&line.unit_id) {
            return Err(out_of_range(
                &format!("lines[{index}].unit_id"),
                &line.unit_id,
                "name each unit once",
            ));
        }
        if !line.post.is_valid() {
            return Err(out_of_range(
                &format!("lines[{index}].post"),
                line.post,
                "latitude -90..=90 and longitude -180..=180 degrees",
            ));
        }
        let name = line.post_name.len();
        if name == 0 || name > MOVE_UP_POST_NAME_BYTES_MAX {
            return Err(out_of_range(
                &format!("lines[{index}].post_name"),
                format!("{name} bytes"),
                "1 to 200 bytes",
            ));
        }
    }
    for (field, ppm) in [
        ("coverage_before_ppm", parts.coverage_before_ppm),
        ("coverage_after_ppm", parts.coverage_after_ppm),
    ] {
        if ppm > 1_000_000 {
            return Err(out_of_range(field, ppm, "a share of at most 1000000 ppm"));
        }
    }
    check_text("reason", &parts.reason)
}
