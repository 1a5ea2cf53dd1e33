//! A walk through the dispatch ledger, pure and without a cluster: one
//! incident is reported, triaged by the hub, assigned by its station, put
//! on scene by the unit and resolved; then its timeline is printed and its
//! hash chain verified.
//!
//! Run it with `cargo run -p cordon-consensus --example ledger_walkthrough`;
//! `cargo test -p cordon-consensus` runs it too (as a test), so a change
//! that breaks it fails CI.
//!
//! Each command is what a proposer would send through Raft: the ledger
//! applies it at a log index, deterministically, and answers with its
//! effect. Actors act on the messages the ledger commits for them and
//! consume them with the command that handles them.

use cordon_consensus::ledger::{audit, tokens};
use cordon_consensus::ledger::{
    Action, ActorId, Applied, AssignUnit, Channel, Command, Credential, Effect, IncidentId,
    IncidentKind, IssueToken, Ledger, LoadRoster, NewIncident, Origin, PlaceActor, Position,
    Principal, RequestId, ResolveIncident, Ring, Role, RosterUnit, StationId, TriageIncident,
    UnitId, UnitStatus, UpdateUnitStatus,
};

/// The district's hub and the Bund station, with the one unit of the walk.
const STATION: &str = "bund";
const UNIT: &str = "bund-1-a";
/// The ids of the officer's and the command room's tokens.
const FIELD_TOKEN_ID: &str = "00000000000000f1";
const ROOM_TOKEN_ID: &str = "00000000000000a1";
/// How long the walk's tokens last: a day.
const TOKEN_LIFETIME_MS: u64 = 86_400_000;

/// A ledger with its log index: each command is applied at the next index.
struct Walk {
    ledger: Ledger,
    index: u64,
    at_ms: u64,
}

impl Walk {
    /// Applies one command at the next index, 10 s after the previous one.
    fn apply(&mut self, origin: Origin, action: Action, consumes: Vec<u64>) -> Applied {
        self.index += 1;
        self.at_ms += 10_000;
        let mut command = Command::new(
            RequestId(format!("walk-{}", self.index)),
            self.at_ms,
            origin,
            action,
        );
        command.consumes = consumes;
        let applied = self.ledger.apply(self.index, &command);
        println!(
            "#{:<2} {:<20} -> {:?}",
            self.index,
            command.action.name(),
            applied.effect
        );
        applied
    }

    /// The sequence number of the one message pending for `actor`.
    fn pending_seq(&self, actor: &ActorId) -> u64 {
        let envelope = self.ledger.pending_for(actor).next();
        envelope.expect("a message is pending").seq
    }
}

fn actor(actor: ActorId) -> Origin {
    Origin::Actor {
        actor,
        epoch: 1,
        node: 1,
    }
}

/// An API client with a token the operator issued (see [`set_up`]).
fn client(name: &str, role: Role, token_id: &str) -> Origin {
    Origin::Api {
        node: 1,
        client: format!("{name}-terminal"),
        principal: Principal {
            name: name.into(),
            roles: vec![role],
            credential: Credential::Token {
                id: token_id.into(),
            },
        },
    }
}

/// The unit's officer in the field: its own status only.
fn field_unit() -> Origin {
    client(
        "officer-zhang",
        Role::Field {
            unit: UnitId(UNIT.into()),
        },
        FIELD_TOKEN_ID,
    )
}

/// The station's command room: reports and closes its own incidents.
fn station_room() -> Origin {
    client(
        "bund-room",
        Role::Station {
            station: StationId::from(STATION),
        },
        ROOM_TOKEN_ID,
    )
}

/// The node loads the roster and places the hub and the station's actor.
fn set_up(walk: &mut Walk) {
    let system = Origin::System { node: 1 };
    let roster = LoadRoster {
        units: vec![RosterUnit {
            id: UnitId(UNIT.into()),
            home: Position::from_degrees(31.2394, 121.4860).expect("a valid position"),
            ring: Ring::StreetPatrol,
            station: Some(StationId::from(STATION)),
        }],
        area: None,
        archive: None,
    };
    walk.apply(system.clone(), Action::LoadRoster(roster), Vec::new());
    let tokens = [
        (FIELD_TOKEN_ID, field_unit()),
        (ROOM_TOKEN_ID, station_room()),
    ];
    for (token_id, origin) in tokens {
        let Origin::Api { principal, .. } = origin else {
            unreachable!("clients are API origins")
        };
        // The ledger keeps the hash of a token's secret, never the secret.
        let issue = IssueToken {
            token_id: token_id.into(),
            principal: principal.name,
            roles: principal.roles,
            secret_sha256: tokens::secret_sha256(&format!("the secret of {token_id}")),
            expires_at_ms: walk.at_ms + TOKEN_LIFETIME_MS,
        };
        walk.apply(Origin::Operator, Action::IssueToken(issue), Vec::new());
    }
    for placed in [ActorId::Hub, ActorId::Station(StationId::from(STATION))] {
        let place = PlaceActor {
            actor: placed,
            node: 1,
            epoch: 1,
        };
        walk.apply(system.clone(), Action::PlaceActor(place), Vec::new());
    }
}

