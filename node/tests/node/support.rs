//! Shared steps of the process-level scenarios: a cluster of real `cordon`
//! processes with drill routes, and waits on what its API shows.

use std::time::{Duration, Instant};

use cordon_api::actors::ActorList;
use cordon_api::incidents::{Committed, Incident, IncidentList, Origin, ReportIncident};
use cordon_api::units::{Unit, UnitList, UnitStatusUpdate};
use cordon_node::client::{ApiClient, ClientError};
use cordon_node::local_cluster::{wait_ready, LocalClusterOptions, LocalProcesses};

/// The principal the scenarios act as, and its roles: a commander (who
/// also dispatches) who may drill and read the audit log.
pub const TEST_PRINCIPAL: &str = "node-tests";
pub const TEST_ROLES: &[&str] = &["commander", "drill", "operator"];

/// How long any scenario waits for a condition before failing.
pub const WAIT_MAX: Duration = Duration::from_secs(30);

/// A running cluster: its processes (`P`: [`LocalProcesses`], or a
/// [`cordon_node::drill_control::DrillControl`] owning them) and a client of its API.
pub struct Cluster<P = LocalProcesses> {
    pub processes: P,
    pub client: ApiClient,
    pub _dir: tempfile::TempDir,
}

/// Starts three nodes with drill routes and waits until every actor is
/// placed and the roster is loaded.
pub async fn start_cluster() -> Cluster {
    start_cluster_with(|_| {}).await
}

/// A cluster on the embedded district without its crowd rules: travel is
/// as in calm hours whatever the time of day, for a test of a target that
/// the evening crowds (18:00-22:00 in Shanghai, 10:00-14:00 UTC) make late.
pub async fn start_calm_cluster() -> Cluster {
    start_cluster_with(|file| {
        use cordon_config::district::{
            EMBEDDED_DISTRICT_TOML, EMBEDDED_STREETS_FILE, EMBEDDED_STREETS_TOML,
        };
        let blocks: Vec<&str> = EMBEDDED_DISTRICT_TOML.split("\n\n").collect();
        let calm: Vec<&str> = blocks
            .iter()
            .copied()
            .filter(|block| !block.trim_start().starts_with("[[crowd_rules]]"))
            .collect();
        assert!(
            calm.len() < blocks.len(),
            "the embedded district has crowd rules to drop"
        );
        let dir = file.data_dir.join("calm-district");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("calm.toml"), calm.join("\n\n")).unwrap();
        std::fs::write(dir.join(EMBEDDED_STREETS_FILE), EMBEDDED_STREETS_TOML).unwrap();
        file.district = Some(dir.join("calm.toml"));
    })
    .await
}

/// Like [`start_cluster`], with `tune` applied to the cluster file first.
pub async fn start_cluster_with(tune: impl FnOnce(&mut cordon_config::ClusterFile)) -> Cluster {
    start_cluster_of(3, tune).await
}

/// A single-node cluster: for a test that needs a second cluster only as a
/// partner system, at a third of the processes (the machine runs two tests
/// at once, and an overloaded one elects leaders spuriously).
pub async fn start_single_node_cluster() -> Cluster {
    start_cluster_of(1, |_| {}).await
}

/// A cluster of `nodes` processes, with `tune` applied to the cluster file.
async fn start_cluster_of(
    nodes: usize,
    tune: impl FnOnce(&mut cordon_config::ClusterFile),
) -> Cluster {
    let dir = tempfile::tempdir().unwrap();
    let processes = LocalProcesses::start(
        LocalClusterOptions {
            drills: true,
            ..LocalClusterOptions::new(env!("CARGO_BIN_EXE_cordon").as_ref(), dir.path(), nodes)
        },
        tune,
    )
    .unwrap();
    let client = ApiClient::new(processes.api_urls(), Duration::from_secs(20)).unwrap();
    wait_ready(&client, WAIT_MAX).await.unwrap();
    let token = processes
        .issue_token(TEST_PRINCIPAL, TEST_ROLES)
        .await
        .unwrap();
    let client = client.with_token(&token);
    cordon_node::local_cluster::wait_all_ready(&client, WAIT_MAX)
        .await
        .unwrap();
    let cluster = Cluster {
        processes,
        client,
        _dir: dir,
    };
    cluster
        .wait(
            "every actor placed and the roster loaded",
            |client| async move {
                let actors = client.get::<ActorList>("/v1/actors", 0).await.ok()?;
                let units = client.get::<UnitList>("/v1/units", 0).await.ok()?;
                let placed = actors.actors.len();
                let loaded = units.units.len();
                (placed >= 31 && loaded >= 100).then_some(())
            },
        )
        .await;
    cluster
}

