//! Travel times on the district's street graph.
//!
//! [`StreetRouter`] holds, per travel mode, the street network as a petgraph
//! graph (street node `i` is graph node `i`) and an R-tree (rstar) of its
//! street segments in a local metric frame, built once per district. A
//! [`CrowdRegime`] says how crowds slow each sensitive area at a given hour;
//! [`StreetRouter::under`] turns the two into [`Travel`], every edge's time
//! in whole deciseconds, and asks it questions.
//!
//! A trip snaps both ends to the nearest segment its mode may use, walks the
//! gap on foot (a crew leaves the vehicle at the kerb), and takes the
//! quickest route over the network between the snapped points (Dijkstra,
//! integer costs, ties by node index, so equal inputs give equal answers).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::{Arc, Mutex};

use cordon_config::district::streets::{CrowdRule, Occasion, StreetGraph};
use cordon_config::district::{District, LatLon, TravelMode};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use petgraph::Direction;
use rstar::primitives::{GeomWithData, Line};
use rstar::RTree;

use super::geometry::{project_on_segment, LocalFrame, LocalPoint};

/// Walking speed on the gap between a position and its street, in metres
/// per second (the same hurried pace as on the network).
pub const KERB_WALK_M_PER_S: f64 = 2.5;

/// Farthest two points may lie apart, in a straight line, for a crew to
/// walk between them directly (through the lanes and courtyards the street
/// graph leaves out) instead of by the streets.
pub const DIRECT_WALK_M_MAX: f64 = 300.0;

/// A direct walk's length over the straight line: lanes are not straight.
pub const DIRECT_WALK_DETOUR_FACTOR: f64 = 1.3;

/// Deciseconds in a second: edge times are whole deciseconds.
const DECISECONDS_PER_S: f64 = 10.0;

/// A segment between two street nodes in one mode's R-tree, with the graph
/// edges that run along it (either or both directions).
type Segment = GeomWithData<Line<[f64; 2]>, SegmentEnds>;

#[derive(Debug, Clone, Copy, PartialEq)]
struct SegmentEnds {
    a: u32,
    b: u32,
    /// Graph edge index running a to b, if the mode may go that way.
    a_to_b: Option<u32>,
    /// Graph edge index running b to a.
    b_to_a: Option<u32>,
}

/// One mode's network.
struct ModeNetwork {
    /// Node `i` is street node `i`; each edge's weight is its street-graph edge index.
    graph: DiGraph<(), u32>,
    segments: RTree<Segment>,
}

/// The street graph prepared for routing, built once per district.
pub struct StreetRouter {
    streets: Arc<StreetGraph>,
    frame: LocalFrame,
    networks: Vec<ModeNetwork>,
    /// Per street-graph edge: the sensitive area its middle lies in.
    edge_area: Vec<Option<usize>>,
    /// The district's crowd rules, by area index.
    rules: Vec<(usize, CrowdRule)>,
    /// The sensitive areas' outlines, by area index.
    areas: Vec<cordon_config::district::SensitiveArea>,
    /// The edge weights of the last regime asked for: crowds change by the
    /// hour, and every plan asks.
    last_weights: Mutex<Option<(CrowdRegime, EdgeWeights)>>,
}

/// `[mode][edge]`: deciseconds, `None` where the mode may not pass.
type EdgeWeights = Arc<Vec<Vec<Option<u32>>>>;

impl std::fmt::Debug for StreetRouter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreetRouter")
            .field("streets", &self.streets.name())
            .field("edges", &self.streets.edges().len())
            .finish_non_exhaustive()
    }
}

/// A local time of day in the district, with the calendar day it falls on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime {
    /// Month, 1-12.
    pub month: u8,
    /// Day of the month, 1-31.
    pub day: u8,
    /// Minutes since local midnight.
    pub minute: u16,
}

impl LocalTime {
    /// The local time at `unix_ms` in a zone `utc_offset_min` minutes ahead of UTC.
    pub fn at(unix_ms: u64, utc_offset_min: i32) -> LocalTime {
        let local_min = (unix_ms / 60_000) as i64 + i64::from(utc_offset_min);
        let (days, minute) = (local_min.div_euclid(1_440), local_min.rem_euclid(1_440));
        let (month, day) = civil_month_day(days);
        LocalTime {
            month,
            day,
            minute: minute as u16,
        }
    }
}

