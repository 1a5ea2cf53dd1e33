//! `cordon bench --raw`: the bare commit path, comparable with any
//! key-value store's put. Each client sends ledger-neutral notes of a fixed
//! size straight to the leader over QUIC with the operator certificate
//! (no HTTP, no actors): a note is answered once it is committed on a
//! majority, synced and applied.

use std::sync::Arc;

use cordon_consensus::ledger::{Action, BenchNote};

use super::{drive, level_result, LevelResult};
use crate::ctl::Operator;

/// Runs `requests` notes of `note_bytes` at each concurrency level, sent
/// as `operator`.
pub async fn run(
    operator: Arc<Operator>,
    levels: &[usize],
    requests: usize,
    note_bytes: usize,
) -> anyhow::Result<Vec<LevelResult>> {
    let run_id: u32 = rand::random();
    let mut results = Vec::new();
    for &clients in levels {
        let prefix = format!("raw-{run_id:08x}-c{clients}");
        results.push(level(&operator, clients, requests, note_bytes, &prefix).await?);
    }
    Ok(results)
}

async fn level(
    operator: &Arc<Operator>,
    clients: usize,
    requests: usize,
    note_bytes: usize,
    prefix: &str,
) -> anyhow::Result<LevelResult> {
    let leader = operator.leader().await?;
    let log_before = operator.last_log_index(leader).await;
    let (operator_, prefix) = (operator.clone(), prefix.to_string());
    let (latencies, failed, elapsed) = drive(clients, requests, move |_, n| {
        let (operator, prefix) = (operator_.clone(), prefix.clone());
        async move {
            let note = Action::BenchNote(BenchNote {
                bytes: vec![(n % 251) as u8; note_bytes],
            });
            let request_id = format!("{prefix}-{n}");
            operator.commit_on(leader, &request_id, note).await.is_ok()
        }
    })
    .await;
    let log_after = operator.last_log_index(leader).await;
    let entries = log_before
        .zip(log_after)
        .map(|(before, after)| after.saturating_sub(before));
    Ok(level_result(clients, latencies, failed, elapsed, entries))
}
