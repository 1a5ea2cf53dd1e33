//! Actors: placements from the ledger with what each node's supervisors
//! report.

use axum::extract::State;
use axum::Json;
use cordon_api::actors::{Actor, ActorList, LocalActors, SupervisedActor};
use cordon_api::ApiError;

use super::{admit, ApiResult, ApiState};
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
    responses(
        (status = 200, description = "Every actor: node, epoch, pending messages, status, restarts, supervisor, state", body = ActorList),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn list_actors(State(state): State<ApiState>) -> ApiResult<Json<ActorList>> {
    let _permit = admit(&state)?;
    state.node.read_barrier().await?;
    let placements: Vec<(String, u64, u64, u64)> = {
        let applied = state.node.ledger().read();
        applied
            .ledger
            .placements()
            .map(|(actor, placement)| {
                let pending = applied.ledger.pending_for(actor).count() as u64;
                (actor.to_string(), placement.node, placement.epoch, pending)
            })
            .collect()
    };
    let reports = supervisor_reports(&state).await;
    let actors = placements
        .into_iter()
        .map(|(actor, node, epoch, pending)| {
            let report = reports.get(&(actor.clone(), node));
            Actor {
                status: report.map_or_else(|| "unknown".to_string(), |r| r.status.clone()),
                restarts: report.map_or(0, |r| r.restarts),
                supervisor: report.map(|r| r.supervisor.clone()),
                last_failure: report.and_then(|r| r.last_failure.clone()),
                supervisor_epoch: report.map(|r| r.epoch),
                state: report.and_then(|r| r.state.clone()),
                actor,
                node,
                epoch,
                pending,
            }
        })
        .collect();
    Ok(Json(ActorList { actors }))
}

/// What every member's supervisors report, by (actor, node): an actor's
/// report is the one of the node the ledger places it on. A member that
/// does not answer reports nothing.
async fn supervisor_reports(
    state: &ApiState,
) -> std::collections::BTreeMap<(String, u64), SupervisedActor> {
    let mut reports = std::collections::BTreeMap::new();
    for member in state.node.status().members {
        let local = if member.id == state.node.id() {
            Some(local_report(state).await)
        } else {
            let url = format!("http://{}/v1/actors/local", member.api_addr);
            match state.peers.get(&url).send().await {
                Ok(response) => response.json::<LocalActors>().await.ok(),
                Err(_) => None,
            }
        };
        // A supervisor's report lists the teams its actors supervise too.
        for report in local.into_iter().flat_map(|local| local.actors) {
            reports.insert((report.actor.clone(), report.node), report);
        }
    }
    reports
}
