//! Crowd sensors: where the risk-sensing net counts people. A sensor
//! belongs to every area that holds it (a sensitive area, a zone, a
//! station's territory); an area's count is the sum of its sensors'.

use serde::{Deserialize, Serialize};

use super::{District, LatLon};

/// Largest count one sensor may report: more people than fit in the
/// district's busiest area several times over is a broken feed.
pub const SENSOR_COUNT_MAX: u32 = 500_000;

/// A place the district counts people at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrowdSensor {
    /// Slug id, unique in the district.
    pub id: String,
    /// What and where ("Chen Yi Square gate counter").
    pub name: String,
    /// How it counts.
    pub kind: SensorKind,
    /// Where it is; the areas that hold this point are its areas.
    pub position: LatLon,
}

/// How a sensor counts: each reports the people present in its view or
/// cell at a minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SensorKind {
    /// Gates on an enclosed area, in minus out.
    GateCounter,
    /// A camera's head count of its view.
    Camera,
    /// An operator's estimate from phones in a cell.
    PhoneSignal,
}

impl SensorKind {
    /// Its name in the district file.
    pub fn as_str(self) -> &'static str {
        match self {
            SensorKind::GateCounter => "gate_counter",
            SensorKind::Camera => "camera",
            SensorKind::PhoneSignal => "phone_signal",
        }
    }
}

/// An area a count or forecast can be asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum CrowdArea<'d> {
    /// A sensitive area, by id.
    Sensitive(&'d super::SensitiveArea),
    /// A station's zone.
    Zone(&'d super::Zone),
    /// A station's territory (its three zones).
    Station(&'d super::Station),
    /// An ad-hoc polygon, at least three corners.
    Polygon(Vec<LatLon>),
}

impl District {
    /// The district's crowd sensors.
    pub fn crowd_sensors(&self) -> &[CrowdSensor] {
        &self.spec.crowd_sensors
    }

    /// The sensor with `id`.
    pub fn crowd_sensor(&self, id: &str) -> Option<&CrowdSensor> {
        self.spec
            .crowd_sensors
            .iter()
            .find(|sensor| sensor.id == id)
    }

    /// The sensitive area, zone or station with `id`, as a crowd area.
    pub fn crowd_area(&self, id: &str) -> Option<CrowdArea<'_>> {
        if let Some(area) = self.sensitive_areas().iter().find(|area| area.id == id) {
            return Some(CrowdArea::Sensitive(area));
        }
        for station in self.stations() {
            if station.id == id {
                return Some(CrowdArea::Station(station));
            }
            if let Some(zone) = station.zones.iter().find(|zone| zone.id == id) {
                return Some(CrowdArea::Zone(zone));
            }
        }
        None
    }

    /// The station whose ground holds `at`, else the area's middle (a
    /// station is its own): whose hazard it is.
    pub fn station_of_area(
        &self,
        area: &CrowdArea<'_>,
        at: Option<&LatLon>,
    ) -> Option<&super::Station> {
        if let CrowdArea::Station(station) = area {
            return self.stations().iter().find(|s| s.id == station.id);
        }
        let corners = match area {
            CrowdArea::Sensitive(sensitive) => &sensitive.polygon,
            CrowdArea::Zone(zone) => &zone.polygon,
            CrowdArea::Polygon(corners) => corners,
            CrowdArea::Station(_) => return None,
        };
        let point = at
            .copied()
            .or_else(|| super::geo::polygon_centroid(corners))?;
        self.station_for(&point)
    }

    /// The ids of the sensors inside `area`.
    pub fn sensors_in(&self, area: &CrowdArea<'_>) -> Vec<&str> {
        self.spec
            .crowd_sensors
            .iter()
            .filter(|sensor| area.contains(&sensor.position))
            .map(|sensor| sensor.id.as_str())
            .collect()
    }
}

impl CrowdArea<'_> {
    /// Whether `position` lies in the area.
    pub fn contains(&self, position: &LatLon) -> bool {
        match self {
            CrowdArea::Sensitive(area) => area.contains(position),
            CrowdArea::Zone(zone) => zone.contains(position),
            CrowdArea::Station(station) => station.zones.iter().any(|zone| zone.contains(position)),
            CrowdArea::Polygon(corners) => super::geo::polygon_contains(corners, position),
        }
    }

    /// The area's id.
    pub fn id(&self) -> &str {
        match self {
            CrowdArea::Sensitive(area) => &area.id,
            CrowdArea::Zone(zone) => &zone.id,
            CrowdArea::Station(station) => &station.id,
            CrowdArea::Polygon(_) => "polygon",
        }
    }

    /// The most people the area holds at once, where the district says.
    pub fn capacity(&self) -> Option<u32> {
        match self {
            CrowdArea::Sensitive(area) => area.crowd_capacity,
            CrowdArea::Zone(_) | CrowdArea::Station(_) | CrowdArea::Polygon(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Every sensitive area of the embedded district has a sensor; an area
    // is found by a sensitive area's, a zone's or a station's id; a station
    // holds the sensors of its zones.
    #[test]
    fn areas_find_their_sensors() {
        let district = District::embedded();

        for area in district.sensitive_areas() {
            let sensors = district.sensors_in(&CrowdArea::Sensitive(area));
            assert!(!sensors.is_empty(), "{} has no sensor", area.id);
        }
        let bund = district.crowd_area("bund-riverside").expect("an area");
        assert_eq!(district.sensors_in(&bund).len(), 3);
        assert_eq!(bund.capacity(), Some(67_000));
        let station = district
            .stations()
            .iter()
            .find(|station| !district.sensors_in(&CrowdArea::Station(station)).is_empty())
            .expect("a station with a sensor");
        let by_zones: usize = station
            .zones
            .iter()
            .map(|zone| district.sensors_in(&CrowdArea::Zone(zone)).len())
            .sum();
        assert_eq!(
            district.sensors_in(&CrowdArea::Station(station)).len(),
            by_zones
        );
        assert!(district.crowd_area("no-such-area").is_none());
    }

    // A sensor outside the district or with a taken id is refused by its
    // field path.
    #[test]
    fn bad_sensors_are_named() {
        let mut spec = District::embedded().into_spec();
        spec.crowd_sensors[0].position = LatLon::new(31.0, 121.0);
        let error = spec.validate().unwrap_err().to_string();
        assert!(
            error.contains("district.crowd_sensors[0].position"),
            "{error}"
        );

        let mut spec = District::embedded().into_spec();
        spec.crowd_sensors[1].id = "nanjing-road".to_owned();
        let error = spec.validate().unwrap_err().to_string();
        assert!(error.contains("duplicate id \"nanjing-road\""), "{error}");
    }
}
