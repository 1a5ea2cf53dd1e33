//! Mutual aid between districts: the district command centre asks a
//! neighbouring district for units, and the incident goes to the
//! neighbour as a NENA EIDO document (`POST` to the neighbour's EIDO
//! endpoint with the token it issued), the request in a note of the
//! sender's, since EIDO has no component for requests. What became of it
//! (the neighbour's incident, or why it could not be delivered) is then
//! committed on the incident and its trail (`RecordDistrictAid`). The
//! request is checked before anything is sent (its fields, the incident,
//! the caller's request id), so a refused one sends nothing and a retried
//! one is answered from the record without sending again.

use std::time::Duration;

use anyhow::Context;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use cordon_api::eido::{Eido, EidoImported};
use cordon_api::incidents::{AskNeighbour, DistrictAidSent, Neighbour, Neighbours};
use cordon_api::ApiError;
use cordon_config::NeighbourLink;
use cordon_consensus::ledger::{self, Action, AidDelivery, Command, IncidentId};
use cordon_consensus::node::unix_millis;

use super::{body, commit, request_id, ApiResult, ApiState, Caller, Failure};

/// How long a neighbour has to take a document.
const NEIGHBOUR_TIMEOUT_MS: u64 = 8_000;
/// Most characters of a neighbour's answer kept on the trail (its refusal,
/// its incident id).
const NEIGHBOUR_ANSWER_CHARS_MAX: usize = 300;
/// Most bytes of a neighbour's answer read.
const NEIGHBOUR_ANSWER_BYTES_MAX: usize = 64 * 1024;
/// Most of the incident's notes sent with a request (the newest; Cordon
/// takes at most 64 notes a document, the request's own among them).
const SENT_NOTES_MAX: usize = 48;

/// A neighbour with its token and a client that trusts its CA.
pub(crate) struct NeighbourClient {
    link: NeighbourLink,
    token: String,
    client: reqwest::Client,
}

/// The clients of the cluster file's neighbours; a token or CA file that
/// cannot be read stops the node with the file named.
pub(crate) fn clients(links: &[NeighbourLink]) -> anyhow::Result<Vec<NeighbourClient>> {
    links
        .iter()
        .enumerate()
        .map(|(index, link)| {
            let fix = "fix: write the token the neighbour issued there";
            let token = std::fs::read_to_string(&link.token_file)
                .with_context(|| {
                    format!(
                        "neighbours[{index}].token_file {}: cannot read the token ({fix})",
                        link.token_file.display()
                    )
                })?
                .trim()
                .to_owned();
            anyhow::ensure!(
                !token.is_empty(),
                "neighbours[{index}].token_file {}: the file is empty ({fix})",
                link.token_file.display()
            );
            let mut builder = reqwest::Client::builder()
                .timeout(Duration::from_millis(NEIGHBOUR_TIMEOUT_MS))
                .redirect(reqwest::redirect::Policy::none());
            if let Some(ca) = &link.ca_cert {
                builder = builder.add_root_certificate(crate::api_tls::ca_root(ca)?);
            }
            Ok(NeighbourClient {
                link: link.clone(),
                token,
                client: builder.build()?,
            })
        })
        .collect()
}

