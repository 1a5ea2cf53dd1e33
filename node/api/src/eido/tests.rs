//! EIDO documents written from seeded incidents of every kind and status
//! keep the rules and read back to the same incident; broken documents are
//! refused naming the JSON path of each problem.

use super::{Eido, Sender, KIND_REGISTRY};
use crate::incidents::{Incident, Origin, TimelineEntry};
use crate::units::Unit;

const STATUSES: [&str; 8] = [
    "reported",
    "triaged",
    "assigned",
    "en_route",
    "on_scene",
    "escalated",
    "resolved",
    "cancelled",
];
const UNIT_STATUSES: [&str; 8] = [
    "available",
    "dispatched",
    "acknowledged",
    "en_route",
    "on_scene",
    "transporting",
    "returning",
    "out_of_service",
];

/// A small deterministic generator (SplitMix64).
struct Seeded(u64);

impl Seeded {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n
    }
}

fn entry(index: u64, step: &str, reason: &str) -> TimelineEntry {
    TimelineEntry {
        index,
        at_ms: 1_798_700_000_000 + index * 1_000,
        origin: Origin::default(),
        request_id: format!("req-{index}"),
        step: step.to_owned(),
        unit_id: None,
        status: "reported".to_owned(),
        reason: reason.to_owned(),
        hash: String::new(),
    }
}

/// Incident `n` of a seeded run, with up to three units and two notes.
fn incident(rng: &mut Seeded, n: u64) -> (Incident, Vec<Unit>) {
    let kind = KIND_REGISTRY[rng.below(KIND_REGISTRY.len() as u64) as usize].0;
    let status = STATUSES[rng.below(STATUSES.len() as u64) as usize];
    let units: Vec<Unit> = (0..rng.below(4))
        .map(|u| Unit {
            id: format!("unit-{n}-{u}"),
            ring: 1 + rng.below(4) as u8,
            status: UNIT_STATUSES[rng.below(UNIT_STATUSES.len() as u64) as usize].to_owned(),
            updated_at_ms: 1_798_700_000_000 + rng.below(100_000),
            ..Unit::default()
        })
        .collect();
    let mut timeline = vec![entry(n * 10, "reported", "reported")];
    for i in 0..rng.below(3) {
        timeline.push(entry(
            n * 10 + 1 + i,
            "note",
            &format!("note {i} of {n} <b>&</b>"),
        ));
    }
    let incident = Incident {
        id: format!("I-{n:06}"),
        kind: kind.to_owned(),
        priority: rng.below(11) as u8,
        lat: 31.2 + rng.below(1_000) as f64 / 20_000.0,
        lon: 121.46 + rng.below(1_000) as f64 / 20_000.0,
        address: (rng.below(2) == 0).then(|| "Nanjing East Road near Henan Middle Road".to_owned()),
        status: status.to_owned(),
        reported_at_ms: 1_798_700_000_000 + n,
        units: units.iter().map(|unit| unit.id.clone()).collect(),
        timeline,
        ..Incident::default()
    };
    (incident, units)
}

const SENDER_AGENCY: &str = "huangpu.police.example";

fn document(incident: &Incident, units: &[Unit]) -> Eido {
    Eido::of_incident(
        incident,
        &Sender {
            agency: SENDER_AGENCY,
            element: "cordon.huangpu.police.example",
            units,
        },
    )
}

#[test]
fn a_hundred_seeded_incidents_write_valid_documents_that_read_back() {
    let mut rng = Seeded(20_261_207);
    for n in 1..=100 {
        // Phase 1: the document keeps every rule and names the incident.
        let (incident, units) = incident(&mut rng, n);
        let eido = document(&incident, &units);
        assert_eq!(eido.problems(), [], "{}", incident.id);
        assert_eq!(
            eido.prologue.id,
            format!("urn:emergency:uid:incidentid:I{n:06}:{SENDER_AGENCY}")
        );
        assert_eq!(eido.emergency_resource_component.len(), units.len());

        // Phase 2: as JSON it carries the standard's member names and reads
        // back to the same document.
        let json = serde_json::to_value(&eido).unwrap();
        for member in [
            "$id",
            "lastUpdateTimeStamp",
            "updatedByAgencyReference",
            "eidoVersion",
            "issuingElementIdentification",
            "agencyComponent",
            "incidentComponent",
        ] {
            assert!(json.get(member).is_some(), "{member} missing: {json}");
        }
        let read: Eido = serde_json::from_value(json).unwrap();
        assert_eq!(read, eido);

        // Phase 3: read as a partner's document, it is the same incident.
        let intake = read.intake().unwrap();
        assert_eq!(intake.kind, incident.kind);
        assert_eq!(intake.priority, incident.priority);
        assert!(
            (intake.lat - incident.lat).abs() < 1e-6 && (intake.lon - incident.lon).abs() < 1e-6
        );
        let notes: Vec<&str> = intake.notes.iter().map(|(_, text)| text.as_str()).collect();
        let trail: Vec<&str> = incident
            .timeline
            .iter()
            .filter(|e| e.step == "note")
            .map(|e| e.reason.as_str())
            .collect();
        assert_eq!(notes, trail);
        let closed = match incident.status.as_str() {
            "resolved" => Some(super::Closure::Resolved),
            "cancelled" => Some(super::Closure::Cancelled),
            _ => None,
        };
        assert_eq!(intake.closed, closed, "{}", incident.status);
    }
}

#[test]
fn a_broken_document_is_refused_naming_each_problem_by_its_path() {
    let mut rng = Seeded(7);
    let (incident, units) = incident(&mut rng, 1);
    let mut json = serde_json::to_value(document(&incident, &units)).unwrap();
    json["eidoVersion"] = "2.0".into();
    json["$id"] = "I-000001".into();
    json["incidentComponent"]["lastUpdateTimeStamp"] = "yesterday".into();
    json["incidentComponent"]["incidentCommonPriorityNumber"] = 42.into();
    json["incidentComponent"]["locationReference"][0]["$ref"] = "nowhere".into();
    json["locationComponent"][0]["locationByValue"] = "<presence/>".into();
    let eido: Eido = serde_json::from_value(json).unwrap();
    let paths: Vec<String> = eido.problems().into_iter().map(|p| p.path).collect();
    for path in [
        "eidoVersion",
        "$id",
        "incidentComponent.lastUpdateTimeStamp",
        "incidentComponent.incidentCommonPriorityNumber",
        "incidentComponent.locationReference[0].$ref",
        "locationComponent[0].locationByValue",
    ] {
        assert!(paths.iter().any(|p| p == path), "{path} not in {paths:?}");
    }
    assert!(eido.intake().is_err());
}
