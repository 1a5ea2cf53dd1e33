//! The error body of every refusal.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An error answer: a stable code and a human message saying what to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ApiError {
    /// Stable, machine-readable, e.g. `invalid_input`, `rejected`, `no_leader`.
    pub code: String,
    /// For people: what is wrong and how to fix it.
    pub message: String,
}
