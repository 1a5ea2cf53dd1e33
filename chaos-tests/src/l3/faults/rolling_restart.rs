//! rolling-restart: every node restarted in turn (SIGTERM, wait for the
//! exit, start from the same files, wait for `/readyz` and a settled
//! leader), followers first, then the leader kept down beyond the election
//! timeout so the others must elect a new one. Nothing to undo at heal.

use std::time::{Duration, Instant};

use super::nodes::{restart, wait_back};
use super::FaultState;
use crate::l3::api::Api;
use crate::l3::cluster::Run;
use crate::l3::options::DrillError;
use crate::l3::RECOVERY_WITHIN;

/// How long the old leader is kept down, in ms: beyond the election
/// timeout (1 s at most), so the others must elect a new one.
pub(crate) const LEADER_DOWN_MS: u64 = 2_500;

/// Followers first, each restarted and back; then the leader, kept down
/// [`LEADER_DOWN_MS`] (beyond the election timeout) so the others elect a
/// new leader before it starts again.
pub(super) async fn inject(
    run: &mut Run,
    api: &Api,
    state: &mut FaultState,
    fault_at: Instant,
) -> Result<(), DrillError> {
    let mut slowest = 0;
    for node in (1..=state.nodes).filter(|node| *node != state.leader) {
        match restart(run, api, node, &[]).await? {
            Ok(ms) => slowest = slowest.max(ms),
            Err(problem) => state.problems.push(problem),
        }
    }
    // The leader may have moved while the followers restarted.
    let (leader, term) = api
        .settled_leader(None)
        .await
        .unwrap_or((state.leader as u64, state.term));
    let leader = leader as usize;
    let began = Instant::now();
    let graceful = run.control.stop(leader, Duration::from_secs(15)).await?;
    run.note(format!(
        "stop node {leader} (leader) {}; keep it down {LEADER_DOWN_MS} ms",
        if graceful {
            "with SIGTERM"
        } else {
            "with SIGKILL"
        }
    ));
    match api.wait_leader(Some(term), RECOVERY_WITHIN).await {
        Some((new_leader, new_term)) => {
            state.new_leader_ms = Some(began.elapsed().as_millis() as u64);
            run.note(format!(
                "new leader node {new_leader} term {new_term} while node {leader} is down"
            ));
        }
        None => state.problems.push(format!(
            "no new leader within {RECOVERY_WITHIN:?} of stopping leader node {leader}"
        )),
    }
    tokio::time::sleep_until((began + Duration::from_millis(LEADER_DOWN_MS)).into()).await;
    run.control.start(leader)?;
    run.note(format!("start node {leader}"));
    match wait_back(run, api, leader, began).await {
        Ok(ms) => slowest = slowest.max(ms),
        Err(problem) => state.problems.push(problem),
    }
    run.note(format!(
        "every node restarted; slowest back in {slowest} ms, {} ms since the first",
        fault_at.elapsed().as_millis()
    ));
    Ok(())
}

/// Nothing to undo: every node is back.
pub(super) fn heal(run: &mut Run) {
    run.note("heal: nothing left to undo");
}
