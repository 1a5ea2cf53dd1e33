//! The ledger as dispatch planning sees it: incidents become
//! [`IncidentFacts`], ledger units joined with the district model become
//! [`CandidateUnit`]s; a [`MobilisationPlan`] becomes the ledger's
//! [`PlanParts`]. Planning stays pure; this is the only adapter.

use std::collections::BTreeSet;

use cordon_config::district::{District, LatLon};
use cordon_consensus::ledger::{
    FacilityKind, Incident, Ledger, PlanFacility, PlanLine, PlanParts, PlanRole, PlanShortfall,
    Position, Ring, UnitId,
};

use crate::planning::facts::{CandidateUnit, IncidentFacts};
use crate::planning::mobilisation::{FacilityEta, MobilisationPlan};
use crate::planning::run_cards::Role;

/// The planning facts of a ledger incident.
pub fn incident_facts(incident: &Incident) -> IncidentFacts {
    IncidentFacts {
        kind: incident.report.kind,
        priority: incident.report.priority,
        force_level: incident.report.force_level,
        position: LatLon::new(
            incident.report.location.lat(),
            incident.report.location.lon(),
        ),
    }
}

/// The on-scene target of `ring` at the incident's place, seconds: what an
/// escalation to `ring` carries into the ledger, which has no district.
pub fn target_s(incident: &Incident, ring: Ring, district: &District) -> u32 {
    district.on_scene_target_s(ring, &incident_facts(incident).position)
}

/// Every district unit with its ledger status and last known position.
/// Units the ledger does not know yet count as unavailable, and so does a
/// ring-1 or ring-2 team with members on the roster none of whom is on
/// duty at `now_ms` (the node's clock: simulated in the simulation).
pub fn candidates(ledger: &Ledger, district: &District, now_ms: u64) -> Vec<CandidateUnit> {
    let staffing = Staffing::at(ledger, district, now_ms);
    district
        .units()
        .iter()
        .map(|unit| joined(ledger, unit, &staffing))
        .collect()
}

/// Unit `unit_id` of the district with its ledger status and last known
/// position, its team's `staffing` read once by the caller; `None` when
/// the district has no such unit.
pub fn candidate(
    ledger: &Ledger,
    district: &District,
    unit_id: &str,
    staffing: &Staffing<'_>,
) -> Option<CandidateUnit> {
    district
        .unit(unit_id)
        .map(|unit| joined(ledger, unit, staffing))
}

/// Which teams have members on the roster, and which of them have one on
/// duty and available at a time.
pub struct Staffing<'a> {
    rostered: BTreeSet<&'a str>,
    on_duty: BTreeSet<&'a str>,
}

impl<'a> Staffing<'a> {
    /// The teams' staffing at `at_ms` in the district's local time.
    pub fn at(ledger: &'a Ledger, district: &District, at_ms: u64) -> Staffing<'a> {
        let offset = district.utc_offset_min();
        let mut staffing = Staffing {
            rostered: BTreeSet::new(),
            on_duty: BTreeSet::new(),
        };
        for member in ledger.members() {
            let Some(team) = &member.team else { continue };
            staffing.rostered.insert(team.0.as_str());
            if member.on_duty(at_ms, offset) {
                staffing.on_duty.insert(team.0.as_str());
            }
        }
        staffing
    }

    /// False for a team with members on the roster, none on duty.
    pub fn staffed(&self, unit_id: &str) -> bool {
        !self.rostered.contains(unit_id) || self.on_duty.contains(unit_id)
    }
}

/// A district unit joined with its ledger record (unavailable when the
/// ledger does not know it yet).
fn joined(
    ledger: &Ledger,
    unit: &cordon_config::district::Unit,
    staffing: &Staffing<'_>,
) -> CandidateUnit {
    let mut candidate = CandidateUnit::at_home(unit);
    match ledger.unit_named(&unit.id) {
        Some(record) => {
            candidate.position = latlon(&record.position);
            candidate.available = record.is_free() && staffing.staffed(&unit.id);
        }
        None => candidate.available = false,
    }
    candidate
}

/// A mobilisation plan as the ledger keeps it: every line with its
/// destination, the cordon points, the hospitals then the safe houses, and
/// the shortfalls.
pub fn plan_parts(plan: &MobilisationPlan) -> PlanParts {
    let facility = |kind: FacilityKind| {
        move |eta: &FacilityEta| PlanFacility {
            kind,
            id: eta.id.clone(),
            name: eta.name.clone(),
            position: position(&eta.position),
            eta_s: eta.eta_s,
        }
    };
    let hospitals = plan.hospitals.iter().map(facility(FacilityKind::Hospital));
    let safe_houses = plan
        .safe_houses
        .iter()
        .map(facility(FacilityKind::SafeHouse));
    PlanParts {
        lines: plan
            .lines
            .iter()
            .map(|line| PlanLine {
                ring: line.ring,
                unit_id: UnitId(line.unit_id.clone()),
                eta_s: line.eta_s,
                role: plan_role(line.role),
                destination: position(&line.destination),
            })
            .collect(),
        cordon_points: plan.cordon_points.iter().map(position).collect(),
        facilities: hospitals.chain(safe_houses).collect(),
        shortfalls: plan
            .shortfalls
            .iter()
            .map(|shortfall| PlanShortfall {
                ring: shortfall.ring,
                role: plan_role(shortfall.role),
                units_missing: shortfall.units_missing,
            })
            .collect(),
    }
}

/// A run card's role as the ledger names it.
fn plan_role(role: Role) -> PlanRole {
    match role {
        Role::FirstResponse => PlanRole::FirstResponse,
        Role::Reinforcement => PlanRole::Reinforcement,
        Role::Cordon => PlanRole::Cordon,
    }
}

/// A ledger position as the planner's.
pub(crate) fn latlon(position: &Position) -> LatLon {
    LatLon::new(position.lat(), position.lon())
}

/// A position in the ledger's integer form. Planning positions come from
/// the validated district and the ledger's own incidents; one out of range
/// is refused by the ledger's check of the plan, not clamped here.
pub(crate) fn position(point: &LatLon) -> Position {
    // `as` saturates; the ledger's range check catches what lies outside.
    Position {
        lat_e7: (point.lat * 1e7).round() as i32,
        lon_e7: (point.lon * 1e7).round() as i32,
    }
}
