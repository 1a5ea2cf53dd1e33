//! The schedule per bucket of minutes: reports, surge share and share near
//! the Bund, for `cordon-chaos load`.

use std::fmt;

use super::plan::{ClockTime, LoadPlan};
use super::report::{LoadSource, ScheduledReport};
use super::{MINUTES_PER_DAY, SUMMARY_BUCKET_MINUTES};

/// Reports in one bucket of a schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadBucket {
    /// Local clock time at the bucket's start.
    pub start: ClockTime,
    /// Every report in the bucket.
    pub reports: u64,
    /// Those near the Bund.
    pub near_bund: u64,
    /// Those from the event surge.
    pub surge: u64,
}

impl LoadBucket {
    /// Share of the bucket's reports near the Bund, 0 when it is empty.
    pub fn near_bund_share(&self) -> f64 {
        if self.reports == 0 {
            0.0
        } else {
            self.near_bund as f64 / self.reports as f64
        }
    }
}

/// Counts `reports` in buckets of `bucket_minutes` from `start`, covering
/// `minutes` (empty buckets included).
pub fn buckets(
    reports: &[ScheduledReport],
    start: ClockTime,
    minutes: u32,
    bucket_minutes: u32,
) -> Vec<LoadBucket> {
    let bucket_minutes = bucket_minutes.max(1);
    let mut buckets: Vec<LoadBucket> = (0..minutes.div_ceil(bucket_minutes))
        .map(|index| {
            let minute = (start.minute_of_day() + index * bucket_minutes) % MINUTES_PER_DAY;
            LoadBucket {
                start: ClockTime {
                    minute_of_day: minute,
                },
                reports: 0,
                near_bund: 0,
                surge: 0,
            }
        })
        .collect();
    for report in reports {
        let index = (report.offset_ms / (u64::from(bucket_minutes) * 60_000)) as usize;
        if let Some(bucket) = buckets.get_mut(index) {
            bucket.reports += 1;
            bucket.near_bund += u64::from(report.near_bund);
            bucket.surge += u64::from(report.source == LoadSource::Surge);
        }
    }
    buckets
}

/// A schedule's summary for people: a line per bucket and the totals.
#[derive(Clone, Debug)]
pub struct LoadSummary {
    /// The plan summarised.
    pub plan: LoadPlan,
    /// Minutes covered.
    pub minutes: u32,
    /// The buckets, [`SUMMARY_BUCKET_MINUTES`] wide.
    pub buckets: Vec<LoadBucket>,
}

impl LoadSummary {
    /// Summarises the first `minutes` of `plan`'s schedule, `reports`.
    pub fn new(plan: &LoadPlan, minutes: u32, reports: &[ScheduledReport]) -> LoadSummary {
        LoadSummary {
            plan: plan.clone(),
            minutes,
            buckets: buckets(reports, plan.start, minutes, SUMMARY_BUCKET_MINUTES),
        }
    }
}

impl fmt::Display for LoadSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plan = &self.plan;
        writeln!(
            f,
            "load {} seed {} from {} for {} min, rate x{}",
            plan.profile, plan.seed, plan.start, self.minutes, plan.rate_scale
        )?;
        writeln!(
            f,
            "{:<7} {:>8} {:>8} {:>10}",
            "from", "reports", "surge", "near Bund"
        )?;
        for bucket in &self.buckets {
            writeln!(
                f,
                "{:<7} {:>8} {:>8} {:>9.0}%",
                bucket.start.to_string(),
                bucket.reports,
                bucket.surge,
                bucket.near_bund_share() * 100.0
            )?;
        }
        let total = |field: fn(&LoadBucket) -> u64| self.buckets.iter().map(field).sum::<u64>();
        let reports = total(|bucket| bucket.reports);
        let near = total(|bucket| bucket.near_bund);
        let share = if reports == 0 {
            0.0
        } else {
            near as f64 / reports as f64
        };
        writeln!(
            f,
            "{:<7} {:>8} {:>8} {:>9.0}%",
            "total",
            reports,
            total(|bucket| bucket.surge),
            share * 100.0
        )
    }
}
