//! Which incidents are of public concern, owing the public a first
//! authoritative release within the golden four hours: by kind (a crowd
//! crush or an extreme act), by size (a major incident), or by place (in a
//! sensitive area that holds crowds, at priority 7 or more).

use cordon_config::district::District;
use cordon_consensus::ledger::IncidentKind;

use super::facts::IncidentFacts;

/// The priority from which an incident in a crowded sensitive area is of
/// public concern.
pub const PUBLIC_CONCERN_PRIORITY_MIN: u8 = 7;

/// Why the incident is of public concern, if it is.
pub fn public_concern(facts: &IncidentFacts, major: bool, district: &District) -> Option<String> {
    if matches!(
        facts.kind,
        IncidentKind::CrowdCrush | IncidentKind::ExtremeAct
    ) {
        return Some(format!(
            "a {} is of public concern",
            facts.kind.name().replace('_', " ")
        ));
    }
    if major {
        return Some("a major incident is of public concern".to_owned());
    }
    if facts.priority < PUBLIC_CONCERN_PRIORITY_MIN {
        return None;
    }
    district
        .sensitive_areas()
        .iter()
        .find(|area| area.crowd_capacity.is_some() && area.contains(&facts.position))
        .map(|area| {
            format!(
                "priority {} in {}, where crowds gather",
                facts.priority, area.name
            )
        })
}

#[cfg(test)]
mod tests {
    use cordon_config::district::LatLon;

    use super::*;

    fn facts(kind: IncidentKind, priority: u8, at: (f64, f64)) -> IncidentFacts {
        IncidentFacts {
            kind,
            priority,
            force_level: 1,
            position: LatLon::new(at.0, at.1),
        }
    }

    #[test]
    fn kind_size_and_place_each_make_an_incident_of_public_concern() {
        // The Bund riverside holds crowds; a side street in the south does not.
        let district = District::embedded();
        let bund = (31.2400, 121.4870);
        let quiet = (31.2050, 121.4750);
        assert!(
            public_concern(&facts(IncidentKind::CrowdCrush, 3, quiet), false, &district).is_some()
        );
        assert!(public_concern(&facts(IncidentKind::Theft, 3, quiet), true, &district).is_some());
        let place = public_concern(&facts(IncidentKind::Theft, 8, bund), false, &district).unwrap();
        assert!(place.contains("Bund"), "{place}");
        assert_eq!(
            public_concern(&facts(IncidentKind::Theft, 6, bund), false, &district),
            None
        );
        assert_eq!(
            public_concern(&facts(IncidentKind::Theft, 9, quiet), false, &district),
            None
        );
    }
}
