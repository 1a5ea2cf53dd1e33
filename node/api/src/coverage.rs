//! Coverage: `GET /v1/coverage`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `GET /v1/coverage`: how much of the district's demand each police ring's
/// available units reach within the on-scene target, now, on the street
/// graph under the crowds of the hour.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Coverage {
    /// The log index of the ledger read the answer is computed on.
    pub read_index: u64,
    /// When it was computed, in Unix milliseconds.
    pub computed_at_ms: u64,
    /// `calm`, or `crowds` when a crowd rule slows travel now.
    pub regime: String,
    /// Ring 3, then ring 4.
    pub rings: Vec<RingCoverage>,
}

/// One ring's coverage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RingCoverage {
    /// 3 or 4.
    pub ring: u8,
    /// The ring's on-scene target away from areas and points, in seconds.
    pub target_s: u32,
    /// The share of the district's demand reached within target, 0 to 1
    /// (on a one-minute point's disc, within its 60 s).
    pub demand_covered_share: f64,
    /// The share reached within the ring's own target (`target_s`)
    /// everywhere: its district-wide promise, 3 minutes for ring 4.
    pub ring_target_share: f64,
    /// Demand points sampled.
    pub points_total: usize,
    /// Points reached within target.
    pub points_covered: usize,
    /// The points not reached in time.
    pub gaps: Vec<CoverageGap>,
}

/// A demand point the ring does not reach in time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CoverageGap {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Side of the square of district it stands for, in metres (0: a
    /// sample on a one-minute point's disc).
    pub cell_m: f64,
    /// The ring's best ETA there, when a unit is within the ring's target.
    pub best_eta_s: Option<u32>,
    /// The target there, in seconds.
    pub target_s: u32,
    /// Its share of the district's demand, in parts per million.
    pub demand_ppm: u32,
}
