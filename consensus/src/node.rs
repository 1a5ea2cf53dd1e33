//! One consensus node: the redb store, the state machine, the QUIC transport
//! and openraft, wired together, plus the operations callers need: write
//! (forwarded to the leader), linearizable read barrier, status and
//! membership changes.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use cordon_config::ClusterConfig;
use openraft::error::{CheckIsLeaderError, ClientWriteError, RaftError};
use openraft::raft::AppendEntriesResponse;
use openraft::{ChangeMembers, ServerState, SnapshotPolicy};
use quinn::AsyncUdpSocket;
use tokio::time::Instant;

use crate::election::{self, ElectionTimer, PreVote};
use crate::error::{AdminError, WriteError};
use crate::handshake::HandshakeLimits;
use crate::ledger::{
    Action, Applied, AuthError, Command, Incident, Origin, Principal, RecordOperatorAction,
    RequestId, RetireNodeId,
};
use crate::log_store::{
    open_database, refuse_legacy_log, FsSegmentDir, LogStore, SegmentDir, WriteMode, SEGMENT_BYTES,
};
use crate::network::NetworkFactory;
use crate::proposer::Proposer;
use crate::state_machine::{LedgerReader, StateMachine};
use crate::status::{ClusterStatus, MemberStatus};
use crate::tls::{ClientCertAuthority, PeerIdentity, TlsIdentity};
use crate::transport::{RequestHandler, RpcError, Transport, TransportConfig};
use crate::types::{NodeAddr, NodeId, Raft};
use crate::wire::{
    AdminOp, LedgerAnswer, LedgerQuery, MembershipChange, Proof, Refusal, Request, Response,
};

/// Pause between attempts while a leader is being elected.
const LEADER_WAIT_MS: u64 = 50;

/// Errors starting a node. All are fatal: the node does not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The node id is not in the cluster file.
    #[error("node {0} is not in the cluster file (fix: pass an id listed under [[nodes]])")]
    UnknownNode(NodeId),
    /// The data folder or database could not be opened.
    #[error("open storage at {path}: {reason}")]
    Storage {
        /// The file or folder.
        path: String,
        /// What failed.
        reason: String,
    },
    /// Certificates could not be loaded.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    /// The QUIC endpoint could not start.
    #[error(transparent)]
    Transport(#[from] crate::transport::TransportError),
    /// openraft refused to start.
    #[error("start raft: {0}")]
    Raft(String),
}

/// Options that tests and simulations set; production uses the defaults.
#[derive(Default)]
pub struct NodeOptions {
    /// A UDP socket to run QUIC over instead of binding `quic_addr`.
    pub socket: Option<Arc<dyn AsyncUdpSocket>>,
    /// A fixed election timeout instead of the cluster file's range.
    /// openraft draws each timeout from an unseeded thread RNG; the
    /// deterministic simulation gives each node its own fixed timeout,
    /// drawn from the run's seed, so a seed replays the same elections.
    pub election_timeout_ms: Option<u64>,
    /// Seed of the QUIC endpoint's randomness (connection ids, tokens), for
    /// the deterministic simulation; `None` draws from the OS.
    pub quic_rng_seed: Option<[u8; 32]>,
    /// A database to keep snapshots in instead of the node's `ledger.redb`
    /// file (the simulation's disk that forgets unsynced writes at a crash).
    pub database: Option<Arc<redb::Database>>,
    /// A directory to keep the Raft log's segments in instead of the
    /// node's `raft-log/` (the simulation's disks), and the size of its
    /// segments instead of [`SEGMENT_BYTES`].
    pub log_dir: Option<(Arc<dyn SegmentDir>, u64)>,
    /// The clock the node and its actors stamp commands with, instead of
    /// the wall clock: the deterministic simulation's simulated time.
    pub clock: Option<Clock>,
}

/// Unix milliseconds from some clock: the wall clock in production, the
/// simulated clock in the deterministic simulation.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// A running consensus node.
pub struct ConsensusNode {
    id: NodeId,
    cluster: ClusterConfig,
    raft: Raft,
    transport: Arc<Transport>,
    reader: LedgerReader,
    committed_index: Arc<AtomicU64>,
    write_timeout: Duration,
    rpc_timeout: Duration,
    clock: Clock,
    /// Verifies API clients' certificates against the cluster CA.
    client_certs: ClientCertAuthority,
    /// When this node last heard from a leader; drives its pre-votes.
    election_timer: Arc<ElectionTimer>,
    /// The Raft log, for the last log id a pre-vote compares.
    log: LogStore,
    /// The state machine openraft drives, for the archive's batches.
    state_machine: StateMachine,
    /// Writes go through it, so those that arrive together share an entry.
    proposer: Proposer,
}

/// The openraft configuration for a cluster file's timing and limits, with
/// elections left to [`crate::election`] (pre-vote first) whose shortest
/// timeout is `election_timeout_ms_min`: openraft's timer is off, and its
/// leader lease (its `election_timeout_max`) ends just before that timeout,
/// so a vote that follows a granted pre-vote is not refused by the lease.
pub fn raft_config(
    cluster: &ClusterConfig,
    election_timeout_ms_min: u64,
) -> Result<openraft::Config, StartError> {
    let timing = cluster.raft();
    let limits = cluster.limits();
    // openraft needs heartbeat < its min < its max.
    let lease_ms = election_timeout_ms_min
        .saturating_sub(1)
        .max(timing.heartbeat_interval_ms + 2);
    let config = openraft::Config {
        cluster_name: cluster.name().to_string(),
        heartbeat_interval: timing.heartbeat_interval_ms,
        enable_elect: false,
        election_timeout_min: lease_ms - 1,
        election_timeout_max: lease_ms,
        install_snapshot_timeout: timing.install_snapshot_timeout_ms,
        // Snapshots are triggered by crate::snapshot_policy, which scales
        // the threshold with the snapshot's size.
        snapshot_policy: SnapshotPolicy::Never,
        max_in_snapshot_log_to_keep: timing.logs_kept_after_snapshot_max,
        max_payload_entries: timing.entries_per_append_max,
        snapshot_max_chunk_size: u64::from(limits.snapshot_chunk_bytes_max),
        ..Default::default()
    };
    config
        .validate()
        .map_err(|e| StartError::Raft(e.to_string()))
}

