//! One apply's context ([`Step`]: log index, command, time) and the helpers
//! every action changes records with: find an open incident, check an
//! incident's status move against the table ([`Move`], the only way to
//! record a step), record a timeline step (hash-chained), enqueue a message
//! for an actor.

use super::audit;
use super::command::Command;
use super::ids::{ActorId, IncidentId, IncidentStatus, Ring, StationId, UnitId, UnitStatus};
use super::model::{
    AlertKind, Effect, Envelope, Incident, Message, Rejection, TimelineStep, Unit, UnitAlert,
};
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

    /// Records that `unit` changed in this step: a new version, stamped
    /// with the step's time and log index.
    pub(crate) fn stamp(&self, unit: &mut Unit) {
        unit.version += 1;
        unit.updated_at_ms = self.at_ms();
        unit.updated_index = self.index;
    }

    /// Sets a unit's status and stamps it; a new status starts its timers
    /// afresh and ends a timer's alert (a crew's alarm stays until a
    /// dispatcher clears it).
    pub(crate) fn set_status(&self, unit: &mut Unit, status: UnitStatus) {
        if unit.status != status {
            unit.status = status;
            unit.status_since_ms = self.at_ms();
            if unit
                .alert
                .as_ref()
                .is_some_and(|alert| alert.kind != AlertKind::Panic)
            {
                unit.alert = None;
            }
        }
        self.stamp(unit);
    }
}

/// What applying one action gives: its effect, or why nothing changed.
pub(crate) type Outcome = Result<Effect, Rejection>;

/// An incident's status move (or stay) that passed the incident status
/// table. Only [`Ledger::incident_move`] and [`Ledger::incident_stay`] make
/// one and only [`Ledger::record`] takes one, so no action can set an
/// incident's status without the table. Made before anything changes, so a
/// refused move leaves the ledger as it was.
#[derive(Debug)]
pub(crate) struct Move {
    incident_id: IncidentId,
    from: IncidentStatus,
    to: IncidentStatus,
}

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
            .ok_or_else(|| self.missing_incident(incident_id))?;
        if !incident.status.is_open() {
            return Err(Rejection::WrongIncidentStatus {
                incident_id,
                status: incident.status,
                action: action.to_string(),
            });
        }
        Ok(incident)
    }

    /// The move of `incident_id` to `to`, if the incident status table
    /// allows it ([`IncidentStatus::may_become`]): the one check of every
    /// status change of an incident.
    pub(crate) fn incident_move(
        &self,
        incident_id: IncidentId,
        to: IncidentStatus,
    ) -> Result<Move, Rejection> {
        let from = self
            .incidents
            .get(&incident_id)
            .ok_or_else(|| self.missing_incident(incident_id))?
            .status;
        if !from.may_become(to) {
            return Err(Rejection::IllegalIncidentTransition {
                incident_id,
                from,
                to,
                allowed: from.next_statuses().to_vec(),
            });
        }
        Ok(Move {
            incident_id,
            from,
            to,
        })
    }

    /// A step that keeps the status of an open incident (`action` names it
    /// in the refusal when the incident is closed).
    pub(crate) fn incident_stay(
        &self,
        incident_id: IncidentId,
        action: &str,
    ) -> Result<Move, Rejection> {
        let status = self.open_incident(incident_id, action)?.status;
        Ok(Move {
            incident_id,
            from: status,
            to: status,
        })
    }

    /// The unit, if the roster has it.
    pub(crate) fn known_unit(&self, unit_id: &UnitId) -> Result<&Unit, Rejection> {
        self.units
            .get(unit_id)
            .ok_or_else(|| Rejection::UnknownUnit {
                unit_id: unit_id.clone(),
            })
    }

    /// Sets the status the move allows, appends a timeline entry
    /// (hash-chained) and bumps the version.
    /// Sets `unit_id`'s alert (a crew's alarm replaces any other) and says
    /// so on the trail of the open incident it is assigned to.
    pub(crate) fn raise_unit_alert(
        &mut self,
        step: &Step<'_>,
        unit_id: &UnitId,
        kind: AlertKind,
        reason: String,
    ) -> Effect {
        let unit = self
            .units
            .get_mut(unit_id)
            .expect("the caller checked the unit");
        let incident_id = unit.assigned_to;
        unit.alert = Some(UnitAlert {
            kind,
            since_ms: step.at_ms(),
            index: step.index,
            incident_id,
        });
        step.stamp(unit);
        let version = unit.version;
        let alert = TimelineStep::UnitAlert {
            unit_id: unit_id.clone(),
        };
        self.record_on_open(step, incident_id, alert, reason);
        Effect::UnitUpdated {
            unit_id: unit_id.clone(),
            version,
        }
    }

    /// Records a step on `incident_id`'s trail when there is one and it is
    /// still open (a closed incident's trail stays closed).
    pub(crate) fn record_on_open(
        &mut self,
        step: &Step<'_>,
        incident_id: Option<IncidentId>,
        timeline_step: TimelineStep,
        reason: String,
    ) {
        let Some(incident_id) = incident_id else {
            return;
        };
        if let Ok(moving) = self.incident_stay(incident_id, "record a unit's alert") {
            self.record(step, moving, timeline_step, reason);
        }
    }

    pub(crate) fn record(
        &mut self,
        step: &Step<'_>,
        moving: Move,
        timeline_step: TimelineStep,
        reason: String,
    ) -> Effect {
        let Move {
            incident_id,
            from,
            to: status,
        } = moving;
        if from.is_open() && !status.is_open() {
            self.archive.closed(step.at_ms(), incident_id);
        }
        let incident = self
            .incident_mut(incident_id)
            .expect("a move is made only for an incident that exists");
        // The table's second look: nothing moved the incident since its
        // move was checked, and the move is one the table allows.
        assert_eq!(
            incident.status, from,
            "{incident_id} moved between its check and its record"
        );
        assert!(
            from == status && from.is_open() || from.may_become(status),
            "{incident_id}: {from} -> {status} is not in the incident status table"
        );
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
