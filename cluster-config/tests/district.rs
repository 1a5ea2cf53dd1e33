//! The district model against the embedded Huangpu data: counts, spatial
//! look-ups, on-scene targets, and planted errors that validation must name.

use cordon_config::district::{
    DistrictSpec, LatLon, Ring, UnitKind, BUND_AREA_ID, EMBEDDED_DISTRICT_TOML,
    ONE_MINUTE_POINTS_COUNT,
};
use cordon_config::{District, DistrictError};

/// The embedded district as an editable spec.
fn embedded_spec() -> DistrictSpec {
    District::embedded().into_spec()
}

/// Validates `spec` and returns the error, failing the test if it is valid.
fn rejection(spec: DistrictSpec) -> DistrictError {
    match District::from_spec(spec) {
        Ok(_) => panic!("the planted error was accepted"),
        Err(error) => error,
    }
}

/// The field path of an `Invalid` error, failing the test on a parse error.
fn field_of(error: &DistrictError) -> &str {
    error
        .field()
        .unwrap_or_else(|| panic!("expected an invalid field, got {error}"))
}

mod embedded {
    use super::*;

    // The embedded Huangpu file validates and holds the counts the source promises.
    #[test]
    fn validates_with_the_promised_counts() {
        let district = District::embedded();

        assert_eq!(district.stations().len(), 10);
        assert!(district
            .stations()
            .iter()
            .all(|station| station.zones.len() == 3));
        let patrol_groups = district
            .units()
            .iter()
            .filter(|unit| unit.kind == UnitKind::PatrolGroup)
            .count();
        assert_eq!(patrol_groups, 60);
        assert_eq!(district.one_minute_points().len(), ONE_MINUTE_POINTS_COUNT);
        assert!(district.hospitals().len() >= 20);
        assert!(district.safe_houses().len() >= 10);
        assert_eq!(district.sensitive_areas().len(), 6);
        assert_eq!(district.axes().len(), 4);
        let rings: Vec<Ring> = district.rings().iter().map(|spec| spec.ring).collect();
        assert_eq!(rings, Ring::ALL);
    }

    // Every one-minute point's team is a ring 4 unit standing at the point.
    #[test]
    fn point_teams_stand_at_their_points() {
        let district = District::embedded();

        for point in district.one_minute_points() {
            for unit_id in &point.team_unit_ids {
                let unit = district.unit(unit_id).expect("validated team id");
                assert_eq!(unit.ring, Ring::SpecialPolice);
                assert!(
                    point.covers(&unit.home),
                    "{unit_id} is away from {}",
                    point.id
                );
            }
        }
    }

    // The Nanjing Road pedestrian street crosses the zones of three stations.
    #[test]
    fn pedestrian_street_crosses_three_stations() {
        let district = District::embedded();
        let street = district
            .sensitive_areas()
            .iter()
            .find(|area| area.id == "nanjing-road")
            .expect("the pedestrian street is declared");

        // Sample the street's outline on a grid of about 10 m and collect the stations met.
        let lat_min = street
            .polygon
            .iter()
            .map(|p| p.lat)
            .fold(f64::MAX, f64::min);
        let lat_max = street
            .polygon
            .iter()
            .map(|p| p.lat)
            .fold(f64::MIN, f64::max);
        let lon_min = street
            .polygon
            .iter()
            .map(|p| p.lon)
            .fold(f64::MAX, f64::min);
        let lon_max = street
            .polygon
            .iter()
            .map(|p| p.lon)
            .fold(f64::MIN, f64::max);
        let step = 0.0001;
        let mut stations: Vec<&str> = Vec::new();
        let mut lat = lat_min;
        while lat <= lat_max {
            let mut lon = lon_min;
            while lon <= lon_max {
                let point = LatLon::new(lat, lon);
                if street.contains(&point) {
                    if let Some(station) = district.station_for(&point) {
                        if !stations.contains(&station.id.as_str()) {
                            stations.push(&station.id);
                        }
                    }
                }
                lon += step;
            }
            lat += step;
        }
        stations.sort_unstable();
        assert_eq!(stations, ["bund", "huaihai-middle", "nanjing-east"]);
    }

