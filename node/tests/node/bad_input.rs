//! A bad-input battery (#11) against three real processes: malformed and
//! oversized bodies, wrong types, NaN and out-of-range numbers, unknown
//! ids, path tricks, a request id reused for another body, floods, slow
//! bodies and hundreds of event-stream attempts. Each gets a clear 4xx
//! answer (JSON `{code, message}` whose message names what is wrong),
//! never a 5xx or a crash, and every incident acknowledged before the
//! battery reads back unchanged. Every request is sent over raw TCP, so
//! the node gets exactly the bytes (path, Host, body) written here.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use cordon_api::incidents::{CloseIncident, Committed, Incident, IncidentList, Reported};
use cordon_api::units::UnitList;
use cordon_api::ApiError;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::support::{start_cluster_with, Cluster};

/// How long the battery waits for one answer.
const ANSWER_WAIT: Duration = Duration::from_secs(10);
/// The body deadline and the head deadline of the battery's nodes.
const READ_TIMEOUT_MS: u64 = 1_500;
/// Event streams a battery node allows, in all and per client address.
const STREAMS_MAX: u32 = 24;
const STREAMS_PER_CLIENT_MAX: u32 = 3;
/// A good report's position: the Nanjing Road pedestrian street.
const STREET: (f64, f64) = (31.2394, 121.4760);

/// The incidents acknowledged before the battery: kind and position.
const ACKNOWLEDGED: [(&str, f64, f64); 5] = [
    ("theft", 31.2292, 121.4875),
    ("disturbance", 31.2422, 121.4858),
    ("theft", 31.2122, 121.4644),
    ("assault", 31.2394, 121.4760),
    ("disturbance", 31.2225, 121.4709),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_clear_refusals_and_changes_nothing() {
    // Phase 1: three nodes with short body and head deadlines and small
    // event-stream caps (so the floods are quick); five incidents reported,
    // assigned and closed, read back as the "before" snapshot.
    let mut cluster = start_cluster_with(|file| {
        file.limits.api_body_read_timeout_ms = READ_TIMEOUT_MS;
        file.limits.api_header_read_timeout_ms = READ_TIMEOUT_MS;
        file.limits.api_event_streams_max = STREAMS_MAX;
        file.limits.api_event_streams_per_client_max = STREAMS_PER_CLIENT_MAX;
    })
    .await;
    let before = acknowledged_incidents(&cluster).await;
    let targets = Targets::of(&cluster, &before).await;

    // Phase 2: the table of bad requests, spread over the three nodes: each
    // is refused 4xx with a JSON message naming what is wrong; a unicode
    // description is taken and reads back byte for byte.
    let cases = battery(&targets);
    let failures = run_battery(&cluster, &cases).await;
    unicode_round_trips(&cluster).await;

    // Phase 3: floods bounded in time: 300 bad requests at once, bodies and
    // heads sent too slowly, 300 event-stream attempts over the caps.
    flood_is_answered_in_bounded_time(&cluster).await;
    slow_requests_are_cut_off(&cluster).await;
    event_stream_attempts_are_answered(&cluster).await;

    // Phase 4: every node still runs and is ready, no bad request made an
    // incident, the acknowledged incidents read back unchanged, and a good
    // report is still taken.
    still_serving_and_unchanged(&mut cluster, &before).await;
    // The table, the unicode round trip, the flood, the three slow
    // requests and the event-stream flood.
    let cases_run = cases.len() + 1 + 1 + 3 + 1;
    println!("bad-input battery: {cases_run} cases");
    assert!(cases_run >= 40, "{cases_run} cases");
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n"),
        cluster.log_tails()
    );
}

/// Reports the five incidents, waits until each is assigned, resolves or
/// cancels it (a closed incident changes no more: the deadline watch
/// leaves it be), and reads each back.
async fn acknowledged_incidents(cluster: &Cluster) -> Vec<Incident> {
    let mut ids = Vec::new();
    for (n, (kind, lat, lon)) in ACKNOWLEDGED.iter().enumerate() {
        ids.push(
            cluster
                .report(&format!("battery-{n}"), kind, *lat, *lon, 1)
                .await,
        );
    }
    let mut before = Vec::new();
    for (n, id) in ids.iter().enumerate() {
        cluster.wait_assigned(id).await;
        let close = if n % 2 == 0 { "resolve" } else { "cancel" };
        let body = CloseIncident {
            request_id: Some(format!("battery-close-{n}")),
            reason: Some("closed before the battery".into()),
        };
        let path = format!("/v1/incidents/{id}/{close}");
        cluster
            .client
            .post::<Committed>(&path, &body, 0)
            .await
            .unwrap_or_else(|error| panic!("{close} {id}: {error}"));
        before.push(cluster.incident(id).await);
    }
    before
}

