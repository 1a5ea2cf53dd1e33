use std::collections::BTreeMap;

use cordon_chaos::judge::checkers::lost_acks;
use cordon_chaos::judge::invariants::Invariant;

use crate::{final_reads, violations_of};

fn acked() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("req-a".to_string(), "I-000001".to_string()),
        ("req-b".to_string(), "I-000002".to_string()),
    ])
}

// Every acknowledged report present once on every node passes, whatever
// unacknowledged extras the nodes hold.
#[test]
fn all_acks_present_everywhere_pass() {
    let reads = final_reads(&[
        (
            "node-1",
            &[("req-a", &["I-000001"]), ("req-b", &["I-000002"])],
        ),
        (
            "node-2",
            &[("req-a", &["I-000001"]), ("req-b", &["I-000002"])],
        ),
        (
            "node-3",
            &[
                ("req-a", &["I-000001"]),
                ("req-b", &["I-000002"]),
                ("req-c", &["I-000003"]),
            ],
        ),
    ]);

    assert_eq!(lost_acks(&acked(), &reads), Ok(()));
}

// An acknowledged report missing on one node is named with its node.
#[test]
fn ack_lost_on_one_node_is_caught() {
    // Phase 1: node-3 lost req-b (say, an unsynced tail after a kill).
    let reads = final_reads(&[
        (
            "node-1",
            &[("req-a", &["I-000001"]), ("req-b", &["I-000002"])],
        ),
        (
            "node-2",
            &[("req-a", &["I-000001"]), ("req-b", &["I-000002"])],
        ),
        ("node-3", &[("req-a", &["I-000001"])]),
    ]);

    // Phase 2: exactly that loss is reported.
    let details = violations_of(Invariant::AckedIncidentPresent, lost_acks(&acked(), &reads));
    assert_eq!(
        details,
        ["request req-b acknowledged as I-000002 is missing on node-3"]
    );
}

// A report present under another id, or twice, is not the acknowledged one.
#[test]
fn wrong_id_and_duplicate_are_caught() {
    let reads = final_reads(&[
        (
            "node-1",
            &[("req-a", &["I-000009"]), ("req-b", &["I-000002"])],
        ),
        (
            "node-2",
            &[
                ("req-a", &["I-000001"]),
                ("req-b", &["I-000002", "I-000005"]),
            ],
        ),
    ]);

    let details = violations_of(Invariant::AckedIncidentPresent, lost_acks(&acked(), &reads));
    assert_eq!(
        details,
        [
            "request req-a acknowledged as I-000001 is on node-1 as I-000009",
            "request req-b acknowledged as I-000002 is on node-2 2 times: I-000002, I-000005",
        ]
    );
}

// Checking against no node at all must not pass for a clean run.
#[test]
fn no_final_reads_is_not_a_pass() {
    let details = violations_of(
        Invariant::AckedIncidentPresent,
        lost_acks(&acked(), &BTreeMap::new()),
    );
    assert_eq!(details.len(), 1);
    assert!(
        details[0].contains("no node's final reads"),
        "{}",
        details[0]
    );
}
