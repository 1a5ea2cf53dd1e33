//! Actions on units: load the roster from the district model, record a
//! unit's status from the field, and assign a unit to an incident.

mod assign;
mod load_roster;
mod update_status;

pub use assign::AssignUnit;
pub use load_roster::{LoadRoster, RosterUnit};
pub use update_status::UpdateUnitStatus;
