//! The forecaster, the risk-sensing net's actor. Every
//! `actors.forecast_interval_ms` it forecasts the next hour of every
//! sensitive area that has a capacity and sensors, and when its latest
//! count is in a band above low, or a forecast crosses into a higher one,
//! it reports a hazard with the warning (band, expected time, confidence,
//! count), unless one of that band or higher is open for the area (or
//! closed within [`WARNING_QUIET_MS`]), and pushes it at once to the
//! station whose ground the area is on; and it escalates each open hazard
//! whose stage deadline passed (to its station, then the hub). It keeps no
//! state of its own: after a move it reads the register again.

use cordon_consensus::ledger::crowd::SensorCounts;
use cordon_consensus::ledger::hazards::{Hazard, HazardSource, Verifier};
use cordon_consensus::ledger::{
    Action, Envelope, EscalateHazard, Ledger, Position, PushHazard, ReportHazard, StationId,
};
use cordon_forecast::{Band, Bands};

use crate::actor::{ActorState, DispatchActor, Handled};
use crate::context::{NodeContext, ProposeError};
use crate::crowd::{forecast_counts, AreaForecast, AreaSetting, ModelChoices};

/// How far ahead a warning looks, in minutes: the nowcast's hour.
pub const WARNING_HORIZON_MIN: u32 = 60;
/// After a warning's hazard closes, the area is not warned of the same
/// band again for this long, in milliseconds: the people who cleared it are
/// not handed the same crowd again straight away.
pub const WARNING_QUIET_MS: u64 = 30 * 60_000;
/// The highest hazard escalation (the district hub).
const ESCALATION_LEVEL_MAX: u8 = 2;

/// The forecaster's role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Forecaster;

/// A warning to report: an area's crossing into a higher band.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    /// The area.
    pub area: String,
    /// The station holding the area's middle.
    pub station: Option<StationId>,
    /// The area's middle, where its hazard is reported (and a unit
    /// pre-positioned against it waits unless told otherwise).
    pub centre: Option<Position>,
    /// The band.
    pub band: Band,
    /// When (Unix ms).
    pub expected_at_ms: u64,
    /// Its probability.
    pub confidence: f64,
    /// The count expected then.
    pub expected_count: f64,
}

/// One area to look at.
#[derive(Debug, Clone)]
pub struct AreaCounts {
    /// Its id.
    pub area: String,
    /// The station holding its middle.
    pub station: Option<StationId>,
    /// Its middle.
    pub centre: Option<Position>,
    /// Its density bands.
    pub bands: Bands,
    /// Its clock and events.
    pub setting: AreaSetting,
    /// Its sensors' counts, by id (`None` for a sensor with none kept).
    pub counts: Vec<(String, Option<SensorCounts>)>,
}

impl Forecaster {
    /// The forecaster has no messages; any sent to it is dismissed.
    pub(crate) async fn handle(
        &self,
        actor: &DispatchActor,
        state: &mut ActorState,
        envelope: &Envelope,
    ) -> Result<Handled, ProposeError> {
        let reason = format!("the forecaster does not handle {:?}", envelope.message);
        actor.dismiss(state.epoch, envelope, reason).await?;
        Ok(Handled::Done)
    }

    /// Warns of crossings and escalates overdue hazards, when due.
    pub(crate) async fn tick(
        &self,
        actor: &DispatchActor,
        state: &mut ActorState,
    ) -> Result<(), ProposeError> {
        let context = &actor.context;
        let now_ms = context.now_ms();
        if now_ms < state.next_forecast_ms {
            return Ok(());
        }
        state.next_forecast_ms = now_ms + context.timing.forecast_interval_ms;
        let (areas, overdue) = {
            let applied = context.node.ledger().read();
            (
                areas_to_watch(context, &applied.ledger),
                overdue(&applied.ledger, now_ms),
            )
        };
        for hazard_id in overdue {
            let action = Action::EscalateHazard(EscalateHazard { hazard_id });
            let request_id = format!("{}.{}.escalate.{hazard_id}.{now_ms}", actor.id, state.epoch);
            proposed(actor.act(state.epoch, request_id, action).await, actor)?;
        }
        let warnings = tokio::task::spawn_blocking(move || warnings(&areas, now_ms))
            .await
            .unwrap_or_default();
        for warning in warnings {
            let still_new = {
                let applied = context.node.ledger().read();
                !already_warned(&applied.ledger, &warning, now_ms)
            };
            if still_new {
                let request_id = format!(
                    "{}.{}.warn.{}.{now_ms}",
                    actor.id, state.epoch, warning.area
                );
                let action = Action::ReportHazard(report(&warning));
                let reported = actor.act(state.epoch, request_id, action).await;
                if let (Ok(applied), Some(station)) = (&reported, &warning.station) {
                    push_to_station(actor, state, applied.index, station, now_ms).await?;
                }
                proposed(reported, actor)?;
            }
        }
        Ok(())
    }
}

