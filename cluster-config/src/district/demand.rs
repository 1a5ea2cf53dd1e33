//! Where the district's reports come from on an ordinary day, as shares:
//! one account of demand for the load generator (which draws reports from
//! it) and for coverage planning (which weighs each place by it). Our
//! choice, not the source's: it gives crowd sizes, not call volumes.

use super::{DutyMode, SensitiveArea};

/// Share of ordinary reports inside the sensitive areas: a third, from about
/// a twentieth of the district's surface. The three shares sum to 1.
pub const ORDINARY_AREA_SHARE: f64 = 0.35;
/// Share of ordinary reports within a one-minute point's cover radius.
pub const ORDINARY_POINT_SHARE: f64 = 0.15;
/// Share of ordinary reports spread over the stations' zones.
pub const ORDINARY_ZONE_SHARE: f64 = 0.50;

/// Crowd assumed for a sensitive area whose file gives no capacity (the
/// source has figures only for the Bund and Nanjing Road): a busy tourist
/// area, a third of the Bund's.
pub const AREA_CROWD_DEFAULT: u32 = 20_000;

/// Relative weight of a zone by its station's duty mode: the modes scale the
/// patrol to the trouble expected.
pub const fn duty_mode_weight(mode: DutyMode) -> f64 {
    match mode {
        DutyMode::Basic => 1.0,
        DutyMode::Overlay => 2.0,
        DutyMode::Deployment => 4.0,
    }
}

/// Most people in `area` at once, from the district file where it says.
pub fn area_crowd(area: &SensitiveArea) -> f64 {
    f64::from(area.crowd_capacity.unwrap_or(AREA_CROWD_DEFAULT))
}

const _: () = assert!(AREA_CROWD_DEFAULT > 0);
