//! Set member availability: a member said they can (not) come.

use serde::{Deserialize, Serialize};

use crate::ledger::model::{Effect, Rejection};
use crate::ledger::permission::Proposers;
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// Marks member `member_id` available or not.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SetMemberAvailability {
    /// The member.
    pub member_id: String,
    /// Whether they can come.
    pub available: bool,
}

impl Rules for SetMemberAvailability {
    fn name(&self) -> &'static str {
        "set_member_availability"
    }

    fn proposers(&self) -> Proposers {
        Proposers::OperatorOrClient(crate::ledger::access::Right::ManageRoster)
    }

    fn check(&self) -> Result<(), Rejection> {
        Ok(())
    }

    fn apply(&self, ledger: &mut Ledger, _step: &Step<'_>) -> Outcome {
        let Some(member) = ledger.members.get_mut(&self.member_id) else {
            return Err(crate::ledger::command::out_of_range(
                "member_id",
                &self.member_id,
                "a member on the roster (GET /v1/roster)",
            ));
        };
        member.available = self.available;
        Ok(Effect::MembersLoaded { count: 1 })
    }
}