/// Month and day of the proleptic Gregorian date `days` after 1970-01-01
/// (H. Hinnant's `civil_from_days`).
fn civil_month_day(days: i64) -> (u8, u8) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    (month as u8, day as u8)
}

/// How crowds slow each sensitive area at one moment: a speed factor per
/// area and mode, 1 where no rule is active, 0 where a mode is shut out.
#[derive(Debug, Clone, PartialEq)]
pub struct CrowdRegime {
    /// `factors[area][mode.index()]`.
    factors: Vec<[f64; 4]>,
}

impl CrowdRegime {
    /// No crowds anywhere.
    pub fn calm(areas: usize) -> CrowdRegime {
        CrowdRegime {
            factors: vec![[1.0; 4]; areas],
        }
    }

    /// The factor for `mode` in area `area`.
    pub fn factor(&self, area: usize, mode: TravelMode) -> f64 {
        self.factors[area][mode.index()]
    }

    /// Whether no area is slowed.
    pub fn is_calm(&self) -> bool {
        self.factors.iter().flatten().all(|factor| *factor >= 1.0)
    }
}

/// Whether `rule` applies at `time`. A rule whose end is before its start
/// runs past midnight; the New Year's Eve rules start on 31 December.
pub fn rule_active(rule: &CrowdRule, time: &LocalTime) -> bool {
    let (from, to, minute) = (rule.from.minute(), rule.to.minute(), time.minute);
    let wraps = to < from;
    match rule.occasion {
        Occasion::Daily if wraps => minute >= from || minute < to,
        Occasion::Daily => (from..to).contains(&minute),
        Occasion::NewYearEve => {
            let eve = (time.month, time.day) == (12, 31);
            let new_year = (time.month, time.day) == (1, 1);
            if wraps {
                (eve && minute >= from) || (new_year && minute < to)
            } else {
                eve && (from..to).contains(&minute)
            }
        }
    }
}

impl StreetRouter {
    /// The router for `district`'s street graph.
    pub fn new(district: &District) -> StreetRouter {
        let streets = district.streets().clone();
        let frame = LocalFrame::for_district(district);
        let networks = TravelMode::ALL
            .into_iter()
            .map(|mode| network(&streets, &frame, mode))
            .collect();
        let areas = district.sensitive_areas();
        let edge_area = streets
            .edges()
            .iter()
            .map(|edge| {
                let (a, b) = (
                    streets.nodes()[edge.from as usize].at,
                    streets.nodes()[edge.to as usize].at,
                );
                let middle = LatLon::new((a.lat + b.lat) / 2.0, (a.lon + b.lon) / 2.0);
                areas.iter().position(|area| area.contains(&middle))
            })
            .collect();
        let rules = district
            .spec()
            .crowd_rules
            .iter()
            .filter_map(|rule| {
                let area = areas.iter().position(|area| area.id == rule.area)?;
                Some((area, rule.clone()))
            })
            .collect();
        StreetRouter {
            streets,
            frame,
            networks,
            edge_area,
            rules,
            areas: areas.to_vec(),
            last_weights: Mutex::default(),
        }
    }

    /// The street graph routed on.
    pub fn streets(&self) -> &StreetGraph {
        &self.streets
    }

    /// The local frame its segments are laid out in.
    pub fn frame(&self) -> &LocalFrame {
        &self.frame
    }

    /// No crowds anywhere.
    pub fn calm(&self) -> CrowdRegime {
        CrowdRegime::calm(self.areas.len())
    }

    /// The crowds at `time`: for each area and mode the lowest factor of
    /// the rules active then.
    pub fn regime_at(&self, time: &LocalTime) -> CrowdRegime {
        let mut regime = CrowdRegime::calm(self.areas.len());
        for (area, rule) in self
            .rules
            .iter()
            .filter(|(_, rule)| rule_active(rule, time))
        {
            for mode in TravelMode::ALL {
                let slot = &mut regime.factors[*area][mode.index()];
                *slot = slot.min(rule.factor(mode));
            }
        }
        regime
    }

