//! The bridge from the district model's units to the ledger's roster.

use cordon_config::district::District;
use cordon_consensus::ledger::{Position, RosterUnit, UnitId};

/// The ledger roster for every unit of the district model.
pub fn roster_units(district: &District) -> Vec<RosterUnit> {
    district
        .units()
        .iter()
        .map(|unit| RosterUnit {
            id: UnitId(unit.id.clone()),
            ring: unit.ring,
            home: Position::from_degrees(unit.home.lat, unit.home.lon)
                .expect("district validation keeps unit homes within WGS-84 ranges"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_unit_is_in_the_roster() {
        // The roster carries each unit of the embedded district once, at its home.
        let district = District::embedded();
        let roster = roster_units(&district);
        assert_eq!(roster.len(), district.units().len());
        let first = &district.units()[0];
        assert_eq!(roster[0].id.0, first.id);
        assert!((roster[0].home.lat() - first.home.lat).abs() < 1e-6);
    }
}
