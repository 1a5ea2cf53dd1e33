//! `cordon-chaos load`: the seeded incident schedule as JSON lines (one
//! report each; `.report` is a `POST /v1/incidents` body), or a summary per
//! bucket of minutes.

use std::io::Write;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::Args;
use cordon_chaos::shared::load::{
    ClockTime, LoadGenerator, LoadPlan, LoadProfile, LoadSummary, LOAD_MINUTES_MAX,
};
use cordon_config::District;

use crate::{usage_error, whole_number};

/// What to generate and how to print it.
#[derive(Clone, Debug, Args)]
#[command(
    after_help = "Example: cordon-chaos load --profile new-year --seed 7 --start 22:00 --minutes 180"
)]
pub struct LoadArgs {
    /// The load profile: `new-year` (the surge at the Bund) or `ordinary`.
    #[arg(long, value_name = "new-year|ordinary")]
    profile: LoadProfile,
    /// Seed of every random choice: the same seed gives the same schedule.
    #[arg(long, value_name = "N", value_parser = whole_number)]
    seed: u64,
    /// Local clock time the schedule starts at.
    #[arg(long, value_name = "HH:MM")]
    start: ClockTime,
    /// Minutes of schedule to print (1 to a week).
    #[arg(long, value_name = "M", value_parser = minutes)]
    minutes: u32,
    /// Multiply every rate (above 0, at most 1000).
    #[arg(long, value_name = "X")]
    rate_scale: Option<f64>,
    /// One JSON line per report instead of the summary.
    #[arg(long)]
    json: bool,
}

impl LoadArgs {
    /// The plan the flags ask for; a bad rate scale says why.
    pub fn plan(&self) -> Result<LoadPlan, String> {
        let mut plan = LoadPlan::new(self.profile, self.seed, self.start);
        if let Some(scale) = self.rate_scale {
            plan.rate_scale = scale;
        }
        plan.validate().map_err(|e| format!("--rate-scale: {e}"))?;
        Ok(plan)
    }
}

/// Minutes of schedule, 1 to [`LOAD_MINUTES_MAX`].
fn minutes(text: &str) -> Result<u32, String> {
    text.parse::<u32>()
        .ok()
        .filter(|m| (1..=LOAD_MINUTES_MAX).contains(m))
        .ok_or_else(|| format!("out of range: use 1 to {LOAD_MINUTES_MAX} (a week)"))
}

/// Prints the schedule: JSON lines, or a summary per bucket.
pub fn run(args: LoadArgs) -> Result<ExitCode, String> {
    let plan = args
        .plan()
        .unwrap_or_else(|message| usage_error("load", ErrorKind::ValueValidation, message));
    let mut generator =
        LoadGenerator::new(&District::embedded(), &plan).map_err(|error| error.to_string())?;
    let reports = generator.reports_within_minutes(args.minutes);
    let mut out = std::io::stdout().lock();
    let written = if args.json {
        reports
            .iter()
            .try_for_each(|report| writeln!(out, "{}", report.json_line()))
    } else {
        let summary = LoadSummary::new(&plan, args.minutes, &reports);
        write!(out, "{summary}")
    };
    match written {
        // A reader that stops early (`| head`) is not an error.
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("write the schedule: {error}"))
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::{Cli, Command};

    /// The plan of `cordon-chaos load <line>`, or the error as printed.
    fn parse(line: &str) -> Result<(LoadPlan, LoadArgs), String> {
        let args = std::iter::once("cordon-chaos load").chain(line.split_whitespace());
        let args = args.flat_map(|arg| arg.split(' '));
        match Cli::try_parse_from(args)
            .map_err(|error| error.to_string())?
            .command
        {
            Command::Load(load) => Ok((load.plan()?, load)),
            other => Err(format!("not load: {other:?}")),
        }
    }

    // Bad plans and flags are refused with the flag and the fix named.
    #[test]
    fn bad_flags_are_refused_with_the_fix() {
        let (plan, good) =
            parse("--profile new-year --seed 7 --start 22:00 --minutes 180 --rate-scale 2 --json")
                .expect("good flags");
        let at = |text: &str| text.parse::<ClockTime>().expect("a clock time");
        assert_eq!(
            (
                plan.profile,
                plan.seed,
                plan.start,
                good.minutes,
                plan.rate_scale,
                good.json
            ),
            (LoadProfile::NewYearSurge, 7, at("22:00"), 180, 2.0, true)
        );

        for (line, named) in [
            (
                "--profile nye --seed 7 --start 22:00 --minutes 10",
                "ordinary or new-year",
            ),
            (
                "--profile ordinary --seed x --start 22:00 --minutes 10",
                "--seed",
            ),
            (
                "--profile ordinary --seed 7 --start 24:00 --minutes 10",
                "HH:MM",
            ),
            (
                "--profile ordinary --seed 7 --start 9.30 --minutes 10",
                "HH:MM",
            ),
            (
                "--profile ordinary --seed 7 --start 22:00 --minutes 0",
                "--minutes",
            ),
            (
                "--profile ordinary --seed 7 --start 22:00 --minutes 10 --rate-scale 0",
                "above 0",
            ),
            (
                "--profile ordinary --seed 7 --start 22:00 --minutes 10 --rate-scale NaN",
                "above 0",
            ),
            (
                "--profile ordinary --seed 7 --minutes 10",
                "--start <HH:MM>",
            ),
            (
                "--profile ordinary --seed 7 --start 22:00 --minutes",
                "a value is required for '--minutes <M>'",
            ),
            (
                "--profile ordinary --seed 7 --start 22:00 --minutes 10 --fast",
                "unexpected argument '--fast'",
            ),
        ] {
            let error = parse(line).map(|_| ()).expect_err(line);
            assert!(error.contains(named), "{line}: {error}");
        }
    }
}