    /// Travel under `regime`: every edge's time per mode, ready for queries.
    pub fn under(&self, regime: &CrowdRegime) -> Travel<'_> {
        let mut last = self
            .last_weights
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let weights = match last.as_ref() {
            Some((last_regime, weights)) if last_regime == regime => weights.clone(),
            _ => {
                let weights = Arc::new(self.weights_under(regime));
                *last = Some((regime.clone(), weights.clone()));
                weights
            }
        };
        Travel {
            router: self,
            regime: regime.clone(),
            weights,
        }
    }

    /// Every edge's time per mode under `regime`.
    fn weights_under(&self, regime: &CrowdRegime) -> Vec<Vec<Option<u32>>> {
        TravelMode::ALL
            .into_iter()
            .map(|mode| {
                self.streets
                    .edges()
                    .iter()
                    .zip(&self.edge_area)
                    .map(|(edge, area)| {
                        let speed = self.streets.way_of(edge).class.speed_m_per_s(mode)?;
                        let factor = area.map_or(1.0, |area| regime.factor(area, mode));
                        (edge.modes.contains(mode) && factor > 0.0).then(|| {
                            (edge.length_m / (speed * factor) * DECISECONDS_PER_S).ceil() as u32
                        })
                    })
                    .collect()
            })
            .collect()
    }
}

fn network(streets: &StreetGraph, frame: &LocalFrame, mode: TravelMode) -> ModeNetwork {
    let mut graph = DiGraph::with_capacity(streets.nodes().len(), streets.edges().len());
    for _ in streets.nodes() {
        graph.add_node(());
    }
    let mut ends: std::collections::BTreeMap<(u32, u32), SegmentEnds> = Default::default();
    for (index, edge) in streets.edges().iter().enumerate() {
        if !edge.modes.contains(mode) {
            continue;
        }
        let index = index as u32;
        graph.add_edge(
            NodeIndex::new(edge.from as usize),
            NodeIndex::new(edge.to as usize),
            index,
        );
        let (a, b) = (edge.from.min(edge.to), edge.from.max(edge.to));
        let slot = ends.entry((a, b)).or_insert(SegmentEnds {
            a,
            b,
            a_to_b: None,
            b_to_a: None,
        });
        if edge.from == a {
            slot.a_to_b.get_or_insert(index);
        } else {
            slot.b_to_a.get_or_insert(index);
        }
    }
    let point = |node: u32| {
        let local = frame.to_local(&streets.nodes()[node as usize].at);
        [local.east_m, local.north_m]
    };
    let segments = ends
        .into_values()
        .map(|ends| GeomWithData::new(Line::new(point(ends.a), point(ends.b)), ends))
        .collect();
    ModeNetwork {
        graph,
        segments: RTree::bulk_load(segments),
    }
}

/// Where a position meets a mode's network: the nearest segment, how far
/// along it (0 at `a`, 1 at `b`), and the walk to it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snap {
    ends: SegmentEnds,
    along: f64,
    /// Straight-line metres from the position to the segment.
    pub gap_m: f64,
}

impl Snap {
    /// A street-graph edge along the snapped segment (to look up its way).
    pub fn edge(&self) -> u32 {
        self.ends.a_to_b.or(self.ends.b_to_a).unwrap_or_default()
    }
}

/// Costs in deciseconds to reach (or leave from) the nodes of a snap.
type Seeds = Vec<(u32, u64)>;

/// Deciseconds, rounded up, to walk `gap_m` to or from the kerb.
fn walk_ds(gap_m: f64) -> u64 {
    (gap_m / KERB_WALK_M_PER_S * DECISECONDS_PER_S).ceil() as u64
}

/// Whole seconds, rounded up, of `deciseconds`.
fn seconds(deciseconds: u64) -> u32 {
    u32::try_from(deciseconds.div_ceil(10)).unwrap_or(u32::MAX)
}

/// Travel times under one crowd regime.
pub struct Travel<'r> {
    router: &'r StreetRouter,
    regime: CrowdRegime,
    /// `weights[mode][edge]`: deciseconds, `None` where the mode may not
    /// pass (shared with the router's last regime until closures edit it).
    weights: EdgeWeights,
}

