//! `cordon demo`: a local cluster ([`LocalProcesses`]) of N nodes with the
//! embedded district, its drill control ([`DrillControl`]) and a steady
//! synthetic incident feed, while simulated units play the field. SIGINT,
//! SIGTERM or the end of `--duration` stops the nodes and removes the
//! folder (unless `--keep`).

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use cordon_api::cluster::ClusterStatus;
use cordon_api::incidents::{CloseIncident, Committed, Incident, IncidentList};
use cordon_api::units::{Unit, UnitList, UnitStatusUpdate};
use cordon_config::district::District;
use cordon_load::{CrowdFeed, SteadyReports};
use tokio::signal::unix::{signal, Signal, SignalKind};

use crate::client::ApiClient;
use crate::drill_control::DrillControl;
use crate::local_cluster::{wait_ready, LocalClusterOptions, LocalProcesses};

/// Prints a line, ignoring a closed stdout (`cordon demo | head`, or a
/// harness that stopped reading): the demo must still stop its nodes and
/// remove its folder, which a panic on the write would skip.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// Incidents the demo reports per second unless told otherwise.
pub const DEMO_RATE_PER_S: f64 = 5.0;

/// Demo settings from the command line.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// Cluster size.
    pub nodes: usize,
    /// Seed of the incident feed.
    pub seed: u64,
    /// Incidents per second.
    pub rate: f64,
    /// Stop after this long; run until a signal when absent.
    pub duration: Option<Duration>,
    /// Keep the folder (logs, data) after stopping.
    pub keep: bool,
}

impl DemoOptions {
    fn validate(&self) -> anyhow::Result<()> {
        if self.nodes == 0 || self.nodes > 9 {
            bail!("--nodes {} is out of range: use 1 to 9", self.nodes);
        }
        if !(self.rate >= 0.0 && self.rate <= 5_000.0) {
            bail!(
                "--rate {} is out of range: use 0 (no synthetic feed) to 5000 incidents per second",
                self.rate
            );
        }
        Ok(())
    }
}

/// Runs the demo until `--duration` ends or SIGINT, SIGTERM or SIGHUP
/// arrives (whichever is first, also while the nodes are starting), then
/// stops the nodes and removes the folder unless `--keep`.
pub async fn run(options: DemoOptions) -> anyhow::Result<()> {
    options.validate()?;
    let reports = SteadyReports::new(
        &District::embedded(),
        options.seed,
        &format!("demo-{}", options.seed),
    )
    .context("plan the demo's incident feed")?;
    let mut stop = StopSignals::install(options.duration)?;
    let dir = tempfile::Builder::new()
        .prefix("cordon-demo-")
        .tempdir()
        .context("create a temporary folder")?;
    let started = tokio::select! {
        started = start(&options, dir.path()) => Some(started?),
        reason = stop.stop_requested() => {
            say!("stopping the demo while it starts ({reason})");
            None
        }
    };
    if let Some((control, client, crowd)) = started {
        let counts = CrowdFeed::new(&District::embedded(), options.seed);
        let reason = tokio::select! {
            () = feed(&client, reports, options.rate) => "the feed ended",
            () = crowd_loop(crowd, counts) => "the crowd feed ended",
            reason = stop.stop_requested() => reason,
        };
        say!("stopping the demo cluster ({reason})");
        print_final_state(&client).await;
        control.processes().lock().await.stop();
    }
    if options.keep {
        let kept = dir.keep();
        say!("kept {}", kept.display());
    }
    Ok(())
}

/// Starts the cluster with its drill control, waits for a leader and
/// prints how to reach it. Dropping what it returns stops the nodes.
async fn start(
    options: &DemoOptions,
    dir: &Path,
) -> anyhow::Result<(DrillControl, ApiClient, ApiClient)> {
    let binary = std::env::current_exe().context("find the cordon binary")?;
    let cluster = LocalClusterOptions {
        drills: true,
        ..LocalClusterOptions::new(&binary, dir, options.nodes)
    };
    // The demo dispatches as the replay says works best: coverage-aware
    // choice and move-ups, approved automatically so the map shows them.
    let control = LocalProcesses::start_with_drill_control(cluster, |file| {
        file.actors.dispatch_policy = cordon_config::DispatchPolicy::CoverageAware;
        file.actors.move_up = cordon_config::MoveUpApproval::Automatic;
    })
    .await?;
    let urls = control.processes().lock().await.api_urls();
    let client = ApiClient::new(urls, Duration::from_secs(10))?;
    let leader = wait_ready(&client, Duration::from_secs(30)).await?;
    let tokens = issue_demo_tokens(&control).await?;
    load_roster(&client, &tokens).await?;
    print_banner(options, &control, leader, dir, &tokens).await;
    // The feed reports from the 110 gateway and moves units as a dispatcher would.
    let feed_token = tokens
        .iter()
        .find(|(name, _, _)| *name == DEMO_FEED_PRINCIPAL)
        .map(|(_, _, token)| token.as_str())
        .context("the feed's token was issued")?;
    let crowd_token = tokens
        .iter()
        .find(|(name, _, _)| *name == DEMO_CROWD_PRINCIPAL)
        .map(|(_, _, token)| token.as_str())
        .context("the crowd feed's token was issued")?;
    let crowd = client.clone().with_token(crowd_token);
    Ok((control, client.with_token(feed_token), crowd))
}

