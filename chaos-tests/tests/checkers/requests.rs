use std::collections::BTreeMap;

use cordon_chaos::judge::checkers::{
    acked_incidents, lost_acks, request_applied_once, request_outcomes, RequestOutcome,
};
use cordon_chaos::judge::history::{History, IncidentResult, Op, OpResult};
use cordon_chaos::judge::invariants::Invariant;

use crate::{final_reads, violations_of};

// A report that timed out and was retried under the same request id, then
// acknowledged, is judged by the acknowledgement and passes when applied once.
#[test]
fn retry_after_timeout_applied_once_passes() {
    // Phase 1: the client's history: a timeout, a retry acknowledged, an
    // unrelated timeout never retried, and a rejected report.
    let history = History::new();
    let first = history.invoke(Op::report(1, "req-a"));
    history.info(first, "timeout");
    let retry = history.invoke(Op::report(2, "req-a"));
    history.ok(
        retry,
        OpResult::Incident(IncidentResult::Reported {
            incident_id: "I-000001".into(),
        }),
    );
    let lonely = history.invoke(Op::report(3, "req-b"));
    history.info(lonely, "timeout");
    let rejected = history.invoke(Op::report(4, "req-c"));
    history.fail(rejected, "priority out of range");

    // Phase 2: fold the outcomes.
    let outcomes = request_outcomes(&history.records().expect("well formed"));
    assert_eq!(
        outcomes["req-a"],
        RequestOutcome::Acknowledged {
            incident_id: "I-000001".into()
        }
    );
    assert_eq!(outcomes["req-b"], RequestOutcome::Indeterminate);
    assert_eq!(outcomes["req-c"], RequestOutcome::Failed);

    // Phase 3: req-b took effect (once) on every node; both checkers pass.
    let reads = final_reads(&[
        (
            "node-1",
            &[("req-a", &["I-000001"]), ("req-b", &["I-000002"])],
        ),
        (
            "node-2",
            &[("req-a", &["I-000001"]), ("req-b", &["I-000002"])],
        ),
    ]);
    assert_eq!(request_applied_once(&outcomes, &reads), Ok(()));
    assert_eq!(lost_acks(&acked_incidents(&outcomes), &reads), Ok(()));
}

// An incident present twice for one request id on a node is caught.
#[test]
fn incident_present_twice_is_caught() {
    let outcomes = BTreeMap::from([("req-b".to_string(), RequestOutcome::Indeterminate)]);
    let reads = final_reads(&[
        ("node-1", &[("req-b", &["I-000002"])]),
        ("node-2", &[("req-b", &["I-000002", "I-000007"])]),
    ]);

    let details = violations_of(
        Invariant::RequestAppliedOnce,
        request_applied_once(&outcomes, &reads),
    );
    assert_eq!(
        details,
        [
            "request req-b took effect 2 times on node-2: I-000002, I-000007",
            "request req-b took effect as 2 different incidents: I-000002 on node-1 node-2; I-000007 on node-2",
        ]
    );
}

// Nodes that disagree on a request's incident, and a failed request that took
// effect anyway, are both caught.
#[test]
fn divergent_and_failed_requests_are_caught() {
    let outcomes = BTreeMap::from([
        ("req-a".to_string(), RequestOutcome::Indeterminate),
        ("req-c".to_string(), RequestOutcome::Failed),
    ]);
    let reads = final_reads(&[
        (
            "node-1",
            &[("req-a", &["I-000001"]), ("req-c", &["I-000003"])],
        ),
        ("node-2", &[("req-a", &["I-000004"])]),
    ]);

    let details = violations_of(
        Invariant::RequestAppliedOnce,
        request_applied_once(&outcomes, &reads),
    );
    assert_eq!(
        details,
        [
            "request req-a took effect as 2 different incidents: I-000001 on node-1; I-000004 on node-2",
            "request req-c was answered fail on every attempt but took effect as I-000003",
        ]
    );
}
