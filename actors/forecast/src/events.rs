//! The event calendar: a district's major events (a countdown, a lantern
//! festival, public holidays) as windows of local time, and what each
//! event does to the crowd, learned from its earlier occurrences in the
//! counts as a multiplicative effect per step from the event's start.
//!
//! [`Model::EventCalendar`](crate::Model::EventCalendar) takes the events
//! out of the history (each event step replaced by the usual level at that
//! hour), forecasts the cleaned history with the combination, and puts
//! each learned effect back on the steps a coming occurrence covers. An
//! event with no earlier occurrence in the history has nothing learned and
//! changes nothing.

use std::collections::BTreeMap;

use crate::counts_csv::local_seconds;
use crate::series::Series;

/// The longest occurrence, in seconds: a week.
pub const OCCURRENCE_S_MAX: i64 = 7 * 86_400;
/// Weeks of the same step the usual level is the median of.
pub const USUAL_WEEKS: usize = 4;
/// Occurrences a calendar holds at most.
pub const OCCURRENCES_MAX: usize = 10_000;

/// One occurrence of an event: from `start_local_s` up to `end_local_s`,
/// local civil time as seconds since 1970-01-01 00:00 local.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// The event's name; occurrences with one name share what is learned.
    pub event: String,
    /// Its first second.
    pub start_local_s: i64,
    /// The second after its last.
    pub end_local_s: i64,
}

/// The occurrences of a district's events, in order of start.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Calendar {
    occurrences: Vec<Occurrence>,
}

/// Why occurrences do not make a calendar.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CalendarError {
    /// An occurrence ends before it starts, or lasts over a week.
    #[error("line {line}: {event} runs from local second {start_local_s} to {end_local_s}; an occurrence must end after it starts and last at most 7 days")]
    Window {
        /// 1-based line (0 when not from a file).
        line: usize,
        /// The event.
        event: String,
        /// Its start.
        start_local_s: i64,
        /// Its end.
        end_local_s: i64,
    },
    /// An empty event name.
    #[error("line {line}: the event name is empty: name it (e.g. new-year-countdown)")]
    EmptyName {
        /// 1-based line.
        line: usize,
    },
    /// The header is not `event,start,end`.
    #[error("line 1: the header is {found:?}; the file must start with `event,start,end`")]
    Header {
        /// What was there.
        found: String,
    },
    /// A row does not have three fields or a time does not parse.
    #[error("line {line}: {text:?} is not `event,start,end` with times YYYY-MM-DDTHH:MM[:SS] (optional offset such as +13:00)")]
    Row {
        /// 1-based line.
        line: usize,
        /// The row.
        text: String,
    },
    /// Too many occurrences.
    #[error("{count} occurrences; a calendar holds at most {OCCURRENCES_MAX}: keep the events that move crowds")]
    TooMany {
        /// How many were given.
        count: usize,
    },
}

impl Calendar {
    /// A calendar of `occurrences`, each checked.
    pub fn new(mut occurrences: Vec<Occurrence>) -> Result<Calendar, CalendarError> {
        if occurrences.len() > OCCURRENCES_MAX {
            return Err(CalendarError::TooMany {
                count: occurrences.len(),
            });
        }
        for occurrence in &occurrences {
            check(0, occurrence)?;
        }
        occurrences.sort_by(|a, b| {
            (a.start_local_s, a.end_local_s, &a.event).cmp(&(
                b.start_local_s,
                b.end_local_s,
                &b.event,
            ))
        });
        Ok(Calendar { occurrences })
    }

    /// Reads a CSV with the header `event,start,end` and a row per
    /// occurrence, times in local time as in the counts CSV.
    pub fn parse_csv(text: &str) -> Result<Calendar, CalendarError> {
        let mut lines = text.lines().enumerate();
        let header = lines.next().map(|(_, line)| line.trim()).unwrap_or("");
        if header != "event,start,end" {
            return Err(CalendarError::Header {
                found: header.to_owned(),
            });
        }
        let mut occurrences = Vec::new();
        for (index, line) in lines.filter(|(_, line)| !line.trim().is_empty()) {
            let occurrence = csv_row(index + 1, line)?;
            check(index + 1, &occurrence)?;
            occurrences.push(occurrence);
        }
        Calendar::new(occurrences)
    }

