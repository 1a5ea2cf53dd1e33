//! Seeded incident load: a schedule of timed incident reports whose places
//! follow the district's hot spots and whose rate follows the time of day,
//! with an event-surge profile for the New Year countdown at the Bund.
//!
//! The generator is pure: no clock, no async runtime, every random choice
//! from one seeded [`StdRng`]. A seed, a profile and a start time give exactly
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
//! A report converts to the body `POST /v1/incidents` accepts
//! ([`ScheduledReport::api_body`]) and to a ledger command
//! ([`ScheduledReport::command`]) for in-process clusters.

use std::fmt;
use std::str::FromStr;

use cordon_config::district::{
    DutyMode, LatLon, ResponsePoint, SensitiveArea, Zone, BUND_AREA_ID, EARTH_RADIUS_M,
    PEDESTRIAN_STREET_AREA_ID,
};
use cordon_config::District;
use cordon_consensus::ledger::{
    Action, Channel, Command, IncidentKind, NewIncident, Origin, Position, RequestId,
};
use rand::distr::weighted::WeightedIndex;
use rand::distr::Distribution;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

// ---------------------------------------------------------------------------
// Rates (our choice: the source gives crowd sizes, not call volumes)
// ---------------------------------------------------------------------------

/// Reports per minute across the district on an ordinary day, by local hour
/// (index 0 is 00:00 to 00:59; each value holds at half past the hour, and the
/// rate moves linearly between). About 1,290 reports a day from every channel:
/// lowest at 04:00 (0.25 a minute) when the streets are empty, highest from
/// 19:00 to 21:00 (1.45 a minute) when the shopping streets and the Bund are
/// fullest.
const ORDINARY_REPORTS_PER_MIN_BY_HOUR: [f64; 24] = [
    0.70, 0.55, 0.40, 0.30, 0.25, 0.28, 0.40, 0.60, 0.80, 0.90, 1.00, 1.05, //
    1.05, 1.05, 1.05, 1.05, 1.10, 1.20, 1.30, 1.40, 1.45, 1.40, 1.20, 0.95,
];

/// People in the surge crowd per report a minute at the surge's peak: the
/// Bund and the pedestrian street full (116,000 people in Huangpu) give 11.6
/// reports a minute in the minutes after midnight, about eight times the
/// ordinary evening peak.
const SURGE_PEOPLE_PER_REPORT_PER_MIN: f64 = 10_000.0;

/// Shape of the surge: (minutes from local midnight, share of the peak rate),
/// linear between the points and zero outside them. The crowd builds from
/// 22:00; the countdown itself holds people still (a quarter of the peak); in
/// the first minute of the new year everyone turns to leave at once, and the
/// dispersal (lost children, falls, pickpockets, pushing on the stairs at
/// Chen Yi Square) runs at the peak for five minutes, halves by 00:15 and is
/// nearly over by 01:00.
const SURGE_SHAPE: [(f64, f64); 10] = [
    (-120.0, 0.0),
    (-60.0, 0.10),
    (-20.0, 0.20),
    (0.0, 0.25),
    (1.0, 1.0),
    (6.0, 1.0),
    (15.0, 0.55),
    (30.0, 0.25),
    (60.0, 0.06),
    (75.0, 0.0),
];

/// Crowd assumed for a sensitive area whose file gives no capacity (the
/// source has figures only for the Bund and Nanjing Road): a busy tourist
/// area, a third of the Bund's.
const AREA_CROWD_DEFAULT: u32 = 20_000;

/// Share of ordinary reports inside the sensitive areas: a third, from about
/// a twentieth of the district's surface. The three shares sum to 1.
const ORDINARY_AREA_SHARE: f64 = 0.35;
/// Share of ordinary reports within a one-minute point's cover radius.
const ORDINARY_POINT_SHARE: f64 = 0.15;
/// Share of ordinary reports spread over the stations' zones.
const ORDINARY_ZONE_SHARE: f64 = 0.50;

/// Relative weight of a zone by its station's duty mode: the modes scale the
/// patrol to the trouble expected.
const fn duty_mode_weight(mode: DutyMode) -> f64 {
    match mode {
        DutyMode::Basic => 1.0,
        DutyMode::Overlay => 2.0,
        DutyMode::Deployment => 4.0,
    }
}

/// Local hours (from, to) of the night mix of kinds.
const NIGHT_HOURS: (u32, u32) = (22, 6);

/// Kinds of ordinary daytime reports, with relative weights: the demo feed's
/// everyday mix (theft, disturbance, medical first). Extreme acts are rarer in
/// life than 1 %; a drill of a few hundred reports should still reach ring 4.
const DAY_KINDS: [(IncidentKind, u32); 12] = [
    (IncidentKind::Theft, 25),
    (IncidentKind::Disturbance, 20),
    (IncidentKind::Medical, 15),
    (IncidentKind::TrafficAccident, 9),
    (IncidentKind::Assault, 8),
    (IncidentKind::MissingPerson, 7),
    (IncidentKind::Hazard, 7),
    (IncidentKind::SuspiciousObject, 3),
    (IncidentKind::Fire, 2),
    (IncidentKind::CrowdCrush, 1),
    (IncidentKind::ExtremeAct, 1),
    (IncidentKind::Other, 2),
];

/// Kinds at night: fewer thefts and lost persons, more disputes, fights and
/// traffic accidents (bars letting out, empty roads driven fast).
const NIGHT_KINDS: [(IncidentKind, u32); 11] = [
    (IncidentKind::Disturbance, 28),
    (IncidentKind::Assault, 15),
    (IncidentKind::Medical, 15),
    (IncidentKind::TrafficAccident, 14),
    (IncidentKind::Theft, 12),
    (IncidentKind::Hazard, 5),
    (IncidentKind::MissingPerson, 3),
    (IncidentKind::Fire, 3),
    (IncidentKind::SuspiciousObject, 2),
    (IncidentKind::ExtremeAct, 1),
    (IncidentKind::Other, 2),
];

/// Kinds of surge reports in the New Year crowd: people separated from their
/// group, people who faint or fall, pickpockets, dangerous density (the risk
/// this profile exists for), fights and disputes in the press.
const SURGE_KINDS: [(IncidentKind, u32); 8] = [
    (IncidentKind::MissingPerson, 22),
    (IncidentKind::Medical, 20),
    (IncidentKind::Theft, 18),
    (IncidentKind::CrowdCrush, 14),
    (IncidentKind::Assault, 10),
    (IncidentKind::Disturbance, 10),
    (IncidentKind::Hazard, 4),
    (IncidentKind::SuspiciousObject, 2),
];

/// Channels of ordinary reports (the demo feed's mix): mostly 110 calls.
const ORDINARY_CHANNELS: [(Channel, u32); 4] = [
    (Channel::EmergencyCall, 70),
    (Channel::CommunityReport, 15),
    (Channel::RiskWarning, 10),
    (Channel::PartnerFeed, 5),
];

