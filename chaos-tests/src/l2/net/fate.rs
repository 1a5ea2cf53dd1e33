//! The faults of one directed link and the pure decision of what happens to
//! one datagram on it.
//!
//! [`decide`] draws from the random source it is given and from nothing
//! else, so a seeded source gives the same fates for the same sequence of
//! datagrams. A link with no faults draws nothing: fault-free traffic does
//! not shift the random stream of faulty links.

use std::time::Duration;

use rand::Rng;

/// What goes wrong on one directed link (from one address to another).
///
/// Probabilities are per datagram, from 0.0 (never) to 1.0 (always).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LinkFaults {
    /// Chance that a datagram is lost.
    pub drop_probability: f64,
    /// Delay added to every delivered datagram.
    pub delay_ms: u64,
    /// Spread around `delay_ms`: each datagram's delay is drawn uniformly
    /// from `delay_ms - jitter_ms ..= delay_ms + jitter_ms` (never below 0).
    /// Jitter reorders datagrams by itself.
    pub jitter_ms: u64,
    /// Chance that a delivered datagram arrives twice (the copy has its own
    /// delay).
    pub duplicate_probability: f64,
    /// Chance that a datagram is held back and sent after the next datagram
    /// on the same link (or after [`REORDER_HOLD_MS_MAX`] if none comes).
    pub reorder_probability: f64,
}

/// Longest time a datagram held back for reordering waits for the next one
/// on its link before it is sent anyway.
pub const REORDER_HOLD_MS_MAX: u64 = 50;

/// Largest delay (with jitter) accepted on a link: longer delays would hold
/// sockets open long after a node stops.
pub const LINK_DELAY_MS_MAX: u64 = 10_000;

/// A [`LinkFaults`] value that cannot be applied, with the field and the fix.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("link faults: {field} = {value} {problem} (fix: {fix})")]
pub struct InvalidFaults {
    /// The field at fault.
    pub field: &'static str,
    /// Its value.
    pub value: String,
    /// What is wrong with it.
    pub problem: &'static str,
    /// How to fix it.
    pub fix: &'static str,
}

impl LinkFaults {
    /// No faults: every datagram delivered at once, once.
    pub const NONE: LinkFaults = LinkFaults {
        drop_probability: 0.0,
        delay_ms: 0,
        jitter_ms: 0,
        duplicate_probability: 0.0,
        reorder_probability: 0.0,
    };

    /// True when the link delivers everything at once, once, in order.
    pub fn is_clear(&self) -> bool {
        *self == LinkFaults::NONE
    }

    /// Checks that the probabilities are probabilities and the delay is
    /// bounded.
    pub fn validate(&self) -> Result<(), InvalidFaults> {
        let probabilities = [
            ("drop_probability", self.drop_probability),
            ("duplicate_probability", self.duplicate_probability),
            ("reorder_probability", self.reorder_probability),
        ];
        for (field, value) in probabilities {
            if !(0.0..=1.0).contains(&value) {
                return Err(InvalidFaults {
                    field,
                    value: value.to_string(),
                    problem: "is not a probability",
                    fix: "use a value from 0.0 to 1.0",
                });
            }
        }
        let delay_ms_max = self.delay_ms.saturating_add(self.jitter_ms);
        if delay_ms_max > LINK_DELAY_MS_MAX {
            return Err(InvalidFaults {
                field: "delay_ms + jitter_ms",
                value: delay_ms_max.to_string(),
                problem: "exceeds LINK_DELAY_MS_MAX (10000)",
                fix: "use a partition to model an outage instead of a delay",
            });
        }
        Ok(())
    }
}

/// What happens to one datagram on one link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// The link is cut (a partition or a one-way cut): the datagram vanishes.
    Cut,
    /// Lost to the link's drop probability.
    Lost,
    /// Delivered.
    Delivered {
        /// How long after the send it leaves (zero: at once).
        delay: Duration,
        /// A second copy and its own delay.
        duplicate: Option<Duration>,
        /// Held back to go after the next datagram on the link.
        held_for_reorder: bool,
    },
}