    /// True when it holds no occurrence.
    pub fn is_empty(&self) -> bool {
        self.occurrences.is_empty()
    }

    /// Its occurrences, in order of start.
    pub fn occurrences(&self) -> &[Occurrence] {
        &self.occurrences
    }

    /// Whether an occurrence overlaps local seconds `from_s` up to `to_s`.
    pub fn any_between(&self, from_s: i64, to_s: i64) -> bool {
        self.occurrences
            .iter()
            .any(|o| o.start_local_s < to_s && from_s < o.end_local_s)
    }

    /// The occurrence covering local second `at_s` and how many steps of
    /// `step_s` into it `at_s` is: the latest-starting one when several
    /// cover it.
    fn covering(&self, at_s: i64, step_s: u32) -> Option<(&str, usize)> {
        let started = self
            .occurrences
            .partition_point(|o| o.start_local_s <= at_s);
        self.occurrences[..started]
            .iter()
            .rev()
            .take_while(|o| at_s - o.start_local_s < OCCURRENCE_S_MAX)
            .find(|o| at_s < o.end_local_s)
            .map(|o| {
                let offset = (at_s - o.start_local_s) / i64::from(step_s);
                (o.event.as_str(), offset as usize)
            })
    }
}

fn check(line: usize, occurrence: &Occurrence) -> Result<(), CalendarError> {
    if occurrence.event.trim().is_empty() {
        return Err(CalendarError::EmptyName { line });
    }
    let length = occurrence.end_local_s - occurrence.start_local_s;
    if length <= 0 || length > OCCURRENCE_S_MAX {
        return Err(CalendarError::Window {
            line,
            event: occurrence.event.clone(),
            start_local_s: occurrence.start_local_s,
            end_local_s: occurrence.end_local_s,
        });
    }
    Ok(())
}

fn csv_row(line: usize, text: &str) -> Result<Occurrence, CalendarError> {
    let fields: Vec<&str> = text.split(',').map(str::trim).collect();
    let bad = || CalendarError::Row {
        line,
        text: text.to_owned(),
    };
    let [event, start, end] = fields[..] else {
        return Err(bad());
    };
    Ok(Occurrence {
        event: event.to_owned(),
        start_local_s: local_seconds(start).ok_or_else(bad)?,
        end_local_s: local_seconds(end).ok_or_else(bad)?,
    })
}

/// What the calendar makes of one history: the log counts with the event
/// steps replaced by the usual level, and each event's mean effect on the
/// log scale per step from its start.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Learned {
    /// `ln(1 + count)` per step, event steps at their usual level.
    pub cleaned: Vec<f64>,
    /// Per event, per step from its start, the mean departure from the
    /// usual level over the earlier occurrences that counted that step.
    pub effects: BTreeMap<String, BTreeMap<usize, f64>>,
}

impl Learned {
    /// The effect on the step at local second `at_s`, if an occurrence
    /// covers it and its event has been seen at that step before.
    pub fn effect_at(&self, calendar: &Calendar, at_s: i64, step_s: u32) -> Option<f64> {
        let (event, offset) = calendar.covering(at_s, step_s)?;
        self.effects.get(event)?.get(&offset).copied()
    }
}

/// Learns `calendar`'s effects from `history` (filled on the log scale as
/// `log`) and cleans the event steps out of it.
pub(crate) fn learn(history: &Series, log: &[f64], calendar: &Calendar) -> Learned {
    let week = history.week_steps();
    let step = i64::from(history.step_s);
    let mut cleaned = log.to_vec();
    let mut sums: BTreeMap<(String, usize), (f64, usize)> = BTreeMap::new();
    for t in 0..log.len() {
        let at_s = history.start_local_s + t as i64 * step;
        let Some((event, offset)) = calendar.covering(at_s, history.step_s) else {
            continue;
        };
        let usual = usual_level(&cleaned, t, week);
        if let Some(usual) = usual {
            cleaned[t] = usual;
            if history.values[t].is_some() {
                let sum = sums.entry((event.to_owned(), offset)).or_default();
                sum.0 += log[t] - usual;
                sum.1 += 1;
            }
        }
    }
    let mut effects: BTreeMap<String, BTreeMap<usize, f64>> = BTreeMap::new();
    for ((event, offset), (sum, n)) in sums {
        effects
            .entry(event)
            .or_default()
            .insert(offset, sum / n as f64);
    }
    Learned { cleaned, effects }
}