/// The neighbouring districts that take mutual-aid requests.
#[utoipa::path(get, path = "/v1/neighbours", tag = "incidents",
    responses(
        (status = 200, description = "The neighbours of the cluster file", body = Neighbours),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn list_neighbours(State(state): State<ApiState>) -> Json<Neighbours> {
    Json(Neighbours {
        neighbours: state
            .neighbours
            .iter()
            .map(|neighbour| Neighbour {
                id: neighbour.link.id.clone(),
                name: neighbour.link.name.clone(),
            })
            .collect(),
    })
}

/// Ask a neighbouring district for mutual aid: the incident goes to it as
/// an EIDO document carrying the request; the answer says whether it took
/// it, and the incident's trail records the same.
#[utoipa::path(post, path = "/v1/incidents/{id}/district-aid", tag = "incidents",
    params(("id" = String, Path, description = "Incident id, e.g. I-000042")),
    request_body(content = AskNeighbour, description = "The neighbour, how many units, and why", content_type = "application/json"),
    responses(
        (status = 200, description = "Sent (or not) and recorded", body = DistrictAidSent),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn ask_neighbour(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    payload: Result<Json<AskNeighbour>, JsonRejection>,
) -> ApiResult<Json<DistrictAidSent>> {
    let incident_id: IncidentId = id.parse().map_err(Failure::bad_input)?;
    let asked = body(payload)?;
    let neighbour = neighbour(&state, &asked.neighbour)?;
    let request_id = request_id(asked.request_id.clone())?;
    // Read behind a barrier: a retried request id is recalled below.
    let incident = super::incidents::read_incident(&state, incident_id).await?;
    if let Some(earlier) = earlier_answer(&state, incident_id, &request_id)? {
        return Ok(Json(earlier));
    }
    let mut document = super::eido::document(&state, &incident);
    document.keep_latest_notes(SENT_NOTES_MAX);
    let tracking_id = document.prologue.id.clone();
    let mut record = ledger::RecordDistrictAid {
        incident_id,
        neighbour: neighbour.link.id.clone(),
        units: asked.units,
        reason: asked.reason.clone(),
        tracking_id: tracking_id.clone(),
        delivery: AidDelivery::Failed { why: String::new() },
    };
    refuse_before_sending(&incident, &record)?;
    let now_ms = unix_millis();
    let number = incident.district_aid.len() + 1;
    document.add_note(
        &format!("aidrequest{number}"),
        now_ms,
        &format!(
            "Mutual-aid request to {}: {} units: {}",
            neighbour.link.name, asked.units, asked.reason
        ),
    );
    record.delivery = deliver(neighbour, &document).await;
    let command = Command::new(
        request_id,
        now_ms,
        caller.origin.clone(),
        Action::RecordDistrictAid(record.clone()),
    );
    let applied = commit(&state, command, &caller)
        .await
        .map_err(|refused| unrecorded(refused, &record))?;
    let aid = ledger::DistrictAid {
        neighbour: record.neighbour,
        by: caller.origin.to_string(),
        at_ms: now_ms,
        units: record.units,
        reason: record.reason,
        tracking_id,
        delivery: record.delivery,
    };
    let mut sent = crate::wire::district_aid(&aid);
    sent.log_index = Some(applied.index);
    Ok(Json(sent))
}

/// Refused before anything leaves: a bad request, a closed incident, or
/// one that has asked its neighbours the most times an incident does.
fn refuse_before_sending(
    incident: &cordon_api::incidents::Incident,
    record: &ledger::RecordDistrictAid,
) -> ApiResult<()> {
    Action::RecordDistrictAid(record.clone())
        .check()
        .map_err(|rejection| Failure::bad_input(rejection.to_string()))?;
    let refused = |why: String| Err(Failure::new(StatusCode::CONFLICT, "rejected", why));
    if matches!(incident.status.as_str(), "resolved" | "cancelled") {
        return refused(format!(
            "{} is {}: mutual aid is asked for an open incident",
            incident.id, incident.status
        ));
    }
    if incident.district_aid.len() >= ledger::DISTRICT_AID_PER_INCIDENT_MAX {
        return refused(format!(
            "{} has asked neighbours {} times, the most an incident does: ring the neighbour's command centre",
            incident.id,
            incident.district_aid.len()
        ));
    }
    Ok(())
}

/// The answer recorded under `request_id` when the request was made
/// before (it is not sent again); a request id refused before is refused
/// again before anything is sent.
fn earlier_answer(
    state: &ApiState,
    incident_id: IncidentId,
    request_id: &ledger::RequestId,
) -> ApiResult<Option<DistrictAidSent>> {
    let applied = state.node.ledger().read();
    let Some(earlier) = applied.ledger.request(request_id) else {
        return Ok(None);
    };
    if let ledger::Effect::Rejected { rejection } = &earlier.effect {
        return Err(Failure::new(
            StatusCode::CONFLICT,
            "rejected",
            format!("this request id was refused before ({rejection}): send a new request id"),
        ));
    }
    // The k-th mutual-aid step of the trail is the k-th request.
    let incident = applied.ledger.incident(incident_id);
    let recorded = incident.and_then(|incident| {
        let position = incident
            .timeline
            .iter()
            .filter(|entry| entry.step == ledger::TimelineStep::DistrictAidRequested)
            .position(|entry| entry.index == earlier.index && &entry.request_id == request_id)?;
        incident.district_aid.get(position)
    });
    let Some(aid) = recorded else {
        return Err(Failure::new(
            StatusCode::CONFLICT,
            "request_id_reused",
            "this request id was used for another request: send a new request id",
        ));
    };
    let mut sent = crate::wire::district_aid(aid);
    sent.log_index = Some(earlier.index);
    Ok(Some(sent))
}

/// A refusal of the record after the document went out: what the
/// neighbour has, so a person can ring them.
fn unrecorded(refused: Failure, record: &ledger::RecordDistrictAid) -> Failure {
    let sent = match &record.delivery {
        AidDelivery::Delivered { their_incident_id } => {
            format!(
                "{} HAS the request as their incident {their_incident_id}",
                record.neighbour
            )
        }
        AidDelivery::Failed { why } => format!("{} did not take it ({why})", record.neighbour),
    };
    tracing::warn!(neighbour = %record.neighbour, %sent, "a mutual-aid request was sent but not recorded");
    let Failure(status, error) = refused;
    Failure::new(
        status,
        &error.code,
        format!(
            "{}; the document was sent and {sent}: ring them",
            error.message
        ),
    )
}

/// The neighbour named `id`, or a 400 naming the configured ones.
fn neighbour<'a>(state: &'a ApiState, id: &str) -> ApiResult<&'a NeighbourClient> {
    state
        .neighbours
        .iter()
        .find(|neighbour| neighbour.link.id == id)
        .ok_or_else(|| {
            let known: Vec<&str> = state
                .neighbours
                .iter()
                .map(|n| n.link.id.as_str())
                .collect();
            let fix = if known.is_empty() {
                "the cluster file names none: add a [[neighbours]] table".to_owned()
            } else {
                format!("use one of {}", known.join(", "))
            };
            Failure::bad_input(format!("neighbour {id:?} is unknown: {fix}"))
        })
}

