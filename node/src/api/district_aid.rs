//! Mutual aid between districts: the district command centre asks a
//! neighbouring district for units, and the incident goes to the
//! neighbour as a NENA EIDO document (`POST` to the neighbour's EIDO
//! endpoint with the token it issued), the request in a note of the
//! sender's, since EIDO has no component for requests. What became of it
//! (the neighbour's incident, or why it could not be delivered) is then
//! committed on the incident and its trail (`RecordDistrictAid`). The
//! request is checked before anything is sent, so a refused one sends
//! nothing.

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

use super::{admit, body, commit, request_id, ApiResult, ApiState, Caller, Failure};

/// How long a neighbour has to take a document.
const NEIGHBOUR_TIMEOUT_MS: u64 = 8_000;
/// Most characters of a neighbour's refusal kept on the trail.
const NEIGHBOUR_REFUSAL_CHARS_MAX: usize = 300;

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
            let token = std::fs::read_to_string(&link.token_file)
                .with_context(|| {
                    format!(
                        "neighbours[{index}].token_file {}: cannot read the token (fix: write the token the neighbour issued there)",
                        link.token_file.display()
                    )
                })?
                .trim()
                .to_owned();
            let mut builder =
                reqwest::Client::builder().timeout(Duration::from_millis(NEIGHBOUR_TIMEOUT_MS));
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
    let _permit = admit(&state)?;
    let incident_id: IncidentId = id.parse().map_err(Failure::bad_input)?;
    let asked = body(payload)?;
    let neighbour = neighbour(&state, &asked.neighbour)?;
    let incident = super::incidents::read_incident(&state, incident_id).await?;
    let mut document = super::eido::document(&state, &incident);
    let tracking_id = document.prologue.id.clone();
    let mut record = ledger::RecordDistrictAid {
        incident_id,
        neighbour: neighbour.link.id.clone(),
        units: asked.units,
        reason: asked.reason.clone(),
        tracking_id: tracking_id.clone(),
        delivery: AidDelivery::Failed { why: String::new() },
    };
    // Refused before anything leaves: a bad request, or a closed incident.
    Action::RecordDistrictAid(record.clone())
        .check()
        .map_err(|rejection| Failure::bad_input(rejection.to_string()))?;
    if matches!(incident.status.as_str(), "resolved" | "cancelled") {
        return Err(Failure::new(
            StatusCode::CONFLICT,
            "rejected",
            format!(
                "{incident_id} is {}: mutual aid is asked for an open incident",
                incident.status
            ),
        ));
    }
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
        request_id(asked.request_id)?,
        now_ms,
        caller.origin.clone(),
        Action::RecordDistrictAid(record.clone()),
    );
    let applied = commit(&state, command, &caller).await?;
    let (their_incident_id, failure) = match record.delivery {
        AidDelivery::Delivered { their_incident_id } => (Some(their_incident_id), None),
        AidDelivery::Failed { why } => (None, Some(why)),
    };
    Ok(Json(DistrictAidSent {
        neighbour: record.neighbour,
        by: caller.origin.to_string(),
        at_ms: now_ms,
        units: record.units,
        reason: record.reason,
        tracking_id,
        their_incident_id,
        failure,
        log_index: Some(applied.index),
    }))
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
    let text = response.text().await.unwrap_or_default();
    if !status.is_success() {
        let said: String = text.chars().take(NEIGHBOUR_REFUSAL_CHARS_MAX).collect();
        return AidDelivery::Failed {
            why: format!("{} refused it: HTTP {status}: {said}", neighbour.link.id),
        };
    }
    match serde_json::from_str::<EidoImported>(&text) {
        Ok(imported) => AidDelivery::Delivered {
            their_incident_id: imported.incident_id,
        },
        Err(error) => AidDelivery::Failed {
            why: format!(
                "{} answered HTTP {status} without an import: {error}",
                neighbour.link.id
            ),
        },
    }
}