/// Channels in the surge: the crowd-management computation warns of density
/// before anyone calls, so risk warnings take a larger share.
const SURGE_CHANNELS: [(Channel, u32); 4] = [
    (Channel::EmergencyCall, 55),
    (Channel::CommunityReport, 10),
    (Channel::RiskWarning, 30),
    (Channel::PartnerFeed, 5),
];

/// Priority and force level ranges (0 to 10) of each kind: what the ledger's
/// triage reads to pick a ring. Crowd crush and extreme acts need ring 4.
fn urgency(kind: IncidentKind) -> (std::ops::RangeInclusive<u8>, std::ops::RangeInclusive<u8>) {
    match kind {
        IncidentKind::Theft | IncidentKind::Hazard => (2..=4, 0..=2),
        IncidentKind::Disturbance => (3..=5, 1..=3),
        IncidentKind::MissingPerson => (4..=6, 0..=2),
        IncidentKind::Medical => (5..=8, 0..=2),
        IncidentKind::TrafficAccident => (4..=7, 1..=3),
        IncidentKind::Assault => (5..=7, 2..=4),
        IncidentKind::Fire => (7..=9, 3..=5),
        IncidentKind::SuspiciousObject => (6..=8, 4..=7),
        IncidentKind::CrowdCrush => (8..=10, 5..=8),
        IncidentKind::ExtremeAct => (9..=10, 7..=10),
        IncidentKind::Other => (1..=3, 0..=1),
    }
}

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
const LOCATION_ATTEMPTS_MAX: u32 = 256;

const MS_PER_MIN: f64 = 60_000.0;
const MINUTES_PER_DAY: u32 = 24 * 60;

// ---------------------------------------------------------------------------
// Plan
// ---------------------------------------------------------------------------

/// Which load to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LoadProfile {
    /// An ordinary day: the district's hot spots, rate by time of day.
    Ordinary,
    /// An ordinary day plus the New Year countdown crowd at the Bund and on
    /// the pedestrian street, from 22:00 to about 01:15.
    NewYearSurge,
}

impl LoadProfile {
    /// Every profile.
    pub const ALL: [LoadProfile; 2] = [LoadProfile::Ordinary, LoadProfile::NewYearSurge];

    /// The profile's name on the command line.
    pub const fn as_str(self) -> &'static str {
        match self {
            LoadProfile::Ordinary => "ordinary",
            LoadProfile::NewYearSurge => "new-year",
        }
    }
}

impl fmt::Display for LoadProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LoadProfile {
    type Err = LoadError;

    fn from_str(name: &str) -> Result<LoadProfile, LoadError> {
        LoadProfile::ALL
            .into_iter()
            .find(|profile| profile.as_str() == name)
            .ok_or_else(|| LoadError::UnknownProfile {
                name: name.to_string(),
            })
    }
}

/// A local clock time to the minute, e.g. `22:00`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClockTime {
    minute_of_day: u32,
}

impl ClockTime {
    /// `hour:minute`, or `None` past 23:59.
    pub const fn new(hour: u32, minute: u32) -> Option<ClockTime> {
        if hour < 24 && minute < 60 {
            Some(ClockTime {
                minute_of_day: hour * 60 + minute,
            })
        } else {
            None
        }
    }

    /// Minutes since local midnight, 0 to 1439.
    pub const fn minute_of_day(self) -> u32 {
        self.minute_of_day
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}:{:02}",
            self.minute_of_day / 60,
            self.minute_of_day % 60
        )
    }
}

impl FromStr for ClockTime {
    type Err = LoadError;

    fn from_str(text: &str) -> Result<ClockTime, LoadError> {
        let bad = || LoadError::BadClockTime {
            text: text.to_string(),
        };
        let (hour, minute) = text.split_once(':').ok_or_else(bad)?;
        let number = |part: &str| {
            let digits_ok =
                (1..=2).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit());
            digits_ok.then(|| part.parse::<u32>().ok()).flatten()
        };
        let (Some(hour), Some(minute)) = (number(hour), number(minute)) else {
            return Err(bad());
        };
        ClockTime::new(hour, minute).ok_or_else(bad)
    }
}

/// What to generate: a profile, a seed and a local start time.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadPlan {
    /// Which load.
    pub profile: LoadProfile,
    /// Seed of every random choice.
    pub seed: u64,
    /// Local clock time at offset 0.
    pub start: ClockTime,
    /// Multiplies every rate, e.g. 10 to press a cluster harder with the
    /// same shape; above 0, at most [`RATE_SCALE_MAX`].
    pub rate_scale: f64,
    /// Request ids are `<prefix>-<n>`, n from 1.
    pub request_id_prefix: String,
}

impl LoadPlan {
    /// `profile` from `start` with `seed`, at the profile's own rates, request
    /// ids `load-<seed>-<n>`.
    pub fn new(profile: LoadProfile, seed: u64, start: ClockTime) -> LoadPlan {
        LoadPlan {
            profile,
            seed,
            start,
            rate_scale: 1.0,
            request_id_prefix: format!("load-{seed}"),
        }
    }

    fn validate(&self) -> Result<(), LoadError> {
        if !(self.rate_scale.is_finite() && self.rate_scale > 0.0)
            || self.rate_scale > RATE_SCALE_MAX
        {
            return Err(LoadError::RateScale {
                value: self.rate_scale,
            });
        }
        Ok(())
    }
}

/// Why a load could not be planned.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum LoadError {
    /// The profile name is not one we generate.
    #[error("profile {name:?} is unknown: use ordinary or new-year")]
    UnknownProfile {
        /// The name given.
        name: String,
    },
    /// The start time is not `HH:MM` on a 24-hour clock.
    #[error("start time {text:?} is not a clock time: use HH:MM from 00:00 to 23:59, e.g. 22:00")]
    BadClockTime {
        /// The text given.
        text: String,
    },
    /// The rate scale is not a positive number up to the limit.
    #[error(
        "rate scale {value} is out of range: use a number above 0 and at most {RATE_SCALE_MAX}"
    )]
    RateScale {
        /// The scale given.
        value: f64,
    },
    /// The surge needs the Bund, and the district has no such area.
    #[error("district {district:?} has no sensitive area {BUND_AREA_ID:?}: the new-year profile needs it; use --profile ordinary or add the area")]
    NoBund {
        /// The district's name.
        district: String,
    },
    /// No hot spot of the district lies inside its bounds.
    #[error("district {district:?} has no hot spot inside its bounds: draw its areas, points and zones inside district.bounds")]
    NoHotSpots {
        /// The district's name.
        district: String,
    },
}

// ---------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------

/// Which part of a profile produced a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LoadSource {
    /// The district's everyday load.
    Ordinary,
    /// The event crowd of the New Year surge.
    Surge,
}

