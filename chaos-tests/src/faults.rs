//! One vocabulary of network faults for every layer: the shapes a network
//! can break in ([`NetworkFault`]: isolate, split, bridge, majorities ring,
//! one-way, loss), keyed by node id, turned into changes of directed links
//! by one pure function ([`NetworkFault::links`]) and applied through one
//! small trait ([`Links`]) that each layer's network implements: turmoil's
//! simulated network (L1), the fault-injecting socket's network (L2) and
//! the namespace lab's bridge (L3).
//!
//! A link is directed: `(from, to)` carries what `from` sends to `to`. A
//! partition cuts both directions of every link it crosses; a one-way cut
//! one direction of one link.

use std::fmt;

use cordon_consensus::NodeId;
use serde::Serialize;

/// A directed link: what the first node sends to the second.
pub type Link = (NodeId, NodeId);

/// A network fault between nodes, keyed by node id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum NetworkFault {
    /// The node is cut from every other node (both directions); clients
    /// still reach it.
    Isolate {
        /// The node cut off.
        node: NodeId,
    },
    /// The nodes in `minority` are cut from the rest (both directions);
    /// links within each side stay.
    Split {
        /// The smaller side.
        minority: Vec<NodeId>,
    },
    /// Two halves that cannot talk, and one node that sees both (Jepsen's
    /// bridge): the other nodes in id order, split in the middle.
    Bridge {
        /// The node in the middle.
        bridge: NodeId,
    },
    /// Each node sees only its two neighbours on the ring of the nodes in
    /// id order: every node sees a majority (with five nodes), but no two
    /// majorities are the same.
    MajoritiesRing,
    /// Datagrams from `from` to `to` are lost; the other way works.
    OneWay {
        /// The sender that cannot be heard.
        from: NodeId,
        /// The receiver that cannot hear it.
        to: NodeId,
    },
    /// Every link between nodes drops this share of datagrams at random.
    Lossy {
        /// Percent dropped (100 or more: every datagram).
        percent: u32,
    },
}

/// A network whose directed links between nodes can be cut, restored and
/// made lossy, keyed by node id.
pub trait Links {
    /// Why a change could not be made.
    type Error;

    /// Drops everything `from` sends to `to`.
    fn cut(&self, from: NodeId, to: NodeId) -> Result<(), Self::Error>;

    /// Ends the cut of `from -> to`.
    fn restore(&self, from: NodeId, to: NodeId) -> Result<(), Self::Error>;

    /// Drops `percent` % of what `from` sends to `to` at random (0: none).
    fn set_loss(&self, from: NodeId, to: NodeId, percent: u32) -> Result<(), Self::Error>;

    /// Makes `changes` in order; a network that can make many at once (in
    /// one transaction) overrides this.
    fn apply(&self, changes: &[LinkChange]) -> Result<(), Self::Error> {
        for change in changes {
            match *change {
                LinkChange::Cut(from, to) => self.cut(from, to)?,
                LinkChange::Restore(from, to) => self.restore(from, to)?,
                LinkChange::Loss(from, to, percent) => self.set_loss(from, to, percent)?,
            }
        }
        Ok(())
    }
}

/// One change of one directed link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkChange {
    /// Cut `from -> to`.
    Cut(NodeId, NodeId),
    /// Restore `from -> to`.
    Restore(NodeId, NodeId),
    /// Set the loss of `from -> to`, in percent.
    Loss(NodeId, NodeId, u32),
}

impl NetworkFault {
    /// The directed links among `ids` that the fault acts on: the links it
    /// cuts, or for [`NetworkFault::Lossy`] the links it makes lossy. Pure.
    pub fn links(&self, ids: &[NodeId]) -> Vec<Link> {
        match self {
            NetworkFault::Isolate { node } => both_ways(&across(ids, &[*node])),
            NetworkFault::Split { minority } => both_ways(&across(ids, minority)),
            NetworkFault::Bridge { bridge } => {
                let (left, right) = bridge_sides(ids, *bridge);
                let crossing: Vec<Link> = left
                    .iter()
                    .flat_map(|a| right.iter().map(move |b| (*a, *b)))
                    .collect();
                both_ways(&crossing)
            }
            NetworkFault::MajoritiesRing => both_ways(&ring_non_neighbours(ids)),
            NetworkFault::OneWay { from, to } => vec![(*from, *to)],
            NetworkFault::Lossy { .. } => ids
                .iter()
                .flat_map(|a| ids.iter().filter(move |b| *b != a).map(move |b| (*a, *b)))
                .collect(),
        }
    }

