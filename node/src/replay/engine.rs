//! One seeded district day (or night) replayed offline under one dispatch
//! policy: the same incidents from `cordon-load`, triaged by the standard
//! run cards, each followed through the responders' decisions
//! (`planning::follow`) on the street graph under the crowds of the hour,
//! with units busy for a seeded time on scene and driving back to their
//! post after. Pure and deterministic: no clock, no runtime; a seed gives
//! the same numbers every time.
//!
//! Simplified on purpose: an assignment happens the moment the report is
//! in (the cluster takes milliseconds); a major incident sends its first
//! responder only (its mobilisation plan is not replayed); a unit driving
//! back is available, and counted where it was until it arrives.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};

use cordon_actors::planning::move_up::{
    home_share, posts, propose_move_ups, trigger_share, Post, Round, MOVE_UP_COOLDOWN_MS,
};
use cordon_actors::planning::router::{CrowdRegime, LocalTime, StreetRouter};
use cordon_actors::planning::run_cards::Triage;
use cordon_actors::planning::{
    candidates_at_home, choose_by_coverage, follow, CandidateUnit, CoverageBook, IncidentFacts,
    Outcome, RunCardTable, TravelModel, Turnouts,
};
use cordon_config::district::{District, LatLon, Ring};
use cordon_consensus::ledger::IncidentKind;
use cordon_load::{LoadGenerator, LoadPlan, LoadProfile, LoadSource, ScheduledReport};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// How often move-up looks at coverage, in simulated milliseconds.
pub const MOVE_UP_ROUND_MS: u64 = 60_000;
/// Mixed into the seed for the times on scene, so they are drawn apart from
/// the load's own choices.
const ON_SCENE_SEED_SALT: u64 = 0x0005_eed0_f5ce;
/// Mean minutes on scene of a surge incident: in the countdown crowd a lost
/// child is handed back, a faint treated and carried out, a pickpocket
/// handed over, and the officers are back on the crowd (our estimate).
pub const SURGE_ON_SCENE_MEAN_MIN: f64 = 8.0;
/// The day an ordinary replay runs on: 2026-06-01 00:00 local time (an
/// ordinary Monday), in milliseconds since 1970-01-01 00:00 local.
const ORDINARY_DAY_LOCAL_MS: u64 = 1_780_272_000_000;
/// The day the New Year replay starts on: 2026-12-31 00:00 local time.
const NEW_YEARS_EVE_LOCAL_MS: u64 = 1_798_675_200_000;
/// Shortest and longest time on scene, in seconds.
pub const ON_SCENE_S_RANGE: (f64, f64) = (180.0, 3.0 * 3600.0);

/// A dispatch policy the replay compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReplayPolicy {
    /// The quickest unit.
    ClosestIdle,
    /// The unit in time whose departure costs the least coverage.
    CoverageAware,
    /// Coverage-aware, and idle units move up when a ring's coverage falls.
    CoverageAwareMoveUp,
}

/// What to replay.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The load's profile.
    pub profile: LoadProfile,
    /// Its seed (also of the times on scene).
    pub seed: u64,
    /// The local start time, `HH:MM`.
    pub start: cordon_load::ClockTime,
    /// Minutes of load.
    pub minutes: u32,
    /// Multiplies the load's rates.
    pub rate_scale: f64,
}

/// One response, as measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Response {
    /// The ring that responded.
    pub ring: Ring,
    /// The ring triage sent the incident to (an inner ring's incident may
    /// be answered by an outer ring that gets there sooner).
    pub triaged: Ring,
    /// Seconds from the report to on scene (waiting for a free unit included).
    pub response_s: u32,
    /// The on-scene target there of the ring triage chose: what the
    /// incident was promised, whichever ring answered.
    pub target_s: u32,
    /// Whether it waited for a unit to free.
    pub waited: bool,
}

/// A replay's raw results.
#[derive(Debug, Clone, Default)]
pub struct Replayed {
    /// Every response.
    pub responses: Vec<Response>,
    /// Incidents never answered before the end.
    pub unanswered: usize,
    /// Busy seconds of the police rings' units.
    pub police_busy_s: f64,
    /// Police units times the replay's seconds.
    pub police_unit_s: f64,
    /// Move-ups made.
    pub move_ups: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Report(usize),
    /// A unit leaves the scene: available there, driving to its post.
    Clear(usize),
    /// A unit reaches its post.
    AtPost(usize),
    MoveUpRound,
}

struct Waiting {
    report: usize,
    since_ms: u64,
}

