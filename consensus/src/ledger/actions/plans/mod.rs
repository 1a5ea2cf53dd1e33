//! Actions on force-mobilisation plans of major incidents: the hub proposes
//! a plan, a commander (or the hub after the automatic-approval time)
//! approves it (after amending it, if they choose), and the hub is told to
//! assign its units.

mod amend;
mod approve;
mod propose;

pub use amend::AmendPlan;
pub use approve::ApprovePlan;
pub use propose::ProposePlan;
