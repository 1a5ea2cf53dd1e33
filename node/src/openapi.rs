//! The OpenAPI 3.1 description of the HTTP API, served at
//! `/v1/openapi.json`. Written by hand, one entry per route of
//! `api::api_routes`; a test keeps the two in step, and another calls every
//! documented operation on a running node.

use serde_json::{json, Map, Value};

/// One documented operation.
struct Operation {
    path: &'static str,
    method: &'static str,
    summary: &'static str,
    /// Path parameters: name and description of each.
    parameters: &'static [(&'static str, &'static str)],
    /// The JSON request body's schema, if any.
    body: Option<Value>,
    /// Success status and description.
    ok: (&'static str, &'static str),
}

fn error_response() -> Value {
    json!({
        "description": "An error: a stable code and a message saying what is wrong and how to fix it.",
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
    })
}

fn operations() -> Vec<Operation> {
    let report = json!({
        "type": "object",
        "required": ["kind", "lat", "lon"],
        "additionalProperties": false,
        "properties": {
            "request_id": { "type": "string", "maxLength": 128, "description": "idempotency key; a retry with the same id takes effect once" },
            "kind": { "type": "string", "enum": ["theft", "assault", "disturbance", "crowd_crush", "medical", "fire", "traffic_accident", "missing_person", "suspicious_object", "extreme_act", "hazard", "other"] },
            "priority": { "type": "integer", "minimum": 0, "maximum": 10 },
            "force_level": { "type": "integer", "minimum": 0, "maximum": 10 },
            "lat": { "type": "number", "minimum": -90, "maximum": 90 },
            "lon": { "type": "number", "minimum": -180, "maximum": 180 },
            "channel": { "type": "string", "enum": ["emergency_call", "community_report", "risk_warning", "partner_feed"] },
            "description": { "type": "string", "maxLength": 2000 }
        }
    });
    let unit_status = json!({
        "type": "object",
        "required": ["status"],
        "additionalProperties": false,
        "properties": {
            "request_id": { "type": "string" },
            "status": { "type": "string", "enum": ["available", "dispatched", "acknowledged", "en_route", "on_scene", "transporting", "returning", "out_of_service"] },
            "lat": { "type": "number" },
            "lon": { "type": "number" },
            "expected_version": { "type": "integer" }
        }
    });
    let reason = json!({
        "type": "object",
        "additionalProperties": false,
        "properties": { "reason": { "type": "string" }, "request_id": { "type": "string" } }
    });
    let incident: &[(&str, &str)] = &[("id", "incident id, e.g. I-000042")];
    vec![
        Operation { path: "/v1/incidents", method: "post", summary: "Report an incident; answered after commit", parameters: &[], body: Some(report), ok: ("201", "committed: incident id, log index, request id; 200 with deduplicated=true for a repeated request id") },
        Operation { path: "/v1/incidents", method: "get", summary: "List incidents, newest first (linearizable); query: status, limit", parameters: &[], body: None, ok: ("200", "incidents with timelines") },
        Operation { path: "/v1/incidents/{id}", method: "get", summary: "One incident with its hash-chained timeline (linearizable)", parameters: incident, body: None, ok: ("200", "the incident") },
        Operation { path: "/v1/incidents/{id}/resolve", method: "post", summary: "Resolve an incident; its units are released", parameters: incident, body: Some(reason.clone()), ok: ("200", "log index and effect") },
        Operation { path: "/v1/incidents/{id}/cancel", method: "post", summary: "Cancel an incident; its units are released", parameters: incident, body: Some(reason), ok: ("200", "log index and effect") },
        Operation { path: "/v1/plans/{id}/approve", method: "post", summary: "Approve a major incident's mobilisation plan", parameters: incident, body: None, ok: ("200", "log index and effect") },
        Operation { path: "/v1/units", method: "get", summary: "Units with ring, status, position, assignment and version", parameters: &[], body: None, ok: ("200", "units") },
        Operation { path: "/v1/units/{id}/status", method: "post", summary: "Report a unit's status and position from the field", parameters: &[("id", "unit id")], body: Some(unit_status), ok: ("200", "log index and effect") },
        Operation { path: "/v1/actors", method: "get", summary: "Every actor: node, epoch, pending messages, status, restarts, supervisor, state", parameters: &[], body: None, ok: ("200", "actors") },
        Operation { path: "/v1/actors/local", method: "get", summary: "The actors this node supervises", parameters: &[], body: None, ok: ("200", "local actors") },
        Operation { path: "/v1/drills", method: "get", summary: "Which drills this node offers: `actors` (started with --drills) and `nodes` (also started by `cordon demo`, whose drill control it forwards to)", parameters: &[], body: None, ok: ("200", "{actors, nodes}") },
        Operation { path: "/v1/drills/actors/{actor}/fault", method: "post", summary: "Drill: make an actor fail (only with `cordon run --drills`)", parameters: &[("actor", "actor id, e.g. station:bund")], body: None, ok: ("200", "the fault was sent") },
        Operation { path: "/v1/drills/nodes/{id}/{action}", method: "post", summary: "Drill: kill, pause, resume or restart a node's process (only with `cordon run --drills` in a cluster started by `cordon demo`, whose drill control this forwards to; partition answers 501, the demo cannot do it)", parameters: &[("id", "node id, e.g. 2"), ("action", "kill, pause, resume, restart or partition")], body: None, ok: ("200", "the drill control's answer: node, action, state, pid, previous pid; 202 when a kill or pause of the answering node itself is scheduled") },
        Operation { path: "/v1/events", method: "get", summary: "Server-sent events: one `applied` event per committed command", parameters: &[], body: None, ok: ("200", "text/event-stream") },
        Operation { path: "/v1/cluster", method: "get", summary: "This node's view: role, leader, term, indexes, members, replication lag", parameters: &[], body: None, ok: ("200", "cluster status") },
        Operation { path: "/v1/district", method: "get", summary: "The district model: stations, zones, units, rings, areas, points, facilities", parameters: &[], body: None, ok: ("200", "district") },
        Operation { path: "/v1/openapi.json", method: "get", summary: "This document", parameters: &[], body: None, ok: ("200", "OpenAPI 3.1") },
        Operation { path: "/metrics", method: "get", summary: "Prometheus metrics (text format)", parameters: &[], body: None, ok: ("200", "text/plain exposition") },
        Operation { path: "/healthz", method: "get", summary: "The process is up", parameters: &[], body: None, ok: ("200", "ok") },
        Operation { path: "/readyz", method: "get", summary: "A leader is known", parameters: &[], body: None, ok: ("200", "ready; 503 when no leader is known") },
        Operation { path: "/", method: "get", summary: "Redirect to the web console", parameters: &[], body: None, ok: ("303", "to /console/") },
        Operation { path: "/console", method: "get", summary: "Redirect to the web console", parameters: &[], body: None, ok: ("303", "to /console/") },
    ]
    .into_iter()
    .chain(crate::console::ASSETS.iter().map(|asset| Operation {
        path: asset.path,
        method: "get",
        summary: "A file of the web console (embedded in the binary)",
        parameters: &[],
        body: None,
        ok: ("200", asset.content_type),
    }))
    .collect()
}

