//! `cordon ctl`: operator requests over QUIC with the operator certificate.
//! Status asks every node for its view; membership changes go to the leader.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use cordon_config::{ClusterConfig, NodeId};
use cordon_consensus::handshake::HandshakeLimits;
use cordon_consensus::ledger::{
    Action, Applied, BearerToken, Command, Effect, Origin, RequestId, RevokeToken, Role,
    SetNodeDrained, Token,
};
use cordon_consensus::node::node_addr;
use cordon_consensus::node::unix_millis;
use cordon_consensus::tls::{PeerIdentity, TlsIdentity};
use cordon_consensus::transport::{Transport, TransportConfig};
use cordon_consensus::wire::{
    AdminOp, LedgerAnswer, LedgerQuery, MembershipChange, Request, Response,
};
use cordon_consensus::{AdminError, ClusterStatus, WriteError};

/// Deadline of one operator request.
const CTL_REQUEST_TIMEOUT_MS: u64 = 3_000;
/// Deadline of a membership change (adding a learner waits for it to catch up).
const CTL_MEMBERSHIP_TIMEOUT_MS: u64 = 60_000;

/// A token just issued: its text is shown once and kept nowhere.
#[derive(Clone, Debug)]
pub struct IssuedToken {
    /// The id (what `cordon token list` and the audit trail show).
    pub id: String,
    /// The whole token, to hand to its holder.
    pub text: String,
    /// When it stops working, Unix ms.
    pub expires_at_ms: u64,
    /// The log index of the issue.
    pub index: u64,
}

/// An operator's connection to a cluster.
pub struct Operator {
    cluster: ClusterConfig,
    transport: Arc<Transport>,
}

impl Operator {
    /// Loads the operator certificate named by the cluster file.
    pub fn connect(cluster: ClusterConfig) -> anyhow::Result<Operator> {
        let identity = TlsIdentity::load(
            cluster.name(),
            PeerIdentity::Operator,
            &cluster.tls().ca_cert,
            &cluster.tls().cert_dir,
        )
        .context("load the operator certificate (fix: run `cordon certs init` or point tls.cert_dir at it)")?;
        let limits = cluster.limits();
        let transport = Transport::bind(
            &identity,
            TransportConfig {
                bind_addr: "0.0.0.0:0".parse().expect("valid address"),
                frame_bytes_max: limits.frame_bytes_max as usize,
                idle_timeout: Duration::from_millis(limits.quic_idle_timeout_ms),
                keep_alive: Duration::from_millis(limits.quic_keep_alive_ms),
                connections_max: 1,
                handshakes: HandshakeLimits::from_limits(limits),
                streams_per_connection_max: 16,
                connect_timeout: Duration::from_secs(3),
                socket: None,
                rng_seed: None,
            },
        )?;
        Ok(Operator { cluster, transport })
    }

    async fn call(
        &self,
        id: NodeId,
        request: Request,
        timeout_ms: u64,
    ) -> anyhow::Result<Response> {
        let spec = self
            .cluster
            .node(id)
            .ok_or_else(|| anyhow!("node {id} is not in the cluster file"))?;
        Ok(self
            .transport
            .call(
                id,
                spec.quic_addr,
                request,
                Duration::from_millis(timeout_ms),
            )
            .await?)
    }

    /// Every node's own view, in cluster-file order; unreachable nodes give an error.
    pub async fn statuses(&self) -> Vec<(NodeId, anyhow::Result<ClusterStatus>)> {
        let mut views = Vec::new();
        for spec in self.cluster.nodes() {
            let view = match self
                .call(spec.id, Request::Status, CTL_REQUEST_TIMEOUT_MS)
                .await
            {
                Ok(Response::Status(status)) => Ok(*status),
                Ok(other) => Err(anyhow!("unexpected answer {other:?}")),
                Err(error) => Err(error),
            };
            views.push((spec.id, view));
        }
        views
    }