impl LoadSource {
    /// The source's name in JSON lines.
    pub const fn as_str(self) -> &'static str {
        match self {
            LoadSource::Ordinary => "ordinary",
            LoadSource::Surge => "surge",
        }
    }
}

/// One incident report of a schedule, and when to send it.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduledReport {
    /// Time from the start of the load, in milliseconds.
    pub offset_ms: u64,
    /// Local clock time of the report in milliseconds since the midnight
    /// before the start (past 24 h once the load crosses midnight).
    pub clock_ms: u64,
    /// Unique within the plan's prefix; makes the report idempotent.
    pub request_id: String,
    /// Which part of the profile produced it.
    pub source: LoadSource,
    /// Id of the sensitive area, one-minute point or zone it was drawn in.
    pub hot_spot: String,
    /// Whether it lies in the Bund riverside area or within [`BUND_NEAR_M`]
    /// of its centre; false in a district without that area.
    pub near_bund: bool,
    /// What the ledger's `ReportIncident` carries.
    pub incident: NewIncident,
}

impl ScheduledReport {
    /// The local clock time as `HH:MM:SS`.
    pub fn clock(&self) -> String {
        let seconds = (self.clock_ms / 1000) % u64::from(MINUTES_PER_DAY * 60);
        format!(
            "{:02}:{:02}:{:02}",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60
        )
    }

    /// The JSON body `POST /v1/incidents` accepts (the node's `ReportIncident`).
    pub fn api_body(&self) -> serde_json::Value {
        let incident = &self.incident;
        serde_json::json!({
            "request_id": self.request_id,
            "kind": incident.kind.name(),
            "priority": incident.priority,
            "force_level": incident.force_level,
            "lat": incident.location.lat(),
            "lon": incident.location.lon(),
            "channel": incident.channel,
            "description": incident.description,
        })
    }

    /// The ledger command an operator would propose for this report, for
    /// in-process clusters that write commands directly.
    pub fn command(&self, proposed_at_ms: u64) -> Command {
        Command::new(
            RequestId(self.request_id.clone()),
            proposed_at_ms,
            Origin::Operator,
            Action::ReportIncident(self.incident.clone()),
        )
    }

    /// One JSON line: when, where it came from, and the API body under `report`.
    pub fn json_line(&self) -> String {
        serde_json::json!({
            "offset_ms": self.offset_ms,
            "clock": self.clock(),
            "source": self.source.as_str(),
            "hot_spot": self.hot_spot,
            "near_bund": self.near_bund,
            "report": self.api_body(),
        })
        .to_string()
    }
}

// ---------------------------------------------------------------------------
// Hot spots
// ---------------------------------------------------------------------------

/// A place reports are drawn in, with the district's own geometry check.
#[derive(Clone, Debug)]
enum Place {
    Area(SensitiveArea),
    Zone(Zone),
    Point(ResponsePoint),
}

impl Place {
    /// The area's, zone's or point's id in the district file.
    fn id(&self) -> &str {
        match self {
            Place::Area(area) => &area.id,
            Place::Zone(zone) => &zone.id,
            Place::Point(point) => &point.id,
        }
    }

    fn name(&self) -> &str {
        match self {
            Place::Area(area) => &area.name,
            Place::Zone(zone) => &zone.name,
            Place::Point(point) => &point.name,
        }
    }

    fn contains(&self, position: &LatLon) -> bool {
        match self {
            Place::Area(area) => area.contains(position),
            Place::Zone(zone) => zone.contains(position),
            Place::Point(point) => point.covers(position),
        }
    }

    /// Where a report goes when every draw missed.
    fn anchor(&self) -> Option<LatLon> {
        match self {
            Place::Area(area) => area.centre(),
            Place::Zone(zone) => zone.centre(),
            Place::Point(point) => Some(point.position),
        }
    }

    /// A uniform candidate in the place's bounding box or disc, to be checked
    /// with `contains`.
    fn candidate(&self, rng: &mut StdRng) -> LatLon {
        match self {
            Place::Area(area) => uniform_in_box(rng, &area.polygon),
            Place::Zone(zone) => uniform_in_box(rng, &zone.polygon),
            Place::Point(point) => {
                uniform_in_disc(rng, point.position, f64::from(point.cover_radius_m))
            }
        }
    }
}

#[derive(Clone, Debug)]
struct HotSpot {
    place: Place,
    /// Inside the place and the district, on the ledger's grid (checked when
    /// the spot is made).
    anchor: LatLon,
}

/// Hot spots with their weights, drawn from by one weighted index.
#[derive(Clone, Debug)]
struct HotSpots {
    spots: Vec<HotSpot>,
    index: WeightedIndex<f64>,
}

impl HotSpots {
    /// Keeps the places whose anchor lies in the district; `None` if none does.
    fn new(district: &District, places: Vec<(Place, f64)>) -> Option<HotSpots> {
        let (spots, weights): (Vec<HotSpot>, Vec<f64>) = places
            .into_iter()
            .filter_map(|(place, weight)| {
                let anchor = place
                    .anchor()
                    .and_then(on_ledger_grid)
                    .filter(|anchor| place.contains(anchor) && district.contains(anchor))?;
                Some((HotSpot { place, anchor }, weight))
            })
            .unzip();
        let index = WeightedIndex::new(weights).ok()?;
        Some(HotSpots { spots, index })
    }

    fn draw(&self, rng: &mut StdRng) -> &HotSpot {
        &self.spots[self.index.sample(rng)]
    }
}

/// Ordinary hot spots: areas by crowd, points evenly, zones by duty mode.
fn ordinary_places(district: &District) -> Vec<(Place, f64)> {
    let crowd_total: f64 = district.sensitive_areas().iter().map(area_crowd).sum();
    let points_count = district.one_minute_points().len() as f64;
    let zones = || {
        district
            .stations()
            .iter()
            .flat_map(|station| station.zones.iter().map(move |zone| (station, zone)))
    };
    let duty_total: f64 = zones()
        .map(|(station, _)| duty_mode_weight(station.duty_mode))
        .sum();

    let areas = district.sensitive_areas().iter().map(|area| {
        let weight = ORDINARY_AREA_SHARE * area_crowd(area) / crowd_total;
        (Place::Area(area.clone()), weight)
    });
    let points = district.one_minute_points().iter().map(|point| {
        let weight = ORDINARY_POINT_SHARE / points_count;
        (Place::Point(point.clone()), weight)
    });
    let zone_places = zones().map(|(station, zone)| {
        let weight = ORDINARY_ZONE_SHARE * duty_mode_weight(station.duty_mode) / duty_total;
        (Place::Zone(zone.clone()), weight)
    });
    areas.chain(points).chain(zone_places).collect()
}

/// Surge hot spots: the Bund and the pedestrian street, by crowd capacity.
fn surge_places(bund: &SensitiveArea, street: &SensitiveArea) -> Vec<(Place, f64)> {
    [bund, street]
        .into_iter()
        .map(|area| (Place::Area(area.clone()), area_crowd(area)))
        .collect()
}

