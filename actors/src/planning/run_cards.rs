//! Run cards: the response plan for an incident by kind, priority and area,
//! and triage, which picks the card, the first ring and the home station.
//!
//! A card lists which rings respond with how many units in which role; the
//! first line is the first response and fixes the ring triage starts at. The
//! default table ([`RunCardTable::standard`]) follows the source's practice:
//! extreme acts go straight to the special police with a street-patrol
//! cordon; crowd danger on a sensitive area brings street patrol, special
//! police and the volunteers who steer crowds; medical calls start with the
//! guardians and hospital posts, backed by a patrol group; hazards go to the
//! guardian alliance ("spot a hazard, report at once, handle jointly").
//!
//! A card is chosen by kind, then the most specific match: a card for
//! sensitive areas beats one for anywhere, and a higher `priority_min` beats
//! a lower one. Kinds with no card get [`RunCard::fallback`].

use cordon_config::district::{District, LatLon, Ring, FORCE_LEVEL_MAX};

use super::escalation::minimum_ring;
use super::facts::{IncidentFacts, IncidentKind};
use super::MOBILISATION_FORCE_LEVEL_MIN;

/// Where a card applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AreaCondition {
    /// Anywhere in the district.
    Anywhere,
    /// Only inside a sensitive area (the Bund, Nanjing Road, ...).
    SensitiveArea,
}

/// What a responding unit is there for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// First on scene; handles the incident.
    FirstResponse,
    /// Reinforces the first response on order.
    Reinforcement,
    /// Holds a cordon point around the scene.
    Cordon,
}

/// One line of a run card: `units` units of `ring` in `role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RingResponse {
    /// Which ring.
    pub ring: Ring,
    /// How many units, at least 1.
    pub units: u8,
    /// What they do.
    pub role: Role,
}

impl RingResponse {
    /// A response line.
    pub const fn new(ring: Ring, units: u8, role: Role) -> Self {
        RingResponse { ring, units, role }
    }
}

/// A response plan for one kind of incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunCard {
    /// Slug id, unique in its table.
    pub id: String,
    /// The kind it answers.
    pub kind: IncidentKind,
    /// Where it applies.
    pub area: AreaCondition,
    /// Lowest priority it applies to, 0 to 10.
    pub priority_min: u8,
    /// Who responds; the first line is the first response.
    pub responses: Vec<RingResponse>,
    /// Whether a station may ask neighbouring stations for mutual aid
    /// before escalating from ring 3.
    pub mutual_aid_allowed: bool,
    /// Force level from which the incident is major and needs a
    /// mobilisation plan.
    pub mobilisation_force_level_min: u8,
}

impl RunCard {
    /// The card for a kind the table does not cover: one patrol group, mutual
    /// aid allowed, mobilisation from the default force level.
    pub fn fallback(kind: IncidentKind) -> RunCard {
        card(
            kind,
            AreaCondition::Anywhere,
            0,
            &[(Ring::StreetPatrol, 1, Role::FirstResponse)],
        )
    }

    /// The ring of the first response (ring 3 for a card with no lines,
    /// which a validated table never holds).
    pub fn first_ring(&self) -> Ring {
        self.responses
            .first()
            .map_or(Ring::StreetPatrol, |line| line.ring)
    }

    /// How many units of `ring` the card calls for, in every role.
    pub fn units_of(&self, ring: Ring) -> u32 {
        self.responses
            .iter()
            .filter(|line| line.ring == ring)
            .map(|line| u32::from(line.units))
            .sum()
    }

    fn applies(&self, kind: IncidentKind, priority: u8, in_sensitive_area: bool) -> bool {
        self.kind == kind
            && priority >= self.priority_min
            && (self.area == AreaCondition::Anywhere || in_sensitive_area)
    }

    /// Higher is more specific: area first, then priority.
    fn specificity(&self) -> (AreaCondition, u8) {
        (self.area, self.priority_min)
    }
}

/// A run card that breaks a rule of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidRunCard {
    /// The card's id.
    pub card_id: String,
    /// What is wrong and how to fix it.
    pub problem: String,
}

impl std::fmt::Display for InvalidRunCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "run card {}: {}", self.card_id, self.problem)
    }
}

impl std::error::Error for InvalidRunCard {}

