//! `GET /v1/coverage`: coverage now, computed by the planning code on the
//! street graph from a linearizable read of the units.

use std::sync::PoisonError;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use cordon_actors::planning::{CoverageReport, COVERAGE_RINGS};
use cordon_api::coverage::{Coverage, CoverageGap, RingCoverage};
use cordon_api::ApiError;
use cordon_consensus::node::unix_millis;

use super::{admit, ApiResult, ApiState, Failure};

/// Demand-weighted coverage of rings 3 and 4 by the available units, with
/// the points each misses (linearizable read).
#[utoipa::path(get, path = "/v1/coverage", tag = "units",
    responses(
        (status = 200, description = "Coverage now", body = Coverage),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn coverage(State(state): State<ApiState>) -> ApiResult<Json<Coverage>> {
    let _permit = admit(&state)?;
    state.node.read_barrier().await?;
    let (units, read_index) = {
        let applied = state.node.ledger().read();
        let context = state.actors.context();
        let units =
            cordon_actors::view::candidates(&applied.ledger, &context.district, context.now_ms());
        (units, applied.last_applied.map_or(0, |log_id| log_id.index))
    };
    let context = state.actors.context().clone();
    // A first report, or one after the crowds change, searches from every
    // unit: tens of milliseconds, off the request threads.
    let report = tokio::task::spawn_blocking(move || {
        let model = context.travel_now();
        let mut book = context
            .coverage
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        book.report(&model, &units)
    })
    .await
    .map_err(|error| {
        Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            error.to_string(),
        )
    })?;
    Ok(Json(wire(&report, read_index)))
}

fn wire(report: &CoverageReport, read_index: u64) -> Coverage {
    let rings = report
        .rings
        .iter()
        .map(|ring| RingCoverage {
            ring: ring.ring.number(),
            target_s: ring.target_s,
            demand_covered_share: ring.demand_covered_share(),
            ring_target_share: ring.ring_target_share(),
            points_total: ring.points_total,
            points_covered: ring.points_covered,
            gaps: report
                .gaps
                .iter()
                .filter(|gap| gap.ring == ring.ring)
                .map(|gap| CoverageGap {
                    lat: gap.at.lat,
                    lon: gap.at.lon,
                    cell_m: gap.cell_m,
                    best_eta_s: gap.best_eta_s,
                    target_s: gap.target_s,
                    demand_ppm: gap.demand_ppm,
                })
                .collect(),
        })
        .collect();
    debug_assert_eq!(report.rings.len(), COVERAGE_RINGS.len());
    Coverage {
        read_index,
        computed_at_ms: unix_millis(),
        regime: if report.calm { "calm" } else { "crowds" }.to_owned(),
        rings,
    }
}
