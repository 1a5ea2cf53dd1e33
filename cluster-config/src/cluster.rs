//! The cluster file: which nodes exist, where they listen, where their data and
//! certificates live, Raft timing and every limit.
//!
//! The flow is file -> [`ClusterFile`] (serde, unknown fields rejected) ->
//! [`ClusterConfig::from_file`] (validated, immutable). Every error names the
//! field, the value and the fix, so an operator can mend the file without
//! reading code.

use std::collections::BTreeSet;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The only cluster-file format version this build reads.
pub const CLUSTER_FILE_VERSION: u32 = 1;

/// A node's id in the cluster. Never reused after a node is removed.
pub type NodeId = u64;

/// Errors raised while loading or validating a cluster file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("read cluster file {path}: {source} (fix: check the path and its permissions)")]
    Io {
        /// The file that could not be read.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not valid TOML for the cluster schema.
    #[error("parse cluster file {path}: {message}")]
    Parse {
        /// The file being parsed.
        path: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A field holds a value that breaks a rule.
    #[error("{field} = {value}: {problem} (fix: {fix})")]
    Invalid {
        /// Dotted path of the field, e.g. `nodes[2].quic_addr`.
        field: String,
        /// The offending value as written.
        value: String,
        /// What is wrong with it.
        problem: String,
        /// How to repair it.
        fix: String,
    },
    /// A value lies outside the range allowed for its field.
    #[error("{field} = {value}: outside the allowed range {min}..={max} {unit} (fix: use a value from {min} to {max})")]
    OutOfRange {
        /// Dotted path of the field, e.g. `limits.frame_bytes_max`.
        field: String,
        /// The offending value.
        value: u64,
        /// The smallest value allowed.
        min: u64,
        /// The largest value allowed.
        max: u64,
        /// The unit of the value.
        unit: &'static str,
    },
}

fn invalid(
    field: impl Into<String>,
    value: impl fmt::Display,
    problem: impl Into<String>,
    fix: impl Into<String>,
) -> ConfigError {
    ConfigError::Invalid {
        field: field.into(),
        value: value.to_string(),
        problem: problem.into(),
        fix: fix.into(),
    }
}

/// What a server is for: district servers host the hub and act as fallbacks;
/// a station server belongs to one police station.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeRole {
    /// A district command-centre server.
    District,
    /// A police station's server.
    Station,
}

/// One node as written in the cluster file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    /// Unique, never reused.
    pub id: NodeId,
    /// Human name, unique (`district-1`, `station-nanjing-east`).
    pub name: String,
    /// District or station server.
    pub role: NodeRole,
    /// The station a station server belongs to (a station id of the district model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub station: Option<String>,
    /// UDP address of the QUIC endpoint (Raft RPCs, envelopes, operator requests).
    pub quic_addr: SocketAddr,
    /// TCP address of the HTTP API.
    pub api_addr: SocketAddr,
    /// Voters count towards quorum; learners only replicate.
    #[serde(default = "default_true")]
    pub voter: bool,
}

fn default_true() -> bool {
    true
}

/// Where the certificates live.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// The cluster CA certificate (PEM).
    pub ca_cert: PathBuf,
    /// Folder holding `node-<id>.crt`/`.key` and `operator.crt`/`.key`.
    pub cert_dir: PathBuf,
}

/// Raft timing. Relations are checked: heartbeat < election min < election max.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RaftTiming {
    /// Leader heartbeat period.
    pub heartbeat_interval_ms: u64,
    /// Lower bound of the randomised election timeout.
    pub election_timeout_ms_min: u64,
    /// Upper bound of the randomised election timeout.
    pub election_timeout_ms_max: u64,
    /// Deadline for receiving one snapshot chunk (must exceed 200 ms).
    pub install_snapshot_timeout_ms: u64,
    /// Build a snapshot after at least this many applied entries (more
    /// for a large snapshot: see `cordon_consensus::snapshot_policy`).
    pub snapshot_logs_since_last: u64,
    /// Entries kept in the log behind a snapshot, so lagging followers catch
    /// up by log rather than by snapshot.
    pub logs_kept_after_snapshot_max: u64,
    /// Largest number of entries in one append-entries request.
    pub entries_per_append_max: u64,
}

impl Default for RaftTiming {
    fn default() -> Self {
        RaftTiming {
            heartbeat_interval_ms: 100,
            election_timeout_ms_min: 150,
            election_timeout_ms_max: 300,
            install_snapshot_timeout_ms: 2_000,
            snapshot_logs_since_last: 5_000,
            logs_kept_after_snapshot_max: 1_000,
            entries_per_append_max: 256,
        }
    }
}

