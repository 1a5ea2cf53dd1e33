//! The district model: the fixed geography and force layout Cordon dispatches over.
//!
//! A district file (TOML, one per deployment) names the district's bounds and
//! main-street axes, its police stations with their three responsibility zones
//! each, the four rings of force with their on-scene targets, every standing
//! unit, the sensitive areas, the eleven one-minute response points, and the
//! hospitals and safe houses. [`DistrictSpec`] is that file as written;
//! [`District`] is a spec that passed [`DistrictSpec::validate`], so its
//! look-ups ([`District::station_for`], [`District::on_scene_target_s`], ...)
//! never meet a dangling reference or a missing ring. The default district,
//! Huangpu in Shanghai, is embedded in the binary ([`District::embedded`]).
//!
//! Coordinates are WGS-84 `[lat, lon]` pairs ([`LatLon`]).

pub mod demand;
pub mod events;
mod geo;
pub mod sensors;
pub mod streets;
mod validate;

pub(crate) use validate::is_slug;

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use geo::{LatLon, EARTH_RADIUS_M};
use streets::{CrowdRule, StreetGraph, StreetsSpec};

/// The embedded default district file (Huangpu, Shanghai).
pub const EMBEDDED_DISTRICT_TOML: &str = include_str!("../district/huangpu.toml");
/// The name its street file goes by.
pub const EMBEDDED_STREETS_FILE: &str = "huangpu-streets.toml";
/// The embedded district's street file: its curated main streets.
pub const EMBEDDED_STREETS_TOML: &str = include_str!("../district/huangpu-streets.toml");

/// The embedded district's roster of people of rings 1 and 2 (a roster
/// file: who serves in each guardian, volunteer and hospital-post team, and
/// their shifts), which `cordon demo` loads. Names are invented.
pub const EMBEDDED_ROSTER_CSV: &str = include_str!("../district/huangpu-roster.csv");

// Limits and the source's commitments, kept together so their relations are
// visible. The counts and targets come from the district's own account
// (see shared/DOMAIN.md): 3 zones x 2 patrol groups per station, 11 one-minute
// points, 20+ hospitals, ring 4 on scene within 3 minutes, the pedestrian
// street within 1 minute.

/// The only district file version this build reads (2 added the street graph).
pub const DISTRICT_FILE_VERSION: u32 = 2;
/// Responsibility zones per police station.
pub const ZONES_PER_STATION: usize = 3;
/// Patrol groups (ring 3) per responsibility zone.
pub const PATROL_GROUPS_PER_ZONE: usize = 2;
/// Fixed one-minute response points of ring 4.
pub const ONE_MINUTE_POINTS_COUNT: usize = 11;
/// Fewest hospitals with officers on site (ring 1).
pub const HOSPITALS_COUNT_MIN: usize = 20;
/// Ring 4's on-scene target anywhere in the district.
pub const RING4_ON_SCENE_TARGET_S: u32 = 180;
/// On-scene target anywhere on the Nanjing Road pedestrian street.
pub const PEDESTRIAN_STREET_ON_SCENE_TARGET_S: u32 = 60;
/// On-scene target near a one-minute response point.
pub const ONE_MINUTE_POINT_ON_SCENE_TARGET_S: u32 = 60;
/// Id of the sensitive area that is the Nanjing Road pedestrian street.
pub const PEDESTRIAN_STREET_AREA_ID: &str = "nanjing-road";
/// Id of the sensitive area that is the Bund riverside, the main point for
/// big crowds (the New Year countdown).
pub const BUND_AREA_ID: &str = "bund-riverside";
/// Highest force level a unit or ring may carry.
pub const FORCE_LEVEL_MAX: u8 = 10;
/// Fewest points of a polygon (bounds, zone, sensitive area).
pub const POLYGON_POINTS_MIN: usize = 3;
/// Fewest points of an axis polyline.
pub const AXIS_POINTS_MIN: usize = 2;
/// Widest radius a one-minute point may claim to cover.
pub const POINT_COVER_RADIUS_M_MAX: u32 = 500;

