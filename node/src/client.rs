//! An HTTP client of the API that fails over between nodes. Writes carry a
//! request id, so a retry after a timeout or a lost node is safe: the ledger
//! applies a request id once and answers every retry the same.
//!
//! A node that does not answer in time (frozen, overloaded, cut off: its
//! kernel may still accept the connection) is suspected for a while and
//! tried after the others, so only the first request pays its timeout.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{bail, Context};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::Serialize;

use cordon_api::incidents::{ReportIncident, Reported};
use cordon_api::ApiError;

/// How long an event stream may last.
const EVENT_STREAM_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// How long the first try at each node may take. Every later pass over the
/// nodes doubles it, so a request that is slow everywhere (a large read on
/// a loaded cluster) still completes within the client's deadline.
const FIRST_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a node that failed to answer is tried after the others.
const SUSPECT_FOR: Duration = Duration::from_secs(5);

/// Why a call failed for good.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server refused the input; retrying will not help.
    #[error("{code}: {message}")]
    Refused {
        /// The API's error code.
        code: String,
        /// Its message.
        message: String,
    },
    /// A node answered with a body that is not the type asked for.
    #[error("the answer to {path} is not what the API documents: {error}")]
    BadAnswer {
        /// The request path.
        path: String,
        /// What did not fit.
        error: String,
    },
    /// No node answered usefully before the deadline. The outcome of a write
    /// is unknown; retry with the same request id.
    #[error("no node answered within {after:?}: last error: {last}")]
    Exhausted {
        /// The deadline.
        after: Duration,
        /// The last failure seen.
        last: String,
    },
}

/// A client of several nodes' APIs.
#[derive(Clone, Debug)]
pub struct ApiClient {
    http: reqwest::Client,
    urls: Vec<String>,
    deadline: Duration,
    /// The bearer token sent with every request.
    token: Option<String>,
    /// Per URL, until when it is tried last; shared by clones.
    suspects: Arc<Mutex<Vec<Option<tokio::time::Instant>>>>,
}

impl ApiClient {
    /// A client of the given base URLs (`http://host:port`), trying each in
    /// turn until `deadline`.
    pub fn new(urls: Vec<String>, deadline: Duration) -> anyhow::Result<ApiClient> {
        if urls.is_empty() {
            bail!("no API address given: pass --api URL or --cluster FILE");
        }
        let http = http_builder().build().context("build http client")?;
        let urls = urls
            .into_iter()
            .map(|url| {
                let url = url.trim_end_matches('/').to_string();
                if url.starts_with("http://") || url.starts_with("https://") {
                    url
                } else {
                    format!("http://{url}")
                }
            })
            .collect::<Vec<String>>();
        Ok(ApiClient {
            http,
            suspects: Arc::new(Mutex::new(vec![None; urls.len()])),
            urls,
            deadline,
            token: None,
        })
    }

    /// This client, trusting only the cluster CA at `ca_cert` for `https://`
    /// nodes (the API's certificates are the cluster's own).
    pub fn with_ca(mut self, ca_cert: &std::path::Path) -> anyhow::Result<ApiClient> {
        self.http = http_builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(crate::api_tls::ca_root(ca_cert)?)
            .build()
            .context("build https client")?;
        Ok(self)
    }

    /// This client, sending `token` (`Authorization: Bearer`) with every request.
    pub fn with_token(mut self, token: &str) -> ApiClient {
        self.token = Some(token.trim().to_string());
        self
    }

    /// The bearer token this client sends, if any.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// A request to `url` with this client's token.
    fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        let request = self.http.request(method, url);
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// A GET of an event stream (`/v1/events`) from the first node, with
    /// this client's token and CA and no deadline (the stream lasts).
    pub fn stream(&self, path: &str) -> reqwest::RequestBuilder {
        let url = format!("{}{}", self.urls[0], path);
        self.request(reqwest::Method::GET, &url)
            .timeout(EVENT_STREAM_TIMEOUT)
    }

    /// The base URLs.
    pub fn urls(&self) -> &[String] {
        &self.urls
    }

