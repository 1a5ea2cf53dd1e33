//! A drill's verdict: every checker over the history and what each node
//! holds after the quiet period (incidents with their timelines, units),
//! the node logs and the recovery after heal. Each checker's verdict goes
//! into the report by name, so a reader sees what was judged, not just a
//! pass.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Duration;

use cordon_api::incidents::{Incident, Origin};
use cordon_api::units::Unit;
use cordon_consensus::ledger::IncidentStatus;
use serde::Serialize;

use crate::judge::checkers::dispatch::{status_named, StepSummary};
use crate::judge::checkers::{
    acked_incidents, epochs, liveness, lost_acks, no_panic, request_applied_once, request_outcomes,
    unit_assigned_once, ActorExecution, AssignmentChange, AssignmentEvent, FinalReads,
    RecoveryTimes, Violation,
};
use crate::judge::checkers::{incidents_attended, statuses_follow_tables, IncidentSummary};
use crate::judge::history::OpRecord;
use crate::judge::invariants::Invariant;
use crate::judge::linearizability::CheckResult;
use crate::judge::models::check_incident_history;

/// Violations quoted per checker in a report, at most (the count is exact).
const QUOTED_VIOLATIONS_MAX: usize = 5;

/// What one node held after the quiet period.
#[derive(Clone, Debug, Default)]
pub(crate) struct NodeReads {
    pub incidents: Vec<Incident>,
    pub units: Vec<Unit>,
}

/// How a checker judged the drill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckOutcome {
    /// Nothing broken.
    Pass,
    /// Something broken: see the violations.
    Fail,
    /// The checker could not decide (a search out of budget).
    Unknown,
    /// Not run, with the reason in the detail (an operator's cluster's
    /// logs are not ours to read).
    Skipped,
}

impl fmt::Display for CheckOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CheckOutcome::Pass => "pass",
            CheckOutcome::Fail => "FAIL",
            CheckOutcome::Unknown => "unknown",
            CheckOutcome::Skipped => "skipped",
        })
    }
}

/// One checker's verdict.
#[derive(Clone, Debug, Serialize)]
pub struct CheckVerdict {
    /// The checker (`lost-acks`, `request-applied-once`...).
    pub check: &'static str,
    /// Its verdict.
    pub outcome: CheckOutcome,
    /// What it looked at, in words.
    pub detail: String,
    /// How many violations.
    pub violation_count: usize,
    /// The first few violations.
    pub violations: Vec<String>,
}

impl CheckVerdict {
    fn of(check: &'static str, detail: String, result: Result<(), Vec<Violation>>) -> CheckVerdict {
        match result {
            Ok(()) => CheckVerdict {
                check,
                outcome: CheckOutcome::Pass,
                detail,
                violation_count: 0,
                violations: Vec::new(),
            },
            Err(violations) => {
                let mut quoted: Vec<String> = violations.iter().map(ToString::to_string).collect();
                quoted.dedup();
                let count = quoted.len();
                quoted.truncate(QUOTED_VIOLATIONS_MAX);
                CheckVerdict {
                    check,
                    outcome: CheckOutcome::Fail,
                    detail,
                    violation_count: count,
                    violations: quoted,
                }
            }
        }
    }

    fn skipped(check: &'static str, why: &str) -> CheckVerdict {
        CheckVerdict {
            check,
            outcome: CheckOutcome::Skipped,
            detail: why.to_string(),
            violation_count: 0,
            violations: Vec::new(),
        }
    }
}

impl fmt::Display for CheckVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<22} {:<7} {}", self.check, self.outcome, self.detail)?;
        if self.violation_count > 0 {
            write!(f, " ({} violations)", self.violation_count)?;
        }
        for violation in &self.violations {
            write!(f, "\n      {violation}")?;
        }
        Ok(())
    }
}

