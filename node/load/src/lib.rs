//! The one seeded incident generator of the workspace: a schedule of timed
//! incident reports whose places follow the district's hot spots and whose
//! rate follows the time of day, with an event-surge profile for the New
//! Year countdown at the Bund. `cordon demo`, `cordon bench`, the node's
//! kill-leader test, the L1 simulation's clients, the drills (`--profile`)
//! and `cordon-chaos load` all draw from it.
//!
//! The generator is pure: no clock, no async runtime, every random choice
//! from one seeded [`StdRng`](rand::rngs::StdRng). A seed, a profile and a start time give exactly
//! the same schedule, so a drill that found something can run the same load
//! again. Arrivals are a non-homogeneous Poisson process drawn by thinning
//! (Lewis and Shedler): candidates come at the profile's highest rate and each
//! is kept with probability rate(t) / highest, so the rate can change from
//! one second to the next (the spike after midnight) without binning.
//!
//! Where ordinary incidents happen, all from the district model:
//! - inside the six sensitive areas, weighted by their crowd figures;
//! - around the eleven one-minute points (ring 4 stands where incidents
//!   concentrate), within each point's cover radius;
//! - across every station's zones, weighted by the station's duty mode
//!   (deployment for crowded sensitive areas, overlay for commercial and
//!   tourist areas, basic for residential ones).
//!
//! The New Year surge adds, from 22:00 to about 01:15, crowd incidents inside
//! the Bund riverside and the Nanjing Road pedestrian street, split by their
//! crowd capacities (67,000 and 49,000 at once in the district file, from
//! the district's own account), rising toward the countdown, spiking in the
//! minutes after 00:00 when the crowd turns to leave, then decaying.
//!
//! The account gives crowd sizes but no incident rates; every rate and mix
//! below is our choice, named, with the reasoning beside it.
//!
//! A report converts to the body `POST /v1/incidents` accepts, typed
//! ([`ScheduledReport::report_incident`]) or as JSON
//! ([`ScheduledReport::api_body`]), and to a ledger command
//! ([`ScheduledReport::command`]) for in-process clusters. A sender that
//! keeps its own pace (the demo's `--rate`, the benchmarks) takes the
//! reports one after another as [`SteadyReports`].
//!
//! Modules: `rates` (rates, mixes and rate curves, our choices named),
//! `plan` ([`LoadPlan`], [`LoadProfile`], [`ClockTime`], [`LoadError`]),
//! `places` (the hot spots), `generator` ([`LoadGenerator`]), `report`
//! ([`ScheduledReport`]), `steady` ([`SteadyReports`]), `summary`
//! ([`LoadSummary`] per bucket).

pub mod crowd;
mod generator;
mod places;
mod plan;
mod rates;
mod report;
mod steady;
mod summary;
#[cfg(test)]
mod tests;

pub use crowd::CrowdFeed;
pub use generator::LoadGenerator;
pub use plan::{ClockTime, LoadError, LoadPlan, LoadProfile};
pub use report::{LoadSource, ScheduledReport};
pub use steady::SteadyReports;
pub use summary::{buckets, LoadBucket, LoadSummary};

// ---------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------

/// Largest rate scale: 1000 times the ordinary evening is about 24 reports a
/// second, past what one drill client should send.
pub const RATE_SCALE_MAX: f64 = 1000.0;
/// Longest schedule the CLI prints: a week.
pub const LOAD_MINUTES_MAX: u32 = 7 * 24 * 60;
/// Width of a summary bucket.
pub const SUMMARY_BUCKET_MINUTES: u32 = 5;
/// Distance from the Bund riverside area's centre within which a report
/// counts as near the Bund (the area itself always counts): the river wall
/// and the pedestrian street's last block before it.
pub const BUND_NEAR_M: f64 = 500.0;
/// Tries to draw a point inside a hot spot before taking its centre. The
/// pedestrian street fills about 8 % of its bounding box, so 256 tries miss
/// about once in 10^9.
pub(crate) const LOCATION_ATTEMPTS_MAX: u32 = 256;

/// Milliseconds in a minute.
pub(crate) const MS_PER_MIN: f64 = 60_000.0;
/// Minutes in a day.
pub(crate) const MINUTES_PER_DAY: u32 = 24 * 60;
