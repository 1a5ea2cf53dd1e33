//! The rates and mixes of the load (our choice: the source gives crowd
//! sizes, not call volumes), with the reasoning beside each, and the rate
//! curves over the time of day.

use cordon_consensus::ledger::{Channel, IncidentKind};

use super::MINUTES_PER_DAY;

/// Reports per minute across the district on an ordinary day, by local hour
/// (index 0 is 00:00 to 00:59; each value holds at half past the hour, and the
/// rate moves linearly between). About 1,290 reports a day from every channel:
/// lowest at 04:00 (0.25 a minute) when the streets are empty, highest from
/// 19:00 to 21:00 (1.45 a minute) when the shopping streets and the Bund are
/// fullest.
pub(super) const ORDINARY_REPORTS_PER_MIN_BY_HOUR: [f64; 24] = [
    0.70, 0.55, 0.40, 0.30, 0.25, 0.28, 0.40, 0.60, 0.80, 0.90, 1.00, 1.05, //
    1.05, 1.05, 1.05, 1.05, 1.10, 1.20, 1.30, 1.40, 1.45, 1.40, 1.20, 0.95,
];

/// People in the surge crowd per report a minute at the surge's peak: the
/// Bund and the pedestrian street full (116,000 people in Huangpu) give 11.6
/// reports a minute in the minutes after midnight, about eight times the
/// ordinary evening peak.
pub(super) const SURGE_PEOPLE_PER_REPORT_PER_MIN: f64 = 10_000.0;

/// Shape of the surge: (minutes from local midnight, share of the peak rate),
/// linear between the points and zero outside them. The crowd builds from
/// 22:00; the countdown itself holds people still (a quarter of the peak); in
/// the first minute of the new year everyone turns to leave at once, and the
/// dispersal (lost children, falls, pickpockets, pushing on the stairs at
/// Chen Yi Square) runs at the peak for five minutes, halves by 00:15 and is
/// nearly over by 01:00.
pub(super) const SURGE_SHAPE: [(f64, f64); 10] = [
    (-120.0, 0.0),
    (-60.0, 0.10),
    (-20.0, 0.20),
    (0.0, 0.25),
    (1.0, 1.0),
    (6.0, 1.0),
    (15.0, 0.55),
    (30.0, 0.25),
    (60.0, 0.06),
    (75.0, 0.0),
];

// Where ordinary reports come from (areas, points, zones) is the district's
// demand account: `cordon_config::district::demand`, shared with coverage.

/// Local hours (from, to) of the night mix of kinds.
pub(super) const NIGHT_HOURS: (u32, u32) = (22, 6);

/// Kinds of ordinary daytime reports, with relative weights: the demo feed's
/// everyday mix (theft, disturbance, medical first). Extreme acts are rarer in
/// life than 1 %; a drill of a few hundred reports should still reach ring 4.
pub(super) const DAY_KINDS: [(IncidentKind, u32); 12] = [
    (IncidentKind::Theft, 25),
    (IncidentKind::Disturbance, 20),
    (IncidentKind::Medical, 15),
    (IncidentKind::TrafficAccident, 9),
    (IncidentKind::Assault, 8),
    (IncidentKind::MissingPerson, 7),
    (IncidentKind::Hazard, 7),
    (IncidentKind::SuspiciousObject, 3),
    (IncidentKind::Fire, 2),
    (IncidentKind::CrowdCrush, 1),
    (IncidentKind::ExtremeAct, 1),
    (IncidentKind::Other, 2),
];

/// Kinds at night: fewer thefts and lost persons, more disputes, fights and
/// traffic accidents (bars letting out, empty roads driven fast).
pub(super) const NIGHT_KINDS: [(IncidentKind, u32); 11] = [
    (IncidentKind::Disturbance, 28),
    (IncidentKind::Assault, 15),
    (IncidentKind::Medical, 15),
    (IncidentKind::TrafficAccident, 14),
    (IncidentKind::Theft, 12),
    (IncidentKind::Hazard, 5),
    (IncidentKind::MissingPerson, 3),
    (IncidentKind::Fire, 3),
    (IncidentKind::SuspiciousObject, 2),
    (IncidentKind::ExtremeAct, 1),
    (IncidentKind::Other, 2),
];