/// Opens the Raft log in `data_dir/raft-log`, or in the directory given.
fn open_log(
    data_dir: &std::path::Path,
    given: Option<(Arc<dyn SegmentDir>, u64)>,
) -> Result<LogStore, StartError> {
    let log_path = data_dir.join("raft-log");
    let log_error = |reason: String| StartError::Storage {
        path: log_path.display().to_string(),
        reason,
    };
    let (dir, segment_bytes) = match given {
        Some(given) => given,
        None => {
            let dir = FsSegmentDir::open(&log_path).map_err(|e| log_error(e.to_string()))?;
            (Arc::new(dir) as Arc<dyn SegmentDir>, SEGMENT_BYTES)
        }
    };
    LogStore::open(dir, segment_bytes, WriteMode::for_current_runtime())
        .map_err(|e| log_error(e.to_string()))
}

impl ConsensusNode {
    /// Opens storage, binds the endpoint, starts Raft and, on the very first
    /// start of a fresh cluster, initialises the membership (done once, by
    /// the lowest-id voter).
    #[expect(clippy::too_many_lines, reason = "predates the line limit")]
    pub async fn start(
        cluster: &ClusterConfig,
        id: NodeId,
        options: NodeOptions,
    ) -> Result<Arc<ConsensusNode>, StartError> {
        let spec = cluster.node(id).ok_or(StartError::UnknownNode(id))?;
        let data_dir = cluster.node_data_dir(id);
        std::fs::create_dir_all(&data_dir).map_err(|e| StartError::Storage {
            path: data_dir.display().to_string(),
            reason: e.to_string(),
        })?;
        let db_path = data_dir.join("ledger.redb");
        let storage_error = |reason: String| StartError::Storage {
            path: db_path.display().to_string(),
            reason,
        };
        let db = match options.database {
            Some(db) => db,
            None => open_database(&db_path).map_err(|e| storage_error(e.to_string()))?,
        };
        refuse_legacy_log(&db).map_err(storage_error)?;
        let log_store = open_log(&data_dir, options.log_dir)?;
        let state_machine = StateMachine::open(db).map_err(|e| storage_error(e.to_string()))?;
        let committed_index = log_store.committed_index();
        let dispatch_metrics = state_machine.dispatch_metrics();
        // Whatever this node applied before it stopped is in its log.
        dispatch_metrics.set_replayed_until(log_store.last_log_id().map_or(0, |id| id.index));
        let reader = state_machine.reader();
        let machine = state_machine.clone();

        let identity = TlsIdentity::load(
            cluster.name(),
            PeerIdentity::Node(id),
            &cluster.tls().ca_cert,
            &cluster.tls().cert_dir,
        )?;
        let client_certs = ClientCertAuthority::load(cluster.name(), &cluster.tls().ca_cert)?;
        let limits = cluster.limits();
        let transport = Transport::bind(
            &identity,
            TransportConfig {
                bind_addr: spec.quic_addr,
                frame_bytes_max: limits.frame_bytes_max as usize,
                idle_timeout: Duration::from_millis(limits.quic_idle_timeout_ms),
                keep_alive: Duration::from_millis(limits.quic_keep_alive_ms),
                connections_max: limits.quic_connections_max as usize,
                handshakes: HandshakeLimits::from_limits(limits),
                streams_per_connection_max: limits.quic_streams_per_connection_max,
                connect_timeout: Duration::from_millis(limits.rpc_timeout_ms),
                socket: options.socket,
                rng_seed: options.quic_rng_seed,
            },
        )?;
        let network = NetworkFactory {
            node_id: id,
            transport: transport.clone(),
        };
        let timing = cluster.raft();
        let election_timer = Arc::new(match options.election_timeout_ms {
            Some(pinned) => ElectionTimer::new(pinned, pinned),
            None => ElectionTimer::new(
                timing.election_timeout_ms_min,
                timing.election_timeout_ms_max,
            ),
        });
        let config = raft_config(cluster, election_timer.shortest_timeout_ms())?;
        let log = log_store.clone();
        let raft = Raft::new(id, Arc::new(config), network, log_store, state_machine)
            .await
            .map_err(|e| StartError::Raft(e.to_string()))?;

        let proposer = Proposer::start(raft.clone());
        let node = Arc::new(ConsensusNode {
            id,
            cluster: cluster.clone(),
            raft,
            transport: transport.clone(),
            reader,
            client_certs,
            committed_index,
            write_timeout: Duration::from_millis(limits.client_write_timeout_ms),
            rpc_timeout: Duration::from_millis(limits.rpc_timeout_ms),
            clock: options.clock.unwrap_or_else(|| Arc::new(unix_millis)),
            election_timer: election_timer.clone(),
            log,
            state_machine: machine,
            proposer,
        });
        transport.serve(Arc::new(NodeHandler(Arc::downgrade(&node))));
        tokio::spawn(election::run(Arc::downgrade(&node), election_timer));
        tokio::spawn(follow_leadership(node.raft.metrics(), dispatch_metrics));
        tokio::spawn(crate::archive_fetch::run(Arc::downgrade(&node)));
        tokio::spawn(crate::snapshot_policy::run(
            Arc::downgrade(&node),
            timing.snapshot_logs_since_last,
            timing.logs_kept_after_snapshot_max,
        ));
        node.initialize_once().await?;
        tracing::info!(node_id = id, quic_addr = %spec.quic_addr, "consensus node started");
        Ok(node)
    }

