//! One apply's context ([`Step`]: log index, command, time) and the helpers
//! every action changes records with: find an open incident, record a
//! timeline step (hash-chained), enqueue a message for an actor.

use super::audit;
use super::command::Command;
use super::ids::{ActorId, IncidentId, IncidentStatus, Ring, StationId, UnitId};
use super::model::{Effect, Envelope, Incident, Message, Rejection, TimelineStep, Unit};
use super::Ledger;

/// The context of one apply: index, time and origin of the command.
pub(crate) struct Step<'a> {
    /// The log index of the command.
    pub(crate) index: u64,
    /// The command being applied.
    pub(crate) command: &'a Command,
}

impl Step<'_> {
    /// The proposer's time, Unix milliseconds.
    pub(crate) fn at_ms(&self) -> u64 {
        self.command.proposed_at_ms
    }
}

/// What applying one action gives: its effect, or why nothing changed.
pub(crate) type Outcome = Result<Effect, Rejection>;

impl Ledger {
    /// Commits a message for `to`; it stays pending until `to` consumes it.
    pub(crate) fn enqueue(&mut self, step: &Step<'_>, to: ActorId, message: Message) {
        self.last_message_seq += 1;
        let seq = self.last_message_seq;
        let envelope = Envelope {
            seq,
            to: to.clone(),
            message,
            index: step.index,
            at_ms: step.at_ms(),
            traceparent: step.command.traceparent.clone(),
        };
        self.pending.entry(to).or_default().insert(seq, envelope);
    }

    /// The incident, if it exists and is open; `action` names the refused step.
    pub(crate) fn open_incident(
        &self,
        incident_id: IncidentId,
        action: &str,
    ) -> Result<&Incident, Rejection> {
        let incident = self
            .incidents
            .get(&incident_id)
            .ok_or(Rejection::UnknownIncident { incident_id })?;
        if !incident.status.is_open() {
            return Err(Rejection::WrongIncidentStatus {
                incident_id,
                status: incident.status,
                action: action.to_string(),
            });
        }
        Ok(incident)
    }

    /// The unit, if the roster has it.
    pub(crate) fn known_unit(&self, unit_id: &UnitId) -> Result<&Unit, Rejection> {
        self.units
            .get(unit_id)
            .ok_or_else(|| Rejection::UnknownUnit {
                unit_id: unit_id.clone(),
            })
    }

    /// Appends a timeline entry (hash-chained) and bumps the version.
    pub(crate) fn record(
        &mut self,
        step: &Step<'_>,
        incident_id: IncidentId,
        timeline_step: TimelineStep,
        status: IncidentStatus,
        reason: String,
    ) -> Effect {
        let incident = self
            .incidents
            .get_mut(&incident_id)
            .expect("callers check the incident exists before recording");
        incident.status = status;
        incident.version += 1;
        audit::append(
            &mut incident.timeline,
            step.index,
            step.at_ms(),
            &step.command.origin,
            &step.command.request_id,
            timeline_step,
            status,
            reason,
        );
        Effect::IncidentUpdated {
            incident_id,
            status,
            version: incident.version,
        }
    }
}

/// The actor that answers for a ring: a ring-3 incident with a station goes
/// to that station's actor, everything else to the ring's actor.
pub fn responder(ring: Ring, station: Option<StationId>) -> ActorId {
    match (ring, station) {
        (Ring::StreetPatrol, Some(station)) => ActorId::Station(station),
        (ring, _) => ActorId::Ring(ring),
    }
}

/// The incident a message is about.
pub(crate) fn message_incident(message: &Message) -> IncidentId {
    match message {
        Message::Triage { incident_id }
        | Message::Dispatch { incident_id }
        | Message::MutualAid { incident_id, .. }
        | Message::PlanApproved { incident_id }
        | Message::Assignment { incident_id, .. } => *incident_id,
    }
}
