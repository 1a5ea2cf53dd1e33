//! The Raft state machine: applies committed entries to the [`Ledger`],
//! builds snapshots and installs them.
//!
//! A snapshot's data is the ledger encoded with the storage header
//! ([`codec::STORAGE_FORMAT_VERSION`]): a snapshot of another format is
//! refused on install and on start, never misread.
//!
//! The ledger lives in memory behind a lock that readers share (the API reads
//! it after a linearizable barrier). The latest snapshot is kept in the
//! node's redb file, so a restarted node starts from it and openraft
//! re-applies the committed entries after it. The closed incidents the
//! ledger archives go to the [`ArchiveStore`] in the same file; the
//! snapshot holds only the hot state and the archive's index, so its size
//! follows the district's present, not its history.

use std::io::Cursor;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard};

use openraft::storage::{RaftStateMachine, Snapshot};
use openraft::{EntryPayload, RaftSnapshotBuilder, StorageIOError};
use redb::{Database, ReadableDatabase, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::archive_store::{ArchiveError, ArchiveStore};
use crate::codec;
use crate::ledger::{Applied, ArchiveBatch, ArchivedBatch, Effect, Incident, IncidentId, Ledger};
use crate::log_store::{any_error, blocking};
use crate::types::{
    Entry, LogId, Proposal, SnapshotMeta, StorageError, StoredMembership, TypeConfig,
};

const SNAPSHOT: TableDefinition<&str, &[u8]> = TableDefinition::new("snapshot");
const KEY_CURRENT: &str = "current";

/// Largest snapshot read back from disk or received from a leader.
pub const SNAPSHOT_BYTES_MAX: usize = 1024 * 1024 * 1024;

/// The applied state: the ledger plus what Raft needs to know about it.
#[derive(Debug, Default)]
pub struct AppliedState {
    /// The dispatch ledger.
    pub ledger: Ledger,
    /// The last entry applied.
    pub last_applied: Option<LogId>,
    /// The last membership applied.
    pub membership: StoredMembership,
    /// Batches the ledger archived that are on their way to the store:
    /// readers look here between the two.
    archiving: Vec<ArchivedBatch>,
}

impl AppliedState {
    /// An incident being archived right now, if it is one.
    fn archiving(&self, incident_id: IncidentId) -> Option<&Incident> {
        self.archiving
            .iter()
            .flat_map(|archived| &archived.incidents)
            .find(|incident| incident.id == incident_id)
    }
}

#[derive(Serialize, Deserialize)]
struct StoredSnapshot {
    meta: SnapshotMeta,
    data: Vec<u8>,
}

pub use crate::event_feed::APPLIED_EVENTS_QUEUED_MAX;
use crate::event_feed::{EventFeed, Resumed};

/// One applied command, as published to subscribers (API event streams,
/// metrics). Published after the ledger changed; never blocks apply.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct AppliedEvent {
    /// The log index.
    pub index: u64,
    /// The command's place in its entry (0 for the first): events are
    /// ordered by index, then slot.
    pub slot: u32,
    /// The action's name.
    pub action: &'static str,
    /// What applying it did.
    pub effect: Effect,
    /// The incidents a batch changed, which its effect does not name (the
    /// hub's triage of a burst); empty for every other action.
    pub incidents: Vec<crate::ledger::IncidentId>,
}

impl AppliedEvent {
    /// Where the event stands in the log, its id on every node.
    pub fn position(&self) -> crate::event_feed::EventPosition {
        crate::event_feed::EventPosition {
            index: self.index,
            slot: self.slot,
        }
    }
}

/// The incidents a batch action changes, for [`AppliedEvent::incidents`].
fn batch_incidents(action: &crate::ledger::Action) -> Vec<crate::ledger::IncidentId> {
    match action {
        crate::ledger::Action::TriageBatch(batch) => {
            batch.items.iter().map(|item| item.incident_id).collect()
        }
        _ => Vec::new(),
    }
}

/// The state machine handle given to openraft; clones share the state.
#[derive(Clone)]
pub struct StateMachine {
    db: Arc<Database>,
    state: Arc<RwLock<AppliedState>>,
    archive: ArchiveStore,
    /// Archived batches the index names and the store lacks (after a
    /// snapshot install): the node fetches them from peers.
    archive_missing: Arc<std::sync::Mutex<Vec<ArchiveBatch>>>,
    snapshots_built: Arc<AtomicU64>,
    /// Size of the last snapshot built or installed, for the snapshot policy.
    snapshot_bytes: Arc<AtomicU64>,
    /// The commands the last snapshot had applied (see
    /// [`StateMachine::commands_since_snapshot`]).
    snapshot_commands: Arc<AtomicU64>,
    events: Arc<EventFeed>,
    /// Whether this node records an applied entry's dispatch metrics.
    dispatch_metrics: Arc<DispatchMetricsGate>,
}

