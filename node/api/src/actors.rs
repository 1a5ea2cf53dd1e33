//! Actors: `GET /v1/actors` (every placement with its supervisor's report)
//! and `GET /v1/actors/local` (what this node's supervisor runs).

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Query of `GET /v1/actors`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ActorsQuery {
    /// `false`: placements from the ledger only, without asking each node's
    /// supervisors (no wait on an unreachable node; `status` is `unknown`).
    /// Default `true`.
    pub supervisors: Option<bool>,
}

/// `GET /v1/actors`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ActorList {
    /// Every placed actor.
    pub actors: Vec<Actor>,
}

/// One actor: where the ledger places it and how it is doing there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Actor {
    /// The actor, e.g. `station:bund`, `ring:4`, `hub`.
    pub actor: String,
    /// The node the ledger places it on.
    pub node: u64,
    /// Its placement epoch.
    pub epoch: u64,
    /// Messages pending for it in the ledger.
    pub pending: u64,
    /// `running` or `failed` as its supervisor reports, or `unknown` when
    /// its node did not answer.
    pub status: String,
    /// Restarts since it was placed there.
    pub restarts: u32,
    /// Who supervises it: `node` or an actor id.
    pub supervisor: Option<String>,
    /// Its last failure.
    pub last_failure: Option<String>,
    /// The epoch its supervisor runs it under.
    pub supervisor_epoch: Option<u64>,
    /// The actor's own view, when it answered.
    pub state: Option<ActorState>,
    /// Its newest failure past the restart budget, from the ledger: the
    /// node it failed on was given up and the actor placed again (the
    /// alert an operator follows up).
    pub failed_past_budget: Option<ActorFailure>,
}

/// An actor's failure past its restart budget, as the ledger records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ActorFailure {
    /// The node it failed on.
    pub node: u64,
    /// The placement epoch it failed under.
    pub epoch: u64,
    /// Restarts it had on that node before its supervisor gave up.
    pub restarts: u32,
    /// The last failure, in words.
    pub reason: String,
    /// When its supervisor gave up, Unix ms.
    pub at_ms: u64,
    /// The log index of the record.
    pub log_index: u64,
}

/// `GET /v1/actors/local`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LocalActors {
    /// This node.
    pub node: u64,
    /// What its supervisors report.
    pub actors: Vec<SupervisedActor>,
}

/// A supervised actor as its supervisor and the actor see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SupervisedActor {
    /// The actor.
    pub actor: String,
    /// The node it runs on.
    pub node: u64,
    /// The epoch it runs (or ran) under.
    pub epoch: u64,
    /// `running` or `failed` (past its restart budget).
    pub status: String,
    /// Restarts since it was placed here.
    pub restarts: u32,
    /// The last failure.
    pub last_failure: Option<String>,
    /// Who supervises it: `node` or an actor id.
    pub supervisor: String,
    /// The actor's own view, when it answered.
    pub state: Option<ActorState>,
}

/// What an actor shows about itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ActorState {
    /// The actor.
    pub actor: String,
    /// The epoch it runs under.
    pub epoch: u64,
    /// Pending messages handled by this incarnation.
    pub handled: u64,
    /// Proposals the ledger rejected.
    pub rejected: u64,
    /// True once the ledger refused its epoch; it no longer acts.
    pub fenced: bool,
    /// The last error, if any.
    pub last_error: Option<String>,
    /// The actors it supervises (ring 4: the special-ops teams).
    #[schema(no_recursion)]
    pub children: Vec<SupervisedActor>,
}
