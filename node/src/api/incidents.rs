//! Incidents: report, read, list, resolve, cancel; approve a major
//! incident's plan.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Extension;
use axum::Json;
use cordon_actors::planning::channel_rules::{ChannelRule, Ruled};
use cordon_api::incidents::{
    ChannelRules, CloseIncident, Committed, IncidentList, IncidentsQuery, ReportIncident, Reported,
};
use cordon_api::ApiError;
use cordon_consensus::ledger::{
    Action, ApprovePlan, CancelIncident, Channel, Command, Effect, Incident, IncidentId,
    IncidentKind, IncidentStatus, Ledger, NewIncident, RequestId, ResolveIncident, TimelineStep,
};
use cordon_consensus::node::unix_millis;

use super::{
    admit, body, commit, committed, optional_body, parse_enum, position, request_id, ApiResult,
    ApiState, Caller, Failure,
};
use crate::wire;

/// Report an incident; answered once the report is committed.
#[utoipa::path(post, path = "/v1/incidents", tag = "incidents",
    request_body(content = ReportIncident, description = "The report", content_type = "application/json"),
    responses(
        (status = 201, description = "Committed: incident id, log index and request id", body = Reported),
        (status = 200, description = "The request id was reported before (deduplicated = true)", body = Reported),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn report_incident(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    payload: Result<Json<ReportIncident>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Reported>)> {
    let _permit = admit(&state)?;
    let report = body(payload)?;
    let channel: Channel = match &report.channel {
        None => Channel::default(),
        Some(name) => parse_enum(
            "channel",
            name,
            "emergency_call, community_report, risk_warning, partner_feed, safe_house_alarm",
        )?,
    };
    let ruled = by_channel_rule(channel, report.kind.as_deref(), report.priority)?;
    let incident = NewIncident {
        kind: ruled.kind,
        priority: ruled.priority,
        force_level: report.force_level.unwrap_or(1),
        location: position(&state, report.lat, report.lon)?,
        channel,
        description: report.description.unwrap_or_default(),
    };
    let (status, Json(mut reported)) = enter(&state, &caller, report.request_id, incident).await?;
    reported.channel_rule = ruled.applied;
    Ok((status, Json(reported)))
}

/// The report's kind and priority under its channel's rule: a missing kind
/// or priority takes the channel's default, a priority below the channel's
/// floor is raised to it; a missing kind on a channel without a default
/// is a 400 naming the field.
pub(super) fn by_channel_rule(
    channel: Channel,
    kind: Option<&str>,
    priority: Option<u8>,
) -> ApiResult<Ruled> {
    let kind: Option<IncidentKind> = kind
        .map(str::parse)
        .transpose()
        .map_err(Failure::bad_input)?;
    ChannelRule::of(channel)
        .apply(kind, priority)
        .map_err(|missing| Failure::bad_input(missing.to_string()))
}

/// Every intake channel's rule: its reporter role, default kind and
/// priority, and priority floor.
#[utoipa::path(get, path = "/v1/channels", tag = "incidents",
    responses(
        (status = 200, description = "One rule per channel", body = ChannelRules),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn channels() -> Json<ChannelRules> {
    let channels = ChannelRule::all()
        .into_iter()
        .map(|rule| cordon_api::incidents::ChannelRule {
            channel: rule.channel.as_str().to_string(),
            reporter_role: format!("reporter:{}", rule.channel.as_str()),
            default_kind: rule.default_kind.map(|kind| kind.name().to_string()),
            default_priority: rule.default_priority,
            priority_floor: rule.priority_floor,
            triage: rule.triage().to_string(),
        })
        .collect();
    Json(ChannelRules { channels })
}

/// Commits `incident` as a report by `caller` (under its request id, if
/// it gave one): 201 with the new incident, or 200 for a request id
/// reported before.
pub(super) async fn enter(
    state: &ApiState,
    caller: &Caller,
    given: Option<String>,
    incident: NewIncident,
) -> ApiResult<(StatusCode, Json<Reported>)> {
    let command = Command {
        request_id: request_id(given)?,
        proposed_at_ms: unix_millis(),
        origin: caller.origin.clone(),
        action: Action::ReportIncident(incident),
        consumes: Vec::new(),
        traceparent: cordon_consensus::trace::current_traceparent(),
    };
    let request_id = wire::client_request_id(&command.request_id);
    let applied = commit(state, command, caller).await?;
    // The ledger refuses a request id used before for another request
    // (`commit` answers that 409), so an applied report reported an incident.
    let Effect::IncidentReported { incident_id } = applied.effect else {
        return Err(Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!(
                "the report under request id {request_id:?} was applied as {:?}, not as a report",
                applied.effect
            ),
        ));
    };
    let status = if applied.deduplicated {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        Json(Reported {
            incident_id: incident_id.to_string(),
            log_index: applied.index,
            request_id,
            deduplicated: applied.deduplicated,
            channel_rule: Vec::new(),
        }),
    ))
}

