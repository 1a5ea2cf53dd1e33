//! NENA EIDO (NENA-STA-021, the Emergency Incident Data Object) as JSON:
//! the subset Cordon writes for `GET /v1/incidents/{id}/eido` and reads at
//! `POST /v1/eido`. Member names and shapes follow the standard's JSON
//! schema (`$id`, a prologue in every component, components pointing at one
//! another with `{"$ref": "<$id>"}`); NENA's schema files carry no licence,
//! so none is shipped here and [`Eido::problems`] checks the rules this
//! subset relies on instead. Members this subset does not know are kept
//! out on export and ignored on import, as the standard's open schema
//! allows.
//!
//! What is lossy, in both directions, is said by [`KIND_REGISTRY`] and the
//! status mappings below.

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::units::Unit;

/// The EIDO version this subset follows.
pub const EIDO_VERSION: &str = "1.0";
/// The prefix of an incident tracking identifier (NENA-STA-010).
pub const INCIDENT_URN_PREFIX: &str = "urn:emergency:uid:incidentid:";
/// The prefix of the other components' identifiers.
pub const COMPONENT_URN_PREFIX: &str = "urn:emergency:uid:eidodatacomponent:";

/// Cordon's incident kinds and the EIDO common incident types (APCO
/// ANS 2.103.2) they are written as, with whether the mapping loses
/// meaning. Reading, a common type not in this table becomes `other`, its
/// code kept in the description.
pub const KIND_REGISTRY: &[(&str, &str, bool)] = &[
    ("theft", "LARCENY", false),
    ("assault", "ASSAULT", false),
    ("disturbance", "DISORD", true),
    ("crowd_crush", "MAJORINC", true),
    ("medical", "SICK", true),
    ("fire", "FUNK", true),
    ("traffic_accident", "MVAUNK", false),
    ("missing_person", "PERMISS", false),
    ("suspicious_object", "SUSP", true),
    ("extreme_act", "NCRASLTWF", true),
    ("hazard", "HAZ", true),
    ("other", "NCRNONE", true),
];

/// A pointer to another component of the same document, by its `$id`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Reference {
    /// The `$id` pointed at.
    #[serde(rename = "$ref")]
    pub target: String,
}

impl Reference {
    /// A reference to `id`.
    pub fn to(id: &str) -> Reference {
        Reference {
            target: id.to_owned(),
        }
    }
}

/// The members every component (and the document) starts with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Prologue {
    /// The component's identifier, the same in every EIDO of the incident.
    #[serde(rename = "$id")]
    pub id: String,
    /// When the component last changed, RFC 3339.
    pub last_update_time_stamp: String,
    /// The agency that last changed it.
    pub updated_by_agency_reference: Reference,
    /// The agent (person) that last changed it, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by_agent_reference: Option<Reference>,
}

/// An EIDO document: the state of one incident as its sender knows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Eido {
    /// `$id` is the incident tracking identifier
    /// (`urn:emergency:uid:incidentid:<unique>:<agency>`).
    #[serde(flatten)]
    pub prologue: Prologue,
    /// Always `1.0`.
    pub eido_version: String,
    /// The functional element that wrote the document.
    pub issuing_element_identification: String,
    /// The incident itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_component: Option<IncidentComponent>,
    /// The agencies involved (at least the sender).
    pub agency_component: Vec<AgencyComponent>,
    /// The people involved (dispatchers, the system's own agent).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agent_component: Vec<AgentComponent>,
    /// Where the incident is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub location_component: Vec<LocationComponent>,
    /// The units on the incident.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emergency_resource_component: Vec<ResourceComponent>,
    /// Who dispatched which units.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dispatch_component: Vec<DispatchComponent>,
    /// Notes, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes_component: Vec<NotesComponent>,
}

/// The incident's type, status, priority and disposition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IncidentComponent {
    /// Identifier and last change.
    #[serde(flatten)]
    pub prologue: Prologue,
    /// The common incident type (one code, see [`KIND_REGISTRY`]).
    pub incident_type_common_registry_text: String,
    /// The sender's own kind, e.g. `crowd_crush`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_type_internal_text: Option<String>,
    /// Common statuses, e.g. `Active`, `ResourcesEnroute`, `Closed`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub incident_status_common_registry_text: Vec<String>,
    /// The sender's own status, e.g. `en_route`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub incident_status_internal_text: Vec<String>,
    /// The sender's incident number, e.g. `I-000042`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_incident_id: Option<String>,
    /// 0 to 10, 10 the most urgent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_common_priority_number: Option<i32>,
    /// Its locations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub location_reference: Vec<Reference>,
    /// Its notes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes_reference: Vec<Reference>,
    /// How it ended, once closed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disposition_component: Vec<Disposition>,
}

