//! Identifiers and value types of the ledger: request, incident, unit and
//! actor ids, positions, and the enumerations of kinds and statuses.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One of the four rings (1 to 4), the district model's own type: its serde
/// form is the bare number, and decoding any other number fails, so a ring
/// outside 1..=4 cannot enter the ledger from the log, a snapshot or the wire.
pub use cordon_config::district::Ring;

/// A client-chosen id that makes a write idempotent: the same id twice takes
/// effect once and answers the same.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RequestId(pub String);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An incident's id, assigned by the ledger in log order (`I-000042`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
pub struct IncidentId(pub u64);

impl fmt::Display for IncidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "I-{:06}", self.0)
    }
}

impl std::str::FromStr for IncidentId {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let digits = text
            .strip_prefix("I-")
            .or_else(|| text.strip_prefix("i-"))
            .unwrap_or(text);
        digits
            .parse::<u64>()
            .map(IncidentId)
            .map_err(|_| format!("{text:?} is not an incident id (expected e.g. I-000042 or 42)"))
    }
}

/// A unit's id as named in the district model (`nanjing-east-1-a`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct UnitId(pub String);

/// Looks a unit up by the district model's id without building a `UnitId`
/// (ordered as the string is).
impl std::borrow::Borrow<str> for UnitId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UnitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A police station's id as named in the district model (`bund`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct StationId(pub String);

impl StationId {
    /// The id as written in the district model.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for StationId {
    fn from(id: &str) -> Self {
        StationId(id.to_string())
    }
}

impl From<String> for StationId {
    fn from(id: String) -> Self {
        StationId(id)
    }
}

impl fmt::Display for StationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A WGS-84 position in integer 1e-7 degrees (about 1 cm), exact on every node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Position {
    /// Latitude x 1e7.
    pub lat_e7: i32,
    /// Longitude x 1e7.
    pub lon_e7: i32,
}

impl Position {
    /// Converts degrees, refusing values outside the valid ranges.
    pub fn from_degrees(lat: f64, lon: f64) -> Result<Position, String> {
        if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
            return Err(format!("latitude {lat} is outside -90..=90"));
        }
        if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
            return Err(format!("longitude {lon} is outside -180..=180"));
        }
        Ok(Position {
            lat_e7: (lat * 1e7).round() as i32,
            lon_e7: (lon * 1e7).round() as i32,
        })
    }

    /// Latitude in degrees.
    pub fn lat(&self) -> f64 {
        f64::from(self.lat_e7) / 1e7
    }

    /// Longitude in degrees.
    pub fn lon(&self) -> f64 {
        f64::from(self.lon_e7) / 1e7
    }

    pub(crate) fn is_valid(&self) -> bool {
        (-900_000_000..=900_000_000).contains(&self.lat_e7)
            && (-1_800_000_000..=1_800_000_000).contains(&self.lon_e7)
    }
}

/// Where positions may lie: a box of latitudes and longitudes (the
/// district's outline plus its margin), set with the roster.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Area {
    /// The south-west corner.
    pub south_west: Position,
    /// The north-east corner.
    pub north_east: Position,
    /// Its name (the district's), for refusals.
    pub name: String,
}

impl Area {
    /// True when `position` lies inside, edges included.
    pub fn contains(&self, position: &Position) -> bool {
        (self.south_west.lat_e7..=self.north_east.lat_e7).contains(&position.lat_e7)
            && (self.south_west.lon_e7..=self.north_east.lon_e7).contains(&position.lon_e7)
    }
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} and its margin: latitude {:.4} to {:.4}, longitude {:.4} to {:.4}",
            self.name,
            self.south_west.lat(),
            self.north_east.lat(),
            self.south_west.lon(),
            self.north_east.lon()
        )
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.6},{:.6}", self.lat(), self.lon())
    }
}

/// What kind of incident was reported; drives triage and run cards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentKind {
    /// Theft, pickpocketing.
    Theft,
    /// A fight or assault.
    Assault,
    /// A dispute or public-order disturbance.
    Disturbance,
    /// Dangerous crowd density, crush risk.
    CrowdCrush,
    /// Someone needs medical help.
    Medical,
    /// Fire or smoke.
    Fire,
    /// A traffic accident.
    TrafficAccident,
    /// A missing person or lost child.
    MissingPerson,
    /// An unattended or suspicious object.
    SuspiciousObject,
    /// An individual extreme act, armed attack or hostage taking.
    ExtremeAct,
    /// A hazard found by the risk-sensing net (loose railing, blocked exit).
    Hazard,
    /// Anything else.
    Other,
}

