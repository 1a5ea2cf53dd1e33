//! Force-mobilisation plans for major incidents.
//!
//! For a major emergency the hub generates a plan from the incident's
//! nature, place and force level; the commander decides, and the plan goes
//! straight to front-line devices. The plan here follows the run card line
//! by line: for each line, the best available units of its ring by ETA, each
//! unit used once across the whole plan. First-response and reinforcement
//! units go to the incident; cordon units go to cordon points, handed out in
//! turn. Cordon points sit [`CORDON_RADIUS_M`] from the incident along the
//! street grid's four directions; a point outside the district (in the river,
//! beyond the boundary) is dropped. The plan also names the nearest
//! hospitals (by car) and safe houses (on foot), and what the ring could not
//! supply.

use std::collections::BTreeSet;

use cordon_config::district::{District, Facility, LatLon, Ring, TravelMode};

use super::facts::{CandidateUnit, IncidentFacts};
use super::geometry::{LocalFrame, LocalPoint};
use super::run_cards::{RingResponse, Role, RunCard};
use super::select::{Planner, Scope};
use super::travel::TravelModel;
use super::{CORDON_RADIUS_M, MOBILISATION_FORCE_LEVEL_MIN, PLAN_FACILITIES_COUNT};

/// One unit's part in a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanLine {
    /// The unit's ring.
    pub ring: Ring,
    /// The unit.
    pub unit_id: String,
    /// Estimated seconds until it reaches `destination`.
    pub eta_s: u32,
    /// What it is there for.
    pub role: Role,
    /// Where it goes: the incident, or its cordon point.
    pub destination: LatLon,
}

/// A hospital or safe house with the time to reach it from the incident.
#[derive(Debug, Clone, PartialEq)]
pub struct FacilityEta {
    /// Facility id.
    pub id: String,
    /// Facility name.
    pub name: String,
    /// Where it is.
    pub position: LatLon,
    /// Estimated seconds from the incident: by car to a hospital, on foot to
    /// a safe house.
    pub eta_s: u32,
}

/// Units a run-card line asked for that no available unit could fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shortfall {
    /// The ring asked.
    pub ring: Ring,
    /// The role asked.
    pub role: Role,
    /// How many units are missing.
    pub units_missing: u8,
}

/// A force-mobilisation plan for one major incident.
#[derive(Debug, Clone, PartialEq)]
pub struct MobilisationPlan {
    /// Who goes where, in run-card order.
    pub lines: Vec<PlanLine>,
    /// Where the cordon stands.
    pub cordon_points: Vec<LatLon>,
    /// Nearest hospitals, quickest first.
    pub hospitals: Vec<FacilityEta>,
    /// Nearest safe houses, quickest first.
    pub safe_houses: Vec<FacilityEta>,
    /// Run-card lines not fully filled.
    pub shortfalls: Vec<Shortfall>,
    /// One line for the commander.
    pub summary: String,
}

impl MobilisationPlan {
    /// Units the plan asked for that no available unit could fill, over
    /// every line.
    pub fn units_short(&self) -> usize {
        self.shortfalls
            .iter()
            .map(|s| usize::from(s.units_missing))
            .sum()
    }
}

/// The mobilisation plan for `incident` under `run_card` (see the module docs).
pub fn plan(
    incident: &IncidentFacts,
    run_card: &RunCard,
    units: &[CandidateUnit],
    district: &District,
    model: &TravelModel<'_>,
) -> MobilisationPlan {
    let planner = Planner::new(district, model, units);
    let cordon = cordon_points(&incident.position, district);
    let mut used: BTreeSet<&str> = BTreeSet::new();
    let mut lines = Vec::new();
    let mut shortfalls = Vec::new();
    for response in &sized_responses(run_card, incident.force_level, cordon.len(), district) {
        let filled = fill(&planner, response, incident, &cordon, &mut used);
        // `fill` returns at most `response.units` lines, so this fits a u8.
        let units_missing = response.units - filled.len() as u8;
        if units_missing > 0 {
            shortfalls.push(Shortfall {
                ring: response.ring,
                role: response.role,
                units_missing,
            });
        }
        lines.extend(filled);
    }
    let model = planner.model();
    let mut plan = MobilisationPlan {
        lines,
        hospitals: nearest_facilities(
            district.hospitals(),
            &incident.position,
            TravelMode::Car,
            model,
        ),
        safe_houses: nearest_facilities(
            district.safe_houses(),
            &incident.position,
            TravelMode::Foot,
            model,
        ),
        cordon_points: cordon,
        shortfalls,
        summary: String::new(),
    };
    plan.summary = summarise(incident, &plan);
    plan
}