/// Sends `document` to the neighbour: its incident, or why not.
async fn deliver(neighbour: &NeighbourClient, document: &Eido) -> AidDelivery {
    let sent = neighbour
        .client
        .post(&neighbour.link.eido_url)
        .bearer_auth(&neighbour.token)
        .json(document)
        .send()
        .await;
    let response = match sent {
        Ok(response) => response,
        Err(error) => {
            return AidDelivery::Failed {
                why: format!("{} did not answer: {error}", neighbour.link.eido_url),
            }
        }
    };
    let status = response.status();
    let text = bounded_text(response).await;
    if !status.is_success() {
        let said: String = text.chars().take(NEIGHBOUR_ANSWER_CHARS_MAX).collect();
        return AidDelivery::Failed {
            why: format!("{} refused it: HTTP {status}: {said}", neighbour.link.id),
        };
    }
    match serde_json::from_str::<EidoImported>(&text) {
        Ok(imported)
            if imported
                .status
                .as_deref()
                .is_some_and(|s| s == "resolved" || s == "cancelled") =>
        {
            AidDelivery::Failed {
                why: format!(
                    "{}: their incident {} is {} and took no new request",
                    neighbour.link.id,
                    imported
                        .incident_id
                        .chars()
                        .take(NEIGHBOUR_ANSWER_CHARS_MAX)
                        .collect::<String>(),
                    imported.status.unwrap_or_default()
                ),
            }
        }
        Ok(imported) => AidDelivery::Delivered {
            their_incident_id: imported
                .incident_id
                .chars()
                .take(NEIGHBOUR_ANSWER_CHARS_MAX)
                .collect(),
        },
        Err(error) => AidDelivery::Failed {
            why: format!(
                "{} answered HTTP {status} without an import: {error}",
                neighbour.link.id
            ),
        },
    }
}

/// The answer's text, at most [`NEIGHBOUR_ANSWER_BYTES_MAX`] bytes of it.
async fn bounded_text(mut response: reqwest::Response) -> String {
    let mut bytes = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = NEIGHBOUR_ANSWER_BYTES_MAX - bytes.len();
        bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if bytes.len() >= NEIGHBOUR_ANSWER_BYTES_MAX {
            break;
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}
