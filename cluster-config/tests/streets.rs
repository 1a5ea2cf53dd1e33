//! The street graph: the embedded curated streets serve every point of
//! interest, the TOML form's rules name the field and the fix, and a
//! GeoJSON road layer reads into the same graph, its bad features named by
//! index.

use cordon_config::district::streets::{
    ModeSet, OneWay, StreetClass, StreetGraph, StreetsSpec, WaySpec, SNAP_DISTANCE_M_MAX,
};
use cordon_config::district::{
    DistrictSpec, LatLon, TravelMode, EMBEDDED_STREETS_FILE, EMBEDDED_STREETS_TOML,
};
use cordon_config::{District, DistrictError};
use serde_json::{json, Value};

fn district_spec() -> DistrictSpec {
    District::embedded().into_spec()
}

fn streets() -> StreetsSpec {
    StreetsSpec::parse(EMBEDDED_STREETS_FILE, EMBEDDED_STREETS_TOML)
        .expect("the embedded streets parse")
}

/// Builds the embedded district with `streets` read as `file`.
fn build(file: &str, streets: StreetsSpec) -> Result<District, DistrictError> {
    let mut spec = district_spec();
    spec.streets = file.to_owned();
    District::with_streets(spec, streets)
}

/// The error of a planted fault, with its field path.
fn refused(file: &str, streets: StreetsSpec) -> (String, String) {
    match build(file, streets) {
        Ok(_) => panic!("the planted fault was accepted"),
        Err(error) => {
            let field = error
                .field()
                .unwrap_or_else(|| panic!("no field in: {error}"))
                .to_owned();
            (field, error.to_string())
        }
    }
}

/// A two-node way between existing nodes `a` and `b`.
fn way(id: &str, class: StreetClass, a: &str, b: &str) -> WaySpec {
    WaySpec {
        id: id.into(),
        name: format!("Test {id}"),
        class,
        nodes: vec![a.into(), b.into()],
        oneway: None,
        access: None,
        bridge: false,
        tunnel: false,
        source: None,
    }
}

mod embedded {
    use super::*;

    // The curated streets validate with the district: every station,
    // hospital, safe house, point, area and unit home is within reach, and
    // every mode has one network (no piece cut off).
    #[test]
    fn serve_every_point_of_interest_in_one_network_per_mode() {
        let district = District::embedded();
        let graph = district.streets();

        assert!(graph.nodes().len() >= 150, "{} nodes", graph.nodes().len());
        assert!(graph.ways().len() >= 50, "{} ways", graph.ways().len());
        let pieces: Vec<String> = graph.pieces().iter().map(ToString::to_string).collect();
        assert!(pieces.is_empty(), "cut-off pieces: {pieces:#?}");
    }

    // The Nanjing Road pedestrian street carries people on foot and patrol
    // carts, never cars or e-bikes.
    #[test]
    fn the_pedestrian_street_is_closed_to_cars() {
        let district = District::embedded();
        let graph = district.streets();
        let nanjing: Vec<_> = graph
            .edges()
            .iter()
            .filter(|edge| graph.way_of(edge).class == StreetClass::Pedestrian)
            .filter(|edge| graph.way_of(edge).name.contains("Nanjing"))
            .collect();

        assert!(!nanjing.is_empty(), "no pedestrian Nanjing Road way");
        for edge in nanjing {
            assert!(edge.modes.contains(TravelMode::Foot));
            assert!(
                !edge.modes.contains(TravelMode::Car),
                "{:?}",
                graph.way_of(edge)
            );
            assert!(
                !edge.modes.contains(TravelMode::EBike),
                "{:?}",
                graph.way_of(edge)
            );
        }
    }

    // Writing the street file back out and reading it again gives the same spec.
    #[test]
    fn round_trips_through_toml() {
        let streets = streets();

        let text = toml::to_string(&streets).expect("serialises");
        let reread = StreetsSpec::parse("again.toml", &text).expect("reparses");

        assert_eq!(reread, streets);
    }
}

