//! Seeded incident load: a schedule of timed incident reports whose places
//! follow the district's hot spots and whose rate follows the time of day,
//! with an event-surge profile for the New Year countdown at the Bund.
//!
//! The generator is pure: no clock, no async runtime, every random choice
//! from one seeded [`StdRng`]. A seed, a profile and a start time give exactly
//! the same schedule, so a drill that found something can run the same load
//! again. Arrivals are a non-homogeneous Poisson process drawn by thinning
//! (Lewis and Shedler): candidates come at the profile's highest rate and each
//! is kept with probability rate(t) / highest, so the rate can change from
//! one second to the next (the spike after midnight) without binning.
//!
//! Where ordinary incidents happen, all from the district model:
//! - inside the six sensitive areas, weighted by their crowd figures;
//! - around the eleven one-minute points (ring 4 stands where incidents
//!   concentrate), within each point's cover radius;
//! - across every station's zones, weighted by the station's duty mode
//!   (deployment for crowded sensitive areas, overlay for commercial and
//!   tourist areas, basic for residential ones).
//!
//! The New Year surge adds, from 22:00 to about 01:15, crowd incidents inside
//! the Bund riverside and the Nanjing Road pedestrian street, split by their
//! crowd capacities (67,000 and 49,000 at once in the district file, from
//! the district's own account), rising toward the countdown, spiking in the
//! minutes after 00:00 when the crowd turns to leave, then decaying.
//!
//! The account gives crowd sizes but no incident rates; every rate and mix
//! below is our choice, named, with the reasoning beside it.
//!
//! A report converts to the body `POST /v1/incidents` accepts
//! ([`ScheduledReport::api_body`]) and to a ledger command
//! ([`ScheduledReport::command`]) for in-process clusters.

//!
//! Modules: `rates` (rates, mixes and rate curves, our choices named),
//! `plan` ([`LoadPlan`], [`LoadProfile`], [`ClockTime`], [`LoadError`]),
//! `places` (the hot spots), `generator` ([`LoadGenerator`]), `report`
//! ([`ScheduledReport`]), `summary` ([`LoadSummary`] per bucket).

mod generator;
mod places;
mod plan;
mod rates;
mod report;
mod summary;
#[cfg(test)]
mod tests;

pub use generator::LoadGenerator;
pub use plan::{ClockTime, LoadError, LoadPlan, LoadProfile};
pub use report::{LoadSource, ScheduledReport};
pub use summary::{buckets, LoadBucket, LoadSummary};

// ---------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------

/// Largest rate scale: 1000 times the ordinary evening is about 24 reports a
/// second, past what one drill client should send.
pub const RATE_SCALE_MAX: f64 = 1000.0;
/// Longest schedule the CLI prints: a week.
pub const LOAD_MINUTES_MAX: u32 = 7 * 24 * 60;
/// Width of a summary bucket.
pub const SUMMARY_BUCKET_MINUTES: u32 = 5;
/// Distance from the Bund riverside area's centre within which a report
/// counts as near the Bund (the area itself always counts): the river wall
/// and the pedestrian street's last block before it.
pub const BUND_NEAR_M: f64 = 500.0;
/// Tries to draw a point inside a hot spot before taking its centre. The
/// pedestrian street fills about 8 % of its bounding box, so 256 tries miss
/// about once in 10^9.
pub(crate) const LOCATION_ATTEMPTS_MAX: u32 = 256;

/// Milliseconds in a minute.
pub(crate) const MS_PER_MIN: f64 = 60_000.0;
/// Minutes in a day.
pub(crate) const MINUTES_PER_DAY: u32 = 24 * 60;

// ---------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------

/// `cordon-chaos load` arguments.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadCommand {
    /// What to generate.
    pub plan: LoadPlan,
    /// How many minutes of schedule to print.
    pub minutes: u32,
    /// JSON lines (one report each) instead of the summary.
    pub json: bool,
}

impl LoadCommand {
    /// Parses `--profile new-year|ordinary --seed N --start HH:MM --minutes M
    /// [--rate-scale X] [--json]`; an error names the flag and the fix.
    pub fn parse(args: &[String]) -> Result<LoadCommand, String> {
        let mut profile = None;
        let mut seed = None;
        let mut start = None;
        let mut minutes = None;
        let mut rate_scale = None;
        let mut json = false;
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = |what: &str| {
                args.next()
                    .map(String::as_str)
                    .ok_or_else(|| format!("{arg} needs {what}"))
            };
            match arg.as_str() {
                "--profile" => {
                    let name = value("a profile: ordinary or new-year")?;
                    profile = Some(name.parse::<LoadProfile>().map_err(|e| format!("--profile: {e}"))?);
                }
                "--seed" => {
                    let text = value("a number")?;
                    seed = Some(text.parse::<u64>().map_err(|_| {
                        format!("--seed {text:?} is not a number: use a whole number from 0 to {}", u64::MAX)
                    })?);
                }
                "--start" => {
                    let text = value("a clock time HH:MM")?;
                    start = Some(text.parse::<ClockTime>().map_err(|e| format!("--start: {e}"))?);
                }
                "--minutes" => {
                    let text = value("a number of minutes")?;
                    minutes = Some(
                        text.parse::<u32>()
                            .ok()
                            .filter(|m| (1..=LOAD_MINUTES_MAX).contains(m))
                            .ok_or_else(|| {
                                format!("--minutes {text:?} is out of range: use 1 to {LOAD_MINUTES_MAX} (a week)")
                            })?,
                    );
                }
                "--rate-scale" => {
                    let text = value("a number")?;
                    let scale = text.parse::<f64>().map_err(|_| {
                        format!("--rate-scale {text:?} is not a number: use e.g. 0.5 or 10")
                    })?;
                    rate_scale = Some(scale);
                }
                "--json" => json = true,
                other => {
                    return Err(format!(
                        "unexpected argument {other:?} to load: use --profile, --seed, --start, --minutes, --rate-scale or --json"
                    ))
                }
            }
        }
        let missing =
            |flag: &str, example: &str| format!("{flag} is missing: add e.g. {flag} {example}");
        let mut plan = LoadPlan::new(
            profile.ok_or_else(|| missing("--profile", "new-year"))?,
            seed.ok_or_else(|| missing("--seed", "7"))?,
            start.ok_or_else(|| missing("--start", "22:00"))?,
        );
        if let Some(scale) = rate_scale {
            plan.rate_scale = scale;
        }
        plan.validate().map_err(|e| format!("--rate-scale: {e}"))?;
        Ok(LoadCommand {
            plan,
            minutes: minutes.ok_or_else(|| missing("--minutes", "180"))?,
            json,
        })
    }
}
