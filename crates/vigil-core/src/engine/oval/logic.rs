//! OVAL result values and the truth tables of OVAL 5.11.1 Language Specification
//! §5.3.4 (operator enumeration: AND, ONE, OR, XOR; negation), §5.3.3 (check
//! enumeration: all, at least one, only one, none satisfy) and §5.3.2 (existence
//! enumeration over item statuses).

use std::fmt;

use crate::content::oval::{Check, Existence, Operator};
use crate::engine::probe::ItemStatus;

/// OVAL 5.11 ResultEnumeration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum OvalResult {
    #[serde(rename = "true")]
    /// The system matches what the definition, test or criteria describe.
    True,
    #[serde(rename = "false")]
    /// The system does not match.
    False,
    #[serde(rename = "unknown")]
    /// The result could not be decided (e.g. a needed value is unknown).
    Unknown,
    #[serde(rename = "error")]
    /// Evaluation failed (content error, collection error).
    Error,
    #[serde(rename = "not evaluated")]
    /// Not evaluated: a deprecated definition without criteria, or content vigil skips.
    NotEvaluated,
    #[serde(rename = "not applicable")]
    /// Does not apply to this platform (e.g. an object flagged not applicable).
    NotApplicable,
}

impl OvalResult {
    /// The word OVAL results spell it with, e.g. `not evaluated`.
    pub fn as_str(self) -> &'static str {
        match self {
            OvalResult::True => "true",
            OvalResult::False => "false",
            OvalResult::Unknown => "unknown",
            OvalResult::Error => "error",
            OvalResult::NotEvaluated => "not evaluated",
            OvalResult::NotApplicable => "not applicable",
        }
    }

    /// `true` or `false`.
    pub fn from_bool(b: bool) -> OvalResult {
        if b {
            OvalResult::True
        } else {
            OvalResult::False
        }
    }

    /// Negation swaps true and false and leaves every other result alone.
    pub fn negate(self, negate: bool) -> OvalResult {
        match (negate, self) {
            (true, OvalResult::True) => OvalResult::False,
            (true, OvalResult::False) => OvalResult::True,
            (_, r) => r,
        }
    }
}

impl fmt::Display for OvalResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Counts of each result among the inputs of an operator or check.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tally {
    pub(crate) t: usize,
    pub(crate) f: usize,
    pub(crate) e: usize,
    pub(crate) u: usize,
    pub(crate) ne: usize,
    pub(crate) na: usize,
}

impl Tally {
    pub(crate) fn of(results: impl IntoIterator<Item = OvalResult>) -> Tally {
        let mut c = Tally::default();
        for r in results {
            c.add(r);
        }
        c
    }

    pub(crate) fn add(&mut self, r: OvalResult) {
        match r {
            OvalResult::True => self.t += 1,
            OvalResult::False => self.f += 1,
            OvalResult::Error => self.e += 1,
            OvalResult::Unknown => self.u += 1,
            OvalResult::NotEvaluated => self.ne += 1,
            OvalResult::NotApplicable => self.na += 1,
        }
    }

    fn only_na(&self) -> bool {
        self.t + self.f + self.e + self.u + self.ne == 0
    }

    /// The precedence shared by every table once the deciding counts are settled:
    /// error, then unknown, then not evaluated.
    fn undecided(&self) -> Option<OvalResult> {
        if self.e > 0 {
            Some(OvalResult::Error)
        } else if self.u > 0 {
            Some(OvalResult::Unknown)
        } else if self.ne > 0 {
            Some(OvalResult::NotEvaluated)
        } else {
            None
        }
    }

    /// §5.3.4 operator tables. An operator over no inputs at all, or only
    /// `not applicable` inputs, is `not applicable`.
    pub(crate) fn operator(&self, op: Operator) -> OvalResult {
        if self.only_na() {
            return OvalResult::NotApplicable;
        }
        match op {
            Operator::And => {
                if self.f > 0 {
                    OvalResult::False
                } else {
                    self.undecided().unwrap_or(OvalResult::True)
                }
            }
            Operator::Or => {
                if self.t > 0 {
                    OvalResult::True
                } else {
                    self.undecided().unwrap_or(OvalResult::False)
                }
            }
            Operator::One => {
                if self.t >= 2 {
                    OvalResult::False
                } else if let Some(r) = self.undecided() {
                    r
                } else {
                    OvalResult::from_bool(self.t == 1)
                }
            }
            Operator::Xor => match self.undecided() {
                Some(r) => r,
                None => OvalResult::from_bool(self.t % 2 == 1),
            },
        }
    }