impl IncidentKind {
    /// Every kind, for help texts and error messages.
    pub const ALL: [IncidentKind; 12] = [
        IncidentKind::Theft,
        IncidentKind::Assault,
        IncidentKind::Disturbance,
        IncidentKind::CrowdCrush,
        IncidentKind::Medical,
        IncidentKind::Fire,
        IncidentKind::TrafficAccident,
        IncidentKind::MissingPerson,
        IncidentKind::SuspiciousObject,
        IncidentKind::ExtremeAct,
        IncidentKind::Hazard,
        IncidentKind::Other,
    ];

    /// The snake_case name used in the API and CLI.
    pub fn name(&self) -> &'static str {
        match self {
            IncidentKind::Theft => "theft",
            IncidentKind::Assault => "assault",
            IncidentKind::Disturbance => "disturbance",
            IncidentKind::CrowdCrush => "crowd_crush",
            IncidentKind::Medical => "medical",
            IncidentKind::Fire => "fire",
            IncidentKind::TrafficAccident => "traffic_accident",
            IncidentKind::MissingPerson => "missing_person",
            IncidentKind::SuspiciousObject => "suspicious_object",
            IncidentKind::ExtremeAct => "extreme_act",
            IncidentKind::Hazard => "hazard",
            IncidentKind::Other => "other",
        }
    }
}

impl fmt::Display for IncidentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for IncidentKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        IncidentKind::ALL
            .into_iter()
            .find(|kind| kind.name() == text)
            .ok_or_else(|| {
                let names: Vec<_> = IncidentKind::ALL.iter().map(|k| k.name()).collect();
                format!(
                    "unknown incident kind {text:?} (use one of: {})",
                    names.join(", ")
                )
            })
    }
}

/// Where a report came from (the hub takes incidents from every channel).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A 110 emergency call.
    #[default]
    EmergencyCall,
    /// A report from the community (guardians, volunteers, residents).
    CommunityReport,
    /// A warning from the risk-sensing net.
    RiskWarning,
    /// A partner company's feed.
    PartnerFeed,
    /// A safe house's alarm button (refuge, quick alarm and first aid in
    /// key areas): raised at the safe house, top priority, and the hub sends
    /// the nearest ring-2 and ring-3 units at once.
    SafeHouseAlarm,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 5] = [
        Channel::EmergencyCall,
        Channel::CommunityReport,
        Channel::RiskWarning,
        Channel::PartnerFeed,
        Channel::SafeHouseAlarm,
    ];

    /// The channel's name (its snake-case serde name, as the API and roles
    /// write it). Exhaustive, so a new channel must be named here.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::EmergencyCall => "emergency_call",
            Channel::CommunityReport => "community_report",
            Channel::RiskWarning => "risk_warning",
            Channel::PartnerFeed => "partner_feed",
            Channel::SafeHouseAlarm => "safe_house_alarm",
        }
    }
}

/// Where an incident is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    /// Committed, not yet triaged.
    Reported,
    /// Classified; ring and station chosen.
    Triaged,
    /// A unit is assigned.
    Assigned,
    /// The assigned unit is on its way.
    EnRoute,
    /// A unit is on scene.
    OnScene,
    /// Handed outward to the next ring.
    Escalated,
    /// Closed with an outcome.
    Resolved,
    /// Withdrawn (duplicate, false alarm).
    Cancelled,
}

impl IncidentStatus {
    /// Every status, in the order of an incident's life.
    pub const ALL: [IncidentStatus; 8] = [
        IncidentStatus::Reported,
        IncidentStatus::Triaged,
        IncidentStatus::Assigned,
        IncidentStatus::EnRoute,
        IncidentStatus::OnScene,
        IncidentStatus::Escalated,
        IncidentStatus::Resolved,
        IncidentStatus::Cancelled,
    ];

    /// Open incidents still need work.
    pub fn is_open(&self) -> bool {
        !matches!(self, IncidentStatus::Resolved | IncidentStatus::Cancelled)
    }

