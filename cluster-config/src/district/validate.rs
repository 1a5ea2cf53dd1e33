//! The rules of the district model, checked in file order.
//!
//! Each check returns the first problem as `DistrictError::Invalid`, with the
//! field path (`district.units[12].zone`), what is wrong with the value, and
//! how to fix it, so an operator editing the file needs nothing else.

use std::collections::HashMap;

use super::geo::{polygon_centroid, polygon_contains};
use super::{
    Crew, DistrictError, DistrictSpec, DutyMode, Facility, FacilityKind, LatLon, Ring,
    SensitiveArea, Station, TravelMode, Unit, UnitKind, AXIS_POINTS_MIN, DISTRICT_FILE_VERSION,
    FORCE_LEVEL_MAX, HOSPITALS_COUNT_MIN, ONE_MINUTE_POINTS_COUNT,
    ONE_MINUTE_POINT_ON_SCENE_TARGET_S, PATROL_GROUPS_PER_ZONE, PEDESTRIAN_STREET_AREA_ID,
    PEDESTRIAN_STREET_ON_SCENE_TARGET_S, POINT_COVER_RADIUS_M_MAX, POLYGON_POINTS_MIN,
    RING4_ON_SCENE_TARGET_S, ZONES_PER_STATION,
};

type Checked = Result<(), DistrictError>;

pub(crate) fn invalid(
    field: impl Into<String>,
    value: impl Into<String>,
    fix: impl Into<String>,
) -> DistrictError {
    DistrictError::Invalid {
        field: field.into(),
        value: value.into(),
        fix: fix.into(),
    }
}

/// Runs every check on `spec`.
pub(super) fn validate(spec: &DistrictSpec) -> Checked {
    let mut checker = Checker {
        spec,
        ids: HashMap::new(),
    };
    checker.header()?;
    checker.bounds()?;
    checker.axes()?;
    checker.rings()?;
    checker.stations()?;
    checker.zones_disjoint()?;
    checker.sensitive_areas()?;
    checker.units()?;
    checker.patrol_groups()?;
    checker.one_minute_points()?;
    checker.facilities(
        "district.hospitals",
        &spec.hospitals,
        FacilityKind::Hospital,
    )?;
    checker.facilities(
        "district.safe_houses",
        &spec.safe_houses,
        FacilityKind::SafeHouse,
    )?;
    checker.hospital_count()?;
    checker.crowd_sensors()?;
    super::events::validate(spec)?;
    checker.agency()?;
    checker.streets_and_crowds()
}

struct Checker<'a> {
    spec: &'a DistrictSpec,
    /// Every id seen so far, with the path of the field that declared it.
    ids: HashMap<&'a str, String>,
}

impl<'a> Checker<'a> {
    fn header(&self) -> Checked {
        if self.spec.version != DISTRICT_FILE_VERSION {
            return Err(invalid(
                "district.version",
                format!("found {}, expected {DISTRICT_FILE_VERSION}", self.spec.version),
                format!("set `version = {DISTRICT_FILE_VERSION}` and name the street file (`streets = \"streets.toml\"` or a `.geojson` road layer); this build reads district file version {DISTRICT_FILE_VERSION} only"),
            ));
        }
        non_empty("district.name", &self.spec.name)
    }

    fn bounds(&self) -> Checked {
        polygon_shape("district.bounds", &self.spec.bounds)
    }

    fn axes(&mut self) -> Checked {
        for (index, axis) in self.spec.axes.iter().enumerate() {
            let field = format!("district.axes[{index}]");
            self.id(&format!("{field}.id"), &axis.id)?;
            non_empty(&format!("{field}.name"), &axis.name)?;
            if axis.line.len() < AXIS_POINTS_MIN {
                return Err(invalid(
                    format!("{field}.line"),
                    format!(
                        "expected at least {AXIS_POINTS_MIN} points, found {}",
                        axis.line.len()
                    ),
                    "draw the street as a polyline of at least two [lat, lon] points",
                ));
            }
            for (point_index, point) in axis.line.iter().enumerate() {
                self.inside(&format!("{field}.line[{point_index}]"), point)?;
            }
        }
        Ok(())
    }

