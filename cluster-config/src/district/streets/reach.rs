//! Whether the graph serves its district: each mode's main network (its
//! largest strongly connected piece), and every point of interest within
//! reach of it in its users' modes.

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use super::super::geo::distance_to_segment_m;
use super::super::validate::invalid;
use super::{Edge, StreetGraph, SNAP_DISTANCE_M_MAX};
use crate::district::{DistrictError, DistrictSpec, LatLon, TravelMode};

/// Ways named in a piece's report, at most.
const PIECE_WAYS_NAMED_MAX: usize = 5;

/// A part of a mode's network cut off from its main piece: one cannot
/// travel from it to the rest and back in that mode.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    /// The mode it is cut off in.
    pub mode: TravelMode,
    /// How many street nodes it holds.
    pub nodes: usize,
    /// One of its nodes' positions, to find it on a map.
    pub at: LatLon,
    /// Where the first of its ways were written (`streets.ways[3]`, `streets.features[42]`).
    pub ways: Vec<String>,
}

impl std::fmt::Display for Piece {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} street nodes near {} are cut off from the main {} network (ways: {})",
            self.nodes,
            self.at,
            self.mode,
            self.ways.join(", ")
        )
    }
}

/// One mode's pieces: `main[node]` says whether a node is in the main one.
struct Network {
    mode: TravelMode,
    main: Vec<bool>,
    others: Vec<Piece>,
}

/// Checks every point of interest of `district`; returns the pieces no
/// point needs, to be reported.
pub(super) fn check(
    file: &str,
    graph: &StreetGraph,
    district: &DistrictSpec,
) -> Result<Vec<Piece>, DistrictError> {
    let networks: Vec<Network> = TravelMode::ALL
        .into_iter()
        .map(|mode| network(graph, mode))
        .collect();
    for (field, at, mode) in points_of_interest(district) {
        let network = &networks[mode.index()];
        reachable(file, graph, network, &field, &at)?;
    }
    Ok(networks
        .into_iter()
        .flat_map(|network| network.others)
        .collect())
}

/// Every point of interest with the mode its users arrive or leave in.
fn points_of_interest(district: &DistrictSpec) -> Vec<(String, LatLon, TravelMode)> {
    let mut points = Vec::new();
    for (at, station) in district.stations.iter().enumerate() {
        let field = format!("district.stations[{at}].position");
        points.push((field, station.position, TravelMode::Car));
    }
    for (at, hospital) in district.hospitals.iter().enumerate() {
        let field = format!("district.hospitals[{at}].position");
        points.push((field, hospital.position, TravelMode::Car));
    }
    for (at, house) in district.safe_houses.iter().enumerate() {
        let field = format!("district.safe_houses[{at}].position");
        points.push((field, house.position, TravelMode::Foot));
    }
    for (at, point) in district.one_minute_points.iter().enumerate() {
        let field = format!("district.one_minute_points[{at}].position");
        points.push((field, point.position, TravelMode::Foot));
    }
    for (at, area) in district.sensitive_areas.iter().enumerate() {
        if let Some(centre) = area.centre() {
            let field = format!("district.sensitive_areas[{at}] (its centre)");
            points.push((field, centre, TravelMode::Foot));
        }
    }
    for (at, unit) in district.units.iter().enumerate() {
        let field = format!("district.units[{at}].home");
        points.push((field, unit.home, unit.travel_mode));
    }
    points
}

