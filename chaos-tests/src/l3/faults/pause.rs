//! pause-leader: SIGSTOP the leader past the election timeout; SIGCONT at
//! heal.

use super::FaultState;
use crate::l3::cluster::Run;
use crate::l3::options::DrillError;

/// SIGSTOPs the leader.
pub(super) fn inject(run: &mut Run, state: &FaultState) -> Result<(), DrillError> {
    let leader = state.leader;
    run.control.signal(leader, "STOP")?;
    run.note(format!("SIGSTOP node {leader} (leader)"));
    Ok(())
}

/// SIGCONTs the paused leader.
pub(super) fn heal(run: &mut Run, state: &FaultState) -> Result<(), DrillError> {
    let leader = state.leader;
    run.control.signal(leader, "CONT")?;
    run.note(format!("SIGCONT node {leader}"));
    Ok(())
}
