//! Elections with a pre-vote, driven by Cordon instead of openraft's timer.
//!
//! openraft 0.9 campaigns as soon as a follower's election timer fires: it
//! raises its term, and a node cut off from a healthy leader comes back
//! with a higher term that deposes the leader. Here openraft's own timer is
//! off (`enable_elect = false`) and each node runs `run`:
//!
//! - A follower that has heard nothing from a leader (an append from a
//!   voter, a snapshot chunk, or a vote it granted) for its election timeout (drawn
//!   from `raft.election_timeout_ms_min..max` each round) asks every other
//!   voter for a **pre-vote**: "would you vote for me in the next term?"
//! - A voter says yes only if it has not heard from a leader for at least
//!   the shortest election timeout, is not the leader itself, and the
//!   candidate's log is at least as up to date as its own. Nothing changes
//!   on either side: no term is raised. (Terms are left to the real vote.)
//! - With a majority of yeses (its own included) the node calls openraft's
//!   election. Otherwise it waits another timeout.
//!
//! So a node that cannot reach a majority, or whose peers still hear the
//! leader, never raises its term, and a healthy leader is never deposed by
//! a node coming back from a partition. openraft's leader lease (votes
//! refused within `election_timeout_max` of a leader's last contact) is set
//! to the shortest timeout, so a vote that follows a granted pre-vote is
//! not refused by it.

use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use openraft::ServerState;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::node::ConsensusNode;
use crate::types::{LogId, NodeId};

/// What a candidate asks in a pre-vote: its last log id. Terms are left to
/// the real vote, where a voter of a higher term refuses and the candidate
/// takes up that term for its next round.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreVote {
    /// The candidate (checked against its certificate).
    pub candidate: NodeId,
    /// The candidate's last log id.
    pub last_log_id: Option<LogId>,
}

/// When elections are due on one node.
#[derive(Debug)]
pub(crate) struct ElectionTimer {
    /// The shortest and longest election timeout; equal when pinned (the
    /// deterministic simulation pins each node's).
    timeout_ms: (u64, u64),
    /// The last time a leader was heard from (or this node started).
    last_contact: Mutex<Instant>,
}

impl ElectionTimer {
    pub(crate) fn new(timeout_ms_min: u64, timeout_ms_max: u64) -> ElectionTimer {
        ElectionTimer {
            timeout_ms: (timeout_ms_min, timeout_ms_max.max(timeout_ms_min)),
            last_contact: Mutex::new(Instant::now()),
        }
    }

    /// A leader was heard from now.
    pub(crate) fn note_contact(&self) {
        *self.lock() = Instant::now();
    }

    /// Whether a leader was heard from within the shortest timeout.
    pub(crate) fn leader_heard_recently(&self) -> bool {
        self.lock().elapsed() < Duration::from_millis(self.timeout_ms.0)
    }

    /// The shortest election timeout (openraft's leader lease ends just
    /// before it).
    pub(crate) fn shortest_timeout_ms(&self) -> u64 {
        self.timeout_ms.0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Instant> {
        // An Instant is always whole.
        self.last_contact
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A timeout for this round, drawn from the range (from the OS's
    /// randomness: the simulation pins the range to one value).
    fn draw_ms(&self) -> u64 {
        let (min, max) = self.timeout_ms;
        let random = ring::rand::generate::<[u8; 8]>(&ring::rand::SystemRandom::new())
            .map_or(0, |bytes| u64::from_le_bytes(bytes.expose()));
        min + random % (max - min + 1)
    }
}

/// The election loop of one node; ends when the node is dropped.
pub(crate) async fn run(node: Weak<ConsensusNode>, timer: Arc<ElectionTimer>) {
    loop {
        let timeout = Duration::from_millis(timer.draw_ms());
        let due = *timer.lock() + timeout;
        tokio::time::sleep_until(due).await;
        if *timer.lock() + timeout > Instant::now() {
            continue; // a leader was heard from meanwhile
        }
        let Some(node) = node.upgrade() else {
            return;
        };
        if node.campaigns() && node.pre_vote_won().await {
            tracing::info!(node_id = node.id(), "won a pre-vote; starting an election");
            if let Err(error) = node.raft().trigger().elect().await {
                tracing::warn!(%error, "could not start an election");
            }
        }
        // Whatever happened, the next round waits a whole timeout.
        timer.note_contact();
    }
}

impl ConsensusNode {
    /// Whether this node should try to become leader: a voter that is not
    /// the leader.
    fn campaigns(&self) -> bool {
        let is_leader = self.raft().metrics().borrow().state == ServerState::Leader;
        self.is_voter(self.id()) && !is_leader
    }

    /// Asks every other voter for a pre-vote at once; true with a majority.
    async fn pre_vote_won(&self) -> bool {
        let metrics = self.raft().metrics().borrow().clone();
        let voters: Vec<_> = metrics.membership_config.membership().voter_ids().collect();
        let request = PreVote {
            candidate: self.id(),
            last_log_id: self.last_log_id(),
        };
        let mut asks = tokio::task::JoinSet::new();
        for peer in voters.iter().copied().filter(|id| *id != self.id()) {
            asks.spawn(self.ask_pre_vote(peer, request.clone()));
        }
        let mut granted = 1; // its own
        while let Some(answer) = asks.join_next().await {
            granted += usize::from(answer.unwrap_or(false));
        }
        granted * 2 > voters.len()
    }

    /// This node's answer to a pre-vote from `candidate`.
    pub(crate) fn answer_pre_vote(&self, candidate: NodeId, request: &PreVote) -> bool {
        let metrics = self.raft().metrics().borrow().clone();
        let granted = metrics.state != ServerState::Leader
            && !self.election_timer().leader_heard_recently()
            && request.last_log_id >= self.last_log_id();
        tracing::debug!(candidate, granted, "pre-vote");
        granted
    }
}