/// What the battery aims at: records that exist.
struct Targets {
    /// A resolved incident (no plan).
    resolved: String,
    /// A cancelled incident.
    cancelled: String,
    /// The request id the resolved incident was reported with.
    reported_as: String,
    /// An available unit and its version.
    unit: String,
    unit_version: u64,
    /// The id of the scenarios' token (a real one, for a wrong secret).
    token_id: String,
}

impl Targets {
    async fn of(cluster: &Cluster, before: &[Incident]) -> Targets {
        let units = cluster
            .client
            .get::<UnitList>("/v1/units", 0)
            .await
            .unwrap();
        let unit = units
            .units
            .into_iter()
            .find(|unit| unit.status == "available" && unit.ring == 4)
            .expect("an available unit of ring 4");
        Targets {
            resolved: before[0].id.clone(),
            cancelled: before[1].id.clone(),
            reported_as: before[0].request_id.clone(),
            unit: unit.id,
            unit_version: unit.version,
            token_id: cluster.token().split('.').nth(1).unwrap().to_string(),
        }
    }
}

/// One request of the battery and the answer it must get.
struct Case {
    name: String,
    method: &'static str,
    path: String,
    /// Headers replacing the defaults (Host, Authorization, Content-Type of
    /// a change); an empty value drops the header.
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    /// The right statuses (always 4xx).
    statuses: &'static [u16],
    /// The error code, where one is asserted.
    code: Option<&'static str>,
    /// What the message must contain: the field, id, value or limit at fault.
    names: String,
}

fn send(method: &'static str, name: &str, path: &str, body: impl Into<Vec<u8>>) -> Case {
    Case {
        name: name.to_string(),
        method,
        path: path.to_string(),
        headers: Vec::new(),
        body: body.into(),
        statuses: &[400],
        code: None,
        names: String::new(),
    }
}

fn get(name: &str, path: &str) -> Case {
    send("GET", name, path, "")
}

fn post(name: &str, path: &str, body: impl Into<Vec<u8>>) -> Case {
    send("POST", name, path, body)
}

impl Case {
    /// The right statuses and what the message must name.
    fn is(mut self, statuses: &'static [u16], names: impl Into<String>) -> Case {
        self.statuses = statuses;
        self.names = names.into();
        self
    }

    fn code(mut self, code: &'static str) -> Case {
        self.code = Some(code);
        self
    }

    fn header(mut self, name: &'static str, value: impl Into<String>) -> Case {
        self.headers.push((name, value.into()));
        self
    }

