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
//! - [`travel`]: estimated travel time over the street grid and main axes.
//! - [`index`]: a uniform-grid spatial index to shortlist nearby units.
//! - [`select`](mod@select): the best unit of a ring for an incident ("territory first").
//! - [`escalation`]: assign, ask for mutual aid, or escalate outward.
//! - [`run_cards`]: response plans by kind, priority and area; triage.
//! - [`mobilisation`]: force-mobilisation plans for major incidents.
//! - [`coverage`](mod@coverage): where no available unit reaches the target in time.
//!
//! The limits below are kept together so their relations stay visible.

pub mod coverage;
pub mod escalation;
pub mod facts;
mod geometry;
pub mod index;
pub mod mobilisation;
pub mod router;
pub mod run_cards;
pub mod select;
pub mod travel;

use cordon_config::district::{FORCE_LEVEL_MAX, PEDESTRIAN_STREET_ON_SCENE_TARGET_S};

pub use coverage::{coverage, CoverageGap, CoverageReport, RingCoverage, COVERAGE_RINGS};
pub use escalation::{
    decide, minimum_ring, neighbour_stations, outward, Attempt, Decision, EscalationReason,
};
pub use facts::{candidates_at_home, requires_police, CandidateUnit, IncidentFacts, IncidentKind};
pub use geometry::{LocalFrame, LocalPoint};
pub use index::{GridIndex, Nearby};
pub use mobilisation::{cordon_points, plan, FacilityEta, MobilisationPlan, PlanLine, Shortfall};
pub use run_cards::{
    in_sensitive_area, triage, AreaCondition, InvalidRunCard, RingResponse, Role, RunCard,
    RunCardTable, Triage,
};
pub use select::{
    select, NoCandidate, NoCandidateReason, Planner, RankedUnit, Scope, Selection, Territory,
};
pub use travel::{eta_s, InvalidTravelSpeeds, TravelModel, TravelSpeeds};

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
/// Farthest a point may lie from a main axis and still travel along it.
pub const AXIS_SNAP_M: f64 = 40.0;
/// Spacing of the samples that measure how much of a trip is in a crowd.
pub const CROWD_SAMPLE_SPACING_M: f64 = 25.0;
/// Most samples per trip for the crowd measure.
pub const CROWD_SAMPLES_MAX: usize = 64;

// Relations between the limits, checked at compile time.
// The deployment preference must never swallow the tightest target.
const _: () = assert!(DEPLOYMENT_PREFERENCE_MARGIN_S < PEDESTRIAN_STREET_ON_SCENE_TARGET_S);
// Snapping to an axis is for points on the street, far inside a block.
const _: () = assert!(AXIS_SNAP_M < INDEX_CELL_M && AXIS_SNAP_M < COVERAGE_CELL_M);
const _: () = assert!(MUTUAL_AID_STATIONS_MAX >= 1 && SHORTLIST_UNITS_MAX >= 1);
const _: () = assert!(MOBILISATION_FORCE_LEVEL_MIN <= FORCE_LEVEL_MAX);
const _: () = assert!(CROWD_SAMPLE_SPACING_M > 0.0 && CROWD_SAMPLES_MAX >= 1);
