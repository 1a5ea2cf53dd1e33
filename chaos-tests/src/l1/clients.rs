//! The clients' host: concurrent clients report the New Year surge over
//! QUIC with the operator's certificate, retrying under the same request
//! id and recording a history in simulated time; an operator carries out
//! membership churn; after the heal, recovery is timed, indeterminate
//! reports retried, and every member read back.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cordon_config::ClusterConfig;
use cordon_config::District;
use cordon_consensus::handshake::HandshakeLimits;
use cordon_consensus::ledger::{
    Action, Applied, Command, Effect, IncidentId, NewIncident, Origin, RequestId,
};
use cordon_consensus::node::node_addr;
use cordon_consensus::tls::{PeerIdentity, TlsIdentity};
use cordon_consensus::transport::{Transport, TransportConfig};
use cordon_consensus::wire::{MembershipChange, Request, Response};
use cordon_consensus::{NodeId, WriteError};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use tokio::time::Instant;

use super::field::Field;
use super::setup::{client_ip, endpoint_seed, sim_now_ms};
use super::{
    lock, ClientOutcome, Shared, SimLoss, SimOptions, SimSocket, ATTEMPTS_MAX, ATTEMPT_TIMEOUT_MS,
    CHURN_MS_MAX, CLIENT_PORT, CLUSTER_NAME, POLL_MS, RETRY_PAUSE_MS, SETTLE_MS_MAX, THINK_MS_MAX,
};
use crate::judge::checkers::{request_outcomes, RecoveryTimes, RequestOutcome};
use crate::judge::history::{History, IncidentResult, Op, OpResult};
use crate::judge::raft_views::{converged_index, describe, incidents_by_request, majority_leader};
use crate::shared::load::{LoadGenerator, LoadPlan, LoadProfile};

/// The clients' host: load during the fault phase, then recovery, retries,
/// catch-up and final reads.
pub(super) struct Clients {
    pub(super) options: SimOptions,
    pub(super) config: ClusterConfig,
    pub(super) shared: Arc<Shared>,
    pub(super) loss: Arc<SimLoss>,
    pub(super) history: Arc<History>,
    pub(super) fault_end_ms: u64,
}

/// One client's view of the cluster and its history.
pub(super) struct Client {
    transport: Arc<Transport>,
    addrs: BTreeMap<NodeId, SocketAddr>,
    history: Arc<History>,
    /// The node that acknowledged last: where the next report goes first.
    last_leader: Mutex<Option<NodeId>>,
    /// What the clients report: the New Year surge at the Bund, drawn from
    /// the run's seed.
    load: Mutex<LoadGenerator>,
    /// Each request id's incident, so a retry proposes the same report.
    incidents: Mutex<BTreeMap<String, NewIncident>>,
    /// The running nodes, whose applied ledgers a read looks at once the
    /// node has applied the read's index.
    shared: Arc<Shared>,
}

