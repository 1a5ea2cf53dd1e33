//! `cordon forecast`: the crowd-count models on a counts file.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Subcommand;
use cordon_forecast::eval::{evaluate, EvalPlan, EvalReport, Score};

mod district_bench;

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
        /// An event calendar: a CSV with the header `event,start,end`, one
        /// row per occurrence in local time; adds the event-calendar model.
        #[arg(long)]
        events: Option<PathBuf>,
        /// Hours between origins (not a multiple of 24, so origins visit
        /// every hour of the day).
        #[arg(long, default_value_t = 31)]
        origin_every_h: usize,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Time each model's 7-day forecast of one series from 8 weeks of
    /// hourly history, at origins spread through the counts: p50, p99, max.
    Bench {
        /// The counts, as for `eval`.
        #[arg(long)]
        counts: PathBuf,
        /// Forecasts timed per model.
        #[arg(long, default_value_t = 200)]
        forecasts: usize,
    },
    /// Time re-forecasting every area of the embedded district that holds
    /// a sensor (next hour and next 7 days), on eight weeks of the demo
    /// feed's counts: the first round (which chooses each area's model by
    /// backtest) and the rounds after.
    BenchDistrict {
        /// Rounds to time.
        #[arg(long, default_value_t = 20)]
        rounds: usize,
        /// The crowd feed's seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// Runs a `cordon forecast` command.
pub fn run(command: ForecastCommand) -> anyhow::Result<()> {
    match command {
        ForecastCommand::Eval {
            counts,
            areas,
            events,
            origin_every_h,
            json,
        } => {
            let calendar = read_events(events.as_ref())?;
            eval(&counts, &areas, &calendar, origin_every_h, json)
        }
        ForecastCommand::Bench { counts, forecasts } => bench(&counts, forecasts),
        ForecastCommand::BenchDistrict { rounds, seed } => district_bench::run(rounds, seed),
    }
}

fn read_counts(
    counts: &PathBuf,
) -> anyhow::Result<std::collections::BTreeMap<String, cordon_forecast::Series>> {
    let text = std::fs::read_to_string(counts)
        .with_context(|| format!("read the counts file {}", counts.display()))?;
    cordon_forecast::counts_csv::parse(&text, HOURLY_STEP_S)
        .with_context(|| format!("{}", counts.display()))
}

fn read_events(events: Option<&PathBuf>) -> anyhow::Result<cordon_forecast::Calendar> {
    let Some(events) = events else {
        return Ok(cordon_forecast::Calendar::default());
    };
    let text = std::fs::read_to_string(events)
        .with_context(|| format!("read the events file {}", events.display()))?;
    cordon_forecast::Calendar::parse_csv(&text).with_context(|| format!("{}", events.display()))
}

/// `cordon forecast bench`: each model's time for one 7-day forecast.
fn bench(counts: &PathBuf, forecasts: usize) -> anyhow::Result<()> {
    use cordon_forecast::{forecast, Model};
    if !(1..=10_000).contains(&forecasts) {
        bail!("--forecasts {forecasts}: time 1 to 10000 forecasts per model, e.g. 200");
    }
    let series = read_counts(counts)?;
    let history = EvalPlan::hourly().history_weeks * 168;
    let origins: Vec<(&cordon_forecast::Series, usize)> = series
        .values()
        .flat_map(|one| {
            (history..one.values.len())
                .step_by(97)
                .map(move |o| (one, o))
        })
        .take(forecasts)
        .collect();
    println!(
        "forecast bench: {} forecasts per model, 168 hourly steps ahead from {history} hours of history",
        origins.len()
    );
    for model in Model::ALL {
        let mut times_us: Vec<u128> = origins
            .iter()
            .map(|(one, origin)| {
                let past = one.window(origin - history, *origin);
                let started = std::time::Instant::now();
                let _ = forecast(model, &past, 168, 0.8);
                started.elapsed().as_micros()
            })
            .collect();
        times_us.sort_unstable();
        let at = |q: f64| times_us[((times_us.len() - 1) as f64 * q).round() as usize] as f64 / 1e3;
        println!(
            "{:<16} p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms",
            model.name(),
            at(0.5),
            at(0.99),
            at(1.0)
        );
    }
    Ok(())
}

fn eval(
    counts: &PathBuf,
    areas: &[String],
    calendar: &cordon_forecast::Calendar,
    origin_every_h: usize,
    json: bool,
) -> anyhow::Result<()> {
    if origin_every_h == 0 || origin_every_h > 24 * 28 {
        bail!("--origin-every-h {origin_every_h}: use 1 to 672 hours, e.g. 31");
    }
    let mut series = read_counts(counts)?;
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
    let report = evaluate(&series, &plan, calendar);
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
        "{:<34} {:>8} {:<16} {:>8} {:>7} {:>9} {:>8} {:>8}",
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
            "{:<34} {:>7}h {:<16} {:>8.2} {:>7.3} {:>8.2}x {:>7.1}% {:>8}",
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