/// A validated set of run cards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunCardTable {
    cards: Vec<RunCard>,
}

impl RunCardTable {
    /// Validates `cards`: unique ids, at least one response line, the first
    /// a first response, every line at least one unit, priority and force
    /// levels within 0..=10.
    pub fn new(cards: Vec<RunCard>) -> Result<RunCardTable, InvalidRunCard> {
        for (index, card) in cards.iter().enumerate() {
            let problem = check_card(card).or_else(|| {
                cards[..index]
                    .iter()
                    .any(|earlier| earlier.id == card.id)
                    .then(|| "id used twice (fix: rename one)".to_owned())
            });
            if let Some(problem) = problem {
                return Err(InvalidRunCard {
                    card_id: card.id.clone(),
                    problem,
                });
            }
        }
        Ok(RunCardTable { cards })
    }

    /// The default table (see the module docs).
    pub fn standard() -> RunCardTable {
        RunCardTable::new(standard_cards()).expect("the standard run cards are valid (tested)")
    }

    /// The cards, in table order.
    pub fn cards(&self) -> &[RunCard] {
        &self.cards
    }

    /// The most specific card for an incident; the fallback when none applies.
    /// Equally specific cards: the first in table order.
    pub fn card_for(&self, kind: IncidentKind, priority: u8, in_sensitive_area: bool) -> RunCard {
        let mut best: Option<&RunCard> = None;
        for card in self
            .cards
            .iter()
            .filter(|card| card.applies(kind, priority, in_sensitive_area))
        {
            if best.is_none_or(|best| card.specificity() > best.specificity()) {
                best = Some(card);
            }
        }
        best.cloned().unwrap_or_else(|| RunCard::fallback(kind))
    }

    /// Triage with this table (see [`triage`]).
    pub fn triage(&self, incident: &IncidentFacts, district: &District) -> Triage {
        let in_sensitive_area = in_sensitive_area(&incident.position, district);
        let run_card = self.card_for(incident.kind, incident.priority, in_sensitive_area);
        let ring =
            run_card
                .first_ring()
                .max(minimum_ring(incident.kind, incident.force_level, district));
        Triage {
            ring,
            station_id: district
                .station_for(&incident.position)
                .map(|station| station.id.clone()),
            major: incident.force_level >= run_card.mobilisation_force_level_min,
            run_card,
        }
    }
}

/// Where triage sends a new incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Triage {
    /// The ring to start at: the card's first ring, raised to the innermost
    /// ring that carries the force level and, for kinds needing police, to
    /// ring 3 at least.
    pub ring: Ring,
    /// The station whose zone contains the incident; `None` outside every zone.
    pub station_id: Option<String>,
    /// The response plan.
    pub run_card: RunCard,
    /// Whether the incident is major and needs a mobilisation plan.
    pub major: bool,
}

/// Triage with the standard run cards: the ring to start at, the home
/// station, the card, and whether the incident is major.
pub fn triage(
    kind: IncidentKind,
    priority: u8,
    force_level: u8,
    position: LatLon,
    district: &District,
) -> Triage {
    let incident = IncidentFacts {
        kind,
        priority,
        force_level,
        position,
    };
    RunCardTable::standard().triage(&incident, district)
}

/// Whether `position` lies in any sensitive area of the district.
pub fn in_sensitive_area(position: &LatLon, district: &District) -> bool {
    district
        .sensitive_areas()
        .iter()
        .any(|area| area.contains(position))
}

fn check_card(card: &RunCard) -> Option<String> {
    let scale_max = FORCE_LEVEL_MAX;
    let first_role = card.responses.first().map(|line| line.role);
    if first_role != Some(Role::FirstResponse) {
        return Some(
            "the first response line must have role FirstResponse (fix: put it first)".to_owned(),
        );
    }
    if card.responses.iter().any(|line| line.units == 0) {
        return Some(
            "a response line calls for 0 units (fix: use 1 or more, or drop the line)".to_owned(),
        );
    }
    if card.priority_min > scale_max || card.mobilisation_force_level_min > scale_max {
        return Some(format!(
            "priority_min and mobilisation_force_level_min must be 0 to {scale_max}"
        ));
    }
    None
}

