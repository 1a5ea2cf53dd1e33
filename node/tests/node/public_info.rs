//! The golden four hours on three real processes (the time shortened to
//! 6 s): a crowd crush is of public concern at triage, the hub reminds at
//! half and three quarters of the time and marks a missed release overdue
//! on the trail; a commander's release in time stops the clock and names
//! who approved it; a viewer may not release.

use cordon_api::incidents::{Committed, FlagPublicConcern, Incident, PublicRelease};

use crate::support::start_cluster_with;

/// The golden four hours, shortened for the test.
const WITHIN_MS: u64 = 6_000;

fn steps(incident: &Incident, step: &str) -> usize {
    incident
        .timeline
        .iter()
        .filter(|entry| entry.step == step)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(clippy::too_many_lines, reason = "a test read as phases")]
async fn a_missed_public_release_is_overdue_and_a_release_in_time_stops_the_clock() {
    // Phase 1: a crowd crush at the Bund is of public concern at triage; its
    // release is due WITHIN_MS after the report.
    let cluster = start_cluster_with(|file| file.actors.public_info_within_ms = WITHIN_MS).await;
    let missed = cluster
        .report("golden-1", "crowd_crush", 31.2400, 121.4870, 1)
        .await;
    let flagged = cluster
        .wait_incident(&missed, "of public concern", |incident| {
            incident.public_info.is_some()
        })
        .await;
    let info = flagged.public_info.clone().unwrap();
    assert_eq!(info.due_ms - info.since_ms, WITHIN_MS);
    assert_eq!(info.since_ms, flagged.reported_at_ms);
    assert!(info.why.contains("crowd crush"), "{}", info.why);

    // Phase 2: nobody releases: two reminders, then overdue, on the trail.
    let overdue = cluster
        .wait_incident(&missed, "overdue", |incident| {
            incident
                .public_info
                .as_ref()
                .is_some_and(|info| info.overdue)
        })
        .await;
    assert_eq!(
        steps(&overdue, "public_info_reminder"),
        3,
        "{:#?}",
        overdue.timeline
    );
    assert!(overdue.timeline_verified);

    // Phase 3: a second crush; a viewer may not release; the commander's
    // release in time stops the clock and names them.
    let kept = cluster
        .report("golden-2", "crowd_crush", 31.2410, 121.4872, 1)
        .await;
    cluster
        .wait_incident(&kept, "of public concern", |incident| {
            incident.public_info.is_some()
        })
        .await;
    let release = PublicRelease {
        request_id: None,
        text: "Police are at the river wall; keep away from the stairs.".into(),
    };
    let path = format!("/v1/incidents/{kept}/public-release");
    let viewer = cluster.client_as("viewer-wu", &["viewer"]).await;
    let refused = viewer
        .post::<Committed>(&path, &release, 0)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("forbidden"), "{refused}");
    let _: Committed = cluster.client.post(&path, &release, 0).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(WITHIN_MS + 2_000)).await;
    let released = cluster.incident(&kept).await;
    let info = released.public_info.clone().unwrap();
    let made = info.release.clone().expect("the release");
    assert_eq!(made.text, release.text);
    assert!(
        made.approved_by.contains(crate::support::TEST_PRINCIPAL),
        "{}",
        made.approved_by
    );
    assert!(!info.overdue, "{info:?}");
    assert_eq!(steps(&released, "public_info_released"), 1);

    // Phase 4: a theft is not of public concern until a commander flags it.
    let theft = cluster
        .report("golden-3", "theft", 31.2150, 121.4700, 1)
        .await;
    cluster.wait_assigned(&theft).await;
    assert!(cluster.incident(&theft).await.public_info.is_none());
    let why = FlagPublicConcern {
        request_id: None,
        why: "a video of it is spreading online".into(),
    };
    let _: Committed = cluster
        .client
        .post(&format!("/v1/incidents/{theft}/public-concern"), &why, 0)
        .await
        .unwrap();
    let flagged = cluster.incident(&theft).await.public_info.unwrap();
    assert!(flagged.why.contains("spreading online"), "{}", flagged.why);
}