/// Why a district file was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DistrictError {
    /// The text is not TOML, or does not match the schema (unknown field,
    /// wrong type, missing key). `message` carries toml's line and column.
    #[error("district file does not parse: {message}")]
    Parse {
        /// toml's report, with line, column and the offending snippet.
        message: String,
    },
    /// A district or street file could not be read.
    #[error("cannot read {file}: {message}")]
    Read {
        /// The file's path.
        file: String,
        /// The system's report.
        message: String,
    },
    /// The district's street file is not TOML or GeoJSON, or does not
    /// match its schema.
    #[error("street file {file} does not parse: {message}")]
    StreetsParse {
        /// The street file named by the district file.
        file: String,
        /// The parser's report, with line and column.
        message: String,
    },
    /// The file parses but breaks a rule of the model.
    #[error("{field}: {value} (fix: {fix})")]
    Invalid {
        /// Path of the offending field, e.g. `district.stations[3].zones`.
        field: String,
        /// What is wrong with the value found there.
        value: String,
        /// How to fix it.
        fix: String,
    },
}

impl DistrictError {
    /// The field path of an `Invalid` error; `None` for a parse error.
    pub fn field(&self) -> Option<&str> {
        match self {
            DistrictError::Parse { .. }
            | DistrictError::Read { .. }
            | DistrictError::StreetsParse { .. } => None,
            DistrictError::Invalid { field, .. } => Some(field),
        }
    }
}

/// A district file as written, before validation. Build a [`District`] from
/// it with [`District::from_spec`]; tests mutate a spec to plant errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistrictSpec {
    /// File format version; must be [`DISTRICT_FILE_VERSION`].
    pub version: u32,
    /// Human-readable district name.
    pub name: String,
    /// Outline of the district; every point of interest lies inside it.
    pub bounds: Vec<LatLon>,
    /// The named main streets, as polylines.
    pub axes: Vec<Axis>,
    /// The four rings, each once.
    pub rings: Vec<RingSpec>,
    /// Police stations, one per subdistrict.
    pub stations: Vec<Station>,
    /// Areas with crowd figures and, where promised, a tighter on-scene target.
    pub sensitive_areas: Vec<SensitiveArea>,
    /// Ring 4's fixed one-minute response points.
    pub one_minute_points: Vec<ResponsePoint>,
    /// Every standing unit of every ring.
    pub units: Vec<Unit>,
    /// Hospitals with officers on site (ring 1).
    pub hospitals: Vec<Facility>,
    /// Safe houses in key areas (ring 2): shelter, fast alarm, first aid.
    pub safe_houses: Vec<Facility>,
    /// The street file, relative to this file: Cordon's TOML form
    /// (`.toml`) or a GeoJSON road layer (`.geojson`). Required; defaults
    /// to empty only so a file of an older version reads as far as its
    /// version check.
    #[serde(default)]
    pub streets: String,
    /// How crowds slow travel through sensitive areas, by time of day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub crowd_rules: Vec<CrowdRule>,
    /// The district's local time ahead of UTC, in minutes (Shanghai: 480),
    /// for the crowd rules' times of day. Required; defaults only so a
    /// file of an older version reads as far as its version check.
    #[serde(default)]
    pub utc_offset_min: Option<i32>,
    /// The district's agency identifier (a domain name) in documents
    /// exchanged with other CAD systems (NENA EIDO), e.g.
    /// `huangpu.cordon.example`; absent: `cordon.invalid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
    /// Where the risk-sensing net counts people; none is allowed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub crowd_sensors: Vec<sensors::CrowdSensor>,
    /// The major events that fill its areas; none is allowed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub crowd_events: Vec<events::CrowdEvent>,
}

fn parse_spec(text: &str) -> Result<DistrictSpec, DistrictError> {
    toml::from_str(text).map_err(|error| DistrictError::Parse {
        message: error.to_string(),
    })
}

impl DistrictSpec {
    /// Checks every rule of the model and reports the first problem found, in
    /// file order, naming the field path, the bad value and the fix.
    pub fn validate(&self) -> Result<(), DistrictError> {
        validate::validate(self)
    }
}

