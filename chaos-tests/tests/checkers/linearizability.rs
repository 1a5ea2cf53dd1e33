use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cordon_chaos::judge::history::{
    History, IncidentOp, IncidentResult, Op, OpId, OpResult, UnitOp, UnitResult,
};
use cordon_chaos::judge::invariants::Invariant;
use cordon_chaos::judge::linearizability::{
    check, check_key, CheckLimits, CheckResult, Model, Operation, Outcome,
};
use cordon_chaos::judge::models::{
    incident_operations, unit_operations, IncidentModel, UnitRegister,
};
use proptest::prelude::*;

/// An operation; `returned` is (output, return time), `None` for info.
fn op<I, O>(id: u64, input: I, invoked_ns: u64, returned: Option<(O, u64)>) -> Operation<I, O> {
    Operation {
        id: OpId(id),
        input,
        invoked_ns,
        outcome: match returned {
            Some((output, returned_ns)) => Outcome::Returned {
                output,
                returned_ns,
            },
            None => Outcome::Indeterminate,
        },
    }
}

fn write(expected_version: Option<u64>, status: &str) -> UnitOp {
    UnitOp::Write {
        expected_version,
        status: status.into(),
    }
}

fn read_result(status: &str, version: u64) -> UnitResult {
    UnitResult::Read {
        status: status.into(),
        version,
    }
}

fn written(version: u64) -> UnitResult {
    UnitResult::Written { version }
}

fn unit_model() -> UnitRegister {
    UnitRegister::new("available", 1)
}

fn check_unit(ops: &[Operation<UnitOp, UnitResult>]) -> CheckResult {
    check_key(
        &unit_model(),
        "unit:nanjing-east-1-a",
        ops,
        &CheckLimits::default(),
    )
}

fn reported(incident_id: &str) -> IncidentResult {
    IncidentResult::Reported {
        incident_id: incident_id.into(),
    }
}

fn report() -> IncidentOp {
    IncidentOp::Report {
        request_id: "req-a".into(),
    }
}

fn read_incident(incident_id: &str) -> IncidentOp {
    IncidentOp::Read {
        incident_id: incident_id.into(),
    }
}

fn check_incident(ops: &[Operation<IncidentOp, IncidentResult>]) -> CheckResult {
    check_key(
        &IncidentModel,
        "request:req-a",
        ops,
        &CheckLimits::default(),
    )
}

/// The prefix of a result that must be NotLinearizable.
fn not_linearizable(result: CheckResult) -> (String, Vec<OpId>, String) {
    match result {
        CheckResult::NotLinearizable {
            key,
            linearized_prefix,
            explanation,
        } => (key, linearized_prefix, explanation),
        other => panic!("expected not linearizable, got {other:?}"),
    }
}

// Overlapping writes are linearizable only with the first-invoked one last,
// a read in between, and a refused conditional write after the second.
#[test]
fn non_obvious_order_is_found() {
    // Phase 1: op 0 is invoked first but its version (3) says it came last;
    // op 2 reads op 1's write while op 0 is still in flight; op 3 expected
    // version 1 but op 1 had already raised it to 2.
    let ops = [
        op(0, write(None, "en_route"), 0, Some((written(3), 100))),
        op(1, write(None, "on_scene"), 5, Some((written(2), 50))),
        op(2, UnitOp::Read, 60, Some((read_result("on_scene", 2), 70))),
        op(
            3,
            write(Some(1), "returning"),
            10,
            Some((UnitResult::VersionMismatch { actual_version: 2 }, 20)),
        ),
    ];

    // Phase 2: the checker finds op 1, op 3, op 2, op 0.
    assert_eq!(check_unit(&ops), CheckResult::Linearizable);
}

