//! Load roster: add the district model's units the ledger does not know
//! yet; units already known keep their state.

use serde::{Deserialize, Serialize};

use crate::ledger::command::{out_of_range, ROSTER_UNITS_MAX};
use crate::ledger::ids::{Area, Position, Ring, StationId, UnitId, UnitStatus};
use crate::ledger::model::{Effect, Rejection, Unit};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, ArchivePolicy, Ledger};

/// A unit as loaded from the district model's roster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RosterUnit {
    /// The unit's id.
    pub id: UnitId,
    /// Its home position, the starting position.
    pub home: Position,
    /// Its ring.
    pub ring: Ring,
    /// Its station, if a station owns it (a `station` principal acts on
    /// its own station's units).
    pub station: Option<StationId>,
}

/// Add units from the district model that the ledger does not know yet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadRoster {
    /// The units.
    pub units: Vec<RosterUnit>,
    /// Where positions may lie from now on (the district's outline and
    /// margin); reports and unit positions outside it are refused.
    #[serde(default)]
    pub area: Option<Area>,
    /// How long closed incidents stay hot from now on, if it changes.
    #[serde(default)]
    pub archive: Option<ArchivePolicy>,
}

impl Rules for LoadRoster {
    fn name(&self) -> &'static str {
        "load_roster"
    }

    fn proposers(&self) -> Proposers {
        Proposers::SystemOrOperator
    }

    fn check(&self) -> Result<(), Rejection> {
        if self.units.len() > ROSTER_UNITS_MAX {
            return Err(out_of_range(
                "units",
                self.units.len(),
                "at most 10000 units",
            ));
        }
        for unit in &self.units {
            if !unit.home.is_valid() {
                return Err(out_of_range(
                    "units[].home",
                    unit.home,
                    "a valid WGS-84 position",
                ));
            }
        }
        Ok(())
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        if let Some(area) = &self.area {
            ledger.area = Some(area.clone());
        }
        if let Some(policy) = self.archive {
            ledger.archive.policy = policy;
        }
        let mut added = 0;
        for roster_unit in &self.units {
            if ledger.units.contains_key(&roster_unit.id) {
                continue;
            }
            added += 1;
            ledger.units.insert(
                roster_unit.id.clone(),
                Unit {
                    id: roster_unit.id.clone(),
                    ring: roster_unit.ring,
                    station: roster_unit.station.clone(),
                    status: UnitStatus::Available,
                    position: roster_unit.home,
                    assigned_to: None,
                    version: 1,
                    updated_at_ms: step.at_ms(),
                    updated_index: step.index,
                    post: None,
                    status_since_ms: step.at_ms(),
                    checked_in_ms: None,
                    alert: None,
                    alert_cleared_ms: None,
                },
            );
        }
        Ok(Effect::RosterLoaded { added })
    }
}
