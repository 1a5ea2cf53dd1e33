//! disk-loss: a follower's disk loses writes it had acknowledged (see
//! [`DrillName::DiskLoss`] for the model: stop, copy, continue, keep
//! acknowledging, kill, restore); at heal it starts again from the
//! restored copy and must catch up.
//!
//! [`DrillName::DiskLoss`]: crate::l3::DrillName::DiskLoss

use std::time::{Duration, Instant};

use super::nodes::{leader_log_end, note_catch_up};
use super::FaultState;
use crate::l3::api::Api;
use crate::l3::cluster::Run;
use crate::l3::options::{setup, DrillError};
use crate::l3::process::copy_dir;
use crate::l3::report::ms;

/// How long the follower keeps acknowledging after the copy of its data,
/// before it is killed and the copy restored, in ms.
pub(crate) const DISK_TAIL_MS: u64 = 3_000;

/// disk-loss: stop, copy, continue, keep acknowledging, kill, restore
/// (see the module docs).
pub(super) async fn inject(
    run: &mut Run,
    api: &Api,
    state: &mut FaultState,
) -> Result<(), DrillError> {
    let node = state.follower;
    let data = run.cluster.node_data_dir(node as u64);
    let copy = run.dir.path().join(format!("node-{node}-copy"));
    run.control.signal(node, "STOP")?;
    let copied = copy_dir(&data, &copy);
    run.control.signal(node, "CONT")?;
    let bytes = copied.map_err(|error| setup(format!("copy {}: {error}", data.display())))?;
    let before = api.view(node).await;
    run.note(format!(
        "SIGSTOP node {node} (follower), copy its data ({bytes} bytes, log to {}, term {}), SIGCONT",
        ms(before.as_ref().and_then(|view| view.last_log_index)),
        ms(before.as_ref().map(|view| view.term)),
    ));
    tokio::time::sleep(Duration::from_millis(DISK_TAIL_MS)).await;
    let after = api.view(node).await;
    run.control.kill(node)?;
    state.mark_faulted(Instant::now(), vec![node as u64]);
    std::fs::remove_dir_all(&data)
        .map_err(|error| setup(format!("remove {}: {error}", data.display())))?;
    std::fs::rename(&copy, &data)
        .map_err(|error| setup(format!("restore {}: {error}", data.display())))?;
    let copied_end = before.as_ref().and_then(|view| view.last_log_index);
    let lost_end = after.as_ref().and_then(|view| view.last_log_index);
    run.note(format!(
        "SIGKILL node {node}, put the copy back: it forgets log entries {}..={} it had acknowledged",
        copied_end.map_or(0, |end| end + 1),
        ms(lost_end)
    ));
    if lost_end <= copied_end {
        state.problems.push(format!(
            "node {node} acknowledged nothing after the copy (log end {} then {}): no tail was lost",
            ms(copied_end),
            ms(lost_end)
        ));
    }
    match (before.map(|view| view.term), after.map(|view| view.term)) {
        (Some(then), Some(now)) if then == now => run.note(format!(
            "term {now} unchanged since the copy: the restored vote is the vote it had"
        )),
        (then, now) => run.note(format!(
            "term moved from {} to {} since the copy: the restored copy forgets a vote (outside the model)",
            ms(then),
            ms(now)
        )),
    }
    Ok(())
}

/// Starts the follower from the restored copy and waits for it to catch up
/// with the leader's log.
pub(super) async fn heal(
    run: &mut Run,
    api: &Api,
    state: &mut FaultState,
) -> Result<(), DrillError> {
    let follower = state.follower;
    let target = leader_log_end(api).await;
    run.control.start(follower)?;
    run.note(format!(
        "restart node {follower} from the restored copy; the leader's log ends at {}",
        ms(target)
    ));
    note_catch_up(run, api, follower, target, state).await;
    Ok(())
}