/// The replay's world.
struct World<'d> {
    district: &'d District,
    router: StreetRouter,
    units: Vec<CandidateUnit>,
    /// Where each unit returns to: home, or its move-up post.
    posts: Vec<LatLon>,
    busy_since_ms: Vec<Option<u64>>,
    /// When each unit was last moved up.
    moved_at_ms: Vec<Option<u64>>,
    book: CoverageBook,
    post_list: Vec<Post>,
    policy: ReplayPolicy,
    queue: BinaryHeap<Reverse<(u64, u64, Event)>>,
    sequence: u64,
    waiting: VecDeque<Waiting>,
    rng: StdRng,
    /// Local time at the start, as milliseconds since 1970-01-01 00:00 local.
    start_local_ms: u64,
    out: Replayed,
}

/// Replays `scenario` under `policy`.
pub fn replay(
    district: &District,
    scenario: &Scenario,
    policy: ReplayPolicy,
) -> anyhow::Result<Replayed> {
    let reports = reports_of(district, scenario)?;
    let units = candidates_at_home(district);
    let mut world = World {
        district,
        router: StreetRouter::new(district),
        posts: units.iter().map(|unit| unit.position).collect(),
        busy_since_ms: vec![None; units.len()],
        moved_at_ms: vec![None; units.len()],
        units,
        book: CoverageBook::new(district),
        post_list: posts(district),
        policy,
        queue: BinaryHeap::new(),
        sequence: 0,
        waiting: VecDeque::new(),
        rng: StdRng::seed_from_u64(scenario.seed ^ ON_SCENE_SEED_SALT),
        start_local_ms: start_local_ms(scenario),
        out: Replayed::default(),
    };
    for (index, report) in reports.iter().enumerate() {
        world.schedule(report.offset_ms, Event::Report(index));
    }
    let end_ms = u64::from(scenario.minutes) * 60_000;
    if policy == ReplayPolicy::CoverageAwareMoveUp {
        world.schedule(0, Event::MoveUpRound);
    }
    while let Some(Reverse((at_ms, _, event))) = world.queue.pop() {
        world.handle(at_ms, event, &reports, end_ms);
    }
    world.finish(end_ms);
    Ok(world.out)
}

/// The scenario's reports, in time order.
fn reports_of(district: &District, scenario: &Scenario) -> anyhow::Result<Vec<ScheduledReport>> {
    let mut plan = LoadPlan::new(scenario.profile, scenario.seed, scenario.start);
    plan.rate_scale = scenario.rate_scale;
    Ok(LoadGenerator::new(district, &plan)?.reports_within_minutes(scenario.minutes))
}

/// The scenario's start, as milliseconds since 1970-01-01 00:00 local.
fn start_local_ms(scenario: &Scenario) -> u64 {
    let day_ms = match scenario.profile {
        LoadProfile::NewYearSurge => NEW_YEARS_EVE_LOCAL_MS,
        LoadProfile::Ordinary => ORDINARY_DAY_LOCAL_MS,
    };
    day_ms + u64::from(scenario.start.minute_of_day()) * 60_000
}

/// Of the scenario's incidents, how many would be late even if each found
/// every unit free at home and the quickest went, under the crowds of its
/// hour: (late, incidents). The lateness that the street graph, the
/// turnouts and the homes leave, whatever a policy chooses. A policy that
/// sends units home after every job cannot do much better (a unit driving
/// back can now and then be nearer than its home); only moving units
/// elsewhere can.
pub fn late_with_every_unit_free(
    district: &District,
    scenario: &Scenario,
) -> anyhow::Result<(usize, usize)> {
    let reports = reports_of(district, scenario)?;
    let router = StreetRouter::new(district);
    let units = candidates_at_home(district);
    let start_ms = start_local_ms(scenario);
    let mut late = 0;
    for report in &reports {
        let facts = facts_of(report);
        let triage = RunCardTable::standard().triage(&facts, district);
        let regime = router.regime_at(&LocalTime::at(start_ms + report.offset_ms, 0));
        let model = TravelModel::new(&router, &regime, Turnouts::default());
        let outcome = follow(&facts, &triage, district, &model, &units, &mut |_, _, _| 0);
        let target_s = district.on_scene_target_s(triage.ring, &facts.position);
        if !matches!(outcome, Outcome::Assigned { eta_s, .. } if eta_s <= target_s) {
            late += 1;
        }
    }
    Ok((late, reports.len()))
}