    fn rings(&self) -> Checked {
        let mut seen: [Option<usize>; 4] = [None; 4];
        for (index, ring_spec) in self.spec.rings.iter().enumerate() {
            let field = format!("district.rings[{index}]");
            let slot = &mut seen[ring_spec.ring.index()];
            if let Some(first) = slot {
                return Err(invalid(
                    format!("{field}.ring"),
                    format!(
                        "{} declared again (first at district.rings[{first}])",
                        ring_spec.ring
                    ),
                    "declare each of rings 1, 2, 3 and 4 exactly once",
                ));
            }
            *slot = Some(index);
            non_empty(&format!("{field}.name"), &ring_spec.name)?;
            if ring_spec.on_scene_target_s == 0 {
                return Err(invalid(
                    format!("{field}.on_scene_target_s"),
                    "found 0",
                    "give the ring's on-scene target in seconds, above 0",
                ));
            }
            if ring_spec.ring == Ring::SpecialPolice
                && ring_spec.on_scene_target_s != RING4_ON_SCENE_TARGET_S
            {
                return Err(invalid(
                    format!("{field}.on_scene_target_s"),
                    format!("found {}, expected {RING4_ON_SCENE_TARGET_S}", ring_spec.on_scene_target_s),
                    format!("ring 4 promises on scene within 3 minutes anywhere in the district: set {RING4_ON_SCENE_TARGET_S}"),
                ));
            }
            force_level(
                &format!("{field}.force_level_max"),
                ring_spec.force_level_max,
            )?;
        }
        if let Some(missing) = Ring::ALL
            .into_iter()
            .find(|ring| seen[ring.index()].is_none())
        {
            return Err(invalid(
                "district.rings",
                format!("{missing} is missing"),
                "declare each of rings 1, 2, 3 and 4 exactly once",
            ));
        }
        Ok(())
    }

    fn stations(&mut self) -> Checked {
        for (index, station) in self.spec.stations.iter().enumerate() {
            let field = format!("district.stations[{index}]");
            self.id(&format!("{field}.id"), &station.id)?;
            non_empty(&format!("{field}.name"), &station.name)?;
            non_empty(&format!("{field}.subdistrict"), &station.subdistrict)?;
            self.inside(&format!("{field}.position"), &station.position)?;
            if station.zones.len() != ZONES_PER_STATION {
                return Err(invalid(
                    format!("{field}.zones"),
                    format!(
                        "expected {ZONES_PER_STATION} zones, found {}",
                        station.zones.len()
                    ),
                    format!("every station has exactly {ZONES_PER_STATION} responsibility zones"),
                ));
            }
            for (zone_index, zone) in station.zones.iter().enumerate() {
                let zone_field = format!("{field}.zones[{zone_index}]");
                self.id(&format!("{zone_field}.id"), &zone.id)?;
                non_empty(&format!("{zone_field}.name"), &zone.name)?;
                polygon_shape(&format!("{zone_field}.polygon"), &zone.polygon)?;
            }
            if !station
                .zones
                .iter()
                .any(|zone| zone.contains(&station.position))
            {
                return Err(invalid(
                    format!("{field}.position"),
                    format!(
                        "station building at {} lies outside the station's own zones",
                        station.position
                    ),
                    "move the position into one of the station's zones, or redraw the zones",
                ));
            }
        }
        Ok(())
    }

    /// Zones must not overlap: each zone's centroid lies in its own zone and
    /// in no other, and inside the district.
    fn zones_disjoint(&self) -> Checked {
        let all_zones: Vec<_> = self
            .spec
            .stations
            .iter()
            .flat_map(|station| station.zones.iter().map(move |zone| (station, zone)))
            .collect();
        for (index, station) in self.spec.stations.iter().enumerate() {
            for (zone_index, zone) in station.zones.iter().enumerate() {
                let field = format!("district.stations[{index}].zones[{zone_index}].polygon");
                let Some(centroid) = polygon_centroid(&zone.polygon) else {
                    continue; // polygon_shape already refused an empty polygon
                };
                if !zone.contains(&centroid) {
                    return Err(invalid(
                        field,
                        format!("the centroid {centroid} of zone \"{}\" lies outside the zone", zone.id),
                        "list the points in order around the edge, without self-crossing, and keep the zone roughly convex",
                    ));
                }
                if !polygon_contains(&self.spec.bounds, &centroid) {
                    return Err(invalid(
                        field,
                        format!(
                            "zone \"{}\" (centroid {centroid}) lies outside the district bounds",
                            zone.id
                        ),
                        "draw the zone inside `district.bounds`",
                    ));
                }
                let other = all_zones
                    .iter()
                    .find(|(_, other)| other.id != zone.id && other.contains(&centroid));
                if let Some((other_station, other_zone)) = other {
                    return Err(invalid(
                        field,
                        format!(
                            "the centroid {centroid} of zone \"{}\" also lies in zone \"{}\" of station \"{}\"",
                            zone.id, other_zone.id, other_station.id
                        ),
                        "zones must not overlap: give neighbouring zones the same points along their shared edge",
                    ));
                }
            }
        }
        Ok(())
    }

