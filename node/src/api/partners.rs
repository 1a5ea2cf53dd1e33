//! The city-operations centres as partners. The district's centre and each
//! subdistrict's (beside a station's command room) receive the open
//! incidents that concern the city's running, as NENA EIDO documents they
//! can take into their own systems: crowds, fires, traffic accidents,
//! hazards, suspicious objects and extreme acts, every major incident and
//! every incident of public concern. A subdistrict's centre receives its
//! station's only. They change nothing.

use axum::extract::State;
use axum::{Extension, Json};
use cordon_api::eido::{Eido, PartnerFeed, Sender};
use cordon_api::ApiError;
use cordon_consensus::ledger::{Incident, IncidentKind, Role, StationId};

use super::{admit, ApiResult, ApiState, Caller};
use crate::wire;

/// What concerns a city-operations centre, in words (see [`concerns_city`]).
const CONCERNS: &str = "open incidents of kind crowd_crush, fire, traffic_accident, hazard, \
     suspicious_object or extreme_act, and every open major incident or incident of public concern";

/// Most incidents one feed lists.
const PARTNER_FEED_INCIDENTS_MAX: usize = 200;

/// The open incidents that concern the caller's city-operations centre.
#[utoipa::path(get, path = "/v1/partners/city-ops/incidents", tag = "incidents",
    responses(
        (status = 200, description = "The incidents that concern the centre, as EIDO documents", body = PartnerFeed),
        (status = "default", description = "An error: what is wrong and how to fix it", body = ApiError),
    ))]
pub(super) async fn city_ops_feed(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<PartnerFeed>> {
    let _permit = admit(&state)?;
    state.node.read_barrier().await?;
    let stations = centre_stations(&caller.principal.roles);
    let agency = state.actors.context().district.agency().to_owned();
    let element = format!("node{}.{agency}", state.node.id());
    let ledger = state.node.ledger().read();
    let incidents = ledger
        .ledger
        .incidents()
        .rev()
        .filter(|incident| concerns_city(incident))
        .filter(|incident| {
            stations.as_ref().is_none_or(|stations| {
                incident
                    .station
                    .as_ref()
                    .is_some_and(|s| stations.contains(s))
            })
        })
        .take(PARTNER_FEED_INCIDENTS_MAX)
        .map(|incident| {
            let units: Vec<_> = incident
                .units
                .iter()
                .filter_map(|unit| ledger.ledger.unit(unit))
                .map(wire::unit)
                .collect();
            let sender = Sender {
                agency: &agency,
                element: &element,
                units: &units,
            };
            Eido::of_incident(&super::incidents::addressed(&state, incident), &sender)
        })
        .collect();
    let centre = match &stations {
        None => "district".to_owned(),
        Some(stations) => stations
            .iter()
            .map(StationId::as_str)
            .collect::<Vec<_>>()
            .join(", "),
    };
    Ok(Json(PartnerFeed {
        centre,
        concerns: CONCERNS.to_owned(),
        incidents,
    }))
}

/// The stations whose subdistrict centres the roles serve; `None` when a
/// role sees the whole district (the district's centre, a commander or an
/// operator).
fn centre_stations(roles: &[Role]) -> Option<Vec<StationId>> {
    let mut stations = Vec::new();
    for role in roles {
        match role {
            Role::CityOps {
                station: Some(station),
            } => stations.push(station.clone()),
            Role::CityOps { station: None } | Role::Commander | Role::Operator => return None,
            _ => {}
        }
    }
    Some(stations)
}

/// True when an incident concerns a city-operations centre (see [`CONCERNS`]).
pub(crate) fn concerns_city(incident: &Incident) -> bool {
    let kind = matches!(
        incident.report.kind,
        IncidentKind::CrowdCrush
            | IncidentKind::Fire
            | IncidentKind::TrafficAccident
            | IncidentKind::Hazard
            | IncidentKind::SuspiciousObject
            | IncidentKind::ExtremeAct
    );
    incident.status.is_open() && (kind || incident.major || incident.public_info.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    // The district's centre and the commanders see everything; a
    // subdistrict's centre its stations; a role that serves no centre none.
    #[test]
    fn each_centre_sees_its_ground() {
        let roles =
            |texts: &[&str]| -> Vec<Role> { texts.iter().map(|t| t.parse().unwrap()).collect() };
        assert_eq!(centre_stations(&roles(&["city_ops"])), None);
        assert_eq!(centre_stations(&roles(&["commander"])), None);
        assert_eq!(
            centre_stations(&roles(&["city_ops:bund", "city_ops:yuyuan"])),
            Some(vec![StationId("bund".into()), StationId("yuyuan".into())])
        );
        assert_eq!(centre_stations(&roles(&["viewer"])), Some(vec![]));
    }
}
