//! The golden four hours: an incident of public concern owes the public its
//! first authoritative release within a time from its report. It is flagged
//! (by the hub's rule at triage, or by a commander or a station's room),
//! the hub reminds at half and three quarters of the time and marks it
//! overdue at the end, and a commander's release, with its text and who
//! approved it, stops the clock. Each step is on the incident's trail.

mod flag;
mod release;
mod remind;

pub use flag::FlagPublicConcern;
pub use release::ReleasePublicInfo;
pub use remind::RemindPublicInfo;
