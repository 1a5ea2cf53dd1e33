//! Who waits for what: actors that left a dispatch waiting because no unit
//! of a ring was available, and the wake when one frees.
//!
//! An actor that leaves a message waiting registers in the node's
//! [`WaitIndex`] under the rings whose units it needs, with the log index
//! of the ledger read that found none. The runtime's unit watcher
//! ([`freed_rings`] on every applied command) tells the index when a unit of
//! a ring frees and wakes exactly the actors registered for it. A wake for
//! new messages does not plan the waiting ones again unless a unit of their
//! rings freed since their last look ([`FreedUnits::since`]): in a
//! surge with hundreds waiting, each new message would otherwise cost a
//! look at all of them. What frees a unit without a ledger event (a shift
//! that starts) is caught by a look at every waiting message every
//! [`crate::actor::WAITING_LOOK_S`]. Registration and wake take one lock,
//! so a unit that frees between an actor's read and its registration is
//! never missed: [`WaitIndex::wait`] says so and the actor looks again.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use cordon_consensus::ledger::{ActorId, Effect, Ledger, Ring};
use cordon_consensus::state_machine::AppliedEvent;

/// Why a message is left waiting and what would end the wait.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wait {
    /// Why no unit can respond, in words (the mark's reason).
    pub reason: String,
    /// The rings a freed unit of which could answer the message.
    pub rings: Vec<Ring>,
    /// The log index of the ledger read that found no unit.
    pub read_index: u64,
}

/// The actors waiting for a unit of each ring. One per node, shared by its
/// actors (who register) and its unit watcher (who wakes them).
#[derive(Debug, Default)]
pub struct WaitIndex {
    inner: Mutex<Waits>,
}

#[derive(Debug, Default)]
struct Waits {
    /// Per ring, the actors to wake when one of its units frees.
    waiters: BTreeMap<Ring, BTreeSet<ActorId>>,
    /// Where each ring's units last freed.
    freed: FreedUnits,
}

/// Per ring, the log index at which a unit of it last freed.
#[derive(Clone, Debug, Default)]
pub struct FreedUnits(BTreeMap<Ring, u64>);

impl FreedUnits {
    /// Whether a unit of one of `wait.rings` freed after the read that
    /// found none: planning the message again may find one.
    pub fn since(&self, wait: &Wait) -> bool {
        wait.rings.iter().any(|ring| {
            self.0
                .get(ring)
                .is_some_and(|freed| *freed > wait.read_index)
        })
    }

    /// Notes that a unit of `ring` freed at log `index`.
    fn note(&mut self, ring: Ring, index: u64) {
        let freed = self.0.entry(ring).or_default();
        *freed = (*freed).max(index);
    }
}

impl WaitIndex {
    /// Registers `actor` to be woken when a unit of one of `wait.rings`
    /// frees. Returns true when one already freed after `wait.read_index`:
    /// the read was stale and the actor should look again.
    pub fn wait(&self, actor: &ActorId, wait: &Wait) -> bool {
        let mut waits = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        for ring in &wait.rings {
            waits
                .waiters
                .entry(*ring)
                .or_default()
                .insert(actor.clone());
        }
        waits.freed.since(wait)
    }

    /// Where each ring's units last freed, as of now.
    pub fn freed(&self) -> FreedUnits {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .freed
            .clone()
    }

    /// Records that units of `rings` freed at log `index` and returns the
    /// actors waiting for them; their registrations are used up (an actor
    /// still waiting after it looked again registers again).
    pub fn units_freed(&self, rings: &[Ring], index: u64) -> BTreeSet<ActorId> {
        let mut waits = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut woken = BTreeSet::new();
        for ring in rings {
            waits.freed.note(*ring, index);
            if let Some(actors) = waits.waiters.remove(ring) {
                woken.extend(actors);
            }
        }
        woken
    }
}

/// The rings of the units an applied command made available: a unit
/// reported available, the units a cancellation released, new units of a
/// roster (any ring). Read from the ledger after the command applied; a unit
/// already taken again frees nothing.
pub fn freed_rings(ledger: &Ledger, event: &AppliedEvent) -> Vec<Ring> {
    let available = |unit_id| {
        ledger
            .unit(unit_id)
            .filter(|unit| unit.is_free())
            .map(|unit| unit.ring)
    };
    let mut rings: Vec<Ring> = match &event.effect {
        Effect::UnitUpdated { unit_id, .. } => available(unit_id).into_iter().collect(),
        Effect::RosterLoaded { added } if *added > 0 => Ring::ALL.to_vec(),
        Effect::IncidentUpdated { incident_id, .. } if event.action == "cancel_incident" => ledger
            .incident(*incident_id)
            .into_iter()
            .flat_map(|incident| &incident.assignments)
            .filter_map(|assignment| available(&assignment.unit_id))
            .collect(),
        _ => Vec::new(),
    };
    rings.sort();
    rings.dedup();
    rings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait(read_index: u64) -> Wait {
        Wait {
            reason: "no ring-4 team available".into(),
            rings: vec![Ring::SpecialPolice],
            read_index,
        }
    }

    #[test]
    fn only_the_actors_waiting_for_a_ring_are_woken_once() {
        // Ring 4's actor waits for ring 4; a freed ring-3 unit wakes nobody,
        // a freed ring-4 unit wakes it once, and a second free finds no one.
        let index = WaitIndex::default();
        let ring_four = ActorId::Ring(Ring::SpecialPolice);
        assert!(!index.wait(&ring_four, &wait(10)));
        assert!(index.units_freed(&[Ring::StreetPatrol], 11).is_empty());
        assert_eq!(
            index.units_freed(&[Ring::SpecialPolice], 12),
            BTreeSet::from([ring_four])
        );
        assert!(index.units_freed(&[Ring::SpecialPolice], 13).is_empty());
    }

    #[test]
    fn a_unit_freed_between_the_read_and_the_registration_is_not_missed() {
        // The actor read the ledger at index 20; a team freed at 21 before it
        // registered: registering says the read was stale.
        let index = WaitIndex::default();
        let ring_four = ActorId::Ring(Ring::SpecialPolice);
        assert!(index.units_freed(&[Ring::SpecialPolice], 21).is_empty());
        assert!(index.wait(&ring_four, &wait(20)));
        assert!(!index.wait(&ring_four, &wait(21)));
    }

    #[test]
    fn a_waiting_message_is_worth_a_look_only_after_a_unit_of_its_rings_freed() {
        // A ring-4 message found nobody at index 30. Units freed before the
        // read, or of another ring, give no reason to plan it again; a
        // ring-4 team freed after it does.
        let index = WaitIndex::default();
        index.units_freed(&[Ring::SpecialPolice], 29);
        index.units_freed(&[Ring::StreetPatrol], 31);
        assert!(!index.freed().since(&wait(30)));
        index.units_freed(&[Ring::SpecialPolice], 32);
        assert!(index.freed().since(&wait(30)));
        assert!(!index.freed().since(&wait(32)));
    }
}
