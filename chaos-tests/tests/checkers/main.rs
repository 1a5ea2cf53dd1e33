//! The checkers' integration tests: one module per checker, each proving it
//! catches a planted violation and passes a clean history.

mod assignments;
mod dispatch;
mod epochs;
mod linearizability;
mod liveness;
mod lost_acks;
mod panics;
mod requests;

use std::collections::BTreeMap;

use cordon_chaos::judge::checkers::{FinalReads, Violation};
use cordon_chaos::judge::invariants::Invariant;

/// One node's rows: (request id, incident ids carrying it).
type NodeRows<'a> = &'a [(&'a str, &'a [&'a str])];

/// Final reads from literal (node, rows) pairs.
fn final_reads(nodes: &[(&str, NodeRows<'_>)]) -> FinalReads {
    nodes
        .iter()
        .map(|(node, rows)| {
            let reads: BTreeMap<String, Vec<String>> = rows
                .iter()
                .map(|(request, incidents)| {
                    let incidents = incidents.iter().map(|id| id.to_string()).collect();
                    (request.to_string(), incidents)
                })
                .collect();
            (node.to_string(), reads)
        })
        .collect()
}

/// The violations of a checker that must have failed, all of `invariant`.
fn violations_of(invariant: Invariant, verdict: Result<(), Vec<Violation>>) -> Vec<String> {
    let violations = verdict.expect_err("the planted violation is caught");
    for violation in &violations {
        assert_eq!(violation.invariant, invariant, "{violation}");
    }
    violations.into_iter().map(|v| v.detail).collect()
}
