//! Who may do what: principals (people and systems with a name and roles),
//! the rights a request or a ledger action needs, and the one table that
//! says which role holds which right ([`RoleKind::grants`]).
//!
//! The API asks [`Principal::may`] before it serves a route; the ledger asks
//! it again (with the records' scope: a unit's station, an incident's
//! station, a report's channel) when it applies a client's command, so a
//! forwarded or replayed write is judged by the same rules.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::ids::{Channel, StationId, UnitId};

/// Longest principal name.
pub const PRINCIPAL_NAME_BYTES_MAX: usize = 64;
/// Most roles one principal holds.
pub const PRINCIPAL_ROLES_MAX: usize = 8;

/// A role, with its scope where it has one.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reports incidents from one intake channel (a 110 gateway, the
    /// community app, the risk-sensing platform, a partner feed).
    Reporter {
        /// The channel it reports from.
        channel: Channel,
    },
    /// Takes reports from any channel, moves units, resolves and cancels.
    Dispatcher,
    /// A dispatcher who also approves mobilisation plans and reads the audit log.
    Commander,
    /// A station's command room: its own station's units and incidents.
    Station {
        /// The station.
        station: StationId,
    },
    /// One unit in the field: its own status and position only.
    Field {
        /// The unit.
        unit: UnitId,
    },
    /// Runs the cluster: reads everything and the audit log (membership,
    /// drain, snapshots and tokens go through `cordon ctl` with the
    /// operator certificate).
    Operator,
    /// Injects drill faults, on nodes started with `--drills` only.
    Drill,
    /// Reads only.
    Viewer,
    /// A member of the community forces on their phone: reports from the
    /// community channel and reports hazards; while the roster puts them in
    /// a team, acts for the team's unit as its field role does (its status,
    /// check-ins, notes, and verifying what the team was pushed).
    Member {
        /// The member's roster id.
        member: String,
    },
    /// A city-operations centre, a partner: receives the incidents that
    /// concern it (the district's centre all of them, a subdistrict's
    /// those of its station) and changes nothing.
    CityOps {
        /// The station whose subdistrict it serves; `None`: the district's.
        station: Option<StationId>,
    },
}

/// A role without its scope: a column of the rights table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RoleKind {
    /// [`Role::Reporter`].
    Reporter,
    /// [`Role::Dispatcher`].
    Dispatcher,
    /// [`Role::Commander`].
    Commander,
    /// [`Role::Station`].
    Station,
    /// [`Role::Field`].
    Field,
    /// [`Role::Operator`].
    Operator,
    /// [`Role::Drill`].
    Drill,
    /// [`Role::Viewer`].
    Viewer,
    /// [`Role::Member`].
    Member,
    /// [`Role::CityOps`].
    CityOps,
}

/// What a request or a client's ledger action needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Right {
    /// Read incidents, units, actors, the cluster and the event stream.
    Read,
    /// Read the operator audit log.
    ReadAudit,
    /// Report an incident (a reporter: from its own channel).
    Report,
    /// Report a unit's status and position (field: its own unit; station:
    /// its station's units).
    UpdateUnit,
    /// Approve a mobilisation plan.
    ApprovePlan,
    /// Approve or decline a move-up.
    ApproveMoveUp,
    /// Resolve or cancel an incident (station: its own station's).
    CloseIncident,
    /// Inject drill faults.
    Drill,
    /// Record crowd counts (a reporter: from the risk-warning channel).
    RecordCrowdCounts,
    /// Work the hazard register (a reporter or field unit: report only; a
    /// field unit: verify what it was pushed; a station: its own ground).
    HandleHazards,
    /// Work an incident by hand: assign a unit, add a note, acknowledge an
    /// unresourced wait (station: its own station's incidents).
    Dispatch,
    /// Manage the roster of people of rings 1 and 2.
    ManageRoster,
    /// Receive the partner feed of incidents that concern a city-operations
    /// centre (a subdistrict's centre: its station's only).
    PartnerFeed,
    /// Command at the district level: answer a station room's ask for more.
    CommandDistrict,
}

impl Right {
    /// Every right, in table order.
    pub const ALL: [Right; 14] = [
        Right::Read,
        Right::ReadAudit,
        Right::Report,
        Right::UpdateUnit,
        Right::ApprovePlan,
        Right::ApproveMoveUp,
        Right::CloseIncident,
        Right::Drill,
        Right::RecordCrowdCounts,
        Right::HandleHazards,
        Right::Dispatch,
        Right::ManageRoster,
        Right::PartnerFeed,
        Right::CommandDistrict,
    ];

