//! Integration tests of the `cordon` binary with real processes, real QUIC
//! and real redb files: one binary, a module per scenario.

mod access;
mod archive;
mod bad_input;
mod channels;
mod cli_errors;
mod console;
mod crowd;
mod demo;
mod dispatch;
mod district_aid;
mod district_asks;
mod eido;
mod events;
mod forecaster;
mod hand_dispatch;
mod hazards;
mod hospital_rounds;
mod http_limits;
mod https;
mod kill_leader;
mod lifecycle;
mod members;
mod metrics;
mod move_up;
mod operations;
mod plans;
mod positions;
mod public_info;
mod replace;
mod request_ids;
mod roster;
mod safe_house;
mod support;
mod tracing;
mod waiting;