/// Whether a node records the dispatch metrics of an entry it applies:
/// only while it leads, so each event counts once across the cluster, and
/// never for an entry its log had committed when it opened (a replay: the
/// leader of the time recorded it). Entries a new leader applied as a
/// follower before it rose were the old leader's to record; one the old
/// leader applied just before it fell and the new one only after it rose
/// counts twice (at most the entries of one election).
#[derive(Debug, Default)]
pub struct DispatchMetricsGate {
    leading: std::sync::atomic::AtomicBool,
    replayed_until: AtomicU64,
}

impl DispatchMetricsGate {
    /// Says whether this node leads.
    pub fn set_leading(&self, leading: bool) {
        self.leading.store(leading, Ordering::Relaxed);
    }

    /// Marks entries up to `index` as replays.
    pub fn set_replayed_until(&self, index: u64) {
        self.replayed_until.store(index, Ordering::Relaxed);
    }

    /// Whether the entry at `index` is this node's to record.
    fn records(&self, index: u64) -> bool {
        self.leading.load(Ordering::Relaxed) && index > self.replayed_until.load(Ordering::Relaxed)
    }
}

/// A read-only view of the applied state for the API and status reports.
#[derive(Clone)]
pub struct LedgerReader {
    state: Arc<RwLock<AppliedState>>,
    archive: ArchiveStore,
    events: Arc<EventFeed>,
}

impl LedgerReader {
    /// Locks the applied state for reading. Keep the guard short and never
    /// hold it across an `.await`.
    pub fn read(&self) -> RwLockReadGuard<'_, AppliedState> {
        self.state
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Subscribes to applied commands from now on.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<AppliedEvent> {
        self.events.subscribe()
    }

    /// Subscribes to applied commands from now on, with the kept ones
    /// after the event at `last_seen` (a stream resuming), or the gap.
    pub fn resume(
        &self,
        last_seen: crate::event_feed::EventPosition,
    ) -> (tokio::sync::broadcast::Receiver<AppliedEvent>, Resumed) {
        self.events.resume(last_seen)
    }

    /// An incident the ledger archived, read from this node's archive
    /// store (blocking IO: call it off the async runtime's hot path, for
    /// instance through `spawn_blocking`). `None` if it is not archived or
    /// not yet fetched after a snapshot install.
    pub fn archived_incident(
        &self,
        incident_id: IncidentId,
    ) -> Result<Option<Incident>, ArchiveError> {
        if let Some(incident) = self.read().archiving(incident_id) {
            return Ok(Some(incident.clone()));
        }
        self.archive.incident(incident_id)
    }

    /// The node's archive store.
    pub fn archive(&self) -> &ArchiveStore {
        &self.archive
    }
}

impl StateMachine {
    /// Opens the state machine on the node's database, starting from the
    /// stored snapshot if there is one.
    pub fn open(db: Arc<Database>) -> Result<StateMachine, StorageError> {
        // Counters exist from the start at zero, so a dashboard can tell "none" from "unknown".
        for ring in 1..=4u8 {
            metrics::counter!("cordon_on_scene_target_breaches_total", "ring" => ring.to_string())
                .increment(0);
        }
        for channel in crate::ledger::Channel::ALL {
            metrics::counter!("cordon_incidents_reported_total", "channel" => channel.as_str())
                .increment(0);
        }
        let machine = StateMachine {
            archive: ArchiveStore::new(db.clone()),
            archive_missing: Arc::default(),
            db,
            state: Arc::new(RwLock::new(AppliedState::default())),
            snapshots_built: Arc::new(AtomicU64::new(0)),
            snapshot_bytes: Arc::new(AtomicU64::new(0)),
            snapshot_commands: Arc::new(AtomicU64::new(0)),
            events: Arc::new(EventFeed::new(0)),
            dispatch_metrics: Arc::default(),
        };
        if let Some(stored) = machine.read_stored_snapshot()? {
            machine
                .snapshot_bytes
                .store(stored.data.len() as u64, Ordering::Relaxed);
            let ledger: Ledger = codec::decode_versioned(&stored.data, SNAPSHOT_BYTES_MAX)
                .map_err(|e| StorageIOError::read_snapshot(None, any_error(e)))?;
            machine.note_missing(&ledger)?;
            machine
                .snapshot_commands
                .store(ledger.commands_applied(), Ordering::Relaxed);
            let mut state = machine.write_state();
            state.ledger = ledger;
            state.last_applied = stored.meta.last_log_id;
            state.membership = stored.meta.last_membership.clone();
            machine
                .events
                .skipped_to(stored.meta.last_log_id.map_or(0, |id| id.index));
        }
        Ok(machine)
    }

