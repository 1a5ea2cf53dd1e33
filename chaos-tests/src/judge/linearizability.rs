//! A linearizability checker after Wing and Gong, with Lowe's memoisation.
//!
//! A history is linearizable when every operation can be given a single
//! point in time, between its invocation and its return, such that running
//! the operations one at a time in that order through a sequential [`Model`]
//! produces exactly the outputs observed. The search (as in porcupine) walks
//! a list of call and return entries sorted by time: it tries to linearize
//! any operation whose call comes before the first pending return, and
//! backtracks when it meets a return whose operation is not yet linearized.
//! Every (set of linearized operations, model state) pair it has reached is
//! cached, so the same configuration is never explored twice; that turns the
//! factorial search into one that is usually near linear for real histories.
//!
//! Histories are checked per key (a unit, an incident): linearizability is
//! local, so a history is linearizable exactly when each key's part is.
//!
//! Operations are treated the way Jepsen treats them:
//! - an operation that failed certainly did not take effect; leave it out;
//! - an operation whose outcome is unknown ([`Outcome::Indeterminate`]) may
//!   take effect at any point after its invocation, or never, and any output
//!   is accepted. "Never" needs no search of its own: such an operation can
//!   always be linearized after everything that returned, where nothing
//!   observes it. The search is done once every determinate operation is
//!   placed. Indeterminate read-only operations are dropped up front;
//! - a return and a call with the same timestamp count as concurrent, so a
//!   coarse clock can only make the checker more lenient, never raise a false
//!   alarm.
//!
//! The search is bounded by [`CheckLimits::states_explored_max`]; past it the
//! answer is [`CheckResult::Unknown`], never a guess.

use std::collections::{BTreeMap, HashSet};
use std::fmt::{Debug, Write as _};
use std::hash::Hash;

use crate::judge::checkers::Violation;
use crate::judge::history::OpId;
use crate::judge::invariants::Invariant;

/// A sequential specification of one object.
pub trait Model {
    /// The object's state; hashed and compared for the memo cache.
    type State: Clone + Eq + Hash + Debug;
    /// An operation's arguments.
    type Input: Debug;
    /// An operation's answer.
    type Output: PartialEq + Debug;

    /// The state before any operation.
    fn init(&self) -> Self::State;

    /// Runs `input` on `state`: the next state and the answer a correct
    /// system gives.
    fn step(&self, state: &Self::State, input: &Self::Input) -> (Self::State, Self::Output);

    /// The next state if `output` is a correct answer to `input` in `state`,
    /// `None` if it is not. The default runs [`Model::step`] and compares;
    /// override it where the system chooses part of the answer (a fresh id),
    /// so that any choice is accepted and remembered.
    fn step_observed(
        &self,
        state: &Self::State,
        input: &Self::Input,
        output: &Self::Output,
    ) -> Option<Self::State> {
        let (next, expected) = self.step(state, input);
        (expected == *output).then_some(next)
    }

    /// True when `input` never changes the state, so an indeterminate one
    /// can be dropped before the search.
    fn is_read_only(&self, _input: &Self::Input) -> bool {
        false
    }
}

/// One operation on one key, as the checker needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation<I, O> {
    /// The operation's id in its history, for explanations.
    pub id: OpId,
    /// Its arguments.
    pub input: I,
    /// When it was invoked.
    pub invoked_ns: u64,
    /// How it ended.
    pub outcome: Outcome<O>,
}

/// Each key's operations, as [`check`] takes them.
pub type OperationsByKey<I, O> = BTreeMap<String, Vec<Operation<I, O>>>;

/// How an operation given to the checker ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome<O> {
    /// It took effect and answered `output` at `returned_ns`.
    Returned {
        /// The answer.
        output: O,
        /// When the answer arrived.
        returned_ns: u64,
    },
    /// Unknown: it may have taken effect at any time after its invocation,
    /// or never; its answer, if any, was not seen.
    Indeterminate,
}

/// Bounds on one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckLimits {
    /// Distinct (linearized set, state) configurations explored per key
    /// before giving up with [`CheckResult::Unknown`]. Each costs a cache
    /// entry (a bitset and a state), so this also bounds memory.
    pub states_explored_max: usize,
}

impl Default for CheckLimits {
    fn default() -> Self {
        CheckLimits {
            states_explored_max: 250_000,
        }
    }
}

