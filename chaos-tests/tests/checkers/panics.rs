use cordon_chaos::judge::checkers::no_panic;
use cordon_chaos::judge::invariants::Invariant;

use crate::violations_of;

// Ordinary logs, including a word like "panic" in a message, pass.
#[test]
fn quiet_logs_pass() {
    let logs = [
        (
            "node-1".to_string(),
            "INFO leader elected term=3\nINFO panic button pressed incident_id=I-000004\n"
                .to_string(),
        ),
        ("node-2".to_string(), String::new()),
    ];

    assert_eq!(no_panic(&logs), Ok(()));
}

// A panic line is reported with its node, line number and message.
#[test]
fn panic_line_is_caught() {
    let log = "INFO starting\n\
               thread 'tokio-runtime-worker' panicked at consensus/src/ledger.rs:88:9:\n\
               unit nanjing-east-1-a missing from roster\n\
               INFO restarting actor\n";
    let logs = [
        ("node-1".to_string(), "INFO fine\n".to_string()),
        ("node-2".to_string(), log.to_string()),
    ];

    let details = violations_of(Invariant::NoPanic, no_panic(&logs));
    assert_eq!(
        details,
        ["node-2 line 2: thread 'tokio-runtime-worker' panicked at consensus/src/ledger.rs:88:9: | unit nanjing-east-1-a missing from roster"]
    );
}