    /// The right's name in refusals and `GET /v1/whoami`.
    pub fn as_str(self) -> &'static str {
        match self {
            Right::Read => "read",
            Right::ReadAudit => "read_audit",
            Right::Report => "report",
            Right::UpdateUnit => "update_unit",
            Right::ApprovePlan => "approve_plan",
            Right::ApproveMoveUp => "approve_move_up",
            Right::CloseIncident => "close_incident",
            Right::Drill => "drill",
            Right::RecordCrowdCounts => "record_crowd_counts",
            Right::HandleHazards => "handle_hazards",
            Right::Dispatch => "dispatch",
            Right::ManageRoster => "manage_roster",
            Right::PartnerFeed => "partner_feed",
            Right::CommandDistrict => "command_district",
        }
    }
}

impl RoleKind {
    /// Every role kind, in table order.
    pub const ALL: [RoleKind; 10] = [
        RoleKind::Reporter,
        RoleKind::Dispatcher,
        RoleKind::Commander,
        RoleKind::Station,
        RoleKind::Field,
        RoleKind::Operator,
        RoleKind::Drill,
        RoleKind::Viewer,
        RoleKind::Member,
        RoleKind::CityOps,
    ];

    /// The rights table: which role holds which right. The one place that
    /// says it; no wildcard, so a new right or role needs its row.
    #[rustfmt::skip] // reason: the table reads as rows and columns
    pub fn grants(self, right: Right) -> bool {
        use RoleKind::{CityOps, Commander, Dispatcher, Drill, Field, Member, Operator, Reporter, Station, Viewer};
        match right {
            Right::Read =>          matches!(self, Dispatcher | Commander | Station | Field | Operator | Drill | Viewer | Member),
            Right::ReadAudit =>     matches!(self, Commander | Operator),
            Right::Report =>        matches!(self, Reporter | Dispatcher | Commander | Station | Member),
            Right::UpdateUnit =>    matches!(self, Dispatcher | Commander | Station | Field | Member),
            Right::ApprovePlan =>   matches!(self, Commander | Station),
            Right::ApproveMoveUp => matches!(self, Commander),
            Right::CloseIncident => matches!(self, Dispatcher | Commander | Station),
            Right::Drill =>         matches!(self, Drill),
            Right::RecordCrowdCounts => matches!(self, Reporter | Commander),
            Right::HandleHazards => matches!(self, Reporter | Dispatcher | Commander | Station | Field | Member),
            Right::Dispatch =>      matches!(self, Dispatcher | Commander | Station),
            Right::ManageRoster =>  matches!(self, Commander),
            Right::PartnerFeed =>   matches!(self, Commander | Operator | CityOps),
            Right::CommandDistrict => matches!(self, Commander),
        }
    }

    /// The kind's name (`dispatcher`).
    pub fn as_str(self) -> &'static str {
        match self {
            RoleKind::Reporter => "reporter",
            RoleKind::Dispatcher => "dispatcher",
            RoleKind::Commander => "commander",
            RoleKind::Station => "station",
            RoleKind::Field => "field",
            RoleKind::Operator => "operator",
            RoleKind::Drill => "drill",
            RoleKind::Viewer => "viewer",
            RoleKind::Member => "member",
            RoleKind::CityOps => "city_ops",
        }
    }

    /// The roles that hold `right`, for refusals ("needs dispatcher, commander").
    pub fn holders(right: Right) -> Vec<RoleKind> {
        RoleKind::ALL
            .into_iter()
            .filter(|kind| kind.grants(right))
            .collect()
    }
}

impl Role {
    /// The role's column in the rights table.
    pub fn kind(&self) -> RoleKind {
        match self {
            Role::Reporter { .. } => RoleKind::Reporter,
            Role::Dispatcher => RoleKind::Dispatcher,
            Role::Commander => RoleKind::Commander,
            Role::Station { .. } => RoleKind::Station,
            Role::Field { .. } => RoleKind::Field,
            Role::Operator => RoleKind::Operator,
            Role::Drill => RoleKind::Drill,
            Role::Viewer => RoleKind::Viewer,
            Role::Member { .. } => RoleKind::Member,
            Role::CityOps { .. } => RoleKind::CityOps,
        }
    }