/// Everything the checkers are given.
pub(crate) struct Evidence<'a> {
    pub records: &'a [OpRecord],
    pub reads: &'a BTreeMap<String, NodeReads>,
    /// `None`: the logs are not ours (an operator's cluster).
    pub logs: Option<&'a [(String, String)]>,
    pub recovery: RecoveryTimes,
    pub liveness_within: Duration,
}

/// Every checker's verdict, and (lost, duplicates): the violations of the
/// two request checkers.
pub(crate) fn judge(evidence: &Evidence<'_>) -> (Vec<CheckVerdict>, usize, usize) {
    let mut verdicts = Vec::new();
    let outcomes = request_outcomes(evidence.records);
    let acked = acked_incidents(&outcomes);
    let final_reads: FinalReads = evidence
        .reads
        .iter()
        .map(|(node, reads)| (node.clone(), super::api::by_request(&reads.incidents)))
        .collect();
    let lost = lost_acks(&acked, &final_reads);
    let lost_count = lost.as_ref().err().map_or(0, Vec::len);
    verdicts.push(CheckVerdict::of(
        "lost-acks",
        format!(
            "{} acknowledged reports on each of {} nodes",
            acked.len(),
            final_reads.len()
        ),
        lost,
    ));
    let once = request_applied_once(&outcomes, &final_reads);
    let duplicate_count = once.as_ref().err().map_or(0, Vec::len);
    verdicts.push(CheckVerdict::of(
        "request-applied-once",
        format!("{} request ids", outcomes.len()),
        once,
    ));
    verdicts.push(assignments_verdict(evidence.reads));
    verdicts.push(epochs_verdict(evidence.reads));
    verdicts.push(match evidence.logs {
        Some(logs) => CheckVerdict::of(
            "no-panic",
            format!("{} node logs", logs.len()),
            no_panic(logs),
        ),
        None => CheckVerdict::skipped(
            "no-panic",
            "an operator's cluster: its logs are not read by the drill",
        ),
    });
    verdicts.push(CheckVerdict::of(
        "liveness-after-heal",
        format!(
            "leader {}, fresh write {}, every actor placed {} (bound {} ms)",
            millis(evidence.recovery.leader_elected),
            millis(evidence.recovery.fresh_write_committed),
            millis(evidence.recovery.actors_placed),
            evidence.liveness_within.as_millis()
        ),
        liveness(&evidence.recovery, evidence.liveness_within),
    ));
    verdicts.push(linearizability_verdict(evidence.records));
    verdicts.extend(dispatch_verdicts(evidence.reads));
    (verdicts, lost_count, duplicate_count)
}

/// The dispatch invariants over the most advanced node's incidents:
/// every incident attended (a unit, an escalation or an unresourced mark)
/// and each unit's steps following its assignment. Units are not freed in a
/// drill (no field reports), so open incidents with units are fine.
fn dispatch_verdicts(reads: &BTreeMap<String, NodeReads>) -> Vec<CheckVerdict> {
    let Some((node, most)) = reads.iter().max_by_key(|(_, reads)| reads.incidents.len()) else {
        return Vec::new();
    };
    let incidents: Vec<IncidentSummary> = most.incidents.iter().map(summary).collect();
    let detail = format!("{} incidents read from {node}", incidents.len());
    vec![
        CheckVerdict::of(
            "incidents-attended",
            detail.clone(),
            incidents_attended(&incidents, false),
        ),
        CheckVerdict::of(
            "statuses-follow-tables",
            detail,
            statuses_follow_tables(&incidents),
        ),
    ]
}

