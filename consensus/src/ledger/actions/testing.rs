//! What the actions' tests share: applying one command and reading its
//! refusal, and an API client with given roles.

use crate::ledger::access::{Credential, Principal, Role};
use crate::ledger::model::{Effect, Rejection};
use crate::ledger::{Action, Command, Ledger, Origin, RequestId};

/// Applies `action` from `origin` at `at_ms` as log entry `index`; its effect.
pub(crate) fn apply(
    ledger: &mut Ledger,
    index: u64,
    at_ms: u64,
    origin: Origin,
    action: Action,
) -> Effect {
    let command = Command::new(RequestId(format!("req-{index}")), at_ms, origin, action);
    ledger.apply(index, &command).effect
}

/// The rejection of a refused command.
pub(crate) fn rejection(effect: Effect) -> Rejection {
    match effect {
        Effect::Rejected { rejection } => rejection,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

/// An API client holding `roles`, proven by a certificate.
pub(crate) fn client(roles: Vec<Role>) -> Origin {
    Origin::Api {
        node: 1,
        client: "10.0.0.7:5000".into(),
        principal: Principal {
            name: "someone".into(),
            roles,
            credential: Credential::Certificate {
                fingerprint: "ab".repeat(32),
            },
        },
    }
}
