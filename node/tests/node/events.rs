//! A broken event stream resumes where it left off: `GET /v1/events` with
//! `Last-Event-ID` (a log index) starts with the events applied after it,
//! each with its log index as id, on any node; a malformed id is refused.

use std::time::Duration;

use cordon_api::incidents::IncidentList;

use crate::support::{applied_ids, read_stream, start_cluster};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_resumes_after_the_last_event_it_saw_on_any_node() {
    // Phase 1: two incidents are reported; the first one's log index is
    // where a client's stream broke.
    let cluster = start_cluster().await;
    let first = cluster
        .client
        .report(&crate::support::theft("resume-1"), 0)
        .await
        .unwrap();
    cluster
        .client
        .report(&crate::support::theft("resume-2"), 0)
        .await
        .unwrap();
    let list: IncidentList = cluster.client.get("/v1/incidents", 0).await.unwrap();
    let applied = list.applied_index.unwrap();

    // Phase 2: on every node, a stream opened with the last id seen starts
    // with the events after it, in order, through the applied index.
    for node in 0..3 {
        let response = cluster
            .events_after(node, &first.log_index.to_string())
            .await;
        assert!(response.status().is_success(), "node {}", node + 1);
        let text = read_stream(response, Duration::from_secs(10), |text| {
            applied_ids(text).last().is_some_and(|id| *id >= applied)
        })
        .await;
        let ids = applied_ids(&text);
        assert!(!ids.is_empty(), "node {}: {text}", node + 1);
        assert!(ids[0] > first.log_index, "node {}: {ids:?}", node + 1);
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
        assert!(ids.last().is_some_and(|id| *id >= applied), "{ids:?}");
    }

    // Phase 3: an id that is no log index is refused, naming the header.
    let refused = cluster.events_after(0, "yesterday").await;
    assert_eq!(refused.status(), reqwest::StatusCode::BAD_REQUEST);
    assert!(refused.text().await.unwrap().contains("Last-Event-ID"));
}
