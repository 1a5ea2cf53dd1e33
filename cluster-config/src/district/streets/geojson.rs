//! A GeoJSON road layer (an operator's export, for example of OpenStreetMap
//! `highway` ways) read into a [`StreetsSpec`].
//!
//! Each LineString (or part of a MultiLineString) becomes a way. Every vertex
//! becomes a street node, and features that share a vertex (equal to 1e-7
//! degrees) meet there, as OpenStreetMap ways meet at shared nodes. Tags map
//! to Cordon's fields: `highway` to the class, `oneway`, `junction=roundabout`,
//! `foot`/`bicycle`/`motor_vehicle` to access, `bridge`, `tunnel`, `name`.
//! Errors name the feature by its index, e.g. `streets.features[17].geometry`.

use std::collections::HashMap;

use serde_json::Value;

use super::super::validate::invalid;
use super::{OneWay, StreetClass, StreetNodeSpec, StreetsSpec, WaySpec, STREETS_FILE_VERSION};
use crate::district::{DistrictError, LatLon, TravelMode};

/// Largest road layer read, in bytes.
pub const GEOJSON_BYTES_MAX: usize = 64 * 1024 * 1024;
/// Most features in a road layer.
pub const GEOJSON_FEATURES_MAX: usize = 200_000;
/// Most vertices in one feature.
pub const GEOJSON_FEATURE_VERTICES_MAX: usize = 10_000;

/// Vertices equal to this many degrees are one node (about 1 cm).
const VERTEX_GRID_PER_DEGREE: f64 = 1e7;

type Read<T> = Result<T, DistrictError>;

/// Reads the road layer `file` from `text`.
pub(super) fn parse(file: &str, text: &str) -> Read<StreetsSpec> {
    if text.len() > GEOJSON_BYTES_MAX {
        return Err(invalid(
            "streets",
            format!(
                "{file} is {} bytes, above the {GEOJSON_BYTES_MAX}-byte limit",
                text.len()
            ),
            "export only the district's area, and only its highway lines",
        ));
    }
    let root: Value = serde_json::from_str(text).map_err(|error| DistrictError::StreetsParse {
        file: file.to_owned(),
        message: error.to_string(),
    })?;
    let features = features(&root)?;
    let mut layer = Layer::default();
    for (index, feature) in features.iter().enumerate() {
        layer.feature(index, feature)?;
    }
    Ok(StreetsSpec {
        version: STREETS_FILE_VERSION,
        name: format!("road layer {file}"),
        nodes: layer.nodes,
        ways: layer.ways,
    })
}

fn features(root: &Value) -> Read<&Vec<Value>> {
    let kind = root.get("type").and_then(Value::as_str).unwrap_or("none");
    if kind != "FeatureCollection" {
        return Err(invalid(
            "streets.type",
            format!("top-level {kind}"),
            "export a FeatureCollection of the road lines",
        ));
    }
    let Some(features) = root.get("features").and_then(Value::as_array) else {
        return Err(invalid(
            "streets.features",
            "missing or not an array",
            "a FeatureCollection lists its features in a `features` array",
        ));
    };
    if features.len() > GEOJSON_FEATURES_MAX {
        return Err(invalid(
            "streets.features",
            format!(
                "{} features, above the limit of {GEOJSON_FEATURES_MAX}",
                features.len()
            ),
            "export only the district's area",
        ));
    }
    Ok(features)
}

/// The nodes and ways read so far, and which vertex is which node.
#[derive(Default)]
struct Layer {
    nodes: Vec<StreetNodeSpec>,
    ways: Vec<WaySpec>,
    node_at: HashMap<(i64, i64), usize>,
}

