//! Where a reported position may lie: inside the district's outline (its
//! bounding box) plus `limits.district_margin_m`. A position far outside
//! (a GPS fix at 0, 0; a unit "moved" 400 km) is refused by the API, and by
//! the ledger itself, which the roster loader gives the same area.

use cordon_config::district::District;
use cordon_consensus::ledger::{Area, Position};

/// Metres in one degree of latitude (and of longitude at the equator).
const METRES_PER_DEGREE: f64 = 111_320.0;

/// The district's bounding box widened by the margin.
#[derive(Clone, Debug, PartialEq)]
pub struct DistrictBounds {
    name: String,
    margin_m: u32,
    lat: (f64, f64),
    lon: (f64, f64),
}

impl DistrictBounds {
    /// The bounds of `district` widened by `margin_m` metres on every side.
    pub fn new(district: &District, margin_m: u32) -> DistrictBounds {
        let fold = |pick: fn(&cordon_config::district::LatLon) -> f64| {
            district
                .bounds()
                .iter()
                .map(pick)
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), v| {
                    (low.min(v), high.max(v))
                })
        };
        let (lat, lon) = (fold(|p| p.lat), fold(|p| p.lon));
        let margin_lat = f64::from(margin_m) / METRES_PER_DEGREE;
        let middle_lat = ((lat.0 + lat.1) / 2.0).to_radians();
        let margin_lon = f64::from(margin_m) / (METRES_PER_DEGREE * middle_lat.cos().max(0.01));
        DistrictBounds {
            name: district.name().to_string(),
            margin_m,
            lat: (lat.0 - margin_lat, lat.1 + margin_lat),
            lon: (lon.0 - margin_lon, lon.1 + margin_lon),
        }
    }

    /// The widened box as the ledger keeps it (1e-7 degrees, rounded outward).
    pub fn area(&self) -> Area {
        let e7 = |degrees: f64, outward: f64| (degrees * 1e7 + outward).round() as i32;
        Area {
            south_west: Position {
                lat_e7: e7(self.lat.0, -1.0),
                lon_e7: e7(self.lon.0, -1.0),
            },
            north_east: Position {
                lat_e7: e7(self.lat.1, 1.0),
                lon_e7: e7(self.lon.1, 1.0),
            },
            name: self.name.clone(),
        }
    }

    /// Refuses a position outside the widened box, naming the bounds.
    pub fn check(&self, lat: f64, lon: f64) -> Result<(), String> {
        let inside =
            (self.lat.0..=self.lat.1).contains(&lat) && (self.lon.0..=self.lon.1).contains(&lon);
        if inside {
            return Ok(());
        }
        Err(format!(
            "position ({lat}, {lon}) is outside {} and its {} m margin: send a position with \
             latitude {:.4} to {:.4} and longitude {:.4} to {:.4}",
            self.name, self.margin_m, self.lat.0, self.lat.1, self.lon.0, self.lon.1
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The Bund is inside; the equator, 400 km away and just past the margin
    // are not; the refusal names the bounds.
    #[test]
    fn positions_far_from_the_district_are_refused_with_its_bounds() {
        let bounds = DistrictBounds::new(&District::embedded(), 2_000);
        assert_eq!(bounds.check(31.2422, 121.4858), Ok(()));
        let refused = bounds.check(0.0, 0.0).expect_err("the equator");
        assert!(
            refused.contains("2000 m margin") && refused.contains("latitude 31."),
            "{refused}"
        );
        assert!(
            bounds.check(31.2422 + 3.6, 121.4858).is_err(),
            "400 km north"
        );
        let north_edge = bounds.lat.1;
        assert!(bounds.check(north_edge + 0.001, 121.4858).is_err());
        assert_eq!(bounds.check(north_edge - 0.001, 121.4858), Ok(()));
    }
}
