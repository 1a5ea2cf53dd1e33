//! Routing on the embedded district's streets, and on variants of them with
//! one thing changed: a one-way street, a bridge to an island, the New
//! Year's Eve crowds. All pure: no runtime, no clock.

use cordon_config::district::streets::{OneWay, StreetClass, StreetNodeSpec, StreetsSpec, WaySpec};
use cordon_config::district::{District, LatLon, TravelMode, EMBEDDED_STREETS_FILE};
use proptest::prelude::*;

use super::*;

fn embedded() -> District {
    District::embedded()
}

/// The embedded district with its street file changed by `edit`.
fn with_streets(edit: impl FnOnce(&mut StreetsSpec)) -> District {
    let district = embedded();
    let mut streets = district.streets_spec().clone();
    edit(&mut streets);
    let mut spec = district.into_spec();
    spec.streets = EMBEDDED_STREETS_FILE.into();
    District::with_streets(spec, streets).expect("the edited streets validate")
}

fn node_at(streets: &StreetsSpec, id: &str) -> LatLon {
    streets.nodes.iter().find(|node| node.id == id).unwrap().at
}

/// The point `share` of the way from `a` to `b`.
fn between(a: LatLon, b: LatLon, share: f64) -> LatLon {
    LatLon::new(
        a.lat + share * (b.lat - a.lat),
        a.lon + share * (b.lon - a.lon),
    )
}

/// The first two-way street-class way and the ends of its first segment.
fn a_two_way_street(streets: &StreetsSpec) -> (usize, LatLon, LatLon) {
    let index = streets
        .ways
        .iter()
        .position(|way| {
            way.class == StreetClass::Street && way.oneway.is_none() && way.access.is_none()
        })
        .expect("a two-way street");
    let way = &streets.ways[index];
    (
        index,
        node_at(streets, &way.nodes[0]),
        node_at(streets, &way.nodes[1]),
    )
}

fn calm(router: &StreetRouter) -> Travel<'_> {
    router.under(&router.regime_at(&LocalTime {
        month: 6,
        day: 1,
        minute: 4 * 60,
    }))
}

// Against a one-way street a car goes round the block; on foot the trip is
// the same as before.
#[test]
fn a_one_way_street_sends_cars_round_the_block_but_not_walkers() {
    let before = embedded();
    let (index, a, b) = a_two_way_street(before.streets_spec());
    let (near_b, near_a) = (between(a, b, 0.8), between(a, b, 0.2));
    let after = with_streets(|streets| streets.ways[index].oneway = Some(OneWay::Forward));
    let (router_before, router_after) = (StreetRouter::new(&before), StreetRouter::new(&after));
    let (two_way, one_way) = (calm(&router_before), calm(&router_after));

    let car_before = two_way
        .by_streets_s(&near_b, &near_a, TravelMode::Car)
        .unwrap();
    let car_after = one_way
        .by_streets_s(&near_b, &near_a, TravelMode::Car)
        .unwrap();
    let with_flow = one_way
        .by_streets_s(&near_a, &near_b, TravelMode::Car)
        .unwrap();

    assert!(
        car_after > car_before,
        "against the flow: {car_after} s, two-way {car_before} s"
    );
    assert_eq!(
        with_flow,
        two_way
            .by_streets_s(&near_a, &near_b, TravelMode::Car)
            .unwrap()
    );
    assert_eq!(
        one_way.by_streets_s(&near_b, &near_a, TravelMode::Foot),
        two_way.by_streets_s(&near_b, &near_a, TravelMode::Foot)
    );
}

// On the Nanjing Road pedestrian street an officer on foot is on the
// pedestrian way; a car is on some other street.
#[test]
fn the_pedestrian_street_is_walked_not_driven() {
    let district = embedded();
    let router = StreetRouter::new(&district);
    let travel = calm(&router);
    let streets = district.streets();
    let edge = streets
        .edges()
        .iter()
        .find(|edge| {
            let way = streets.way_of(edge);
            way.class == StreetClass::Pedestrian && way.name.contains("Nanjing")
        })
        .expect("the pedestrian street");
    let middle = between(
        streets.nodes()[edge.from as usize].at,
        streets.nodes()[edge.to as usize].at,
        0.5,
    );

    let class_of = |mode| {
        let snap = travel.snap(&middle, mode).unwrap();
        streets.way_of(&streets.edges()[snap.edge() as usize]).class
    };

    assert_eq!(class_of(TravelMode::Foot), StreetClass::Pedestrian);
    assert_eq!(class_of(TravelMode::ECart), StreetClass::Pedestrian);
    assert_ne!(class_of(TravelMode::Car), StreetClass::Pedestrian);
    assert!(travel.snap(&middle, TravelMode::Car).unwrap().gap_m > 0.0);
}

