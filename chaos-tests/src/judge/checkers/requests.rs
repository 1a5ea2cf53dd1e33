//! Reports and their request ids: nothing acknowledged is lost, nothing
//! retried takes effect twice.

use std::collections::{BTreeMap, BTreeSet};

use super::{verdict, IncidentId, NodeName, RequestId, Violation};
use crate::judge::history::{Completion, IncidentOp, IncidentResult, OpKind, OpRecord, OpResult};
use crate::judge::invariants::Invariant;

/// What each node holds after the quiet period: per request id, the ids of
/// the incidents that carry it (one, if all is well).
pub type FinalReads = BTreeMap<NodeName, BTreeMap<RequestId, Vec<IncidentId>>>;

/// What the clients learned about one request id over all its attempts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestOutcome {
    /// Some attempt was acknowledged with this incident id.
    Acknowledged {
        /// The id of the first acknowledgement.
        incident_id: IncidentId,
    },
    /// No attempt was acknowledged and at least one may have taken effect.
    Indeterminate,
    /// Every attempt certainly failed: it must not have taken effect.
    Failed,
}

/// Folds every report in a history into one outcome per request id: an
/// acknowledgement beats an unknown outcome, which beats a failure.
pub fn request_outcomes(records: &[OpRecord]) -> BTreeMap<RequestId, RequestOutcome> {
    let mut outcomes = BTreeMap::new();
    for record in records {
        let OpKind::Incident(IncidentOp::Report { request_id }) = &record.op.kind else {
            continue;
        };
        let outcome = match &record.completion {
            Completion::Ok {
                result: OpResult::Incident(IncidentResult::Reported { incident_id }),
                ..
            } => RequestOutcome::Acknowledged {
                incident_id: incident_id.clone(),
            },
            Completion::Fail { .. } => RequestOutcome::Failed,
            Completion::Ok { .. } | Completion::Info { .. } | Completion::Pending => {
                RequestOutcome::Indeterminate
            }
        };
        let entry = outcomes
            .entry(request_id.clone())
            .or_insert(RequestOutcome::Failed);
        if rank(&outcome) > rank(entry) {
            *entry = outcome;
        }
    }
    outcomes
}

fn rank(outcome: &RequestOutcome) -> u8 {
    match outcome {
        RequestOutcome::Failed => 0,
        RequestOutcome::Indeterminate => 1,
        RequestOutcome::Acknowledged { .. } => 2,
    }
}

/// The acknowledged requests and their incident ids.
pub fn acked_incidents(
    outcomes: &BTreeMap<RequestId, RequestOutcome>,
) -> BTreeMap<RequestId, IncidentId> {
    outcomes
        .iter()
        .filter_map(|(request_id, outcome)| match outcome {
            RequestOutcome::Acknowledged { incident_id } => {
                Some((request_id.clone(), incident_id.clone()))
            }
            RequestOutcome::Indeterminate | RequestOutcome::Failed => None,
        })
        .collect()
}

/// Every acknowledged report is present exactly once on every node, with
/// the acknowledged incident id ([`Invariant::AckedIncidentPresent`]).
///
/// Final reads from no node at all are a violation when anything was
/// acknowledged: an empty check must not pass for a clean one.
pub fn lost_acks(
    acked: &BTreeMap<RequestId, IncidentId>,
    final_reads: &FinalReads,
) -> Result<(), Vec<Violation>> {
    let mut violations = Vec::new();
    if final_reads.is_empty() && !acked.is_empty() {
        violations.push(Violation::new(
            Invariant::AckedIncidentPresent,
            format!(
                "no node's final reads were given; {} acknowledged requests unchecked",
                acked.len()
            ),
        ));
    }
    for (node, reads) in final_reads {
        for (request_id, incident_id) in acked {
            let found = reads.get(request_id).map(Vec::as_slice).unwrap_or_default();
            let detail = match found {
                [only] if only == incident_id => continue,
                [] => format!(
                    "request {request_id} acknowledged as {incident_id} is missing on {node}"
                ),
                [other] => format!(
                    "request {request_id} acknowledged as {incident_id} is on {node} as {other}"
                ),
                many => format!(
                    "request {request_id} acknowledged as {incident_id} is on {node} {} times: {}",
                    many.len(),
                    many.join(", ")
                ),
            };
            violations.push(Violation::new(Invariant::AckedIncidentPresent, detail));
        }
    }
    verdict(violations)
}

/// A request id took effect at most once ([`Invariant::RequestAppliedOnce`]):
/// - no node holds two incidents with the same request id (this covers a
///   request retried after an info outcome);
/// - all nodes that hold a request's incident hold the same one;
/// - a request whose every attempt failed is on no node.
pub fn request_applied_once(
    outcomes: &BTreeMap<RequestId, RequestOutcome>,
    final_reads: &FinalReads,
) -> Result<(), Vec<Violation>> {
    let mut violations = Vec::new();
    let mut placements: BTreeMap<&RequestId, BTreeMap<&IncidentId, BTreeSet<&NodeName>>> =
        BTreeMap::new();
    for (node, reads) in final_reads {
        for (request_id, incidents) in reads {
            if incidents.len() > 1 {
                violations.push(Violation::new(
                    Invariant::RequestAppliedOnce,
                    format!(
                        "request {request_id} took effect {} times on {node}: {}",
                        incidents.len(),
                        incidents.join(", ")
                    ),
                ));
            }
            for incident_id in incidents {
                placements
                    .entry(request_id)
                    .or_default()
                    .entry(incident_id)
                    .or_default()
                    .insert(node);
            }
        }
    }
    for (request_id, incidents) in &placements {
        if incidents.len() > 1 {
            let where_found: Vec<String> = incidents
                .iter()
                .map(|(incident_id, nodes)| {
                    let nodes: Vec<&str> = nodes.iter().map(|node| node.as_str()).collect();
                    format!("{incident_id} on {}", nodes.join(" "))
                })
                .collect();
            violations.push(Violation::new(
                Invariant::RequestAppliedOnce,
                format!(
                    "request {request_id} took effect as {} different incidents: {}",
                    incidents.len(),
                    where_found.join("; ")
                ),
            ));
        }
        if outcomes.get(*request_id) == Some(&RequestOutcome::Failed) {
            let found: Vec<&str> = incidents.keys().map(|id| id.as_str()).collect();
            violations.push(Violation::new(
                Invariant::RequestAppliedOnce,
                format!(
                    "request {request_id} was answered fail on every attempt but took effect as {}",
                    found.join(", ")
                ),
            ));
        }
    }
    verdict(violations)
}
