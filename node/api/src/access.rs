//! Who is asking: `GET /v1/whoami` (the caller's principal, roles and
//! rights, which the console uses to show only what the caller may do),
//! `GET /v1/audit` (the operator audit log), and the principal every audit
//! entry names.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::incidents::Origin;

/// A person or system as the audit trail names it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Principal {
    /// The name (`dispatcher-li`).
    pub name: String,
    /// Its roles (`dispatcher`, `station:bund`, `field:bund-1-a`).
    pub roles: Vec<String>,
    /// The credential it proved itself with (`token 3f2a…`, `certificate 9c1e…`).
    pub credential: String,
}

/// `GET /v1/whoami`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WhoAmI {
    /// The caller.
    pub principal: Principal,
    /// What its roles allow: `read`, `read_audit`, `report`, `update_unit`,
    /// `approve_plan`, `close_incident`, `drill`.
    pub rights: Vec<String>,
    /// The node that answered.
    pub node: u64,
}

/// One entry of the operator audit log.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    /// The log index.
    pub index: u64,
    /// When, Unix ms (the proposer's clock).
    pub at_ms: u64,
    /// Who.
    pub origin: Origin,
    /// The request id.
    pub request_id: String,
    /// What (`issue_token`, `revoke_token`, `set_node_drained`,
    /// `retire_node_id`, `add_learner`, `drill_fault_actor`...).
    pub action: String,
    /// Its details.
    pub detail: String,
    /// SHA-256 over the previous entry's hash and this entry.
    pub hash: String,
}

/// `GET /v1/audit`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditLog {
    /// The entries, oldest first.
    pub entries: Vec<AuditEntry>,
    /// True when the hash chain verifies.
    pub verified: bool,
}
