//! Report: a new incident enters the ledger and the hub is told to triage it.

use serde::{Deserialize, Serialize};

use crate::ledger::audit;
use crate::ledger::command::{check_text, out_of_range, SCALE_MAX};
use crate::ledger::ids::{ActorId, Channel, IncidentId, IncidentKind, IncidentStatus, Position};
use crate::ledger::model::TimelineStep;
use crate::ledger::model::{Effect, Incident, Message, Rejection};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// A new incident as reported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewIncident {
    /// What happened.
    pub kind: IncidentKind,
    /// 0 (lowest) to 10 (highest).
    pub priority: u8,
    /// Force needed, 0 to 10; decides the ring.
    pub force_level: u8,
    /// Where.
    pub location: Position,
    /// How it reached the hub.
    pub channel: Channel,
    /// Free text from the caller or reporter.
    pub description: String,
}

impl Rules for NewIncident {
    fn name(&self) -> &'static str {
        "report_incident"
    }

    fn proposers(&self) -> Proposers {
        // Reports come from every channel: a client needs report (a reporter: from its channel).
        Proposers::Anyone(crate::ledger::access::Right::Report)
    }

    fn check(&self) -> Result<(), Rejection> {
        if self.priority > SCALE_MAX {
            return Err(out_of_range("priority", self.priority, "use 0 to 10"));
        }
        if self.force_level > SCALE_MAX {
            return Err(out_of_range("force_level", self.force_level, "use 0 to 10"));
        }
        if !self.location.is_valid() {
            return Err(out_of_range(
                "location",
                self.location,
                "latitude within -90..=90 and longitude within -180..=180",
            ));
        }
        check_text("description", &self.description)
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        let reason = format!("{} reported by {:?}", self.kind.name(), self.channel);
        let incident_id = self.enter(ledger, step, reason, None)?;
        Ok(Effect::IncidentReported { incident_id })
    }
}

impl NewIncident {
    /// Enters the report as a new incident (`reason` on its first step,
    /// `tracking_id` when a partner system sent it) and hands it to the hub
    /// for triage. Returns its id.
    pub(super) fn enter(
        &self,
        ledger: &mut Ledger,
        step: &Step<'_>,
        reason: String,
        tracking_id: Option<String>,
    ) -> Result<IncidentId, Rejection> {
        ledger.check_position("location", &self.location)?;
        ledger.last_incident_id += 1;
        let id = IncidentId(ledger.last_incident_id);
        let mut timeline = Vec::new();
        audit::append(
            &mut timeline,
            step.index,
            step.at_ms(),
            &step.command.origin,
            &step.command.request_id,
            TimelineStep::Reported,
            IncidentStatus::Reported,
            reason,
        );
        let incident = Incident {
            id,
            report: self.clone(),
            status: IncidentStatus::Reported,
            version: 1,
            request_id: step.command.request_id.clone(),
            reported_at_ms: step.at_ms(),
            reported_index: step.index,
            ring: None,
            station: None,
            target_s: None,
            on_scene_deadline_ms: None,
            on_scene_at_ms: None,
            units: Vec::new(),
            assignments: Vec::new(),
            aid_asked: Vec::new(),
            major: false,
            plan: None,
            unresourced: None,
            timeline,
            tracking_id,
            public_info: None,
            asks: Vec::new(),
            district_aid: Vec::new(),
        };
        ledger.incidents.insert(id, incident);
        ledger.enqueue(step, ActorId::Hub, Message::Triage { incident_id: id });
        Ok(id)
    }
}
