//! A route as a crew follows it: the quickest way by the streets from a
//! unit to a scene, as the points to draw and the streets to take in order.
//! The same search as the travel times ([`Travel::by_streets_s`]), walked
//! back from the scene along the edges whose costs add up.

use cordon_config::district::{LatLon, TravelMode};
use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;

use super::{Direction, Snap, Travel};

/// A route on the streets.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteTrace {
    /// Seconds by the streets, walks to and from the kerb included (no turnout).
    pub seconds: u32,
    /// The way, from the start to the scene.
    pub points: Vec<LatLon>,
    /// The streets taken, in order, each once per stretch.
    pub streets: Vec<String>,
}

impl Travel<'_> {
    /// The quickest route by `mode` from `from` to `to` on the streets, or
    /// `None` when the crowds or closures shut every way.
    pub fn trace(&self, from: &LatLon, to: &LatLon, mode: TravelMode) -> Option<RouteTrace> {
        let (start, end) = (self.snap(from, mode)?, self.snap(to, mode)?);
        let seconds = self.by_streets_s(from, to, mode)?;
        if self.along_same_segment(&start, &end, mode).is_some() {
            let street = self.street_of(&start);
            return Some(RouteTrace {
                seconds,
                points: vec![*from, *to],
                streets: vec![street],
            });
        }
        let nodes = self.nodes_between(&start, &end, mode)?;
        let streets = self.router.streets.nodes();
        let mut points = vec![*from];
        points.extend(nodes.iter().map(|node| streets[*node as usize].at));
        points.push(*to);
        let mut names = vec![self.street_of(&start)];
        names.extend(
            nodes
                .windows(2)
                .filter_map(|pair| self.street_between(pair[0], pair[1], mode)),
        );
        names.push(self.street_of(&end));
        names.dedup();
        Some(RouteTrace {
            seconds,
            points,
            streets: names,
        })
    }

    /// The street nodes of the quickest way from `start` to `end`, in order.
    fn nodes_between(&self, start: &Snap, end: &Snap, mode: TravelMode) -> Option<Vec<u32>> {
        let seeds = self.leave(start, mode);
        let costs = self.search(mode, &seeds, Direction::Outgoing, |_, _| false);
        let (mut node, _) = self
            .arrive(end, mode)
            .into_iter()
            .filter(|(node, _)| costs[*node as usize] != u64::MAX)
            .min_by_key(|(node, rest)| costs[*node as usize] + rest)?;
        let mut nodes = vec![node];
        while !seeds
            .iter()
            .any(|(seed, cost)| *seed == node && *cost == costs[node as usize])
        {
            node = self.previous(node, &costs, mode)?;
            nodes.push(node);
            if nodes.len() > costs.len() {
                return None;
            }
        }
        nodes.reverse();
        Some(nodes)
    }

    /// The node before `node` on a quickest way: one whose cost plus the
    /// edge's makes `node`'s.
    fn previous(&self, node: u32, costs: &[u64], mode: TravelMode) -> Option<u32> {
        let network = &self.router.networks[mode.index()];
        let weights = &self.weights[mode.index()];
        network
            .graph
            .edges_directed(NodeIndex::new(node as usize), Direction::Incoming)
            .find_map(|edge| {
                let weight = u64::from(weights[*edge.weight() as usize]?);
                let from = edge.source().index();
                (costs[from] != u64::MAX && costs[from] + weight == costs[node as usize])
                    .then_some(from as u32)
            })
    }

    /// The street of the segment a snap lies on.
    fn street_of(&self, snap: &Snap) -> String {
        let edge = &self.router.streets.edges()[snap.edge() as usize];
        self.router.streets.way_of(edge).name.clone()
    }

    /// The street of the edge `mode` takes from `from` to `to`.
    fn street_between(&self, from: u32, to: u32, mode: TravelMode) -> Option<String> {
        let network = &self.router.networks[mode.index()];
        let edge = network
            .graph
            .edges_directed(NodeIndex::new(from as usize), Direction::Outgoing)
            .find(|edge| edge.target().index() == to as usize)?;
        let street = &self.router.streets.edges()[*edge.weight() as usize];
        Some(self.router.streets.way_of(street).name.clone())
    }
}

#[cfg(test)]
mod tests {
    use cordon_config::district::District;

    use super::*;
    use crate::planning::StreetRouter;

    #[test]
    fn a_trace_takes_as_long_as_the_travel_time_and_names_its_streets() {
        // Phase 1: a car from Dapuqiao to the Bund, calm streets.
        let district = District::embedded();
        let router = StreetRouter::new(&district);
        let travel = router.under(&router.calm());
        let (from, to) = (
            LatLon::new(31.2122, 121.4644),
            LatLon::new(31.2400, 121.4905),
        );
        let trace = travel
            .trace(&from, &to, TravelMode::Car)
            .expect("a way by car");

        // Phase 2: its time is the travel time; it starts and ends at the
        // two places and names several streets, none twice in a row.
        assert_eq!(
            Some(trace.seconds),
            travel.by_streets_s(&from, &to, TravelMode::Car)
        );
        assert_eq!((trace.points[0], *trace.points.last().unwrap()), (from, to));
        assert!(trace.points.len() > 3, "{trace:?}");
        assert!(trace.streets.len() >= 2, "{trace:?}");
        assert!(
            trace.streets.windows(2).all(|pair| pair[0] != pair[1]),
            "{trace:?}"
        );
    }
}
