//! Move-ups: `GET /v1/move-ups`, `POST /v1/move-ups/{id}/approve` and
//! `POST /v1/move-ups/{id}/decline`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `GET /v1/move-ups`: the move-ups kept, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MoveUpList {
    /// How move-ups are approved: `off`, `automatic` or `commander`
    /// (`actors.move_up` in the cluster file).
    pub approval: String,
    /// Every move-up awaiting a decision and the newest decided ones.
    pub move_ups: Vec<MoveUp>,
}

/// One move-up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MoveUp {
    /// Its id: the log index of the proposal.
    pub id: u64,
    /// The ring whose coverage it restores (3 or 4).
    pub ring: u8,
    /// `proposed`, `approved`, `declined` or `superseded`.
    pub status: String,
    /// The units and their new posts.
    pub lines: Vec<MoveUpLine>,
    /// The ring's share of demand covered within target when proposed, 0 to 1.
    pub coverage_before: f64,
    /// The same with the units at their posts.
    pub coverage_after: f64,
    /// Why, in words.
    pub reason: String,
    /// Who proposed it (the ring actor).
    pub proposed_by: String,
    /// When (Unix ms).
    pub proposed_at_ms: u64,
    /// Who decided it: `automatic (...)` or the commander.
    pub decided_by: Option<String>,
    /// When it was decided (Unix ms).
    pub decided_at_ms: Option<u64>,
    /// Why it was declined or superseded.
    pub note: Option<String>,
}

/// One unit of a move-up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MoveUpLine {
    /// The unit, e.g. `rover-2`.
    pub unit_id: String,
    /// The post's latitude, WGS-84 degrees.
    pub lat: f64,
    /// The post's longitude, WGS-84 degrees.
    pub lon: f64,
    /// The post's name.
    pub post_name: String,
    /// The drive there when proposed, in seconds.
    pub travel_s: u32,
}

/// `POST /v1/move-ups/{id}/decline`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclineMoveUp {
    /// Why, for the record; default `declined`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