// An island reached by one bridge: open, a car gets there; the bridge
// closed, nothing does, on foot or by car.
#[test]
fn a_closed_bridge_cuts_off_what_lies_beyond() {
    let district = with_streets(|streets| {
        let shore = streets.nodes[0].clone();
        for (id, north) in [("test-bridge-far", 0.0008), ("test-island-end", 0.0016)] {
            streets.nodes.push(StreetNodeSpec {
                id: id.into(),
                at: LatLon::new(shore.at.lat + north, shore.at.lon),
                name: None,
                source: None,
            });
        }
        let way = |id: &str, nodes: [&str; 2], bridge| WaySpec {
            id: id.into(),
            name: format!("Test {id}"),
            class: StreetClass::Street,
            nodes: nodes.iter().map(|n| n.to_string()).collect(),
            oneway: None,
            access: None,
            bridge,
            tunnel: false,
            source: None,
        };
        streets
            .ways
            .push(way("test-bridge", [&shore.id, "test-bridge-far"], true));
        streets.ways.push(way(
            "test-island",
            ["test-bridge-far", "test-island-end"],
            false,
        ));
    });
    let router = StreetRouter::new(&district);
    let island = node_at(district.streets_spec(), "test-island-end");
    let shore = district.streets().nodes()[0].at;
    let away = LatLon::new(shore.lat - 0.003, shore.lon + 0.003);

    let open = calm(&router);
    let closed = calm(&router).with_closed(|way| way.bridge && way.id == "test-bridge");

    assert!(open.by_streets_s(&away, &island, TravelMode::Car).is_some());
    assert_eq!(closed.by_streets_s(&away, &island, TravelMode::Car), None);
    assert_eq!(closed.by_streets_s(&away, &island, TravelMode::Foot), None);
}

// The New Year's Eve rules shut cars out of the Bund and slow walkers there
// from 20:00 on 31 December to 01:30; an ordinary June night is calm.
#[test]
fn new_years_eve_shuts_cars_out_of_the_bund_and_slows_walkers() {
    let district = embedded();
    let router = StreetRouter::new(&district);
    let bund = district
        .sensitive_area(cordon_config::district::BUND_AREA_ID)
        .unwrap();
    let on_the_bund = |a: &str, b: &str| {
        let streets = district.streets_spec();
        between(node_at(streets, a), node_at(streets, b), 0.5)
    };
    let from = on_the_bund("jiujiang-x-zhongshan-e1", "hankou-x-zhongshan-e1");
    let to = on_the_bund("fuzhou-x-zhongshan-e1", "guangdong-x-zhongshan-e1");
    assert!(bund.contains(&from) && bund.contains(&to));
    let countdown = LocalTime::at(1_798_729_200_000, 480); // 2026-12-31 23:00 in Shanghai
    assert_eq!(
        countdown,
        LocalTime {
            month: 12,
            day: 31,
            minute: 23 * 60
        }
    );

    let regime = router.regime_at(&countdown);
    let (night, usual) = (router.under(&regime), calm(&router));

    assert_eq!(
        regime.factor(router_area(&district, bund.id.as_str()), TravelMode::Car),
        0.0
    );
    let car_snap = night.snap(&from, TravelMode::Car).unwrap();
    assert!(car_snap.gap_m > usual.snap(&from, TravelMode::Car).unwrap().gap_m);
    let walk_night = night.by_streets_s(&from, &to, TravelMode::Foot).unwrap();
    let walk_usual = usual.by_streets_s(&from, &to, TravelMode::Foot).unwrap();
    assert!(
        walk_night > walk_usual,
        "night {walk_night} s, usual {walk_usual} s"
    );
    let after = router.regime_at(&LocalTime {
        month: 1,
        day: 1,
        minute: 2 * 60,
    });
    assert!(after.is_calm());
}

