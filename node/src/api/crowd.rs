//! Crowd counts of the risk-sensing net: a feed records a batch, and
//! anyone who reads sees the sensors and the counts of a sensor or area.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::Extension;
use axum::Json;
use cordon_api::crowd::{
    CrowdCountBatch, CrowdCounted, CrowdCountsQuery, CrowdPoint, CrowdSensor, CrowdSensorList,
    CrowdSeries,
};
use cordon_api::ApiError;
use cordon_config::District;
use cordon_consensus::ledger::actions::CROWD_CLOCK_SKEW_MS;
use cordon_consensus::ledger::crowd::{CrowdCounts, MINUTE_MS};
use cordon_consensus::ledger::{
    Action, Command, CrowdReading, Effect, RecordCrowdCounts, CROWD_READINGS_MAX,
};
use cordon_consensus::node::unix_millis;

use super::{admit, body, commit, request_id, ApiResult, ApiState, Caller, Failure};

/// The span `GET /v1/crowd/counts` answers when none is asked: a day.
const COUNTS_SPAN_DEFAULT_MS: u64 = 24 * 3_600_000;
/// The longest span one read answers: 31 days.
const COUNTS_SPAN_MAX_MS: u64 = 31 * 24 * 3_600_000;

/// Record a batch of crowd counts, kept whole or refused whole.
#[utoipa::path(post, path = "/v1/crowd/counts", tag = "crowd",
    request_body = CrowdCountBatch,
    responses(
        (status = 200, description = "Committed: the entry and what it kept", body = CrowdCounted),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn record_counts(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    payload: Result<Json<CrowdCountBatch>, JsonRejection>,
) -> ApiResult<Json<CrowdCounted>> {
    let _permit = admit(&state)?;
    let batch = body(payload)?;
    let now_ms = unix_millis();
    let readings = readings(&batch, &state.actors.context().district, now_ms)?;
    let command = Command::new(
        request_id(batch.request_id)?,
        now_ms,
        caller.origin.clone(),
        Action::RecordCrowdCounts(RecordCrowdCounts {
            source: batch.source,
            readings,
        }),
    );
    let applied = commit(&state, command, &caller).await?;
    let Effect::CrowdCounted { kept, resent } = applied.effect else {
        return Err(Failure::bad_input(format!(
            "the request id was used before for another request ({:?}): send a new one",
            applied.effect
        )));
    };
    Ok(Json(CrowdCounted {
        index: applied.index,
        kept,
        resent,
    }))
}

/// The batch's readings, each checked against the district and the clock,
/// on their minute; or what is wrong with the first bad one.
fn readings(
    batch: &CrowdCountBatch,
    district: &District,
    now_ms: u64,
) -> ApiResult<Vec<CrowdReading>> {
    if batch.counts.is_empty() || batch.counts.len() > CROWD_READINGS_MAX {
        return Err(Failure::bad_input(format!(
            "counts has {} readings: send 1 to {CROWD_READINGS_MAX} in a batch",
            batch.counts.len()
        )));
    }
    let mut seen = BTreeSet::new();
    let mut readings = Vec::with_capacity(batch.counts.len());
    for (index, count) in batch.counts.iter().enumerate() {
        let field = format!("counts[{index}]");
        if district.crowd_sensor(&count.sensor).is_none() {
            return Err(Failure::bad_input(format!(
                "{field}.sensor {:?} is not a sensor of the district: use an id from GET /v1/crowd/sensors",
                count.sensor
            )));
        }
        if count.at_ms > now_ms + CROWD_CLOCK_SKEW_MS {
            return Err(Failure::bad_input(format!(
                "{field}.at_ms {} is {} s ahead of this node's clock: send counts once taken (check the feed's clock)",
                count.at_ms,
                (count.at_ms - now_ms) / 1_000
            )));
        }
        let people = u32::try_from(count.count).map_err(|_| {
            Failure::bad_input(format!(
                "{field}.count {} is not a number of people: send 0 or more",
                count.count
            ))
        })?;
        let at_ms = count.at_ms - count.at_ms % MINUTE_MS;
        if !seen.insert((count.sensor.as_str(), at_ms)) {
            return Err(Failure::bad_input(format!(
                "{field}: a second count of {} in the minute at {at_ms}: send one per sensor and minute",
                count.sensor
            )));
        }
        readings.push(CrowdReading {
            sensor: count.sensor.clone(),
            at_ms,
            count: people,
        });
    }
    Ok(readings)
}

/// The district's sensors, each with the areas that hold it and its newest
/// minute (linearizable read).
#[utoipa::path(get, path = "/v1/crowd/sensors", tag = "crowd",
    responses(
        (status = 200, description = "The district's crowd sensors", body = CrowdSensorList),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn list_sensors(
    State(state): State<ApiState>,
) -> ApiResult<Json<CrowdSensorList>> {
    let _permit = admit(&state)?;
    state.node.read_barrier().await?;
    let district = &state.actors.context().district;
    let applied = state.node.ledger().read();
    let crowd = applied.ledger.crowd();
    let sensors = district
        .crowd_sensors()
        .iter()
        .map(|sensor| CrowdSensor {
            id: sensor.id.clone(),
            name: sensor.name.clone(),
            kind: sensor.kind.as_str().to_string(),
            lat: sensor.position.lat,
            lon: sensor.position.lon,
            areas: areas_holding(district, &sensor.position),
            latest: crowd.sensor(&sensor.id).and_then(|counts| {
                let (at_ms, count) = counts.minutes.last_key_value()?;
                Some(CrowdPoint {
                    at_ms: *at_ms,
                    count: f64::from(*count),
                })
            }),
        })
        .collect();
    Ok(Json(CrowdSensorList { sensors }))
}

/// The ids of the sensitive areas, zones and stations that hold `at`.
fn areas_holding(district: &District, at: &cordon_config::district::LatLon) -> Vec<String> {
    let sensitive = district
        .sensitive_areas()
        .iter()
        .filter(|area| area.contains(at))
        .map(|area| area.id.clone());
    let zone = district
        .zone_for(at)
        .map(|(station, zone)| [zone.id.clone(), station.id.clone()]);
    sensitive.chain(zone.into_iter().flatten()).collect()
}

/// One sensor's or area's counts over a span (linearizable read): whole
/// minutes, and the hours older minutes folded into.
#[utoipa::path(get, path = "/v1/crowd/counts", tag = "crowd",
    params(CrowdCountsQuery),
    responses(
        (status = 200, description = "The counts, summed over the area's sensors", body = CrowdSeries),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn read_counts(
    State(state): State<ApiState>,
    query: Result<Query<CrowdCountsQuery>, QueryRejection>,
) -> ApiResult<Json<CrowdSeries>> {
    let _permit = admit(&state)?;
    let Query(query) = query.map_err(|e| Failure::bad_input(e.body_text()))?;
    let district = &state.actors.context().district;
    let (of, sensors, capacity) = sensors_of(district, &query)?;
    let to_ms = query.to_ms.unwrap_or_else(unix_millis);
    let from_ms = query
        .from_ms
        .unwrap_or(to_ms.saturating_sub(COUNTS_SPAN_DEFAULT_MS));
    if from_ms >= to_ms || to_ms - from_ms > COUNTS_SPAN_MAX_MS {
        return Err(Failure::bad_input(format!(
            "from_ms {from_ms} to to_ms {to_ms}: ask for a span of up to 31 days with from_ms before to_ms"
        )));
    }
    state.node.read_barrier().await?;
    let applied = state.node.ledger().read();
    let (minutes, hours) = summed(applied.ledger.crowd(), &sensors, from_ms..to_ms);
    Ok(Json(CrowdSeries {
        of,
        sensors,
        capacity,
        minutes,
        hours,
    }))
}

/// The sensor or area asked for: its id, its sensors and its capacity.
fn sensors_of(
    district: &District,
    query: &CrowdCountsQuery,
) -> ApiResult<(String, Vec<String>, Option<u32>)> {
    match (&query.sensor, &query.area) {
        (Some(sensor), None) => match district.crowd_sensor(sensor) {
            Some(found) => Ok((found.id.clone(), vec![found.id.clone()], None)),
            None => Err(Failure::bad_input(format!(
                "sensor {sensor:?} is not a sensor of the district: use an id from GET /v1/crowd/sensors"
            ))),
        },
        (None, Some(area)) => match district.crowd_area(area) {
            Some(found) => {
                let sensors = district.sensors_in(&found).into_iter().map(String::from).collect();
                Ok((area.clone(), sensors, found.capacity()))
            }
            None => Err(Failure::bad_input(format!(
                "area {area:?} is not a sensitive area, zone or station of the district: see GET /v1/district"
            ))),
        },
        _ => Err(Failure::bad_input(
            "name exactly one of sensor= or area=, e.g. ?area=bund-riverside",
        )),
    }
}

/// The sum over `sensors` of each minute and each hour in `span`.
fn summed(
    crowd: &CrowdCounts,
    sensors: &[String],
    span: std::ops::Range<u64>,
) -> (Vec<CrowdPoint>, Vec<CrowdPoint>) {
    let mut minutes: BTreeMap<u64, f64> = BTreeMap::new();
    let mut hours: BTreeMap<u64, f64> = BTreeMap::new();
    for counts in sensors.iter().filter_map(|id| crowd.sensor(id)) {
        for (at_ms, count) in counts.minutes.range(span.clone()) {
            *minutes.entry(*at_ms).or_default() += f64::from(*count);
        }
        for (at_ms, hour) in counts.hours.range(span.clone()) {
            *hours.entry(*at_ms).or_default() += hour.mean();
        }
    }
    let points = |map: BTreeMap<u64, f64>| {
        map.into_iter()
            .map(|(at_ms, count)| CrowdPoint { at_ms, count })
            .collect()
    };
    (points(minutes), points(hours))
}