impl World<'_> {
    fn schedule(&mut self, at_ms: u64, event: Event) {
        self.sequence += 1;
        self.queue.push(Reverse((at_ms, self.sequence, event)));
    }

    fn handle(&mut self, at_ms: u64, event: Event, reports: &[ScheduledReport], end_ms: u64) {
        match event {
            Event::Report(index) => {
                if !self.dispatch(at_ms, index, at_ms, reports) {
                    self.waiting.push_back(Waiting {
                        report: index,
                        since_ms: at_ms,
                    });
                }
            }
            Event::Clear(unit) => {
                self.release(unit, at_ms);
                let travel = self.travel_s(unit, at_ms);
                self.schedule(at_ms + u64::from(travel) * 1_000, Event::AtPost(unit));
                self.serve_waiting(at_ms, reports);
            }
            Event::AtPost(unit) => {
                if self.busy_since_ms[unit].is_none() {
                    self.units[unit].position = self.posts[unit];
                }
            }
            Event::MoveUpRound => {
                self.move_up(at_ms);
                if at_ms + MOVE_UP_ROUND_MS < end_ms {
                    self.schedule(at_ms + MOVE_UP_ROUND_MS, Event::MoveUpRound);
                }
            }
        }
    }

    /// Sends a unit to report `index` if one can go; records the response
    /// (from `reported_ms`). False when every ring is out of units.
    fn dispatch(
        &mut self,
        at_ms: u64,
        index: usize,
        reported_ms: u64,
        reports: &[ScheduledReport],
    ) -> bool {
        let report = &reports[index];
        let facts = facts_of(report);
        let triage: Triage = RunCardTable::standard().triage(&facts, self.district);
        let regime = self.regime_at(at_ms);
        let model = TravelModel::new(&self.router, &regime, Turnouts::default());
        let outcome = {
            let (units, book, policy) = (&self.units, &mut self.book, self.policy);
            let mut choose =
                |ranked: &[cordon_actors::planning::RankedUnit<'_>], target_s: u32, ring: Ring| {
                    if policy == ReplayPolicy::ClosestIdle {
                        return 0;
                    }
                    choose_by_coverage(book, &model, units, ranked, target_s, ring)
                };
            follow(&facts, &triage, self.district, &model, units, &mut choose)
        };
        let Outcome::Assigned {
            unit_id,
            ring,
            eta_s,
            ..
        } = outcome
        else {
            return false;
        };
        let Some(unit) = self.units.iter().position(|unit| unit.id == unit_id) else {
            return false;
        };
        let waited_s = ((at_ms - reported_ms) / 1_000) as u32;
        self.out.responses.push(Response {
            ring,
            triaged: triage.ring,
            // The promise the incident was triaged under, whoever answers:
            // an escalation neither relaxes nor tightens what was promised.
            target_s: self
                .district
                .on_scene_target_s(triage.ring, &facts.position),
            response_s: waited_s + eta_s,
            waited: at_ms > reported_ms,
        });
        self.units[unit].available = false;
        self.busy_since_ms[unit] = Some(at_ms);
        let on_scene_s = self.on_scene_s(facts.kind, report.source);
        self.units[unit].position = facts.position;
        let clear_ms = at_ms + (u64::from(eta_s) + on_scene_s) * 1_000;
        self.schedule(clear_ms, Event::Clear(unit));
        true
    }

    fn serve_waiting(&mut self, at_ms: u64, reports: &[ScheduledReport]) {
        let mut still = VecDeque::new();
        while let Some(waiting) = self.waiting.pop_front() {
            if !self.dispatch(at_ms, waiting.report, waiting.since_ms, reports) {
                still.push_back(waiting);
            }
        }
        self.waiting = still;
    }

    fn release(&mut self, unit: usize, at_ms: u64) {
        if let Some(since) = self.busy_since_ms[unit].take() {
            if is_police(self.units[unit].ring) {
                self.out.police_busy_s += (at_ms - since) as f64 / 1_000.0;
            }
        }
        self.units[unit].available = true;
    }

    /// Seconds for `unit` to drive from where it is to its post.
    fn travel_s(&mut self, unit: usize, at_ms: u64) -> u32 {
        let regime = self.regime_at(at_ms);
        let model = TravelModel::new(&self.router, &regime, Turnouts::default());
        let (from, mode, post) = (
            self.units[unit].position,
            self.units[unit].travel_mode,
            self.posts[unit],
        );
        model.travel().by_streets_s(&from, &post, mode).unwrap_or(0)
    }

    fn move_up(&mut self, at_ms: u64) {
        let regime = self.regime_at(at_ms);
        let resting: std::collections::BTreeSet<String> = self
            .units
            .iter()
            .zip(&self.moved_at_ms)
            .filter(|(_, moved)| moved.is_some_and(|moved| at_ms < moved + MOVE_UP_COOLDOWN_MS))
            .map(|(unit, _)| unit.id.clone())
            .collect();
        let moves: Vec<_> = {
            let model = TravelModel::new(&self.router, &regime, Turnouts::default());
            let mut moves = Vec::new();
            for ring in [Ring::SpecialPolice, Ring::StreetPatrol] {
                let home = home_share(&mut self.book, &model, self.district, ring);
                let Some(trigger_share) = trigger_share(ring, home) else {
                    continue;
                };
                let round = Round {
                    ring,
                    trigger_share,
                    posts: &self.post_list,
                    resting: &resting,
                };
                moves.extend(propose_move_ups(
                    &mut self.book,
                    &model,
                    self.district,
                    &self.units,
                    &round,
                ));
            }
            moves
        };
        for move_up in moves {
            let Some(unit) = self
                .units
                .iter()
                .position(|unit| unit.id == move_up.unit_id)
            else {
                continue;
            };
            self.posts[unit] = move_up.post;
            self.moved_at_ms[unit] = Some(at_ms);
            self.out.move_ups += 1;
            self.schedule(
                at_ms + u64::from(move_up.travel_s) * 1_000,
                Event::AtPost(unit),
            );
        }
    }

    /// The crowds at `at_ms` into the replay.
    fn regime_at(&self, at_ms: u64) -> CrowdRegime {
        let time = LocalTime::at(self.start_local_ms + at_ms, 0);
        self.router.regime_at(&time)
    }

    /// A seeded time on scene for `kind`: exponential around its mean, clamped.
    fn on_scene_s(&mut self, kind: IncidentKind, source: LoadSource) -> u64 {
        let mean_s = match source {
            LoadSource::Surge => SURGE_ON_SCENE_MEAN_MIN * 60.0,
            LoadSource::Ordinary => on_scene_mean_s(kind),
        };
        let draw: f64 = self.rng.random_range(f64::EPSILON..1.0);
        (-mean_s * draw.ln()).clamp(ON_SCENE_S_RANGE.0, ON_SCENE_S_RANGE.1) as u64
    }

    fn finish(&mut self, end_ms: u64) {
        for unit in 0..self.units.len() {
            if self.busy_since_ms[unit].is_some() {
                self.release(unit, end_ms.max(self.busy_since_ms[unit].unwrap_or(end_ms)));
            }
        }
        let police = self
            .units
            .iter()
            .filter(|unit| is_police(unit.ring))
            .count();
        self.out.police_unit_s = police as f64 * end_ms as f64 / 1_000.0;
        self.out.unanswered = self.waiting.len();
    }
}

