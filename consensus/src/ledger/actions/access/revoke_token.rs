//! Revoke token: an operator ends a token everywhere; every command applied
//! after this one that names it is refused.

use serde::{Deserialize, Serialize};

use super::check_token_id;
use crate::ledger::command::{check_text, out_of_range};
use crate::ledger::model::{Effect, Rejection};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// Operator: end a token now, cluster-wide.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RevokeToken {
    /// The token's id.
    pub token_id: String,
    /// Why, in words.
    pub reason: String,
}

impl Rules for RevokeToken {
    fn name(&self) -> &'static str {
        "revoke_token"
    }

    fn proposers(&self) -> Proposers {
        Proposers::Operator
    }

    fn check(&self) -> Result<(), Rejection> {
        check_token_id(&self.token_id)?;
        check_text("reason", &self.reason)
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        let Some(token) = ledger.tokens.get_mut(&self.token_id) else {
            return Err(out_of_range(
                "token_id",
                &self.token_id,
                "the id of an issued token (see `cordon token list`)",
            ));
        };
        if token.revoked_at_ms.is_none() {
            token.revoked_at_ms = Some(step.at_ms());
        }
        Ok(Effect::TokenRevoked {
            token_id: self.token_id.clone(),
        })
    }
}
