use std::time::Duration;

use cordon_chaos::judge::checkers::{liveness, RecoveryTimes};
use cordon_chaos::judge::invariants::Invariant;

use crate::violations_of;

// Recovery within the bound passes, including exactly at the bound.
#[test]
fn recovery_within_bound_passes() {
    let recovery = RecoveryTimes {
        leader_elected: Some(Duration::from_millis(900)),
        fresh_write_committed: Some(Duration::from_millis(1_400)),
        actors_placed: Some(Duration::from_secs(5)),
    };

    assert_eq!(liveness(&recovery, Duration::from_secs(5)), Ok(()));
}

// A sign of recovery past the bound, and one never seen, are both named.
#[test]
fn bound_exceeded_and_never_are_caught() {
    let recovery = RecoveryTimes {
        leader_elected: Some(Duration::from_millis(900)),
        fresh_write_committed: Some(Duration::from_millis(7_250)),
        actors_placed: None,
    };

    let details = violations_of(
        Invariant::LivenessAfterHeal,
        liveness(&recovery, Duration::from_secs(5)),
    );
    assert_eq!(
        details,
        [
            "fresh write committed 7.250s after heal, over the bound of 5.000s",
            "all actors placed: never observed (bound 5.000s after heal)",
        ]
    );
}