/// A named main street drawn as a polyline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Axis {
    /// Slug id, unique in the district.
    pub id: String,
    /// Street name.
    pub name: String,
    /// Points along the street, in order.
    pub line: Vec<LatLon>,
}

/// A police station and the three responsibility zones it patrols.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Station {
    /// Slug id such as `nanjing-east`.
    pub id: String,
    /// Station name.
    pub name: String,
    /// The subdistrict the station serves.
    pub subdistrict: String,
    /// The station building; lies in one of its own zones.
    pub position: LatLon,
    /// How the station runs its street patrol.
    pub duty_mode: DutyMode,
    /// Exactly [`ZONES_PER_STATION`] zones, not overlapping other zones.
    pub zones: Vec<Zone>,
}

/// A station's street-patrol duty mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DutyMode {
    /// "6+1" for residential areas.
    Basic,
    /// Extra patrols for commercial, tourist and complex areas.
    Overlay,
    /// Crowded sensitive areas: watch posts and four-wheel electric patrol carts.
    Deployment,
}

/// One responsibility zone of a station.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    /// Slug id such as `nanjing-east-1`.
    pub id: String,
    /// Zone name.
    pub name: String,
    /// Outline of the zone.
    pub polygon: Vec<LatLon>,
}

impl Zone {
    /// Whether `position` lies inside the zone.
    pub fn contains(&self, position: &LatLon) -> bool {
        geo::polygon_contains(&self.polygon, position)
    }

    /// The zone's area centroid; in a validated district it lies inside the
    /// zone and the district. `None` only for an empty polygon.
    pub fn centre(&self) -> Option<LatLon> {
        geo::polygon_centroid(&self.polygon)
    }
}

/// One of the four rings incidents escalate through, innermost first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum Ring {
    /// Ring 1: community cadres, building leads, property guards, hospital posts.
    Guardian = 1,
    /// Ring 2: volunteers, merchants' security alliance, scenic-area patrols.
    MassPrevention = 2,
    /// Ring 3: the stations' street patrol and the pedestrian-street squadron.
    StreetPatrol = 3,
    /// Ring 4: special police and armed police in vehicles.
    SpecialPolice = 4,
}

impl Ring {
    /// All rings, innermost first.
    pub const ALL: [Ring; 4] = [
        Ring::Guardian,
        Ring::MassPrevention,
        Ring::StreetPatrol,
        Ring::SpecialPolice,
    ];

    /// The ring's number, 1 to 4, as written in a district file.
    pub const fn number(self) -> u8 {
        self as u8
    }

    /// Position in [`Ring::ALL`].
    const fn index(self) -> usize {
        self as usize - 1
    }
}

/// A ring number outside 1..=4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("ring must be 1, 2, 3 or 4, found {0}")]
pub struct InvalidRing(pub u8);

impl TryFrom<u8> for Ring {
    type Error = InvalidRing;

    fn try_from(number: u8) -> Result<Self, Self::Error> {
        match number {
            1 => Ok(Ring::Guardian),
            2 => Ok(Ring::MassPrevention),
            3 => Ok(Ring::StreetPatrol),
            4 => Ok(Ring::SpecialPolice),
            other => Err(InvalidRing(other)),
        }
    }
}

impl From<Ring> for u8 {
    fn from(ring: Ring) -> Self {
        ring.number()
    }
}

impl std::fmt::Display for Ring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ring {}", self.number())
    }
}

/// What a ring promises.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RingSpec {
    /// Which ring.
    pub ring: Ring,
    /// Ring name.
    pub name: String,
    /// On-scene target anywhere in the district, in seconds.
    pub on_scene_target_s: u32,
    /// Highest force level of the ring's units.
    pub force_level_max: u8,
    /// Whether area-specific targets (pedestrian street, one-minute points)
    /// bind this ring. False for the community rings, whose members are
    /// where they live and work rather than posted to cover a spot.
    pub area_targets_apply: bool,
}

