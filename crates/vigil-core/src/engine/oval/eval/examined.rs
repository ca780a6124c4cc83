//! What a definition examined: the tests its criteria reached (through
//! `extend_definition` too), the objects those tests read and their items, with one
//! sentence per test saying what it found.
//!
//! A pass over twelve items and a pass over none are different facts, and a reader of a
//! report must be able to tell them apart at a glance (issue 16: "a pass over zero
//! items is visibly different from a pass over twelve"). The counts come from what the
//! evaluation memoised (OVAL 5.11 §5.3: tests and their collected objects); nothing is
//! collected or evaluated again, and a definition that was not evaluated examined
//! nothing.

use std::collections::{BTreeSet, HashSet};

use super::{CriteriaOutcome, Evaluator};
use crate::engine::oval::logic::OvalResult;
use crate::model::Examined;

/// Most per-test sentences one definition gives.
const MAX_LINES: usize = 10;

impl Evaluator<'_> {
    /// What definition `id` examined, adding to `out` (so a rule whose check names
    /// several definitions sums them, each object counted once).
    pub fn examined_into(&self, id: &str, out: &mut ExaminedTally) {
        if !out.definitions.insert(id.to_string()) {
            return;
        }
        let Some(d) = self.definitions.lock().unwrap().get(id).cloned() else {
            return;
        };
        if let Some(tree) = &d.criteria {
            self.examined_tree(tree, out);
        }
    }

    fn examined_tree(&self, node: &CriteriaOutcome, out: &mut ExaminedTally) {
        match node {
            CriteriaOutcome::Criteria { children, .. } => {
                for c in children {
                    self.examined_tree(c, out);
                }
            }
            CriteriaOutcome::ExtendDefinition { definition_ref, .. } => {
                self.examined_into(definition_ref, out);
            }
            CriteriaOutcome::Criterion { test_ref, .. } => {
                if !out.tests.insert(test_ref.clone()) {
                    return;
                }
                let Some(test) = self.defs.tests.get(test_ref) else {
                    return;
                };
                let outcome = self.tests.lock().unwrap().get(test_ref).cloned();
                let Some(outcome) = outcome else {
                    return;
                };
                let name = test.comment.as_deref().unwrap_or(test_ref.as_str());
                let Some(obj) = &test.object_ref else {
                    out.line(format!("{name}: takes no object, {}", outcome.result));
                    return;
                };
                let items = self
                    .objects
                    .lock()
                    .unwrap()
                    .get(obj)
                    .map_or(outcome.item_results.len(), |o| o.items.len());
                if out.objects.insert(obj.clone()) {
                    out.items += items;
                }
                let satisfied = outcome
                    .item_results
                    .iter()
                    .filter(|r| **r == OvalResult::True)
                    .count();
                let line = match (items, test.state_refs.is_empty()) {
                    (0, _) => format!(
                        "{name}: no items ({} required), {}",
                        test.check_existence, outcome.result
                    ),
                    (n, true) => format!("{name}: {}, {}", count(n, "item"), outcome.result),
                    (n, false) => format!(
                        "{name}: {} satisfy the state of {}, {} (check {})",
                        satisfied,
                        count(n, "item"),
                        outcome.result,
                        test.check
                    ),
                };
                out.line(line);
            }
        }
    }
}

/// "1 item", "3 items".
fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// The running sum of what one rule's definitions examined.
#[derive(Default)]
pub struct ExaminedTally {
    definitions: HashSet<String>,
    tests: BTreeSet<String>,
    objects: BTreeSet<String>,
    items: usize,
    lines: Vec<String>,
}

impl ExaminedTally {
    fn line(&mut self, line: String) {
        if self.lines.len() < MAX_LINES && !self.lines.contains(&line) {
            self.lines.push(line);
        }
    }

    /// The results document's record of it.
    pub fn finish(self) -> Examined {
        Examined {
            tests: self.tests.len(),
            objects: self.objects.len(),
            items: self.items,
            tested: self.lines,
        }
    }
}