    /// §5.3.3 check tables (a check over item or value results).
    pub(crate) fn check(&self, check: Check) -> OvalResult {
        match check {
            Check::All => self.operator(Operator::And),
            Check::AtLeastOne => self.operator(Operator::Or),
            Check::OnlyOne => self.operator(Operator::One),
            Check::NoneSatisfy | Check::NoneExist => {
                if self.only_na() {
                    OvalResult::NotApplicable
                } else if self.t > 0 {
                    OvalResult::False
                } else {
                    self.undecided().unwrap_or(OvalResult::True)
                }
            }
        }
    }
}

/// Combines results with an operator (§5.3.4).
pub(crate) fn combine(op: Operator, results: impl IntoIterator<Item = OvalResult>) -> OvalResult {
    Tally::of(results).operator(op)
}

/// Applies a check to results (§5.3.3).
pub(crate) fn check(check: Check, results: impl IntoIterator<Item = OvalResult>) -> OvalResult {
    Tally::of(results).check(check)
}

/// The inputs (indices into `inputs`) that decided `result` under `op`, so an
/// explanation follows only the branches that made the outcome what it is: for a false
/// AND the false inputs, for a false OR every input, for an error the inputs in error,
/// and so on. The result given is what the table produced over these inputs (before
/// any negation of the node itself).
pub(crate) fn deciding(op: Operator, result: OvalResult, inputs: &[OvalResult]) -> Vec<usize> {
    let equal =
        |r: OvalResult| -> Vec<usize> { (0..inputs.len()).filter(|&i| inputs[i] == r).collect() };
    let counted: Vec<usize> = (0..inputs.len())
        .filter(|&i| inputs[i] != OvalResult::NotApplicable)
        .collect();
    let picked = match (op, result) {
        // Error, unknown and not evaluated win by precedence: the inputs that have them.
        (_, OvalResult::Error | OvalResult::Unknown | OvalResult::NotEvaluated) => equal(result),
        (_, OvalResult::NotApplicable) => (0..inputs.len()).collect(),
        (Operator::And, OvalResult::False) | (Operator::Or, OvalResult::True) => equal(result),
        (Operator::One, OvalResult::True) => equal(OvalResult::True),
        (Operator::One, OvalResult::False) if equal(OvalResult::True).len() >= 2 => {
            equal(OvalResult::True)
        }
        // A true AND, a false OR, a false ONE with no true input, XOR: every input
        // that counted took part.
        _ => counted,
    };
    if picked.is_empty() {
        (0..inputs.len()).collect()
    } else {
        picked
    }
}

/// [`deciding`] for a check over item (or value) results (§5.3.3).
pub(crate) fn deciding_check(
    check: Check,
    result: OvalResult,
    inputs: &[OvalResult],
) -> Vec<usize> {
    match check {
        Check::All => deciding(Operator::And, result, inputs),
        Check::AtLeastOne => deciding(Operator::Or, result, inputs),
        Check::OnlyOne => deciding(Operator::One, result, inputs),
        // None satisfy is false because of the inputs that are true, and true (or
        // undecided) as an AND of the negated inputs would be.
        Check::NoneSatisfy | Check::NoneExist => {
            let negated: Vec<OvalResult> = inputs.iter().map(|r| r.negate(true)).collect();
            deciding(Operator::And, result, &negated)
        }
    }
}

/// Counts of item statuses for the existence tables.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StatusTally {
    pub(crate) exists: usize,
    pub(crate) does_not_exist: usize,
    pub(crate) error: usize,
    pub(crate) not_collected: usize,
}

