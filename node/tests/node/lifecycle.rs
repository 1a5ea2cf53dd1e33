//! An incident's status follows the lifecycle table: a move the table
//! forbids is answered 409, naming what the incident can become.

use cordon_api::incidents::{CloseIncident, Committed};
use cordon_node::client::ClientError;

use crate::support::start_cluster;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_incident_cannot_be_resolved() {
    // Phase 1: three nodes; a report, cancelled as a duplicate.
    let cluster = start_cluster().await;
    let id = cluster
        .report("lifecycle-1", "theft", 31.2394, 121.4760, 2)
        .await;
    let cancel = CloseIncident {
        request_id: Some("lifecycle-1-cancel".into()),
        reason: Some("duplicate of an earlier call".into()),
    };
    let path = format!("/v1/incidents/{id}/cancel");
    cluster
        .client
        .post::<Committed>(&path, &cancel, 0)
        .await
        .unwrap();

    // Phase 2: resolving it now is refused with a 409 that says a closed
    // incident stays closed; it is still cancelled.
    let resolve = CloseIncident {
        request_id: Some("lifecycle-1-resolve".into()),
        reason: None,
    };
    let path = format!("/v1/incidents/{id}/resolve");
    match cluster.client.post::<Committed>(&path, &resolve, 0).await {
        Err(ClientError::Refused { code, message }) => {
            assert_eq!(code, "rejected");
            assert_eq!(
                message,
                format!("incident {id} is cancelled: it cannot become resolved; a closed incident stays closed")
            );
        }
        other => panic!("a cancelled incident resolved: {other:?}"),
    }
    assert_eq!(cluster.incident(&id).await.status, "cancelled");
}
