//! Reports for a sender that keeps its own pace (`cordon demo --rate`,
//! `cordon bench`, the node's kill-leader test): the ordinary profile's
//! reports one after another, their timing dropped, as API bodies.

use cordon_api::incidents::ReportIncident;
use cordon_config::District;

use super::generator::LoadGenerator;
use super::plan::{LoadError, LoadPlan, LoadProfile};

/// The ordinary profile from its usual start (20:00) as a stream of
/// `POST /v1/incidents` bodies, each under its own request id. The sender
/// decides when each is sent; the schedule's offsets are dropped, but the
/// generator's own clock runs on as reports are drawn (about 1,300 reports a
/// simulated day), so a long stream passes through the night's mix of kinds.
/// The same seed and prefix give the same stream.
#[derive(Clone, Debug)]
pub struct SteadyReports {
    generator: LoadGenerator,
}

impl SteadyReports {
    /// Ordinary reports over `district` with `seed`; request ids are
    /// `<request_id_prefix>-<n>`, n from 1.
    pub fn new(
        district: &District,
        seed: u64,
        request_id_prefix: &str,
    ) -> Result<SteadyReports, LoadError> {
        let profile = LoadProfile::Ordinary;
        let plan = LoadPlan {
            request_id_prefix: request_id_prefix.to_string(),
            ..LoadPlan::new(profile, seed, profile.usual_start())
        };
        Ok(SteadyReports {
            generator: LoadGenerator::new(district, &plan)?,
        })
    }
}

impl Iterator for SteadyReports {
    type Item = ReportIncident;

    /// The next report's body; the stream never ends.
    fn next(&mut self) -> Option<ReportIncident> {
        Some(self.generator.next_report().report_incident())
    }
}
