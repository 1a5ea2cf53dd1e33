//! The seeded generator: arrivals by thinning, each report's kind,
//! urgency, channel and place drawn from one [`StdRng`].

use cordon_config::district::{LatLon, BUND_AREA_ID, PEDESTRIAN_STREET_AREA_ID};
use cordon_config::District;
use cordon_consensus::ledger::{Channel, IncidentKind, NewIncident, Position};
use rand::distr::weighted::WeightedIndex;
use rand::distr::Distribution;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::places::{ordinary_places, surge_places, BundVicinity, HotSpot, HotSpots};
use super::plan::{LoadError, LoadPlan, LoadProfile};
use super::rates::{
    is_night, ordinary_rate_per_min, surge_share, urgency, DAY_KINDS, NIGHT_KINDS,
    ORDINARY_CHANNELS, ORDINARY_REPORTS_PER_MIN_BY_HOUR, SURGE_CHANNELS, SURGE_KINDS,
    SURGE_PEOPLE_PER_REPORT_PER_MIN, SURGE_SHAPE,
};
use super::report::{LoadSource, ScheduledReport};
use super::{LOCATION_ATTEMPTS_MAX, MS_PER_MIN};

/// Weighted choices of kind and channel.
#[derive(Clone, Debug)]
pub(super) struct Mix<T: Copy> {
    pub(super) items: Vec<T>,
    pub(super) index: WeightedIndex<u32>,
}

impl<T: Copy> Mix<T> {
    pub(super) fn new(table: &[(T, u32)]) -> Mix<T> {
        Mix {
            items: table.iter().map(|(item, _)| *item).collect(),
            index: WeightedIndex::new(table.iter().map(|(_, weight)| *weight))
                .expect("the mix tables have positive weights"),
        }
    }

    pub(super) fn draw(&self, rng: &mut StdRng) -> T {
        self.items[self.index.sample(rng)]
    }
}

/// Draws a plan's reports one after another, in time order.
#[derive(Clone, Debug)]
pub struct LoadGenerator {
    plan: LoadPlan,
    rng: StdRng,
    district: District,
    ordinary_spots: HotSpots,
    /// Present for the New Year profile only.
    surge_spots: Option<HotSpots>,
    bund: Option<BundVicinity>,
    day_kinds: Mix<IncidentKind>,
    night_kinds: Mix<IncidentKind>,
    surge_kinds: Mix<IncidentKind>,
    ordinary_channels: Mix<Channel>,
    surge_channels: Mix<Channel>,
    /// Surge reports per minute at the surge's peak (before the rate scale).
    pub(super) surge_peak_per_min: f64,
    /// Bound on the total rate, scaled: the thinning's candidate rate.
    candidate_rate_per_min: f64,
    /// Offset of the last candidate, in fractional milliseconds.
    elapsed_ms: f64,
    sequence: u64,
}

impl LoadGenerator {
    /// A generator for `plan` over `district` (its hot spots, crowds and
    /// geometry).
    pub fn new(district: &District, plan: &LoadPlan) -> Result<LoadGenerator, LoadError> {
        plan.validate()?;
        let ordinary_spots =
            HotSpots::new(district, ordinary_places(district)).ok_or_else(|| {
                LoadError::NoHotSpots {
                    district: district.name().to_string(),
                }
            })?;
        let bund = BundVicinity::of(district);
        let (surge_spots, surge_peak_per_min) = match plan.profile {
            LoadProfile::Ordinary => (None, 0.0),
            LoadProfile::NewYearSurge => {
                let no_bund = || LoadError::NoBund {
                    district: district.name().to_string(),
                };
                let bund_area = district.sensitive_area(BUND_AREA_ID).ok_or_else(no_bund)?;
                // Validation guarantees the pedestrian street exists.
                let street = district
                    .sensitive_area(PEDESTRIAN_STREET_AREA_ID)
                    .ok_or_else(no_bund)?;
                let places = surge_places(bund_area, street);
                let people: f64 = places.iter().map(|(_, crowd)| crowd).sum();
                let spots = HotSpots::new(district, places).ok_or_else(no_bund)?;
                (Some(spots), people / SURGE_PEOPLE_PER_REPORT_PER_MIN)
            }
        };
        let ordinary_max = ORDINARY_REPORTS_PER_MIN_BY_HOUR
            .iter()
            .copied()
            .fold(0.0, f64::max);
        let shape_max = SURGE_SHAPE
            .iter()
            .map(|(_, share)| *share)
            .fold(0.0, f64::max);
        Ok(LoadGenerator {
            plan: plan.clone(),
            rng: StdRng::seed_from_u64(plan.seed),
            district: district.clone(),
            ordinary_spots,
            surge_spots,
            bund,
            day_kinds: Mix::new(&DAY_KINDS),
            night_kinds: Mix::new(&NIGHT_KINDS),
            surge_kinds: Mix::new(&SURGE_KINDS),
            ordinary_channels: Mix::new(&ORDINARY_CHANNELS),
            surge_channels: Mix::new(&SURGE_CHANNELS),
            surge_peak_per_min,
            candidate_rate_per_min: (ordinary_max + surge_peak_per_min * shape_max)
                * plan.rate_scale,
            elapsed_ms: 0.0,
            sequence: 0,
        })
    }

