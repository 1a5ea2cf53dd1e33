//! Choosing the best unit of a ring for an incident.
//!
//! The grid index shortlists the [`SHORTLIST_UNITS_MAX`] available units of
//! the ring nearest the incident in a straight line; each gets a travel-time
//! estimate; the unit with the smallest ETA wins. Ties go to the territory
//! ("territory first": a unit of the incident's own zone, then of its own
//! station, then anyone), then to the unit id, so the choice is always the
//! same for the same inputs.
//!
//! Duty mode: a station in `deployment` mode has watch posts and carts on
//! its crowded streets, and its own units know the ground, so where the
//! incident lies in such a station's zones, its own units that still meet
//! the on-scene target are ranked as if they were
//! [`DEPLOYMENT_PREFERENCE_MARGIN_S`] faster. A preference never costs the
//! target: an own unit that misses it gets no margin.

use std::collections::BTreeSet;

use cordon_config::district::{District, DutyMode, LatLon, Ring, Station, Zone};

use super::facts::{CandidateUnit, IncidentFacts};
use super::index::GridIndex;
use super::travel::TravelModel;
use super::{DEPLOYMENT_PREFERENCE_MARGIN_S, INDEX_CELL_M, SHORTLIST_UNITS_MAX};

/// Whose units a selection may take.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Any unit of the ring, whatever its station.
    Ring,
    /// A station's own units, plus the ring's district-level units (those
    /// with no station, such as the pedestrian-street squadron, which crosses
    /// station lines). A station actor selects in its own scope and asks
    /// neighbours for mutual aid before escalating.
    Station(String),
}

impl Scope {
    /// Whether `unit` belongs to this scope.
    pub fn admits(&self, unit: &CandidateUnit) -> bool {
        match self {
            Scope::Ring => true,
            Scope::Station(id) => unit.station.as_ref().is_none_or(|station| station == id),
        }
    }
}

/// How close a unit is to the incident's ground, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Territory {
    /// The unit patrols the zone the incident lies in.
    OwnZone,
    /// The unit belongs to the station whose zone the incident lies in.
    OwnStation,
    /// Any other unit, district-level units included.
    Elsewhere,
}

impl Territory {
    /// The territory of `unit` for an incident in `home` (zone and station).
    pub fn of(unit: &CandidateUnit, home: Option<(&Station, &Zone)>) -> Territory {
        let Some((station, zone)) = home else {
            return Territory::Elsewhere;
        };
        if unit.zone.as_deref() == Some(zone.id.as_str()) {
            Territory::OwnZone
        } else if unit.station.as_deref() == Some(station.id.as_str()) {
            Territory::OwnStation
        } else {
            Territory::Elsewhere
        }
    }
}

/// A shortlisted unit with its travel estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RankedUnit<'a> {
    /// The unit.
    pub unit: &'a CandidateUnit,
    /// Estimated seconds until on scene.
    pub eta_s: u32,
    /// Its territory relative to the destination.
    pub territory: Territory,
    /// Whether the deployment-mode preference applied to it.
    pub deployment_preferred: bool,
}

/// The chosen unit for an incident at one ring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// The unit to assign.
    pub unit_id: String,
    /// Its estimated seconds until on scene.
    pub eta_s: u32,
    /// The on-scene target at the incident for the ring, in seconds.
    pub target_s: u32,
    /// Whether `eta_s` is within `target_s`.
    pub meets_target: bool,
    /// How many units got a travel estimate.
    pub considered: usize,
}

/// Why no unit was selected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoCandidate {
    /// The ring asked.
    pub ring: Ring,
    /// What was missing.
    pub reason: NoCandidateReason,
}

/// What was missing when no unit was selected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoCandidateReason {
    /// The ring has no unit at all in the scope.
    NoUnitInScope,
    /// Every unit of the ring in the scope is assigned or out of service
    /// (or was excluded).
    NoneAvailable {
        /// Units of the ring in the scope.
        in_scope: usize,
    },
}

impl std::fmt::Display for NoCandidate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.reason {
            NoCandidateReason::NoUnitInScope => write!(f, "{} has no unit in scope", self.ring),
            NoCandidateReason::NoneAvailable { in_scope } => {
                write!(
                    f,
                    "none of the {in_scope} units of {} in scope is available",
                    self.ring
                )
            }
        }
    }
}

