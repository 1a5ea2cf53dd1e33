//! The HTTP side of a drill: status probes, reports, reads and the final
//! reads of incidents, units and actors from each node.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use cordon_api::actors::ActorList;
use cordon_api::cluster::ClusterStatus;
use cordon_api::drills::PlantedBug;
use cordon_api::incidents::{CloseIncident, Incident, IncidentList, ReportIncident, Reported};
use cordon_api::units::{Unit, UnitList};
use serde::de::DeserializeOwned;

/// Deadline of one status probe.
const PROBE_TIMEOUT: Duration = Duration::from_millis(400);
/// Deadline of one final read (incidents with timelines can be large).
const FINAL_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// A node's view of the cluster, from `GET /v1/cluster`.
#[derive(Clone, Debug)]
pub(crate) struct View {
    pub node: u64,
    pub role: String,
    pub leader: Option<u64>,
    pub term: u64,
    pub last_log_index: Option<u64>,
    pub applied_index: Option<u64>,
}

/// An actor's placement, from `GET /v1/actors`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Placed {
    pub actor: String,
    pub node: u64,
    pub epoch: u64,
    pub status: String,
}

/// The HTTPS clients of a drill: one base URL per node (1-based), trusting
/// the cluster CA only.
#[derive(Clone)]
pub(crate) struct Api {
    pub http: reqwest::Client,
    pub urls: Vec<String>,
    ca: reqwest::Certificate,
}

impl Api {
    /// Clients of the nodes' `api_addr`s over HTTPS, trusting the CA at `ca_cert`.
    pub fn new(addrs: Vec<std::net::SocketAddr>, ca_cert: &std::path::Path) -> Result<Api, String> {
        let pem = std::fs::read(ca_cert)
            .map_err(|e| format!("read the cluster CA {}: {e}", ca_cert.display()))?;
        let ca = reqwest::Certificate::from_pem(&pem).map_err(|e| e.to_string())?;
        let http =
            Api::client(&ca, reqwest::header::HeaderMap::new()).map_err(|e| e.to_string())?;
        let urls = addrs.iter().map(|addr| format!("https://{addr}")).collect();
        Ok(Api { http, urls, ca })
    }

    fn client(
        ca: &reqwest::Certificate,
        headers: reqwest::header::HeaderMap,
    ) -> Result<reqwest::Client, reqwest::Error> {
        reqwest::Client::builder()
            .pool_max_idle_per_host(16)
            .no_proxy()
            .tls_built_in_root_certs(false)
            .add_root_certificate(ca.clone())
            .default_headers(headers)
            .build()
    }

