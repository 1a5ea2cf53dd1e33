//! An address for a position, as a dispatcher says it: the nearest named
//! street and the nearest cross street ("Zhongshan East 1st Road near
//! Nanjing East Road"), from the street graph the router runs on.

use std::fmt;

use cordon_config::district::streets::StreetClass;
use cordon_config::district::{LatLon, TravelMode};

use super::StreetRouter;
use crate::planning::geometry::{project_on_segment, LocalPoint};

/// Where a position lies on the streets.
#[derive(Debug, Clone, PartialEq)]
pub struct Address {
    /// The nearest street's name.
    pub street: String,
    /// The nearest street that crosses it at either end of the nearest
    /// piece, the nearer end first; none along a street with no crossing.
    pub cross: Option<String>,
    /// Straight-line metres from the position to the street.
    pub gap_m: f64,
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cross {
            Some(cross) => write!(f, "{} near {cross}", self.street),
            None => f.write_str(&self.street),
        }
    }
}

impl StreetRouter {
    /// The address of `at` on the streets a person on foot can use;
    /// `None` for a district without streets.
    pub fn address(&self, at: &LatLon) -> Option<Address> {
        let local = self.frame.to_local(at);
        let nearest = self.networks[TravelMode::Foot.index()]
            .segments
            .nearest_neighbor([local.east_m, local.north_m])?;
        let plane = |[east_m, north_m]: [f64; 2]| LocalPoint { east_m, north_m };
        let (gap_m, along) = project_on_segment(
            &local,
            &plane(nearest.geom().from),
            &plane(nearest.geom().to),
        );
        let ends = nearest.data;
        let edges = self.streets.edges();
        let edge = &edges[ends.a_to_b.or(ends.b_to_a)? as usize];
        let street = self.streets.way_of(edge).name.clone();
        let (near, far) = if along <= 0.5 {
            (ends.a, ends.b)
        } else {
            (ends.b, ends.a)
        };
        let cross = [near, far]
            .into_iter()
            .find_map(|node| self.crossing(node, &street));
        Some(Address {
            street,
            cross,
            gap_m,
        })
    }

    /// A street other than `street` that meets node `node` (on foot, in
    /// or out: the node's own edges, not a scan of the graph), the most
    /// important class first, then by name.
    fn crossing(&self, node: u32, street: &str) -> Option<String> {
        let graph = &self.networks[TravelMode::Foot.index()].graph;
        let at = petgraph::graph::NodeIndex::new(node as usize);
        let edges = self.streets.edges();
        [petgraph::Direction::Outgoing, petgraph::Direction::Incoming]
            .into_iter()
            .flat_map(|direction| graph.edges_directed(at, direction))
            .map(|edge| {
                self.streets
                    .way_of(&edges[*petgraph::visit::EdgeRef::weight(&edge) as usize])
            })
            .filter(|way| way.name != street)
            .min_by(|a, b| {
                let rank = |class| StreetClass::ALL.iter().position(|c| *c == class);
                rank(a.class)
                    .cmp(&rank(b.class))
                    .then_with(|| a.name.cmp(&b.name))
            })
            .map(|way| way.name.clone())
    }
}

#[cfg(test)]
mod tests {
    use cordon_config::district::District;

    use super::*;

    #[test]
    fn an_address_names_the_nearest_street_and_a_cross_street() {
        // Phase 1: a point on the pedestrian street of Nanjing East Road.
        let district = District::embedded();
        let router = StreetRouter::new(&district);
        let address = router
            .address(&LatLon::new(31.2394, 121.4760))
            .expect("the embedded district has streets");

        // Phase 2: the street is the one the point lies on, within metres,
        // and a crossing street is named.
        assert!(address.street.contains("Nanjing"), "{address:?}");
        assert!(address.gap_m < 60.0, "{address:?}");
        let cross = address
            .cross
            .clone()
            .expect("Nanjing East Road has crossings");
        assert_ne!(cross, address.street);
        assert_eq!(
            address.to_string(),
            format!("{} near {cross}", address.street)
        );
    }
}
