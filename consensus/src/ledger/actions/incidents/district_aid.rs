//! Record a mutual-aid request to a neighbouring district: the district
//! command centre asked a neighbour for units, the incident went to the
//! neighbour as an EIDO document carrying the request, and the neighbour
//! took it (its incident id) or could not be reached (why). Recorded after
//! the attempt, so the trail says what the neighbour has; a repeated
//! document is harmless on the neighbour's side (one incident per tracking
//! identifier).

use serde::{Deserialize, Serialize};

use crate::ledger::actions::TRACKING_ID_BYTES_MAX;
use crate::ledger::command::{check_note, check_text, out_of_range};
use crate::ledger::ids::IncidentId;
use crate::ledger::model::{AidDelivery, DistrictAid, Rejection, TimelineStep};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

use super::ask_district::ASK_UNITS_MAX;

/// Longest neighbour id.
pub const NEIGHBOUR_ID_BYTES_MAX: usize = 40;
/// Most mutual-aid requests one incident carries.
pub const DISTRICT_AID_PER_INCIDENT_MAX: usize = 16;

/// A mutual-aid request sent to a neighbouring district, and its delivery.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordDistrictAid {
    /// The incident.
    pub incident_id: IncidentId,
    /// The neighbour's id.
    pub neighbour: String,
    /// How many units, 1 to 20.
    pub units: u8,
    /// Why.
    pub reason: String,
    /// The EIDO document's tracking identifier.
    pub tracking_id: String,
    /// Whether the neighbour took it.
    pub delivery: AidDelivery,
}

impl Rules for RecordDistrictAid {
    fn name(&self) -> &'static str {
        "record_district_aid"
    }

    fn proposers(&self) -> Proposers {
        // The district command centre: a client needs command_district.
        Proposers::Anyone(crate::ledger::access::Right::CommandDistrict)
    }

    fn check(&self) -> Result<(), Rejection> {
        if self.neighbour.is_empty() || self.neighbour.len() > NEIGHBOUR_ID_BYTES_MAX {
            return Err(out_of_range(
                "neighbour",
                &self.neighbour,
                "a neighbour id of 1 to 40 bytes",
            ));
        }
        if !(1..=ASK_UNITS_MAX).contains(&self.units) {
            return Err(out_of_range("units", self.units, "1 to 20 units"));
        }
        if self.tracking_id.is_empty() || self.tracking_id.len() > TRACKING_ID_BYTES_MAX {
            return Err(out_of_range(
                "tracking_id",
                self.tracking_id.len(),
                "1 to 256 bytes",
            ));
        }
        match &self.delivery {
            AidDelivery::Delivered { their_incident_id } => {
                check_text("their_incident_id", their_incident_id)?
            }
            AidDelivery::Failed { why } => check_text("why", why)?,
        }
        check_note("reason", &self.reason)
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        let incident_id = self.incident_id;
        let moving = ledger.incident_stay(incident_id, "ask a neighbouring district")?;
        let incident = ledger.incident_mut(incident_id).expect("checked above");
        if incident.district_aid.len() >= DISTRICT_AID_PER_INCIDENT_MAX {
            return Err(out_of_range(
                "district_aid",
                incident.district_aid.len(),
                "at most 16 requests an incident: ring the neighbour's command centre",
            ));
        }
        let by = step.command.origin.to_string();
        incident.district_aid.push(DistrictAid {
            neighbour: self.neighbour.clone(),
            by,
            at_ms: step.at_ms(),
            units: self.units,
            reason: self.reason.clone(),
            tracking_id: self.tracking_id.clone(),
            delivery: self.delivery.clone(),
        });
        let outcome = match &self.delivery {
            AidDelivery::Delivered { their_incident_id } => {
                format!("delivered, their incident {their_incident_id}")
            }
            AidDelivery::Failed { why } => format!("NOT delivered ({why}): ring them"),
        };
        Ok(ledger.record(
            step,
            moving,
            TimelineStep::DistrictAidRequested,
            format!(
                "mutual aid asked of {}: {} units: {}; EIDO {}: {outcome}",
                self.neighbour, self.units, self.reason, self.tracking_id
            ),
        ))
    }
}