/// The dispatch checkers' summary of an incident read from the API.
fn summary(incident: &Incident) -> IncidentSummary {
    IncidentSummary {
        id: incident.id.clone(),
        status: status_named(&incident.status).unwrap_or(IncidentStatus::Reported),
        units: incident.units.clone(),
        unresourced: incident.unresourced.is_some(),
        plan_pending: incident
            .plan
            .as_ref()
            .is_some_and(|plan| plan.approved_index.is_none()),
        reported_at_ms: incident.reported_at_ms,
        // The drill's cluster may run another district than the embedded
        // one: the targets are judged in L1, where the district is known.
        target: None,
        steps: incident
            .timeline
            .iter()
            .map(|entry| StepSummary {
                step: entry.step.clone(),
                unit: entry.unit_id.clone(),
                status: entry.status.clone(),
            })
            .collect(),
    }
}

fn millis(after_heal: Option<Duration>) -> String {
    after_heal.map_or_else(|| "never".to_string(), |d| format!("{} ms", d.as_millis()))
}

/// No unit on two open incidents at any log index, on every node's
/// timelines; and every node's units agree with its incidents.
fn assignments_verdict(reads: &BTreeMap<String, NodeReads>) -> CheckVerdict {
    let mut violations = Vec::new();
    let mut events_total = 0;
    for (node, node_reads) in reads {
        let events = assignment_events(&node_reads.incidents);
        events_total = events_total.max(events.len());
        if let Err(found) = unit_assigned_once(&events) {
            violations.extend(found.into_iter().map(|mut violation| {
                violation.detail = format!("{node}: {}", violation.detail);
                violation
            }));
        }
        violations.extend(units_agree(node, node_reads));
    }
    let result = if violations.is_empty() {
        Ok(())
    } else {
        Err(violations)
    };
    CheckVerdict::of(
        "unit-assigned-once",
        format!(
            "{events_total} assignment changes, units of {} nodes",
            reads.len()
        ),
        result,
    )
}

/// The assignment changes in a node's incidents, in log order: each
/// assignment, each `unit_released` step (with the unit it names) and each
/// closing step.
pub(crate) fn assignment_events(incidents: &[Incident]) -> Vec<AssignmentEvent> {
    let mut events = Vec::new();
    for incident in incidents {
        for assignment in &incident.assignments {
            events.push(AssignmentEvent {
                index: assignment.index,
                incident: incident.id.clone(),
                change: AssignmentChange::Assigned {
                    unit: assignment.unit_id.clone(),
                },
            });
        }
        for entry in &incident.timeline {
            let change = match (entry.step.as_str(), &entry.unit_id) {
                ("unit_released", Some(unit)) => AssignmentChange::Released { unit: unit.clone() },
                ("resolved" | "cancelled", _) => AssignmentChange::IncidentClosed,
                _ => continue,
            };
            events.push(AssignmentEvent {
                index: entry.index,
                incident: incident.id.clone(),
                change,
            });
        }
    }
    events.sort_by_key(|event| event.index);
    events
}

/// A unit that names an incident is on that open incident's list, and an
/// open incident's units name it back.
fn units_agree(node: &str, reads: &NodeReads) -> Vec<Violation> {
    let open: BTreeMap<&str, BTreeSet<&str>> = reads
        .incidents
        .iter()
        .filter(|incident| !matches!(incident.status.as_str(), "resolved" | "cancelled"))
        .map(|incident| {
            let units = incident.units.iter().map(String::as_str).collect();
            (incident.id.as_str(), units)
        })
        .collect();
    let mut violations = Vec::new();
    let mut named: BTreeSet<(&str, &str)> = BTreeSet::new();
    for unit in &reads.units {
        let Some(incident) = unit.assigned_to.as_deref() else {
            continue;
        };
        let unit_id = unit.id.as_str();
        named.insert((incident, unit_id));
        if !open
            .get(incident)
            .is_some_and(|units| units.contains(unit_id))
        {
            violations.push(Violation::new(
                Invariant::UnitAssignedOnce,
                format!("{node}: unit {unit_id} is assigned to {incident}, which is closed or does not list it"),
            ));
        }
    }
    for (incident, units) in &open {
        for unit in units {
            if !named.contains(&(*incident, *unit)) {
                violations.push(Violation::new(
                    Invariant::UnitAssignedOnce,
                    format!("{node}: open incident {incident} lists unit {unit}, which is assigned elsewhere"),
                ));
            }
        }
    }
    violations
}