    // Serialising the district and reading it back gives the same district.
    #[test]
    fn round_trips_through_toml() {
        let district = District::embedded();

        let text = toml::to_string(&district).expect("a district serialises");
        let reread = District::from_toml_str(&text).expect("the serialised district validates");

        assert_eq!(reread, district);
    }

    // Area and zone centres lie inside their own shape and the district, so
    // generators may fall back on them; the Bund is found by its id.
    #[test]
    fn centres_lie_inside_their_shapes() {
        let district = District::embedded();

        for area in district.sensitive_areas() {
            let centre = area.centre().expect("a validated area has a polygon");
            assert!(area.contains(&centre), "{} centre {centre}", area.id);
            assert!(district.contains(&centre), "{} centre {centre}", area.id);
        }
        for zone in district.stations().iter().flat_map(|s| &s.zones) {
            let centre = zone.centre().expect("a validated zone has a polygon");
            assert!(zone.contains(&centre), "{} centre {centre}", zone.id);
        }
        let bund = district.sensitive_area(BUND_AREA_ID).expect("the Bund");
        assert_eq!(bund.crowd_capacity, Some(67_000));
    }
}

mod station_lookup {
    use super::*;

    // Landmarks from the table fall in the stations that police them.
    #[test]
    fn landmarks_resolve_to_their_stations() {
        let district = District::embedded();
        let landmarks = [
            ("Chen Yi Square", 31.2422, 121.4858, "bund"),
            ("Bund north end", 31.2466, 121.4861, "bund"),
            ("Bund south end", 31.2355, 121.4880, "bund"),
            (
                "pedestrian street midpoint",
                31.2394,
                121.4760,
                "nanjing-east",
            ),
            (
                "pedestrian street at Henan Road",
                31.2413,
                121.4805,
                "nanjing-east",
            ),
            ("Yu Garden", 31.2292, 121.4875, "yuyuan"),
            ("People's Square", 31.2323, 121.4692, "huaihai-middle"),
            ("Xintiandi", 31.2225, 121.4709, "huaihai-middle"),
            (
                "Huaihai Road at South Huangpi Road",
                31.2247,
                121.4692,
                "huaihai-middle",
            ),
            ("Tianzifang", 31.2122, 121.4644, "dapuqiao"),
            ("Ruijin Hospital", 31.2128, 121.4685, "dapuqiao"),
            ("Ninth People's Hospital", 31.2097, 121.4780, "dapuqiao"),
        ];

        for (name, lat, lon, expected) in landmarks {
            let station = district.station_for(&LatLon::new(lat, lon));
            assert_eq!(
                station.map(|station| station.id.as_str()),
                Some(expected),
                "{name}"
            );
        }
    }

    // zone_for names the zone as well as the station.
    #[test]
    fn zone_for_names_the_zone() {
        let district = District::embedded();

        let (station, zone) = district
            .zone_for(&LatLon::new(31.2422, 121.4858))
            .expect("Chen Yi Square is in a zone");

        assert_eq!(station.id, "bund");
        assert_eq!(zone.id, "bund-2");
    }

    // Lujiazui across the river in Pudong is outside the district and every zone.
    #[test]
    fn pudong_is_outside() {
        let district = District::embedded();
        let lujiazui = LatLon::new(31.2397, 121.4998);

        assert!(!district.contains(&lujiazui));
        assert!(district.station_for(&lujiazui).is_none());
        assert!(district.zone_for(&lujiazui).is_none());
    }

