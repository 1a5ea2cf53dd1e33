//! openraft's network, over the QUIC [`Transport`]: each Raft RPC is one
//! request on its own stream, with openraft's deadline as ours.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use openraft::error::{
    InstallSnapshotError, NetworkError, PayloadTooLarge, RPCError, RaftError, RemoteError, Timeout,
    Unreachable,
};
use openraft::network::{Backoff, RPCOption, RPCTypes, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};

use crate::transport::{RpcError, Transport};
use crate::types::{NodeAddr, NodeId, TypeConfig};
use crate::wire::{Request, Response};

/// Makes one [`PeerNetwork`] per replication target.
pub struct NetworkFactory {
    /// This node.
    pub node_id: NodeId,
    /// The shared endpoint.
    pub transport: Arc<Transport>,
}

impl RaftNetworkFactory<TypeConfig> for NetworkFactory {
    type Network = PeerNetwork;

    async fn new_client(&mut self, target: NodeId, node: &NodeAddr) -> PeerNetwork {
        PeerNetwork {
            node_id: self.node_id,
            target,
            addr: node.quic_addr.parse().ok(),
            raw_addr: node.quic_addr.clone(),
            transport: self.transport.clone(),
        }
    }
}

/// The Raft RPC client for one peer.
pub struct PeerNetwork {
    node_id: NodeId,
    target: NodeId,
    addr: Option<SocketAddr>,
    raw_addr: String,
    transport: Arc<Transport>,
}

type RpcResult<T, E> = Result<T, RPCError<NodeId, NodeAddr, RaftError<NodeId, E>>>;

impl PeerNetwork {
    async fn send<E: std::error::Error>(
        &self,
        action: RPCTypes,
        request: Request,
        deadline: Duration,
    ) -> Result<Response, RPCError<NodeId, NodeAddr, RaftError<NodeId, E>>> {
        let Some(addr) = self.addr else {
            let error = std::io::Error::other(format!(
                "node-{} has an invalid quic address {:?} in the membership",
                self.target, self.raw_addr
            ));
            return Err(RPCError::Unreachable(Unreachable::new(&error)));
        };
        self.transport
            .call(self.target, addr, request, deadline)
            .await
            .map_err(|error| match error {
                RpcError::Timeout { .. } => RPCError::Timeout(Timeout {
                    action,
                    id: self.node_id,
                    target: self.target,
                    timeout: deadline,
                }),
                RpcError::Unreachable { .. } => RPCError::Unreachable(Unreachable::new(&error)),
                RpcError::Stream { ref reason, .. } if reason.contains("exceeds the limit") => {
                    RPCError::PayloadTooLarge(PayloadTooLarge::new_entries_hint(64))
                }
                _ => RPCError::Network(NetworkError::new(&error)),
            })
    }

    fn unexpected<E: std::error::Error>(
        &self,
        response: Response,
    ) -> RPCError<NodeId, NodeAddr, RaftError<NodeId, E>> {
        let error = std::io::Error::other(format!(
            "node-{} answered with an unexpected {:?}",
            self.target,
            std::mem::discriminant(&response)
        ));
        RPCError::Network(NetworkError::new(&error))
    }

    fn remote<E: std::error::Error>(
        &self,
        error: RaftError<NodeId, E>,
    ) -> RPCError<NodeId, NodeAddr, RaftError<NodeId, E>> {
        RPCError::RemoteError(RemoteError::new(self.target, error))
    }
}

/// The first pause before openraft retries a peer it could not reach, in ms;
/// each further pause doubles, up to [`UNREACHABLE_BACKOFF_MS_MAX`].
const UNREACHABLE_BACKOFF_MS_MIN: u64 = 10;
/// The longest pause between retries of an unreachable peer, in ms.
const UNREACHABLE_BACKOFF_MS_MAX: u64 = 400;

impl RaftNetwork<TypeConfig> for PeerNetwork {
    /// openraft's default waits 500 ms after every failed attempt to reach a
    /// peer: longer than an election timeout, so one redial under load (a
    /// connection closed after missed deadlines) silenced the leader long
    /// enough for the followers to elect another. Here the first retry
    /// comes after 10 ms, doubling to 400 ms for a peer that stays away
    /// (the transport dials one connection per address at a time).
    fn backoff(&self) -> Backoff {
        let pauses = std::iter::successors(Some(UNREACHABLE_BACKOFF_MS_MIN), |ms| {
            Some((ms * 2).min(UNREACHABLE_BACKOFF_MS_MAX))
        })
        .map(Duration::from_millis);
        Backoff::new(pauses)
    }

    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> RpcResult<AppendEntriesResponse<NodeId>, openraft::error::Infallible> {
        let response = self
            .send(
                RPCTypes::AppendEntries,
                Request::AppendEntries(rpc),
                option.hard_ttl(),
            )
            .await?;
        match response {
            Response::AppendEntries(result) => result.map_err(|e| self.remote(e)),
            other => Err(self.unexpected(other)),
        }
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> RpcResult<InstallSnapshotResponse<NodeId>, InstallSnapshotError> {
        let response = self
            .send(
                RPCTypes::InstallSnapshot,
                Request::InstallSnapshot(rpc),
                option.hard_ttl(),
            )
            .await?;
        match response {
            Response::InstallSnapshot(result) => result.map_err(|e| self.remote(e)),
            other => Err(self.unexpected(other)),
        }
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<NodeId>,
        option: RPCOption,
    ) -> RpcResult<VoteResponse<NodeId>, openraft::error::Infallible> {
        let response = self
            .send(RPCTypes::Vote, Request::Vote(rpc), option.hard_ttl())
            .await?;
        match response {
            Response::Vote(result) => result.map_err(|e| self.remote(e)),
            other => Err(self.unexpected(other)),
        }
    }
}
