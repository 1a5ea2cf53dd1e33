//! The `cordon` binary's library: everything an operator touches.
//!
//! Modules:
//! - [`cli`]: the command line (clap) and its dispatch.
//! - [`server`]: `cordon run`, one node: consensus, roster loading, HTTP API, signals.
//! - [`api`]: the HTTP JSON API served by every node.
//! - [`api_tls`]: the API's HTTPS certificate (reloaded on rotation) and the clients' CA.
//! - [`wire`]: ledger records into the API's wire types (the `cordon-api` crate in `api/`).
//! - [`console`]: the operators' web console (embedded static page) served at `/console/`.
//! - [`client`]: an HTTP client that fails over between nodes and retries safely.
//! - [`ctl`]: `cordon ctl`, operator requests over QUIC with the operator certificate.
//! - [`local_cluster`]: a local cluster of `cordon run` child processes, and
//!   how they are signalled.
//! - [`drill_control`]: the drill control server that kills, pauses, resumes and
//!   restarts a local cluster's nodes.
//! - [`demo`]: `cordon demo`, a local cluster with its drill control and a synthetic feed
//!   (seeded ordinary reports from the `cordon-load` crate in `load/`).
//! - [`bench`](mod@bench): `cordon bench`, committed-report throughput and latency.
//! - [`openapi`]: the OpenAPI document of the HTTP API, kept in step with the router.
//! - [`telemetry`]: tracing subscribers (only this crate installs them).
//! - [`memory`]: gives the memory the node freed back to the operating system.

pub mod api;
pub mod api_tls;
pub mod bench;
pub mod cli;
pub mod client;
pub mod console;
pub mod ctl;
pub mod demo;
pub mod drill_control;
pub mod forecast_cli;
pub mod http_server;
pub mod local_cluster;
pub mod memory;
pub mod openapi;
pub mod replay;
pub mod server;
pub mod telemetry;
pub mod wire;
