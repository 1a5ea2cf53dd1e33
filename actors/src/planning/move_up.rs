//! Move-up: when a police ring's coverage falls below its floor, idle units
//! move to posts that restore it. Ring 4 moves its roving vehicles and the
//! standby squad across the district (its point teams keep their points);
//! ring 3 moves a station's patrol groups within the station's own zones.
//!
//! [`propose_move_ups`] is the pure rule: the coverage book's best move of
//! a movable unit to a post, kept if it gains at least
//! [`MOVE_UP_GAIN_PPM_MIN`] of the demand and the unit gets there within
//! [`MOVE_UP_TRAVEL_S_MAX`]; at most [`MOVE_UPS_PER_ROUND_MAX`] per ring and round.
//! A round starts only when the ring's coverage is below its trigger
//! ([`trigger_share`]): its floor, or, where the units at home reach less
//! than the floor, [`MOVE_UP_HOME_DROP`] below what they reach at home, so
//! move-up restores what busy units took away rather than redrawing the
//! district's layout (that is [`improve_layout`]'s work, done offline).

use std::collections::BTreeSet;

use cordon_config::district::streets::StreetClass;
use cordon_config::district::{District, LatLon, Ring, UnitKind};

use super::coverage::{CoverageBook, Objective};
use super::facts::CandidateUnit;
use super::travel::TravelModel;

/// Ring 4's coverage floor: below it, ring 4 moves up.
pub const MOVE_UP_FLOOR_RING4: f64 = 0.95;
/// Ring 3's coverage floor.
pub const MOVE_UP_FLOOR_RING3: f64 = 0.90;
/// How far below its coverage at home a ring whose home layout misses its
/// floor may fall before it moves up, as a share of demand (3 points).
pub const MOVE_UP_HOME_DROP: f64 = 0.03;
/// Least demand a move must gain, net, in parts per million (half a percent).
pub const MOVE_UP_GAIN_PPM_MIN: i64 = 5_000;
/// Longest drive to a post, in seconds.
pub const MOVE_UP_TRAVEL_S_MAX: u32 = 600;
/// Most moves per ring in one round.
pub const MOVE_UPS_PER_ROUND_MAX: usize = 2;
/// How long a moved unit is left where it was sent before it may be moved
/// again, in milliseconds: crews are not kept driving round the district.
pub const MOVE_UP_COOLDOWN_MS: u64 = 20 * 60_000;

/// A unit to send to a post.
#[derive(Debug, Clone, PartialEq)]
pub struct MoveUp {
    /// The unit's id.
    pub unit_id: String,
    /// Where it goes.
    pub post: LatLon,
    /// The post's name.
    pub post_name: String,
    /// The ring's demand gained, net, in parts per million.
    pub gain_ppm: i64,
    /// Its drive there, in seconds.
    pub travel_s: u32,
}

/// A named place a unit can wait at.
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    /// Where.
    pub at: LatLon,
    /// What it is ("Xizang Middle Rd x Nanjing E Rd", a station, a point).
    pub name: String,
}

/// The posts of `district`: every named crossing of its arterials and main
/// streets, its stations and its one-minute points, inside the district,
/// in that order.
pub fn posts(district: &District) -> Vec<Post> {
    let streets = district.streets();
    let mut crossing: BTreeSet<u32> = BTreeSet::new();
    for edge in streets.edges() {
        if matches!(
            streets.way_of(edge).class,
            StreetClass::Arterial | StreetClass::Main
        ) {
            crossing.insert(edge.from);
        }
    }
    let named = crossing.into_iter().filter_map(|node| {
        let node = &streets.nodes()[node as usize];
        let name = node.name.clone()?;
        Some(Post { at: node.at, name })
    });
    let stations = district.stations().iter().map(|station| Post {
        at: station.position,
        name: format!("{} station", station.name),
    });
    let points = district.one_minute_points().iter().map(|point| Post {
        at: point.position,
        name: point.name.clone(),
    });
    named
        .chain(stations)
        .chain(points)
        .filter(|post| district.contains(&post.at))
        .collect()
}

/// The share of demand below which `ring` moves up: its floor, or
/// [`MOVE_UP_HOME_DROP`] below `home_share` (its coverage with every unit
/// available at home) when that is lower. None for rings 1 and 2.
pub fn trigger_share(ring: Ring, home_share: f64) -> Option<f64> {
    let floor = match ring {
        Ring::SpecialPolice => MOVE_UP_FLOOR_RING4,
        Ring::StreetPatrol => MOVE_UP_FLOOR_RING3,
        _ => return None,
    };
    Some(floor.min(home_share - MOVE_UP_HOME_DROP))
}

