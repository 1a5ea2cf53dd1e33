//! Release public information: the first authoritative release, approved
//! by a person in command.

use serde::{Deserialize, Serialize};

use crate::ledger::command::check_note;
use crate::ledger::ids::IncidentId;
use crate::ledger::model::{PublicRelease, Rejection, TimelineStep};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// A commander or station room records the first authoritative public
/// release of an incident of public concern; the proposer is who approved
/// it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReleasePublicInfo {
    /// The incident.
    pub incident_id: IncidentId,
    /// The release's text, 1 to [`crate::ledger::TEXT_BYTES_MAX`] bytes.
    pub text: String,
}

impl Rules for ReleasePublicInfo {
    fn name(&self) -> &'static str {
        "release_public_info"
    }

    fn proposers(&self) -> Proposers {
        Proposers::OperatorOrClient(crate::ledger::access::Right::ApprovePlan)
    }

    fn check(&self) -> Result<(), Rejection> {
        check_note("text", &self.text)
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        let incident_id = self.incident_id;
        let moving = ledger.incident_stay(incident_id, "release public information")?;
        let incident = &ledger.incidents[&incident_id];
        let open = incident
            .public_info
            .as_ref()
            .is_some_and(|info| info.release.is_none());
        if !open {
            let why = if incident.public_info.is_some() {
                "release public information (released already)"
            } else {
                "release public information (not of public concern: flag it first)"
            };
            return Err(Rejection::WrongIncidentStatus {
                incident_id,
                status: incident.status,
                action: why.into(),
            });
        }
        let approved_by = step.command.origin.to_string();
        let incident = ledger.incident_mut(incident_id).expect("checked above");
        if let Some(info) = incident.public_info.as_mut() {
            info.release = Some(PublicRelease {
                text: self.text.clone(),
                approved_by: approved_by.clone(),
                at_ms: step.at_ms(),
                index: step.index,
            });
        }
        Ok(ledger.record(
            step,
            moving,
            TimelineStep::PublicInfoReleased,
            format!("approved by {approved_by}: {}", self.text),
        ))
    }
}
