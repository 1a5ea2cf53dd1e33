//! Writing an incident as an EIDO document.

use super::{
    common_type, incident_statuses, pidf_point, resource_type, rfc3339, unit_statuses,
    AgencyComponent, AgentComponent, DispatchComponent, Disposition, Eido, IncidentComponent,
    LocationComponent, NotesComponent, Prologue, Reference, ResourceComponent, Sender,
    COMPONENT_URN_PREFIX, EIDO_VERSION, INCIDENT_URN_PREFIX,
};
use crate::incidents::Incident;

/// The common disposition of a closed incident: resolved is "report
/// taken", cancelled "event cancelled" (lossy: Cordon keeps the reason in
/// words only).
fn disposition(incident: &Incident) -> Option<Disposition> {
    let (code, words) = match incident.status.as_str() {
        "resolved" => ("01", "resolved"),
        "cancelled" => ("10", "cancelled"),
        _ => return None,
    };
    let reason = incident
        .timeline
        .last()
        .map(|entry| format!("{words}: {}", entry.reason));
    Some(Disposition {
        disposition_common_registry_code: code.to_owned(),
        disposition_primary_indicator: Some(true),
        disposition_description_text: reason,
    })
}

/// Letters and digits of `text` (what an EIDO unique string may hold).
fn alnum(text: &str) -> String {
    text.chars().filter(char::is_ascii_alphanumeric).collect()
}

/// Names every component of one incident's documents, the same in each.
struct Ids<'a> {
    incident: String,
    agency: &'a str,
}

impl Ids<'_> {
    fn tracking(&self) -> String {
        format!("{INCIDENT_URN_PREFIX}{}:{}", self.incident, self.agency)
    }

    fn component(&self, part: &str) -> String {
        format!(
            "{COMPONENT_URN_PREFIX}{}{}:{}",
            self.incident,
            alnum(part),
            self.agency
        )
    }

    fn agent(&self) -> String {
        format!("cordon@{}", self.agency)
    }

    fn prologue(&self, id: String, at_ms: u64) -> Prologue {
        Prologue {
            id,
            last_update_time_stamp: rfc3339(at_ms),
            updated_by_agency_reference: Reference::to(self.agency),
            updated_by_agent_reference: Some(Reference::to(&self.agent())),
        }
    }
}

impl Eido {
    /// The document of `incident` as `sender` knows it now: the incident,
    /// its location, its units with their statuses, who dispatched them,
    /// its notes, and how it ended.
    pub fn of_incident(incident: &Incident, sender: &Sender<'_>) -> Eido {
        let ids = Ids {
            incident: alnum(&incident.id),
            agency: sender.agency,
        };
        let changed_ms = incident
            .timeline
            .last()
            .map_or(incident.reported_at_ms, |entry| entry.at_ms);
        let location = location(incident, &ids);
        let notes = notes(incident, &ids);
        let resources = resources(incident, sender, &ids, changed_ms);
        let dispatch = (!resources.is_empty()).then(|| DispatchComponent {
            prologue: ids.prologue(ids.component("dispatch"), changed_ms),
            agency_reference: Some(Reference::to(sender.agency)),
            emergency_resource_reference: resources
                .iter()
                .map(|unit| Reference::to(&unit.prologue.id))
                .collect(),
        });
        let incident_part = IncidentComponent {
            prologue: ids.prologue(ids.component("incident"), changed_ms),
            incident_type_common_registry_text: common_type(&incident.kind).to_owned(),
            incident_type_internal_text: Some(incident.kind.clone()),
            incident_status_common_registry_text: incident_statuses(&incident.status),
            incident_status_internal_text: vec![incident.status.clone()],
            internal_incident_id: Some(incident.id.clone()),
            incident_common_priority_number: Some(i32::from(incident.priority)),
            location_reference: vec![Reference::to(&location.prologue.id)],
            notes_reference: notes
                .iter()
                .map(|n| Reference::to(&n.prologue.id))
                .collect(),
            disposition_component: disposition(incident).into_iter().collect(),
        };
        Eido {
            prologue: ids.prologue(ids.tracking(), changed_ms),
            eido_version: EIDO_VERSION.to_owned(),
            issuing_element_identification: sender.element.to_owned(),
            incident_component: Some(incident_part),
            agency_component: vec![agency(&ids, incident.reported_at_ms)],
            agent_component: vec![agent(&ids, incident.reported_at_ms)],
            location_component: vec![location],
            emergency_resource_component: resources,
            dispatch_component: dispatch.into_iter().collect(),
            notes_component: notes,
        }
    }
}