/// The OpenAPI document.
pub fn document() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for operation in operations() {
        let mut entry = json!({
            "summary": operation.summary,
            "operationId": format!("{}{}", operation.method, operation.path.replace(['/', '{', '}', '.'], "_")),
            "responses": {
                operation.ok.0: { "description": operation.ok.1 },
                "default": error_response(),
            }
        });
        if !operation.parameters.is_empty() {
            entry["parameters"] = operation
                .parameters
                .iter()
                .map(|(name, description)| json!({ "name": name, "in": "path", "required": true, "description": description, "schema": { "type": "string" } }))
                .collect();
        }
        if let Some(schema) = operation.body {
            entry["requestBody"] = json!({ "required": false, "content": { "application/json": { "schema": schema } } });
        }
        let path = paths
            .entry(operation.path.to_string())
            .or_insert_with(|| json!({}));
        path[operation.method] = entry;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Cordon dispatch cluster API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Served by every node; a follower answers reads after a read barrier and forwards writes to the leader."
        },
        "paths": paths,
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": { "code": { "type": "string" }, "message": { "type": "string" } }
                }
            }
        }
    })
}

/// Every documented (method, path) pair.
pub fn documented_operations() -> Vec<(&'static str, &'static str)> {
    operations()
        .into_iter()
        .map(|op| (op.method, op.path))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    #[test]
    fn every_route_is_documented_and_every_documented_path_is_routed() {
        // The OpenAPI paths and the router's table are the same set.
        let mut routed: BTreeSet<&str> = crate::api::api_paths().into_iter().collect();
        routed.extend(["/", "/console"]);
        routed.extend(crate::console::ASSETS.iter().map(|asset| asset.path));
        let documented: BTreeSet<&str> = super::documented_operations()
            .into_iter()
            .map(|(_, path)| path)
            .collect();
        assert_eq!(routed, documented);
        let document = super::document();
        assert_eq!(document["paths"].as_object().unwrap().len(), routed.len());
    }
}
