//! Density bands of an area (low, medium, high) from its capacity, and
//! when a forecast crosses into a higher band, with what confidence.

use crate::models::Forecast;

/// Share of an area's capacity from which its crowd is a medium risk: the
/// area is filling and its flow wants watching (our choice).
pub const BAND_MEDIUM_SHARE: f64 = 0.6;
/// Share from which it is a high risk: flow control and closures must be
/// ready before the area is full (our choice).
pub const BAND_HIGH_SHARE: f64 = 0.85;
/// Least probability of reaching a band for a forecast to warn of it.
pub const CROSSING_CONFIDENCE_MIN: f64 = 0.5;

/// A density band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// Below [`BAND_MEDIUM_SHARE`] of capacity.
    Low,
    /// From [`BAND_MEDIUM_SHARE`].
    Medium,
    /// From [`BAND_HIGH_SHARE`].
    High,
}

impl Band {
    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Low => "low",
            Band::Medium => "medium",
            Band::High => "high",
        }
    }
}

/// An area's band thresholds, in people.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Bands {
    /// People from which the band is medium.
    pub medium_from: f64,
    /// People from which the band is high.
    pub high_from: f64,
}

/// The first step at which a forecast reaches a higher band.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Crossing {
    /// The band reached.
    pub band: Band,
    /// Steps ahead, 0 for the first forecast step.
    pub step: usize,
    /// Probability that the count is in that band or above at that step.
    pub confidence: f64,
}

impl Bands {
    /// The bands of an area holding `capacity` people at once.
    pub fn of_capacity(capacity: u32) -> Bands {
        Bands {
            medium_from: BAND_MEDIUM_SHARE * f64::from(capacity),
            high_from: BAND_HIGH_SHARE * f64::from(capacity),
        }
    }

    /// The band of `count` people.
    pub fn band(&self, count: f64) -> Band {
        if count >= self.high_from {
            Band::High
        } else if count >= self.medium_from {
            Band::Medium
        } else {
            Band::Low
        }
    }

    /// The first step at which `forecast` reaches a band above `now` with
    /// at least [`CROSSING_CONFIDENCE_MIN`] probability (the highest band
    /// reached at that step); none if it stays within.
    pub fn first_crossing(&self, forecast: &Forecast, now: Band) -> Option<Crossing> {
        let z = crate::models::normal_quantile(0.5 + forecast.level / 2.0);
        for step in 0..forecast.point.len() {
            let sigma = (forecast.upper[step].ln_1p() - forecast.point[step].ln_1p()) / z;
            for (band, from) in [
                (Band::High, self.high_from),
                (Band::Medium, self.medium_from),
            ] {
                if band <= now {
                    continue;
                }
                let confidence = above(forecast.point[step], sigma, from);
                if confidence >= CROSSING_CONFIDENCE_MIN {
                    return Some(Crossing {
                        band,
                        step,
                        confidence,
                    });
                }
            }
        }
        None
    }
}

/// The probability that a count whose log is normal around `point`'s with
/// spread `sigma` is at least `threshold`.
fn above(point: f64, sigma: f64, threshold: f64) -> f64 {
    let gap = threshold.ln_1p() - point.ln_1p();
    if sigma <= 0.0 {
        return if gap <= 0.0 { 1.0 } else { 0.0 };
    }
    1.0 - normal_cdf(gap / sigma)
}

/// The standard normal distribution function (Abramowitz and Stegun
/// 7.1.26 for erf, absolute error below 1.5e-7).
fn normal_cdf(x: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs() / std::f64::consts::SQRT_2);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-(x * x) / 2.0).exp();
    if x >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rising(points: &[f64]) -> Forecast {
        Forecast {
            point: points.to_vec(),
            lower: points.iter().map(|p| p * 0.8).collect(),
            upper: points.iter().map(|p| p * 1.25).collect(),
            level: 0.8,
        }
    }

    // The Bund riverside (67 000 at once): bands at 60 % and 85 %.
    #[test]
    fn bands_follow_the_capacity() {
        let bands = Bands::of_capacity(67_000);

        assert_eq!(bands.band(30_000.0), Band::Low);
        assert_eq!(bands.band(40_200.0), Band::Medium);
        assert_eq!(bands.band(57_000.0), Band::High);
    }

    // A rising forecast crosses into medium where its median does (half
    // confident), and into high later; a forecast that stays low never
    // crosses; a band already reached is not crossed again.
    #[test]
    fn a_rising_forecast_crosses_where_its_median_does() {
        let bands = Bands::of_capacity(10_000);
        let forecast = rising(&[4_000.0, 5_000.0, 6_100.0, 7_000.0, 8_600.0, 9_000.0]);

        let medium = bands.first_crossing(&forecast, Band::Low).unwrap();
        let high = bands.first_crossing(&forecast, Band::Medium).unwrap();

        assert_eq!((medium.band, medium.step), (Band::Medium, 2));
        assert!((0.5..0.6).contains(&medium.confidence), "{medium:?}");
        assert_eq!((high.band, high.step), (Band::High, 4));
        assert!(bands
            .first_crossing(&rising(&[1_000.0; 6]), Band::Low)
            .is_none());
        assert!(bands.first_crossing(&forecast, Band::High).is_none());
    }

    // The distribution function matches the tables.
    #[test]
    fn normal_cdf_matches_the_tables() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.959_964) - 0.975).abs() < 1e-6);
        assert!((normal_cdf(-1.281_552) - 0.1).abs() < 1e-6);
    }
}