impl Fate {
    /// Delivered at once, once, in order.
    pub const CLEAR: Fate = Fate::Delivered {
        delay: Duration::ZERO,
        duplicate: None,
        held_for_reorder: false,
    };
}

/// Decides the fate of one datagram on a link with `faults`, cut or not.
/// Draws from `rng` only when the link has faults and is not cut.
pub fn decide(faults: &LinkFaults, cut: bool, rng: &mut impl Rng) -> Fate {
    if cut {
        return Fate::Cut;
    }
    if faults.is_clear() {
        return Fate::CLEAR;
    }
    if rng.random_bool(faults.drop_probability) {
        return Fate::Lost;
    }
    let delay = draw_delay(faults, rng);
    let duplicate = rng
        .random_bool(faults.duplicate_probability)
        .then(|| draw_delay(faults, rng));
    let held_for_reorder = rng.random_bool(faults.reorder_probability);
    Fate::Delivered {
        delay,
        duplicate,
        held_for_reorder,
    }
}

fn draw_delay(faults: &LinkFaults, rng: &mut impl Rng) -> Duration {
    let lowest_ms = faults.delay_ms.saturating_sub(faults.jitter_ms);
    let highest_ms = faults.delay_ms.saturating_add(faults.jitter_ms);
    if highest_ms == 0 {
        return Duration::ZERO;
    }
    Duration::from_millis(rng.random_range(lowest_ms..=highest_ms))
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    use super::*;

    fn lossy() -> LinkFaults {
        LinkFaults {
            drop_probability: 0.2,
            delay_ms: 20,
            jitter_ms: 10,
            duplicate_probability: 0.05,
            reorder_probability: 0.1,
        }
    }

    fn fates(seed: u64, count: usize) -> Vec<Fate> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..count)
            .map(|_| decide(&lossy(), false, &mut rng))
            .collect()
    }

    // One seed gives one sequence of fates; another seed gives another.
    #[test]
    fn a_seed_reproduces_the_fates() {
        assert_eq!(fates(7, 500), fates(7, 500));
        assert_ne!(fates(7, 500), fates(8, 500));
    }

    // Over many datagrams the drawn fates match the configured rates and
    // the delays stay within delay ± jitter.
    #[test]
    fn fates_follow_the_configured_rates() {
        let drawn = fates(42, 20_000);
        let lost = drawn.iter().filter(|fate| **fate == Fate::Lost).count();
        let mut duplicated = 0;
        for fate in &drawn {
            if let Fate::Delivered {
                delay, duplicate, ..
            } = fate
            {
                assert!((10..=30).contains(&delay.as_millis()), "{delay:?}");
                duplicated += usize::from(duplicate.is_some());
            }
        }
        let lost_share = lost as f64 / drawn.len() as f64;
        let duplicated_share = duplicated as f64 / (drawn.len() - lost) as f64;
        assert!((0.18..0.22).contains(&lost_share), "{lost_share}");
        assert!(
            (0.04..0.06).contains(&duplicated_share),
            "{duplicated_share}"
        );
    }

    // A cut link drops everything and a clear link delivers everything,
    // neither drawing randomness.
    #[test]
    fn cut_and_clear_links_draw_nothing() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut untouched = StdRng::seed_from_u64(1);
        assert_eq!(decide(&lossy(), true, &mut rng), Fate::Cut);
        assert_eq!(decide(&LinkFaults::NONE, false, &mut rng), Fate::CLEAR);
        assert_eq!(rng.random::<u64>(), untouched.random::<u64>());
    }

    // Values that are not probabilities, or delays beyond the bound, are
    // refused with the field named.
    #[test]
    fn invalid_faults_name_the_field() {
        let error = LinkFaults {
            drop_probability: 1.5,
            ..LinkFaults::NONE
        }
        .validate()
        .expect_err("1.5 is not a probability");
        assert_eq!(error.field, "drop_probability");
        let error = LinkFaults {
            delay_ms: LINK_DELAY_MS_MAX,
            jitter_ms: 1,
            ..LinkFaults::NONE
        }
        .validate()
        .expect_err("the delay is over the bound");
        assert_eq!(error.field, "delay_ms + jitter_ms");
        assert_eq!(lossy().validate(), Ok(()));
    }
}