/// Loads the embedded district's roster of people as the demo's commander.
async fn load_roster(client: &ApiClient, tokens: &[(&str, &str, String)]) -> anyhow::Result<()> {
    let commander = tokens
        .iter()
        .find(|(_, role, _)| *role == "commander")
        .map(|(_, _, token)| token.as_str())
        .context("the commander's token was issued")?;
    let _: cordon_api::incidents::Committed = client
        .clone()
        .with_token(commander)
        .post_csv(
            "/v1/roster",
            cordon_config::district::EMBEDDED_ROSTER_CSV,
            0,
        )
        .await
        .context("load the district's roster of people")?;
    Ok(())
}

/// The unit whose crew the demo's `officer-zhang` token plays on the field
/// screen; the simulated field never moves it.
const DEMO_FIELD_UNIT: &str = "bund-1-a";
/// That crew's role.
const DEMO_FIELD_ROLE: &str = "field:bund-1-a";

/// The principal the demo's synthetic feed and simulated field act as.
const DEMO_FEED_PRINCIPAL: &str = "demo-feed";
/// The principal the demo's synthetic crowd counts come from.
const DEMO_CROWD_PRINCIPAL: &str = "risk-platform";
/// Days of crowd counts the demo backfills at start, so forecasts have a
/// history: the ledger keeps 8 days of minutes, older ones as hourly means.
const CROWD_BACKFILL_DAYS: u64 = 15;
/// Readings per batch (what fits in the default 64 KiB body).
const CROWD_BATCH_READINGS: usize = 800;

/// One principal per role, each with its token, printed by the banner:
/// (name, role, token).
async fn issue_demo_tokens(
    control: &DrillControl,
) -> anyhow::Result<Vec<(&'static str, &'static str, String)>> {
    let principals = [
        ("commander-qian", "commander"),
        ("dispatcher-li", "dispatcher"),
        ("bund-room", "station:bund"),
        ("officer-zhang", DEMO_FIELD_ROLE),
        ("gateway-110", "reporter:emergency_call"),
        ("operator-wang", "operator"),
        ("drill-team", "drill"),
        ("viewer-wu", "viewer"),
        (DEMO_FEED_PRINCIPAL, "dispatcher"),
        (DEMO_CROWD_PRINCIPAL, "reporter:risk_warning"),
        ("guardian-huang", "member:bund-1-guardians-1"),
        ("city-ops-huangpu", "city_ops"),
    ];
    let processes = control.processes().lock().await;
    let mut tokens = Vec::new();
    for (name, role) in principals {
        tokens.push((name, role, processes.issue_token(name, &[role]).await?));
    }
    Ok(tokens)
}

/// The synthetic reports and the simulated field units (neither ends).
async fn feed(client: &ApiClient, reports: SteadyReports, rate: f64) {
    tokio::join!(
        feed_loop(client.clone(), reports, rate),
        simulate_field(client.clone())
    );
}

/// The demo's load on any cluster: the seeded reports of `seed` at `rate`
/// a second and the simulated field units, sent as `client` (its token
/// needs `report` and `update_unit`, a dispatcher's). Never ends; tests
/// run it beside their own cluster for as long as they measure.
pub async fn drive(client: &ApiClient, seed: u64, rate: f64) -> anyhow::Result<()> {
    let reports = SteadyReports::new(&District::embedded(), seed, &format!("demo-{seed}"))
        .context("plan the demo's incident feed")?;
    feed(client, reports, rate).await;
    Ok(())
}

