//! The counts CSV: a header `sensor,at,count` (or `area,at,count`), then a
//! row per count: an id, a local time `YYYY-MM-DDTHH:MM[:SS]` with an
//! optional UTC offset (`+13:00`, `Z`; kept only to be checked, since the
//! local clock is what crowds follow), and a whole number of people.

use std::collections::BTreeMap;

use crate::series::{Series, SeriesError};

/// Why a counts file was refused; each names the line and the fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CountsError {
    /// The header is not the expected one.
    #[error("line 1: the header is {found:?}; the file must start with `sensor,at,count` (or `area,at,count`)")]
    Header {
        /// What was there.
        found: String,
    },
    /// A row does not have three fields.
    #[error(
        "line {line}: {fields} fields; each row is `id,at,count` (quote nothing, no commas in ids)"
    )]
    Fields {
        /// 1-based line.
        line: usize,
        /// Fields found.
        fields: usize,
    },
    /// The id is empty.
    #[error("line {line}: the sensor or area id is empty: name it")]
    EmptyId {
        /// 1-based line.
        line: usize,
    },
    /// The time does not parse.
    #[error("line {line}: time {at:?} is not YYYY-MM-DDTHH:MM[:SS] with an optional offset such as +13:00")]
    Time {
        /// 1-based line.
        line: usize,
        /// The text.
        at: String,
    },
    /// The count does not parse.
    #[error("line {line}: count {count:?} is not a whole number of people, 0 or more")]
    Count {
        /// 1-based line.
        line: usize,
        /// The text.
        count: String,
    },
    /// One id's rows do not make a series.
    #[error("{id}: {source}")]
    Series {
        /// The id.
        id: String,
        /// Why.
        source: SeriesError,
    },
    /// No rows.
    #[error("no counts after the header: add rows `id,at,count`")]
    Empty,
}

/// Reads a counts CSV into one series per id at `step_s`.
pub fn parse(text: &str, step_s: u32) -> Result<BTreeMap<String, Series>, CountsError> {
    let mut lines = text.lines().enumerate();
    let header = lines.next().map(|(_, line)| line.trim()).unwrap_or("");
    if !matches!(header, "sensor,at,count" | "area,at,count") {
        return Err(CountsError::Header {
            found: header.to_owned(),
        });
    }
    let mut points: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
    for (index, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let (id, at_s, count) = row(index + 1, line)?;
        points.entry(id).or_default().push((at_s, count));
    }
    if points.is_empty() {
        return Err(CountsError::Empty);
    }
    points
        .into_iter()
        .map(|(id, points)| match Series::from_points(&points, step_s) {
            Ok(series) => Ok((id, series)),
            Err(source) => Err(CountsError::Series { id, source }),
        })
        .collect()
}

fn row(line: usize, text: &str) -> Result<(String, i64, f64), CountsError> {
    let fields: Vec<&str> = text.split(',').map(str::trim).collect();
    let [id, at, count] = fields[..] else {
        return Err(CountsError::Fields {
            line,
            fields: fields.len(),
        });
    };
    if id.is_empty() {
        return Err(CountsError::EmptyId { line });
    }
    let at_s = local_seconds(at).ok_or_else(|| CountsError::Time {
        line,
        at: at.to_owned(),
    })?;
    let count = count.parse::<u64>().map_err(|_| CountsError::Count {
        line,
        count: count.to_owned(),
    })?;
    Ok((id.to_owned(), at_s, count as f64))
}

/// Seconds since 1970-01-01 00:00 of the local civil time in `text`
/// (`YYYY-MM-DDTHH:MM[:SS]`, then `Z` or `+HH:MM` / `-HH:MM`, checked and
/// dropped).
pub fn local_seconds(text: &str) -> Option<i64> {
    let (date, rest) = text.split_once('T')?;
    let clock = rest
        .strip_suffix('Z')
        .or_else(|| strip_offset(rest))
        .unwrap_or(rest);
    let mut ymd = date.split('-');
    let (year, month, day) = (
        number(ymd.next()?)?,
        number(ymd.next()?)?,
        number(ymd.next()?)?,
    );
    let mut hms = clock.split(':');
    let (hour, minute) = (number(hms.next()?)?, number(hms.next()?)?);
    let second = hms.next().map_or(Some(0), number)?;
    let valid =
        ymd.next().is_none() && hms.next().is_none() && hour < 24 && minute < 60 && second < 60;
    let days = valid.then(|| days_since_1970(year, month, day)).flatten()?;
    Some(days * 86_400 + hour * 3_600 + minute * 60 + second)
}

/// `rest` without a trailing `+HH:MM` or `-HH:MM` offset, if it has one.
fn strip_offset(rest: &str) -> Option<&str> {
    let at = rest.len().checked_sub(6)?;
    let (clock, offset) = rest.split_at(at);
    let sign_ok = offset.starts_with('+') || offset.starts_with('-');
    let digits_ok = offset[1..3].bytes().all(|b| b.is_ascii_digit())
        && &offset[3..4] == ":"
        && offset[4..].bytes().all(|b| b.is_ascii_digit());
    (sign_ok && digits_ok).then_some(clock)
}

fn number(text: &str) -> Option<i64> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// Days from 1970-01-01 to the civil date; `None` for a date that does
/// not exist (a 13th month, 31 February).
fn days_since_1970(year: i64, month: i64, day: i64) -> Option<i64> {
    let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date =
        time::Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?)
            .ok()?;
    Some(i64::from(
        date.to_julian_day() - time::OffsetDateTime::UNIX_EPOCH.date().to_julian_day(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Rows become a series per id, in local time, offsets dropped; a gap is
    // a missing hour.
    #[test]
    fn rows_become_one_series_per_id() {
        let text = "sensor,at,count\n\
                    a,2023-01-01T00:00:00+13:00,10\n\
                    a,2023-01-01T02:00:00+13:00,30\n\
                    b,2023-01-01T00:00,5\n";

        let series = parse(text, 3_600).unwrap();

        assert_eq!(series["a"].values, vec![Some(10.0), None, Some(30.0)]);
        assert_eq!(series["a"].start_local_s, 1_672_531_200);
        assert_eq!(series["b"].values, vec![Some(5.0)]);
    }

    // Each bad row is refused with its line and what to do.
    #[test]
    fn bad_rows_name_their_line_and_the_fix() {
        let refused = |text: &str| parse(text, 3_600).unwrap_err().to_string();

        assert!(refused("when,count\n").contains("must start with `sensor,at,count`"));
        assert!(refused("sensor,at,count\na,2023-01-01T00:00\n").starts_with("line 2: 2 fields"));
        assert!(refused("sensor,at,count\n,2023-01-01T00:00,1\n").contains("id is empty"));
        assert!(refused("sensor,at,count\na,2023-13-01T00:00,1\n").starts_with("line 2: time"));
        assert!(refused("sensor,at,count\na,2023-01-01T00:00,-4\n").contains("whole number"));
        assert!(refused("sensor,at,count\na,2023-01-01T00:30,4\n").starts_with("a: "));
        assert!(refused("sensor,at,count\n").contains("no counts"));
    }
}
