//! `GET /v1/events`: one `applied` server-sent event per command applied on
//! the node answering.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What applying one command did, as the API tells it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// A new incident.
    IncidentReported {
        /// Its number (`I-000042` is 42).
        incident_id: u64,
    },
    /// An incident changed.
    IncidentUpdated {
        /// Its number.
        incident_id: u64,
        /// Its status afterwards.
        status: String,
        /// Its version afterwards.
        version: u64,
    },
    /// A unit changed.
    UnitUpdated {
        /// The unit.
        unit_id: String,
        /// Its version afterwards.
        version: u64,
    },
    /// Units of the district roster were added.
    RosterLoaded {
        /// How many.
        added: u32,
    },
    /// A removed node's id may never be used again.
    NodeIdRetired {
        /// The id.
        node_id: u64,
    },
    /// An actor was placed on a node.
    ActorPlaced {
        /// The actor.
        actor: String,
        /// Its node.
        node: u64,
        /// Its new epoch.
        epoch: u64,
    },
    /// A node was drained (or undrained).
    NodeDrained {
        /// The node.
        node_id: u64,
        /// Drained (true) or undrained.
        drained: bool,
    },
    /// Pending messages were dismissed.
    Dismissed {
        /// How many.
        count: u32,
    },
    /// A Raft entry with no ledger command (membership, blank).
    RaftInternal,
    /// The ledger refused the command; nothing changed.
    Rejected {
        /// The rule broken and how to fix it.
        rejection: String,
    },
    /// A bearer token was issued.
    TokenIssued {
        /// Its id.
        token_id: String,
    },
    /// A bearer token was revoked.
    TokenRevoked {
        /// Its id.
        token_id: String,
    },
    /// An operator action was noted in the operator audit log.
    OperatorActionRecorded,
    /// An actor failed past its restart budget on a node; it is moved to
    /// another node.
    ActorFailed {
        /// The actor.
        actor: String,
        /// The node it failed on.
        node: u64,
        /// The epoch it failed under.
        epoch: u64,
    },
    /// A bench note (`cordon bench --raw`) was committed; nothing changed.
    Noted {
        /// The note's size.
        bytes: u32,
    },
    /// The hub triaged a burst of incidents in one entry; each incident
    /// changed as by its own triage.
    IncidentsTriaged {
        /// How many.
        count: u32,
    },
    /// A ring proposed a move-up (approved at once when automatic).
    MoveUpProposed {
        /// Its id (see `GET /v1/move-ups`).
        move_up_id: u64,
        /// `proposed` or `approved`.
        status: String,
    },
    /// A commander approved or declined a move-up.
    MoveUpDecided {
        /// Its id.
        move_up_id: u64,
        /// `approved` or `declined`.
        status: String,
    },
    /// A hazard entered a stage.
    HazardChanged {
        /// Its id.
        hazard_id: u64,
        /// `detected`, `verifying`, `confirmed`, `in_hand`, `cleared` or `false_alarm`.
        stage: String,
    },
    /// A hazard past its stage deadline was escalated.
    HazardEscalated {
        /// Its id.
        hazard_id: u64,
        /// 1 its station, 2 the district hub.
        level: u8,
    },
    /// A feed's crowd counts were kept.
    CrowdCounted {
        /// Readings kept now.
        kept: u32,
        /// Readings already kept with the same count.
        resent: u32,
    },
    /// Members of the roster were added, replaced or changed.
    MembersLoaded {
        /// How many.
        count: u32,
    },
}

/// The data of one `applied` event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Applied {
    /// The log index.
    pub index: u64,
    /// The action's name, e.g. `report_incident`.
    pub action: String,
    /// What applying it did.
    pub effect: Effect,
    /// The incidents a batch changed, which its effect does not name (the
    /// hub's triage of a burst, `incidents_triaged`); absent otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub incidents: Vec<u64>,
}

/// The data of a `lagged` event: the stream skipped events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Lagged {
    /// Events this stream missed; reload what you show.
    pub missed: u64,
}