    async fn initialize_once(&self) -> Result<(), StartError> {
        let initialized = self
            .raft
            .is_initialized()
            .await
            .map_err(|e| StartError::Raft(e.to_string()))?;
        let voters = self.cluster.initial_voters();
        if initialized || voters.first() != Some(&self.id) {
            return Ok(());
        }
        let members: BTreeMap<NodeId, NodeAddr> = voters
            .iter()
            .filter_map(|id| self.cluster.node(*id))
            .map(|spec| (spec.id, node_addr(spec)))
            .collect();
        match self.raft.initialize(members).await {
            Ok(()) => tracing::info!(voters = ?voters, "initialised cluster membership"),
            Err(error) => {
                tracing::info!(%error, "membership already initialised; not initialising again")
            }
        }
        Ok(())
    }

    /// This node's id.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// Unix milliseconds by this node's clock: what commands proposed here
    /// are stamped with.
    pub fn now_ms(&self) -> u64 {
        (self.clock)()
    }

    /// The cluster configuration this node runs with.
    pub fn cluster(&self) -> &ClusterConfig {
        &self.cluster
    }

    /// The openraft handle (metrics, waits).
    pub fn raft(&self) -> &Raft {
        &self.raft
    }

    /// A read view of the local ledger. Call [`Self::read_barrier`] first
    /// when the read decides anything.
    pub fn ledger(&self) -> &LedgerReader {
        &self.reader
    }

    /// Whether `id` is a voter of the membership this node knows.
    pub(crate) fn is_voter(&self, id: NodeId) -> bool {
        let metrics = self.raft.metrics();
        let is_voter = metrics
            .borrow()
            .membership_config
            .membership()
            .voter_ids()
            .any(|voter| voter == id);
        is_voter
    }

    /// The last other leader this node heard from (an append it sent), and
    /// when.
    pub fn last_leader_heard(&self) -> Option<(NodeId, Instant)> {
        self.election_timer.last_leader()
    }

    /// When this node last heard from a leader.
    pub(crate) fn election_timer(&self) -> &ElectionTimer {
        &self.election_timer
    }

    /// The last entry in this node's log (flushed or not).
    pub(crate) fn last_log_id(&self) -> Option<crate::types::LogId> {
        self.log.last_log_id()
    }

