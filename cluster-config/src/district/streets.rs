//! The district's street graph: the roads units travel on.
//!
//! A district file names its street file (`streets = "huangpu-streets.toml"`),
//! either Cordon's own TOML form ([`StreetsSpec`]: intersections and the ways
//! between them) or a GeoJSON road layer an operator exported, for example from
//! OpenStreetMap. Both become the same [`StreetGraph`]: directed edges between
//! intersections, each with its length, its street class and the travel modes
//! allowed on it. Travel times come from the class's speed per mode
//! ([`StreetClass::speed_m_per_s`]), slowed by the district's crowd rules.
//!
//! Validation names the field or feature at fault and the fix, as for the
//! district file. It also proves the graph is usable: every station, hospital,
//! safe house, one-minute point, sensitive area and unit home lies within
//! [`SNAP_DISTANCE_M_MAX`] of a street its users may travel, in that mode's
//! main connected network. Pieces cut off from it are reported, not refused,
//! unless a point of interest depends on one.

mod build;
mod geojson;
mod reach;

use serde::{Deserialize, Serialize};

use super::{DistrictError, DistrictSpec, LatLon, TravelMode};

pub use reach::Piece;

/// The only street file version this build reads.
pub const STREETS_FILE_VERSION: u32 = 1;
/// Longest single edge between two listed nodes: ways are split at every
/// intersection, so a longer edge is a missing node.
pub const EDGE_LENGTH_M_MAX: f64 = 1_500.0;
/// Farthest a point of interest may lie from a street its users travel.
/// Beyond the street, the last leg is on foot.
pub const SNAP_DISTANCE_M_MAX: f64 = 200.0;
/// Farthest a street node may lie outside the district bounds (bridge and
/// tunnel approaches, boundary roads).
pub const OUTSIDE_BOUNDS_M_MAX: f64 = 300.0;

/// A street's class: what it carries and how fast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreetClass {
    /// A main road through the district (Xizang Road, the Bund).
    Arterial,
    /// A main street between arterials.
    Main,
    /// An ordinary street.
    Street,
    /// A narrow lane (lilong, alley): slow for every vehicle.
    Lane,
    /// A pedestrian street or path: foot and patrol carts only.
    Pedestrian,
}

impl StreetClass {
    /// Every class, fastest first.
    pub const ALL: [StreetClass; 5] = [
        StreetClass::Arterial,
        StreetClass::Main,
        StreetClass::Street,
        StreetClass::Lane,
        StreetClass::Pedestrian,
    ];

    /// The class's name as written in a street file.
    pub const fn as_str(self) -> &'static str {
        match self {
            StreetClass::Arterial => "arterial",
            StreetClass::Main => "main",
            StreetClass::Street => "street",
            StreetClass::Lane => "lane",
            StreetClass::Pedestrian => "pedestrian",
        }
    }

    /// The modes allowed when a way does not say.
    pub const fn default_modes(self) -> ModeSet {
        match self {
            StreetClass::Pedestrian => ModeSet::FOOT.with(TravelMode::ECart),
            _ => ModeSet::ALL,
        }
    }

    /// Average speed of `mode` on this class in urban traffic, signals
    /// included, in metres per second; `None` where the mode may not go.
    ///
    /// Our figures for an old city centre: a car averages 30 km/h on an
    /// arterial and 12.6 km/h in a lane; an e-bike or patrol cart 14-18
    /// km/h; an officer on foot hurries at 9 km/h everywhere.
    pub const fn speed_m_per_s(self, mode: TravelMode) -> Option<f64> {
        let speed = match (self, mode) {
            (_, TravelMode::Foot) => 2.5,
            (StreetClass::Pedestrian, TravelMode::ECart) => 3.0,
            (StreetClass::Pedestrian, TravelMode::Car | TravelMode::EBike) => return None,
            (StreetClass::Arterial, TravelMode::Car) => 8.3,
            (StreetClass::Main, TravelMode::Car) => 6.9,
            (StreetClass::Street, TravelMode::Car) => 5.6,
            (StreetClass::Lane, TravelMode::Car) => 3.5,
            (StreetClass::Arterial | StreetClass::Main, TravelMode::EBike) => 5.0,
            (StreetClass::Street, TravelMode::EBike) => 4.5,
            (StreetClass::Lane, TravelMode::EBike) => 3.5,
            (StreetClass::Arterial, TravelMode::ECart) => 4.5,
            (StreetClass::Main | StreetClass::Street, TravelMode::ECart) => 4.0,
            (StreetClass::Lane, TravelMode::ECart) => 3.0,
        };
        Some(speed)
    }
}

impl std::fmt::Display for StreetClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of travel modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ModeSet(u8);

impl ModeSet {
    /// No mode.
    pub const NONE: ModeSet = ModeSet(0);
    /// On foot only.
    pub const FOOT: ModeSet = ModeSet(1);
    /// Every mode.
    pub const ALL: ModeSet = ModeSet(0b1111);

