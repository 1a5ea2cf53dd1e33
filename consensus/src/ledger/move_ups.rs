//! Move-ups: a ring's proposal to relocate idle units to posts that restore
//! its coverage, with its reason and how it was decided, and the post an
//! approved move-up gives each unit (where the unit waits while idle).

use serde::{Deserialize, Serialize};

use super::ids::{Position, Ring, UnitId};

/// Most units one move-up relocates.
pub const MOVE_UP_LINES_MAX: usize = 8;
/// Longest post name.
pub const MOVE_UP_POST_NAME_BYTES_MAX: usize = 200;
/// Decided move-ups kept for reading (`GET /v1/move-ups`); older ones are
/// forgotten, so the ledger does not grow with history.
pub const MOVE_UPS_KEPT_MAX: usize = 200;

/// One unit of a move-up and where it goes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveUpLine {
    /// The unit.
    pub unit_id: UnitId,
    /// Its new post.
    pub post: Position,
    /// The post's name ("Xizang Middle Rd x Nanjing E Rd").
    pub post_name: String,
    /// The drive there, in seconds, by the proposer's travel model.
    pub travel_s: u32,
}

/// What a ring proposes: the units to move, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveUpParts {
    /// The ring whose coverage it restores (3 or 4).
    pub ring: Ring,
    /// The units and their posts.
    pub lines: Vec<MoveUpLine>,
    /// The ring's demand covered within its target now, parts per million.
    pub coverage_before_ppm: u32,
    /// The same once the units are at their posts.
    pub coverage_after_ppm: u32,
    /// Why, in words (the floor it fell below).
    pub reason: String,
}

/// Where a move-up stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MoveUpStatus {
    /// Awaiting a commander.
    Proposed,
    /// Approved: its units have their new posts.
    Approved,
    /// A commander declined it.
    Declined,
    /// A newer proposal of the same ring replaced it before a decision.
    Superseded,
}

impl std::fmt::Display for MoveUpStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MoveUpStatus::Proposed => "proposed",
            MoveUpStatus::Approved => "approved",
            MoveUpStatus::Declined => "declined",
            MoveUpStatus::Superseded => "superseded",
        })
    }
}

/// A move-up as the ledger keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveUp {
    /// Its id: the log index of the proposal.
    pub id: u64,
    /// What was proposed.
    pub parts: MoveUpParts,
    /// Who proposed it.
    pub proposed_by: String,
    /// When, Unix ms (the proposer's stamp).
    pub proposed_at_ms: u64,
    /// Where it stands.
    pub status: MoveUpStatus,
    /// Who decided it ("automatic" or the commander), once decided.
    pub decided_by: Option<String>,
    /// When it was decided, Unix ms.
    pub decided_at_ms: Option<u64>,
    /// Why it was declined or superseded, in words.
    pub note: Option<String>,
}

/// A unit's post, set by an approved move-up or a hazard's pre-position
/// measure: where it waits while idle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitPost {
    /// Where.
    pub position: Position,
    /// The post's name.
    pub name: String,
    /// What set it.
    pub set_by: PostSetBy,
    /// When it was set, Unix ms.
    pub since_ms: u64,
}

/// What gave a unit its post.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PostSetBy {
    /// An approved move-up, by id.
    MoveUp(u64),
    /// A pre-position measure against a hazard, by the hazard's id; lifted
    /// when the hazard closes.
    Hazard(u64),
}
