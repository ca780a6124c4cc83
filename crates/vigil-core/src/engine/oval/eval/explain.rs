//! Why a definition has its result, in plain sentences for the messages of a rule that
//! did not pass.
//!
//! A bare `fail` or `unknown` leaves the reader to dig through the results document;
//! the sentence that names the object and the fact that decided it is what they
//! need. The criteria tree is followed only down the branches that decided the result
//! ([`logic::deciding`], which respects operators and negation), and for each deciding
//! test one sentence says what decided it: the object that does not exist (or exists
//! when it must not), or the first item that did not satisfy the state (the entity, the
//! item's value, the operation and the expected value), or the items that satisfied it
//! where none or only one may. Messages the probes left on objects and items are
//! carried along.
//!
//! This runs only for rules that did not pass, after evaluation, and reads what the
//! evaluation memoised (tests, objects, resolved states): passing rules pay nothing
//! and nothing is collected again. The comparisons are those of [`ResolvedState`], not
//! a second copy. Values come from content and hosts, so they are shortened and their
//! control characters escaped, and no item is ever printed whole.

use std::collections::HashSet;
use std::fmt::Write;

use super::{CriteriaOutcome, Evaluator, ObjectOutcome, ResolvedState, TestOutcome};
use crate::content::oval::{Check, Entity, EntityValue, Existence, Operation, Operator, Test};
use crate::content::xml;
use crate::engine::oval::logic::{self, OvalResult, StatusTally};
use crate::engine::probe::{Flag, Item, ItemStatus};

/// Most sentences one explanation gives: enough to name every deciding test of a
/// typical rule, short enough to read in a terminal.
pub const MAX_LINES: usize = 10;

/// Longest value quoted from content or a host, in characters.
const MAX_VALUE: usize = 80;

/// Most values of one entity or field quoted.
const MAX_VALUES: usize = 3;

/// The sentences gathered so far, without repeats, up to [`MAX_LINES`].
#[derive(Default)]
struct Lines {
    lines: Vec<String>,
    tests: HashSet<String>,
    definitions: HashSet<String>,
}

impl Lines {
    fn push(&mut self, line: String) {
        if !self.full() && !self.lines.contains(&line) {
            self.lines.push(line);
        }
    }

    fn full(&self) -> bool {
        self.lines.len() >= MAX_LINES
    }
}

