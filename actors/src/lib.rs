//! Cordon's supervised actors: hub, stations, rings, special-ops units,
//! placement, messaging and dispatch planning.
//!
//! Each node runs one [`supervisor::NodeSupervisor`] (ractor) that starts
//! exactly the actors the ledger places on the node, restarts a crashed one
//! within a budget and stops those moved away. The leader's
//! [`placement`] controller decides where actors run from heartbeat replies
//! and writes placements with rising epochs; the ledger rejects anything an
//! actor proposes under a stale epoch (fencing).
//!
//! Messaging: a message that must not be lost (triage, dispatch, mutual aid,
//! escalation, assignment) is committed to the ledger as a pending message
//! of its addressee first; every node applies the log, so the message is
//! delivered to whichever node hosts the addressee, which reads it from its
//! own ledger and handles it with a command that consumes it. Delivery may
//! repeat; effects happen once (request ids, unit versions).
//!
//! Modules:
//! - [`actor`]: the one actor shape every kind shares (the ledger-backed
//!   queue); [`role`]: the kind, chosen once from the actor's id; [`hub`],
//!   [`station`], [`ring`], [`special_ops`]: what each kind does;
//!   [`respond`]: the dispatch step stations and rings share;
//!   [`move_up_round`]: rings 3 and 4 proposing move-ups.
//! - [`supervisor`], [`runtime`], [`placement`], [`context`]: supervision,
//!   the node's runtime, placement and fencing, the node context (what every actor on a node uses).
//! - [`planning`]: dispatch planning as pure functions; [`view`]: the
//!   adapter from ledger records to planning inputs; [`roster`]: district
//!   units into the ledger; [`waiting`]: who waits for a unit of which
//!   ring, and the wake when one frees.
//!
//! Invariant: actors never touch quinn or redb; they act only through the
//! consensus node.

pub mod actor;
pub mod bounds;
pub mod context;
pub mod crowd;
pub mod forecaster;
pub(crate) mod health;
pub mod hub;
pub mod move_up_round;
pub mod placement;
pub mod planning;
pub mod respond;
pub mod ring;
pub mod role;
pub mod roster;
pub mod runtime;
pub mod special_ops;
pub mod station;
pub mod supervisor;
pub mod view;
pub mod waiting;
