//! Retire node id: a node id leaves the cluster for good, recorded before
//! its removal from the membership so the id is never given to another node.

use serde::{Deserialize, Serialize};

use crate::ledger::model::{Effect, Rejection};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// Record that a node id leaves the cluster for good, before its removal
/// from the membership, so the id is never given to another node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RetireNodeId {
    /// The node id.
    pub node_id: u64,
}

impl Rules for RetireNodeId {
    fn name(&self) -> &'static str {
        "retire_node_id"
    }

    fn proposers(&self) -> Proposers {
        Proposers::SystemOrOperator
    }

    fn check(&self) -> Result<(), Rejection> {
        Ok(())
    }

    fn apply(&self, ledger: &mut Ledger, _step: &Step<'_>) -> Outcome {
        ledger.retired_node_ids.insert(self.node_id);
        Ok(Effect::NodeIdRetired {
            node_id: self.node_id,
        })
    }
}