impl StatusTally {
    pub(crate) fn of<'a>(statuses: impl IntoIterator<Item = &'a ItemStatus>) -> StatusTally {
        let mut s = StatusTally::default();
        for st in statuses {
            match st {
                ItemStatus::Exists => s.exists += 1,
                ItemStatus::DoesNotExist => s.does_not_exist += 1,
                ItemStatus::Error => s.error += 1,
                ItemStatus::NotCollected => s.not_collected += 1,
            }
        }
        s
    }

    /// §5.3.2 existence table.
    pub(crate) fn existence(&self, existence: Existence) -> OvalResult {
        let StatusTally {
            exists: ex,
            does_not_exist: _,
            error: er,
            not_collected: nc,
        } = *self;
        match existence {
            Existence::AllExist => {
                if self.does_not_exist > 0 {
                    OvalResult::False
                } else if er > 0 {
                    OvalResult::Error
                } else if nc > 0 {
                    OvalResult::Unknown
                } else {
                    OvalResult::from_bool(ex > 0)
                }
            }
            Existence::AnyExist => {
                if er > 0 && ex == 0 {
                    OvalResult::Error
                } else {
                    OvalResult::True
                }
            }
            Existence::AtLeastOneExists => {
                if ex > 0 {
                    OvalResult::True
                } else if er > 0 {
                    OvalResult::Error
                } else if nc > 0 {
                    OvalResult::Unknown
                } else {
                    OvalResult::False
                }
            }
            Existence::NoneExist => {
                if ex > 0 {
                    OvalResult::False
                } else if er > 0 {
                    OvalResult::Error
                } else if nc > 0 {
                    OvalResult::Unknown
                } else {
                    OvalResult::True
                }
            }
            Existence::OnlyOneExists => {
                if ex > 1 {
                    OvalResult::False
                } else if er > 0 {
                    OvalResult::Error
                } else if nc > 0 {
                    OvalResult::Unknown
                } else {
                    OvalResult::from_bool(ex == 1)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::OvalResult::*;
    use super::*;

    const ALL: [OvalResult; 6] = [True, False, Error, Unknown, NotEvaluated, NotApplicable];

    #[test]
    fn and_table() {
        assert_eq!(combine(Operator::And, [True, True, NotApplicable]), True);
        assert_eq!(combine(Operator::And, [True, False, Error]), False);
        assert_eq!(combine(Operator::And, [True, Error, Unknown]), Error);
        assert_eq!(
            combine(Operator::And, [True, Unknown, NotEvaluated]),
            Unknown
        );
        assert_eq!(combine(Operator::And, [True, NotEvaluated]), NotEvaluated);
        assert_eq!(combine(Operator::And, [NotApplicable]), NotApplicable);
        assert_eq!(combine(Operator::And, []), NotApplicable);
    }

    #[test]
    fn or_table() {
        assert_eq!(combine(Operator::Or, [False, True, Error]), True);
        assert_eq!(combine(Operator::Or, [False, False]), False);
        assert_eq!(combine(Operator::Or, [False, Error, Unknown]), Error);
        assert_eq!(combine(Operator::Or, [False, Unknown]), Unknown);
        assert_eq!(
            combine(Operator::Or, [False, NotEvaluated, NotApplicable]),
            NotEvaluated
        );
        assert_eq!(
            combine(Operator::Or, [NotApplicable, NotApplicable]),
            NotApplicable
        );
    }

    #[test]
    fn one_table() {
        assert_eq!(combine(Operator::One, [True, False, False]), True);
        assert_eq!(combine(Operator::One, [True, True, Error]), False);
        assert_eq!(combine(Operator::One, [False, False]), False);
        assert_eq!(combine(Operator::One, [True, Error]), Error);
        assert_eq!(combine(Operator::One, [True, Unknown]), Unknown);
        assert_eq!(combine(Operator::One, [False, NotEvaluated]), NotEvaluated);
        assert_eq!(combine(Operator::One, [NotApplicable]), NotApplicable);
    }

    #[test]
    fn xor_table() {
        assert_eq!(combine(Operator::Xor, [True, False]), True);
        assert_eq!(combine(Operator::Xor, [True, True]), False);
        assert_eq!(combine(Operator::Xor, [True, True, True]), True);
        assert_eq!(combine(Operator::Xor, [True, Error]), Error);
        assert_eq!(combine(Operator::Xor, [True, Unknown]), Unknown);
        assert_eq!(combine(Operator::Xor, [True, NotEvaluated]), NotEvaluated);
        assert_eq!(
            combine(Operator::Xor, [NotApplicable, NotApplicable]),
            NotApplicable
        );
    }

    #[test]
    fn none_satisfy_table() {
        assert_eq!(check(Check::NoneSatisfy, [False, False]), True);
        assert_eq!(check(Check::NoneSatisfy, [False, True, Error]), False);
        assert_eq!(check(Check::NoneSatisfy, [False, Error]), Error);
        assert_eq!(check(Check::NoneSatisfy, [False, Unknown]), Unknown);
        assert_eq!(check(Check::OnlyOne, [True, False]), True);
    }

    #[test]
    fn negation_only_swaps_true_and_false() {
        for r in ALL {
            let n = r.negate(true);
            match r {
                True => assert_eq!(n, False),
                False => assert_eq!(n, True),
                other => assert_eq!(n, other),
            }
            assert_eq!(r.negate(false), r);
        }
    }

    #[test]
    fn not_applicable_never_changes_a_decided_result() {
        for op in Operator::ALL {
            for a in ALL {
                for b in ALL {
                    let with = combine(*op, [a, b, NotApplicable]);
                    let without = combine(*op, [a, b]);
                    assert_eq!(with, without, "{op} {a} {b}");
                }
            }
        }
    }

    fn st(ex: usize, dne: usize, er: usize, nc: usize) -> StatusTally {
        StatusTally {
            exists: ex,
            does_not_exist: dne,
            error: er,
            not_collected: nc,
        }
    }

    #[test]
    fn existence_tables() {
        use Existence::*;
        assert_eq!(st(2, 0, 0, 0).existence(AllExist), True);
        assert_eq!(st(2, 1, 0, 0).existence(AllExist), False);
        assert_eq!(st(0, 0, 0, 0).existence(AllExist), False);
        assert_eq!(st(1, 0, 1, 0).existence(AllExist), Error);
        assert_eq!(st(1, 0, 0, 1).existence(AllExist), Unknown);
        assert_eq!(st(0, 0, 0, 0).existence(AnyExist), True);
        assert_eq!(st(0, 0, 1, 0).existence(AnyExist), Error);
        assert_eq!(st(1, 0, 1, 0).existence(AnyExist), True);
        assert_eq!(st(1, 3, 1, 0).existence(AtLeastOneExists), True);
        assert_eq!(st(0, 3, 0, 0).existence(AtLeastOneExists), False);
        assert_eq!(st(0, 0, 1, 0).existence(AtLeastOneExists), Error);
        assert_eq!(st(0, 0, 0, 1).existence(AtLeastOneExists), Unknown);
        assert_eq!(st(0, 2, 0, 0).existence(NoneExist), True);
        assert_eq!(st(1, 0, 0, 0).existence(NoneExist), False);
        assert_eq!(st(0, 0, 1, 0).existence(NoneExist), Error);
        assert_eq!(st(0, 0, 0, 1).existence(NoneExist), Unknown);
        assert_eq!(st(1, 0, 0, 0).existence(OnlyOneExists), True);
        assert_eq!(st(2, 0, 0, 0).existence(OnlyOneExists), False);
        assert_eq!(st(0, 0, 0, 0).existence(OnlyOneExists), False);
        assert_eq!(st(1, 0, 1, 0).existence(OnlyOneExists), Error);
        assert_eq!(st(0, 0, 0, 1).existence(OnlyOneExists), Unknown);
    }

    #[test]
    fn deciding_inputs_follow_the_tables() {
        // A false AND: the false inputs, not the true or undecided ones.
        assert_eq!(
            deciding(Operator::And, False, &[True, False, Error, False]),
            [1, 3]
        );
        // A true AND: every input that counted.
        assert_eq!(
            deciding(Operator::And, True, &[True, NotApplicable, True]),
            [0, 2]
        );
        // A false OR: every input; a true OR: the true ones.
        assert_eq!(deciding(Operator::Or, False, &[False, False]), [0, 1]);
        assert_eq!(deciding(Operator::Or, True, &[False, True]), [1]);
        // Precedence: an error is decided by the inputs in error.
        assert_eq!(deciding(Operator::And, Error, &[True, Error, Unknown]), [1]);
        assert_eq!(deciding(Operator::Or, Unknown, &[False, Unknown]), [1]);
        // ONE: two true inputs make it false; none true, every input.
        assert_eq!(deciding(Operator::One, False, &[True, False, True]), [0, 2]);
        assert_eq!(deciding(Operator::One, False, &[False, False]), [0, 1]);
        assert_eq!(deciding(Operator::One, True, &[False, True]), [1]);
        assert_eq!(deciding(Operator::Xor, True, &[True, False]), [0, 1]);
        assert_eq!(
            deciding(Operator::And, NotApplicable, &[NotApplicable]),
            [0]
        );
        // Every result of every table names at least one input when there is one.
        for op in Operator::ALL {
            for a in ALL {
                for b in ALL {
                    let r = combine(*op, [a, b]);
                    assert!(!deciding(*op, r, &[a, b]).is_empty(), "{op} {a} {b}");
                }
            }
        }
    }

    #[test]
    fn deciding_items_follow_the_check() {
        assert_eq!(deciding_check(Check::All, False, &[True, False]), [1]);
        assert_eq!(
            deciding_check(Check::AtLeastOne, False, &[False, False]),
            [0, 1]
        );
        // None satisfy is false because of the items that satisfy the state.
        assert_eq!(
            deciding_check(Check::NoneSatisfy, False, &[False, True, True]),
            [1, 2]
        );
        assert_eq!(
            deciding_check(Check::NoneSatisfy, True, &[False, False]),
            [0, 1]
        );
        assert_eq!(deciding_check(Check::OnlyOne, False, &[True, True]), [0, 1]);
    }
}