/// A standing unit of one ring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    /// Slug id such as `nanjing-east-1-a`.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// What kind of unit; fixes its ring.
    pub kind: UnitKind,
    /// The ring; must equal `kind.ring()`.
    pub ring: Ring,
    /// The station the unit belongs to; `None` for district-level units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub station: Option<String>,
    /// The zone it patrols, one of its station's; requires `station`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Where the unit waits when not assigned; inside its zone if it has one.
    pub home: LatLon,
    /// Head count per role.
    pub crew: Crew,
    /// How much force the unit brings, 0..=10, at most its ring's maximum.
    pub force_level: u8,
    /// How it moves.
    pub travel_mode: TravelMode,
}

/// The kinds of standing unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// Ring 1: building leads, property guards and cadres of one zone.
    CommunityGuardian,
    /// Ring 1: officers posted at a hospital.
    HospitalPost,
    /// Ring 2: a subdistrict's safety volunteers.
    VolunteerTeam,
    /// Ring 2: a shopping area's merchants' security alliance.
    MerchantSecurityTeam,
    /// Ring 2: a subdistrict or scenic-area security patrol.
    ScenicAreaPatrol,
    /// Ring 3: one officer and one auxiliary patrolling a zone.
    PatrolGroup,
    /// Ring 3: the cross-station Nanjing Road pedestrian-street squadron.
    PedestrianStreetSquad,
    /// Ring 4: the joint special and armed police team of a one-minute point.
    SpecialPoliceTeam,
    /// Ring 4: a special-police assault vehicle patrolling the streets.
    RovingSpecialVehicle,
    /// Ring 4: the squad on standby 24 hours a day.
    StandbySquad,
}

impl UnitKind {
    /// The kind's name as written in a district file.
    pub const fn as_str(self) -> &'static str {
        match self {
            UnitKind::CommunityGuardian => "community_guardian",
            UnitKind::HospitalPost => "hospital_post",
            UnitKind::VolunteerTeam => "volunteer_team",
            UnitKind::MerchantSecurityTeam => "merchant_security_team",
            UnitKind::ScenicAreaPatrol => "scenic_area_patrol",
            UnitKind::PatrolGroup => "patrol_group",
            UnitKind::PedestrianStreetSquad => "pedestrian_street_squad",
            UnitKind::SpecialPoliceTeam => "special_police_team",
            UnitKind::RovingSpecialVehicle => "roving_special_vehicle",
            UnitKind::StandbySquad => "standby_squad",
        }
    }

    /// The ring every unit of this kind belongs to.
    pub const fn ring(self) -> Ring {
        match self {
            UnitKind::CommunityGuardian | UnitKind::HospitalPost => Ring::Guardian,
            UnitKind::VolunteerTeam
            | UnitKind::MerchantSecurityTeam
            | UnitKind::ScenicAreaPatrol => Ring::MassPrevention,
            UnitKind::PatrolGroup | UnitKind::PedestrianStreetSquad => Ring::StreetPatrol,
            UnitKind::SpecialPoliceTeam
            | UnitKind::RovingSpecialVehicle
            | UnitKind::StandbySquad => Ring::SpecialPolice,
        }
    }
}

/// Head count of a unit per role; roles left out of the file are zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Crew {
    /// Police officers.
    #[serde(skip_serializing_if = "is_zero")]
    pub officer: u16,
    /// Auxiliary police.
    #[serde(skip_serializing_if = "is_zero")]
    pub auxiliary: u16,
    /// Special police.
    #[serde(skip_serializing_if = "is_zero")]
    pub special_police: u16,
    /// Armed police.
    #[serde(skip_serializing_if = "is_zero")]
    pub armed_police: u16,
    /// Volunteers, merchants' and property security staff.
    #[serde(skip_serializing_if = "is_zero")]
    pub volunteer: u16,
    /// Community guardians: cadres, building leads, property guards.
    #[serde(skip_serializing_if = "is_zero")]
    pub guardian: u16,
}

fn is_zero(count: &u16) -> bool {
    *count == 0
}

impl Crew {
    /// Everyone in the unit.
    pub fn total(&self) -> u32 {
        [
            self.officer,
            self.auxiliary,
            self.special_police,
            self.armed_police,
            self.volunteer,
            self.guardian,
        ]
        .iter()
        .map(|&count| u32::from(count))
        .sum()
    }
}