/// The verdict on a history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckResult {
    /// Every key's operations are linearizable.
    Linearizable,
    /// This key's operations are not (the first such key in key order).
    NotLinearizable {
        /// The key.
        key: String,
        /// The longest order of operations found that the model accepts.
        linearized_prefix: Vec<OpId>,
        /// Why no operation can come next: the state after the prefix and
        /// what each candidate answered against what the model answers.
        explanation: String,
    },
    /// The search ran out of budget on this key (the first such key) and no
    /// key was found not linearizable.
    Unknown {
        /// The key.
        key: String,
        /// Configurations explored before giving up.
        states_explored: usize,
    },
}

impl CheckResult {
    /// The violation to report, if the history is not linearizable.
    /// `Unknown` is not a violation: report it as undecided.
    pub fn violation(&self) -> Option<Violation> {
        match self {
            CheckResult::NotLinearizable {
                key, explanation, ..
            } => Some(Violation {
                invariant: Invariant::Linearizable,
                detail: format!("{key} is not linearizable: {explanation}"),
            }),
            CheckResult::Linearizable | CheckResult::Unknown { .. } => None,
        }
    }
}

/// Checks every key's operations against `model`, which gives every key the
/// same initial state (use [`check_key`] per key when they differ).
pub fn check<M: Model>(
    model: &M,
    histories: &OperationsByKey<M::Input, M::Output>,
    limits: &CheckLimits,
) -> CheckResult {
    let mut first_unknown = None;
    for (key, operations) in histories {
        match check_key(model, key, operations, limits) {
            CheckResult::Linearizable => {}
            found @ CheckResult::NotLinearizable { .. } => return found,
            unknown @ CheckResult::Unknown { .. } => {
                first_unknown.get_or_insert(unknown);
            }
        }
    }
    first_unknown.unwrap_or(CheckResult::Linearizable)
}

/// Checks one key's operations against `model`.
pub fn check_key<M: Model>(
    model: &M,
    key: &str,
    operations: &[Operation<M::Input, M::Output>],
    limits: &CheckLimits,
) -> CheckResult {
    let ops: Vec<&Operation<M::Input, M::Output>> = operations
        .iter()
        .filter(|op| {
            !(matches!(op.outcome, Outcome::Indeterminate) && model.is_read_only(&op.input))
        })
        .collect();
    let mut search = Search::new(model, &ops);
    match search.run(limits.states_explored_max) {
        SearchEnd::Linearizable => CheckResult::Linearizable,
        SearchEnd::BudgetExhausted => CheckResult::Unknown {
            key: key.to_owned(),
            states_explored: search.states_explored,
        },
        SearchEnd::NotLinearizable => CheckResult::NotLinearizable {
            key: key.to_owned(),
            linearized_prefix: search.best_prefix.iter().map(|&op| ops[op].id).collect(),
            explanation: explain(model, &ops, &search.best_prefix),
        },
    }
}

/// The end of the list.
const NIL: usize = usize::MAX;
/// The list's head sentinel.
const HEAD: usize = 0;

/// An entry of the time-ordered list: an operation's call or return.
#[derive(Clone, Copy, Debug)]
enum Entry {
    Head,
    /// A call, with the entry of its return (none for indeterminate ops).
    Call {
        op: usize,
        ret: Option<usize>,
    },
    Return,
}

/// A set of operation indexes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Bitset(Vec<u64>);

impl Bitset {
    fn new(len: usize) -> Bitset {
        Bitset(vec![0; len.div_ceil(64)])
    }

    fn set(&mut self, bit: usize) {
        self.0[bit / 64] |= 1 << (bit % 64);
    }

    fn clear(&mut self, bit: usize) {
        self.0[bit / 64] &= !(1 << (bit % 64));
    }
}

enum SearchEnd {
    Linearizable,
    NotLinearizable,
    BudgetExhausted,
}

/// The Wing-Gong search over a doubly linked list of entries ("dancing
/// links": an entry lifted out remembers its neighbours, so undoing is O(1)).
struct Search<'a, M: Model> {
    model: &'a M,
    ops: &'a [&'a Operation<M::Input, M::Output>],
    entries: Vec<Entry>,
    next: Vec<usize>,
    prev: Vec<usize>,
    states_explored: usize,
    /// The longest sequence of op indexes linearized so far.
    best_prefix: Vec<usize>,
}

