//! What to generate: a profile, a seed, a start time and a rate scale
//! ([`LoadPlan`]), and why a plan cannot be generated ([`LoadError`]).

use std::fmt;
use std::str::FromStr;

use cordon_config::district::BUND_AREA_ID;

use super::RATE_SCALE_MAX;

/// Which load to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LoadProfile {
    /// An ordinary day: the district's hot spots, rate by time of day.
    Ordinary,
    /// An ordinary day plus the New Year countdown crowd at the Bund and on
    /// the pedestrian street, from 22:00 to about 01:15.
    NewYearSurge,
}

impl LoadProfile {
    /// Every profile.
    pub const ALL: [LoadProfile; 2] = [LoadProfile::Ordinary, LoadProfile::NewYearSurge];

    /// Where a run of this profile starts unless told otherwise (the
    /// drills' `--profile`, the simulation's clients, the demo and the
    /// benchmarks): the New Year surge a minute after midnight, in its
    /// spike; an ordinary day at 20:00, its busiest hour.
    pub const fn usual_start(self) -> ClockTime {
        match self {
            LoadProfile::Ordinary => ClockTime {
                minute_of_day: 20 * 60,
            },
            LoadProfile::NewYearSurge => ClockTime { minute_of_day: 1 },
        }
    }

    /// The profile's name on the command line.
    pub const fn as_str(self) -> &'static str {
        match self {
            LoadProfile::Ordinary => "ordinary",
            LoadProfile::NewYearSurge => "new-year",
        }
    }
}

impl fmt::Display for LoadProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LoadProfile {
    type Err = LoadError;

    fn from_str(name: &str) -> Result<LoadProfile, LoadError> {
        LoadProfile::ALL
            .into_iter()
            .find(|profile| profile.as_str() == name)
            .ok_or_else(|| LoadError::UnknownProfile {
                name: name.to_string(),
            })
    }
}

/// A local clock time to the minute, e.g. `22:00`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClockTime {
    pub(super) minute_of_day: u32,
}

impl ClockTime {
    /// `hour:minute`, or `None` past 23:59.
    pub const fn new(hour: u32, minute: u32) -> Option<ClockTime> {
        if hour < 24 && minute < 60 {
            Some(ClockTime {
                minute_of_day: hour * 60 + minute,
            })
        } else {
            None
        }
    }

    /// Minutes since local midnight, 0 to 1439.
    pub const fn minute_of_day(self) -> u32 {
        self.minute_of_day
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}:{:02}",
            self.minute_of_day / 60,
            self.minute_of_day % 60
        )
    }
}

impl FromStr for ClockTime {
    type Err = LoadError;

    fn from_str(text: &str) -> Result<ClockTime, LoadError> {
        let bad = || LoadError::BadClockTime {
            text: text.to_string(),
        };
        let (hour, minute) = text.split_once(':').ok_or_else(bad)?;
        let number = |part: &str| {
            let digits_ok =
                (1..=2).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit());
            digits_ok.then(|| part.parse::<u32>().ok()).flatten()
        };
        let (Some(hour), Some(minute)) = (number(hour), number(minute)) else {
            return Err(bad());
        };
        ClockTime::new(hour, minute).ok_or_else(bad)
    }
}

/// What to generate: a profile, a seed and a local start time.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadPlan {
    /// Which load.
    pub profile: LoadProfile,
    /// Seed of every random choice.
    pub seed: u64,
    /// Local clock time at offset 0.
    pub start: ClockTime,
    /// Multiplies every rate, e.g. 10 to press a cluster harder with the
    /// same shape; above 0, at most [`RATE_SCALE_MAX`].
    pub rate_scale: f64,
    /// Request ids are `<prefix>-<n>`, n from 1.
    pub request_id_prefix: String,
}

impl LoadPlan {
    /// `profile` from `start` with `seed`, at the profile's own rates, request
    /// ids `load-<seed>-<n>`.
    pub fn new(profile: LoadProfile, seed: u64, start: ClockTime) -> LoadPlan {
        LoadPlan {
            profile,
            seed,
            start,
            rate_scale: 1.0,
            request_id_prefix: format!("load-{seed}"),
        }
    }

    /// Checks the rate scale is above 0 and at most [`RATE_SCALE_MAX`].
    pub fn validate(&self) -> Result<(), LoadError> {
        if !(self.rate_scale.is_finite() && self.rate_scale > 0.0)
            || self.rate_scale > RATE_SCALE_MAX
        {
            return Err(LoadError::RateScale {
                value: self.rate_scale,
            });
        }
        Ok(())
    }
}

/// Why a load could not be planned.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum LoadError {
    /// The profile name is not one we generate.
    #[error("profile {name:?} is unknown: use ordinary or new-year")]
    UnknownProfile {
        /// The name given.
        name: String,
    },
    /// The start time is not `HH:MM` on a 24-hour clock.
    #[error("start time {text:?} is not a clock time: use HH:MM from 00:00 to 23:59, e.g. 22:00")]
    BadClockTime {
        /// The text given.
        text: String,
    },
    /// The rate scale is not a positive number up to the limit.
    #[error(
        "rate scale {value} is out of range: use a number above 0 and at most {RATE_SCALE_MAX}"
    )]
    RateScale {
        /// The scale given.
        value: f64,
    },
    /// The surge needs the Bund, and the district has no such area.
    #[error("district {district:?} has no sensitive area {BUND_AREA_ID:?}: the new-year profile needs it; use --profile ordinary or add the area")]
    NoBund {
        /// The district's name.
        district: String,
    },
    /// No hot spot of the district lies inside its bounds.
    #[error("district {district:?} has no hot spot inside its bounds: draw its areas, points and zones inside district.bounds")]
    NoHotSpots {
        /// The district's name.
        district: String,
    },
}
