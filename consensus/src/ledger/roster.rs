//! The people of rings 1 and 2: members of the community forces (cadres,
//! social workers, building heads, property security, volunteers, party
//! members, veterans, merchants' security, hospital liaisons) with their
//! team, area, contact, skills, shifts and availability. A team of ring 1
//! or 2 with members on the roster is a unit only while one of them is on
//! duty and available; the planner reads that, the ledger keeps the facts.

use serde::{Deserialize, Serialize};

use super::ids::UnitId;

/// Minutes in a day.
pub const DAY_MIN: u16 = 24 * 60;
/// Most shifts one member has.
pub const MEMBER_SHIFTS_MAX: usize = 14;
/// Most skills one member has.
pub const MEMBER_SKILLS_MAX: usize = 16;

/// What a member is in the community forces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    /// A residents' committee cadre.
    Cadre,
    /// A social worker.
    SocialWorker,
    /// A building head.
    BuildingHead,
    /// Property security staff.
    PropertySecurity,
    /// A community volunteer.
    Volunteer,
    /// A party member on duty.
    PartyMember,
    /// A veteran.
    Veteran,
    /// The merchants' security alliance.
    MerchantSecurity,
    /// The liaison at a hospital with police stationed.
    HospitalLiaison,
}

impl MemberRole {
    /// Every role.
    pub const ALL: [MemberRole; 9] = [
        MemberRole::Cadre,
        MemberRole::SocialWorker,
        MemberRole::BuildingHead,
        MemberRole::PropertySecurity,
        MemberRole::Volunteer,
        MemberRole::PartyMember,
        MemberRole::Veteran,
        MemberRole::MerchantSecurity,
        MemberRole::HospitalLiaison,
    ];

    /// The role's name in files and the API (`social_worker`).
    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Cadre => "cadre",
            MemberRole::SocialWorker => "social_worker",
            MemberRole::BuildingHead => "building_head",
            MemberRole::PropertySecurity => "property_security",
            MemberRole::Volunteer => "volunteer",
            MemberRole::PartyMember => "party_member",
            MemberRole::Veteran => "veteran",
            MemberRole::MerchantSecurity => "merchant_security",
            MemberRole::HospitalLiaison => "hospital_liaison",
        }
    }
}

impl std::str::FromStr for MemberRole {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        MemberRole::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| {
                let known: Vec<&str> = MemberRole::ALL.iter().map(|r| r.as_str()).collect();
                format!("role {text:?} is unknown: use one of {}", known.join(", "))
            })
    }
}

/// A weekly shift in the district's local time: on the days of `days`
/// (bit 0 Monday to bit 6 Sunday) from `start_min` to `end_min` minutes
/// after midnight; an end at or before the start runs past midnight into
/// the next day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shift {
    /// The days it starts on, bit 0 Monday.
    pub days: u8,
    /// Its start, minutes after local midnight.
    pub start_min: u16,
    /// Its end, minutes after local midnight.
    pub end_min: u16,
}

impl Shift {
    /// True when the shift covers local weekday `day` (0 Monday) at
    /// minute `minute`.
    pub fn covers(self, day: u8, minute: u16) -> bool {
        let starts_on = |d: u8| self.days & (1 << d) != 0;
        if self.start_min < self.end_min {
            starts_on(day) && (self.start_min..self.end_min).contains(&minute)
        } else {
            (starts_on(day) && minute >= self.start_min)
                || (starts_on((day + 6) % 7) && minute < self.end_min)
        }
    }

    /// True when the days, start and end are in range.
    pub fn is_valid(self) -> bool {
        self.days != 0 && self.days < 1 << 7 && self.start_min < DAY_MIN && self.end_min <= DAY_MIN
    }
}

/// The local weekday (0 Monday) and minute of Unix time `at_ms` in a
/// district `utc_offset_min` ahead of UTC.
pub fn local_day_and_minute(at_ms: u64, utc_offset_min: i32) -> (u8, u16) {
    let local_min = (at_ms / 60_000) as i64 + i64::from(utc_offset_min);
    let day_index = local_min.div_euclid(i64::from(DAY_MIN));
    // 1970-01-01 was a Thursday (weekday 3, Monday 0).
    let day = (day_index + 3).rem_euclid(7) as u8;
    let minute = local_min.rem_euclid(i64::from(DAY_MIN)) as u16;
    (day, minute)
}

/// A member of the community forces.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Its id, e.g. `bund-1-volunteer-wang`.
    pub id: String,
    /// The person's name.
    pub name: String,
    /// What they are.
    pub role: MemberRole,
    /// The team (a ring-1 or ring-2 unit) they serve in, if any.
    pub team: Option<UnitId>,
    /// The area they serve (a station or sensitive area id), if any.
    pub area: Option<String>,
    /// How to reach them, e.g. `app:wang.li` or `tel:+86...`.
    pub contact: String,
    /// Skills, e.g. `first_aid`.
    pub skills: Vec<String>,
    /// Their weekly shifts.
    pub shifts: Vec<Shift>,
    /// False while they said they cannot come (ill, away).
    pub available: bool,
}

impl Member {
    /// True when a shift covers `at_ms` and they are available.
    pub fn on_duty(&self, at_ms: u64, utc_offset_min: i32) -> bool {
        let (day, minute) = local_day_and_minute(at_ms, utc_offset_min);
        self.available && self.shifts.iter().any(|shift| shift.covers(day, minute))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_cover_their_days_and_hours_in_local_time_overnight_too() {
        // 2026-12-07 is a Monday; 01:30 UTC is 09:30 in Shanghai.
        let monday_0930_shanghai = 1_796_607_000_000;
        assert_eq!(
            local_day_and_minute(monday_0930_shanghai, 480),
            (0, 9 * 60 + 30)
        );
        let weekdays = Shift {
            days: 0b001_1111,
            start_min: 8 * 60,
            end_min: 16 * 60,
        };
        assert!(weekdays.covers(0, 9 * 60 + 30));
        assert!(!weekdays.covers(5, 9 * 60 + 30), "Saturday");
        assert!(!weekdays.covers(0, 16 * 60), "the end is exclusive");
        // Friday 22:00 to 06:00 covers Saturday 05:00 but not Friday 05:00.
        let night = Shift {
            days: 0b001_0000,
            start_min: 22 * 60,
            end_min: 6 * 60,
        };
        assert!(night.covers(5, 5 * 60));
        assert!(!night.covers(4, 5 * 60));
        assert!(night.covers(4, 23 * 60));
    }
}
