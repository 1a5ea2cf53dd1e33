//! The client load of a drill: concurrent clients report incidents at the
//! district's stations under request ids, retrying on the next node under
//! the same id; each acknowledged report is read back (a linearizable
//! `GET /v1/incidents/{id}`), and incidents are cancelled a while later so
//! that units come free again and dispatch goes on for the whole drill.
//! Reports and reads are recorded in a [`History`]; cancels are not (the
//! checkers judge them through the final reads).

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cordon_api::incidents::ReportIncident;

use crate::judge::checkers::{request_outcomes, RequestOutcome};
use crate::judge::history::{History, IncidentResult, Op, OpResult};
use crate::shared::load::LoadGenerator;

use super::api::Api;
use super::Latency;

/// Phases of the load.
pub(crate) const BEFORE: u8 = 0;
pub(crate) const DURING: u8 = 1;
pub(crate) const AFTER: u8 = 2;

/// How long an incident stays open before its client cancels it: long
/// enough to be triaged and assigned, short enough that units come free.
const CANCEL_AFTER: Duration = Duration::from_millis(2_500);
/// Deadline of one report attempt; an attempt past it is an info outcome
/// and is retried on the next node under the same request id.
const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(2_500);
/// Attempts per report before the load gives up on it (the retries at the
/// end of the drill try again).
const ATTEMPTS_MAX: u32 = 12;
/// Deadline of one read or cancel.
const SIDE_REQUEST_TIMEOUT: Duration = Duration::from_millis(1_500);
/// Process ids of the read-backs start here (reports use the client's
/// number, retries at the end 1000 + the client's).
const READER_PROCESS_BASE: u64 = 1_000_000;

pub(crate) struct Load {
    pub api: Api,
    pub history: Arc<History>,
    pub phase: AtomicU8,
    pub start: Instant,
    /// (phase at the first attempt, ms to the acknowledgement)
    pub latencies: Mutex<Vec<(u8, u64)>>,
    /// ms since start of every acknowledgement
    pub acks: Mutex<Vec<u64>>,
    pub prefix: String,
    pub clients: u64,
    pub per_client: u64,
    pub pause: Duration,
    pub attempt_timeout: Duration,
    pub attempts_max: u32,
    /// Where reports go, cycled: the district's stations.
    pub targets: Vec<(f64, f64)>,
    /// When set, reports go only to these points (the stations of a
    /// faulted node) and their acknowledged incident ids are kept.
    pub focus: Mutex<Option<Vec<(f64, f64)>>>,
    pub focused: Mutex<Vec<String>>,
    pub cancelled: AtomicUsize,
    /// When set, what each report is (kind, priority, force, place) comes
    /// from the seeded load generator instead of a theft at the next
    /// station; a focus still moves it to the focused points.
    pub generator: Option<Mutex<LoadGenerator>>,
    /// Each request id's body, so a retry sends the same report.
    pub bodies: Mutex<std::collections::BTreeMap<String, ReportIncident>>,
}

impl Load {
    /// A load of `clients` clients, `per_client` reports each, one every
    /// `pause` per client, from `start`, to the `targets` in turn (or as
    /// `generator` draws them); request ids start with `prefix`.
    pub fn new(
        api: Api,
        start: Instant,
        prefix: String,
        (clients, per_client, pause): (u64, u64, Duration),
        targets: Vec<(f64, f64)>,
        generator: Option<LoadGenerator>,
    ) -> Arc<Load> {
        Arc::new(Load {
            api,
            history: Arc::new(History::new()),
            phase: AtomicU8::new(BEFORE),
            start,
            latencies: Mutex::new(Vec::new()),
            acks: Mutex::new(Vec::new()),
            prefix,
            clients,
            per_client,
            pause,
            attempt_timeout: ATTEMPT_TIMEOUT,
            attempts_max: ATTEMPTS_MAX,
            targets,
            focus: Mutex::new(None),
            focused: Mutex::new(Vec::new()),
            cancelled: AtomicUsize::new(0),
            generator: generator.map(Mutex::new),
            bodies: Mutex::new(std::collections::BTreeMap::new()),
        })
    }

    /// The body of `request_id`'s report: the one sent before, or a new
    /// one (from the generator when there is one) at `point`, or at the
    /// generator's own place when `point` is not a focus.
    fn body(&self, request_id: &str, point: (f64, f64), focused: bool) -> ReportIncident {
        let mut bodies = self.bodies.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(body) = bodies.get(request_id) {
            return body.clone();
        }
        let generated = self.generator.as_ref().map(|generator| {
            let mut generator = generator.lock().unwrap_or_else(|p| p.into_inner());
            generator.next_report().report_incident()
        });
        let mut body = generated.unwrap_or_else(|| ReportIncident {
            request_id: None,
            kind: Some("theft".to_string()),
            priority: Some(4),
            force_level: Some(2),
            lat: point.0,
            lon: point.1,
            channel: Some("emergency_call".to_string()),
            description: Some(format!("l3 drill report {request_id}")),
        });
        body.request_id = Some(request_id.to_string());
        if focused {
            (body.lat, body.lon) = point;
        }
        bodies.insert(request_id.to_string(), body.clone());
        body
    }

    pub fn request_id(&self, client: u64, n: u64) -> String {
        format!("{}-{client}-{n}", self.prefix)
    }

