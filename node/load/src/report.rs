//! One scheduled report: when, what and where, and its forms for the
//! HTTP API, the ledger and JSON lines.

use cordon_api::incidents::ReportIncident;
use cordon_consensus::ledger::{Action, Command, NewIncident, Origin, RequestId};

use super::MINUTES_PER_DAY;

/// Which part of a profile produced a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LoadSource {
    /// The district's everyday load.
    Ordinary,
    /// The event crowd of the New Year surge.
    Surge,
}

impl LoadSource {
    /// The source's name in JSON lines.
    pub const fn as_str(self) -> &'static str {
        match self {
            LoadSource::Ordinary => "ordinary",
            LoadSource::Surge => "surge",
        }
    }
}

/// One incident report of a schedule, and when to send it.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduledReport {
    /// Time from the start of the load, in milliseconds.
    pub offset_ms: u64,
    /// Local clock time of the report in milliseconds since the midnight
    /// before the start (past 24 h once the load crosses midnight).
    pub clock_ms: u64,
    /// Unique within the plan's prefix; makes the report idempotent.
    pub request_id: String,
    /// Which part of the profile produced it.
    pub source: LoadSource,
    /// Id of the sensitive area, one-minute point or zone it was drawn in.
    pub hot_spot: String,
    /// Whether it lies in the Bund riverside area or within [`BUND_NEAR_M`](super::BUND_NEAR_M)
    /// of its centre; false in a district without that area.
    pub near_bund: bool,
    /// What the ledger's `ReportIncident` carries.
    pub incident: NewIncident,
}

impl ScheduledReport {
    /// The local clock time as `HH:MM:SS`.
    pub fn clock(&self) -> String {
        let seconds = (self.clock_ms / 1000) % u64::from(MINUTES_PER_DAY * 60);
        format!(
            "{:02}:{:02}:{:02}",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60
        )
    }

    /// The body `POST /v1/incidents` accepts, typed, under this report's
    /// request id.
    pub fn report_incident(&self) -> ReportIncident {
        let incident = &self.incident;
        ReportIncident {
            request_id: Some(self.request_id.clone()),
            kind: Some(incident.kind.name().to_string()),
            priority: Some(incident.priority),
            force_level: Some(incident.force_level),
            lat: incident.location.lat(),
            lon: incident.location.lon(),
            channel: Some(incident.channel.as_str().to_string()),
            description: Some(incident.description.clone()),
        }
    }

    /// The JSON body `POST /v1/incidents` accepts ([`Self::report_incident`]
    /// as JSON).
    pub fn api_body(&self) -> serde_json::Value {
        serde_json::to_value(self.report_incident())
            .expect("an API body of strings and numbers serialises")
    }

    /// The ledger command an operator would propose for this report, for
    /// in-process clusters that write commands directly.
    pub fn command(&self, proposed_at_ms: u64) -> Command {
        Command::new(
            RequestId(self.request_id.clone()),
            proposed_at_ms,
            Origin::Operator,
            Action::ReportIncident(self.incident.clone()),
        )
    }

    /// One JSON line: when, where it came from, and the API body under `report`.
    pub fn json_line(&self) -> String {
        serde_json::json!({
            "offset_ms": self.offset_ms,
            "clock": self.clock(),
            "source": self.source.as_str(),
            "hot_spot": self.hot_spot,
            "near_bund": self.near_bund,
            "report": self.api_body(),
        })
        .to_string()
    }
}
