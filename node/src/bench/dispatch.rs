//! `cordon bench --dispatch-rates`: incidents offered at each rate; for
//! each, the time from the report to its first *attention* (a unit
//! assigned, an escalation, an unresourced mark, or a mobilisation plan put
//! before the commanders) and to its first assignment, read from the event
//! stream. Assigned units are freed at once
//! (resolve, then available) so the district does not run dry.
//!
//! With `--busy-ring-four` the bench first takes every ring-4 team out of
//! service, so incidents that need one can only be marked unresourced; at
//! the end it frees the teams and waits until every incident that was
//! marked unresourced is assigned ([`Drain`]). An incident counts as *late*
//! when it had no attention within its on-scene target plus
//! [`ATTENTION_SLACK_MS`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cordon_api::events::{Applied, Effect};
use cordon_api::incidents::{CloseIncident, Committed, Incident};
use cordon_api::units::{UnitList, UnitStatusUpdate};
use cordon_config::district::District;
use cordon_load::SteadyReports;
use serde::Serialize;
use tokio::sync::Mutex;

use super::percentile;
use crate::client::ApiClient;

/// An incident with no attention within its target plus this is late.
pub const ATTENTION_SLACK_MS: u64 = 5_000;
/// After the teams are freed, how long the bench waits for every
/// unresourced incident to be assigned.
const DRAIN_MS_MAX: u64 = 60_000;
/// How often the drain looks.
const DRAIN_POLL_MS: u64 = 200;
/// After the last report of a rate, how long its last dispatches may take.
const LAST_DISPATCH_MS: u64 = 3_000;

/// One rate's result.
#[derive(Clone, Debug, Serialize)]
pub struct DispatchResult {
    /// Offered incidents per second.
    pub rate_per_s: f64,
    /// Reports committed.
    pub reported: usize,
    /// Incidents that got any attention (assigned, escalated, unresourced,
    /// a plan before the commanders).
    pub attended: usize,
    /// Incidents that got a unit.
    pub assigned: usize,
    /// Incidents marked unresourced at some point.
    pub unresourced: usize,
    /// Incidents with no attention within their target plus the slack.
    pub late: usize,
    /// Median report-to-first-attention latency.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest.
    pub max_ms: f64,
}

/// What became of the unresourced incidents once the teams were freed.
#[derive(Clone, Debug, Serialize)]
pub struct Drain {
    /// Ring-4 teams the bench kept out of service, then freed.
    pub teams: usize,
    /// Incidents marked unresourced during the bench.
    pub unresourced: usize,
    /// Of those, assigned by the end of the drain.
    pub assigned: usize,
    /// From freeing the teams to the last of them assigned, if all were.
    pub drained_ms: Option<u64>,
    /// Those still without a unit.
    pub left: Vec<String>,
}

/// The whole dispatch bench.
#[derive(Clone, Debug, Serialize)]
pub struct DispatchBench {
    /// One line per offered rate.
    pub rates: Vec<DispatchResult>,
    /// With `--busy-ring-four`: the drain after the teams were freed.
    pub drain: Option<Drain>,
    /// Committed commands by action over the whole bench (the bench's own
    /// resolves and unit status updates included).
    pub actions: BTreeMap<String, u64>,
    /// Of those, the bench's own writes (resolves, units made available).
    pub own_writes: u64,
}

impl DispatchBench {
    /// Commands committed per reported incident, leaving out the bench's
    /// own writes (resolving incidents, freeing units).
    pub fn entries_per_incident(&self) -> Option<f64> {
        let reported: usize = self.rates.iter().map(|rate| rate.reported).sum();
        let all: u64 = self.actions.values().sum();
        let cluster = all.saturating_sub(self.own_writes);
        (reported > 0).then(|| cluster as f64 / reported as f64)
    }
}