    /// Asks `peer` for a pre-vote, within the shortest election timeout.
    pub(crate) fn ask_pre_vote(
        &self,
        peer: NodeId,
        request: PreVote,
    ) -> impl std::future::Future<Output = bool> + Send + 'static {
        let transport = self.transport.clone();
        let addr = self.member_quic_addr(peer);
        let within =
            Duration::from_millis(self.election_timer.shortest_timeout_ms()).min(self.rpc_timeout);
        async move {
            let Some(addr) = addr else {
                return false;
            };
            let answer = transport
                .call(peer, addr, Request::PreVote(request), within)
                .await;
            matches!(answer, Ok(Response::PreVote(true)))
        }
    }

    /// The Raft log, for the snapshot policy's purge.
    pub(crate) fn log_store(&self) -> &LogStore {
        &self.log
    }

    /// The state machine, for the archive's batches.
    pub(crate) fn state_machine(&self) -> &StateMachine {
        &self.state_machine
    }

    /// Archived batches this node still has to fetch from its peers (after
    /// a snapshot install); 0 when its archive is whole.
    pub fn archive_batches_missing(&self) -> usize {
        self.state_machine.archive_missing_count()
    }

    /// The other members, the leader first.
    pub(crate) fn peers_leader_first(&self) -> Vec<NodeId> {
        let metrics = self.raft.metrics().borrow().clone();
        let mut peers: Vec<NodeId> = metrics
            .membership_config
            .membership()
            .nodes()
            .map(|(id, _)| *id)
            .filter(|id| *id != self.id)
            .collect();
        peers.sort_by_key(|id| (Some(*id) != metrics.current_leader, *id));
        peers
    }

    /// Sends `request` to member `peer` within the RPC timeout; `None` if
    /// it is not a member or did not answer.
    pub(crate) async fn call_peer(&self, peer: NodeId, request: Request) -> Option<Response> {
        let addr = self.member_quic_addr(peer)?;
        self.transport
            .call(peer, addr, request, self.rpc_timeout)
            .await
            .ok()
    }

    /// Part of an archived batch for a peer fetching it.
    async fn serve_archive_fetch(&self, seq: u64, skip: u64) -> Option<Vec<Incident>> {
        let batch = {
            let state = self.reader.read();
            let index = usize::try_from(seq.checked_sub(1)?).ok()?;
            state.ledger.archive_batches().get(index)?.clone()
        };
        let store = self.reader.archive().clone();
        let bytes_max = self.cluster.limits().snapshot_chunk_bytes_max as usize;
        let skip = usize::try_from(skip).ok()?;
        let part =
            crate::log_store::off_runtime(move || store.batch_part(&batch, skip, bytes_max)).await;
        match part {
            Ok(Ok(part)) => part,
            Ok(Err(error)) => {
                tracing::warn!(%error, seq, "archive batch not served");
                None
            }
            Err(_) => None,
        }
    }

    /// The leader this node currently knows of.
    pub fn leader(&self) -> Option<NodeId> {
        self.raft.metrics().borrow().current_leader
    }

    /// Proposes a command and waits until it is committed and applied,
    /// forwarding to the leader when this node is not it. Retries through
    /// elections until the write deadline; the request id makes retries safe.
    pub async fn write(&self, command: Command) -> Result<Applied, WriteError> {
        self.write_proved(command, None).await
    }

    /// [`Self::write`] of an API client's command, with the proof of its
    /// credential: the leader checks it again before proposing, so a write
    /// forwarded by another node is its author's or nothing.
    pub async fn write_as(&self, command: Command, proof: Proof) -> Result<Applied, WriteError> {
        self.write_proved(command, Some(proof)).await
    }

    async fn write_proved(
        &self,
        command: Command,
        proof: Option<Proof>,
    ) -> Result<Applied, WriteError> {
        command
            .check()
            .map_err(|rejection| WriteError::Invalid { rejection })?;
        let deadline = Instant::now() + self.write_timeout;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(WriteError::Timeout {
                    after_ms: self.write_timeout.as_millis() as u64,
                });
            }
            let error = match self
                .write_here(command.clone(), proof.as_ref(), remaining)
                .await
            {
                Ok(applied) => return Ok(applied),
                Err(WriteError::NotLeader {
                    leader_id: Some(leader),
                    ..
                }) if leader != self.id => {
                    // Each forward gets one RPC deadline, so a leader that just
                    // became unreachable costs one deadline, not the whole budget;
                    // the retry carries the same request id.
                    let within = remaining.min(self.rpc_timeout);
                    let forwarded = tokio::select! {
                        forwarded = self.forward_write(leader, command.clone(), proof.clone(), within) => forwarded,
                        () = self.leader_replaced(leader) => Err(WriteError::Unreachable {
                            reason: format!("leader {leader} was replaced while the write waited on it"),
                        }),
                    };
                    match forwarded {
                        Ok(applied) => return Ok(applied),
                        Err(WriteError::Timeout { .. }) if within < remaining => {
                            WriteError::Unreachable {
                                reason: format!(
                                    "leader {leader} did not answer within {} ms",
                                    within.as_millis()
                                ),
                            }
                        }
                        Err(error) => error,
                    }
                }
                Err(error) => error,
            };
            match error {
                WriteError::NotLeader { .. }
                | WriteError::NoLeader
                | WriteError::Unreachable { .. } => {
                    self.leader_news(Duration::from_millis(LEADER_WAIT_MS).min(remaining))
                        .await;
                }
                other => return Err(other),
            }
        }
    }

    /// Returns once this node no longer takes `leader` for the leader (it
    /// voted in an election, or heard from a newer leader): a request
    /// waiting on the old leader goes to the new one at once instead of
    /// waiting out its deadline on a dead or cut-off node.
    async fn leader_replaced(&self, leader: NodeId) {
        let mut metrics = self.raft.metrics();
        loop {
            if metrics.borrow_and_update().current_leader != Some(leader) {
                return;
            }
            if metrics.changed().await.is_err() {
                // Raft has shut down: the request's own deadline ends it.
                std::future::pending::<()>().await;
            }
        }
    }

    /// Waits up to `within` for this node to learn of a leader (a vote, an
    /// election's outcome), so a retry goes out as soon as there is
    /// somewhere to send it.
    async fn leader_news(&self, within: Duration) {
        let mut metrics = self.raft.metrics();
        let known = metrics.borrow_and_update().current_leader;
        let changed = async {
            while metrics.changed().await.is_ok() {
                let leader = metrics.borrow_and_update().current_leader;
                if leader.is_some() && leader != known {
                    return;
                }
            }
            std::future::pending::<()>().await;
        };
        // Either way the caller retries: the timeout is not an error.
        let _ = tokio::time::timeout(within, changed).await;
    }

    /// Proposes on this node only; a follower answers `NotLeader`. An API
    /// client's command is proposed only if `proof` proves the principal it
    /// names.
    async fn write_here(
        &self,
        command: Command,
        proof: Option<&Proof>,
        within: Duration,
    ) -> Result<Applied, WriteError> {
        if let Origin::Api { principal, .. } = &command.origin {
            self.check_author(principal, proof)?;
        }
        match tokio::time::timeout(within, self.proposer.propose(command)).await {
            Err(_) => Err(WriteError::Timeout {
                after_ms: within.as_millis() as u64,
            }),
            Ok(Ok(applied)) => Ok(applied),
            Ok(Err(RaftError::APIError(ClientWriteError::ForwardToLeader(forward)))) => {
                Err(match forward.leader_id {
                    Some(leader_id) => WriteError::NotLeader {
                        leader_id: Some(leader_id),
                        leader_api_addr: forward.leader_node.map(|node| node.api_addr),
                    },
                    None => WriteError::NoLeader,
                })
            }
            Ok(Err(RaftError::APIError(ClientWriteError::ChangeMembershipError(e)))) => {
                Err(WriteError::Fatal {
                    reason: e.to_string(),
                })
            }
            Ok(Err(RaftError::Fatal(fatal))) => Err(WriteError::Fatal {
                reason: fatal.to_string(),
            }),
        }
    }

    /// Checks that `proof` proves `principal`, against this node's ledger.
    fn check_author(&self, principal: &Principal, proof: Option<&Proof>) -> Result<(), WriteError> {
        let proved = match proof {
            None => Err(AuthError::Missing),
            Some(proof) => self.authenticate(proof),
        }
        .map_err(|error| WriteError::Unauthenticated { error })?;
        if &proved != principal {
            return Err(WriteError::Unauthenticated {
                error: AuthError::NotTheAuthor {
                    claimed: principal.to_string(),
                    proved: proved.to_string(),
                },
            });
        }
        Ok(())
    }

    /// The principal a client's proof names, by this node's ledger and clock.
    /// A token unknown here may be one this node has not applied yet: call
    /// [`Self::read_barrier`] first where that matters.
    pub fn authenticate(&self, proof: &Proof) -> Result<Principal, AuthError> {
        match proof {
            Proof::Token(bearer) => self
                .reader
                .read()
                .ledger
                .authenticate_token(bearer, self.now_ms()),
            Proof::Certificate(der) => self.certificate_principal(der),
        }
    }

    /// The principal a client certificate names, once it verifies against
    /// the cluster CA.
    fn certificate_principal(&self, der: &[u8]) -> Result<Principal, AuthError> {
        let refused = |why: String| AuthError::BadCertificate { why };
        let cert = self.client_certs.verify(der).map_err(refused)?;
        if !crate::ledger::access::name_is_valid(&cert.name) {
            return Err(refused(format!(
                "its principal {:?} is not a valid name",
                cert.name
            )));
        }
        let roles = cert
            .roles
            .iter()
            .map(|role| role.parse())
            .collect::<Result<Vec<_>, String>>()
            .map_err(refused)?;
        if roles.is_empty() {
            return Err(refused("it names no role".to_string()));
        }
        Ok(Principal {
            name: cert.name,
            roles,
            credential: crate::ledger::Credential::Certificate {
                fingerprint: cert.fingerprint,
            },
        })
    }

    /// The verifier of API clients' certificates (for the API's TLS server).
    pub fn client_cert_authority(&self) -> &ClientCertAuthority {
        &self.client_certs
    }

    async fn forward_write(
        &self,
        leader: NodeId,
        command: Command,
        proof: Option<Proof>,
        within: Duration,
    ) -> Result<Applied, WriteError> {
        let Some(addr) = self.member_quic_addr(leader) else {
            return Err(WriteError::NoLeader);
        };
        match self
            .transport
            .call(leader, addr, Request::ClientWrite(command, proof), within)
            .await
        {
            Ok(Response::ClientWrite(result)) => result,
            Ok(other) => Err(WriteError::Unreachable {
                reason: format!("leader answered {:?}", std::mem::discriminant(&other)),
            }),
            Err(RpcError::Timeout { after_ms, .. }) => Err(WriteError::Timeout { after_ms }),
            Err(error) => Err(WriteError::Unreachable {
                reason: error.to_string(),
            }),
        }
    }

    fn member_quic_addr(&self, id: NodeId) -> Option<SocketAddr> {
        let metrics = self.raft.metrics().borrow().clone();
        let node = metrics
            .membership_config
            .membership()
            .get_node(&id)?
            .clone();
        node.quic_addr.parse().ok()
    }

    /// Waits until this node's ledger reflects every write committed before
    /// the call (read index through the leader). Reads after it are
    /// linearizable.
    pub async fn read_barrier(&self) -> Result<(), WriteError> {
        let deadline = Instant::now() + self.write_timeout;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(WriteError::Timeout {
                    after_ms: self.write_timeout.as_millis() as u64,
                });
            }
            let index = match self.read_index_here(remaining).await {
                Err(WriteError::NotLeader {
                    leader_id: Some(leader),
                    ..
                }) if leader != self.id => tokio::select! {
                    index = self.read_index_from(leader, remaining) => index,
                    () = self.leader_replaced(leader) => Err(WriteError::Unreachable {
                        reason: format!("leader {leader} was replaced while the read waited on it"),
                    }),
                },
                other => other,
            };
            match index {
                Ok(index) => {
                    return self
                        .raft
                        .wait(Some(deadline.saturating_duration_since(Instant::now())))
                        .applied_index_at_least(Some(index), "read barrier")
                        .await
                        .map(|_| ())
                        .map_err(|_| WriteError::Timeout {
                            after_ms: self.write_timeout.as_millis() as u64,
                        })
                }
                Err(
                    WriteError::NotLeader { .. }
                    | WriteError::NoLeader
                    | WriteError::Unreachable { .. },
                ) => {
                    self.leader_news(Duration::from_millis(LEADER_WAIT_MS).min(remaining))
                        .await;
                }
                Err(other) => return Err(other),
            }
        }
    }

    /// On the leader: confirms leadership with a quorum and returns the
    /// index a linearizable read must wait for.
    async fn read_index_here(&self, within: Duration) -> Result<u64, WriteError> {
        match tokio::time::timeout(within, self.raft.get_read_log_id()).await {
            Err(_) => Err(WriteError::Timeout {
                after_ms: within.as_millis() as u64,
            }),
            Ok(Ok((read_log_id, _applied))) => Ok(read_log_id.map_or(0, |id| id.index)),
            Ok(Err(RaftError::APIError(CheckIsLeaderError::ForwardToLeader(forward)))) => {
                Err(match forward.leader_id {
                    Some(leader_id) => WriteError::NotLeader {
                        leader_id: Some(leader_id),
                        leader_api_addr: forward.leader_node.map(|node| node.api_addr),
                    },
                    None => WriteError::NoLeader,
                })
            }
            Ok(Err(RaftError::APIError(CheckIsLeaderError::QuorumNotEnough(e)))) => {
                Err(WriteError::Unreachable {
                    reason: e.to_string(),
                })
            }
            Ok(Err(RaftError::Fatal(fatal))) => Err(WriteError::Fatal {
                reason: fatal.to_string(),
            }),
        }
    }

    async fn read_index_from(&self, leader: NodeId, within: Duration) -> Result<u64, WriteError> {
        let Some(addr) = self.member_quic_addr(leader) else {
            return Err(WriteError::NoLeader);
        };
        match self
            .transport
            .call(
                leader,
                addr,
                Request::ReadIndex,
                within.min(self.rpc_timeout * 2),
            )
            .await
        {
            Ok(Response::ReadIndex(result)) => result,
            Ok(_) => Err(WriteError::Unreachable {
                reason: "leader answered a read index with something else".into(),
            }),
            Err(error) => Err(WriteError::Unreachable {
                reason: error.to_string(),
            }),
        }
    }

    /// Pings a member over QUIC; true when it answered within `within`.
    /// The placement controller's heartbeat: liveness from replies, never
    /// from connection state.
    pub async fn ping(&self, target: NodeId, within: Duration) -> bool {
        if target == self.id {
            return true;
        }
        let Some(addr) = self.member_quic_addr(target) else {
            return false;
        };
        matches!(
            self.transport
                .call(target, addr, Request::Ping, within)
                .await,
            Ok(Response::Pong)
        )
    }

    /// Open QUIC connections by peer address, with their RTT.
    pub fn connection_stats(&self) -> Vec<(SocketAddr, Duration)> {
        self.transport.connection_stats()
    }

    /// The last committed index this node knows of.
    pub fn committed_index(&self) -> Option<u64> {
        let committed = self.committed_index.load(Ordering::Relaxed);
        (committed > 0).then_some(committed)
    }

    /// The ids of the current members (voters and learners).
    pub fn member_ids(&self) -> Vec<NodeId> {
        let metrics = self.raft.metrics().borrow().clone();
        metrics
            .membership_config
            .membership()
            .nodes()
            .map(|(id, _)| *id)
            .collect()
    }

    /// This node's view of the cluster.
    pub fn status(&self) -> ClusterStatus {
        let metrics = self.raft.metrics().borrow().clone();
        let membership = metrics.membership_config.membership();
        let voters: BTreeSet<NodeId> = membership.voter_ids().collect();
        let last_log_index = metrics.last_log_index;
        let members = membership
            .nodes()
            .map(|(id, addr)| {
                let matched_index = metrics
                    .replication
                    .as_ref()
                    .and_then(|replication| replication.get(id).copied().flatten())
                    .map(|log_id| log_id.index);
                let matched_index = if metrics.state == ServerState::Leader && *id == self.id {
                    last_log_index
                } else {
                    matched_index
                };
                MemberStatus {
                    id: *id,
                    name: addr.name.clone(),
                    quic_addr: addr.quic_addr.clone(),
                    api_addr: addr.api_addr.clone(),
                    voter: voters.contains(id),
                    matched_index,
                    lag: match (last_log_index, matched_index, &metrics.replication) {
                        (Some(last), Some(matched), Some(_)) => Some(last.saturating_sub(matched)),
                        (Some(last), None, Some(_)) => Some(last),
                        _ => None,
                    },
                }
            })
            .collect();
        let committed = self.committed_index.load(Ordering::Relaxed);
        ClusterStatus {
            cluster: self.cluster.name().to_string(),
            node_id: self.id,
            role: match metrics.state {
                ServerState::Leader => "leader",
                ServerState::Follower => "follower",
                ServerState::Candidate => "candidate",
                ServerState::Learner => "learner",
                ServerState::Shutdown => "shutdown",
            }
            .to_string(),
            leader_id: metrics.current_leader,
            term: metrics.current_term,
            last_log_index,
            committed_index: (committed > 0).then_some(committed),
            applied_index: metrics.last_applied.map(|id| id.index),
            snapshot_index: metrics.snapshot.map(|id| id.index),
            millis_since_quorum_ack: metrics.millis_since_quorum_ack,
            members,
        }
    }

    /// Applies a membership change on the leader.
    #[expect(clippy::too_many_lines, reason = "predates the line limit")]
    pub async fn change_membership(&self, change: MembershipChange) -> Result<u64, AdminError> {
        let metrics = self.raft.metrics().borrow().clone();
        if metrics.current_leader != Some(self.id) {
            return Err(AdminError::NotLeader {
                leader_id: metrics.current_leader,
            });
        }
        let membership = metrics.membership_config.membership().clone();
        let is_member = |id: NodeId| membership.get_node(&id).is_some();
        let note = RecordOperatorAction {
            action: change.audit_name().to_string(),
            detail: format!("{change:?}"),
        };
        let result = match change {
            MembershipChange::AddLearner { node_id, addr } => {
                if is_member(node_id) {
                    return Err(AdminError::Refused {
                        reason: format!("node {node_id} is already a member"),
                    });
                }
                if self.reader.read().ledger.is_retired_node_id(node_id) {
                    return Err(AdminError::Refused {
                        reason: format!(
                            "node id {node_id} belonged to a removed node and is never reused: pick a new id"
                        ),
                    });
                }
                if addr.quic_addr.parse::<SocketAddr>().is_err() {
                    return Err(AdminError::Refused {
                        reason: format!("quic address {:?} is not host:port", addr.quic_addr),
                    });
                }
                self.raft.add_learner(node_id, addr, true).await
            }
            MembershipChange::Promote { node_id } => {
                if !is_member(node_id) {
                    return Err(AdminError::Refused {
                        reason: format!(
                            "node {node_id} is not a member: add it as a learner first"
                        ),
                    });
                }
                self.raft
                    .change_membership(ChangeMembers::AddVoterIds(BTreeSet::from([node_id])), false)
                    .await
            }
            MembershipChange::Remove { node_id } => {
                if !is_member(node_id) {
                    return Err(AdminError::Refused {
                        reason: format!("node {node_id} is not a member"),
                    });
                }
                let voters: BTreeSet<NodeId> = membership.voter_ids().collect();
                if voters.contains(&node_id) && voters.len() <= 1 {
                    return Err(AdminError::Refused {
                        reason: "cannot remove the last voter".into(),
                    });
                }
                self.retire_node_id(node_id).await?;
                let change = if voters.contains(&node_id) {
                    ChangeMembers::RemoveVoters(BTreeSet::from([node_id]))
                } else {
                    ChangeMembers::RemoveNodes(BTreeSet::from([node_id]))
                };
                self.raft.change_membership(change, false).await
            }
        };
        match result {
            Ok(response) => {
                let index = response.log_id.index;
                self.record_operator_action(note, index).await?;
                Ok(index)
            }
            Err(RaftError::APIError(ClientWriteError::ForwardToLeader(forward))) => {
                Err(AdminError::NotLeader {
                    leader_id: forward.leader_id,
                })
            }
            Err(error) => Err(AdminError::Failed {
                reason: error.to_string(),
            }),
        }
    }

    /// Notes a membership change, done at log `index`, in the operator audit log.
    async fn record_operator_action(
        &self,
        note: RecordOperatorAction,
        index: u64,
    ) -> Result<(), AdminError> {
        let command = Command::new(
            RequestId(format!("audit-{}-{index}", note.action)),
            self.now_ms(),
            Origin::Operator,
            Action::RecordOperatorAction(note),
        );
        self.write_here(command, None, self.write_timeout)
            .await
            .map(|_| ())
            .map_err(|e| AdminError::Failed {
                reason: format!(
                    "the change is done (log index {index}) but noting it in the audit log failed: {e}"
                ),
            })
    }

    async fn retire_node_id(&self, node_id: NodeId) -> Result<(), AdminError> {
        let command = Command::new(
            RequestId(format!("retire-node-{node_id}")),
            self.now_ms(),
            Origin::Operator,
            Action::RetireNodeId(RetireNodeId { node_id }),
        );
        // Proposed here, never forwarded: the leader refuses an operator
        // write that a member forwards.
        self.write_here(command, None, self.write_timeout)
            .await
            .map(|_| ())
            .map_err(|e| AdminError::Failed {
                reason: format!("record node id {node_id} as retired: {e}"),
            })
    }

    /// An operator's read of the ledger's access records, linearizable.
    async fn read_ledger(&self, query: LedgerQuery) -> Result<LedgerAnswer, WriteError> {
        self.read_barrier().await?;
        let state = self.reader.read();
        Ok(match query {
            LedgerQuery::Tokens => LedgerAnswer::Tokens(state.ledger.tokens().cloned().collect()),
            LedgerQuery::OperatorAudit => {
                LedgerAnswer::OperatorAudit(state.ledger.operator_audit().to_vec())
            }
        })
    }

    /// Runs an operator's admin operation on this node.
    pub async fn admin(&self, op: AdminOp) -> Result<String, AdminError> {
        let failed = |e: openraft::error::Fatal<NodeId>| AdminError::Failed {
            reason: e.to_string(),
        };
        match op {
            AdminOp::TriggerSnapshot => {
                self.raft.trigger().snapshot().await.map_err(failed)?;
                Ok(format!("node {} is building a snapshot", self.id))
            }
            AdminOp::CampaignForLeader => {
                self.raft.trigger().elect().await.map_err(failed)?;
                Ok(format!("node {} started an election", self.id))
            }
        }
    }

    /// Builds a snapshot now (it is also built by [`crate::snapshot_policy`]).
    pub async fn trigger_snapshot(&self) -> Result<(), WriteError> {
        self.raft
            .trigger()
            .snapshot()
            .await
            .map_err(|e| WriteError::Fatal {
                reason: e.to_string(),
            })
    }

    /// Stops Raft and closes the endpoint.
    pub async fn shutdown(&self) {
        if let Err(error) = self.raft.shutdown().await {
            tracing::warn!(%error, "raft shutdown");
        }
        self.transport.close().await;
    }

    fn authorize(&self, peer: PeerIdentity, request: &Request) -> Result<(), Refusal> {
        let refuse = |why: String| {
            Err(Refusal::NotAuthorized {
                identity: peer.to_string(),
                request: request.name().to_string(),
                why,
            })
        };
        let metrics = self.raft.metrics().borrow().clone();
        let membership = metrics.membership_config.membership();
        let uninitialised = membership.nodes().next().is_none();
        let is_member = |id: NodeId| {
            membership.get_node(&id).is_some() || (uninitialised && self.cluster.node(id).is_some())
        };
        let raft_sender = match request {
            Request::AppendEntries(rpc) => Some(rpc.vote.leader_id().voted_for()),
            Request::Vote(rpc) => Some(rpc.vote.leader_id().voted_for()),
            Request::InstallSnapshot(rpc) => Some(rpc.vote.leader_id().voted_for()),
            Request::PreVote(rpc) => Some(Some(rpc.candidate)),
            _ => None,
        };
        match (peer, raft_sender) {
            (PeerIdentity::Operator, Some(_)) => {
                refuse("operators do not take part in Raft".into())
            }
            (PeerIdentity::Node(id), Some(claimed)) => {
                if !is_member(id) {
                    return refuse(format!("node {id} is not a member of this cluster"));
                }
                if claimed != Some(id) {
                    return refuse(format!(
                        "the request speaks for node {claimed:?} but the certificate is node {id}'s"
                    ));
                }
                Ok(())
            }
            (PeerIdentity::Operator, None) => match request {
                Request::ClientWrite(command, _) if command.origin != Origin::Operator => {
                    refuse(format!(
                        "the operator's certificate writes as the operator, not as {}",
                        command.origin
                    ))
                }
                Request::ArchiveFetch { .. } => {
                    refuse("archived incidents travel between members only".into())
                }
                _ => Ok(()),
            },
            (PeerIdentity::Node(id), None) => match request {
                Request::Membership(_) | Request::Admin(_) | Request::Read(_) => refuse(
                    "membership, admin and ledger-read requests need the operator certificate"
                        .into(),
                ),
                _ if !is_member(id) => refuse(format!("node {id} is not a member of this cluster")),
                Request::ClientWrite(command, _) => {
                    self.may_write_as(id, &command.origin).or_else(refuse)
                }
                _ => Ok(()),
            },
        }
    }

    /// Whether member `id` may forward a write stamped with `origin`: in its
    /// own name (an API client it served, itself, or an actor the ledger
    /// places on it), never as another node or an actor placed elsewhere.
    /// The ledger still fences the actor's epoch when it applies the write,
    /// and the leader checks an API client's proof before proposing. A
    /// node's certificate never speaks for the operator: `cordon ctl` sends
    /// its writes to the leader itself.
    fn may_write_as(&self, id: NodeId, origin: &Origin) -> Result<(), String> {
        match origin {
            Origin::Api { node, .. } | Origin::System { node } if *node == id => Ok(()),
            Origin::Actor { actor, node, .. } if *node == id => {
                let placed = self.reader.read().ledger.placement(actor).map(|p| p.node);
                if placed == Some(id) {
                    Ok(())
                } else {
                    Err(format!("{actor} is not placed on node {id}"))
                }
            }
            other => Err(format!("node {id} may not write as {other}")),
        }
    }

    /// Hands an append to openraft and notes a leader heard: on arrival,
    /// not only once handled (a busy follower whose log work takes longer
    /// than a timeout is not without a leader), and again after. Only a
    /// voter counts: a leader that removed itself goes on sending appends
    /// until another is elected, and must not hold off that election.
    async fn append_entries_heard(
        &self,
        rpc: openraft::raft::AppendEntriesRequest<crate::types::TypeConfig>,
    ) -> Result<AppendEntriesResponse<NodeId>, RaftError<NodeId>> {
        let sender = rpc.vote.leader_id().voted_for();
        let current_term = self.raft.metrics().borrow().current_term;
        let not_stale = rpc.vote.leader_id().get_term() >= current_term;
        if let Some(leader) = sender.filter(|id| not_stale && self.is_voter(*id)) {
            self.election_timer.note_leader(leader);
        }
        let answer = self.raft.append_entries(rpc).await;
        let accepted = matches!(&answer, Ok(response) if !matches!(response, AppendEntriesResponse::HigherVote(_)));
        if let Some(leader) = sender.filter(|id| accepted && self.is_voter(*id)) {
            self.election_timer.note_leader(leader);
        }
        answer
    }

    async fn serve(self: Arc<Self>, request: Request) -> Response {
        match request {
            Request::AppendEntries(rpc) => {
                Response::AppendEntries(self.append_entries_heard(rpc).await)
            }
            Request::Vote(rpc) => {
                let answer = self.raft.vote(rpc).await;
                if matches!(&answer, Ok(response) if response.vote_granted) {
                    self.election_timer.note_contact();
                }
                Response::Vote(answer)
            }
            Request::InstallSnapshot(rpc) => {
                let answer = self.raft.install_snapshot(rpc).await;
                if answer.is_ok() {
                    self.election_timer.note_contact();
                }
                Response::InstallSnapshot(answer)
            }
            Request::PreVote(rpc) => Response::PreVote(self.answer_pre_vote(&rpc)),
            Request::ClientWrite(command, proof) => Response::ClientWrite(match command.check() {
                Err(rejection) => Err(WriteError::Invalid { rejection }),
                Ok(()) => {
                    self.write_here(command, proof.as_ref(), self.write_timeout)
                        .await
                }
            }),
            Request::Read(query) => Response::Read(self.read_ledger(query).await),
            Request::ReadIndex => Response::ReadIndex(self.read_index_here(self.rpc_timeout).await),
            Request::Status => Response::Status(Box::new(self.status())),
            Request::Membership(change) => {
                Response::Membership(self.change_membership(change).await)
            }
            Request::Admin(op) => Response::Admin(self.admin(op).await),
            Request::Ping => Response::Pong,
            Request::ArchiveFetch { seq, skip } => {
                Response::ArchiveFetch(self.serve_archive_fetch(seq, skip).await)
            }
        }
    }
}