/// The mode's strongly connected pieces: the largest is its main network.
fn network(graph: &StreetGraph, mode: TravelMode) -> Network {
    let mut directed: DiGraph<(), ()> = DiGraph::with_capacity(graph.nodes().len(), 0);
    for _ in graph.nodes() {
        directed.add_node(());
    }
    let mut touched = vec![false; graph.nodes().len()];
    for edge in graph
        .edges()
        .iter()
        .filter(|edge| edge.modes.contains(mode))
    {
        directed.add_edge(
            NodeIndex::new(edge.from as usize),
            NodeIndex::new(edge.to as usize),
            (),
        );
        touched[edge.from as usize] = true;
        touched[edge.to as usize] = true;
    }
    // Nodes no edge of this mode touches are not part of its network at all.
    let mut pieces: Vec<Vec<usize>> = tarjan_scc(&directed)
        .into_iter()
        .map(|piece| piece.into_iter().map(NodeIndex::index).collect::<Vec<_>>())
        .filter(|piece: &Vec<usize>| piece.iter().any(|node| touched[*node]))
        .collect();
    for piece in &mut pieces {
        piece.sort_unstable();
    }
    // Largest first; equal sizes by their first node, so the choice is stable.
    pieces.sort_by_key(|piece| (std::cmp::Reverse(piece.len()), piece[0]));
    let mut main = vec![false; graph.nodes().len()];
    let mut pieces = pieces.into_iter();
    for node in pieces.next().unwrap_or_default() {
        main[node] = true;
    }
    let others = pieces.map(|piece| describe(graph, mode, &piece)).collect();
    Network { mode, main, others }
}

fn describe(graph: &StreetGraph, mode: TravelMode, piece: &[usize]) -> Piece {
    let mut ways: Vec<String> = Vec::new();
    for edge in graph.edges() {
        let inside = piece.binary_search(&(edge.from as usize)).is_ok();
        let way = &graph.way_of(edge).source;
        if inside && edge.modes.contains(mode) && !ways.contains(way) {
            ways.push(way.clone());
        }
    }
    ways.truncate(PIECE_WAYS_NAMED_MAX);
    Piece {
        mode,
        nodes: piece.len(),
        at: graph.nodes()[piece[0]].at,
        ways,
    }
}

/// `at` (the point at `field`) must lie within [`SNAP_DISTANCE_M_MAX`] of an
/// edge of the mode's main network.
fn reachable(
    file: &str,
    graph: &StreetGraph,
    network: &Network,
    field: &str,
    at: &LatLon,
) -> Result<(), DistrictError> {
    let mode = network.mode;
    let in_main = |edge: &Edge| network.main[edge.from as usize] && network.main[edge.to as usize];
    let nearest = |keep: &dyn Fn(&Edge) -> bool| {
        graph
            .edges()
            .iter()
            .filter(|edge| edge.modes.contains(mode) && keep(edge))
            .map(|edge| {
                let (a, b) = (
                    &graph.nodes()[edge.from as usize].at,
                    &graph.nodes()[edge.to as usize].at,
                );
                (distance_to_segment_m(at, a, b).0, edge)
            })
            .min_by(|x, y| x.0.total_cmp(&y.0))
    };
    let main = nearest(&in_main).map_or(f64::INFINITY, |(distance, _)| distance);
    if main <= SNAP_DISTANCE_M_MAX {
        return Ok(());
    }
    if let Some((distance, edge)) = nearest(&|_| true).filter(|(d, _)| *d <= SNAP_DISTANCE_M_MAX) {
        let way = graph.way_of(edge);
        return Err(invalid(
            field,
            format!(
                "{at}: the nearest {mode} street, {} ({}, {distance:.0} m away), is cut off from the main {mode} network",
                way.name, way.source
            ),
            format!("in {file}, join that street to the network at its intersections (a shared node), or check its one-way direction and access"),
        ));
    }
    if nearest(&|_| true).is_none() {
        return Err(invalid(
            field,
            format!("{at}: no street in {file} allows {mode}"),
            format!("allow {mode} on the streets its units use (a way's class or `access`)"),
        ));
    }
    Err(invalid(
        field,
        format!("{at}: the nearest {mode} street is {main:.0} m away"),
        format!(
            "add a street within {SNAP_DISTANCE_M_MAX:.0} m of it to {file} (or allow {mode} on one), or move the point"
        ),
    ))
}