/// Pushes the warning's hazard `hazard_id` to its station's patrol at
/// once: a forecast warning does not wait for a person to route it.
async fn push_to_station(
    actor: &DispatchActor,
    state: &ActorState,
    hazard_id: u64,
    station: &StationId,
    now_ms: u64,
) -> Result<(), ProposeError> {
    let action = Action::PushHazard(PushHazard {
        hazard_id,
        verifier: Verifier::Station(station.clone()),
    });
    let request_id = format!("{}.{}.push.{hazard_id}.{now_ms}", actor.id, state.epoch);
    proposed(actor.act(state.epoch, request_id, action).await, actor)
}

/// Passes a fencing error on (the actor moved); logs any other refusal.
fn proposed(
    result: Result<cordon_consensus::ledger::Applied, ProposeError>,
    actor: &DispatchActor,
) -> Result<(), ProposeError> {
    match result {
        Ok(_) => Ok(()),
        Err(error) if error.is_fenced() => Err(error),
        Err(error) => {
            tracing::info!(actor = %actor.id, %error, "not applied; the next look tries again");
            Ok(())
        }
    }
}

/// The sensitive areas with a capacity and sensors, with their counts.
fn areas_to_watch(context: &NodeContext, ledger: &Ledger) -> Vec<AreaCounts> {
    use cordon_config::district::sensors::CrowdArea;
    let district = &context.district;
    district
        .sensitive_areas()
        .iter()
        .filter_map(|area| {
            let capacity = area.crowd_capacity?;
            let sensors = district.sensors_in(&CrowdArea::Sensitive(area));
            if sensors.is_empty() {
                return None;
            }
            let counts = sensors
                .iter()
                .map(|id| ((*id).to_owned(), ledger.crowd().sensor(id).cloned()))
                .collect();
            let station = district
                .station_of_area(&CrowdArea::Sensitive(area), None)
                .map(|station| StationId(station.id.clone()));
            let centre = area
                .centre()
                .and_then(|c| Position::from_degrees(c.lat, c.lon).ok());
            Some(AreaCounts {
                area: area.id.clone(),
                station,
                centre,
                bands: Bands::of_capacity(capacity),
                setting: AreaSetting::of(district, &sensors),
                counts,
            })
        })
        .collect()
}

/// The crossings the next hour's forecasts show. An area with too few
/// counts for a forecast is skipped (it has nothing to warn of yet).
pub fn warnings(areas: &[AreaCounts], now_ms: u64) -> Vec<Warning> {
    // The next hour is the nowcast's: no hourly model is chosen.
    let choices = ModelChoices::default();
    areas
        .iter()
        .filter_map(|watched| {
            let counts: Vec<(String, Option<&SensorCounts>)> = watched
                .counts
                .iter()
                .map(|(id, c)| (id.clone(), c.as_ref()))
                .collect();
            let forecast: AreaForecast = forecast_counts(
                &counts,
                &watched.setting,
                &choices,
                now_ms,
                WARNING_HORIZON_MIN,
            )
            .ok()?;
            if let Some(live) = live_warning(watched, &forecast) {
                return Some(live);
            }
            let crossing = forecast.crossing(&watched.bands)?;
            Some(Warning {
                area: watched.area.clone(),
                station: watched.station.clone(),
                centre: watched.centre,
                band: crossing.band,
                expected_at_ms: forecast.at_ms(crossing.step),
                confidence: crossing.confidence,
                expected_count: forecast.forecast.point[crossing.step],
            })
        })
        .collect()
}

/// A warning of the band the latest count is already in, when above low:
/// the crowd got there before a forecast said so (or faster).
fn live_warning(watched: &AreaCounts, forecast: &AreaForecast) -> Option<Warning> {
    let (at_ms, count) = forecast.latest?;
    let band = watched.bands.band(count);
    (band > Band::Low).then(|| Warning {
        area: watched.area.clone(),
        station: watched.station.clone(),
        centre: watched.centre,
        band,
        expected_at_ms: at_ms,
        confidence: 1.0,
        expected_count: count,
    })
}