impl Evaluator<'_> {
    /// Why definition `id` has the result it has: its own messages, then one sentence
    /// per deciding test (at most [`MAX_LINES`] in all). Never empty.
    pub fn explain(&self, id: &str) -> Vec<String> {
        let mut out = Lines::default();
        self.explain_definition(id, false, &mut out);
        if out.lines.is_empty() {
            let d = self.definition(id);
            out.push(format!("definition {id} is {}", d.result));
        }
        out.lines
    }

    /// `negated`: whether the results below reach the explained definition inverted (an
    /// odd number of negations on the way), so each sentence can say so.
    fn explain_definition(&self, id: &str, negated: bool, out: &mut Lines) {
        if out.full() || !out.definitions.insert(id.to_string()) {
            return;
        }
        let d = self.definition(id);
        for m in &d.messages {
            out.push(m.clone());
        }
        if let Some(c) = &d.criteria {
            self.explain_node(c, negated, out);
        }
    }

    fn explain_node(&self, node: &CriteriaOutcome, negated: bool, out: &mut Lines) {
        if out.full() {
            return;
        }
        match node {
            CriteriaOutcome::Criteria {
                operator,
                negate,
                result,
                children,
                ..
            } => {
                let op: Operator = operator.parse().unwrap_or(Operator::And);
                // The stored result is after the node's own negation; the table
                // produced the one before it.
                let raw = result.negate(*negate);
                let results: Vec<OvalResult> = children.iter().map(|c| c.result()).collect();
                for i in logic::deciding(op, raw, &results) {
                    self.explain_node(&children[i], negated ^ *negate, out);
                }
            }
            CriteriaOutcome::Criterion {
                test_ref, negate, ..
            } => self.explain_test(test_ref, negated ^ *negate, out),
            CriteriaOutcome::ExtendDefinition {
                definition_ref,
                negate,
                ..
            } => self.explain_definition(definition_ref, negated ^ *negate, out),
        }
    }

    fn explain_test(&self, id: &str, negated: bool, out: &mut Lines) {
        if !out.tests.insert(id.to_string()) {
            return;
        }
        let outcome = self.test(id);
        let test = self.defs.tests.get(id);
        let mut head = format!("test {id}");
        if let Some(c) = test.and_then(|t| t.comment.as_deref()) {
            let _ = write!(head, " ({})", clean(c));
        }
        if negated {
            head.push_str(", negated");
        }
        // Errors, unknowns and not applicable from the object already say why.
        if !outcome.messages.is_empty() {
            for m in &outcome.messages {
                out.push(format!("{head}: {m}"));
            }
            return;
        }
        let Some(test) = test else { return };
        let Some(obj_ref) = &test.object_ref else {
            return;
        };
        let obj = self.object(obj_ref, &mut Vec::new());
        let reason = self.test_reason(test, &outcome, &obj);
        out.push(format!("{head}: {reason}"));
    }

    /// The fact that gave the test its result, following `eval_test` and `eval_items`.
    fn test_reason(&self, test: &Test, outcome: &TestOutcome, obj: &ObjectOutcome) -> String {
        let what = self.object_words(obj);
        let notes = notes(&obj.messages);
        let existence_word = test.check_existence.as_str();
        match obj.flag {
            Flag::DoesNotExist => {
                return if outcome.result == OvalResult::True {
                    format!(
                        "{what} does not exist, as check_existence {existence_word} allows{notes}"
                    )
                } else {
                    format!("{what} does not exist{notes}")
                };
            }
            Flag::Complete | Flag::Incomplete => {}
            // These flags give the test messages, handled by the caller.
            Flag::Error | Flag::NotCollected | Flag::NotApplicable => {
                return format!("{what} is {}{notes}", obj.flag);
            }
        }
        let incomplete = obj.flag == Flag::Incomplete;
        let tally = StatusTally::of(obj.items.iter().map(|i| &i.status));
        let existence = tally.existence(test.check_existence);
        if incomplete
            && existence == OvalResult::True
            && outcome.result == OvalResult::Unknown
            && matches!(
                test.check_existence,
                Existence::NoneExist | Existence::OnlyOneExists | Existence::AllExist
            )
        {
            return format!(
                "{what} was collected incompletely{notes}, so check_existence {existence_word} cannot be decided"
            );
        }
        if existence != OvalResult::True {
            return self.existence_reason(test, &what, obj, existence, &notes);
        }
        let kind = kind_words(&obj_kind(self, obj));
        let compared: Vec<&str> = test
            .state_refs
            .iter()
            .filter_map(|s| self.defs.states.get(s))
            .flat_map(|s| s.entities.iter().map(|e| e.name.as_str()))
            .collect();
        if test.state_refs.is_empty() {
            let exists: Vec<&Item> = obj
                .items
                .iter()
                .filter(|i| i.status == ItemStatus::Exists)
                .map(|i| &**i)
                .collect();
            return match exists.first() {
                Some(first) => format!(
                    "{what} exists: {}{}",
                    item_words(&kind, first, &[]),
                    more(exists.len() - 1, "item")
                ),
                None => format!(
                    "{what} has no existing item, as check_existence {existence_word} allows"
                ),
            };
        }
        // The items the check counted (those that exist, are in error or were not
        // collected), each with its result against the states.
        let considered: Vec<(usize, OvalResult)> = obj
            .items
            .iter()
            .zip(&outcome.item_results)
            .enumerate()
            .filter(|(_, (item, _))| item.status != ItemStatus::DoesNotExist)
            .map(|(i, (_, r))| (i, *r))
            .collect();
        if considered.is_empty() {
            return format!("{what} has no item to compare with the state");
        }
        let results: Vec<OvalResult> = considered.iter().map(|(_, r)| *r).collect();
        let raw = logic::check(test.check, results.iter().copied());
        if raw != outcome.result {
            return format!(
                "{what} was collected incompletely{notes}, so check '{}' over its items cannot be decided",
                test.check
            );
        }
        let deciding: Vec<usize> = logic::deciding_check(test.check, raw, &results)
            .into_iter()
            .map(|i| considered[i].0)
            .collect();
        let m = considered.len();
        let n = deciding.len();
        let trues = results.iter().filter(|r| **r == OvalResult::True).count();
        let lead = match (test.check, raw) {
            (_, OvalResult::Error | OvalResult::Unknown | OvalResult::NotEvaluated) => {
                format!("the state gives {raw} for {n} of {m} items")
            }
            (Check::All, OvalResult::False) => {
                format!("{n} of {m} items {} not satisfy the state", does(n))
            }
            (Check::AtLeastOne, OvalResult::False) | (Check::OnlyOne, OvalResult::False)
                if trues == 0 =>
            {
                format!("none of the {m} items satisfies the state")
            }
            (Check::OnlyOne, OvalResult::False) => {
                format!("{n} of {m} items satisfy the state, where only one may")
            }
            (Check::NoneSatisfy | Check::NoneExist, OvalResult::False) => {
                format!(
                    "{n} of {m} items {} the state, where none may",
                    satisfies(n)
                )
            }
            (Check::NoneSatisfy | Check::NoneExist, _) => {
                format!("none of the {m} items satisfies the state")
            }
            (Check::All, _) => format!("all {m} items satisfy the state"),
            (_, _) => format!("{n} of {m} items {} the state", satisfies(n)),
        };
        let first = deciding[0];
        let item = &obj.items[first];
        let why = self.item_reason(test, item, outcome.item_results[first]);
        let lead = if m == 1 {
            String::new()
        } else if n == 1 {
            format!("{lead}: ")
        } else {
            format!("{lead}, the first: ")
        };
        format!("{lead}{}: {why}", item_words(&kind, item, &compared))
    }

    /// Why the existence check was not true.
    fn existence_reason(
        &self,
        test: &Test,
        what: &str,
        obj: &ObjectOutcome,
        existence: OvalResult,
        notes: &str,
    ) -> String {
        let kind = kind_words(&obj_kind(self, obj));
        let with = |status: ItemStatus| -> Vec<&Item> {
            obj.items
                .iter()
                .filter(|i| i.status == status)
                .map(|i| &**i)
                .collect()
        };
        let first_of = |items: &[&Item]| -> String {
            match items.first() {
                Some(i) => format!(
                    ": {}{}{}",
                    item_words(&kind, i, &[]),
                    item_note(i),
                    more(items.len() - 1, "item")
                ),
                None => String::new(),
            }
        };
        match existence {
            OvalResult::Error => {
                let bad = with(ItemStatus::Error);
                format!("an item of {what} could not be collected{}", first_of(&bad))
            }
            OvalResult::Unknown => {
                let nc = with(ItemStatus::NotCollected);
                format!("an item of {what} was not collected{}", first_of(&nc))
            }
            _ => {
                let exists = with(ItemStatus::Exists);
                match test.check_existence {
                    Existence::NoneExist => format!(
                        "{what} exists where check_existence none_exist requires that it does not{}",
                        first_of(&exists)
                    ),
                    Existence::OnlyOneExists if exists.len() > 1 => format!(
                        "{what} has {} items where only one may exist{}",
                        exists.len(),
                        first_of(&exists)
                    ),
                    Existence::AllExist => {
                        let missing = with(ItemStatus::DoesNotExist);
                        format!("not every item of {what} exists{}", first_of(&missing))
                    }
                    _ => {
                        let missing = with(ItemStatus::DoesNotExist);
                        format!("{what} does not exist{notes}{}", first_of(&missing))
                    }
                }
            }
        }
    }

    /// What made one item's result against the test's states: the deciding states and,
    /// in each, the deciding entities with the item's values and what was expected.
    fn item_reason(&self, test: &Test, item: &Item, result: OvalResult) -> String {
        let note = item_note(item);
        match item.status {
            ItemStatus::Error => return format!("could not be collected{note}"),
            ItemStatus::NotCollected => return format!("was not collected{note}"),
            ItemStatus::DoesNotExist => return format!("does not exist{note}"),
            ItemStatus::Exists => {}
        }
        let mut stack = Vec::new();
        let mut states: Vec<(&str, Option<std::sync::Arc<ResolvedState>>)> = Vec::new();
        for s in &test.state_refs {
            let resolved = self
                .defs
                .states
                .get(s)
                .map(|st| self.resolve_state(st, &mut stack));
            states.push((s.as_str(), resolved));
        }
        let state_results: Vec<OvalResult> = states
            .iter()
            .map(|(_, r)| r.as_ref().map_or(OvalResult::Error, |r| r.result(item)))
            .collect();
        let mut parts = Vec::new();
        for i in logic::deciding(test.state_operator, result, &state_results)
            .into_iter()
            .take(2)
        {
            let (id, resolved) = &states[i];
            let text = match resolved {
                None => format!("state {id} is not defined"),
                Some(r) => {
                    let verdicts = r.deciding_entities(item);
                    // A failed AND is explained by its first mismatch; the others
                    // (OR, ONE, XOR, or a state that holds) need every deciding entity.
                    let take =
                        if r.operator == Operator::And && state_results[i] != OvalResult::True {
                            1
                        } else {
                            MAX_VALUES
                        };
                    let words: Vec<String> = verdicts
                        .iter()
                        .take(take)
                        .map(|v| verdict_words(v.entity, v.values, v.result, item))
                        .collect();
                    if words.is_empty() {
                        format!("state {id} has no entity")
                    } else {
                        words.join(", and ")
                    }
                }
            };
            if states.len() > 1 {
                parts.push(format!("state {id}: {text}"));
            } else {
                parts.push(text);
            }
        }
        format!("{}{note}", parts.join("; "))
    }

    /// "object ID (entity 'value', ...)": the object and what it looked for.
    fn object_words(&self, obj: &ObjectOutcome) -> String {
        let mut s = format!("object {}", obj.id);
        let Some(def) = self.defs.objects.get(&obj.id) else {
            return s;
        };
        let mut looked = Vec::new();
        if let Some(set) = &def.set {
            if !set.object_refs.is_empty() {
                looked.push(format!(
                    "{} of {}",
                    set.operator.as_str().to_lowercase(),
                    set.object_refs.join(", ")
                ));
            } else {
                looked.push("a set of sets".into());
            }
        }
        for e in def.entities.iter().filter(|e| !e.nil).take(MAX_VALUES) {
            let values: Vec<String> = match &e.value {
                EntityValue::Literal(v) => vec![v.clone()],
                EntityValue::VarRef(var) => obj
                    .variables
                    .iter()
                    .find(|(name, _)| name == var)
                    .map(|(_, vals)| vals.clone())
                    .unwrap_or_default(),
            };
            let op = match e.operation {
                Operation::Equals => String::new(),
                Operation::PatternMatch => "matching ".into(),
                o => format!("{o} "),
            };
            if values.is_empty() {
                looked.push(format!(
                    "{} {op}from variable {}",
                    e.name,
                    e.var_ref().unwrap_or("?")
                ));
            } else {
                looked.push(format!("{} {op}{}", e.name, quote_all(&values, " or ")));
            }
        }
        if !looked.is_empty() {
            let _ = write!(s, " ({})", looked.join(", "));
        }
        s
    }
}