/// Each actor one node per epoch and epochs rising, over the actor steps
/// of every node's timelines.
fn epochs_verdict(reads: &BTreeMap<String, NodeReads>) -> CheckVerdict {
    let mut violations = Vec::new();
    let mut most = 0;
    for (node, node_reads) in reads {
        let executions = actor_executions(&node_reads.incidents);
        most = most.max(executions.len());
        if let Err(found) = epochs(&executions) {
            violations.extend(found.into_iter().map(|mut violation| {
                violation.detail = format!("{node}: {}", violation.detail);
                violation
            }));
        }
    }
    let result = if violations.is_empty() {
        Ok(())
    } else {
        Err(violations)
    };
    CheckVerdict::of(
        "epochs",
        format!("{most} actor steps per node, {} nodes", reads.len()),
        result,
    )
}

/// Every actor step in a node's incident timelines, in log order.
pub(crate) fn actor_executions(incidents: &[Incident]) -> Vec<ActorExecution> {
    let mut executions = Vec::new();
    for incident in incidents {
        for entry in &incident.timeline {
            if let Origin::Actor { actor, epoch, node } = &entry.origin {
                executions.push(ActorExecution {
                    actor: actor.clone(),
                    epoch: *epoch,
                    node: *node,
                    index: entry.index,
                });
            }
        }
    }
    executions.sort_by_key(|execution| execution.index);
    executions
}

/// Per-key linearizability of the reports and read-backs (key
/// `request:<id>`).
fn linearizability_verdict(records: &[OpRecord]) -> CheckVerdict {
    let (count, keys, result) = match check_incident_history(records) {
        Ok(checked) => checked,
        Err(error) => {
            return CheckVerdict::of(
                "linearizable",
                "the history could not be split by key".into(),
                Err(vec![Violation::new(
                    Invariant::Linearizable,
                    error.to_string(),
                )]),
            )
        }
    };
    let detail = format!("{count} report and read operations over {keys} keys");
    match result {
        CheckResult::Linearizable => CheckVerdict::of("linearizable", detail, Ok(())),
        found @ CheckResult::NotLinearizable { .. } => CheckVerdict::of(
            "linearizable",
            detail,
            Err(found.violation().into_iter().collect()),
        ),
        CheckResult::Unknown {
            key,
            states_explored,
        } => CheckVerdict {
            check: "linearizable",
            outcome: CheckOutcome::Unknown,
            detail: format!("{detail}; {key} undecided after {states_explored} states"),
            violation_count: 0,
            violations: Vec::new(),
        },
    }
}

/// The first `assigned` step at or after `since_unix_ms` in any incident:
/// its time, Unix ms.
pub(crate) fn first_assignment_since(incidents: &[&Incident], since_unix_ms: u64) -> Option<u64> {
    incidents
        .iter()
        .flat_map(|incident| &incident.timeline)
        .filter(|entry| entry.step == "assigned")
        .map(|entry| entry.at_ms)
        .filter(|at| *at >= since_unix_ms)
        .min()
}

#[cfg(test)]
mod tests {
    use cordon_api::incidents::{Assignment, TimelineEntry};

    use super::*;

    fn incident(id: &str, status: &str, units: &[&str], assignments: &[(&str, u64)]) -> Incident {
        Incident {
            id: id.to_string(),
            status: status.to_string(),
            units: units.iter().map(|unit| unit.to_string()).collect(),
            assignments: assignments
                .iter()
                .map(|(unit, index)| Assignment {
                    unit_id: unit.to_string(),
                    index: *index,
                    ..Assignment::default()
                })
                .collect(),
            ..Incident::default()
        }
    }