/// Backfills [`CROWD_BACKFILL_DAYS`] of crowd counts (each minute of the
/// last 8 days, an hour's first minute before), then posts each minute's
/// counts as it ends. A refused batch is said and skipped; the feed goes on.
async fn crowd_loop(client: ApiClient, feed: CrowdFeed) {
    let now = cordon_consensus::node::unix_millis;
    let minute_ms = 60_000;
    let start = now() - now() % minute_ms;
    let recent_from = start - 8 * 24 * 60 * minute_ms;
    let times = (start - CROWD_BACKFILL_DAYS * 24 * 60 * minute_ms..start)
        .step_by(minute_ms as usize)
        .filter(|at| *at >= recent_from || at % (60 * minute_ms) == 0);
    let readings: Vec<serde_json::Value> = times
        .flat_map(|at| feed.minute(at).into_iter().map(move |(sensor, count)| (sensor, at, count)))
        .map(|(sensor, at_ms, count)| serde_json::json!({"sensor": sensor, "at_ms": at_ms, "count": count}))
        .collect();
    for chunk in readings.chunks(CROWD_BATCH_READINGS) {
        post_counts(&client, chunk).await;
    }
    say!(
        "crowd counts: {} readings backfilled over {CROWD_BACKFILL_DAYS} days",
        readings.len()
    );
    let mut next = start;
    loop {
        let wait = (next + minute_ms).saturating_sub(now());
        tokio::time::sleep(Duration::from_millis(wait)).await;
        let minute: Vec<serde_json::Value> = feed
            .minute(next)
            .into_iter()
            .map(|(sensor, count)| serde_json::json!({"sensor": sensor, "at_ms": next, "count": count}))
            .collect();
        post_counts(&client, &minute).await;
        next += minute_ms;
    }
}

async fn post_counts(client: &ApiClient, counts: &[serde_json::Value]) {
    let batch = serde_json::json!({"source": "demo crowd feed", "counts": counts});
    if let Err(error) = client
        .post::<cordon_api::crowd::CrowdCounted>("/v1/crowd/counts", &batch, 0)
        .await
    {
        say!("crowd counts refused: {error}");
    }
}

/// Prints the leader, term and applied index the cluster ends with.
async fn print_final_state(client: &ApiClient) {
    if let Ok(summary) = client.get::<ClusterStatus>("/v1/cluster", 0).await {
        let show = |value: Option<u64>| value.map_or("none".to_string(), |v| v.to_string());
        say!(
            "final: leader {} term {} applied index {}",
            show(summary.leader_id),
            summary.term,
            show(summary.applied_index)
        );
    }
}

/// Prints each node's addresses and pid and the commands to try.
async fn print_banner(
    options: &DemoOptions,
    control: &DrillControl,
    leader: u64,
    dir: &Path,
    tokens: &[(&str, &str, String)],
) {
    let mut processes = control.processes().lock().await;
    say!(
        "cordon demo: {} nodes, district {}, leader node {leader}",
        options.nodes,
        District::embedded().name()
    );
    let states = processes.processes();
    for (spec, process) in processes.cluster.nodes().iter().zip(&states) {
        let pid = process.pid.unwrap_or(0);
        say!(
            "  node {} api http://{}  quic {}  pid {}",
            spec.id,
            spec.api_addr,
            spec.quic_addr,
            pid
        );
    }
    let first_api = processes.cluster.nodes()[0].api_addr;
    say!("  console  http://{first_api}/console/ (every node serves it; drill buttons in its cluster panel)");
    say!(
        "  drills   {url}/nodes (GET: node processes; POST {url}/nodes/ID/kill|pause|resume|restart)",
        url = control.url()
    );
    say!("  folder   {}", dir.display());
    say!(
        "  status   cordon ctl --cluster {} status",
        processes.cluster_path.display()
    );
    say!("  tokens   (paste one into the console's login; each lasts a day)");
    for (name, role, token) in tokens {
        say!("    {role:<24} {name:<16} {token}");
    }
    say!("  report   CORDON_TOKEN=<a dispatcher's token> cordon incident report --api http://{first_api} --kind theft --at 31.2394,121.4760");
    say!("press Ctrl-C (or send SIGTERM) to stop");
}

/// The signals that stop the demo, installed before anything starts so a
/// signal sent at any moment is seen. Installing them also takes SIGINT
/// back from a non-interactive shell, which starts background jobs with
/// SIGINT ignored.
struct StopSignals {
    /// When `--duration` ends, if given.
    deadline: Option<tokio::time::Instant>,
    interrupt: Signal,
    terminate: Signal,
    hangup: Signal,
}

