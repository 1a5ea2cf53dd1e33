//! Update unit status: a unit's status (and position) from the field,
//! conditional on its version if asked; an assigned unit's status moves its
//! incident on (en route, on scene) or releases it from the incident.

use serde::{Deserialize, Serialize};

use crate::ledger::ids::{IncidentId, IncidentStatus, Position, UnitId, UnitStatus};
use crate::ledger::model::TimelineStep;
use crate::ledger::model::{Effect, Rejection};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, command::out_of_range, Ledger};

/// Record a unit's status (and position) reported from the field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UpdateUnitStatus {
    /// The unit.
    pub unit_id: UnitId,
    /// The new status.
    pub status: UnitStatus,
    /// The position reported with it, if any.
    pub position: Option<Position>,
    /// Apply only if the unit is still at this version.
    pub expected_version: Option<u64>,
}

impl Rules for UpdateUnitStatus {
    fn name(&self) -> &'static str {
        "update_unit_status"
    }

    fn proposers(&self) -> Proposers {
        // Field units through the API, special-ops team actors, operators.
        Proposers::Anyone
    }

    fn check(&self) -> Result<(), Rejection> {
        match self.position {
            Some(position) if !position.is_valid() => Err(out_of_range(
                "position",
                position,
                "latitude within -90..=90 and longitude within -180..=180",
            )),
            _ => Ok(()),
        }
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        let unit_id = &self.unit_id;
        let unit = ledger.known_unit(unit_id)?;
        if let Some(expected) = self.expected_version {
            if expected != unit.version {
                return Err(Rejection::VersionMismatch {
                    unit_id: unit_id.clone(),
                    expected,
                    actual: unit.version,
                });
            }
        }
        if !unit.status.may_become(self.status) {
            return Err(Rejection::IllegalUnitTransition {
                unit_id: unit_id.clone(),
                from: unit.status,
                to: self.status,
                allowed: unit.status.next_statuses().to_vec(),
            });
        }
        let assigned_to = unit.assigned_to;
        let releases = matches!(
            self.status,
            UnitStatus::Available | UnitStatus::Returning | UnitStatus::OutOfService
        );
        let unit = ledger.units.get_mut(unit_id).expect("checked above");
        unit.status = self.status;
        if let Some(position) = self.position {
            unit.position = position;
        }
        unit.version += 1;
        unit.updated_at_ms = step.at_ms();
        unit.updated_index = step.index;
        if releases {
            unit.assigned_to = None;
        }
        let version = unit.version;
        if let Some(incident_id) = assigned_to {
            self.follow_unit(ledger, step, incident_id, releases);
        }
        Ok(Effect::UnitUpdated {
            unit_id: unit_id.clone(),
            version,
        })
    }
}

impl UpdateUnitStatus {
    /// An assigned unit's status moves its incident on.
    fn follow_unit(
        &self,
        ledger: &mut Ledger,
        step: &Step<'_>,
        incident_id: IncidentId,
        releases: bool,
    ) {
        let (unit_id, status) = (&self.unit_id, self.status);
        let Some(incident) = ledger.incidents.get_mut(&incident_id) else {
            return;
        };
        if releases {
            incident.units.retain(|u| u != unit_id);
            let current = incident.status;
            ledger.record(
                step,
                incident_id,
                TimelineStep::UnitReleased {
                    unit_id: unit_id.clone(),
                },
                current,
                format!("{unit_id} is {status:?}"),
            );
            return;
        }
        let next = match (status, incident.status) {
            (UnitStatus::EnRoute, IncidentStatus::Assigned) => Some(IncidentStatus::EnRoute),
            (
                UnitStatus::OnScene,
                IncidentStatus::Assigned | IncidentStatus::EnRoute | IncidentStatus::Escalated,
            ) => Some(IncidentStatus::OnScene),
            _ => None,
        };
        if status == UnitStatus::OnScene && incident.on_scene_at_ms.is_none() {
            incident.on_scene_at_ms = Some(step.at_ms());
        }
        if let Some(next) = next {
            let late = incident
                .on_scene_deadline_ms
                .filter(|deadline| next == IncidentStatus::OnScene && step.at_ms() > *deadline)
                .map(|deadline| format!(", {} ms past the target", step.at_ms() - deadline))
                .unwrap_or_default();
            let step_name = if next == IncidentStatus::OnScene {
                TimelineStep::OnScene {
                    unit_id: unit_id.clone(),
                }
            } else {
                TimelineStep::EnRoute {
                    unit_id: unit_id.clone(),
                }
            };
            ledger.record(
                step,
                incident_id,
                step_name,
                next,
                format!("{unit_id} is {status:?}{late}"),
            );
        }
    }
}
