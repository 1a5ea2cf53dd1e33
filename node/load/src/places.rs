//! Where incidents happen: the hot spots of the district model (sensitive
//! areas, one-minute points, station zones) and the surge's two areas,
//! weighted, and uniform draws inside them.

use cordon_config::district::{
    LatLon, ResponsePoint, SensitiveArea, Zone, BUND_AREA_ID, EARTH_RADIUS_M,
};
use cordon_config::District;
use rand::distr::weighted::WeightedIndex;
use rand::distr::Distribution;
use rand::rngs::StdRng;
use rand::Rng;

use super::generator::on_ledger_grid;
use super::BUND_NEAR_M;
use cordon_config::district::demand::{
    area_crowd, duty_mode_weight, ORDINARY_AREA_SHARE, ORDINARY_POINT_SHARE, ORDINARY_ZONE_SHARE,
};

/// A place reports are drawn in, with the district's own geometry check.
#[derive(Clone, Debug)]
pub(super) enum Place {
    Area(SensitiveArea),
    Zone(Zone),
    Point(ResponsePoint),
}

impl Place {
    /// The area's, zone's or point's id in the district file.
    pub(super) fn id(&self) -> &str {
        match self {
            Place::Area(area) => &area.id,
            Place::Zone(zone) => &zone.id,
            Place::Point(point) => &point.id,
        }
    }

    pub(super) fn name(&self) -> &str {
        match self {
            Place::Area(area) => &area.name,
            Place::Zone(zone) => &zone.name,
            Place::Point(point) => &point.name,
        }
    }

    pub(super) fn contains(&self, position: &LatLon) -> bool {
        match self {
            Place::Area(area) => area.contains(position),
            Place::Zone(zone) => zone.contains(position),
            Place::Point(point) => point.covers(position),
        }
    }

    /// Where a report goes when every draw missed.
    pub(super) fn anchor(&self) -> Option<LatLon> {
        match self {
            Place::Area(area) => area.centre(),
            Place::Zone(zone) => zone.centre(),
            Place::Point(point) => Some(point.position),
        }
    }

    /// A uniform candidate in the place's bounding box or disc, to be checked
    /// with `contains`.
    pub(super) fn candidate(&self, rng: &mut StdRng) -> LatLon {
        match self {
            Place::Area(area) => uniform_in_box(rng, &area.polygon),
            Place::Zone(zone) => uniform_in_box(rng, &zone.polygon),
            Place::Point(point) => {
                uniform_in_disc(rng, point.position, f64::from(point.cover_radius_m))
            }
        }
    }
}

#[derive(Clone, Debug)]
pub(super) struct HotSpot {
    pub(super) place: Place,
    /// Inside the place and the district, on the ledger's grid (checked when
    /// the spot is made).
    pub(super) anchor: LatLon,
}

/// Hot spots with their weights, drawn from by one weighted index.
#[derive(Clone, Debug)]
pub(super) struct HotSpots {
    pub(super) spots: Vec<HotSpot>,
    pub(super) index: WeightedIndex<f64>,
}

impl HotSpots {
    /// Keeps the places whose anchor lies in the district; `None` if none does.
    pub(super) fn new(district: &District, places: Vec<(Place, f64)>) -> Option<HotSpots> {
        let (spots, weights): (Vec<HotSpot>, Vec<f64>) = places
            .into_iter()
            .filter_map(|(place, weight)| {
                let anchor = place
                    .anchor()
                    .and_then(on_ledger_grid)
                    .filter(|anchor| place.contains(anchor) && district.contains(anchor))?;
                Some((HotSpot { place, anchor }, weight))
            })
            .unzip();
        let index = WeightedIndex::new(weights).ok()?;
        Some(HotSpots { spots, index })
    }

    pub(super) fn draw(&self, rng: &mut StdRng) -> &HotSpot {
        &self.spots[self.index.sample(rng)]
    }
}

/// Ordinary hot spots: areas by crowd, points evenly, zones by duty mode.
pub(super) fn ordinary_places(district: &District) -> Vec<(Place, f64)> {
    let crowd_total: f64 = district.sensitive_areas().iter().map(area_crowd).sum();
    let points_count = district.one_minute_points().len() as f64;
    let zones = || {
        district
            .stations()
            .iter()
            .flat_map(|station| station.zones.iter().map(move |zone| (station, zone)))
    };
    let duty_total: f64 = zones()
        .map(|(station, _)| duty_mode_weight(station.duty_mode))
        .sum();

    let areas = district.sensitive_areas().iter().map(|area| {
        let weight = ORDINARY_AREA_SHARE * area_crowd(area) / crowd_total;
        (Place::Area(area.clone()), weight)
    });
    let points = district.one_minute_points().iter().map(|point| {
        let weight = ORDINARY_POINT_SHARE / points_count;
        (Place::Point(point.clone()), weight)
    });
    let zone_places = zones().map(|(station, zone)| {
        let weight = ORDINARY_ZONE_SHARE * duty_mode_weight(station.duty_mode) / duty_total;
        (Place::Zone(zone.clone()), weight)
    });
    areas.chain(points).chain(zone_places).collect()
}

/// Surge hot spots: the Bund and the pedestrian street, by crowd capacity.
pub(super) fn surge_places(bund: &SensitiveArea, street: &SensitiveArea) -> Vec<(Place, f64)> {
    [bund, street]
        .into_iter()
        .map(|area| (Place::Area(area.clone()), area_crowd(area)))
        .collect()
}

pub(super) fn uniform_in_box(rng: &mut StdRng, polygon: &[LatLon]) -> LatLon {
    let (mut lat_min, mut lat_max) = (f64::INFINITY, f64::NEG_INFINITY);
    let (mut lon_min, mut lon_max) = (f64::INFINITY, f64::NEG_INFINITY);
    for point in polygon {
        lat_min = lat_min.min(point.lat);
        lat_max = lat_max.max(point.lat);
        lon_min = lon_min.min(point.lon);
        lon_max = lon_max.max(point.lon);
    }
    LatLon::new(
        lat_min + rng.random::<f64>() * (lat_max - lat_min),
        lon_min + rng.random::<f64>() * (lon_max - lon_min),
    )
}

/// Uniform over the disc's surface (radius by the square root of a uniform).
pub(super) fn uniform_in_disc(rng: &mut StdRng, centre: LatLon, radius_m: f64) -> LatLon {
    let distance_m = radius_m * rng.random::<f64>().sqrt();
    let bearing = rng.random::<f64>() * std::f64::consts::TAU;
    let north_m = distance_m * bearing.cos();
    let east_m = distance_m * bearing.sin();
    LatLon::new(
        centre.lat + (north_m / EARTH_RADIUS_M).to_degrees(),
        centre.lon + (east_m / (EARTH_RADIUS_M * centre.lat.to_radians().cos())).to_degrees(),
    )
}

/// The Bund riverside and its centre, to tell which reports are near it.
#[derive(Clone, Debug)]
pub(super) struct BundVicinity {
    pub(super) area: SensitiveArea,
    pub(super) centre: LatLon,
}

impl BundVicinity {
    pub(super) fn of(district: &District) -> Option<BundVicinity> {
        let area = district.sensitive_area(BUND_AREA_ID)?.clone();
        let centre = area.centre()?;
        Some(BundVicinity { area, centre })
    }

    pub(super) fn is_near(&self, position: &LatLon) -> bool {
        self.area.contains(position) || self.centre.distance_m(position) <= BUND_NEAR_M
    }
}
