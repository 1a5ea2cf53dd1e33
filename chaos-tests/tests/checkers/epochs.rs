use cordon_chaos::judge::checkers::{epochs, ActorExecution};
use cordon_chaos::judge::invariants::Invariant;

use crate::violations_of;

fn ran(actor: &str, epoch: u64, node: u64, index: u64) -> ActorExecution {
    ActorExecution {
        actor: actor.into(),
        epoch,
        node,
        index,
    }
}

// Actors that move between nodes with a new epoch each time pass.
#[test]
fn rising_epochs_on_one_node_each_pass() {
    let executions = [
        ran("hub", 1, 1, 2),
        ran("station-nanjing-east", 1, 2, 3),
        ran("hub", 1, 1, 4),
        ran("hub", 2, 3, 9),
        ran("station-nanjing-east", 1, 2, 10),
        ran("hub", 2, 3, 11),
    ];

    assert_eq!(epochs(&executions), Ok(()));
}

// One epoch executing on two nodes (a fencing failure) is caught once.
#[test]
fn epoch_on_two_nodes_is_caught() {
    let executions = [
        ran("hub", 2, 1, 5),
        ran("hub", 2, 3, 6),
        ran("hub", 2, 3, 7),
    ];

    let details = violations_of(Invariant::EpochSingleNode, epochs(&executions));
    assert_eq!(
        details,
        ["actor hub epoch 2 ran on node 1 (index 5) and on node 3 (index 6)"]
    );
}

// An old placement executing after a newer one has (a stale actor) is caught.
#[test]
fn falling_epoch_is_caught() {
    let executions = [
        ran("hub", 1, 1, 5),
        ran("hub", 2, 2, 8),
        ran("hub", 1, 1, 9),
    ];

    let details = violations_of(Invariant::EpochsRise, epochs(&executions));
    assert_eq!(
        details,
        ["actor hub ran epoch 1 at index 9 on node 1 after epoch 2 at index 8"]
    );
}