impl std::fmt::Display for UnitKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for Crew {
    /// As written in a district file: `{ officer = 1, auxiliary = 1 }`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let roles = [
            ("officer", self.officer),
            ("auxiliary", self.auxiliary),
            ("special_police", self.special_police),
            ("armed_police", self.armed_police),
            ("volunteer", self.volunteer),
            ("guardian", self.guardian),
        ];
        f.write_str("{")?;
        let mut separator = " ";
        for (role, count) in roles.into_iter().filter(|(_, count)| *count > 0) {
            write!(f, "{separator}{role} = {count}")?;
            separator = ", ";
        }
        f.write_str(" }")
    }
}

/// How a unit moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TravelMode {
    /// On foot.
    Foot,
    /// Electric bicycle or scooter.
    EBike,
    /// Four-wheel electric patrol cart.
    ECart,
    /// Car or assault vehicle.
    Car,
}

impl TravelMode {
    /// Every mode, slowest first.
    pub const ALL: [TravelMode; 4] = [
        TravelMode::Foot,
        TravelMode::EBike,
        TravelMode::ECart,
        TravelMode::Car,
    ];

    /// The mode's name as written in a district file.
    pub const fn as_str(self) -> &'static str {
        match self {
            TravelMode::Foot => "foot",
            TravelMode::EBike => "e_bike",
            TravelMode::ECart => "e_cart",
            TravelMode::Car => "car",
        }
    }

    /// Its position in [`TravelMode::ALL`], to index per-mode tables.
    pub const fn index(self) -> usize {
        match self {
            TravelMode::Foot => 0,
            TravelMode::EBike => 1,
            TravelMode::ECart => 2,
            TravelMode::Car => 3,
        }
    }
}

impl std::fmt::Display for TravelMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An area that draws crowds and attention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensitiveArea {
    /// Slug id such as `nanjing-road`.
    pub id: String,
    /// Area name.
    pub name: String,
    /// Outline of the area; may cross station and zone lines.
    pub polygon: Vec<LatLon>,
    /// A tighter on-scene target inside the area, in seconds, if promised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_scene_target_s: Option<u32>,
    /// The ring whose promise that target is (the pedestrian street's
    /// minute is ring 3's squadron's); absent: every ring that honours
    /// area targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_ring: Option<Ring>,
    /// Most people present at once, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crowd_capacity: Option<u32>,
}

impl SensitiveArea {
    /// Whether `position` lies inside the area.
    pub fn contains(&self, position: &LatLon) -> bool {
        geo::polygon_contains(&self.polygon, position)
    }

    /// The area's centroid (of its surface, not the mean of its corners, so a
    /// side drawn with many points does not pull it). `None` only for an
    /// empty polygon.
    pub fn centre(&self) -> Option<LatLon> {
        geo::polygon_centroid(&self.polygon)
    }
}

/// A fixed one-minute response point of ring 4 and its joint team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponsePoint {
    /// Slug id such as `point-yu-garden`.
    pub id: String,
    /// Point name.
    pub name: String,
    /// Where the team stands.
    pub position: LatLon,
    /// On-scene target within `cover_radius_m`, in seconds.
    pub on_scene_target_s: u32,
    /// Radius around `position` the point's target applies to, in metres.
    pub cover_radius_m: u32,
    /// Ids of the ring 4 units posted here.
    pub team_unit_ids: Vec<String>,
}

impl ResponsePoint {
    /// Whether `position` is within the point's cover radius.
    pub fn covers(&self, position: &LatLon) -> bool {
        self.position.distance_m(position) <= f64::from(self.cover_radius_m)
    }
}

/// A hospital or safe house.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Facility {
    /// Slug id.
    pub id: String,
    /// Facility name.
    pub name: String,
    /// Hospital or safe house; must match the list it is in.
    pub kind: FacilityKind,
    /// Where it is.
    pub position: LatLon,
    /// The station that looks after it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub station: Option<String>,
}

