//! L1: the deterministic simulation. Whole consensus clusters (real
//! openraft, real redb on a disk that forgets unsynced writes, real quinn
//! with mutual TLS) on turmoil's simulated network and clock, one seed per
//! run. A failing seed prints its report and the command that replays it.
//!
//! Run with `-- --nocapture` to see every seed's report.

use cordon_chaos::faults::NetworkFault;
use cordon_chaos::l1::{
    run, FaultSchedule, PlantedBug, ScheduledFault, SimFault, SimOptions, WARMUP_MS,
};
use cordon_consensus::invariants::Invariant;

/// Seeds in `cargo test`, split over four tests so both cores work.
const SEEDS: u64 = 100;
/// Fault phase of each seed in `cargo test`, in 1 ms steps (long batches:
/// `cordon-chaos sim --seeds N --steps M`).
const STEPS: u64 = 4_000;

fn run_seeds(seeds: std::ops::Range<u64>) {
    let mut failed = Vec::new();
    for seed in seeds {
        let options = SimOptions {
            steps: STEPS,
            ..SimOptions::new(seed)
        };
        let report = run(&options).unwrap_or_else(|error| panic!("seed {seed}: {error}"));
        println!("{report}");
        if !report.passed() {
            failed.push(format!("{report}"));
        }
    }
    assert!(
        failed.is_empty(),
        "{} seeds failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
}

/// The `quarter`-th quarter (0 to 3) of the seeds.
fn quarter(quarter: u64) -> std::ops::Range<u64> {
    let size = SEEDS / 4;
    quarter * size..(quarter + 1) * size
}

#[test]
fn the_first_quarter_of_the_seeds_pass() {
    // Every acknowledged report survives, each applies once, the cluster
    // recovers after the heal, and dispatch strands nothing (incidents
    // attended, messages handled in time, steps in order), whatever the
    // seed's faults.
    run_seeds(quarter(0));
}

#[test]
fn the_second_quarter_of_the_seeds_pass() {
    // As above for the next quarter of the batch.
    run_seeds(quarter(1));
}

#[test]
fn the_third_quarter_of_the_seeds_pass() {
    // As above for the next quarter of the batch.
    run_seeds(quarter(2));
}

#[test]
fn the_fourth_quarter_of_the_seeds_pass() {
    // As above for the last quarter of the batch.
    run_seeds(quarter(3));
}

#[test]
fn replaying_a_seed_reproduces_its_schedule_and_verdict() {
    // Phase 1: the same seed, run twice, and another seed once.
    let options = SimOptions {
        steps: 3_000,
        ..SimOptions::new(4242)
    };
    let first = run(&options).expect("first run");
    let second = run(&options).expect("replay");
    let other = run(&SimOptions {
        seed: 4243,
        ..options.clone()
    })
    .expect("another seed");
    println!("{first}\n{second}\n{other}");

    // Phase 2: the fault schedule and the verdict are the same; so are the
    // clients' and the dispatch histories, as far as the remaining
    // nondeterminism allows (see the `l1` module's docs), which the
    // fingerprints show.
    assert_eq!(first.schedule, second.schedule);
    assert_eq!(first.verdict(), second.verdict());
    assert!(!first.schedule.faults.is_empty());
    for (what, a, b) in [
        ("history", first.fingerprint, second.fingerprint),
        (
            "dispatch",
            first.dispatch_fingerprint,
            second.dispatch_fingerprint,
        ),
    ] {
        let same = if a == b { "identical" } else { "differ" };
        println!("{what} fingerprints of one seed: {a:016x} and {b:016x} ({same})");
    }

    // Phase 3: the clients read their reports back, and those reads were
    // judged for linearizability with the reports.
    assert!(first.reads > 0, "{first}");
    assert!(first.linearizable.is_empty(), "{first}");

    // Phase 4: another seed is another dispatch history: the fingerprint
    // covers what the actors and the field did.
    assert!(first.incidents > 0 && other.incidents > 0);
    assert_ne!(first.dispatch_fingerprint, other.dispatch_fingerprint);
}

#[test]
fn five_nodes_survive_a_bridge_and_a_power_cut() {
    // The first seed whose five-node schedule holds both a bridge and a
    // power cut (schedules are pure functions of the seed).
    let seed = (0..)
        .find(|seed| {
            let faults = FaultSchedule::generate(*seed, 5, WARMUP_MS, 6_000).faults;
            let has = |wanted: fn(&SimFault) -> bool| faults.iter().any(|f| wanted(&f.fault));
            has(|f| matches!(f, SimFault::Network(NetworkFault::Bridge { .. })))
                && has(|f| matches!(f, SimFault::PowerCut { .. }))
        })
        .expect("some seed has both");
    let options = SimOptions {
        nodes: 5,
        steps: 6_000,
        ..SimOptions::new(seed)
    };
    let report = run(&options).expect("the run");
    println!("{report}");
    assert!(report.passed(), "{report}");
}

/// Every node loses power at once, 1 s into the fault phase, for 500 ms.
fn total_power_cut() -> FaultSchedule {
    let at_ms = WARMUP_MS + 1_000;
    FaultSchedule {
        faults: vec![ScheduledFault {
            at_ms,
            heal_at_ms: at_ms + 500,
            fault: SimFault::PowerCut {
                nodes: vec![1, 2, 3],
            },
        }],
        end_ms: at_ms + 1_000,
    }
}

#[test]
fn a_disk_that_lies_about_sync_makes_the_lost_ack_checker_fail() {
    // Phase 1: honest disks come through a total power cut with every
    // acknowledged report.
    let honest = SimOptions {
        schedule: Some(total_power_cut()),
        ..SimOptions::new(7)
    };
    let report = run(&honest).expect("the honest run");
    println!("{report}");
    assert!(report.passed(), "{report}");
    assert!(report.requests.acknowledged > 0);

    // Phase 2: the planted bug (sync answers without syncing) loses them,
    // and the checker says so.
    let lying = SimOptions {
        lying_disks: true,
        ..honest
    };
    let report = run(&lying).expect("the run with lying disks");
    println!("{report}");
    assert!(!report.passed());
    assert!(report.requests.lost > 0, "{report}");
    assert!(
        report
            .requests
            .violations
            .iter()
            .any(|violation| violation.invariant == Invariant::AckedIncidentPresent),
        "{report}"
    );
}

/// A run with no faults and `bug` planted in every node's actors.
fn planted(bug: PlantedBug) -> SimOptions {
    SimOptions {
        steps: 2_000,
        schedule: Some(FaultSchedule {
            faults: Vec::new(),
            end_ms: WARMUP_MS + 2_000,
        }),
        planted: Some(bug),
        ..SimOptions::new(11)
    }
}

/// The dispatch invariants `report` says are broken.
fn broken(report: &cordon_chaos::l1::SimReport) -> Vec<Invariant> {
    report.dispatch.iter().map(|v| v.invariant).collect()
}

#[test]
fn a_responder_that_drops_dispatch_messages_fails_the_dispatch_checks() {
    // Phase 1: without faults, dispatch passes every check.
    let honest = SimOptions {
        planted: None,
        ..planted(PlantedBug::DropDispatch)
    };
    let report = run(&honest).expect("the honest run");
    println!("{report}");
    assert!(report.passed(), "{report}");

    // Phase 2: stations and rings that drop their dispatch messages strand
    // incidents; the checkers name the messages and the incidents.
    let report = run(&planted(PlantedBug::DropDispatch)).expect("the run with the bug");
    println!("{report}");
    assert!(!report.passed());
    assert!(
        broken(&report).contains(&Invariant::MessageHandled),
        "{report}"
    );
    assert!(
        broken(&report).contains(&Invariant::IncidentAttended),
        "{report}"
    );
}

#[test]
fn a_responder_that_never_retries_a_waiting_message_fails_the_dispatch_checks() {
    // Phase 1: a surge heavier than the district's special teams (nine
    // clients) makes incidents wait for units; the honest responders mark
    // them unresourced and assign them as teams free.
    let heavy = SimOptions {
        clients: 9,
        ..planted(PlantedBug::NeverRetry)
    };
    let honest = SimOptions {
        planted: None,
        ..heavy.clone()
    };
    let report = run(&honest).expect("the honest run");
    println!("{report}");
    assert!(report.passed(), "{report}");

    // Phase 2: responders that never look at a waiting message again leave
    // those incidents unresourced after every unit is free again.
    let report = run(&heavy).expect("the run with the bug");
    println!("{report}");
    assert!(
        broken(&report).contains(&Invariant::IncidentAttended),
        "{report}"
    );
}
