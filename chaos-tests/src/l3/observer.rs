//! The drill's watch on the cluster, in the background for the whole
//! drill: leader changes, and (once a fault names its nodes) when the last
//! actor left them.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::api::Api;

/// How often the observer samples leadership, in ms.
const OBSERVE_EVERY_MS: u64 = 150;
/// How often the observer starts a placement read once a fault is in, in
/// ms (the drills' "actors replaced" figure is late by up to this much).
const PLACEMENTS_EVERY_MS: u64 = 50;
/// Placement reads in flight at once from the observer (each may wait for
/// a leader's read barrier).
const PLACEMENT_READS_INFLIGHT_MAX: usize = 32;

/// Watches the cluster in the background for the whole drill: leader
/// changes, and (once a fault names its nodes) when the last actor left
/// them.
pub(crate) struct Observer {
    api: Api,
    start: Instant,
    /// (ms since start, leader, term), the first being the leader at the
    /// start.
    leaders: Mutex<Vec<(u64, u64, u64)>>,
    /// The fault's time and the nodes it took out, once injected.
    faulted: Mutex<Option<(Instant, BTreeSet<u64>)>>,
    /// The earliest placement read showing no actor on a faulted node.
    replaced_at: Mutex<Option<Instant>>,
    reads_inflight: AtomicUsize,
    stop: AtomicBool,
}

impl Observer {
    /// An observer of `api` whose times count from `start`, when `leader`
    /// led in `term`.
    pub(crate) fn new(api: Api, start: Instant, leader: u64, term: u64) -> Arc<Observer> {
        Arc::new(Observer {
            api,
            start,
            leaders: Mutex::new(vec![(0, leader, term)]),
            faulted: Mutex::new(None),
            replaced_at: Mutex::new(None),
            reads_inflight: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
        })
    }

    /// Samples until [`Observer::stop`]: leadership and placements each on
    /// their own beat, so a probe of an unreachable node never delays the
    /// other.
    pub(crate) async fn run(self: Arc<Self>) {
        tokio::join!(self.clone().watch_leaders(), self.watch_placements());
    }

    async fn watch_leaders(self: Arc<Self>) {
        while !self.stop.load(Ordering::Relaxed) {
            if let Some((leader, term)) = self.api.settled_leader(None).await {
                if let Ok(mut leaders) = self.leaders.lock() {
                    if leaders
                        .last()
                        .is_none_or(|(_, l, t)| (*l, *t) != (leader, term))
                    {
                        leaders.push((self.start.elapsed().as_millis() as u64, leader, term));
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(OBSERVE_EVERY_MS)).await;
        }
    }

    async fn watch_placements(self: Arc<Self>) {
        while !self.stop.load(Ordering::Relaxed) {
            self.probe_placements();
            tokio::time::sleep(Duration::from_millis(PLACEMENTS_EVERY_MS)).await;
        }
    }

    /// Starts one placement read (not awaited: a read may wait on an
    /// unreachable peer) from a node outside the fault; its answer counts
    /// from when it came.
    fn probe_placements(self: &Arc<Self>) {
        let faulted = match self.faulted.lock() {
            Ok(guard) => guard.clone(),
            Err(_) => None,
        };
        let Some((_, faulted)) = faulted else {
            return;
        };
        if self
            .replaced_at
            .lock()
            .map(|at| at.is_some())
            .unwrap_or(true)
            || self.reads_inflight.load(Ordering::Relaxed) >= PLACEMENT_READS_INFLIGHT_MAX
        {
            return;
        }
        let leader = self
            .leaders
            .lock()
            .ok()
            .and_then(|leaders| leaders.last().map(|(_, leader, _)| *leader));
        let node = leader
            .filter(|leader| !faulted.contains(leader))
            .or_else(|| (1..=self.api.urls.len() as u64).find(|n| !faulted.contains(n)));
        let Some(node) = node else {
            return;
        };
        let observer = self.clone();
        self.reads_inflight.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            if let Ok(placed) = observer
                .api
                .placements(node as usize, Duration::from_secs(4))
                .await
            {
                // The read barrier may wait for a leader, so the answer
                // shows the placements as of when it came, not when asked.
                let answered = Instant::now();
                if !placed.is_empty() && placed.iter().all(|p| !faulted.contains(&p.node)) {
                    if let Ok(mut at) = observer.replaced_at.lock() {
                        if at.is_none_or(|earlier| answered < earlier) {
                            *at = Some(answered);
                        }
                    }
                }
            }
            observer.reads_inflight.fetch_sub(1, Ordering::Relaxed);
        });
    }

    /// Ends [`Observer::run`] after its current sample.
    pub(crate) fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Leaders seen: (ms since start, leader, term), the first at the start.
    pub(crate) fn leaders(&self) -> Vec<(u64, u64, u64)> {
        self.leaders
            .lock()
            .map(|leaders| leaders.clone())
            .unwrap_or_default()
    }

    /// True once a fault named nodes whose actors to watch.
    pub(crate) fn watched(&self) -> bool {
        self.faulted
            .lock()
            .map(|faulted| faulted.is_some())
            .unwrap_or(false)
    }

    /// Watch for the actors of `nodes`, taken out at `at`, to be placed
    /// elsewhere.
    pub(crate) fn set_faulted(&self, at: Instant, nodes: &[u64]) {
        if let Ok(mut faulted) = self.faulted.lock() {
            *faulted = Some((at, nodes.iter().copied().collect()));
        }
    }

    /// From the fault to every actor placed off the faulted nodes, once
    /// seen.
    pub(crate) fn replaced_ms(&self) -> Option<u64> {
        let fault = self.faulted.lock().ok()?.as_ref()?.0;
        let at = (*self.replaced_at.lock().ok()?)?;
        Some(at.saturating_duration_since(fault).as_millis() as u64)
    }
}

/// Background tasks of a drill (clients, observer), aborted if the drill
/// returns early with an error, so they do not go on against a cluster
/// that is gone; by the normal end they are done.
pub(crate) struct Background(pub(crate) Vec<tokio::task::AbortHandle>);

impl Drop for Background {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}
