//! Set node drained: an operator drains a node (its actors move away and
//! stay away) or lets actors return to it.

use serde::{Deserialize, Serialize};

use crate::ledger::model::{Effect, Rejection};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// Operator: drain a node (its actors move away and stay away) or undrain it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SetNodeDrained {
    /// The node.
    pub node_id: u64,
    /// True to drain, false to let actors return.
    pub drained: bool,
}

impl Rules for SetNodeDrained {
    fn name(&self) -> &'static str {
        "set_node_drained"
    }

    fn proposers(&self) -> Proposers {
        Proposers::SystemOrOperator
    }

    fn check(&self) -> Result<(), Rejection> {
        Ok(())
    }

    fn apply(&self, ledger: &mut Ledger, _step: &Step<'_>) -> Outcome {
        if self.drained {
            ledger.drained_nodes.insert(self.node_id);
        } else {
            ledger.drained_nodes.remove(&self.node_id);
        }
        Ok(Effect::NodeDrained {
            node_id: self.node_id,
            drained: self.drained,
        })
    }
}