/// Kinds of surge reports in the New Year crowd: people separated from their
/// group, people who faint or fall, pickpockets, dangerous density (the risk
/// this profile exists for), fights and disputes in the press.
pub(super) const SURGE_KINDS: [(IncidentKind, u32); 8] = [
    (IncidentKind::MissingPerson, 22),
    (IncidentKind::Medical, 20),
    (IncidentKind::Theft, 18),
    (IncidentKind::CrowdCrush, 14),
    (IncidentKind::Assault, 10),
    (IncidentKind::Disturbance, 10),
    (IncidentKind::Hazard, 4),
    (IncidentKind::SuspiciousObject, 2),
];

/// Channels of ordinary reports (the demo feed's mix): mostly 110 calls.
pub(super) const ORDINARY_CHANNELS: [(Channel, u32); 4] = [
    (Channel::EmergencyCall, 70),
    (Channel::CommunityReport, 15),
    (Channel::RiskWarning, 10),
    (Channel::PartnerFeed, 5),
];

/// Channels in the surge: the crowd-management computation warns of density
/// before anyone calls, so risk warnings take a larger share.
pub(super) const SURGE_CHANNELS: [(Channel, u32); 4] = [
    (Channel::EmergencyCall, 55),
    (Channel::CommunityReport, 10),
    (Channel::RiskWarning, 30),
    (Channel::PartnerFeed, 5),
];

/// Priority and force level ranges (0 to 10) of each kind: what the ledger's
/// triage reads to pick a ring. Crowd crush and extreme acts need ring 4.
pub(super) fn urgency(
    kind: IncidentKind,
) -> (std::ops::RangeInclusive<u8>, std::ops::RangeInclusive<u8>) {
    match kind {
        IncidentKind::Theft | IncidentKind::Hazard => (2..=4, 0..=2),
        IncidentKind::Disturbance => (3..=5, 1..=3),
        IncidentKind::MissingPerson => (4..=6, 0..=2),
        IncidentKind::Medical => (5..=8, 0..=2),
        IncidentKind::TrafficAccident => (4..=7, 1..=3),
        IncidentKind::Assault => (5..=7, 2..=4),
        IncidentKind::Fire => (7..=9, 3..=5),
        IncidentKind::SuspiciousObject => (6..=8, 4..=7),
        IncidentKind::CrowdCrush => (8..=10, 5..=8),
        IncidentKind::ExtremeAct => (9..=10, 7..=10),
        IncidentKind::Other => (1..=3, 0..=1),
    }
}

// Rate curves.

/// Ordinary reports per minute at `clock_min` minutes after local midnight
/// (any value; wraps by day).
pub(super) fn ordinary_rate_per_min(clock_min: f64) -> f64 {
    let day_min = clock_min.rem_euclid(f64::from(MINUTES_PER_DAY));
    // Hour h's value holds at h:30; interpolate from the one before.
    let from_half_past = (day_min - 30.0).rem_euclid(f64::from(MINUTES_PER_DAY)) / 60.0;
    let hour = from_half_past.floor() as usize % 24;
    let fraction = from_half_past - from_half_past.floor();
    let from = ORDINARY_REPORTS_PER_MIN_BY_HOUR[hour];
    let to = ORDINARY_REPORTS_PER_MIN_BY_HOUR[(hour + 1) % 24];
    from + (to - from) * fraction
}

/// Share of the surge's peak at `clock_min` minutes after local midnight.
pub(super) fn surge_share(clock_min: f64) -> f64 {
    let day = f64::from(MINUTES_PER_DAY);
    // Minutes from the nearest midnight, -720 to 720.
    let from_midnight = (clock_min + day / 2.0).rem_euclid(day) - day / 2.0;
    SURGE_SHAPE
        .windows(2)
        .find(|pair| (pair[0].0..pair[1].0).contains(&from_midnight))
        .map_or(0.0, |pair| {
            let ((t0, s0), (t1, s1)) = (pair[0], pair[1]);
            s0 + (s1 - s0) * (from_midnight - t0) / (t1 - t0)
        })
}

pub(super) fn is_night(clock_min: f64) -> bool {
    let hour = (clock_min.rem_euclid(f64::from(MINUTES_PER_DAY)) / 60.0) as u32;
    hour >= NIGHT_HOURS.0 || hour < NIGHT_HOURS.1
}
