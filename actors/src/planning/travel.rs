//! Estimated travel time over the district's streets.
//!
//! No street graph is shipped with the district file, so travel is estimated
//! from its shape: a dense "#"-shaped grid of streets. A trip takes the
//! shorter of two routes:
//! - **through the grid**: the Manhattan distance in a frame turned to the
//!   street grid (Huangpu's runs roughly north-south and east-west, so the
//!   rotation defaults to 0), times a detour factor for blocks, one-way
//!   streets and crossings;
//! - **along a main axis**: when both ends lie within [`AXIS_SNAP_M`] of the
//!   same axis (Nanjing Road, Huaihai Road, Xizang Road, the Bund), the
//!   distance along it plus the two short offsets. The axes are the through
//!   routes, and the Nanjing Road pedestrian street runs diagonally to the
//!   grid, where Manhattan distance would overstate a walk along it by about
//!   40 % (two-thirds with the detour factor).
//!
//! Time is the unit's turnout time plus distance over its mode's speed; the
//! part of the straight line that crosses a sensitive area is slowed by the
//! crowd factor (1.0, no slowing, outside events). Times are whole seconds,
//! rounded up, so equal inputs always give equal answers.

use cordon_config::district::{District, LatLon, SensitiveArea, TravelMode};

use super::geometry::{LocalFrame, LocalPoint, Polyline};
use super::{AXIS_SNAP_M, CROWD_SAMPLES_MAX, CROWD_SAMPLE_SPACING_M};

/// Speeds, turnout times and route shape; the knobs of the travel estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TravelSpeeds {
    /// On foot. A responder's jog: the pedestrian-street squadron promises
    /// 60 s anywhere on a 1.5 km street from six posts, up to about 125 m
    /// away, which a fast walk (1.6 m/s) cannot keep.
    pub foot_m_per_s: f64,
    /// Electric bicycle or scooter in dense streets.
    pub e_bike_m_per_s: f64,
    /// Four-wheel electric patrol cart in dense streets.
    pub e_cart_m_per_s: f64,
    /// Car or assault vehicle in the dense centre, crossings included.
    pub car_m_per_s: f64,
    /// From assignment to moving off, on foot.
    pub foot_turnout_s: u32,
    /// From assignment to moving off, by e-bike.
    pub e_bike_turnout_s: u32,
    /// From assignment to moving off, by e-cart.
    pub e_cart_turnout_s: u32,
    /// From assignment to moving off, by car (crew mounting, engine start).
    pub car_turnout_s: u32,
    /// Grid route length over Manhattan distance, at least 1.
    pub detour_factor: f64,
    /// Angle of the street grid from north-south, in degrees, clockwise.
    pub grid_rotation_deg: f64,
    /// Speed multiplier inside sensitive areas, in (0, 1]; lower it during
    /// crowd events.
    pub crowd_speed_factor: f64,
}

impl Default for TravelSpeeds {
    fn default() -> Self {
        TravelSpeeds {
            foot_m_per_s: 2.5,
            e_bike_m_per_s: 4.5,
            e_cart_m_per_s: 4.0,
            car_m_per_s: 6.0,
            foot_turnout_s: 5,
            e_bike_turnout_s: 8,
            e_cart_turnout_s: 10,
            car_turnout_s: 15,
            detour_factor: 1.2,
            grid_rotation_deg: 0.0,
            crowd_speed_factor: 1.0,
        }
    }
}

impl TravelSpeeds {
    /// The speed of `mode`, in metres per second.
    pub fn speed_m_per_s(&self, mode: TravelMode) -> f64 {
        match mode {
            TravelMode::Foot => self.foot_m_per_s,
            TravelMode::EBike => self.e_bike_m_per_s,
            TravelMode::ECart => self.e_cart_m_per_s,
            TravelMode::Car => self.car_m_per_s,
        }
    }

    /// The turnout time of `mode`, in seconds.
    pub fn turnout_s(&self, mode: TravelMode) -> u32 {
        match mode {
            TravelMode::Foot => self.foot_turnout_s,
            TravelMode::EBike => self.e_bike_turnout_s,
            TravelMode::ECart => self.e_cart_turnout_s,
            TravelMode::Car => self.car_turnout_s,
        }
    }