impl<'r> Travel<'r> {
    /// The router this travel runs on.
    pub fn router(&self) -> &'r StreetRouter {
        self.router
    }

    /// The nearest segment `mode` may use to `at` now (crowds and closures
    /// can shut one: then the crew walks from the next); `None` only if
    /// every street of the mode is shut.
    pub fn snap(&self, at: &LatLon, mode: TravelMode) -> Option<Snap> {
        let local = self.router.frame.to_local(at);
        let point = [local.east_m, local.north_m];
        let weights = &self.weights[mode.index()];
        let open = |edge: Option<u32>| edge.is_some_and(|edge| weights[edge as usize].is_some());
        let nearest = self.router.networks[mode.index()]
            .segments
            .nearest_neighbor_iter(point)
            .find(|segment| open(segment.data.a_to_b) || open(segment.data.b_to_a))?;
        let plane = |[east_m, north_m]: [f64; 2]| LocalPoint { east_m, north_m };
        let (gap_m, along) = project_on_segment(
            &local,
            &plane(nearest.geom().from),
            &plane(nearest.geom().to),
        );
        Some(Snap {
            ends: nearest.data,
            along,
            gap_m,
        })
    }

    /// Seconds, rounded up, to travel by `mode` on the streets from `from`
    /// to `to` (no turnout), the walks to and from the kerb included; `None`
    /// when the crowds or closures shut every way.
    pub fn by_streets_s(&self, from: &LatLon, to: &LatLon, mode: TravelMode) -> Option<u32> {
        self.by_streets_ds(from, to, mode).map(seconds)
    }

    /// Seconds, rounded up, to walk straight from `from` to `to` when they
    /// are within [`DIRECT_WALK_M_MAX`] (no turnout); `None` when farther or
    /// shut by the crowds.
    pub fn direct_walk_s(&self, from: &LatLon, to: &LatLon) -> Option<u32> {
        self.direct_walk_ds(from, to).map(seconds)
    }

    fn by_streets_ds(&self, from: &LatLon, to: &LatLon, mode: TravelMode) -> Option<u64> {
        let (start, end) = (self.snap(from, mode)?, self.snap(to, mode)?);
        let route_ds = self.route_ds(&start, &end, mode)?;
        Some(walk_ds(start.gap_m) + route_ds + walk_ds(end.gap_m))
    }

    /// Deciseconds to walk straight from `from` to `to` when they are within
    /// [`DIRECT_WALK_M_MAX`], slowed by the crowds at either end.
    fn direct_walk_ds(&self, from: &LatLon, to: &LatLon) -> Option<u64> {
        let frame = &self.router.frame;
        let straight_m = frame.to_local(from).distance_m(&frame.to_local(to));
        if straight_m > DIRECT_WALK_M_MAX {
            return None;
        }
        let factor = self
            .router
            .areas
            .iter()
            .enumerate()
            .filter(|(_, area)| area.contains(from) || area.contains(to))
            .map(|(index, _)| self.regime.factor(index, TravelMode::Foot))
            .fold(1.0, f64::min);
        (factor > 0.0).then(|| {
            let walk_s = straight_m * DIRECT_WALK_DETOUR_FACTOR / (KERB_WALK_M_PER_S * factor);
            (walk_s * DECISECONDS_PER_S).ceil() as u64
        })
    }

    /// Seconds by `mode` on the streets from `from` to each target (given
    /// as its snap for `mode`), kerb walks included, no turnout: what
    /// [`Travel::by_streets_s`] says for each, from one search. `None` where
    /// beyond `cutoff_s` or out of reach.
    pub fn times_to(
        &self,
        from: &LatLon,
        mode: TravelMode,
        targets: &[Option<Snap>],
        cutoff_s: u32,
    ) -> Vec<Option<u32>> {
        let Some(start) = self.snap(from, mode) else {
            return vec![None; targets.len()];
        };
        let (start_walk, cutoff_ds) = (walk_ds(start.gap_m), u64::from(cutoff_s) * 10);
        // Every node within the cutoff is settled, with its exact cost,
        // before the search stops.
        let cost = self.search(
            mode,
            &self.leave(&start, mode),
            Direction::Outgoing,
            |_, at| start_walk + at > cutoff_ds,
        );
        let to = |end: &Snap| {
            let via = self
                .arrive(end, mode)
                .into_iter()
                .filter_map(|(node, extra)| {
                    let at = cost[node as usize];
                    (at != u64::MAX).then(|| at + extra)
                });
            let route = self
                .along_same_segment(&start, end, mode)
                .into_iter()
                .chain(via)
                .min()?;
            let total = start_walk + route + walk_ds(end.gap_m);
            (total <= cutoff_ds).then(|| seconds(total))
        };
        targets
            .iter()
            .map(|target| target.as_ref().and_then(to))
            .collect()
    }

    /// The crowd regime this travel is under.
    pub fn regime(&self) -> &CrowdRegime {
        &self.regime
    }

    /// Deciseconds over the network between two snaps.
    fn route_ds(&self, start: &Snap, end: &Snap, mode: TravelMode) -> Option<u64> {
        let exits = self.arrive(end, mode);
        let mut best = self.along_same_segment(start, end, mode);
        self.search(
            mode,
            &self.leave(start, mode),
            Direction::Outgoing,
            |node, cost| {
                for (_, extra) in exits.iter().filter(|(exit, _)| *exit == node) {
                    let through = cost + extra;
                    best = Some(best.map_or(through, |best| best.min(through)));
                }
                best.is_some_and(|best| cost >= best)
            },
        );
        best
    }

    /// The trip when both ends lie on the same segment, in an allowed direction.
    fn along_same_segment(&self, start: &Snap, end: &Snap, mode: TravelMode) -> Option<u64> {
        if start.ends != end.ends {
            return None;
        }
        let (edge, share) = if end.along >= start.along {
            (start.ends.a_to_b?, end.along - start.along)
        } else {
            (start.ends.b_to_a?, start.along - end.along)
        };
        let weight = self.weights[mode.index()][edge as usize]?;
        Some((f64::from(weight) * share).ceil() as u64)
    }

    /// The nodes a trip starting at `snap` can reach first, with their costs.
    fn leave(&self, snap: &Snap, mode: TravelMode) -> Seeds {
        let weights = &self.weights[mode.index()];
        let mut seeds = Vec::with_capacity(2);
        if let Some(weight) = snap.ends.a_to_b.and_then(|edge| weights[edge as usize]) {
            seeds.push((
                snap.ends.b,
                (f64::from(weight) * (1.0 - snap.along)).ceil() as u64,
            ));
        }
        if let Some(weight) = snap.ends.b_to_a.and_then(|edge| weights[edge as usize]) {
            seeds.push((snap.ends.a, (f64::from(weight) * snap.along).ceil() as u64));
        }
        seeds
    }

    /// The nodes a trip ending at `snap` comes from last, with the cost of
    /// the rest of the way.
    fn arrive(&self, snap: &Snap, mode: TravelMode) -> Seeds {
        let weights = &self.weights[mode.index()];
        let mut exits = Vec::with_capacity(2);
        if let Some(weight) = snap.ends.a_to_b.and_then(|edge| weights[edge as usize]) {
            exits.push((snap.ends.a, (f64::from(weight) * snap.along).ceil() as u64));
        }
        if let Some(weight) = snap.ends.b_to_a.and_then(|edge| weights[edge as usize]) {
            exits.push((
                snap.ends.b,
                (f64::from(weight) * (1.0 - snap.along)).ceil() as u64,
            ));
        }
        exits
    }

    /// Dijkstra from `seeds` along (`Outgoing`) or against (`Incoming`) the
    /// edges, calling `settled(node, cost)` as each node's cost becomes
    /// final, until it returns true or every reachable node is settled.
    /// Returns the settled costs (`u64::MAX` where not settled).
    fn search(
        &self,
        mode: TravelMode,
        seeds: &[(u32, u64)],
        direction: Direction,
        mut settled: impl FnMut(u32, u64) -> bool,
    ) -> Vec<u64> {
        let network = &self.router.networks[mode.index()];
        let weights = &self.weights[mode.index()];
        let mut cost = vec![u64::MAX; network.graph.node_count()];
        let mut done = vec![false; cost.len()];
        let mut heap = BinaryHeap::new();
        for &(node, seed) in seeds {
            if seed < cost[node as usize] {
                cost[node as usize] = seed;
                heap.push(Reverse((seed, node)));
            }
        }
        while let Some(Reverse((at, node))) = heap.pop() {
            if done[node as usize] {
                continue;
            }
            done[node as usize] = true;
            if settled(node, at) {
                break;
            }
            for edge in network
                .graph
                .edges_directed(NodeIndex::new(node as usize), direction)
            {
                let Some(weight) = weights[*edge.weight() as usize] else {
                    continue;
                };
                let next = match direction {
                    Direction::Outgoing => edge.target(),
                    Direction::Incoming => edge.source(),
                }
                .index();
                let through = at + u64::from(weight);
                if through < cost[next] {
                    cost[next] = through;
                    heap.push(Reverse((through, next as u32)));
                }
            }
        }
        cost
    }
}