/// The run card's lines sized by `force_level`: the card is the floor, and
/// force adds to it by these rules, each drawn from the source (DOMAIN.md):
/// - **Cordon, ring 3**: one patrol group (1 officer + 1 auxiliary) on each
///   of the `cordon_points` from force 1; two on each beyond ring 3's own
///   `force_level_max` (5 in the embedded district), which is more than the
///   6 groups of one station (3 zones x 2 groups), so neighbouring stations
///   reinforce ("territory first, support coordinated").
/// - **Special police, ring 4**: one joint team per force level beyond ring
///   3's `force_level_max` (force 10: 5 teams, so at least 6 of the 11
///   one-minute response points stay manned); raises the card's ring-4 line,
///   or is added as reinforcement.
/// - **Mass prevention, ring 2**: from [`MOBILISATION_FORCE_LEVEL_MIN`] (7),
///   one volunteer or security unit on each cordon point, steering the crowd
///   toward the safe houses.
///
/// Each count only grows with force, and a card line of the same ring and
/// role is raised rather than duplicated, so a higher force level never asks
/// for fewer units of any ring.
pub fn sized_responses(
    run_card: &RunCard,
    force_level: u8,
    cordon_points: usize,
    district: &District,
) -> Vec<RingResponse> {
    let patrol_max = district.ring(Ring::StreetPatrol).force_level_max;
    // At most 4 cordon points (see `cordon_points`): the products fit a u8.
    let points = u8::try_from(cordon_points).unwrap_or(u8::MAX);
    let groups_per_point = match force_level {
        0 => 0,
        level if level <= patrol_max => 1,
        _ => 2,
    };
    let volunteers_per_point = u8::from(force_level >= MOBILISATION_FORCE_LEVEL_MIN);
    let mut responses = run_card.responses.clone();
    let ring_four_role = responses
        .iter()
        .find(|line| line.ring == Ring::SpecialPolice)
        .map_or(Role::Reinforcement, |line| line.role);
    let floors = [
        (
            Ring::StreetPatrol,
            Role::Cordon,
            points.saturating_mul(groups_per_point),
        ),
        (
            Ring::SpecialPolice,
            ring_four_role,
            force_level.saturating_sub(patrol_max),
        ),
        (
            Ring::MassPrevention,
            Role::Cordon,
            points.saturating_mul(volunteers_per_point),
        ),
    ];
    for (ring, role, units) in floors {
        raise(&mut responses, RingResponse::new(ring, units, role));
    }
    responses
}

/// Raises the first line of `floor`'s ring and role to `floor.units`, or
/// adds `floor` when no such line exists and it asks for any unit.
fn raise(responses: &mut Vec<RingResponse>, floor: RingResponse) {
    match responses
        .iter_mut()
        .find(|line| line.ring == floor.ring && line.role == floor.role)
    {
        Some(line) => line.units = line.units.max(floor.units),
        None if floor.units > 0 => responses.push(floor),
        None => {}
    }
}