impl Cluster {
    /// A client of this cluster acting as `name` with `roles` (a token
    /// issued for it).
    pub async fn client_as(&self, name: &str, roles: &[&str]) -> ApiClient {
        let token = self.processes.issue_token(name, roles).await.unwrap();
        self.client.clone().with_token(&token)
    }
}

/// The error code and message of a refused request, or a panic naming what
/// came back.
pub fn refusal<T: std::fmt::Debug>(answer: Result<T, ClientError>) -> (String, String) {
    match answer {
        Err(ClientError::Refused { code, message }) => (code, message),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

impl<P> Cluster<P> {
    /// Opens node `node`'s event stream (`GET /v1/events`) with
    /// `Last-Event-ID: last_event_id`.
    pub async fn events_after(&self, node: usize, last_event_id: &str) -> reqwest::Response {
        reqwest::Client::new()
            .get(format!("{}/v1/events", self.client.urls()[node]))
            .bearer_auth(self.token())
            .header("last-event-id", last_event_id)
            .send()
            .await
            .unwrap()
    }

    /// The bearer token the scenarios' client sends.
    pub fn token(&self) -> &str {
        self.client
            .token()
            .expect("the scenarios' client has a token")
    }

    /// Polls `probe` until it yields a value.
    pub async fn wait<T, F, Fut>(&self, what: &str, probe: F) -> T
    where
        F: Fn(ApiClient) -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let give_up = Instant::now() + WAIT_MAX;
        while Instant::now() < give_up {
            if let Some(value) = probe(self.client.clone()).await {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("timed out waiting for {what}\n{}", self.log_tails());
    }

    /// The warnings and errors at the end of every node log, for failures.
    pub fn log_tails(&self) -> String {
        let mut tails = String::new();
        for id in 1..=3 {
            let path = self._dir.path().join(format!("node-{id}.log"));
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let lines: Vec<&str> = text
                .lines()
                .filter(|line| {
                    line.contains("WARN") || line.contains("ERROR") || line.contains("panicked")
                })
                .collect();
            tails.push_str(&format!("--- node-{id}.log (last warnings and errors)\n"));
            for line in &lines[lines.len().saturating_sub(25)..] {
                tails.push_str(line);
                tails.push('\n');
            }
        }
        tails
    }

    /// Reports an incident and returns its id.
    pub async fn report(
        &self,
        request_id: &str,
        kind: &str,
        lat: f64,
        lon: f64,
        force_level: u8,
    ) -> String {
        let report = report_of(request_id, kind, (lat, lon), force_level);
        self.client.report(&report, 0).await.unwrap().incident_id
    }

    /// The incident, read linearizably from any node.
    pub async fn incident(&self, id: &str) -> Incident {
        self.client
            .get(&format!("/v1/incidents/{id}"), 0)
            .await
            .unwrap()
    }

    /// Waits until incident `id` is `what` (`holds` says when); returns it.
    pub async fn wait_incident(
        &self,
        id: &str,
        what: &str,
        holds: impl Fn(&Incident) -> bool,
    ) -> Incident {
        let holds = &holds;
        self.wait(&format!("{id} {what}"), |client| async move {
            let path = format!("/v1/incidents/{id}");
            let incident = client.get::<Incident>(&path, 0).await.ok()?;
            holds(&incident).then_some(incident)
        })
        .await
    }

    /// Waits until the incident has a unit assigned; returns the incident.
    pub async fn wait_assigned(&self, id: &str) -> Incident {
        self.wait_incident(id, "assigned", |incident| !incident.assignments.is_empty())
            .await
    }

    /// Waits until the incident has a mobilisation plan; returns the incident.
    pub async fn wait_plan(&self, id: &str) -> Incident {
        self.wait_incident(id, "with a plan", |incident| incident.plan.is_some())
            .await
    }

    /// The ids of the units that `keep` keeps, as the API lists them now.
    pub async fn unit_ids(&self, keep: impl Fn(&Unit) -> bool) -> Vec<String> {
        let units = self.client.get::<UnitList>("/v1/units", 0).await.unwrap();
        units
            .units
            .into_iter()
            .filter(|unit| keep(unit))
            .map(|unit| unit.id)
            .collect()
    }

    /// Makes `actor` panic through the drill route of `node`, which hosts it.
    pub async fn fault_actor(&self, actor: &str, node: u64) {
        reqwest::Client::new()
            .post(format!(
                "{}/v1/drills/actors/{actor}/fault",
                self.client.urls()[(node - 1) as usize]
            ))
            .bearer_auth(self.token())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
    }

    /// Where the ledger places an actor: (node, epoch).
    pub async fn placement(&self, actor: &str) -> (u64, u64) {
        placement(&self.client, actor)
            .await
            .unwrap_or_else(|| panic!("{actor} is not placed"))
    }
}

/// A priority-6 report of `kind` at `(lat, lon)`.
pub fn report_of(
    request_id: &str,
    kind: &str,
    (lat, lon): (f64, f64),
    force_level: u8,
) -> ReportIncident {
    ReportIncident {
        request_id: Some(request_id.into()),
        kind: Some(kind.into()),
        priority: Some(6),
        force_level: Some(force_level),
        lat,
        lon,
        channel: None,
        description: None,
    }
}

/// A theft near People's Square, force level 1.
pub fn theft(request_id: &str) -> ReportIncident {
    report_of(request_id, "theft", (31.2394, 121.4760), 1)
}

/// The steps of an incident's timeline.
pub fn steps(incident: &Incident) -> Vec<String> {
    incident
        .timeline
        .iter()
        .map(|entry| entry.step.clone())
        .collect()
}

/// Where the ledger places an actor: (node, epoch), if it is placed.
pub async fn placement(client: &ApiClient, actor: &str) -> Option<(u64, u64)> {
    let actors = client.get::<ActorList>("/v1/actors", 0).await.ok()?;
    let entry = actors.actors.into_iter().find(|a| a.actor == actor)?;
    Some((entry.node, entry.epoch))
}

/// Every actor step in every incident's timeline, in log order, as the
/// epochs checker reads them.
pub async fn actor_executions(
    client: &ApiClient,
) -> Vec<cordon_chaos::judge::checkers::ActorExecution> {
    let list = client
        .get::<IncidentList>("/v1/incidents?limit=10000", 0)
        .await
        .unwrap();
    let mut executions = Vec::new();
    for incident in &list.incidents {
        for entry in &incident.timeline {
            if let Origin::Actor { actor, epoch, node } = &entry.origin {
                executions.push(cordon_chaos::judge::checkers::ActorExecution {
                    actor: actor.clone(),
                    epoch: *epoch,
                    node: *node,
                    index: entry.index,
                });
            }
        }
    }
    executions.sort_by_key(|e| e.index);
    executions
}

/// Sets each of `units` to `status` through the API.
pub async fn set_status(client: &ApiClient, units: &[String], status: &str) {
    for unit in units {
        let path = format!("/v1/units/{unit}/status");
        client
            .post::<Committed>(&path, &UnitStatusUpdate::new(status), 0)
            .await
            .unwrap_or_else(|error| panic!("{unit} {status}: {error}"));
    }
}

/// GET `url` with `token`; the body, if the node answered.
pub async fn get_text(token: &str, url: &str) -> Option<String> {
    let response = reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .ok()?;
    response.text().await.ok()
}

/// 26 hours of the three Bund cameras at 10 000 each, except 20 000 each
/// from ten to forty minutes past this time yesterday.
pub async fn post_a_day_that_rose_now(feed: &ApiClient) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let last = now - now % 60_000 - 60_000;
    let yesterday = (now - 24 * 60 * 60_000 + 10 * 60_000)..(now - 24 * 60 * 60_000 + 40 * 60_000);
    let cameras = [
        "bund-waibaidu-camera",
        "bund-chen-yi-square-camera",
        "bund-signal-tower-camera",
    ];
    let mut counts = Vec::new();
    for at_ms in (last - 26 * 60 * 60_000..=last).step_by(60_000) {
        let each = if yesterday.contains(&at_ms) {
            20_000
        } else {
            10_000
        };
        counts
            .extend(cameras.map(
                |camera| serde_json::json!({"sensor": camera, "at_ms": at_ms, "count": each}),
            ));
    }
    for chunk in counts.chunks(800) {
        let batch = serde_json::json!({"source": "bund cameras", "counts": chunk});
        feed.post::<cordon_api::crowd::CrowdCounted>("/v1/crowd/counts", &batch, 0)
            .await
            .unwrap();
    }
}

/// Reads an event stream's body until `enough` says the text so far is
/// enough, or `within` passes; returns the text.
pub async fn read_stream(
    mut response: reqwest::Response,
    within: Duration,
    enough: impl Fn(&str) -> bool,
) -> String {
    let mut text = String::new();
    let give_up = tokio::time::Instant::now() + within;
    while !enough(&text) {
        let chunk = tokio::time::timeout_at(give_up, response.chunk()).await;
        match chunk {
            Ok(Ok(Some(bytes))) => text.push_str(&String::from_utf8_lossy(&bytes)),
            _ => break,
        }
    }
    text
}

/// The ids of the `applied` events in an event stream's text.
pub fn applied_ids(text: &str) -> Vec<u64> {
    text.split("\n\n")
        .filter(|event| event.lines().any(|line| line == "event: applied"))
        .filter_map(|event| {
            event
                .lines()
                .find_map(|line| line.strip_prefix("id: "))
                .and_then(|id| id.parse().ok())
        })
        .collect()
}
