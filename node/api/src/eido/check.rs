//! Checking an EIDO document and reading an incident out of it.

use std::collections::BTreeSet;

use super::{
    kind_of, pidf_position, tracking_parts, unix_ms, Eido, Problem, Prologue, Reference,
    EIDO_VERSION,
};

/// The primary unit statuses of the common registry.
const PRIMARY_UNIT_STATUSES: [&str; 3] = ["Available", "ConditionallyAvailable", "NotAvailable"];
/// Highest common priority number.
const PRIORITY_MAX: i32 = 10;

/// An incident read out of a partner's document.
#[derive(Clone, Debug, PartialEq)]
pub struct Intake {
    /// The tracking identifier (the document's `$id`).
    pub tracking_id: String,
    /// A Cordon kind (`other` when the common type maps to none).
    pub kind: String,
    /// 0 to 10.
    pub priority: u8,
    /// Latitude, WGS-84 degrees.
    pub lat: f64,
    /// Longitude, WGS-84 degrees.
    pub lon: f64,
    /// What the document says in words: its type, place and own kind.
    pub description: String,
    /// Its notes: `$id` and text, oldest first.
    pub notes: Vec<(String, String)>,
    /// How the partner closed it, if it did.
    pub closed: Option<Closure>,
}

/// How a partner closed an incident.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closure {
    /// Closed (`Closed`): resolved.
    Resolved,
    /// Withdrawn (`Cancelled`).
    Cancelled,
}

/// Collects problems with their paths.
#[derive(Default)]
struct Findings {
    problems: Vec<Problem>,
}

impl Findings {
    fn add(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }
}

impl Eido {
    /// Everything this document breaks of the rules Cordon relies on
    /// (beyond the types serde already checked), each with its JSON path:
    /// the version, the tracking identifier, RFC 3339 times, unique `$id`s,
    /// references that resolve, the agency, priority and unit status
    /// ranges. Empty when the document is good.
    pub fn problems(&self) -> Vec<Problem> {
        let mut found = Findings::default();
        if self.eido_version != EIDO_VERSION {
            found.add(
                "eidoVersion",
                format!("{:?} is not supported: write \"1.0\"", self.eido_version),
            );
        }
        if tracking_parts(&self.prologue.id).is_none() {
            found.add("$id", format!(
                "{:?} is not an incident tracking identifier: write urn:emergency:uid:incidentid:<letters and digits>:<agency domain>",
                self.prologue.id
            ));
        }
        if self.agency_component.is_empty() {
            found.add("agencyComponent", "empty: name at least the sending agency");
        }
        let ids = self.check_ids(&mut found);
        let agencies: BTreeSet<&str> = self
            .agency_component
            .iter()
            .map(|a| a.prologue.id.as_str())
            .collect();
        let agents: BTreeSet<&str> = self
            .agent_component
            .iter()
            .map(|a| a.prologue.id.as_str())
            .collect();
        for (path, prologue) in self.prologues() {
            check_prologue(&mut found, &path, prologue, &agencies, &agents);
        }
        for (path, reference) in self.references() {
            if !ids.contains(reference.target.as_str()) {
                found.add(
                    format!("{path}.$ref"),
                    format!("{:?} names no component of this document", reference.target),
                );
            }
        }
        self.check_values(&mut found);
        found.problems
    }

    /// Every `$id`, refusing repeats.
    fn check_ids(&self, found: &mut Findings) -> BTreeSet<&str> {
        let mut ids = BTreeSet::new();
        for (path, prologue) in self.prologues() {
            if prologue.id.trim().is_empty() {
                found.add(
                    format!("{path}.$id"),
                    "empty: give the component an identifier",
                );
            } else if !ids.insert(prologue.id.as_str()) && !path.is_empty() {
                found.add(
                    format!("{path}.$id"),
                    format!(
                        "{:?} is used twice: each component needs its own",
                        prologue.id
                    ),
                );
            }
        }
        ids
    }