/// How an incident ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Disposition {
    /// The common disposition code, e.g. `"10"` (event cancelled).
    pub disposition_common_registry_code: String,
    /// The one disposition that counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition_primary_indicator: Option<bool>,
    /// In words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition_description_text: Option<String>,
}

/// An agency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgencyComponent {
    /// `$id` is the agency identifier, a domain name.
    #[serde(flatten)]
    pub prologue: Prologue,
    /// Its roles on the incident, e.g. `Dispatching`.
    pub agency_role_description_registry_text: Vec<String>,
    /// Its services, e.g. `police`.
    pub agency_type: Vec<String>,
    /// True for the agency that owns the incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_owning_agency_indicator: Option<bool>,
}

/// A person (or the system) acting for an agency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentComponent {
    /// `$id` is the agent identifier, `name@agency`.
    #[serde(flatten)]
    pub prologue: Prologue,
    /// Its roles, e.g. `Dispatching`.
    pub agent_role_registry_text: Vec<String>,
    /// Its agency.
    pub agency_reference: Reference,
}

/// A location: a PIDF-LO document with a geodetic point.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LocationComponent {
    /// Identifier and last change.
    #[serde(flatten)]
    pub prologue: Prologue,
    /// What the location is, e.g. `CurrentIncident`.
    pub location_type_description_registry_text: String,
    /// A PIDF-LO XML document; Cordon writes and reads a GML point
    /// (`<gml:pos>lat lon</gml:pos>`, WGS-84).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_by_value: Option<String>,
    /// In words: the street and cross street.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_description_text: Option<String>,
}

/// A unit on the incident.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceComponent {
    /// Identifier and last change.
    #[serde(flatten)]
    pub prologue: Prologue,
    /// The common resource type, e.g. `PatrolUnit`.
    pub emergency_resource_type_common_registry_text: String,
    /// Its attributes (none written).
    pub resource_attribute_registry_text: Vec<String>,
    /// `Available`, `ConditionallyAvailable` or `NotAvailable`.
    pub primary_unit_status_registry_text: String,
    /// e.g. `Dispatched`, `EnRoute`, `OnScene`.
    pub secondary_unit_status_registry_text: Vec<String>,
    /// The agents who crew or dispatched it.
    pub agent_reference: Vec<Reference>,
    /// Its name, e.g. `bund-1-a`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emergency_resource_name: Option<String>,
    /// The sender's own status, e.g. `en_route`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unit_status_internal: Vec<String>,
}

/// Who dispatched which units.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DispatchComponent {
    /// Identifier and last change.
    #[serde(flatten)]
    pub prologue: Prologue,
    /// The dispatching agency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency_reference: Option<Reference>,
    /// The units.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emergency_resource_reference: Vec<Reference>,
}

/// A note.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotesComponent {
    /// Identifier and last change (by whom).
    #[serde(flatten)]
    pub prologue: Prologue,
    /// The note's text.
    pub notes_action_comments: String,
}

/// The answer to `POST /v1/eido`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EidoImported {
    /// Cordon's incident, e.g. `I-000042`.
    pub incident_id: String,
    /// The partner's tracking identifier.
    pub tracking_id: String,
    /// True when this document created the incident.
    pub created: bool,
    /// The log index of the import.
    pub log_index: u64,
    /// The incident's status after the import, e.g. `reported`; a closed
    /// one (`resolved`, `cancelled`) took none of the document's new notes.
    /// Absent from a partner that does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// One thing wrong with a document: where (a JSON path) and what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// The JSON path, e.g. `incidentComponent.lastUpdateTimeStamp`.
    pub path: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// An RFC 3339 time of Unix milliseconds, in UTC.
pub fn rfc3339(ms: u64) -> String {
    let nanos = i128::from(ms) * 1_000_000;
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|at| at.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
}

/// Unix milliseconds of an RFC 3339 time, if it is one.
pub fn unix_ms(text: &str) -> Option<u64> {
    let at = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    u64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()
}

/// The EIDO common type of a Cordon kind.
pub fn common_type(kind: &str) -> &'static str {
    KIND_REGISTRY
        .iter()
        .find(|(own, _, _)| *own == kind)
        .map_or("NCRNONE", |(_, common, _)| common)
}

/// The Cordon kind of an EIDO common type, if the table names one.
pub fn kind_of(common: &str) -> Option<&'static str> {
    KIND_REGISTRY
        .iter()
        .find(|(_, code, _)| *code == common)
        .map(|(own, _, _)| *own)
}

