//! The plain facts planning reads: an incident and the units that could go.
//!
//! The caller adapts a ledger incident into [`IncidentFacts`] and each
//! ledger unit, with its district record, into a [`CandidateUnit`]; the
//! incident kind is the ledger's own [`IncidentKind`].

use cordon_config::district::{District, LatLon, Ring, TravelMode, Unit, UnitKind};

pub use cordon_consensus::ledger::IncidentKind;

/// Kinds that need police: from the community rings (1 and 2) they go to ring 3.
pub const fn requires_police(kind: IncidentKind) -> bool {
    matches!(
        kind,
        IncidentKind::Theft
            | IncidentKind::Assault
            | IncidentKind::SuspiciousObject
            | IncidentKind::ExtremeAct
    )
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

    // Only kinds that need police leave the community rings.
    #[test]
    fn police_kinds() {
        assert!(requires_police(IncidentKind::Assault));
        assert!(!requires_police(IncidentKind::Medical));
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
