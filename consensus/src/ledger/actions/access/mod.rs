//! Actions on who may do what: bearer tokens issued and revoked by an
//! operator, and the operator's own actions outside the ledger (membership
//! changes, drills) recorded in the operator audit log.

mod issue_token;
mod record_operator_action;
mod revoke_token;

pub use issue_token::IssueToken;
pub use record_operator_action::RecordOperatorAction;
pub use revoke_token::RevokeToken;

use crate::ledger::command::out_of_range;
use crate::ledger::model::Rejection;

/// Refuses a token id that is not 16 lowercase hex digits.
fn check_token_id(id: &str) -> Result<(), Rejection> {
    if crate::ledger::tokens::token_id_is_valid(id) {
        Ok(())
    } else {
        Err(out_of_range("token_id", id, "16 lowercase hex digits"))
    }
}
