//! The deadline watch: an index by time of the open incidents that wait on
//! a deadline, so the hub's watch reads only what is due instead of
//! scanning every incident.
//!
//! The ledger re-indexes every incident an action touched once the action
//! is applied (`DeadlineWatch::update`), from the incident's fields alone:
//! the index is a function of the incidents, never a second truth.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::ids::{IncidentId, IncidentStatus};
use super::model::Incident;

/// What an open incident waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Deadline {
    /// Its plan is approved automatically at this time unless a commander
    /// approved it first.
    PlanApproval,
    /// A unit must be on scene by this time, or the incident escalates.
    OnScene,
    /// The public-information timer's next reminder.
    PublicInfo,
}

impl Deadline {
    /// When `incident` reaches this deadline, if it waits on it.
    fn of(self, incident: &Incident) -> Option<u64> {
        if !incident.status.is_open() {
            return None;
        }
        match self {
            Deadline::PlanApproval => incident
                .plan
                .as_ref()
                .filter(|plan| plan.approved_index.is_none())
                .map(|plan| plan.auto_approve_at_ms),
            Deadline::OnScene => incident.on_scene_deadline_ms.filter(|_| {
                incident.on_scene_at_ms.is_none()
                    && matches!(
                        incident.status,
                        IncidentStatus::Assigned | IncidentStatus::EnRoute
                    )
            }),
            Deadline::PublicInfo => incident
                .public_info
                .as_ref()
                .and_then(super::model::PublicInfo::next_reminder_ms),
        }
    }
}

const DEADLINES: [Deadline; 3] = [
    Deadline::PlanApproval,
    Deadline::OnScene,
    Deadline::PublicInfo,
];

/// Open incidents' deadlines by time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct DeadlineWatch {
    by_time: BTreeSet<(u64, IncidentId, Deadline)>,
    by_incident: BTreeMap<IncidentId, Vec<(u64, Deadline)>>,
}

impl DeadlineWatch {
    /// Re-indexes `incident_id` from its current record (`None` once it
    /// left the hot state).
    pub(crate) fn update(&mut self, incident_id: IncidentId, incident: Option<&Incident>) {
        for (at_ms, deadline) in self.by_incident.remove(&incident_id).unwrap_or_default() {
            self.by_time.remove(&(at_ms, incident_id, deadline));
        }
        let Some(incident) = incident else { return };
        let waits: Vec<(u64, Deadline)> = DEADLINES
            .into_iter()
            .filter_map(|deadline| Some((deadline.of(incident)?, deadline)))
            .collect();
        if waits.is_empty() {
            return;
        }
        for &(at_ms, deadline) in &waits {
            self.by_time.insert((at_ms, incident_id, deadline));
        }
        self.by_incident.insert(incident_id, waits);
    }

    /// The deadlines reached at `now_ms` (at or before it), earliest first.
    pub(crate) fn due(&self, now_ms: u64) -> impl Iterator<Item = (Deadline, IncidentId)> + '_ {
        self.by_time
            .range(..=(now_ms, IncidentId(u64::MAX), Deadline::PublicInfo))
            .map(|&(_, incident_id, deadline)| (deadline, incident_id))
    }

    /// Deadlines watched (one incident may wait on several kinds).
    pub(crate) fn len(&self) -> usize {
        self.by_time.len()
    }
}
