//! `cordon forecast`: the crowd-count models on a counts file.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Subcommand;
use cordon_forecast::eval::{evaluate, EvalPlan, EvalReport, Score};

/// Counts of one step per hour, the step `forecast eval` reads.
const HOURLY_STEP_S: u32 = 3_600;

/// What `cordon forecast` does.
#[derive(Debug, Subcommand)]
pub enum ForecastCommand {
    /// A rolling-origin backtest of every model against seasonal-naive on
    /// hourly counts: MAPE and MASE per horizon (1 hour, 24 hours, 7 days).
    Eval {
        /// The counts: a CSV with the header `sensor,at,count` (or
        /// `area,at,count`), one row per hour and sensor, local time.
        #[arg(long)]
        counts: PathBuf,
        /// Only these sensors or areas, comma-separated.
        #[arg(long, value_delimiter = ',')]
        areas: Vec<String>,
        /// Hours between origins (not a multiple of 24, so origins visit
        /// every hour of the day).
        #[arg(long, default_value_t = 31)]
        origin_every_h: usize,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a `cordon forecast` command.
pub fn run(command: ForecastCommand) -> anyhow::Result<()> {
    let ForecastCommand::Eval {
        counts,
        areas,
        origin_every_h,
        json,
    } = command;
    if origin_every_h == 0 || origin_every_h > 24 * 28 {
        bail!("--origin-every-h {origin_every_h}: use 1 to 672 hours, e.g. 31");
    }
    let text = std::fs::read_to_string(&counts)
        .with_context(|| format!("read the counts file {}", counts.display()))?;
    let mut series = cordon_forecast::counts_csv::parse(&text, HOURLY_STEP_S)
        .with_context(|| format!("{}", counts.display()))?;
    if !areas.is_empty() {
        if let Some(unknown) = areas.iter().find(|id| !series.contains_key(*id)) {
            let known: Vec<&String> = series.keys().collect();
            bail!(
                "--areas: {unknown:?} is not in {}; it has {known:?}",
                counts.display()
            );
        }
        series.retain(|id, _| areas.contains(id));
    }
    let plan = EvalPlan {
        origin_every_steps: origin_every_h,
        ..EvalPlan::hourly()
    };
    let report = evaluate(&series, &plan);
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print(&report);
    }
    Ok(())
}

fn print(report: &EvalReport) {
    let plan = &report.plan;
    println!(
        "forecast eval: {} series, {} weeks of history per forecast, an origin every {} h, {:.0} % intervals",
        report.series.len(),
        plan.history_weeks,
        plan.origin_every_steps,
        100.0 * plan.level
    );
    println!(
        "{:<24} {:>8} {:<16} {:>8} {:>7} {:>9} {:>8} {:>8}",
        "series", "horizon", "model", "MAPE %", "MASE", "vs naive", "in int.", "scored"
    );
    for one in &report.series {
        print_scores(
            &format!("{} ({} origins)", one.id, one.origins),
            &one.scores,
        );
    }
    print_scores("all, pooled", &report.pooled);
}

fn print_scores(label: &str, scores: &[Score]) {
    for score in scores {
        println!(
            "{:<24} {:>7}h {:<16} {:>8.2} {:>7.3} {:>8.2}x {:>7.1}% {:>8}",
            label,
            score.horizon_steps,
            score.model,
            score.mape_pct,
            score.mase,
            score.vs_seasonal_naive,
            100.0 * score.coverage,
            score.scored
        );
    }
}
