//! cert-expiry: a follower's certificate is re-issued valid for a few
//! seconds (`cordon certs issue --valid-for`) and the follower restarted;
//! once it expires its peers must refuse it while the others go on; at
//! heal a fresh certificate is issued (rotation), the follower restarted,
//! and it must rejoin and catch up.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::nodes::{leader_log_end, note_catch_up, restart};
use super::FaultState;
use crate::l3::api::Api;
use crate::l3::cluster::Run;
use crate::l3::options::{setup, DrillError};
use crate::l3::process::Control;
use crate::l3::RECOVERY_WITHIN;

/// Validity of the short-lived certificate, in seconds.
pub(crate) const SHORT_CERT_VALID_S: u64 = 8;
/// How far behind "the leader's log of a while ago" is measured when
/// telling whether a node still receives the log, in ms.
const CUT_OFF_LAG_MS: u64 = 2_000;

/// cert-expiry: a short-lived certificate for a follower, its expiry, and
/// proof that its peers then refuse it.
pub(super) async fn inject(
    run: &mut Run,
    api: &Api,
    state: &mut FaultState,
) -> Result<(), DrillError> {
    let node = state.follower;
    issue_certificate(run, node, Some(&format!("{SHORT_CERT_VALID_S}s")))?;
    let expires = Instant::now() + Duration::from_secs(SHORT_CERT_VALID_S);
    run.note(format!(
        "issue node {node} (follower) a certificate valid for {SHORT_CERT_VALID_S} s; restart it"
    ));
    if let Err(problem) = restart(run, api, node, &[]).await? {
        state.problems.push(problem);
        return Ok(());
    }
    tokio::time::sleep_until(expires.into()).await;
    run.note(format!("node {node}'s certificate expired"));
    state.mark_faulted(expires, vec![node as u64]);
    match wait_cut_off(api, node, RECOVERY_WITHIN).await {
        Some(lag) => run.note(format!(
            "node {node} is cut off: its log is behind the leader's of {CUT_OFF_LAG_MS} ms ago by {lag} entries, {} ms after the expiry",
            expires.elapsed().as_millis()
        )),
        None => state.problems.push(format!(
            "node {node} still receives the log {RECOVERY_WITHIN:?} after its certificate expired: its peers do not refuse an expired certificate"
        )),
    }
    Ok(())
}

/// Waits until node `node` no longer receives the log: its last index is
/// below the leader's of [`CUT_OFF_LAG_MS`] ago. The lag, or `None` if it
/// kept up for `within`.
async fn wait_cut_off(api: &Api, node: usize, within: Duration) -> Option<u64> {
    let give_up = Instant::now() + within;
    let mut leader_ends: Vec<(Instant, u64)> = Vec::new();
    while Instant::now() < give_up {
        if let Some(end) = leader_log_end(api).await {
            leader_ends.push((Instant::now(), end));
        }
        let old = leader_ends
            .iter()
            .rev()
            .find(|(at, _)| at.elapsed() >= Duration::from_millis(CUT_OFF_LAG_MS))
            .map(|(_, end)| *end);
        if let (Some(old), Some(view)) = (old, api.view(node).await) {
            let end = view.last_log_index.unwrap_or(0);
            if end < old {
                return Some(old - end);
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    None
}

/// `cordon certs issue --cluster F --node N [--valid-for V]`.
fn issue_certificate(run: &Run, node: usize, valid_for: Option<&str>) -> Result<(), DrillError> {
    let Control::Lab { nodes, .. } = &run.control else {
        return Err(setup(
            "certificates are issued only for a cluster the drill starts",
        ));
    };
    let mut command = Command::new(&nodes.binary);
    command
        .args(["certs", "issue", "--cluster"])
        .arg(&run.cluster_path)
        .args(["--node", &node.to_string()]);
    if let Some(valid_for) = valid_for {
        command.args(["--valid-for", valid_for]);
    }
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|error| setup(format!("run cordon certs issue: {error}")))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(setup(format!(
            "cordon certs issue for node {node} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )))
    }
}

/// Rotation: a fresh certificate, a restart, and the follower caught up.
pub(super) async fn heal(
    run: &mut Run,
    api: &Api,
    state: &mut FaultState,
) -> Result<(), DrillError> {
    let follower = state.follower;
    issue_certificate(run, follower, None)?;
    run.note(format!(
        "rotate: issue node {follower} a fresh certificate (`cordon certs issue`)"
    ));
    match restart(run, api, follower, &[]).await? {
        Ok(_) => {
            let target = leader_log_end(api).await;
            note_catch_up(run, api, follower, target, state).await;
        }
        Err(problem) => state.problems.push(problem),
    }
    Ok(())
}
