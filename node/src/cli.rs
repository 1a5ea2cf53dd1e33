//! The `cordon` command line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use clap::{Args, Parser, Subcommand};
use cordon_config::ClusterConfig;
use cordon_consensus::ledger::{Role, BENCH_NOTE_BYTES_MAX};
use cordon_consensus::tls::{self, PeerIdentity};
use cordon_consensus::wire::{AdminOp, LedgerAnswer, LedgerQuery, MembershipChange};

use crate::client::ApiClient;
use crate::{bench, ctl, demo, server, telemetry};
use cordon_api::incidents::ReportIncident;

/// Cordon: a fault-tolerant dispatch coordination cluster.
#[derive(Debug, Parser)]
#[command(name = "cordon", version, about)]
pub struct Cli {
    /// Log JSON lines instead of human-readable text.
    #[arg(long, global = true)]
    pub log_json: bool,
    #[command(subcommand)]
    command: Commands,
}

#[derive(Debug, Subcommand)]
enum Commands {
    /// Create or issue certificates.
    #[command(subcommand)]
    Certs(CertsCommand),
    /// Run one node of a cluster.
    Run {
        /// The cluster file.
        #[arg(long)]
        cluster: PathBuf,
        /// This node's id in the cluster file.
        #[arg(long)]
        node: u64,
        /// Enable drill routes (make actors fail on request; with
        /// CORDON_DRILL_CONTROL, set by `cordon demo`, also kill, pause,
        /// resume and restart node processes); for demos and tests.
        #[arg(long)]
        drills: bool,
        /// Serve the API over plain HTTP instead of HTTPS: bearer tokens then
        /// cross the network in clear. For 127.0.0.1 (the demo) or a network
        /// you trust; the node logs a warning.
        #[arg(long)]
        insecure_http: bool,
    },
    /// Run a local demo cluster with a synthetic incident feed and drill
    /// controls (kill, pause, resume, restart a node from the console).
    Demo {
        /// Number of nodes.
        #[arg(long, default_value_t = 3)]
        nodes: usize,
        /// Seed of the incident feed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Incidents per second (0: no synthetic feed).
        #[arg(long, default_value_t = demo::DEMO_RATE_PER_S)]
        rate: f64,
        /// Stop after this many seconds (default: run until Ctrl-C).
        #[arg(long)]
        duration: Option<u64>,
        /// Keep the temporary folder (logs, data) after stopping.
        #[arg(long)]
        keep: bool,
    },
    /// Operate a cluster (operator certificate, over QUIC).
    Ctl {
        /// The cluster file (nodes, certificate paths).
        #[arg(long)]
        cluster: PathBuf,
        #[command(subcommand)]
        command: CtlCommand,
    },
    /// Issue, list or revoke bearer tokens (operator certificate, over QUIC).
    Token {
        /// The cluster file (nodes, certificate paths); before or after the subcommand.
        #[arg(long, global = true)]
        cluster: Option<PathBuf>,
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Report or read incidents through the HTTP API.
    #[command(subcommand)]
    Incident(IncidentCommand),
    /// Load or export the roster of people of rings 1 and 2 (a CSV file).
    #[command(subcommand)]
    Roster(RosterCommand),
    /// Measure committed incident reports per second and their latency.
    Bench(BenchArgs),
    /// Replay a seeded district day or the New Year surge offline through
    /// the dispatch planning code, once per policy, and compare them.
    Replay(ReplayArgs),
    /// Crowd forecasts: evaluate the models on a counts file.
    #[command(subcommand)]
    Forecast(crate::forecast_cli::ForecastCommand),
}

/// What `cordon replay` replays and how it reports.
#[derive(Debug, Args)]
struct ReplayArgs {
    /// The load: `ordinary` (a district day) or `new-year` (the countdown surge on top).
    #[arg(long, default_value = "ordinary")]
    profile: String,
    /// Seed of the incidents and of the times on scene.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Replay this many seeds, from `--seed` up, and print each policy's
    /// figures as mean [min-max] over them (1 to 100).
    #[arg(long, default_value_t = 1)]
    seeds: u32,
    /// Local start time, `HH:MM`.
    #[arg(long, default_value = "00:00")]
    start: String,
    /// Minutes to replay (1 to 10080).
    #[arg(long, default_value_t = 1440)]
    minutes: u32,
    /// Multiplies the load's rates.
    #[arg(long, default_value_t = 1.0)]
    rate_scale: f64,
    /// The policies, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "closest-idle,coverage-aware,coverage-aware-move-up"
    )]
    policies: Vec<crate::replay::ReplayPolicy>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Also write the response-time distributions to this SVG file.
    #[arg(long)]
    svg: Option<PathBuf>,
    /// Instead: search better homes for ring 4's roving vehicles and standby
    /// squad (greedy moves from their homes, calm hour) and print them.
    #[arg(long)]
    layout: bool,
}

