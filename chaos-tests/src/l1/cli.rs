//! `cordon-chaos sim`: runs seeds of the deterministic simulation.
//!
//! ```text
//! cordon-chaos sim [--seed N | --seeds COUNT [--first-seed N]] [--steps M]
//!                  [--nodes N] [--clients C] [--json]
//! ```
//! Each seed prints one report; a failing seed prints the command that
//! replays it. Exit status 1 when any seed failed.

use std::process::ExitCode;

use super::{run, SimOptions};

/// Usage of the `sim` command.
pub const USAGE: &str = "cordon-chaos sim [--seed N | --seeds COUNT [--first-seed N]] [--steps M] [--nodes N] [--clients C] [--json]";

/// Most nodes a run may have (addresses are `192.168.0.<id>`).
const NODES_MAX: usize = 9;

/// Parses `args` (after `sim`) and runs the seeds.
pub fn main(args: &[String]) -> Result<ExitCode, String> {
    let mut seed = None;
    let mut seeds = None;
    let mut first_seed = 0;
    let mut template = SimOptions::new(0);
    let mut json = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let mut number = |flag: &str| -> Result<u64, String> {
            let value = rest
                .next()
                .ok_or_else(|| format!("{flag} needs a number"))?;
            value
                .parse::<u64>()
                .map_err(|_| format!("{flag} {value:?} is not a whole number"))
        };
        match arg.as_str() {
            "--seed" => seed = Some(number("--seed")?),
            "--seeds" => seeds = Some(number("--seeds")?),
            "--first-seed" => first_seed = number("--first-seed")?,
            "--steps" => template.steps = number("--steps")?,
            "--nodes" => template.nodes = number("--nodes")? as usize,
            "--clients" => template.clients = number("--clients")?,
            "--json" => json = true,
            other => return Err(format!("unknown sim option {other:?}")),
        }
    }
    if seed.is_some() && seeds.is_some() {
        return Err("give --seed (one run) or --seeds (a batch), not both".into());
    }
    if template.nodes == 0 || template.nodes > NODES_MAX {
        return Err(format!(
            "--nodes {} is out of range: use 1 to {NODES_MAX}",
            template.nodes
        ));
    }
    if template.clients == 0 {
        return Err("--clients 0 runs nothing to check: use 1 or more".into());
    }
    let seeds: Vec<u64> = match (seed, seeds) {
        (Some(seed), _) => vec![seed],
        (None, Some(count)) => (first_seed..first_seed.saturating_add(count)).collect(),
        (None, None) => vec![first_seed],
    };
    let mut failed = Vec::new();
    for seed in &seeds {
        let options = SimOptions {
            seed: *seed,
            ..template.clone()
        };
        let report = run(&options).map_err(|error| format!("seed {seed}: {error}"))?;
        if json {
            println!(
                "{}",
                serde_json::to_string(&report).map_err(|error| error.to_string())?
            );
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