/// The kinds of facility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FacilityKind {
    /// A hospital with officers on site.
    Hospital,
    /// A safe house: shelter, fast alarm, first aid.
    SafeHouse,
}

impl FacilityKind {
    /// The kind's name as written in a district file.
    pub const fn as_str(self) -> &'static str {
        match self {
            FacilityKind::Hospital => "hospital",
            FacilityKind::SafeHouse => "safe_house",
        }
    }
}

impl std::fmt::Display for FacilityKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A validated district: every reference resolves, every ring is present
/// and its street graph reaches every point of interest, so the look-ups
/// below cannot fail on the data.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct District {
    /// Invariant: passed `validate`, rings sorted by ring number.
    spec: DistrictSpec,
    /// The street file as read.
    #[serde(skip)]
    streets: StreetsSpec,
    /// The graph it validated into.
    #[serde(skip)]
    graph: Arc<StreetGraph>,
}

impl District {
    /// The embedded default district (Huangpu, Shanghai).
    ///
    /// # Panics
    /// Only if the embedded files are broken, which `tests/district.rs` prevents.
    pub fn embedded() -> District {
        District::from_toml_str(EMBEDDED_DISTRICT_TOML)
            .unwrap_or_else(|error| panic!("embedded district/huangpu.toml is broken: {error}"))
    }

    /// Reads the district file at `path` and the street file it names
    /// (relative to it), and validates both.
    pub fn load(path: &Path) -> Result<District, DistrictError> {
        let read = |path: &Path| {
            std::fs::read_to_string(path).map_err(|error| DistrictError::Read {
                file: path.display().to_string(),
                message: error.to_string(),
            })
        };
        let spec = parse_spec(&read(path)?)?;
        let streets_path = path.parent().unwrap_or(Path::new(".")).join(&spec.streets);
        let streets = StreetsSpec::parse(&spec.streets, &read(&streets_path)?)?;
        District::with_streets(spec, streets)
    }

    /// Parses a district file and validates it. Its street file must be
    /// one embedded in this build ([`EMBEDDED_STREETS_FILE`]); a district
    /// with its own street file is read with [`District::load`].
    pub fn from_toml_str(text: &str) -> Result<District, DistrictError> {
        District::from_spec(parse_spec(text)?)
    }

    /// Validates a spec and wraps it, with the embedded street file it
    /// names (see [`District::from_toml_str`]).
    pub fn from_spec(spec: DistrictSpec) -> Result<District, DistrictError> {
        if spec.streets != EMBEDDED_STREETS_FILE {
            return Err(DistrictError::Invalid {
                field: "district.streets".into(),
                value: format!("\"{}\" is not a street file embedded in this build", spec.streets),
                fix: format!("load the district from its file, next to its street file, or name the embedded \"{EMBEDDED_STREETS_FILE}\""),
            });
        }
        let streets = StreetsSpec::parse(EMBEDDED_STREETS_FILE, EMBEDDED_STREETS_TOML)?;
        District::with_streets(spec, streets)
    }

    /// Validates a spec and its street file (as read from `spec.streets`).
    pub fn with_streets(
        mut spec: DistrictSpec,
        streets: StreetsSpec,
    ) -> Result<District, DistrictError> {
        spec.validate()?;
        let graph = StreetGraph::build(&spec.streets, &streets, &spec)?;
        // Validation saw each ring exactly once; sorting lets `ring` index.
        spec.rings.sort_by_key(|ring_spec| ring_spec.ring);
        Ok(District {
            spec,
            streets,
            graph: Arc::new(graph),
        })
    }

    /// The validated spec.
    pub fn spec(&self) -> &DistrictSpec {
        &self.spec
    }

    /// Unwraps the spec, e.g. to edit it and validate again.
    pub fn into_spec(self) -> DistrictSpec {
        self.spec
    }

    /// The street file as read.
    pub fn streets_spec(&self) -> &StreetsSpec {
        &self.streets
    }

    /// The validated street graph.
    pub fn streets(&self) -> &Arc<StreetGraph> {
        &self.graph
    }

