//! Resolve: close an incident with an outcome; its units return.

use serde::{Deserialize, Serialize};

use crate::ledger::command::check_text;
use crate::ledger::ids::{IncidentId, IncidentStatus};
use crate::ledger::model::Rejection;
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// Close an incident with an outcome; its units are released.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResolveIncident {
    /// The incident.
    pub incident_id: IncidentId,
    /// The outcome, in words.
    pub reason: String,
}

impl Rules for ResolveIncident {
    fn name(&self) -> &'static str {
        "resolve_incident"
    }

    fn proposers(&self) -> Proposers {
        // Any origin; a client needs close_incident (a station: on its own incidents).
        Proposers::Anyone(crate::ledger::access::Right::CloseIncident)
    }

    fn check(&self) -> Result<(), Rejection> {
        check_text("reason", &self.reason)
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        super::close(
            ledger,
            step,
            self.incident_id,
            IncidentStatus::Resolved,
            &self.reason,
        )
    }
}
