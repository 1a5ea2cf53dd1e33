//! The catalogue of Cordon's named invariants.
//!
//! Each invariant has one stable code (`INV-ACK-1`) that appears in checker
//! reports (`cordon-chaos` re-exports this module) and in the ledger's
//! rejections ([`crate::ledger::Rejection::invariant`]), so a drill report
//! and a node's answer name a broken rule the same way: asserted twice, once
//! where it is kept and once where it is observed.

use std::fmt;

/// A named rule that Cordon must keep whatever the faults.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Invariant {
    /// Every acknowledged incident is present, once and with its
    /// acknowledged id, on every node.
    AckedIncidentPresent,
    /// No unit is assigned to two open incidents at any log index.
    UnitAssignedOnce,
    /// A request id takes effect once, however often it is retried.
    RequestAppliedOnce,
    /// Each (actor, epoch) executes on one node only.
    EpochSingleNode,
    /// An actor's epochs never fall in log order.
    EpochsRise,
    /// After the faults heal, a leader is elected, a fresh write commits and
    /// every actor is placed, each within the stated bound.
    LivenessAfterHeal,
    /// No node panics.
    NoPanic,
    /// Per-key client operations are linearizable.
    Linearizable,
    /// Every acknowledged incident gets a unit, an escalation or an
    /// unresourced mark; nothing waits silently.
    IncidentAttended,
    /// Every committed message is handled or dismissed within a bound,
    /// across actor moves, restarts and failovers.
    MessageHandled,
    /// Incident and unit statuses follow their transition tables.
    StatusesFollowTables,
    /// The on-scene target and deadline follow the ring currently
    /// responsible.
    TargetFollowsRing,
}

impl Invariant {
    /// Every invariant, in catalogue order.
    pub const ALL: [Invariant; 12] = [
        Invariant::AckedIncidentPresent,
        Invariant::UnitAssignedOnce,
        Invariant::RequestAppliedOnce,
        Invariant::EpochSingleNode,
        Invariant::EpochsRise,
        Invariant::LivenessAfterHeal,
        Invariant::NoPanic,
        Invariant::Linearizable,
        Invariant::IncidentAttended,
        Invariant::MessageHandled,
        Invariant::StatusesFollowTables,
        Invariant::TargetFollowsRing,
    ];

    /// The stable code used in reports and logs; never reuse or renumber one.
    pub const fn code(self) -> &'static str {
        match self {
            Invariant::AckedIncidentPresent => "INV-ACK-1",
            Invariant::UnitAssignedOnce => "INV-UNIT-1",
            Invariant::RequestAppliedOnce => "INV-REQ-1",
            Invariant::EpochSingleNode => "INV-EPOCH-1",
            Invariant::EpochsRise => "INV-EPOCH-2",
            Invariant::LivenessAfterHeal => "INV-LIVE-1",
            Invariant::NoPanic => "INV-PANIC-1",
            Invariant::Linearizable => "INV-LIN-1",
            Invariant::IncidentAttended => "INV-DISP-1",
            Invariant::MessageHandled => "INV-DISP-2",
            Invariant::StatusesFollowTables => "INV-DISP-3",
            Invariant::TargetFollowsRing => "INV-DISP-4",
        }
    }

    /// A one-line statement of the rule.
    pub const fn description(self) -> &'static str {
        match self {
            Invariant::AckedIncidentPresent => {
                "every acknowledged incident is present once, with its acknowledged id, on every node"
            }
            Invariant::UnitAssignedOnce => {
                "no unit is assigned to two open incidents at any log index"
            }
            Invariant::RequestAppliedOnce => {
                "a request id takes effect once, however often it is retried"
            }
            Invariant::EpochSingleNode => "each actor epoch executes on one node only",
            Invariant::EpochsRise => "an actor's epochs never fall in log order",
            Invariant::LivenessAfterHeal => {
                "after healing, a leader, a fresh write and every actor's placement arrive within the bound"
            }
            Invariant::NoPanic => "no node panics",
            Invariant::Linearizable => "per-unit and per-incident operations are linearizable",
            Invariant::IncidentAttended => {
                "every acknowledged incident gets a unit, an escalation or an unresourced mark; nothing waits silently"
            }
            Invariant::MessageHandled => {
                "every committed message is handled or dismissed within the bound, across moves, restarts and failovers"
            }
            Invariant::StatusesFollowTables => {
                "incident and unit statuses follow their transition tables"
            }
            Invariant::TargetFollowsRing => {
                "the on-scene target and deadline follow the ring currently responsible"
            }
        }
    }

    /// The invariant with this code, if any.
    pub fn from_code(code: &str) -> Option<Invariant> {
        Invariant::ALL
            .into_iter()
            .find(|invariant| invariant.code() == code)
    }
}

impl fmt::Display for Invariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Codes identify invariants across reports and releases, so they must be
    // unique and must round-trip.
    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut codes: Vec<&str> = Invariant::ALL.iter().map(|i| i.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Invariant::ALL.len());

        for invariant in Invariant::ALL {
            assert_eq!(Invariant::from_code(invariant.code()), Some(invariant));
            assert!(!invariant.description().is_empty());
        }
        assert_eq!(Invariant::from_code("INV-NOPE-1"), None);
    }
}