/// Most people in `area` at once, from the district file where it says.
fn area_crowd(area: &SensitiveArea) -> f64 {
    f64::from(area.crowd_capacity.unwrap_or(AREA_CROWD_DEFAULT))
}

fn uniform_in_box(rng: &mut StdRng, polygon: &[LatLon]) -> LatLon {
    let (mut lat_min, mut lat_max) = (f64::INFINITY, f64::NEG_INFINITY);
    let (mut lon_min, mut lon_max) = (f64::INFINITY, f64::NEG_INFINITY);
    for point in polygon {
        lat_min = lat_min.min(point.lat);
        lat_max = lat_max.max(point.lat);
        lon_min = lon_min.min(point.lon);
        lon_max = lon_max.max(point.lon);
    }
    LatLon::new(
        lat_min + rng.random::<f64>() * (lat_max - lat_min),
        lon_min + rng.random::<f64>() * (lon_max - lon_min),
    )
}

/// Uniform over the disc's surface (radius by the square root of a uniform).
fn uniform_in_disc(rng: &mut StdRng, centre: LatLon, radius_m: f64) -> LatLon {
    let distance_m = radius_m * rng.random::<f64>().sqrt();
    let bearing = rng.random::<f64>() * std::f64::consts::TAU;
    let north_m = distance_m * bearing.cos();
    let east_m = distance_m * bearing.sin();
    LatLon::new(
        centre.lat + (north_m / EARTH_RADIUS_M).to_degrees(),
        centre.lon + (east_m / (EARTH_RADIUS_M * centre.lat.to_radians().cos())).to_degrees(),
    )
}

/// The Bund riverside and its centre, to tell which reports are near it.
#[derive(Clone, Debug)]
struct BundVicinity {
    area: SensitiveArea,
    centre: LatLon,
}

impl BundVicinity {
    fn of(district: &District) -> Option<BundVicinity> {
        let area = district.sensitive_area(BUND_AREA_ID)?.clone();
        let centre = area.centre()?;
        Some(BundVicinity { area, centre })
    }

    fn is_near(&self, position: &LatLon) -> bool {
        self.area.contains(position) || self.centre.distance_m(position) <= BUND_NEAR_M
    }
}

// ---------------------------------------------------------------------------
// Rate curves
// ---------------------------------------------------------------------------

/// Ordinary reports per minute at `clock_min` minutes after local midnight
/// (any value; wraps by day).
fn ordinary_rate_per_min(clock_min: f64) -> f64 {
    let day_min = clock_min.rem_euclid(f64::from(MINUTES_PER_DAY));
    // Hour h's value holds at h:30; interpolate from the one before.
    let from_half_past = (day_min - 30.0).rem_euclid(f64::from(MINUTES_PER_DAY)) / 60.0;
    let hour = from_half_past.floor() as usize % 24;
    let fraction = from_half_past - from_half_past.floor();
    let from = ORDINARY_REPORTS_PER_MIN_BY_HOUR[hour];
    let to = ORDINARY_REPORTS_PER_MIN_BY_HOUR[(hour + 1) % 24];
    from + (to - from) * fraction
}

/// Share of the surge's peak at `clock_min` minutes after local midnight.
fn surge_share(clock_min: f64) -> f64 {
    let day = f64::from(MINUTES_PER_DAY);
    // Minutes from the nearest midnight, -720 to 720.
    let from_midnight = (clock_min + day / 2.0).rem_euclid(day) - day / 2.0;
    SURGE_SHAPE
        .windows(2)
        .find(|pair| (pair[0].0..pair[1].0).contains(&from_midnight))
        .map_or(0.0, |pair| {
            let ((t0, s0), (t1, s1)) = (pair[0], pair[1]);
            s0 + (s1 - s0) * (from_midnight - t0) / (t1 - t0)
        })
}

fn is_night(clock_min: f64) -> bool {
    let hour = (clock_min.rem_euclid(f64::from(MINUTES_PER_DAY)) / 60.0) as u32;
    hour >= NIGHT_HOURS.0 || hour < NIGHT_HOURS.1
}

// ---------------------------------------------------------------------------
// Generator
// ---------------------------------------------------------------------------

/// Weighted choices of kind and channel.
#[derive(Clone, Debug)]
struct Mix<T: Copy> {
    items: Vec<T>,
    index: WeightedIndex<u32>,
}

impl<T: Copy> Mix<T> {
    fn new(table: &[(T, u32)]) -> Mix<T> {
        Mix {
            items: table.iter().map(|(item, _)| *item).collect(),
            index: WeightedIndex::new(table.iter().map(|(_, weight)| *weight))
                .expect("the mix tables have positive weights"),
        }
    }

    fn draw(&self, rng: &mut StdRng) -> T {
        self.items[self.index.sample(rng)]
    }
}

/// Draws a plan's reports one after another, in time order.
#[derive(Clone, Debug)]
pub struct LoadGenerator {
    plan: LoadPlan,
    rng: StdRng,
    district: District,
    ordinary_spots: HotSpots,
    /// Present for the New Year profile only.
    surge_spots: Option<HotSpots>,
    bund: Option<BundVicinity>,
    day_kinds: Mix<IncidentKind>,
    night_kinds: Mix<IncidentKind>,
    surge_kinds: Mix<IncidentKind>,
    ordinary_channels: Mix<Channel>,
    surge_channels: Mix<Channel>,
    /// Surge reports per minute at the surge's peak (before the rate scale).
    surge_peak_per_min: f64,
    /// Bound on the total rate, scaled: the thinning's candidate rate.
    candidate_rate_per_min: f64,
    /// Offset of the last candidate, in fractional milliseconds.
    elapsed_ms: f64,
    sequence: u64,
}

