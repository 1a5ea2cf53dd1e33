//! Drills run again and again: per drill, how many runs passed and the
//! median and maximum of each recovery time.

use std::fmt;

use serde::Serialize;

use super::{DrillName, DrillReport};

/// Median and maximum of one recovery time over the runs that had it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Spread {
    /// Runs that had this measure.
    pub runs: usize,
    /// Median, milliseconds (the lower middle of an even count).
    pub median_ms: Option<u64>,
    /// Maximum, milliseconds.
    pub max_ms: Option<u64>,
}

impl Spread {
    fn of(mut values: Vec<u64>) -> Spread {
        values.sort_unstable();
        Spread {
            runs: values.len(),
            median_ms: values.get((values.len().max(1) - 1) / 2).copied(),
            max_ms: values.last().copied(),
        }
    }
}

impl fmt::Display for Spread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.median_ms, self.max_ms) {
            (Some(median), Some(max)) => write!(f, "{median}/{max}"),
            _ => f.write_str("-"),
        }
    }
}

/// One drill's runs, summed up.
#[derive(Clone, Debug, Serialize)]
pub struct DrillSummary {
    /// The drill.
    pub drill: DrillName,
    /// Runs made.
    pub runs: usize,
    /// Runs that passed.
    pub passed: usize,
    /// Runs that could not get to their checks, with why.
    pub errors: Vec<String>,
    /// Fault to new leader.
    pub new_leader: Spread,
    /// Fault to the faulted nodes' actors placed elsewhere.
    pub actors_replaced: Spread,
    /// Fault to the first assignment after it.
    pub first_assignment: Spread,
    /// Heal to a fresh write acknowledged.
    pub heal_fresh_write: Spread,
    /// Heal to every actor placed.
    pub heal_actors_placed: Spread,
    /// Acknowledged reports lost, over all runs.
    pub lost: usize,
    /// Requests applied twice and units assigned twice, over all runs.
    pub double: usize,
}

impl DrillSummary {
    /// Sums up `drill`'s `reports` and the `errors` of runs that had none.
    pub fn of(drill: DrillName, reports: &[DrillReport], errors: Vec<String>) -> DrillSummary {
        let spread = |pick: fn(&DrillReport) -> Option<u64>| {
            Spread::of(reports.iter().filter_map(pick).collect())
        };
        DrillSummary {
            drill,
            runs: reports.len() + errors.len(),
            passed: reports.iter().filter(|report| report.passed()).count(),
            errors,
            new_leader: spread(|r| r.recovery.new_leader_ms),
            actors_replaced: spread(|r| r.recovery.actors_replaced_ms),
            first_assignment: spread(|r| r.recovery.first_assignment_ms),
            heal_fresh_write: spread(|r| r.recovery.heal_fresh_write_ms),
            heal_actors_placed: spread(|r| r.recovery.heal_actors_placed_ms),
            lost: reports.iter().map(|r| r.lost).sum(),
            double: reports
                .iter()
                .map(|r| r.duplicates + r.double_assigned)
                .sum(),
        }
    }
}

/// The table of every drill's summary: recovery times as median/max in ms.
pub struct Table<'a>(pub &'a [DrillSummary]);

impl fmt::Display for Table<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "recovery times in ms as median/max over the runs that had them ('-': not applicable)"
        )?;
        writeln!(
            f,
            "{:<20} {:>6} {:>12} {:>16} {:>16} {:>16} {:>16} {:>5} {:>6}",
            "drill",
            "passed",
            "new leader",
            "actors replaced",
            "first assignment",
            "heal: write",
            "heal: actors",
            "lost",
            "double"
        )?;
        for summary in self.0 {
            writeln!(
                f,
                "{:<20} {:>6} {:>12} {:>16} {:>16} {:>16} {:>16} {:>5} {:>6}",
                summary.drill.as_str(),
                format!("{}/{}", summary.passed, summary.runs),
                summary.new_leader.to_string(),
                summary.actors_replaced.to_string(),
                summary.first_assignment.to_string(),
                summary.heal_fresh_write.to_string(),
                summary.heal_actors_placed.to_string(),
                summary.lost,
                summary.double
            )?;
            for error in &summary.errors {
                writeln!(f, "    could not run: {error}")?;
            }
        }
        Ok(())
    }
}
