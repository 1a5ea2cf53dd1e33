//! `cordon-chaos drill`: lists the drills, sweeps labs left by killed
//! drills, or runs drills by name (or all), each once or `--repeat N`
//! times, in a lab of namespaces or against an operator's own cluster, and
//! prints each report (or JSON) and a table of repeated runs.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::Args;
use cordon_chaos::l3::repeat::{DrillSummary, Table};
use cordon_chaos::l3::{
    cordon_next_to, run_drill, DrillError, DrillName, DrillOptions, DrillReport, Lab,
    OperatorCluster, OperatorCommands,
};
use cordon_chaos::shared::load::LoadProfile;

use crate::{usage_error, whole_number};

/// Runs of one drill in one invocation, at most.
const REPEAT_MAX: u32 = 1_000;

/// Which drills to run, how, and where.
#[derive(Clone, Debug, Args)]
#[command(after_help = "Examples:
  cordon-chaos drill --list
  cordon-chaos drill kill-leader --incidents 300
  cordon-chaos drill all --repeat 5
  cordon-chaos drill kill-leader --profile new-year --seed 7
  cordon-chaos drill kill-leader --cluster cluster.toml --kill-command 'kill -9 $(cat /run/cordon-{node}.pid)' --restart-command 'systemctl start cordon@{node}'")]
pub struct DrillArgs {
    /// The drill to run (a name from --list), or `all`.
    #[arg(value_name = "NAME|all", value_parser = drills)]
    name: Option<Drills>,
    /// List the drills and what each does.
    #[arg(long)]
    list: bool,
    /// Remove the namespaces and nodes left by a killed drill.
    #[arg(long)]
    sweep: bool,
    /// Run each drill this many times (1 to 1000), then print a table.
    #[arg(long, value_name = "N", value_parser = repeat)]
    repeat: Option<u32>,
    /// The `cordon` binary [default: next to this one].
    #[arg(long, value_name = "PATH")]
    cordon: Option<PathBuf>,
    /// Print the reports as JSON.
    #[arg(long)]
    json: bool,
    /// Incident reports in the whole load.
    #[arg(long, value_name = "N", value_parser = whole_number)]
    incidents: Option<u64>,
    /// Keep the folder with the cluster file, data and node logs.
    #[arg(long)]
    keep: bool,
    /// Draw the reports from the seeded load generator with this profile.
    #[arg(long, value_name = "new-year|ordinary")]
    profile: Option<LoadProfile>,
    /// Seed of the load generator (with --profile).
    #[arg(long, value_name = "N", value_parser = whole_number)]
    seed: Option<u64>,
    /// Drill the operator's cluster in this cluster file instead of a lab.
    #[arg(long, value_name = "FILE")]
    cluster: Option<PathBuf>,
    /// How to kill node {node} of the operator's cluster.
    #[arg(long, value_name = "'CMD {node}'", value_parser = node_command)]
    kill_command: Option<String>,
    /// How to start node {node} of the operator's cluster again.
    #[arg(long, value_name = "'CMD {node}'", value_parser = node_command)]
    restart_command: Option<String>,
}

/// The drills a command line names: one, or all.
#[derive(Clone, Debug)]
enum Drills {
    All,
    One(DrillName),
}

fn drills(name: &str) -> Result<Drills, String> {
    if name == "all" {
        return Ok(Drills::All);
    }
    DrillName::parse(name)
        .map(Drills::One)
        .ok_or_else(|| format!("no drill {name:?}: see `cordon-chaos drill --list`"))
}

fn repeat(text: &str) -> Result<u32, String> {
    match text.parse::<u32>() {
        Ok(runs) if (1..=REPEAT_MAX).contains(&runs) => Ok(runs),
        Ok(runs) => Err(format!("{runs}: give 1 to {REPEAT_MAX} runs")),
        Err(_) => Err(format!(
            "{text:?} is not a number of runs: give 1 to {REPEAT_MAX}"
        )),
    }
}

fn node_command(command: &str) -> Result<String, String> {
    if command.contains("{node}") {
        Ok(command.to_string())
    } else {
        Err(format!(
            "{command:?} has no {{node}}: write where the node id goes, e.g. 'kill -9 $(cat /run/cordon-{{node}}.pid)'"
        ))
    }
}

impl DrillArgs {
    /// Flags that need each other, which clap does not check itself.
    fn check(&self) {
        if self.seed.is_some() && self.profile.is_none() {
            usage_error(
                "drill",
                ErrorKind::MissingRequiredArgument,
                "--seed seeds the load generator: pass --profile new-year|ordinary too",
            );
        }
        if self.cluster.is_none() && (self.kill_command.is_some() || self.restart_command.is_some())
        {
            usage_error(
                "drill",
                ErrorKind::MissingRequiredArgument,
                "--kill-command and --restart-command act on an operator's cluster: pass --cluster FILE too",
            );
        }
    }