    fn entry(index: u64, step: &str, origin: Origin) -> TimelineEntry {
        TimelineEntry {
            index,
            step: step.to_string(),
            origin,
            ..TimelineEntry::default()
        }
    }

    fn unit(id: &str, assigned_to: &str) -> Unit {
        Unit {
            id: id.to_string(),
            assigned_to: Some(assigned_to.to_string()),
            ..Unit::default()
        }
    }

    fn reads(incidents: Vec<Incident>, units: Vec<Unit>) -> BTreeMap<String, NodeReads> {
        BTreeMap::from([("node-1".to_string(), NodeReads { incidents, units })])
    }

    #[test]
    fn a_unit_on_two_open_incidents_fails_the_assignment_check() {
        // Planted: unit u1 assigned to I-1 at 10 and to I-2 at 12, both open.
        let planted = reads(
            vec![
                incident("I-1", "assigned", &["u1"], &[("u1", 10)]),
                incident("I-2", "assigned", &["u1"], &[("u1", 12)]),
            ],
            vec![unit("u1", "I-2")],
        );
        let verdict = assignments_verdict(&planted);
        assert_eq!(verdict.outcome, CheckOutcome::Fail, "{verdict}");
        assert!(
            verdict.violations[0].contains("at index 12 unit u1"),
            "{verdict}"
        );

        // Clean: I-1 was cancelled at 11, releasing u1 before I-2 took it.
        let mut first = incident("I-1", "cancelled", &[], &[("u1", 10)]);
        first.timeline = vec![entry(11, "cancelled", Origin::Operator)];
        let clean = reads(
            vec![first, incident("I-2", "assigned", &["u1"], &[("u1", 12)])],
            vec![unit("u1", "I-2")],
        );
        assert_eq!(assignments_verdict(&clean).outcome, CheckOutcome::Pass);
    }

    #[test]
    fn a_released_unit_is_taken_from_the_step_not_the_reason() {
        // u1 leaves I-1 at 11 (the reason's prose names nobody) and I-2 takes it at 12.
        let mut first = incident("I-1", "assigned", &[], &[("u1", 10)]);
        let mut released = entry(11, "unit_released", Origin::Operator);
        released.unit_id = Some("u1".into());
        released.reason = "out of service".into();
        first.timeline = vec![released];
        let clean = reads(
            vec![first, incident("I-2", "assigned", &["u1"], &[("u1", 12)])],
            vec![unit("u1", "I-2")],
        );
        assert_eq!(assignments_verdict(&clean).outcome, CheckOutcome::Pass);
    }

    #[test]
    fn units_that_disagree_with_incidents_fail_the_assignment_check() {
        // Planted: u1 says it serves I-1, which was cancelled.
        let mut closed = incident("I-1", "cancelled", &[], &[("u1", 10)]);
        closed.timeline = vec![entry(11, "cancelled", Origin::Operator)];
        let verdict = assignments_verdict(&reads(vec![closed], vec![unit("u1", "I-1")]));
        assert_eq!(verdict.outcome, CheckOutcome::Fail, "{verdict}");
        assert!(
            verdict.violations[0].contains("closed or does not list it"),
            "{verdict}"
        );
    }

    #[test]
    fn one_epoch_on_two_nodes_fails_the_epochs_check() {
        // Planted: station:bund acted under epoch 2 on node 1 and node 3.
        let step = |index: u64, node: u64| {
            let actor = Origin::Actor {
                actor: "station:bund".into(),
                epoch: 2,
                node,
            };
            entry(index, "assigned", actor)
        };
        let mut planted = incident("I-1", "assigned", &[], &[]);
        planted.timeline = vec![step(5, 1), step(9, 3)];
        let verdict = epochs_verdict(&reads(vec![planted], Vec::new()));
        assert_eq!(verdict.outcome, CheckOutcome::Fail, "{verdict}");
        assert!(
            verdict.violations[0].contains("station:bund epoch 2"),
            "{verdict}"
        );
    }
}