impl LoadGenerator {
    /// A generator for `plan` over `district` (its hot spots, crowds and
    /// geometry).
    pub fn new(district: &District, plan: &LoadPlan) -> Result<LoadGenerator, LoadError> {
        plan.validate()?;
        let ordinary_spots =
            HotSpots::new(district, ordinary_places(district)).ok_or_else(|| {
                LoadError::NoHotSpots {
                    district: district.name().to_string(),
                }
            })?;
        let bund = BundVicinity::of(district);
        let (surge_spots, surge_peak_per_min) = match plan.profile {
            LoadProfile::Ordinary => (None, 0.0),
            LoadProfile::NewYearSurge => {
                let no_bund = || LoadError::NoBund {
                    district: district.name().to_string(),
                };
                let bund_area = district.sensitive_area(BUND_AREA_ID).ok_or_else(no_bund)?;
                // Validation guarantees the pedestrian street exists.
                let street = district
                    .sensitive_area(PEDESTRIAN_STREET_AREA_ID)
                    .ok_or_else(no_bund)?;
                let places = surge_places(bund_area, street);
                let people: f64 = places.iter().map(|(_, crowd)| crowd).sum();
                let spots = HotSpots::new(district, places).ok_or_else(no_bund)?;
                (Some(spots), people / SURGE_PEOPLE_PER_REPORT_PER_MIN)
            }
        };
        let ordinary_max = ORDINARY_REPORTS_PER_MIN_BY_HOUR
            .iter()
            .copied()
            .fold(0.0, f64::max);
        let shape_max = SURGE_SHAPE
            .iter()
            .map(|(_, share)| *share)
            .fold(0.0, f64::max);
        Ok(LoadGenerator {
            plan: plan.clone(),
            rng: StdRng::seed_from_u64(plan.seed),
            district: district.clone(),
            ordinary_spots,
            surge_spots,
            bund,
            day_kinds: Mix::new(&DAY_KINDS),
            night_kinds: Mix::new(&NIGHT_KINDS),
            surge_kinds: Mix::new(&SURGE_KINDS),
            ordinary_channels: Mix::new(&ORDINARY_CHANNELS),
            surge_channels: Mix::new(&SURGE_CHANNELS),
            surge_peak_per_min,
            candidate_rate_per_min: (ordinary_max + surge_peak_per_min * shape_max)
                * plan.rate_scale,
            elapsed_ms: 0.0,
            sequence: 0,
        })
    }

    /// The plan this generator follows.
    pub fn plan(&self) -> &LoadPlan {
        &self.plan
    }

    /// Expected reports per minute at `offset_min` minutes from the start:
    /// (ordinary, surge), rate scale applied.
    pub fn rates_per_min(&self, offset_min: f64) -> (f64, f64) {
        let clock_min = f64::from(self.plan.start.minute_of_day()) + offset_min;
        let surge = match self.plan.profile {
            LoadProfile::Ordinary => 0.0,
            LoadProfile::NewYearSurge => self.surge_peak_per_min * surge_share(clock_min),
        };
        (
            ordinary_rate_per_min(clock_min) * self.plan.rate_scale,
            surge * self.plan.rate_scale,
        )
    }

    /// The next report; offsets never decrease. Every rate curve stays above
    /// zero, so there always is a next one.
    pub fn next_report(&mut self) -> ScheduledReport {
        let source = self.next_arrival();
        self.sequence += 1;
        let offset_ms = self.elapsed_ms as u64;
        let clock_ms = u64::from(self.plan.start.minute_of_day()) * 60_000 + offset_ms;
        let clock_min = clock_ms as f64 / MS_PER_MIN;
        let (spots, kinds, channels) = match (source, &self.surge_spots) {
            (LoadSource::Surge, Some(surge_spots)) => {
                (surge_spots, &self.surge_kinds, &self.surge_channels)
            }
            _ if is_night(clock_min) => (
                &self.ordinary_spots,
                &self.night_kinds,
                &self.ordinary_channels,
            ),
            _ => (
                &self.ordinary_spots,
                &self.day_kinds,
                &self.ordinary_channels,
            ),
        };
        let spot = spots.draw(&mut self.rng);
        let location = draw_location(&mut self.rng, &self.district, spot);
        let kind = kinds.draw(&mut self.rng);
        let (priorities, force_levels) = urgency(kind);
        let incident = NewIncident {
            kind,
            priority: self.rng.random_range(priorities),
            force_level: self.rng.random_range(force_levels),
            location: Position::from_degrees(location.lat, location.lon)
                .expect("a point inside the district is a valid position"),
            channel: channels.draw(&mut self.rng),
            description: format!(
                "{} load: {kind} at {}",
                self.plan.profile,
                spot.place.name()
            ),
        };
        ScheduledReport {
            offset_ms,
            clock_ms,
            request_id: format!("{}-{}", self.plan.request_id_prefix, self.sequence),
            source,
            hot_spot: spot.place.id().to_string(),
            near_bund: self
                .bund
                .as_ref()
                .is_some_and(|bund| bund.is_near(&location)),
            incident,
        }
    }

    /// Every report in the first `minutes` minutes, in order. The generator
    /// is left past the first report after them.
    pub fn reports_within_minutes(&mut self, minutes: u32) -> Vec<ScheduledReport> {
        let end_ms = u64::from(minutes) * 60_000;
        std::iter::from_fn(|| Some(self.next_report()))
            .take_while(|report| report.offset_ms < end_ms)
            .collect()
    }

    /// Advances to the next kept candidate and says which source it belongs
    /// to: one uniform draw against the stacked rates both thins and picks.
    fn next_arrival(&mut self) -> LoadSource {
        loop {
            let gap_min = -(1.0 - self.rng.random::<f64>()).ln() / self.candidate_rate_per_min;
            self.elapsed_ms += gap_min * MS_PER_MIN;
            let (ordinary, surge) = self.rates_per_min(self.elapsed_ms / MS_PER_MIN);
            let pick = self.rng.random::<f64>() * self.candidate_rate_per_min;
            if pick < ordinary {
                return LoadSource::Ordinary;
            }
            if pick < ordinary + surge {
                return LoadSource::Surge;
            }
        }
    }
}

impl Iterator for LoadGenerator {
    type Item = ScheduledReport;

    fn next(&mut self) -> Option<ScheduledReport> {
        Some(self.next_report())
    }
}

/// A point inside the spot and the district, uniform over the spot, on the
/// ledger's grid.
fn draw_location(rng: &mut StdRng, district: &District, spot: &HotSpot) -> LatLon {
    for _ in 0..LOCATION_ATTEMPTS_MAX {
        let candidate = on_ledger_grid(spot.place.candidate(rng));
        if let Some(candidate) = candidate {
            if spot.place.contains(&candidate) && district.contains(&candidate) {
                return candidate;
            }
        }
    }
    spot.anchor
}

/// `position` as the ledger stores it (whole 1e-7 degrees), so the district's
/// geometry checks see the point that is reported, not one a centimetre off
/// that might lie across a boundary.
fn on_ledger_grid(position: LatLon) -> Option<LatLon> {
    let position = Position::from_degrees(position.lat, position.lon).ok()?;
    Some(LatLon::new(position.lat(), position.lon()))
}

// ---------------------------------------------------------------------------
// Summary
// ---------------------------------------------------------------------------

/// Reports in one bucket of a schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadBucket {
    /// Local clock time at the bucket's start.
    pub start: ClockTime,
    /// Every report in the bucket.
    pub reports: u64,
    /// Those near the Bund.
    pub near_bund: u64,
    /// Those from the event surge.
    pub surge: u64,
}

impl LoadBucket {
    /// Share of the bucket's reports near the Bund, 0 when it is empty.
    pub fn near_bund_share(&self) -> f64 {
        if self.reports == 0 {
            0.0
        } else {
            self.near_bund as f64 / self.reports as f64
        }
    }
}