    /// True when this role may exercise `right` on `scope`.
    fn covers(&self, right: Right, scope: &Scope) -> bool {
        if !self.kind().grants(right) {
            return false;
        }
        match (self, scope) {
            (Role::Reporter { channel }, Scope::Report { channel: asked }) => channel == asked,
            // A member reports as the community; their team's unit is
            // theirs through the field role the ledger adds while the
            // roster puts them in it (`Ledger::acting_principal`).
            (Role::Member { .. }, scope) => member_may_act_on(scope),
            (Role::CityOps { .. }, scope) => matches!(scope, Scope::Any),
            (Role::Field { unit }, Scope::Unit { unit: asked, .. }) => unit == asked,
            (Role::Station { station }, Scope::Unit { station: asked, .. })
            | (Role::Station { station }, Scope::Incident { station: asked }) => {
                asked.as_ref() == Some(station)
            }
            (Role::Reporter { .. } | Role::Field { .. }, _) => {
                matches!(scope, Scope::Any)
            }
            _ => true,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Role::Reporter { channel } => write!(f, "reporter:{}", channel.as_str()),
            Role::Station { station } => write!(f, "station:{}", station.as_str()),
            Role::Field { unit } => write!(f, "field:{}", unit.0),
            Role::Member { member } => write!(f, "member:{member}"),
            Role::CityOps {
                station: Some(station),
            } => write!(f, "city_ops:{}", station.as_str()),
            other => f.write_str(other.kind().as_str()),
        }
    }
}

/// How to write a role, for parse errors.
pub const ROLE_SYNTAX: &str =
    "reporter:<emergency_call|community_report|risk_warning|partner_feed|safe_house_alarm>, \
     dispatcher, commander, station:<station id>, field:<unit id>, operator, drill, viewer, \
     member:<member id>, city_ops (the district's centre) or city_ops:<station id> (a subdistrict's)";

impl FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Role, String> {
        let (kind, scope) = match text.split_once(':') {
            Some((kind, scope)) => (kind, Some(scope)),
            None => (text, None),
        };
        let bad = || format!("role {text:?} is unknown: use {ROLE_SYNTAX}");
        let scoped = |scope: Option<&str>| {
            scope
                .filter(|s| name_is_valid(s))
                .map(str::to_string)
                .ok_or_else(bad)
        };
        match (kind, scope) {
            ("reporter", Some(channel)) => {
                let channel = Channel::ALL
                    .into_iter()
                    .find(|c| c.as_str() == channel)
                    .ok_or_else(bad)?;
                Ok(Role::Reporter { channel })
            }
            ("station", scope) => Ok(Role::Station {
                station: StationId(scoped(scope)?),
            }),
            ("field", scope) => Ok(Role::Field {
                unit: UnitId(scoped(scope)?),
            }),
            ("member", scope) => Ok(Role::Member {
                member: scoped(scope)?,
            }),
            ("city_ops", None) => Ok(Role::CityOps { station: None }),
            ("city_ops", scope) => Ok(Role::CityOps {
                station: Some(StationId(scoped(scope)?)),
            }),
            ("dispatcher", None) => Ok(Role::Dispatcher),
            ("commander", None) => Ok(Role::Commander),
            ("operator", None) => Ok(Role::Operator),
            ("drill", None) => Ok(Role::Drill),
            ("viewer", None) => Ok(Role::Viewer),
            _ => Err(bad()),
        }
    }
}

/// What a right is exercised on, for the scoped roles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Nothing in particular (reads, approvals).
    Any,
    /// A report from this channel.
    Report {
        /// The report's channel.
        channel: Channel,
    },
    /// A unit, with its station.
    Unit {
        /// The unit.
        unit: UnitId,
        /// Its station, if it has one.
        station: Option<StationId>,
    },
    /// An incident, with its owning station (none before triage).
    Incident {
        /// Its station.
        station: Option<StationId>,
    },
}

/// The credential a principal proved itself with.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Credential {
    /// A bearer token issued by an operator, by its id.
    Token {
        /// The token's id (not its secret).
        id: String,
    },
    /// A client certificate signed by the cluster CA.
    Certificate {
        /// The first 16 hex digits of the SHA-256 of its DER.
        fingerprint: String,
    },
}