/// `ring`'s share of demand covered in time with every unit available at home.
pub fn home_share(
    book: &mut CoverageBook,
    model: &TravelModel<'_>,
    district: &District,
    ring: Ring,
) -> f64 {
    let home = super::facts::candidates_at_home(district);
    book.report(model, &home).ring_target_share(ring)
}

/// What a move-up round of one ring works with.
#[derive(Debug, Clone, Copy)]
pub struct Round<'a> {
    /// The ring.
    pub ring: Ring,
    /// The share of demand below which it moves up ([`trigger_share`]).
    pub trigger_share: f64,
    /// Where its units may go.
    pub posts: &'a [Post],
    /// Units that stay put (moved within [`MOVE_UP_COOLDOWN_MS`], or still
    /// on their way).
    pub resting: &'a BTreeSet<String>,
}

impl<'a> Round<'a> {
    /// A round of `ring` with its trigger, over `posts`, none resting.
    pub fn new(
        ring: Ring,
        trigger_share: f64,
        posts: &'a [Post],
        resting: &'a BTreeSet<String>,
    ) -> Round<'a> {
        Round {
            ring,
            trigger_share,
            posts,
            resting,
        }
    }
}

/// Whether `unit` may be moved up: ring 4's roving vehicles and standby
/// squad, ring 3's patrol groups.
pub fn movable(unit: &CandidateUnit) -> bool {
    matches!(
        unit.kind,
        UnitKind::RovingSpecialVehicle | UnitKind::StandbySquad | UnitKind::PatrolGroup
    )
}

/// The moves that lift the round's ring's coverage, while it is below the
/// round's trigger: at most [`MOVE_UPS_PER_ROUND_MAX`], each the best left
/// after the one before. Ring 3's units stay within their own station's
/// zones; resting units stay put.
pub fn propose_move_ups(
    book: &mut CoverageBook,
    model: &TravelModel<'_>,
    district: &District,
    units: &[CandidateUnit],
    round: &Round<'_>,
) -> Vec<MoveUp> {
    let Round {
        ring,
        trigger_share,
        posts,
        ..
    } = *round;
    let mut units = units.to_vec();
    let mut moves = Vec::new();
    while moves.len() < MOVE_UPS_PER_ROUND_MAX {
        let report = book.report(model, &units);
        if report
            .ring(ring)
            .is_none_or(|coverage| coverage.ring_target_share() >= trigger_share)
        {
            break;
        }
        let objective = (ring, Objective::RingTarget);
        let Some(found) = best_reachable_move(book, model, district, &units, objective, round)
        else {
            break;
        };
        moves.push(make_move(&mut units, posts, found));
    }
    moves
}

/// Moves the unit of `found` (unit, post, gain, travel) to its post in
/// `units`, and says so.
fn make_move(
    units: &mut [CandidateUnit],
    posts: &[Post],
    found: (usize, usize, i64, u32),
) -> MoveUp {
    let (unit, post, gain_ppm, travel_s) = found;
    units[unit].position = posts[post].at;
    MoveUp {
        unit_id: units[unit].id.clone(),
        post: posts[post].at,
        post_name: posts[post].name.clone(),
        gain_ppm,
        travel_s,
    }
}

/// `units` with `moves` made: each moved unit at its post.
pub fn with_moves(units: &[CandidateUnit], moves: &[MoveUp]) -> Vec<CandidateUnit> {
    let mut units = units.to_vec();
    for move_up in moves {
        if let Some(unit) = units.iter_mut().find(|unit| unit.id == move_up.unit_id) {
            unit.position = move_up.post;
        }
    }
    units
}

/// Most moves in a layout search.
pub const LAYOUT_MOVES_MAX: usize = 24;

/// Better homes for `ring`'s movable units, for its district-wide promise
/// (each point within the ring's own target): moves made one at a time from
/// the current positions, each the best left (any unit, any post it may
/// take within [`MOVE_UP_TRAVEL_S_MAX`]), until none gains
/// [`MOVE_UP_GAIN_PPM_MIN`]: a greedy hill climb, so a local optimum.
pub fn improve_layout(
    book: &mut CoverageBook,
    model: &TravelModel<'_>,
    district: &District,
    units: &[CandidateUnit],
    ring: Ring,
    posts: &[Post],
) -> Vec<MoveUp> {
    let mut units = units.to_vec();
    let mut moves = Vec::new();
    let nobody = BTreeSet::new();
    let round = Round::new(ring, 1.0, posts, &nobody);
    while moves.len() < LAYOUT_MOVES_MAX {
        let objective = (ring, Objective::RingTarget);
        let Some(found) = best_reachable_move(book, model, district, &units, objective, &round)
        else {
            break;
        };
        moves.push(make_move(&mut units, posts, found));
    }
    moves
}

