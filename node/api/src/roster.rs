//! The roster of people of rings 1 and 2 as the API shows it (JSON) and as
//! roster files carry it (CSV, one member a row): `GET /v1/roster`,
//! `GET /v1/roster/csv`, `POST /v1/roster` (CSV) and a member's
//! availability.
//!
//! The CSV has a header row `id,name,role,team,area,contact,skills,shifts,available`;
//! `skills` and `shifts` hold several values separated by `;`, a shift is
//! its days then its local hours (`mon-fri 08:00-16:00`, `sat,sun
//! 10:00-22:00`, `daily 22:00-06:00`: an end at or before the start runs
//! past midnight), and `available` is `yes` or `no`. Fields with a comma,
//! a quote or a line break are quoted, quotes doubled.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The CSV header, in column order.
pub const CSV_HEADER: &str = "id,name,role,team,area,contact,skills,shifts,available";
const COLUMNS: [&str; 9] = [
    "id",
    "name",
    "role",
    "team",
    "area",
    "contact",
    "skills",
    "shifts",
    "available",
];
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// One member of the community forces.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RosterMember {
    /// Its id, e.g. `bund-volunteer-wang`.
    pub id: String,
    /// The person's name.
    pub name: String,
    /// `cadre`, `social_worker`, `building_head`, `property_security`,
    /// `volunteer`, `party_member`, `veteran`, `merchant_security` or
    /// `hospital_liaison`.
    pub role: String,
    /// The ring-1 or ring-2 team (a unit id) they serve in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// The station or sensitive area they serve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<String>,
    /// How to reach them, e.g. `app:wang.li`.
    pub contact: String,
    /// Skills, e.g. `first_aid`.
    #[serde(default)]
    pub skills: Vec<String>,
    /// Weekly shifts in local time.
    #[serde(default)]
    pub shifts: Vec<RosterShift>,
    /// False while they said they cannot come.
    pub available: bool,
    /// On duty now (a shift covers this moment and they are available);
    /// answers only.
    #[serde(default)]
    pub on_duty: bool,
}

/// A weekly shift: days (bit 0 Monday) and local hours, minutes after midnight.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RosterShift {
    /// The days it starts on, bit 0 Monday to bit 6 Sunday.
    pub days: u8,
    /// Its start, minutes after local midnight.
    pub start_min: u16,
    /// Its end, minutes after local midnight (at or before the start: the next day).
    pub end_min: u16,
}

/// `GET /v1/roster`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Roster {
    /// Every member, by id.
    pub members: Vec<RosterMember>,
}

/// Body of `POST /v1/roster/{id}/availability`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberAvailability {
    /// Makes the request idempotent; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Whether they can come.
    pub available: bool,
}

/// A bad row of a roster file: its line, the column and the fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    /// The line in the file, from 1 (the header is line 1).
    pub line: usize,
    /// The column, e.g. `shifts`.
    pub column: &'static str,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}, {}: {}", self.line, self.column, self.message)
    }
}

/// The roster file's members, or every bad row with its line and fix.
pub fn parse_csv(text: &str) -> Result<Vec<RosterMember>, Vec<RowError>> {
    parse_csv_rows(text).map(|rows| rows.into_iter().map(|(_, member)| member).collect())
}

/// The roster file's members with the line each is on, or every bad row
/// with its line and fix.
pub fn parse_csv_rows(text: &str) -> Result<Vec<(usize, RosterMember)>, Vec<RowError>> {
    let mut rows = records(text).into_iter();
    let Some((_, header)) = rows.next() else {
        return Err(vec![RowError {
            line: 1,
            column: "header",
            message: format!("the file is empty: start with the header `{CSV_HEADER}`"),
        }]);
    };
    if header.iter().map(|h| h.trim()).collect::<Vec<_>>() != COLUMNS {
        return Err(vec![RowError {
            line: 1,
            column: "header",
            message: format!("the header must be `{CSV_HEADER}`"),
        }]);
    }
    let mut members = Vec::new();
    let mut errors = Vec::new();
    for (line, fields) in rows {
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        match member(line, &fields) {
            Ok(member) => members.push((line, member)),
            Err(error) => errors.push(error),
        }
    }
    if errors.is_empty() {
        Ok(members)
    } else {
        Err(errors)
    }
}

