//! Crowd counts of the risk-sensing net: a feed records a batch, and
//! anyone who reads sees the sensors and the counts of a sensor or area.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Extension;
use axum::Json;
use cordon_actors::crowd::{forecast_counts, AreaSetting};
use cordon_api::crowd::{
    CrowdBacktest, CrowdBands, CrowdCountBatch, CrowdCounted, CrowdCountsQuery, CrowdCrossing,
    CrowdForecast, CrowdForecastPoint, CrowdForecastQuery, CrowdPoint, CrowdSensor,
    CrowdSensorList, CrowdSeries,
};
use cordon_api::ApiError;
use cordon_config::district::sensors::CrowdArea;
use cordon_config::district::LatLon;
use cordon_config::District;
use cordon_consensus::ledger::actions::CROWD_CLOCK_SKEW_MS;
use cordon_consensus::ledger::crowd::SensorCounts;
use cordon_consensus::ledger::crowd::{CrowdCounts, MINUTE_MS};
use cordon_consensus::ledger::{
    Action, Command, CrowdReading, Effect, RecordCrowdCounts, CROWD_READINGS_MAX,
};
use cordon_consensus::node::unix_millis;
use cordon_forecast::Bands;

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

/// The longest ad-hoc polygon, in corners.
const POLYGON_CORNERS_MAX: usize = 100;

/// An area's crowd forecast with its bands and the first crossing into a
/// higher one (computed on the node answering, from its applied ledger
/// after a read barrier: every node answers the same).
#[utoipa::path(get, path = "/v1/crowd/forecast", tag = "crowd",
    params(CrowdForecastQuery),
    responses(
        (status = 200, description = "The forecast", body = CrowdForecast),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn forecast(
    State(state): State<ApiState>,
    query: Result<Query<CrowdForecastQuery>, QueryRejection>,
) -> ApiResult<Json<CrowdForecast>> {
    let _permit = admit(&state)?;
    let Query(query) = query.map_err(|e| Failure::bad_input(e.body_text()))?;
    let district = &state.actors.context().district;
    let (of, sensors, capacity) = forecast_area_of(district, &query)?;
    let horizon_min = query.horizon_min.unwrap_or(60);
    state.node.read_barrier().await?;
    let counts: Vec<(String, Option<SensorCounts>)> = {
        let applied = state.node.ledger().read();
        let crowd = applied.ledger.crowd();
        sensors
            .iter()
            .map(|id| (id.clone(), crowd.sensor(id).cloned()))
            .collect()
    };
    let ids: Vec<&str> = sensors.iter().map(String::as_str).collect();
    let setting = AreaSetting::of(district, &ids);
    let now_ms = unix_millis();
    let choices = state.model_choices.clone();
    let area = tokio::task::spawn_blocking(move || {
        let counts: Vec<(String, Option<&SensorCounts>)> = counts
            .iter()
            .map(|(id, c)| (id.clone(), c.as_ref()))
            .collect();
        forecast_counts(&counts, &setting, &choices, now_ms, horizon_min)
    })
    .await
    .map_err(|error| Failure::bad_input(format!("the forecast failed: {error}")))?
    .map_err(|error| {
        Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "cannot_forecast",
            error.to_string(),
        )
    })?;
    Ok(Json(forecast_body(of, sensors, capacity, &area)))
}

/// The answer for `area`'s forecast.
fn forecast_body(
    of: String,
    sensors: Vec<String>,
    capacity: Option<u32>,
    area: &cordon_actors::crowd::AreaForecast,
) -> CrowdForecast {
    let bands = capacity.map(Bands::of_capacity);
    let crossing = bands.as_ref().and_then(|bands| area.crossing(bands));
    let f = &area.forecast;
    CrowdForecast {
        of,
        sensors,
        model: area.model.name().to_string(),
        backtest: area.choice.map(|choice| CrowdBacktest {
            mape_pct: choice.mape_pct,
            seasonal_naive_mape_pct: choice.seasonal_naive_mape_pct,
            forecasts: choice.scored,
        }),
        step_s: (area.step_ms / 1_000) as u32,
        level: f.level,
        latest: area
            .latest
            .map(|(at_ms, count)| CrowdPoint { at_ms, count }),
        capacity,
        band_now: bands.as_ref().map(|bands| {
            let now = area.latest.map_or(0.0, |(_, count)| count);
            bands.band(now).as_str().to_string()
        }),
        bands: bands.map(|bands| CrowdBands {
            medium_from: bands.medium_from,
            high_from: bands.high_from,
        }),
        crossing: crossing.map(|crossing| CrowdCrossing {
            band: crossing.band.as_str().to_string(),
            at_ms: area.at_ms(crossing.step),
            confidence: crossing.confidence,
        }),
        points: (0..f.point.len())
            .map(|step| CrowdForecastPoint {
                at_ms: area.at_ms(step),
                count: f.point[step],
                lower: f.lower[step],
                upper: f.upper[step],
            })
            .collect(),
    }
}

/// The area, sensor or polygon a forecast is asked for: its name, its
/// sensors and its capacity.
fn forecast_area_of(
    district: &District,
    query: &CrowdForecastQuery,
) -> ApiResult<(String, Vec<String>, Option<u32>)> {
    let Some(polygon) = &query.polygon else {
        let counts_query = CrowdCountsQuery {
            sensor: query.sensor.clone(),
            area: query.area.clone(),
            ..CrowdCountsQuery::default()
        };
        return sensors_of(district, &counts_query);
    };
    if query.area.is_some() || query.sensor.is_some() {
        return Err(Failure::bad_input(
            "name exactly one of area=, sensor= or polygon=",
        ));
    }
    let area = CrowdArea::Polygon(polygon_corners(polygon)?);
    let sensors = district
        .sensors_in(&area)
        .into_iter()
        .map(String::from)
        .collect();
    Ok(("polygon".to_string(), sensors, None))
}

/// `lat,lon;lat,lon;...` as corners, or what is wrong with it.
fn polygon_corners(text: &str) -> ApiResult<Vec<LatLon>> {
    let bad = |why: String| {
        Failure::bad_input(format!(
            "polygon {why}: write 3 to {POLYGON_CORNERS_MAX} corners as lat,lon;lat,lon;lat,lon (WGS-84 degrees)"
        ))
    };
    let corners: Vec<&str> = text.split(';').collect();
    if !(3..=POLYGON_CORNERS_MAX).contains(&corners.len()) {
        return Err(bad(format!("has {} corners", corners.len())));
    }
    corners
        .iter()
        .enumerate()
        .map(|(index, corner)| {
            let (lat, lon) = corner
                .split_once(',')
                .and_then(|(lat, lon)| {
                    Some((
                        lat.trim().parse::<f64>().ok()?,
                        lon.trim().parse::<f64>().ok()?,
                    ))
                })
                .filter(|(lat, lon)| (-90.0..=90.0).contains(lat) && (-180.0..=180.0).contains(lon))
                .ok_or_else(|| bad(format!("corner {index} {corner:?} is not lat,lon")))?;
            Ok(LatLon::new(lat, lon))
        })
        .collect()
}