    const fn bit(mode: TravelMode) -> u8 {
        match mode {
            TravelMode::Foot => 1,
            TravelMode::EBike => 2,
            TravelMode::ECart => 4,
            TravelMode::Car => 8,
        }
    }

    /// This set with `mode` added.
    pub const fn with(self, mode: TravelMode) -> ModeSet {
        ModeSet(self.0 | ModeSet::bit(mode))
    }

    /// Whether `mode` is in the set.
    pub const fn contains(self, mode: TravelMode) -> bool {
        self.0 & ModeSet::bit(mode) != 0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The modes in the set, in [`TravelMode::ALL`] order.
    pub fn modes(self) -> impl Iterator<Item = TravelMode> {
        TravelMode::ALL
            .into_iter()
            .filter(move |mode| self.contains(*mode))
    }
}

impl FromIterator<TravelMode> for ModeSet {
    fn from_iter<I: IntoIterator<Item = TravelMode>>(modes: I) -> Self {
        modes.into_iter().fold(ModeSet::NONE, ModeSet::with)
    }
}

impl std::fmt::Display for ModeSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.modes().map(TravelMode::as_str).collect();
        write!(f, "[{}]", names.join(", "))
    }
}

/// Which way a one-way street runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OneWay {
    /// In the order of the way's nodes.
    Forward,
    /// Against the order of the way's nodes.
    Backward,
}

/// A street file in Cordon's TOML form, as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreetsSpec {
    /// File format version; must be [`STREETS_FILE_VERSION`].
    pub version: u32,
    /// What the graph is, e.g. "Huangpu District streets (curated)".
    pub name: String,
    /// Intersections and the bends worth drawing.
    pub nodes: Vec<StreetNodeSpec>,
    /// Streets as runs of nodes.
    pub ways: Vec<WaySpec>,
}

/// A street node as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreetNodeSpec {
    /// Slug id, unique among nodes and ways.
    pub id: String,
    /// Where it is.
    pub at: LatLon,
    /// A name worth showing (an intersection's streets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Where an error about the node points: its GeoJSON vertex
    /// (`streets.features[4].geometry.coordinates[2]`); `None` for the TOML
    /// form's `streets.nodes[i]`.
    #[serde(skip)]
    pub source: Option<String>,
}

/// A street as written: a run of nodes, travelled between each pair in turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaySpec {
    /// Slug id, unique among nodes and ways.
    pub id: String,
    /// The street's name.
    pub name: String,
    /// Its class.
    pub class: StreetClass,
    /// At least two node ids, in order along the street.
    pub nodes: Vec<String>,
    /// The direction of a one-way street; two-way when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oneway: Option<OneWay>,
    /// The modes allowed, when not the class's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<Vec<TravelMode>>,
    /// Whether the way is a bridge.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bridge: bool,
    /// Whether the way is a tunnel.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tunnel: bool,
    /// Where an error about the way points: its GeoJSON feature
    /// (`streets.features[42]`); `None` for the TOML form's `streets.ways[i]`.
    #[serde(skip)]
    pub source: Option<String>,
}

impl StreetsSpec {
    /// Reads the street file `file` (its extension chooses the form: `.toml`
    /// or `.geojson`) from `text`.
    pub fn parse(file: &str, text: &str) -> Result<StreetsSpec, DistrictError> {
        let lower = file.to_ascii_lowercase();
        if lower.ends_with(".toml") {
            toml::from_str(text).map_err(|error| DistrictError::StreetsParse {
                file: file.to_owned(),
                message: error.to_string(),
            })
        } else if lower.ends_with(".geojson") || lower.ends_with(".json") {
            geojson::parse(file, text)
        } else {
            Err(DistrictError::Invalid {
                field: "district.streets".into(),
                value: format!(
                    "\"{file}\" is neither a .toml street file nor a .geojson road layer"
                ),
                fix:
                    "name a street file ending in .toml, or a GeoJSON road layer ending in .geojson"
                        .into(),
            })
        }
    }
}

/// A validated street graph. Invariant: every edge's ends are nodes of the
/// graph, every edge allows at least one mode, and every point of interest
/// of its district snaps to its users' modes' main network.
#[derive(Debug, Clone, PartialEq)]
pub struct StreetGraph {
    name: String,
    nodes: Vec<StreetNode>,
    ways: Vec<Way>,
    edges: Vec<Edge>,
    pieces: Vec<Piece>,
}

/// A street node.
#[derive(Debug, Clone, PartialEq)]
pub struct StreetNode {
    /// Its id in the street file (generated for a GeoJSON layer).
    pub id: String,
    /// Where it is.
    pub at: LatLon,
    /// Its name, where the file gives one.
    pub name: Option<String>,
}

