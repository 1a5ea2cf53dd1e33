//! Client load for the in-process scenarios: concurrent clients reporting
//! incidents through the cluster, retrying after a timeout under the same
//! request id, recording every attempt in a [`History`].
//!
//! Each attempt is one operation in the history: invoked before the write,
//! then `ok` with the incident id, `fail` when the cluster certainly did not
//! apply it (the command was refused as invalid, or its apply rejected it),
//! or `info` when the outcome is unknown (a timeout, a lost leader, a
//! crashed node: it may still take effect). An `info` is retried, on the
//! next target node, until [`ReportLoad::attempts_max`].

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use cordon_consensus::ledger::{
    Action, Channel, Command, Effect, IncidentKind, NewIncident, Origin, Position, RequestId,
};
use cordon_consensus::node::unix_millis;
use cordon_consensus::{NodeId, WriteError};

use crate::judge::checkers::{request_outcomes, RequestOutcome};
use crate::judge::history::{History, HistoryError, IncidentResult, Op, OpResult};
use crate::l2::cluster::InProcessCluster;

/// Pause before trying again when none of a client's target nodes runs.
const NO_TARGET_PAUSE_MS: u64 = 50;

/// An incident report (a theft at Nanjing Road) under `request_id`,
/// proposed by node `via` itself (a member forwards writes to the leader
/// only in its own name).
pub fn report_command(via: u64, request_id: &str) -> Command {
    report_command_at(via, request_id, unix_millis())
}

/// [`report_command`] proposed at `proposed_at_ms` (a simulated clock's
/// reading, so a simulated run's commands do not depend on the wall clock).
pub fn report_command_at(via: u64, request_id: &str, proposed_at_ms: u64) -> Command {
    Command::new(
        RequestId(request_id.to_string()),
        proposed_at_ms,
        Origin::System { node: via },
        Action::ReportIncident(NewIncident {
            kind: IncidentKind::Theft,
            priority: 4,
            force_level: 2,
            location: Position {
                lat_e7: 312_394_000,
                lon_e7: 1_214_760_000,
            },
            channel: Channel::EmergencyCall,
            description: format!("chaos report {request_id}"),
        }),
    )
}

/// A batch of incident reports from concurrent clients.
#[derive(Clone, Debug)]
pub struct ReportLoad {
    /// Request ids are `<prefix>-<client>-<n>`; unique per scenario.
    pub prefix: String,
    /// Concurrent clients; client `c` records as process
    /// `first_process + c`.
    pub clients: u64,
    /// The first client's process number in the history.
    pub first_process: u64,
    /// Reports each client makes, one after another.
    pub reports_per_client: u64,
    /// Nodes the clients send to, in turn; empty means every running node.
    pub targets: Vec<NodeId>,
    /// A client's deadline for one attempt; past it the attempt is `info`.
    pub attempt_timeout_ms: u64,
    /// Attempts per request id, the first included.
    pub attempts_max: u32,
    /// Pause after each acknowledged report, to spread a load over time.
    pub pause_ms: u64,
}

impl ReportLoad {
    /// `clients` x `reports_per_client` reports to every running node, 2 s
    /// per attempt, up to 5 attempts, no pause.
    pub fn new(prefix: &str, clients: u64, reports_per_client: u64) -> ReportLoad {
        ReportLoad {
            prefix: prefix.to_string(),
            clients,
            first_process: 0,
            reports_per_client,
            targets: Vec::new(),
            attempt_timeout_ms: 2_000,
            attempts_max: 5,
            pause_ms: 0,
        }
    }

    /// Runs every client to the end and waits for them.
    pub async fn run(&self, cluster: Arc<InProcessCluster>, history: Arc<History>) {
        let clients: Vec<_> = (0..self.clients)
            .map(|client| {
                let load = self.clone();
                let cluster = cluster.clone();
                let history = history.clone();
                tokio::spawn(async move { load.run_client(client, &cluster, &history).await })
            })
            .collect();
        for client in clients {
            if let Err(error) = client.await {
                tracing::error!(%error, "report client panicked");
            }
        }
    }

    /// Runs every client in the background; await the handle for the end.
    pub fn spawn(
        &self,
        cluster: Arc<InProcessCluster>,
        history: Arc<History>,
    ) -> tokio::task::JoinHandle<()> {
        let load = self.clone();
        tokio::spawn(async move { load.run(cluster, history).await })
    }