// A timed-out write may have taken effect: at once, later, or never; each is
// accepted when the reads are consistent with it.
#[test]
fn info_writes_take_effect_any_time_or_never() {
    // Phase 1: it took effect before a later read saw it.
    let took_effect = [
        op(0, write(Some(1), "en_route"), 0, None),
        op(
            1,
            UnitOp::Read,
            100,
            Some((read_result("en_route", 2), 110)),
        ),
    ];
    assert_eq!(check_unit(&took_effect), CheckResult::Linearizable);

    // Phase 2: it took effect between two reads long after the timeout.
    let took_effect_late = [
        op(0, write(None, "en_route"), 0, None),
        op(1, UnitOp::Read, 10, Some((read_result("available", 1), 20))),
        op(2, UnitOp::Read, 30, Some((read_result("en_route", 2), 40))),
    ];
    assert_eq!(check_unit(&took_effect_late), CheckResult::Linearizable);

    // Phase 3: it never took effect; a timed-out read is ignored too.
    let never = [
        op(0, write(None, "en_route"), 0, None),
        op(
            1,
            UnitOp::Read,
            100,
            Some((read_result("available", 1), 110)),
        ),
        op(2, write(Some(1), "on_scene"), 120, Some((written(2), 130))),
        op(3, UnitOp::Read, 125, None),
        op(
            4,
            UnitOp::Read,
            140,
            Some((read_result("on_scene", 2), 150)),
        ),
    ];
    assert_eq!(check_unit(&never), CheckResult::Linearizable);
}

// A read of a status nobody wrote is caught and explained.
#[test]
fn read_of_never_written_value_is_caught() {
    let ops = [
        op(0, write(None, "en_route"), 0, Some((written(2), 10))),
        op(1, UnitOp::Read, 20, Some((read_result("on_scene", 2), 30))),
    ];

    let (key, prefix, explanation) = not_linearizable(check_unit(&ops));
    assert_eq!(key, "unit:nanjing-east-1-a");
    assert_eq!(prefix, [OpId(0)]);
    assert!(explanation.contains("op 1"), "{explanation}");
    assert!(explanation.contains("en_route"), "{explanation}");
}

// A read that misses a write completed before it began is caught.
#[test]
fn stale_read_after_completed_write_is_caught() {
    let ops = [
        op(0, write(None, "en_route"), 0, Some((written(2), 10))),
        op(1, UnitOp::Read, 20, Some((read_result("available", 1), 30))),
    ];

    let (_, prefix, _) = not_linearizable(check_unit(&ops));
    assert_eq!(prefix, [OpId(0)]);
}

// Two sequential reads during one slow write must not see new then old.
#[test]
fn new_then_old_read_is_caught() {
    let ops = [
        op(0, write(None, "en_route"), 0, Some((written(2), 100))),
        op(1, UnitOp::Read, 10, Some((read_result("en_route", 2), 20))),
        op(2, UnitOp::Read, 30, Some((read_result("available", 1), 40))),
    ];

    not_linearizable(check_unit(&ops));
}

// A report retried after a timeout answers the first incident's id, and the
// incident is readable from the moment the timed-out attempt took effect.
#[test]
fn idempotent_report_with_info_passes() {
    let ops = [
        op(0, report(), 0, None),
        op(
            1,
            read_incident("I-000001"),
            5,
            Some((IncidentResult::Read { present: true }, 15)),
        ),
        op(2, report(), 20, Some((reported("I-000001"), 30))),
        op(
            3,
            read_incident("I-000001"),
            40,
            Some((IncidentResult::Read { present: true }, 50)),
        ),
    ];
    assert_eq!(check_incident(&ops), CheckResult::Linearizable);

    // A read before the only report finds nothing.
    let before = [
        op(
            0,
            read_incident("I-000002"),
            0,
            Some((IncidentResult::Read { present: false }, 5)),
        ),
        op(1, report(), 10, Some((reported("I-000002"), 20))),
    ];
    assert_eq!(check_incident(&before), CheckResult::Linearizable);
}

// A retry answered with a second incident id breaks idempotence.
#[test]
fn retry_with_new_incident_id_is_caught() {
    let ops = [
        op(0, report(), 0, Some((reported("I-000001"), 10))),
        op(1, report(), 20, Some((reported("I-000002"), 30))),
    ];

    let (key, prefix, _) = not_linearizable(check_incident(&ops));
    assert_eq!(key, "request:req-a");
    assert_eq!(prefix, [OpId(0)]);
}