impl Clients {
    pub(super) async fn run(self) -> turmoil::Result {
        let started = Instant::now();
        let identity = TlsIdentity::load(
            CLUSTER_NAME,
            PeerIdentity::Operator,
            &self.config.tls().ca_cert,
            &self.config.tls().cert_dir,
        )?;
        let socket =
            SimSocket::bind(SocketAddr::new(client_ip(), CLIENT_PORT), self.loss.clone()).await?;
        let limits = self.config.limits();
        let transport = Transport::bind(
            &identity,
            TransportConfig {
                bind_addr: SocketAddr::new(client_ip(), CLIENT_PORT),
                frame_bytes_max: limits.frame_bytes_max as usize,
                idle_timeout: Duration::from_millis(limits.quic_idle_timeout_ms),
                keep_alive: Duration::from_millis(limits.quic_keep_alive_ms),
                connections_max: self.options.nodes,
                handshakes: HandshakeLimits::from_limits(limits),
                streams_per_connection_max: 64,
                connect_timeout: Duration::from_millis(limits.rpc_timeout_ms),
                socket: Some(socket),
                rng_seed: Some(endpoint_seed(self.options.seed, 0, 1)),
            },
        )?;
        let client = Arc::new(Client {
            transport,
            addrs: self
                .config
                .nodes()
                .iter()
                .map(|spec| (spec.id, spec.quic_addr))
                .collect(),
            history: self.history.clone(),
            last_leader: Mutex::new(None),
            load: Mutex::new(surge_load(self.options.seed)?),
            incidents: Mutex::new(BTreeMap::new()),
            shared: self.shared.clone(),
        });

        let field =
            tokio::spawn(Field::new(self.options.seed, self.shared.clone(), client.clone()).run());
        let fault_end = started + Duration::from_millis(self.fault_end_ms);
        let operator = {
            let client = client.clone();
            let shared = self.shared.clone();
            let config = self.config.clone();
            tokio::spawn(async move { operate(&client, &shared, &config).await })
        };
        let workers: Vec<_> = (0..self.options.clients)
            .map(|index| {
                let client = client.clone();
                let seed = self.options.seed;
                tokio::spawn(async move { client.report_until(index, seed, fault_end).await })
            })
            .collect();
        for worker in workers {
            worker.await?;
        }
        while !self.shared.healed.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(POLL_MS)).await;
        }
        operator.await?;
        let outcome = self.recover(&client).await;
        *lock(&self.shared.outcome) = Some(outcome);
        self.shared.clients_done.store(true, Ordering::SeqCst);
        let field = field.await?;
        *lock(&self.shared.field) = Some(field);
        Ok(())
    }

    /// After the heal: time to a leader and to a fresh write, then the
    /// indeterminate reports retried, every node caught up, and read.
    #[expect(clippy::too_many_lines, reason = "predates the line limit")]
    async fn recover(&self, client: &Client) -> ClientOutcome {
        let healed_at = Instant::now();
        let settle_by = healed_at + Duration::from_millis(SETTLE_MS_MAX);
        let mut problems = Vec::new();
        let mut recovery = RecoveryTimes::default();
        let mut rng = StdRng::seed_from_u64(self.options.seed ^ 0xfe5);

        while Instant::now() < settle_by {
            if majority_leader(&self.shared.views(), &[]).is_some() {
                recovery.leader_elected = Some(healed_at.elapsed());
                break;
            }
            tokio::time::sleep(Duration::from_millis(POLL_MS)).await;
        }
        let process = self.options.clients;
        let fresh = format!("sim-{}-fresh", self.options.seed);
        let incident = lock(&client.load).next_report().incident;
        lock(&client.incidents).insert(fresh.clone(), incident);
        while Instant::now() < settle_by {
            if client.report(process, &fresh, &mut rng).await.is_some() {
                recovery.fresh_write_committed = Some(healed_at.elapsed());
                break;
            }
        }

        let outcomes = match client.history.records() {
            Ok(records) => request_outcomes(&records),
            Err(error) => {
                problems.push(format!("history: {error}"));
                BTreeMap::new()
            }
        };
        for (request_id, outcome) in &outcomes {
            if matches!(outcome, RequestOutcome::Indeterminate) && Instant::now() < settle_by {
                client.report(process + 1, request_id, &mut rng).await;
            }
        }

        let mut last_seen = String::new();
        let converged = loop {
            let views = self.shared.views();
            let members = views
                .iter()
                .find(|view| view.leading)
                .map(|leader| leader.members.clone())
                .unwrap_or_default();
            let all_running = members
                .iter()
                .all(|member| views.iter().any(|view| view.id == *member));
            if all_running {
                if let Some(index) = converged_index(&views) {
                    break Some((index, members));
                }
            }
            last_seen = describe(&views);
            if Instant::now() >= settle_by {
                break None;
            }
            tokio::time::sleep(Duration::from_millis(POLL_MS)).await;
        };
        let members = match converged {
            Some((_, members)) => members,
            None => {
                problems.push(format!(
                    "nodes did not converge within {SETTLE_MS_MAX} ms of the heal: {last_seen}"
                ));
                Vec::new()
            }
        };
        // Every member reads back; removed nodes and spares never added are
        // out of the cluster and owe nothing.
        let final_reads = lock(&self.shared.nodes)
            .iter()
            .filter(|(id, _)| members.contains(id))
            .map(|(id, node)| (format!("node-{id}"), incidents_by_request(&node.reader)))
            .collect();
        ClientOutcome {
            recovery,
            final_reads,
            problems,
        }
    }
}

/// The operator: carries out each churn the driver asks for, until the
/// heal, then finishes the one in hand.
pub(super) async fn operate(client: &Client, shared: &Shared, config: &ClusterConfig) {
    loop {
        let next = {
            let mut churns = lock(&shared.churns);
            (!churns.is_empty()).then(|| churns.remove(0))
        };
        match next {
            Some((add, remove)) => {
                let outcome = churn(client, shared, config, add, remove).await;
                lock(&shared.churn_log).push(outcome);
            }
            None if shared.healed.load(Ordering::SeqCst) => return,
            None => tokio::time::sleep(Duration::from_millis(POLL_MS)).await,
        }
    }
}