    async fn run_client(&self, client: u64, cluster: &InProcessCluster, history: &History) {
        let process = self.first_process + client;
        for n in 0..self.reports_per_client {
            let request_id = format!("{}-{client}-{n}", self.prefix);
            let acknowledged = self
                .report(cluster, history, process, &request_id, client + n)
                .await;
            if acknowledged && self.pause_ms > 0 {
                tokio::time::sleep(Duration::from_millis(self.pause_ms)).await;
            }
        }
    }

    /// Reports under `request_id` until acknowledged, certainly failed, or
    /// out of attempts; true when acknowledged. `turn` picks the first
    /// target node.
    pub async fn report(
        &self,
        cluster: &InProcessCluster,
        history: &History,
        process: u64,
        request_id: &str,
        turn: u64,
    ) -> bool {
        let mut attempts = 0;
        let mut turn = turn;
        while attempts < self.attempts_max {
            turn += 1;
            attempts += 1;
            let Some(node) = self.pick_target(cluster, turn) else {
                // Nothing was sent, so nothing is recorded; the attempt is
                // spent all the same so a dead cluster ends the client.
                tokio::time::sleep(Duration::from_millis(NO_TARGET_PAUSE_MS)).await;
                continue;
            };
            let id = history.invoke(Op::report(process, request_id));
            let within = Duration::from_millis(self.attempt_timeout_ms);
            let outcome =
                tokio::time::timeout(within, node.write(report_command(node.id(), request_id)))
                    .await;
            match outcome {
                Ok(Ok(applied)) => match applied.effect {
                    Effect::IncidentReported { incident_id } => {
                        let incident_id = incident_id.to_string();
                        history.ok(
                            id,
                            OpResult::Incident(IncidentResult::Reported { incident_id }),
                        );
                        return true;
                    }
                    other => {
                        history.fail(id, format!("applied without a report: {other:?}"));
                        return false;
                    }
                },
                Ok(Err(error @ WriteError::Invalid { .. })) => {
                    history.fail(id, error.to_string());
                    return false;
                }
                Ok(Err(error)) => history.info(id, error.to_string()),
                Err(_) => history.info(id, format!("no answer within {within:?}")),
            }
        }
        false
    }

    /// Retries every request of this load that the history shows neither
    /// acknowledged nor certainly failed, under its own request id, as
    /// process `process`; returns how many remain unacknowledged. Run after
    /// healing, it drives every indeterminate report to an answer.
    pub async fn retry_unacknowledged(
        &self,
        cluster: &InProcessCluster,
        history: &History,
        process: u64,
    ) -> Result<usize, HistoryError> {
        let outcomes = request_outcomes(&history.records()?);
        let indeterminate: Vec<String> = self
            .request_ids()
            .into_iter()
            .filter(|request_id| {
                !matches!(
                    outcomes.get(request_id),
                    Some(RequestOutcome::Acknowledged { .. } | RequestOutcome::Failed)
                )
            })
            .collect();
        let mut remaining = 0;
        for (turn, request_id) in indeterminate.iter().enumerate() {
            if !self
                .report(cluster, history, process, request_id, turn as u64)
                .await
            {
                remaining += 1;
            }
        }
        Ok(remaining)
    }

    /// Every request id this load uses.
    pub fn request_ids(&self) -> Vec<String> {
        (0..self.clients)
            .flat_map(|client| {
                (0..self.reports_per_client).map(move |n| format!("{}-{client}-{n}", self.prefix))
            })
            .collect()
    }

    fn pick_target(
        &self,
        cluster: &InProcessCluster,
        turn: u64,
    ) -> Option<Arc<cordon_consensus::ConsensusNode>> {
        let running = cluster.running_ids();
        let candidates: Vec<NodeId> = if self.targets.is_empty() {
            running
        } else {
            self.targets
                .iter()
                .copied()
                .filter(|id| running.contains(id))
                .collect()
        };
        if candidates.is_empty() {
            return None;
        }
        let index = (turn % candidates.len() as u64) as usize;
        cluster.node(candidates[index])
    }
}

/// Per request id of `load`, its outcome over every attempt in `history`.
pub fn outcomes_of(
    load: &ReportLoad,
    history: &History,
) -> Result<BTreeMap<String, RequestOutcome>, HistoryError> {
    let all = request_outcomes(&history.records()?);
    Ok(load
        .request_ids()
        .into_iter()
        .filter_map(|request_id| {
            all.get(&request_id)
                .cloned()
                .map(|outcome| (request_id, outcome))
        })
        .collect())
}
