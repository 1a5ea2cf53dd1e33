//! Actions on cluster nodes as the ledger sees them: node ids retired for
//! good, and nodes an operator drained of actors.

mod retire_node_id;
mod set_node_drained;

pub use retire_node_id::RetireNodeId;
pub use set_node_drained::SetNodeDrained;
