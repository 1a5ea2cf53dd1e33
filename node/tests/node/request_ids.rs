//! Request ids: a client's ids live in a namespace of their own, so they
//! can neither forge nor collide with the ids the API and the actors make;
//! approving a plan works whenever the plan is there and answers a second
//! click as it answered the first; a client id sent again with another
//! request is refused.

use cordon_api::events::Effect;
use cordon_api::incidents::{Committed, ReportIncident};
use cordon_node::client::{ApiClient, ClientError};

use crate::support::start_cluster_with;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_ids_cannot_forge_server_ids_and_approval_is_idempotent() {
    // Phase 1: three nodes whose plans wait for a commander.
    let cluster = start_cluster_with(|file| file.actors.plan_auto_approve_ms = 120_000).await;

    // Phase 2: the first incident, a major one, reported under the id the
    // API used to approve incident 1's plan (`approve-1`).
    let id = cluster
        .report("approve-1", "crowd_crush", 31.2422, 121.4858, 7)
        .await;
    assert_eq!(id, "I-000001");
    let approve = format!("/v1/plans/{id}/approve");

    // Phase 3: an approval pressed at once is either refused as "no plan
    // yet" (nothing is remembered) or, if the plan was already there, real.
    match cluster.client.post::<Committed>(&approve, &(), 0).await {
        Err(ClientError::Refused { code, .. }) => assert_eq!(code, "no_plan"),
        Ok(answer) => assert!(matches!(answer.effect, Effect::IncidentUpdated { .. })),
        Err(other) => panic!("early approval: {other}"),
    }

    // Phase 4: once the plan is shown, the approval is applied: not the
    // report's answer replayed under a forged id.
    cluster.wait_plan(&id).await;
    let first = cluster
        .client
        .post::<Committed>(&approve, &(), 0)
        .await
        .unwrap();
    assert!(
        matches!(first.effect, Effect::IncidentUpdated { .. }),
        "{first:?}"
    );
    let incident = cluster.incident(&id).await;
    let plan = incident.plan.as_ref().expect("a plan");
    assert_eq!(plan.approved_index, Some(first.log_index), "{incident:#?}");
    assert!(incident
        .timeline
        .iter()
        .any(|entry| entry.step == "plan_approved"));
    assert_eq!(
        incident.request_id, "approve-1",
        "the client sees its own id"
    );

    // Phase 5: a second click is answered as the first was.
    let second = cluster
        .client
        .post::<Committed>(&approve, &(), 0)
        .await
        .unwrap();
    assert_eq!(second.log_index, first.log_index);

    // Phase 6: a client id too long for the clients' namespace is refused
    // with the limit, before anything is proposed.
    a_too_long_id_is_refused(&cluster.client).await;

    // Phase 7: the first report sent again is answered as the first (200);
    // the same client id with another report is refused with a 409 naming
    // the id as sent and where it was first used.
    a_reused_id_is_refused(&cluster.client, &id).await;
}

/// A 127-character client id is refused with the limit of the clients' namespace.
async fn a_too_long_id_is_refused(client: &ApiClient) {
    let report = ReportIncident {
        request_id: Some("x".repeat(127)),
        kind: Some("theft".into()),
        priority: None,
        force_level: None,
        lat: 31.2394,
        lon: 121.4760,
        channel: None,
        description: None,
    };
    match client.report(&report, 0).await {
        Err(ClientError::Refused { code, message }) => {
            assert_eq!(code, "invalid_input");
            assert!(message.contains("1-126 characters"), "{message}");
        }
        other => panic!("a 127-character request id: {other:?}"),
    }
}

/// The report of incident `id` (under `approve-1`) sent again is
/// deduplicated; another report under its id is refused naming the first use.
async fn a_reused_id_is_refused(client: &ApiClient, id: &str) {
    let first_report = ReportIncident {
        request_id: Some("approve-1".into()),
        kind: Some("crowd_crush".into()),
        priority: Some(6),
        force_level: Some(7),
        lat: 31.2422,
        lon: 121.4858,
        channel: None,
        description: None,
    };
    let retried = client.report(&first_report, 0).await.unwrap();
    assert!(retried.deduplicated, "{retried:?}");
    assert_eq!(retried.incident_id, id);
    let another = ReportIncident {
        kind: Some("theft".into()),
        ..first_report
    };
    match client.report(&another, 0).await {
        Err(ClientError::Refused { code, message }) => {
            assert_eq!(code, "request_id_reused");
            assert_eq!(
                message,
                format!("request id approve-1 was first used at log index {} for a different request: use a new request id for a new request [INV-REQ-1]", retried.log_index)
            );
        }
        other => panic!("a reused request id: {other:?}"),
    }
}
