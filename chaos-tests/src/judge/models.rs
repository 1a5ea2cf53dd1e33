//! Cordon's sequential models for the linearizability checker, and the
//! adapters that turn a recorded history into their per-key operations.
//!
//! - [`UnitRegister`]: a unit's status and version. A read answers both; a
//!   write with an expected version applies only at that version and raises
//!   the version by one, as the ledger's `SetUnitStatus` does.
//! - [`IncidentModel`]: one request id's incident. The first report that
//!   takes effect creates it under an id the system chooses; every report
//!   with the same request id answers that same id; a read of it answers
//!   present once it exists.

use std::collections::BTreeMap;

use crate::judge::history::{
    Completion, HistoryError, IncidentOp, IncidentResult, OpKind, OpRecord, OpResult, UnitOp,
    UnitResult,
};
use crate::judge::linearizability::{
    check, CheckLimits, CheckResult, Model, Operation, OperationsByKey, Outcome,
};

/// A unit's status and version.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UnitState {
    /// Its status (`available`, `en_route`...).
    pub status: String,
    /// Its version, raised by one on every write.
    pub version: u64,
}

/// The model of a unit's status register.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitRegister {
    /// The state every unit starts in (the roster loads units `available`
    /// at version 1).
    pub initial: UnitState,
}

impl UnitRegister {
    /// A register starting at `status` and `version`.
    pub fn new(status: &str, version: u64) -> UnitRegister {
        UnitRegister {
            initial: UnitState {
                status: status.to_owned(),
                version,
            },
        }
    }
}

impl Model for UnitRegister {
    type State = UnitState;
    type Input = UnitOp;
    type Output = UnitResult;

    fn init(&self) -> UnitState {
        self.initial.clone()
    }

    fn step(&self, state: &UnitState, input: &UnitOp) -> (UnitState, UnitResult) {
        match input {
            UnitOp::Read => (
                state.clone(),
                UnitResult::Read {
                    status: state.status.clone(),
                    version: state.version,
                },
            ),
            UnitOp::Write {
                expected_version: Some(expected),
                ..
            } if *expected != state.version => (
                state.clone(),
                UnitResult::VersionMismatch {
                    actual_version: state.version,
                },
            ),
            UnitOp::Write { status, .. } => {
                let next = UnitState {
                    status: status.clone(),
                    version: state.version + 1,
                };
                let version = next.version;
                (next, UnitResult::Written { version })
            }
        }
    }

    fn is_read_only(&self, input: &UnitOp) -> bool {
        matches!(input, UnitOp::Read)
    }
}

/// One request id's incident.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum IncidentState {
    /// No report with this request id has taken effect.
    NotReported,
    /// A report took effect.
    Reported {
        /// The id the system chose, once an answer has shown it.
        incident_id: Option<String>,
    },
}

/// The model of one request id's incident (the key `request:<id>`).
///
/// Reads on a request's key are of the incident id that request was
/// acknowledged with: a client only learns an incident id from a report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IncidentModel;

impl Model for IncidentModel {
    type State = IncidentState;
    type Input = IncidentOp;
    type Output = IncidentResult;

    fn init(&self) -> IncidentState {
        IncidentState::NotReported
    }

    /// The answers of a correct system. A first report's id is the system's
    /// choice, so it answers an empty id here; [`Model::step_observed`]
    /// accepts any id at that point and this placeholder is never compared.
    fn step(&self, state: &IncidentState, input: &IncidentOp) -> (IncidentState, IncidentResult) {
        match (input, state) {
            (IncidentOp::Report { .. }, IncidentState::NotReported) => (
                IncidentState::Reported { incident_id: None },
                IncidentResult::Reported {
                    incident_id: String::new(),
                },
            ),
            (IncidentOp::Report { .. }, IncidentState::Reported { incident_id }) => (
                state.clone(),
                IncidentResult::Reported {
                    incident_id: incident_id.clone().unwrap_or_default(),
                },
            ),
            (IncidentOp::Read { .. }, IncidentState::NotReported) => {
                (state.clone(), IncidentResult::Read { present: false })
            }
            (IncidentOp::Read { incident_id: read }, IncidentState::Reported { incident_id }) => {
                let present = incident_id.as_ref().is_none_or(|known| known == read);
                (state.clone(), IncidentResult::Read { present })
            }
        }
    }

