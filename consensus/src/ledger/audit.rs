//! The audit trail's hash chains. Each timeline entry's hash is SHA-256 over
//! the previous entry's hash and a canonical line of the entry's fields, so a
//! removed, reordered or edited entry breaks every hash after it. The
//! operator audit log (token issue and revoke, draining, retired node ids,
//! membership changes and drills) is chained the same way.

use ring::digest::{digest, SHA256};
use serde::{Deserialize, Serialize};

use super::command::{Command, Origin};
use super::ids::{IncidentStatus, RequestId};
use super::model::{TimelineEntry, TimelineStep};

/// The hash before the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Lowercase hex of `bytes` (hashes, token ids and secrets, fingerprints).
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The hash of an entry given the previous hash.
pub fn entry_hash(previous: &str, entry: &TimelineEntry) -> String {
    let line = format!(
        "{previous}\n{}\n{}\n{}\n{}\n{}\n{:?}\n{}",
        entry.index,
        entry.at_ms,
        entry.origin,
        entry.request_id,
        entry.step.name(),
        entry.status,
        entry.reason
    );
    hex(digest(&SHA256, line.as_bytes()).as_ref())
}

/// Appends an entry with its chained hash.
#[allow(clippy::too_many_arguments)] // reason: one argument per audited field keeps call sites explicit
pub(crate) fn append(
    timeline: &mut Vec<TimelineEntry>,
    index: u64,
    at_ms: u64,
    origin: &Origin,
    request_id: &RequestId,
    step: TimelineStep,
    status: IncidentStatus,
    reason: String,
) {
    let previous = timeline
        .last()
        .map_or(GENESIS_HASH, |e| e.hash.as_str())
        .to_string();
    let mut entry = TimelineEntry {
        index,
        at_ms,
        origin: origin.clone(),
        request_id: request_id.clone(),
        step,
        status,
        reason,
        hash: String::new(),
    };
    entry.hash = entry_hash(&previous, &entry);
    timeline.push(entry);
}

/// Checks a timeline's chain, and that each step's unit is the one its
/// hashed reason names; on a break, returns the position of the first bad
/// entry.
pub fn verify(timeline: &[TimelineEntry]) -> Result<(), usize> {
    let mut previous = GENESIS_HASH.to_string();
    for (position, entry) in timeline.iter().enumerate() {
        let unit_named = entry
            .step
            .unit_id()
            .is_none_or(|unit| entry.reason.contains(unit.0.as_str()));
        if entry_hash(&previous, entry) != entry.hash || !unit_named {
            return Err(position);
        }
        previous = entry.hash.clone();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::ids::ActorId;

    #[test]
    fn the_hash_of_a_fixed_timeline_never_changes() {
        // Timelines already in logs and snapshots must keep verifying: the
        // canonical line of an entry, step name included, is fixed.
        let mut timeline = Vec::new();
        append(
            &mut timeline,
            7,
            1_700_000_000_000,
            &Origin::Operator,
            &RequestId("report-1".into()),
            TimelineStep::Reported,
            IncidentStatus::Reported,
            "theft reported by EmergencyCall".into(),
        );
        append(
            &mut timeline,
            9,
            1_700_000_004_000,
            &Origin::Actor {
                actor: ActorId::Hub,
                epoch: 3,
                node: 2,
            },
            &RequestId("hub.e3.triage.1".into()),
            TimelineStep::Triaged,
            IncidentStatus::Triaged,
            "ring 3, station bund, run card theft, target 300 s".into(),
        );
        assert_eq!(verify(&timeline), Ok(()));
        assert_eq!(
            timeline[0].hash,
            "ca81d6772379699c9c5d6434dead1a41d7d16cbb89a86585e29fbad0a9424b47"
        );
        assert_eq!(
            timeline[1].hash,
            "83fa91a3eb8d05c0b48272779d3350a947afff5e29036c4548467e9b3b64fbc2"
        );
    }

    // A step that carries its unit hashes only its canonical name, exactly
    // as the string steps of earlier versions did; the unit must be the one
    // the hashed reason names, or the timeline does not verify.
    #[test]
    fn a_unit_step_hashes_its_canonical_name_and_must_match_its_reason() {
        let mut timeline = Vec::new();
        let request_id = RequestId("station:bund.e1.m4.a0".into());
        let reason = "bund-1-a, eta 40 s, target 60 s".to_string();
        let assigned = TimelineStep::Assigned {
            unit_id: crate::ledger::ids::UnitId("bund-1-a".into()),
        };
        let (index, at_ms) = (12, 1_700_000_009_000);
        append(
            &mut timeline,
            index,
            at_ms,
            &Origin::Operator,
            &request_id,
            assigned,
            IncidentStatus::Assigned,
            reason.clone(),
        );
        let line = format!(
            "{GENESIS_HASH}\n{index}\n{at_ms}\noperator\n{request_id}\nassigned\nAssigned\n{reason}"
        );
        assert_eq!(
            timeline[0].hash,
            hex(digest(&SHA256, line.as_bytes()).as_ref())
        );
        assert_eq!(verify(&timeline), Ok(()));
        timeline[0].step = TimelineStep::Assigned {
            unit_id: crate::ledger::ids::UnitId("bund-2-b".into()),
        };
        assert_eq!(verify(&timeline), Err(0), "a unit the reason does not name");
    }
}

/// An entry of the operator audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorAuditEntry {
    /// The log index of the command.
    pub index: u64,
    /// The proposer's time, Unix milliseconds.
    pub at_ms: u64,
    /// Who: the operator, or a principal with the node and client address.
    pub origin: Origin,
    /// The request id of the command.
    pub request_id: RequestId,
    /// The ledger action (`issue_token`, `record_operator_action`...).
    pub action: String,
    /// What it did, in words (never a token's secret or hash).
    pub detail: String,
    /// SHA-256 over the previous entry's hash and this entry.
    pub hash: String,
}