impl ResolvedState {
    /// The entities that decided this state's result for `item` (see
    /// `logic::deciding`): for a state that does not hold under AND, its mismatching
    /// entities, the first first. Each comes with the values it compared against and
    /// the result it gave, from the same comparison [`ResolvedState::result`] makes.
    pub fn deciding_entities(&self, item: &Item) -> Vec<EntityVerdict<'_>> {
        let results: Vec<OvalResult> = self
            .entities
            .iter()
            .map(|r| super::entity_result(r, item))
            .collect();
        let result = logic::combine(self.operator, results.iter().copied());
        logic::deciding(self.operator, result, &results)
            .into_iter()
            .map(|i| EntityVerdict {
                entity: &self.entities[i].entity,
                values: &self.entities[i].values,
                result: results[i],
            })
            .collect()
    }
}

/// One state entity's verdict on an item.
pub struct EntityVerdict<'s> {
    /// The state entity, as the content gives it.
    pub entity: &'s Entity,
    /// The values compared against, or the result the entity gives whatever the item
    /// holds (its variable has no usable value).
    pub values: &'s Result<Vec<String>, OvalResult>,
    /// The entity's result on the item (entity_check and var_check applied).
    pub result: OvalResult,
}

/// "mode is '0644', expected '0600'": an entity's verdict in words.
fn verdict_words(
    e: &Entity,
    values: &Result<Vec<String>, OvalResult>,
    result: OvalResult,
    item: &Item,
) -> String {
    let name = clean(&e.name);
    if e.datatype == crate::content::oval::Datatype::Record {
        let fields: Vec<String> = e.fields.iter().map(|f| clean(&f.name)).collect();
        let n = item.entities(&e.name).count();
        return format!(
            "{name} ({n} record(s)) gives {result} over fields {}",
            list(&fields, ", ")
        );
    }
    let expected = match values {
        Ok(v) => v,
        Err(OvalResult::Error) => return format!("{name}: its variable has no usable value"),
        Err(r) => return format!("{name} gives {r}"),
    };
    let fields: Vec<Option<&str>> = item.values(&e.name).collect();
    if fields.is_empty() {
        return format!("the item has no {name} to compare");
    }
    let actual: Vec<String> = fields.iter().flatten().map(|f| quote(f)).collect();
    let actual = if actual.is_empty() {
        // The field is there without a value: the probe could not tell.
        format!("{name} has no value")
    } else {
        format!("{name} is {}", list(&actual, ", "))
    };
    let joiner = match e.var_check {
        Check::All => " and ",
        _ => " or ",
    };
    let op = match e.operation {
        Operation::Equals => String::new(),
        Operation::NotEqual => "not ".into(),
        Operation::PatternMatch => "to match ".into(),
        o => format!("{o} "),
    };
    let expect = format!("{op}{}", quote_all(expected, joiner));
    match result {
        OvalResult::True => format!("{actual} ({} {})", e.operation, quote_all(expected, joiner)),
        OvalResult::False => format!("{actual}, expected {expect}"),
        OvalResult::Error => {
            format!(
                "{actual}, which cannot be compared with {expect} as {}",
                e.datatype
            )
        }
        r => format!("{actual}, {r} against {expect}"),
    }
}