/// A card for the standard table, with the default mobilisation level and
/// mutual aid allowed.
fn card(
    kind: IncidentKind,
    area: AreaCondition,
    priority_min: u8,
    lines: &[(Ring, u8, Role)],
) -> RunCard {
    let area_name = match area {
        AreaCondition::Anywhere => "anywhere",
        AreaCondition::SensitiveArea => "sensitive-area",
    };
    RunCard {
        id: format!(
            "{}-{area_name}-p{priority_min}",
            kind.name().replace('_', "-")
        ),
        kind,
        area,
        priority_min,
        responses: lines
            .iter()
            .map(|&(ring, units, role)| RingResponse::new(ring, units, role))
            .collect(),
        mutual_aid_allowed: true,
        mobilisation_force_level_min: MOBILISATION_FORCE_LEVEL_MIN,
    }
}

/// The default run cards (see the module docs). Kept as a table, one card a
/// line, so it reads like the printed run cards it stands for.
#[rustfmt::skip]
fn standard_cards() -> Vec<RunCard> {
    use AreaCondition::{Anywhere, SensitiveArea};
    use IncidentKind as Kind;
    use Ring::{Guardian, MassPrevention, SpecialPolice, StreetPatrol};
    use Role::{Cordon, FirstResponse, Reinforcement};
    vec![
        // Every extreme act is major: special police first, a patrol cordon.
        RunCard {
            mutual_aid_allowed: false,
            mobilisation_force_level_min: 0,
            ..card(Kind::ExtremeAct, Anywhere, 0, &[(SpecialPolice, 3, FirstResponse), (StreetPatrol, 4, Cordon)])
        },
        card(Kind::CrowdCrush, Anywhere, 0, &[(StreetPatrol, 2, FirstResponse), (MassPrevention, 2, Cordon)]),
        // Crowd danger where the big crowds gather is major from force 5.
        RunCard {
            mobilisation_force_level_min: 5,
            ..card(Kind::CrowdCrush, SensitiveArea, 0,
                &[(StreetPatrol, 2, FirstResponse), (SpecialPolice, 2, Reinforcement), (MassPrevention, 2, Cordon)])
        },
        card(Kind::Medical, Anywhere, 0, &[(Guardian, 1, FirstResponse), (StreetPatrol, 1, Reinforcement)]),
        card(Kind::Fire, Anywhere, 0, &[(StreetPatrol, 1, FirstResponse), (Guardian, 1, Reinforcement)]),
        card(Kind::Theft, Anywhere, 0, &[(StreetPatrol, 1, FirstResponse)]),
        card(Kind::Assault, Anywhere, 0, &[(StreetPatrol, 2, FirstResponse)]),
        card(Kind::Assault, Anywhere, 8, &[(StreetPatrol, 2, FirstResponse), (SpecialPolice, 1, Reinforcement)]),
        card(Kind::Disturbance, Anywhere, 0, &[(StreetPatrol, 1, FirstResponse)]),
        card(Kind::Disturbance, SensitiveArea, 0, &[(StreetPatrol, 2, FirstResponse), (MassPrevention, 1, Reinforcement)]),
        card(Kind::TrafficAccident, Anywhere, 0, &[(StreetPatrol, 1, FirstResponse)]),
        card(Kind::MissingPerson, Anywhere, 0, &[(StreetPatrol, 1, FirstResponse), (Guardian, 1, Reinforcement)]),
        card(Kind::MissingPerson, SensitiveArea, 0, &[(StreetPatrol, 1, FirstResponse), (MassPrevention, 2, Reinforcement)]),
        card(Kind::SuspiciousObject, Anywhere, 0, &[(StreetPatrol, 1, FirstResponse), (SpecialPolice, 1, Reinforcement)]),
        card(Kind::SuspiciousObject, SensitiveArea, 0, &[(SpecialPolice, 1, FirstResponse), (StreetPatrol, 2, Cordon)]),
        card(Kind::Hazard, Anywhere, 0, &[(Guardian, 1, FirstResponse)]),
        card(Kind::Other, Anywhere, 0, &[(StreetPatrol, 1, FirstResponse)]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUND_RIVERSIDE: LatLon = LatLon::new(31.2400, 121.4875);
    const DAPUQIAO: LatLon = LatLon::new(31.2080, 121.4700);

    // The standard table is valid, covers every kind, and its ids are unique.
    #[test]
    fn standard_table_covers_every_kind() {
        let table = RunCardTable::standard();
        for kind in IncidentKind::ALL {
            assert!(
                table.cards().iter().any(|card| card.kind == kind),
                "{kind} has no card"
            );
        }
    }

    // Broken cards are refused with the card's id.
    #[test]
    fn broken_cards_are_refused() {
        let mut no_lines = RunCard::fallback(IncidentKind::Other);
        no_lines.responses.clear();
        let error = RunCardTable::new(vec![no_lines]).expect_err("no lines");
        assert_eq!(error.card_id, "other-anywhere-p0");
        let zero_units = card(
            IncidentKind::Theft,
            AreaCondition::Anywhere,
            0,
            &[(Ring::StreetPatrol, 0, Role::FirstResponse)],
        );
        assert!(RunCardTable::new(vec![zero_units]).is_err());
        let twice = vec![
            RunCard::fallback(IncidentKind::Other),
            RunCard::fallback(IncidentKind::Other),
        ];
        assert!(RunCardTable::new(twice)
            .expect_err("duplicate")
            .problem
            .contains("twice"));
    }

    // An extreme act goes straight to ring 4 and is major whatever its force level.
    #[test]
    fn extreme_act_goes_to_ring_4() {
        let district = District::embedded();
        let triage = triage(IncidentKind::ExtremeAct, 9, 3, DAPUQIAO, &district);
        assert_eq!(triage.ring, Ring::SpecialPolice);
        assert!(triage.major);
        assert_eq!(triage.run_card.units_of(Ring::SpecialPolice), 3);
        assert_eq!(triage.station_id.as_deref(), Some("dapuqiao"));
    }

    // Crowd danger on the Bund riverside takes the sensitive-area card (ring 3
    // plus ring 4 reinforcement); elsewhere the plain card.
    #[test]
    fn crowd_crush_on_a_sensitive_area() {
        let district = District::embedded();
        let on_bund = triage(IncidentKind::CrowdCrush, 7, 4, BUND_RIVERSIDE, &district);
        assert_eq!(on_bund.ring, Ring::StreetPatrol);
        assert_eq!(on_bund.run_card.area, AreaCondition::SensitiveArea);
        assert_eq!(on_bund.run_card.units_of(Ring::SpecialPolice), 2);
        let elsewhere = triage(IncidentKind::CrowdCrush, 7, 4, DAPUQIAO, &district);
        assert_eq!(elsewhere.run_card.area, AreaCondition::Anywhere);
        assert_eq!(elsewhere.run_card.units_of(Ring::SpecialPolice), 0);
        assert!(!elsewhere.major);
    }

    // Medical calls and hazards start in ring 1 while the force level fits it,
    // and move out when it does not.
    #[test]
    fn community_rings_first_when_force_fits() {
        let district = District::embedded();
        let medical = triage(IncidentKind::Medical, 6, 1, DAPUQIAO, &district);
        assert_eq!(medical.ring, Ring::Guardian);
        assert_eq!(medical.run_card.units_of(Ring::StreetPatrol), 1);
        assert_eq!(
            triage(IncidentKind::Hazard, 3, 0, DAPUQIAO, &district).ring,
            Ring::Guardian
        );
        assert_eq!(
            triage(IncidentKind::Hazard, 3, 4, DAPUQIAO, &district).ring,
            Ring::StreetPatrol
        );
        assert_eq!(
            triage(IncidentKind::Hazard, 3, 8, DAPUQIAO, &district).ring,
            Ring::SpecialPolice
        );
    }

    // A high-priority assault takes the more specific card; force 7 makes it major.
    #[test]
    fn priority_picks_the_more_specific_card() {
        let district = District::embedded();
        let low = triage(IncidentKind::Assault, 5, 4, DAPUQIAO, &district);
        let high = triage(IncidentKind::Assault, 9, 7, DAPUQIAO, &district);
        assert_eq!(low.run_card.priority_min, 0);
        assert_eq!(high.run_card.priority_min, 8);
        assert!(!low.major && high.major);
        assert_eq!(
            high.ring,
            Ring::SpecialPolice,
            "force 7 is beyond ring 3's maximum of 5"
        );
    }
}
