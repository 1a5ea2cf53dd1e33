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
