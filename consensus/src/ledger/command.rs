//! Commands: an action with everything the proposer stamps (request id,
//! time, origin, consumed messages), the stateless checks of the envelope
//! run both before proposing and when applying, and the limits every
//! action's check uses.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::access::Principal;
use super::actions::Action;
use super::ids::{ActorId, RequestId};
use super::model::Rejection;

/// Longest request id accepted.
pub const REQUEST_ID_BYTES_MAX: usize = 128;
/// Longest free-text field (description, reason).
pub const TEXT_BYTES_MAX: usize = 2_000;
/// Highest priority and force level.
pub const SCALE_MAX: u8 = 10;
/// Most units in one mobilisation plan.
pub const PLAN_LINES_MAX: usize = 64;
/// Most cordon points in one plan (the planner draws 4, one per direction
/// of the street grid).
pub const PLAN_CORDON_POINTS_MAX: usize = 16;
/// Most hospitals and safe houses one plan names.
pub const PLAN_FACILITIES_MAX: usize = 16;
/// Most shortfalls in one plan (one per run-card line at most).
pub const PLAN_SHORTFALLS_MAX: usize = 16;
/// Longest id or name of a facility a plan names.
pub const PLAN_FACILITY_TEXT_BYTES_MAX: usize = 200;
/// Most units in one roster load.
pub const ROSTER_UNITS_MAX: usize = 10_000;

/// Who or what proposed a command (the audit trail's "who").
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// A client of the HTTP API, received by this node.
    Api {
        /// The node that received the request.
        node: u64,
        /// The client's address as the node saw it.
        client: String,
        /// Who the client proved to be, with its roles and credential.
        principal: Principal,
    },
    /// An operator using `cordon ctl` with the operator certificate.
    Operator,
    /// The node itself (roster loading, placement by the leader).
    System {
        /// The proposing node.
        node: u64,
    },
    /// An actor, fenced by its placement epoch.
    Actor {
        /// The actor.
        actor: ActorId,
        /// The placement epoch it runs under.
        epoch: u64,
        /// The node it runs on.
        node: u64,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Api {
                node,
                client,
                principal,
            } => write!(f, "{principal} via node-{node} from {client}"),
            Origin::Operator => f.write_str("operator"),
            Origin::System { node } => write!(f, "system@node-{node}"),
            Origin::Actor { actor, epoch, node } => write!(f, "{actor}#{epoch}@node-{node}"),
        }
    }
}

/// One replicated command: the action plus everything the proposer stamps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Command {
    /// Makes the command idempotent.
    pub request_id: RequestId,
    /// Wall-clock time at the proposer, Unix milliseconds.
    pub proposed_at_ms: u64,
    /// Who proposed it.
    pub origin: Origin,
    /// What to do.
    pub action: Action,
    /// Pending messages of the proposing actor that this command handles;
    /// they leave its queue in the same apply, so a message is acted on once.
    pub consumes: Vec<u64>,
    /// The proposer's trace context (W3C `traceparent`); messages this
    /// command enqueues carry it to the actor that handles them. Never read
    /// by the ledger's rules.
    pub traceparent: Option<String>,
}

/// True when `id` is 1 to `bytes_max` characters of A-Z, a-z, 0-9, '-',
/// '_', '.' and ':': the rule for every request id, whoever makes it.
pub fn request_id_is_valid(id: &str, bytes_max: usize) -> bool {
    !id.is_empty()
        && id.len() <= bytes_max
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

impl Command {
    /// A command that handles no pending message.
    pub fn new(
        request_id: RequestId,
        proposed_at_ms: u64,
        origin: Origin,
        action: Action,
    ) -> Command {
        Command {
            request_id,
            proposed_at_ms,
            origin,
            action,
            consumes: Vec::new(),
            traceparent: None,
        }
    }

    /// Checks the rules that need no ledger state. Called before proposing
    /// (to answer bad input at once) and again when applying.
    pub fn check(&self) -> Result<(), Rejection> {
        let id = &self.request_id.0;
        if !request_id_is_valid(id, REQUEST_ID_BYTES_MAX) {
            return Err(Rejection::BadRequestId {
                request_id: id.clone(),
            });
        }
        if !self.consumes.is_empty() && !matches!(self.origin, Origin::Actor { .. }) {
            return Err(out_of_range(
                "consumes",
                format!("{:?}", self.consumes),
                "only actors consume pending messages",
            ));
        }
        self.action.check()
    }
}

/// The rejection of a field out of range, with the fix.
pub(crate) fn out_of_range(field: &str, value: impl fmt::Display, fix: &str) -> Rejection {
    Rejection::OutOfRange {
        field: field.to_string(),
        value: value.to_string(),
        fix: fix.to_string(),
    }
}

/// Refuses a note that is empty (or blank) or longer than [`TEXT_BYTES_MAX`].
pub(crate) fn check_note(field: &str, text: &str) -> Result<(), Rejection> {
    if text.trim().is_empty() {
        return Err(out_of_range(
            field,
            "an empty note",
            "write the note's words",
        ));
    }
    check_text(field, text)
}

/// Refuses free text longer than [`TEXT_BYTES_MAX`].
pub(crate) fn check_text(field: &str, text: &str) -> Result<(), Rejection> {
    if text.len() > TEXT_BYTES_MAX {
        return Err(out_of_range(
            field,
            format!("{} bytes", text.len()),
            "at most 2000 bytes",
        ));
    }
    Ok(())
}