/// What `cordon bench` measures and against which cluster.
#[derive(Debug, Args)]
struct BenchArgs {
    #[command(flatten)]
    target: ApiTarget,
    /// Concurrent clients per level, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
    clients: Vec<usize>,
    /// Reports per level.
    #[arg(long, default_value_t = 2_000)]
    requests: usize,
    /// Seed of the generated reports.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Measure report-to-first-assignment latency at these offered rates
    /// (incidents per second, comma-separated) instead of write throughput.
    #[arg(long, value_delimiter = ',')]
    dispatch_rates: Vec<f64>,
    /// Seconds per dispatch rate.
    #[arg(long, default_value_t = 20)]
    dispatch_seconds: u64,
    /// Folder on the nodes' data disk where the floor's fdatasync is
    /// measured (default with --cluster: the cluster file's data_dir).
    #[arg(long)]
    floor_dir: Option<PathBuf>,
    /// Instead of the write path: start a local cluster of this binary,
    /// SIGKILL its leader this many times and time each kill to the first
    /// acknowledged report through a surviving node.
    #[arg(long)]
    failover_kills: Option<usize>,
    /// Nodes of the local cluster --failover-kills starts.
    #[arg(long, default_value_t = 3)]
    failover_nodes: usize,
    /// Bytes of each append the floor syncs.
    #[arg(long, default_value_t = 512)]
    floor_entry_bytes: usize,
    /// With --dispatch-rates: keep every ring-4 team out of service
    /// during the rates (incidents that need one are marked
    /// unresourced), then free them and wait until every unresourced
    /// incident is assigned.
    #[arg(long)]
    busy_ring_four: bool,
    /// Instead of incident reports: commit ledger-neutral notes straight to
    /// the leader over QUIC with the operator certificate (needs
    /// --cluster), the bare commit path to compare with a key-value put.
    #[arg(long)]
    raw: bool,
    /// Bytes of each --raw note (and each --etcd value).
    #[arg(long, default_value_t = 256)]
    raw_bytes: usize,
    /// Instead of Cordon: the same levels of --raw-bytes puts against the
    /// etcd v3 member at this client URL (give the leader's), for comparison.
    #[arg(long)]
    etcd: Option<String>,
    /// Instead of a running cluster: start local clusters of these sizes
    /// (comma-separated, 1 to 9 nodes) one after the other and commit
    /// --raw notes at one --clients level on each; prints the p99's growth
    /// and each node's resident memory.
    #[arg(long, value_delimiter = ',')]
    growth_nodes: Vec<usize>,
    /// Instead of a running cluster: start a local 3-node cluster, report
    /// and cancel this many incidents (at one --clients level) and measure
    /// each node's memory, a follower's catch-up after missing the last
    /// tenth, and its restart with the whole history on disk.
    #[arg(long)]
    growth_incidents: Option<u64>,
    /// Instead of a cluster: place this many units (e.g. 100000) on the
    /// embedded district's street graph and time finding the quickest
    /// available one for random scenes, and one point-to-point travel time.
    #[arg(long)]
    routing_units: Option<usize>,
}

#[derive(Debug, Subcommand)]
enum CertsCommand {
    /// Create a cluster CA, one certificate per node and an operator certificate.
    Init {
        /// The cluster file.
        #[arg(long)]
        cluster: PathBuf,
        /// Output folder (default: the cluster file's tls.cert_dir).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Validity of the certificates in days (1 to 36500).
        #[arg(long, default_value_t = 365, value_parser = parse_days)]
        days: u64,
    },
    /// Issue every node's API (HTTPS) certificate again from the CA in
    /// tls.cert_dir (a rotation, or new api_public_hosts); running nodes
    /// pick the new files up within seconds.
    Api {
        /// The cluster file.
        #[arg(long)]
        cluster: PathBuf,
        /// Validity in days (1 to 36500).
        #[arg(long, default_value_t = 365, value_parser = parse_days)]
        days: u64,
    },
    /// Issue one more certificate from the CA in tls.cert_dir (a new node, or a rotation).
    Issue {
        /// The cluster file.
        #[arg(long)]
        cluster: PathBuf,
        /// The node to issue for.
        #[arg(long, conflicts_with = "operator")]
        node: Option<u64>,
        /// Issue the operator certificate.
        #[arg(long, conflicts_with = "principal")]
        operator: bool,
        /// Issue an API client certificate for this principal (with --role):
        /// it logs in to the HTTPS API instead of a token.
        #[arg(long, conflicts_with = "node", requires = "roles")]
        principal: Option<String>,
        /// A role of --principal (repeat for several), as for `cordon token issue`.
        #[arg(long = "role", value_parser = parse_role)]
        roles: Vec<Role>,
        /// Validity in days (1 to 36500).
        #[arg(long, default_value_t = 365, conflicts_with = "valid_for", value_parser = parse_days)]
        days: u64,
        /// Validity as a number and a unit: `30s`, `10m`, `12h` or `90d`
        /// (short ones are for expiry drills).
        #[arg(long, value_parser = parse_validity)]
        valid_for: Option<Duration>,
    },
}

/// Certificates may not outlive this (100 years), so `--valid-for` cannot
/// overflow the certificate's date.
const CERT_VALID_FOR_S_MAX: u64 = 100 * 365 * 86_400;

/// `--days`: a whole number of days from 1 to 36500 (100 years), so a
/// certificate is never expired at issue and its end date cannot overflow.
fn parse_days(text: &str) -> Result<u64, String> {
    let days: u64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a whole number of days: write e.g. 365"))?;
    match days {
        0 => Err(
            "0 days would be expired at issue: give at least 1 (or --valid-for 30s for drills)"
                .into(),
        ),
        days if days
            .checked_mul(86_400)
            .is_none_or(|seconds| seconds > CERT_VALID_FOR_S_MAX) =>
        {
            Err(format!("{days} days is over 100 years: give at most 36500"))
        }
        days => Ok(days),
    }
}

