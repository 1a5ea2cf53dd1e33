//! What the in-process layers (L1, L2) read of their nodes to decide when
//! to go on: each node's Raft view, a leader a majority follows, the log
//! index every member has applied, and each node's incidents per request
//! id (its final reads). Pure functions of metrics and applied ledgers.

use std::collections::BTreeMap;

use cordon_consensus::state_machine::LedgerReader;
use cordon_consensus::types::RaftMetrics;
use cordon_consensus::NodeId;

/// One node's Raft metrics, as far as the waits need them.
#[derive(Clone, Debug)]
pub struct RaftView {
    pub id: NodeId,
    pub leading: bool,
    pub leader: Option<NodeId>,
    pub term: u64,
    pub last_log_index: Option<u64>,
    pub applied_index: Option<u64>,
    /// The voters of the membership this node knows.
    pub voters: Vec<NodeId>,
    /// Its voters and learners.
    pub members: Vec<NodeId>,
}

impl RaftView {
    pub fn of(metrics: &RaftMetrics) -> RaftView {
        RaftView {
            id: metrics.id,
            leading: metrics.state.is_leader(),
            leader: metrics.current_leader,
            term: metrics.current_term,
            last_log_index: metrics.last_log_index,
            applied_index: metrics.last_applied.map(|log_id| log_id.index),
            voters: metrics.membership_config.membership().voter_ids().collect(),
            members: metrics
                .membership_config
                .membership()
                .nodes()
                .map(|(id, _)| *id)
                .collect(),
        }
    }
}

/// A leader, other than `excluded`, that a majority of the voters it knows
/// (itself included) follow in its term: a deposed leader cut off in a
/// minority may still believe it leads.
pub fn majority_leader(views: &[RaftView], excluded: &[NodeId]) -> Option<NodeId> {
    views
        .iter()
        .find(|view| {
            let followers = views
                .iter()
                .filter(|other| {
                    view.voters.contains(&other.id)
                        && other.leader == Some(view.id)
                        && other.term == view.term
                })
                .count();
            view.leading && !excluded.contains(&view.id) && followers > view.voters.len() / 2
        })
        .map(|view| view.id)
}

/// The leader's last log index when every running member the leader knows
/// (voters and learners with a view) follows it in its term and has
/// applied up to it. Nodes outside the membership (removed, or never
/// added) do not count.
pub fn converged_index(views: &[RaftView]) -> Option<u64> {
    let leader = views.iter().find(|view| view.leading)?;
    let last_index = leader.last_log_index.unwrap_or(0);
    views
        .iter()
        .filter(|view| leader.members.contains(&view.id))
        .all(|view| {
            view.leader == Some(leader.id)
                && view.term == leader.term
                && view.applied_index.unwrap_or(0) >= last_index
        })
        .then_some(last_index)
}

/// Per request id, the incidents of a node's applied ledger carrying it.
pub fn incidents_by_request(reader: &LedgerReader) -> BTreeMap<String, Vec<String>> {
    let applied = reader.read();
    let mut by_request: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for incident in applied.ledger.incidents() {
        by_request
            .entry(incident.request_id.0.clone())
            .or_default()
            .push(incident.id.to_string());
    }
    by_request
}

pub fn describe(views: &[RaftView]) -> String {
    let parts: Vec<String> = views
        .iter()
        .map(|view| {
            format!(
                "node {}: term {} leader {:?} last log {:?} applied {:?} voters {:?}",
                view.id,
                view.term,
                view.leader,
                view.last_log_index,
                view.applied_index,
                view.voters
            )
        })
        .collect();
    parts.join("; ")
}