/// When each incident (by number) was first attended to and assigned, as
/// the event stream told.
#[derive(Default)]
struct Seen {
    attended: BTreeMap<u64, Instant>,
    assigned: BTreeMap<u64, Instant>,
    unresourced: BTreeSet<u64>,
    /// Committed commands by action, as the event stream told.
    actions: BTreeMap<String, u64>,
    /// The bench's own writes committed (resolves, units made available).
    own_writes: u64,
}

type Shared = Arc<Mutex<Seen>>;

/// Runs each rate for `duration`; with `busy_ring_four`, every ring-4 team
/// is out of service during the rates and freed for the drain.
pub async fn dispatch(
    client: ApiClient,
    rates: &[f64],
    duration: Duration,
    seed: u64,
    busy_ring_four: bool,
) -> anyhow::Result<DispatchBench> {
    let seen: Shared = Arc::default();
    let watcher = tokio::spawn(watch(client.clone(), seen.clone()));
    // Give the event stream a moment to connect before the first report.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let teams = if busy_ring_four {
        let teams = set_teams(&client, &ring_four_teams(&client).await?, "out_of_service").await;
        seen.lock().await.own_writes += teams.len() as u64;
        teams
    } else {
        Vec::new()
    };
    let mut results = Vec::new();
    for &rate in rates {
        results.push(rate_level(&client, &seen, rate, duration, seed).await?);
    }
    let drain = if busy_ring_four {
        Some(drain(&client, &seen, &teams).await)
    } else {
        None
    };
    watcher.abort();
    let (actions, own_writes) = {
        let seen = seen.lock().await;
        (seen.actions.clone(), seen.own_writes)
    };
    Ok(DispatchBench {
        rates: results,
        drain,
        actions,
        own_writes,
    })
}

async fn rate_level(
    client: &ApiClient,
    seen: &Shared,
    rate: f64,
    duration: Duration,
    seed: u64,
) -> anyhow::Result<DispatchResult> {
    let sent_at = offer(client, rate, duration, seed).await?;
    tokio::time::sleep(Duration::from_millis(LAST_DISPATCH_MS)).await;
    let seen = seen.lock().await;
    let mut latencies = Vec::new();
    let mut late = 0;
    for (number, sent) in &sent_at {
        let latency = seen
            .attended
            .get(number)
            .map(|at| at.saturating_duration_since(*sent));
        if let Some(latency) = latency {
            latencies.push(latency);
        }
        if is_late(client, *number, latency).await {
            late += 1;
        }
    }
    latencies.sort();
    let count = |set: &dyn Fn(&u64) -> bool| sent_at.keys().filter(|n| set(n)).count();
    Ok(DispatchResult {
        rate_per_s: rate,
        reported: sent_at.len(),
        attended: latencies.len(),
        assigned: count(&|n| seen.assigned.contains_key(n)),
        unresourced: count(&|n| seen.unresourced.contains(n)),
        late,
        p50_ms: percentile(&latencies, 50.0),
        p99_ms: percentile(&latencies, 99.0),
        max_ms: latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1_000.0),
    })
}

/// Reports the seeded steady load at `rate` for `duration`: when each
/// committed incident (by number) was sent.
async fn offer(
    client: &ApiClient,
    rate: f64,
    duration: Duration,
    seed: u64,
) -> anyhow::Result<BTreeMap<u64, Instant>> {
    let sent_at: Arc<Mutex<BTreeMap<u64, Instant>>> = Arc::default();
    let run_id: u32 = rand::random();
    let prefix = format!("dispatch-{run_id:08x}-r{rate}");
    let mut reports = SteadyReports::new(&District::embedded(), seed, &prefix)?;
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    let started = Instant::now();
    let mut reporters = tokio::task::JoinSet::new();
    while started.elapsed() < duration {
        ticker.tick().await;
        let Some(report) = reports.next() else { break };
        let (client, sent_at) = (client.clone(), sent_at.clone());
        reporters.spawn(async move {
            let sent = Instant::now();
            if let Ok(reported) = client.report(&report, 0).await {
                if let Some(number) = incident_number(&reported.incident_id) {
                    sent_at.lock().await.insert(number, sent);
                }
            }
        });
    }
    while reporters.join_next().await.is_some() {}
    let sent_at = sent_at.lock().await.clone();
    Ok(sent_at)
}

