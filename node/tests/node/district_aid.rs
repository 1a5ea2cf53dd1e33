//! Mutual aid between districts: the Huangpu cluster (three processes)
//! asks its neighbour Jing'an (a second cluster, one process) for units,
//! and the incident goes to Jing'an as an EIDO document carrying the
//! request; Jing'an creates the incident under Huangpu's tracking
//! identifier, and Huangpu's trail records where it went. A neighbour that
//! does not answer is recorded as not reached; a dispatcher may not ask,
//! an unknown neighbour or a request for no units is refused before
//! anything is sent, and a retried request is answered from the record
//! without sending again.

use cordon_api::incidents::{DistrictAidSent, IncidentList, Neighbours};
use cordon_config::NeighbourLink;
use serde_json::json;

use crate::support::{refusal, start_cluster_with, start_single_node_cluster};

/// The Bund riverside.
const BUND: (f64, f64) = (31.2420, 121.4868);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(clippy::too_many_lines, reason = "a test read as phases")]
async fn a_mutual_aid_request_goes_to_the_neighbour_as_an_eido_document() {
    // Phase 1: Jing'an (one process) issues Huangpu a partner-feed token;
    // Huangpu's cluster file names Jing'an and Xuhui, whose port is closed.
    let jingan = start_single_node_cluster().await;
    let token = jingan
        .processes
        .issue_token("huangpu-district", &["reporter:partner_feed"])
        .await
        .unwrap();
    let files = tempfile::tempdir().unwrap();
    let token_file = files.path().join("jingan.token");
    std::fs::write(&token_file, format!("{token}\n")).unwrap();
    let jingan_url = jingan.client.urls()[0].clone();
    let link = |id: &str, name: &str, eido_url: String| NeighbourLink {
        id: id.into(),
        name: name.into(),
        eido_url,
        token_file: token_file.clone(),
        ca_cert: None,
    };
    let huangpu = start_cluster_with(|file| {
        file.neighbours = vec![
            link(
                "jingan",
                "Jing'an District",
                format!("{jingan_url}/v1/eido"),
            ),
            link(
                "xuhui",
                "Xuhui District",
                "http://127.0.0.1:9/v1/eido".into(),
            ),
        ];
    })
    .await;
    let listed: Neighbours = huangpu.client.get("/v1/neighbours", 0).await.unwrap();
    assert_eq!(listed.neighbours.len(), 2);
    let id = huangpu
        .report("aid-1", "crowd_crush", BUND.0, BUND.1, 3)
        .await;

    // Phase 2: refused before anything is sent: a dispatcher, an unknown
    // neighbour, no units.
    let commander = huangpu.client_as("commander-qian", &["commander"]).await;
    let dispatcher = huangpu.client_as("dispatcher-li", &["dispatcher"]).await;
    let path = format!("/v1/incidents/{id}/district-aid");
    let ask = json!({"request_id": "aid-jingan-1", "neighbour": "jingan", "units": 4, "reason": "the countdown crowd spills over Yan'an Road"});
    let (code, _) = refusal(dispatcher.post::<DistrictAidSent>(&path, &ask, 0).await);
    assert_eq!(code, "forbidden");
    let unknown = json!({"neighbour": "pudong", "units": 4, "reason": "more"});
    let (code, message) = refusal(commander.post::<DistrictAidSent>(&path, &unknown, 0).await);
    assert_eq!(code, "invalid_input");
    assert!(message.contains("jingan, xuhui"), "{message}");
    let none = json!({"neighbour": "jingan", "units": 0, "reason": "more"});
    let (code, message) = refusal(commander.post::<DistrictAidSent>(&path, &none, 0).await);
    assert_eq!(code, "invalid_input");
    assert!(message.contains("units"), "{message}");
    let theirs: IncidentList = jingan.client.get("/v1/incidents", 0).await.unwrap();
    assert!(theirs.incidents.is_empty(), "{theirs:?}");

    // Phase 3: the commander asks Jing'an: delivered, Jing'an has the
    // incident under Huangpu's tracking identifier with the request's note.
    let sent: DistrictAidSent = commander.post(&path, &ask, 0).await.unwrap();
    let their_id = sent
        .their_incident_id
        .clone()
        .unwrap_or_else(|| panic!("not delivered: {sent:?}"));
    let copy = jingan.incident(&their_id).await;
    assert_eq!(copy.tracking_id.as_deref(), Some(sent.tracking_id.as_str()));
    assert_eq!(copy.kind, "crowd_crush");
    assert!(
        copy.timeline.iter().any(|entry| entry
            .reason
            .contains("Mutual-aid request to Jing'an District: 4 units")),
        "{:?}",
        copy.timeline
    );

    // The same request id again is answered from the record: nothing is
    // sent twice.
    let again: DistrictAidSent = commander.post(&path, &ask, 0).await.unwrap();
    assert_eq!(
        (again.log_index, again.their_incident_id.as_deref()),
        (sent.log_index, Some(their_id.as_str()))
    );
    let requests = jingan
        .incident(&their_id)
        .await
        .timeline
        .iter()
        .filter(|entry| entry.reason.contains("Mutual-aid request"))
        .count();
    assert_eq!(requests, 1);

    // Jing'an closes its copy: a later request reaches a closed incident,
    // which takes no request, and is recorded as not taken.
    let close = json!({"reason": "handled by Jing'an's patrols"});
    let _: serde_json::Value = jingan
        .client
        .post(&format!("/v1/incidents/{their_id}/cancel"), &close, 0)
        .await
        .unwrap();
    let late = json!({"neighbour": "jingan", "units": 2, "reason": "a second wave at the stairs"});
    let refused: DistrictAidSent = commander.post(&path, &late, 0).await.unwrap();
    assert!(
        refused
            .failure
            .as_deref()
            .is_some_and(|why| why.contains("is cancelled")),
        "{refused:?}"
    );

    // Phase 4: Xuhui does not answer: recorded as not reached.
    let xuhui = json!({"neighbour": "xuhui", "units": 2, "reason": "a second front at the ferry"});
    let missed: DistrictAidSent = commander.post(&path, &xuhui, 0).await.unwrap();
    assert!(missed.their_incident_id.is_none());
    assert!(
        missed
            .failure
            .as_deref()
            .is_some_and(|why| why.contains("did not answer")),
        "{missed:?}"
    );

    // Phase 5: Huangpu's incident and trail say where each request went.
    let incident = huangpu.incident(&id).await;
    let aid = &incident.district_aid;
    assert_eq!(aid.len(), 3, "{aid:?}");
    assert_eq!(aid[0].their_incident_id.as_deref(), Some(their_id.as_str()));
    assert!(
        aid[1..].iter().all(|sent| sent.failure.is_some()),
        "{aid:?}"
    );
    let trail: Vec<&str> = incident
        .timeline
        .iter()
        .filter(|entry| entry.step == "district_aid_requested")
        .map(|entry| entry.reason.as_str())
        .collect();
    assert_eq!(trail.len(), 3, "{trail:?}");
    assert!(
        trail[0].contains("delivered, their incident") && trail[2].contains("NOT delivered"),
        "{trail:?}"
    );
    assert!(incident.timeline_verified);
}