    /// Ranges and registries of the members Cordon reads.
    fn check_values(&self, found: &mut Findings) {
        if let Some(incident) = &self.incident_component {
            if incident
                .incident_type_common_registry_text
                .trim()
                .is_empty()
            {
                found.add(
                    "incidentComponent.incidentTypeCommonRegistryText",
                    "empty: give a common incident type, e.g. ASSAULT",
                );
            }
            if let Some(priority) = incident.incident_common_priority_number {
                if !(0..=PRIORITY_MAX).contains(&priority) {
                    found.add(
                        "incidentComponent.incidentCommonPriorityNumber",
                        format!("{priority} is outside 0 to 10"),
                    );
                }
            }
        }
        for (i, location) in self.location_component.iter().enumerate() {
            let point = location.location_by_value.as_deref().map(pidf_position);
            if point == Some(None) {
                found.add(
                    format!("locationComponent[{i}].locationByValue"),
                    "no <gml:pos>lat lon</gml:pos> point: give a WGS-84 point",
                );
            }
        }
        for (i, unit) in self.emergency_resource_component.iter().enumerate() {
            if !PRIMARY_UNIT_STATUSES.contains(&unit.primary_unit_status_registry_text.as_str()) {
                found.add(
                    format!("emergencyResourceComponent[{i}].primaryUnitStatusRegistryText"),
                    format!(
                        "{:?} is not one of {PRIMARY_UNIT_STATUSES:?}",
                        unit.primary_unit_status_registry_text
                    ),
                );
            }
        }
    }

    /// Every prologue with its path (the document's own at "").
    fn prologues(&self) -> Vec<(String, &Prologue)> {
        let mut all = vec![(String::new(), &self.prologue)];
        if let Some(incident) = &self.incident_component {
            all.push(("incidentComponent".to_owned(), &incident.prologue));
        }
        let lists: [(&str, Vec<&Prologue>); 6] = [
            (
                "agencyComponent",
                self.agency_component.iter().map(|c| &c.prologue).collect(),
            ),
            (
                "agentComponent",
                self.agent_component.iter().map(|c| &c.prologue).collect(),
            ),
            (
                "locationComponent",
                self.location_component
                    .iter()
                    .map(|c| &c.prologue)
                    .collect(),
            ),
            (
                "emergencyResourceComponent",
                self.emergency_resource_component
                    .iter()
                    .map(|c| &c.prologue)
                    .collect(),
            ),
            (
                "dispatchComponent",
                self.dispatch_component
                    .iter()
                    .map(|c| &c.prologue)
                    .collect(),
            ),
            (
                "notesComponent",
                self.notes_component.iter().map(|c| &c.prologue).collect(),
            ),
        ];
        for (name, prologues) in lists {
            all.extend(
                prologues
                    .into_iter()
                    .enumerate()
                    .map(|(i, p)| (format!("{name}[{i}]"), p)),
            );
        }
        all
    }

    /// Every reference between components, with its path.
    fn references(&self) -> Vec<(String, &Reference)> {
        let mut lists: Vec<(String, &[Reference])> = Vec::new();
        if let Some(incident) = &self.incident_component {
            lists.push((
                "incidentComponent.locationReference".into(),
                &incident.location_reference,
            ));
            lists.push((
                "incidentComponent.notesReference".into(),
                &incident.notes_reference,
            ));
        }
        for (i, unit) in self.emergency_resource_component.iter().enumerate() {
            lists.push((
                format!("emergencyResourceComponent[{i}].agentReference"),
                &unit.agent_reference,
            ));
        }
        for (i, dispatch) in self.dispatch_component.iter().enumerate() {
            lists.push((
                format!("dispatchComponent[{i}].emergencyResourceReference"),
                &dispatch.emergency_resource_reference,
            ));
        }
        lists
            .into_iter()
            .flat_map(|(path, references)| {
                references
                    .iter()
                    .enumerate()
                    .map(move |(i, r)| (format!("{path}[{i}]"), r))
            })
            .collect()
    }