    // Units and stations are found by id, and unknown ids give None.
    #[test]
    fn lookups_by_id() {
        let district = District::embedded();

        let unit = district
            .unit("nanjing-east-1-a")
            .expect("the first patrol group");
        assert_eq!(unit.kind, UnitKind::PatrolGroup);
        assert_eq!(unit.station.as_deref(), Some("nanjing-east"));
        assert!(district.station("yuyuan").is_some());
        assert!(district.unit("no-such-unit").is_none());
        assert!(district.station("no-such-station").is_none());
    }
}

mod on_scene_targets {
    use super::*;

    const STREET_MIDPOINT: LatLon = LatLon::new(31.2394, 121.4760);
    /// A residential lane in Wuliqiao, over a kilometre from any one-minute point.
    const WULIQIAO: LatLon = LatLon::new(31.2000, 121.4650);

    // The pedestrian street's 60 s is ring 3's (its squadron's promise);
    // ring 4 promises 180 s there (away from its points) and everywhere else.
    #[test]
    fn street_is_one_minute_for_ring_three_and_three_for_ring_four() {
        let district = District::embedded();

        assert_eq!(
            district.on_scene_target_s(Ring::StreetPatrol, &STREET_MIDPOINT),
            60
        );
        assert_eq!(
            district.on_scene_target_s(Ring::SpecialPolice, &STREET_MIDPOINT),
            180
        );
        assert_eq!(
            district.on_scene_target_s(Ring::SpecialPolice, &WULIQIAO),
            180
        );
        assert_eq!(
            district.on_scene_target_s(Ring::StreetPatrol, &WULIQIAO),
            300
        );
    }

    // Within a point's cover radius the target is 60 s; just beyond it, the ring's.
    #[test]
    fn one_minute_point_radius() {
        let district = District::embedded();
        let point = district
            .one_minute_points()
            .iter()
            .find(|point| point.id == "point-tianzifang")
            .expect("the Tianzifang point");
        // About 111 m and 222 m due south of the point.
        let near = LatLon::new(point.position.lat - 0.001, point.position.lon);
        let far = LatLon::new(point.position.lat - 0.002, point.position.lon);

        assert_eq!(district.on_scene_target_s(Ring::SpecialPolice, &near), 60);
        assert_eq!(district.on_scene_target_s(Ring::SpecialPolice, &far), 180);
        // The point's minute is its ring-4 team's promise: ring 3 keeps its own.
        assert_eq!(district.on_scene_target_s(Ring::StreetPatrol, &near), 300);
    }

    // The community rings keep their own target even on the pedestrian street.
    #[test]
    fn community_rings_ignore_area_targets() {
        let district = District::embedded();

        assert_eq!(
            district.on_scene_target_s(Ring::Guardian, &STREET_MIDPOINT),
            300
        );
        assert_eq!(
            district.on_scene_target_s(Ring::MassPrevention, &STREET_MIDPOINT),
            300
        );
    }
}

mod planted_errors {
    use super::*;

    // A station with two zones is refused, naming the station's zones.
    #[test]
    fn station_with_two_zones() {
        let mut spec = embedded_spec();
        spec.stations[3].zones.pop();

        let error = rejection(spec);

        assert_eq!(field_of(&error), "district.stations[3].zones");
        assert_eq!(
            error.to_string(),
            "district.stations[3].zones: expected 3 zones, found 2 \
             (fix: every station has exactly 3 responsibility zones)"
        );
    }

    // Two units with one id are refused at the second, which names the first.
    #[test]
    fn duplicate_unit_id() {
        let mut spec = embedded_spec();
        let first_id = spec.units[0].id.clone();
        spec.units[5].id = first_id.clone();

        let error = rejection(spec);

        assert_eq!(field_of(&error), "district.units[5].id");
        let text = error.to_string();
        assert!(
            text.contains(&format!("duplicate id \"{first_id}\"")),
            "{text}"
        );
        assert!(text.contains("district.units[0].id"), "{text}");
    }