/// The object's kind from its definition ("" when the object is not defined).
fn obj_kind(ev: &Evaluator<'_>, obj: &ObjectOutcome) -> String {
    ev.defs
        .objects
        .get(&obj.id)
        .map(|o| o.kind.clone())
        .unwrap_or_default()
}

/// "audit log" for `audit_log_object`: what the items are, for the sentence.
fn kind_words(kind: &str) -> String {
    let k = kind.strip_suffix("_object").unwrap_or(kind);
    if k.is_empty() {
        "item".into()
    } else {
        clean(&k.replace('_', " "))
    }
}

/// "audit log 'vault' (/var/log/vault/audit.log)": the item's first field, and its
/// path (or a field that names it, not in `skip`) to tell it from its neighbours. Never
/// the whole item.
fn item_words(kind: &str, item: &Item, skip: &[&str]) -> String {
    let Some((first_name, first)) = item
        .fields
        .iter()
        .find_map(|f| f.value.as_deref().map(|v| (f.name.as_str(), v)))
    else {
        return kind.to_string();
    };
    let mut s = format!("{kind} {}", quote(first));
    // A path says where the item is; failing that, a field that names what it is
    // about. The fields the sentence goes on to compare would only repeat.
    let named = |names: &[&str]| {
        names.iter().find_map(|want| {
            item.fields
                .iter()
                .find(|f| f.name == *want && f.name != first_name && !skip.contains(want))
                .and_then(|f| f.value.as_deref().map(|v| (f.name.as_str(), v)))
        })
    };
    if let Some((_, p)) = named(&["path", "filepath"]) {
        if p != first {
            let _ = write!(s, " ({})", clean(p));
        }
    } else if let Some((n, v)) = named(&["name", "identity"]) {
        // Only fields that name things: any other (a password hash, a secret's
        // length) is not the reader's to see in a one-line summary.
        let _ = write!(s, " ({} {})", clean(n), quote(v));
    }
    s
}

