//! How long a unit takes to be on scene: its turnout, then its route on the
//! district's streets under the crowds of the hour ([`super::router`]).
//!
//! Times are whole seconds, rounded up, so equal inputs always give equal
//! answers. A unit whose every way is shut (a mode barred from an area by
//! the New Year's Eve crowds, a closed bridge) gets [`UNREACHABLE_S`], so it
//! ranks after every unit that can come.

use cordon_config::district::{LatLon, TravelMode};

use super::geometry::LocalFrame;
use super::router::{CrowdRegime, StreetRouter, Travel};

/// The ETA of a unit that cannot get there at all.
pub const UNREACHABLE_S: u32 = u32::MAX;

/// Seconds from the call to moving off, per mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Turnouts {
    /// On foot.
    pub foot_s: u32,
    /// By e-bike.
    pub e_bike_s: u32,
    /// By patrol cart.
    pub e_cart_s: u32,
    /// By car: crew mounting, engine start.
    pub car_s: u32,
}

impl Default for Turnouts {
    fn default() -> Self {
        Turnouts {
            foot_s: 5,
            e_bike_s: 8,
            e_cart_s: 10,
            car_s: 15,
        }
    }
}

impl Turnouts {
    /// The turnout of `mode`, in seconds.
    pub const fn of(&self, mode: TravelMode) -> u32 {
        match mode {
            TravelMode::Foot => self.foot_s,
            TravelMode::EBike => self.e_bike_s,
            TravelMode::ECart => self.e_cart_s,
            TravelMode::Car => self.car_s,
        }
    }
}

/// Travel for one crowd regime and set of turnouts, for many questions.
pub struct TravelModel<'r> {
    travel: Travel<'r>,
    turnouts: Turnouts,
}

impl<'r> TravelModel<'r> {
    /// Travel on `router`'s streets under `regime`.
    pub fn new(router: &'r StreetRouter, regime: &CrowdRegime, turnouts: Turnouts) -> Self {
        TravelModel {
            travel: router.under(regime),
            turnouts,
        }
    }

    /// Travel on `router`'s streets with no crowds anywhere.
    pub fn calm(router: &'r StreetRouter) -> Self {
        TravelModel::new(router, &router.calm(), Turnouts::default())
    }

    /// The local frame the streets are laid out in.
    pub fn frame(&self) -> &LocalFrame {
        self.travel.router().frame()
    }

    /// The street travel underneath.
    pub fn travel(&self) -> &Travel<'r> {
        &self.travel
    }

    /// The turnouts in use.
    pub fn turnouts(&self) -> &Turnouts {
        &self.turnouts
    }

    /// Seconds for a unit moving by `mode` at `from` to be on scene at
    /// `to`, turnout included: by its mode on the streets, or, when near,
    /// its crew on foot straight there; [`UNREACHABLE_S`] if every way is shut.
    pub fn eta_s(&self, from: &LatLon, mode: TravelMode, to: &LatLon) -> u32 {
        let by_streets = self
            .travel
            .by_streets_s(from, to, mode)
            .map(|travel_s| travel_s.saturating_add(self.turnouts.of(mode)));
        let walking = self
            .travel
            .direct_walk_s(from, to)
            .map(|walk_s| walk_s.saturating_add(self.turnouts.of(TravelMode::Foot)));
        by_streets
            .into_iter()
            .chain(walking)
            .min()
            .unwrap_or(UNREACHABLE_S)
    }
}

impl std::fmt::Debug for TravelModel<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TravelModel")
            .field("turnouts", &self.turnouts)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use cordon_config::district::District;

    use super::super::router::LocalTime;
    use super::*;

    const PEDESTRIAN_STREET_MIDPOINT: LatLon = LatLon::new(31.2394, 121.4760);

    // A squad post on the pedestrian street reaches its middle on foot
    // within the street's one-minute promise, on a calm evening.
    #[test]
    fn the_squad_reaches_the_pedestrian_street_within_a_minute() {
        let district = District::embedded();
        let router = StreetRouter::new(&district);
        let model = TravelModel::calm(&router);
        let squad_post = district
            .unit("nanjing-road-squad-3-a")
            .expect("squad 3")
            .home;

        let eta_s = model.eta_s(&squad_post, TravelMode::Foot, &PEDESTRIAN_STREET_MIDPOINT);

        assert!(eta_s <= 60, "{eta_s}");
    }

    // ETAs grow with distance along a street for every mode, start at the
    // crew's turnout on foot (at the scene nobody mounts a vehicle), and
    // asking twice gives the same answer.
    #[test]
    fn eta_grows_with_distance_and_is_deterministic() {
        let district = District::embedded();
        let router = StreetRouter::new(&district);
        let model = TravelModel::calm(&router);
        // Along one arterial, node by node from its first.
        let streets = district.streets_spec();
        let way = streets
            .ways
            .iter()
            .find(|way| way.class == cordon_config::district::streets::StreetClass::Arterial)
            .unwrap();
        let at = |id: &String| streets.nodes.iter().find(|node| &node.id == id).unwrap().at;
        let stops: Vec<LatLon> = way.nodes.iter().map(at).collect();
        assert!(stops.len() >= 3, "{stops:?}");
        for mode in TravelMode::ALL {
            let etas: Vec<u32> = stops
                .iter()
                .map(|stop| model.eta_s(&stops[0], mode, stop))
                .collect();

            assert_eq!(etas[0], Turnouts::default().of(TravelMode::Foot));
            assert!(
                etas.windows(2).all(|pair| pair[0] < pair[1]),
                "{mode}: {etas:?}"
            );
            let again: Vec<u32> = stops
                .iter()
                .map(|stop| model.eta_s(&stops[0], mode, stop))
                .collect();
            assert_eq!(etas, again);
        }
    }

    // The New Year's Eve crowds slow the walk along the pedestrian street,
    // and leave a trip far from every sensitive area as it was.
    #[test]
    fn crowds_slow_only_trips_through_their_areas() {
        let district = District::embedded();
        let router = StreetRouter::new(&district);
        let countdown = LocalTime {
            month: 12,
            day: 31,
            minute: 23 * 60,
        };
        let (calm, busy) = (
            TravelModel::calm(&router),
            TravelModel::new(&router, &router.regime_at(&countdown), Turnouts::default()),
        );
        let squad_post = district
            .unit("nanjing-road-squad-3-a")
            .expect("squad 3")
            .home;
        let on_street = |model: &TravelModel| {
            model.eta_s(&squad_post, TravelMode::Foot, &PEDESTRIAN_STREET_MIDPOINT)
        };

        assert!(
            on_street(&busy) > on_street(&calm) + 20,
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