/// Every limit of a node, with its unit last in the name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest wire frame accepted; checked before allocating.
    pub frame_bytes_max: u32,
    /// Largest snapshot chunk sent; must fit in a frame with room to spare.
    pub snapshot_chunk_bytes_max: u32,
    /// Deadline of one Raft RPC.
    pub rpc_timeout_ms: u64,
    /// Deadline for a client write to be committed and applied.
    pub client_write_timeout_ms: u64,
    /// QUIC idle timeout (quinn's default is 30 s; set explicitly).
    pub quic_idle_timeout_ms: u64,
    /// QUIC keep-alive period (off by default in quinn; set explicitly).
    pub quic_keep_alive_ms: u64,
    /// Incoming QUIC connections accepted at once.
    pub quic_connections_max: u32,
    /// Concurrent streams a peer may open on one connection.
    pub quic_streams_per_connection_max: u32,
    /// An incoming QUIC handshake not done by then is dropped.
    pub quic_handshake_timeout_ms: u64,
    /// Incoming QUIC handshakes in flight at once. Connection slots
    /// (`quic_connections_max`) are taken only after a handshake verified
    /// the peer's certificate.
    pub quic_handshakes_max: u32,
    /// Handshakes in flight past which a client that has not proved its
    /// address must first come back with a retry token.
    pub quic_handshakes_before_retry: u32,
    /// Handshakes in flight from one source address (IP and port).
    pub quic_handshakes_per_address_max: u32,
    /// Largest HTTP request body.
    pub api_body_bytes_max: u32,
    /// HTTP requests served at once; beyond it the API answers 503.
    pub api_requests_inflight_max: u32,
    /// Incidents returned by one list request.
    pub api_incidents_listed_max: u32,
    /// How far outside the district's outline a reported position may lie
    /// (a report from a bridge or a boundary street); beyond it the API
    /// refuses the position, naming the district's bounds.
    pub district_margin_m: u32,
    /// Ledger time a closed incident stays in the hot state (listed, in
    /// snapshots) before it moves to the archive, where it is still read by
    /// id. Set cluster-wide by the leader's roster load.
    pub closed_incidents_kept_ms: u64,
    /// Most closed incidents kept in the hot state; the longest closed move
    /// to the archive first.
    pub closed_incidents_kept_max: u32,
    /// Time a client has to send a request's head once it started sending
    /// it; a slower head is answered 408 and the connection closed.
    pub api_header_read_timeout_ms: u64,
    /// Time a client has to send a request's body once its head arrived; a
    /// slower body is answered 408 and the connection closed.
    pub api_body_read_timeout_ms: u64,
    /// Time a kept-alive connection may wait, with no request in flight,
    /// before the client starts its next request; then it is closed.
    pub api_idle_timeout_ms: u64,
    /// HTTP connections open at once (all clients); a connection beyond it
    /// is answered 503 and closed.
    pub api_connections_max: u32,
    /// Event streams (`GET /v1/events`) open at once (all clients); one
    /// more is answered 503.
    pub api_event_streams_max: u32,
    /// Event streams open at once from one client address; one more is
    /// answered 429.
    pub api_event_streams_per_client_max: u32,
    /// Event streams open at once for one principal; one more is answered 429.
    pub api_event_streams_per_principal_max: u32,
    /// Requests one principal may make per second on one node, sustained;
    /// beyond it (and its burst) the API answers 429.
    pub api_requests_per_principal_per_s: u32,
    /// Requests one principal may make at once above its rate (the bucket's size).
    pub api_requests_burst_per_principal: u32,
}

/// The largest HTTP timeout accepted (`limits.api_*_timeout_ms`).
const API_TIMEOUT_MS_MAX: u64 = 300_000;
/// The largest `limits.api_connections_max` accepted.
const API_CONNECTIONS_MAX_MAX: u32 = 65_536;
/// The largest `limits.api_event_streams_max` accepted.
const API_EVENT_STREAMS_MAX_MAX: u32 = 4_096;
/// The largest `limits.api_requests_per_principal_per_s` and burst accepted.
const API_PRINCIPAL_RATE_MAX: u32 = 100_000;
/// Entries of `api_public_hosts` accepted.
const API_PUBLIC_HOSTS_MAX: usize = 16;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            frame_bytes_max: 16 * 1024 * 1024,
            snapshot_chunk_bytes_max: 4 * 1024 * 1024,
            rpc_timeout_ms: 1_000,
            client_write_timeout_ms: 5_000,
            quic_idle_timeout_ms: 10_000,
            quic_keep_alive_ms: 1_000,
            quic_connections_max: 256,
            quic_streams_per_connection_max: 512,
            quic_handshake_timeout_ms: 3_000,
            quic_handshakes_max: 128,
            quic_handshakes_before_retry: 32,
            quic_handshakes_per_address_max: 8,
            api_body_bytes_max: 64 * 1024,
            api_requests_inflight_max: 1_024,
            api_incidents_listed_max: 10_000,
            district_margin_m: 2_000,
            closed_incidents_kept_ms: 60 * 60 * 1_000,
            closed_incidents_kept_max: 10_000,
            api_header_read_timeout_ms: 10_000,
            api_body_read_timeout_ms: 10_000,
            api_idle_timeout_ms: 60_000,
            api_connections_max: 1_024,
            api_event_streams_max: 256,
            api_event_streams_per_client_max: 8,
            api_event_streams_per_principal_max: 32,
            api_requests_per_principal_per_s: 500,
            api_requests_burst_per_principal: 1_000,
        }
    }
}