impl fmt::Display for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Token { id } => write!(f, "token {id}"),
            Credential::Certificate { fingerprint } => write!(f, "certificate {fingerprint}"),
        }
    }
}

/// A person or system, authenticated: who the audit trail names.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Principal {
    /// The name (`dispatcher-li`, `gateway-110`).
    pub name: String,
    /// Its roles; a right held by any of them is held.
    pub roles: Vec<Role>,
    /// How it proved who it is.
    pub credential: Credential,
}

/// Why a principal may not do something: names the roles that may.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{principal} ({roles}) may not {right}{scope}: it needs the role {needed}")]
pub struct Denied {
    /// The principal's name.
    pub principal: String,
    /// Its roles, as text.
    pub roles: String,
    /// The right asked for.
    pub right: String,
    /// What it was asked on, as text ("" when nothing in particular).
    pub scope: String,
    /// The roles that would do.
    pub needed: String,
}

impl Principal {
    /// Whether this principal may exercise `right` on `scope`.
    pub fn may(&self, right: Right, scope: &Scope) -> Result<(), Denied> {
        if self.roles.iter().any(|role| role.covers(right, scope)) {
            return Ok(());
        }
        let needed: Vec<String> = RoleKind::holders(right)
            .into_iter()
            .filter(|kind| *kind != RoleKind::Member || member_may_act_on(scope))
            .map(|kind| match (kind, scope) {
                (RoleKind::Reporter, Scope::Report { channel }) => {
                    format!("reporter:{}", channel.as_str())
                }
                (RoleKind::Field, Scope::Unit { unit, .. }) => format!("field:{}", unit.0),
                (
                    RoleKind::Station,
                    Scope::Unit {
                        station: Some(s), ..
                    },
                )
                | (RoleKind::Station, Scope::Incident { station: Some(s) }) => {
                    format!("station:{}", s.as_str())
                }
                (kind, _) => kind.as_str().to_string(),
            })
            .collect();
        Err(Denied {
            principal: self.name.clone(),
            roles: self.roles_text(),
            right: right.as_str().to_string(),
            scope: scope_text(scope),
            needed: needed.join(" or "),
        })
    }

    /// The roles as `dispatcher, station:bund`.
    pub fn roles_text(&self) -> String {
        let roles: Vec<String> = self.roles.iter().map(ToString::to_string).collect();
        roles.join(", ")
    }

    /// Every right some role of this principal holds (on some scope).
    pub fn rights(&self) -> Vec<Right> {
        Right::ALL
            .into_iter()
            .filter(|right| self.roles.iter().any(|role| role.kind().grants(*right)))
            .collect()
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}; {})",
            self.name,
            self.roles_text(),
            self.credential
        )
    }
}

/// True when a member's own role (not the field role of their team) can
/// act on `scope`: nothing in particular, or a community report.
fn member_may_act_on(scope: &Scope) -> bool {
    match scope {
        Scope::Any => true,
        Scope::Report { channel } => *channel == Channel::CommunityReport,
        Scope::Unit { .. } | Scope::Incident { .. } => false,
    }
}

fn scope_text(scope: &Scope) -> String {
    match scope {
        Scope::Any => String::new(),
        Scope::Report { channel } => format!(" from channel {}", channel.as_str()),
        Scope::Unit { unit, .. } => format!(" on unit {}", unit.0),
        Scope::Incident { station: Some(s) } => {
            format!(" on an incident of station {}", s.as_str())
        }
        Scope::Incident { station: None } => " on an incident no station owns yet".to_string(),
    }
}