/// Counts `reports` in buckets of `bucket_minutes` from `start`, covering
/// `minutes` (empty buckets included).
pub fn buckets(
    reports: &[ScheduledReport],
    start: ClockTime,
    minutes: u32,
    bucket_minutes: u32,
) -> Vec<LoadBucket> {
    let bucket_minutes = bucket_minutes.max(1);
    let mut buckets: Vec<LoadBucket> = (0..minutes.div_ceil(bucket_minutes))
        .map(|index| {
            let minute = (start.minute_of_day() + index * bucket_minutes) % MINUTES_PER_DAY;
            LoadBucket {
                start: ClockTime {
                    minute_of_day: minute,
                },
                reports: 0,
                near_bund: 0,
                surge: 0,
            }
        })
        .collect();
    for report in reports {
        let index = (report.offset_ms / (u64::from(bucket_minutes) * 60_000)) as usize;
        if let Some(bucket) = buckets.get_mut(index) {
            bucket.reports += 1;
            bucket.near_bund += u64::from(report.near_bund);
            bucket.surge += u64::from(report.source == LoadSource::Surge);
        }
    }
    buckets
}

/// A schedule's summary for people: a line per bucket and the totals.
#[derive(Clone, Debug)]
pub struct LoadSummary {
    /// The plan summarised.
    pub plan: LoadPlan,
    /// Minutes covered.
    pub minutes: u32,
    /// The buckets, [`SUMMARY_BUCKET_MINUTES`] wide.
    pub buckets: Vec<LoadBucket>,
}

impl LoadSummary {
    /// Summarises the first `minutes` of `plan`'s schedule, `reports`.
    pub fn new(plan: &LoadPlan, minutes: u32, reports: &[ScheduledReport]) -> LoadSummary {
        LoadSummary {
            plan: plan.clone(),
            minutes,
            buckets: buckets(reports, plan.start, minutes, SUMMARY_BUCKET_MINUTES),
        }
    }
}

impl fmt::Display for LoadSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plan = &self.plan;
        writeln!(
            f,
            "load {} seed {} from {} for {} min, rate x{}",
            plan.profile, plan.seed, plan.start, self.minutes, plan.rate_scale
        )?;
        writeln!(
            f,
            "{:<7} {:>8} {:>8} {:>10}",
            "from", "reports", "surge", "near Bund"
        )?;
        for bucket in &self.buckets {
            writeln!(
                f,
                "{:<7} {:>8} {:>8} {:>9.0}%",
                bucket.start.to_string(),
                bucket.reports,
                bucket.surge,
                bucket.near_bund_share() * 100.0
            )?;
        }
        let total = |field: fn(&LoadBucket) -> u64| self.buckets.iter().map(field).sum::<u64>();
        let reports = total(|bucket| bucket.reports);
        let near = total(|bucket| bucket.near_bund);
        let share = if reports == 0 {
            0.0
        } else {
            near as f64 / reports as f64
        };
        writeln!(
            f,
            "{:<7} {:>8} {:>8} {:>9.0}%",
            "total",
            reports,
            total(|bucket| bucket.surge),
            share * 100.0
        )
    }
}

// ---------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------

/// `cordon-chaos load` arguments.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadCommand {
    /// What to generate.
    pub plan: LoadPlan,
    /// How many minutes of schedule to print.
    pub minutes: u32,
    /// JSON lines (one report each) instead of the summary.
    pub json: bool,
}