mod files {
    use super::*;

    // A district file loads with the street file it names, read next to it.
    #[test]
    fn a_district_loads_its_street_file_from_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let text = cordon_config::district::EMBEDDED_DISTRICT_TOML.replacen(
            "streets = \"huangpu-streets.toml\"",
            "streets = \"roads.toml\"",
            1,
        );
        std::fs::write(dir.path().join("district.toml"), text).unwrap();
        std::fs::write(dir.path().join("roads.toml"), EMBEDDED_STREETS_TOML).unwrap();

        let district = District::load(&dir.path().join("district.toml")).expect("loads");

        assert_eq!(
            district.streets().edges(),
            District::embedded().streets().edges()
        );
    }

    // A missing street file is a read error naming the path it looked for.
    #[test]
    fn a_missing_street_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("district.toml"),
            cordon_config::district::EMBEDDED_DISTRICT_TOML,
        )
        .unwrap();

        let error = District::load(&dir.path().join("district.toml")).expect_err("refused");

        let DistrictError::Read { file, .. } = &error else {
            panic!("expected a read error, got {error}");
        };
        assert!(file.ends_with("huangpu-streets.toml"), "{file}");
    }
}

mod toml_form {
    use super::*;

    // A one-way street gives vehicles one direction; people on foot walk both.
    #[test]
    fn a_one_way_street_is_one_vehicle_edge_and_a_footpath_back() {
        let mut streets = streets();
        let (a, b) = (streets.nodes[0].id.clone(), streets.nodes[1].id.clone());
        let mut one_way = way("test-one-way", StreetClass::Street, &a, &b);
        one_way.oneway = Some(OneWay::Forward);
        streets.ways.push(one_way);

        let district = build(EMBEDDED_STREETS_FILE, streets).expect("valid");
        let graph = district.streets();
        let way_index = graph.ways().len() - 1;
        let edges: Vec<_> = graph
            .edges()
            .iter()
            .filter(|edge| edge.way as usize == way_index)
            .collect();

        assert_eq!(edges.len(), 2);
        assert_eq!((edges[0].from, edges[0].to), (0, 1));
        assert_eq!(edges[0].modes, ModeSet::ALL);
        assert_eq!((edges[1].from, edges[1].to), (1, 0));
        assert_eq!(edges[1].modes, ModeSet::FOOT);
    }

    // A pedestrian way that lets cars in is refused, naming the way's access.
    #[test]
    fn a_pedestrian_way_with_car_access_is_refused() {
        let mut streets = streets();
        let at = streets.ways.len();
        let (a, b) = (streets.nodes[0].id.clone(), streets.nodes[1].id.clone());
        let mut plaza = way("test-plaza", StreetClass::Pedestrian, &a, &b);
        plaza.access = Some(vec![TravelMode::Foot, TravelMode::Car]);
        streets.ways.push(plaza);

        let (field, message) = refused(EMBEDDED_STREETS_FILE, streets);

        assert_eq!(field, format!("streets.ways[{at}].access"));
        assert!(message.contains("car on a pedestrian way"), "{message}");
        assert!(
            message.contains("fix: a pedestrian way carries [foot, e_cart] only"),
            "{message}"
        );
    }

    // A way through a node nobody declared is refused at that node.
    #[test]
    fn a_way_through_an_unknown_node_is_refused() {
        let mut streets = streets();
        streets.ways[2].nodes.insert(1, "no-such-corner".into());

        let (field, message) = refused(EMBEDDED_STREETS_FILE, streets);

        assert_eq!(field, "streets.ways[2].nodes[1]");
        assert!(
            message.contains("\"no-such-corner\" is not a street node"),
            "{message}"
        );
    }