/// The transport's handle on a node. Weak, so a stopped node is freed even
/// while its endpoint still holds the handler.
struct NodeHandler(Weak<ConsensusNode>);

impl RequestHandler for NodeHandler {
    fn handle(
        &self,
        peer: PeerIdentity,
        request: Request,
    ) -> Pin<Box<dyn Future<Output = Response> + Send + 'static>> {
        let Some(node) = self.0.upgrade() else {
            return Box::pin(std::future::ready(Response::Refused(Refusal::NotReady)));
        };
        if let Err(refusal) = node.authorize(peer, &request) {
            tracing::warn!(%peer, request = request.name(), %refusal, "refused request");
            return Box::pin(std::future::ready(Response::Refused(refusal)));
        }
        Box::pin(node.serve(request))
    }
}

/// The NodeAddr stored in the membership for a cluster-file node.
pub fn node_addr(spec: &cordon_config::NodeSpec) -> NodeAddr {
    NodeAddr {
        name: spec.name.clone(),
        quic_addr: spec.quic_addr.to_string(),
        api_addr: spec.api_addr.to_string(),
    }
}

/// Wall-clock Unix milliseconds: the proposer's stamp for commands.
pub fn unix_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Keeps `gate` told whether this node leads, as Raft's metrics change,
/// until Raft shuts down.
async fn follow_leadership(
    mut metrics: tokio::sync::watch::Receiver<crate::types::RaftMetrics>,
    gate: Arc<crate::state_machine::DispatchMetricsGate>,
) {
    loop {
        let leading = metrics.borrow_and_update().state == openraft::ServerState::Leader;
        gate.set_leading(leading);
        if metrics.changed().await.is_err() {
            gate.set_leading(false);
            return;
        }
    }
}