    /// The agency identifier in documents exchanged with other CAD systems.
    pub fn agency(&self) -> &str {
        self.spec.agency.as_deref().unwrap_or("cordon.invalid")
    }

    /// The district's local time ahead of UTC, in minutes.
    pub fn utc_offset_min(&self) -> i32 {
        // Validation refused a district without one.
        self.spec.utc_offset_min.unwrap_or_default()
    }

    /// District name.
    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// Outline of the district.
    pub fn bounds(&self) -> &[LatLon] {
        &self.spec.bounds
    }

    /// Main-street axes.
    pub fn axes(&self) -> &[Axis] {
        &self.spec.axes
    }

    /// The four rings, in ring order.
    pub fn rings(&self) -> &[RingSpec] {
        &self.spec.rings
    }

    /// Police stations.
    pub fn stations(&self) -> &[Station] {
        &self.spec.stations
    }

    /// Standing units of every ring.
    pub fn units(&self) -> &[Unit] {
        &self.spec.units
    }

    /// Sensitive areas.
    pub fn sensitive_areas(&self) -> &[SensitiveArea] {
        &self.spec.sensitive_areas
    }

    /// Ring 4's one-minute response points.
    pub fn one_minute_points(&self) -> &[ResponsePoint] {
        &self.spec.one_minute_points
    }

    /// Hospitals.
    pub fn hospitals(&self) -> &[Facility] {
        &self.spec.hospitals
    }

    /// Safe houses.
    pub fn safe_houses(&self) -> &[Facility] {
        &self.spec.safe_houses
    }

    /// Whether `position` lies inside the district bounds.
    pub fn contains(&self, position: &LatLon) -> bool {
        geo::polygon_contains(&self.spec.bounds, position)
    }

    /// The sensitive area with this id.
    pub fn sensitive_area(&self, id: &str) -> Option<&SensitiveArea> {
        self.spec.sensitive_areas.iter().find(|area| area.id == id)
    }

    /// The station with this id.
    pub fn station(&self, id: &str) -> Option<&Station> {
        self.spec.stations.iter().find(|station| station.id == id)
    }

    /// The unit with this id.
    pub fn unit(&self, id: &str) -> Option<&Unit> {
        self.spec.units.iter().find(|unit| unit.id == id)
    }

    /// The zone containing `position`, with its station; `None` outside every zone.
    pub fn zone_for(&self, position: &LatLon) -> Option<(&Station, &Zone)> {
        self.spec.stations.iter().find_map(|station| {
            station
                .zones
                .iter()
                .find(|zone| zone.contains(position))
                .map(|zone| (station, zone))
        })
    }

    /// The station whose zone contains `position`.
    pub fn station_for(&self, position: &LatLon) -> Option<&Station> {
        self.zone_for(position).map(|(station, _)| station)
    }

    /// The ring of a one-minute point's team (its first team unit's).
    fn point_ring(&self, point: &ResponsePoint) -> Option<Ring> {
        let team = point.team_unit_ids.first()?;
        self.unit(team).map(|unit| unit.ring)
    }

    /// What `ring` promises.
    pub fn ring(&self, ring: Ring) -> &RingSpec {
        &self.spec.rings[ring.index()]
    }

    /// The tightest on-scene target, in seconds, for `ring` at `position`:
    /// an area-specific target (a sensitive area containing the position, or a
    /// one-minute point covering it) if the ring honours those, else the ring's.
    /// A one-minute point's target binds only the ring of its team (ring 4's
    /// joint teams), an area's only its `target_ring` when it names one: a
    /// target is the promise of the units that keep it, so a ring-3
    /// incident beside a point keeps ring 3's target, and a ring-4 incident
    /// on the pedestrian street ring 4's 3 minutes.
    pub fn on_scene_target_s(&self, ring: Ring, position: &LatLon) -> u32 {
        let ring_spec = self.ring(ring);
        if !ring_spec.area_targets_apply {
            return ring_spec.on_scene_target_s;
        }
        let area_targets = self
            .spec
            .sensitive_areas
            .iter()
            .filter(|area| area.target_ring.is_none_or(|owner| owner == ring))
            .filter_map(|area| area.on_scene_target_s.filter(|_| area.contains(position)));
        let point_targets = self
            .spec
            .one_minute_points
            .iter()
            .filter(|point| point.covers(position) && self.point_ring(point) == Some(ring))
            .map(|point| point.on_scene_target_s);
        area_targets
            .chain(point_targets)
            .fold(ring_spec.on_scene_target_s, u32::min)
    }
}