    /// Checks that every speed is positive and finite, the detour factor is
    /// at least 1, the rotation finite and the crowd factor in (0, 1].
    pub fn validate(&self) -> Result<(), InvalidTravelSpeeds> {
        let speeds = [
            ("foot_m_per_s", self.foot_m_per_s),
            ("e_bike_m_per_s", self.e_bike_m_per_s),
            ("e_cart_m_per_s", self.e_cart_m_per_s),
            ("car_m_per_s", self.car_m_per_s),
        ];
        for (field, value) in speeds {
            if !(value.is_finite() && value > 0.0) {
                return Err(InvalidTravelSpeeds::new(
                    field,
                    value,
                    "use a speed above 0",
                ));
            }
        }
        if !(self.detour_factor.is_finite() && self.detour_factor >= 1.0) {
            let fix = "use 1.0 or more (a route is never shorter than Manhattan distance)";
            return Err(InvalidTravelSpeeds::new(
                "detour_factor",
                self.detour_factor,
                fix,
            ));
        }
        if !self.grid_rotation_deg.is_finite() {
            let fix = "use an angle in degrees";
            return Err(InvalidTravelSpeeds::new(
                "grid_rotation_deg",
                self.grid_rotation_deg,
                fix,
            ));
        }
        let crowd = self.crowd_speed_factor;
        if !(crowd > 0.0 && crowd <= 1.0) {
            let fix = "use a factor above 0 and at most 1.0 (1.0: no crowd)";
            return Err(InvalidTravelSpeeds::new("crowd_speed_factor", crowd, fix));
        }
        Ok(())
    }
}

/// A [`TravelSpeeds`] field out of range.
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidTravelSpeeds {
    /// The field's name.
    pub field: &'static str,
    /// The value found.
    pub value: f64,
    /// How to fix it.
    pub fix: &'static str,
}

impl InvalidTravelSpeeds {
    fn new(field: &'static str, value: f64, fix: &'static str) -> Self {
        InvalidTravelSpeeds { field, value, fix }
    }
}

impl std::fmt::Display for InvalidTravelSpeeds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} (fix: {})", self.field, self.value, self.fix)
    }
}

impl std::error::Error for InvalidTravelSpeeds {}

/// The travel estimate for one district: its frame, axes and crowd areas,
/// prepared once for many queries. Speeds are used as given: validate them
/// ([`TravelSpeeds::validate`]) where they are configured.
#[derive(Debug, Clone)]
pub struct TravelModel<'d> {
    speeds: TravelSpeeds,
    frame: LocalFrame,
    grid_cos: f64,
    grid_sin: f64,
    axes: Vec<Polyline>,
    /// Empty when the crowd factor is 1, so the common case skips the
    /// polygon tests.
    crowd_areas: Vec<&'d SensitiveArea>,
}

impl<'d> TravelModel<'d> {
    /// The model for `district`: its centre as origin, its axes as through
    /// routes, its sensitive areas slowed by the crowd factor.
    pub fn for_district(district: &'d District, speeds: &TravelSpeeds) -> TravelModel<'d> {
        let frame = LocalFrame::for_district(district);
        let axes = district
            .axes()
            .iter()
            .map(|axis| Polyline::new(axis.line.iter().map(|p| frame.to_local(p)).collect()))
            .collect();
        let crowd_areas = if speeds.crowd_speed_factor < 1.0 {
            district.sensitive_areas().iter().collect()
        } else {
            Vec::new()
        };
        TravelModel {
            axes,
            crowd_areas,
            ..TravelModel::open_ground(frame.origin(), speeds)
        }
    }

    /// A model with no district: the grid route only, no axes, no crowds.
    pub fn open_ground(origin: LatLon, speeds: &TravelSpeeds) -> TravelModel<'d> {
        let rotation = speeds.grid_rotation_deg.to_radians();
        TravelModel {
            speeds: *speeds,
            frame: LocalFrame::around(origin),
            grid_cos: rotation.cos(),
            grid_sin: rotation.sin(),
            axes: Vec::new(),
            crowd_areas: Vec::new(),
        }
    }

    /// The local frame distances are measured in.
    pub fn frame(&self) -> &LocalFrame {
        &self.frame
    }

    /// The speeds in use.
    pub fn speeds(&self) -> &TravelSpeeds {
        &self.speeds
    }

    /// Route length in metres from `from` to `to`: the shorter of the grid
    /// route and any axis route.
    pub fn route_m(&self, from: &LatLon, to: &LatLon) -> f64 {
        let (a, b) = (self.frame.to_local(from), self.frame.to_local(to));
        self.axes
            .iter()
            .filter_map(|axis| axis_route_m(axis, &a, &b))
            .fold(self.grid_route_m(&a, &b), f64::min)
    }