fn agency(ids: &Ids<'_>, at_ms: u64) -> AgencyComponent {
    AgencyComponent {
        prologue: Prologue {
            updated_by_agent_reference: None,
            ..ids.prologue(ids.agency.to_owned(), at_ms)
        },
        agency_role_description_registry_text: vec!["Dispatching".to_owned()],
        agency_type: vec!["police".to_owned()],
        incident_owning_agency_indicator: Some(true),
    }
}

fn agent(ids: &Ids<'_>, at_ms: u64) -> AgentComponent {
    AgentComponent {
        prologue: ids.prologue(ids.agent(), at_ms),
        agent_role_registry_text: vec!["Dispatching".to_owned()],
        agency_reference: Reference::to(ids.agency),
    }
}

fn location(incident: &Incident, ids: &Ids<'_>) -> LocationComponent {
    LocationComponent {
        prologue: ids.prologue(ids.component("location"), incident.reported_at_ms),
        location_type_description_registry_text: "CurrentIncident".to_owned(),
        location_by_value: Some(pidf_point(&ids.tracking(), incident.lat, incident.lon)),
        location_description_text: incident.address.clone(),
    }
}

/// The notes on the trail, each a component named by its log index.
fn notes(incident: &Incident, ids: &Ids<'_>) -> Vec<NotesComponent> {
    incident
        .timeline
        .iter()
        .filter(|entry| entry.step == "note")
        .map(|entry| NotesComponent {
            prologue: ids.prologue(ids.component(&format!("note{}", entry.index)), entry.at_ms),
            notes_action_comments: entry.reason.clone(),
        })
        .collect()
}

/// The units on the incident now, with their statuses.
fn resources(
    incident: &Incident,
    sender: &Sender<'_>,
    ids: &Ids<'_>,
    at_ms: u64,
) -> Vec<ResourceComponent> {
    incident
        .units
        .iter()
        .filter_map(|id| sender.units.iter().find(|unit| &unit.id == id))
        .map(|unit| {
            let (primary, secondary) = unit_statuses(&unit.status);
            ResourceComponent {
                prologue: ids.prologue(
                    ids.component(&format!("unit{}", unit.id)),
                    unit.updated_at_ms.max(at_ms),
                ),
                emergency_resource_type_common_registry_text: resource_type(unit.ring).to_owned(),
                resource_attribute_registry_text: Vec::new(),
                primary_unit_status_registry_text: primary.to_owned(),
                secondary_unit_status_registry_text: secondary,
                agent_reference: vec![Reference::to(&ids.agent())],
                emergency_resource_name: Some(unit.id.clone()),
                unit_status_internal: vec![unit.status.clone()],
            }
        })
        .collect()
}

impl Eido {
    /// Keeps the newest `most` notes (the document of a long trail, cut to
    /// what a receiver takes), the incident's references with them.
    pub fn keep_latest_notes(&mut self, most: usize) {
        let dropped = self.notes_component.len().saturating_sub(most);
        let gone: Vec<String> = self
            .notes_component
            .drain(..dropped)
            .map(|note| note.prologue.id)
            .collect();
        if let Some(incident) = self.incident_component.as_mut() {
            incident
                .notes_reference
                .retain(|reference| !gone.contains(&reference.target));
        }
    }

    /// Adds a note of the sender's (`part` names it within the incident,
    /// e.g. `aidrequest1`), referenced from the incident component: how a
    /// request to the receiver (a mutual-aid request) travels in the
    /// document, since EIDO has no component for requests.
    pub fn add_note(&mut self, part: &str, at_ms: u64, text: &str) {
        let Some(incident) = self.incident_component.as_mut() else {
            return;
        };
        let ids = Ids {
            incident: alnum(incident.internal_incident_id.as_deref().unwrap_or_default()),
            agency: &self.prologue.updated_by_agency_reference.target,
        };
        let note = NotesComponent {
            prologue: ids.prologue(ids.component(part), at_ms),
            notes_action_comments: text.to_owned(),
        };
        incident
            .notes_reference
            .push(Reference::to(&note.prologue.id));
        self.notes_component.push(note);
    }
}