    fn step_observed(
        &self,
        state: &IncidentState,
        input: &IncidentOp,
        output: &IncidentResult,
    ) -> Option<IncidentState> {
        let unknown_id = matches!(
            state,
            IncidentState::NotReported | IncidentState::Reported { incident_id: None }
        );
        match (input, output) {
            // The system picks the id of a new incident; remember it.
            (IncidentOp::Report { .. }, IncidentResult::Reported { incident_id }) if unknown_id => {
                Some(IncidentState::Reported {
                    incident_id: Some(incident_id.clone()),
                })
            }
            // A report took effect without its answer being seen; a read
            // that finds the incident shows its id.
            (IncidentOp::Read { incident_id }, IncidentResult::Read { present: true })
                if *state == (IncidentState::Reported { incident_id: None }) =>
            {
                Some(IncidentState::Reported {
                    incident_id: Some(incident_id.clone()),
                })
            }
            _ => {
                let (next, expected) = self.step(state, input);
                (expected == *output).then_some(next)
            }
        }
    }

    fn is_read_only(&self, input: &IncidentOp) -> bool {
        matches!(input, IncidentOp::Read { .. })
    }
}

/// The unit operations of a history, per key. Failed operations are left
/// out (they took no effect); info and pending ones are indeterminate.
pub fn unit_operations(
    records: &[OpRecord],
) -> Result<OperationsByKey<UnitOp, UnitResult>, HistoryError> {
    operations_by_key(records, |kind, result| match (kind, result) {
        (OpKind::Unit(input), None) => Ok(Some((input.clone(), None))),
        (OpKind::Unit(input), Some(OpResult::Unit(output))) => {
            Ok(Some((input.clone(), Some(output.clone()))))
        }
        (OpKind::Unit(_), Some(_)) => Err(()),
        (OpKind::Incident(_), _) => Ok(None),
    })
}

/// The reports and reads in `records`, split by key and checked against
/// [`IncidentModel`]: how many operations over how many keys, and the
/// result (L1 and L3 judge their histories with it).
pub fn check_incident_history(
    records: &[OpRecord],
) -> Result<(usize, usize, CheckResult), HistoryError> {
    let operations = incident_operations(records)?;
    let count = operations.values().map(Vec::len).sum();
    let result = check(&IncidentModel, &operations, &CheckLimits::default());
    Ok((count, operations.len(), result))
}

/// The incident operations of a history, per key (`request:<id>`). Failed
/// operations are left out; info and pending ones are indeterminate.
pub fn incident_operations(
    records: &[OpRecord],
) -> Result<OperationsByKey<IncidentOp, IncidentResult>, HistoryError> {
    operations_by_key(records, |kind, result| match (kind, result) {
        (OpKind::Incident(input), None) => Ok(Some((input.clone(), None))),
        (OpKind::Incident(input), Some(OpResult::Incident(output))) => {
            Ok(Some((input.clone(), Some(output.clone()))))
        }
        (OpKind::Incident(_), Some(_)) => Err(()),
        (OpKind::Unit(_), _) => Ok(None),
    })
}

/// What `select` makes of one operation: skip it (`Ok(None)`), keep its
/// input and output if seen, or refuse a result of the wrong kind (`Err`).
type Selected<I, O> = Result<Option<(I, Option<O>)>, ()>;

fn operations_by_key<I, O>(
    records: &[OpRecord],
    select: impl Fn(&OpKind, Option<&OpResult>) -> Selected<I, O>,
) -> Result<OperationsByKey<I, O>, HistoryError> {
    let mut by_key: OperationsByKey<I, O> = BTreeMap::new();
    for record in records {
        let (result, returned_ns) = match &record.completion {
            Completion::Fail { .. } => continue,
            Completion::Ok { result, at_ns } => (Some(result), *at_ns),
            Completion::Info { .. } | Completion::Pending => (None, 0),
        };
        let selected = select(&record.op.kind, result)
            .map_err(|()| HistoryError::ResultDoesNotMatchOp { id: record.id })?;
        let Some((input, output)) = selected else {
            continue;
        };
        let outcome = match output {
            Some(output) => Outcome::Returned {
                output,
                returned_ns,
            },
            None => Outcome::Indeterminate,
        };
        by_key
            .entry(record.op.key.clone())
            .or_default()
            .push(Operation {
                id: record.id,
                input,
                invoked_ns: record.invoked_ns,
                outcome,
            });
    }
    Ok(by_key)
}