    // An edge longer than the limit means intersections are missing.
    #[test]
    fn an_edge_across_the_district_is_refused() {
        let mut streets = streets();
        let (north, south) = extremes(&streets);
        let at = streets.ways.len();
        streets
            .ways
            .push(way("test-long", StreetClass::Main, &north, &south));

        let (field, message) = refused(EMBEDDED_STREETS_FILE, streets);

        assert_eq!(field, format!("streets.ways[{at}].nodes[1]"));
        assert!(
            message.contains("split the street at the intersections"),
            "{message}"
        );
    }

    // Two node ids alike are refused where the second is declared.
    #[test]
    fn a_duplicate_node_id_is_refused() {
        let mut streets = streets();
        let copy = streets.nodes[0].clone();
        let at = streets.nodes.len();
        streets.nodes.push(copy);

        let (field, message) = refused(EMBEDDED_STREETS_FILE, streets);

        assert_eq!(field, format!("streets.nodes[{at}].id"));
        assert!(
            message.contains("already used at streets.nodes[0].id"),
            "{message}"
        );
    }

    // A station with no car street near it is refused with the distance.
    #[test]
    fn a_station_far_from_any_car_street_is_refused() {
        let mut streets = streets();
        // One street in the far south-west corner, nothing else.
        let corner = district_spec().bounds[22];
        streets.nodes.truncate(2);
        streets.nodes[0].at = LatLon::new(corner.lat + 0.0010, corner.lon + 0.0010);
        streets.nodes[1].at = LatLon::new(corner.lat + 0.0020, corner.lon + 0.0010);
        let (a, b) = (streets.nodes[0].id.clone(), streets.nodes[1].id.clone());
        streets.ways = vec![way("test-corner", StreetClass::Street, &a, &b)];

        let (field, message) = refused(EMBEDDED_STREETS_FILE, streets);

        assert_eq!(field, "district.stations[0].position");
        assert!(message.contains("the nearest car street is"), "{message}");
        assert!(
            message.contains("fix: add a street within 200 m"),
            "{message}"
        );
    }

    // A street cut off from the rest serves no point of interest: it is
    // reported with its ways, not refused.
    #[test]
    fn a_cut_off_street_nobody_needs_is_reported() {
        let mut streets = streets();
        let centre = streets.nodes[0].at;
        for (id, offset) in [("test-island-a", 0.0005), ("test-island-b", 0.0010)] {
            streets
                .nodes
                .push(cordon_config::district::streets::StreetNodeSpec {
                    id: id.into(),
                    at: LatLon::new(centre.lat - offset, centre.lon - 0.0030),
                    name: None,
                    source: None,
                });
        }
        let at = streets.ways.len();
        streets.ways.push(way(
            "test-island",
            StreetClass::Lane,
            "test-island-a",
            "test-island-b",
        ));

        let district = build(EMBEDDED_STREETS_FILE, streets).expect("a cut-off piece is no error");

        let pieces = district.streets().pieces();
        assert_eq!(pieces.len(), TravelMode::ALL.len(), "{pieces:#?}");
        for piece in pieces {
            assert_eq!(piece.nodes, 2);
            assert_eq!(piece.ways, vec![format!("streets.ways[{at}]")]);
        }
    }

    // A crowd rule on an area the district does not have is refused.
    #[test]
    fn a_crowd_rule_on_a_missing_area_is_refused() {
        let mut spec = district_spec();
        spec.crowd_rules[0].area = "no-such-square".into();

        let error = District::from_spec(spec).expect_err("refused");

        assert_eq!(error.field(), Some("district.crowd_rules[0].area"));
    }

    // A time of day that is not HH:MM is a parse error that says how to write it.
    #[test]
    fn a_crowd_rule_with_a_bad_time_does_not_parse() {
        let text = cordon_config::district::EMBEDDED_DISTRICT_TOML.replacen(
            "from = \"18:00\"",
            "from = \"6pm\"",
            1,
        );

        let error = District::from_toml_str(&text).expect_err("refused");

        assert!(error.to_string().contains("write \"HH:MM\""), "{error}");
    }

