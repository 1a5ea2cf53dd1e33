//! Restarting a node and waiting for it to be back and caught up: shared
//! by the fault families that restart nodes.

use std::time::{Duration, Instant};

use super::FaultState;
use crate::l3::api::Api;
use crate::l3::cluster::Run;
use crate::l3::options::DrillError;
use crate::l3::RECOVERY_WITHIN;

/// Restarts node `node`: SIGTERM, wait for the exit (SIGKILL after 15 s),
/// start it again from the same files (with `env`; an operator's node
/// through their commands), wait until it answers `/readyz` and a leader is
/// settled. `Ok(Ok(ms))`: from the SIGTERM to ready; `Ok(Err(problem))`:
/// it did not come back in time.
pub(super) async fn restart(
    run: &mut Run,
    api: &Api,
    node: usize,
    env: &[(&str, &str)],
) -> Result<Result<u64, String>, DrillError> {
    let began = Instant::now();
    let graceful = run.control.stop(node, Duration::from_secs(15)).await?;
    run.note(format!(
        "node {node} {} after {} ms",
        if graceful {
            "exited on SIGTERM"
        } else {
            "killed (SIGKILL or the kill command)"
        },
        began.elapsed().as_millis()
    ));
    run.control.start_with(node, &[], env)?;
    run.note(format!("start node {node}"));
    Ok(wait_back(run, api, node, began).await)
}

/// Waits until node `node` answers `/readyz` (from its new process) and a
/// leader is settled: ms since `began`, or the problem.
pub(super) async fn wait_back(
    run: &mut Run,
    api: &Api,
    node: usize,
    began: Instant,
) -> Result<u64, String> {
    let give_up = Instant::now() + RECOVERY_WITHIN;
    while Instant::now() < give_up {
        if let Some(status) = run.control.exited(node) {
            return Err(format!(
                "node {node} exited right after its restart: {status} (see its log)"
            ));
        }
        if api.ready(node).await {
            if let Some((leader, term)) = api.settled_leader(None).await {
                let ms = began.elapsed().as_millis() as u64;
                run.note(format!(
                    "node {node} ready; leader node {leader} term {term} ({ms} ms after the stop)"
                ));
                return Ok(ms);
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!(
        "node {node} not ready with a settled leader within {RECOVERY_WITHIN:?} of its restart"
    ))
}

/// The settled leader's last log index.
pub(super) async fn leader_log_end(api: &Api) -> Option<u64> {
    let (leader, _) = api.settled_leader(None).await?;
    api.view(leader as usize).await?.last_log_index
}

/// Waits until node `node` has applied the log up to `target` and notes
/// how long it took; not within [`RECOVERY_WITHIN`] is a problem.
pub(super) async fn note_catch_up(
    run: &mut Run,
    api: &Api,
    node: usize,
    target: Option<u64>,
    state: &mut FaultState,
) {
    let Some(target) = target else {
        state
            .problems
            .push(format!("no leader's log end to catch node {node} up to"));
        return;
    };
    let began = Instant::now();
    while began.elapsed() < RECOVERY_WITHIN {
        if let Some(view) = api.view(node).await {
            if view.applied_index.unwrap_or(0) >= target {
                run.note(format!(
                    "node {node} caught up: applied {} >= {target} after {} ms",
                    view.applied_index.unwrap_or(0),
                    began.elapsed().as_millis()
                ));
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    state.problems.push(format!(
        "node {node} did not apply the log up to {target} within {RECOVERY_WITHIN:?}"
    ));
}