impl<'a, M: Model> Search<'a, M> {
    fn new(model: &'a M, ops: &'a [&'a Operation<M::Input, M::Output>]) -> Self {
        // (time, is_return, op): calls sort before returns at equal times.
        let mut points: Vec<(u64, bool, usize)> = Vec::with_capacity(ops.len() * 2);
        for (index, op) in ops.iter().enumerate() {
            points.push((op.invoked_ns, false, index));
            if let Outcome::Returned { returned_ns, .. } = op.outcome {
                points.push((returned_ns.max(op.invoked_ns), true, index));
            }
        }
        points.sort_unstable();

        let mut entries = vec![Entry::Head];
        let mut call_entry = vec![0; ops.len()];
        for &(_, is_return, op) in &points {
            if is_return {
                // Its call sorts earlier, so call_entry[op] is already set.
                let (call, ret_entry) = (call_entry[op], entries.len());
                if let Entry::Call { ret, .. } = &mut entries[call] {
                    *ret = Some(ret_entry);
                }
                entries.push(Entry::Return);
            } else {
                call_entry[op] = entries.len();
                entries.push(Entry::Call { op, ret: None });
            }
        }
        let count = entries.len();
        let next = (0..count)
            .map(|i| if i + 1 < count { i + 1 } else { NIL })
            .collect();
        let prev = (0..count).map(|i| i.wrapping_sub(1)).collect();
        Search {
            model,
            ops,
            entries,
            next,
            prev,
            states_explored: 0,
            best_prefix: Vec::new(),
        }
    }

    fn run(&mut self, states_explored_max: usize) -> SearchEnd {
        let mut determinate_left = self
            .ops
            .iter()
            .filter(|op| matches!(op.outcome, Outcome::Returned { .. }))
            .count();
        let mut linearized = Bitset::new(self.ops.len());
        let mut state = self.model.init();
        let mut stack: Vec<(usize, M::State)> = Vec::new();
        let mut seen: HashSet<(Bitset, M::State)> = HashSet::new();
        let mut entry = self.next[HEAD];

        while determinate_left > 0 {
            // A call: try to linearize its operation here.
            if let Some(Entry::Call { op, ret }) = self.entries.get(entry).copied() {
                let stepped = self.try_step(&state, op).and_then(|next_state| {
                    let mut bits = linearized.clone();
                    bits.set(op);
                    seen.insert((bits, next_state.clone()))
                        .then_some(next_state)
                });
                let Some(next_state) = stepped else {
                    entry = self.next[entry];
                    continue;
                };
                self.states_explored = seen.len();
                if self.states_explored > states_explored_max {
                    return SearchEnd::BudgetExhausted;
                }
                stack.push((entry, std::mem::replace(&mut state, next_state)));
                linearized.set(op);
                self.lift(entry, ret);
                if ret.is_some() {
                    determinate_left -= 1;
                }
                if stack.len() > self.best_prefix.len() {
                    self.best_prefix = stack.iter().map(|&(call, _)| self.op_of(call)).collect();
                }
                entry = self.next[HEAD];
                continue;
            }
            // A return (or, defensively, the list's end): the operation it
            // closes was not linearized in time, so undo the last choice.
            let Some((call, previous)) = stack.pop() else {
                return SearchEnd::NotLinearizable;
            };
            state = previous;
            let Entry::Call { op, ret } = self.entries[call] else {
                unreachable!("only call entries are pushed on the stack");
            };
            linearized.clear(op);
            self.unlift(call, ret);
            if ret.is_some() {
                determinate_left += 1;
            }
            entry = self.next[call];
        }
        SearchEnd::Linearizable
    }

    fn op_of(&self, call: usize) -> usize {
        match self.entries[call] {
            Entry::Call { op, .. } => op,
            Entry::Head | Entry::Return => unreachable!("the stack holds call entries only"),
        }
    }

    fn try_step(&self, state: &M::State, op: usize) -> Option<M::State> {
        let op = self.ops[op];
        match &op.outcome {
            Outcome::Returned { output, .. } => self.model.step_observed(state, &op.input, output),
            Outcome::Indeterminate => Some(self.model.step(state, &op.input).0),
        }
    }

    fn lift(&mut self, call: usize, ret: Option<usize>) {
        self.unlink(call);
        if let Some(ret) = ret {
            self.unlink(ret);
        }
    }

    fn unlift(&mut self, call: usize, ret: Option<usize>) {
        // Relink in the reverse order of unlinking.
        if let Some(ret) = ret {
            self.relink(ret);
        }
        self.relink(call);
    }

    fn unlink(&mut self, entry: usize) {
        let (prev, next) = (self.prev[entry], self.next[entry]);
        self.next[prev] = next;
        if next != NIL {
            self.prev[next] = prev;
        }
    }

    fn relink(&mut self, entry: usize) {
        let (prev, next) = (self.prev[entry], self.next[entry]);
        self.next[prev] = entry;
        if next != NIL {
            self.prev[next] = entry;
        }
    }
}

/// Candidates listed in an explanation, at most.
const EXPLAIN_OPS_MAX: usize = 5;

/// Describes the dead end after `prefix`: the state reached and, for each
/// operation that could have come next, why it does not fit.
fn explain<M: Model>(
    model: &M,
    ops: &[&Operation<M::Input, M::Output>],
    prefix: &[usize],
) -> String {
    let mut state = model.init();
    let mut placed = vec![false; ops.len()];
    for &op in prefix {
        placed[op] = true;
        let operation = ops[op];
        state = match &operation.outcome {
            Outcome::Returned { output, .. } => model
                .step_observed(&state, &operation.input, output)
                .expect("the prefix was accepted by the model during the search"),
            Outcome::Indeterminate => model.step(&state, &operation.input).0,
        };
    }
    // Candidates: unplaced operations invoked before the earliest return of
    // an unplaced operation (inclusive, as the search treats ties).
    let first_return_ns = ops
        .iter()
        .zip(&placed)
        .filter(|(_, &placed)| !placed)
        .filter_map(|(op, _)| match op.outcome {
            Outcome::Returned { returned_ns, .. } => Some(returned_ns.max(op.invoked_ns)),
            Outcome::Indeterminate => None,
        })
        .min()
        .unwrap_or(u64::MAX);
    let order: Vec<u64> = prefix.iter().map(|&op| ops[op].id.0).collect();
    let mut text = format!(
        "the longest order that linearizes covers {} of {} operations (ops {order:?}) and reaches state {state:?}; of the operations that could come next,",
        prefix.len(),
        ops.len(),
    );
    let candidates = ops
        .iter()
        .zip(&placed)
        .filter(|(op, &placed)| !placed && op.invoked_ns <= first_return_ns)
        .map(|(op, _)| op);
    for (shown, op) in candidates.enumerate() {
        if shown == EXPLAIN_OPS_MAX {
            text.push_str(" ...");
            break;
        }
        let (_, expected) = model.step(&state, &op.input);
        let _ = match &op.outcome {
            Outcome::Returned { output, .. }
                if model.step_observed(&state, &op.input, output).is_none() =>
            {
                write!(
                    text,
                    " {} {:?} answered {:?} where the model answers {:?};",
                    op.id, op.input, output, expected
                )
            }
            _ => write!(
                text,
                " {} {:?} fits here but no continuation after it does;",
                op.id, op.input
            ),
        };
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A register of one integer: write(v) -> (), read -> v.
    struct IntRegister;

    #[derive(Debug)]
    enum Io {
        Write(u64),
        Read,
    }

    impl Model for IntRegister {
        type State = u64;
        type Input = Io;
        type Output = Option<u64>;

        fn init(&self) -> u64 {
            0
        }

        fn step(&self, state: &u64, input: &Io) -> (u64, Option<u64>) {
            match input {
                Io::Write(value) => (*value, None),
                Io::Read => (*state, Some(*state)),
            }
        }
    }

    fn op(
        id: u64,
        input: Io,
        invoked_ns: u64,
        returned: Option<(Option<u64>, u64)>,
    ) -> Operation<Io, Option<u64>> {
        Operation {
            id: OpId(id),
            input,
            invoked_ns,
            outcome: match returned {
                Some((output, returned_ns)) => Outcome::Returned {
                    output,
                    returned_ns,
                },
                None => Outcome::Indeterminate,
            },
        }
    }

    // The dancing-links list must be restored exactly after lift and unlift.
    #[test]
    fn lift_and_unlift_restore_the_list() {
        let ops = [
            op(0, Io::Write(1), 0, Some((None, 10))),
            op(1, Io::Read, 5, Some((Some(1), 15))),
            op(2, Io::Write(2), 6, None),
        ];
        let refs: Vec<_> = ops.iter().collect();
        let mut search = Search::new(&IntRegister, &refs);
        let (next, prev) = (search.next.clone(), search.prev.clone());

        for call in 1..search.entries.len() {
            if let Entry::Call { ret, .. } = search.entries[call] {
                search.lift(call, ret);
                search.unlift(call, ret);
            }
        }
        assert_eq!(search.next, next);
        assert_eq!(search.prev, prev);
    }

    // An empty history and a history of only indeterminate ops are trivially
    // linearizable.
    #[test]
    fn trivial_histories_are_linearizable() {
        let limits = CheckLimits::default();
        assert_eq!(
            check_key(&IntRegister, "k", &[], &limits),
            CheckResult::Linearizable
        );
        let ops = [op(0, Io::Write(3), 0, None), op(1, Io::Read, 1, None)];
        assert_eq!(
            check_key(&IntRegister, "k", &ops, &limits),
            CheckResult::Linearizable
        );
    }
}