/// One incident with its hash-chained timeline (linearizable read).
#[utoipa::path(get, path = "/v1/incidents/{id}", tag = "incidents",
    params(("id" = String, Path, description = "Incident id, e.g. I-000042")),
    responses(
        (status = 200, description = "The incident", body = cordon_api::incidents::Incident),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn get_incident(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Json<cordon_api::incidents::Incident>> {
    let id: IncidentId = id.parse().map_err(Failure::bad_input)?;
    read_incident(&state, id).await.map(Json)
}

/// Incident `id` as the API shows it, hot or archived (linearizable).
pub(super) async fn read_incident(
    state: &ApiState,
    id: IncidentId,
) -> ApiResult<cordon_api::incidents::Incident> {
    let _permit = admit(state)?;
    state.node.read_barrier().await?;
    let archived = {
        let ledger = state.node.ledger().read();
        if let Some(incident) = ledger.ledger.incident(id) {
            return Ok(addressed(state, incident));
        }
        ledger.ledger.is_archived(id)
    };
    if !archived {
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no incident {id}: list incidents with GET /v1/incidents"),
        ));
    }
    read_archived(state, id).await
}

/// An archived incident from this node's archive store.
async fn read_archived(
    state: &ApiState,
    id: IncidentId,
) -> ApiResult<cordon_api::incidents::Incident> {
    let reader = state.node.ledger().clone();
    let read = tokio::task::spawn_blocking(move || reader.archived_incident(id))
        .await
        .map_err(|e| {
            Failure::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "archive_unreadable",
                format!("archive read of {id}: {e}"),
            )
        })?;
    match read {
        Ok(Some(incident)) => Ok(addressed(state, &incident)),
        Ok(None) => Err(Failure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "archive_catching_up",
            format!("incident {id} is archived and this node is still fetching its archive from its peers: retry shortly or ask another node"),
        )),
        Err(error) => Err(Failure::new(StatusCode::INTERNAL_SERVER_ERROR, "archive_unreadable", format!("archive read of {id}: {error}"))),
    }
}