    // A unit whose home is in Pudong is refused as outside the bounds.
    #[test]
    fn unit_outside_bounds() {
        let mut spec = embedded_spec();
        let index = spec
            .units
            .iter()
            .position(|unit| unit.kind == UnitKind::RovingSpecialVehicle)
            .expect("a roving vehicle");
        spec.units[index].home = LatLon::new(31.2397, 121.4998);

        let error = rejection(spec);

        assert_eq!(field_of(&error), format!("district.units[{index}].home"));
        assert!(
            error.to_string().contains("outside the district bounds"),
            "{error}"
        );
    }

    // An unknown key in the file is a parse error that names the key and its line.
    #[test]
    fn unknown_field_in_toml() {
        let text = EMBEDDED_DISTRICT_TOML.replacen(
            "duty_mode = \"deployment\"",
            "duty_mode = \"deployment\"\ncolour = \"blue\"",
            1,
        );

        let error = District::from_toml_str(&text).expect_err("an unknown field is refused");

        let DistrictError::Parse { message } = &error else {
            panic!("expected a parse error, got {error}");
        };
        assert!(message.contains("unknown field `colour`"), "{message}");
        assert!(message.contains("line"), "{message}");
    }

    // A file of another version (the first, without streets) is refused, naming `version`.
    #[test]
    fn wrong_version() {
        let text = EMBEDDED_DISTRICT_TOML.replacen("\nversion = 2\n", "\nversion = 1\n", 1);
        assert_ne!(text, EMBEDDED_DISTRICT_TOML, "the version line was found");

        let error = District::from_toml_str(&text).expect_err("version 1 is refused");

        assert_eq!(field_of(&error), "district.version");
        assert!(error.to_string().contains("found 1, expected 2"), "{error}");
    }

    // An area's target ring must own a target and honour area targets.
    #[test]
    fn target_ring_without_target_or_for_a_community_ring() {
        let mut spec = embedded_spec();
        let index = spec
            .sensitive_areas
            .iter()
            .position(|area| area.on_scene_target_s.is_none())
            .expect("an area without a target");
        spec.sensitive_areas[index].target_ring = Some(Ring::StreetPatrol);
        let error = rejection(spec);
        assert_eq!(
            field_of(&error),
            format!("district.sensitive_areas[{index}].target_ring")
        );
        assert!(error.to_string().contains("names no target"), "{error}");

        let mut spec = embedded_spec();
        let street = spec
            .sensitive_areas
            .iter()
            .position(|area| area.on_scene_target_s.is_some())
            .expect("the pedestrian street");
        spec.sensitive_areas[street].target_ring = Some(Ring::Guardian);
        let error = rejection(spec);
        assert!(
            error.to_string().contains("does not honour area targets"),
            "{error}"
        );
    }

    // A unit naming a station that does not exist is refused, listing the real ones.
    #[test]
    fn unit_with_unknown_station() {
        let mut spec = embedded_spec();
        let index = spec
            .units
            .iter()
            .position(|unit| unit.kind == UnitKind::VolunteerTeam)
            .expect("a volunteer team");
        spec.units[index].station = Some("pudong".to_owned());
        spec.units[index].zone = None;

        let error = rejection(spec);

        assert_eq!(field_of(&error), format!("district.units[{index}].station"));
        let text = error.to_string();
        assert!(text.contains("unknown station \"pudong\""), "{text}");
        assert!(text.contains("nanjing-east"), "{text}");
    }

    // A unit's zone must belong to the unit's own station.
    #[test]
    fn zone_of_another_station() {
        let mut spec = embedded_spec();
        let index = spec
            .units
            .iter()
            .position(|unit| unit.zone.as_deref() == Some("bund-1"))
            .expect("a unit of zone bund-1");
        spec.units[index].station = Some("yuyuan".to_owned());

        let error = rejection(spec);

        assert_eq!(field_of(&error), format!("district.units[{index}].zone"));
        assert!(
            error.to_string().contains("belongs to station \"bund\""),
            "{error}"
        );
    }

