//! `cordon-chaos`: runs the L3 drills (real `cordon` processes in network
//! namespaces) by name, again and again, or against an operator's cluster;
//! runs seeds of the deterministic simulation; prints seeded incident load
//! schedules. `cordon-chaos --help` and `cordon-chaos <command> --help` say
//! how.
//!
//! ```text
//! cordon-chaos drill --list
//! cordon-chaos drill --sweep
//! cordon-chaos drill NAME|all [--repeat N] [--cordon PATH] [--json] [--incidents N] [--keep] [--profile new-year|ordinary [--seed N]]
//! cordon-chaos drill NAME|all --cluster FILE [--kill-command 'CMD {node}'] [--restart-command 'CMD {node}']
//! cordon-chaos sim [--seed N | --seeds COUNT [--first-seed N]] [--steps M] [--nodes N] [--clients C] [--json]
//! cordon-chaos load --profile new-year|ordinary --seed N --start HH:MM --minutes M [--rate-scale X] [--json]
//! ```
//!
//! Modules: `drill`, `sim` and `load`, one per command: its arguments and
//! what it runs. A bad command line exits with status 2 and says what is
//! wrong and how to fix it.

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser, Subcommand};

mod drill;
mod load;
mod sim;

/// Cordon's chaos tests from the command line: L3 drills, L1 simulation
/// seeds, seeded incident load.
#[derive(Debug, Parser)]
#[command(name = "cordon-chaos", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run L3 drills: real `cordon` processes in network namespaces (root),
    /// or an operator's own cluster through their commands.
    Drill(drill::DrillArgs),
    /// Run seeds of the deterministic simulation (L1); a failing seed
    /// prints the command that replays it.
    Sim(sim::SimArgs),
    /// Print a seeded incident load schedule, as a summary per 5 minutes
    /// or JSON lines.
    Load(load::LoadArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Drill(args) => drill::run(args),
        Command::Sim(args) => sim::run(args),
        Command::Load(args) => load::run(args),
    };
    result.unwrap_or_else(|message| {
        eprintln!("cordon-chaos: {message}");
        ExitCode::from(2)
    })
}

/// Exits with status 2 and `message`, under the usage of `command`, as a
/// bad value does: for what clap cannot check by itself (flags that need
/// each other).
fn usage_error(command: &str, kind: ErrorKind, message: impl std::fmt::Display) -> ! {
    let mut cli = Cli::command();
    cli.build();
    match cli.find_subcommand_mut(command) {
        Some(subcommand) => subcommand.clone().error(kind, message).exit(),
        None => cli.error(kind, message).exit(),
    }
}

/// A whole number for a flag, or what is wrong with the text.
fn whole_number(text: &str) -> Result<u64, String> {
    text.parse::<u64>()
        .map_err(|_| format!("{text:?} is not a whole number: use e.g. 7"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        // clap's own checks of the definitions: names, conflicts, defaults.
        Cli::command().debug_assert();
    }

    #[test]
    fn help_answers_for_every_command() {
        // `--help` is not an error: it prints the usage of each command.
        for args in [
            vec!["cordon-chaos", "--help"],
            vec!["cordon-chaos", "drill", "--help"],
            vec!["cordon-chaos", "sim", "--help"],
            vec!["cordon-chaos", "load", "--help"],
        ] {
            let error = Cli::try_parse_from(&args).expect_err("help stops the parse");
            assert_eq!(error.kind(), ErrorKind::DisplayHelp, "{args:?}");
            assert!(
                error.to_string().contains("Usage: cordon-chaos"),
                "{args:?}"
            );
        }
    }
}
