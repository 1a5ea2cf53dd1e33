//! Incidents exchanged as NENA EIDO documents, on three real processes: an
//! incident written out keeps the rules and names its unit and note; the
//! same document sent by a partner feed creates one incident, once, and
//! later documents bring it up to date; broken documents are refused
//! naming the JSON path of the problem.

use cordon_api::eido::{Eido, EidoImported};
use cordon_api::incidents::{AddNote, Committed, Incident};
use serde_json::Value;

use crate::support::{refusal, start_cluster, start_single_node_cluster, Cluster};

async fn partner(cluster: &Cluster) -> cordon_node::client::ApiClient {
    cluster
        .client_as("renji-hospital-feed", &["reporter:partner_feed"])
        .await
}

const PARTNER_TRACKING: &str = "urn:emergency:uid:incidentid:RJ2026120701:renji.hospital.example";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(clippy::too_many_lines, reason = "a test read as phases")]
async fn an_incident_goes_out_as_eido_and_a_partner_document_comes_in_once() {
    // Phase 1: an assault, assigned, with a note; its EIDO document keeps
    // the rules and says what Cordon knows.
    let cluster = start_cluster().await;
    let id = cluster
        .report("eido-1", "assault", 31.2330, 121.4800, 1)
        .await;
    let incident = cluster.wait_assigned(&id).await;
    let note = AddNote {
        request_id: None,
        text: "two men, one with a bottle".into(),
    };
    let _: Committed = cluster
        .client
        .post(&format!("/v1/incidents/{id}/notes"), &note, 0)
        .await
        .unwrap();
    let eido: Eido = cluster
        .client
        .get(&format!("/v1/incidents/{id}/eido"), 0)
        .await
        .unwrap();
    assert_eq!(eido.problems(), []);
    let part = eido.incident_component.as_ref().unwrap();
    assert_eq!(part.incident_type_common_registry_text, "ASSAULT");
    assert_eq!(part.internal_incident_id.as_deref(), Some(id.as_str()));
    assert!(
        eido.prologue.id.ends_with(":huangpu.cordon.example"),
        "{}",
        eido.prologue.id
    );
    let names: Vec<_> = eido
        .emergency_resource_component
        .iter()
        .filter_map(|unit| unit.emergency_resource_name.clone())
        .collect();
    assert_eq!(names, incident.units);
    assert!(eido
        .notes_component
        .iter()
        .any(|n| n.notes_action_comments == note.text));

    // Phase 2: a partner feed sends the document under its own tracking
    // identifier: one new incident of the same kind, at the same place,
    // with the note; sent again, the same incident, unchanged.
    let feed = partner(&cluster).await;
    let mut theirs = serde_json::to_value(&eido).unwrap();
    theirs["$id"] = PARTNER_TRACKING.into();
    let first: EidoImported = feed.post("/v1/eido", &theirs, 0).await.unwrap();
    assert!(first.created && first.incident_id != id, "{first:?}");
    let again: EidoImported = feed.post("/v1/eido", &theirs, 0).await.unwrap();
    assert_eq!(
        (again.created, again.incident_id.as_str()),
        (false, first.incident_id.as_str())
    );
    let taken: Incident = cluster.incident(&first.incident_id).await;
    assert_eq!(taken.kind, "assault");
    assert_eq!(taken.channel, "partner_feed");
    assert_eq!(taken.tracking_id.as_deref(), Some(PARTNER_TRACKING));
    assert!((taken.lat - incident.lat).abs() < 1e-5 && (taken.lon - incident.lon).abs() < 1e-5);
    let notes = taken.timeline.iter().filter(|e| e.step == "note").count();
    assert_eq!(notes, 1, "{:#?}", taken.timeline);

    // Phase 3: the partner closes it; the next document closes it here.
    theirs["incidentComponent"]["incidentStatusCommonRegistryText"] = serde_json::json!(["Closed"]);
    let closed: EidoImported = feed.post("/v1/eido", &theirs, 0).await.unwrap();
    assert!(!closed.created);
    assert_eq!(
        cluster.incident(&first.incident_id).await.status,
        "resolved"
    );

    // Phase 4: what is not an EIDO document is 400 naming where serde
    // stopped; one that breaks the rules is 422 naming each problem's path.
    let mut broken: Value = theirs.clone();
    broken.as_object_mut().unwrap().remove("eidoVersion");
    let (code, message) = refusal(feed.post::<EidoImported>("/v1/eido", &broken, 0).await);
    assert_eq!(code, "invalid_input", "{message}");
    assert!(message.contains("eidoVersion"), "{message}");
    let mut wrong = theirs.clone();
    wrong["incidentComponent"]["lastUpdateTimeStamp"] = "yesterday".into();
    wrong["locationComponent"][0]["locationByValue"] = "<presence/>".into();
    let (code, message) = refusal(feed.post::<EidoImported>("/v1/eido", &wrong, 0).await);
    assert_eq!(code, "invalid_eido", "{message}");
    assert!(
        message.contains("incidentComponent.lastUpdateTimeStamp"),
        "{message}"
    );
    assert!(
        message.contains("locationComponent[0].locationByValue"),
        "{message}"
    );

    // Phase 5: a reporter of another channel may not send documents in.
    let gateway = cluster
        .client_as("gateway-110", &["reporter:emergency_call"])
        .await;
    let mut other = theirs.clone();
    other["$id"] = "urn:emergency:uid:incidentid:GW1:gateway.example".into();
    let (code, _) = refusal(gateway.post::<EidoImported>("/v1/eido", &other, 0).await);
    assert_eq!(code, "forbidden");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_exported_by_one_cluster_is_reproduced_by_another() {
    // Phase 1: cluster A's assault, with a note, closed; its EIDO document.
    let a = start_cluster().await;
    let id = a.report("round-1", "assault", 31.2290, 121.4760, 1).await;
    a.wait_assigned(&id).await;
    let note = AddNote {
        request_id: None,
        text: "the suspect wore a red jacket".into(),
    };
    let _: Committed = a
        .client
        .post(&format!("/v1/incidents/{id}/notes"), &note, 0)
        .await
        .unwrap();
    let close = cordon_api::incidents::CloseIncident {
        request_id: None,
        reason: Some("arrested".into()),
    };
    let _: Committed = a
        .client
        .post(&format!("/v1/incidents/{id}/resolve"), &close, 0)
        .await
        .unwrap();
    let sent: Eido = a
        .client
        .get(&format!("/v1/incidents/{id}/eido"), 0)
        .await
        .unwrap();
    let original = a.incident(&id).await;

    // Phase 2: cluster B (a single node) takes it in from its partner feed: the same kind,
    // priority, place and note, closed as A closed it, under A's tracking
    // identifier; the same document again changes nothing.
    let b = start_single_node_cluster().await;
    let feed = partner(&b).await;
    let taken: EidoImported = feed.post("/v1/eido", &sent, 0).await.unwrap();
    assert!(taken.created);
    let copy = b.incident(&taken.incident_id).await;
    assert_eq!(
        (copy.kind.as_str(), copy.priority),
        (original.kind.as_str(), original.priority)
    );
    assert!((copy.lat - original.lat).abs() < 1e-6 && (copy.lon - original.lon).abs() < 1e-6);
    assert_eq!(copy.status, "resolved");
    assert_eq!(copy.tracking_id.as_deref(), Some(sent.prologue.id.as_str()));
    let notes: Vec<&str> = copy
        .timeline
        .iter()
        .filter(|e| e.step == "note")
        .map(|e| e.reason.as_str())
        .collect();
    assert_eq!(notes.len(), 1);
    assert!(notes[0].ends_with(&note.text), "{notes:?}");
    let again: EidoImported = feed.post("/v1/eido", &sent, 0).await.unwrap();
    assert!(!again.created && again.incident_id == taken.incident_id);
    assert_eq!(b.incident(&taken.incident_id).await.version, copy.version);
}
