//! Unit assignments in log order: a unit serves one open incident at a time.

use std::collections::{BTreeMap, BTreeSet};

use super::{verdict, IncidentId, Violation};
use crate::judge::invariants::Invariant;

/// One change to assignments, as applied by the ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssignmentEvent {
    /// The log index of the entry that made the change.
    pub index: u64,
    /// The incident concerned.
    pub incident: IncidentId,
    /// What changed.
    pub change: AssignmentChange,
}

/// What an [`AssignmentEvent`] changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssignmentChange {
    /// The unit was assigned to the incident.
    Assigned {
        /// The unit's id.
        unit: String,
    },
    /// The unit was released from the incident.
    Released {
        /// The unit's id.
        unit: String,
    },
    /// The incident was closed (resolved or cancelled): its units are free.
    IncidentClosed,
}

/// No unit is assigned to two open incidents at any log index
/// ([`Invariant::UnitAssignedOnce`]).
///
/// `events` are in log order. The state is judged after all the changes of
/// one index, because one entry applies atomically (a reassignment may list
/// the new assignment before the release). A violation is reported at the
/// index where a unit gains its second open incident.
pub fn unit_assigned_once(events: &[AssignmentEvent]) -> Result<(), Vec<Violation>> {
    let mut violations = Vec::new();
    let mut closed: BTreeSet<&str> = BTreeSet::new();
    // Per unit: the incidents it is assigned to, with the index since when.
    let mut held: BTreeMap<&str, BTreeMap<&str, u64>> = BTreeMap::new();

    for batch in events.chunk_by(|a, b| a.index == b.index) {
        let index = batch[0].index;
        let mut assigned_now: BTreeSet<&str> = BTreeSet::new();
        for event in batch {
            let incident = event.incident.as_str();
            match &event.change {
                AssignmentChange::Assigned { unit } => {
                    held.entry(unit)
                        .or_default()
                        .entry(incident)
                        .or_insert(index);
                    assigned_now.insert(unit);
                }
                AssignmentChange::Released { unit } => {
                    if let Some(incidents) = held.get_mut(unit.as_str()) {
                        incidents.remove(incident);
                    }
                }
                AssignmentChange::IncidentClosed => {
                    closed.insert(incident);
                }
            }
        }
        for unit in assigned_now {
            let incidents = held.entry(unit).or_default();
            incidents.retain(|incident, _| !closed.contains(incident));
            if incidents.len() > 1 {
                let open: Vec<String> = incidents
                    .iter()
                    .map(|(incident, since)| format!("{incident} (since index {since})"))
                    .collect();
                violations.push(Violation::new(
                    Invariant::UnitAssignedOnce,
                    format!(
                        "at index {index} unit {unit} is assigned to {} open incidents: {}",
                        incidents.len(),
                        open.join(", ")
                    ),
                ));
            }
        }
    }
    verdict(violations)
}
