//! Local plane geometry: WGS-84 positions as metres east and north of a
//! district's centre.
//!
//! Across a district a few kilometres wide an equirectangular projection
//! around its centre is accurate to well under a metre per kilometre, far
//! below the ±200 m the district data is drawn to, and it turns every
//! planning question (grid distance, nearest unit, distance to a zone) into
//! cheap plane arithmetic.

use cordon_config::district::{District, LatLon, EARTH_RADIUS_M};

/// A point in a [`LocalFrame`], in metres from the frame's origin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalPoint {
    /// Metres east of the origin (west negative).
    pub east_m: f64,
    /// Metres north of the origin (south negative).
    pub north_m: f64,
}

impl LocalPoint {
    /// Straight-line distance in metres to `other`.
    pub fn distance_m(&self, other: &LocalPoint) -> f64 {
        (self.east_m - other.east_m).hypot(self.north_m - other.north_m)
    }
}

/// An equirectangular projection around an origin: latitude scales by the
/// metres in a degree of latitude, longitude additionally by the cosine of
/// the origin's latitude.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalFrame {
    origin: LatLon,
    north_m_per_deg: f64,
    east_m_per_deg: f64,
}

impl LocalFrame {
    /// A frame centred on `origin`.
    pub fn around(origin: LatLon) -> LocalFrame {
        let north_m_per_deg = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
        LocalFrame {
            origin,
            north_m_per_deg,
            east_m_per_deg: north_m_per_deg * origin.lat.to_radians().cos(),
        }
    }

    /// A frame centred on the middle of the district's bounding box.
    pub fn for_district(district: &District) -> LocalFrame {
        LocalFrame::around(bounding_box_centre(district.bounds()))
    }

    /// The frame's origin.
    pub fn origin(&self) -> LatLon {
        self.origin
    }

    /// `position` in this frame.
    pub fn to_local(&self, position: &LatLon) -> LocalPoint {
        LocalPoint {
            east_m: (position.lon - self.origin.lon) * self.east_m_per_deg,
            north_m: (position.lat - self.origin.lat) * self.north_m_per_deg,
        }
    }

    /// The WGS-84 position of a point of this frame.
    pub fn to_lat_lon(&self, point: &LocalPoint) -> LatLon {
        LatLon::new(
            self.origin.lat + point.north_m / self.north_m_per_deg,
            self.origin.lon + point.east_m / self.east_m_per_deg,
        )
    }
}

/// The middle of the bounding box of `points`; the equator-meridian origin
/// for an empty slice (a validated district always has bounds).
fn bounding_box_centre(points: &[LatLon]) -> LatLon {
    if points.is_empty() {
        return LatLon::new(0.0, 0.0);
    }
    let fold = |pick: fn(&LatLon) -> f64| {
        points
            .iter()
            .map(pick)
            .fold((f64::MAX, f64::MIN), |(low, high), value| {
                (low.min(value), high.max(value))
            })
    };
    let (lat_min, lat_max) = fold(|p| p.lat);
    let (lon_min, lon_max) = fold(|p| p.lon);
    LatLon::new((lat_min + lat_max) / 2.0, (lon_min + lon_max) / 2.0)
}

/// Distance from `point` to the segment `a`-`b`, and how far along the
/// segment (0 at `a`, 1 at `b`) its nearest point lies.
pub(crate) fn project_on_segment(point: &LocalPoint, a: &LocalPoint, b: &LocalPoint) -> (f64, f64) {
    let (dx, dy) = (b.east_m - a.east_m, b.north_m - a.north_m);
    let length_sq = dx * dx + dy * dy;
    let fraction = if length_sq == 0.0 {
        0.0
    } else {
        (((point.east_m - a.east_m) * dx + (point.north_m - a.north_m) * dy) / length_sq)
            .clamp(0.0, 1.0)
    };
    let nearest = LocalPoint {
        east_m: a.east_m + fraction * dx,
        north_m: a.north_m + fraction * dy,
    };
    (point.distance_m(&nearest), fraction)
}

/// Distance in metres from `point` to the outline of `polygon` (closed
/// implicitly); the caller decides whether the point is inside. Infinite for
/// an empty polygon.
pub(crate) fn distance_to_outline_m(point: &LocalPoint, polygon: &[LocalPoint]) -> f64 {
    let Some(last) = polygon.last() else {
        return f64::INFINITY;
    };
    let mut previous = last;
    let mut nearest_m = f64::INFINITY;
    for current in polygon {
        nearest_m = nearest_m.min(project_on_segment(point, previous, current).0);
        previous = current;
    }
    nearest_m
}

#[cfg(test)]
mod tests {
    use super::*;

    // A position survives the round trip into the local frame and back, and one
    // thousandth of a degree of latitude is about 111 m.
    #[test]
    fn local_frame_round_trip() {
        let frame = LocalFrame::around(LatLon::new(31.22, 121.48));
        let position = LatLon::new(31.2394, 121.4760);
        let back = frame.to_lat_lon(&frame.to_local(&position));
        assert!((back.lat - position.lat).abs() < 1e-12);
        assert!((back.lon - position.lon).abs() < 1e-12);
        let north = frame.to_local(&LatLon::new(31.221, 121.48));
        assert!((north.north_m - 111.195).abs() < 0.01, "{north:?}");
        assert!(north.east_m.abs() < 1e-9);
    }

    // Local distances agree with haversine distances across the district to a
    // fraction of a percent.
    #[test]
    fn local_distance_matches_haversine() {
        let district = District::embedded();
        let frame = LocalFrame::for_district(&district);
        let bund = LatLon::new(31.2422, 121.4858);
        let south_west = LatLon::new(31.1955, 121.4555);
        let local = frame
            .to_local(&bund)
            .distance_m(&frame.to_local(&south_west));
        let haversine = bund.distance_m(&south_west);
        assert!(
            (local - haversine).abs() / haversine < 0.002,
            "{local} vs {haversine}"
        );
    }

    // The distance to a square's outline is to its nearest side.
    #[test]
    fn distance_to_a_square() {
        let point = |east_m, north_m| LocalPoint { east_m, north_m };
        let square = [
            point(0.0, 0.0),
            point(10.0, 0.0),
            point(10.0, 10.0),
            point(0.0, 10.0),
        ];
        assert!((distance_to_outline_m(&point(5.0, 13.0), &square) - 3.0).abs() < 1e-9);
    }
}