impl LoadCommand {
    /// Parses `--profile new-year|ordinary --seed N --start HH:MM --minutes M
    /// [--rate-scale X] [--json]`; an error names the flag and the fix.
    pub fn parse(args: &[String]) -> Result<LoadCommand, String> {
        let mut profile = None;
        let mut seed = None;
        let mut start = None;
        let mut minutes = None;
        let mut rate_scale = None;
        let mut json = false;
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = |what: &str| {
                args.next()
                    .map(String::as_str)
                    .ok_or_else(|| format!("{arg} needs {what}"))
            };
            match arg.as_str() {
                "--profile" => {
                    let name = value("a profile: ordinary or new-year")?;
                    profile = Some(name.parse::<LoadProfile>().map_err(|e| format!("--profile: {e}"))?);
                }
                "--seed" => {
                    let text = value("a number")?;
                    seed = Some(text.parse::<u64>().map_err(|_| {
                        format!("--seed {text:?} is not a number: use a whole number from 0 to {}", u64::MAX)
                    })?);
                }
                "--start" => {
                    let text = value("a clock time HH:MM")?;
                    start = Some(text.parse::<ClockTime>().map_err(|e| format!("--start: {e}"))?);
                }
                "--minutes" => {
                    let text = value("a number of minutes")?;
                    minutes = Some(
                        text.parse::<u32>()
                            .ok()
                            .filter(|m| (1..=LOAD_MINUTES_MAX).contains(m))
                            .ok_or_else(|| {
                                format!("--minutes {text:?} is out of range: use 1 to {LOAD_MINUTES_MAX} (a week)")
                            })?,
                    );
                }
                "--rate-scale" => {
                    let text = value("a number")?;
                    let scale = text.parse::<f64>().map_err(|_| {
                        format!("--rate-scale {text:?} is not a number: use e.g. 0.5 or 10")
                    })?;
                    rate_scale = Some(scale);
                }
                "--json" => json = true,
                other => {
                    return Err(format!(
                        "unexpected argument {other:?} to load: use --profile, --seed, --start, --minutes, --rate-scale or --json"
                    ))
                }
            }
        }
        let missing =
            |flag: &str, example: &str| format!("{flag} is missing: add e.g. {flag} {example}");
        let mut plan = LoadPlan::new(
            profile.ok_or_else(|| missing("--profile", "new-year"))?,
            seed.ok_or_else(|| missing("--seed", "7"))?,
            start.ok_or_else(|| missing("--start", "22:00"))?,
        );
        if let Some(scale) = rate_scale {
            plan.rate_scale = scale;
        }
        plan.validate().map_err(|e| format!("--rate-scale: {e}"))?;
        Ok(LoadCommand {
            plan,
            minutes: minutes.ok_or_else(|| missing("--minutes", "180"))?,
            json,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn embedded() -> District {
        District::embedded()
    }

    fn at(text: &str) -> ClockTime {
        text.parse().expect("a clock time")
    }

    /// Reports of `profile` with `seed` from `start` for `minutes`.
    fn schedule(
        profile: LoadProfile,
        seed: u64,
        start: &str,
        minutes: u32,
    ) -> Vec<ScheduledReport> {
        let plan = LoadPlan::new(profile, seed, at(start));
        LoadGenerator::new(&embedded(), &plan)
            .expect("the embedded district plans every profile")
            .reports_within_minutes(minutes)
    }

    /// Reports whose clock time is in [from, to) minutes after the start.
    fn between(reports: &[ScheduledReport], from_min: u64, to_min: u64) -> Vec<&ScheduledReport> {
        reports
            .iter()
            .filter(|r| (from_min * 60_000..to_min * 60_000).contains(&r.offset_ms))
            .collect()
    }

    fn near_bund_share(reports: &[&ScheduledReport]) -> f64 {
        reports.iter().filter(|r| r.near_bund).count() as f64 / reports.len().max(1) as f64
    }

    // The figures hold together and say what their comments say: the shares sum to 1, an
    // ordinary day is about 1,290 reports, the Huangpu surge peaks at 11.6 a minute.
    #[test]
    fn figures_hold_together() {
        let shares = ORDINARY_AREA_SHARE + ORDINARY_POINT_SHARE + ORDINARY_ZONE_SHARE;
        assert!((shares - 1.0).abs() < 1e-9, "{shares}");
        let per_day: f64 = (0..MINUTES_PER_DAY)
            .map(|m| ordinary_rate_per_min(f64::from(m)))
            .sum();
        assert!((1_280.0..1_300.0).contains(&per_day), "{per_day} a day");
        assert!((ordinary_rate_per_min(4.5 * 60.0) - 0.25).abs() < 1e-9);
        assert!((ordinary_rate_per_min(20.5 * 60.0) - 1.45).abs() < 1e-9);

        let plan = LoadPlan::new(LoadProfile::NewYearSurge, 0, at("00:00"));
        let generator = LoadGenerator::new(&embedded(), &plan).expect("plan");
        assert!((generator.surge_peak_per_min - 11.6).abs() < 1e-9);
        assert_eq!(generator.rates_per_min(-180.0).1, 0.0); // 21:00
        assert!((generator.rates_per_min(3.0).1 - 11.6).abs() < 1e-9); // 00:03
        assert!(SURGE_SHAPE.windows(2).all(|pair| pair[0].0 < pair[1].0));
    }

    // A seed, a profile and a start time give exactly the same schedule; another seed another.
    #[test]
    fn same_plan_same_schedule_other_seed_other_schedule() {
        let first = schedule(LoadProfile::NewYearSurge, 7, "22:00", 180);
        let again = schedule(LoadProfile::NewYearSurge, 7, "22:00", 180);
        let other = schedule(LoadProfile::NewYearSurge, 8, "22:00", 180);

        assert!(first.len() > 500, "{} reports", first.len());
        assert_eq!(first, again);
        assert_ne!(first[..20], other[..20]);
    }

    // Offsets never decrease, request ids are unique, clock times follow the start.
    #[test]
    fn schedule_is_ordered_with_unique_ids() {
        let reports = schedule(LoadProfile::Ordinary, 3, "23:50", 30);

        assert!(reports
            .windows(2)
            .all(|pair| pair[0].offset_ms <= pair[1].offset_ms));
        let ids: std::collections::BTreeSet<_> = reports.iter().map(|r| &r.request_id).collect();
        assert_eq!(ids.len(), reports.len());
        assert_eq!(reports[0].request_id, "load-3-1");
        let first = &reports[0];
        assert_eq!(
            first.clock_ms,
            23 * 3_600_000 + 50 * 60_000 + first.offset_ms
        );
        let after_midnight = reports
            .iter()
            .find(|r| r.offset_ms >= 10 * 60_000)
            .expect("a report after 00:00");
        assert!(
            after_midnight.clock().starts_with("00:"),
            "{}",
            after_midnight.clock()
        );
    }

    // Ordinary load is heavier in the evening than before dawn, about as the hourly table says.
    #[test]
    fn ordinary_rate_follows_the_time_of_day() {
        let mut dawn = 0;
        let mut evening = 0;
        for seed in 0..5 {
            dawn += schedule(LoadProfile::Ordinary, seed, "04:00", 60).len();
            evening += schedule(LoadProfile::Ordinary, seed, "20:00", 60).len();
        }

        // Table: about 0.26 a minute from 04:00 to 05:00, 1.44 from 20:00 to 21:00.
        assert!((50..110).contains(&dawn), "dawn {dawn}");
        assert!((350..520).contains(&evening), "evening {evening}");
    }

    // The surge: rising toward midnight, a spike just after it well above the evening, then decay.
    #[test]
    fn new_year_surge_has_its_shape() {
        let (mut evening, mut before, mut spike, mut later) = (0, 0, 0, 0);
        for seed in 0..5 {
            let reports = schedule(LoadProfile::NewYearSurge, seed, "21:00", 240);
            evening += between(&reports, 0, 6).len(); // 21:00-21:06
            before += between(&reports, 170, 176).len(); // 23:50-23:56
            spike += between(&reports, 179, 185).len(); // 23:59-00:05
            later += between(&reports, 210, 216).len(); // 00:30-00:36
        }

        assert!(spike > 4 * evening, "spike {spike} evening {evening}");
        assert!(2 * spike > 3 * before, "spike {spike} before {before}");
        assert!(before > evening, "before {before} evening {evening}");
        assert!(later < spike / 2, "later {later} spike {spike}");
    }

    // In the surge window most reports are near the Bund, far more than at the same hour of an ordinary night.
    #[test]
    fn surge_concentrates_near_the_bund() {
        let mut surge = Vec::new();
        let mut ordinary = Vec::new();
        for seed in 0..5 {
            surge.extend(
                between(
                    &schedule(LoadProfile::NewYearSurge, seed, "23:30", 60),
                    30,
                    40,
                )
                .into_iter()
                .cloned(),
            );
            ordinary.extend(schedule(LoadProfile::Ordinary, seed, "23:30", 60));
        }
        let surge_share = near_bund_share(&surge.iter().collect::<Vec<_>>());
        let ordinary_share = near_bund_share(&ordinary.iter().collect::<Vec<_>>());

        assert!(surge_share > 0.5, "surge share {surge_share}");
        assert!(
            surge_share > 2.0 * ordinary_share,
            "surge {surge_share} ordinary {ordinary_share}"
        );
        let crowd_kinds = surge
            .iter()
            .filter(|r| {
                matches!(
                    r.incident.kind,
                    IncidentKind::CrowdCrush | IncidentKind::MissingPerson
                )
            })
            .count();
        assert!(
            crowd_kinds * 4 > surge.len(),
            "{crowd_kinds} of {}",
            surge.len()
        );
    }

    // Ordinary reports crowd the hot spots: the Bund's vicinity and the sensitive areas draw
    // several times their share of the district's surface (measured by uniform points).
    #[test]
    fn ordinary_load_is_weighted_by_hot_spots() {
        let district = embedded();
        let bund = BundVicinity::of(&district).expect("the Bund");
        let mut rng = StdRng::seed_from_u64(1);
        let uniform: Vec<LatLon> =
            std::iter::repeat_with(|| uniform_in_box(&mut rng, district.bounds()))
                .filter(|p| district.contains(p))
                .take(20_000)
                .collect();
        let in_areas = |p: &LatLon| district.sensitive_areas().iter().any(|a| a.contains(p));
        let surface_near_bund =
            uniform.iter().filter(|p| bund.is_near(p)).count() as f64 / uniform.len() as f64;
        let surface_in_areas =
            uniform.iter().filter(|p| in_areas(p)).count() as f64 / uniform.len() as f64;

        let reports = schedule(LoadProfile::Ordinary, 11, "09:00", 12 * 60);
        let locations: Vec<LatLon> = reports
            .iter()
            .map(|r| LatLon::new(r.incident.location.lat(), r.incident.location.lon()))
            .collect();
        let share_near_bund =
            reports.iter().filter(|r| r.near_bund).count() as f64 / reports.len() as f64;
        let share_in_areas =
            locations.iter().filter(|p| in_areas(p)).count() as f64 / locations.len() as f64;

        assert!(
            share_near_bund > 3.0 * surface_near_bund,
            "{share_near_bund} vs surface {surface_near_bund}"
        );
        assert!(
            share_in_areas > 3.0 * surface_in_areas,
            "{share_in_areas} vs surface {surface_in_areas}"
        );
    }

    // A rate scale multiplies the number of reports and keeps the shape.
    #[test]
    fn rate_scale_multiplies_the_load() {
        let mut plan = LoadPlan::new(LoadProfile::Ordinary, 5, at("12:00"));
        let single = LoadGenerator::new(&embedded(), &plan)
            .expect("plan")
            .reports_within_minutes(60)
            .len();
        plan.rate_scale = 10.0;
        let tenfold = LoadGenerator::new(&embedded(), &plan)
            .expect("plan")
            .reports_within_minutes(60)
            .len();

        assert!(
            (7 * single..13 * single).contains(&tenfold),
            "x1 {single}, x10 {tenfold}"
        );
    }

    // The API body has exactly the fields POST /v1/incidents takes, with values the node parses.
    #[test]
    fn api_body_is_what_the_node_accepts() {
        let report = schedule(LoadProfile::NewYearSurge, 2, "23:58", 5).remove(0);
        let body = report.api_body();

        let mut keys: Vec<_> = body
            .as_object()
            .expect("an object")
            .keys()
            .cloned()
            .collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "channel",
                "description",
                "force_level",
                "kind",
                "lat",
                "lon",
                "priority",
                "request_id"
            ]
        );
        assert_eq!(
            body["kind"]
                .as_str()
                .and_then(|k| k.parse::<IncidentKind>().ok()),
            Some(report.incident.kind)
        );
        let channel: Channel = serde_json::from_value(body["channel"].clone()).expect("a channel");
        assert_eq!(channel, report.incident.channel);
        let position = Position::from_degrees(
            body["lat"].as_f64().expect("lat"),
            body["lon"].as_f64().expect("lon"),
        );
        assert_eq!(position, Ok(report.incident.location));
        let line: serde_json::Value =
            serde_json::from_str(&report.json_line()).expect("a JSON line");
        assert_eq!(line["report"], body);
        assert!(
            matches!(report.command(0).action, Action::ReportIncident(ref incident) if *incident == report.incident)
        );
    }