    /// The request's bytes, sent to the node at `addr` with `token`.
    fn request(&self, addr: SocketAddr, token: &str) -> Vec<u8> {
        let mut headers: Vec<(&str, String)> = vec![
            ("host", addr.to_string()),
            ("authorization", format!("Bearer {token}")),
        ];
        if self.method != "GET" {
            headers.push(("content-type", "application/json".into()));
        }
        for (name, value) in &self.headers {
            headers.retain(|(kept, _)| kept != name);
            if !value.is_empty() {
                headers.push((name, value.clone()));
            }
        }
        let mut head = format!("{} {} HTTP/1.1\r\n", self.method, self.path);
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!(
            "content-length: {}\r\nconnection: close\r\n\r\n",
            self.body.len()
        ));
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

/// A report body: a good report with `fields` set (a `null` drops one).
fn report(fields: Value) -> Vec<u8> {
    let mut body = json!({"kind": "theft", "lat": STREET.0, "lon": STREET.1});
    for (name, value) in fields.as_object().unwrap() {
        if value.is_null() {
            body.as_object_mut().unwrap().remove(name);
        } else {
            body[name] = value.clone();
        }
    }
    serde_json::to_vec(&body).unwrap()
}

/// A report body with `field` spelled `raw` (JSON that serde_json cannot write).
fn report_raw(field: &str, raw: &str) -> String {
    let mut body = json!({"kind": "theft", "lat": STREET.0, "lon": STREET.1});
    body[field] = json!("RAW");
    serde_json::to_string(&body)
        .unwrap()
        .replace("\"RAW\"", raw)
}

/// The whole battery.
fn battery(targets: &Targets) -> Vec<Case> {
    let mut cases = body_cases(targets);
    cases.extend(id_cases(targets));
    cases.extend(unit_cases(targets));
    cases.extend(guard_cases(targets));
    cases
}

/// Report bodies: malformed, the wrong shape, wrong types, numbers out of
/// range, unknown names, text too long, request ids bad or reused.
#[rustfmt::skip] // reason: the table reads as rows
fn body_cases(targets: &Targets) -> Vec<Case> {
    const P: &str = "/v1/incidents";
    let deep = "[".repeat(20_000);
    let oversized = report(json!({"description": "x".repeat(70_000)}));
    let mut invalid_utf8 = br#"{"kind": "th"#.to_vec();
    invalid_utf8.extend_from_slice(b"\xff\xfe");
    invalid_utf8.extend_from_slice(br#"ft", "lat": 31.2394, "lon": 121.476}"#);
    vec![
        post("malformed JSON", P, r#"{"kind": "theft", "lat": 31.2"#).is(&[400], "EOF while parsing"),
        post("empty body on report", P, "").is(&[400], "EOF while parsing"),
        post("body is an array", P, "[]").is(&[400], "JSON object"),
        post("body is an 8-element array", P, r#"[null, "theft", null, null, 91, 121.476, null, null]"#).is(&[400], "JSON object"),
        post("body is a string", P, r#""theft""#).is(&[400], "JSON object"),
        post("body is a number", P, "42").is(&[400], "JSON object"),
        post("body is null", P, "null").is(&[400], "invalid type: null"),
        post("trailing garbage", P, [report(json!({})), b" xyz".to_vec()].concat()).is(&[400], "trailing characters"),
        post("20000 nested arrays", P, deep).is(&[400], "JSON object"),
        post("invalid UTF-8 in a string", P, invalid_utf8).is(&[400], "line 1"),
        post("lone surrogate escape", P, report_raw("description", r#""\ud800""#)).is(&[400], "description: unexpected end of hex escape"),
        post("duplicate field", P, r#"{"kind": "theft", "kind": "fire", "lat": 31.2394, "lon": 121.476}"#).is(&[400], "duplicate field `kind`"),
        post("unknown field", P, report(json!({"colour": "red"}))).is(&[400], "unknown field `colour`"),
        post("missing kind on a 110 call", P, report(json!({"kind": null}))).is(&[400], "kind is missing: a report on channel emergency_call must name its kind"),
        post("missing lat", P, report(json!({"lat": null}))).is(&[400], "missing field `lat`"),
        post("lat as a string", P, report(json!({"lat": "31.2394"}))).is(&[400], "lat: invalid type: string"),
        post("lat null", P, report_raw("lat", "null")).is(&[400], "lat: invalid type: null"),
        post("priority as a string", P, report(json!({"priority": "high"}))).is(&[400], "priority: invalid type: string"),
        post("priority 300", P, report(json!({"priority": 300}))).is(&[400], "priority: invalid value: integer `300`"),
        post("priority 11", P, report(json!({"priority": 11}))).is(&[400], "priority = 11"),
        post("priority 5.5", P, report(json!({"priority": 5.5}))).is(&[400], "priority: invalid type: floating point"),
        post("negative force_level", P, report(json!({"force_level": -1}))).is(&[400], "force_level: invalid value: integer `-1`"),
        post("force_level 11", P, report(json!({"force_level": 11}))).is(&[400], "force_level = 11"),
        post("lat NaN", P, report_raw("lat", "NaN")).is(&[400], "expected value"),
        post("lat -Infinity", P, report_raw("lat", "-Infinity")).is(&[400], "lat: invalid number"),
        post("lat 1e999", P, report_raw("lat", "1e999")).is(&[400], "number out of range"),
        post("lat 91", P, report(json!({"lat": 91}))).is(&[400], "latitude 91"),
        post("lon -181", P, report(json!({"lon": -181}))).is(&[400], "longitude -181"),
        post("position (0, 0), outside the district", P, report(json!({"lat": 0, "lon": 0}))).is(&[400], "latitude 31."),
        post("unknown kind", P, report(json!({"kind": "alien_invasion"}))).is(&[400], "unknown incident kind \"alien_invasion\""),
        post("unknown channel", P, report(json!({"channel": "fax"}))).is(&[400], "channel \"fax\" is unknown"),
        post("description of 2001 bytes", P, report(json!({"description": "x".repeat(2_001)}))).is(&[400], "description = 2001 bytes"),
        post("description of 700 CJK characters (2100 bytes)", P, report(json!({"description": "外".repeat(700)}))).is(&[400], "description = 2100 bytes"),
        post("request_id of 200 characters", P, report(json!({"request_id": "r".repeat(200)}))).is(&[400], "request_id \"rrrr"),
        post("request_id with bad characters", P, report(json!({"request_id": "a b/../c"}))).is(&[400], "request_id \"a b/../c\" is invalid"),
        post("empty request_id", P, report(json!({"request_id": ""}))).is(&[400], "request_id \"\" is invalid"),
        post("request_id reused with another body", P, report(json!({"request_id": targets.reported_as, "kind": "fire"})))
            .is(&[409], format!("request id {} was first used", targets.reported_as)).code("request_id_reused"),
        post("body over api_body_bytes_max", P, oversized).is(&[413], "limits.api_body_bytes_max = 65536").code("body_too_large"),
    ]
}

/// Incident ids: unknown, malformed, path tricks; closing and approving
/// what cannot be; listing with bad queries.
#[rustfmt::skip] // reason: the table reads as rows
fn id_cases(targets: &Targets) -> Vec<Case> {
    let (resolved, cancelled) = (&targets.resolved, &targets.cancelled);
    let long_id = format!("I-{}", "9".repeat(10_000));
    vec![
        get("unknown incident", "/v1/incidents/I-999999").is(&[404], "no incident I-999999").code("not_found"),
        get("malformed incident id", "/v1/incidents/I-abc").is(&[400], "\"I-abc\" is not an incident id"),
        get("incident id past u64", "/v1/incidents/I-99999999999999999999").is(&[400], "is not an incident id"),
        get("incident id u64::MAX", "/v1/incidents/18446744073709551615").is(&[404], "no incident"),
        get("incident id of 10 kB", &format!("/v1/incidents/{long_id}")).is(&[400], "is not an incident id"),
        get("dot segments in the path", "/v1/incidents/../../etc/passwd").is(&[404], "no such route").code("no_route"),
        get("encoded dot segments", "/v1/incidents/%2e%2e%2fetc%2fpasswd").is(&[400], "\"../etc/passwd\" is not an incident id"),
        get("encoded NUL in an id", "/v1/incidents/I-1%00").is(&[400], "is not an incident id"),
        get("dot segments under the console", "/console/../../../etc/passwd").is(&[404], "no such route").code("no_route"),
        post("resolve an unknown incident", "/v1/incidents/I-999999/resolve", "").is(&[404, 409], "I-999999"),
        post("resolve a resolved incident", &format!("/v1/incidents/{resolved}/resolve"), "").is(&[409], resolved.as_str()).code("rejected"),
        post("cancel a cancelled incident", &format!("/v1/incidents/{cancelled}/cancel"), "").is(&[409], cancelled.as_str()).code("rejected"),
        post("resolve with a number as reason", &format!("/v1/incidents/{resolved}/resolve"), r#"{"reason": 5}"#).is(&[400], "invalid type: integer `5`"),
        post("resolve with an unknown field", &format!("/v1/incidents/{resolved}/resolve"), r#"{"why": "x"}"#).is(&[400], "unknown field `why`"),
        post("resolve with a reason of 2001 bytes", &format!("/v1/incidents/{cancelled}/resolve"), serde_json::to_vec(&json!({"reason": "x".repeat(2_001)})).unwrap()).is(&[400], "reason = 2001 bytes"),
        post("cancel under a report's request id", &format!("/v1/incidents/{cancelled}/cancel"), serde_json::to_vec(&json!({"request_id": targets.reported_as})).unwrap())
            .is(&[409], targets.reported_as.as_str()).code("request_id_reused"),
        post("approve an incident without a plan", &format!("/v1/plans/{resolved}/approve"), "").is(&[409], "has no mobilisation plan").code("no_plan"),
        post("approve an unknown incident", "/v1/plans/I-999999/approve", "").is(&[404], "no incident I-999999"),
        post("approve a malformed id", "/v1/plans/I-abc/approve", "").is(&[400], "\"I-abc\" is not an incident id"),
        get("list with limit -1", "/v1/incidents?limit=-1").is(&[400], "limit"),
        get("list with limit abc", "/v1/incidents?limit=abc").is(&[400], "limit"),
        get("list with a limit past u64", "/v1/incidents?limit=99999999999999999999999").is(&[400], "limit"),
        get("list with an unknown status", "/v1/incidents?status=bogus").is(&[400], "status \"bogus\" is unknown"),
        get("list with an unknown parameter", "/v1/incidents?colour=red").is(&[400], "unknown field `colour`"),
    ]
}

/// Units: unknown ids and statuses, half positions, stale versions,
/// forbidden moves; drills of things that do not exist.
#[rustfmt::skip] // reason: the table reads as rows
fn unit_cases(targets: &Targets) -> Vec<Case> {
    let unit = &targets.unit;
    let path = format!("/v1/units/{unit}/status");
    let status = |fields: Value| serde_json::to_vec(&fields).unwrap();
    let stale = targets.unit_version + 1_000;
    vec![
        post("unknown unit", "/v1/units/no-such-unit/status", status(json!({"status": "available"}))).is(&[404, 409], "unit no-such-unit is unknown"),
        post("unit id with encoded dot segments", "/v1/units/..%2F..%2Fetc/status", status(json!({"status": "available"}))).is(&[404, 409], "unit ../../etc is unknown"),
        post("unknown unit status", &path, status(json!({"status": "flying"}))).is(&[400], "status \"flying\" is unknown"),
        post("unit status missing", &path, status(json!({"lat": 31.2}))).is(&[400], "missing field `status`"),
        post("unit lat without lon", &path, status(json!({"status": "available", "lat": 31.2394}))).is(&[400], "both lat and lon"),
        post("unit position outside the district", &path, status(json!({"status": "available", "lat": 0.0, "lon": 0.0}))).is(&[400], "latitude 31."),
        post("unit expected_version wrong", &path, status(json!({"status": "out_of_service", "expected_version": stale})))
            .is(&[409], format!("not {stale}")).code("rejected"),
        post("unit moved in a way its table forbids", &path, status(json!({"status": "on_scene"}))).is(&[409], format!("unit {unit} is available: it cannot become on_scene")),
        post("plant an unknown bug", "/v1/drills/plant/meteor", "").is(&[400], "\"meteor\" is not a bug a drill can plant"),
        post("fault a malformed actor id", "/v1/drills/actors/no-such-actor/fault", "").is(&[400], "\"no-such-actor\" is not an actor id"),
        post("fault an actor that does not exist", "/v1/drills/actors/station:nowhere/fault", "").is(&[404], "station:nowhere"),
        post("node drill without a drill control", "/v1/drills/nodes/9/explode", "").is(&[404], "no demo control").code("no_drill_control"),
    ]
}

/// Routes, methods, the guard's Host, Origin and Content-Type, and
/// credentials.
#[rustfmt::skip] // reason: the table reads as rows
fn guard_cases(targets: &Targets) -> Vec<Case> {
    let resolve = format!("/v1/incidents/{}/resolve", targets.resolved);
    let unknown_token = format!("Bearer cordon1.0123456789abcdef.{}", "0".repeat(64));
    let wrong_secret = format!("Bearer cordon1.{}.{}", targets.token_id, "0".repeat(64));
    vec![
        get("unknown route", "/v1/nothing").is(&[404], "no such route").code("no_route"),
        send("DELETE", "wrong method on a collection", "/v1/incidents", "").is(&[405], "DELETE").code("method_not_allowed"),
        get("GET of a POST route", &resolve).is(&[405], "GET").code("method_not_allowed"),
        send("PUT", "PUT on a read-only route", "/v1/units", "{}").is(&[405], "PUT").code("method_not_allowed"),
        post("text/plain write", &resolve, "{}").header("content-type", "text/plain").is(&[415], "application/json").code("unsupported_media_type"),
        post("write without Content-Type", &resolve, "{}").header("content-type", "").is(&[415], "Content-Type (none)").code("unsupported_media_type"),
        post("foreign Origin", &resolve, "{}").header("origin", "http://attacker.example").is(&[403], "attacker.example").code("origin_refused"),
        get("foreign Host", "/v1/incidents").header("host", "attacker.example").is(&[421], "\"attacker.example\" is not a name of this node").code("host_not_allowed"),
        get("no Host", "/v1/incidents").header("host", "").is(&[400], "no readable Host header").code("host_missing"),
        get("no Authorization", "/v1/incidents").header("authorization", "").is(&[401], "cordon token issue").code("unauthenticated"),
        get("malformed token", "/v1/units").header("authorization", "Bearer cordon1.nope").is(&[401], "malformed").code("unauthenticated"),
        get("Basic credentials", "/v1/units").header("authorization", "Basic dXNlcjpwYXNz").is(&[401], "malformed").code("unauthenticated"),
        get("unknown token", "/v1/units").header("authorization", unknown_token).is(&[401], "token 0123456789abcdef is unknown").code("unauthenticated"),
        get("token with a wrong secret", "/v1/units").header("authorization", wrong_secret).is(&[401], "the secret does not match").code("unauthenticated"),
    ]
}

/// Sends every case to one node after another; returns the failures.
/// Every answer is printed.
async fn run_battery(cluster: &Cluster, cases: &[Case]) -> Vec<String> {
    let mut failures = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        let addr = api_addr(cluster, index % 3 + 1);
        let answer = exchange(addr, &case.request(addr, cluster.token())).await;
        let verdict = answer
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|a| judge(case, a));
        let shown = match &answer {
            Ok(answer) => format!(
                "{} {}",
                answer.status,
                answer.body.chars().take(200).collect::<String>()
            ),
            Err(error) => error.clone(),
        };
        let name = &case.name;
        match verdict {
            Ok(()) => println!("ok       {name}: {shown}"),
            Err(why) => {
                println!("FAILED   {name}: {why}: {shown}");
                failures.push(format!("{name}: {why}: {shown}"));
            }
        }
    }
    failures
}

/// Why `answer` is not the right refusal of `case`, if it is not.
fn judge(case: &Case, answer: &Answer) -> Result<(), String> {
    if answer.status >= 500 {
        return Err(format!("a 5xx ({}), never right", answer.status));
    }
    if !case.statuses.contains(&answer.status) {
        return Err(format!("expected {:?}", case.statuses));
    }
    let error: ApiError = serde_json::from_str(&answer.body)
        .map_err(|e| format!("the body is not JSON {{code, message}} ({e})"))?;
    if let Some(code) = case.code {
        if error.code != code {
            return Err(format!("code {:?}, expected {code:?}", error.code));
        }
    }
    if !error.message.contains(&case.names) {
        return Err(format!("the message does not name {:?}", case.names));
    }
    Ok(())
}

/// A report whose description mixes scripts, emoji, escapes and a
/// right-to-left mark is taken, and its description reads back equal.
async fn unicode_round_trips(cluster: &Cluster) {
    let description =
        "外滩观景平台 — 游客走失 🚸 café «naïve» \"quoted\" \\ back\tslash \u{202e}RTL \u{1F46E}";
    let body = report(json!({"request_id": "battery-unicode", "description": description}));
    let addr = api_addr(cluster, 2);
    let case = post("unicode description", "/v1/incidents", body);
    let answer = exchange(addr, &case.request(addr, cluster.token()))
        .await
        .unwrap();
    assert_eq!(answer.status, 201, "{}", answer.body);
    let reported: Reported = serde_json::from_str(&answer.body).unwrap();
    let incident = cluster.incident(&reported.incident_id).await;
    assert_eq!(incident.description, description);
    println!("ok       unicode description: reads back equal");
}

/// 300 bad requests at once over the three nodes (malformed JSON, an
/// unknown field, no credentials) are all answered 4xx within 20 s.
async fn flood_is_answered_in_bounded_time(cluster: &Cluster) {
    let kinds = [
        post("flood: malformed", "/v1/incidents", "{\"kind\":"),
        post(
            "flood: unknown field",
            "/v1/incidents",
            report(json!({"x": 1})),
        ),
        get("flood: no credentials", "/v1/units").header("authorization", ""),
    ];
    let started = Instant::now();
    let sends = (0..300).map(|index| {
        let addr = api_addr(cluster, index % 3 + 1);
        let request = kinds[index % 3].request(addr, cluster.token());
        async move { exchange(addr, &request).await }
    });
    let answers = futures_util::future::join_all(sends).await;
    let elapsed = started.elapsed();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for answer in answers {
        let answer = answer.expect("every flooding request is answered");
        assert!(
            [400, 401, 429].contains(&answer.status),
            "a flooding request answered {} {}",
            answer.status,
            answer.body
        );
        *statuses.entry(answer.status).or_default() += 1;
    }
    println!("ok       300 bad requests at once: {statuses:?} in {elapsed:?}");
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}");
}

/// A body that stops half way, a body dripped a byte at a time and a head
/// that stops half way are each answered 408 naming the deadline, and
/// closed, soon after the deadline.
async fn slow_requests_are_cut_off(cluster: &Cluster) {
    let addr = api_addr(cluster, 2);
    let token = cluster.token();
    let head = format!(
        "POST /v1/incidents HTTP/1.1\r\nHost: {addr}\r\nauthorization: Bearer {token}\r\n\
         content-type: application/json\r\ncontent-length: 100\r\n\r\n"
    );
    let half_body = format!("{head}{{\"kind\":");
    let answer = answer_to_slow(addr, half_body.as_bytes(), &[]).await;
    deadline_refusal("half a body", &answer, "api_body_read_timeout_ms");
    let dripped = report(json!({"description": "d".repeat(60)}));
    let answer = answer_to_slow(addr, head.as_bytes(), &dripped).await;
    deadline_refusal("a dripped body", &answer, "api_body_read_timeout_ms");
    let half_head = format!("POST /v1/incidents HTTP/1.1\r\nHost: {addr}\r\n");
    let answer = answer_to_slow(addr, half_head.as_bytes(), &[]).await;
    deadline_refusal("half a head", &answer, "api_header_read_timeout_ms");
}

/// Sends `first`, then `drip` a byte every 250 ms; the answer and how long
/// after `first` the node closed the connection.
async fn answer_to_slow(addr: SocketAddr, first: &[u8], drip: &[u8]) -> (Answer, Duration) {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    writer.write_all(first).await.unwrap();
    let started = Instant::now();
    let dripping = async {
        for byte in drip {
            if writer.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        std::future::pending::<()>().await;
    };
    let mut raw = Vec::new();
    let reading = tokio::time::timeout(ANSWER_WAIT, reader.read_to_end(&mut raw));
    tokio::select! {
        read = reading => assert!(read.is_ok(), "a slow request still open after {ANSWER_WAIT:?}"),
        () = dripping => unreachable!("dripping never ends"),
    }
    let answer = parse_answer(&raw).unwrap_or_else(|| panic!("no answer: {raw:?}"));
    (answer, started.elapsed())
}

/// Asserts a 408 naming `limit`, sent between the deadline and 5 s after it.
fn deadline_refusal(what: &str, (answer, after): &(Answer, Duration), limit: &str) {
    let deadline = Duration::from_millis(READ_TIMEOUT_MS);
    assert_eq!(answer.status, 408, "{what}: {}", answer.body);
    let error: ApiError = serde_json::from_str(&answer.body)
        .unwrap_or_else(|e| panic!("{what}: {e}: {}", answer.body));
    assert!(
        error
            .message
            .contains(&format!("{limit} = {READ_TIMEOUT_MS}")),
        "{what}: {}",
        error.message
    );
    assert!(
        *after >= deadline - Duration::from_millis(100)
            && *after < deadline + Duration::from_secs(5),
        "{what}: closed after {after:?}"
    );
    println!("ok       {what}: 408 after {after:?}: {}", error.message);
}

/// 300 event-stream attempts at once from 75 addresses, four each, on one
/// node: exactly the cap opens, every other is refused 429 or 503 naming
/// its cap, all within 30 s; once they close, a stream opens again.
async fn event_stream_attempts_are_answered(cluster: &Cluster) {
    let addr = api_addr(cluster, 1);
    let started = Instant::now();
    let attempts = (0..300_u32).map(|index| {
        let from = [127, 0, 0, 10 + u8::try_from(index / 4).unwrap()];
        open_event_stream(from, addr, cluster.token())
    });
    let streams = futures_util::future::join_all(attempts).await;
    let elapsed = started.elapsed();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for (_, answer) in &streams {
        *statuses.entry(answer.status).or_default() += 1;
        let cap = match answer.status {
            200 => continue,
            429 => "api_event_streams_per_client_max = 3",
            503 => "api_event_streams_max = 24",
            other => panic!("an event stream answered {other}: {}", answer.body),
        };
        let rated = answer.status == 429 && answer.body.contains("rate_limited");
        assert!(answer.body.contains(cap) || rated, "{}", answer.body);
    }
    println!("ok       300 event-stream attempts: {statuses:?} in {elapsed:?}");
    assert_eq!(
        statuses.get(&200),
        Some(&(STREAMS_MAX as usize)),
        "{statuses:?}"
    );
    assert!(elapsed < Duration::from_secs(30), "{elapsed:?}");
    drop(streams);
    let reopened = tokio::time::timeout(ANSWER_WAIT, async {
        loop {
            let (stream, answer) = open_event_stream([127, 0, 0, 1], addr, cluster.token()).await;
            if answer.status == 200 {
                return stream;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(
        reopened.is_ok(),
        "no event stream opens after the others closed"
    );
}

/// Opens an event stream from `from`: the connection and the answer's head
/// (with the body of a refusal).
async fn open_event_stream(from: [u8; 4], addr: SocketAddr, token: &str) -> (TcpStream, Answer) {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from((from, 0))).unwrap();
    let mut stream = socket.connect(addr).await.unwrap();
    let request =
        format!("GET /v1/events HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    let mut byte = [0_u8; 1];
    while !raw.ends_with(b"\r\n\r\n") {
        let read = tokio::time::timeout(ANSWER_WAIT, stream.read(&mut byte))
            .await
            .expect("an event stream's head arrives")
            .unwrap();
        assert_ne!(read, 0, "closed before the head: {raw:?}");
        raw.push(byte[0]);
    }
    let mut answer = parse_answer(&raw).unwrap();
    let length = answer.head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse::<usize>().ok())?
    });
    if let (Some(length), true) = (length, answer.status != 200) {
        let mut body = vec![0_u8; length];
        tokio::time::timeout(ANSWER_WAIT, stream.read_exact(&mut body))
            .await
            .expect("a refusal's body arrives")
            .unwrap();
        answer.body = String::from_utf8_lossy(&body).into_owned();
    }
    (stream, answer)
}

/// After the battery: every node runs and is ready and logged no panic; no
/// bad request made an incident; the acknowledged incidents read back
/// equal; a good report is taken.
async fn still_serving_and_unchanged(cluster: &mut Cluster, before: &[Incident]) {
    for node in 1..=3 {
        let child = cluster.processes.children[node - 1].as_mut().unwrap();
        assert!(child.try_wait().unwrap().is_none(), "node {node} exited");
        let addr = api_addr(cluster, node);
        let ready = get("readyz", "/readyz").header("authorization", "");
        let ready = exchange(addr, &ready.request(addr, "")).await;
        assert_eq!(ready.map(|a| a.status), Ok(200), "node {node} /readyz");
        let log = cluster._dir.path().join(format!("node-{node}.log"));
        let log = std::fs::read_to_string(log).unwrap();
        assert!(!log.contains("panicked"), "node {node} logged a panic");
    }
    let list: IncidentList = cluster.client.get("/v1/incidents", 0).await.unwrap();
    let made = before.len() as u64 + 1;
    assert_eq!(
        list.total, made,
        "the five acknowledged and the unicode one"
    );
    for incident in before {
        assert_eq!(cluster.incident(&incident.id).await, *incident);
    }
    let id = cluster
        .report("battery-after", "theft", STREET.0, STREET.1, 1)
        .await;
    assert_eq!(cluster.incident(&id).await.kind, "theft");
    println!("ok       after the battery: ready, unchanged, {id} taken");
}

/// The API address of node `id`.
fn api_addr(cluster: &Cluster, id: usize) -> SocketAddr {
    cluster.processes.cluster.nodes()[id - 1].api_addr
}

/// One answer: its status, head and body.
#[derive(Debug)]
struct Answer {
    status: u16,
    head: String,
    body: String,
}

/// Sends `request` on a new connection and reads the answer until the node
/// closes the connection.
async fn exchange(addr: SocketAddr, request: &[u8]) -> Result<Answer, String> {
    let mut stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    // A node may refuse (and close) before it read the whole request.
    let _ = stream.write_all(request).await;
    let mut raw = Vec::new();
    let read = tokio::time::timeout(ANSWER_WAIT, stream.read_to_end(&mut raw)).await;
    if read.is_err() {
        return Err(format!("no answer within {ANSWER_WAIT:?}"));
    }
    parse_answer(&raw).ok_or_else(|| {
        format!(
            "not an HTTP answer: {:?}",
            String::from_utf8_lossy(&raw[..raw.len().min(200)])
        )
    })
}

/// The status, head and (de-chunked) body of a raw answer.
fn parse_answer(raw: &[u8]) -> Option<Answer> {
    let end = raw.windows(4).position(|window| window == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let mut body = raw[end + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    Some(Answer {
        status,
        head,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// The data of a chunked body (as much as arrived).
fn dechunk(mut chunked: &[u8]) -> Vec<u8> {
    let mut data = Vec::new();
    while let Some(line_end) = chunked.windows(2).position(|window| window == b"\r\n") {
        let size = String::from_utf8_lossy(&chunked[..line_end]);
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        let start = line_end + 2;
        if size == 0 || chunked.len() < start + size {
            break;
        }
        data.extend_from_slice(&chunked[start..start + size]);
        chunked = &chunked[(start + size + 2).min(chunked.len())..];
    }
    data
}
