//! Dispatch checkers: nothing an incident needs waits silently.
//!
//! They judge plain data that L1 reads from a node's applied ledger and L3
//! reads from the HTTP API: a summary of every incident at the end of the
//! run ([`IncidentSummary`]) and every pending message a watcher saw
//! ([`MessageSighting`]). Time spent under a fault (no quorum, a node
//! down, a link cut) does not count against a bound: the checkers take the
//! fault windows and subtract them.
//!
//! - [`incidents_attended`] (INV-DISP-1): at the end, every incident is
//!   closed, has a unit, has a plan before the commanders, or is marked
//!   unresourced; once the field has freed its units, nothing is left open.
//! - [`messages_handled`] (INV-DISP-2): every committed message is handled
//!   or dismissed within the bound, unless its incident was marked
//!   unresourced (it then waits, visibly, for a unit).
//! - [`targets_follow_rings`] (INV-DISP-4): an incident's on-scene target
//!   is its current ring's.
//! - [`statuses_follow_tables`] (INV-DISP-3): an incident's statuses follow
//!   the lifecycle table, and each unit's steps on an incident come in
//!   order (assigned before en route, on scene or released).

use std::collections::BTreeMap;

use cordon_actors::view::target_s;
use cordon_config::District;
use cordon_consensus::ledger::{Incident, IncidentStatus};

use super::Violation;
use crate::judge::invariants::Invariant;

/// A stretch of time under a fault, in the clock of the sightings
/// (Unix ms): from the fault's start to its heal plus recovery.
pub type Window = (u64, u64);

/// One incident at the end of a run, as far as the dispatch checkers need.
#[derive(Clone, Debug, PartialEq)]
pub struct IncidentSummary {
    /// Its id (`I-000042`).
    pub id: String,
    /// Its status at the end.
    pub status: IncidentStatus,
    /// Units assigned at the end.
    pub units: Vec<String>,
    /// True when it is marked as having no unit in any ring.
    pub unresourced: bool,
    /// True when its mobilisation plan awaits the commanders' approval
    /// (it is before the commanders, with an automatic approval due).
    pub plan_pending: bool,
    /// When it was reported, Unix ms.
    pub reported_at_ms: u64,
    /// The ring responsible at the end and its on-scene target there
    /// (seconds) as the ledger holds it, and as the district model says it
    /// should be; `None` when the reader has no district to ask.
    pub target: Option<TargetSummary>,
    /// Its timeline, in log order.
    pub steps: Vec<StepSummary>,
}

/// An incident's ring and on-scene target, as held and as expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetSummary {
    /// The ring responsible (1 to 4).
    pub ring: u8,
    /// The target the ledger holds, seconds.
    pub held_s: u32,
    /// The district's target for that ring at the incident's place.
    pub expected_s: u32,
}

/// One step of an incident's timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepSummary {
    /// The step's canonical name (`assigned`, `unit_released`...).
    pub step: String,
    /// The unit it is about, if any.
    pub unit: Option<String>,
    /// The incident's status after it (`triaged`...).
    pub status: String,
}

impl IncidentSummary {
    /// The summary of a ledger incident; its expected target from
    /// `district`.
    pub fn of(incident: &Incident, district: &District) -> IncidentSummary {
        IncidentSummary {
            id: incident.id.to_string(),
            status: incident.status,
            units: incident.units.iter().map(|unit| unit.0.clone()).collect(),
            unresourced: incident.unresourced.is_some(),
            plan_pending: incident
                .plan
                .as_ref()
                .is_some_and(|plan| plan.approved_index.is_none()),
            reported_at_ms: incident.reported_at_ms,
            target: incident
                .ring
                .zip(incident.target_s)
                .map(|(ring, held_s)| TargetSummary {
                    ring: ring.number(),
                    held_s,
                    expected_s: target_s(incident, ring, district),
                }),
            steps: incident
                .timeline
                .iter()
                .map(|entry| StepSummary {
                    step: entry.step.name().to_string(),
                    unit: entry.step.unit_id().map(|unit| unit.0.clone()),
                    status: entry.status.as_str().to_string(),
                })
                .collect(),
        }
    }

    fn last_step(&self) -> String {
        self.steps
            .last()
            .map_or_else(|| "nothing".to_string(), |step| step.step.clone())
    }
}

/// A pending message as a watcher saw it over the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageSighting {
    /// Its sequence number.
    pub seq: u64,
    /// The addressee (`station:bund-1`).
    pub to: String,
    /// What it says, in words.
    pub what: String,
    /// When it was committed, Unix ms.
    pub enqueued_at_ms: u64,
    /// The last time it was seen pending, Unix ms.
    pub last_pending_at_ms: u64,
    /// When its incident was first seen marked unresourced, Unix ms: from
    /// then on it waits, visibly, for a unit.
    pub excused_at_ms: Option<u64>,
}

