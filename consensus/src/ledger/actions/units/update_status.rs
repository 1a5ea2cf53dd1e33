//! Update unit status: a unit's status (and position) from the field,
//! conditional on its version if asked; an assigned unit's status moves its
//! incident on (en route, on scene) or releases it from the incident.

use serde::{Deserialize, Serialize};

use crate::ledger::ids::{IncidentId, IncidentStatus, Position, UnitId, UnitStatus};
use crate::ledger::model::TimelineStep;
use crate::ledger::model::{Effect, Rejection};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Move, Outcome, Step};
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
        // Field units (their own), stations (theirs), dispatchers, team actors.
        Proposers::Anyone(crate::ledger::access::Right::UpdateUnit)
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
        if let Some(position) = &self.position {
            ledger.check_position("position", position)?;
        }
        let assigned_to = self.check_state(ledger)?;
        let releases = matches!(
            self.status,
            UnitStatus::Available | UnitStatus::Returning | UnitStatus::OutOfService
        );
        // Decided before anything changes: a refused move changes nothing.
        let follow = match assigned_to {
            Some(incident_id) => self.follow_unit(ledger, step, incident_id, releases)?,
            None => None,
        };
        let unit = ledger.units.get_mut(&self.unit_id).expect("checked above");
        if let Some(position) = self.position {
            unit.position = position;
        }
        step.set_status(unit, self.status);
        if releases {
            unit.assigned_to = None;
        }
        let version = unit.version;
        if let Some(follow) = follow {
            follow.apply(ledger, step, &self.unit_id);
        }
        Ok(Effect::UnitUpdated {
            unit_id: self.unit_id.clone(),
            version,
        })
    }
}

/// What a status report of an assigned unit does to its incident, decided
/// before anything changes.
struct Follow {
    /// The incident.
    incident_id: IncidentId,
    /// The unit leaves the incident.
    releases: bool,
    /// The unit reports itself on scene.
    arrived: bool,
    /// The timeline step to record, with the incident's move, if any.
    record: Option<(Move, TimelineStep, String)>,
}

impl Follow {
    /// Moves the incident with its unit.
    fn apply(self, ledger: &mut Ledger, step: &Step<'_>, unit_id: &UnitId) {
        let Some(incident) = ledger.incident_mut(self.incident_id) else {
            return;
        };
        if self.releases {
            incident.units.retain(|u| u != unit_id);
        }
        if self.arrived && incident.on_scene_at_ms.is_none() {
            incident.on_scene_at_ms = Some(step.at_ms());
        }
        if let Some((moving, timeline_step, reason)) = self.record {
            ledger.record(step, moving, timeline_step, reason);
        }
    }
}

impl UpdateUnitStatus {
    /// The rules that need the ledger: the unit exists, at the expected
    /// version if one is given, and the unit status table allows the
    /// report. Returns the open incident the unit is assigned to.
    fn check_state(&self, ledger: &Ledger) -> Result<Option<IncidentId>, Rejection> {
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
        Ok(unit.assigned_to)
    }

    /// How an assigned unit's status moves its incident on: a unit that
    /// leaves is recorded as released; one en route or on scene takes the
    /// incident there where the incident status table allows it (an
    /// incident already on scene stays so when a second unit sets off).
    fn follow_unit(
        &self,
        ledger: &Ledger,
        step: &Step<'_>,
        incident_id: IncidentId,
        releases: bool,
    ) -> Result<Option<Follow>, Rejection> {
        let (unit_id, status) = (&self.unit_id, self.status);
        let Some(incident) = ledger.incidents.get(&incident_id) else {
            return Ok(None);
        };
        let reason = format!("{unit_id} is {status:?}");
        let record = if releases {
            let moving = ledger.incident_stay(incident_id, "release a unit")?;
            let released = TimelineStep::UnitReleased {
                unit_id: unit_id.clone(),
            };
            Some((moving, released, reason))
        } else if status == UnitStatus::Acknowledged && ledger.units[unit_id].status != status {
            // The crew confirmed the assignment: the trail says when.
            let moving = ledger.incident_stay(incident_id, "acknowledge an assignment")?;
            let acknowledged = TimelineStep::UnitAcknowledged {
                unit_id: unit_id.clone(),
            };
            Some((moving, acknowledged, reason))
        } else {
            let next = match status {
                UnitStatus::EnRoute => Some(IncidentStatus::EnRoute),
                UnitStatus::OnScene => Some(IncidentStatus::OnScene),
                _ => None,
            }
            .filter(|next| incident.status.may_become(*next));
            match next {
                Some(next) => Some(self.moved(ledger, step, incident_id, next, reason)?),
                None => None,
            }
        };
        Ok(Some(Follow {
            incident_id,
            releases,
            arrived: status == UnitStatus::OnScene,
            record,
        }))
    }

    /// The incident's move to `next` (en route or on scene) with its
    /// timeline step, and how late an arrival is past the target.
    fn moved(
        &self,
        ledger: &Ledger,
        step: &Step<'_>,
        incident_id: IncidentId,
        next: IncidentStatus,
        reason: String,
    ) -> Result<(Move, TimelineStep, String), Rejection> {
        let unit_id = self.unit_id.clone();
        let moving = ledger.incident_move(incident_id, next)?;
        if next != IncidentStatus::OnScene {
            return Ok((moving, TimelineStep::EnRoute { unit_id }, reason));
        }
        let late = ledger.incidents[&incident_id]
            .on_scene_deadline_ms
            .filter(|deadline| step.at_ms() > *deadline)
            .map(|deadline| format!(", {} ms past the target", step.at_ms() - deadline))
            .unwrap_or_default();
        Ok((
            moving,
            TimelineStep::OnScene { unit_id },
            format!("{reason}{late}"),
        ))
    }
}
