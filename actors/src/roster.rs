//! The bridge from the district model's units to the ledger's roster, and
//! the task that loads the roster into the ledger whenever this node leads.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use cordon_config::district::District;
use cordon_consensus::ledger::{
    Action, Command, LoadRoster, Origin, Position, RequestId, RosterUnit, StationId, UnitId,
};
use cordon_consensus::ConsensusNode;

/// Pause before proposing the roster again after a failed write.
const ROSTER_RETRY_MS: u64 = 500;

/// The ledger roster for every unit of the district model.
pub fn roster_units(district: &District) -> Vec<RosterUnit> {
    district
        .units()
        .iter()
        .map(|unit| RosterUnit {
            id: UnitId(unit.id.clone()),
            ring: unit.ring,
            station: unit.station.as_deref().map(StationId::from),
            home: Position::from_degrees(unit.home.lat, unit.home.lon)
                .expect("district validation keeps unit homes within WGS-84 ranges"),
        })
        .collect()
}

/// Whenever this node leads and the ledger lacks units of the district,
/// proposes them. Idempotent: the ledger adds only units it does not know.
pub(crate) async fn load_when_leading(node: Arc<ConsensusNode>, district: Arc<District>) {
    let roster = roster_units(&district);
    // The ledger refuses positions outside the same area as the API does.
    let margin_m = node.cluster().limits().district_margin_m;
    let area = crate::bounds::DistrictBounds::new(&district, margin_m).area();
    let mut hasher = DefaultHasher::new();
    for unit in &roster {
        unit.id.0.hash(&mut hasher);
    }
    let request_id = RequestId(format!("roster-{:016x}", hasher.finish()));
    let mut metrics = node.raft().metrics();
    loop {
        let leading = metrics.borrow().current_leader == Some(node.id());
        let known = node.ledger().read().ledger.units().count();
        if leading && known < roster.len() {
            let command = Command::new(
                request_id.clone(),
                node.now_ms(),
                Origin::System { node: node.id() },
                Action::LoadRoster(LoadRoster {
                    units: roster.clone(),
                    area: Some(area.clone()),
                }),
            );
            match node.write(command).await {
                Ok(applied) => tracing::info!(
                    index = applied.index,
                    units = roster.len(),
                    "loaded district roster"
                ),
                Err(error) => {
                    tracing::warn!(%error, "load district roster; retrying");
                    tokio::time::sleep(Duration::from_millis(ROSTER_RETRY_MS)).await;
                    continue;
                }
            }
        }
        if metrics.changed().await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_unit_is_in_the_roster() {
        // The roster carries each unit of the embedded district once, at its home.
        let district = District::embedded();
        let roster = roster_units(&district);
        assert_eq!(roster.len(), district.units().len());
        let first = &district.units()[0];
        assert_eq!(roster[0].id.0, first.id);
        assert!((roster[0].home.lat() - first.home.lat).abs() < 1e-6);
    }
}
