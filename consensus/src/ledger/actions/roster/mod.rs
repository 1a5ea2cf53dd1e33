//! Actions on the roster of people: load (add or replace) members from a
//! roster file, and a member's availability.

mod availability;
mod load;

pub use availability::SetMemberAvailability;
pub use load::{LoadMembers, ROSTER_MEMBERS_MAX};