/// Actor supervision and placement timing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ActorTiming {
    /// Restarts of one actor allowed within `restart_window_ms` before the
    /// failure escalates (the actor is stopped there, its failure recorded
    /// in the ledger, and the leader places it on another node).
    pub restarts_per_window_max: u32,
    /// The window of the restart budget.
    pub restart_window_ms: u64,
    /// How often the leader pings every node (placement heartbeats).
    pub heartbeat_interval_ms: u64,
    /// A node silent for longer loses its actors to live nodes.
    pub detection_timeout_ms: u64,
    /// A returning preferred node must stay alive this long before its
    /// actors move back (hysteresis).
    pub move_back_after_ms: u64,
    /// After an actor fails past its restart budget on a node, that node is
    /// unfit for the actor for this long: the actor is placed elsewhere and
    /// does not move back before (unless every node is unfit).
    pub failed_node_hold_ms: u64,
    /// A major incident's plan is approved automatically after this long.
    pub plan_auto_approve_ms: u64,
    /// Period of the hub's deadline watch.
    pub deadline_watch_interval_ms: u64,
    /// How a responder chooses among the units that can respond.
    pub dispatch_policy: DispatchPolicy,
    /// Whether rings 3 and 4 propose move-ups when their coverage falls
    /// below its floor, and who approves them.
    pub move_up: MoveUpApproval,
    /// How often rings 3 and 4 look at their coverage for a move-up.
    pub move_up_interval_ms: u64,
    /// How often the forecaster re-forecasts the sensitive areas and looks
    /// at the hazard register's deadlines.
    pub forecast_interval_ms: u64,
    /// A dispatched unit whose crew has not acknowledged within this long
    /// raises an alert on the dispatchers' consoles.
    pub ack_timeout_ms: u64,
    /// A unit on scene this long without a check-in (or a status report)
    /// raises an alert.
    pub check_in_interval_ms: u64,
    /// A special-operations team (ring 4) on scene owes a personnel
    /// accountability report (PAR: a check-in) this often.
    pub par_interval_ms: u64,
    /// An incident of public concern owes its first authoritative public
    /// release this long after its report (the golden four hours).
    pub public_info_within_ms: u64,
    /// The police post at a hospital walks a patrol round of the hospital
    /// (wards, emergency entrance, car park) this often: a post at the
    /// hospital whose last round (a check-in) is older raises an alert.
    pub hospital_round_every_ms: u64,
}

/// The golden four hours, in ms.
fn golden_four_hours_ms() -> u64 {
    4 * 60 * 60_000
}

/// Whether rings propose move-ups, and who approves them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MoveUpApproval {
    /// No move-ups: units wait where they are.
    #[default]
    Off,
    /// Proposed and approved in one entry: the units get their posts at once.
    Automatic,
    /// Proposed, then approved (or declined) by a commander.
    Commander,
}

impl MoveUpApproval {
    /// Its name in the cluster file (`automatic`).
    pub fn as_str(self) -> &'static str {
        match self {
            MoveUpApproval::Off => "off",
            MoveUpApproval::Automatic => "automatic",
            MoveUpApproval::Commander => "commander",
        }
    }
}

/// How a unit is chosen among those that can respond.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DispatchPolicy {
    /// The quickest unit (territory, then id, break ties).
    #[default]
    ClosestIdle,
    /// Among the units on scene within the target with time to spare, the
    /// one whose departure costs the district the least coverage.
    CoverageAware,
}

impl Default for ActorTiming {
    fn default() -> Self {
        ActorTiming {
            restarts_per_window_max: 3,
            restart_window_ms: 60_000,
            heartbeat_interval_ms: 100,
            detection_timeout_ms: 600,
            move_back_after_ms: 5_000,
            failed_node_hold_ms: 300_000,
            plan_auto_approve_ms: 30_000,
            deadline_watch_interval_ms: 500,
            dispatch_policy: DispatchPolicy::ClosestIdle,
            move_up: MoveUpApproval::Off,
            move_up_interval_ms: 15_000,
            forecast_interval_ms: 60_000,
            ack_timeout_ms: 60_000,
            check_in_interval_ms: 20 * 60_000,
            par_interval_ms: 10 * 60_000,
            public_info_within_ms: golden_four_hours_ms(),
            hospital_round_every_ms: 2 * 60 * 60_000,
        }
    }
}

/// The cluster file as written on disk (serde form, not yet validated).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterFile {
    /// Format version; must be [`CLUSTER_FILE_VERSION`].
    pub version: u32,
    /// Cluster name; also part of every certificate's DNS name.
    pub name: String,
    /// Data folder; node `N` keeps its files under `<data_dir>/node-N`.
    pub data_dir: PathBuf,
    /// District model file; absent means the embedded Huangpu district.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<PathBuf>,
    /// Run with one voter, giving up fault tolerance on purpose.
    #[serde(default)]
    pub single_node: bool,
    /// Certificate files.
    pub tls: TlsFiles,
    /// Names (`host` or `host:port`) under which clients reach the HTTP API
    /// through a reverse proxy, besides every node's `api_addr` and the
    /// localhost forms of its port; a request naming another `Host` is
    /// refused (DNS rebinding).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub api_public_hosts: Vec<String>,
    /// Raft timing.
    #[serde(default)]
    pub raft: RaftTiming,
    /// Limits.
    #[serde(default)]
    pub limits: Limits,
    /// Actor supervision and placement timing.
    #[serde(default)]
    pub actors: ActorTiming,
    /// Neighbouring districts that take mutual-aid requests as NENA EIDO
    /// documents.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub neighbours: Vec<NeighbourLink>,
    /// The nodes.
    pub nodes: Vec<NodeSpec>,
}