/// INV-DISP-1: every incident is closed, has a unit, has a plan before the
/// commanders or is marked unresourced; with `units_freed` (the field released every unit and had
/// time to), every incident is closed.
pub fn incidents_attended(
    incidents: &[IncidentSummary],
    units_freed: bool,
) -> Result<(), Vec<Violation>> {
    let violations: Vec<Violation> = incidents
        .iter()
        .filter(|incident| incident.status.is_open())
        .filter_map(|incident| {
            let silent =
                incident.units.is_empty() && !incident.unresourced && !incident.plan_pending;
            let why = if silent {
                "has no unit, no plan before the commanders and no unresourced mark"
            } else if units_freed {
                "is still open after the field freed every unit"
            } else {
                return None;
            };
            Some(Violation::new(
                Invariant::IncidentAttended,
                format!(
                    "{} (reported at {} ms, {:?}, last step {}) {why}",
                    incident.id,
                    incident.reported_at_ms,
                    incident.status,
                    incident.last_step()
                ),
            ))
        })
        .collect();
    verdict(violations)
}

/// INV-DISP-2: every message seen pending was handled, or its incident
/// marked unresourced, within `bound_ms` of its commit, not counting time
/// inside `faults`.
pub fn messages_handled(
    sightings: &[MessageSighting],
    bound_ms: u64,
    faults: &[Window],
) -> Result<(), Vec<Violation>> {
    let violations: Vec<Violation> = sightings
        .iter()
        .filter_map(|sighting| {
            let from = sighting.enqueued_at_ms;
            let to = sighting
                .excused_at_ms
                .map_or(sighting.last_pending_at_ms, |at| at.min(sighting.last_pending_at_ms));
            let waited_ms = to.saturating_sub(from) - overlap_ms(from, to, faults);
            (waited_ms > bound_ms).then(|| {
                Violation::new(
                    Invariant::MessageHandled,
                    format!(
                        "message {} to {} ({}) pending {waited_ms} ms after its commit, neither handled nor its incident marked unresourced (faults not counted; bound {bound_ms} ms)",
                        sighting.seq, sighting.to, sighting.what
                    ),
                )
            })
        })
        .collect();
    verdict(violations)
}

/// INV-DISP-3: each timeline's statuses follow the incident lifecycle
/// table (a step may also keep an open incident's status), and each unit's
/// steps on an incident follow its assignment.
pub fn statuses_follow_tables(incidents: &[IncidentSummary]) -> Result<(), Vec<Violation>> {
    let mut violations = Vec::new();
    for incident in incidents {
        violations.extend(lifecycle_breaks(incident));
        violations.extend(unit_step_breaks(incident));
    }
    verdict(violations)
}

/// Status moves the incident table forbids, along one timeline.
fn lifecycle_breaks(incident: &IncidentSummary) -> Vec<Violation> {
    let mut violations = Vec::new();
    let mut previous: Option<IncidentStatus> = None;
    for step in &incident.steps {
        let Some(status) = status_named(&step.status) else {
            violations.push(Violation::new(
                Invariant::StatusesFollowTables,
                format!(
                    "{}: step {} has no known status {:?}",
                    incident.id, step.step, step.status
                ),
            ));
            continue;
        };
        let kept = previous == Some(status) && status.is_open();
        if let Some(from) = previous.filter(|from| !kept && !from.may_become(status)) {
            violations.push(Violation::new(
                Invariant::StatusesFollowTables,
                format!(
                    "{}: {} -> {} at step {}",
                    incident.id,
                    from.as_str(),
                    status.as_str(),
                    step.step
                ),
            ));
        }
        previous = Some(status);
    }
    violations
}

/// Unit steps (en route, on scene, released) without the unit's
/// assignment first.
fn unit_step_breaks(incident: &IncidentSummary) -> Vec<Violation> {
    let mut violations = Vec::new();
    let mut assigned: BTreeMap<&str, bool> = BTreeMap::new();
    for step in &incident.steps {
        let Some(unit) = &step.unit else { continue };
        let on = assigned.entry(unit.as_str()).or_insert(false);
        match step.step.as_str() {
            "assigned" => *on = true,
            "unit_released" if *on => *on = false,
            _ if *on => {}
            name => violations.push(Violation::new(
                Invariant::StatusesFollowTables,
                format!("{}: {name} of {unit} without an assignment", incident.id),
            )),
        }
    }
    violations
}

/// The status named `name` in the API, if it is one.
pub fn status_named(name: &str) -> Option<IncidentStatus> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
}

/// INV-DISP-4: every incident's on-scene target is the one of the ring
/// responsible for it now (escalation moves it).
pub fn targets_follow_rings(incidents: &[IncidentSummary]) -> Result<(), Vec<Violation>> {
    let violations = incidents
        .iter()
        .filter_map(|incident| {
            let target = incident.target.as_ref()?;
            (target.held_s != target.expected_s).then(|| {
                Violation::new(
                    Invariant::TargetFollowsRing,
                    format!(
                        "{} is at ring {} with target {} s; ring {}'s target there is {} s",
                        incident.id, target.ring, target.held_s, target.ring, target.expected_s
                    ),
                )
            })
        })
        .collect();
    verdict(violations)
}

/// Milliseconds of `[from, to]` inside `windows`.
fn overlap_ms(from: u64, to: u64, windows: &[Window]) -> u64 {
    windows
        .iter()
        .map(|(start, end)| to.min(*end).saturating_sub(from.max(*start)))
        .sum::<u64>()
        .min(to.saturating_sub(from))
}

fn verdict(violations: Vec<Violation>) -> Result<(), Vec<Violation>> {
    if violations.is_empty() {
        Ok(())
    } else {
        Err(violations)
    }
}
