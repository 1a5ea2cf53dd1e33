//! Drills: what a node offers, actor faults, planted dispatch bugs, and
//! node drills relayed to the drill control of the `cordon demo` that
//! started the node.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use axum::Json;
use cordon_api::drills::{
    ActorFaulted, BugPlanted, DrillDone, DrillOffer, DrillScheduled, NodeDrill, PlantedBug,
};
use cordon_api::ApiError;
use cordon_consensus::ledger::{Action, ActorId, Command, RecordOperatorAction, RequestId};
use cordon_consensus::node::unix_millis;

use super::{
    commit, ApiResult, ApiState, Caller, Failure, DRILL_CONTROL_ENV, DRILL_CONTROL_TIMEOUT_MS,
    SELF_DRILL_DELAY_MS,
};

/// Drill: make an actor fail (only with `cordon run --drills`).
#[utoipa::path(post, path = "/v1/drills/actors/{actor}/fault", tag = "drills",
    params(("actor" = String, Path, description = "Actor id, e.g. station:bund")),
    responses(
        (status = 200, description = "The fault was sent", body = ActorFaulted),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn fault_actor(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(actor): Path<String>,
) -> ApiResult<Json<ActorFaulted>> {
    drills_enabled(&state)?;
    let actor: ActorId = actor.parse().map_err(Failure::bad_input)?;
    if state
        .node
        .ledger()
        .read()
        .ledger
        .placement(&actor)
        .is_none()
    {
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            "unknown_actor",
            format!("actor {actor} is not placed anywhere: use an actor of GET /v1/actors"),
        ));
    }
    let detail = format!("fault {actor} on node {}", state.node.id());
    record_drill(&state, &caller, "drill_fault_actor", detail).await?;
    state
        .actors
        .fault(actor.clone(), "requested through the drill route".into());
    Ok(Json(ActorFaulted {
        faulted: actor.to_string(),
        node: state.node.id(),
    }))
}

/// Drill: plant a dispatch bug in this node's actors, so a drill can show
/// its dispatch checkers catch it (only with `cordon run --drills`; gone
/// when the node restarts).
#[utoipa::path(post, path = "/v1/drills/plant/{bug}", tag = "drills",
    params(("bug" = PlantedBug, Path, description = "drop_dispatch or never_retry")),
    responses(
        (status = 200, description = "The bug is planted", body = BugPlanted),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn plant_bug(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(bug): Path<String>,
) -> ApiResult<Json<BugPlanted>> {
    drills_enabled(&state)?;
    let planted: PlantedBug = bug.parse().map_err(Failure::bad_input)?;
    let detail = format!("plant {bug} on node {}", state.node.id());
    record_drill(&state, &caller, "drill_plant_bug", detail).await?;
    tracing::warn!(?planted, "dispatch bug planted through the drill route");
    state.actors.context().plant(match planted {
        PlantedBug::DropDispatch => cordon_actors::context::PlantedBug::DropDispatch,
        PlantedBug::NeverRetry => cordon_actors::context::PlantedBug::NeverRetry,
    });
    Ok(Json(BugPlanted {
        planted,
        node: state.node.id(),
    }))
}

/// Notes a drill in the operator audit log before it is done.
async fn record_drill(
    state: &ApiState,
    caller: &Caller,
    action: &str,
    detail: String,
) -> ApiResult<()> {
    let command = Command::new(
        RequestId(format!("drill-{:032x}", rand::random::<u128>())),
        unix_millis(),
        caller.origin.clone(),
        Action::RecordOperatorAction(RecordOperatorAction {
            action: action.to_string(),
            detail,
        }),
    );
    commit(state, command, caller).await.map(|_| ())
}

fn drills_enabled(state: &ApiState) -> ApiResult<()> {
    if state.drills.enabled {
        return Ok(());
    }
    Err(Failure::new(
        StatusCode::FORBIDDEN,
        "drills_disabled",
        "drill routes are off on this node: start it with `cordon run --drills`",
    ))
}

/// Which drills this node offers: actor faults (`--drills`) and node
/// drills (also needs the drill control of the `cordon demo` that started it).
#[utoipa::path(get, path = "/v1/drills", tag = "drills",
    responses((status = 200, description = "Which drills this node offers", body = DrillOffer)))]
pub(super) async fn drills(State(state): State<ApiState>) -> Json<DrillOffer> {
    Json(DrillOffer {
        actors: state.drills.enabled,
        nodes: state.drills.nodes(),
    })
}

/// Forwards a node drill (kill, pause, resume, restart, partition) to the
/// demo's drill control server and relays its answer. A kill or pause of
/// this very node is scheduled shortly after the answer, so that the
/// answer still reaches the caller.
#[utoipa::path(post, path = "/v1/drills/nodes/{id}/{action}", tag = "drills",
    params(
        ("id" = u64, Path, description = "Node id, e.g. 2"),
        ("action" = NodeDrill, Path, description = "kill, pause, resume, restart or partition"),
    ),
    responses(
        (status = 200, description = "The drill was done", body = DrillDone),
        (status = 202, description = "A kill or pause of the answering node itself, scheduled so this answer gets out first", body = DrillScheduled),
        (status = "default", description = "An error (501 for partition: the demo cannot do it)", body = ApiError),
    ))]
pub(super) async fn drill_node(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path((id, action)): Path<(String, String)>,
) -> ApiResult<Response> {
    drills_enabled(&state)?;
    let Some(control) = &state.drills.control else {
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            "no_drill_control",
            format!(
                "no demo control in this cluster: node drills need the drill control server of \
                 `cordon demo`, which starts its nodes with {DRILL_CONTROL_ENV} set; this node \
                 was started without it (actor drills still work)"
            ),
        ));
    };
    let drill: NodeDrill = action.parse().map_err(Failure::bad_input)?;
    let target: u64 = id.parse().map_err(|_| {
        Failure::bad_input(format!(
            "node id {id:?} is not a number: use a member id from GET /v1/cluster"
        ))
    })?;
    let detail = format!("{drill} node {target}");
    record_drill(&state, &caller, "drill_node", detail).await?;
    let mut url = format!("{}/nodes/{target}/{drill}", control.trim_end_matches('/'));
    if target == state.node.id() && drill.silences() {
        url.push_str(&format!("?after_ms={SELF_DRILL_DELAY_MS}"));
    }
    tracing::warn!(node = target, action = %drill, "node drill requested through the API");
    let response = state
        .peers
        .post(&url)
        .timeout(std::time::Duration::from_millis(DRILL_CONTROL_TIMEOUT_MS))
        .send()
        .await
        .map_err(|error| {
            Failure::new(
                StatusCode::BAD_GATEWAY,
                "drill_control_unreachable",
                format!(
                    "the demo's drill control at {control} does not answer ({error}): \
                     the `cordon demo` process has probably stopped; restart the demo"
                ),
            )
        })?;
    let status =
        StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let answer: serde_json::Value = response.json().await.map_err(|error| {
        Failure::new(
            StatusCode::BAD_GATEWAY,
            "drill_control_bad_answer",
            format!(
                "the demo's drill control at {control} answered {status} without JSON ({error})"
            ),
        )
    })?;
    Ok((status, Json(answer)).into_response())
}
