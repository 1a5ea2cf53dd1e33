//! Crowd counts of the risk-sensing net: `POST /v1/crowd/counts`,
//! `GET /v1/crowd/sensors` and `GET /v1/crowd/counts`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /v1/crowd/counts`: a feed's batch of readings, kept whole or
/// refused whole.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CrowdCountBatch {
    /// The feed ("gate counters", "cell estimates"), kept with the counts'
    /// entry.
    pub source: String,
    /// 1 to 5000 readings, at most one per sensor and minute.
    pub counts: Vec<CrowdCountIn>,
    /// Your id for this batch: a resend with the same id is answered once.
    #[serde(default)]
    pub request_id: Option<String>,
}

/// People present in a sensor's view at a time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CrowdCountIn {
    /// The sensor's id, from `GET /v1/crowd/sensors`.
    pub sensor: String,
    /// When (Unix ms); counted in the minute it falls in.
    pub at_ms: u64,
    /// People, 0 or more.
    pub count: i64,
}

/// `POST /v1/crowd/counts`'s answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CrowdCounted {
    /// The log index of the batch's entry.
    pub index: u64,
    /// Readings kept now.
    pub kept: u32,
    /// Readings already kept with the same count (a resend).
    pub resent: u32,
}

/// `GET /v1/crowd/sensors`: the district's sensors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CrowdSensorList {
    /// Every sensor.
    pub sensors: Vec<CrowdSensor>,
}

/// One sensor and its latest minute.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CrowdSensor {
    /// Its id.
    pub id: String,
    /// What and where.
    pub name: String,
    /// `gate_counter`, `camera` or `phone_signal`.
    pub kind: String,
    /// Latitude, WGS-84 degrees.
    pub lat: f64,
    /// Longitude, WGS-84 degrees.
    pub lon: f64,
    /// The sensitive areas, zones and stations that hold it.
    pub areas: Vec<String>,
    /// Its newest minute's count, if any was kept.
    pub latest: Option<CrowdPoint>,
}

/// A count at a time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CrowdPoint {
    /// The minute's or hour's start (Unix ms).
    pub at_ms: u64,
    /// People (an hour: the mean of its minutes).
    pub count: f64,
}

/// `GET /v1/crowd/counts`: one sensor's or area's counts over a span.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CrowdSeries {
    /// The sensor or area asked for.
    pub of: String,
    /// The sensors summed (one for a sensor).
    pub sensors: Vec<String>,
    /// The area's capacity (people at once), where the district gives one.
    pub capacity: Option<u32>,
    /// Whole minutes, oldest first: the sum of the sensors counted at each.
    pub minutes: Vec<CrowdPoint>,
    /// Older hours (minutes fold into hours after 8 days), oldest first:
    /// the sum of the sensors' hourly means.
    pub hours: Vec<CrowdPoint>,
}

/// `GET /v1/crowd/counts`'s query: a sensor or an area, and a span.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CrowdCountsQuery {
    /// A sensor's id.
    pub sensor: Option<String>,
    /// Or an area's: a sensitive area, a zone or a station.
    pub area: Option<String>,
    /// From (Unix ms, inclusive); the last 24 hours when left out.
    pub from_ms: Option<u64>,
    /// To (Unix ms, exclusive); now when left out.
    pub to_ms: Option<u64>,
}

/// `GET /v1/crowd/forecast`'s query.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CrowdForecastQuery {
    /// A sensitive area, zone or station.
    pub area: Option<String>,
    /// Or one sensor.
    pub sensor: Option<String>,
    /// Or an ad-hoc polygon: `lat,lon;lat,lon;lat,lon[;...]` (WGS-84, at
    /// least three corners): the sum of the sensors inside.
    pub polygon: Option<String>,
    /// Minutes ahead, 1 to 10080 (7 days); 60 when left out. Up to 60 the
    /// minute nowcast answers, beyond it the hourly models.
    pub horizon_min: Option<u32>,
}

/// `GET /v1/crowd/forecast`: an area's forecast with its intervals, its
/// bands and the first crossing into a higher one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CrowdForecast {
    /// What was asked for (an id, or `polygon`).
    pub of: String,
    /// The sensors summed.
    pub sensors: Vec<String>,
    /// The model: `nowcast` (minutes); for hours the one a backtest on the
    /// area's own counts chose (`seasonal-naive`, `weekly-profile`,
    /// `mstl-ets`, `combined`, `event-calendar`).
    pub model: String,
    /// The backtest that chose an hourly model, when the area had counts
    /// enough to test on.
    pub backtest: Option<CrowdBacktest>,
    /// Seconds between points.
    pub step_s: u32,
    /// The prediction intervals' coverage, 0 to 1.
    pub level: f64,
    /// The newest count of every sensor, summed.
    pub latest: Option<CrowdPoint>,
    /// The area's capacity (people at once), where the district gives one.
    pub capacity: Option<u32>,
    /// Its bands, where it has a capacity.
    pub bands: Option<CrowdBands>,
    /// The band of the latest count (`low`, `medium`, `high`).
    pub band_now: Option<String>,
    /// The first step the forecast enters a higher band, if it does.
    pub crossing: Option<CrowdCrossing>,
    /// The forecast, oldest first.
    pub points: Vec<CrowdForecastPoint>,
}

/// How the hourly model was chosen: its error and seasonal-naive's on the
/// area's last forecasts at the same horizon.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CrowdBacktest {
    /// The chosen model's mean absolute percentage error.
    pub mape_pct: f64,
    /// Seasonal-naive's over the same forecasts.
    pub seasonal_naive_mape_pct: f64,
    /// Forecasts scored per model.
    pub forecasts: usize,
}

/// Density bands, in people.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CrowdBands {
    /// From here the band is medium.
    pub medium_from: f64,
    /// From here it is high.
    pub high_from: f64,
}

/// A forecast crossing into a higher band.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CrowdCrossing {
    /// `medium` or `high`.
    pub band: String,
    /// When (Unix ms).
    pub at_ms: u64,
    /// The probability the count is in that band or above then, 0.5 to 1.
    pub confidence: f64,
}

/// One forecast step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CrowdForecastPoint {
    /// The step's start (Unix ms).
    pub at_ms: u64,
    /// The expected count.
    pub count: f64,
    /// The interval's lower bound.
    pub lower: f64,
    /// Its upper bound.
    pub upper: f64,
}