/// True when `name` is 1 to [`PRINCIPAL_NAME_BYTES_MAX`] characters of
/// A-Z, a-z, 0-9, '-', '_', '.' and '@': the rule for principal names and
/// role scopes.
pub fn name_is_valid(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= PRINCIPAL_NAME_BYTES_MAX
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(roles: &[&str]) -> Principal {
        Principal {
            name: "someone".into(),
            roles: roles.iter().map(|r| r.parse().unwrap()).collect(),
            credential: Credential::Token { id: "t1".into() },
        }
    }

    #[test]
    fn every_role_round_trips_through_its_text() {
        // The text form (CLI, certificates) parses back to the same role.
        for text in [
            "reporter:emergency_call",
            "reporter:partner_feed",
            "dispatcher",
            "commander",
            "station:bund",
            "field:bund-1-a",
            "operator",
            "drill",
            "viewer",
            "member:bund-1-volunteer-wang",
            "city_ops",
            "city_ops:bund",
        ] {
            let role: Role = text.parse().unwrap();
            assert_eq!(role.to_string(), text);
        }
        for bad in [
            "",
            "reporter",
            "reporter:fax",
            "station",
            "field:",
            "admin",
            "viewer:x",
            "station:a b",
        ] {
            let error = bad.parse::<Role>().expect_err(bad);
            assert!(error.contains("dispatcher, commander"), "{error}");
        }
    }

    #[test]
    fn scoped_roles_act_only_on_their_own_scope() {
        // A field unit moves itself, a station its own units and incidents,
        // a reporter reports from its own channel.
        let unit = |u: &str, s: &str| Scope::Unit {
            unit: UnitId(u.into()),
            station: Some(StationId(s.into())),
        };
        let field = principal(&["field:bund-1-a"]);
        assert!(field
            .may(Right::UpdateUnit, &unit("bund-1-a", "bund"))
            .is_ok());
        let denied = field
            .may(Right::UpdateUnit, &unit("bund-1-b", "bund"))
            .unwrap_err();
        assert!(denied.to_string().contains("field:bund-1-b"), "{denied}");
        assert!(field.may(Right::CloseIncident, &Scope::Any).is_err());

        let station = principal(&["station:bund"]);
        assert!(station
            .may(Right::UpdateUnit, &unit("bund-1-b", "bund"))
            .is_ok());
        assert!(station
            .may(Right::UpdateUnit, &unit("yu-1", "yuyuan"))
            .is_err());
        let own = Scope::Incident {
            station: Some(StationId("bund".into())),
        };
        assert!(station.may(Right::CloseIncident, &own).is_ok());
        assert!(station
            .may(Right::CloseIncident, &Scope::Incident { station: None })
            .is_err());

        let gateway = principal(&["reporter:emergency_call"]);
        let call = Scope::Report {
            channel: Channel::EmergencyCall,
        };
        let feed = Scope::Report {
            channel: Channel::PartnerFeed,
        };
        assert!(gateway.may(Right::Report, &call).is_ok());
        assert!(gateway.may(Right::Report, &feed).is_err());
        assert!(gateway.may(Right::ApprovePlan, &Scope::Any).is_err());
    }

    #[test]
    fn a_refusal_names_the_roles_that_would_do() {
        // A viewer asking to approve a plan at the Bund is told that the
        // district (a commander) or the Bund station's room may.
        let bund = Scope::Incident {
            station: Some(StationId("bund".into())),
        };
        let denied = principal(&["viewer"])
            .may(Right::ApprovePlan, &bund)
            .unwrap_err();
        assert_eq!(denied.needed, "commander or station:bund");
        assert!(
            denied.to_string().contains("may not approve_plan"),
            "{denied}"
        );
        let denied = principal(&["viewer"])
            .may(
                Right::Report,
                &Scope::Report {
                    channel: Channel::RiskWarning,
                },
            )
            .unwrap_err();
        assert_eq!(
            denied.needed,
            "reporter:risk_warning or dispatcher or commander or station"
        );
        // A member reports only as the community: named for that channel.
        let denied = principal(&["viewer"])
            .may(
                Right::Report,
                &Scope::Report {
                    channel: Channel::CommunityReport,
                },
            )
            .unwrap_err();
        assert_eq!(
            denied.needed,
            "reporter:community_report or dispatcher or commander or station or member"
        );
    }

    #[test]
    fn unscoped_roles_hold_their_rights_everywhere() {
        // A dispatcher moves any unit and closes any incident; a viewer reads only.
        let dispatcher = principal(&["dispatcher"]);
        let scope = Scope::Incident { station: None };
        assert!(dispatcher.may(Right::CloseIncident, &scope).is_ok());
        assert!(dispatcher.may(Right::ApprovePlan, &Scope::Any).is_err());
        let viewer = principal(&["viewer"]);
        assert_eq!(viewer.rights(), vec![Right::Read]);
        let both = principal(&["viewer", "commander"]);
        assert!(both.may(Right::ApprovePlan, &Scope::Any).is_ok());
    }
}