/// Adds `add` as a learner, promotes it, removes `remove`: each step sent
/// to the leader of the moment until the leader's membership shows it
/// done, within [`CHURN_MS_MAX`]. Says what became of it.
pub(super) async fn churn(
    client: &Client,
    shared: &Shared,
    config: &ClusterConfig,
    add: NodeId,
    remove: NodeId,
) -> String {
    let started = Instant::now();
    let Some(spec) = config.node(add) else {
        return format!("churn +{add} -{remove}: node {add} is not in the cluster file");
    };
    let steps = [
        MembershipChange::AddLearner {
            node_id: add,
            addr: node_addr(spec),
        },
        MembershipChange::Promote { node_id: add },
        MembershipChange::Remove { node_id: remove },
    ];
    for step in steps {
        loop {
            if started.elapsed() >= Duration::from_millis(CHURN_MS_MAX) {
                return format!(
                    "churn +{add} -{remove}: gave up after {CHURN_MS_MAX} ms at {step:?}"
                );
            }
            let views = shared.views();
            let Some(leader) = majority_leader(&views, &[])
                .and_then(|id| views.into_iter().find(|view| view.id == id))
            else {
                tokio::time::sleep(Duration::from_millis(RETRY_PAUSE_MS)).await;
                continue;
            };
            let done = match &step {
                MembershipChange::AddLearner { node_id, .. } => leader.members.contains(node_id),
                MembershipChange::Promote { node_id } => leader.voters.contains(node_id),
                MembershipChange::Remove { node_id } => !leader.members.contains(node_id),
            };
            if done {
                break;
            }
            if let Some(addr) = client.addrs.get(&leader.id).copied() {
                // The answer does not matter: the membership shows the result.
                let _answer = client
                    .transport
                    .call(
                        leader.id,
                        addr,
                        Request::Membership(step.clone()),
                        Duration::from_millis(ATTEMPT_TIMEOUT_MS),
                    )
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(RETRY_PAUSE_MS)).await;
        }
    }
    format!(
        "churn +{add} -{remove}: done in {} ms",
        started.elapsed().as_millis()
    )
}

impl Client {
    /// One attempt at `command` on node `target`: its applied answer, or
    /// `None` when there was none (the caller decides again later).
    pub(super) async fn write_once(&self, target: NodeId, command: Command) -> Option<Applied> {
        let addr = self.addrs.get(&target).copied()?;
        let timeout = Duration::from_millis(ATTEMPT_TIMEOUT_MS);
        let request = Request::ClientWrite(command, None);
        match self.transport.call(target, addr, request, timeout).await {
            Ok(Response::ClientWrite(Ok(applied))) => Some(applied),
            _ => None,
        }
    }

    /// Client `index` reports one incident after another until `until`.
    async fn report_until(&self, index: u64, seed: u64, until: Instant) {
        let mut rng = StdRng::seed_from_u64(seed.wrapping_mul(31).wrapping_add(index + 1));
        let mut n = 0;
        while Instant::now() < until {
            let request_id = format!("sim-{seed}-{index}-{n}");
            n += 1;
            let incident = lock(&self.load).next_report().incident;
            lock(&self.incidents).insert(request_id.clone(), incident);
            if let Some(incident_id) = self.report(index, &request_id, &mut rng).await {
                self.read_back(index, &request_id, incident_id).await;
            }
            let think = rng.random_range(0..=THINK_MS_MAX);
            tokio::time::sleep(Duration::from_millis(think)).await;
        }
    }

