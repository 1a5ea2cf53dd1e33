//! Actions on units: load the roster from the district model, record a
//! unit's status from the field, assign a unit to an incident, and the
//! field's own voice: check-ins, notes, the alarm, the timers the hub
//! raises and a dispatcher clears.

mod alarm;
mod assign;
mod check_in;
mod clear_alert;
mod field_note;
mod load_roster;
mod reassign;
mod timer;
mod update_status;

pub use alarm::RaiseAlarm;
pub use assign::AssignUnit;
pub use check_in::CheckIn;
pub use clear_alert::ClearUnitAlert;
pub use field_note::FieldNote;
pub use load_roster::{LoadRoster, RosterUnit};
pub use reassign::ReassignUnit;
pub use timer::{timer_due_ms, RaiseUnitTimer};
pub use update_status::UpdateUnitStatus;
