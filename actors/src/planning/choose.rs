//! Which unit goes, among those that can: the dispatch policy.
//!
//! Closest-idle sends the unit ranked first (quickest, then territory, then
//! id; see [`mod@super::select`]). Coverage-aware dispatch, when more than one
//! unit can be on scene within the target, sends the one whose departure
//! costs the district the least coverage, so the next call nearby still has
//! someone: the rule is [`choose_coverage_aware`], with its inputs named
//! there. Studies of ambulance dispatch find closest-idle leaves more calls
//! late than policies that weigh coverage (Jagtenberg et al. 2017); the
//! replay measures it for this district.

use cordon_config::district::Ring;
pub use cordon_config::DispatchPolicy;

use super::coverage::CoverageBook;
use super::facts::CandidateUnit;
use super::select::{RankedUnit, Territory};
use super::travel::TravelModel;

/// Seconds a coverage-aware choice keeps in hand below the target: a unit
/// is a candidate only if it is on scene this much before the target, so
/// an estimate a little off does not turn the choice into a late arrival.
pub const COVERAGE_AWARE_SLACK_S: u32 = 15;

/// The index in `ranked` (closest-idle order, best first) of the unit to
/// send.
///
/// Inputs:
/// - `ranked`: the available units, each with its ETA and territory;
/// - `target_s`: the ring's on-scene target at the incident;
/// - `territory_first`: whether a unit of the incident's own zone, then its
///   own station, is preferred among the feasible ones (ring 3: "the local
///   unit leads"; ring 4 has no territory);
/// - `loss_ppm`: each unit's expected coverage loss were it to leave, in
///   parts per million of the district's demand (from the coverage book).
///
/// The rule: the feasible units are those on scene [`COVERAGE_AWARE_SLACK_S`]
/// before the target; with none, the closest (index 0). Territory first
/// keeps the feasible units of the best territory present. Among those, the
/// least loss wins; equal losses go to the earlier in `ranked`.
pub fn choose_coverage_aware(
    ranked: &[RankedUnit<'_>],
    target_s: u32,
    territory_first: bool,
    loss_ppm: impl Fn(&RankedUnit<'_>) -> u64,
) -> usize {
    let feasible: Vec<usize> = (0..ranked.len())
        .filter(|index| ranked[*index].eta_s.saturating_add(COVERAGE_AWARE_SLACK_S) <= target_s)
        .collect();
    let best_territory = feasible
        .iter()
        .map(|index| ranked[*index].territory)
        .min()
        .unwrap_or(Territory::Elsewhere);
    feasible
        .into_iter()
        .filter(|index| !territory_first || ranked[*index].territory == best_territory)
        .min_by_key(|index| (loss_ppm(&ranked[*index]), *index))
        .unwrap_or(0)
}

/// [`choose_coverage_aware`] for `ring`, each unit's loss from `book` over
/// `units` under `model`'s travel, territory first below ring 4: the choice
/// the responders and the replay make.
pub fn choose_by_coverage(
    book: &mut CoverageBook,
    model: &TravelModel<'_>,
    units: &[CandidateUnit],
    ranked: &[RankedUnit<'_>],
    target_s: u32,
    ring: Ring,
) -> usize {
    let ids: Vec<&str> = ranked.iter().map(|r| r.unit.id.as_str()).collect();
    let losses = book.departure_losses_ppm(model, units, &ids);
    let loss_of = |r: &RankedUnit<'_>| {
        ids.iter()
            .position(|id| *id == r.unit.id)
            .map_or(0, |at| losses[at])
    };
    choose_coverage_aware(ranked, target_s, ring != Ring::SpecialPolice, loss_of)
}

#[cfg(test)]
mod tests {
    use cordon_config::district::{LatLon, Ring, TravelMode, UnitKind};

    use super::*;
    use crate::planning::facts::CandidateUnit;

    fn unit(id: &str) -> CandidateUnit {
        CandidateUnit {
            id: id.into(),
            ring: Ring::StreetPatrol,
            kind: UnitKind::PatrolGroup,
            station: Some("bund".into()),
            zone: Some("bund-1".into()),
            position: LatLon::new(31.24, 121.48),
            travel_mode: TravelMode::ECart,
            force_level: 3,
            available: true,
        }
    }

    fn ranked<'a>(unit: &'a CandidateUnit, eta_s: u32, territory: Territory) -> RankedUnit<'a> {
        RankedUnit {
            unit,
            eta_s,
            territory,
            deployment_preferred: false,
        }
    }

    fn loss_of<'a>(losses: &'a [(&'a str, u64)]) -> impl Fn(&RankedUnit<'_>) -> u64 + 'a {
        move |ranked| {
            losses
                .iter()
                .find(|(id, _)| *id == ranked.unit.id)
                .map_or(0, |(_, loss)| *loss)
        }
    }

    // A spare unit that also meets the target goes instead of the closest
    // one, which alone covers its area.
    #[test]
    fn a_spare_unit_goes_instead_of_one_that_alone_covers_an_area() {
        let (closest, spare) = (unit("closest"), unit("spare"));
        let ranked = [
            ranked(&closest, 90, Territory::Elsewhere),
            ranked(&spare, 140, Territory::Elsewhere),
        ];

        let chosen = choose_coverage_aware(
            &ranked,
            180,
            false,
            loss_of(&[("closest", 40_000), ("spare", 2_000)]),
        );

        assert_eq!(ranked[chosen].unit.id, "spare");
    }

    // With no unit on scene within the target less the slack, the closest goes.
    #[test]
    fn with_no_unit_in_time_the_closest_goes() {
        let (a, b) = (unit("a"), unit("b"));
        let ranked = [
            ranked(&a, 170, Territory::Elsewhere),
            ranked(&b, 200, Territory::Elsewhere),
        ];

        let chosen = choose_coverage_aware(&ranked, 180, false, loss_of(&[("a", 9), ("b", 1)]));

        assert_eq!(chosen, 0);
    }

    // Territory first: a feasible unit of the incident's own zone goes even
    // when another zone's unit would cost less coverage.
    #[test]
    fn territory_first_keeps_the_local_unit() {
        let (local, other) = (unit("local"), unit("other"));
        let ranked = [
            ranked(&other, 100, Territory::Elsewhere),
            ranked(&local, 150, Territory::OwnZone),
        ];
        let losses = [("local", 50_000), ("other", 1_000)];

        assert_eq!(
            ranked[choose_coverage_aware(&ranked, 300, true, loss_of(&losses))]
                .unit
                .id,
            "local"
        );
        assert_eq!(
            ranked[choose_coverage_aware(&ranked, 300, false, loss_of(&losses))]
                .unit
                .id,
            "other"
        );
    }

    // Equal losses go to the earlier-ranked unit, every time.
    #[test]
    fn equal_losses_keep_the_ranking() {
        let (a, b) = (unit("a"), unit("b"));
        let ranked = [
            ranked(&a, 60, Territory::Elsewhere),
            ranked(&b, 70, Territory::Elsewhere),
        ];

        for _ in 0..3 {
            assert_eq!(choose_coverage_aware(&ranked, 300, false, |_| 7), 0);
        }
    }
}
