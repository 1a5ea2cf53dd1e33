//! The leader's view of which nodes are alive, from heartbeat replies.
//!
//! Pings run in the background, one in flight per node at most, and each
//! records its reply when it comes. A placement round reads what the
//! replies say now and never waits on a ping, so a silent node (whose ping
//! takes its whole deadline) does not slow the rounds that move its actors
//! away.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use cordon_config::NodeId;
use tokio::time::Instant;

use crate::context::NodeContext;

/// Heartbeat replies per node, as one leader term sees them.
#[derive(Default)]
pub(crate) struct Health {
    /// Leader start of observation: nodes get the benefit of the doubt for one detection timeout.
    pub(crate) since: Option<Instant>,
    pub(crate) last_reply: BTreeMap<NodeId, Instant>,
    /// Start of the current unbroken run of replies.
    alive_since: BTreeMap<NodeId, Instant>,
    /// Nodes with a ping out: no second one is sent until it ends.
    pinging: BTreeSet<NodeId>,
}

/// [`Health`] shared between the placement loop and its pings.
pub(crate) type SharedHealth = Arc<Mutex<Health>>;

/// The shared health, even if a ping task panicked while holding it (the
/// maps stay consistent: every update is a single insert or remove).
pub(crate) fn lock(health: &SharedHealth) -> std::sync::MutexGuard<'_, Health> {
    health.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Sends a ping with `deadline` to every member without one out; each
/// records its reply in `health` when it ends.
pub(crate) fn send_pings(
    health: &SharedHealth,
    context: &Arc<NodeContext>,
    members: &[NodeId],
    deadline: Duration,
) {
    let sent = Instant::now();
    let mut state = lock(health);
    state.since.get_or_insert(sent);
    for id in members.iter().copied() {
        if !state.pinging.insert(id) {
            continue;
        }
        let (health, context) = (health.clone(), context.clone());
        tokio::spawn(async move {
            let answered = context.node.ping(id, deadline).await;
            lock(&health).record(id, sent, answered);
        });
    }
}

impl Health {
    /// The end of a ping sent at `sent` to `id`.
    fn record(&mut self, id: NodeId, sent: Instant, answered: bool) {
        self.pinging.remove(&id);
        if answered {
            self.last_reply.insert(id, Instant::now());
            self.alive_since.entry(id).or_insert(sent);
        } else {
            self.alive_since.remove(&id);
        }
    }

    /// On becoming leader: the previous leader was last heard when this
    /// node last took an append from it, so its silence counts from then
    /// (a killed, cut-off or paused leader loses its actors one detection
    /// timeout after it fell silent, not after this node's election).
    pub(crate) fn remember_previous_leader(
        &mut self,
        previous: Option<(NodeId, Instant)>,
        me: NodeId,
    ) {
        if let Some((leader, heard)) = previous.filter(|(leader, _)| *leader != me) {
            self.last_reply.insert(leader, heard);
        }
    }

    /// Heard from within `detection` of `now` (or, never pinged yet, this
    /// leader started watching less than `detection` ago).
    pub(crate) fn alive(&self, id: NodeId, now: Instant, detection: Duration) -> bool {
        match self.last_reply.get(&id) {
            Some(at) => now.duration_since(*at) <= detection,
            None => self
                .since
                .is_some_and(|since| now.duration_since(since) <= detection),
        }
    }

    /// Alive, and answering every ping for at least `hold`.
    pub(crate) fn stably_alive(
        &self,
        id: NodeId,
        now: Instant,
        detection: Duration,
        hold: Duration,
    ) -> bool {
        self.alive(id, now, detection)
            && self
                .alive_since
                .get(&id)
                .is_some_and(|since| now.duration_since(*since) >= hold)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_leader_counts_the_old_leaders_silence_from_its_last_append() {
        // Phase 1: this node (2) last took an append from leader 1 at t0,
        // and became leader 300 ms later; node 3 was never pinged yet.
        let detection = Duration::from_millis(800);
        let heard = Instant::now();
        let elected = heard + Duration::from_millis(300);
        let mut health = Health {
            since: Some(elected),
            ..Health::default()
        };
        health.remember_previous_leader(Some((1, heard)), 2);

        // Phase 2: 850 ms after the last append, the old leader is gone;
        // node 3 keeps the benefit of the doubt until 800 ms after the election.
        let later = heard + Duration::from_millis(850);
        assert!(!health.alive(1, later, detection));
        assert!(health.alive(3, later, detection));

        // Phase 3: a node that led itself remembers nothing of it.
        let mut own = Health::default();
        own.remember_previous_leader(Some((2, heard)), 2);
        assert!(own.last_reply.is_empty());
    }

    #[test]
    fn a_failed_ping_breaks_the_run_of_replies_and_frees_the_next_ping() {
        // Phase 1: two answered pings start a run at the first one's send.
        let (detection, hold) = (Duration::from_secs(10), Duration::ZERO);
        let first = Instant::now();
        let mut health = Health::default();
        health.pinging.insert(4);
        health.record(4, first, true);
        health.record(4, first + Duration::from_millis(100), true);
        assert_eq!(health.alive_since.get(&4), Some(&first));
        assert!(health.stably_alive(4, Instant::now(), detection, hold));

        // Phase 2: a ping that timed out ends the run but not the last
        // reply's liveness, and lets the next ping go.
        health.pinging.insert(4);
        health.record(4, first + Duration::from_millis(200), false);
        assert!(health.pinging.is_empty());
        assert!(health.alive(4, Instant::now(), detection));
        assert!(!health.stably_alive(4, Instant::now(), detection, hold));
    }
}
