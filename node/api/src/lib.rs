//! The HTTP API's wire types: every request and response body of the JSON
//! API served by each node, and nothing else. The server converts ledger
//! records into these types; the `cordon` CLI, the node tests and the chaos
//! drills read answers back as them; the OpenAPI document is generated from
//! them (utoipa). The ledger's own serde shapes (the log and snapshots)
//! never reach the API, so either can change without the other.
//!
//! Modules:
//! - [`error`]: the error body every refusal carries.
//! - [`access`]: the caller's principal and rights, the operator audit log.
//! - [`incidents`]: reporting, reading, listing and closing incidents,
//!   their assignments, plans and audit timelines.
//! - [`units`]: units and their status updates.
//! - [`move_ups`]: relocations of idle units that restore a ring's coverage.
//! - [`crowd`]: crowd counts of the risk-sensing net's sensors.
//! - [`hazards`]: the hazard register of the risk-sensing net.
//! - [`coverage`]: how much of the district's demand each police ring reaches in time.
//! - [`actors`]: actor placements and what supervisors report.
//! - [`cluster`]: the cluster's state and readiness.
//! - [`drills`]: drill offers, actor faults and node drills.
//! - [`events`]: the server-sent event stream of applied commands.

pub mod access;
pub mod actors;
pub mod cluster;
pub mod coverage;
pub mod crowd;
pub mod drills;
pub mod eido;
pub mod error;
pub mod events;
pub mod hazards;
pub mod incidents;
pub mod move_ups;
pub mod roster;
pub mod units;

pub use error::ApiError;
