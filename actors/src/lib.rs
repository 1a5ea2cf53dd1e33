//! Cordon's supervised actors: hub, stations, rings, special-ops units,
//! placement, messaging and dispatch planning.
//!
//! This crate sits between the consensus layer and the node binary: actors
//! propose commands to the ledger through `cordon_consensus::ConsensusNode`
//! and never touch QUIC or storage directly. The actors themselves arrive
//! with the actors-and-dispatch work; today the crate holds the roster
//! bridge that turns the district model into the ledger's units.

pub mod planning;
pub mod roster;
