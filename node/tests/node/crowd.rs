//! Crowd counts through the API: the risk-sensing feed records a batch,
//! any node reads it back summed by area; bad readings are refused by
//! field with nothing half-kept; a resend is harmless; only the feed and
//! commanders may record.

use cordon_api::crowd::{CrowdCounted, CrowdForecast, CrowdSensorList, CrowdSeries};
use cordon_node::client::{ApiClient, ClientError};
use serde_json::{json, Value};

use crate::support::{post_a_day_that_rose_now, start_cluster, Cluster};

const MINUTE_MS: u64 = 60_000;

/// This minute's start, and the one before, by this machine's clock.
fn last_minutes() -> (u64, u64) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let minute = now - now % MINUTE_MS;
    (minute - MINUTE_MS, minute)
}

fn batch(counts: Value) -> Value {
    json!({"source": "bund cameras", "counts": counts})
}

async fn feed(cluster: &Cluster) -> ApiClient {
    let token = cluster
        .processes
        .issue_token("risk-platform", &["reporter:risk_warning"])
        .await
        .unwrap();
    cluster.client.clone().with_token(&token)
}

/// The refusal's message, checked to be a 4xx with `code`.
async fn refused(client: &ApiClient, body: &Value, code: &str) -> String {
    let error = client
        .post::<CrowdCounted>("/v1/crowd/counts", body, 0)
        .await
        .unwrap_err();
    match error {
        ClientError::Refused { code: got, message } if got == code => message,
        other => panic!("expected {code}, got {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_are_recorded_whole_and_read_back_by_area_from_any_node() {
    // Phase 1: the feed records three readings of two Bund cameras; another
    // node reads the riverside's sum per minute, with its capacity.
    let cluster = start_cluster().await;
    let feed = feed(&cluster).await;
    let (before, now) = last_minutes();
    let first = batch(json!([
        {"sensor": "bund-chen-yi-square-camera", "at_ms": before + 5_000, "count": 4100},
        {"sensor": "bund-chen-yi-square-camera", "at_ms": now, "count": 4300},
        {"sensor": "bund-waibaidu-camera", "at_ms": now + 30_000, "count": 2000},
    ]));
    let counted = feed
        .post::<CrowdCounted>("/v1/crowd/counts", &first, 0)
        .await
        .unwrap();
    assert_eq!((counted.kept, counted.resent), (3, 0));
    let path = format!(
        "/v1/crowd/counts?area=bund-riverside&from_ms={}",
        before - MINUTE_MS
    );
    let series = cluster
        .client
        .get_from::<CrowdSeries>(1, &path)
        .await
        .unwrap();
    assert_eq!(series.capacity, Some(67_000));
    assert_eq!(series.sensors.len(), 3);
    let sums: Vec<(u64, f64)> = series.minutes.iter().map(|p| (p.at_ms, p.count)).collect();
    assert_eq!(sums, vec![(before, 4100.0), (now, 6300.0)]);

    // Phase 2: each bad batch is refused by field, and the conflicting one
    // keeps nothing, not even its new reading.
    bad_batches_are_refused(&feed, now).await;
    let again = cluster
        .client
        .get_from::<CrowdSeries>(1, &path)
        .await
        .unwrap();
    assert_eq!(again.minutes, series.minutes);

    // Phase 3: the same batch again is a harmless resend.
    let resent = feed
        .post::<CrowdCounted>("/v1/crowd/counts", &first, 0)
        .await
        .unwrap();
    assert_eq!((resent.kept, resent.resent), (0, 3));

    // Phase 4: a dispatcher may not record counts (403 naming the roles).
    let dispatcher = cluster
        .processes
        .issue_token("dispatcher-li", &["dispatcher"])
        .await
        .unwrap();
    let as_dispatcher = cluster.client.clone().with_token(&dispatcher);
    let message = refused(&as_dispatcher, &first, "forbidden").await;
    assert!(message.contains("reporter"), "{message}");

    // Phase 5: the sensors list shows each camera's areas and latest minute.
    let sensors = cluster
        .client
        .get::<CrowdSensorList>("/v1/crowd/sensors", 0)
        .await
        .unwrap();
    let camera = sensors
        .sensors
        .iter()
        .find(|sensor| sensor.id == "bund-chen-yi-square-camera")
        .unwrap();
    assert!(
        camera.areas.contains(&"bund-riverside".to_string()),
        "{camera:?}"
    );
    assert_eq!(
        camera.latest.as_ref().map(|p| (p.at_ms, p.count)),
        Some((now, 4300.0))
    );
}

/// An unknown sensor, a time ahead of the clock, a negative count, one
/// minute twice and a conflicting minute, each refused naming the fix.
async fn bad_batches_are_refused(feed: &ApiClient, now: u64) {
    let one = |sensor: &str, at_ms: u64, count: i64| {
        batch(json!([{"sensor": sensor, "at_ms": at_ms, "count": count}]))
    };
    let unknown = refused(feed, &one("bund-east-camera", now, 1), "invalid_input").await;
    assert!(
        unknown.contains("counts[0].sensor") && unknown.contains("GET /v1/crowd/sensors"),
        "{unknown}"
    );
    let ahead = refused(
        feed,
        &one("yuyuan-gates", now + 10 * MINUTE_MS, 1),
        "invalid_input",
    )
    .await;
    assert!(ahead.contains("ahead of this node's clock"), "{ahead}");
    let negative = refused(feed, &one("yuyuan-gates", now, -3), "invalid_input").await;
    assert!(negative.contains("counts[0].count -3"), "{negative}");
    let twice = batch(json!([
        {"sensor": "yuyuan-gates", "at_ms": now, "count": 1},
        {"sensor": "yuyuan-gates", "at_ms": now + 1_000, "count": 2},
    ]));
    let twice = refused(feed, &twice, "invalid_input").await;
    assert!(
        twice.contains("counts[1]") && twice.contains("one per sensor and minute"),
        "{twice}"
    );
    let conflict = batch(json!([
        {"sensor": "bund-signal-tower-camera", "at_ms": now, "count": 900},
        {"sensor": "bund-waibaidu-camera", "at_ms": now, "count": 2500},
    ]));
    let conflict = refused(feed, &conflict, "rejected").await;
    assert!(
        conflict.contains("already has a different count"),
        "{conflict}"
    );
}

// Yesterday the riverside filled to 60 000 ten minutes after this time of
// day; today it stands at its usual 30 000. A half-hour forecast, asked of
// another node, follows yesterday's rise and warns of the high band about
// ten minutes ahead; an ad-hoc polygon around one camera forecasts that
// camera alone; a bad polygon and a horizon past 7 days are refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forecast_from_any_node_warns_of_the_rise_the_profile_foresees() {
    // Phase 1: 26 hours of minute counts of the three Bund cameras.
    let cluster = start_cluster().await;
    let feed = feed(&cluster).await;
    let (_, now) = last_minutes();
    post_a_day_that_rose_now(&feed).await;

    // Phase 2: node 2 forecasts the next half hour of the riverside.
    let forecast: CrowdForecast = cluster
        .client
        .get_from(2, "/v1/crowd/forecast?area=bund-riverside&horizon_min=30")
        .await
        .unwrap();
    assert_eq!(forecast.model, "nowcast");
    assert_eq!(forecast.band_now.as_deref(), Some("low"));
    assert_eq!(forecast.latest.as_ref().map(|p| p.count), Some(30_000.0));
    assert!(forecast.points.len() >= 30, "{}", forecast.points.len());
    let crossing = forecast.crossing.expect("a warning of the rise");
    assert_eq!(crossing.band, "high");
    let ahead_min = (crossing.at_ms as i64 - now as i64) / MINUTE_MS as i64;
    assert!(
        (9..=11).contains(&ahead_min),
        "crosses {ahead_min} min ahead"
    );
    assert!(crossing.confidence >= 0.5);

    // Phase 3: a polygon around one camera forecasts it alone; bad asks are
    // refused naming the fix.
    let around = "31.2410,121.4860;31.2410,121.4876;31.2430,121.4876;31.2430,121.4860";
    let one: CrowdForecast = cluster
        .client
        .get(
            &format!("/v1/crowd/forecast?polygon={around}&horizon_min=5"),
            0,
        )
        .await
        .unwrap();
    assert_eq!(one.sensors, vec!["bund-chen-yi-square-camera".to_string()]);
    assert_eq!(one.capacity, None);
    let bad = cluster
        .client
        .get::<CrowdForecast>("/v1/crowd/forecast?polygon=31.24,121.48;31.25", 0)
        .await
        .unwrap_err();
    assert!(bad.to_string().contains("lat,lon;lat,lon;lat,lon"), "{bad}");
    let far = cluster
        .client
        .get::<CrowdForecast>(
            "/v1/crowd/forecast?area=bund-riverside&horizon_min=20000",
            0,
        )
        .await
        .unwrap_err();
    assert!(far.to_string().contains("1 to 10080 minutes"), "{far}");
}