    // A zone that lost a patrol group is refused.
    #[test]
    fn zone_missing_a_patrol_group() {
        let mut spec = embedded_spec();
        spec.units.retain(|unit| unit.id != "yuyuan-2-b");

        let error = rejection(spec);

        assert_eq!(field_of(&error), "district.stations[4].zones[1]");
        assert!(
            error
                .to_string()
                .contains("has 1 patrol groups, expected 2"),
            "{error}"
        );
    }

    // Ring 4 must promise 180 s and the pedestrian street 60 s.
    #[test]
    fn promised_targets() {
        let mut spec = embedded_spec();
        let ring4 = spec
            .rings
            .iter()
            .position(|ring| ring.ring == Ring::SpecialPolice)
            .expect("ring 4");
        spec.rings[ring4].on_scene_target_s = 240;
        let error = rejection(spec);
        assert_eq!(
            field_of(&error),
            format!("district.rings[{ring4}].on_scene_target_s")
        );

        let mut spec = embedded_spec();
        let street = spec
            .sensitive_areas
            .iter()
            .position(|area| area.id == "nanjing-road")
            .expect("the street");
        spec.sensitive_areas[street].on_scene_target_s = Some(90);
        let error = rejection(spec);
        assert_eq!(
            field_of(&error),
            format!("district.sensitive_areas[{street}].on_scene_target_s")
        );
    }

    // Overlapping zones are refused: a zone drawn over its neighbour's centroid.
    #[test]
    fn overlapping_zones() {
        let mut spec = embedded_spec();
        // Draw Nanjing East's zone 1 (not the one holding the station) over the Bund's zone 2.
        spec.stations[0].zones[0].polygon = spec.stations[1].zones[1].polygon.clone();

        let error = rejection(spec);

        assert_eq!(field_of(&error), "district.stations[0].zones[0].polygon");
        assert!(
            error.to_string().contains("also lies in zone \"bund-2\""),
            "{error}"
        );
    }

    // Eleven one-minute points are required, and their teams must be ring 4 units.
    #[test]
    fn one_minute_points_rules() {
        let mut spec = embedded_spec();
        spec.one_minute_points.pop();
        let error = rejection(spec);
        assert_eq!(field_of(&error), "district.one_minute_points");

        let mut spec = embedded_spec();
        spec.one_minute_points[0].team_unit_ids = vec!["nanjing-east-1-a".to_owned()];
        let error = rejection(spec);
        assert_eq!(
            field_of(&error),
            "district.one_minute_points[0].team_unit_ids[0]"
        );
        assert!(error.to_string().contains("expected ring 4"), "{error}");
    }

    // A swapped [lon, lat] pair is caught as an impossible latitude.
    #[test]
    fn swapped_coordinates() {
        let mut spec = embedded_spec();
        let home = spec.units[0].home;
        spec.units[0].home = LatLon::new(home.lon, home.lat);

        let error = rejection(spec);

        assert_eq!(field_of(&error), "district.units[0].home");
        assert!(error.to_string().contains("latitude first"), "{error}");
    }

    // Force levels above 10, or above the ring's maximum, are refused.
    #[test]
    fn force_levels() {
        let mut spec = embedded_spec();
        spec.units[0].force_level = 11;
        let error = rejection(spec);
        assert_eq!(field_of(&error), "district.units[0].force_level");
        assert!(error.to_string().contains("expected 0..=10"), "{error}");

        let mut spec = embedded_spec();
        spec.units[0].force_level = 9;
        let error = rejection(spec);
        assert!(error.to_string().contains("force_level_max"), "{error}");
    }

    // Fewer than 20 hospitals is refused.
    #[test]
    fn too_few_hospitals() {
        let mut spec = embedded_spec();
        spec.hospitals.truncate(19);

        let error = rejection(spec);

        assert_eq!(field_of(&error), "district.hospitals");
    }
}