/// A street, as its edges refer to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Way {
    /// Its id in the street file.
    pub id: String,
    /// The street's name.
    pub name: String,
    /// Its class.
    pub class: StreetClass,
    /// Whether it is a bridge.
    pub bridge: bool,
    /// Whether it is a tunnel.
    pub tunnel: bool,
    /// Where it was written (`streets.ways[3]`, `streets.features[42]`).
    pub source: String,
}

/// One direction of travel between two adjacent nodes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    /// Index of the node it leaves.
    pub from: u32,
    /// Index of the node it reaches.
    pub to: u32,
    /// Its length in metres.
    pub length_m: f64,
    /// The modes allowed on it.
    pub modes: ModeSet,
    /// Index of its way.
    pub way: u32,
}

impl StreetGraph {
    /// Validates `streets` (read from `file`) against the district it
    /// serves: its own rules first, then that every point of interest is
    /// reachable.
    pub fn build(
        file: &str,
        streets: &StreetsSpec,
        district: &DistrictSpec,
    ) -> Result<StreetGraph, DistrictError> {
        let mut graph = build::build(file, streets, &district.bounds)?;
        graph.pieces = reach::check(file, &graph, district)?;
        Ok(graph)
    }

    /// What the graph is.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its nodes; edges refer to them by index.
    pub fn nodes(&self) -> &[StreetNode] {
        &self.nodes
    }

    /// Its ways; edges refer to them by index.
    pub fn ways(&self) -> &[Way] {
        &self.ways
    }

    /// Its directed edges.
    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }

    /// Pieces cut off from a mode's main network that no point of interest
    /// needs: reported to the operator, not refused.
    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    /// The way of edge `edge`.
    pub fn way_of(&self, edge: &Edge) -> &Way {
        &self.ways[edge.way as usize]
    }
}

/// When a crowd rule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Occasion {
    /// Every day.
    Daily,
    /// The New Year's Eve countdown: from `from` on 31 December to `to`
    /// (past midnight) on 1 January.
    NewYearEve,
}

/// A time of day, written `"HH:MM"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClockTime {
    /// Minutes since midnight, 0..1440.
    minute: u16,
}

impl ClockTime {
    /// Minutes in a day.
    pub const MINUTES_PER_DAY: u16 = 24 * 60;

    /// The time `minute` minutes after midnight, if below a day.
    pub const fn from_minute(minute: u16) -> Option<ClockTime> {
        if minute < ClockTime::MINUTES_PER_DAY {
            Some(ClockTime { minute })
        } else {
            None
        }
    }

    /// Minutes since midnight.
    pub const fn minute(self) -> u16 {
        self.minute
    }
}

impl TryFrom<String> for ClockTime {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let parsed = text.split_once(':').and_then(|(hours, minutes)| {
            let two_digits = hours.len() == 2 && minutes.len() == 2;
            let (hours, minutes) = (hours.parse::<u16>().ok()?, minutes.parse::<u16>().ok()?);
            (two_digits && hours < 24 && minutes < 60).then(|| ClockTime {
                minute: hours * 60 + minutes,
            })
        });
        parsed.ok_or_else(|| {
            format!("\"{text}\" is not a time of day: write \"HH:MM\", e.g. \"19:30\"")
        })
    }
}

impl From<ClockTime> for String {
    fn from(time: ClockTime) -> String {
        time.to_string()
    }
}

impl std::fmt::Display for ClockTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:{:02}", self.minute / 60, self.minute % 60)
    }
}

/// How a crowd slows travel through a sensitive area at certain times:
/// each mode's speed there is multiplied by its factor, and a factor of 0
/// closes the area's streets to the mode (the Bund road on New Year's Eve).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrowdRule {
    /// The sensitive area's id; the rule covers street edges whose middle lies in it.
    pub area: String,
    /// Which days.
    pub occasion: Occasion,
    /// From this time of day.
    pub from: ClockTime,
    /// To this time of day; before `from` means past midnight.
    pub to: ClockTime,
    /// Speed factor on foot, 0..=1.
    #[serde(default = "unslowed")]
    pub foot: f64,
    /// Speed factor by e-bike, 0..=1.
    #[serde(default = "unslowed")]
    pub e_bike: f64,
    /// Speed factor by patrol cart, 0..=1.
    #[serde(default = "unslowed")]
    pub e_cart: f64,
    /// Speed factor by car, 0..=1.
    #[serde(default = "unslowed")]
    pub car: f64,
}

fn unslowed() -> f64 {
    1.0
}

impl CrowdRule {
    /// The speed factor for `mode`.
    pub const fn factor(&self, mode: TravelMode) -> f64 {
        match mode {
            TravelMode::Foot => self.foot,
            TravelMode::EBike => self.e_bike,
            TravelMode::ECart => self.e_cart,
            TravelMode::Car => self.car,
        }
    }
}