/// The probe's message on an item, as " (message)".
fn item_note(item: &Item) -> String {
    match &item.message {
        Some(m) if !m.trim().is_empty() => format!(" ({})", clean(m)),
        _ => String::new(),
    }
}

/// Messages the probe left on an object, as ": a; b".
fn notes(messages: &[String]) -> String {
    let kept: Vec<String> = messages
        .iter()
        .filter(|m| !m.trim().is_empty())
        .take(MAX_VALUES)
        .map(|m| clean(m))
        .collect();
    if kept.is_empty() {
        String::new()
    } else {
        format!(" ({})", kept.join("; "))
    }
}

/// ", and 3 more items".
fn more(n: usize, what: &str) -> String {
    match n {
        0 => String::new(),
        1 => format!(", and 1 more {what}"),
        n => format!(", and {n} more {what}s"),
    }
}

fn does(n: usize) -> &'static str {
    if n == 1 { "does" } else { "do" }
}

fn satisfies(n: usize) -> &'static str {
    if n == 1 { "satisfies" } else { "satisfy" }
}

/// Quoted values joined, at most [`MAX_VALUES`] of them.
fn quote_all(values: &[String], joiner: &str) -> String {
    let quoted: Vec<String> = values.iter().map(|v| quote(v)).collect();
    list(&quoted, joiner)
}

fn list(parts: &[String], joiner: &str) -> String {
    let mut s = parts
        .iter()
        .take(MAX_VALUES)
        .cloned()
        .collect::<Vec<_>>()
        .join(joiner);
    if parts.len() > MAX_VALUES {
        let _ = write!(s, " (and {} more)", parts.len() - MAX_VALUES);
    }
    s
}

fn quote(v: &str) -> String {
    format!("'{}'", clean(v))
}

/// A value from content or a host made safe for one line of a message: control and
/// other unsafe characters ([`xml::unsafe_in_line`]) escaped ([`xml::push_escaped`]:
/// `\x0a`, `\x1b`), cut at [`MAX_VALUE`] characters.
pub(crate) fn clean(v: &str) -> String {
    let mut out = String::with_capacity(v.len().min(MAX_VALUE + 8));
    for (n, c) in v.chars().enumerate() {
        if n == MAX_VALUE {
            out.push('…');
            break;
        }
        if xml::unsafe_in_line(c) {
            xml::push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests;