/// Report, triage, assignment, on scene and resolution of one incident.
fn dispatch(walk: &mut Walk) -> IncidentId {
    let report = NewIncident {
        kind: IncidentKind::Theft,
        priority: 4,
        force_level: 2,
        location: Position::from_degrees(31.2400, 121.4900).expect("a valid position"),
        channel: Channel::EmergencyCall,
        description: "a bag snatched on the riverside promenade".into(),
    };
    let reported = walk.apply(station_room(), Action::ReportIncident(report), Vec::new());
    let Effect::IncidentReported { incident_id } = reported.effect else {
        panic!("the report was not recorded: {reported:?}");
    };
    let triage = TriageIncident {
        incident_id,
        ring: Ring::StreetPatrol,
        station: Some(StationId::from(STATION)),
        run_card: "theft".into(),
        target_s: 300,
        major: false,
    };
    let seq = walk.pending_seq(&ActorId::Hub);
    walk.apply(
        actor(ActorId::Hub),
        Action::TriageIncident(triage),
        vec![seq],
    );
    let station = ActorId::Station(StationId::from(STATION));
    let assign = AssignUnit {
        incident_id,
        unit_id: UnitId(UNIT.into()),
        expected_unit_version: 1,
        eta_s: 90,
        breach: false,
    };
    let seq = walk.pending_seq(&station);
    walk.apply(actor(station), Action::AssignUnit(assign), vec![seq]);
    for status in [UnitStatus::EnRoute, UnitStatus::OnScene] {
        let update = UpdateUnitStatus {
            unit_id: UnitId(UNIT.into()),
            status,
            position: None,
            expected_version: None,
        };
        walk.apply(field_unit(), Action::UpdateUnitStatus(update), Vec::new());
    }
    let resolve = ResolveIncident {
        incident_id,
        reason: "property returned, suspect handed to the station".into(),
    };
    walk.apply(station_room(), Action::ResolveIncident(resolve), Vec::new());
    incident_id
}

/// Prints the incident's timeline and verifies its hash chain.
fn print_timeline(ledger: &Ledger, incident_id: IncidentId) -> Result<(), usize> {
    let incident = ledger.incident(incident_id).expect("the incident exists");
    println!("\ntimeline of {incident_id} ({:?}):", incident.status);
    for entry in &incident.timeline {
        println!(
            "  #{:<2} {:<9} {:<9} by {:<28} {} [{}]",
            entry.index,
            entry.step,
            format!("{:?}", entry.status),
            entry.origin.to_string(),
            entry.reason,
            &entry.hash[..12]
        );
    }
    audit::verify(&incident.timeline)?;
    println!("hash chain verified: {} entries", incident.timeline.len());
    Ok(())
}

/// The whole walk; returns the ledger and the incident for checks.
fn walk_through() -> (Ledger, IncidentId) {
    let mut walk = Walk {
        ledger: Ledger::default(),
        index: 0,
        at_ms: 1_767_225_600_000,
    };
    set_up(&mut walk);
    let incident_id = dispatch(&mut walk);
    print_timeline(&walk.ledger, incident_id).expect("the timeline verifies");
    (walk.ledger, incident_id)
}

#[cfg_attr(test, allow(dead_code))] // reason: as a test target the example runs through its test
fn main() {
    walk_through();
}

#[cfg(test)]
mod tests {
    use super::*;
    use cordon_consensus::ledger::IncidentStatus;

    #[test]
    fn the_walkthrough_resolves_its_incident_with_a_verified_timeline() {
        // The walk ends with the incident resolved, its unit returning, every
        // message consumed and six hash-chained steps.
        let (ledger, incident_id) = walk_through();
        let incident = ledger.incident(incident_id).unwrap();
        assert_eq!(incident.status, IncidentStatus::Resolved);
        let steps: Vec<_> = incident.timeline.iter().map(|e| e.step.name()).collect();
        assert_eq!(
            steps,
            ["reported", "triaged", "assigned", "en_route", "on_scene", "resolved"]
        );
        assert_eq!(audit::verify(&incident.timeline), Ok(()));
        let unit = ledger.unit(&UnitId(UNIT.into())).unwrap();
        assert_eq!(unit.status, UnitStatus::Returning);
        assert_eq!(ledger.pending_count(), 0);
    }
}
