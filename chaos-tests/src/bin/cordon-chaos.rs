//! `cordon-chaos`: runs the L3 drills (real `cordon` processes in network
//! namespaces) by name, again and again, or against an operator's cluster;
//! runs seeds of the deterministic simulation; prints seeded incident load
//! schedules.
//!
//! ```text
//! cordon-chaos drill --list
//! cordon-chaos drill --sweep
//! cordon-chaos drill NAME|all [--repeat N] [--cordon PATH] [--json] [--incidents N] [--keep] [--profile new-year|ordinary [--seed N]]
//! cordon-chaos drill NAME|all --cluster FILE [--kill-command 'CMD {node}'] [--restart-command 'CMD {node}']
//! cordon-chaos sim [--seed N | --seeds COUNT [--first-seed N]] [--steps M] [--nodes N] [--json]
//! cordon-chaos load --profile new-year|ordinary --seed N --start HH:MM --minutes M [--rate-scale X] [--json]
//! ```

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use cordon_chaos::l3::repeat::{DrillSummary, Table};
use cordon_chaos::l3::{
    cordon_next_to, run_drill, DrillError, DrillName, DrillOptions, Lab, OperatorCluster,
    OperatorCommands,
};
use cordon_chaos::shared::load::{LoadCommand, LoadGenerator, LoadProfile, LoadSummary};
use cordon_config::District;

const USAGE: &str = "usage: cordon-chaos drill --list
       cordon-chaos drill --sweep
       cordon-chaos drill NAME|all [--repeat N] [--cordon PATH] [--json] [--incidents N] [--keep] [--profile new-year|ordinary [--seed N]]
       cordon-chaos drill NAME|all --cluster FILE [--kill-command 'CMD {node}'] [--restart-command 'CMD {node}']
       cordon-chaos sim [--seed N | --seeds COUNT [--first-seed N]] [--steps M] [--nodes N] [--json]
       cordon-chaos load --profile new-year|ordinary --seed N --start HH:MM --minutes M [--rate-scale X] [--json]";

/// Runs of one drill in one invocation, at most.
const REPEAT_MAX: u32 = 1_000;

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

/// What the command line asks for.
#[derive(Default)]
struct Args {
    name: Option<String>,
    list: bool,
    sweep: bool,
    json: bool,
    keep: bool,
    cordon: Option<PathBuf>,
    incidents: Option<u64>,
    repeat: Option<u32>,
    cluster: Option<PathBuf>,
    kill_command: Option<String>,
    restart_command: Option<String>,
    profile: Option<LoadProfile>,
    seed: Option<u64>,
}

fn value<'a>(
    rest: &mut impl Iterator<Item = &'a String>,
    flag: &str,
    what: &str,
) -> Result<&'a String, String> {
    rest.next().ok_or_else(|| format!("{flag} needs {what}"))
}