    /// The incident a partner's document reports, or what keeps Cordon
    /// from taking it.
    pub fn intake(&self) -> Result<Intake, Vec<Problem>> {
        let mut problems = self.problems();
        let Some(incident) = &self.incident_component else {
            problems.push(Problem {
                path: "incidentComponent".into(),
                message: "missing: Cordon takes documents about an incident".into(),
            });
            return Err(problems);
        };
        let point = self.incident_point();
        if point.is_none() {
            problems.push(Problem {
                path: "locationComponent".into(),
                message: "no location with a <gml:pos> point: Cordon needs where the incident is"
                    .into(),
            });
        }
        let (Some((lat, lon)), true) = (point, problems.is_empty()) else {
            return Err(problems);
        };
        let common = incident.incident_type_common_registry_text.as_str();
        let kind = kind_of(common).unwrap_or("other");
        Ok(Intake {
            tracking_id: self.prologue.id.clone(),
            kind: kind.to_owned(),
            priority: incident
                .incident_common_priority_number
                .map_or(5, |p| p.clamp(0, PRIORITY_MAX) as u8),
            lat,
            lon,
            description: self.description(common),
            notes: self
                .notes_component
                .iter()
                .map(|n| (n.prologue.id.clone(), n.notes_action_comments.clone()))
                .collect(),
            closed: closed(&incident.incident_status_common_registry_text),
        })
    }

    /// The point of the incident's first location with one (or of any location).
    fn incident_point(&self) -> Option<(f64, f64)> {
        let referenced: Vec<&str> = self
            .incident_component
            .iter()
            .flat_map(|incident| {
                incident
                    .location_reference
                    .iter()
                    .map(|r| r.target.as_str())
            })
            .collect();
        let first = |only_referenced: bool| {
            self.location_component
                .iter()
                .filter(|l| !only_referenced || referenced.contains(&l.prologue.id.as_str()))
                .find_map(|l| l.location_by_value.as_deref().and_then(pidf_position))
        };
        first(true).or_else(|| first(false))
    }

    fn description(&self, common: &str) -> String {
        let place = self
            .location_component
            .iter()
            .find_map(|l| l.location_description_text.clone())
            .map(|text| format!(", at {text}"))
            .unwrap_or_default();
        format!(
            "EIDO {} from {}: {common}{place}",
            self.prologue.id, self.issuing_element_identification
        )
    }
}

/// The prologue's time parses and its references name an agency and an agent.
fn check_prologue(
    found: &mut Findings,
    path: &str,
    prologue: &Prologue,
    agencies: &BTreeSet<&str>,
    agents: &BTreeSet<&str>,
) {
    let at = |member: &str| {
        if path.is_empty() {
            member.to_owned()
        } else {
            format!("{path}.{member}")
        }
    };
    if unix_ms(&prologue.last_update_time_stamp).is_none() {
        found.add(
            at("lastUpdateTimeStamp"),
            format!(
                "{:?} is not an RFC 3339 time, e.g. 2026-12-31T23:59:00+08:00",
                prologue.last_update_time_stamp
            ),
        );
    }
    if !agencies.contains(prologue.updated_by_agency_reference.target.as_str()) {
        found.add(
            at("updatedByAgencyReference.$ref"),
            format!(
                "{:?} names no agencyComponent",
                prologue.updated_by_agency_reference.target
            ),
        );
    }
    if let Some(agent) = &prologue.updated_by_agent_reference {
        if !agents.contains(agent.target.as_str()) {
            found.add(
                at("updatedByAgentReference.$ref"),
                format!("{:?} names no agentComponent", agent.target),
            );
        }
    }
}

/// How the partner closed the incident, if it did.
fn closed(statuses: &[String]) -> Option<Closure> {
    if statuses.iter().any(|s| s == "Cancelled") {
        Some(Closure::Cancelled)
    } else if statuses.iter().any(|s| s == "Closed") {
        Some(Closure::Resolved)
    } else {
        None
    }
}