/// `--valid-for`: a whole number followed by `s`, `m`, `h` or `d`.
fn parse_validity(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("{text:?} has no unit: write e.g. 30s, 10m, 12h or 90d"))?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| {
        format!("{text:?} does not start with a whole number: write e.g. 30s or 90d")
    })?;
    let unit_s = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        other => {
            return Err(format!(
                "unknown unit {other:?} in {text:?}: use s, m, h or d (e.g. 30s, 90d)"
            ))
        }
    };
    let seconds = number.saturating_mul(unit_s);
    if seconds == 0 {
        return Err(format!("{text:?} is no validity at all: give at least 1s"));
    }
    if seconds > CERT_VALID_FOR_S_MAX {
        return Err(format!("{text:?} is over 100 years: give at most 36500d"));
    }
    Ok(Duration::from_secs(seconds))
}

#[derive(Debug, Subcommand)]
enum CtlCommand {
    /// Members, leader, term, indexes and replication lag.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change the membership.
    #[command(subcommand)]
    Members(MembersCommand),
    /// Move every actor off a node and keep them off (before maintenance).
    Drain {
        /// The node id.
        id: u64,
    },
    /// Let actors return to a drained node.
    Undrain {
        /// The node id.
        id: u64,
    },
    /// Build a snapshot on a node now.
    Snapshot {
        /// The node id.
        id: u64,
    },
    /// Move Raft leadership to a node (it campaigns; it wins if its log is current).
    TransferLeader {
        /// The node id.
        id: u64,
    },
    /// The operator audit log: token issue and revoke, draining, retired
    /// node ids, membership changes and drills, with who did each.
    Audit {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Exit 0 when every node answers, agrees on the leader and has caught up.
    Ready {
        /// Wait up to this many seconds.
        #[arg(long, default_value_t = 30)]
        timeout: u64,
        /// Entries a node may lag behind the commit index and still count as caught up.
        #[arg(long, default_value_t = 100)]
        lag_max: u64,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Issue a token; prints it once (only its hash is kept).
    Issue {
        /// Who it is for (1-64 of A-Z a-z 0-9 - _ . @), e.g. dispatcher-li.
        #[arg(long)]
        principal: String,
        /// A role (repeat for several): reporter:<channel>, dispatcher,
        /// commander, station:<station id>, field:<unit id>, operator,
        /// drill, viewer.
        #[arg(long = "role", required = true, value_parser = parse_role)]
        roles: Vec<Role>,
        /// Hours until it expires (1 to 9600, i.e. 400 days); a shift by default.
        #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u64).range(1..=9_600))]
        hours: u64,
    },
    /// Every token: id, principal, roles, issuer, expiry, revocation.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token cluster-wide, at once.
    Revoke {
        /// The token id (16 hex digits, as `token list` shows it).
        id: String,
        /// Why.
        #[arg(long, default_value = "revoked by an operator")]
        reason: String,
    },
}

fn parse_role(text: &str) -> Result<Role, String> {
    text.parse()
}

#[derive(Debug, Subcommand)]
enum MembersCommand {
    /// Add a node of the cluster file as a learner (it replicates, does not vote).
    AddLearner {
        /// The node id.
        id: u64,
    },
    /// Make a learner a voter.
    Promote {
        /// The node id.
        id: u64,
    },
    /// Remove a node for good (its id is never reused).
    Remove {
        /// The node id.
        id: u64,
    },
}

#[derive(Debug, Args)]
struct ApiTarget {
    /// API base URLs (repeat or comma-separate), e.g. http://127.0.0.1:7180.
    #[arg(long, value_delimiter = ',')]
    api: Vec<String>,
    /// A cluster file whose nodes' API addresses to use.
    #[arg(long)]
    cluster: Option<PathBuf>,
    /// The bearer token to send (`cordon token issue` prints one).
    #[arg(long, env = "CORDON_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The CA that signed the API's certificates (default with --cluster:
    /// the cluster file's tls.ca_cert).
    #[arg(long)]
    ca_cert: Option<PathBuf>,
    /// With --cluster: the nodes serve plain HTTP (started with --insecure-http).
    #[arg(long)]
    insecure_http: bool,
}

impl ApiTarget {
    /// The cluster file's data folder, with --cluster.
    fn data_dir(&self) -> anyhow::Result<Option<PathBuf>> {
        Ok(self
            .cluster_config()?
            .map(|cluster| cluster.file().data_dir.clone()))
    }

    /// The cluster file, with --cluster.
    fn cluster_config(&self) -> anyhow::Result<Option<ClusterConfig>> {
        self.cluster
            .as_deref()
            .map(ClusterConfig::load)
            .transpose()
            .map_err(Into::into)
    }

    fn client(&self, deadline: Duration) -> anyhow::Result<ApiClient> {
        let mut urls = self.api.clone();
        let mut ca = None;
        if let Some(path) = &self.cluster {
            let cluster = ClusterConfig::load(path)?;
            let scheme = if self.insecure_http { "http" } else { "https" };
            urls.extend(
                cluster
                    .nodes()
                    .iter()
                    .map(|n| format!("{scheme}://{}", n.api_addr)),
            );
            ca = Some(cluster.tls().ca_cert.clone());
        }
        if let Some(path) = &self.ca_cert {
            ca = Some(path.clone());
        }
        if urls.is_empty() {
            urls.push("http://127.0.0.1:7180".into());
        }
        let mut client = ApiClient::new(urls, deadline)?;
        if let Some(ca) = ca {
            client = client.with_ca(&ca)?;
        }
        Ok(match &self.token {
            Some(token) => client.with_token(token),
            None => client,
        })
    }
}

#[derive(Debug, Subcommand)]
enum IncidentCommand {
    /// Report an incident; prints its id once committed.
    Report {
        #[command(flatten)]
        target: ApiTarget,
        /// Kind: theft, assault, disturbance, crowd_crush, medical, fire,
        /// traffic_accident, missing_person, suspicious_object, extreme_act, hazard, other
        /// (default: the channel's, see `GET /v1/channels`; a 110 call must name one).
        #[arg(long)]
        kind: Option<String>,
        /// Location as LAT,LON (WGS-84), e.g. 31.2394,121.4760.
        #[arg(long, allow_hyphen_values = true)]
        at: String,
        /// Priority 0-10 (default: the channel's; raised to the channel's floor).
        #[arg(long)]
        priority: Option<u8>,
        /// Force level 0-10.
        #[arg(long, default_value_t = 1)]
        force_level: u8,
        /// Channel: emergency_call, community_report, risk_warning, partner_feed,
        /// safe_house_alarm.
        #[arg(long, default_value = "emergency_call")]
        channel: String,
        /// Free text.
        #[arg(long)]
        description: Option<String>,
        /// Request id (default: a fresh one; reuse it to retry safely).
        #[arg(long)]
        request_id: Option<String>,
    },
    /// Show an incident with its timeline.
    Get {
        #[command(flatten)]
        target: ApiTarget,
        /// The incident id, e.g. I-000042.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
enum RosterCommand {
    /// Load a roster file (CSV: id,name,role,team,area,contact,skills,shifts,available):
    /// its members are added, or replaced by id; a bad row loads nothing.
    Import {
        #[command(flatten)]
        target: ApiTarget,
        /// The roster file.
        file: PathBuf,
    },
    /// Print the roster as a roster file (CSV).
    Export {
        #[command(flatten)]
        target: ApiTarget,
    },
}

/// Parses `LAT,LON`.
pub fn parse_lat_lon(text: &str) -> anyhow::Result<(f64, f64)> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    let [lat, lon] = parts.as_slice() else {
        bail!("--at {text:?} is not LAT,LON: write e.g. --at 31.2394,121.4760");
    };
    let lat: f64 = lat
        .parse()
        .with_context(|| format!("latitude {lat:?} is not a number"))?;
    let lon: f64 = lon
        .parse()
        .with_context(|| format!("longitude {lon:?} is not a number"))?;
    Ok((lat, lon))
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let service = match &cli.command {
        Commands::Run { node, cluster, .. } => telemetry::Service {
            instance: Some(format!("node-{node}")),
            // The cluster file is read (and its errors reported) again
            // when the node starts; here only its name is wanted.
            namespace: cordon_config::ClusterConfig::load(cluster)
                .ok()
                .map(|config| config.name().to_owned()),
        },
        _ => telemetry::Service::default(),
    };
    if !matches!(cli.command, Commands::Run { .. } | Commands::Demo { .. }) {
        die_quietly_on_closed_stdout();
    }
    let telemetry = telemetry::init(cli.log_json, &service);
    crate::memory::tune_allocator();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(dispatch(cli.command));
    drop(runtime);
    telemetry.shutdown();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Restores SIGPIPE's default for commands that print and end (ctl,
/// incident, certs, bench): `cordon ctl status --json | head` then ends
/// quietly when `head` closes the pipe, as Unix tools do, instead of
/// panicking in `println!` (Rust starts with SIGPIPE ignored). Not for
/// `run` and `demo`, which own sockets and child processes and must shut
/// down in order whatever happens to their stdout.
#[allow(unsafe_code)] // reason: setting a signal's disposition needs libc::signal
fn die_quietly_on_closed_stdout() {
    // SAFETY: called before any other thread exists; SIG_DFL installs no
    // handler code.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

async fn dispatch(command: Commands) -> anyhow::Result<()> {
    match command {
        Commands::Certs(command) => certs(command),
        Commands::Run {
            cluster,
            node,
            drills,
            insecure_http,
        } => server::run(&cluster, node, drills, insecure_http).await,
        Commands::Demo {
            nodes,
            seed,
            rate,
            duration,
            keep,
        } => {
            demo::run(demo::DemoOptions {
                nodes,
                seed,
                rate,
                duration: duration.map(Duration::from_secs),
                keep,
            })
            .await
        }
        Commands::Ctl { cluster, command } => ctl_command(&cluster, command).await,
        Commands::Token { cluster, command } => token_command(cluster, command).await,
        Commands::Incident(command) => incident(command).await,
        Commands::Roster(command) => roster(command).await,
        Commands::Bench(args) => bench_command(args).await,
        Commands::Replay(args) => replay_command(&args),
        Commands::Forecast(command) => crate::forecast_cli::run(command),
    }
}

/// `cordon bench`: the write path by concurrency level, or dispatch by
/// offered rate.
async fn bench_command(args: BenchArgs) -> anyhow::Result<()> {
    if let Some(units) = args.routing_units {
        return bench_routing(units, args.seed, args.json);
    }
    if let Some(kills) = args.failover_kills {
        return bench_failover(kills, args.failover_nodes, args.json).await;
    }
    if args.busy_ring_four && args.dispatch_rates.is_empty() {
        bail!("--busy-ring-four measures dispatch: give it --dispatch-rates too, e.g. --dispatch-rates 5,20 --busy-ring-four");
    }
    let clients = &args.clients;
    if clients.is_empty() || clients.iter().any(|c| *c == 0 || *c > 1_024) {
        bail!("--clients {clients:?}: use levels from 1 to 1024, e.g. 1,16,64");
    }
    let raw_bytes = args.raw_bytes;
    if !(1..=BENCH_NOTE_BYTES_MAX).contains(&raw_bytes) {
        bail!("--raw-bytes {raw_bytes}: use 1 to {BENCH_NOTE_BYTES_MAX} bytes, e.g. 256");
    }
    if let Some(url) = &args.etcd {
        return bench_etcd(url, clients, args.requests, raw_bytes, args.json).await;
    }
    if !args.growth_nodes.is_empty() {
        return bench_growth(&args).await;
    }
    if let Some(incidents) = args.growth_incidents {
        return bench_history(&args, incidents).await;
    }
    let client = args.target.client(Duration::from_secs(15))?;
    if args.dispatch_rates.is_empty() {
        bench_writes(&args, &client).await
    } else {
        bench_dispatch(&args, client).await
    }
}

/// `cordon replay`: the policies compared on one seeded load.
fn replay_command(args: &ReplayArgs) -> anyhow::Result<()> {
    if args.layout {
        crate::replay::print_layout(&cordon_config::District::embedded());
        return Ok(());
    }
    let profile: cordon_load::LoadProfile = args.profile.parse().map_err(|error| {
        anyhow!(
            "--profile {}: {error} (use ordinary or new-year)",
            args.profile
        )
    })?;
    let start: cordon_load::ClockTime = args
        .start
        .parse()
        .map_err(|error| anyhow!("--start {}: {error} (write HH:MM, e.g. 20:00)", args.start))?;
    if !(1..=cordon_load::LOAD_MINUTES_MAX).contains(&args.minutes) {
        bail!(
            "--minutes {}: replay 1 to {} minutes",
            args.minutes,
            cordon_load::LOAD_MINUTES_MAX
        );
    }
    if args.policies.is_empty() {
        bail!(
            "--policies: name at least one of closest-idle, coverage-aware, coverage-aware-move-up"
        );
    }
    let scenario = crate::replay::Scenario {
        profile,
        seed: args.seed,
        start,
        minutes: args.minutes,
        rate_scale: args.rate_scale,
    };
    let district = cordon_config::District::embedded();
    if args.seeds != 1 {
        return replay_seeds(args, &district, &scenario);
    }
    let report = crate::replay::run(&district, &scenario, &args.policies)?;
    if let Some(path) = &args.svg {
        std::fs::write(path, crate::replay::svg(&report))
            .with_context(|| format!("write the plot to {}", path.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        crate::replay::print(&report);
    }
    Ok(())
}

/// `cordon replay --seeds N`: the same scenario over N seeds, with spread.
fn replay_seeds(
    args: &ReplayArgs,
    district: &cordon_config::District,
    scenario: &crate::replay::Scenario,
) -> anyhow::Result<()> {
    if !(1..=100).contains(&args.seeds) {
        bail!("--seeds {}: replay 1 to 100 seeds", args.seeds);
    }
    if args.svg.is_some() {
        bail!("--svg draws one seed's replay: drop --seeds, or pass --seeds 1");
    }
    let mut reports = Vec::new();
    for offset in 0..u64::from(args.seeds) {
        let seeded = crate::replay::Scenario {
            seed: scenario.seed + offset,
            ..scenario.clone()
        };
        reports.push(crate::replay::run(district, &seeded, &args.policies)?);
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        crate::replay::print_spread(&reports);
    }
    Ok(())
}

/// `cordon bench --routing-units N`: travel-time queries, no cluster.
fn bench_routing(units: usize, seed: u64, json: bool) -> anyhow::Result<()> {
    if !(1..=10_000_000).contains(&units) {
        bail!("--routing-units {units}: place 1 to 10000000 units, e.g. 100000");
    }
    let run = bench::routing::run(units, seed);
    if json {
        println!("{}", serde_json::to_string_pretty(&run)?);
    } else {
        bench::routing::print(&run);
    }
    Ok(())
}

/// `cordon bench --dispatch-rates R,...`: report to first attention.
async fn bench_dispatch(args: &BenchArgs, client: ApiClient) -> anyhow::Result<()> {
    let rates = &args.dispatch_rates;
    if rates.iter().any(|r| !(*r > 0.0 && *r <= 5_000.0)) {
        bail!("--dispatch-rates {rates:?}: use rates above 0 and at most 5000 per second");
    }
    let seconds = Duration::from_secs(args.dispatch_seconds);
    let results = bench::dispatch(client, rates, seconds, args.seed, args.busy_ring_four).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    } else {
        bench::print_dispatch_table(&results);
    }
    Ok(())
}

/// `cordon bench [--raw]`: the floor, then reports (or notes) by level.
async fn bench_writes(args: &BenchArgs, client: &ApiClient) -> anyhow::Result<()> {
    let floor_dir = args.floor_dir.clone().or(args.target.data_dir()?);
    // The operator's connection: the raw notes need it; the floor only
    // pings through it, and reads `/metrics` without it.
    let operator = args
        .target
        .cluster_config()?
        .map(|cluster| ctl::Operator::connect(cluster).map(Arc::new));
    if let Some(Err(error)) = &operator {
        eprintln!("no pings in the floor, using /metrics: {error:#}");
    }
    let floor = bench_floor(
        client,
        operator
            .as_ref()
            .and_then(|connected| connected.as_deref().ok()),
        floor_dir.as_deref(),
        args.floor_entry_bytes,
    )
    .await?;
    let term_before = bench::cluster_status(client).await.map(|s| s.term);
    let levels = if args.raw {
        let operator = operator.ok_or_else(|| {
            anyhow!("--raw writes with the operator certificate: give --cluster FILE")
        })??;
        bench::raw::run(operator, &args.clients, args.requests, args.raw_bytes).await?
    } else {
        bench::run(client.clone(), &args.clients, args.requests, args.seed).await?
    };
    let term_after = bench::cluster_status(client).await.map(|s| s.term);
    let elections = term_before
        .zip(term_after)
        .map(|(before, after)| after.saturating_sub(before));
    let mut run = bench::BenchRun {
        what: if args.raw { "notes" } else { "reports" },
        floor,
        levels,
        elections,
    };
    run.relate_to_floor();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&run)?);
    } else {
        bench::print_table(&run);
    }
    Ok(())
}

/// `cordon bench --etcd URL`: the write levels against an etcd cluster.
async fn bench_etcd(
    url: &str,
    clients: &[usize],
    requests: usize,
    value_bytes: usize,
    json: bool,
) -> anyhow::Result<()> {
    let levels = bench::etcd::run(url, clients, requests, value_bytes).await?;
    let run = bench::BenchRun {
        what: "puts",
        floor: None,
        levels,
        elections: None,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&run)?);
    } else {
        bench::print_table(&run);
    }
    Ok(())
}

/// This binary (to start local nodes with) and a temporary folder for
/// their files, removed when dropped.
fn local_bench_folder(prefix: &str) -> anyhow::Result<(PathBuf, tempfile::TempDir)> {
    let binary = std::env::current_exe().context("find this binary to start the nodes")?;
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .context("make a temporary folder")?;
    Ok((binary, dir))
}

/// `cordon bench --growth-nodes 3,5,7`: local clusters in a temporary folder.
async fn bench_growth(args: &BenchArgs) -> anyhow::Result<()> {
    let sizes = &args.growth_nodes;
    if sizes.iter().any(|n| !(1..=9).contains(n)) {
        bail!("--growth-nodes {sizes:?}: use cluster sizes from 1 to 9, e.g. 3,5,7");
    }
    let [clients] = args.clients[..] else {
        bail!("--growth-nodes measures one level: give one --clients value, e.g. --clients 16");
    };
    let (binary, dir) = local_bench_folder("cordon-growth-")?;
    let levels = bench::growth::growth(
        &binary,
        dir.path(),
        sizes,
        clients,
        args.requests,
        args.raw_bytes,
    )
    .await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&levels)?);
    } else {
        bench::growth::print_growth(&levels);
    }
    Ok(())
}

