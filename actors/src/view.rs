//! The ledger as dispatch planning sees it: incidents become
//! [`IncidentFacts`], ledger units joined with the district model become
//! [`CandidateUnit`]s. Planning stays pure; this is the only adapter.

use cordon_config::district::{District, LatLon};
use cordon_consensus::ledger::{Incident, Ledger, Ring, UnitId, UnitStatus};

use crate::planning::facts::{CandidateUnit, IncidentFacts};

/// The planning facts of a ledger incident.
pub fn incident_facts(incident: &Incident) -> IncidentFacts {
    IncidentFacts {
        kind: incident.report.kind,
        priority: incident.report.priority,
        force_level: incident.report.force_level,
        position: LatLon::new(
            incident.report.location.lat(),
            incident.report.location.lon(),
        ),
    }
}

/// The on-scene target of `ring` at the incident's place, seconds: what an
/// escalation to `ring` carries into the ledger, which has no district.
pub fn target_s(incident: &Incident, ring: Ring, district: &District) -> u32 {
    district.on_scene_target_s(ring, &incident_facts(incident).position)
}

/// Every district unit with its ledger status and last known position.
/// Units the ledger does not know yet count as unavailable.
pub fn candidates(ledger: &Ledger, district: &District) -> Vec<CandidateUnit> {
    district
        .units()
        .iter()
        .map(|unit| {
            let mut candidate = CandidateUnit::at_home(unit);
            match ledger.unit(&UnitId(unit.id.clone())) {
                Some(record) => {
                    candidate.position = LatLon::new(record.position.lat(), record.position.lon());
                    candidate.available =
                        record.status == UnitStatus::Available && record.assigned_to.is_none();
                }
                None => candidate.available = false,
            }
            candidate
        })
        .collect()
}
