//! Actions on who may do what: bearer tokens issued and revoked by an
//! operator, and the operator's own actions outside the ledger (membership
//! changes, drills) recorded in the operator audit log.

mod issue_token;
mod record_operator_action;
mod revoke_token;

pub use issue_token::IssueToken;
pub use record_operator_action::RecordOperatorAction;
pub use revoke_token::RevokeToken;
