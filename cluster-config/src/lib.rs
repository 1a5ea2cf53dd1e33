//! Typed, validated configuration for Cordon.
//!
//! Everything a node reads before it starts lives here, as immutable values
//! that passed validation: the cluster file (nodes, addresses, certificates,
//! Raft timing, limits) and the district model (stations, zones, units, rings,
//! sensitive areas, one-minute points, hospitals, safe houses), with the
//! embedded default district modelled on Huangpu.
//!
//! Modules:
//! - [`cluster`]: the cluster file, its validation and the local-cluster constructor.
//! - [`district`]: the district model, its validation and spatial queries.
//!
//! This crate depends on nothing else of Cordon's and does no IO beyond
//! reading the files it is pointed at.

pub mod bounds;
pub mod cluster;
pub mod district;

pub use cluster::{
    ActorTiming, ClusterConfig, ClusterFile, ConfigError, DispatchPolicy, Limits, MoveUpApproval,
    NeighbourLink, NodeId, NodeRole, NodeSpec, RaftTiming, TlsFiles,
};
pub use district::{District, DistrictError};
