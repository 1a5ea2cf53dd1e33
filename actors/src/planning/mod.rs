//! Dispatch planning as pure functions: travel estimates, unit selection,
//! escalation, run cards, mobilisation plans and coverage.
//!
//! Everything here is deterministic and sans-IO: no clock, no randomness, no
//! async, no hash-order iteration. Inputs are plain values owned by this
//! module ([`IncidentFacts`], [`CandidateUnit`]) plus the validated
//! [`District`](cordon_config::district::District); the actors adapt the
//! ledger's incidents and units into them and turn the answers into ledger
//! commands. So every rule can be tested without tokio, and two nodes asked
//! the same question give the same answer.
//!
//! Modules:
//! - [`facts`]: the inputs: incident kind and facts, candidate units.
//! - [`router`]: routes on the district's street graph under the crowds of the hour.
//! - [`travel`]: a unit's time to be on scene: turnout plus route.
//! - [`index`]: a uniform-grid spatial index to shortlist nearby units.
//! - [`select`](mod@select): the best unit of a ring for an incident ("territory first").
//! - [`choose`]: the dispatch policy: closest-idle, or coverage-aware.
//! - [`mod@follow`]: an incident through every responder's decision at once (the replay's).
//! - [`escalation`]: assign, ask for mutual aid, or escalate outward.
//! - [`run_cards`]: response plans by kind, priority and area; triage.
//! - [`channel_rules`]: each intake channel's default kind and priority.
//! - [`mobilisation`]: force-mobilisation plans for major incidents.
//! - [`coverage`](mod@coverage): how much of the demand each police ring reaches in time.
//! - [`move_up`]: moving idle units to posts when a ring's coverage falls.
//! - [`recommend`]: the units a dispatcher may send by hand, per ring.
//!
//! The limits below are kept together so their relations stay visible.

pub mod channel_rules;
pub mod choose;
pub mod coverage;
pub mod escalation;
pub mod facts;
pub mod follow;
mod geometry;
pub mod index;
pub mod mobilisation;
pub mod move_up;
pub mod public_concern;
pub mod recommend;
pub mod router;
pub mod run_cards;
pub mod select;
pub mod travel;

use cordon_config::district::{FORCE_LEVEL_MAX, PEDESTRIAN_STREET_ON_SCENE_TARGET_S};

pub use choose::{
    choose_by_coverage, choose_coverage_aware, DispatchPolicy, COVERAGE_AWARE_SLACK_S,
};
pub use coverage::{
    demand_points, BestMove, CoverageBook, CoverageGap, CoverageReport, DemandKind, DemandPoint,
    RingCoverage, COVERAGE_RINGS,
};
pub use escalation::{
    decide, minimum_ring, neighbour_stations, outward, Attempt, Decision, EscalationReason,
};
pub use facts::{candidates_at_home, requires_police, CandidateUnit, IncidentFacts, IncidentKind};
pub use follow::{follow, Outcome};
pub use geometry::{LocalFrame, LocalPoint};
pub use index::{GridIndex, Nearby};
pub use mobilisation::{cordon_points, plan, FacilityEta, MobilisationPlan, PlanLine, Shortfall};
pub use recommend::{Recommended, RECOMMENDED_PER_RING_MAX};
pub use router::{Address, CrowdRegime, LocalTime, RouteTrace, StreetRouter, Travel};
pub use run_cards::{
    in_sensitive_area, triage, AreaCondition, InvalidRunCard, RingResponse, Role, RunCard,
    RunCardTable, Triage,
};
pub use select::{
    select, NoCandidate, NoCandidateReason, Planner, RankedUnit, Scope, Selection, Territory,
};
pub use travel::{TravelModel, Turnouts, UNREACHABLE_S};

/// Units shortlisted by straight-line distance before travel times are
/// estimated; every ring-4 unit of the embedded district fits.
pub const SHORTLIST_UNITS_MAX: usize = 16;
/// Cell width of the unit index.
pub const INDEX_CELL_M: f64 = 250.0;
/// How much later an own unit of a deployment-mode station may arrive and
/// still be chosen, provided it meets the target.
pub const DEPLOYMENT_PREFERENCE_MARGIN_S: u32 = 20;
/// Neighbouring stations asked for mutual aid before ring 3 escalates.
pub const MUTUAL_AID_STATIONS_MAX: usize = 2;
/// Distance of the cordon points from the incident, along the street grid.
pub const CORDON_RADIUS_M: f64 = 180.0;
/// Hospitals and safe houses a mobilisation plan names.
pub const PLAN_FACILITIES_COUNT: usize = 2;
/// Force level from which an incident is major, unless its run card says
/// otherwise.
pub const MOBILISATION_FORCE_LEVEL_MIN: u8 = 7;
/// Default width of a coverage sample cell.
pub const COVERAGE_CELL_M: f64 = 200.0;

// Relations between the limits, checked at compile time.
// The deployment preference must never swallow the tightest target.
const _: () = assert!(DEPLOYMENT_PREFERENCE_MARGIN_S < PEDESTRIAN_STREET_ON_SCENE_TARGET_S);
const _: () = assert!(MUTUAL_AID_STATIONS_MAX >= 1 && SHORTLIST_UNITS_MAX >= 1);
const _: () = assert!(MOBILISATION_FORCE_LEVEL_MIN <= FORCE_LEVEL_MAX);