impl std::error::Error for NoCandidate {}

/// Travel model and spatial index over one set of units, built once for
/// many questions (a plan, a coverage sweep).
#[derive(Debug, Clone)]
pub struct Planner<'a> {
    district: &'a District,
    model: &'a TravelModel<'a>,
    index: GridIndex<'a>,
}

impl<'a> Planner<'a> {
    /// A planner over `units` in `district`.
    pub fn new(
        district: &'a District,
        model: &'a TravelModel<'a>,
        units: &'a [CandidateUnit],
    ) -> Self {
        let index = GridIndex::new(*model.frame(), INDEX_CELL_M, units);
        Planner {
            district,
            model,
            index,
        }
    }

    /// The district.
    pub fn district(&self) -> &'a District {
        self.district
    }

    /// The travel model.
    pub fn model(&self) -> &'a TravelModel<'a> {
        self.model
    }

    /// The units planned over.
    pub fn units(&self) -> &'a [CandidateUnit] {
        self.index.units()
    }

    /// The available units of `ring` in `scope`, not in `excluded`, that the
    /// index shortlists near `to`, best first (see the module docs).
    pub fn rank(
        &self,
        to: &LatLon,
        ring: Ring,
        scope: &Scope,
        excluded: &BTreeSet<&str>,
    ) -> Vec<RankedUnit<'a>> {
        let usable = |unit: &CandidateUnit| {
            unit.available
                && unit.ring == ring
                && scope.admits(unit)
                && !excluded.contains(unit.id.as_str())
        };
        let home = self.district.zone_for(to);
        let deployment = home.is_some_and(|(station, _)| station.duty_mode == DutyMode::Deployment);
        let target_s = self.district.on_scene_target_s(ring, to);
        let mut ranked: Vec<RankedUnit<'a>> = self
            .index
            .nearest(to, SHORTLIST_UNITS_MAX, usable)
            .into_iter()
            .map(|nearby| {
                let unit = nearby.unit;
                let eta_s = self.model.eta_s(&unit.position, unit.travel_mode, to);
                let territory = Territory::of(unit, home);
                let deployment_preferred =
                    deployment && territory != Territory::Elsewhere && eta_s <= target_s;
                RankedUnit {
                    unit,
                    eta_s,
                    territory,
                    deployment_preferred,
                }
            })
            .collect();
        ranked.sort_by(|a, b| {
            rank_key(a)
                .cmp(&rank_key(b))
                .then_with(|| a.unit.id.cmp(&b.unit.id))
        });
        ranked
    }

    /// The best available unit of `ring` in `scope` for `incident`: the
    /// first ranked (closest-idle).
    pub fn select(
        &self,
        incident: &IncidentFacts,
        ring: Ring,
        scope: &Scope,
    ) -> Result<Selection, NoCandidate> {
        self.select_with(incident, ring, scope, |_, _| 0)
    }

    /// The unit `choose` picks (an index into the ranked units, given with
    /// the target) among the available units of `ring` in `scope`.
    pub fn select_with(
        &self,
        incident: &IncidentFacts,
        ring: Ring,
        scope: &Scope,
        choose: impl FnOnce(&[RankedUnit<'a>], u32) -> usize,
    ) -> Result<Selection, NoCandidate> {
        let ranked = self.rank(&incident.position, ring, scope, &BTreeSet::new());
        let target_s = self.district.on_scene_target_s(ring, &incident.position);
        let Some(chosen) = ranked.get(choose(&ranked, target_s)).or(ranked.first()) else {
            return Err(self.no_candidate(ring, scope));
        };
        Ok(Selection {
            unit_id: chosen.unit.id.clone(),
            eta_s: chosen.eta_s,
            target_s,
            meets_target: chosen.eta_s <= target_s,
            considered: ranked.len(),
        })
    }

    fn no_candidate(&self, ring: Ring, scope: &Scope) -> NoCandidate {
        let in_scope = self
            .units()
            .iter()
            .filter(|unit| unit.ring == ring && scope.admits(unit))
            .count();
        let reason = if in_scope == 0 {
            NoCandidateReason::NoUnitInScope
        } else {
            NoCandidateReason::NoneAvailable { in_scope }
        };
        NoCandidate { ring, reason }
    }
}

/// Sort key before the unit id: ETA (less the deployment margin where it
/// applies), then territory.
fn rank_key(ranked: &RankedUnit<'_>) -> (u32, Territory) {
    let margin_s = if ranked.deployment_preferred {
        DEPLOYMENT_PREFERENCE_MARGIN_S
    } else {
        0
    };
    (ranked.eta_s.saturating_sub(margin_s), ranked.territory)
}

/// The best available unit of `ring` in `scope` for `incident`, or why there
/// is none. Builds a [`Planner`]; keep one instead when asking many times.
pub fn select(
    incident: &IncidentFacts,
    ring: Ring,
    scope: &Scope,
    units: &[CandidateUnit],
    district: &District,
    model: &TravelModel<'_>,
) -> Result<Selection, NoCandidate> {
    Planner::new(district, model, units).select(incident, ring, scope)
}

#[cfg(test)]
mod tests {
    use cordon_config::district::UnitKind;

    use super::*;
    use crate::planning::facts::{candidates_at_home, IncidentKind};
    use crate::planning::{StreetRouter, TravelModel};

    const PEDESTRIAN_STREET_MIDPOINT: LatLon = LatLon::new(31.2394, 121.4760);

    fn incident_at(position: LatLon) -> IncidentFacts {
        IncidentFacts {
            kind: IncidentKind::Theft,
            priority: 5,
            force_level: 3,
            position,
        }
    }

    // An incident at the pedestrian street's midpoint gets a squad or patrol
    // group on scene within the street's one-minute target.
    #[test]
    fn pedestrian_street_within_one_minute() {
        let district = District::embedded();
        let units = candidates_at_home(&district);
        let incident = incident_at(PEDESTRIAN_STREET_MIDPOINT);
        let selection = select(
            &incident,
            Ring::StreetPatrol,
            &Scope::Ring,
            &units,
            &district,
            &TravelModel::calm(&StreetRouter::new(&district)),
        )
        .expect("ring 3 has units");
        let unit = district.unit(&selection.unit_id).expect("a district unit");
        assert!(
            matches!(
                unit.kind,
                UnitKind::PedestrianStreetSquad | UnitKind::PatrolGroup
            ),
            "{selection:?}"
        );
        assert_eq!(selection.target_s, 60);
        assert!(
            selection.meets_target && selection.eta_s <= 60,
            "{selection:?}"
        );
        assert!(selection.considered > 1 && selection.considered <= SHORTLIST_UNITS_MAX);
    }

    // The smallest ETA wins, and making that unit unavailable hands the
    // incident to the next one, which arrives no sooner.
    #[test]
    fn smallest_eta_wins_and_unavailable_units_are_skipped() {
        let district = District::embedded();
        let mut units = candidates_at_home(&district);
        let incident = incident_at(LatLon::new(31.2250, 121.4800));
        let router = StreetRouter::new(&district);
        let travel = TravelModel::calm(&router);
        let first = select(
            &incident,
            Ring::SpecialPolice,
            &Scope::Ring,
            &units,
            &district,
            &travel,
        )
        .expect("ring 4");
        let planner = Planner::new(&district, &travel, &units);
        let ranked = planner.rank(
            &incident.position,
            Ring::SpecialPolice,
            &Scope::Ring,
            &BTreeSet::new(),
        );
        assert!(ranked
            .windows(2)
            .all(|pair| rank_key(&pair[0]) <= rank_key(&pair[1])));
        assert_eq!(ranked[0].unit.id, first.unit_id);
        for unit in units.iter_mut().filter(|unit| unit.id == first.unit_id) {
            unit.available = false;
        }
        let second = select(
            &incident,
            Ring::SpecialPolice,
            &Scope::Ring,
            &units,
            &district,
            &travel,
        )
        .expect("ring 4");
        assert_ne!(second.unit_id, first.unit_id);
        assert!(second.eta_s >= first.eta_s);
    }

    // A station scope keeps to the station's own units and the district-level ones.
    #[test]
    fn station_scope_keeps_to_own_and_district_units() {
        let district = District::embedded();
        let units = candidates_at_home(&district);
        let incident = incident_at(LatLon::new(31.2250, 121.4800));
        let scope = Scope::Station("xiaodongmen".to_owned());
        let router = StreetRouter::new(&district);
        let travel = TravelModel::calm(&router);
        let planner = Planner::new(&district, &travel, &units);
        let ranked = planner.rank(
            &incident.position,
            Ring::StreetPatrol,
            &scope,
            &BTreeSet::new(),
        );
        assert!(!ranked.is_empty());
        for entry in ranked {
            assert!(
                matches!(entry.unit.station.as_deref(), None | Some("xiaodongmen")),
                "{:?}",
                entry.unit.id
            );
        }
    }

    // With every unit of the ring unavailable the answer says so, typed.
    #[test]
    fn no_candidate_when_ring_unavailable() {
        let district = District::embedded();
        let mut units = candidates_at_home(&district);
        for unit in units
            .iter_mut()
            .filter(|unit| unit.ring == Ring::SpecialPolice)
        {
            unit.available = false;
        }
        let error = select(
            &incident_at(PEDESTRIAN_STREET_MIDPOINT),
            Ring::SpecialPolice,
            &Scope::Ring,
            &units,
            &district,
            &TravelModel::calm(&StreetRouter::new(&district)),
        )
        .expect_err("ring 4 all out");
        assert_eq!(
            error.reason,
            NoCandidateReason::NoneAvailable { in_scope: 27 }
        );
        let nobody = select(
            &incident_at(PEDESTRIAN_STREET_MIDPOINT),
            Ring::SpecialPolice,
            &Scope::Ring,
            &[],
            &district,
            &TravelModel::calm(&StreetRouter::new(&district)),
        )
        .expect_err("no units");
        assert_eq!(nobody.reason, NoCandidateReason::NoUnitInScope);
    }

    // In a deployment-mode station an own unit within the margin is preferred
    // to a slightly faster outsider; in other stations pure ETA decides.
    #[test]
    fn deployment_mode_prefers_own_units_within_margin() {
        let district = District::embedded();
        let home_zone = district
            .zone_for(&PEDESTRIAN_STREET_MIDPOINT)
            .expect("in a zone");
        assert_eq!(home_zone.0.duty_mode, DutyMode::Deployment);
        let units = candidates_at_home(&district);
        let router = StreetRouter::new(&district);
        let travel = TravelModel::calm(&router);
        let planner = Planner::new(&district, &travel, &units);
        let ranked = planner.rank(
            &PEDESTRIAN_STREET_MIDPOINT,
            Ring::StreetPatrol,
            &Scope::Ring,
            &BTreeSet::new(),
        );
        let fastest_s = ranked
            .iter()
            .map(|entry| entry.eta_s)
            .min()
            .expect("ranked");
        let chosen = ranked[0];
        assert!(chosen.eta_s <= fastest_s + DEPLOYMENT_PREFERENCE_MARGIN_S);
        if chosen.eta_s > fastest_s {
            assert!(chosen.deployment_preferred && chosen.territory != Territory::Elsewhere);
        }
        // Xiaodongmen runs basic duty: no unit gets the preference there.
        let basic = LatLon::new(31.2250, 121.4950);
        assert_eq!(
            district.station_for(&basic).map(|s| s.duty_mode),
            Some(DutyMode::Basic)
        );
        let ranked = planner.rank(&basic, Ring::StreetPatrol, &Scope::Ring, &BTreeSet::new());
        assert!(ranked.iter().all(|entry| !entry.deployment_preferred));
        assert!(ranked.windows(2).all(|pair| pair[0].eta_s <= pair[1].eta_s));
    }

    // Selecting twice from the same inputs gives the same answer.
    #[test]
    fn selection_is_deterministic() {
        let district = District::embedded();
        let units = candidates_at_home(&district);
        let router = StreetRouter::new(&district);
        let travel = TravelModel::calm(&router);
        for station in district.stations() {
            let incident = incident_at(station.position);
            let once = select(
                &incident,
                Ring::StreetPatrol,
                &Scope::Ring,
                &units,
                &district,
                &travel,
            );
            let twice = select(
                &incident,
                Ring::StreetPatrol,
                &Scope::Ring,
                &units,
                &district,
                &travel,
            );
            assert_eq!(once, twice);
        }
    }
}
