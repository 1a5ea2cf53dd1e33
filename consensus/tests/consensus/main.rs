//! Integration tests of the consensus crate: one binary, a module per scenario.

mod archive;
mod area;
mod cluster;
mod handshake_flood;
mod import;
mod ledger_properties;
mod log_store;
mod members;
mod plans;
mod public_info;
mod reassign;
mod replay_pin;
mod request_ids;
mod snapshot;
mod storage_suite;
mod transport_identity;
mod triage_batch;
mod unit_alerts;
mod unresourced;