fn parse(rest: &[String]) -> Result<Args, String> {
    let mut args = Args::default();
    let mut rest = rest.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--list" => args.list = true,
            "--sweep" => args.sweep = true,
            "--json" => args.json = true,
            "--keep" => args.keep = true,
            "--cordon" => args.cordon = Some(PathBuf::from(value(&mut rest, arg, "a path")?)),
            "--cluster" => {
                args.cluster = Some(PathBuf::from(value(&mut rest, arg, "a cluster file")?))
            }
            "--kill-command" | "--restart-command" => {
                let command = value(&mut rest, arg, "a command with {node} in it")?;
                if !command.contains("{node}") {
                    return Err(format!(
                        "{arg} {command:?} has no {{node}}: write where the node id goes, e.g. 'kill -9 $(cat /run/cordon-{{node}}.pid)'"
                    ));
                }
                if arg == "--kill-command" {
                    args.kill_command = Some(command.clone());
                } else {
                    args.restart_command = Some(command.clone());
                }
            }
            "--incidents" => {
                let text = value(&mut rest, arg, "a number")?;
                args.incidents = Some(
                    text.parse::<u64>()
                        .map_err(|_| format!("--incidents {text:?} is not a number"))?,
                );
            }
            "--profile" => {
                let name = value(&mut rest, arg, "a load profile (new-year or ordinary)")?;
                args.profile = Some(name.parse::<LoadProfile>().map_err(|e| e.to_string())?);
            }
            "--seed" => {
                let text = value(&mut rest, arg, "a number")?;
                args.seed = Some(
                    text.parse::<u64>()
                        .map_err(|_| format!("--seed {text:?} is not a whole number"))?,
                );
            }
            "--repeat" => {
                let text = value(&mut rest, arg, "a number of runs")?;
                let runs = text
                    .parse::<u32>()
                    .map_err(|_| format!("--repeat {text:?} is not a number of runs"))?;
                if runs == 0 || runs > REPEAT_MAX {
                    return Err(format!("--repeat {runs}: give 1 to {REPEAT_MAX} runs"));
                }
                args.repeat = Some(runs);
            }
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}")),
            drill if args.name.is_none() => args.name = Some(drill.to_string()),
            extra => return Err(format!("unexpected argument {extra:?}")),
        }
    }
    if args.seed.is_some() && args.profile.is_none() {
        return Err("--seed seeds the load generator: pass --profile new-year|ordinary too".into());
    }
    if args.cluster.is_none() && (args.kill_command.is_some() || args.restart_command.is_some()) {
        return Err(
            "--kill-command and --restart-command act on an operator's cluster: pass --cluster FILE too"
                .into(),
        );
    }
    Ok(args)
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let Some((command, rest)) = args.split_first() else {
        return Err("no command given".into());
    };
    if command == "sim" {
        return cordon_chaos::l1::cli::main(rest);
    }
    if command == "load" {
        return load(rest);
    }
    if command != "drill" {
        return Err(format!("unknown command {command:?}"));
    }
    let args = parse(rest)?;
    if args.list {
        for drill in DrillName::ALL {
            println!("{:<20} {}", drill.as_str(), drill.describe());
        }
        return Ok(ExitCode::SUCCESS);
    }
    if args.sweep {
        if let Err(reason) = Lab::available() {
            eprintln!("cordon-chaos: nothing to sweep on this machine: {reason}");
            return Ok(ExitCode::from(3));
        }
        let swept = Lab::sweep().map_err(|error| format!("sweep: {error}"))?;
        if swept.is_empty() {
            println!("no lab left by a killed drill");
        }
        for line in swept {
            println!("swept {line}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let name = args
        .name
        .clone()
        .ok_or("no drill named: see `cordon-chaos drill --list`")?;
    let drills: Vec<DrillName> = if name == "all" {
        DrillName::ALL.to_vec()
    } else {
        vec![DrillName::parse(&name)
            .ok_or_else(|| format!("no drill {name:?}: see `cordon-chaos drill --list`"))?]
    };
    let operator = args.cluster.clone().map(|cluster_file| OperatorCluster {
        cluster_file,
        commands: OperatorCommands {
            kill: args.kill_command.clone(),
            restart: args.restart_command.clone(),
        },
    });
    if operator.is_none() {
        if let Err(reason) = Lab::available() {
            eprintln!("cordon-chaos: L3 drills cannot run on this machine: {reason}");
            return Ok(ExitCode::from(3));
        }
    }
    let cordon = match args.cordon.clone() {
        Some(path) => path,
        None => std::env::current_exe()
            .ok()
            .and_then(|exe| cordon_next_to(&exe))
            .ok_or("no cordon binary next to this one: pass --cordon PATH")?,
    };
    let mut options = DrillOptions::new(cordon);
    options.keep = args.keep;
    options.operator = operator;
    options.profile = args.profile;
    options.seed = args.seed.unwrap_or(0);
    if let Some(incidents) = args.incidents {
        options.incidents = incidents;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("start the runtime: {error}"))?;
    let repeat = args.repeat;
    let mut summaries = Vec::new();
    let mut all_reports = Vec::new();
    let mut all_passed = true;
    for drill in drills {
        if let Some(operator) = &options.operator {
            if let Err(refusal) = operator.allows(drill) {
                eprintln!("cordon-chaos: {refusal}");
                all_passed = false;
                continue;
            }
        }
        let mut reports = Vec::new();
        let mut errors = Vec::new();
        for round in 1..=repeat.unwrap_or(1) {
            match runtime.block_on(run_drill(drill, &options)) {
                Ok(report) => {
                    if !args.json {
                        if repeat.is_some() {
                            println!("== {drill} run {round}/{}", repeat.unwrap_or(1));
                        }
                        println!("{report}\n");
                    }
                    all_passed &= report.passed();
                    reports.push(report);
                }
                Err(DrillError::Refused(refusal)) => return Err(refusal),
                Err(error) => {
                    eprintln!("cordon-chaos: drill {drill} run {round} could not run: {error}");
                    all_passed = false;
                    errors.push(error.to_string());
                }
            }
        }
        summaries.push(DrillSummary::of(drill, &reports, errors));
        all_reports.extend(reports);
    }
    if args.json {
        let document = if repeat.is_some() {
            serde_json::json!({ "reports": all_reports, "summaries": summaries })
        } else if all_reports.len() == 1 {
            serde_json::to_value(&all_reports[0]).map_err(|error| error.to_string())?
        } else {
            serde_json::json!({ "reports": all_reports })
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&document).map_err(|error| error.to_string())?
        );
    } else if repeat.is_some() || summaries.len() > 1 {
        println!("{}", Table(&summaries));
    }
    Ok(if all_passed {
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