/// The hash of an operator audit entry given the previous hash.
pub fn operator_entry_hash(previous: &str, entry: &OperatorAuditEntry) -> String {
    let line = format!(
        "{previous}\n{}\n{}\n{}\n{}\n{}\n{:?}",
        entry.index, entry.at_ms, entry.origin, entry.request_id, entry.action, entry.detail
    );
    hex(digest(&SHA256, line.as_bytes()).as_ref())
}

/// Most members a roster load's audit entry names (the rest are counted).
const AUDIT_MEMBERS_NAMED_MAX: usize = 20;

/// What an operator action did, for the audit log.
fn operator_detail(action: &super::Action) -> String {
    use super::Action;
    match action {
        Action::IssueToken(issue) => format!(
            "token {} for {} ({}) until {} (Unix ms)",
            issue.token_id,
            issue.principal,
            issue
                .roles
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            issue.expires_at_ms
        ),
        Action::RevokeToken(revoke) => format!("token {}: {}", revoke.token_id, revoke.reason),
        Action::RecordOperatorAction(note) => format!("{}: {}", note.action, note.detail),
        Action::SetNodeDrained(drain) => format!(
            "node {} {}",
            drain.node_id,
            if drain.drained {
                "drained"
            } else {
                "undrained"
            }
        ),
        Action::RetireNodeId(retire) => format!("node id {} retired", retire.node_id),
        Action::LoadMembers(load) => {
            let teams: Vec<String> = load
                .members
                .iter()
                .take(AUDIT_MEMBERS_NAMED_MAX)
                .map(|m| {
                    let team = m.team.as_ref().map_or("no team", |team| team.0.as_str());
                    format!("{} ({team})", m.id)
                })
                .collect();
            let more = load.members.len().saturating_sub(AUDIT_MEMBERS_NAMED_MAX);
            let tail = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            format!("{} members: {}{tail}", load.members.len(), teams.join(", "))
        }
        Action::SetMemberAvailability(change) => format!(
            "member {} {}",
            change.member_id,
            if change.available {
                "available"
            } else {
                "unavailable"
            }
        ),
        other => other.name().to_string(),
    }
}

/// Appends an applied operator action to the operator audit log.
pub(crate) fn append_operator(log: &mut Vec<OperatorAuditEntry>, index: u64, command: &Command) {
    let previous = log
        .last()
        .map_or(GENESIS_HASH, |e| e.hash.as_str())
        .to_string();
    let action = match &command.action {
        super::Action::RecordOperatorAction(note) => note.action.clone(),
        other => other.name().to_string(),
    };
    let mut entry = OperatorAuditEntry {
        index,
        at_ms: command.proposed_at_ms,
        origin: command.origin.clone(),
        request_id: command.request_id.clone(),
        action,
        detail: operator_detail(&command.action),
        hash: String::new(),
    };
    entry.hash = operator_entry_hash(&previous, &entry);
    log.push(entry);
}

/// Checks the operator audit log's chain; on a break, the position of the
/// first bad entry.
pub fn verify_operator(log: &[OperatorAuditEntry]) -> Result<(), usize> {
    let mut previous = GENESIS_HASH.to_string();
    for (position, entry) in log.iter().enumerate() {
        if operator_entry_hash(&previous, entry) != entry.hash {
            return Err(position);
        }
        previous = entry.hash.clone();
    }
    Ok(())
}
