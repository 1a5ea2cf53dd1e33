//! A regular series of counts in local time, with gaps.

/// Seconds in a day.
pub const SECONDS_PER_DAY: u32 = 86_400;

/// Counts at a fixed step from a start, `None` where nothing was counted.
/// Times are local civil time as seconds since 1970-01-01 00:00 local, so
/// hour of day and day of week line up with the crowd's own rhythm.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Local time of the first value.
    pub start_local_s: i64,
    /// Seconds between values; divides a day.
    pub step_s: u32,
    /// One value per step.
    pub values: Vec<Option<f64>>,
}

/// Why points do not make a series.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SeriesError {
    /// The step does not divide a day.
    #[error("a step of {step_s} s does not divide a day: use 60, 300, 900, 3600 or another divisor of 86400")]
    Step {
        /// The step asked for.
        step_s: u32,
    },
    /// A point falls between steps.
    #[error("a count at local second {at_s} is not on the {step_s}-second grid: give counts at whole steps")]
    OffGrid {
        /// Its time.
        at_s: i64,
        /// The step.
        step_s: u32,
    },
    /// Two points at one time.
    #[error("two counts at local second {at_s}: keep one count per step")]
    Duplicate {
        /// Their time.
        at_s: i64,
    },
    /// A count below zero or not a number.
    #[error(
        "count {count} at local second {at_s} is not a count: give a number of people, 0 or more"
    )]
    NotACount {
        /// Its time.
        at_s: i64,
        /// The value.
        count: f64,
    },
    /// No points.
    #[error("no counts: a series needs at least one")]
    Empty,
}

impl Series {
    /// The series of `points` (local second, count) at `step_s`, from the
    /// first point to the last, gaps left as `None`.
    pub fn from_points(points: &[(i64, f64)], step_s: u32) -> Result<Series, SeriesError> {
        if step_s == 0 || SECONDS_PER_DAY % step_s != 0 {
            return Err(SeriesError::Step { step_s });
        }
        let mut sorted = points.to_vec();
        sorted.sort_by_key(|(at_s, _)| *at_s);
        let (Some(first), Some(last)) = (sorted.first(), sorted.last()) else {
            return Err(SeriesError::Empty);
        };
        let step = i64::from(step_s);
        let start_local_s = first.0;
        let len = usize::try_from((last.0 - start_local_s) / step + 1).unwrap_or(0);
        let mut values = vec![None; len];
        for &(at_s, count) in &sorted {
            if at_s.rem_euclid(step) != 0 {
                return Err(SeriesError::OffGrid { at_s, step_s });
            }
            if !(count.is_finite() && count >= 0.0) {
                return Err(SeriesError::NotACount { at_s, count });
            }
            let slot = &mut values[((at_s - start_local_s) / step) as usize];
            if slot.replace(count).is_some() {
                return Err(SeriesError::Duplicate { at_s });
            }
        }
        Ok(Series {
            start_local_s,
            step_s,
            values,
        })
    }

    /// Steps in a day.
    pub fn day_steps(&self) -> usize {
        (SECONDS_PER_DAY / self.step_s) as usize
    }

    /// Steps in a week.
    pub fn week_steps(&self) -> usize {
        7 * self.day_steps()
    }

    /// Values from index `from` up to (not including) `to`, as a series.
    pub fn window(&self, from: usize, to: usize) -> Series {
        let to = to.min(self.values.len());
        let from = from.min(to);
        Series {
            start_local_s: self.start_local_s + (from as i64) * i64::from(self.step_s),
            step_s: self.step_s,
            values: self.values[from..to].to_vec(),
        }
    }

    /// The values on a log scale, `ln(1 + count)`, gaps filled: with the
    /// value a week earlier when there is one, else the last value before,
    /// else the first value after. Empty when nothing was counted.
    pub fn log_filled(&self) -> Vec<f64> {
        let week = self.week_steps();
        let Some(first) = self.values.iter().flatten().next() else {
            return Vec::new();
        };
        let mut filled: Vec<f64> = Vec::with_capacity(self.values.len());
        for (index, value) in self.values.iter().enumerate() {
            let log = match value {
                Some(count) => count.ln_1p(),
                None if index >= week => filled[index - week],
                None => filled.last().copied().unwrap_or(first.ln_1p()),
            };
            filled.push(log);
        }
        filled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Points become a grid from first to last with the missing hour left
    // empty; off-grid, duplicate and negative points are refused by name.
    #[test]
    fn points_make_a_grid_and_bad_points_are_named() {
        let hour = 3_600;
        let points = [(0, 10.0), (2 * hour, 30.0), (hour, 20.0), (4 * hour, 50.0)];

        let series = Series::from_points(&points, 3_600).unwrap();

        assert_eq!(
            series.values,
            vec![Some(10.0), Some(20.0), Some(30.0), None, Some(50.0)]
        );
        assert_eq!(series.day_steps(), 24);
        let off = Series::from_points(&[(0, 1.0), (10, 2.0)], 3_600).unwrap_err();
        assert_eq!(
            off,
            SeriesError::OffGrid {
                at_s: 10,
                step_s: 3_600
            }
        );
        let twice = Series::from_points(&[(0, 1.0), (0, 2.0)], 3_600).unwrap_err();
        assert_eq!(twice, SeriesError::Duplicate { at_s: 0 });
        let negative = Series::from_points(&[(0, -1.0)], 3_600).unwrap_err();
        assert!(negative.to_string().contains("0 or more"));
        assert!(Series::from_points(&[(0, 1.0)], 7_000).is_err());
    }

    // A gap takes last week's value at the same hour, or, in the first week,
    // the value before it.
    #[test]
    fn gaps_fill_from_last_week_or_the_value_before() {
        let mut values: Vec<Option<f64>> = (0..200).map(|i| Some(f64::from(i % 168))).collect();
        values[5] = None;
        values[170] = None;
        let series = Series {
            start_local_s: 0,
            step_s: 3_600,
            values,
        };

        let filled = series.log_filled();

        assert_eq!(filled[5], 4.0_f64.ln_1p());
        assert_eq!(filled[170], 2.0_f64.ln_1p());
    }
}
