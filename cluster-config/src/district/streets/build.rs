//! The street file's own rules, checked in file order, and the graph they
//! allow: ids, node positions, each way's run of nodes, its edges' lengths
//! and the modes its class may carry.

use std::collections::HashMap;

use super::super::geo::polygon_contains;
use super::super::validate::{coordinate, invalid, is_slug, non_empty};
use super::{
    Edge, ModeSet, OneWay, StreetGraph, StreetNode, StreetsSpec, Way, WaySpec, EDGE_LENGTH_M_MAX,
    OUTSIDE_BOUNDS_M_MAX, STREETS_FILE_VERSION,
};
use crate::district::geo::distance_to_outline_m;
use crate::district::{DistrictError, LatLon, TravelMode};

type Checked<T = ()> = Result<T, DistrictError>;

/// The graph `spec` describes, or the first rule it breaks.
pub(super) fn build(file: &str, spec: &StreetsSpec, bounds: &[LatLon]) -> Checked<StreetGraph> {
    header(file, spec)?;
    let mut ids: HashMap<&str, String> = HashMap::new();
    let nodes = nodes(spec, bounds, &mut ids)?;
    let index: HashMap<&str, u32> = spec
        .nodes
        .iter()
        .enumerate()
        .map(|(at, node)| (node.id.as_str(), at as u32))
        .collect();
    let mut ways = Vec::with_capacity(spec.ways.len());
    let mut edges = Vec::new();
    for (at, way) in spec.ways.iter().enumerate() {
        let field = way
            .source
            .clone()
            .unwrap_or_else(|| format!("streets.ways[{at}]"));
        if way.source.is_none() {
            unique_id(&mut ids, &format!("{field}.id"), &way.id)?;
        }
        non_empty(&format!("{field}.name"), &way.name)?;
        let modes = modes(&field, way)?;
        let run = run(&field, way, &index)?;
        way_edges(
            &field, &run, &nodes, way.oneway, modes, at as u32, &mut edges,
        )?;
        ways.push(Way {
            id: way.id.clone(),
            name: way.name.clone(),
            class: way.class,
            bridge: way.bridge,
            tunnel: way.tunnel,
            source: field,
        });
    }
    Ok(StreetGraph {
        name: spec.name.clone(),
        nodes,
        ways,
        edges,
        pieces: Vec::new(),
    })
}

fn header(file: &str, spec: &StreetsSpec) -> Checked {
    if spec.version != STREETS_FILE_VERSION {
        return Err(invalid(
            "streets.version",
            format!("found {} in {file}, expected {STREETS_FILE_VERSION}", spec.version),
            format!("set `version = {STREETS_FILE_VERSION}`; this build reads street file version {STREETS_FILE_VERSION} only"),
        ));
    }
    non_empty("streets.name", &spec.name)
}

fn unique_id<'a>(ids: &mut HashMap<&'a str, String>, field: &str, id: &'a str) -> Checked {
    if !is_slug(id) {
        return Err(invalid(
            field,
            format!("\"{id}\" is not a slug"),
            "use lowercase a-z, 0-9 and inner '-', e.g. \"nanjing-e-x-henan-m\"",
        ));
    }
    if let Some(first) = ids.get(id) {
        return Err(invalid(
            field,
            format!("duplicate id \"{id}\" (already used at {first})"),
            "give every street node and way its own id",
        ));
    }
    ids.insert(id, field.to_owned());
    Ok(())
}

fn nodes<'a>(
    spec: &'a StreetsSpec,
    bounds: &[LatLon],
    ids: &mut HashMap<&'a str, String>,
) -> Checked<Vec<StreetNode>> {
    let mut nodes = Vec::with_capacity(spec.nodes.len());
    for (at, node) in spec.nodes.iter().enumerate() {
        let (field, order) = match &node.source {
            Some(vertex) => (vertex.clone(), "GeoJSON positions are [lon, lat]"),
            None => {
                let field = format!("streets.nodes[{at}]");
                unique_id(ids, &format!("{field}.id"), &node.id)?;
                (format!("{field}.at"), "check the [lat, lon] order")
            }
        };
        coordinate(&field, &node.at)?;
        if !polygon_contains(bounds, &node.at) {
            let outside_m = distance_to_outline_m(bounds, &node.at);
            if outside_m > OUTSIDE_BOUNDS_M_MAX {
                return Err(invalid(
                    field,
                    format!("{} lies {outside_m:.0} m outside the district bounds", node.at),
                    format!("keep streets inside the district or within {OUTSIDE_BOUNDS_M_MAX:.0} m of its edge ({order})"),
                ));
            }
        }
        nodes.push(StreetNode {
            id: node.id.clone(),
            at: node.at,
            name: node.name.clone(),
        });
    }
    Ok(nodes)
}