    /// Sends a membership change to the leader, following leader hints.
    pub async fn change(&self, change: MembershipChange) -> anyhow::Result<u64> {
        let mut target = self.find_leader().await?;
        for _ in 0..5 {
            match self
                .call(
                    target,
                    Request::Membership(change.clone()),
                    CTL_MEMBERSHIP_TIMEOUT_MS,
                )
                .await?
            {
                Response::Membership(Ok(index)) => return Ok(index),
                Response::Membership(Err(AdminError::NotLeader {
                    leader_id: Some(leader),
                })) => {
                    target = leader;
                }
                Response::Membership(Err(error)) => bail!("{error}"),
                other => bail!("unexpected answer {other:?}"),
            }
        }
        bail!("the leader kept changing; retry")
    }

    /// The leader, as the first node that knows one says.
    pub async fn leader(&self) -> anyhow::Result<NodeId> {
        self.find_leader().await
    }

    /// Node `id`'s last log index, if it answers.
    pub async fn last_log_index(&self, id: NodeId) -> Option<u64> {
        self.status(id).await?.last_log_index
    }

    /// Node `id`'s own view, if it answers.
    pub async fn status(&self, id: NodeId) -> Option<ClusterStatus> {
        match self.call(id, Request::Status, CTL_REQUEST_TIMEOUT_MS).await {
            Ok(Response::Status(status)) => Some(*status),
            _ => None,
        }
    }

    /// One ping to node `id` and its answer: a QUIC round trip over the
    /// operator's connection (opened first if need be).
    pub async fn round_trip(&self, id: NodeId) -> anyhow::Result<Duration> {
        let started = Instant::now();
        match self.call(id, Request::Ping, CTL_REQUEST_TIMEOUT_MS).await? {
            Response::Pong => Ok(started.elapsed()),
            other => bail!("node {id} answered a ping with {other:?}"),
        }
    }

    /// Proposes an operator action on node `id` (the leader) once, with
    /// this request id; a refusal by the ledger is an error naming the rule.
    pub async fn commit_on(
        &self,
        id: NodeId,
        request_id: &str,
        action: Action,
    ) -> anyhow::Result<Applied> {
        let command = Command::new(
            RequestId(request_id.to_string()),
            unix_millis(),
            Origin::Operator,
            action,
        );
        let request = Request::ClientWrite(command, None);
        match self.call(id, request, CTL_REQUEST_TIMEOUT_MS).await? {
            Response::ClientWrite(Ok(applied)) => match &applied.effect {
                Effect::Rejected { rejection } => bail!("refused: {rejection}"),
                _ => Ok(applied),
            },
            Response::ClientWrite(Err(error)) => bail!("{error}"),
            other => bail!("unexpected answer {other:?}"),
        }
    }

    async fn find_leader(&self) -> anyhow::Result<NodeId> {
        for (_, view) in self.statuses().await {
            if let Ok(status) = view {
                if let Some(leader) = status.leader_id {
                    return Ok(leader);
                }
            }
        }
        bail!("no node knows a leader: check `cordon ctl status`")
    }

    /// Runs an admin operation on node `id`.
    pub async fn admin(&self, id: NodeId, op: AdminOp) -> anyhow::Result<String> {
        match self
            .call(id, Request::Admin(op), CTL_REQUEST_TIMEOUT_MS)
            .await?
        {
            Response::Admin(Ok(done)) => Ok(done),
            Response::Admin(Err(error)) => bail!("{error}"),
            other => bail!("unexpected answer {other:?}"),
        }
    }

    /// Drains (or undrains) node `id`: the leader's placement moves every
    /// actor off it and places none there until it is undrained.
    pub async fn set_drained(&self, id: NodeId, drained: bool) -> anyhow::Result<u64> {
        if self.cluster.node(id).is_none() {
            bail!("node {id} is not in the cluster file");
        }
        let action = Action::SetNodeDrained(SetNodeDrained {
            node_id: id,
            drained,
        });
        let applied = self.write(&format!("drain-{id}-{drained}"), action).await?;
        Ok(applied.index)
    }

