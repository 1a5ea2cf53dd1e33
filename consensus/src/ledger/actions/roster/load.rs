//! Load members: add or replace members of the community forces, all or
//! none (a roster file's rows in one entry).

use serde::{Deserialize, Serialize};

use crate::ledger::command::out_of_range;
use crate::ledger::ids::Ring;
use crate::ledger::model::{Effect, Rejection};
use crate::ledger::permission::Proposers;
use crate::ledger::roster::{Member, MEMBER_SHIFTS_MAX, MEMBER_SKILLS_MAX};
use crate::ledger::step::{Outcome, Step};
use crate::ledger::{actions::Rules, Ledger};

/// Most members one load carries.
pub const ROSTER_MEMBERS_MAX: usize = 1_000;
/// Longest id, name, area, contact or skill kept.
const MEMBER_TEXT_BYTES_MAX: usize = 200;

/// Members to add, or to replace where the id is known.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadMembers {
    /// The members.
    pub members: Vec<Member>,
}

impl Rules for LoadMembers {
    fn name(&self) -> &'static str {
        "load_members"
    }

    fn proposers(&self) -> Proposers {
        Proposers::OperatorOrClient(crate::ledger::access::Right::ManageRoster)
    }

    fn check(&self) -> Result<(), Rejection> {
        if self.members.is_empty() || self.members.len() > ROSTER_MEMBERS_MAX {
            return Err(out_of_range(
                "members",
                self.members.len(),
                "1 to 1000 members a load",
            ));
        }
        for (i, member) in self.members.iter().enumerate() {
            check_member(&format!("members[{i}]"), member)?;
        }
        if let Some(twice) = self.members.iter().enumerate().find_map(|(i, m)| {
            self.members[..i]
                .iter()
                .any(|earlier| earlier.id == m.id)
                .then_some(i)
        }) {
            return Err(out_of_range(
                &format!("members[{twice}].id"),
                &self.members[twice].id,
                "each member once a load",
            ));
        }
        Ok(())
    }

    fn apply(&self, ledger: &mut Ledger, _step: &Step<'_>) -> Outcome {
        for (i, member) in self.members.iter().enumerate() {
            let Some(team) = &member.team else { continue };
            let ring = ledger.known_unit(team)?.ring;
            if !matches!(ring, Ring::Guardian | Ring::MassPrevention) {
                return Err(out_of_range(
                    &format!("members[{i}].team"),
                    &team.0,
                    "a team of ring 1 or 2 (police units have no roster here)",
                ));
            }
        }
        for member in &self.members {
            ledger.members.insert(member.id.clone(), member.clone());
        }
        Ok(Effect::MembersLoaded {
            count: self.members.len() as u32,
        })
    }
}

/// A member's fields within their bounds.
fn check_member(field: &str, member: &Member) -> Result<(), Rejection> {
    let id_ok = !member.id.is_empty()
        && member.id.len() <= 64
        && member
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !id_ok {
        return Err(out_of_range(
            &format!("{field}.id"),
            &member.id,
            "1-64 of a-z, 0-9, '-', '_', '.'",
        ));
    }
    let texts = [
        ("name", member.name.as_str()),
        ("contact", member.contact.as_str()),
    ];
    for (name, text) in texts
        .into_iter()
        .chain(member.area.as_deref().map(|a| ("area", a)))
    {
        if text.trim().is_empty() && name == "name" || text.len() > MEMBER_TEXT_BYTES_MAX {
            return Err(out_of_range(
                &format!("{field}.{name}"),
                format!("{} bytes", text.len()),
                "1 to 200 bytes",
            ));
        }
    }
    if member.skills.len() > MEMBER_SKILLS_MAX
        || member.skills.iter().any(|s| s.is_empty() || s.len() > 32)
    {
        return Err(out_of_range(
            &format!("{field}.skills"),
            member.skills.len(),
            "at most 16 skills of 1 to 32 bytes",
        ));
    }
    if member.shifts.len() > MEMBER_SHIFTS_MAX || member.shifts.iter().any(|s| !s.is_valid()) {
        return Err(out_of_range(
            &format!("{field}.shifts"),
            member.shifts.len(),
            "at most 14 shifts, each on some days within the day's minutes",
        ));
    }
    Ok(())
}