// An acknowledged incident that a later read cannot find is caught.
#[test]
fn acknowledged_incident_read_absent_is_caught() {
    let ops = [
        op(0, report(), 0, Some((reported("I-000001"), 10))),
        op(
            1,
            read_incident("I-000001"),
            20,
            Some((IncidentResult::Read { present: false }, 30)),
        ),
    ];

    not_linearizable(check_incident(&ops));
}

// A search that needs more configurations than allowed answers unknown,
// never a guess.
#[test]
fn exhausted_budget_is_unknown() {
    // Phase 1: eight concurrent timed-out writes, then a read no order of
    // them explains, so the search must try many subsets.
    let mut ops: Vec<_> = (0..8)
        .map(|id| op(id, write(None, STATUSES[id as usize % 4]), id, None))
        .collect();
    ops.push(op(
        8,
        UnitOp::Read,
        100,
        Some((read_result("nowhere", 1), 110)),
    ));
    assert!(matches!(
        check_unit(&ops),
        CheckResult::NotLinearizable { .. }
    ));

    // Phase 2: with a budget of three configurations the answer is unknown.
    let limits = CheckLimits {
        states_explored_max: 3,
    };
    let result = check_key(&unit_model(), "unit:u", &ops, &limits);
    assert!(
        matches!(
            result,
            CheckResult::Unknown {
                states_explored: 4,
                ..
            }
        ),
        "{result:?}"
    );
    assert_eq!(result.violation(), None);
}

// Keys are checked apart; the broken key is named even after clean ones.
#[test]
fn partitioned_check_names_the_broken_key() {
    let clean = vec![op(
        0,
        UnitOp::Read,
        0,
        Some((read_result("available", 1), 5)),
    )];
    let broken = vec![op(
        1,
        UnitOp::Read,
        0,
        Some((read_result("available", 7), 5)),
    )];
    let histories = BTreeMap::from([
        ("unit:a".to_string(), clean.clone()),
        ("unit:b".to_string(), broken),
        ("unit:c".to_string(), clean),
    ]);

    let result = check(&unit_model(), &histories, &CheckLimits::default());
    let violation = result.violation().expect("unit:b is not linearizable");
    assert_eq!(violation.invariant, Invariant::Linearizable);
    assert!(
        violation.detail.starts_with("unit:b is not linearizable"),
        "{violation}"
    );
}

// From a recorded history to a verdict: clients record, the adapters split
// per key and drop failures, the checker judges.
#[test]
fn recorded_history_is_checked_end_to_end() {
    // Phase 1: a scripted clock and two clients on one unit, one request.
    let now_ms = Arc::new(AtomicU64::new(0));
    let clock = Arc::clone(&now_ms);
    let history = History::with_clock(move || Duration::from_millis(clock.load(Ordering::SeqCst)));
    let at = |ms: u64| now_ms.store(ms, Ordering::SeqCst);

    let slow_write = history.invoke(Op::write_unit(1, "nanjing-east-1-a", Some(1), "en_route"));
    at(1);
    let refused = history.invoke(Op::write_unit(2, "nanjing-east-1-a", Some(1), "on_scene"));
    at(2);
    history.fail(refused, "not leader");
    let report = history.invoke(Op::report(3, "req-a"));
    at(5);
    history.info(slow_write, "timeout");
    history.ok(
        report,
        OpResult::Incident(IncidentResult::Reported {
            incident_id: "I-000001".into(),
        }),
    );
    at(6);
    let read = history.invoke(Op::read_unit(2, "nanjing-east-1-a"));
    at(7);
    history.ok(read, OpResult::Unit(read_result("en_route", 2)));

    // Phase 2: adapt and check both models.
    let records = history.records().expect("well formed");
    let units = unit_operations(&records).expect("results match their ops");
    assert_eq!(
        units["unit:nanjing-east-1-a"].len(),
        2,
        "the failed write is left out"
    );
    let incidents = incident_operations(&records).expect("results match their ops");
    assert_eq!(incidents.keys().collect::<Vec<_>>(), ["request:req-a"]);
    let limits = CheckLimits::default();
    assert_eq!(
        check(&unit_model(), &units, &limits),
        CheckResult::Linearizable
    );
    assert_eq!(
        check(&IncidentModel, &incidents, &limits),
        CheckResult::Linearizable
    );
}