/// A neighbouring district's dispatch system (a Cordon cluster or any CAD
/// that takes NENA EIDO documents), asked for mutual aid by the district
/// command centre: the incident goes to it as an EIDO document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NeighbourLink {
    /// Slug id, e.g. `jingan`.
    pub id: String,
    /// Its name, e.g. `Jing'an District`.
    pub name: String,
    /// Where it takes EIDO documents, e.g.
    /// `https://cad.jingan.example:7443/v1/eido`.
    pub eido_url: String,
    /// A file holding the bearer token the neighbour issued to this
    /// district (a `reporter:partner_feed` principal of a Cordon cluster).
    pub token_file: PathBuf,
    /// The CA certificate (PEM) that signs the neighbour's certificate,
    /// for an `https` URL; absent: the system's roots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<PathBuf>,
}

/// A validated, immutable cluster configuration. Relative paths of the file
/// are resolved against the file's folder.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterConfig {
    file: ClusterFile,
}

impl ClusterConfig {
    /// Reads, parses and validates a cluster file.
    pub fn load(path: &Path) -> Result<ClusterConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::from_toml_str(&text, path, base)
    }

    /// Parses and validates cluster-file text; `origin` names it in errors and
    /// relative paths resolve against `base_dir`.
    pub fn from_toml_str(
        text: &str,
        origin: &Path,
        base_dir: &Path,
    ) -> Result<ClusterConfig, ConfigError> {
        let file: ClusterFile = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: origin.to_path_buf(),
            message: e.to_string(),
        })?;
        Self::from_file(file, base_dir)
    }

    /// Validates a parsed file and resolves its relative paths.
    pub fn from_file(mut file: ClusterFile, base_dir: &Path) -> Result<ClusterConfig, ConfigError> {
        validate(&file)?;
        for path in [
            &mut file.data_dir,
            &mut file.tls.ca_cert,
            &mut file.tls.cert_dir,
        ] {
            if path.is_relative() {
                *path = base_dir.join(&*path);
            }
        }
        if let Some(district) = file.district.as_mut() {
            if district.is_relative() {
                *district = base_dir.join(&*district);
            }
        }
        for link in &mut file.neighbours {
            for path in std::iter::once(&mut link.token_file).chain(link.ca_cert.as_mut()) {
                if path.is_relative() {
                    *path = base_dir.join(&*path);
                }
            }
        }
        Ok(ClusterConfig { file })
    }

    /// A cluster of `node_count` nodes on 127.0.0.1 with the given ports, all
    /// files under `dir`. Used by `cordon demo` and by tests.
    pub fn local(
        name: &str,
        dir: &Path,
        ports: &[(u16, u16)],
    ) -> Result<ClusterConfig, ConfigError> {
        let nodes = ports
            .iter()
            .enumerate()
            .map(|(index, (quic_port, api_port))| NodeSpec {
                id: index as NodeId + 1,
                name: format!("district-{}", index + 1),
                role: NodeRole::District,
                station: None,
                quic_addr: SocketAddr::from(([127, 0, 0, 1], *quic_port)),
                api_addr: SocketAddr::from(([127, 0, 0, 1], *api_port)),
                voter: true,
            })
            .collect();
        let file = ClusterFile {
            version: CLUSTER_FILE_VERSION,
            name: name.to_string(),
            data_dir: dir.join("data"),
            district: None,
            single_node: ports.len() == 1,
            tls: TlsFiles {
                ca_cert: dir.join("certs").join("ca.crt"),
                cert_dir: dir.join("certs"),
            },
            api_public_hosts: Vec::new(),
            neighbours: Vec::new(),
            raft: RaftTiming::default(),
            limits: Limits::default(),
            actors: ActorTiming::default(),
            nodes,
        };
        Self::from_file(file, dir)
    }

    /// The file form, e.g. to write it for child processes.
    pub fn file(&self) -> &ClusterFile {
        &self.file
    }

    /// Serialises to cluster-file TOML.
    pub fn to_toml_string(&self) -> String {
        toml::to_string_pretty(&self.file).expect("a validated cluster file always serialises")
    }

    /// Cluster name.
    pub fn name(&self) -> &str {
        &self.file.name
    }

    /// All nodes in file order.
    pub fn nodes(&self) -> &[NodeSpec] {
        &self.file.nodes
    }

    /// One node by id.
    pub fn node(&self, id: NodeId) -> Option<&NodeSpec> {
        self.file.nodes.iter().find(|node| node.id == id)
    }

    /// The ids of the voters in the initial membership.
    pub fn initial_voters(&self) -> BTreeSet<NodeId> {
        self.file
            .nodes
            .iter()
            .filter(|node| node.voter)
            .map(|node| node.id)
            .collect()
    }

    /// Node `id`'s data folder.
    pub fn node_data_dir(&self, id: NodeId) -> PathBuf {
        self.file.data_dir.join(format!("node-{id}"))
    }

    /// Certificate file locations.
    pub fn tls(&self) -> &TlsFiles {
        &self.file.tls
    }

    /// The district model file, if not the embedded one.
    pub fn district_file(&self) -> Option<&Path> {
        self.file.district.as_deref()
    }

    /// Raft timing.
    pub fn raft(&self) -> &RaftTiming {
        &self.file.raft
    }

    /// Limits.
    pub fn limits(&self) -> &Limits {
        &self.file.limits
    }

    /// Names under which clients reach the HTTP API through a reverse proxy.
    pub fn api_public_hosts(&self) -> &[String] {
        &self.file.api_public_hosts
    }

    /// The neighbouring districts asked for mutual aid as EIDO documents.
    pub fn neighbours(&self) -> &[NeighbourLink] {
        &self.file.neighbours
    }

    /// Checks that every station server names a station of the district model.
    pub fn check_stations(&self, district: &crate::District) -> Result<(), ConfigError> {
        for (index, node) in self.file.nodes.iter().enumerate() {
            if let Some(station) = &node.station {
                if district.station(station).is_none() {
                    let known: Vec<&str> =
                        district.stations().iter().map(|s| s.id.as_str()).collect();
                    return Err(invalid(
                        format!("nodes[{index}].station"),
                        station,
                        "no station of the district model has this id",
                        format!("use one of: {}", known.join(", ")),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Actor timing.
    pub fn actors(&self) -> &ActorTiming {
        &self.file.actors
    }
}

fn validate(file: &ClusterFile) -> Result<(), ConfigError> {
    if file.version != CLUSTER_FILE_VERSION {
        return Err(invalid(
            "version",
            file.version,
            "unsupported cluster file version",
            format!("write `version = {CLUSTER_FILE_VERSION}`"),
        ));
    }
    let name_ok = !file.name.is_empty()
        && file.name.len() <= 40
        && file
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !name_ok {
        return Err(invalid(
            "name",
            format!("{:?}", file.name),
            "the cluster name is part of certificate DNS names",
            "use 1-40 characters of a-z, 0-9 and '-'",
        ));
    }
    validate_nodes(file)?;
    crate::bounds::check_bounds(file)?;
    validate_timing(&file.raft)?;
    validate_limits(&file.limits, &file.raft)?;
    validate_http_limits(&file.limits)?;
    validate_public_hosts(&file.api_public_hosts)?;
    validate_neighbours(&file.neighbours)?;
    validate_actor_timing(&file.actors)
}

/// True for an `https` URL with a host, or an `http` one to this machine
/// (a loopback address or `localhost`).
fn neighbour_url_ok(url: &str) -> bool {
    if let Some(rest) = url.strip_prefix("https://") {
        return !rest.is_empty();
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => authority,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Longest neighbour id (the ledger's bound on what it records).
const NEIGHBOUR_ID_BYTES_MAX: usize = 40;

/// Neighbour ids are unique slugs; names are given; URLs are https, or
/// http to this machine.
fn validate_neighbours(links: &[NeighbourLink]) -> Result<(), ConfigError> {
    let mut ids = BTreeSet::new();
    for (index, link) in links.iter().enumerate() {
        let at = |field: &str| format!("neighbours[{index}].{field}");
        if !(crate::district::is_slug(&link.id) && link.id.len() <= NEIGHBOUR_ID_BYTES_MAX) {
            return Err(invalid(
                at("id"),
                format!("{:?}", link.id),
                "a neighbour's id names it in the API and on the trail",
                "use 1-40 characters of a-z, 0-9 and inner '-', as the district's ids",
            ));
        }
        if !ids.insert(link.id.as_str()) {
            return Err(invalid(
                at("id"),
                format!("{:?}", link.id),
                "two neighbours share this id",
                "give each neighbour its own id",
            ));
        }
        if link.name.trim().is_empty() {
            return Err(invalid(
                at("name"),
                "\"\"",
                "a neighbour needs a name",
                "write its name",
            ));
        }
        if !neighbour_url_ok(&link.eido_url) {
            return Err(invalid(
                at("eido_url"),
                format!("{:?}", link.eido_url),
                "not an https URL (plain http only to this machine: the token would cross the network in clear)",
                "write the https URL where it takes EIDO documents, e.g. https://cad.example:7443/v1/eido",
            ));
        }
    }
    Ok(())
}

#[expect(clippy::too_many_lines, reason = "predates the line limit")]
fn validate_nodes(file: &ClusterFile) -> Result<(), ConfigError> {
    if file.nodes.is_empty() {
        return Err(invalid(
            "nodes",
            "[]",
            "a cluster needs nodes",
            "add [[nodes]] tables",
        ));
    }
    let mut ids = BTreeSet::new();
    let mut names = BTreeSet::new();
    let mut addrs = BTreeSet::new();
    for (index, node) in file.nodes.iter().enumerate() {
        let at = |field: &str| format!("nodes[{index}].{field}");
        if node.id == 0 {
            return Err(invalid(
                at("id"),
                0,
                "node ids start at 1",
                "give the node an id of 1 or more that no node ever had",
            ));
        }
        if !ids.insert(node.id) {
            return Err(invalid(
                at("id"),
                node.id,
                "two nodes share this id",
                "give every node its own id; never reuse a removed node's id",
            ));
        }
        if !names.insert(node.name.as_str()) {
            return Err(invalid(
                at("name"),
                &node.name,
                "two nodes share this name",
                "give every node its own name",
            ));
        }
        for (field, addr) in [("quic_addr", node.quic_addr), ("api_addr", node.api_addr)] {
            if addr.port() == 0 {
                return Err(invalid(
                    at(field),
                    addr,
                    "port 0 is not a fixed address peers can reach",
                    "pick a fixed port",
                ));
            }
            // QUIC is UDP and the API is TCP, so only same-protocol clashes matter.
            if !addrs.insert((field, addr)) {
                return Err(invalid(
                    at(field),
                    addr,
                    "another node already uses this address",
                    "give every node its own address",
                ));
            }
        }
        match (node.role, &node.station) {
            (NodeRole::Station, None) => {
                return Err(invalid(
                    at("station"),
                    "(missing)",
                    "a station server must name its station",
                    "add `station = \"<station id from the district model>\"`",
                ))
            }
            (NodeRole::District, Some(station)) => {
                return Err(invalid(
                    at("station"),
                    station,
                    "a district server belongs to no station",
                    "remove `station` or set `role = \"station\"`",
                ))
            }
            _ => {}
        }
    }
    let voters = file.nodes.iter().filter(|node| node.voter).count();
    if file.single_node {
        if voters != 1 {
            return Err(invalid(
                "single_node",
                "true",
                format!("single-node mode needs exactly 1 voter, found {voters}"),
                "set `single_node = false` or keep one voter",
            ));
        }
    } else if voters < 3 {
        return Err(invalid(
            "nodes",
            format!("{voters} voter(s)"),
            "fewer than 3 voters cannot survive the loss of a node",
            "add voters until there are at least 3, or set `single_node = true` to accept no fault tolerance",
        ));
    }
    Ok(())
}

fn validate_timing(raft: &RaftTiming) -> Result<(), ConfigError> {
    if raft.heartbeat_interval_ms >= raft.election_timeout_ms_min {
        return Err(invalid(
            "raft.heartbeat_interval_ms",
            raft.heartbeat_interval_ms,
            format!(
                "must be below raft.election_timeout_ms_min ({}) or followers start elections against a live leader",
                raft.election_timeout_ms_min
            ),
            "keep heartbeat_interval_ms at most a third of election_timeout_ms_min",
        ));
    }
    if raft.election_timeout_ms_min >= raft.election_timeout_ms_max {
        return Err(invalid(
            "raft.election_timeout_ms_max",
            raft.election_timeout_ms_max,
            format!(
                "must exceed raft.election_timeout_ms_min ({}) so election timeouts are randomised",
                raft.election_timeout_ms_min
            ),
            "use e.g. twice election_timeout_ms_min",
        ));
    }
    Ok(())
}

/// The relations between limits; each value is already within its range.
fn validate_limits(limits: &Limits, raft: &RaftTiming) -> Result<(), ConfigError> {
    if limits.snapshot_chunk_bytes_max > limits.frame_bytes_max / 2 {
        return Err(invalid(
            "limits.snapshot_chunk_bytes_max",
            limits.snapshot_chunk_bytes_max,
            format!(
                "must be positive and at most half of limits.frame_bytes_max ({})",
                limits.frame_bytes_max
            ),
            "lower it or raise frame_bytes_max",
        ));
    }
    if limits.rpc_timeout_ms <= raft.heartbeat_interval_ms {
        return Err(invalid(
            "limits.rpc_timeout_ms",
            limits.rpc_timeout_ms,
            format!(
                "must exceed raft.heartbeat_interval_ms ({})",
                raft.heartbeat_interval_ms
            ),
            "use e.g. 10 x heartbeat_interval_ms",
        ));
    }
    if limits.quic_keep_alive_ms == 0 || limits.quic_keep_alive_ms >= limits.quic_idle_timeout_ms {
        return Err(invalid(
            "limits.quic_keep_alive_ms",
            limits.quic_keep_alive_ms,
            format!(
                "must be positive and below limits.quic_idle_timeout_ms ({}) or idle peers are dropped",
                limits.quic_idle_timeout_ms
            ),
            "use e.g. a tenth of quic_idle_timeout_ms",
        ));
    }
    if limits.client_write_timeout_ms < raft.election_timeout_ms_max {
        return Err(invalid(
            "limits.client_write_timeout_ms",
            limits.client_write_timeout_ms,
            format!(
                "must be at least raft.election_timeout_ms_max ({}) so a write survives one election",
                raft.election_timeout_ms_max
            ),
            "use e.g. 5 x election_timeout_ms_max",
        ));
    }
    validate_handshake_limits(limits)
}

/// The handshake thresholds lie within the handshakes allowed in flight.
fn validate_handshake_limits(limits: &Limits) -> Result<(), ConfigError> {
    for (field, value) in [
        (
            "limits.quic_handshakes_before_retry",
            limits.quic_handshakes_before_retry,
        ),
        (
            "limits.quic_handshakes_per_address_max",
            limits.quic_handshakes_per_address_max,
        ),
    ] {
        if value > limits.quic_handshakes_max {
            return Err(invalid(
                field,
                value,
                format!(
                    "must be at most limits.quic_handshakes_max ({})",
                    limits.quic_handshakes_max
                ),
                "lower it or raise quic_handshakes_max",
            ));
        }
    }
    if limits.quic_handshake_timeout_ms > limits.quic_idle_timeout_ms {
        return Err(invalid(
            "limits.quic_handshake_timeout_ms",
            limits.quic_handshake_timeout_ms,
            format!(
                "must be at most limits.quic_idle_timeout_ms ({}), which ends a silent handshake anyway",
                limits.quic_idle_timeout_ms
            ),
            "use e.g. 3000",
        ));
    }
    Ok(())
}

/// The HTTP server's timeouts and caps: each positive and below its bound.
fn validate_http_limits(limits: &Limits) -> Result<(), ConfigError> {
    for (field, value) in [
        (
            "limits.api_header_read_timeout_ms",
            limits.api_header_read_timeout_ms,
        ),
        (
            "limits.api_body_read_timeout_ms",
            limits.api_body_read_timeout_ms,
        ),
        ("limits.api_idle_timeout_ms", limits.api_idle_timeout_ms),
    ] {
        if value == 0 || value > API_TIMEOUT_MS_MAX {
            return Err(invalid(
                field,
                value,
                format!("must be positive and at most {API_TIMEOUT_MS_MAX} ms (5 minutes): a slow client holds a connection that long"),
                "remove it to use the default",
            ));
        }
    }
    for (field, value, max) in [
        (
            "limits.api_connections_max",
            limits.api_connections_max,
            API_CONNECTIONS_MAX_MAX,
        ),
        (
            "limits.api_event_streams_max",
            limits.api_event_streams_max,
            API_EVENT_STREAMS_MAX_MAX.min(limits.api_connections_max),
        ),
        (
            "limits.api_event_streams_per_client_max",
            limits.api_event_streams_per_client_max,
            limits.api_event_streams_max,
        ),
        (
            "limits.api_event_streams_per_principal_max",
            limits.api_event_streams_per_principal_max,
            API_EVENT_STREAMS_MAX_MAX,
        ),
        (
            "limits.api_requests_per_principal_per_s",
            limits.api_requests_per_principal_per_s,
            API_PRINCIPAL_RATE_MAX,
        ),
        (
            "limits.api_requests_burst_per_principal",
            limits.api_requests_burst_per_principal,
            API_PRINCIPAL_RATE_MAX,
        ),
    ] {
        if value == 0 || value > max {
            return Err(invalid(
                field,
                value,
                format!("must be positive and at most {max} (each stream holds a connection; a client's streams count in the total; rates are per second)"),
                "remove it to use the default",
            ));
        }
    }
    Ok(())
}

/// Each public name is a DNS name or IP literal with an optional port.
fn validate_public_hosts(hosts: &[String]) -> Result<(), ConfigError> {
    if hosts.len() > API_PUBLIC_HOSTS_MAX {
        return Err(invalid(
            "api_public_hosts",
            hosts.len(),
            format!("at most {API_PUBLIC_HOSTS_MAX} names are accepted"),
            "list only the names your reverse proxy serves",
        ));
    }
    for (index, host) in hosts.iter().enumerate() {
        if !public_host_is_valid(host) {
            return Err(invalid(
                format!("api_public_hosts[{index}]"),
                format!("{host:?}"),
                "not a host name with an optional port",
                "write e.g. \"dispatch.example.org\" or \"dispatch.example.org:8443\" (no scheme, no path)",
            ));
        }
    }
    Ok(())
}

/// `name` or `name:port`, name of 1-253 characters of a-z, A-Z, 0-9, '-',
/// '.', or a bracketed IPv6 literal.
fn public_host_is_valid(host: &str) -> bool {
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') || name.ends_with(']') => (name, Some(port)),
        _ => (host, None),
    };
    let port_ok = port.is_none_or(|port| port.parse::<u16>().is_ok_and(|p| p > 0));
    let name_ok = if let Some(ip) = name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
        ip.parse::<std::net::Ipv6Addr>().is_ok()
    } else {
        !name.is_empty()
            && name.len() <= 253
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    };
    port_ok && name_ok
}

/// Picks `count` pairs of free local ports (UDP for QUIC, TCP for the API)
/// for [`ClusterConfig::local`]. The ports are free when picked; another
/// process could take one before the node binds it, which tests accept.
pub fn free_local_ports(count: usize) -> std::io::Result<Vec<(u16, u16)>> {
    let mut held = Vec::new();
    for _ in 0..count {
        let udp = std::net::UdpSocket::bind("127.0.0.1:0")?;
        let tcp = std::net::TcpListener::bind("127.0.0.1:0")?;
        held.push((udp, tcp));
    }
    held.iter()
        .map(|(udp, tcp)| Ok((udp.local_addr()?.port(), tcp.local_addr()?.port())))
        .collect()
}

fn validate_actor_timing(actors: &ActorTiming) -> Result<(), ConfigError> {
    // Saturating: twice a u64 overflows, and an overflow must refuse, not wrap.
    if actors.heartbeat_interval_ms.saturating_mul(2) > actors.detection_timeout_ms {
        return Err(invalid(
            "actors.detection_timeout_ms",
            actors.detection_timeout_ms,
            format!(
                "must be at least twice actors.heartbeat_interval_ms ({}) so one lost ping does not move actors",
                actors.heartbeat_interval_ms
            ),
            "use e.g. 4 x heartbeat_interval_ms",
        ));
    }
    if actors.move_back_after_ms < actors.detection_timeout_ms {
        return Err(invalid(
            "actors.move_back_after_ms",
            actors.move_back_after_ms,
            format!(
                "must be at least actors.detection_timeout_ms ({}) or actors flap between nodes",
                actors.detection_timeout_ms
            ),
            "use e.g. 5000",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A change to the limits of a test file.
    type Tune = fn(&mut Limits);

    /// The field an invalid local cluster file is refused for, if any.
    fn refused_field(tune: impl FnOnce(&mut ClusterFile)) -> Option<String> {
        let dir = Path::new("/tmp/cordon-config-test");
        let mut file = ClusterConfig::local("t", dir, &[(1, 2), (3, 4), (5, 6)])
            .unwrap()
            .file()
            .clone();
        tune(&mut file);
        match ClusterConfig::from_file(file, dir) {
            Ok(_) => None,
            Err(ConfigError::Invalid { field, .. }) => Some(field),
            Err(other) => panic!("{other}"),
        }
    }

    // A neighbour needs a slug id of its own, a name and an http(s) URL;
    // its relative token path resolves against the file's folder.
    #[test]
    fn neighbours_are_checked_field_by_field() {
        let link = |id: &str, name: &str, url: &str| NeighbourLink {
            id: id.into(),
            name: name.into(),
            eido_url: url.into(),
            token_file: PathBuf::from("jingan.token"),
            ca_cert: None,
        };
        let good = link(
            "jingan",
            "Jing'an District",
            "https://cad.jingan.example/v1/eido",
        );
        let with = |links: Vec<NeighbourLink>| refused_field(move |f| f.neighbours = links);
        assert_eq!(with(vec![good.clone()]), None);
        let cases = [
            (vec![link("Jing An", "x", "https://a")], "neighbours[0].id"),
            (vec![good.clone(), good.clone()], "neighbours[1].id"),
            (vec![link("jingan", " ", "https://a")], "neighbours[0].name"),
            (
                vec![link("jingan", "x", "ftp://a")],
                "neighbours[0].eido_url",
            ),
            (
                vec![link("jingan", "x", "https://")],
                "neighbours[0].eido_url",
            ),
            (
                vec![link("jingan", "x", "http://cad.jingan.example/v1/eido")],
                "neighbours[0].eido_url",
            ),
        ];
        for local in [
            "http://127.0.0.1:7180/v1/eido",
            "http://localhost:7180/v1/eido",
            "http://[::1]:7180/v1/eido",
        ] {
            assert_eq!(with(vec![link("jingan", "x", local)]), None, "{local}");
        }
        for (links, field) in cases {
            assert_eq!(with(links).as_deref(), Some(field));
        }
        let dir = Path::new("/tmp/cordon-config-test");
        let mut file = ClusterConfig::local("t", dir, &[(1, 2), (3, 4), (5, 6)])
            .unwrap()
            .file()
            .clone();
        file.neighbours = vec![good];
        let config = ClusterConfig::from_file(file, dir).unwrap();
        assert_eq!(config.neighbours()[0].token_file, dir.join("jingan.token"));
    }

    // The defaults pass; each HTTP limit is refused at zero and past its
    // bound, and a public host must be a host name with an optional port.
    #[test]
    fn http_limits_and_public_hosts_are_bounded() {
        assert_eq!(refused_field(|_| {}), None);
        let cases: [(&str, Tune); 9] = [
            ("limits.api_header_read_timeout_ms", |l| {
                l.api_header_read_timeout_ms = 0
            }),
            ("limits.api_body_read_timeout_ms", |l| {
                l.api_body_read_timeout_ms = 300_001
            }),
            ("limits.api_idle_timeout_ms", |l| {
                l.api_idle_timeout_ms = 3_600_000
            }),
            ("limits.api_connections_max", |l| {
                l.api_connections_max = 100_000
            }),
            ("limits.api_event_streams_max", |l| {
                l.api_event_streams_max = 2_000
            }),
            ("limits.api_event_streams_per_client_max", |l| {
                l.api_event_streams_per_client_max = 300;
            }),
            ("limits.api_event_streams_per_client_max", |l| {
                l.api_event_streams_per_client_max = 0;
            }),
            ("limits.api_requests_per_principal_per_s", |l| {
                l.api_requests_per_principal_per_s = 0;
            }),
            ("limits.api_requests_burst_per_principal", |l| {
                l.api_requests_burst_per_principal = 200_000;
            }),
        ];
        for (field, tune) in cases {
            assert_eq!(
                refused_field(|f| tune(&mut f.limits)).as_deref(),
                Some(field)
            );
        }
        let hosts = |hosts: &[&str]| {
            let hosts: Vec<String> = hosts.iter().map(|h| (*h).to_string()).collect();
            refused_field(move |f| f.api_public_hosts = hosts)
        };
        assert_eq!(
            hosts(&["dispatch.example.org", "ops.example.org:8443", "[::1]:80"]),
            None
        );
        for bad in ["https://dispatch.example.org", "a/b", "x:0", "", "x:99999"] {
            assert_eq!(
                hosts(&[bad]).as_deref(),
                Some("api_public_hosts[0]"),
                "{bad}"
            );
        }
        assert_eq!(hosts(&["a"; 17]).as_deref(), Some("api_public_hosts"));
    }
}
