//! Incidents exchanged with other CAD systems as NENA EIDO documents: any
//! incident written out (`GET /v1/incidents/{id}/eido`), and a partner's
//! document taken in (`POST /v1/eido`), creating the incident once per
//! tracking identifier and bringing it up to date after that. The
//! document's shape and rules live in `cordon_api::eido`.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use cordon_api::eido::{Closure, Eido, EidoImported, Intake, Sender};
use cordon_api::ApiError;
use cordon_consensus::ledger::{
    self, Action, Channel, Effect, ImportIncident, ImportedNote, IncidentId, IncidentKind,
    IncidentStatus, NewIncident,
};

use super::{admit, body, commit, position, ApiResult, ApiState, Caller, Failure};
use crate::wire;

/// One incident as an EIDO document (linearizable read): its type and
/// status in the common registries, location as a PIDF-LO point, units and
/// their statuses, notes and disposition.
#[utoipa::path(get, path = "/v1/incidents/{id}/eido", tag = "incidents",
    params(("id" = String, Path, description = "Incident id, e.g. I-000042")),
    responses(
        (status = 200, description = "The incident as a NENA EIDO document", body = Eido),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn export(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Eido>> {
    let incident_id: IncidentId = id.parse().map_err(Failure::bad_input)?;
    let incident = super::incidents::read_incident(&state, incident_id).await?;
    Ok(Json(document(&state, &incident)))
}

/// `incident` as this node's EIDO document.
pub(super) fn document(state: &ApiState, incident: &cordon_api::incidents::Incident) -> Eido {
    let units: Vec<_> = {
        let ledger = state.node.ledger().read();
        incident
            .units
            .iter()
            .filter_map(|unit| ledger.ledger.unit(&ledger::UnitId(unit.clone())))
            .map(wire::unit)
            .collect()
    };
    let agency = state.actors.context().district.agency().to_owned();
    let element = format!("node{}.{agency}", state.node.id());
    let sender = Sender {
        agency: &agency,
        element: &element,
        units: &units,
    };
    Eido::of_incident(incident, &sender)
}

/// Take in a partner's EIDO document: a new tracking identifier creates an
/// incident (channel `partner_feed`), a known one adds the partner's new
/// notes and closes it when the partner closed it; the same document twice
/// changes nothing. A document that breaks the rules is refused whole
/// (422), each problem named by its JSON path.
#[utoipa::path(post, path = "/v1/eido", tag = "incidents",
    request_body(content = Eido, description = "A NENA EIDO document about one incident", content_type = "application/json"),
    responses(
        (status = 201, description = "A new incident", body = EidoImported),
        (status = 200, description = "The incident the tracking identifier names, brought up to date", body = EidoImported),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn import(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    payload: Result<Json<Eido>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<EidoImported>)> {
    let _permit = admit(&state)?;
    let document = body(payload)?;
    let intake = document.intake().map_err(refused)?;
    let action = Action::ImportIncident(imported(&state, &intake)?);
    let command = cordon_consensus::ledger::Command::new(
        super::request_id(None)?,
        cordon_consensus::node::unix_millis(),
        caller.origin.clone(),
        action,
    );
    let applied = commit(&state, command, &caller).await?;
    let (incident_id, status, after) = match applied.effect {
        Effect::IncidentReported { incident_id } => {
            (incident_id, StatusCode::CREATED, IncidentStatus::Reported)
        }
        Effect::IncidentUpdated {
            incident_id,
            status,
            ..
        } => (incident_id, StatusCode::OK, status),
        other => {
            return Err(Failure::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                format!("the import was applied as {other:?}"),
            ))
        }
    };
    Ok((
        status,
        Json(EidoImported {
            incident_id: incident_id.to_string(),
            tracking_id: intake.tracking_id,
            created: status == StatusCode::CREATED,
            log_index: applied.index,
            status: Some(after.as_str().to_owned()),
        }),
    ))
}

/// The 422 that names every problem of a document by its JSON path.
fn refused(problems: Vec<cordon_api::eido::Problem>) -> Failure {
    let listed: Vec<String> = problems
        .iter()
        .map(|problem| format!("{}: {}", problem.path, problem.message))
        .collect();
    Failure::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_eido",
        format!("the EIDO document is refused: {}", listed.join("; ")),
    )
}

/// The ledger's import of what the document says.
fn imported(state: &ApiState, intake: &Intake) -> ApiResult<ImportIncident> {
    let kind: IncidentKind = intake.kind.parse().map_err(Failure::bad_input)?;
    let closed = intake.closed.map(|closure| match closure {
        Closure::Resolved => IncidentStatus::Resolved,
        Closure::Cancelled => IncidentStatus::Cancelled,
    });
    Ok(ImportIncident {
        tracking_id: intake.tracking_id.clone(),
        report: NewIncident {
            kind,
            priority: intake.priority,
            force_level: 1,
            location: position(state, intake.lat, intake.lon)?,
            channel: Channel::PartnerFeed,
            description: intake.description.clone(),
        },
        notes: intake
            .notes
            .iter()
            .map(|(id, text)| ImportedNote {
                id: id.clone(),
                text: text.clone(),
            })
            .collect(),
        closed,
    })
}
