//! The plain facts planning reads: an incident and the units that could go.
//!
//! Planning owns these types so it does not depend on the ledger's: the
//! caller adapts a ledger incident into [`IncidentFacts`] and each ledger
//! unit, with its district record, into a [`CandidateUnit`]. Kind names are
//! the snake_case names the ledger and the API use, so the adapter can go
//! through [`IncidentKind::name`] and `str::parse`.

use cordon_config::district::{District, LatLon, Ring, TravelMode, Unit, UnitKind};

/// What kind of incident was reported; picks the run card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
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
    /// Every kind.
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

    /// The snake_case name used by the ledger, the API and the CLI.
    pub const fn name(self) -> &'static str {
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

    /// Whether the kind needs police powers, so the community rings (1 and 2)
    /// may not handle it alone: crime against property or person, and
    /// anything that may be a weapon.
    pub const fn requires_police(self) -> bool {
        matches!(
            self,
            IncidentKind::Theft
                | IncidentKind::Assault
                | IncidentKind::SuspiciousObject
                | IncidentKind::ExtremeAct
        )
    }
}

impl std::fmt::Display for IncidentKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is no [`IncidentKind`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownIncidentKind(pub String);

impl std::fmt::Display for UnknownIncidentKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = IncidentKind::ALL.iter().map(|kind| kind.name()).collect();
        write!(
            f,
            "unknown incident kind {:?} (use one of: {})",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownIncidentKind {}

impl std::str::FromStr for IncidentKind {
    type Err = UnknownIncidentKind;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        IncidentKind::ALL
            .into_iter()
            .find(|kind| kind.name() == text)
            .ok_or_else(|| UnknownIncidentKind(text.to_owned()))
    }
}

/// What planning needs to know about an incident.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IncidentFacts {
    /// What happened.
    pub kind: IncidentKind,
    /// 0 (lowest) to 10 (highest).
    pub priority: u8,
    /// Force needed, 0 to 10; decides the ring.
    pub force_level: u8,
    /// Where.
    pub position: LatLon,
}

/// A unit as planning sees it: who it is, where it is now, how it moves and
/// whether it may be assigned.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateUnit {
    /// Unit id, as in the district file and the ledger.
    pub id: String,
    /// Its ring.
    pub ring: Ring,
    /// What kind of unit.
    pub kind: UnitKind,
    /// Its station; `None` for district-level units (the pedestrian-street
    /// squadron, ring 4).
    pub station: Option<String>,
    /// The zone it patrols, if any.
    pub zone: Option<String>,
    /// Last known position.
    pub position: LatLon,
    /// How it moves.
    pub travel_mode: TravelMode,
    /// Force it brings, 0 to 10.
    pub force_level: u8,
    /// Whether it is free for assignment (ledger status "available").
    pub available: bool,
}

impl CandidateUnit {
    /// A district unit waiting, available, at its home position.
    pub fn at_home(unit: &Unit) -> CandidateUnit {
        CandidateUnit {
            id: unit.id.clone(),
            ring: unit.ring,
            kind: unit.kind,
            station: unit.station.clone(),
            zone: unit.zone.clone(),
            position: unit.home,
            travel_mode: unit.travel_mode,
            force_level: unit.force_level,
            available: true,
        }
    }
}

/// Every unit of the district, available at home: the starting roster, and
/// the base tests and what-if plans edit.
pub fn candidates_at_home(district: &District) -> Vec<CandidateUnit> {
    district
        .units()
        .iter()
        .map(CandidateUnit::at_home)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Every kind's name parses back to the kind, and an unknown name is refused.
    #[test]
    fn kind_names_round_trip() {
        for kind in IncidentKind::ALL {
            assert_eq!(kind.name().parse::<IncidentKind>(), Ok(kind));
        }
        let error = "riot".parse::<IncidentKind>().expect_err("not a kind");
        assert!(error.to_string().contains("extreme_act"), "{error}");
    }

    // The starting roster has every district unit once, available at home.
    #[test]
    fn roster_at_home() {
        let district = District::embedded();
        let units = candidates_at_home(&district);
        assert_eq!(units.len(), district.units().len());
        assert!(units
            .iter()
            .all(|unit| unit.available && unit.ring == unit.kind.ring()));
    }
}
