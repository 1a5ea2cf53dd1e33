//! Remind public information: the hub says a release is due soon, or
//! overdue.

use serde::{Deserialize, Serialize};

use crate::ledger::ids::IncidentId;
use crate::ledger::model::{Rejection, TimelineStep, PUBLIC_INFO_REMINDERS};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// The hub's reminder number `reminder` (1 to 3; 3 marks the release
/// overdue) for an incident whose release is not made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RemindPublicInfo {
    /// The incident.
    pub incident_id: IncidentId,
    /// Which reminder: the one after those given.
    pub reminder: u8,
}

impl Rules for RemindPublicInfo {
    fn name(&self) -> &'static str {
        "remind_public_info"
    }

    fn proposers(&self) -> Proposers {
        Proposers::HubOrOperator
    }

    fn check(&self) -> Result<(), Rejection> {
        if !(1..=PUBLIC_INFO_REMINDERS).contains(&self.reminder) {
            return Err(crate::ledger::command::out_of_range(
                "reminder",
                self.reminder,
                "1 to 3",
            ));
        }
        Ok(())
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        let incident_id = self.incident_id;
        let moving = ledger.incident_stay(incident_id, "remind of the public release")?;
        let incident = &ledger.incidents[&incident_id];
        let waiting = incident
            .public_info
            .as_ref()
            .filter(|info| info.release.is_none() && info.reminders + 1 == self.reminder);
        let Some(info) = waiting else {
            return Err(Rejection::WrongIncidentStatus {
                incident_id,
                status: incident.status,
                action: format!("reminder {} (not the next one owed)", self.reminder),
            });
        };
        let left_min = info.due_ms.saturating_sub(step.at_ms()) / 60_000;
        let reason = if self.reminder == PUBLIC_INFO_REMINDERS {
            "overdue: no authoritative public release within the time".to_string()
        } else {
            format!("first public release due in {left_min} min")
        };
        let incident = ledger.incident_mut(incident_id).expect("checked above");
        if let Some(info) = incident.public_info.as_mut() {
            info.reminders = self.reminder;
        }
        Ok(ledger.record(step, moving, TimelineStep::PublicInfoReminder, reason))
    }
}