    /// Estimated seconds, rounded up, for a unit moving by `mode` at `from`
    /// to be on scene at `to`, turnout included.
    pub fn eta_s(&self, from: &LatLon, mode: TravelMode, to: &LatLon) -> u32 {
        let moving_s = self.route_m(from, to) / self.speeds.speed_m_per_s(mode);
        let crowd_share = self.crowd_share(from, to);
        let slowed_s = moving_s * (1.0 - crowd_share + crowd_share / self.crowd_factor());
        let total_s = f64::from(self.speeds.turnout_s(mode)) + slowed_s;
        // Saturating float-to-int cast: an absurd distance gives u32::MAX.
        total_s.ceil() as u32
    }

    /// Manhattan distance in the grid's frame, times the detour factor.
    fn grid_route_m(&self, a: &LocalPoint, b: &LocalPoint) -> f64 {
        let (dx, dy) = (b.east_m - a.east_m, b.north_m - a.north_m);
        let across = dx * self.grid_cos - dy * self.grid_sin;
        let along = dx * self.grid_sin + dy * self.grid_cos;
        (across.abs() + along.abs()) * self.speeds.detour_factor
    }

    fn crowd_factor(&self) -> f64 {
        self.speeds.crowd_speed_factor
    }

    /// Share (0 to 1) of the straight line `from`-`to` that lies in a
    /// sensitive area, by sampling it every [`CROWD_SAMPLE_SPACING_M`].
    fn crowd_share(&self, from: &LatLon, to: &LatLon) -> f64 {
        if self.crowd_areas.is_empty() {
            return 0.0;
        }
        let straight_m = self
            .frame
            .to_local(from)
            .distance_m(&self.frame.to_local(to));
        let samples =
            ((straight_m / CROWD_SAMPLE_SPACING_M).ceil() as usize).clamp(1, CROWD_SAMPLES_MAX);
        let crowded = (0..samples)
            .map(|index| (index as f64 + 0.5) / samples as f64)
            .map(|t| {
                LatLon::new(
                    from.lat + t * (to.lat - from.lat),
                    from.lon + t * (to.lon - from.lon),
                )
            })
            .filter(|sample| self.crowd_areas.iter().any(|area| area.contains(sample)))
            .count();
        crowded as f64 / samples as f64
    }
}

/// The route along `axis` when both ends are within [`AXIS_SNAP_M`] of it.
fn axis_route_m(axis: &Polyline, a: &LocalPoint, b: &LocalPoint) -> Option<f64> {
    let on_a = axis.project(a).filter(|p| p.offset_m <= AXIS_SNAP_M)?;
    let on_b = axis.project(b).filter(|p| p.offset_m <= AXIS_SNAP_M)?;
    Some(on_a.offset_m + (on_a.along_m - on_b.along_m).abs() + on_b.offset_m)
}

