//! The district's major crowd events (the New Year countdown, the lantern
//! festival, the National Day lights): which areas each fills and when,
//! in the district's local time. The forecaster learns each event's effect
//! from its earlier occurrences in the counts.

use serde::{Deserialize, Serialize};

use super::validate::invalid;
use super::{District, DistrictError, DistrictSpec};

/// The longest occurrence, in seconds: a week (a festival of several
/// weeks is listed night by night, so each night is learned alike).
pub const OCCURRENCE_S_MAX: i64 = 7 * 86_400;
/// Occurrences the district file may list across its events.
pub const OCCURRENCES_COUNT_MAX: usize = 2_000;

/// A recurring event that draws crowds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrowdEvent {
    /// Slug id, unique in the district; occurrences of one event share
    /// what is learned.
    pub id: String,
    /// What it is ("New Year countdown on the Bund").
    pub name: String,
    /// The sensitive areas, zones or stations it fills, by id.
    pub areas: Vec<String>,
    /// When it happens, in local time.
    pub occurrences: Vec<EventWindow>,
}

/// One occurrence: local times `YYYY-MM-DDTHH:MM`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventWindow {
    /// When it starts.
    pub start: String,
    /// When it is over.
    pub end: String,
}

impl EventWindow {
    /// Its start and end as local seconds since 1970-01-01 00:00 local,
    /// or `None` when a time does not parse.
    pub fn local_seconds(&self) -> Option<(i64, i64)> {
        Some((local_seconds(&self.start)?, local_seconds(&self.end)?))
    }
}

/// `YYYY-MM-DDTHH:MM` as local seconds since 1970-01-01 00:00 local.
fn local_seconds(text: &str) -> Option<i64> {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let at = time::PrimitiveDateTime::parse(text, format).ok()?;
    Some(at.assume_utc().unix_timestamp())
}

impl District {
    /// The district's crowd events.
    pub fn crowd_events(&self) -> &[CrowdEvent] {
        &self.spec.crowd_events
    }

    /// The events that fill an area holding any of `sensors`.
    pub fn crowd_events_at(&self, sensors: &[&str]) -> Vec<&CrowdEvent> {
        self.crowd_events()
            .iter()
            .filter(|event| {
                event.areas.iter().any(|id| {
                    self.crowd_area(id).is_some_and(|area| {
                        self.sensors_in(&area)
                            .iter()
                            .any(|sensor| sensors.contains(sensor))
                    })
                })
            })
            .collect()
    }
}

/// Checks every event: a known area, times that parse, each occurrence
/// ending after it starts and within a week.
pub(super) fn validate(spec: &DistrictSpec) -> Result<(), DistrictError> {
    let total: usize = spec.crowd_events.iter().map(|e| e.occurrences.len()).sum();
    if total > OCCURRENCES_COUNT_MAX {
        return Err(invalid(
            "district.crowd_events",
            format!("{total} occurrences"),
            format!("list at most {OCCURRENCES_COUNT_MAX}: the years ahead and the two behind"),
        ));
    }
    for (index, event) in spec.crowd_events.iter().enumerate() {
        let field = format!("district.crowd_events[{index}]");
        if event.name.trim().is_empty() {
            return Err(invalid(format!("{field}.name"), "empty", "name the event"));
        }
        if event.areas.is_empty() {
            return Err(invalid(
                format!("{field}.areas"),
                "empty",
                "name the sensitive areas, zones or stations it fills",
            ));
        }
        if let Some(unknown) = event.areas.iter().find(|id| !is_area(spec, id)) {
            return Err(invalid(
                format!("{field}.areas"),
                format!("\"{unknown}\" is no sensitive area, zone or station"),
                "use an id from sensitive_areas or stations",
            ));
        }
        for (at, window) in event.occurrences.iter().enumerate() {
            occurrence(&format!("{field}.occurrences[{at}]"), window)?;
        }
    }
    Ok(())
}

/// Whether `id` names a sensitive area, a station or a zone.
fn is_area(spec: &DistrictSpec, id: &str) -> bool {
    spec.sensitive_areas.iter().any(|area| area.id == id)
        || spec
            .stations
            .iter()
            .any(|station| station.id == id || station.zones.iter().any(|zone| zone.id == id))
}

fn occurrence(field: &str, window: &EventWindow) -> Result<(), DistrictError> {
    let Some((start, end)) = window.local_seconds() else {
        return Err(invalid(
            field,
            format!("start {:?}, end {:?}", window.start, window.end),
            "write local times as YYYY-MM-DDTHH:MM, e.g. 2026-12-31T20:00",
        ));
    };
    if end <= start || end - start > OCCURRENCE_S_MAX {
        return Err(invalid(
            field,
            format!("{} to {}", window.start, window.end),
            "an occurrence ends after it starts and lasts at most 7 days",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // The embedded district's countdown fills the Bund; a Bund sensor finds
    // it and a Yuyuan gate does not; an unknown area and a backwards
    // occurrence are refused by their field paths.
    #[test]
    fn events_find_their_areas_and_bad_ones_are_named() {
        let district = District::embedded();

        let at_bund: Vec<&str> = district
            .crowd_events_at(&["bund-chen-yi-square-camera"])
            .iter()
            .map(|e| e.id.as_str())
            .collect();
        assert!(at_bund.contains(&"new-year-countdown"), "{at_bund:?}");
        let at_yuyuan: Vec<&str> = district
            .crowd_events_at(&["yuyuan-gates"])
            .iter()
            .map(|e| e.id.as_str())
            .collect();
        assert!(!at_yuyuan.contains(&"new-year-countdown"), "{at_yuyuan:?}");
        let mut spec = district.clone().into_spec();
        spec.crowd_events[0].areas = vec!["atlantis".into()];
        let error = spec.validate().unwrap_err().to_string();
        assert!(error.contains("district.crowd_events[0].areas"), "{error}");
        let mut spec = district.into_spec();
        spec.crowd_events[0].occurrences[0].end = spec.crowd_events[0].occurrences[0].start.clone();
        let error = spec.validate().unwrap_err().to_string();
        assert!(
            error.contains("district.crowd_events[0].occurrences[0]"),
            "{error}"
        );
    }
}
