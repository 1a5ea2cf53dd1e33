//! Crowd counts in the ledger: a batch kept whole or refused whole, a
//! resend harmless, a conflicting minute refused, counts downsampled with
//! age, and the right to record them.

use crate::ledger::access::Role;
use crate::ledger::actions::testing::{apply, client, rejection};
use crate::ledger::crowd::{HOUR_MS, MINUTE_COUNTS_KEPT_MS, MINUTE_MS};
use crate::ledger::ids::Channel;
use crate::ledger::model::{Effect, Rejection};
use crate::ledger::{Action, CrowdReading, Ledger, Origin, RecordCrowdCounts};

/// 2026-12-31 20:00 UTC, a whole hour.
const NOW_MS: u64 = 1_798_747_200_000;

fn reading(sensor: &str, at_ms: u64, count: u32) -> CrowdReading {
    CrowdReading {
        sensor: sensor.into(),
        at_ms,
        count,
    }
}

fn batch(readings: Vec<CrowdReading>) -> Action {
    Action::RecordCrowdCounts(RecordCrowdCounts {
        source: "bund cameras".into(),
        readings,
    })
}

// A batch is kept whole; the same batch again changes nothing; a batch with
// one conflicting minute is refused whole, its new reading not kept either.
#[test]
fn a_batch_is_kept_or_refused_whole() {
    let mut ledger = Ledger::default();
    let first = vec![
        reading("bund-north", NOW_MS - 2 * MINUTE_MS, 4_100),
        reading("bund-north", NOW_MS - MINUTE_MS, 4_300),
        reading("bund-south", NOW_MS - MINUTE_MS, 2_000),
    ];

    let kept = apply(
        &mut ledger,
        1,
        NOW_MS,
        Origin::Operator,
        batch(first.clone()),
    );
    let resent = apply(&mut ledger, 2, NOW_MS, Origin::Operator, batch(first));
    let conflict = apply(
        &mut ledger,
        3,
        NOW_MS,
        Origin::Operator,
        batch(vec![
            reading("bund-south", NOW_MS, 2_100),
            reading("bund-north", NOW_MS - MINUTE_MS, 4_999),
        ]),
    );

    assert_eq!(kept, Effect::CrowdCounted { kept: 3, resent: 0 });
    assert_eq!(resent, Effect::CrowdCounted { kept: 0, resent: 3 });
    assert_eq!(
        rejection(conflict),
        Rejection::CrowdCountConflict {
            sensor: "bund-north".into(),
            at_ms: NOW_MS - MINUTE_MS,
        }
    );
    let south = ledger.crowd().sensor("bund-south").unwrap();
    assert_eq!(south.minutes.len(), 1, "the refused batch kept nothing");
}

// Bad readings are refused by field: off the minute, ahead of now, a
// broken feed's count, a bad id, the same minute twice, an empty batch.
#[test]
fn bad_readings_are_refused_by_field() {
    let mut ledger = Ledger::default();
    let refused = |ledger: &mut Ledger, index, readings| {
        rejection(apply(
            ledger,
            index,
            NOW_MS,
            Origin::Operator,
            batch(readings),
        ))
        .to_string()
    };

    let off_minute = refused(&mut ledger, 1, vec![reading("a", NOW_MS + 5, 1)]);
    let ahead = refused(
        &mut ledger,
        2,
        vec![reading("a", NOW_MS + 2 * MINUTE_MS, 1)],
    );
    let absurd = refused(&mut ledger, 3, vec![reading("a", NOW_MS, 9_000_000)]);
    let bad_id = refused(&mut ledger, 4, vec![reading("Bund North", NOW_MS, 1)]);
    let twice = refused(
        &mut ledger,
        5,
        vec![reading("a", NOW_MS, 1), reading("a", NOW_MS, 2)],
    );
    let empty = refused(&mut ledger, 6, Vec::new());

    assert!(off_minute.starts_with("readings[0].at_ms"), "{off_minute}");
    assert!(ahead.contains("not ahead of now"), "{ahead}");
    assert!(absurd.starts_with("readings[0].count"), "{absurd}");
    assert!(bad_id.starts_with("readings[0].sensor"), "{bad_id}");
    assert!(
        twice.contains("one reading per sensor and minute"),
        "{twice}"
    );
    assert!(empty.contains("1 to 5000 readings"), "{empty}");
    assert!(ledger.crowd().sensors().next().is_none());
}

// Minutes older than the minute window fold into their hour's mean; an old
// minute posted late goes straight into its hour and cannot be posted twice.
#[test]
fn old_minutes_fold_into_hours() {
    let mut ledger = Ledger::default();
    let hour_start = NOW_MS - 10 * 24 * HOUR_MS;
    let early = vec![
        reading("tianzifang-gates", hour_start, 100),
        reading("tianzifang-gates", hour_start + MINUTE_MS, 300),
    ];
    let later = NOW_MS - MINUTE_COUNTS_KEPT_MS + 3 * HOUR_MS;

    apply(
        &mut ledger,
        1,
        hour_start + 2 * MINUTE_MS,
        Origin::Operator,
        batch(early),
    );
    apply(
        &mut ledger,
        2,
        NOW_MS,
        Origin::Operator,
        batch(vec![reading("tianzifang-gates", later, 50)]),
    );
    let late_again = apply(
        &mut ledger,
        3,
        NOW_MS,
        Origin::Operator,
        batch(vec![reading(
            "tianzifang-gates",
            hour_start + MINUTE_MS,
            300,
        )]),
    );

    let counts = ledger.crowd().sensor("tianzifang-gates").unwrap();
    assert_eq!(
        counts.minutes.keys().copied().collect::<Vec<_>>(),
        vec![later]
    );
    let hour = &counts.hours[&hour_start];
    assert_eq!((hour.sum, hour.minutes_counted.count_ones()), (400, 2));
    assert!((hour.mean() - 200.0).abs() < 1e-9);
    assert!(matches!(
        rejection(late_again),
        Rejection::CrowdCountConflict { .. }
    ));
}

// A reporter of the risk-warning channel and a commander may record
// counts; a 110 gateway's reporter and a dispatcher may not.
#[test]
fn only_the_risk_sensing_feed_and_commanders_record_counts() {
    let mut ledger = Ledger::default();
    let one = |minute: u64| {
        batch(vec![reading(
            "yuyuan-gates",
            NOW_MS - minute * MINUTE_MS,
            10,
        )])
    };
    let risk = client(vec![Role::Reporter {
        channel: Channel::RiskWarning,
    }]);
    let gateway = client(vec![Role::Reporter {
        channel: Channel::EmergencyCall,
    }]);

    let by_risk = apply(&mut ledger, 1, NOW_MS, risk, one(1));
    let by_commander = apply(
        &mut ledger,
        2,
        NOW_MS,
        client(vec![Role::Commander]),
        one(2),
    );
    let by_gateway = apply(&mut ledger, 3, NOW_MS, gateway, one(3));
    let by_dispatcher = apply(
        &mut ledger,
        4,
        NOW_MS,
        client(vec![Role::Dispatcher]),
        one(4),
    );

    assert!(
        matches!(by_risk, Effect::CrowdCounted { kept: 1, .. }),
        "{by_risk:?}"
    );
    assert!(matches!(by_commander, Effect::CrowdCounted { kept: 1, .. }));
    assert!(matches!(
        rejection(by_gateway),
        Rejection::NotPermitted { .. }
    ));
    assert!(matches!(
        rejection(by_dispatcher),
        Rejection::NotPermitted { .. }
    ));
}