/// Whether a hazard already warns of `warning`'s band (or a higher one)
/// in its area: open, or closed within [`WARNING_QUIET_MS`].
fn already_warned(ledger: &Ledger, warning: &Warning, now_ms: u64) -> bool {
    ledger.hazards().any(|hazard: &Hazard| {
        let closed_at = hazard.trail.last().map_or(0, |step| step.at_ms);
        let standing = !hazard.stage.is_closed() || now_ms < closed_at + WARNING_QUIET_MS;
        standing
            && hazard.area == warning.area
            && matches!(&hazard.source, HazardSource::CrowdWarning { band, .. }
                if band_rank(band) >= band_rank(warning.band.as_str()))
    })
}

fn band_rank(band: &str) -> u8 {
    match band {
        "high" => 2,
        "medium" => 1,
        _ => 0,
    }
}

/// The open hazards whose stage deadline passed and that can still go up.
fn overdue(ledger: &Ledger, now_ms: u64) -> Vec<u64> {
    ledger
        .hazards()
        .filter(|hazard| {
            hazard.escalation_level < ESCALATION_LEVEL_MAX
                && hazard
                    .deadline_ms
                    .is_some_and(|deadline| now_ms >= deadline)
        })
        .map(|hazard| hazard.id)
        .collect()
}

/// The hazard report of a warning.
fn report(warning: &Warning) -> ReportHazard {
    ReportHazard {
        area: warning.area.clone(),
        position: warning.centre,
        station: warning.station.clone(),
        source: HazardSource::CrowdWarning {
            band: warning.band.as_str().to_string(),
            expected_at_ms: warning.expected_at_ms,
            confidence_ppm: (warning.confidence * 1e6).round() as u32,
            expected_count: warning.expected_count.round() as u32,
        },
        summary: format!(
            "{} forecast to reach its {} band (about {:.0} people) with {:.0} % confidence",
            warning.area,
            warning.band.as_str(),
            warning.expected_count,
            100.0 * warning.confidence
        ),
    }
}

#[cfg(test)]
mod tests {
    use cordon_consensus::ledger::crowd::MINUTE_MS;

    use super::*;
    use crate::crowd::tests::{ledger_with, minutes_until, NOW_MS};

    fn watched(ledger: &Ledger, sensor: &str, capacity: u32) -> AreaCounts {
        AreaCounts {
            area: "riverside".to_string(),
            station: Some(StationId("bund".into())),
            centre: None,
            bands: Bands::of_capacity(capacity),
            setting: AreaSetting::default(),
            counts: vec![(sensor.to_owned(), ledger.crowd().sensor(sensor).cloned())],
        }
    }

    // A crowd already in its medium band warns at once, sure; a crowd the
    // profile says will fill warns ahead, at the crossing; a quiet crowd
    // and one without a day of counts do not warn.
    #[test]
    fn warnings_come_from_the_latest_count_or_the_forecast() {
        let times = minutes_until(NOW_MS, 2);
        let filling = NOW_MS - 24 * 60 * MINUTE_MS + 20 * MINUTE_MS;
        let ledger = ledger_with(&["cam"], &times, |_, at| {
            if (filling..filling + 30 * MINUTE_MS).contains(&at) {
                1_100.0
            } else {
                500.0
            }
        });
        let short = ledger_with(&["cam"], &minutes_until(NOW_MS, 0)[..0], |_, _| 0.0);

        let live = warnings(&[watched(&ledger, "cam", 800)], NOW_MS);
        let ahead = warnings(&[watched(&ledger, "cam", 1_200)], NOW_MS);
        let quiet = warnings(&[watched(&ledger, "cam", 5_000)], NOW_MS);
        let none = warnings(&[watched(&short, "cam", 800)], NOW_MS);

        assert_eq!((live[0].band, live[0].confidence), (Band::Medium, 1.0));
        assert_eq!(live[0].expected_at_ms, NOW_MS - MINUTE_MS);
        assert_eq!(ahead[0].band, Band::Medium);
        let minutes_ahead = (ahead[0].expected_at_ms - NOW_MS) / MINUTE_MS;
        assert!((19..=21).contains(&minutes_ahead), "{:?}", ahead[0]);
        assert!(quiet.is_empty() && none.is_empty());
    }
}
