//! Plane and sphere geometry on WGS-84 coordinates, sized for one city district.
//!
//! Distances use the haversine formula on a spherical Earth. Polygon tests
//! treat longitude and latitude as plane coordinates: across a district a few
//! kilometres wide the error of that projection is far below the ±200 m the
//! district data is drawn to.

use serde::{Deserialize, Serialize};

/// Mean Earth radius (IUGG), the sphere `LatLon::distance_m` measures on.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A WGS-84 position in decimal degrees.
///
/// Written in a district file as a `[lat, lon]` pair, latitude first (the
/// order of most map apps, not GeoJSON's `[lon, lat]`). Swapped pairs in this
/// hemisphere are caught by validation, because a latitude of 121 is out of range.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(from = "[f64; 2]", into = "[f64; 2]")]
pub struct LatLon {
    /// Latitude in degrees, north positive.
    pub lat: f64,
    /// Longitude in degrees, east positive.
    pub lon: f64,
}

impl LatLon {
    /// A position from latitude and longitude in degrees.
    pub const fn new(lat: f64, lon: f64) -> Self {
        Self { lat, lon }
    }

    /// Great-circle distance in metres to `other` by the haversine formula on
    /// a sphere of radius [`EARTH_RADIUS_M`] (within 0.5 % of the ellipsoid).
    pub fn distance_m(&self, other: &LatLon) -> f64 {
        let lat_a = self.lat.to_radians();
        let lat_b = other.lat.to_radians();
        let half_dlat = (lat_b - lat_a) / 2.0;
        let half_dlon = (other.lon - self.lon).to_radians() / 2.0;
        let h = half_dlat.sin().powi(2) + lat_a.cos() * lat_b.cos() * half_dlon.sin().powi(2);
        2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
    }

    /// Whether both coordinates are finite and within -90..=90 / -180..=180.
    pub fn is_in_range(&self) -> bool {
        self.lat.is_finite()
            && self.lon.is_finite()
            && (-90.0..=90.0).contains(&self.lat)
            && (-180.0..=180.0).contains(&self.lon)
    }
}

impl From<[f64; 2]> for LatLon {
    fn from([lat, lon]: [f64; 2]) -> Self {
        Self { lat, lon }
    }
}

impl From<LatLon> for [f64; 2] {
    fn from(position: LatLon) -> Self {
        [position.lat, position.lon]
    }
}

impl std::fmt::Display for LatLon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}, {}]", self.lat, self.lon)
    }
}

/// Whether `point` lies inside `polygon` (even-odd ray casting, longitude as x).
///
/// The polygon is closed implicitly (last point back to the first). A point
/// exactly on an edge may count as either side; district data keeps points of
/// interest off zone edges for that reason. Fewer than 3 points contain nothing.
pub(crate) fn polygon_contains(polygon: &[LatLon], point: &LatLon) -> bool {
    let Some(last) = polygon.last() else {
        return false;
    };
    if polygon.len() < 3 {
        return false;
    }
    let mut inside = false;
    let mut previous = last;
    for current in polygon {
        // Only edges that straddle the point's latitude can cross the ray.
        if (current.lat > point.lat) != (previous.lat > point.lat) {
            let t = (point.lat - current.lat) / (previous.lat - current.lat);
            let crossing_lon = current.lon + t * (previous.lon - current.lon);
            if point.lon < crossing_lon {
                inside = !inside;
            }
        }
        previous = current;
    }
    inside
}

/// The area centroid of `polygon`, or the mean of its points when its area is
/// zero (collinear points). `None` for an empty slice.
pub(crate) fn polygon_centroid(polygon: &[LatLon]) -> Option<LatLon> {
    let origin = *polygon.first()?;
    // Work relative to the first point: raw degrees near 121 would cancel
    // most significant digits in the cross products.
    let mut twice_area = 0.0;
    let mut lat_sum = 0.0;
    let mut lon_sum = 0.0;
    let count = polygon.len();
    for (index, a) in polygon.iter().enumerate() {
        let b = &polygon[(index + 1) % count];
        let (ax, ay) = (a.lon - origin.lon, a.lat - origin.lat);
        let (bx, by) = (b.lon - origin.lon, b.lat - origin.lat);
        let cross = ax * by - bx * ay;
        twice_area += cross;
        lon_sum += (ax + bx) * cross;
        lat_sum += (ay + by) * cross;
    }
    if twice_area.abs() < 1e-14 {
        let n = count as f64;
        let lat = polygon.iter().map(|p| p.lat).sum::<f64>() / n;
        let lon = polygon.iter().map(|p| p.lon).sum::<f64>() / n;
        return Some(LatLon::new(lat, lon));
    }
    let six_area = 3.0 * twice_area;
    Some(LatLon::new(
        origin.lat + lat_sum / six_area,
        origin.lon + lon_sum / six_area,
    ))
}

/// Distance in metres from `point` to the segment `a`-`b`, and where along
/// it the nearest point lies (0 at `a`, 1 at `b`). Uses a local plane
/// through `a` (equirectangular), exact to well under a metre at district scale.
pub(crate) fn distance_to_segment_m(point: &LatLon, a: &LatLon, b: &LatLon) -> (f64, f64) {
    let metres_per_degree = EARTH_RADIUS_M.to_radians();
    let east = metres_per_degree * a.lat.to_radians().cos();
    let plane = |p: &LatLon| ((p.lon - a.lon) * east, (p.lat - a.lat) * metres_per_degree);
    let (bx, by) = plane(b);
    let (px, py) = plane(point);
    let squared = bx * bx + by * by;
    let along = if squared > 0.0 {
        ((px * bx + py * by) / squared).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (dx, dy) = (px - along * bx, py - along * by);
    ((dx * dx + dy * dy).sqrt(), along)
}

/// Distance in metres from `point` to the nearest edge of `polygon`'s outline.
pub(crate) fn distance_to_outline_m(polygon: &[LatLon], point: &LatLon) -> f64 {
    let count = polygon.len();
    (0..count)
        .map(|index| distance_to_segment_m(point, &polygon[index], &polygon[(index + 1) % count]).0)
        .fold(f64::INFINITY, f64::min)
}
