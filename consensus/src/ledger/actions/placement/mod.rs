//! Actions on actors: where each runs (its placement, fenced by a rising
//! epoch), the messages pending for it, and its failures past the restart
//! budget (which move it elsewhere).

mod dismiss;
mod place_actor;
mod report_actor_failed;

pub use dismiss::Dismiss;
pub use place_actor::PlaceActor;
pub use report_actor_failed::ReportActorFailed;