    /// The link changes that inject the fault among `ids`.
    pub fn injection(&self, ids: &[NodeId]) -> Vec<LinkChange> {
        let links = self.links(ids).into_iter();
        match self {
            NetworkFault::Lossy { percent } => links
                .map(|(from, to)| LinkChange::Loss(from, to, *percent))
                .collect(),
            _ => links.map(|(from, to)| LinkChange::Cut(from, to)).collect(),
        }
    }

    /// The link changes that heal the fault among `ids`.
    pub fn healing(&self, ids: &[NodeId]) -> Vec<LinkChange> {
        let links = self.links(ids).into_iter();
        match self {
            NetworkFault::Lossy { .. } => links
                .map(|(from, to)| LinkChange::Loss(from, to, 0))
                .collect(),
            _ => links
                .map(|(from, to)| LinkChange::Restore(from, to))
                .collect(),
        }
    }

    /// Injects the fault among `ids` on `links`.
    pub fn inject<L: Links + ?Sized>(&self, ids: &[NodeId], links: &L) -> Result<(), L::Error> {
        links.apply(&self.injection(ids))
    }

    /// Heals the fault among `ids` on `links`.
    pub fn heal<L: Links + ?Sized>(&self, ids: &[NodeId], links: &L) -> Result<(), L::Error> {
        links.apply(&self.healing(ids))
    }
}

impl fmt::Display for NetworkFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetworkFault::Isolate { node } => write!(f, "isolate node {node}"),
            NetworkFault::Split { minority } => write!(f, "split {minority:?} from the rest"),
            NetworkFault::Bridge { bridge } => write!(f, "bridge through node {bridge}"),
            NetworkFault::MajoritiesRing => write!(f, "majorities ring"),
            NetworkFault::OneWay { from, to } => write!(f, "one-way cut {from} -> {to}"),
            NetworkFault::Lossy { percent } => write!(f, "lossy {percent}%"),
        }
    }
}

/// Pairs with one side in `minority` and the other outside it.
fn across(ids: &[NodeId], minority: &[NodeId]) -> Vec<Link> {
    let mut pairs = Vec::new();
    for a in minority {
        for b in ids.iter().filter(|b| !minority.contains(b)) {
            pairs.push((*a, *b));
        }
    }
    pairs
}

/// Each pair, then each pair reversed.
fn both_ways(pairs: &[Link]) -> Vec<Link> {
    pairs
        .iter()
        .copied()
        .chain(pairs.iter().map(|(a, b)| (*b, *a)))
        .collect()
}

/// The two halves a bridge node joins: the other nodes in id order, split
/// in the middle.
fn bridge_sides(ids: &[NodeId], bridge: NodeId) -> (Vec<NodeId>, Vec<NodeId>) {
    let others: Vec<NodeId> = ids.iter().copied().filter(|id| *id != bridge).collect();
    let (left, right) = others.split_at(others.len() / 2);
    (left.to_vec(), right.to_vec())
}