    /// The operator's cluster, when --cluster names one.
    fn operator(&self) -> Option<OperatorCluster> {
        self.cluster.clone().map(|cluster_file| OperatorCluster {
            cluster_file,
            commands: OperatorCommands {
                kill: self.kill_command.clone(),
                restart: self.restart_command.clone(),
            },
        })
    }

    /// The drill options the flags ask for.
    fn options(&self) -> Result<DrillOptions, String> {
        let cordon = match self.cordon.clone() {
            Some(path) => path,
            None => std::env::current_exe()
                .ok()
                .and_then(|exe| cordon_next_to(&exe))
                .ok_or("no cordon binary next to this one: pass --cordon PATH")?,
        };
        let mut options = DrillOptions::new(cordon);
        options.keep = self.keep;
        options.operator = self.operator();
        options.profile = self.profile;
        options.seed = self.seed.unwrap_or(0);
        if let Some(incidents) = self.incidents {
            options.incidents = incidents;
        }
        Ok(options)
    }
}

/// `--list`, `--sweep`, or the drills named.
pub fn run(args: DrillArgs) -> Result<ExitCode, String> {
    args.check();
    if args.list {
        for drill in DrillName::ALL {
            println!("{:<20} {}", drill.as_str(), drill.describe());
        }
        return Ok(ExitCode::SUCCESS);
    }
    if args.sweep {
        return sweep();
    }
    let drills = match args
        .name
        .clone()
        .ok_or("no drill named: see `cordon-chaos drill --list`")?
    {
        Drills::All => DrillName::ALL.to_vec(),
        Drills::One(drill) => vec![drill],
    };
    if args.cluster.is_none() {
        if let Err(reason) = Lab::available() {
            eprintln!("cordon-chaos: L3 drills cannot run on this machine: {reason}");
            return Ok(ExitCode::from(3));
        }
    }
    let options = args.options()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("start the runtime: {error}"))?;
    let mut runs = Runs {
        summaries: Vec::new(),
        reports: Vec::new(),
        all_passed: true,
    };
    for drill in drills {
        runs.drill(&runtime, drill, &options, &args)?;
    }
    runs.print(&args)?;
    Ok(if runs.all_passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `--sweep`: removes the labs whose owner is gone.
fn sweep() -> Result<ExitCode, String> {
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
    Ok(ExitCode::SUCCESS)
}

/// The reports and summaries of every drill run so far.
struct Runs {
    summaries: Vec<DrillSummary>,
    reports: Vec<DrillReport>,
    all_passed: bool,
}

impl Runs {
    /// Runs `drill` once, or `--repeat` times, printing each report unless
    /// JSON is asked for. A refused drill on an operator's cluster fails
    /// the run; refused before it starts stops the whole command.
    fn drill(
        &mut self,
        runtime: &tokio::runtime::Runtime,
        drill: DrillName,
        options: &DrillOptions,
        args: &DrillArgs,
    ) -> Result<(), String> {
        if let Some(operator) = &options.operator {
            if let Err(refusal) = operator.allows(drill) {
                eprintln!("cordon-chaos: {refusal}");
                self.all_passed = false;
                return Ok(());
            }
        }
        let rounds = args.repeat.unwrap_or(1);
        let mut reports = Vec::new();
        let mut errors = Vec::new();
        for round in 1..=rounds {
            match runtime.block_on(run_drill(drill, options)) {
                Ok(report) => {
                    if !args.json {
                        if args.repeat.is_some() {
                            println!("== {drill} run {round}/{rounds}");
                        }
                        println!("{report}\n");
                    }
                    self.all_passed &= report.passed();
                    reports.push(report);
                }
                Err(DrillError::Refused(refusal)) => return Err(refusal),
                Err(error) => {
                    eprintln!("cordon-chaos: drill {drill} run {round} could not run: {error}");
                    self.all_passed = false;
                    errors.push(error.to_string());
                }
            }
        }
        self.summaries
            .push(DrillSummary::of(drill, &reports, errors));
        self.reports.extend(reports);
        Ok(())
    }

    /// The JSON document, or the table of repeated runs.
    fn print(&self, args: &DrillArgs) -> Result<(), String> {
        if args.json {
            let document = if args.repeat.is_some() {
                serde_json::json!({ "reports": self.reports, "summaries": self.summaries })
            } else if self.reports.len() == 1 {
                serde_json::to_value(&self.reports[0]).map_err(|error| error.to_string())?
            } else {
                serde_json::json!({ "reports": self.reports })
            };
            let text =
                serde_json::to_string_pretty(&document).map_err(|error| error.to_string())?;
            println!("{text}");
        } else if args.repeat.is_some() || self.summaries.len() > 1 {
            println!("{}", Table(&self.summaries));
        }
        Ok(())
    }
}
