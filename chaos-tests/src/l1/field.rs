//! The field, on the clients' host: simulated units that acknowledge, go
//! en route, arrive and return; a dispatcher who resolves an incident once
//! a unit has been on scene a while; and a watch that notes every pending
//! message it sees, for the dispatch checkers.
//!
//! Each poll reads the most advanced node's applied ledger (a stale node
//! would show messages pending that were long handled), decides every
//! unit's next step from how long it has been in its status (delays drawn
//! from the seed per unit and version), and sends the steps to the leader
//! as status reports conditional on the unit's version. A lost write is
//! simply decided again on the next poll.

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use cordon_config::District;
use cordon_consensus::ledger::{
    Action, Command, Incident, Ledger, Origin, RequestId, ResolveIncident, Unit, UnitStatus,
    UpdateUnitStatus,
};
use cordon_consensus::state_machine::LedgerReader;
use tokio::time::Instant;

use super::clients::Client;
use super::setup::sim_now_ms;
use super::{lock, Shared};
use crate::judge::checkers::{IncidentSummary, MessageSighting};
use crate::judge::raft_views::majority_leader;

/// How often the field looks at the ledger.
const FIELD_POLL_MS: u64 = 100;
/// Steps the field sends per poll, at most.
const STEPS_PER_POLL_MAX: usize = 32;
/// After the clients are done, how long the field may take to close every
/// incident before the run is judged as it stands.
pub(super) const DISPATCH_SETTLE_MS: u64 = 30_000;
/// After the clients are done, a ledger that has not moved for this long
/// will not move again by itself (nothing is left for the field to do and
/// no actor acts): the run is judged as it stands.
const DISPATCH_IDLE_MS: u64 = 5_000;
/// How long a unit takes to acknowledge, in ms (range).
const ACKNOWLEDGE_MS: (u64, u64) = (100, 400);
/// How long an acknowledged unit takes to leave, in ms (range).
const LEAVE_MS: (u64, u64) = (100, 400);
/// How long a unit drives to the scene, in ms (range).
const DRIVE_MS: (u64, u64) = (200, 1_200);
/// How long a returning unit takes to be available again, in ms (range).
const RETURN_MS: (u64, u64) = (200, 800);
/// How long the first unit is on scene before the incident is resolved,
/// in ms (range).
const ON_SCENE_MS: (u64, u64) = (500, 2_000);

/// What the field saw over the run.
pub(super) struct FieldOutcome {
    /// Every pending message it saw, by sequence number.
    pub(super) sightings: Vec<MessageSighting>,
    /// Every incident at the end.
    pub(super) incidents: Vec<IncidentSummary>,
    /// Status reports and resolutions the field had applied.
    pub(super) steps_applied: u64,
}

/// The field's state over one run.
pub(super) struct Field {
    pub(super) seed: u64,
    pub(super) shared: Arc<Shared>,
    pub(super) client: Arc<Client>,
    sightings: BTreeMap<u64, MessageSighting>,
    steps_applied: u64,
}

impl Field {
    pub(super) fn new(seed: u64, shared: Arc<Shared>, client: Arc<Client>) -> Field {
        Field {
            seed,
            shared,
            client,
            sightings: BTreeMap::new(),
            steps_applied: 0,
        }
    }

    /// Works the field until the clients are done and every incident is
    /// closed (or [`DISPATCH_SETTLE_MS`] after the clients are done).
    pub(super) async fn run(mut self) -> FieldOutcome {
        let mut settle_by: Option<Instant> = None;
        let mut last_change = (None, Instant::now());
        loop {
            let steps = self.look();
            let applied = freshest(&self.shared)
                .and_then(|reader| reader.read().last_applied.map(|id| id.index));
            if applied != last_change.0 {
                last_change = (applied, Instant::now());
            }
            if self.shared.clients_done.load(Ordering::SeqCst) {
                let by = *settle_by.get_or_insert_with(|| {
                    Instant::now() + Duration::from_millis(DISPATCH_SETTLE_MS)
                });
                let idle = last_change.1.elapsed() >= Duration::from_millis(DISPATCH_IDLE_MS);
                if self.quiet() || idle || Instant::now() >= by {
                    return self.outcome();
                }
            }
            self.send(steps).await;
            tokio::time::sleep(Duration::from_millis(FIELD_POLL_MS)).await;
        }
    }

    /// Notes the pending messages and decides the next steps.
    fn look(&mut self) -> Vec<(String, Action)> {
        let Some(reader) = freshest(&self.shared) else {
            return Vec::new();
        };
        let applied = reader.read();
        let now_ms = sim_now_ms();
        self.note_pending(&applied.ledger, now_ms);
        let mut steps: Vec<(String, Action)> = applied
            .ledger
            .units()
            .filter_map(|unit| self.unit_step(unit, now_ms))
            .collect();
        steps.extend(
            applied
                .ledger
                .incidents()
                .filter_map(|incident| self.resolution(incident, now_ms)),
        );
        steps.truncate(STEPS_PER_POLL_MAX);
        steps
    }

