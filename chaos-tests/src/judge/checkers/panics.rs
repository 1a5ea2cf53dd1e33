//! Node logs: a panic anywhere is a bug, even one the supervisor survived.

use super::{verdict, Violation};
use crate::judge::invariants::Invariant;

/// Characters of a log line quoted in a report, at most.
const QUOTE_CHARS_MAX: usize = 300;

/// No node log contains a panic ([`Invariant::NoPanic`]).
///
/// `logs` are (node name, log text). Every line containing `panicked at` is
/// reported with its node and 1-based line number; since Rust 1.73 the
/// message follows on the next line, so that line is quoted too.
pub fn no_panic(logs: &[(String, String)]) -> Result<(), Vec<Violation>> {
    let mut violations = Vec::new();
    for (node, text) in logs {
        let lines: Vec<&str> = text.lines().collect();
        for (number, line) in lines.iter().enumerate() {
            if !line.contains("panicked at") {
                continue;
            }
            let mut detail = format!("{node} line {}: {}", number + 1, quote(line));
            if let Some(message) = lines
                .get(number + 1)
                .filter(|_| line.trim_end().ends_with(':'))
            {
                detail.push_str(" | ");
                detail.push_str(&quote(message));
            }
            violations.push(Violation::new(Invariant::NoPanic, detail));
        }
    }
    verdict(violations)
}

fn quote(line: &str) -> String {
    let line = line.trim();
    if line.chars().count() <= QUOTE_CHARS_MAX {
        return line.to_owned();
    }
    let mut quoted: String = line.chars().take(QUOTE_CHARS_MAX).collect();
    quoted.push_str("...");
    quoted
}
