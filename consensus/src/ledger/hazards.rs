//! The hazard register of the risk-sensing net: a hazard detected (by a
//! crowd warning, a sensor, a report, a patrol) is pushed to a verifier
//! (the area's guardians or the station's patrol), verified (confirmed or
//! a false alarm, with who and what was seen), handled with measures
//! (pre-positioned units, flow control, closures), and cleared. Each stage
//! has a deadline; a missed one escalates to the station, then the
//! district hub. Every change is a step of the hazard's trail.

use serde::{Deserialize, Serialize};

use super::ids::{Position, StationId, UnitId};

/// Time to verify once pushed: 10 minutes (a guardian walks over).
pub const HAZARD_VERIFY_WITHIN_MS: u64 = 10 * 60_000;
/// Time from detection to a verifier: 5 minutes.
pub const HAZARD_PUSH_WITHIN_MS: u64 = 5 * 60_000;
/// Time from confirmation to the first measure: 15 minutes.
pub const HAZARD_MEASURE_WITHIN_MS: u64 = 15 * 60_000;
/// Time from the first measure to clearing: 2 hours.
pub const HAZARD_CLEAR_WITHIN_MS: u64 = 2 * 3_600_000;
/// Closed hazards kept for reading; older ones are forgotten (their
/// counts per area and day stay in the tally).
pub const HAZARDS_CLOSED_KEPT_MAX: usize = 500;
/// The tally of hazards cleared counts per area and quarter hour (UTC), in
/// milliseconds: fine enough that any district's local day (offsets are
/// whole quarter hours) is a sum of slots.
pub const CLEARED_SLOT_MS: u64 = 15 * 60_000;
/// How long the tally keeps a slot, in milliseconds: two years.
pub const CLEARED_KEPT_MS: u64 = 2 * 366 * 86_400_000;
/// Most measures on one hazard.
pub const HAZARD_MEASURES_MAX: usize = 32;
/// Longest area id, in bytes.
pub const HAZARD_AREA_BYTES_MAX: usize = 64;

/// Where a hazard stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HazardStage {
    /// Seen, no verifier yet.
    Detected,
    /// Pushed to a verifier.
    Verifying,
    /// The verifier confirmed it.
    Confirmed,
    /// Measures are in hand.
    InHand,
    /// Cleared at the source (closed).
    Cleared,
    /// The verifier found nothing (closed).
    FalseAlarm,
}

impl HazardStage {
    /// Whether a hazard may move from this stage to `next`: detected →
    /// verifying → confirmed or false alarm; confirmed → in hand or
    /// cleared; in hand → in hand (another measure) or cleared. Closed
    /// stages move nowhere.
    pub fn allows(self, next: HazardStage) -> bool {
        use HazardStage::{Cleared, Confirmed, Detected, FalseAlarm, InHand, Verifying};
        matches!(
            (self, next),
            (Detected, Verifying)
                | (Verifying, Verifying | Confirmed | FalseAlarm)
                | (Confirmed, InHand | Cleared)
                | (InHand, InHand | Cleared)
        )
    }

    /// Cleared or a false alarm.
    pub fn is_closed(self) -> bool {
        matches!(self, HazardStage::Cleared | HazardStage::FalseAlarm)
    }

    /// The stage's name.
    pub fn as_str(self) -> &'static str {
        match self {
            HazardStage::Detected => "detected",
            HazardStage::Verifying => "verifying",
            HazardStage::Confirmed => "confirmed",
            HazardStage::InHand => "in_hand",
            HazardStage::Cleared => "cleared",
            HazardStage::FalseAlarm => "false_alarm",
        }
    }

    /// How long a hazard may stay in this stage, if it is open.
    pub fn allowed_ms(self) -> Option<u64> {
        match self {
            HazardStage::Detected => Some(HAZARD_PUSH_WITHIN_MS),
            HazardStage::Verifying => Some(HAZARD_VERIFY_WITHIN_MS),
            HazardStage::Confirmed => Some(HAZARD_MEASURE_WITHIN_MS),
            HazardStage::InHand => Some(HAZARD_CLEAR_WITHIN_MS),
            HazardStage::Cleared | HazardStage::FalseAlarm => None,
        }
    }
}

/// What raised a hazard.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HazardSource {
    /// A crowd forecast or count crossing into a band.
    CrowdWarning {
        /// `medium` or `high`.
        band: String,
        /// When the crossing is expected (Unix ms).
        expected_at_ms: u64,
        /// Its probability, parts per million.
        confidence_ppm: u32,
        /// The count expected then.
        expected_count: u32,
    },
    /// A sensor past a threshold.
    Sensor,
    /// A report from a channel.
    Report,
    /// A patrol saw it.
    Patrol,
}

/// Who verifies a hazard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verifier {
    /// A station's patrol.
    Station(StationId),
    /// One unit (the area's guardians, a patrol group).
    Unit(UnitId),
}

/// A measure taken against a hazard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasureKind {
    /// Units sent to wait nearby.
    PrePosition,
    /// Flow control: one-way routes, holding lines, metered entry.
    FlowControl,
    /// A closure: a station, a street, an entrance.
    Closure,
    /// Anything else, said in the note.
    Other,
}

/// One step of a hazard's trail.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HazardStep {
    /// When (Unix ms, the proposer's stamp).
    pub at_ms: u64,
    /// The log index.
    pub index: u64,
    /// Who (the command's origin).
    pub by: String,
    /// The stage after it.
    pub stage: HazardStage,
    /// What happened, in words.
    pub note: String,
}

/// A hazard as the register keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hazard {
    /// Its id: the log index of its detection.
    pub id: u64,
    /// The area it is in (a sensitive area, zone or station id).
    pub area: String,
    /// Where, if known.
    pub position: Option<Position>,
    /// The station whose ground it is, if known.
    pub station: Option<StationId>,
    /// What raised it.
    pub source: HazardSource,
    /// What it is, in words.
    pub summary: String,
    /// Where it stands.
    pub stage: HazardStage,
    /// When the current stage must be left by (Unix ms); none once closed.
    pub deadline_ms: Option<u64>,
    /// Who verifies it, once pushed.
    pub verifier: Option<Verifier>,
    /// Escalations for missed deadlines: 1 the station, 2 the hub.
    pub escalation_level: u8,
    /// Measures taken, in order.
    pub measures: Vec<(MeasureKind, Option<UnitId>, String)>,
    /// Every change, in order.
    pub trail: Vec<HazardStep>,
}

impl Hazard {
    /// Moves to `stage` at `step_at_ms`, with a trail step and the stage's
    /// deadline.
    pub(crate) fn enter(&mut self, stage: HazardStage, step: HazardStep) {
        self.stage = stage;
        self.deadline_ms = stage.allowed_ms().map(|allowed| step.at_ms + allowed);
        self.trail.push(step);
    }
}