/// Most vehicles [`vehicles_to_reach`] adds.
pub const ADDED_VEHICLES_MAX: usize = 40;

/// How many more vehicles like `like` (a unit of `units`) `ring` would need,
/// and where, to reach `target_share` of the demand in time: added one at a
/// time, each at the post that covers the most demand left within the
/// ring's own target (its district-wide promise), until the
/// share is reached or [`ADDED_VEHICLES_MAX`] are added (a greedy answer,
/// so an upper bound on the least number). Returns each added vehicle's
/// post with the ring's share once it is there, and the units with them.
pub fn vehicles_to_reach(
    book: &mut CoverageBook,
    model: &TravelModel<'_>,
    units: &[CandidateUnit],
    like: &str,
    target_share: f64,
    posts: &[Post],
) -> (Vec<(Post, f64)>, Vec<CandidateUnit>) {
    let Some(template) = units.iter().find(|unit| unit.id == like).cloned() else {
        return (Vec::new(), units.to_vec());
    };
    let ring = template.ring;
    let offered: Vec<LatLon> = posts.iter().map(|post| post.at).collect();
    let mut units = units.to_vec();
    let mut added = Vec::new();
    while added.len() < ADDED_VEHICLES_MAX {
        let share = book.report(model, &units).ring_target_share(ring);
        if share >= target_share {
            break;
        }
        // A new vehicle beside the template covers nothing new, so its
        // best move's gain is what it adds at the post.
        units.push(CandidateUnit {
            id: format!("added-{}", added.len() + 1),
            available: true,
            ..template.clone()
        });
        let newest = units.len() - 1;
        let objective = (ring, Objective::RingTarget);
        let Some(found) = book.best_move(model, &units, objective, &[newest], &offered) else {
            break;
        };
        if found.gain_ppm <= 0 {
            units.pop();
            break;
        }
        units[newest].position = offered[found.post];
        let share = book.report(model, &units).ring_target_share(ring);
        added.push((posts[found.post].clone(), share));
    }
    (added, units)
}

/// The best move, by unit: each movable available unit of the round's ring
/// that is not resting tries the posts it may take and reach in time, for
/// the ring's coverage under the objective. (unit, post, gain, travel).
fn best_reachable_move(
    book: &mut CoverageBook,
    model: &TravelModel<'_>,
    district: &District,
    units: &[CandidateUnit],
    (ring, objective): (Ring, Objective),
    round: &Round<'_>,
) -> Option<(usize, usize, i64, u32)> {
    let (posts, resting) = (round.posts, round.resting);
    let mut best: Option<(usize, usize, i64, u32)> = None;
    for (index, unit) in units.iter().enumerate() {
        if !(unit.available && unit.ring == ring && movable(unit)) || resting.contains(&unit.id) {
            continue;
        }
        let allowed: Vec<(usize, u32)> = posts
            .iter()
            .enumerate()
            .filter(|(_, post)| within_scope(unit, &post.at, district))
            .filter_map(|(at, post)| {
                let travel_s =
                    model
                        .travel()
                        .by_streets_s(&unit.position, &post.at, unit.travel_mode)?;
                (travel_s <= MOVE_UP_TRAVEL_S_MAX && unit.position.distance_m(&post.at) > 1.0)
                    .then_some((at, travel_s))
            })
            .collect();
        let offered: Vec<LatLon> = allowed.iter().map(|(at, _)| posts[*at].at).collect();
        let Some(found) = book.best_move(model, units, (ring, objective), &[index], &offered)
        else {
            continue;
        };
        let candidate = (
            index,
            allowed[found.post].0,
            found.gain_ppm,
            allowed[found.post].1,
        );
        if found.gain_ppm >= MOVE_UP_GAIN_PPM_MIN && best.is_none_or(|best| candidate.2 > best.2) {
            best = Some(candidate);
        }
    }
    best
}