/// No attention at all, or attention later than the incident's target
/// plus the slack (the target is read only for the slow ones: every
/// target is minutes, the bench's seconds).
async fn is_late(client: &ApiClient, number: u64, latency: Option<Duration>) -> bool {
    let Some(latency) = latency else { return true };
    let latency_ms = latency.as_millis() as u64;
    if latency_ms <= ATTENTION_SLACK_MS {
        return false;
    }
    let path = format!("/v1/incidents/I-{number:06}");
    let target_ms = client
        .get::<Incident>(&path, 0)
        .await
        .ok()
        .and_then(|incident| incident.target_s)
        .map_or(0, |target_s| u64::from(target_s) * 1_000);
    latency_ms > target_ms + ATTENTION_SLACK_MS
}

/// Frees `teams`, then waits until every incident marked unresourced is
/// assigned (or [`DRAIN_MS_MAX`] passes).
async fn drain(client: &ApiClient, seen: &Shared, teams: &[String]) -> Drain {
    let freed_at = Instant::now();
    let freed = set_teams(client, teams, "available").await;
    seen.lock().await.own_writes += freed.len() as u64;
    loop {
        let (unresourced, left) = {
            let seen = seen.lock().await;
            let left: Vec<u64> = seen
                .unresourced
                .iter()
                .filter(|number| !seen.assigned.contains_key(number))
                .copied()
                .collect();
            (seen.unresourced.len(), left)
        };
        let out_of_time = freed_at.elapsed() >= Duration::from_millis(DRAIN_MS_MAX);
        if left.is_empty() || out_of_time {
            return Drain {
                teams: teams.len(),
                unresourced,
                assigned: unresourced - left.len(),
                drained_ms: left
                    .is_empty()
                    .then(|| freed_at.elapsed().as_millis() as u64),
                left: left.iter().map(|number| format!("I-{number:06}")).collect(),
            };
        }
        tokio::time::sleep(Duration::from_millis(DRAIN_POLL_MS)).await;
    }
}

/// Every available ring-4 team.
async fn ring_four_teams(client: &ApiClient) -> anyhow::Result<Vec<String>> {
    let list: UnitList = client.get("/v1/units", 0).await?;
    Ok(list
        .units
        .into_iter()
        .filter(|unit| unit.ring == 4 && unit.status == "available")
        .map(|unit| unit.id)
        .collect())
}

/// Reports `status` for each of `teams`; the ones that took it.
async fn set_teams(client: &ApiClient, teams: &[String], status: &str) -> Vec<String> {
    let mut done = Vec::new();
    for team in teams {
        let update = UnitStatusUpdate::new(status);
        let path = format!("/v1/units/{team}/status");
        match client.post::<Committed>(&path, &update, 0).await {
            Ok(_) => done.push(team.clone()),
            Err(error) => eprintln!("bench: {team} could not become {status}: {error}"),
        }
    }
    done
}

fn incident_number(id: &str) -> Option<u64> {
    id.trim_start_matches("I-").parse().ok()
}

/// Reads `/v1/events`: notes every incident's first attention, first
/// assignment and unresourced mark; frees an assigned incident's units
/// right away (resolve, then available).
async fn watch(client: ApiClient, seen: Shared) {
    use futures_util::StreamExt;
    let response = match client.stream("/v1/events").send().await {
        Ok(response) if response.status().is_success() => response,
        Ok(response) => {
            eprintln!(
                "/v1/events answered {}: no dispatch is seen",
                response.status()
            );
            return;
        }
        Err(error) => {
            eprintln!("/v1/events: {error}: no dispatch is seen");
            return;
        }
    };
    let mut stream = response.bytes_stream();
    let mut buffer = String::new();
    while let Some(Ok(chunk)) = stream.next().await {
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            let event = frame
                .lines()
                .find_map(|line| line.strip_prefix("data:"))
                .and_then(|data| serde_json::from_str::<Applied>(data.trim()).ok());
            if let Some(event) = event {
                note(&client, &seen, event).await;
            }
        }
    }
}