impl StopSignals {
    fn install(duration: Option<Duration>) -> anyhow::Result<StopSignals> {
        let install = |kind: SignalKind, name: &str| {
            signal(kind).with_context(|| format!("install the {name} handler"))
        };
        Ok(StopSignals {
            deadline: duration.map(|duration| tokio::time::Instant::now() + duration),
            interrupt: install(SignalKind::interrupt(), "SIGINT")?,
            terminate: install(SignalKind::terminate(), "SIGTERM")?,
            hangup: install(SignalKind::hangup(), "SIGHUP")?,
        })
    }

    /// Resolves with what asked the demo to stop.
    async fn stop_requested(&mut self) -> &'static str {
        let deadline = self.deadline;
        let elapsed = async move {
            match deadline {
                Some(deadline) => tokio::time::sleep_until(deadline).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = elapsed => "--duration ended",
            _ = self.interrupt.recv() => "SIGINT",
            _ = self.terminate.recv() => "SIGTERM",
            _ = self.hangup.recv() => "SIGHUP",
        }
    }
}

/// Sends the seeded ordinary reports at `rate` a second, whatever their
/// schedule's own timing, and prints the tally every 5 seconds.
async fn feed_loop(client: ApiClient, mut reports: SteadyReports, rate: f64) {
    if rate == 0.0 {
        // No synthetic feed: the cluster only serves what clients send.
        return std::future::pending().await;
    }
    let period = Duration::from_secs_f64(1.0 / rate);
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<bool>();
    let (mut committed, mut failed, mut sent) = (0u64, 0u64, 0usize);
    let mut last_print = Instant::now();
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                let Some(report) = reports.next() else { return };
                let client = client.clone();
                let done = done_tx.clone();
                sent += 1;
                let start = sent;
                tokio::spawn(async move {
                    let ok = client.report(&report, start).await.is_ok();
                    let _ = done.send(ok);
                });
            }
            Some(ok) = done_rx.recv() => {
                if ok { committed += 1 } else { failed += 1 }
            }
        }
        if last_print.elapsed() >= Duration::from_secs(5) {
            last_print = Instant::now();
            let leader = client
                .get::<ClusterStatus>("/v1/cluster", 0)
                .await
                .ok()
                .and_then(|cluster| cluster.leader_id);
            let statuses = client
                .get::<IncidentList>("/v1/incidents?limit=1", 0)
                .await
                .ok()
                .and_then(|list| serde_json::to_string(&list.by_status).ok())
                .unwrap_or_default();
            say!("incidents committed {committed}, failed {failed}, leader {leader:?}, by status {statuses}");
        }
    }
}

/// Seconds a simulated unit spends on scene before the incident is resolved.
const ON_SCENE_S: u64 = 8;
/// Seconds a simulated unit takes to return and report available.
const RETURN_S: u64 = 4;

/// Plays the field: assigned units report en route, arrive after their ETA
/// (sped up tenfold), stay on scene, the incident is resolved, and they
/// return to their post (their home, or where a move-up sent them) and
/// report available; an idle unit given a new post drives there.
async fn simulate_field(client: ApiClient) {
    let mut field = Field::default();
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    loop {
        ticker.tick().await;
        let Ok(units) = client.get::<UnitList>("/v1/units", 0).await else {
            continue;
        };
        // Units read before a resolve still name its incident: one resolve each.
        field.resolved.clear();
        // The field-screen unit is a person's: the simulation leaves it be.
        for unit in units.units.iter().filter(|unit| unit.id != DEMO_FIELD_UNIT) {
            // A hospital post reminded of its patrol round walks it.
            if unit
                .alert
                .as_ref()
                .is_some_and(|alert| alert.kind == "round_overdue")
            {
                let path = format!("/v1/units/{}/check-in", unit.id);
                let _ = client
                    .post::<Committed>(&path, &serde_json::json!({}), 0)
                    .await;
            }
            if let Some(update) = field.next_step(&client, unit).await {
                let _ = client
                    .post::<Committed>(&format!("/v1/units/{}/status", unit.id), &update, 0)
                    .await;
            }
        }
    }
}

/// Metres an idle unit drives towards a new post per second of the demo
/// (sped up tenfold, as the trips to incidents are).
const MOVE_UP_STEP_M: f64 = 150.0;

