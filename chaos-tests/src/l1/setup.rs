//! The simulated cluster's file, addresses and seeds: `nodes` voters and
//! spares at `192.168.0.<id>`, each node's fixed election timeout, each
//! QUIC endpoint's seed.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use cordon_config::{ActorTiming, ClusterConfig, Limits, RaftTiming};
use cordon_consensus::node::Clock;
use cordon_consensus::NodeId;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use super::{
    SimError, API_PORT, CLIENT_HOST, CLUSTER_NAME, ELECTION_SLOT_MS, ELECTION_TIMEOUT_MS_MIN,
    PLAN_AUTO_APPROVE_MS, QUIC_PORT, SIM_EPOCH_MS,
};

/// The cluster file of a simulated run: `nodes` voters and `spares`
/// non-voters (for churn to add) at `192.168.0.<id>`, the in-process
/// scenarios' short Raft timing.
pub(super) fn cluster_config(
    dir: &std::path::Path,
    nodes: usize,
    spares: usize,
) -> Result<ClusterConfig, SimError> {
    let setup = |e: cordon_config::ConfigError| SimError::Setup(e.to_string());
    // Distinct ports only to get past the check for 127.0.0.1; every node
    // then gets its own address and the same ports.
    let ports: Vec<(u16, u16)> = (0..(nodes + spares) as u16)
        .map(|index| (QUIC_PORT + index, API_PORT + index))
        .collect();
    let mut file = ClusterConfig::local(CLUSTER_NAME, dir, &ports)
        .map_err(setup)?
        .file()
        .clone();
    for spec in &mut file.nodes {
        spec.quic_addr = SocketAddr::new(host_ip(spec.id), QUIC_PORT);
        spec.api_addr = SocketAddr::new(host_ip(spec.id), API_PORT);
        spec.voter = spec.id <= nodes as NodeId;
    }
    file.raft = RaftTiming {
        heartbeat_interval_ms: 50,
        election_timeout_ms_min: ELECTION_TIMEOUT_MS_MIN,
        election_timeout_ms_max: ELECTION_TIMEOUT_MS_MIN * 2,
        ..RaftTiming::default()
    };
    file.actors = ActorTiming {
        plan_auto_approve_ms: PLAN_AUTO_APPROVE_MS,
        ..ActorTiming::default()
    };
    file.limits = Limits {
        rpc_timeout_ms: 500,
        client_write_timeout_ms: 1_500,
        ..Limits::default()
    };
    ClusterConfig::from_file(file, dir).map_err(setup)
}

/// The simulated clock in Unix milliseconds: [`SIM_EPOCH_MS`] plus the
/// simulated time elapsed, the same on every host.
pub(super) fn sim_clock() -> Clock {
    std::sync::Arc::new(sim_now_ms)
}

/// Unix milliseconds by the simulated clock.
pub(super) fn sim_now_ms() -> u64 {
    let elapsed = turmoil::sim_elapsed().unwrap_or_default();
    SIM_EPOCH_MS + elapsed.as_millis() as u64
}

/// Each node's fixed election timeout: distinct slots drawn from the seed,
/// [`ELECTION_SLOT_MS`] apart, from [`ELECTION_TIMEOUT_MS_MIN`] up.
pub(super) fn election_timeouts(seed: u64, ids: &[NodeId]) -> BTreeMap<NodeId, u64> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0xe1ec);
    let mut slots: Vec<u64> = (0..ids.len() as u64 * 2).collect();
    slots.shuffle(&mut rng);
    ids.iter()
        .zip(slots)
        .map(|(id, slot)| {
            let jitter = rng.random_range(0..ELECTION_SLOT_MS / 4);
            (
                *id,
                ELECTION_TIMEOUT_MS_MIN + slot * ELECTION_SLOT_MS + jitter,
            )
        })
        .collect()
}

/// The QUIC endpoint seed of `node`'s `incarnation`-th start (node 0 is
/// the clients' host).
pub(super) fn endpoint_seed(seed: u64, node: NodeId, incarnation: u64) -> [u8; 32] {
    let mut rng = StdRng::seed_from_u64(seed ^ (node << 32) ^ incarnation);
    rng.random()
}

pub(super) fn host_ip(id: NodeId) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 168, 0, id as u8))
}

pub(super) fn client_ip() -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 168, 0, CLIENT_HOST))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn election_timeouts_are_distinct_and_fixed_by_the_seed() {
        // Distinct per node so no two nodes campaign together; same per seed.
        let ids = [1, 2, 3, 4, 5];
        let first = election_timeouts(9, &ids);
        assert_eq!(first, election_timeouts(9, &ids));
        let mut values: Vec<u64> = first.values().copied().collect();
        values.sort_unstable();
        values.dedup();
        assert_eq!(values.len(), 5);
        assert!(values.iter().all(|ms| *ms >= ELECTION_TIMEOUT_MS_MIN));
    }
}
