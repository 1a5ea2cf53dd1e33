//! membership-churn: a node outside the initial voters is started, then
//! `cordon ctl members add-learner`, `promote` and `remove` change the
//! membership under load, and the node is stopped. Nothing to undo at heal.

use std::time::Duration;

use super::FaultState;
use crate::l3::api::Api;
use crate::l3::cluster::{cordon, Run};
use crate::l3::options::{DrillError, DrillOptions};

/// Starts the extra node, adds, promotes and removes it, stops it, and
/// notes the cluster's status.
pub(super) async fn inject(
    run: &mut Run,
    api_all: &Api,
    options: &DrillOptions,
    state: &mut FaultState,
) -> Result<(), DrillError> {
    let extra = state.nodes + 1;
    run.control.start(extra)?;
    run.note(format!("start node {extra} (not a member)"));
    for (verb, pause) in [
        ("add-learner", Duration::from_secs(2)),
        ("promote", Duration::from_secs(3)),
        ("remove", Duration::from_secs(1)),
    ] {
        change(run, api_all, options, state, verb, extra).await;
        tokio::time::sleep(pause).await;
    }
    let graceful = run.control.stop(extra, Duration::from_secs(10)).await?;
    run.note(format!(
        "stop node {extra} ({})",
        if graceful {
            "SIGTERM"
        } else {
            "SIGKILL after 10 s"
        }
    ));
    let status = ctl(run, options, &["status"]).await;
    run.note(format!(
        "ctl status: {}",
        status.unwrap_or_else(|error| error).replace('\n', " | ")
    ));
    Ok(())
}

/// `ctl members <verb> <extra>`, noted; then what the extra node sees
/// (unless it was removed).
async fn change(
    run: &mut Run,
    api_all: &Api,
    options: &DrillOptions,
    state: &mut FaultState,
    verb: &str,
    extra: usize,
) {
    match ctl(run, options, &["members", verb, &extra.to_string()]).await {
        Ok(out) => run.note(format!("ctl members {verb} {extra}: {out}")),
        Err(error) => {
            run.note(format!("ctl members {verb} {extra} FAILED"));
            state
                .problems
                .push(format!("ctl members {verb} {extra}: {error}"));
        }
    }
    if verb != "remove" {
        let caught_up = api_all.view(extra).await;
        run.note(format!(
            "node {extra} sees: {}",
            caught_up.map_or("no answer".to_string(), |view| format!(
                "role {} leader {:?} term {}",
                view.role, view.leader, view.term
            ))
        ));
    }
}

/// Nothing to undo: the extra node is out again.
pub(super) fn heal(run: &mut Run) {
    run.note("heal: nothing left to undo");
}

/// `cordon ctl --cluster <the run's file> <args>`, from node 1's place.
async fn ctl(run: &Run, options: &DrillOptions, args: &[&str]) -> Result<String, String> {
    let mut all = vec!["ctl", "--cluster"];
    let cluster = run.cluster_path.display().to_string();
    all.push(&cluster);
    all.extend_from_slice(args);
    cordon(run, options, &all).await
}