/// The median of the (already cleaned) values 1 to [`USUAL_WEEKS`] weeks
/// before `t`; `None` in the first week.
fn usual_level(cleaned: &[f64], t: usize, week: usize) -> Option<f64> {
    let mut past: Vec<f64> = (1..=USUAL_WEEKS)
        .filter_map(|k| t.checked_sub(k * week).map(|i| cleaned[i]))
        .collect();
    (!past.is_empty()).then(|| crate::models::median(&mut past))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600;

    fn occurrence(event: &str, start_h: i64, hours: i64) -> Occurrence {
        Occurrence {
            event: event.to_owned(),
            start_local_s: start_h * HOUR,
            end_local_s: (start_h + hours) * HOUR,
        }
    }

    // A CSV of occurrences reads in order of start; a bad header, a bad
    // time and an occurrence that ends before it starts are named.
    #[test]
    fn a_csv_reads_and_bad_rows_are_named() {
        let text = "event,start,end\n\
            autumn-fair,2026-03-03T17:00,2026-03-03T23:00\n\
            countdown,2025-12-31T20:00+08:00,2026-01-01T02:00+08:00\n";

        let calendar = Calendar::parse_csv(text).unwrap();

        assert_eq!(calendar.occurrences()[0].event, "countdown");
        assert_eq!(
            calendar.occurrences()[0].end_local_s - calendar.occurrences()[0].start_local_s,
            6 * HOUR
        );
        let header = Calendar::parse_csv("name,start,end\n").unwrap_err();
        assert!(header.to_string().contains("event,start,end"));
        let time = Calendar::parse_csv("event,start,end\nx,2026-02-30T00:00,2026-03-01T00:00\n")
            .unwrap_err();
        assert!(matches!(time, CalendarError::Row { line: 2, .. }), "{time}");
        let backwards =
            Calendar::parse_csv("event,start,end\nx,2026-03-02T00:00,2026-03-01T00:00\n")
                .unwrap_err();
        assert!(backwards.to_string().contains("end after it starts"));
    }

    // An event that trebles the crowd for three hours in weeks 4 and 6 of a
    // flat history: both occurrences are cleaned to the usual level and the
    // effect learned is ln 3 (on ln(1 + count)) at each of its steps.
    #[test]
    fn an_effect_is_learned_and_the_history_cleaned() {
        let week = 168_i64;
        let calendar = Calendar::new(vec![
            occurrence("fair", 4 * week + 10, 3),
            occurrence("fair", 6 * week + 10, 3),
        ])
        .unwrap();
        let values: Vec<Option<f64>> = (0..7 * week)
            .map(|t| {
                let inside = [4, 6]
                    .iter()
                    .any(|w| (w * week + 10..w * week + 13).contains(&t));
                Some(if inside { 299.0 } else { 99.0 })
            })
            .collect();
        let history = Series {
            start_local_s: 0,
            step_s: 3_600,
            values,
        };

        let log = history.log_filled();
        let learned = learn(&history, &log, &calendar);

        assert!(learned
            .cleaned
            .iter()
            .all(|v| (v - 100_f64.ln()).abs() < 1e-9));
        let fair = &learned.effects["fair"];
        assert_eq!(fair.len(), 3);
        assert!(
            fair.values().all(|e| (e - 3_f64.ln()).abs() < 1e-9),
            "{fair:?}"
        );
        let at = (8 * week + 11) * HOUR;
        assert_eq!(learned.effect_at(&calendar, at, 3_600), None);
    }
}