fn is_police(ring: Ring) -> bool {
    matches!(ring, Ring::StreetPatrol | Ring::SpecialPolice)
}

/// Mean minutes on scene by kind, in seconds (our estimates: a theft
/// report and its statement about 25 minutes, a fire or an extreme act an
/// hour or more).
fn on_scene_mean_s(kind: IncidentKind) -> f64 {
    let minutes = match kind {
        IncidentKind::Disturbance | IncidentKind::Other => 15.0,
        IncidentKind::Medical | IncidentKind::Hazard => 20.0,
        IncidentKind::Theft => 25.0,
        IncidentKind::TrafficAccident | IncidentKind::Assault | IncidentKind::CrowdCrush => 30.0,
        IncidentKind::MissingPerson => 40.0,
        IncidentKind::Fire | IncidentKind::SuspiciousObject => 45.0,
        IncidentKind::ExtremeAct => 60.0,
    };
    minutes * 60.0
}

fn facts_of(report: &ScheduledReport) -> IncidentFacts {
    let incident = &report.incident;
    IncidentFacts {
        kind: incident.kind,
        priority: incident.priority,
        force_level: incident.force_level,
        position: LatLon::new(incident.location.lat(), incident.location.lon()),
    }
}

/// Responses by ring, for the table.
pub fn by_ring(responses: &[Response]) -> BTreeMap<u8, Vec<Response>> {
    let mut rings: BTreeMap<u8, Vec<Response>> = BTreeMap::new();
    for response in responses {
        rings
            .entry(response.ring.number())
            .or_default()
            .push(*response);
    }
    rings
}