impl Layer {
    fn feature(&mut self, index: usize, feature: &Value) -> Read<()> {
        let field = format!("streets.features[{index}]");
        let properties = feature.get("properties").unwrap_or(&Value::Null);
        let highway = properties.get("highway").and_then(Value::as_str);
        let Some(highway) = highway else {
            return Err(invalid(
                format!("{field}.properties.highway"),
                "missing",
                "export highway lines only, each with its `highway` tag",
            ));
        };
        let (class, access) = class_of(&format!("{field}.properties.highway"), highway)?;
        let parts = parts(&field, feature.get("geometry").unwrap_or(&Value::Null))?;
        let single = parts.len() == 1;
        for (part, line) in parts.iter().enumerate() {
            let (path, id) = if single {
                (format!("{field}.geometry.coordinates"), format!("f{index}"))
            } else {
                (
                    format!("{field}.geometry.coordinates[{part}]"),
                    format!("f{index}-{part}"),
                )
            };
            let nodes = self.line(&path, line)?;
            self.ways.push(WaySpec {
                id,
                name: name_of(properties, highway),
                class,
                nodes,
                oneway: oneway_of(properties),
                access: access_of(properties, class, access.clone()),
                bridge: flag(properties, "bridge"),
                tunnel: flag(properties, "tunnel"),
                source: Some(field.clone()),
            });
        }
        Ok(())
    }

