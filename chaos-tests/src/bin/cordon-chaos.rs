//! `cordon-chaos`: runs the L3 drills (real `cordon` processes in network
//! namespaces) by name, and prints seeded incident load schedules.
//!
//! ```text
//! cordon-chaos drill --list
//! cordon-chaos drill NAME [--cordon PATH] [--json] [--incidents N] [--keep]
//! cordon-chaos sim [--seed N | --seeds COUNT [--first-seed N]] [--steps M] [--nodes N] [--json]
//! cordon-chaos load --profile new-year|ordinary --seed N --start HH:MM --minutes M [--rate-scale X] [--json]
//! ```

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use cordon_chaos::drill::{cordon_next_to, run_drill, DrillName, DrillOptions, Lab};
use cordon_chaos::load::{LoadCommand, LoadGenerator, LoadSummary};
use cordon_config::District;

const USAGE: &str = "usage: cordon-chaos drill --list
       cordon-chaos drill NAME [--cordon PATH] [--json] [--incidents N] [--keep]
       cordon-chaos sim [--seed N | --seeds COUNT [--first-seed N]] [--steps M] [--nodes N] [--json]
       cordon-chaos load --profile new-year|ordinary --seed N --start HH:MM --minutes M [--rate-scale X] [--json]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("cordon-chaos: {message}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let Some((command, rest)) = args.split_first() else {
        return Err("no command given".into());
    };
    if command == "sim" {
        return cordon_chaos::sim::cli::main(rest);
    }
    if command == "load" {
        return load(rest);
    }
    if command != "drill" {
        return Err(format!("unknown command {command:?}"));
    }
    let mut name = None;
    let mut list = false;
    let mut json = false;
    let mut keep = false;
    let mut cordon = None;
    let mut incidents = None;
    let mut rest = rest.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--list" => list = true,
            "--json" => json = true,
            "--keep" => keep = true,
            "--cordon" => cordon = Some(PathBuf::from(rest.next().ok_or("--cordon needs a path")?)),
            "--incidents" => {
                let value = rest.next().ok_or("--incidents needs a number")?;
                incidents = Some(
                    value
                        .parse::<u64>()
                        .map_err(|_| format!("--incidents {value:?} is not a number"))?,
                );
            }
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}")),
            drill if name.is_none() => name = Some(drill.to_string()),
            extra => return Err(format!("unexpected argument {extra:?}")),
        }
    }
    if list {
        for drill in DrillName::ALL {
            println!("{:<16} {}", drill.as_str(), drill.describe());
        }
        return Ok(ExitCode::SUCCESS);
    }
    let name = name.ok_or("no drill named: see `cordon-chaos drill --list`")?;
    let drill = DrillName::parse(&name)
        .ok_or_else(|| format!("no drill {name:?}: see `cordon-chaos drill --list`"))?;
    if let Err(reason) = Lab::available() {
        eprintln!("cordon-chaos: L3 drills cannot run on this machine: {reason}");
        return Ok(ExitCode::from(3));
    }
    let cordon = match cordon {
        Some(path) => path,
        None => std::env::current_exe()
            .ok()
            .and_then(|exe| cordon_next_to(&exe))
            .ok_or("no cordon binary next to this one: pass --cordon PATH")?,
    };
    let mut options = DrillOptions::new(cordon);
    options.keep = keep;
    if let Some(incidents) = incidents {
        options.incidents = incidents;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("start the runtime: {error}"))?;
    let report = runtime
        .block_on(run_drill(drill, &options))
        .map_err(|error| format!("drill {drill} could not run: {error}"))?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|error| error.to_string())?
        );
    } else {
        println!("{report}");
    }
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `cordon-chaos load`: the schedule as JSON lines, or a summary per bucket.
fn load(args: &[String]) -> Result<ExitCode, String> {
    let command = LoadCommand::parse(args)?;
    let mut generator = LoadGenerator::new(&District::embedded(), &command.plan)
        .map_err(|error| error.to_string())?;
    let reports = generator.reports_within_minutes(command.minutes);
    let mut out = std::io::stdout().lock();
    let written = if command.json {
        reports
            .iter()
            .try_for_each(|report| writeln!(out, "{}", report.json_line()))
    } else {
        let summary = LoadSummary::new(&command.plan, command.minutes, &reports);
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
