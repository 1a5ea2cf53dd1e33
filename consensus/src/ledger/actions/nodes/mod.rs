//! Actions on cluster nodes as the ledger sees them: node ids retired for
//! good, nodes an operator drained of actors, and the bench's neutral notes.

mod bench_note;
mod retire_node_id;
mod set_node_drained;

pub use bench_note::{BenchNote, BENCH_NOTE_BYTES_MAX};
pub use retire_node_id::RetireNodeId;
pub use set_node_drained::SetNodeDrained;