    // Bad plans and flags are refused with the flag and the fix named.
    #[test]
    fn bad_flags_are_refused_with_the_fix() {
        let parse = |line: &str| {
            LoadCommand::parse(
                &line
                    .split_whitespace()
                    .map(String::from)
                    .collect::<Vec<_>>(),
            )
        };
        let good =
            parse("--profile new-year --seed 7 --start 22:00 --minutes 180 --rate-scale 2 --json")
                .expect("good flags");
        assert_eq!(
            (
                good.plan.profile,
                good.plan.seed,
                good.plan.start,
                good.minutes,
                good.plan.rate_scale,
                good.json
            ),
            (LoadProfile::NewYearSurge, 7, at("22:00"), 180, 2.0, true)
        );

        for (line, named) in [
            (
                "--profile nye --seed 7 --start 22:00 --minutes 10",
                "ordinary or new-year",
            ),
            (
                "--profile ordinary --seed x --start 22:00 --minutes 10",
                "--seed",
            ),
            (
                "--profile ordinary --seed 7 --start 24:00 --minutes 10",
                "HH:MM",
            ),
            (
                "--profile ordinary --seed 7 --start 9.30 --minutes 10",
                "HH:MM",
            ),
            (
                "--profile ordinary --seed 7 --start 22:00 --minutes 0",
                "--minutes",
            ),
            (
                "--profile ordinary --seed 7 --start 22:00 --minutes 10 --rate-scale 0",
                "above 0",
            ),
            (
                "--profile ordinary --seed 7 --start 22:00 --minutes 10 --rate-scale NaN",
                "above 0",
            ),
            (
                "--profile ordinary --seed 7 --minutes 10",
                "--start is missing",
            ),
            (
                "--profile ordinary --seed 7 --start 22:00 --minutes",
                "--minutes needs",
            ),
            (
                "--profile ordinary --seed 7 --start 22:00 --minutes 10 --fast",
                "unexpected argument \"--fast\"",
            ),
        ] {
            let error = parse(line).expect_err(line);
            assert!(error.contains(named), "{line}: {error}");
        }
    }

    // A district without the Bund plans ordinary load but refuses the surge, naming the area.
    #[test]
    fn surge_needs_the_bund() {
        let mut spec = embedded().into_spec();
        spec.sensitive_areas.retain(|area| area.id != BUND_AREA_ID);
        let district = District::from_spec(spec).expect("still a valid district");

        assert!(LoadGenerator::new(
            &district,
            &LoadPlan::new(LoadProfile::Ordinary, 1, at("12:00"))
        )
        .is_ok());
        let error = LoadGenerator::new(
            &district,
            &LoadPlan::new(LoadProfile::NewYearSurge, 1, at("22:00")),
        )
        .expect_err("no Bund");
        assert!(error.to_string().contains(BUND_AREA_ID), "{error}");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(24))]

            // For any seed, profile and start: every report lies in the district, with priority and force level in range, and replaying gives the same reports.
            #[test]
            fn every_report_is_inside_the_district(seed in any::<u64>(), surge in any::<bool>(), start in 0u32..24 * 60) {
                let district = embedded();
                let profile = if surge { LoadProfile::NewYearSurge } else { LoadProfile::Ordinary };
                let start = ClockTime { minute_of_day: start };
                let plan = LoadPlan { rate_scale: 20.0, ..LoadPlan::new(profile, seed, start) };
                let reports: Vec<_> = LoadGenerator::new(&district, &plan).expect("plan").take(300).collect();
                let again: Vec<_> = LoadGenerator::new(&district, &plan).expect("plan").take(300).collect();

                prop_assert_eq!(&reports, &again);
                for report in &reports {
                    let location = LatLon::new(report.incident.location.lat(), report.incident.location.lon());
                    prop_assert!(district.contains(&location), "{} at {location}", report.request_id);
                    prop_assert!(report.incident.priority <= 10 && report.incident.force_level <= 10);
                }
            }
        }
    }
}