    /// The ids of the northernmost and southernmost nodes.
    fn extremes(streets: &StreetsSpec) -> (String, String) {
        let by_lat = |a: &&cordon_config::district::streets::StreetNodeSpec,
                      b: &&cordon_config::district::streets::StreetNodeSpec| {
            a.at.lat.total_cmp(&b.at.lat)
        };
        let north = streets.nodes.iter().max_by(by_lat).unwrap();
        let south = streets.nodes.iter().min_by(by_lat).unwrap();
        (north.id.clone(), south.id.clone())
    }
}

mod geojson_form {
    use super::*;

    /// The embedded streets as a road layer an operator might export: one
    /// LineString feature per way, `[lon, lat]` positions, OSM tags.
    fn as_layer(streets: &StreetsSpec) -> Value {
        let at = |id: &str| {
            let node = streets.nodes.iter().find(|node| node.id == id).unwrap();
            json!([node.at.lon, node.at.lat])
        };
        let features: Vec<Value> = streets
            .ways
            .iter()
            .map(|way| {
                let highway = match way.class {
                    StreetClass::Arterial => "primary",
                    StreetClass::Main => "secondary",
                    StreetClass::Street => "residential",
                    StreetClass::Lane => "service",
                    StreetClass::Pedestrian if way.access == Some(vec![TravelMode::Foot]) => {
                        "footway"
                    }
                    StreetClass::Pedestrian => "pedestrian",
                };
                let mut properties = json!({ "highway": highway, "name": way.name });
                match way.oneway {
                    Some(OneWay::Forward) => properties["oneway"] = json!("yes"),
                    Some(OneWay::Backward) => properties["oneway"] = json!("-1"),
                    None => {}
                }
                if way.bridge {
                    properties["bridge"] = json!("yes");
                }
                let coordinates: Vec<Value> = way.nodes.iter().map(|id| at(id)).collect();
                json!({
                    "type": "Feature",
                    "properties": properties,
                    "geometry": { "type": "LineString", "coordinates": coordinates },
                })
            })
            .collect();
        json!({ "type": "FeatureCollection", "features": features })
    }

    fn parse(layer: &Value) -> Result<StreetsSpec, DistrictError> {
        StreetsSpec::parse("roads.geojson", &layer.to_string())
    }

    /// Total metres of edges that `mode` may use.
    fn metres(graph: &StreetGraph, mode: TravelMode) -> f64 {
        graph
            .edges()
            .iter()
            .filter(|edge| edge.modes.contains(mode))
            .map(|edge| edge.length_m)
            .sum()
    }

    // The embedded streets exported as GeoJSON read into the same network:
    // features meet at shared vertices, and every mode has the same edges
    // and metres as from the TOML form.
    #[test]
    fn the_embedded_streets_as_a_road_layer_give_the_same_network() {
        let streets = streets();
        let layer = parse(&as_layer(&streets)).expect("the layer reads");

        let from_layer = build("roads.geojson", layer).expect("the layer serves the district");
        let from_toml = District::embedded();

        for mode in TravelMode::ALL {
            let (a, b) = (
                metres(from_layer.streets(), mode),
                metres(from_toml.streets(), mode),
            );
            assert!(
                (a - b).abs() < 1.0,
                "{mode}: {a} m from the layer, {b} m from TOML"
            );
        }
        assert_eq!(
            from_layer.streets().nodes().len(),
            from_toml.streets().nodes().len()
        );
        assert!(from_layer.streets().pieces().is_empty());
    }

    // `oneway=-1` runs against the line's order; `foot=no` bars walkers.
    #[test]
    fn tags_set_direction_and_access() {
        let layer = json!({ "type": "FeatureCollection", "features": [{
            "type": "Feature",
            "properties": { "highway": "tertiary", "oneway": "-1", "foot": "no", "name": "Test Rd" },
            "geometry": { "type": "LineString", "coordinates": [[121.47, 31.23], [121.471, 31.23]] },
        }]});

        let spec = parse(&layer).expect("reads");

        assert_eq!(spec.ways[0].oneway, Some(OneWay::Backward));
        assert_eq!(
            spec.ways[0].access,
            Some(vec![TravelMode::EBike, TravelMode::ECart, TravelMode::Car])
        );
        assert_eq!(spec.ways[0].class, StreetClass::Main);
    }