/// Up to `response.units` unused units of its ring, each the best by ETA to
/// its destination; marks each as used.
fn fill<'a>(
    planner: &Planner<'a>,
    response: &RingResponse,
    incident: &IncidentFacts,
    cordon: &[LatLon],
    used: &mut BTreeSet<&'a str>,
) -> Vec<PlanLine> {
    let mut filled = Vec::new();
    for slot in 0..usize::from(response.units) {
        let destination = match (response.role, cordon.is_empty()) {
            (Role::Cordon, false) => cordon[slot % cordon.len()],
            _ => incident.position,
        };
        let ranked = planner.rank(&destination, response.ring, &Scope::Ring, used);
        let Some(best) = ranked.first() else {
            break;
        };
        used.insert(best.unit.id.as_str());
        filled.push(PlanLine {
            ring: response.ring,
            unit_id: best.unit.id.clone(),
            eta_s: best.eta_s,
            role: response.role,
            destination,
        });
    }
    filled
}

/// Cordon points [`CORDON_RADIUS_M`] from `position` to the north, east,
/// south and west, in that order; points outside the district are left out.
pub fn cordon_points(position: &LatLon, district: &District) -> Vec<LatLon> {
    let frame = LocalFrame::for_district(district);
    let centre = frame.to_local(position);
    let directions = [(0.0, 1.0), (1.0, 0.0), (0.0, -1.0), (-1.0, 0.0)];
    directions
        .into_iter()
        .map(|(east, north)| LocalPoint {
            east_m: centre.east_m + CORDON_RADIUS_M * east,
            north_m: centre.north_m + CORDON_RADIUS_M * north,
        })
        .map(|point| frame.to_lat_lon(&point))
        .filter(|point| district.contains(point))
        .collect()
}

/// The [`PLAN_FACILITIES_COUNT`] facilities quickest to reach from `from` by
/// `mode`; ties by id.
fn nearest_facilities(
    facilities: &[Facility],
    from: &LatLon,
    mode: TravelMode,
    model: &TravelModel<'_>,
) -> Vec<FacilityEta> {
    let mut timed: Vec<FacilityEta> = facilities
        .iter()
        .map(|facility| FacilityEta {
            id: facility.id.clone(),
            name: facility.name.clone(),
            position: facility.position,
            eta_s: model.eta_s(from, mode, &facility.position),
        })
        .collect();
    timed.sort_by(|a, b| a.eta_s.cmp(&b.eta_s).then_with(|| a.id.cmp(&b.id)));
    timed.truncate(PLAN_FACILITIES_COUNT);
    timed
}