/// One step of a generated run: what to do and how its interval is drawn.
#[derive(Clone, Debug)]
struct Planned {
    /// 0: read, 1: unconditional write, 2: conditional write at the current
    /// version, 3: conditional write at a stale version (refused).
    action: u8,
    status: usize,
    /// How far the invocation precedes, and the return follows, the
    /// operation's point of effect.
    lead_ns: u64,
    lag_ns: u64,
    /// The client timed out: the answer is not seen.
    info: bool,
    /// An extra timed-out write that never took effect.
    phantom: bool,
}

const STATUSES: [&str; 4] = ["dispatched", "en_route", "on_scene", "returning"];
/// Time between two consecutive points of effect.
const SPACING_NS: u64 = 1_000;

fn planned() -> impl Strategy<Value = Planned> {
    (
        0u8..4,
        0..STATUSES.len(),
        0..3 * SPACING_NS,
        0..3 * SPACING_NS,
        prop::bool::weighted(0.15),
        prop::bool::weighted(0.05),
    )
        .prop_map(|(action, status, lead_ns, lag_ns, info, phantom)| Planned {
            action,
            status,
            lead_ns,
            lag_ns,
            info,
            phantom,
        })
}

/// Runs the plan sequentially through the register and records each
/// operation over an interval around its point of effect, so real-time order
/// never contradicts the sequential order.
fn history_of(plan: &[Planned]) -> Vec<Operation<UnitOp, UnitResult>> {
    let model = unit_model();
    let mut state = model.init();
    let mut ops = Vec::new();
    for (step, planned) in plan.iter().enumerate() {
        let effect_ns = 3 * SPACING_NS + SPACING_NS * step as u64;
        let status = STATUSES[planned.status];
        let input = match planned.action {
            0 => UnitOp::Read,
            1 => write(None, status),
            2 => write(Some(state.version), status),
            _ => write(Some(state.version.saturating_sub(1)), status),
        };
        let (next, output) = model.step(&state, &input);
        state = next;
        let returned = (!planned.info).then(|| (output, effect_ns + planned.lag_ns));
        ops.push(op(
            ops.len() as u64,
            input,
            effect_ns - planned.lead_ns,
            returned,
        ));
        if planned.phantom {
            let invoked_ns = effect_ns - planned.lead_ns;
            ops.push(op(
                ops.len() as u64,
                write(None, "out_of_service"),
                invoked_ns,
                None,
            ));
        }
    }
    ops
}

proptest! {
    // Histories from a real sequential run, with random overlapping
    // intervals and timeouts, are always judged linearizable.
    #[test]
    fn sequential_runs_with_overlap_are_linearizable(plan in prop::collection::vec(planned(), 1..40)) {
        let ops = history_of(&plan);
        prop_assert_eq!(check_unit(&ops), CheckResult::Linearizable);
    }

    // The same histories with one read answering a version never reached
    // are always judged not linearizable.
    #[test]
    fn a_read_of_an_unreached_version_is_never_linearizable(
        plan in prop::collection::vec(planned(), 1..40),
        pick in any::<prop::sample::Index>(),
    ) {
        let mut ops = history_of(&plan);
        let observed_reads: Vec<usize> = ops
            .iter()
            .enumerate()
            .filter(|(_, op)| op.input == UnitOp::Read && matches!(op.outcome, Outcome::Returned { .. }))
            .map(|(index, _)| index)
            .collect();
        prop_assume!(!observed_reads.is_empty());
        let target = observed_reads[pick.index(observed_reads.len())];
        if let Outcome::Returned { output, .. } = &mut ops[target].outcome {
            *output = read_result("available", 1_000);
        }
        let result = check_unit(&ops);
        prop_assert!(
            matches!(result, CheckResult::NotLinearizable { .. }),
            "expected not linearizable, got {:?}",
            result
        );
    }
}
