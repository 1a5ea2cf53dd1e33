//! `cordon-chaos sim`: runs seeds of the deterministic simulation (L1).
//! Each seed prints one report; a failing seed prints the command that
//! replays it. Exit status 1 when any seed failed.

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::Args;
use cordon_chaos::l1::{run as run_seed, SimOptions};

use crate::{usage_error, whole_number};

/// Most nodes a run may have (addresses are `192.168.0.<id>`).
const NODES_MAX: usize = 9;

/// Which seeds to run, and how big each run is.
#[derive(Clone, Debug, Args)]
#[command(
    after_help = "Examples:\n  cordon-chaos sim --seeds 200 --steps 20000\n  cordon-chaos sim --seed 4242 --nodes 5 --steps 8000"
)]
pub struct SimArgs {
    /// Run this one seed (a replay).
    #[arg(long, value_name = "N", value_parser = whole_number)]
    seed: Option<u64>,
    /// Run this many seeds, from --first-seed on.
    #[arg(long, value_name = "COUNT", value_parser = whole_number)]
    seeds: Option<u64>,
    /// The first seed of a batch (or the one seed when neither --seed nor
    /// --seeds is given).
    #[arg(long, value_name = "N", value_parser = whole_number, default_value_t = 0)]
    first_seed: u64,
    /// Length of the fault phase in 1 ms steps of simulated time [default: 8000].
    #[arg(long, value_name = "M", value_parser = whole_number)]
    steps: Option<u64>,
    /// Nodes, all voters, 1 to 9 [default: 3].
    #[arg(long, value_name = "N", value_parser = nodes)]
    nodes: Option<usize>,
    /// Concurrent clients, 1 or more [default: 3].
    #[arg(long, value_name = "C", value_parser = clients)]
    clients: Option<u64>,
    /// One JSON report per seed.
    #[arg(long)]
    json: bool,
}

/// A node count, 1 to [`NODES_MAX`].
fn nodes(text: &str) -> Result<usize, String> {
    let nodes = whole_number(text)?;
    usize::try_from(nodes)
        .ok()
        .filter(|nodes| (1..=NODES_MAX).contains(nodes))
        .ok_or_else(|| format!("{nodes} is out of range: use 1 to {NODES_MAX}"))
}

/// A client count, 1 or more.
fn clients(text: &str) -> Result<u64, String> {
    match whole_number(text)? {
        0 => Err("0 runs nothing to check: use 1 or more".to_string()),
        clients => Ok(clients),
    }
}

impl SimArgs {
    /// The options every seed runs with.
    fn template(&self) -> SimOptions {
        let mut template = SimOptions::new(0);
        template.steps = self.steps.unwrap_or(template.steps);
        template.nodes = self.nodes.unwrap_or(template.nodes);
        template.clients = self.clients.unwrap_or(template.clients);
        template
    }

    /// The seeds to run.
    fn seeds(&self) -> Vec<u64> {
        match (self.seed, self.seeds) {
            (Some(seed), _) => vec![seed],
            (None, Some(count)) => {
                (self.first_seed..self.first_seed.saturating_add(count)).collect()
            }
            (None, None) => vec![self.first_seed],
        }
    }
}

/// Runs the seeds and prints one report each, then the replays of the
/// failed ones.
pub fn run(args: SimArgs) -> Result<ExitCode, String> {
    if args.seed.is_some() && args.seeds.is_some() {
        usage_error(
            "sim",
            ErrorKind::ArgumentConflict,
            "give --seed (one run) or --seeds (a batch), not both",
        );
    }
    let template = args.template();
    let seeds = args.seeds();
    let mut failed = Vec::new();
    for seed in &seeds {
        let options = SimOptions {
            seed: *seed,
            ..template.clone()
        };
        let report = run_seed(&options).map_err(|error| format!("seed {seed}: {error}"))?;
        if args.json {
            let line = serde_json::to_string(&report).map_err(|error| error.to_string())?;
            println!("{line}");
        } else {
            println!("{report}");
        }
        if !report.passed() {
            failed.push(options.replay_command());
        }
    }
    println!(
        "sim: {} of {} seeds passed",
        seeds.len() - failed.len(),
        seeds.len()
    );
    for replay in &failed {
        println!("replay: {replay}");
    }
    Ok(if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