fn summarise(incident: &IncidentFacts, plan: &MobilisationPlan) -> String {
    let first_on_scene = plan
        .lines
        .iter()
        .filter(|line| line.role == Role::FirstResponse)
        .map(|line| line.eta_s)
        .min()
        .map_or_else(
            || "no first response".to_owned(),
            |eta_s| format!("first on scene in {eta_s} s"),
        );
    let hospital = plan.hospitals.first().map_or_else(
        || "none".to_owned(),
        |h| format!("{} ({} s)", h.name, h.eta_s),
    );
    let resourced = match plan.units_short() {
        0 => "fully resourced".to_owned(),
        1 => "short of 1 unit".to_owned(),
        missing => format!("short of {missing} units"),
    };
    format!(
        "{} priority {} force {} at {}: {} units, {first_on_scene}; {} cordon points; nearest hospital {hospital}; {resourced}",
        incident.kind,
        incident.priority,
        incident.force_level,
        incident.position,
        plan.lines.len(),
        plan.cordon_points.len(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planning::facts::{candidates_at_home, IncidentKind};
    use crate::planning::run_cards::triage;
    use crate::planning::{StreetRouter, TravelModel};

    fn incident(kind: IncidentKind, force_level: u8, position: LatLon) -> IncidentFacts {
        IncidentFacts {
            kind,
            priority: 9,
            force_level,
            position,
        }
    }

    fn plan_for(
        incident: &IncidentFacts,
        units: &[CandidateUnit],
        district: &District,
    ) -> MobilisationPlan {
        let card = triage(
            incident.kind,
            incident.priority,
            incident.force_level,
            incident.position,
            district,
        )
        .run_card;
        plan(
            incident,
            &card,
            units,
            district,
            &TravelModel::calm(&StreetRouter::new(district)),
        )
    }

    // Plans for extreme acts and crowd danger across the district never use a
    // unit twice, and fill every line when all units are available.
    #[test]
    fn plans_never_use_a_unit_twice() {
        let district = District::embedded();
        let units = candidates_at_home(&district);
        let positions: Vec<LatLon> = district
            .one_minute_points()
            .iter()
            .map(|p| p.position)
            .collect();
        for position in positions {
            for kind in [
                IncidentKind::ExtremeAct,
                IncidentKind::CrowdCrush,
                IncidentKind::SuspiciousObject,
            ] {
                let plan = plan_for(&incident(kind, 8, position), &units, &district);
                let ids: BTreeSet<&str> = plan
                    .lines
                    .iter()
                    .map(|line| line.unit_id.as_str())
                    .collect();
                assert_eq!(ids.len(), plan.lines.len(), "{}", plan.summary);
                assert!(plan.shortfalls.is_empty(), "{}", plan.summary);
                assert!(plan.lines.iter().all(|line| units
                    .iter()
                    .any(|u| u.id == line.unit_id && u.ring == line.ring)));
            }
        }
    }

    // An extreme act on the pedestrian street at ring 3's force maximum: the
    // run card as it stands, three ring-4 teams first, four ring-3 units on
    // cordon points 180 m out, two hospitals and two safe houses.
    #[test]
    fn extreme_act_plan_on_nanjing_road() {
        let district = District::embedded();
        let units = candidates_at_home(&district);
        let position = LatLon::new(31.2394, 121.4760);
        let plan = plan_for(
            &incident(IncidentKind::ExtremeAct, 5, position),
            &units,
            &district,
        );
        let first: Vec<&PlanLine> = plan
            .lines
            .iter()
            .filter(|l| l.role == Role::FirstResponse)
            .collect();
        assert_eq!(first.len(), 3);
        assert!(
            first
                .iter()
                .all(|l| l.ring == Ring::SpecialPolice && l.eta_s <= 180),
            "{:?}",
            plan.lines
        );
        let cordon: Vec<&PlanLine> = plan
            .lines
            .iter()
            .filter(|l| l.role == Role::Cordon)
            .collect();
        assert_eq!(cordon.len(), 4);
        assert!(cordon
            .iter()
            .all(|l| l.ring == Ring::StreetPatrol && plan.cordon_points.contains(&l.destination)));
        assert_eq!(plan.cordon_points.len(), 4);
        for point in &plan.cordon_points {
            assert!((point.distance_m(&position) - CORDON_RADIUS_M).abs() < 1.0);
        }
        assert_eq!((plan.hospitals.len(), plan.safe_houses.len()), (2, 2));
        assert!(plan.hospitals[0].eta_s <= plan.hospitals[1].eta_s);
        assert!(plan.summary.contains("extreme_act"), "{}", plan.summary);
    }

    // On the Bund the cordon point in the river is dropped.
    #[test]
    fn cordon_points_stay_in_the_district() {
        let district = District::embedded();
        let on_bund = LatLon::new(31.2405, 121.4875);
        let points = cordon_points(&on_bund, &district);
        assert_eq!(points.len(), 3, "{points:?}");
        assert!(points.iter().all(|p| district.contains(p)));
    }

    // With ring 4 nearly emptied the plan reports the shortfall of the run
    // card's three teams (force 5 adds none) instead of doubling up a unit.
    #[test]
    fn shortfall_when_a_ring_runs_out() {
        let district = District::embedded();
        let mut units = candidates_at_home(&district);
        let mut kept = 0;
        for unit in units.iter_mut().filter(|u| u.ring == Ring::SpecialPolice) {
            kept += 1;
            unit.available = kept <= 2;
        }
        let plan = plan_for(
            &incident(IncidentKind::ExtremeAct, 5, LatLon::new(31.2250, 121.4800)),
            &units,
            &district,
        );
        assert_eq!(
            plan.shortfalls,
            [Shortfall {
                ring: Ring::SpecialPolice,
                role: Role::FirstResponse,
                units_missing: 1
            }]
        );
        assert!(
            plan.summary.ends_with("short of 1 unit"),
            "{}",
            plan.summary
        );
    }
    // Force sizes the plan: the same extreme act on the pedestrian street asks
    // for the run card's 7 units at force 3 and 17 at force 10 (5 ring-4 teams,
    // two patrol groups on each of the 4 cordon points, one ring-2 unit on each).
    #[test]
    fn force_level_sizes_the_plan() {
        let district = District::embedded();
        let units = candidates_at_home(&district);
        let position = LatLon::new(31.2394, 121.4760);
        let low = plan_for(
            &incident(IncidentKind::ExtremeAct, 3, position),
            &units,
            &district,
        );
        let high = plan_for(
            &incident(IncidentKind::ExtremeAct, 10, position),
            &units,
            &district,
        );
        assert_eq!(low.lines.len(), 7, "{}", low.summary);
        assert_eq!(high.lines.len(), 17, "{}", high.summary);
        let count = |plan: &MobilisationPlan, ring: Ring, role: Role| {
            plan.lines
                .iter()
                .filter(|l| l.ring == ring && l.role == role)
                .count()
        };
        assert_eq!(count(&high, Ring::SpecialPolice, Role::FirstResponse), 5);
        assert_eq!(count(&high, Ring::StreetPatrol, Role::Cordon), 8);
        assert_eq!(count(&high, Ring::MassPrevention, Role::Cordon), 4);
        assert!(low.shortfalls.is_empty() && high.shortfalls.is_empty());
    }

    // Force 10 asks for 5 ring-4 teams; with 3 available the plan says it is
    // short of 2 units, in the shortfalls and in the commander's summary.
    #[test]
    fn shortfall_when_availability_is_below_the_force_level() {
        let district = District::embedded();
        let mut units = candidates_at_home(&district);
        let mut kept = 0;
        for unit in units.iter_mut().filter(|u| u.ring == Ring::SpecialPolice) {
            kept += 1;
            unit.available = kept <= 3;
        }
        let incident = incident(IncidentKind::ExtremeAct, 10, LatLon::new(31.2250, 121.4800));
        let plan = plan_for(&incident, &units, &district);
        assert_eq!(
            plan.shortfalls,
            [Shortfall {
                ring: Ring::SpecialPolice,
                role: Role::FirstResponse,
                units_missing: 2
            }]
        );
        assert_eq!(plan.units_short(), 2);
        assert!(
            plan.summary.ends_with("short of 2 units"),
            "{}",
            plan.summary
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        // For the same incident and the same units available, a higher force
        // level never yields a smaller plan, nor asks for fewer units.
        #[test]
        fn higher_force_never_shrinks_the_plan(
            kind in 0..IncidentKind::ALL.len(),
            point in 0usize..11,
            lower in 0u8..=10,
            raise in 0u8..=10,
            unavailable in proptest::prelude::any::<u128>(),
        ) {
            let district = District::embedded();
            let mut units = candidates_at_home(&district);
            for (i, unit) in units.iter_mut().enumerate() {
                unit.available = unavailable >> (i % 128) & 1 == 0;
            }
            let points = district.one_minute_points();
            let position = points[point % points.len()].position;
            let kind = IncidentKind::ALL[kind];
            let higher = lower.saturating_add(raise).min(10);
            let small = plan_for(&incident(kind, lower, position), &units, &district);
            let large = plan_for(&incident(kind, higher, position), &units, &district);
            proptest::prop_assert!(large.lines.len() >= small.lines.len(), "{} / {}", small.summary, large.summary);
            proptest::prop_assert!(
                large.lines.len() + large.units_short() >= small.lines.len() + small.units_short(),
                "{} / {}", small.summary, large.summary
            );
        }
    }
}