fn router_area(district: &District, id: &str) -> usize {
    district
        .sensitive_areas()
        .iter()
        .position(|area| area.id == id)
        .unwrap()
}

// A daily rule past midnight and the New Year's Eve rule, at their edges.
#[test]
fn rules_apply_from_their_start_to_before_their_end() {
    let district = embedded();
    let rules = &district.spec().crowd_rules;
    let new_year = rules
        .iter()
        .find(|rule| rule.occasion == Occasion::NewYearEve)
        .unwrap();
    let at = |month, day, hour: u16, minute: u16| LocalTime {
        month,
        day,
        minute: hour * 60 + minute,
    };

    assert!(!rule_active(new_year, &at(12, 31, 19, 59)));
    assert!(rule_active(new_year, &at(12, 31, 20, 0)));
    assert!(rule_active(new_year, &at(1, 1, 1, 29)));
    assert!(!rule_active(new_year, &at(1, 1, 1, 30)));
    assert!(!rule_active(new_year, &at(12, 30, 21, 0)));
    assert_eq!(LocalTime::at(0, 0), at(1, 1, 0, 0));
    assert_eq!(LocalTime::at(1_709_164_800_000, 480), at(2, 29, 8, 0)); // 2024-02-29T00:00Z
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    // From any node, the search's costs equal petgraph's own Dijkstra on
    // the same mode's graph and weights.
    #[test]
    fn the_search_agrees_with_petgraphs_dijkstra(start in 0usize..10_000, mode in 0usize..4) {
        let district = embedded();
        let router = StreetRouter::new(&district);
        let travel = calm(&router);
        let mode = TravelMode::ALL[mode];
        let network = &router.networks[mode.index()];
        let start = (start % network.graph.node_count()) as u32;

        let ours = travel.search(mode, &[(start, 0)], Direction::Outgoing, |_, _| false);
        let weights = &travel.weights[mode.index()];
        let theirs = petgraph::algo::dijkstra(&network.graph, NodeIndex::new(start as usize), None, |edge| {
            weights[*edge.weight() as usize].map_or(u64::MAX / 4, u64::from)
        });

        for (node, cost) in ours.iter().enumerate() {
            let expected = theirs.get(&NodeIndex::new(node)).copied().filter(|cost| *cost < u64::MAX / 4);
            prop_assert_eq!(Some(*cost).filter(|cost| *cost != u64::MAX), expected, "node {}", node);
        }
    }

    // The quickest unit found by searching back from the scene is the one
    // asking every unit's travel time finds, with the same seconds.
    #[test]
    fn the_quickest_unit_is_the_one_every_unit_asked_finds(
        seed_units in proptest::collection::vec((0.0f64..1.0, 0.0f64..1.0, 0usize..4, 0u32..20, 0u32..20), 1..40),
        scene in (0.0f64..1.0, 0.0f64..1.0),
    ) {
        let district = embedded();
        let router = StreetRouter::new(&district);
        let travel = calm(&router);
        let place = |(x, y): (f64, f64)| LatLon::new(31.205 + 0.035 * y, 121.462 + 0.03 * x);
        let units: Vec<UnitOnStreets> = seed_units
            .iter()
            .map(|(x, y, mode, turnout_s, walk_turnout_s)| UnitOnStreets {
                position: place((*x, *y)),
                mode: TravelMode::ALL[*mode],
                turnout_s: *turnout_s,
                walk_turnout_s: *walk_turnout_s,
            })
            .collect();
        let scene = place(scene);

        let placed = travel.place(&units);
        let found = travel.quickest(&placed, &scene, |unit| unit % 3 != 1);

        let asked = units
            .iter()
            .enumerate()
            .filter(|(index, _)| index % 3 != 1)
            .filter_map(|(index, unit)| {
                let driving = travel.by_streets_s(&unit.position, &scene, unit.mode).map(|s| s + unit.turnout_s);
                let walking = travel.direct_walk_s(&unit.position, &scene).map(|s| s + unit.walk_turnout_s);
                Some((driving.into_iter().chain(walking).min()?, index as u32))
            })
            .min();
        prop_assert_eq!(found.map(|(_, eta)| eta), asked.map(|(eta, _)| eta));
    }
}