/// A unit as the router sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnitOnStreets {
    /// Where it is.
    pub position: LatLon,
    /// How it moves.
    pub mode: TravelMode,
    /// Seconds from the call to moving off by its mode.
    pub turnout_s: u32,
    /// Seconds from the call to setting off on foot (a direct walk).
    pub walk_turnout_s: u32,
}

/// A mode's segment: (mode index, its two nodes, lower first).
type SegmentKey = (usize, u32, u32);

/// A unit on a segment: its index, its snap, and its deciseconds to set
/// off (turnout plus the walk to the kerb).
type UnitOnSegment = (u32, Snap, u64);

/// Units placed on the streets, for "who gets there first?" asked many
/// times: each unit's cost to the ends of its segment, by node.
#[derive(Debug, Clone, Default)]
pub struct PlacedUnits {
    /// `at_node[mode][node]`: (deciseconds from the call to reaching the
    /// node, unit index), quickest first.
    at_node: Vec<Vec<Vec<(u64, u32)>>>,
    /// Units by the segment they stand on: (unit index, its snap, its
    /// deciseconds to set off: turnout plus the walk to the kerb).
    on_segment: std::collections::BTreeMap<SegmentKey, Vec<UnitOnSegment>>,
    /// Every unit by its position in the local frame, for direct walks:
    /// (unit index, position, walking turnout in deciseconds).
    nearby: RTree<GeomWithData<[f64; 2], (u32, LatLon, u64)>>,
    /// The quickest walking turnout of any unit, in deciseconds.
    turnout_min_ds: u64,
    /// Per mode, the least any unit takes to set off (turnout and walk to
    /// the kerb), in deciseconds: a mode that cannot beat a time found is
    /// not searched.
    set_off_min_ds: [u64; 4],
}

