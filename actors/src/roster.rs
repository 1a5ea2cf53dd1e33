//! The bridge from the district model's units to the ledger's roster, and
//! the task that loads the roster into the ledger whenever this node leads.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use cordon_config::district::District;
use cordon_consensus::ledger::{
    Action, ArchivePolicy, Area, Command, LoadRoster, Origin, Position, RequestId, RosterUnit,
    StationId, UnitId,
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

/// Whenever this node leads and the ledger lacks units of the district, or
/// keeps closed incidents under another policy than the cluster file's,
/// proposes the roster with the policy. Idempotent: the ledger adds only
/// units it does not know.
pub(crate) async fn load_when_leading(node: Arc<ConsensusNode>, district: Arc<District>) {
    let load = RosterLoad::new(&node, &district);
    let mut metrics = node.raft().metrics();
    loop {
        let leading = metrics.borrow().current_leader == Some(node.id());
        if let Some(command) = load.needed(&node).filter(|_| leading) {
            match node.write(command).await {
                Ok(applied) => tracing::info!(
                    index = applied.index,
                    units = load.units.len(),
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

/// What the roster load proposes: the district's units, its area and the
/// cluster file's archive policy.
struct RosterLoad {
    units: Vec<RosterUnit>,
    area: Area,
    archive: ArchivePolicy,
}

impl RosterLoad {
    fn new(node: &ConsensusNode, district: &District) -> RosterLoad {
        let limits = node.cluster().limits();
        RosterLoad {
            units: roster_units(district),
            // The ledger refuses positions outside the same area as the API does.
            area: crate::bounds::DistrictBounds::new(district, limits.district_margin_m).area(),
            archive: ArchivePolicy {
                closed_kept_ms: limits.closed_incidents_kept_ms,
                closed_kept_max: limits.closed_incidents_kept_max,
            },
        }
    }

    /// The command, if the ledger lacks units or keeps another policy. Its
    /// request id names what it loads and the applied index it saw, so a
    /// later change back to an earlier policy is not taken for a retry.
    fn needed(&self, node: &ConsensusNode) -> Option<Command> {
        let (known, policy, applied_index) = {
            let applied = node.ledger().read();
            let index = applied.last_applied.map_or(0, |id| id.index);
            let ledger = &applied.ledger;
            (ledger.units().count(), ledger.archive_policy(), index)
        };
        if known >= self.units.len() && policy == self.archive {
            return None;
        }
        let mut hasher = DefaultHasher::new();
        for unit in &self.units {
            unit.id.0.hash(&mut hasher);
        }
        (self.archive.closed_kept_ms, self.archive.closed_kept_max).hash(&mut hasher);
        applied_index.hash(&mut hasher);
        Some(Command::new(
            RequestId(format!("roster-{:016x}", hasher.finish())),
            node.now_ms(),
            Origin::System { node: node.id() },
            Action::LoadRoster(LoadRoster {
                units: self.units.clone(),
                area: Some(self.area.clone()),
                archive: Some(self.archive),
            }),
        ))
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
