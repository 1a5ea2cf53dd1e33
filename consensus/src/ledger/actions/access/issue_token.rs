//! Issue token: an operator adds a bearer token (its secret's hash, never
//! the secret) naming a principal and its roles, until an expiry.

use serde::{Deserialize, Serialize};

use super::check_token_id;
use crate::ledger::access::{name_is_valid, Role, PRINCIPAL_ROLES_MAX};
use crate::ledger::command::out_of_range;
use crate::ledger::model::{Effect, Rejection};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::tokens::{sha256_hex_is_valid, Token, TOKENS_LIVE_MAX, TOKEN_LIFETIME_DAYS_MAX};
use crate::ledger::{actions::Rules, Ledger};

const DAY_MS: u64 = 86_400_000;

/// Operator: add a bearer token for a principal with roles, until `expires_at_ms`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IssueToken {
    /// The token's id (16 hex digits, chosen by the issuer).
    pub token_id: String,
    /// The principal it names.
    pub principal: String,
    /// The roles it grants.
    pub roles: Vec<Role>,
    /// SHA-256 of its secret, hex.
    pub secret_sha256: String,
    /// When it stops working, Unix ms.
    pub expires_at_ms: u64,
}

impl Rules for IssueToken {
    fn name(&self) -> &'static str {
        "issue_token"
    }

    fn proposers(&self) -> Proposers {
        Proposers::Operator
    }

    fn check(&self) -> Result<(), Rejection> {
        check_token_id(&self.token_id)?;
        if !name_is_valid(&self.principal) {
            return Err(out_of_range(
                "principal",
                format!("{:?}", self.principal),
                "1-64 characters of A-Z, a-z, 0-9, '-', '_', '.', '@'",
            ));
        }
        if self.roles.is_empty() || self.roles.len() > PRINCIPAL_ROLES_MAX {
            return Err(out_of_range("roles", self.roles.len(), "1 to 8 roles"));
        }
        if !sha256_hex_is_valid(&self.secret_sha256) {
            return Err(out_of_range(
                "secret_sha256",
                "(not shown)",
                "64 lowercase hex digits",
            ));
        }
        Ok(())
    }

    fn apply(&self, ledger: &mut Ledger, step: &Step<'_>) -> Outcome {
        let now = step.at_ms();
        let lifetime_ms_max = TOKEN_LIFETIME_DAYS_MAX * DAY_MS;
        if self.expires_at_ms <= now || self.expires_at_ms - now > lifetime_ms_max {
            return Err(out_of_range(
                "expires_at_ms",
                self.expires_at_ms,
                "after the time of issue and at most 400 days after it",
            ));
        }
        if ledger.tokens.contains_key(&self.token_id) {
            return Err(out_of_range(
                "token_id",
                &self.token_id,
                "an id not used before",
            ));
        }
        let live = ledger.tokens.values().filter(|t| t.is_live_at(now)).count();
        if live >= TOKENS_LIVE_MAX {
            return Err(out_of_range(
                "tokens",
                live,
                "at most 10000 live tokens: revoke unused ones first",
            ));
        }
        ledger.tokens.insert(
            self.token_id.clone(),
            Token {
                id: self.token_id.clone(),
                principal: self.principal.clone(),
                roles: self.roles.clone(),
                secret_sha256: self.secret_sha256.clone(),
                issued_by: step.command.origin.to_string(),
                issued_at_ms: now,
                expires_at_ms: self.expires_at_ms,
                revoked_at_ms: None,
            },
        );
        Ok(Effect::TokenIssued {
            token_id: self.token_id.clone(),
        })
    }
}
