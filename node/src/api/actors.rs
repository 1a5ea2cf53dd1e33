//! Actors: placements from the ledger with what each node's supervisors
//! report.

use axum::extract::{Query, State};
use axum::{Extension, Json};
use cordon_api::actors::{
    Actor, ActorFailure, ActorList, ActorsQuery, LocalActors, SupervisedActor,
};
use cordon_api::ApiError;
use cordon_consensus::wire::Proof;

use super::{admit, ApiResult, ApiState, Caller, Failure};
use crate::wire;

/// The actors this node supervises.
#[utoipa::path(get, path = "/v1/actors/local", tag = "actors",
    responses((status = 200, description = "What this node's supervisors report", body = LocalActors)))]
pub(super) async fn local_actors(State(state): State<ApiState>) -> Json<LocalActors> {
    Json(local_report(&state).await)
}

async fn local_report(state: &ApiState) -> LocalActors {
    let snapshots = state.actors.snapshot().await;
    LocalActors {
        node: state.node.id(),
        actors: snapshots.iter().map(wire::supervised_actor).collect(),
    }
}

/// Every actor: its placement from the ledger, plus what its node's
/// supervisor reports (restarts, failures, the actor's own snapshot).
#[utoipa::path(get, path = "/v1/actors", tag = "actors",
    params(ActorsQuery),
    responses(
        (status = 200, description = "Every actor: node, epoch, pending messages, status, restarts, supervisor, state", body = ActorList),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn list_actors(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    query: Result<Query<ActorsQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<ActorList>> {
    let _permit = admit(&state)?;
    let Query(query) = query.map_err(|e| Failure::bad_input(e.body_text()))?;
    state.node.read_barrier().await?;
    let placements = ledger_placements(&state);
    let reports = if query.supervisors.unwrap_or(true) {
        supervisor_reports(&state, &caller).await
    } else {
        std::collections::BTreeMap::new()
    };
    let actors = placements
        .into_iter()
        .map(|placed| {
            let report = reports.get(&(placed.actor.clone(), placed.node));
            Actor {
                status: report.map_or_else(|| "unknown".to_string(), |r| r.status.clone()),
                restarts: report.map_or(0, |r| r.restarts),
                supervisor: report.map(|r| r.supervisor.clone()),
                last_failure: report.and_then(|r| r.last_failure.clone()),
                supervisor_epoch: report.map(|r| r.epoch),
                state: report.and_then(|r| r.state.clone()),
                actor: placed.actor,
                node: placed.node,
                epoch: placed.epoch,
                pending: placed.pending,
                failed_past_budget: placed.failed_past_budget,
            }
        })
        .collect();
    Ok(Json(ActorList { actors }))
}

/// One placement as the ledger has it, with what the API shows beside it.
struct LedgerPlacement {
    actor: String,
    node: u64,
    epoch: u64,
    pending: u64,
    failed_past_budget: Option<ActorFailure>,
}

/// Every placement, read under the ledger's lock and released at once.
fn ledger_placements(state: &ApiState) -> Vec<LedgerPlacement> {
    let applied = state.node.ledger().read();
    let ledger = &applied.ledger;
    ledger
        .placements()
        .map(|(actor, placement)| LedgerPlacement {
            actor: actor.to_string(),
            node: placement.node,
            epoch: placement.epoch,
            pending: ledger.pending_for(actor).count() as u64,
            failed_past_budget: ledger.last_actor_failure(actor).map(wire::actor_failure),
        })
        .collect()
}

/// What every member's supervisors report, by (actor, node): an actor's
/// report is the one of the node the ledger places it on. A member that
/// does not answer reports nothing. Peers are asked all at once (an
/// unreachable one costs one peer deadline, not one each) with the
/// caller's own token (a node's certificate grants no client role).
async fn supervisor_reports(
    state: &ApiState,
    caller: &Caller,
) -> std::collections::BTreeMap<(String, u64), SupervisedActor> {
    // A certificate's holder cannot be spoken for (its key stays with it):
    // then only this node's own supervisors report.
    let token = match &caller.proof {
        Proof::Token(token) => Some(token),
        Proof::Certificate(_) => None,
    };
    let asked = state
        .node
        .status()
        .members
        .into_iter()
        .map(|member| async move {
            if member.id == state.node.id() {
                Some(local_report(state).await)
            } else if let Some(token) = token {
                let url = format!(
                    "{}://{}/v1/actors/local",
                    state.peer_scheme, member.api_addr
                );
                let request = state.peers.get(&url).bearer_auth(token.text());
                match request.send().await {
                    Ok(response) => response.json::<LocalActors>().await.ok(),
                    Err(_) => None,
                }
            } else {
                None
            }
        });
    let mut reports = std::collections::BTreeMap::new();
    // A supervisor's report lists the teams its actors supervise too.
    for local in futures_util::future::join_all(asked)
        .await
        .into_iter()
        .flatten()
    {
        for report in local.actors {
            reports.insert((report.actor.clone(), report.node), report);
        }
    }
    reports
}