    fn sensitive_areas(&mut self) -> Checked {
        for (index, area) in self.spec.sensitive_areas.iter().enumerate() {
            let field = format!("district.sensitive_areas[{index}]");
            self.id(&format!("{field}.id"), &area.id)?;
            non_empty(&format!("{field}.name"), &area.name)?;
            polygon_shape(&format!("{field}.polygon"), &area.polygon)?;
            for (point_index, point) in area.polygon.iter().enumerate() {
                self.inside(&format!("{field}.polygon[{point_index}]"), point)?;
            }
            if area.on_scene_target_s == Some(0) {
                return Err(invalid(
                    format!("{field}.on_scene_target_s"),
                    "found 0",
                    "give the target in seconds above 0, or leave it out to use the ring's",
                ));
            }
            if let Some(ring) = area.target_ring {
                self.target_ring(&field, area, ring)?;
            }
            if area.crowd_capacity == Some(0) {
                return Err(invalid(
                    format!("{field}.crowd_capacity"),
                    "found 0",
                    "give the most people present at once, or leave it out if unknown",
                ));
            }
        }
        let street = self
            .spec
            .sensitive_areas
            .iter()
            .enumerate()
            .find(|(_, area)| area.id == PEDESTRIAN_STREET_AREA_ID);
        let Some((index, street)) = street else {
            return Err(invalid(
                "district.sensitive_areas",
                format!("no area with id \"{PEDESTRIAN_STREET_AREA_ID}\""),
                format!("declare the Nanjing Road pedestrian street with id \"{PEDESTRIAN_STREET_AREA_ID}\" and on_scene_target_s = {PEDESTRIAN_STREET_ON_SCENE_TARGET_S}"),
            ));
        };
        if street.on_scene_target_s != Some(PEDESTRIAN_STREET_ON_SCENE_TARGET_S) {
            return Err(invalid(
                format!("district.sensitive_areas[{index}].on_scene_target_s"),
                format!("found {}, expected {PEDESTRIAN_STREET_ON_SCENE_TARGET_S}", display_option(street.on_scene_target_s)),
                format!("the pedestrian-street squadron is on scene within 1 minute: set on_scene_target_s = {PEDESTRIAN_STREET_ON_SCENE_TARGET_S}"),
            ));
        }
        Ok(())
    }

    fn units(&mut self) -> Checked {
        for (index, unit) in self.spec.units.iter().enumerate() {
            let field = format!("district.units[{index}]");
            self.id(&format!("{field}.id"), &unit.id)?;
            non_empty(&format!("{field}.name"), &unit.name)?;
            let expected_ring = unit.kind.ring();
            if unit.ring != expected_ring {
                return Err(invalid(
                    format!("{field}.ring"),
                    format!(
                        "unit \"{}\" of kind {} is in {}, expected {expected_ring}",
                        unit.id, unit.kind, unit.ring
                    ),
                    format!("set ring = {} or change the kind", expected_ring.number()),
                ));
            }
            force_level(&format!("{field}.force_level"), unit.force_level)?;
            let ring_max = self.ring_force_level_max(unit.ring);
            if unit.force_level > ring_max {
                return Err(invalid(
                    format!("{field}.force_level"),
                    format!(
                        "found {}, above {}'s force_level_max {ring_max}",
                        unit.force_level, unit.ring
                    ),
                    "lower the unit's force level or raise its ring's force_level_max",
                ));
            }
            if unit.crew.total() == 0 {
                return Err(invalid(
                    format!("{field}.crew"),
                    "the crew is empty",
                    "give a head count per role, e.g. crew = { officer = 1, auxiliary = 1 }",
                ));
            }
            self.inside(&format!("{field}.home"), &unit.home)?;
            let station = self.unit_station(&field, unit)?;
            self.unit_zone(&field, unit, station)?;
            if unit.kind == UnitKind::PatrolGroup {
                patrol_group(&field, unit, station)?;
            }
        }
        Ok(())
    }