    /// Issues a bearer token for `principal` with `roles`, valid for
    /// `lifetime`: the secret is made here and only its hash is sent.
    pub async fn issue_token(
        &self,
        principal: &str,
        roles: Vec<Role>,
        lifetime: Duration,
    ) -> anyhow::Result<IssuedToken> {
        let token = BearerToken::generate();
        let expires_at_ms = unix_millis() + lifetime.as_millis() as u64;
        let action = Action::IssueToken(token.issue(principal, roles, expires_at_ms));
        let applied = self.write(&format!("token-{}", token.id), action).await?;
        Ok(IssuedToken {
            text: token.text(),
            id: token.id,
            expires_at_ms,
            index: applied.index,
        })
    }

    /// Revokes token `id` cluster-wide; every command applied after this one refuses it.
    pub async fn revoke_token(&self, id: &str, reason: &str) -> anyhow::Result<u64> {
        let action = Action::RevokeToken(RevokeToken {
            token_id: id.to_string(),
            reason: reason.to_string(),
        });
        Ok(self.write(&format!("revoke-{id}"), action).await?.index)
    }

    /// A linearizable read of the ledger's tokens or operator audit log.
    pub async fn read(&self, query: LedgerQuery) -> anyhow::Result<LedgerAnswer> {
        let leader = self.find_leader().await?;
        match self
            .call(leader, Request::Read(query), CTL_REQUEST_TIMEOUT_MS)
            .await?
        {
            Response::Read(Ok(answer)) => Ok(answer),
            Response::Read(Err(error)) => bail!("{error}"),
            other => bail!("unexpected answer {other:?}"),
        }
    }

    /// Proposes an operator action through the leader (a member never
    /// forwards the operator's writes), following leader changes; a refusal
    /// by the ledger is an error naming the rule.
    async fn write(&self, request_id: &str, action: Action) -> anyhow::Result<Applied> {
        let command = Command::new(
            RequestId(format!("{request_id}-{}", unix_millis())),
            unix_millis(),
            Origin::Operator,
            action,
        );
        let mut target = self.find_leader().await?;
        for _ in 0..5 {
            let request = Request::ClientWrite(command.clone(), None);
            match self
                .call(target, request, CTL_MEMBERSHIP_TIMEOUT_MS)
                .await?
            {
                Response::ClientWrite(Ok(applied)) => {
                    if let Effect::Rejected { rejection } = &applied.effect {
                        bail!("refused: {rejection}");
                    }
                    return Ok(applied);
                }
                Response::ClientWrite(Err(WriteError::NotLeader {
                    leader_id: Some(leader),
                    ..
                })) => target = leader,
                Response::ClientWrite(Err(error)) => bail!("{error}"),
                other => bail!("unexpected answer {other:?}"),
            }
        }
        bail!("the leader kept changing; retry")
    }