    /// True while a unit of the current ring works the incident (assigned,
    /// en route or on scene): another assignment keeps the status.
    pub fn is_staffed(self) -> bool {
        matches!(
            self,
            IncidentStatus::Assigned | IncidentStatus::EnRoute | IncidentStatus::OnScene
        )
    }

    /// The statuses an incident may move to from this one: its lifecycle.
    /// Reported, triaged (ring and station chosen), assigned, en route, on
    /// scene; escalated hands it outward from any open status (and again,
    /// further out) until the next ring assigns or a unit already sent
    /// arrives. Every open status may be resolved (also without a unit: by
    /// advice on the phone, or gone on arrival) or cancelled (a duplicate,
    /// a false alarm); a closed incident stays closed. A step that moves no
    /// status (mutual aid, a plan, another unit, a unit released) is not a
    /// move and needs only an open incident.
    pub fn next_statuses(self) -> &'static [IncidentStatus] {
        use IncidentStatus::{
            Assigned, Cancelled, EnRoute, Escalated, OnScene, Reported, Resolved, Triaged,
        };
        match self {
            Reported => &[Triaged, Escalated, Resolved, Cancelled],
            Triaged => &[Assigned, Escalated, Resolved, Cancelled],
            Assigned => &[EnRoute, OnScene, Escalated, Resolved, Cancelled],
            EnRoute => &[OnScene, Escalated, Resolved, Cancelled],
            OnScene => &[Escalated, Resolved, Cancelled],
            Escalated => &[Assigned, OnScene, Escalated, Resolved, Cancelled],
            Resolved | Cancelled => &[],
        }
    }

    /// True when the table lets an incident move from this status to `next`.
    pub fn may_become(self, next: IncidentStatus) -> bool {
        self.next_statuses().contains(&next)
    }

    /// The status's name in the API (`en_route`).
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Reported => "reported",
            IncidentStatus::Triaged => "triaged",
            IncidentStatus::Assigned => "assigned",
            IncidentStatus::EnRoute => "en_route",
            IncidentStatus::OnScene => "on_scene",
            IncidentStatus::Escalated => "escalated",
            IncidentStatus::Resolved => "resolved",
            IncidentStatus::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for IncidentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A unit's status, after the APCO/NENA unit status set used by NENA EIDO.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitStatus {
    /// EIDO "Available": in service, free for assignment.
    Available,
    /// EIDO "Dispatched": assigned, not yet acknowledged.
    Dispatched,
    /// EIDO "Acknowledged": the crew confirmed the assignment.
    Acknowledged,
    /// EIDO "Enroute": moving to the scene.
    EnRoute,
    /// EIDO "OnScene": arrived.
    OnScene,
    /// EIDO "Transporting": taking someone to hospital or station.
    Transporting,
    /// EIDO "Returning" (available on radio): heading back to the area.
    Returning,
    /// EIDO "OutOfService": off duty or unusable.
    OutOfService,
}

impl UnitStatus {
    /// Every status, in the order of the unit's day.
    pub const ALL: [UnitStatus; 8] = [
        UnitStatus::Available,
        UnitStatus::Dispatched,
        UnitStatus::Acknowledged,
        UnitStatus::EnRoute,
        UnitStatus::OnScene,
        UnitStatus::Transporting,
        UnitStatus::Returning,
        UnitStatus::OutOfService,
    ];

    /// The statuses a status report may move a unit to from this one (a
    /// report of the same status, with a new position, is always allowed).
    /// `dispatched` is never reported: only an assignment dispatches. The
    /// table follows the APCO/NENA unit status model: a crew acknowledges,
    /// goes en route, arrives, transports or returns; it can clear back to
    /// available or go out of service from any working status.
    pub fn next_statuses(self) -> &'static [UnitStatus] {
        use UnitStatus::{
            Acknowledged, Available, EnRoute, OnScene, OutOfService, Returning, Transporting,
        };
        match self {
            UnitStatus::Available => &[OutOfService],
            UnitStatus::Dispatched => &[Acknowledged, EnRoute, OnScene, Available, OutOfService],
            UnitStatus::Acknowledged => &[EnRoute, OnScene, Available, OutOfService],
            UnitStatus::EnRoute => &[OnScene, Available, OutOfService],
            UnitStatus::OnScene => &[Transporting, Returning, Available, OutOfService],
            UnitStatus::Transporting => &[Returning, Available, OutOfService],
            UnitStatus::Returning => &[Available, OutOfService],
            UnitStatus::OutOfService => &[Available],
        }
    }

    /// True when a status report may move a unit from this status to `next`.
    pub fn may_become(self, next: UnitStatus) -> bool {
        next == self || self.next_statuses().contains(&next)
    }

    /// The status's name in the API (`en_route`).
    pub fn as_str(self) -> &'static str {
        match self {
            UnitStatus::Available => "available",
            UnitStatus::Dispatched => "dispatched",
            UnitStatus::Acknowledged => "acknowledged",
            UnitStatus::EnRoute => "en_route",
            UnitStatus::OnScene => "on_scene",
            UnitStatus::Transporting => "transporting",
            UnitStatus::Returning => "returning",
            UnitStatus::OutOfService => "out_of_service",
        }
    }
}

