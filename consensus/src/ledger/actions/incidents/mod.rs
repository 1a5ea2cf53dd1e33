//! Actions on incidents: report, triage (one or a burst), escalate, ask a neighbour for
//! mutual aid, mark unresourced and acknowledge it, add a note, ask the district for more and answer that, ask a neighbouring district for mutual aid, resolve and cancel, and import a partner's incident. Each moves an incident along its life
//! and leaves a hash-chained step in its timeline.

mod acknowledge;
mod answer_ask;
mod ask_district;
mod cancel;
mod district_aid;
mod escalate;
mod import;
mod mutual_aid;
mod note;
mod report;
mod resolve;
mod triage;
mod triage_batch;
mod unresourced;

pub use acknowledge::AcknowledgeUnresourced;
pub use answer_ask::AnswerDistrictAsk;
pub use ask_district::{AskDistrict, ASKS_PER_INCIDENT_MAX, ASK_UNITS_MAX};
pub use cancel::CancelIncident;
pub use district_aid::{RecordDistrictAid, DISTRICT_AID_PER_INCIDENT_MAX, NEIGHBOUR_ID_BYTES_MAX};
pub use escalate::Escalate;
pub use import::{ImportIncident, ImportedNote, IMPORTED_NOTES_MAX, TRACKING_ID_BYTES_MAX};
pub use mutual_aid::RequestMutualAid;
pub use note::AddNote;
pub use report::NewIncident;
pub use resolve::ResolveIncident;
pub use triage::TriageIncident;
pub use triage_batch::{TriageBatch, TRIAGE_BATCH_ITEMS_MAX};
pub use unresourced::MarkUnresourced;

use crate::ledger::ids::{IncidentId, IncidentStatus, UnitStatus};
use crate::ledger::model::TimelineStep;
use crate::ledger::step::{message_incident, Outcome, Step};
use crate::ledger::Ledger;

/// Closes an open incident as resolved or cancelled: its units are
/// released (returning after a resolution, available after a cancellation)
/// and the messages about it leave every queue.
fn close(
    ledger: &mut Ledger,
    step: &Step<'_>,
    incident_id: IncidentId,
    status: IncidentStatus,
    reason: &str,
) -> Outcome {
    let moving = ledger.incident_move(incident_id, status)?;
    let incident = ledger.incident_mut(incident_id).expect("checked above");
    // A closed incident waits for nobody.
    incident.unresourced = None;
    let units = std::mem::take(&mut incident.units);
    let released = if status == IncidentStatus::Resolved {
        UnitStatus::Returning
    } else {
        UnitStatus::Available
    };
    for unit_id in &units {
        if let Some(unit) = ledger.units.get_mut(unit_id) {
            if unit.assigned_to == Some(incident_id) {
                unit.assigned_to = None;
                step.set_status(unit, released);
            }
        }
    }
    // Messages about a closed incident are moot.
    for queue in ledger.pending.values_mut() {
        queue.retain(|_, envelope| message_incident(&envelope.message) != incident_id);
    }
    let step_name = if status == IncidentStatus::Resolved {
        TimelineStep::Resolved
    } else {
        TimelineStep::Cancelled
    };
    Ok(ledger.record(step, moving, step_name, reason.to_string()))
}