    /// Moves leadership to node `id` by having it campaign, then waits for it to lead.
    pub async fn transfer_leader(&self, id: NodeId) -> anyhow::Result<()> {
        let give_up = std::time::Instant::now() + Duration::from_millis(CTL_MEMBERSHIP_TIMEOUT_MS);
        while std::time::Instant::now() < give_up {
            if self.find_leader().await.ok() == Some(id) {
                return Ok(());
            }
            self.admin(id, AdminOp::CampaignForLeader).await?;
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        bail!("node {id} did not become leader; is its log up to date? see `cordon ctl status`")
    }

    /// True when every node answers, all agree on one leader, and every
    /// node has applied within `lag_max` entries of the leader's commit.
    pub async fn ready(&self, lag_max: u64) -> (bool, String) {
        let views = self.statuses().await;
        let mut leaders = BTreeSet::new();
        let mut committed = 0;
        let mut applied = Vec::new();
        for (id, view) in &views {
            match view {
                Ok(status) => {
                    leaders.insert(status.leader_id);
                    committed = committed.max(status.committed_index.unwrap_or(0));
                    applied.push((*id, status.applied_index.unwrap_or(0)));
                }
                Err(error) => return (false, format!("node {id} does not answer: {error:#}")),
            }
        }
        if leaders.len() != 1 || leaders.contains(&None) {
            return (
                false,
                format!("nodes disagree on or lack a leader: {leaders:?}"),
            );
        }
        if let Some((id, index)) = applied
            .iter()
            .find(|(_, index)| index + lag_max < committed)
        {
            return (false, format!("node {id} applied {index}, behind the commit index {committed} by more than {lag_max}"));
        }
        (
            true,
            format!(
                "ready: {} nodes, leader {:?}, commit index {committed}",
                views.len(),
                leaders.first().copied().flatten()
            ),
        )
    }

    /// The membership change that adds node `id` of the cluster file as a learner.
    pub fn add_learner_change(&self, id: NodeId) -> anyhow::Result<MembershipChange> {
        let spec = self.cluster.node(id).ok_or_else(|| {
            anyhow!("node {id} is not in the cluster file: add its [[nodes]] entry first")
        })?;
        Ok(MembershipChange::AddLearner {
            node_id: id,
            addr: node_addr(spec),
        })
    }
}

/// Prints `cordon ctl status` as a table.
pub fn print_status(views: &[(NodeId, anyhow::Result<ClusterStatus>)]) {
    println!(
        "{:<6} {:<10} {:<7} {:>6} {:>10} {:>10} {:>10}",
        "node", "role", "leader", "term", "last_log", "committed", "applied"
    );
    let show = |value: Option<u64>| value.map_or("-".to_string(), |v| v.to_string());
    for (id, view) in views {
        match view {
            Ok(status) => println!(
                "{:<6} {:<10} {:<7} {:>6} {:>10} {:>10} {:>10}",
                id,
                status.role,
                show(status.leader_id),
                status.term,
                show(status.last_log_index),
                show(status.committed_index),
                show(status.applied_index)
            ),
            Err(error) => println!("{id:<6} unreachable: {error:#}"),
        }
    }
    let leader_view = views
        .iter()
        .filter_map(|(_, view)| view.as_ref().ok())
        .find(|status| status.role == "leader");
    if let Some(leader) = leader_view {
        println!();
        println!(
            "members (from leader {}): {:<6} {:<22} {:<8} {:>10} {:>6}",
            leader.node_id, "id", "name", "kind", "matched", "lag"
        );
        for member in &leader.members {
            println!(
                "{:>36} {:<22} {:<8} {:>10} {:>6}",
                member.id,
                member.name,
                if member.voter { "voter" } else { "learner" },
                show(member.matched_index),
                show(member.lag)
            );
        }
    } else {
        println!("\nno node reports itself leader right now");
    }
}

/// One token as `cordon token list --json` shows it (never its hash).
pub fn token_row(token: &Token) -> serde_json::Value {
    serde_json::json!({
        "id": token.id,
        "principal": token.principal,
        "roles": token.roles.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "issued_by": token.issued_by,
        "issued_at_ms": token.issued_at_ms,
        "expires_at_ms": token.expires_at_ms,
        "revoked_at_ms": token.revoked_at_ms,
    })
}

/// Prints `cordon token list` as a table.
pub fn print_tokens(tokens: &[Token]) {
    let now = unix_millis();
    println!(
        "{:<17} {:<24} {:<32} {:<9} {:>14}",
        "id", "principal", "roles", "state", "expires_at_ms"
    );
    for token in tokens {
        let state = match token.usable_at(now) {
            Ok(()) => "live",
            Err(cordon_consensus::ledger::AuthError::Revoked { .. }) => "revoked",
            Err(_) => "expired",
        };
        let roles: Vec<String> = token.roles.iter().map(ToString::to_string).collect();
        println!(
            "{:<17} {:<24} {:<32} {:<9} {:>14}",
            token.id,
            token.principal,
            roles.join(","),
            state,
            token.expires_at_ms
        );
    }
}

/// Prints `cordon ctl audit` as lines, each naming who (the origin as the
/// ledger words it).
pub fn print_audit(entries: &[cordon_consensus::ledger::OperatorAuditEntry], verified: bool) {
    for entry in entries {
        println!(
            "#{:<8} {:>14}  {:<24} {}  [by {}]",
            entry.index, entry.at_ms, entry.action, entry.detail, entry.origin
        );
    }
    println!(
        "{} entries; hash chain {}",
        entries.len(),
        if verified { "verified" } else { "BROKEN" }
    );
}
