//! The hazard register: `GET /v1/hazards`, `POST /v1/hazards` and each
//! stage's `POST /v1/hazards/{id}/...`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `GET /v1/hazards`: the register.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HazardList {
    /// Open hazards first (oldest first), then the newest closed ones.
    pub hazards: Vec<Hazard>,
    /// Hazards cleared at the source, per area and UTC day.
    pub cleared: Vec<ClearedTally>,
}

/// Hazards one area cleared in one day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ClearedTally {
    /// The area.
    pub area: String,
    /// The district's local day, `YYYY-MM-DD`.
    pub date: String,
    /// How many.
    pub cleared: u32,
}

/// One hazard.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Hazard {
    /// Its id (the log index of its detection).
    pub id: u64,
    /// The area.
    pub area: String,
    /// The station whose ground it is.
    pub station: Option<String>,
    /// Latitude, if known.
    pub lat: Option<f64>,
    /// Longitude, if known.
    pub lon: Option<f64>,
    /// `crowd_warning`, `sensor`, `report` or `patrol`.
    pub source: String,
    /// For a crowd warning: the band, when, how sure, how many.
    pub warning: Option<HazardWarning>,
    /// What it is.
    pub summary: String,
    /// `detected`, `verifying`, `confirmed`, `in_hand`, `cleared` or `false_alarm`.
    pub stage: String,
    /// When the current stage must be left by (Unix ms); none once closed.
    pub deadline_ms: Option<u64>,
    /// The verifier: `station:<id>` or `unit:<id>`.
    pub verifier: Option<String>,
    /// 0, 1 (its station) or 2 (the district hub).
    pub escalation_level: u8,
    /// Measures taken.
    pub measures: Vec<HazardMeasure>,
    /// Every change, oldest first.
    pub trail: Vec<HazardStep>,
}

/// A crowd warning's forecast.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HazardWarning {
    /// `medium` or `high`.
    pub band: String,
    /// When the crossing is expected (Unix ms).
    pub expected_at_ms: u64,
    /// Its probability, 0 to 1.
    pub confidence: f64,
    /// The count expected then.
    pub expected_count: u32,
}

/// A measure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HazardMeasure {
    /// `pre_position`, `flow_control`, `closure` or `other`.
    pub kind: String,
    /// The unit pre-positioned.
    pub unit_id: Option<String>,
    /// What.
    pub note: String,
}

/// One step of a hazard's trail.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HazardStep {
    /// When (Unix ms).
    pub at_ms: u64,
    /// The log index.
    pub index: u64,
    /// Who.
    pub by: String,
    /// The stage after it.
    pub stage: String,
    /// What happened.
    pub note: String,
}

/// `POST /v1/hazards`: a hazard seen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportHazard {
    /// The area: a sensitive area, zone or station id.
    pub area: String,
    /// Latitude, if known.
    #[serde(default)]
    pub lat: Option<f64>,
    /// Longitude, if known.
    #[serde(default)]
    pub lon: Option<f64>,
    /// `patrol`, `report` or `sensor`.
    pub source: String,
    /// What it is.
    pub summary: String,
    /// Your id for the report: a resend is answered once.
    #[serde(default)]
    pub request_id: Option<String>,
}

/// `POST /v1/hazards/{id}/push`: the verifier, a station or a unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushHazard {
    /// A station's id.
    #[serde(default)]
    pub station: Option<String>,
    /// Or a unit's.
    #[serde(default)]
    pub unit_id: Option<String>,
}

/// `POST /v1/hazards/{id}/verify`: the verifier's finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyHazard {
    /// True: real; false: a false alarm.
    pub confirmed: bool,
    /// What was seen on the spot.
    pub seen: String,
}

/// `POST /v1/hazards/{id}/measures`: a measure taken.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TakeMeasure {
    /// `pre_position`, `flow_control`, `closure` or `other`.
    pub kind: String,
    /// The unit, for `pre_position` only.
    #[serde(default)]
    pub unit_id: Option<String>,
    /// Where it waits (latitude), for `pre_position` only; the hazard's
    /// position when left out.
    #[serde(default)]
    pub lat: Option<f64>,
    /// Where it waits (longitude), with `lat`.
    #[serde(default)]
    pub lon: Option<f64>,
    /// What.
    pub note: String,
}

/// `POST /v1/hazards/{id}/clear`: how it was cleared.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClearHazard {
    /// How, in words.
    #[serde(default)]
    pub note: Option<String>,
}
