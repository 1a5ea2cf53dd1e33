//! Import: an incident a partner system sent (a NENA EIDO document),
//! created once per tracking identifier and brought up to date by every
//! later document: its new notes join the trail, and a close on the
//! partner's side closes it here. Idempotent: the same document twice
//! changes nothing the second time.

use serde::{Deserialize, Serialize};

use crate::ledger::command::{check_note, out_of_range};
use crate::ledger::ids::{IncidentId, IncidentStatus};
use crate::ledger::model::{Effect, Rejection, TimelineStep};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

use super::NewIncident;

/// Longest tracking identifier kept.
pub const TRACKING_ID_BYTES_MAX: usize = 256;
/// Most notes one document may carry.
pub const IMPORTED_NOTES_MAX: usize = 64;

/// A partner's note, named by its identifier in the partner's documents.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportedNote {
    /// The note's identifier (the EIDO component's `$id`).
    pub id: String,
    /// Its text.
    pub text: String,
}

/// A partner system's incident, as its latest document states it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportIncident {
    /// The partner's incident tracking identifier.
    pub tracking_id: String,
    /// The incident, for when it is new here.
    pub report: NewIncident,
    /// The partner's notes, oldest first.
    pub notes: Vec<ImportedNote>,
    /// `Resolved` or `Cancelled` when the partner closed it.
    pub closed: Option<IncidentStatus>,
}

impl Rules for ImportIncident {
    fn name(&self) -> &'static str {
        "import_incident"
    }

    fn proposers(&self) -> Proposers {
        // A partner feed reports (a reporter: from its channel).
        Proposers::Anyone(crate::ledger::access::Right::Report)
    }

    fn check(&self) -> Result<(), Rejection> {
        if self.tracking_id.trim().is_empty() || self.tracking_id.len() > TRACKING_ID_BYTES_MAX {
            return Err(out_of_range(
                "tracking_id",
                format!("{} bytes", self.tracking_id.len()),
                "1 to 256 bytes",
            ));
        }
        if self.notes.len() > IMPORTED_NOTES_MAX {
            return Err(out_of_range("notes", self.notes.len(), "at most 64 notes"));
        }
        if let Some(status) = self
            .closed
            .filter(|s| !matches!(s, IncidentStatus::Resolved | IncidentStatus::Cancelled))
        {
            return Err(out_of_range(
                "closed",
                status.as_str(),
                "resolved or cancelled",
            ));
        }
        for note in &self.notes {
            check_note("notes", &note.text)?;
        }
        self.report.check()
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        let existing = ledger
            .incidents
            .values()
            .find(|incident| incident.tracking_id.as_deref() == Some(self.tracking_id.as_str()))
            .map(|incident| incident.id);
        let (incident_id, created) = match existing {
            Some(id) => (id, false),
            None => {
                let reason = format!(
                    "{} imported from {}",
                    self.report.kind.name(),
                    self.tracking_id
                );
                let id = self
                    .report
                    .enter(ledger, step, reason, Some(self.tracking_id.clone()))?;
                (id, true)
            }
        };
        self.bring_up_to_date(ledger, step, incident_id)?;
        if created {
            return Ok(Effect::IncidentReported { incident_id });
        }
        let incident = &ledger.incidents[&incident_id];
        Ok(Effect::IncidentUpdated {
            incident_id,
            status: incident.status,
            version: incident.version,
        })
    }
}

impl ImportIncident {
    /// Adds the notes the trail does not have yet (each as `[id] text`)
    /// and closes the incident if the partner closed it and it is open.
    fn bring_up_to_date(
        &self,
        ledger: &mut Ledger,
        step: &Step<'_>,
        incident_id: IncidentId,
    ) -> Result<(), Rejection> {
        let incident = &ledger.incidents[&incident_id];
        if !incident.status.is_open() {
            return Ok(());
        }
        let fresh: Vec<String> = self
            .notes
            .iter()
            .map(|note| format!("[{}] {}", note.id, note.text))
            .filter(|text| {
                !incident
                    .timeline
                    .iter()
                    .any(|entry| entry.step == TimelineStep::Note && &entry.reason == text)
            })
            .collect();
        for text in fresh {
            let moving = ledger.incident_stay(incident_id, "add a partner's note")?;
            ledger.record(step, moving, TimelineStep::Note, text);
        }
        if let Some(status) = self.closed {
            let reason = format!(
                "{} by the partner system ({})",
                status.as_str(),
                self.tracking_id
            );
            super::close(ledger, step, incident_id, status, &reason)?;
        }
        Ok(())
    }
}