    /// The node ids of a line's vertices, repeated vertices in a row dropped.
    fn line(&mut self, path: &str, line: &Value) -> Read<Vec<String>> {
        let Some(vertices) = line.as_array() else {
            return Err(invalid(
                path,
                "not an array of positions",
                "write a line as [[lon, lat], ...]",
            ));
        };
        if vertices.len() > GEOJSON_FEATURE_VERTICES_MAX {
            return Err(invalid(
                path,
                format!(
                    "{} vertices, above the limit of {GEOJSON_FEATURE_VERTICES_MAX}",
                    vertices.len()
                ),
                "split the line, or simplify it",
            ));
        }
        let mut ids: Vec<String> = Vec::with_capacity(vertices.len());
        for (at, vertex) in vertices.iter().enumerate() {
            let position = position(&format!("{path}[{at}]"), vertex)?;
            let id = self.node(&format!("{path}[{at}]"), position);
            if ids.last() != Some(&id) {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    fn node(&mut self, source: &str, at: LatLon) -> String {
        let key = (
            (at.lat * VERTEX_GRID_PER_DEGREE).round() as i64,
            (at.lon * VERTEX_GRID_PER_DEGREE).round() as i64,
        );
        let next = self.nodes.len();
        let index = *self.node_at.entry(key).or_insert(next);
        if index == next {
            self.nodes.push(StreetNodeSpec {
                id: format!("v{next}"),
                at,
                name: None,
                source: Some(source.to_owned()),
            });
        }
        self.nodes[index].id.clone()
    }
}

/// The lines of a LineString or MultiLineString geometry.
fn parts<'a>(field: &str, geometry: &'a Value) -> Read<Vec<&'a Value>> {
    let kind = geometry
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("none");
    let coordinates = geometry.get("coordinates").unwrap_or(&Value::Null);
    match kind {
        "LineString" => Ok(vec![coordinates]),
        "MultiLineString" => coordinates
            .as_array()
            .map(|lines| lines.iter().collect())
            .ok_or_else(|| {
                invalid(
                    format!("{field}.geometry.coordinates"),
                    "not an array of lines",
                    "write a MultiLineString as [[[lon, lat], ...], ...]",
                )
            }),
        other => Err(invalid(
            format!("{field}.geometry"),
            format!("{other} geometry"),
            "export highway lines only (LineString or MultiLineString): points and areas such as squares are not routable",
        )),
    }
}

fn position(path: &str, vertex: &Value) -> Read<LatLon> {
    let pair = vertex.as_array().filter(|pair| pair.len() >= 2);
    let numbers = pair.and_then(|pair| Some((pair[0].as_f64()?, pair[1].as_f64()?)));
    let Some((lon, lat)) = numbers else {
        return Err(invalid(
            path,
            format!("{vertex}"),
            "write a position as [lon, lat] in decimal degrees",
        ));
    };
    let at = LatLon::new(lat, lon);
    if !at.is_in_range() {
        return Err(invalid(
            path,
            format!("[{lon}, {lat}] is not a WGS-84 position"),
            "GeoJSON positions are [lon, lat], longitude first: check the order and the projection (export in EPSG:4326)",
        ));
    }
    Ok(at)
}

/// The class of a `highway` value, and the modes it narrows access to.
fn class_of(field: &str, highway: &str) -> Read<(StreetClass, Option<Vec<TravelMode>>)> {
    use TravelMode::{Car, EBike, Foot};
    let base = highway.strip_suffix("_link").unwrap_or(highway);
    let class = match base {
        // Expressways carry cars only.
        "motorway" | "trunk" => return Ok((StreetClass::Arterial, Some(vec![Car]))),
        "primary" => StreetClass::Arterial,
        "secondary" | "tertiary" => StreetClass::Main,
        "residential" | "unclassified" | "living_street" | "road" => StreetClass::Street,
        "service" | "track" => StreetClass::Lane,
        "cycleway" => return Ok((StreetClass::Lane, Some(vec![Foot, EBike]))),
        "pedestrian" => StreetClass::Pedestrian,
        "footway" | "path" | "steps" => return Ok((StreetClass::Pedestrian, Some(vec![Foot]))),
        other => {
            return Err(invalid(
                field,
                format!("\"{other}\" is not a routable highway"),
                "leave it out of the export, or tag it as one of motorway, trunk, primary, secondary, tertiary, residential, unclassified, living_street, service, track, cycleway, pedestrian, footway, path, steps",
            ))
        }
    };
    Ok((class, None))
}

/// The way's access: the class's (or its highway's) modes, less those its
/// tags bar. `None` keeps the class's default.
fn access_of(
    properties: &Value,
    class: StreetClass,
    narrowed: Option<Vec<TravelMode>>,
) -> Option<Vec<TravelMode>> {
    let barred = |tag: &str| {
        properties
            .get(tag)
            .and_then(Value::as_str)
            .is_some_and(|value| matches!(value, "no" | "private"))
    };
    let bars = [
        (TravelMode::Foot, barred("foot")),
        (TravelMode::EBike, barred("bicycle")),
        (
            TravelMode::Car,
            barred("motor_vehicle") || barred("motorcar"),
        ),
        (TravelMode::ECart, barred("motor_vehicle")),
    ];
    if narrowed.is_none() && bars.iter().all(|(_, barred)| !barred) {
        return None;
    }
    let modes = narrowed.unwrap_or_else(|| class.default_modes().modes().collect());
    Some(
        modes
            .into_iter()
            .filter(|mode| {
                !bars
                    .iter()
                    .any(|(barred_mode, barred)| barred_mode == mode && *barred)
            })
            .collect(),
    )
}

fn oneway_of(properties: &Value) -> Option<OneWay> {
    let tag = properties.get("oneway").and_then(Value::as_str);
    let roundabout = properties.get("junction").and_then(Value::as_str) == Some("roundabout");
    match tag {
        Some("yes" | "true" | "1") => Some(OneWay::Forward),
        Some("-1" | "reverse") => Some(OneWay::Backward),
        Some(_) => None,
        None if roundabout => Some(OneWay::Forward),
        None => None,
    }
}

fn name_of(properties: &Value, highway: &str) -> String {
    ["name:en", "name"]
        .iter()
        .find_map(|key| properties.get(*key).and_then(Value::as_str))
        .filter(|name| !name.trim().is_empty())
        .map_or_else(|| format!("unnamed {highway}"), str::to_owned)
}

fn flag(properties: &Value, key: &str) -> bool {
    match properties.get(key) {
        Some(Value::String(value)) => value != "no",
        Some(Value::Bool(value)) => *value,
        _ => false,
    }
}