#[cfg(test)]
mod tests {
    use super::geo::{polygon_centroid, polygon_contains};
    use super::*;

    fn square() -> Vec<LatLon> {
        vec![
            LatLon::new(31.20, 121.40),
            LatLon::new(31.20, 121.50),
            LatLon::new(31.30, 121.50),
            LatLon::new(31.30, 121.40),
        ]
    }

    // A point inside a square is contained; points beside it on every side are not.
    #[test]
    fn point_in_square() {
        let square = square();
        assert!(polygon_contains(&square, &LatLon::new(31.25, 121.45)));
        for outside in [
            (31.19, 121.45),
            (31.31, 121.45),
            (31.25, 121.39),
            (31.25, 121.51),
        ] {
            assert!(!polygon_contains(
                &square,
                &LatLon::new(outside.0, outside.1)
            ));
        }
    }

    // The notch of an L-shaped (concave) polygon is outside it.
    #[test]
    fn point_in_concave_polygon() {
        let l_shape = [
            LatLon::new(0.0, 0.0),
            LatLon::new(0.0, 2.0),
            LatLon::new(1.0, 2.0),
            LatLon::new(1.0, 1.0),
            LatLon::new(2.0, 1.0),
            LatLon::new(2.0, 0.0),
        ];
        assert!(polygon_contains(&l_shape, &LatLon::new(0.5, 1.5)));
        assert!(polygon_contains(&l_shape, &LatLon::new(1.5, 0.5)));
        assert!(!polygon_contains(&l_shape, &LatLon::new(1.5, 1.5)));
    }

    // Degenerate polygons contain nothing.
    #[test]
    fn degenerate_polygons_contain_nothing() {
        let point = LatLon::new(0.0, 0.0);
        assert!(!polygon_contains(&[], &point));
        assert!(!polygon_contains(&[point, LatLon::new(1.0, 1.0)], &point));
    }

    // The centroid of a square is its centre, whichever way round it is listed.
    #[test]
    fn centroid_of_square() {
        let mut square = square();
        for _ in 0..2 {
            let centroid = polygon_centroid(&square).expect("non-empty polygon");
            assert!((centroid.lat - 31.25).abs() < 1e-9);
            assert!((centroid.lon - 121.45).abs() < 1e-9);
            square.reverse();
        }
        assert_eq!(polygon_centroid(&[]), None);
    }

    // Haversine distances match known values: one degree of latitude, and the Bund to People's Square.
    #[test]
    fn distance_known_values() {
        let one_degree = LatLon::new(31.0, 121.0).distance_m(&LatLon::new(32.0, 121.0));
        assert!((one_degree - 111_195.0).abs() < 10.0, "{one_degree}");
        let bund = LatLon::new(31.2422, 121.4858);
        let peoples_square = LatLon::new(31.2323, 121.4692);
        let distance = bund.distance_m(&peoples_square);
        // Equirectangular estimate: dlat 1101 m, dlon 1580 m -> about 1926 m.
        assert!((distance - 1926.0).abs() < 15.0, "{distance}");
        assert_eq!(bund.distance_m(&bund), 0.0);
        assert!((bund.distance_m(&peoples_square) - peoples_square.distance_m(&bund)).abs() < 1e-9);
    }

    // Ring numbers round-trip and out-of-range numbers are refused.
    #[test]
    fn ring_numbers() {
        for ring in Ring::ALL {
            assert_eq!(Ring::try_from(ring.number()), Ok(ring));
        }
        assert_eq!(Ring::try_from(0), Err(InvalidRing(0)));
        assert_eq!(Ring::try_from(5), Err(InvalidRing(5)));
    }
}
