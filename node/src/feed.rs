//! A seeded synthetic incident feed for the demo and benchmarks: positions
//! cluster around the district's sensitive areas (the Bund most), kinds are
//! weighted towards the everyday (theft, disturbance, medical).

use cordon_config::district::{District, LatLon};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use cordon_api::incidents::ReportIncident;

/// Kinds with their relative weights.
const KINDS: [(&str, u32); 10] = [
    ("theft", 25),
    ("disturbance", 20),
    ("medical", 15),
    ("assault", 8),
    ("traffic_accident", 8),
    ("missing_person", 8),
    ("hazard", 7),
    ("crowd_crush", 4),
    ("suspicious_object", 3),
    ("extreme_act", 2),
];

/// Largest offset from a hot spot, in degrees (about 450 m).
const SPREAD_DEGREES_MAX: f64 = 0.004;

/// Generates reports; the same seed gives the same sequence.
pub struct Feed {
    rng: StdRng,
    hot_spots: Vec<(LatLon, u32)>,
    district: District,
    prefix: String,
    sequence: u64,
}

impl Feed {
    /// A feed over `district`, seeded; request ids start with `prefix`.
    pub fn new(district: District, seed: u64, prefix: &str) -> Feed {
        let mut hot_spots: Vec<(LatLon, u32)> = district
            .sensitive_areas()
            .iter()
            .filter_map(|area| {
                let weight = area.crowd_capacity.map_or(10, |c| (c / 2_000).max(10));
                Some((area.centre()?, weight))
            })
            .collect();
        hot_spots.extend(district.stations().iter().map(|s| (s.position, 4)));
        Feed {
            rng: StdRng::seed_from_u64(seed),
            hot_spots,
            district,
            prefix: prefix.to_string(),
            sequence: 0,
        }
    }

    /// The next report.
    pub fn next_report(&mut self) -> ReportIncident {
        self.sequence += 1;
        let location = self.location();
        let kind = weighted(&mut self.rng, &KINDS.map(|(kind, w)| (kind, w)));
        let force_level = match kind {
            "extreme_act" => self.rng.random_range(7..=10),
            "crowd_crush" => self.rng.random_range(5..=8),
            _ => self.rng.random_range(0..=4),
        };
        ReportIncident {
            request_id: Some(format!("{}-{}", self.prefix, self.sequence)),
            kind: kind.to_string(),
            priority: Some(self.rng.random_range(2..=9)),
            force_level: Some(force_level),
            lat: location.lat,
            lon: location.lon,
            channel: Some(
                weighted(
                    &mut self.rng,
                    &[
                        ("emergency_call", 70),
                        ("community_report", 15),
                        ("risk_warning", 10),
                        ("partner_feed", 5),
                    ],
                )
                .to_string(),
            ),
            description: None,
        }
    }

    fn location(&mut self) -> LatLon {
        let spots = self.hot_spots.clone();
        for _ in 0..32 {
            let centre = weighted(
                &mut self.rng,
                &spots.iter().map(|(p, w)| (*p, *w)).collect::<Vec<_>>(),
            );
            // The mean of two uniforms leans towards the centre.
            let offset = |rng: &mut StdRng| {
                (rng.random_range(-1.0..1.0) + rng.random_range(-1.0..1.0)) / 2.0
                    * SPREAD_DEGREES_MAX
            };
            let point = LatLon::new(
                centre.lat + offset(&mut self.rng),
                centre.lon + offset(&mut self.rng),
            );
            if self.district.contains(&point) {
                return point;
            }
        }
        self.district.stations()[0].position
    }
}

fn weighted<T: Copy>(rng: &mut StdRng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut pick = rng.random_range(0..total);
    for (item, weight) in items {
        if pick < *weight {
            return *item;
        }
        pick -= weight;
    }
    items[items.len() - 1].0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_feed_and_points_inside_the_district() {
        // A seed reproduces the feed exactly, and every point is in the district.
        let district = District::embedded();
        let mut first = Feed::new(district.clone(), 7, "t");
        let mut second = Feed::new(district.clone(), 7, "t");
        for _ in 0..200 {
            let a = first.next_report();
            let b = second.next_report();
            assert_eq!((a.lat, a.lon, &a.kind), (b.lat, b.lon, &b.kind));
            assert!(district.contains(&LatLon::new(a.lat, a.lon)));
        }
    }
}