/// Ring 3 keeps to its station's zones; ring 4 goes anywhere.
fn within_scope(unit: &CandidateUnit, post: &LatLon, district: &District) -> bool {
    match (&unit.station, unit.ring) {
        (Some(station), Ring::StreetPatrol) => district
            .station_for(post)
            .is_some_and(|owner| owner.id == *station),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use cordon_config::district::District;

    use super::*;
    use crate::planning::facts::candidates_at_home;
    use crate::planning::router::StreetRouter;

    fn share(
        book: &mut CoverageBook,
        model: &TravelModel<'_>,
        units: &[CandidateUnit],
        ring: Ring,
    ) -> f64 {
        book.report(model, units)
            .ring(ring)
            .unwrap()
            .ring_target_share()
    }

    /// The round of `ring` with its trigger from its coverage at home.
    fn round<'a>(
        book: &mut CoverageBook,
        model: &TravelModel<'_>,
        district: &District,
        ring: Ring,
        posts: &'a [Post],
        resting: &'a BTreeSet<String>,
    ) -> Round<'a> {
        let home = home_share(book, model, district, ring);
        Round {
            ring,
            trigger_share: trigger_share(ring, home).unwrap(),
            posts,
            resting,
        }
    }

    // With every unit at home no ring moves up: the trigger sits below
    // what the home layout reaches, so move-up answers a drop, not the layout.
    #[test]
    fn at_home_no_ring_moves_up() {
        let district = District::embedded();
        let router = StreetRouter::new(&district);
        let model = TravelModel::calm(&router);
        let units = candidates_at_home(&district);
        let mut book = CoverageBook::new(&district);
        let (posts, resting) = (posts(&district), BTreeSet::new());

        for ring in [Ring::StreetPatrol, Ring::SpecialPolice] {
            let round = round(&mut book, &model, &district, ring, &posts, &resting);
            let moves = propose_move_ups(&mut book, &model, &district, &units, &round);
            assert!(moves.is_empty(), "{ring:?}: {moves:?}");
        }
    }

    // With the southern ring-4 units taken, ring 4 moves up to two roving
    // vehicles or the standby squad (never a point team) within ten
    // minutes' drive, and its coverage rises by at least the minimum gain.
    #[test]
    fn below_its_trigger_ring_four_moves_roving_units_and_gains_coverage() {
        let district = District::embedded();
        let router = StreetRouter::new(&district);
        let model = TravelModel::calm(&router);
        let mut units = candidates_at_home(&district);
        for unit in units
            .iter_mut()
            .filter(|u| u.ring == Ring::SpecialPolice && u.position.lat < 31.215)
        {
            unit.available = false;
        }
        let mut book = CoverageBook::new(&district);
        let (posts, resting) = (posts(&district), BTreeSet::new());
        let round = round(
            &mut book,
            &model,
            &district,
            Ring::SpecialPolice,
            &posts,
            &resting,
        );
        let before = share(&mut book, &model, &units, Ring::SpecialPolice);
        assert!(before < round.trigger_share, "{before} {round:?}");

        let moves = propose_move_ups(&mut book, &model, &district, &units, &round);

        assert!(
            !moves.is_empty() && moves.len() <= MOVE_UPS_PER_ROUND_MAX,
            "{moves:?}"
        );
        for move_up in &moves {
            let unit = district.unit(&move_up.unit_id).unwrap();
            assert!(
                matches!(
                    unit.kind,
                    UnitKind::RovingSpecialVehicle | UnitKind::StandbySquad
                ),
                "{move_up:?}"
            );
            assert!(
                move_up.travel_s <= MOVE_UP_TRAVEL_S_MAX
                    && move_up.gain_ppm >= MOVE_UP_GAIN_PPM_MIN
            );
        }
        let after = share(
            &mut book,
            &model,
            &with_moves(&units, &moves),
            Ring::SpecialPolice,
        );
        assert!(
            after >= before + MOVE_UP_GAIN_PPM_MIN as f64 / 1e6,
            "{before} -> {after}"
        );
    }

    // With the Bund station's northern groups taken, ring 3's groups move
    // only within their own station's zones, and a resting unit stays put.
    #[test]
    fn ring_three_keeps_to_its_station_and_resting_units_stay() {
        let district = District::embedded();
        let router = StreetRouter::new(&district);
        let model = TravelModel::calm(&router);
        let mut units = candidates_at_home(&district);
        for unit in units
            .iter_mut()
            .filter(|u| u.ring == Ring::StreetPatrol && u.position.lat > 31.228)
        {
            unit.available = false;
        }
        let mut book = CoverageBook::new(&district);
        let posts = posts(&district);
        let nobody = BTreeSet::new();
        let round = round(
            &mut book,
            &model,
            &district,
            Ring::StreetPatrol,
            &posts,
            &nobody,
        );

        let moves = propose_move_ups(&mut book, &model, &district, &units, &round);

        assert!(!moves.is_empty());
        for move_up in &moves {
            let unit = district.unit(&move_up.unit_id).unwrap();
            let post_station = district
                .station_for(&move_up.post)
                .map(|station| station.id.clone());
            assert_eq!(post_station, unit.station, "{move_up:?}");
        }
        let everyone: BTreeSet<String> = units.iter().map(|unit| unit.id.clone()).collect();
        let resting_round = Round {
            resting: &everyone,
            ..round
        };
        let none = propose_move_ups(&mut book, &model, &district, &units, &resting_round);
        assert!(none.is_empty(), "{none:?}");
    }
}