    /// Reports an incident, retrying on other nodes until committed. The
    /// report must carry a request id so retries are deduplicated.
    pub async fn report(
        &self,
        report: &ReportIncident,
        start: usize,
    ) -> Result<Reported, ClientError> {
        self.post("/v1/incidents", report, start).await
    }

    /// POST a JSON body, failing over between nodes, and read the answer as
    /// `T` (a type of [`cordon_api`]). Only for requests that are
    /// idempotent (they carry a request id, or repeat harmlessly).
    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
        start: usize,
    ) -> Result<T, ClientError> {
        let body = serde_json::to_value(body).map_err(|error| ClientError::BadAnswer {
            path: path.to_string(),
            error: format!("the request body does not serialise: {error}"),
        })?;
        let answer = self
            .send(
                reqwest::Method::POST,
                path,
                Some(Payload::Json(body)),
                start,
            )
            .await?;
        typed(path, answer)
    }

    /// POST a CSV file (a roster file), failing over between nodes, and
    /// read the answer as `T`.
    pub async fn post_csv<T: DeserializeOwned>(
        &self,
        path: &str,
        text: &str,
        start: usize,
    ) -> Result<T, ClientError> {
        let payload = Payload::Csv(text.to_owned());
        let answer = self
            .send(reqwest::Method::POST, path, Some(payload), start)
            .await?;
        typed(path, answer)
    }

    /// GET a path, failing over between nodes, and read the answer as `T`.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        start: usize,
    ) -> Result<T, ClientError> {
        let answer = self.send(reqwest::Method::GET, path, None, start).await?;
        typed(path, answer)
    }

    /// GET a path from one node only (no failover), e.g. to read a chosen
    /// node's view, and read the answer as `T`.
    pub async fn get_from<T: DeserializeOwned>(
        &self,
        index: usize,
        path: &str,
    ) -> Result<T, ClientError> {
        let url = format!("{}{}", self.urls[index % self.urls.len()], path);
        let response = self
            .request(reqwest::Method::GET, &url)
            .send()
            .await
            .map_err(|e| ClientError::Exhausted {
                after: Duration::ZERO,
                last: format!("{url}: {e}"),
            })?;
        let answer = decode(response).await.map_err(|(_, error)| error)?;
        typed(path, answer)
    }

    /// GET a path from one node only and return its body as text (e.g.
    /// `/metrics`).
    pub async fn get_text_from(&self, index: usize, path: &str) -> Result<String, ClientError> {
        let url = format!("{}{}", self.urls[index % self.urls.len()], path);
        let failed = |e: reqwest::Error| ClientError::Exhausted {
            after: Duration::ZERO,
            last: format!("{url}: {e}"),
        };
        let response = self
            .request(reqwest::Method::GET, &url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(failed)?;
        response.text().await.map_err(failed)
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Payload>,
        start: usize,
    ) -> Result<serde_json::Value, ClientError> {
        let give_up = tokio::time::Instant::now() + self.deadline;
        let mut attempt_timeout = FIRST_ATTEMPT_TIMEOUT;
        let mut last = String::from("no attempt made");
        loop {
            for index in self.try_order(start) {
                let left = give_up.saturating_duration_since(tokio::time::Instant::now());
                if left.is_zero() {
                    return Err(ClientError::Exhausted {
                        after: self.deadline,
                        last,
                    });
                }
                let url = format!("{}{}", self.urls[index], path);
                let mut request = self
                    .request(method.clone(), &url)
                    .timeout(attempt_timeout.min(left));
                request = match &body {
                    Some(Payload::Json(json)) => request.json(json),
                    Some(Payload::Csv(text)) => request
                        .header(reqwest::header::CONTENT_TYPE, "text/csv")
                        .body(text.clone()),
                    None => request,
                };
                match request.send().await {
                    Ok(response) => match decode(response).await {
                        Ok(value) => {
                            self.suspect(index, None);
                            return Ok(value);
                        }
                        Err((true, error)) => last = format!("{url}: {error}"),
                        Err((false, error)) => return Err(error),
                    },
                    Err(error) => {
                        self.suspect(index, Some(tokio::time::Instant::now() + SUSPECT_FOR));
                        last = format!("{url}: {error}");
                    }
                }
            }
            attempt_timeout = (attempt_timeout * 2).min(self.deadline);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Every node once, from `start` on, those not suspected first.
    fn try_order(&self, start: usize) -> Vec<usize> {
        let now = tokio::time::Instant::now();
        let suspects = self.suspects.lock().unwrap_or_else(PoisonError::into_inner);
        let suspected = |index: &usize| suspects[*index].is_some_and(|until| until > now);
        let rotation = (0..self.urls.len()).map(|offset| (start + offset) % self.urls.len());
        let (mut order, later): (Vec<usize>, Vec<usize>) =
            rotation.partition(|index| !suspected(index));
        order.extend(later);
        order
    }

    /// Marks node `index` suspected until `until`, or clears it.
    fn suspect(&self, index: usize, until: Option<tokio::time::Instant>) {
        self.suspects.lock().unwrap_or_else(PoisonError::into_inner)[index] = until;
    }
}

/// The HTTP client's settings, with or without the cluster CA.
fn http_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(64)
}

/// Reads an answer as the type the API documents for it.
fn typed<T: DeserializeOwned>(path: &str, answer: serde_json::Value) -> Result<T, ClientError> {
    serde_json::from_value(answer).map_err(|error| ClientError::BadAnswer {
        path: path.to_string(),
        error: error.to_string(),
    })
}

/// Decodes an answer; the flag says whether another node may do better.
/// A request's body.
enum Payload {
    /// JSON.
    Json(serde_json::Value),
    /// A CSV file.
    Csv(String),
}

async fn decode(response: reqwest::Response) -> Result<serde_json::Value, (bool, ClientError)> {
    let status = response.status();
    let text = response.text().await.map_err(|e| {
        (
            true,
            ClientError::Exhausted {
                after: Duration::ZERO,
                last: e.to_string(),
            },
        )
    })?;
    if status.is_success() {
        return Ok(serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)));
    }
    let error: ApiError = serde_json::from_str(&text).unwrap_or(ApiError {
        code: status.as_str().to_string(),
        message: text,
    });
    // 429: this principal's rate on that node; another node, or a moment later, serves it.
    let retryable = matches!(
        status,
        StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT
            | StatusCode::BAD_GATEWAY
            | StatusCode::TOO_MANY_REQUESTS
    );
    Err((
        retryable,
        ClientError::Refused {
            code: error.code,
            message: error.message,
        },
    ))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A listener that takes connections and never answers, as a frozen
    /// node's kernel does; counts the connections it took.
    async fn frozen_node() -> (String, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let taken = Arc::new(AtomicUsize::new(0));
        let counter = taken.clone();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                held.push(socket);
            }
        });
        (url, taken)
    }

    async fn live_node() -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app =
            axum::Router::new().route("/v1/ping", axum::routing::get(|| async { "\"pong\"" }));
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    }

    #[tokio::test]
    async fn a_node_that_does_not_answer_is_tried_last_after_its_first_timeout() {
        // Phase 1: the first node takes the connection and never answers;
        // the request is served by the second after one attempt timeout.
        let (frozen, taken) = frozen_node().await;
        let client =
            ApiClient::new(vec![frozen, live_node().await], Duration::from_secs(20)).unwrap();
        let first: String = client.get("/v1/ping", 0).await.unwrap();
        assert_eq!(first, "pong");
        assert_eq!(taken.load(Ordering::SeqCst), 1);

        // Phase 2: later requests from it, and from a clone, start at the
        // live node although they name the frozen one first.
        for client in [client.clone(), client] {
            let again: String = client.get("/v1/ping", 0).await.unwrap();
            assert_eq!(again, "pong");
        }
        assert_eq!(
            taken.load(Ordering::SeqCst),
            1,
            "the suspected node was tried again"
        );
    }
}