    pub fn elapsed_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    fn target(&self, turn: u64) -> ((f64, f64), bool) {
        if let Ok(focus) = self.focus.lock() {
            if let Some(points) = focus.as_ref().filter(|points| !points.is_empty()) {
                return (points[turn as usize % points.len()], true);
            }
        }
        let points = &self.targets;
        (points[turn as usize % points.len().max(1)], false)
    }

    /// Reports `request_id` until acknowledged, certainly refused, or out
    /// of attempts; the incident id when acknowledged.
    pub async fn report(&self, process: u64, request_id: &str, turn: u64) -> Option<String> {
        let nodes = self.api.urls.len();
        let phase = self.phase.load(Ordering::Relaxed);
        let (point, focused) = self.target(turn);
        let body = self.body(request_id, point, focused);
        let first = Instant::now();
        for attempt in 0..self.attempts_max {
            let node = ((turn + u64::from(attempt)) % nodes as u64) as usize + 1;
            let id = self.history.invoke(Op::report(process, request_id));
            match self
                .api
                .report_once(node, &body, self.attempt_timeout)
                .await
            {
                Ok(incident_id) => {
                    self.history.ok(
                        id,
                        OpResult::Incident(IncidentResult::Reported {
                            incident_id: incident_id.clone(),
                        }),
                    );
                    let took = first.elapsed().as_millis() as u64;
                    if let Ok(mut latencies) = self.latencies.lock() {
                        latencies.push((phase, took));
                    }
                    if let Ok(mut acks) = self.acks.lock() {
                        acks.push(self.elapsed_ms());
                    }
                    if focused {
                        if let Ok(mut kept) = self.focused.lock() {
                            kept.push(incident_id.clone());
                        }
                    }
                    return Some(incident_id);
                }
                Err((false, error)) => {
                    self.history.fail(id, error);
                    return None;
                }
                Err((true, error)) => {
                    self.history.info(id, error);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        None
    }

    /// Reads the incident a report was acknowledged with, once, at the
    /// next node: recorded for the linearizability checker.
    async fn read_back(&self, process: u64, request_id: &str, incident_id: &str, turn: u64) {
        let node = ((turn + 1) % self.api.urls.len() as u64) as usize + 1;
        let id = self
            .history
            .invoke(Op::read_incident(process, request_id, incident_id));
        match self
            .api
            .incident_present(node, incident_id, SIDE_REQUEST_TIMEOUT)
            .await
        {
            Ok(present) => self
                .history
                .ok(id, OpResult::Incident(IncidentResult::Read { present })),
            Err(error) => self.history.info(id, error),
        }
    }

    pub async fn run_client(self: Arc<Self>, client: u64) {
        // Paced on a schedule (not a pause after each report), so a slow
        // phase does not stretch the load past the drill's plan; the read
        // back and the cancel run beside the next reports.
        let offset = self.pause.mul_f64(client as f64 / self.clients as f64);
        let mut aside = Vec::new();
        for n in 0..self.per_client {
            let due = self.start + offset + self.pause * n as u32;
            tokio::time::sleep_until(due.into()).await;
            let request_id = self.request_id(client, n);
            let turn = client + n;
            if let Some(incident_id) = self.report(client, &request_id, turn).await {
                let load = self.clone();
                // One logical process per incident: its read and its cancel.
                let process = READER_PROCESS_BASE + client * self.per_client + n;
                aside.push(tokio::spawn(async move {
                    load.read_back(process, &request_id, &incident_id, turn)
                        .await;
                    tokio::time::sleep(CANCEL_AFTER).await;
                    let node = (turn % load.api.urls.len() as u64) as usize + 1;
                    if load
                        .api
                        .cancel(node, &incident_id, SIDE_REQUEST_TIMEOUT)
                        .await
                    {
                        load.cancelled.fetch_add(1, Ordering::Relaxed);
                    }
                }));
            }
        }
        for task in aside {
            let _ = task.await;
        }
    }

    /// Latency of the acknowledged reports first tried in `phase`.
    pub fn latency(&self, phase: u8) -> Latency {
        let latencies = self.latencies.lock().map(|l| l.clone()).unwrap_or_default();
        Latency::of(
            latencies
                .iter()
                .filter(|(started, _)| *started == phase)
                .map(|(_, ms)| *ms)
                .collect(),
        )
    }

    /// The longest time without an acknowledgement from `since_ms` (ms
    /// since the load started) on.
    pub fn longest_ack_gap_ms(&self, since_ms: u64) -> u64 {
        let mut acks = self.acks.lock().map(|a| a.clone()).unwrap_or_default();
        acks.sort_unstable();
        acks.iter()
            .filter(|at| **at >= since_ms)
            .fold((since_ms, 0), |(last, gap), at| (*at, gap.max(at - last)))
            .1
    }

    /// Drives every request neither acknowledged nor refused to an answer.
    pub async fn retry_unanswered(&self) -> usize {
        let records = self.history.records().unwrap_or_default();
        let outcomes = request_outcomes(&records);
        let mut unanswered = 0;
        for client in 0..self.clients {
            for n in 0..self.per_client {
                let request_id = self.request_id(client, n);
                let answered = matches!(
                    outcomes.get(&request_id),
                    Some(RequestOutcome::Acknowledged { .. } | RequestOutcome::Failed)
                );
                if !answered && self.report(1_000 + client, &request_id, n).await.is_none() {
                    unanswered += 1;
                }
            }
        }
        unanswered
    }
}
