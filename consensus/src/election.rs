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
    heard: Mutex<Heard>,
}

/// What the timer has heard, and when.
#[derive(Debug)]
struct Heard {
    /// The last time a leader was heard from (or this node started).
    contact: Instant,
    /// When this node's last pre-vote round ended: the next waits a whole
    /// timeout after it. Kept apart from `contact`, so a node that just
    /// failed a round does not tell others it heard a leader.
    round: Option<Instant>,
    /// The last leader heard from, and when: a new leader's placement
    /// counts the old leader's silence from then, not from its election.
    leader: Option<(NodeId, Instant)>,
}

impl ElectionTimer {
    pub(crate) fn new(timeout_ms_min: u64, timeout_ms_max: u64) -> ElectionTimer {
        ElectionTimer {
            timeout_ms: (timeout_ms_min, timeout_ms_max.max(timeout_ms_min)),
            heard: Mutex::new(Heard {
                contact: Instant::now(),
                round: None,
                leader: None,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Heard> {
        // Each critical section leaves the instants whole.
        self.heard.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A leader (or a candidate this node voted for) was heard from now.
    pub(crate) fn note_contact(&self) {
        self.lock().contact = Instant::now();
    }

    /// Leader `leader` was heard from now (an append it sent).
    pub(crate) fn note_leader(&self, leader: NodeId) {
        let now = Instant::now();
        let mut heard = self.lock();
        heard.contact = now;
        heard.leader = Some((leader, now));
    }

    /// A pre-vote round ended now.
    fn note_round(&self) {
        self.lock().round = Some(Instant::now());
    }

    /// When the next pre-vote round may start at the earliest: a timeout
    /// after a leader was last heard and after the last round.
    fn quiet_since(&self) -> Instant {
        let heard = self.lock();
        heard
            .round
            .map_or(heard.contact, |round| round.max(heard.contact))
    }

    /// The last leader heard from, and when.
    pub(crate) fn last_leader(&self) -> Option<(NodeId, Instant)> {
        self.lock().leader
    }

    /// Whether a leader was heard from within the shortest timeout.
    pub(crate) fn leader_heard_recently(&self) -> bool {
        self.lock().contact.elapsed() < Duration::from_millis(self.timeout_ms.0)
    }

    /// The shortest election timeout (openraft's leader lease ends just
    /// before it).
    pub(crate) fn shortest_timeout_ms(&self) -> u64 {
        self.timeout_ms.0
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
        let due = timer.quiet_since() + timeout;
        tokio::time::sleep_until(due).await;
        if timer.quiet_since() + timeout > Instant::now() {
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
        timer.note_round();
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
    /// The asks still out when it is decided are dropped (aborted).
    async fn pre_vote_won(&self) -> bool {
        let voters: Vec<_> = self
            .raft()
            .metrics()
            .borrow()
            .membership_config
            .membership()
            .voter_ids()
            .collect();
        let request = PreVote {
            candidate: self.id(),
            last_log_id: self.last_log_id(),
        };
        let mut asks = tokio::task::JoinSet::new();
        for peer in voters.iter().copied().filter(|id| *id != self.id()) {
            asks.spawn(self.ask_pre_vote(peer, request.clone()));
        }
        // Decided as soon as a majority is reached or out of reach: a dead
        // peer (the old leader) is not waited for.
        let (mut granted, mut unanswered) = (1, asks.len()); // its own yes
        while granted * 2 <= voters.len() && (granted + unanswered) * 2 > voters.len() {
            let Some(answer) = asks.join_next().await else {
                break;
            };
            granted += usize::from(answer.unwrap_or(false));
            unanswered -= 1;
        }
        granted * 2 > voters.len()
    }

    /// This node's answer to a pre-vote.
    pub(crate) fn answer_pre_vote(&self, request: &PreVote) -> bool {
        let is_leader = self.raft().metrics().borrow().state == ServerState::Leader;
        let granted = !is_leader
            && !self.election_timer().leader_heard_recently()
            && request.last_log_id >= self.last_log_id();
        tracing::debug!(candidate = request.candidate, granted, "pre-vote");
        granted
    }
}