/// `cordon bench --growth-incidents N`: a local cluster in a temporary folder.
async fn bench_history(args: &BenchArgs, incidents: u64) -> anyhow::Result<()> {
    if !(10..=10_000_000).contains(&incidents) {
        bail!("--growth-incidents {incidents}: use 10 to 10000000 incidents, e.g. 1000000");
    }
    let [clients] = args.clients[..] else {
        bail!("--growth-incidents drives one level: give one --clients value, e.g. --clients 64");
    };
    let (binary, dir) = local_bench_folder("cordon-history-")?;
    let bench = bench::history::history(&binary, dir.path(), incidents, clients).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&bench)?);
    } else {
        bench::history::print_history(&bench);
    }
    Ok(())
}

/// `cordon bench --failover-kills N`: on a local cluster in a temporary folder.
async fn bench_failover(kills: usize, nodes: usize, json: bool) -> anyhow::Result<()> {
    if !(1..=1_000).contains(&kills) {
        bail!("--failover-kills {kills}: use 1 to 1000 kills, e.g. 20");
    }
    if !(3..=7).contains(&nodes) {
        bail!("--failover-nodes {nodes}: use 3 to 7 nodes (a kill must leave a majority)");
    }
    let (binary, dir) = local_bench_folder("cordon-failover-")?;
    let run = bench::failover::failover(&binary, dir.path(), nodes, kills).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&run)?);
    } else {
        bench::failover::print_failover(&run);
    }
    Ok(())
}