    /// Reads back the incident `request_id` was acknowledged with, as a
    /// linearizable read: a read index from the node that acknowledged
    /// last, then that node's applied ledger once it has applied the
    /// index (what a node serves after its read barrier). A read that gets
    /// no index, or whose node does not catch up in time, failed: it has
    /// no effect either way.
    async fn read_back(&self, process: u64, request_id: &str, incident_id: IncidentId) {
        let op = Op::read_incident(process, request_id, &incident_id.to_string());
        let id = self.history.invoke(op);
        let Some((target, addr)) = (*lock(&self.last_leader))
            .and_then(|target| self.addrs.get(&target).map(|addr| (target, *addr)))
        else {
            self.history.fail(id, "no node to read from");
            return;
        };
        let timeout = Duration::from_millis(ATTEMPT_TIMEOUT_MS);
        let index = match self
            .transport
            .call(target, addr, Request::ReadIndex, timeout)
            .await
        {
            Ok(Response::ReadIndex(Ok(index))) => index,
            Ok(Response::ReadIndex(Err(error))) => return self.history.fail(id, error.to_string()),
            Ok(_) => return self.history.fail(id, "an answer that is not a read index"),
            Err(error) => return self.history.fail(id, error.to_string()),
        };
        let deadline = Instant::now() + timeout;
        loop {
            let reader = lock(&self.shared.nodes)
                .get(&target)
                .map(|node| node.reader.clone());
            let present = reader.and_then(|reader| {
                let applied = reader.read();
                let caught_up = applied.last_applied.is_some_and(|log| log.index >= index);
                caught_up.then(|| applied.ledger.incident(incident_id).is_some())
            });
            if let Some(present) = present {
                let result = OpResult::Incident(IncidentResult::Read { present });
                return self.history.ok(id, result);
            }
            if Instant::now() >= deadline {
                return self
                    .history
                    .fail(id, "the node did not apply the read index in time");
            }
            tokio::time::sleep(Duration::from_millis(POLL_MS)).await;
        }
    }

    /// Reports under `request_id` until acknowledged, certainly refused,
    /// or out of attempts; the incident's id when acknowledged. Starts with the node
    /// that acknowledged last, follows the leader a node names, and
    /// otherwise tries a node drawn from `rng`.
    async fn report(&self, process: u64, request_id: &str, rng: &mut StdRng) -> Option<IncidentId> {
        let ids: Vec<NodeId> = self.addrs.keys().copied().collect();
        let last_leader = *lock(&self.last_leader);
        let mut target = last_leader.unwrap_or_else(|| *ids.choose(rng).unwrap_or(&1));
        for _ in 0..ATTEMPTS_MAX {
            let addr = self.addrs.get(&target).copied()?;
            let incident = lock(&self.incidents).get(request_id).cloned()?;
            let command = Command::new(
                RequestId(request_id.to_string()),
                sim_now_ms(),
                Origin::Operator,
                Action::ReportIncident(incident),
            );
            let id = self.history.invoke(Op::report(process, request_id));
            let answer = self
                .transport
                .call(
                    target,
                    addr,
                    Request::ClientWrite(command, None),
                    Duration::from_millis(ATTEMPT_TIMEOUT_MS),
                )
                .await;
            match answer {
                Ok(Response::ClientWrite(Ok(applied))) => match applied.effect {
                    Effect::IncidentReported { incident_id } => {
                        let reported = incident_id.to_string();
                        self.history.ok(
                            id,
                            OpResult::Incident(IncidentResult::Reported {
                                incident_id: reported,
                            }),
                        );
                        *lock(&self.last_leader) = Some(target);
                        return Some(incident_id);
                    }
                    other => {
                        self.history
                            .fail(id, format!("applied without a report: {other:?}"));
                        return None;
                    }
                },
                Ok(Response::ClientWrite(Err(error @ WriteError::Invalid { .. }))) => {
                    self.history.fail(id, error.to_string());
                    return None;
                }
                // Refused before proposing: certainly not applied.
                Ok(Response::ClientWrite(Err(
                    error @ WriteError::NotLeader {
                        leader_id: Some(leader),
                        ..
                    },
                ))) => {
                    self.history.fail(id, error.to_string());
                    target = leader;
                    continue;
                }
                Ok(Response::ClientWrite(Err(error @ WriteError::NoLeader))) => {
                    self.history.fail(id, error.to_string());
                }
                Ok(Response::ClientWrite(Err(error))) => self.history.info(id, error.to_string()),
                Ok(_) => self.history.info(id, "an answer that is not a write's"),
                Err(error) => self.history.info(id, error.to_string()),
            }
            tokio::time::sleep(Duration::from_millis(RETRY_PAUSE_MS)).await;
            target = *ids.choose(rng).unwrap_or(&1);
        }
        None
    }
}

/// The clients' reports: the New Year surge from its usual start, the
/// first minute after midnight, on the embedded district, seeded by the run.
pub(super) fn surge_load(seed: u64) -> Result<LoadGenerator, crate::shared::load::LoadError> {
    let profile = LoadProfile::NewYearSurge;
    let plan = LoadPlan {
        request_id_prefix: format!("sim-{seed}-load"),
        ..LoadPlan::new(profile, seed, profile.usual_start())
    };
    LoadGenerator::new(&District::embedded(), &plan)
}
