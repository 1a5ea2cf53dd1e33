//! The roster of people of rings 1 and 2: read it (JSON, with who is on
//! duty now, or as a roster file), load a roster file (CSV, all rows or
//! none, each bad row named by its line with the fix), and a member's
//! availability. A team with members on the roster is sent only while one
//! of them is on duty (the planner's `view::Staffing`).

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use cordon_api::incidents::Committed;
use cordon_api::roster::{self, MemberAvailability, Roster, RosterMember};
use cordon_api::ApiError;
use cordon_consensus::ledger::{
    self, Action, Member, MemberRole, Shift, UnitId, ROSTER_MEMBERS_MAX,
};

use super::{admit, body, propose, ApiResult, ApiState, Caller, Failure};

/// Every member of the roster, by id, with whether each is on duty now
/// (linearizable read).
#[utoipa::path(get, path = "/v1/roster", tag = "units",
    responses(
        (status = 200, description = "The roster", body = Roster),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn read(State(state): State<ApiState>) -> ApiResult<Json<Roster>> {
    Ok(Json(Roster {
        members: members(&state).await?,
    }))
}

/// The roster as a roster file (CSV), to edit and load again.
#[utoipa::path(get, path = "/v1/roster/csv", tag = "units",
    responses(
        (status = 200, description = "The roster file", body = String, content_type = "text/csv"),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn read_csv(State(state): State<ApiState>) -> ApiResult<impl IntoResponse> {
    let csv = roster::to_csv(&members(&state).await?);
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv))
}

async fn members(state: &ApiState) -> ApiResult<Vec<RosterMember>> {
    let _permit = admit(state)?;
    state.node.read_barrier().await?;
    let district = &state.actors.context().district;
    let now_ms = state.actors.context().now_ms();
    let ledger = state.node.ledger().read();
    Ok(ledger
        .ledger
        .members()
        .map(|member| {
            crate::wire::roster_member(member, member.on_duty(now_ms, district.utc_offset_min()))
        })
        .collect())
}

/// Load a roster file (CSV, `text/csv`): its members are added, or
/// replaced where the id is known, all in one ledger entry; a file with a
/// bad row loads nothing and names every bad row's line, column and fix.
#[utoipa::path(post, path = "/v1/roster", tag = "units",
    request_body(content = String, description = "A roster file: header id,name,role,team,area,contact,skills,shifts,available", content_type = "text/csv"),
    responses(
        (status = 200, description = "Committed: log index and effect", body = Committed),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn load(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    file: String,
) -> ApiResult<Json<Committed>> {
    let _permit = admit(&state)?;
    let rows = roster::parse_csv_rows(&file)
        .map_err(|errors| bad_rows(errors.iter().map(ToString::to_string).collect()))?;
    if rows.is_empty() || rows.len() > ROSTER_MEMBERS_MAX {
        return Err(Failure::bad_input(format!("the roster file has {} members: load 1 to {ROSTER_MEMBERS_MAX} at a time (split a bigger file)", rows.len())));
    }
    let members = rows
        .into_iter()
        .map(|(line, row)| ledger_member(line, row))
        .collect::<Result<Vec<_>, String>>();
    let members = members.map_err(|error| bad_rows(vec![error]))?;
    propose(
        &state,
        &caller,
        None,
        Action::LoadMembers(ledger::LoadMembers { members }),
    )
    .await
}

fn bad_rows(rows: Vec<String>) -> Failure {
    Failure::bad_input(format!(
        "the roster file is refused, nothing loaded: {}",
        rows.join("; ")
    ))
}

/// A file's member as the ledger keeps it (its role parsed).
fn ledger_member(line: usize, row: RosterMember) -> Result<Member, String> {
    let role: MemberRole = row
        .role
        .parse()
        .map_err(|error| format!("line {line}, role: {error}"))?;
    Ok(Member {
        id: row.id,
        name: row.name,
        role,
        team: row.team.map(UnitId),
        area: row.area,
        contact: row.contact,
        skills: row.skills,
        shifts: row
            .shifts
            .iter()
            .map(|s| Shift {
                days: s.days,
                start_min: s.start_min,
                end_min: s.end_min,
            })
            .collect(),
        available: row.available,
    })
}

/// A member can, or cannot, come.
#[utoipa::path(post, path = "/v1/roster/{id}/availability", tag = "units",
    params(("id" = String, Path, description = "Member id, e.g. bund-volunteer-wang")),
    request_body(content = MemberAvailability, description = "Whether they can come", content_type = "application/json"),
    responses(
        (status = 200, description = "Committed: log index and effect", body = Committed),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn availability(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    payload: Result<Json<MemberAvailability>, JsonRejection>,
) -> ApiResult<Json<Committed>> {
    let _permit = admit(&state)?;
    let asked = body(payload)?;
    let action = Action::SetMemberAvailability(ledger::SetMemberAvailability {
        member_id: id,
        available: asked.available,
    });
    propose(&state, &caller, asked.request_id, action).await
}

/// A rostered team with nobody on duty cannot be sent by hand either.
pub(super) fn check_staffed(
    staffing: &cordon_actors::view::Staffing<'_>,
    unit_id: &str,
) -> ApiResult<()> {
    if staffing.staffed(unit_id) {
        return Ok(());
    }
    Err(Failure::new(
        StatusCode::CONFLICT,
        "not_staffed",
        format!("team {unit_id} has nobody on duty now (GET /v1/roster): choose another unit"),
    ))
}