/// Estimated seconds, rounded up, for a unit moving by `mode` at `from` to be
/// on scene at `to`. With a district, its axes and crowd areas count; without
/// one, only the grid route does. Build a [`TravelModel`] once instead when
/// asking many times.
pub fn eta_s(
    from: &LatLon,
    mode: TravelMode,
    to: &LatLon,
    speeds: &TravelSpeeds,
    district: Option<&District>,
) -> u32 {
    match district {
        Some(district) => TravelModel::for_district(district, speeds).eta_s(from, mode, to),
        None => TravelModel::open_ground(*from, speeds).eta_s(from, mode, to),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEDESTRIAN_STREET_MIDPOINT: LatLon = LatLon::new(31.2394, 121.4760);

    // The default speeds pass validation, and each broken field is named.
    #[test]
    fn speeds_validate() {
        assert_eq!(TravelSpeeds::default().validate(), Ok(()));
        let broken = [
            TravelSpeeds {
                foot_m_per_s: 0.0,
                ..TravelSpeeds::default()
            },
            TravelSpeeds {
                car_m_per_s: f64::NAN,
                ..TravelSpeeds::default()
            },
            TravelSpeeds {
                detour_factor: 0.9,
                ..TravelSpeeds::default()
            },
            TravelSpeeds {
                crowd_speed_factor: 1.5,
                ..TravelSpeeds::default()
            },
        ];
        let fields: Vec<_> = broken
            .iter()
            .map(|s| s.validate().expect_err("broken").field)
            .collect();
        assert_eq!(
            fields,
            [
                "foot_m_per_s",
                "car_m_per_s",
                "detour_factor",
                "crowd_speed_factor"
            ]
        );
    }

    // On open ground 1 km due east by car is 1200 m of grid route at 6 m/s plus 15 s turnout.
    #[test]
    fn open_ground_eta_is_grid_route_over_speed() {
        let speeds = TravelSpeeds::default();
        let from = LatLon::new(31.22, 121.47);
        let frame = LocalFrame::around(from);
        let to = frame.to_lat_lon(&LocalPoint {
            east_m: 1000.0,
            north_m: 0.0,
        });
        assert_eq!(eta_s(&from, TravelMode::Car, &to, &speeds, None), 15 + 200);
        let diagonal = frame.to_lat_lon(&LocalPoint {
            east_m: 300.0,
            north_m: 400.0,
        });
        // Manhattan 700 m x 1.2 = 840 m on foot at 2.5 m/s: 336 s + 5 s.
        assert_eq!(
            eta_s(&from, TravelMode::Foot, &diagonal, &speeds, None),
            341
        );
    }

    // Turning the grid 45 degrees makes a diagonal trip a straight one.
    #[test]
    fn grid_rotation_turns_the_frame() {
        let from = LatLon::new(31.22, 121.47);
        let frame = LocalFrame::around(from);
        let diagonal = frame.to_lat_lon(&LocalPoint {
            east_m: 600.0,
            north_m: 600.0,
        });
        let turned = TravelSpeeds {
            grid_rotation_deg: 45.0,
            ..TravelSpeeds::default()
        };
        let straight =
            TravelModel::open_ground(from, &TravelSpeeds::default()).route_m(&from, &diagonal);
        let along_grid = TravelModel::open_ground(from, &turned).route_m(&from, &diagonal);
        assert!((straight - 1440.0).abs() < 0.01, "{straight}");
        assert!(
            (along_grid - 600.0 * 2f64.sqrt() * 1.2).abs() < 0.01,
            "{along_grid}"
        );
    }

    // Along the pedestrian street the axis route beats the grid route: a
    // squad post 116 m away is under a minute on foot.
    #[test]
    fn axis_route_along_the_pedestrian_street() {
        let district = District::embedded();
        let model = TravelModel::for_district(&district, &TravelSpeeds::default());
        let squad_post = district.unit("nanjing-road-squad-3").expect("squad 3").home;
        let along_m = model.route_m(&squad_post, &PEDESTRIAN_STREET_MIDPOINT);
        let straight_m = squad_post.distance_m(&PEDESTRIAN_STREET_MIDPOINT);
        assert!(along_m < straight_m * 1.02, "{along_m} vs {straight_m}");
        let eta_s = model.eta_s(&squad_post, TravelMode::Foot, &PEDESTRIAN_STREET_MIDPOINT);
        assert!(eta_s <= 60, "{eta_s}");
    }

    // ETAs grow with distance for every mode, and asking twice gives the same answer.
    #[test]
    fn eta_grows_with_distance_and_is_deterministic() {
        let district = District::embedded();
        let model = TravelModel::for_district(&district, &TravelSpeeds::default());
        let start = LatLon::new(31.2200, 121.4700);
        for mode in [TravelMode::Foot, TravelMode::ECart, TravelMode::Car] {
            let etas: Vec<u32> = (0..8)
                .map(|step| LatLon::new(31.2200 + 0.002 * f64::from(step), 121.4700))
                .map(|target| model.eta_s(&start, mode, &target))
                .collect();
            assert!(
                etas.windows(2).all(|pair| pair[0] < pair[1]),
                "{mode}: {etas:?}"
            );
            assert_eq!(etas[0], TravelSpeeds::default().turnout_s(mode));
            let again: Vec<u32> = (0..8)
                .map(|step| LatLon::new(31.2200 + 0.002 * f64::from(step), 121.4700))
                .map(|target| model.eta_s(&start, mode, &target))
                .collect();
            assert_eq!(etas, again);
        }
    }

    // A crowd factor slows only trips that cross a sensitive area.
    #[test]
    fn crowd_factor_slows_trips_through_sensitive_areas() {
        let district = District::embedded();
        let crowded = TravelSpeeds {
            crowd_speed_factor: 0.5,
            ..TravelSpeeds::default()
        };
        let calm = TravelModel::for_district(&district, &TravelSpeeds::default());
        let busy = TravelModel::for_district(&district, &crowded);
        let squad_post = district.unit("nanjing-road-squad-3").expect("squad 3").home;
        let on_street = |model: &TravelModel| {
            model.eta_s(&squad_post, TravelMode::Foot, &PEDESTRIAN_STREET_MIDPOINT)
        };
        assert!(
            on_street(&busy) > on_street(&calm) + 30,
            "{} vs {}",
            on_street(&busy),
            on_street(&calm)
        );
        // Dapuqiao, far from every sensitive area.
        let (a, b) = (
            LatLon::new(31.2050, 121.4700),
            LatLon::new(31.2080, 121.4720),
        );
        assert_eq!(
            busy.eta_s(&a, TravelMode::Car, &b),
            calm.eta_s(&a, TravelMode::Car, &b)
        );
    }
}
