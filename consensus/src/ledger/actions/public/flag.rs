//! Flag public concern: start an incident's public-information timer.

use serde::{Deserialize, Serialize};

use crate::ledger::command::{check_note, out_of_range};
use crate::ledger::ids::IncidentId;
use crate::ledger::model::{Effect, PublicInfo, Rejection, TimelineStep};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// Longest public-information time allowed: a day.
const PUBLIC_INFO_WITHIN_MS_MAX: u64 = 24 * 3_600_000;

/// The hub (by its rule) or a person in command flags an incident of
/// public concern; its first release is due `within_ms` after its report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlagPublicConcern {
    /// The incident.
    pub incident_id: IncidentId,
    /// Why it is of public concern.
    pub why: String,
    /// How long after the report the first release is due (the golden
    /// four hours: 14 400 000).
    pub within_ms: u64,
}

impl Rules for FlagPublicConcern {
    fn name(&self) -> &'static str {
        "flag_public_concern"
    }

    fn proposers(&self) -> Proposers {
        // The hub's rule, or a commander or station room (on its incidents).
        Proposers::Anyone(crate::ledger::access::Right::ApprovePlan)
    }

    fn check(&self) -> Result<(), Rejection> {
        if self.within_ms == 0 || self.within_ms > PUBLIC_INFO_WITHIN_MS_MAX {
            return Err(out_of_range(
                "within_ms",
                self.within_ms,
                "1 ms to a day (the golden four hours: 14400000)",
            ));
        }
        check_note("why", &self.why)
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        let moving = ledger.incident_stay(self.incident_id, "flag public concern")?;
        let incident = &ledger.incidents[&self.incident_id];
        if incident.public_info.is_some() {
            // Flagged already: the first flag's clock stands.
            return Ok(Effect::IncidentUpdated {
                incident_id: incident.id,
                status: incident.status,
                version: incident.version,
            });
        }
        let since_ms = incident.reported_at_ms;
        let due_ms = since_ms + self.within_ms;
        let incident = ledger
            .incident_mut(self.incident_id)
            .expect("checked above");
        incident.public_info = Some(PublicInfo {
            why: self.why.clone(),
            since_ms,
            due_ms,
            reminders: 0,
            release: None,
        });
        let minutes = self.within_ms / 60_000;
        Ok(ledger.record(
            step,
            moving,
            TimelineStep::PublicConcern,
            format!(
                "{}; first public release due within {minutes} min of the report",
                self.why
            ),
        ))
    }
}
