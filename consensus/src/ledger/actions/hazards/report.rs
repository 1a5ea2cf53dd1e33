//! Report a hazard: detected by a crowd warning, a sensor, a report or a
//! patrol; it enters the register awaiting a verifier.

use serde::{Deserialize, Serialize};

use crate::ledger::command::out_of_range;
use crate::ledger::hazards::{
    Hazard, HazardSource, HazardStage, HAZARD_AREA_BYTES_MAX, HAZARD_PUSH_WITHIN_MS,
};
use crate::ledger::ids::{Position, StationId};
use crate::ledger::model::{Effect, Rejection};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// A hazard seen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportHazard {
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
}

impl Rules for ReportHazard {
    fn name(&self) -> &'static str {
        "report_hazard"
    }

    fn proposers(&self) -> Proposers {
        Proposers::Anyone(crate::ledger::access::Right::HandleHazards)
    }

    fn check(&self) -> Result<(), Rejection> {
        if self.area.is_empty() || self.area.len() > HAZARD_AREA_BYTES_MAX {
            return Err(out_of_range(
                "area",
                format!("{:?}", self.area),
                "an area id of 1-64 bytes, as in GET /v1/district",
            ));
        }
        if self.summary.trim().is_empty() {
            return Err(out_of_range("summary", "empty", "say what the hazard is"));
        }
        super::check_note("summary", &self.summary)
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        let id = step.index;
        let detected = super::trail_step(step, HazardStage::Detected, self.summary.clone());
        ledger.hazards.insert(
            id,
            Hazard {
                id,
                area: self.area.clone(),
                position: self.position,
                station: self.station.clone(),
                source: self.source.clone(),
                summary: self.summary.clone(),
                stage: HazardStage::Detected,
                deadline_ms: Some(step.at_ms() + HAZARD_PUSH_WITHIN_MS),
                verifier: None,
                escalation_level: 0,
                measures: Vec::new(),
                trail: vec![detected],
            },
        );
        Ok(Effect::HazardChanged {
            hazard_id: id,
            stage: HazardStage::Detected.as_str().to_string(),
        })
    }
}