async fn note(client: &ApiClient, seen: &Shared, event: Applied) {
    *seen
        .lock()
        .await
        .actions
        .entry(event.action.clone())
        .or_default() += 1;
    let Effect::IncidentUpdated {
        incident_id: number,
        ..
    } = event.effect
    else {
        return;
    };
    let action = event.action.as_str();
    if !matches!(
        action,
        "assign_unit" | "escalate" | "mark_unresourced" | "propose_plan"
    ) {
        return;
    }
    let now = Instant::now();
    let shared = seen;
    let mut seen = shared.lock().await;
    seen.attended.entry(number).or_insert(now);
    match action {
        "mark_unresourced" => {
            seen.unresourced.insert(number);
        }
        "assign_unit" if seen.assigned.insert(number, now).is_none() => {
            let (client, seen) = (client.clone(), shared.clone());
            tokio::spawn(async move { free_units(&client, &seen, number).await });
        }
        _ => {}
    }
}

async fn free_units(client: &ApiClient, seen: &Shared, number: u64) {
    let id = format!("I-{number:06}");
    let Ok(incident) = client
        .get::<Incident>(&format!("/v1/incidents/{id}"), 0)
        .await
    else {
        return;
    };
    let close = CloseIncident {
        request_id: Some(format!("bench-resolve-{number}")),
        reason: Some("bench: freed at once".to_string()),
    };
    let mut committed = u64::from(
        client
            .post::<Committed>(&format!("/v1/incidents/{id}/resolve"), &close, 0)
            .await
            .is_ok(),
    );
    for unit in &incident.units {
        let available = UnitStatusUpdate::new("available");
        committed += u64::from(
            client
                .post::<Committed>(&format!("/v1/units/{unit}/status"), &available, 0)
                .await
                .is_ok(),
        );
    }
    seen.lock().await.own_writes += committed;
}

/// Prints the dispatch bench as tables.
pub fn print_dispatch_table(bench: &DispatchBench) {
    println!(
        "{:>7} {:>9} {:>9} {:>9} {:>12} {:>5} {:>9} {:>9} {:>9}",
        "rate/s",
        "reported",
        "attended",
        "assigned",
        "unresourced",
        "late",
        "p50 ms",
        "p99 ms",
        "max ms"
    );
    for r in &bench.rates {
        println!(
            "{:>7.0} {:>9} {:>9} {:>9} {:>12} {:>5} {:>9.1} {:>9.1} {:>9.1}",
            r.rate_per_s,
            r.reported,
            r.attended,
            r.assigned,
            r.unresourced,
            r.late,
            r.p50_ms,
            r.p99_ms,
            r.max_ms
        );
    }
    if let Some(drain) = &bench.drain {
        let drained = drain
            .drained_ms
            .map_or_else(|| "not all".to_string(), |ms| format!("all within {ms} ms"));
        println!(
            "freed {} ring-4 teams: {} unresourced incidents, {} assigned ({drained}){}",
            drain.teams,
            drain.unresourced,
            drain.assigned,
            if drain.left.is_empty() {
                String::new()
            } else {
                format!("; still without a unit: {}", drain.left.join(", "))
            }
        );
    }
    print_actions(bench);
}

/// The commands committed during the bench, by action, and per incident.
fn print_actions(bench: &DispatchBench) {
    let listed: Vec<String> = bench
        .actions
        .iter()
        .map(|(action, count)| format!("{action} {count}"))
        .collect();
    println!(
        "commands committed: {} (the bench's own: {})",
        listed.join(", "),
        bench.own_writes
    );
    if let Some(per_incident) = bench.entries_per_incident() {
        println!(
            "per reported incident: {per_incident:.2} (without the bench's own resolves and unit status updates)"
        );
    }
}