/// List incidents, newest first (linearizable read).
#[utoipa::path(get, path = "/v1/incidents", tag = "incidents",
    params(IncidentsQuery),
    responses(
        (status = 200, description = "Incidents with their timelines, and counts by status", body = IncidentList),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn list_incidents(
    State(state): State<ApiState>,
    query: Result<Query<IncidentsQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<IncidentList>> {
    let _permit = admit(&state)?;
    let Query(query) = query.map_err(|e| Failure::bad_input(e.body_text()))?;
    let wanted: Option<Vec<IncidentStatus>> = match query.status.as_deref() {
        None => None,
        Some("open") => Some(
            IncidentStatus::ALL
                .into_iter()
                .filter(|status| status.is_open())
                .collect(),
        ),
        Some(name) => Some(vec![parse_enum(
            "status",
            name,
            "reported, triaged, assigned, en_route, on_scene, escalated, resolved, cancelled, or open",
        )?]),
    };
    let limit = query
        .limit
        .unwrap_or(state.incidents_listed_max)
        .min(state.incidents_listed_max);
    let ids = query.ids.as_deref().map(listed_ids).transpose()?;
    state.node.read_barrier().await?;
    let ledger = state.node.ledger().read();
    let chosen: Box<dyn Iterator<Item = &Incident>> = match &ids {
        Some(ids) => Box::new(
            ids.iter()
                .rev()
                .filter_map(|id| ledger.ledger.incident(*id)),
        ),
        None => Box::new(ledger.ledger.incidents().rev()),
    };
    let incidents: Vec<_> = chosen
        .filter(|incident| {
            wanted
                .as_ref()
                .is_none_or(|wanted| wanted.contains(&incident.status))
        })
        .take(limit)
        .map(|incident| {
            let mut shown = addressed(&state, incident);
            if query.timeline == Some(false) {
                shown.timeline.clear();
            }
            shown
        })
        .collect();
    Ok(Json(IncidentList {
        applied_index: ledger.last_applied.map(|id| id.index),
        total: ledger.ledger.incidents_reported(),
        by_status: by_status(&ledger.ledger),
        archived: ledger
            .ledger
            .archive_batches()
            .iter()
            .map(|b| b.incident_ids.len() as u64)
            .sum(),
        incidents,
    }))
}

/// Incidents a list may name at once (`ids=`).
const LISTED_IDS_MAX: usize = 100;

/// The incidents of `ids=` (`17,I-000018`), or the refusal naming the bad one.
fn listed_ids(ids: &str) -> ApiResult<std::collections::BTreeSet<IncidentId>> {
    let parts: Vec<&str> = ids
        .split(',')
        .filter(|part| !part.trim().is_empty())
        .collect();
    if parts.len() > LISTED_IDS_MAX {
        return Err(Failure::bad_input(format!(
            "ids names {} incidents: ask for at most {LISTED_IDS_MAX} at once",
            parts.len()
        )));
    }
    parts
        .into_iter()
        .map(|part| {
            let part = part.trim();
            let parsed = match part.parse::<u64>() {
                Ok(number) => Ok(IncidentId(number)),
                Err(_) => part.parse::<IncidentId>(),
            };
            parsed.map_err(|e| Failure::bad_input(format!("ids: {part:?} is not an incident: {e}")))
        })
        .collect()
}

/// An incident as the API shows it, with its address on the streets.
pub(super) fn addressed(state: &ApiState, incident: &Incident) -> cordon_api::incidents::Incident {
    let location = &incident.report.location;
    let at = cordon_config::district::LatLon::new(location.lat(), location.lon());
    let address = state.actors.context().router.address(&at);
    wire::incident(incident, address.map(|address| address.to_string()))
}

/// How many incidents are in each status, archived ones included.
fn by_status(ledger: &Ledger) -> std::collections::BTreeMap<String, u64> {
    let mut counts: std::collections::BTreeMap<String, u64> = Default::default();
    for incident in ledger.incidents() {
        *counts.entry(wire::name(&incident.status)).or_default() += 1;
    }
    let (resolved, cancelled) = ledger.archived_by_status();
    for (status, archived) in [
        (IncidentStatus::Resolved, resolved),
        (IncidentStatus::Cancelled, cancelled),
    ] {
        if archived > 0 {
            *counts.entry(wire::name(&status)).or_default() += archived;
        }
    }
    counts
}

async fn close_incident(
    state: ApiState,
    caller: Caller,
    id: String,
    payload: axum::body::Bytes,
    resolve: bool,
) -> ApiResult<Json<Committed>> {
    let _permit = admit(&state)?;
    let incident_id: IncidentId = id.parse().map_err(Failure::bad_input)?;
    let body: CloseIncident = optional_body(&payload)?;
    let reason = body.reason.unwrap_or_else(|| {
        if resolve {
            "resolved".into()
        } else {
            "cancelled".into()
        }
    });
    let action = if resolve {
        Action::ResolveIncident(ResolveIncident {
            incident_id,
            reason,
        })
    } else {
        Action::CancelIncident(CancelIncident {
            incident_id,
            reason,
        })
    };
    let command = Command::new(
        request_id(body.request_id)?,
        unix_millis(),
        caller.origin.clone(),
        action,
    );
    let applied = commit(&state, command, &caller).await?;
    Ok(committed(&applied))
}

/// Resolve an incident; its units are released.
#[utoipa::path(post, path = "/v1/incidents/{id}/resolve", tag = "incidents",
    params(("id" = String, Path, description = "Incident id, e.g. I-000042")),
    request_body(content = Option<CloseIncident>, description = "Optional: a reason and a request id", content_type = "application/json"),
    responses(
        (status = 200, description = "Committed: log index and effect", body = Committed),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn resolve_incident(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    payload: axum::body::Bytes,
) -> ApiResult<Json<Committed>> {
    close_incident(state, caller, id, payload, true).await
}

/// Cancel an incident; its units are released.
#[utoipa::path(post, path = "/v1/incidents/{id}/cancel", tag = "incidents",
    params(("id" = String, Path, description = "Incident id, e.g. I-000042")),
    request_body(content = Option<CloseIncident>, description = "Optional: a reason and a request id", content_type = "application/json"),
    responses(
        (status = 200, description = "Committed: log index and effect", body = Committed),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn cancel_incident(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    payload: axum::body::Bytes,
) -> ApiResult<Json<Committed>> {
    close_incident(state, caller, id, payload, false).await
}

/// The request id of `approver`'s approval of `incident_id`'s plan as it
/// stands: one per plan and approver (bound to the incident's version, so a
/// double click is answered once and a re-planned incident needs a new
/// approval; and to the approver, so a station room refused for another
/// station's plan cannot poison the approval of the room or commander who
/// may). Nothing is proposed, and nothing remembered, while no plan awaits
/// approval: an approval pressed too early cannot poison the later one.
async fn approval_request_id(
    state: &ApiState,
    incident_id: IncidentId,
    approver: &str,
) -> ApiResult<RequestId> {
    state.node.read_barrier().await?;
    let ledger = state.node.ledger().read();
    let Some(incident) = ledger.ledger.incident(incident_id) else {
        let message = format!("no incident {incident_id}: list incidents with GET /v1/incidents");
        return Err(Failure::new(StatusCode::NOT_FOUND, "not_found", message));
    };
    match &incident.plan {
        None => Err(Failure::new(
            StatusCode::CONFLICT,
            "no_plan",
            format!("{incident_id} has no mobilisation plan yet: the hub proposes one for a major incident; approve it once it is shown"),
        )),
        // Approved already: the id that approved it, so the ledger answers
        // again what it answered then.
        Some(plan) if plan.approved_index.is_some() => Ok(incident
            .timeline
            .iter()
            .rev()
            .find(|entry| entry.step == TimelineStep::PlanApproved)
            .map(|entry| entry.request_id.clone())
            .unwrap_or_else(|| RequestId(format!("approve-{}.approved", incident_id.0)))),
        Some(_) => Ok(RequestId(format!(
            "approve-{}.v{}.{approver}",
            incident_id.0, incident.version
        ))),
    }
}

/// Approve a major incident's mobilisation plan.
#[utoipa::path(post, path = "/v1/plans/{id}/approve", tag = "incidents",
    params(("id" = String, Path, description = "The major incident's id, e.g. I-000042")),
    responses(
        (status = 200, description = "Committed: log index and effect", body = Committed),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn approve_plan(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Committed>> {
    let _permit = admit(&state)?;
    let incident_id: IncidentId = id.parse().map_err(Failure::bad_input)?;
    let request_id = approval_request_id(&state, incident_id, &caller.principal.name).await?;
    let command = Command::new(
        request_id,
        unix_millis(),
        caller.origin.clone(),
        Action::ApprovePlan(ApprovePlan { incident_id }),
    );
    let applied = commit(&state, command, &caller).await?;
    Ok(committed(&applied))
}