/// Measures the floor on `dir` (none without a folder): its `fdatasync`, and
/// a QUIC round trip timed by pings with `operator` (else read from the
/// first node's `/metrics`).
async fn bench_floor(
    client: &ApiClient,
    operator: Option<&ctl::Operator>,
    dir: Option<&Path>,
    entry_bytes: usize,
) -> anyhow::Result<Option<bench::floor::Floor>> {
    let Some(dir) = dir else {
        eprintln!(
            "no floor measured: give --floor-dir (a folder on the nodes' data disk) or --cluster"
        );
        return Ok(None);
    };
    if !(1..=1024 * 1024).contains(&entry_bytes) {
        bail!("--floor-entry-bytes {entry_bytes}: use 1 to 1048576 bytes");
    }
    let floor = bench::floor::measure(client, operator, dir, entry_bytes)
        .await
        .with_context(|| format!("measure fdatasync in {} (--floor-dir)", dir.display()))?;
    Ok(Some(floor))
}

fn certs(command: CertsCommand) -> anyhow::Result<()> {
    match command {
        CertsCommand::Api { cluster, days } => {
            let config = ClusterConfig::load(&cluster)?;
            let dir = config.tls().cert_dir.clone();
            tls::issue_api_certs(&config, &dir, Duration::from_secs(days * 86_400))?;
            println!(
                "wrote the API certificates of {} nodes to {}",
                config.nodes().len(),
                dir.display()
            );
            Ok(())
        }
        CertsCommand::Init { cluster, out, days } => {
            let config = ClusterConfig::load(&cluster)?;
            let out = out.unwrap_or_else(|| config.tls().cert_dir.clone());
            if out != config.tls().cert_dir {
                eprintln!(
                    "note: writing to {} but the cluster file's tls.cert_dir is {}; nodes read the latter",
                    out.display(),
                    config.tls().cert_dir.display()
                );
            }
            refuse_to_overwrite(&tls::CertPaths::ca_cert(&out))?;
            let ids: Vec<u64> = config.nodes().iter().map(|n| n.id).collect();
            let valid_for = Duration::from_secs(days * 86_400);
            tls::generate_cluster_certs(config.name(), &ids, &out, valid_for)?;
            tls::issue_api_certs(&config, &out, valid_for)?;
            println!(
                "wrote the cluster CA, {} node certificates, their API (HTTPS) certificates and \
                 the operator certificate to {}",
                ids.len(),
                out.display()
            );
            println!("keep ca.key offline once every certificate is issued");
            Ok(())
        }
        CertsCommand::Issue {
            cluster,
            node,
            operator,
            principal,
            roles,
            days,
            valid_for,
        } => {
            let config = ClusterConfig::load(&cluster)?;
            let valid_for = valid_for.unwrap_or(Duration::from_secs(days * 86_400));
            if let Some(name) = principal {
                return issue_client_cert(&config, &name, &roles, valid_for);
            }
            let holder = match (node, operator) {
                (Some(id), false) => PeerIdentity::Node(id),
                (None, true) => PeerIdentity::Operator,
                _ => bail!(
                    "say whom to issue for: --node ID, --operator or --principal NAME --role ROLE"
                ),
            };
            tls::issue_from_ca_files(config.name(), holder, &config.tls().cert_dir, valid_for)?;
            println!(
                "issued a certificate for {holder} in {}, valid for {} s",
                config.tls().cert_dir.display(),
                valid_for.as_secs()
            );
            Ok(())
        }
    }
}

