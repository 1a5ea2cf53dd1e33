//! Actions on actors: where each runs (its placement, fenced by a rising
//! epoch) and the messages pending for it.

mod dismiss;
mod place_actor;

pub use dismiss::Dismiss;
pub use place_actor::PlaceActor;