/// The common incident statuses of a Cordon status (lossy: `triaged` and
/// `escalated` are both `Active`).
pub fn incident_statuses(status: &str) -> Vec<String> {
    let common: &[&str] = match status {
        "assigned" => &["Active", "ResourcesAssigned"],
        "en_route" => &["Active", "ResourcesEnroute"],
        "on_scene" => &["Active", "ResourcesOnscene"],
        "resolved" => &["Closed"],
        "cancelled" => &["Cancelled"],
        _ => &["Active"],
    };
    common.iter().map(|s| (*s).to_owned()).collect()
}

/// A unit status as the primary and secondary common unit statuses.
pub fn unit_statuses(status: &str) -> (&'static str, Vec<String>) {
    let (primary, secondary): (&str, &[&str]) = match status {
        "available" => ("Available", &["InService"]),
        "dispatched" => ("NotAvailable", &["Dispatched"]),
        "acknowledged" => ("NotAvailable", &["Dispatched", "AcknowledgedTransmission"]),
        "en_route" => ("NotAvailable", &["Dispatched", "EnRoute"]),
        "on_scene" => ("NotAvailable", &["OnScene"]),
        "transporting" => ("NotAvailable", &["Transporting"]),
        "returning" => ("ConditionallyAvailable", &["Cleared"]),
        _ => ("NotAvailable", &["OutofService"]),
    };
    (primary, secondary.iter().map(|s| (*s).to_owned()).collect())
}

/// The common resource type of a unit of `ring` (lossy for the
/// community rings: the registry has no volunteer or guardian type).
pub fn resource_type(ring: u8) -> &'static str {
    match ring {
        4 => "SWAT",
        3 => "PatrolUnit",
        _ => "CommunityPolicingUnit",
    }
}

/// A PIDF-LO document holding one WGS-84 point.
pub fn pidf_point(entity: &str, lat: f64, lon: f64) -> String {
    format!(
        "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" xmlns:gp=\"urn:ietf:params:xml:ns:pidf:geopriv10\" \
         xmlns:gml=\"http://www.opengis.net/gml\" entity=\"{entity}\"><tuple id=\"incident\"><status><gp:geopriv>\
         <gp:location-info><gml:Point srsName=\"urn:ogc:def:crs:EPSG::4326\"><gml:pos>{lat:.6} {lon:.6}</gml:pos>\
         </gml:Point></gp:location-info><gp:usage-rules/></gp:geopriv></status></tuple></presence>"
    )
}

/// The first point (`<gml:pos>lat lon</gml:pos>`) of a PIDF-LO document.
pub fn pidf_position(pidf: &str) -> Option<(f64, f64)> {
    let start = pidf.find("<gml:pos>")? + "<gml:pos>".len();
    let end = start + pidf[start..].find("</gml:pos>")?;
    let mut numbers = pidf[start..end].split_whitespace().map(str::parse::<f64>);
    match (numbers.next(), numbers.next()) {
        (Some(Ok(lat)), Some(Ok(lon))) => Some((lat, lon)),
        _ => None,
    }
}

/// The parts of an incident tracking identifier: its unique string and its
/// agency, if `id` is one.
pub fn tracking_parts(id: &str) -> Option<(&str, &str)> {
    let rest = id
        .get(..INCIDENT_URN_PREFIX.len())
        .filter(|prefix| prefix.eq_ignore_ascii_case(INCIDENT_URN_PREFIX))
        .map(|_| &id[INCIDENT_URN_PREFIX.len()..])?;
    let (unique, agency) = rest.split_once(':')?;
    let fine = !unique.is_empty()
        && unique.chars().all(|c| c.is_ascii_alphanumeric())
        && !agency.is_empty();
    fine.then_some((unique, agency))
}

/// What [`Eido::of_incident`] needs beside the incident.
#[derive(Clone, Debug)]
pub struct Sender<'a> {
    /// The agency identifier (a domain name), e.g. `huangpu.police.example`.
    pub agency: &'a str,
    /// The writing element, e.g. `cordon.huangpu.police.example`.
    pub element: &'a str,
    /// The units, to read the status of the incident's.
    pub units: &'a [Unit],
}

mod build;
mod check;

pub use check::{Closure, Intake};

#[cfg(test)]
mod tests;

/// `GET /v1/partners/city-ops/incidents`: what a city-operations centre
/// receives, each incident as an EIDO document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PartnerFeed {
    /// Whose feed: `district` or the station whose subdistrict it serves.
    pub centre: String,
    /// What concerns a city-operations centre, in words.
    pub concerns: String,
    /// The open incidents that concern it, newest first.
    pub incidents: Vec<Eido>,
}
