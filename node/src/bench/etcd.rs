//! `cordon bench --etcd URL`: the same levels of fixed-size puts against
//! an etcd v3 cluster, for the comparison `--raw` is made for. Puts go to
//! the given member (give the leader's client URL) through etcd's JSON
//! gateway (`POST /v3/kv/put`), which answers after the put is committed
//! and applied, as a `--raw` note is.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::{drive, level_result, LevelResult};

/// Deadline of one put.
const ETCD_PUT_TIMEOUT_MS: u64 = 5_000;

/// Runs `requests` puts of `value_bytes` at each concurrency level.
pub async fn run(
    url: &str,
    levels: &[usize],
    requests: usize,
    value_bytes: usize,
) -> anyhow::Result<Vec<LevelResult>> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_millis(ETCD_PUT_TIMEOUT_MS))
        .pool_max_idle_per_host(1_024)
        .build()?;
    let put_url = format!("{}/v3/kv/put", url.trim_end_matches('/'));
    put(&http, &put_url, "bench/probe", &[0u8; 1])
        .await
        .with_context(|| {
            format!("put a probe key through {put_url} (is etcd's client URL right?)")
        })?;
    let run_id: u32 = rand::random();
    let mut results = Vec::new();
    for &clients in levels {
        let prefix = format!("bench/{run_id:08x}/c{clients}");
        let level = Level {
            http: http.clone(),
            url: put_url.clone(),
            prefix,
            requests,
            value_bytes,
        };
        results.push(level.run(clients).await?);
    }
    Ok(results)
}

/// One concurrency level's puts.
struct Level {
    http: reqwest::Client,
    url: String,
    prefix: String,
    requests: usize,
    value_bytes: usize,
}

impl Level {
    async fn run(self, clients: usize) -> anyhow::Result<LevelResult> {
        let level = Arc::new(self);
        let requests = level.requests;
        let (latencies, failed, elapsed) = drive(clients, requests, move |_, n| {
            let level = level.clone();
            async move {
                let value = vec![(n % 251) as u8; level.value_bytes];
                let key = format!("{}/{n}", level.prefix);
                put(&level.http, &level.url, &key, &value).await.is_ok()
            }
        })
        .await;
        Ok(level_result(clients, latencies, failed, elapsed, None))
    }
}

async fn put(http: &reqwest::Client, url: &str, key: &str, value: &[u8]) -> anyhow::Result<()> {
    let body = serde_json::json!({
        "key": STANDARD.encode(key),
        "value": STANDARD.encode(value),
    });
    let response = http.post(url).json(&body).send().await?;
    if !response.status().is_success() {
        bail!("etcd answered {}", response.status());
    }
    Ok(())
}
