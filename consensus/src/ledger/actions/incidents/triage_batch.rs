//! A burst triaged at once: the hub classifies every incident reported
//! since its last look in one entry instead of one entry each. Each item is
//! a [`TriageIncident`] with its own timeline step and dispatch message, so
//! the responders see exactly what single triages would have given them.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::ledger::command::out_of_range;
use crate::ledger::ids::IncidentStatus;
use crate::ledger::model::{Effect, Rejection};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

use super::TriageIncident;

/// Most incidents one triage batch may carry (an entry stays a few KiB).
pub const TRIAGE_BATCH_ITEMS_MAX: usize = 64;

/// Hub: triage several reported incidents in one entry, all or none.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TriageBatch {
    /// One triage per incident, each incident once.
    pub items: Vec<TriageIncident>,
}

impl Rules for TriageBatch {
    fn name(&self) -> &'static str {
        "triage_batch"
    }

    fn proposers(&self) -> Proposers {
        Proposers::HubOrOperator
    }

    fn check(&self) -> Result<(), Rejection> {
        let count = self.items.len();
        if !(1..=TRIAGE_BATCH_ITEMS_MAX).contains(&count) {
            return Err(out_of_range(
                "items",
                format!("{count} items"),
                "send 1 to 64 triages per batch",
            ));
        }
        let mut seen = BTreeSet::new();
        for item in &self.items {
            if !seen.insert(item.incident_id) {
                return Err(out_of_range(
                    "items",
                    item.incident_id,
                    "name each incident once per batch",
                ));
            }
            item.check()?;
        }
        Ok(())
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        // Every move is checked before any is made: the incidents are
        // distinct, so one item's triage cannot change another's check, and
        // a refused item leaves the whole batch unapplied.
        let moves = self
            .items
            .iter()
            .map(|item| ledger.incident_move(item.incident_id, IncidentStatus::Triaged))
            .collect::<Result<Vec<_>, _>>()?;
        for (item, moving) in self.items.iter().zip(moves) {
            item.commit(ledger, step, moving);
        }
        let count = u32::try_from(self.items.len()).expect("checked: at most 64 items");
        Ok(Effect::IncidentsTriaged { count })
    }
}