/// `cordon certs issue --principal NAME --role ROLE`: an API client certificate.
fn issue_client_cert(
    config: &ClusterConfig,
    name: &str,
    roles: &[Role],
    valid_for: Duration,
) -> anyhow::Result<()> {
    if !cordon_consensus::ledger::access::name_is_valid(name) {
        bail!("--principal {name:?}: use 1-64 characters of A-Z, a-z, 0-9, '-', '_', '.', '@'");
    }
    let roles: Vec<String> = roles.iter().map(ToString::to_string).collect();
    let (cert, key) = tls::issue_client_cert(
        config.name(),
        name,
        &roles,
        &config.tls().cert_dir,
        valid_for,
    )?;
    println!(
        "issued a client certificate for {name} ({}) valid for {} s: {} and {} (give both to its holder; the key stays secret)",
        roles.join(", "),
        valid_for.as_secs(),
        cert.display(),
        key.display()
    );
    Ok(())
}

fn refuse_to_overwrite(ca: &Path) -> anyhow::Result<()> {
    if ca.exists() {
        bail!(
            "{} exists: a new CA would lock out every node; use `cordon certs issue` for one more certificate, or remove the folder first",
            ca.display()
        );
    }
    Ok(())
}

#[expect(clippy::too_many_lines, reason = "predates the line limit")]
async fn ctl_command(cluster: &Path, command: CtlCommand) -> anyhow::Result<()> {
    let operator = ctl::Operator::connect(ClusterConfig::load(cluster)?)?;
    match command {
        CtlCommand::Status { json } => {
            let views = operator.statuses().await;
            if json {
                let values: Vec<_> = views
                    .iter()
                    .map(|(id, view)| match view {
                        Ok(status) => serde_json::to_value(status).unwrap_or_default(),
                        Err(error) => {
                            serde_json::json!({ "node_id": id, "error": format!("{error:#}") })
                        }
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&values)?);
            } else {
                ctl::print_status(&views);
            }
            if views.iter().all(|(_, view)| view.is_err()) {
                bail!("no node answered");
            }
            Ok(())
        }
        CtlCommand::Drain { id } => {
            let index = operator.set_drained(id, true).await?;
            println!("node {id} drained at log index {index}; its actors move to other nodes");
            Ok(())
        }
        CtlCommand::Undrain { id } => {
            let index = operator.set_drained(id, false).await?;
            println!(
                "node {id} undrained at log index {index}; actors may return after the hysteresis"
            );
            Ok(())
        }
        CtlCommand::Snapshot { id } => {
            println!("{}", operator.admin(id, AdminOp::TriggerSnapshot).await?);
            Ok(())
        }
        CtlCommand::TransferLeader { id } => {
            operator.transfer_leader(id).await?;
            println!("node {id} is the leader");
            Ok(())
        }
        CtlCommand::Audit { json } => {
            let LedgerAnswer::OperatorAudit(entries) =
                operator.read(LedgerQuery::OperatorAudit).await?
            else {
                bail!("the node answered another query");
            };
            let log = crate::wire::audit_log(&entries);
            if json {
                println!("{}", serde_json::to_string_pretty(&log)?);
            } else {
                ctl::print_audit(&entries, log.verified);
            }
            if !log.verified {
                bail!("the operator audit log's hash chain does not verify");
            }
            Ok(())
        }
        CtlCommand::Ready { timeout, lag_max } => {
            let give_up = std::time::Instant::now() + Duration::from_secs(timeout);
            loop {
                let (ready, why) = operator.ready(lag_max).await;
                if ready {
                    println!("{why}");
                    return Ok(());
                }
                if std::time::Instant::now() >= give_up {
                    bail!("not ready after {timeout} s: {why}");
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
        CtlCommand::Members(change) => {
            let change = match change {
                MembersCommand::AddLearner { id } => operator.add_learner_change(id)?,
                MembersCommand::Promote { id } => MembershipChange::Promote { node_id: id },
                MembersCommand::Remove { id } => MembershipChange::Remove { node_id: id },
            };
            let index = operator.change(change.clone()).await?;
            println!("membership change {change:?} committed at log index {index}");
            Ok(())
        }
    }
}

async fn token_command(cluster: Option<PathBuf>, command: TokenCommand) -> anyhow::Result<()> {
    let Some(cluster) = cluster else {
        bail!("give the cluster file: cordon token issue --cluster cluster.toml ...");
    };
    let operator = ctl::Operator::connect(ClusterConfig::load(&cluster)?)?;
    match command {
        TokenCommand::Issue {
            principal,
            roles,
            hours,
        } => {
            let lifetime = Duration::from_secs(hours * 3_600);
            let issued = operator.issue_token(&principal, roles, lifetime).await?;
            eprintln!(
                "token {} for {principal} issued at log index {}, expires at {} (Unix ms); \
                 it is shown once, here:",
                issued.id, issued.index, issued.expires_at_ms
            );
            println!("{}", issued.text);
            Ok(())
        }
        TokenCommand::List { json } => {
            let LedgerAnswer::Tokens(tokens) = operator.read(LedgerQuery::Tokens).await? else {
                bail!("the node answered another query");
            };
            if json {
                let rows: Vec<_> = tokens.iter().map(ctl::token_row).collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                ctl::print_tokens(&tokens);
            }
            Ok(())
        }
        TokenCommand::Revoke { id, reason } => {
            let index = operator.revoke_token(&id, &reason).await?;
            println!("token {id} revoked at log index {index}: every node refuses it from this commit on");
            Ok(())
        }
    }
}

async fn roster(command: RosterCommand) -> anyhow::Result<()> {
    match command {
        RosterCommand::Import { target, file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("read the roster file {}", file.display()))?;
            let committed: cordon_api::incidents::Committed = target
                .client(Duration::from_secs(15))?
                .post_csv("/v1/roster", &text, 0)
                .await?;
            println!("{}", serde_json::to_string_pretty(&committed)?);
            Ok(())
        }
        RosterCommand::Export { target } => {
            let csv: String = target
                .client(Duration::from_secs(15))?
                .get("/v1/roster/csv", 0)
                .await?;
            print!("{csv}");
            Ok(())
        }
    }
}

async fn incident(command: IncidentCommand) -> anyhow::Result<()> {
    match command {
        IncidentCommand::Report {
            target,
            kind,
            at,
            priority,
            force_level,
            channel,
            description,
            request_id,
        } => {
            let (lat, lon) = parse_lat_lon(&at)?;
            let report = ReportIncident {
                request_id: Some(
                    request_id.unwrap_or_else(|| format!("cli-{:032x}", rand::random::<u128>())),
                ),
                kind,
                priority,
                force_level: Some(force_level),
                lat,
                lon,
                channel: Some(channel),
                description,
            };
            let reported = target
                .client(Duration::from_secs(15))?
                .report(&report, 0)
                .await?;
            println!("{}", serde_json::to_string_pretty(&reported)?);
            Ok(())
        }
        IncidentCommand::Get { target, id } => {
            let incident = target
                .client(Duration::from_secs(15))?
                .get::<cordon_api::incidents::Incident>(&format!("/v1/incidents/{id}"), 0)
                .await?;
            println!("{}", serde_json::to_string_pretty(&incident)?);
            Ok(())
        }
    }
}
