//! Assign: put an available unit on an incident, conditional on the unit
//! version the choice was made on (so two proposers racing for one unit
//! cannot both win); the first assignment starts the on-scene deadline.

use serde::{Deserialize, Serialize};

use crate::ledger::ids::{ActorId, IncidentId, IncidentStatus, Ring, UnitId, UnitStatus};
use crate::ledger::model::TimelineStep;
use crate::ledger::model::{Assignment, Effect, Message, Rejection};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Move, Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// Station, ring, hub or a dispatcher: assign a unit, conditional on its
/// version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AssignUnit {
    /// The incident.
    pub incident_id: IncidentId,
    /// The unit.
    pub unit_id: UnitId,
    /// The unit version the choice was made on.
    pub expected_unit_version: u64,
    /// Estimated time to reach the scene.
    pub eta_s: u32,
    /// Assigned although it misses the on-scene target (or the deadline
    /// passed): ring 4 with no ring left to escalate to, or an inner ring
    /// when the next ring out would be no sooner.
    pub breach: bool,
}

impl Rules for AssignUnit {
    fn name(&self) -> &'static str {
        "assign_unit"
    }

    fn proposers(&self) -> Proposers {
        // Responder actors assign; so does a person with dispatch (a station:
        // on its own incidents) choosing from the recommended units.
        Proposers::Anyone(crate::ledger::access::Right::Dispatch)
    }

    fn check(&self) -> Result<(), Rejection> {
        Ok(())
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        let (moving, target_s) = self.check_state(ledger)?;
        Ok(self.send(ledger, step, moving, target_s, ""))
    }
}

impl AssignUnit {
    /// Sends the unit the rules allowed (`moving`, measured against
    /// `target_s`): dispatched, on the incident's units and assignments, the
    /// on-scene deadline started by the first one, the trail's reason (with
    /// `how`, e.g. where a reassigned unit came from), and a special-ops
    /// team told. Changes the ledger only after every check passed.
    pub(super) fn send(
        &self,
        ledger: &mut Ledger,
        step: &Step<'_>,
        moving: Move,
        target_s: u32,
        how: &str,
    ) -> Effect {
        let (incident_id, unit_id, eta_s) = (self.incident_id, &self.unit_id, self.eta_s);
        let unit = ledger.units.get_mut(unit_id).expect("checked above");
        let unit_ring = unit.ring;
        unit.assigned_to = Some(incident_id);
        step.set_status(unit, UnitStatus::Dispatched);
        let incident = ledger.incident_mut(incident_id).expect("checked above");
        incident.units.push(unit_id.clone());
        incident.assignments.push(Assignment {
            unit_id: unit_id.clone(),
            index: step.index,
            eta_s,
            target_s,
            breach: self.breach,
        });
        incident.unresourced = None;
        if incident.on_scene_deadline_ms.is_none() {
            incident.on_scene_deadline_ms = Some(step.at_ms() + u64::from(target_s) * 1_000);
        }
        let reason = format!(
            "{unit_id} (ring {}), eta {eta_s} s, target {target_s} s{}{how}",
            unit_ring.number(),
            match (self.breach, unit_ring) {
                (false, _) => "",
                (true, Ring::SpecialPolice) => ", breach: no ring left",
                (true, _) => ", breach: no faster ring",
            }
        );
        let effect = ledger.record(
            step,
            moving,
            TimelineStep::Assigned {
                unit_id: self.unit_id.clone(),
            },
            reason,
        );
        if unit_ring == Ring::SpecialPolice {
            ledger.enqueue(
                step,
                ActorId::SpecialOps(unit_id.0.clone()),
                Message::Assignment {
                    incident_id,
                    unit_id: unit_id.clone(),
                },
            );
        }
        effect
    }

    /// The rules that need the ledger: the incident may become assigned (a
    /// triaged or escalated one; one already staffed keeps its status), the
    /// unit exists at the expected version and is free. Returns the
    /// incident's move and the on-scene target the assignment is measured
    /// against.
    fn check_state(&self, ledger: &Ledger) -> Result<(Move, u32), Rejection> {
        let (moving, target_s) = self.check_incident_and_version(ledger)?;
        ledger.units[&self.unit_id].check_free()?;
        Ok((moving, target_s))
    }

    /// The incident may take the unit (it becomes assigned, or keeps its
    /// staffed status) and the unit exists at the expected version. Returns
    /// the incident's move and the on-scene target.
    pub(super) fn check_incident_and_version(
        &self,
        ledger: &Ledger,
    ) -> Result<(Move, u32), Rejection> {
        let (incident_id, unit_id) = (self.incident_id, &self.unit_id);
        let moving = match ledger.incident(incident_id).map(|incident| incident.status) {
            Some(status) if status.is_staffed() => ledger.incident_stay(incident_id, "assign")?,
            _ => ledger.incident_move(incident_id, IncidentStatus::Assigned)?,
        };
        let target_s = ledger.incidents[&incident_id]
            .target_s
            .unwrap_or(self.eta_s);
        let unit = ledger.known_unit(unit_id)?;
        if unit.version != self.expected_unit_version {
            return Err(Rejection::VersionMismatch {
                unit_id: unit_id.clone(),
                expected: self.expected_unit_version,
                actual: unit.version,
            });
        }
        Ok((moving, target_s))
    }
}