/// One row as a member.
fn member(line: usize, fields: &[String]) -> Result<RosterMember, RowError> {
    let bad = |column: &'static str, message: String| RowError {
        line,
        column,
        message,
    };
    if fields.len() != COLUMNS.len() {
        return Err(bad(
            "row",
            format!("{} fields: a row has 9 ({CSV_HEADER})", fields.len()),
        ));
    }
    let field = |i: usize| fields[i].trim();
    let optional = |i: usize| Some(field(i).to_owned()).filter(|f| !f.is_empty());
    let list = |i: usize| {
        field(i)
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    if field(0).is_empty() {
        return Err(bad(
            "id",
            "empty: give the member an id, e.g. bund-volunteer-wang".into(),
        ));
    }
    let available = match field(8) {
        "yes" | "true" | "" => true,
        "no" | "false" => false,
        other => return Err(bad("available", format!("{other:?}: write yes or no"))),
    };
    let shifts = list(7)
        .iter()
        .map(|text| shift(text).ok_or_else(|| bad("shifts", format!("{text:?} is not a shift: write days then hours, e.g. mon-fri 08:00-16:00 or daily 22:00-06:00"))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RosterMember {
        id: field(0).to_owned(),
        name: field(1).to_owned(),
        role: field(2).to_owned(),
        team: optional(3),
        area: optional(4),
        contact: field(5).to_owned(),
        skills: list(6),
        shifts,
        available,
        on_duty: false,
    })
}

/// A shift's text, `mon-fri 08:00-16:00`.
fn shift(text: &str) -> Option<RosterShift> {
    let (days, hours) = text.split_once(' ')?;
    let (start, end) = hours.trim().split_once('-')?;
    Some(RosterShift {
        days: days_mask(days)?,
        start_min: minutes(start)?,
        end_min: minutes(end)?,
    })
}

fn days_mask(text: &str) -> Option<u8> {
    if text == "daily" {
        return Some(0b111_1111);
    }
    let day = |name: &str| DAYS.iter().position(|d| *d == name);
    let mut mask = 0u8;
    for part in text.split(',') {
        match part.split_once('-') {
            Some((from, to)) => {
                let (from, to) = (day(from)?, day(to)?);
                if from > to {
                    return None;
                }
                for d in from..=to {
                    mask |= 1 << d;
                }
            }
            None => mask |= 1 << day(part)?,
        }
    }
    Some(mask)
}

fn minutes(text: &str) -> Option<u16> {
    let (hours, minutes) = text.split_once(':')?;
    let (hours, minutes): (u16, u16) = (hours.parse().ok()?, minutes.parse().ok()?);
    (hours <= 24 && minutes < 60 && hours * 60 + minutes <= 24 * 60).then_some(hours * 60 + minutes)
}

/// The members as a roster file, header first, in the order given.
pub fn to_csv(members: &[RosterMember]) -> String {
    let mut out = String::from(CSV_HEADER);
    out.push('\n');
    for m in members {
        let shifts: Vec<String> = m.shifts.iter().map(shift_text).collect();
        let fields = [
            m.id.clone(),
            m.name.clone(),
            m.role.clone(),
            m.team.clone().unwrap_or_default(),
            m.area.clone().unwrap_or_default(),
            m.contact.clone(),
            m.skills.join(";"),
            shifts.join(";"),
            if m.available { "yes" } else { "no" }.to_owned(),
        ];
        let quoted: Vec<String> = fields.iter().map(|f| quote(f)).collect();
        out.push_str(&quoted.join(","));
        out.push('\n');
    }
    out
}

fn shift_text(shift: &RosterShift) -> String {
    let days = if shift.days == 0b111_1111 {
        "daily".to_owned()
    } else {
        days_text(shift.days)
    };
    let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
    format!("{days} {}-{}", hm(shift.start_min), hm(shift.end_min))
}

/// Days as runs: `mon-fri`, `mon,wed`, `fri-sun`.
fn days_text(mask: u8) -> String {
    let on = |d: usize| mask & (1 << d) != 0;
    let mut runs = Vec::new();
    let mut d = 0;
    while d < DAYS.len() {
        if !on(d) {
            d += 1;
            continue;
        }
        let start = d;
        while d + 1 < DAYS.len() && on(d + 1) {
            d += 1;
        }
        runs.push(if start == d {
            DAYS[d].to_owned()
        } else {
            format!("{}-{}", DAYS[start], DAYS[d])
        });
        d += 1;
    }
    runs.join(",")
}

fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

/// The file's records with the line each starts on; quoted fields may hold
/// commas, doubled quotes and line breaks.
fn records(text: &str) -> Vec<(usize, Vec<String>)> {
    let mut records = Vec::new();
    let (mut fields, mut field) = (Vec::new(), String::new());
    let (mut line, mut start_line, mut quoted) = (1, 1, false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => fields.push(std::mem::take(&mut field)),
            (false, '\n') => {
                fields.push(std::mem::take(&mut field));
                records.push((start_line, std::mem::take(&mut fields)));
                line += 1;
                start_line = line;
            }
            (false, '\r') => {}
            (_, c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
        }
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        records.push((start_line, fields));
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_roster_file_round_trips_and_bad_rows_name_their_line_and_fix() {
        // Phase 1: a file with a quoted name, two shifts and an overnight one
        // reads and writes back the same.
        let file = format!(
            "{CSV_HEADER}\nbund-volunteer-wang,\"Wang, Li\",volunteer,bund-2-guardians,bund,app:wang.li,first_aid;aed,mon-fri 08:00-16:00;sat 10:00-14:00,yes\n\
             bund-cadre-zhou,Zhou Min,cadre,,bund,tel:+86-21-0000,,daily 22:00-06:00,no\n"
        );
        let members = parse_csv(&file).unwrap();
        assert_eq!(members.len(), 2);
        assert_eq!(members[0].name, "Wang, Li");
        assert_eq!(
            members[0].shifts[0],
            RosterShift {
                days: 0b001_1111,
                start_min: 480,
                end_min: 960
            }
        );
        assert_eq!(members[1].shifts[0].days, 0b111_1111);
        assert!(!members[1].available && members[1].team.is_none());
        assert_eq!(to_csv(&members), file);
        assert_eq!(parse_csv(&to_csv(&members)).unwrap(), members);

        // Phase 2: every bad row is reported with its line, column and fix.
        let bad = format!("{CSV_HEADER}\nok-1,A,volunteer,,,app:a,,mon 08:00-09:00,yes\nbad-shift,B,volunteer,,,app:b,,mon 8-16,yes\n,C,cadre,,,app:c,,,yes\nbad-yes,D,cadre,,,app:d,,,maybe\n");
        let errors = parse_csv(&bad).unwrap_err();
        let said: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            errors
                .iter()
                .map(|e| (e.line, e.column))
                .collect::<Vec<_>>(),
            [(3, "shifts"), (4, "id"), (5, "available")],
            "{said:?}"
        );
        assert!(said[0].contains("e.g. mon-fri 08:00-16:00"), "{}", said[0]);
        let header = parse_csv("id,name\n").unwrap_err();
        assert_eq!((header[0].line, header[0].column), (1, "header"));
    }
}