impl Travel<'_> {
    /// Places `units` (indexed by their position in the slice).
    pub fn place(&self, units: &[UnitOnStreets]) -> PlacedUnits {
        let nodes = self.router.streets.nodes().len();
        let mut placed = PlacedUnits {
            at_node: vec![vec![Vec::new(); nodes]; TravelMode::ALL.len()],
            on_segment: Default::default(),
            nearby: RTree::new(),
            set_off_min_ds: [u64::MAX; 4],
            turnout_min_ds: units
                .iter()
                .map(|unit| u64::from(unit.walk_turnout_s) * 10)
                .min()
                .unwrap_or(0),
        };
        let nearby = units.iter().enumerate().map(|(index, unit)| {
            let local = self.router.frame.to_local(&unit.position);
            let data = (
                index as u32,
                unit.position,
                u64::from(unit.walk_turnout_s) * 10,
            );
            GeomWithData::new([local.east_m, local.north_m], data)
        });
        placed.nearby = RTree::bulk_load(nearby.collect());
        for (index, unit) in units.iter().enumerate() {
            let Some(snap) = self.snap(&unit.position, unit.mode) else {
                continue;
            };
            let set_off = u64::from(unit.turnout_s) * 10 + walk_ds(snap.gap_m);
            let slot = &mut placed.set_off_min_ds[unit.mode.index()];
            *slot = (*slot).min(set_off);
            let index = index as u32;
            for (node, seed) in self.leave(&snap, unit.mode) {
                placed.at_node[unit.mode.index()][node as usize].push((set_off + seed, index));
            }
            let key = (unit.mode.index(), snap.ends.a, snap.ends.b);
            placed
                .on_segment
                .entry(key)
                .or_default()
                .push((index, snap, set_off));
        }
        for lists in &mut placed.at_node {
            for list in lists {
                list.sort_unstable();
            }
        }
        placed
    }

    /// The unit `accept` admits that can be on scene at `to` first, by the
    /// streets or walking straight there, turnout included, with that time
    /// in seconds; ties go to the lower index.
    pub fn quickest(
        &self,
        placed: &PlacedUnits,
        to: &LatLon,
        accept: impl Fn(u32) -> bool,
    ) -> Option<(u32, u32)> {
        // The nearest crews on foot first: their time bounds every search.
        let mut best: Option<(u64, u32)> = self.quickest_direct(placed, to, None, &accept);
        for mode in TravelMode::ALL {
            let set_off_min = placed.set_off_min_ds[mode.index()];
            if set_off_min == u64::MAX || best.is_some_and(|(ds, _)| set_off_min > ds) {
                continue;
            }
            let Some(end) = self.snap(to, mode) else {
                continue;
            };
            let end_walk = walk_ds(end.gap_m);
            let limit = best.map(|(ds, _)| ds.saturating_sub(end_walk));
            let found = self.quickest_by(placed, &end, mode, limit, &accept);
            let arrive = found.map(|(ds, unit)| (ds + end_walk, unit));
            best = best.into_iter().chain(arrive).min();
        }
        best.map(|(ds, unit)| (unit, seconds(ds)))
    }

    /// The quickest admitted unit walking straight to `to`, if any beats
    /// `best`: nearest units first, until none left could.
    fn quickest_direct(
        &self,
        placed: &PlacedUnits,
        to: &LatLon,
        mut best: Option<(u64, u32)>,
        accept: &impl Fn(u32) -> bool,
    ) -> Option<(u64, u32)> {
        let local = self.router.frame.to_local(to);
        let point = [local.east_m, local.north_m];
        let mut found = None;
        for near in placed.nearby.nearest_neighbor_iter(point) {
            let [east_m, north_m] = *near.geom();
            let straight_m = (east_m - point[0]).hypot(north_m - point[1]);
            let unslowed_ds =
                straight_m * DIRECT_WALK_DETOUR_FACTOR / KERB_WALK_M_PER_S * DECISECONDS_PER_S;
            let bound = placed.turnout_min_ds + unslowed_ds.floor() as u64;
            if straight_m > DIRECT_WALK_M_MAX || best.is_some_and(|(best, _)| bound > best) {
                break;
            }
            let (unit, position, turnout_ds) = near.data;
            let Some(walk_ds) = self.direct_walk_ds(&position, to).filter(|_| accept(unit)) else {
                continue;
            };
            let candidate = (turnout_ds + walk_ds, unit);
            if best.is_none_or(|best| candidate < best) {
                best = Some(candidate);
                found = Some(candidate);
            }
        }
        found
    }

    /// The quickest admitted unit of `mode` to the snap `end`, in
    /// deciseconds to the kerb there: a search back from `end` that stops
    /// once no unit nearer in time can remain, or past `limit` (a time
    /// already found elsewhere).
    fn quickest_by(
        &self,
        placed: &PlacedUnits,
        end: &Snap,
        mode: TravelMode,
        limit: Option<u64>,
        accept: &impl Fn(u32) -> bool,
    ) -> Option<(u64, u32)> {
        let keep = |best: &mut Option<(u64, u32)>, candidate: (u64, u32)| {
            *best = Some(best.map_or(candidate, |best| best.min(candidate)));
        };
        let mut best: Option<(u64, u32)> = None;
        let key = (mode.index(), end.ends.a, end.ends.b);
        for (unit, snap, set_off) in placed.on_segment.get(&key).into_iter().flatten() {
            if let Some(along) = self
                .along_same_segment(snap, end, mode)
                .filter(|_| accept(*unit))
            {
                keep(&mut best, (set_off + along, *unit));
            }
        }
        let units = &placed.at_node[mode.index()];
        self.search(
            mode,
            &self.arrive(end, mode),
            Direction::Incoming,
            |node, cost| {
                if let Some((start, unit)) =
                    units[node as usize].iter().find(|(_, unit)| accept(*unit))
                {
                    keep(&mut best, (start + cost, *unit));
                }
                best.is_some_and(|(best, _)| cost >= best)
                    || limit.is_some_and(|limit| cost > limit)
            },
        );
        best
    }
}

impl<'r> Travel<'r> {
    /// This travel with every way `closed` names shut to every mode (a
    /// bridge closed, a street cordoned off).
    pub fn with_closed(
        mut self,
        closed: impl Fn(&cordon_config::district::streets::Way) -> bool,
    ) -> Travel<'r> {
        for (index, edge) in self.router.streets.edges().iter().enumerate() {
            if closed(self.router.streets.way_of(edge)) {
                for weights in Arc::make_mut(&mut self.weights).iter_mut() {
                    weights[index] = None;
                }
            }
        }
        self
    }
}

mod address;
mod trace;

pub use address::Address;
pub use trace::RouteTrace;

#[cfg(test)]
mod tests;