impl fmt::Display for UnitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An actor's name, the same on every node. Its placement (node and epoch)
/// lives in the ledger.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorId {
    /// The district command hub.
    Hub,
    /// A police station, by station id.
    Station(StationId),
    /// One of the four rings.
    Ring(Ring),
    /// A special-ops team, by its unit id.
    SpecialOps(String),
    /// The risk-sensing net's forecaster.
    Forecaster,
}

impl fmt::Display for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ActorId::Hub => f.write_str("hub"),
            ActorId::Station(id) => write!(f, "station:{id}"),
            ActorId::Ring(ring) => write!(f, "ring:{}", ring.number()),
            ActorId::SpecialOps(unit) => write!(f, "special-ops:{unit}"),
            ActorId::Forecaster => f.write_str("forecaster"),
        }
    }
}

impl std::str::FromStr for ActorId {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!("{text:?} is not an actor id (e.g. hub, station:bund, ring:3, special-ops:point-bund-1, forecaster)")
        };
        match text {
            "hub" => return Ok(ActorId::Hub),
            "forecaster" => return Ok(ActorId::Forecaster),
            _ => {}
        }
        let (kind, name) = text.split_once(':').ok_or_else(bad)?;
        match kind {
            "station" if !name.is_empty() => Ok(ActorId::Station(StationId(name.to_string()))),
            "ring" => name
                .parse::<u8>()
                .ok()
                .and_then(|number| Ring::try_from(number).ok())
                .map(ActorId::Ring)
                .ok_or_else(bad),
            "special-ops" if !name.is_empty() => Ok(ActorId::SpecialOps(name.to_string())),
            _ => Err(bad()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec;

    #[test]
    fn a_ring_encodes_as_its_number_and_refuses_any_other() {
        // The typed ring keeps the bytes of the old u8 ring, and a number outside 1..=4 does not decode.
        for ring in Ring::ALL {
            assert_eq!(
                codec::encode(&ring).unwrap(),
                codec::encode(&ring.number()).unwrap()
            );
            let bytes = codec::encode(&ring).unwrap();
            assert_eq!(codec::decode::<Ring>(&bytes, 16).unwrap(), ring);
        }
        for number in [0u8, 5, 255] {
            let bytes = codec::encode(&number).unwrap();
            assert!(codec::decode::<Ring>(&bytes, 16).is_err(), "ring {number}");
        }
    }

    #[test]
    fn incident_statuses_are_named_as_they_serialise_and_closed_ones_end_the_table() {
        // The API's names are the serde names; only open statuses move on.
        for status in IncidentStatus::ALL {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{status}\""));
            assert_eq!(status.next_statuses().is_empty(), !status.is_open());
        }
    }

    #[test]
    fn actor_ids_name_their_ring_and_station() {
        // Display and parsing agree, and a ring actor outside 1..=4 does not parse.
        for text in ["hub", "station:bund", "ring:4", "special-ops:point-bund-1"] {
            assert_eq!(text.parse::<ActorId>().unwrap().to_string(), text);
        }
        assert_eq!(
            "ring:3".parse::<ActorId>(),
            Ok(ActorId::Ring(Ring::StreetPatrol))
        );
        assert_eq!(
            "station:bund".parse::<ActorId>(),
            Ok(ActorId::Station(StationId::from("bund")))
        );
        assert!("ring:5".parse::<ActorId>().is_err());
        assert!("ring:0".parse::<ActorId>().is_err());
    }
}
