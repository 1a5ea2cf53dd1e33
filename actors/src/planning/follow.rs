//! An incident followed through every responder's decision at once, as the
//! actors take them one message at a time: ring 3 goes to the home
//! station's own units (its scope admits the district-level ones too), then
//! to the neighbours it asks for mutual aid; any other ring, or ring 3 with
//! no home station, to the ring's actor over all its units; each decision is
//! [`decide`]'s, each unit the policy's choice among the ranked ones. The
//! replay uses this to measure dispatch policies offline with the same
//! selection, rules and travel times as the cluster.

use cordon_config::district::{District, Ring};

use super::escalation::{decide, look_further, Attempt, Decision};
use super::facts::{CandidateUnit, IncidentFacts};
use super::run_cards::Triage;
use super::select::{Planner, RankedUnit, Scope};
use super::travel::TravelModel;

/// Decisions one incident may take before it is given up as unresourced:
/// two stations' mutual aid and three escalations fit with room to spare.
pub const DECISIONS_PER_INCIDENT_MAX: usize = 12;

/// Where an incident ends up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A unit was assigned.
    Assigned {
        /// The unit.
        unit_id: String,
        /// The ring that assigned it.
        ring: Ring,
        /// Its ETA, in seconds.
        eta_s: u32,
        /// The ring's on-scene target at the incident.
        target_s: u32,
        /// Assigned past the target with no ring left.
        breach: bool,
    },
    /// No ring had a unit: it waits for one to free.
    Unresourced,
}

/// The policy's choice among the ranked units of a ring for a target:
/// an index into them (0 is closest-idle).
pub type Choose<'c> = dyn FnMut(&[RankedUnit<'_>], u32, Ring) -> usize + 'c;

/// Follows `facts`, triaged as `triage`, through the responders' decisions
/// on `units` under `model`'s travel.
pub fn follow(
    facts: &IncidentFacts,
    triage: &Triage,
    district: &District,
    model: &TravelModel<'_>,
    units: &[CandidateUnit],
    choose: &mut Choose<'_>,
) -> Outcome {
    let planner = Planner::new(district, model, units);
    let mut ring = triage.ring;
    let (mut scope, mut attempt) = first_responder(ring, triage.station_id.as_deref());
    for _ in 0..DECISIONS_PER_INCIDENT_MAX {
        let selection = planner.select_with(facts, ring, &scope, |ranked, target_s| {
            choose(ranked, target_s, ring)
        });
        look_further(&planner, &facts.position, ring, &selection, &mut attempt);
        match decide(
            facts,
            ring,
            &selection,
            district,
            &triage.run_card,
            &attempt,
        ) {
            Decision::Assign {
                unit_id,
                eta_s,
                target_s,
                breach,
            } => {
                return Outcome::Assigned {
                    unit_id,
                    ring,
                    eta_s,
                    target_s,
                    breach,
                }
            }
            Decision::MutualAid { from_station } => {
                attempt.stations_asked.push(from_station.clone());
                scope = Scope::Station(from_station);
            }
            Decision::Escalate { to_ring, .. } => {
                ring = to_ring;
                (scope, attempt) = first_responder(ring, triage.station_id.as_deref());
            }
            Decision::Exhausted { .. } => return Outcome::Unresourced,
        }
    }
    Outcome::Unresourced
}

/// Who answers `ring` first, and the attempt they start.
fn first_responder(ring: Ring, station: Option<&str>) -> (Scope, Attempt) {
    match (ring, station) {
        (Ring::StreetPatrol, Some(station)) => (
            Scope::Station(station.to_owned()),
            Attempt::by_station(station),
        ),
        _ => (Scope::Ring, Attempt::ring_wide()),
    }
}