/// Pairs of nodes that are not neighbours on the ring of `ids` in order.
fn ring_non_neighbours(ids: &[NodeId]) -> Vec<Link> {
    let n = ids.len();
    let mut pairs = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            if j - i != 1 && j - i != n - 1 {
                pairs.push((ids[i], ids[j]));
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIVE: [NodeId; 5] = [1, 2, 3, 4, 5];

    fn sorted(mut links: Vec<Link>) -> Vec<Link> {
        links.sort_unstable();
        links
    }

    #[test]
    fn isolate_and_split_cut_both_ways_across_the_sides() {
        // The isolated node loses every link, both ways; a split keeps the
        // links within each side.
        assert_eq!(
            sorted(NetworkFault::Isolate { node: 2 }.links(&[1, 2, 3])),
            vec![(1, 2), (2, 1), (2, 3), (3, 2)]
        );
        let split = NetworkFault::Split {
            minority: vec![1, 2],
        };
        assert_eq!(
            sorted(split.links(&FIVE)),
            vec![
                (1, 3),
                (1, 4),
                (1, 5),
                (2, 3),
                (2, 4),
                (2, 5),
                (3, 1),
                (3, 2),
                (4, 1),
                (4, 2),
                (5, 1),
                (5, 2)
            ]
        );
    }

    #[test]
    fn a_bridge_joins_two_halves_that_do_not_meet() {
        // Node 3 bridges {1, 2} and {4, 5}: those cannot talk, 3 talks to all.
        assert_eq!(bridge_sides(&FIVE, 3), (vec![1, 2], vec![4, 5]));
        let links = sorted(NetworkFault::Bridge { bridge: 3 }.links(&FIVE));
        assert_eq!(
            links,
            vec![
                (1, 4),
                (1, 5),
                (2, 4),
                (2, 5),
                (4, 1),
                (4, 2),
                (5, 1),
                (5, 2)
            ]
        );
        assert!(links.iter().all(|(a, b)| *a != 3 && *b != 3));
    }

    #[test]
    fn a_majorities_ring_keeps_only_ring_neighbours() {
        // Five nodes: each keeps its two neighbours and itself, a majority,
        // and no two nodes keep the same majority.
        let cut = NetworkFault::MajoritiesRing.links(&FIVE);
        assert_eq!(
            sorted(cut.clone()),
            sorted(both_ways(&[(1, 3), (1, 4), (2, 4), (2, 5), (3, 5)]))
        );
        let mut seen = Vec::new();
        for node in FIVE {
            let sees: Vec<NodeId> = FIVE
                .into_iter()
                .filter(|other| !cut.contains(&(node, *other)))
                .collect();
            assert_eq!(sees.len(), 3, "node {node} sees {sees:?}");
            assert!(!seen.contains(&sees));
            seen.push(sees);
        }
        // Three nodes are all neighbours: nothing to cut.
        assert!(NetworkFault::MajoritiesRing.links(&[1, 2, 3]).is_empty());
    }

    #[test]
    fn one_way_cuts_one_direction_and_loss_touches_every_link() {
        assert_eq!(
            NetworkFault::OneWay { from: 1, to: 3 }.links(&[1, 2, 3]),
            vec![(1, 3)]
        );
        let lossy = NetworkFault::Lossy { percent: 20 };
        assert_eq!(lossy.links(&[1, 2, 3]).len(), 6);
        assert!(lossy
            .injection(&[1, 2, 3])
            .iter()
            .all(|change| matches!(change, LinkChange::Loss(a, b, 20) if a != b)));
        assert!(lossy
            .healing(&[1, 2, 3])
            .iter()
            .all(|change| matches!(change, LinkChange::Loss(_, _, 0))));
    }

    #[test]
    fn healing_restores_exactly_what_injection_cut() {
        for fault in [
            NetworkFault::Isolate { node: 1 },
            NetworkFault::Bridge { bridge: 3 },
            NetworkFault::MajoritiesRing,
            NetworkFault::OneWay { from: 2, to: 4 },
        ] {
            let cut: Vec<Link> = fault
                .injection(&FIVE)
                .into_iter()
                .map(|change| match change {
                    LinkChange::Cut(a, b) => (a, b),
                    other => panic!("{fault}: {other:?}"),
                })
                .collect();
            let restored: Vec<Link> = fault
                .healing(&FIVE)
                .into_iter()
                .map(|change| match change {
                    LinkChange::Restore(a, b) => (a, b),
                    other => panic!("{fault}: {other:?}"),
                })
                .collect();
            assert_eq!(cut, restored, "{fault}");
        }
    }
}