    /// The same nodes, every request carrying `token` (`Authorization: Bearer`).
    pub fn with_token(&self, token: &str) -> Result<Api, String> {
        let mut value = reqwest::header::HeaderValue::from_str(&format!("Bearer {}", token.trim()))
            .map_err(|e| format!("the issued token is not a header value: {e}"))?;
        value.set_sensitive(true);
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::AUTHORIZATION, value);
        Ok(Api {
            http: Api::client(&self.ca, headers).map_err(|e| e.to_string())?,
            urls: self.urls.clone(),
            ca: self.ca.clone(),
        })
    }

    /// The same clients over the first `nodes` nodes only.
    pub fn first(&self, nodes: usize) -> Api {
        Api {
            http: self.http.clone(),
            urls: self.urls[..nodes.min(self.urls.len())].to_vec(),
            ca: self.ca.clone(),
        }
    }

    pub async fn view(&self, node: usize) -> Option<View> {
        let status: ClusterStatus = self
            .get_json(node, "/v1/cluster", PROBE_TIMEOUT)
            .await
            .ok()?;
        Some(View {
            node: status.node_id,
            role: status.role,
            leader: status.leader_id,
            term: status.term,
            last_log_index: status.last_log_index,
            applied_index: status.applied_index,
        })
    }

    /// `GET url` within `timeout`; an error names the URL.
    async fn get(&self, url: &str, timeout: Duration) -> Result<reqwest::Response, String> {
        self.http
            .get(url)
            .timeout(timeout)
            .send()
            .await
            .map_err(|error| format!("{url}: {error}"))
    }

    /// `GET path` on node `node`, read as the API type `T`; a non-success
    /// status or an answer of another shape is an error.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        node: usize,
        path: &str,
        timeout: Duration,
    ) -> Result<T, String> {
        let url = format!("{}{path}", self.urls[node - 1]);
        let response = self.get(&url, timeout).await?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|error| format!("{url}: {error}"))?;
        if !status.is_success() {
            return Err(format!("{url}: {status}: {text}"));
        }
        serde_json::from_str(&text).map_err(|error| format!("{url}: unexpected answer: {error}"))
    }

    /// True when node `node` answers `GET /readyz` with a success.
    pub async fn ready(&self, node: usize) -> bool {
        let url = format!("{}/readyz", self.urls[node - 1]);
        match self.http.get(&url).timeout(PROBE_TIMEOUT).send().await {
            Ok(response) => response.status().is_success(),
            Err(_) => false,
        }
    }

    pub async fn views(&self) -> Vec<View> {
        // All at once: an unreachable node's probe takes its whole timeout.
        let mut probes = tokio::task::JoinSet::new();
        for node in 1..=self.urls.len() {
            let api = self.clone();
            probes.spawn(async move { (node, api.view(node).await) });
        }
        let mut views: Vec<(usize, View)> = Vec::new();
        while let Some(Ok((node, view))) = probes.join_next().await {
            views.extend(view.map(|view| (node, view)));
        }
        views.sort_by_key(|(node, _)| *node);
        views.into_iter().map(|(_, view)| view).collect()
    }

    /// A leader that a majority of the nodes follow in its term, with a
    /// term above `above`: (leader, term).
    pub async fn settled_leader(&self, above: Option<u64>) -> Option<(u64, u64)> {
        let views = self.views().await;
        let majority = self.urls.len() / 2 + 1;
        views
            .iter()
            .filter(|view| view.role == "leader" && above.is_none_or(|term| view.term > term))
            .find(|leader| {
                views
                    .iter()
                    .filter(|view| view.leader == Some(leader.node) && view.term == leader.term)
                    .count()
                    >= majority
            })
            .map(|leader| (leader.node, leader.term))
    }

    pub async fn wait_leader(&self, above: Option<u64>, within: Duration) -> Option<(u64, u64)> {
        let give_up = Instant::now() + within;
        while Instant::now() < give_up {
            if let Some(found) = self.settled_leader(above).await {
                return Some(found);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }

    /// One report attempt at node `node` (1-based) at `(lat, lon)`: the
    /// incident id, or (may have taken effect, why not acknowledged).
    pub async fn report_once(
        &self,
        node: usize,
        body: &ReportIncident,
        timeout: Duration,
    ) -> Result<String, (bool, String)> {
        let url = format!("{}/v1/incidents", self.urls[node - 1]);
        let response = self
            .http
            .post(&url)
            .json(body)
            .timeout(timeout)
            .send()
            .await
            .map_err(|error| (true, format!("{url}: {error}")))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|error| (true, format!("{url}: {error}")))?;
        if status.is_success() {
            let reported: Reported = serde_json::from_str(&text)
                .map_err(|error| (true, format!("{url}: bad answer {error}: {text}")))?;
            return Ok(reported.incident_id);
        }
        // A refusal of the input (4xx other than a timeout) certainly did
        // not take effect; anything else may have.
        let certain = status.is_client_error() && status != reqwest::StatusCode::REQUEST_TIMEOUT;
        Err((!certain, format!("{url}: {status}: {text}")))
    }

    /// A linearizable read of incident `incident_id` at node `node`:
    /// whether it exists, or why there is no answer.
    pub async fn incident_present(
        &self,
        node: usize,
        incident_id: &str,
        timeout: Duration,
    ) -> Result<bool, String> {
        let url = format!("{}/v1/incidents/{incident_id}", self.urls[node - 1]);
        let response = self.get(&url, timeout).await?;
        match response.status() {
            status if status.is_success() => Ok(true),
            reqwest::StatusCode::NOT_FOUND => Ok(false),
            status => Err(format!("{url}: {status}")),
        }
    }

    /// Cancels incident `incident_id` through node `node`; true when done.
    pub async fn cancel(&self, node: usize, incident_id: &str, timeout: Duration) -> bool {
        let url = format!("{}/v1/incidents/{incident_id}/cancel", self.urls[node - 1]);
        let body = CloseIncident {
            request_id: None,
            reason: Some("l3 drill: the caller hung up".to_string()),
        };
        match self
            .http
            .post(&url)
            .json(&body)
            .timeout(timeout)
            .send()
            .await
        {
            Ok(response) => response.status().is_success(),
            Err(_) => false,
        }
    }

    /// Plants `bug` in node `node`'s actors (a node started with
    /// `--drills`); says why not when it could not.
    pub async fn plant(&self, node: usize, bug: PlantedBug) -> Result<(), String> {
        let name = serde_json::to_value(bug)
            .ok()
            .and_then(|value| value.as_str().map(str::to_string))
            .unwrap_or_default();
        let url = format!("{}/v1/drills/plant/{name}", self.urls[node - 1]);
        let response = self
            .http
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .map_err(|error| format!("{url}: {error}"))?;
        match response.status() {
            status if status.is_success() => Ok(()),
            status => Err(format!(
                "{url}: {status}: {}",
                response.text().await.unwrap_or_default()
            )),
        }
    }

    /// Every actor's placement as node `node` reads it (after its read
    /// barrier), with the status its node's supervisor reports.
    pub async fn actors(&self, node: usize, timeout: Duration) -> Result<Vec<Placed>, String> {
        self.actor_list(node, "/v1/actors", timeout).await
    }

    /// Every actor's placement as node `node` reads it (after its read
    /// barrier), without asking the supervisors: no wait on a node the
    /// drill cut off, and `status` is `unknown`.
    pub async fn placements(&self, node: usize, timeout: Duration) -> Result<Vec<Placed>, String> {
        self.actor_list(node, "/v1/actors?supervisors=false", timeout)
            .await
    }

    async fn actor_list(
        &self,
        node: usize,
        path: &str,
        timeout: Duration,
    ) -> Result<Vec<Placed>, String> {
        let list: ActorList = self.get_json(node, path, timeout).await?;
        Ok(list
            .actors
            .into_iter()
            .map(|entry| Placed {
                actor: entry.actor,
                node: entry.node,
                epoch: entry.epoch,
                status: entry.status,
            })
            .collect())
    }

    /// Every incident node `node` holds, with timelines, after its read
    /// barrier.
    pub async fn incidents(&self, node: usize) -> Result<Vec<Incident>, String> {
        let list: IncidentList = self
            .get_json(node, "/v1/incidents?limit=100000", FINAL_READ_TIMEOUT)
            .await?;
        Ok(list.incidents)
    }

    /// Every unit node `node` holds, after its read barrier.
    pub async fn units(&self, node: usize) -> Result<Vec<Unit>, String> {
        let list: UnitList = self.get_json(node, "/v1/units", FINAL_READ_TIMEOUT).await?;
        Ok(list.units)
    }
}

/// Per request id, the incidents in `incidents` that carry it.
pub(crate) fn by_request(incidents: &[Incident]) -> BTreeMap<String, Vec<String>> {
    let mut reads: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for incident in incidents {
        reads
            .entry(incident.request_id.clone())
            .or_default()
            .push(incident.id.clone());
    }
    reads
}