    /// The unit's station, which must exist if named.
    fn unit_station(&self, field: &str, unit: &Unit) -> Result<Option<&'a Station>, DistrictError> {
        let Some(station_id) = &unit.station else {
            return Ok(None);
        };
        match self
            .spec
            .stations
            .iter()
            .find(|station| &station.id == station_id)
        {
            Some(station) => Ok(Some(station)),
            None => Err(invalid(
                format!("{field}.station"),
                format!(
                    "unit \"{}\" names unknown station \"{station_id}\"",
                    unit.id
                ),
                format!(
                    "use one of the ids under district.stations: {}",
                    self.station_ids()
                ),
            )),
        }
    }

    /// The unit's zone must be one of its station's, and contain its home.
    fn unit_zone(&self, field: &str, unit: &Unit, station: Option<&Station>) -> Checked {
        let Some(zone_id) = &unit.zone else {
            return Ok(());
        };
        let Some(station) = station else {
            return Err(invalid(
                format!("{field}.zone"),
                format!(
                    "unit \"{}\" names zone \"{zone_id}\" but no station",
                    unit.id
                ),
                "name the station the zone belongs to in `station`",
            ));
        };
        let Some(zone) = station.zones.iter().find(|zone| &zone.id == zone_id) else {
            let owner = self
                .spec
                .stations
                .iter()
                .find(|other| other.zones.iter().any(|zone| &zone.id == zone_id));
            let value = match owner {
                Some(owner) => format!(
                    "zone \"{zone_id}\" belongs to station \"{}\", not \"{}\"",
                    owner.id, station.id
                ),
                None => format!("unit \"{}\" names unknown zone \"{zone_id}\"", unit.id),
            };
            let zone_ids: Vec<&str> = station.zones.iter().map(|zone| zone.id.as_str()).collect();
            return Err(invalid(
                format!("{field}.zone"),
                value,
                format!(
                    "use one of station \"{}\"'s zones: {}",
                    station.id,
                    zone_ids.join(", ")
                ),
            ));
        };
        if !zone.contains(&unit.home) {
            return Err(invalid(
                format!("{field}.home"),
                format!(
                    "home {} of unit \"{}\" lies outside its zone \"{}\"",
                    unit.home, unit.id, zone.id
                ),
                "move the home into the zone, or name the zone that contains it",
            ));
        }
        Ok(())
    }

    /// Every zone has exactly [`PATROL_GROUPS_PER_ZONE`] patrol groups.
    fn patrol_groups(&self) -> Checked {
        for (index, station) in self.spec.stations.iter().enumerate() {
            for (zone_index, zone) in station.zones.iter().enumerate() {
                let count = self
                    .spec
                    .units
                    .iter()
                    .filter(|unit| {
                        unit.kind == UnitKind::PatrolGroup
                            && unit.zone.as_deref() == Some(zone.id.as_str())
                    })
                    .count();
                if count != PATROL_GROUPS_PER_ZONE {
                    return Err(invalid(
                        format!("district.stations[{index}].zones[{zone_index}]"),
                        format!("zone \"{}\" has {count} patrol groups, expected {PATROL_GROUPS_PER_ZONE}", zone.id),
                        format!("assign exactly {PATROL_GROUPS_PER_ZONE} patrol_group units (1 officer + 1 auxiliary each) to every zone"),
                    ));
                }
            }
        }
        Ok(())
    }

    fn one_minute_points(&mut self) -> Checked {
        let points = &self.spec.one_minute_points;
        if points.len() != ONE_MINUTE_POINTS_COUNT {
            return Err(invalid(
                "district.one_minute_points",
                format!("found {} points, expected {ONE_MINUTE_POINTS_COUNT}", points.len()),
                format!("ring 4 keeps exactly {ONE_MINUTE_POINTS_COUNT} fixed one-minute response points"),
            ));
        }
        // Unit id -> the point that already posts it, so no team serves two points.
        let mut posted: HashMap<&str, &str> = HashMap::new();
        for (index, point) in points.iter().enumerate() {
            let field = format!("district.one_minute_points[{index}]");
            self.id(&format!("{field}.id"), &point.id)?;
            non_empty(&format!("{field}.name"), &point.name)?;
            self.inside(&format!("{field}.position"), &point.position)?;
            if point.on_scene_target_s != ONE_MINUTE_POINT_ON_SCENE_TARGET_S {
                return Err(invalid(
                    format!("{field}.on_scene_target_s"),
                    format!("found {}, expected {ONE_MINUTE_POINT_ON_SCENE_TARGET_S}", point.on_scene_target_s),
                    format!("a one-minute point promises on scene within {ONE_MINUTE_POINT_ON_SCENE_TARGET_S} s"),
                ));
            }
            if point.cover_radius_m == 0 || point.cover_radius_m > POINT_COVER_RADIUS_M_MAX {
                return Err(invalid(
                    format!("{field}.cover_radius_m"),
                    format!("found {}, expected 1..={POINT_COVER_RADIUS_M_MAX}", point.cover_radius_m),
                    "give the radius in metres the team reaches within the point's target, e.g. 150",
                ));
            }
            if point.team_unit_ids.is_empty() {
                return Err(invalid(
                    format!("{field}.team_unit_ids"),
                    "the point has no team",
                    "list the id of the joint special/armed police unit posted here",
                ));
            }
            for (team_index, unit_id) in point.team_unit_ids.iter().enumerate() {
                let team_field = format!("{field}.team_unit_ids[{team_index}]");
                self.point_team_unit(&team_field, unit_id)?;
                if let Some(other) = posted.insert(unit_id.as_str(), point.id.as_str()) {
                    return Err(invalid(
                        team_field,
                        format!("unit \"{unit_id}\" is already the team of point \"{other}\""),
                        "post each ring 4 unit at one point at most",
                    ));
                }
            }
        }
        Ok(())
    }

    fn point_team_unit(&self, field: &str, unit_id: &str) -> Checked {
        let Some(unit) = self.spec.units.iter().find(|unit| unit.id == unit_id) else {
            return Err(invalid(
                field,
                format!("unknown unit \"{unit_id}\""),
                "use the id of a ring 4 unit declared under district.units",
            ));
        };
        if unit.ring != Ring::SpecialPolice {
            return Err(invalid(
                field,
                format!("unit \"{unit_id}\" is in {}, expected ring 4", unit.ring),
                "post a ring 4 (special police) unit at each one-minute point",
            ));
        }
        Ok(())
    }

    fn facilities(
        &mut self,
        list: &str,
        facilities: &'a [Facility],
        kind: FacilityKind,
    ) -> Checked {
        for (index, facility) in facilities.iter().enumerate() {
            let field = format!("{list}[{index}]");
            self.id(&format!("{field}.id"), &facility.id)?;
            non_empty(&format!("{field}.name"), &facility.name)?;
            if facility.kind != kind {
                return Err(invalid(
                    format!("{field}.kind"),
                    format!("found {}, expected {} in this list", facility.kind, kind),
                    "move the facility to the list of its kind, or correct its kind",
                ));
            }
            self.inside(&format!("{field}.position"), &facility.position)?;
            if let Some(station_id) = &facility.station {
                if !self
                    .spec
                    .stations
                    .iter()
                    .any(|station| &station.id == station_id)
                {
                    return Err(invalid(
                        format!("{field}.station"),
                        format!(
                            "facility \"{}\" names unknown station \"{station_id}\"",
                            facility.id
                        ),
                        format!(
                            "use one of the ids under district.stations: {}",
                            self.station_ids()
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn hospital_count(&self) -> Checked {
        let count = self.spec.hospitals.len();
        if count < HOSPITALS_COUNT_MIN {
            return Err(invalid(
                "district.hospitals",
                format!("found {count} hospitals, expected at least {HOSPITALS_COUNT_MIN}"),
                format!("list every hospital with officers on site; the guardian ring counts on {HOSPITALS_COUNT_MIN}+"),
            ));
        }
        Ok(())
    }

    /// Records `id`, refusing a malformed or already used one.
    fn crowd_sensors(&mut self) -> Checked {
        for (index, sensor) in self.spec.crowd_sensors.iter().enumerate() {
            let field = format!("district.crowd_sensors[{index}]");
            self.id(&format!("{field}.id"), &sensor.id)?;
            non_empty(&format!("{field}.name"), &sensor.name)?;
            self.inside(&format!("{field}.position"), &sensor.position)?;
        }
        Ok(())
    }

    fn id(&mut self, field: &str, id: &'a str) -> Checked {
        if !is_slug(id) {
            return Err(invalid(
                field,
                format!("\"{id}\" is not a slug"),
                "use lowercase a-z, 0-9 and inner '-', e.g. \"nanjing-east-1\"",
            ));
        }
        if let Some(first) = self.ids.get(id) {
            return Err(invalid(
                field,
                format!("duplicate id \"{id}\" (already used at {first})"),
                "give every station, zone, unit, area, point, facility and axis its own id",
            ));
        }
        self.ids.insert(id, field.to_owned());
        Ok(())
    }

    /// An area's `target_ring` needs a target to own, and a ring that
    /// honours area targets.
    fn target_ring(&self, field: &str, area: &SensitiveArea, ring: Ring) -> Checked {
        if area.on_scene_target_s.is_none() {
            return Err(invalid(
                format!("{field}.target_ring"),
                format!("ring {} names no target", ring.number()),
                "give the area an on_scene_target_s for that ring, or leave target_ring out",
            ));
        }
        let honours = self
            .spec
            .rings
            .iter()
            .any(|spec| spec.ring == ring && spec.area_targets_apply);
        if !honours {
            return Err(invalid(
                format!("{field}.target_ring"),
                format!("ring {} does not honour area targets", ring.number()),
                "name a ring with area_targets_apply = true (3 or 4 in Huangpu), or set it on that ring",
            ));
        }
        Ok(())
    }

    /// `point` must be a sane coordinate inside the district bounds.
    fn inside(&self, field: &str, point: &LatLon) -> Checked {
        coordinate(field, point)?;
        if !polygon_contains(&self.spec.bounds, point) {
            return Err(invalid(
                field,
                format!("{point} lies outside the district bounds"),
                "move it inside `district.bounds` (check the [lat, lon] order), or extend the bounds",
            ));
        }
        Ok(())
    }

    /// The agency identifier, if given, is a domain name.
    fn agency(&self) -> Checked {
        if let Some(agency) = &self.spec.agency {
            let domain = !agency.is_empty()
                && agency.len() <= 253
                && agency.split('.').all(|label| {
                    !label.is_empty()
                        && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                });
            if !domain {
                return Err(invalid(
                    "district.agency",
                    agency,
                    "give a domain name of letters, digits, '-' and '.', e.g. `agency = \"huangpu.cordon.example\"`",
                ));
            }
        }
        Ok(())
    }

    fn streets_and_crowds(&self) -> Checked {
        if self.spec.streets.trim().is_empty() {
            return Err(invalid(
                "district.streets",
                "the file name is empty",
                "name the street file next to this one, e.g. `streets = \"huangpu-streets.toml\"`",
            ));
        }
        match self.spec.utc_offset_min {
            Some(offset) if (-720..=840).contains(&offset) && offset % 15 == 0 => {}
            found => {
                return Err(invalid(
                    "district.utc_offset_min",
                    found.map_or_else(|| "missing".to_owned(), |offset| offset.to_string()),
                    "give the district's local time ahead of UTC in minutes, a multiple of 15 from -720 to 840 (Shanghai: 480)",
                ))
            }
        }
        for (index, rule) in self.spec.crowd_rules.iter().enumerate() {
            let field = format!("district.crowd_rules[{index}]");
            if !self
                .spec
                .sensitive_areas
                .iter()
                .any(|area| area.id == rule.area)
            {
                return Err(invalid(
                    format!("{field}.area"),
                    format!("\"{}\" is not a sensitive area", rule.area),
                    "name one of district.sensitive_areas by its id",
                ));
            }
            if rule.from == rule.to {
                return Err(invalid(
                    format!("{field}.to"),
                    format!("equals `from` ({})", rule.from),
                    "give the end of the crowded hours; a rule past midnight ends before it starts",
                ));
            }
            for mode in TravelMode::ALL {
                let factor = rule.factor(mode);
                if !(0.0..=1.0).contains(&factor) {
                    return Err(invalid(
                        format!("{field}.{mode}"),
                        format!("{factor}"),
                        "a crowd slows travel by a factor from 0 (closed) to 1 (no slower)",
                    ));
                }
            }
        }
        Ok(())
    }

    fn ring_force_level_max(&self, ring: Ring) -> u8 {
        // `rings` ran first and refused a missing ring, so the lookup finds one.
        self.spec
            .rings
            .iter()
            .find(|ring_spec| ring_spec.ring == ring)
            .map_or(FORCE_LEVEL_MAX, |ring_spec| ring_spec.force_level_max)
    }

    fn station_ids(&self) -> String {
        let ids: Vec<&str> = self
            .spec
            .stations
            .iter()
            .map(|station| station.id.as_str())
            .collect();
        ids.join(", ")
    }
}

/// A patrol group: 1 officer + 1 auxiliary of a station's zone, on foot or
/// e-cart, and by e-cart under deployment duty.
fn patrol_group(field: &str, unit: &Unit, station: Option<&Station>) -> Checked {
    let Some(station) = station.filter(|_| unit.zone.is_some()) else {
        return Err(invalid(
            format!("{field}.zone"),
            format!("patrol group \"{}\" has no station and zone", unit.id),
            "name the station and the zone the group patrols",
        ));
    };
    let crew = unit.crew;
    let expected = Crew {
        officer: 1,
        auxiliary: 1,
        ..Crew::default()
    };
    if crew != expected {
        return Err(invalid(
            format!("{field}.crew"),
            format!("patrol group \"{}\" has crew {crew}", unit.id),
            "a patrol group is crew = { officer = 1, auxiliary = 1 }",
        ));
    }
    let allowed = match station.duty_mode {
        DutyMode::Deployment => &[TravelMode::ECart][..],
        DutyMode::Basic | DutyMode::Overlay => &[TravelMode::Foot, TravelMode::ECart][..],
    };
    if !allowed.contains(&unit.travel_mode) {
        let fix = match station.duty_mode {
            DutyMode::Deployment => "deployment-mode stations patrol by four-wheel electric cart: travel_mode = \"e_cart\"",
            DutyMode::Basic | DutyMode::Overlay => "patrol groups go on foot or by electric cart: \"foot\" or \"e_cart\"",
        };
        return Err(invalid(
            format!("{field}.travel_mode"),
            format!(
                "patrol group \"{}\" of station \"{}\" travels by {}",
                unit.id, station.id, unit.travel_mode
            ),
            fix,
        ));
    }
    Ok(())
}

/// Lowercase a-z, 0-9 and inner '-'.
pub(crate) fn is_slug(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && id
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
}

pub(crate) fn non_empty(field: &str, text: &str) -> Checked {
    if text.trim().is_empty() {
        return Err(invalid(
            field,
            "the text is empty",
            "write a name people will recognise",
        ));
    }
    Ok(())
}

fn force_level(field: &str, level: u8) -> Checked {
    if level > FORCE_LEVEL_MAX {
        return Err(invalid(
            field,
            format!("found {level}, expected 0..={FORCE_LEVEL_MAX}"),
            format!("force levels run from 0 (none) to {FORCE_LEVEL_MAX} (armed assault)"),
        ));
    }
    Ok(())
}

pub(crate) fn coordinate(field: &str, point: &LatLon) -> Checked {
    if !point.is_in_range() {
        return Err(invalid(
            field,
            format!("{point} is not a WGS-84 coordinate (latitude -90..=90, longitude -180..=180)"),
            "write points as [lat, lon] in decimal degrees, latitude first",
        ));
    }
    Ok(())
}

fn polygon_shape(field: &str, polygon: &[LatLon]) -> Checked {
    if polygon.len() < POLYGON_POINTS_MIN {
        return Err(invalid(
            field,
            format!(
                "expected at least {POLYGON_POINTS_MIN} points, found {}",
                polygon.len()
            ),
            "draw the outline with at least three [lat, lon] points in order around its edge",
        ));
    }
    for (index, point) in polygon.iter().enumerate() {
        coordinate(&format!("{field}[{index}]"), point)?;
    }
    Ok(())
}

fn display_option(value: Option<u32>) -> String {
    value.map_or_else(|| "none".to_owned(), |value| value.to_string())
}