/// What the simulated field remembers of each unit: its home position and
/// since when it has been in its status.
#[derive(Default)]
struct Field {
    homes: std::collections::BTreeMap<String, (f64, f64)>,
    since: std::collections::BTreeMap<String, (String, Instant)>,
    /// The incidents resolved during this pass over the units.
    resolved: std::collections::BTreeSet<String>,
}

impl Field {
    /// The status update the unit's crew would send now, if any (resolving
    /// the incident when the time on scene is over).
    async fn next_step(&mut self, client: &ApiClient, unit: &Unit) -> Option<UnitStatusUpdate> {
        let home = *self
            .homes
            .entry(unit.id.clone())
            .or_insert((unit.lat, unit.lon));
        let post = unit.post.as_ref().map_or(home, |post| (post.lat, post.lon));
        let entered = self
            .since
            .entry(unit.id.clone())
            .or_insert((unit.status.clone(), Instant::now()));
        if entered.0 != unit.status {
            *entered = (unit.status.clone(), Instant::now());
        }
        let elapsed = entered.1.elapsed();
        match (unit.status.as_str(), &unit.assigned_to) {
            ("dispatched" | "acknowledged", Some(_)) => Some(UnitStatusUpdate::new("en_route")),
            ("en_route", Some(incident)) if elapsed >= Duration::from_secs(2) => {
                let path = format!("/v1/incidents/{incident}");
                let at = client.get::<Incident>(&path, 0).await.ok()?;
                Some(UnitStatusUpdate::new("on_scene").at(at.lat, at.lon))
            }
            ("on_scene", Some(incident)) if elapsed >= Duration::from_secs(ON_SCENE_S) => {
                if !self.resolved.insert(incident.to_string()) {
                    return None;
                }
                let close = CloseIncident {
                    request_id: None,
                    reason: Some("handled on scene (demo)".to_string()),
                };
                let path = format!("/v1/incidents/{incident}/resolve");
                let _ = client.post::<Committed>(&path, &close, 0).await;
                None
            }
            ("returning", _) | ("on_scene" | "en_route", None)
                if elapsed >= Duration::from_secs(RETURN_S) =>
            {
                Some(UnitStatusUpdate::new("available").at(post.0, post.1))
            }
            ("available", None) => {
                let (lat, lon) = step_towards((unit.lat, unit.lon), post, MOVE_UP_STEP_M)?;
                Some(UnitStatusUpdate::new("available").at(lat, lon))
            }
            _ => None,
        }
    }
}

/// The point `step_m` metres from `from` towards `to` (or `to` when nearer),
/// or none when `from` is within 20 m of `to` already.
fn step_towards(from: (f64, f64), to: (f64, f64), step_m: f64) -> Option<(f64, f64)> {
    const METRES_PER_DEGREE: f64 = 111_320.0;
    let east_m = (to.1 - from.1) * METRES_PER_DEGREE * from.0.to_radians().cos();
    let north_m = (to.0 - from.0) * METRES_PER_DEGREE;
    let distance_m = east_m.hypot(north_m);
    if distance_m < 20.0 {
        return None;
    }
    let share = (step_m / distance_m).min(1.0);
    Some((
        from.0 + (to.0 - from.0) * share,
        from.1 + (to.1 - from.1) * share,
    ))
}

#[cfg(test)]
mod tests {
    use cordon_config::district::{District, Ring, EMBEDDED_ROSTER_CSV};

    #[test]
    fn the_demo_roster_staffs_every_community_team_of_the_district() {
        // Every row reads, every team is a ring-1 or ring-2 unit of the
        // embedded district, and every such unit has members.
        let members =
            cordon_api::roster::parse_csv(EMBEDDED_ROSTER_CSV).expect("the roster file reads");
        let district = District::embedded();
        let community: Vec<&str> = district
            .units()
            .iter()
            .filter(|unit| matches!(unit.ring, Ring::Guardian | Ring::MassPrevention))
            .map(|unit| unit.id.as_str())
            .collect();
        for member in &members {
            let team = member
                .team
                .as_deref()
                .expect("every demo member serves in a team");
            assert!(
                community.contains(&team),
                "{} serves in {team}, not a ring-1 or ring-2 unit",
                member.id
            );
            assert!(!member.shifts.is_empty(), "{} has no shift", member.id);
        }
        for unit in community {
            assert!(
                members.iter().any(|m| m.team.as_deref() == Some(unit)),
                "{unit} has nobody on the roster"
            );
        }
    }
}