    // Each bad feature is named by its index, with the fix.
    #[test]
    fn bad_features_are_named_by_index_with_the_fix() {
        let line =
            json!({ "type": "LineString", "coordinates": [[121.47, 31.23], [121.471, 31.23]] });
        let feature = |properties: Value, geometry: Value| json!({ "type": "Feature", "properties": properties, "geometry": geometry });
        let good = feature(json!({ "highway": "residential" }), line.clone());
        let cases = [
            (
                feature(
                    json!({ "highway": "pedestrian" }),
                    json!({ "type": "Polygon", "coordinates": [] }),
                ),
                "streets.features[1].geometry",
                "points and areas such as squares are not routable",
            ),
            (
                feature(json!({ "name": "No tag" }), line.clone()),
                "streets.features[1].properties.highway",
                "export highway lines only",
            ),
            (
                feature(json!({ "highway": "proposed" }), line.clone()),
                "streets.features[1].properties.highway",
                "\"proposed\" is not a routable highway",
            ),
            (
                feature(
                    json!({ "highway": "primary" }),
                    json!({ "type": "LineString", "coordinates": [[31.23, 121.47], [31.23, 181.0]] }),
                ),
                "streets.features[1].geometry.coordinates[0]",
                "GeoJSON positions are [lon, lat]",
            ),
        ];
        for (bad, field, hint) in cases {
            let layer = json!({ "type": "FeatureCollection", "features": [good.clone(), bad] });

            let error = parse(&layer).expect_err("refused");

            assert_eq!(error.field(), Some(field), "{error}");
            assert!(error.to_string().contains(hint), "{error}");
        }
    }

    // A single Feature instead of a collection is refused at the top.
    #[test]
    fn a_top_level_feature_is_refused() {
        let error = parse(&json!({ "type": "Feature", "geometry": null })).expect_err("refused");

        assert_eq!(error.field(), Some("streets.type"));
        assert!(
            error.to_string().contains("export a FeatureCollection"),
            "{error}"
        );
    }

    // A vertex far outside the district is named with the GeoJSON order
    // in the fix (a projection or order mistake is the likely cause).
    #[test]
    fn a_vertex_outside_the_district_is_named() {
        let streets = streets();
        let mut layer = as_layer(&streets);
        let first = layer["features"][3]["geometry"]["coordinates"][0].clone();
        let far_west = first[0].as_f64().unwrap() - 0.05;
        layer["features"][3]["geometry"]["coordinates"][0] = json!([far_west, first[1]]);
        let spec = parse(&layer).expect("reads");

        let (field, message) = refused("roads.geojson", spec);

        assert_eq!(field, "streets.features[3].geometry.coordinates[0]");
        assert!(message.contains("outside the district bounds"), "{message}");
        assert!(
            message.contains("GeoJSON positions are [lon, lat]"),
            "{message}"
        );
    }

    // Points of interest stay served only if the layer reaches them: a
    // layer of a few streets is refused at the first unreachable point.
    #[test]
    fn a_layer_that_misses_part_of_the_district_is_refused() {
        let streets = streets();
        let mut layer = as_layer(&streets);
        layer["features"].as_array_mut().unwrap().truncate(3);
        let spec = parse(&layer).expect("reads");

        let (field, message) = refused("roads.geojson", spec);

        assert!(field.starts_with("district."), "{field}");
        assert!(message.contains("m away"), "{message}");
        assert!(
            message.contains(&format!("within {SNAP_DISTANCE_M_MAX:.0} m")),
            "{message}"
        );
    }
}
