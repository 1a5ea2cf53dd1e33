//! The units a dispatcher may send by hand: for each ring, the quickest
//! available units by the street graph, the incident's own ring first and
//! the others from the inside out. The same ranking the responders use
//! ([`Planner::rank`]), so the console's first line is the unit the
//! closest-idle policy would send.

use std::collections::BTreeSet;

use cordon_config::district::{LatLon, Ring};

use super::select::{Planner, RankedUnit, Scope};

/// Units recommended per ring: enough to choose from on one screen.
pub const RECOMMENDED_PER_RING_MAX: usize = 3;

/// A unit a dispatcher may send, with the target it is measured against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recommended<'a> {
    /// The unit, its ETA and territory.
    pub ranked: RankedUnit<'a>,
    /// The on-scene target of the unit's ring at the incident, seconds.
    pub target_s: u32,
}

impl<'a> Planner<'a> {
    /// Up to `per_ring` available units of each ring for an incident at
    /// `to`, quickest first within a ring, `own_ring` first (ring 3 when
    /// not triaged yet), then the other rings innermost first.
    pub fn recommend(
        &self,
        to: &LatLon,
        own_ring: Option<Ring>,
        per_ring: usize,
    ) -> Vec<Recommended<'a>> {
        let first = own_ring.unwrap_or(Ring::StreetPatrol);
        let rings =
            std::iter::once(first).chain(Ring::ALL.into_iter().filter(|ring| *ring != first));
        let none_excluded = BTreeSet::new();
        rings
            .flat_map(|ring| {
                let target_s = self.district().on_scene_target_s(ring, to);
                self.rank(to, ring, &Scope::Ring, &none_excluded)
                    .into_iter()
                    .take(per_ring)
                    .map(move |ranked| Recommended { ranked, target_s })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use cordon_config::district::District;

    use super::*;
    use crate::planning::facts::candidates_at_home;
    use crate::planning::{StreetRouter, TravelModel};

    const BUND_PROMENADE: LatLon = LatLon::new(31.2400, 121.4905);

    #[test]
    fn recommendations_put_the_incidents_ring_first_and_each_ring_quickest_first() {
        // Phase 1: every unit home and free; an incident on the Bund at ring 3.
        let district = District::embedded();
        let mut units = candidates_at_home(&district);
        let router = StreetRouter::new(&district);
        let travel = TravelModel::calm(&router);
        let recommended = Planner::new(&district, &travel, &units).recommend(
            &BUND_PROMENADE,
            Some(Ring::StreetPatrol),
            RECOMMENDED_PER_RING_MAX,
        );

        // Phase 2: ring 3 leads, each ring appears in one run, quickest first.
        assert_eq!(recommended[0].ranked.unit.ring, Ring::StreetPatrol);
        let rings: Vec<Ring> = recommended.iter().map(|r| r.ranked.unit.ring).collect();
        let mut runs = rings.clone();
        runs.dedup();
        assert_eq!(
            runs.len(),
            BTreeSet::from_iter(runs.iter()).len(),
            "{rings:?}"
        );
        let planner = Planner::new(&district, &travel, &units);
        for ring in Ring::ALL {
            let offered: Vec<&str> = recommended
                .iter()
                .filter(|r| r.ranked.unit.ring == ring)
                .map(|r| r.ranked.unit.id.as_str())
                .collect();
            let ranked = planner.rank(&BUND_PROMENADE, ring, &Scope::Ring, &BTreeSet::new());
            let best: Vec<&str> = ranked
                .iter()
                .take(RECOMMENDED_PER_RING_MAX)
                .map(|r| r.unit.id.as_str())
                .collect();
            assert_eq!(offered, best, "{ring:?}");
        }
        assert!(
            recommended
                .iter()
                .all(|r| r.target_s
                    == district.on_scene_target_s(r.ranked.unit.ring, &BUND_PROMENADE))
        );

        // Phase 3: the first recommendation taken, it is no longer offered.
        let taken = recommended[0].ranked.unit.id.clone();
        for unit in units.iter_mut().filter(|unit| unit.id == taken) {
            unit.available = false;
        }
        let again = Planner::new(&district, &travel, &units).recommend(
            &BUND_PROMENADE,
            Some(Ring::StreetPatrol),
            RECOMMENDED_PER_RING_MAX,
        );
        assert!(again.iter().all(|r| r.ranked.unit.id != taken));
        assert_eq!(again[0].ranked.unit.ring, Ring::StreetPatrol);
    }
}