    /// Notes the batches `ledger`'s archive index names that the store
    /// lacks: after a snapshot install, or a crash that lost unsynced ones.
    fn note_missing(&self, ledger: &Ledger) -> Result<(), StorageError> {
        let missing = self
            .archive
            .missing(ledger.archive_batches())
            .map_err(|e| StorageIOError::read_state_machine(any_error(e)))?;
        if !missing.is_empty() {
            tracing::info!(
                batches = missing.len(),
                "archived batches to fetch from peers"
            );
        }
        *self
            .archive_missing
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = missing;
        Ok(())
    }

    /// Size of the last snapshot built, installed or loaded, in bytes.
    pub fn snapshot_bytes(&self) -> u64 {
        self.snapshot_bytes.load(Ordering::Relaxed)
    }

    /// Commands applied since the last snapshot: the snapshot policy counts
    /// them as well as entries, since an entry may carry many.
    pub fn commands_since_snapshot(&self) -> u64 {
        let applied = self.reader().read().ledger.commands_applied();
        applied.saturating_sub(self.snapshot_commands.load(Ordering::Relaxed))
    }

    /// The archived batches this node still has to fetch from peers.
    pub fn archive_missing(&self) -> Vec<ArchiveBatch> {
        self.archive_missing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// How many archived batches this node still has to fetch.
    pub fn archive_missing_count(&self) -> usize {
        self.archive_missing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    /// Stores a batch fetched from a peer, once it matches the index's
    /// digest, and stops missing it.
    pub fn store_fetched(&self, archived: ArchivedBatch) -> Result<(), ArchiveError> {
        self.archive.write(std::slice::from_ref(&archived))?;
        self.archive_missing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|batch| batch.seq != archived.batch.seq);
        Ok(())
    }

    /// The node's archive store.
    pub fn archive(&self) -> &ArchiveStore {
        &self.archive
    }

    /// The gate on recording dispatch metrics, for the node to set.
    pub fn dispatch_metrics(&self) -> Arc<DispatchMetricsGate> {
        self.dispatch_metrics.clone()
    }

    /// Applies entries to the ledger under the state's lock, and moves what
    /// the ledger archived to the batches on their way to the store.
    fn apply_entries(
        &self,
        entries: impl IntoIterator<Item = Entry>,
    ) -> (Vec<Vec<Applied>>, Vec<AppliedEvent>) {
        let mut state = self.write_state();
        let mut answers = Vec::new();
        let mut published = Vec::new();
        for entry in entries {
            state.last_applied = Some(entry.log_id);
            let index = entry.log_id.index;
            let answer = match entry.payload {
                EntryPayload::Normal(proposal) => {
                    self.apply_proposal(&mut state, index, &proposal, &mut published)
                }
                EntryPayload::Membership(membership) => {
                    state.membership = StoredMembership::new(Some(entry.log_id), membership);
                    vec![raft_internal(index)]
                }
                EntryPayload::Blank => vec![raft_internal(index)],
            };
            answers.push(answer);
        }
        let archived = state.ledger.take_archived();
        state.archiving.extend(archived);
        (answers, published)
    }

    /// Applies one entry's commands in order, each answered on its own.
    fn apply_proposal(
        &self,
        state: &mut AppliedState,
        index: u64,
        proposal: &Proposal,
        published: &mut Vec<AppliedEvent>,
    ) -> Vec<Applied> {
        let records = self.dispatch_metrics.records(index);
        let mut answers = Vec::with_capacity(proposal.commands.len());
        for (slot, command) in (0u32..).zip(&proposal.commands) {
            let answer = state.ledger.apply(index, command);
            if !answer.deduplicated {
                if records {
                    record_dispatch_metrics(&state.ledger, command, &answer.effect);
                }
                published.push(AppliedEvent {
                    index,
                    slot,
                    action: command.action.name(),
                    effect: answer.effect.clone(),
                    incidents: batch_incidents(&command.action),
                });
            }
            answers.push(answer);
        }
        answers
    }

    /// Writes the batches the last apply archived to the store; readers
    /// find them in the applied state until then.
    async fn store_archived(&self) -> Result<(), StorageError> {
        let archiving = {
            let state = self.state.read().unwrap_or_else(|p| p.into_inner());
            if state.archiving.is_empty() {
                return Ok(());
            }
            state.archiving.clone()
        };
        let store = self.archive.clone();
        blocking(move || {
            store
                .write(&archiving)
                .map_err(|e| StorageIOError::write_state_machine(any_error(e)).into())
        })
        .await?;
        self.write_state().archiving.clear();
        Ok(())
    }

    /// A reader sharing this state machine's state.
    pub fn reader(&self) -> LedgerReader {
        LedgerReader {
            state: self.state.clone(),
            archive: self.archive.clone(),
            events: self.events.clone(),
        }
    }

    fn write_state(&self) -> std::sync::RwLockWriteGuard<'_, AppliedState> {
        self.state
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn read_stored_snapshot(&self) -> Result<Option<StoredSnapshot>, StorageError> {
        let txn = self
            .db
            .begin_read()
            .map_err(|e| StorageIOError::read_snapshot(None, any_error(e)))?;
        let table = match txn.open_table(SNAPSHOT) {
            Ok(table) => table,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(StorageIOError::read_snapshot(None, any_error(e)).into()),
        };
        let Some(value) = table
            .get(KEY_CURRENT)
            .map_err(|e| StorageIOError::read_snapshot(None, any_error(e)))?
        else {
            return Ok(None);
        };
        let stored = codec::decode(value.value(), SNAPSHOT_BYTES_MAX + 64 * 1024)
            .map_err(|e| StorageIOError::read_snapshot(None, any_error(e)))?;
        Ok(Some(stored))
    }

    fn save_snapshot(db: &Database, stored: &StoredSnapshot) -> Result<(), StorageError> {
        let signature = Some(stored.meta.signature());
        let bytes = codec::encode(stored)
            .map_err(|e| StorageIOError::write_snapshot(signature.clone(), any_error(e)))?;
        let txn = db
            .begin_write()
            .map_err(|e| StorageIOError::write_snapshot(signature.clone(), any_error(e)))?;
        {
            let mut table = txn
                .open_table(SNAPSHOT)
                .map_err(|e| StorageIOError::write_snapshot(signature.clone(), any_error(e)))?;
            table
                .insert(KEY_CURRENT, bytes.as_slice())
                .map_err(|e| StorageIOError::write_snapshot(signature.clone(), any_error(e)))?;
        }
        txn.commit()
            .map_err(|e| StorageIOError::write_snapshot(signature, any_error(e)))?;
        Ok(())
    }

    async fn persist(&self, stored: StoredSnapshot) -> Result<StoredSnapshot, StorageError> {
        let db = self.db.clone();
        blocking(move || Self::save_snapshot(&db, &stored).map(|()| stored)).await
    }
}

impl RaftSnapshotBuilder<TypeConfig> for StateMachine {
    async fn build_snapshot(&mut self) -> Result<Snapshot<TypeConfig>, StorageError> {
        // Encoding a large ledger takes a while: on the blocking pool, so
        // the node's runtime keeps sending heartbeats meanwhile.
        let state = self.state.clone();
        let started = std::time::Instant::now();
        let (data, last_log_id, last_membership, commands) = blocking(move || {
            let state = state.read().unwrap_or_else(|p| p.into_inner());
            let data = codec::encode_versioned(&state.ledger)
                .map_err(|e| StorageIOError::write_snapshot(None, any_error(e)))?;
            let commands = state.ledger.commands_applied();
            Ok((data, state.last_applied, state.membership.clone(), commands))
        })
        .await?;
        let encode_ms = started.elapsed().as_millis() as u64;
        let built = self.snapshots_built.fetch_add(1, Ordering::Relaxed) + 1;
        let snapshot_id = match last_log_id {
            Some(log_id) => format!("{}-{}-{built}", log_id.leader_id.term, log_id.index),
            None => format!("0-0-{built}"),
        };
        let meta = SnapshotMeta {
            last_log_id,
            last_membership,
            snapshot_id,
        };
        self.snapshot_bytes
            .store(data.len() as u64, Ordering::Relaxed);
        self.snapshot_commands.store(commands, Ordering::Relaxed);
        let stored = self.persist(StoredSnapshot { meta, data }).await?;
        // While the ledger encodes, applies wait: the encode time is their stall.
        tracing::info!(
            snapshot_id = %stored.meta.snapshot_id,
            bytes = stored.data.len(),
            encode_ms,
            total_ms = started.elapsed().as_millis() as u64,
            "built snapshot"
        );
        Ok(Snapshot {
            meta: stored.meta,
            snapshot: Box::new(Cursor::new(stored.data)),
        })
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotBuilder = StateMachine;

    async fn applied_state(&mut self) -> Result<(Option<LogId>, StoredMembership), StorageError> {
        let state = self.state.read().unwrap_or_else(|p| p.into_inner());
        Ok((state.last_applied, state.membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<Vec<Applied>>, StorageError>
    where
        I: IntoIterator<Item = Entry> + Send,
        I::IntoIter: Send,
    {
        let (answers, published) = self.apply_entries(entries);
        self.store_archived().await?;
        for event in published {
            self.events.publish(event);
        }
        Ok(answers)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        self.clone()
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<Cursor<Vec<u8>>>, StorageError> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError> {
        let data = snapshot.into_inner();
        self.snapshot_bytes
            .store(data.len() as u64, Ordering::Relaxed);
        let ledger: Ledger = codec::decode_versioned(&data, SNAPSHOT_BYTES_MAX)
            .map_err(|e| StorageIOError::read_snapshot(Some(meta.signature()), any_error(e)))?;
        // Persist first: once installed, the log before it may be purged.
        self.persist(StoredSnapshot {
            meta: meta.clone(),
            data,
        })
        .await?;
        self.note_missing(&ledger)?;
        self.snapshot_commands
            .store(ledger.commands_applied(), Ordering::Relaxed);
        let mut state = self.write_state();
        state.ledger = ledger;
        state.last_applied = meta.last_log_id;
        state.membership = meta.last_membership.clone();
        // A snapshot's entries publish no events: a stream that resumes
        // from before it has a gap.
        self.events
            .skipped_to(meta.last_log_id.map_or(0, |id| id.index));
        tracing::info!(snapshot_id = %meta.snapshot_id, "installed snapshot");
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot<TypeConfig>>, StorageError> {
        let machine = self.clone();
        let stored = blocking(move || machine.read_stored_snapshot()).await?;
        Ok(stored.map(|stored| Snapshot {
            meta: stored.meta,
            snapshot: Box::new(Cursor::new(stored.data)),
        }))
    }
}

fn raft_internal(index: u64) -> Applied {
    Applied {
        index,
        effect: Effect::RaftInternal,
        deduplicated: false,
    }
}

/// Dispatch events observed as commands apply: incidents reported per
/// channel, report to first assignment, report to first unit on scene, and
/// on-scene target breaches per ring. Times are the proposers' stamps, so
/// they are the same on every node; [`DispatchMetricsGate`] says which node
/// records them.
fn record_dispatch_metrics(ledger: &Ledger, command: &crate::ledger::Command, effect: &Effect) {
    use crate::ledger::{Action, Ring, UnitStatus, UpdateUnitStatus};
    if let (Action::ReportIncident(report), Effect::IncidentReported { .. }) =
        (&command.action, effect)
    {
        metrics::counter!("cordon_incidents_reported_total", "channel" => report.channel.as_str())
            .increment(1);
        return;
    }
    let Effect::IncidentUpdated { incident_id, .. } = effect else {
        if let (
            Action::UpdateUnitStatus(UpdateUnitStatus {
                unit_id,
                status: UnitStatus::OnScene,
                ..
            }),
            Effect::UnitUpdated { .. },
        ) = (&command.action, effect)
        {
            let arrived = ledger
                .unit(unit_id)
                .and_then(|unit| unit.assigned_to)
                .and_then(|id| ledger.incident(id))
                .filter(|incident| incident.on_scene_at_ms == Some(command.proposed_at_ms));
            if let Some(incident) = arrived {
                let ring = incident.ring.map_or(0, Ring::number).to_string();
                let seconds = command
                    .proposed_at_ms
                    .saturating_sub(incident.reported_at_ms) as f64
                    / 1_000.0;
                metrics::histogram!("cordon_on_scene_seconds", "ring" => ring.clone())
                    .record(seconds);
                let target_s = incident.target_s.map(f64::from).unwrap_or(f64::MAX);
                metrics::histogram!("cordon_on_scene_vs_target_ratio", "ring" => ring.clone())
                    .record(seconds / target_s);
                if seconds > target_s {
                    metrics::counter!("cordon_on_scene_target_breaches_total", "ring" => ring)
                        .increment(1);
                }
            }
        }
        return;
    };
    if matches!(
        command.action,
        Action::AssignUnit(_) | Action::ReassignUnit(_)
    ) {
        if let Some(incident) = ledger
            .incident(*incident_id)
            .filter(|i| i.assignments.len() == 1)
        {
            let seconds = command
                .proposed_at_ms
                .saturating_sub(incident.reported_at_ms) as f64
                / 1_000.0;
            metrics::histogram!("cordon_report_to_assignment_seconds").record(seconds);
        }
    }
}
