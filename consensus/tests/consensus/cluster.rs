//! A 3-node cluster in one process over real QUIC and real redb files:
//! election, commits through any node, linearizable reads, restart recovery.

use std::sync::Arc;
use std::time::Duration;

use cordon_config::cluster::free_local_ports;
use cordon_config::ClusterConfig;
use cordon_consensus::ledger::{
    Action, Channel, Command, Effect, IncidentKind, NewIncident, Origin, Position, RequestId,
};
use cordon_consensus::tls::generate_cluster_certs;
use cordon_consensus::{ConsensusNode, NodeOptions};

pub struct LocalCluster {
    pub _dir: tempfile::TempDir,
    pub config: ClusterConfig,
    pub nodes: Vec<Option<Arc<ConsensusNode>>>,
}

impl LocalCluster {
    pub async fn start(size: usize) -> LocalCluster {
        let dir = tempfile::tempdir().unwrap();
        let config =
            ClusterConfig::local("test", dir.path(), &free_local_ports(size).unwrap()).unwrap();
        let ids: Vec<u64> = config.nodes().iter().map(|n| n.id).collect();
        generate_cluster_certs(
            "test",
            &ids,
            &config.tls().cert_dir,
            Duration::from_secs(86_400),
        )
        .unwrap();
        let mut nodes = Vec::new();
        for id in &ids {
            nodes.push(Some(
                ConsensusNode::start(&config, *id, NodeOptions::default())
                    .await
                    .unwrap(),
            ));
        }
        LocalCluster {
            _dir: dir,
            config,
            nodes,
        }
    }

    pub fn node(&self, index: usize) -> &Arc<ConsensusNode> {
        self.nodes[index].as_ref().expect("node is running")
    }

    pub async fn wait_for_leader(&self, index: usize) -> u64 {
        let metrics = self
            .node(index)
            .raft()
            .wait(Some(Duration::from_secs(10)))
            .metrics(|m| m.current_leader.is_some(), "a leader")
            .await
            .expect("a leader within 10 s");
        metrics.current_leader.unwrap()
    }
}

pub fn report(request: &str) -> Command {
    Command {
        request_id: RequestId(request.into()),
        proposed_at_ms: 1_700_000_000_000,
        origin: Origin::Operator,
        action: Action::ReportIncident(NewIncident {
            kind: IncidentKind::Theft,
            priority: 4,
            force_level: 2,
            location: Position::from_degrees(31.2394, 121.4760).unwrap(),
            channel: Channel::EmergencyCall,
            description: String::new(),
        }),
        consumes: Vec::new(),
        traceparent: None,
    }
}

/// `report(request)` proposed by node `node` itself (a member forwards
/// writes only in its own name).
pub fn report_by(node: u64, request: &str) -> Command {
    Command {
        origin: Origin::System { node },
        ..report(request)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_commit_through_any_node_and_recover_after_restart() {
    // Phase 1: three nodes elect a leader.
    let mut cluster = LocalCluster::start(3).await;
    let leader = cluster.wait_for_leader(0).await;
    let follower_index = (0..3).find(|i| cluster.node(*i).id() != leader).unwrap();

    // Phase 2: writes through a follower (in its own name) are forwarded;
    // a retry is deduplicated.
    let follower = cluster.node(follower_index);
    let first = follower
        .write(report_by(follower.id(), "r-1"))
        .await
        .unwrap();
    let again = follower
        .write(report_by(follower.id(), "r-1"))
        .await
        .unwrap();
    assert!(matches!(first.effect, Effect::IncidentReported { .. }));
    assert_eq!(first.effect, again.effect);
    assert!(again.deduplicated);
    for i in 2..=20 {
        let node = cluster.node(i % 3);
        node.write(report_by(node.id(), &format!("r-{i}")))
            .await
            .unwrap();
    }

    // Phase 3: after a read barrier every node sees all 20 incidents.
    for index in 0..3 {
        cluster.node(index).read_barrier().await.unwrap();
        assert_eq!(
            cluster.node(index).ledger().read().ledger.incident_count(),
            20
        );
    }
    let status = cluster.node(0).status();
    assert_eq!(status.members.len(), 3);

    // Phase 4: stop a follower, write more, restart it from its files; it catches up.
    let stopped = cluster.nodes[follower_index].take().unwrap();
    let stopped_id = stopped.id();
    stopped.shutdown().await;
    drop(stopped);
    let writer = (0..3).find(|i| cluster.nodes[*i].is_some()).unwrap();
    for i in 21..=30 {
        let node = cluster.node(writer);
        node.write(report_by(node.id(), &format!("r-{i}")))
            .await
            .unwrap();
    }
    let restarted = ConsensusNode::start(&cluster.config, stopped_id, NodeOptions::default())
        .await
        .unwrap();
    cluster.nodes[follower_index] = Some(restarted);
    cluster.node(follower_index).read_barrier().await.unwrap();
    assert_eq!(
        cluster
            .node(follower_index)
            .ledger()
            .read()
            .ledger
            .incident_count(),
        30
    );

    for node in cluster.nodes.iter().flatten() {
        node.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_that_arrive_together_share_entries_and_keep_their_own_answers() {
    // Phase 1: three nodes elect a leader; note where its log stands.
    let cluster = LocalCluster::start(3).await;
    let leader_id = cluster.wait_for_leader(0).await;
    let leader = (0..3)
        .map(|i| cluster.node(i).clone())
        .find(|node| node.id() == leader_id)
        .unwrap();
    let index_before = leader.raft().metrics().borrow().last_log_index.unwrap();

    // Phase 2: 200 reports arrive at once; each is answered with its own
    // incident, and entries shared by several carry the same index.
    let mut writes = tokio::task::JoinSet::new();
    for i in 0..200 {
        let leader = leader.clone();
        writes.spawn(async move { leader.write(report_by(leader_id, &format!("t-{i}"))).await });
    }
    let mut incidents = std::collections::BTreeSet::new();
    let mut indexes = std::collections::BTreeSet::new();
    while let Some(answer) = writes.join_next().await {
        let answer = answer.unwrap().expect("every write is committed");
        let Effect::IncidentReported { incident_id } = answer.effect else {
            panic!("not a report: {:?}", answer.effect);
        };
        incidents.insert(incident_id);
        indexes.insert(answer.index);
    }
    assert_eq!(incidents.len(), 200, "one incident per report");
    let entries = leader.raft().metrics().borrow().last_log_index.unwrap() - index_before;
    assert!(
        entries < 200 && indexes.len() < 200,
        "200 writes took {entries} entries ({} distinct indexes): none shared",
        indexes.len()
    );

    // Phase 3: every node applied the same 200 incidents.
    for index in 0..3 {
        cluster.node(index).read_barrier().await.unwrap();
        assert_eq!(
            cluster.node(index).ledger().read().ledger.incident_count(),
            200
        );
    }
}