/// The modes the way allows: its own list, which its class must permit, or
/// the class's default.
fn modes(field: &str, way: &WaySpec) -> Checked<ModeSet> {
    let Some(access) = &way.access else {
        return Ok(way.class.default_modes());
    };
    if access.is_empty() {
        return Err(invalid(
            format!("{field}.access"),
            "the list is empty",
            "name the modes allowed (foot, e_bike, e_cart, car), or leave `access` out for the class's default",
        ));
    }
    if let Some(barred) = access
        .iter()
        .find(|mode| way.class.speed_m_per_s(**mode).is_none())
    {
        return Err(invalid(
            format!("{field}.access"),
            format!("{barred} on a {} way", way.class),
            format!(
                "a {} way carries {} only: drop {barred}, or give the way a road class",
                way.class,
                way.class.default_modes()
            ),
        ));
    }
    Ok(access.iter().copied().collect())
}

/// The way's nodes as indices: at least two, all known, none twice in a row.
fn run(field: &str, way: &WaySpec, index: &HashMap<&str, u32>) -> Checked<Vec<u32>> {
    if way.nodes.len() < 2 {
        return Err(invalid(
            format!("{field}.nodes"),
            format!("expected at least 2 nodes, found {}", way.nodes.len()),
            "list the nodes the street runs through, in order, at least its two ends",
        ));
    }
    let mut run = Vec::with_capacity(way.nodes.len());
    for (at, id) in way.nodes.iter().enumerate() {
        let Some(&node) = index.get(id.as_str()) else {
            return Err(invalid(
                format!("{field}.nodes[{at}]"),
                format!("\"{id}\" is not a street node"),
                "declare the node under [[nodes]] or correct the id",
            ));
        };
        if run.last() == Some(&node) {
            return Err(invalid(
                format!("{field}.nodes[{at}]"),
                format!("\"{id}\" follows itself"),
                "list each node once where the street passes it",
            ));
        }
        run.push(node);
    }
    Ok(run)
}

/// The edges between consecutive nodes of `run`, in each allowed direction.
fn way_edges(
    field: &str,
    run: &[u32],
    nodes: &[StreetNode],
    oneway: Option<OneWay>,
    modes: ModeSet,
    way: u32,
    edges: &mut Vec<Edge>,
) -> Checked {
    for (at, pair) in run.windows(2).enumerate() {
        let (a, b) = (pair[0], pair[1]);
        let length_m = nodes[a as usize].at.distance_m(&nodes[b as usize].at);
        if length_m > EDGE_LENGTH_M_MAX {
            return Err(invalid(
                format!("{field}.nodes[{}]", at + 1),
                format!("{length_m:.0} m from the node before it"),
                format!("split the street at the intersections between them: no edge may exceed {EDGE_LENGTH_M_MAX:.0} m"),
            ));
        }
        // People on foot walk a one-way street both ways.
        let against = if modes.contains(TravelMode::Foot) {
            ModeSet::FOOT
        } else {
            ModeSet::NONE
        };
        let (forward, backward) = match oneway {
            None => (modes, modes),
            Some(OneWay::Forward) => (modes, against),
            Some(OneWay::Backward) => (against, modes),
        };
        for (from, to, modes) in [(a, b, forward), (b, a, backward)] {
            if !modes.is_empty() {
                edges.push(Edge {
                    from,
                    to,
                    length_m,
                    modes,
                    way,
                });
            }
        }
    }
    Ok(())
}