    fn note_pending(&mut self, ledger: &Ledger, now_ms: u64) {
        for envelope in ledger.pending() {
            let excused = envelope
                .message
                .incident_id()
                .and_then(|id| ledger.incident(id))
                .is_some_and(|incident| incident.unresourced.is_some());
            let sighting = self
                .sightings
                .entry(envelope.seq)
                .or_insert_with(|| MessageSighting {
                    seq: envelope.seq,
                    to: envelope.to.to_string(),
                    what: format!("{:?}", envelope.message),
                    enqueued_at_ms: envelope.at_ms,
                    last_pending_at_ms: now_ms,
                    excused_at_ms: None,
                });
            sighting.last_pending_at_ms = now_ms;
            if excused {
                sighting.excused_at_ms.get_or_insert(now_ms);
            }
        }
    }

    /// A unit's next status report, once it has been long enough in its
    /// status.
    fn unit_step(&self, unit: &Unit, now_ms: u64) -> Option<(String, Action)> {
        let (next, range) = match unit.status {
            UnitStatus::Dispatched => (UnitStatus::Acknowledged, ACKNOWLEDGE_MS),
            UnitStatus::Acknowledged => (UnitStatus::EnRoute, LEAVE_MS),
            UnitStatus::EnRoute => (UnitStatus::OnScene, DRIVE_MS),
            UnitStatus::Returning | UnitStatus::Transporting => (UnitStatus::Available, RETURN_MS),
            _ => return None,
        };
        let due_ms = unit.updated_at_ms + self.delay_ms(&unit.id.0, unit.version, range);
        (now_ms >= due_ms).then(|| {
            let action = Action::UpdateUnitStatus(UpdateUnitStatus {
                unit_id: unit.id.clone(),
                status: next,
                position: None,
                expected_version: Some(unit.version),
            });
            (format!("field-{}-v{}", unit.id, unit.version), action)
        })
    }

    /// The dispatcher resolves an incident a while after its first unit
    /// arrived.
    fn resolution(&self, incident: &Incident, now_ms: u64) -> Option<(String, Action)> {
        let arrived_ms = incident
            .on_scene_at_ms
            .filter(|_| incident.status.is_open())?;
        let key = incident.id.to_string();
        (now_ms >= arrived_ms + self.delay_ms(&key, 0, ON_SCENE_MS)).then(|| {
            let action = Action::ResolveIncident(ResolveIncident {
                incident_id: incident.id,
                reason: "the field reports it handled".to_string(),
            });
            (format!("field-resolve-{key}"), action)
        })
    }

    /// A delay in `range` drawn from the seed, the key and its version.
    fn delay_ms(&self, key: &str, version: u64, (low, high): (u64, u64)) -> u64 {
        let mut hasher = DefaultHasher::new();
        (self.seed, key, version).hash(&mut hasher);
        low + hasher.finish() % (high - low)
    }

    /// Sends the steps to the leader of the moment, one attempt each.
    async fn send(&mut self, steps: Vec<(String, Action)>) {
        for (request_id, action) in steps {
            let Some(leader) = majority_leader(&self.shared.views(), &[]) else {
                return;
            };
            let command = Command::new(
                RequestId(request_id),
                sim_now_ms(),
                Origin::Operator,
                action,
            );
            if self.client.write_once(leader, command).await.is_some() {
                self.steps_applied += 1;
            }
        }
    }

    /// True when every incident is closed and no message is pending.
    fn quiet(&self) -> bool {
        freshest(&self.shared).is_some_and(|reader| {
            let applied = reader.read();
            applied.ledger.pending_count() == 0
                && applied
                    .ledger
                    .incidents()
                    .all(|incident| !incident.status.is_open())
        })
    }

    fn outcome(self) -> FieldOutcome {
        let district = District::embedded();
        let incidents = freshest(&self.shared)
            .map(|reader| {
                let applied = reader.read();
                applied
                    .ledger
                    .incidents()
                    .map(|incident| IncidentSummary::of(incident, &district))
                    .collect()
            })
            .unwrap_or_default();
        FieldOutcome {
            sightings: self.sightings.into_values().collect(),
            incidents,
            steps_applied: self.steps_applied,
        }
    }
}

/// The ledger of the running node that has applied the most.
fn freshest(shared: &Shared) -> Option<LedgerReader> {
    lock(&shared.nodes)
        .values()
        .max_by_key(|node| {
            node.metrics
                .borrow()
                .last_applied
                .map(|log_id| log_id.index)
        })
        .map(|node| node.reader.clone())
}