    /// The plan this generator follows.
    pub fn plan(&self) -> &LoadPlan {
        &self.plan
    }

    /// Expected reports per minute at `offset_min` minutes from the start:
    /// (ordinary, surge), rate scale applied.
    pub fn rates_per_min(&self, offset_min: f64) -> (f64, f64) {
        let clock_min = f64::from(self.plan.start.minute_of_day()) + offset_min;
        let surge = match self.plan.profile {
            LoadProfile::Ordinary => 0.0,
            LoadProfile::NewYearSurge => self.surge_peak_per_min * surge_share(clock_min),
        };
        (
            ordinary_rate_per_min(clock_min) * self.plan.rate_scale,
            surge * self.plan.rate_scale,
        )
    }

    /// The next report; offsets never decrease. Every rate curve stays above
    /// zero, so there always is a next one.
    pub fn next_report(&mut self) -> ScheduledReport {
        let source = self.next_arrival();
        self.sequence += 1;
        let offset_ms = self.elapsed_ms as u64;
        let clock_ms = u64::from(self.plan.start.minute_of_day()) * 60_000 + offset_ms;
        let clock_min = clock_ms as f64 / MS_PER_MIN;
        let (spots, kinds, channels) = match (source, &self.surge_spots) {
            (LoadSource::Surge, Some(surge_spots)) => {
                (surge_spots, &self.surge_kinds, &self.surge_channels)
            }
            _ if is_night(clock_min) => (
                &self.ordinary_spots,
                &self.night_kinds,
                &self.ordinary_channels,
            ),
            _ => (
                &self.ordinary_spots,
                &self.day_kinds,
                &self.ordinary_channels,
            ),
        };
        let spot = spots.draw(&mut self.rng);
        let location = draw_location(&mut self.rng, &self.district, spot);
        let kind = kinds.draw(&mut self.rng);
        let (priorities, force_levels) = urgency(kind);
        let incident = NewIncident {
            kind,
            priority: self.rng.random_range(priorities),
            force_level: self.rng.random_range(force_levels),
            location: Position::from_degrees(location.lat, location.lon)
                .expect("a point inside the district is a valid position"),
            channel: channels.draw(&mut self.rng),
            description: format!(
                "{} load: {kind} at {}",
                self.plan.profile,
                spot.place.name()
            ),
        };
        ScheduledReport {
            offset_ms,
            clock_ms,
            request_id: format!("{}-{}", self.plan.request_id_prefix, self.sequence),
            source,
            hot_spot: spot.place.id().to_string(),
            near_bund: self
                .bund
                .as_ref()
                .is_some_and(|bund| bund.is_near(&location)),
            incident,
        }
    }

    /// Every report in the first `minutes` minutes, in order. The generator
    /// is left past the first report after them.
    pub fn reports_within_minutes(&mut self, minutes: u32) -> Vec<ScheduledReport> {
        let end_ms = u64::from(minutes) * 60_000;
        std::iter::from_fn(|| Some(self.next_report()))
            .take_while(|report| report.offset_ms < end_ms)
            .collect()
    }

    /// Advances to the next kept candidate and says which source it belongs
    /// to: one uniform draw against the stacked rates both thins and picks.
    pub(super) fn next_arrival(&mut self) -> LoadSource {
        loop {
            let gap_min = -(1.0 - self.rng.random::<f64>()).ln() / self.candidate_rate_per_min;
            self.elapsed_ms += gap_min * MS_PER_MIN;
            let (ordinary, surge) = self.rates_per_min(self.elapsed_ms / MS_PER_MIN);
            let pick = self.rng.random::<f64>() * self.candidate_rate_per_min;
            if pick < ordinary {
                return LoadSource::Ordinary;
            }
            if pick < ordinary + surge {
                return LoadSource::Surge;
            }
        }
    }
}

impl Iterator for LoadGenerator {
    type Item = ScheduledReport;

    fn next(&mut self) -> Option<ScheduledReport> {
        Some(self.next_report())
    }
}

/// A point inside the spot and the district, uniform over the spot, on the
/// ledger's grid.
pub(super) fn draw_location(rng: &mut StdRng, district: &District, spot: &HotSpot) -> LatLon {
    for _ in 0..LOCATION_ATTEMPTS_MAX {
        let candidate = on_ledger_grid(spot.place.candidate(rng));
        if let Some(candidate) = candidate {
            if spot.place.contains(&candidate) && district.contains(&candidate) {
                return candidate;
            }
        }
    }
    spot.anchor
}

/// `position` as the ledger stores it (whole 1e-7 degrees), so the district's
/// geometry checks see the point that is reported, not one a centimetre off
/// that might lie across a boundary.
pub(super) fn on_ledger_grid(position: LatLon) -> Option<LatLon> {
    let position = Position::from_degrees(position.lat, position.lon).ok()?;
    Some(LatLon::new(position.lat(), position.lon()))
}
