//! The OVAL evaluator (OVAL 5.11.1 Language Specification §5.3): collects every object
//! once (in parallel, batched per probe so probes can share work), resolves variables
//! (§4.3.6.7), applies filters and sets (§4.3.6.2-3), evaluates states against items,
//! tests (existence, check, state operator) and definition criteria.
//!
//! Results are memoised per id, so a test or object shared by many definitions is
//! evaluated once per scan. Cycles (extend_definition loops, variables that refer to
//! themselves) are detected and give `error` with a message instead of recursing.
//!
//! Compared with oscap 1.3.7 by the `core` conformance fixtures
//! (`tests/fixtures/oval/core/`): `checks.xml` covers check x check_existence x
//! state_operator over one and several items, entity_check over multi-valued fields and
//! var_check over multi-valued variables, and vigil agrees with oscap on every case;
//! `functions.xml` and `time_difference.xml` cover the variable functions (their
//! differences from oscap are listed in `functions.rs`).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use super::functions;
use super::logic::{self, OvalResult, StatusTally};
use crate::content::oval::Operation;
use crate::content::oval::{
    Component, Criteria, CriteriaNode, Datatype, Entity, EntityValue, Existence, Family, Filter,
    FilterAction, Object, ObjectSet, OvalDefinitions, SetOperator, State, Test, VariableKind,
};
use crate::engine::probe::{
    Collected, Collector, Flag, Item, ItemFilter, ItemPredicate, ItemStatus, ObjectQuery,
    QueryEntity,
};
use crate::values::compare;

mod examined;
mod explain;
mod schedule;
pub use examined::ExaminedTally;
pub use explain::{EntityVerdict, MAX_LINES};

/// Why a variable has no values.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct VarError {
    /// What went wrong, for the results' messages.
    pub message: String,
    /// The value cannot be known (an external variable given no value, an object that
    /// was not collected): what depends on it is `unknown`, as oscap decides, not in
    /// error.
    pub unknown: bool,
}

impl From<String> for VarError {
    fn from(message: String) -> Self {
        VarError {
            message,
            unknown: false,
        }
    }
}

impl From<&str> for VarError {
    fn from(message: &str) -> Self {
        VarError::from(message.to_string())
    }
}

impl std::fmt::Display for VarError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Values of a variable, or why it has none.
pub type VarValues = Result<Vec<String>, VarError>;

/// A collected object after filters and sets.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ObjectOutcome {
    /// The OVAL id, `oval:NS:obj:N`.
    pub id: String,
    /// The OVAL 5.11 collected-object flag; `complete` with no items becomes `does not
    /// exist`.
    pub flag: Flag,
    /// The items left after filters and sets, in collection order.
    pub items: Vec<Arc<Item>>,
    /// What the probe or the evaluator noted (errors, truncation, unsupported behaviors).
    pub messages: Vec<String>,
    /// Values of the variables the object used, for the results document.
    pub variables: Vec<(String, Vec<String>)>,
}

impl ObjectOutcome {
    fn from_collected(id: &str, c: Collected) -> ObjectOutcome {
        let mut out = ObjectOutcome {
            id: id.to_string(),
            flag: c.flag,
            items: c.items.into_iter().map(Arc::new).collect(),
            messages: c.messages,
            variables: Vec::new(),
        };
        if out.flag == Flag::Complete && out.items.is_empty() {
            out.flag = Flag::DoesNotExist;
        }
        out
    }

    fn flagged(id: &str, flag: Flag, message: String) -> ObjectOutcome {
        ObjectOutcome {
            id: id.to_string(),
            flag,
            items: Vec::new(),
            messages: vec![message],
            variables: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
/// A test's result (OVAL 5.11 §5.3.2): existence and check applied to its object's items.
pub struct TestOutcome {
    /// The OVAL id, `oval:NS:tst:N`.
    pub id: String,
    /// The test's OVAL result.
    pub result: OvalResult,
    /// Result of each item of the object against the states (parallel to the items).
    pub item_results: Vec<OvalResult>,
    /// Why the result is error or unknown, in words; empty otherwise.
    pub messages: Vec<String>,
}

/// A criteria tree with the result of every node.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CriteriaOutcome {
    /// A `criteria` element.
    Criteria {
        /// The operator word as written (`AND`, `OR`, `ONE`, `XOR`).
        operator: String,
        /// `negate="true"` was applied to the combined result.
        negate: bool,
        /// The node's result, negation applied.
        result: OvalResult,
        #[serde(skip_serializing_if = "Option::is_none")]
        /// The content's `comment`; `None` when absent.
        comment: Option<String>,
        /// The child nodes, in document order.
        children: Vec<CriteriaOutcome>,
    },
    /// A `criterion`: one test's result.
    Criterion {
        /// The OVAL test id, `oval:NS:tst:N`.
        test_ref: String,
        /// `negate="true"` was applied.
        negate: bool,
        /// The test's result, negation applied.
        result: OvalResult,
        #[serde(skip_serializing_if = "Option::is_none")]
        /// The content's `comment`; `None` when absent.
        comment: Option<String>,
    },
    /// An `extend_definition`: another definition's result.
    ExtendDefinition {
        /// The OVAL definition id, `oval:NS:def:N`.
        definition_ref: String,
        /// `negate="true"` was applied.
        negate: bool,
        /// The definition's result, negation applied.
        result: OvalResult,
        #[serde(skip_serializing_if = "Option::is_none")]
        /// The content's `comment`; `None` when absent.
        comment: Option<String>,
    },
}

impl CriteriaOutcome {
    /// The node's result, negation applied.
    pub fn result(&self) -> OvalResult {
        match self {
            CriteriaOutcome::Criteria { result, .. }
            | CriteriaOutcome::Criterion { result, .. }
            | CriteriaOutcome::ExtendDefinition { result, .. } => *result,
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
/// A definition's result (OVAL 5.11 §5.3.1) with the criteria tree that gave it.
pub struct DefinitionOutcome {
    /// The OVAL id, `oval:NS:def:N`.
    pub id: String,
    /// The definition's OVAL result.
    pub result: OvalResult,
    /// The evaluated criteria; `None` for a deprecated definition without criteria, or an
    /// id not in the document.
    pub criteria: Option<CriteriaOutcome>,
    /// Why the result is error, unknown or not evaluated, in words.
    pub messages: Vec<String>,
}

/// A state whose variable references are resolved: each entity with its values, or
/// the result it gives whatever the item holds (its variable has no usable value).
pub struct ResolvedState {
    operator: crate::content::oval::Operator,
    entities: Vec<ResolvedEntity>,
}

/// A state entity with its values resolved; for a record entity, its fields likewise.
struct ResolvedEntity {
    entity: Entity,
    values: Result<Vec<String>, OvalResult>,
    fields: Vec<ResolvedEntity>,
}

impl ResolvedState {
    /// An item against the state (OVAL 5.11.1 §5.3.6): every entity is checked
    /// against the item's fields of that name (var_check over the values,
    /// entity_check over the fields), combined with the state's operator.
    pub fn result(&self, item: &Item) -> OvalResult {
        logic::combine(
            self.operator,
            self.entities.iter().map(|r| entity_result(r, item)),
        )
    }
}

impl ResolvedState {
    /// Why this state gives `error` for `item`, if it does: the first comparison that
    /// failed (an operation the datatype does not allow, a value it cannot hold, a bad
    /// pattern). Used only on the error path, so the comparisons are simply redone.
    fn error_reason(&self, item: &Item) -> Option<String> {
        for r in &self.entities {
            let e = &r.entity;
            if e.datatype == Datatype::Record {
                for f in item.entities(&e.name) {
                    let Some(record) = &f.record else {
                        if f.value.is_some() {
                            return Some(format!(
                                "state entity {}: a record state entity against a non-record item entity",
                                e.name
                            ));
                        }
                        continue;
                    };
                    for sf in &r.fields {
                        let mut named = record.iter().filter(|x| x.name == sf.entity.name);
                        if named.clone().next().is_none() {
                            return Some(format!(
                                "state entity {} field {}: the item's record has no such field (OVAL 5.11 EntityStateFieldType: an error)",
                                e.name, sf.entity.name
                            ));
                        }
                        if let Some(why) = simple_error(
                            &sf.entity,
                            &sf.values,
                            named.by_ref().filter_map(|x| x.value.as_deref()),
                        ) {
                            return Some(format!("state entity {} {why}", e.name));
                        }
                    }
                }
                continue;
            }
            if let Some(why) = simple_error(e, &r.values, item.values(&e.name).flatten()) {
                return Some(why);
            }
        }
        None
    }
}

/// Why a simple entity gives `error` against these values, if it does.
fn simple_error<'a>(
    e: &Entity,
    values: &Result<Vec<String>, OvalResult>,
    actuals: impl Iterator<Item = &'a str>,
) -> Option<String> {
    let values = match values {
        Ok(v) => v,
        Err(OvalResult::Error) => {
            return Some(format!(
                "state entity {}: its variable has no usable value",
                e.name
            ));
        }
        Err(_) => return None,
    };
    for actual in actuals {
        for v in values {
            if let Err(err) = compare::compare(e.datatype, e.operation, actual, v) {
                return Some(format!("state entity {}: {err}", e.name));
            }
        }
    }
    None
}

fn entity_result(r: &ResolvedEntity, item: &Item) -> OvalResult {
    let e = &r.entity;
    if e.datatype == Datatype::Record {
        return record_result(r, item);
    }
    let values = match &r.values {
        Ok(v) => v,
        Err(res) => return *res,
    };
    let mut fields = item.values(&e.name).peekable();
    if fields.peek().is_none() {
        // The item does not have the entity at all: nothing can be said (oscap
        // decides unknown too).
        return OvalResult::Unknown;
    }
    let per_field = fields.map(|f| simple_result(e, values, f));
    logic::check(e.entity_check, per_field)
}

/// One item value against a simple entity: var_check over the entity's values.
fn simple_result(e: &Entity, values: &[String], actual: Option<&str>) -> OvalResult {
    match actual {
        None => OvalResult::False,
        Some(actual) => logic::check(
            e.var_check,
            values.iter().map(
                |v| match compare::compare(e.datatype, e.operation, actual, v) {
                    Ok(b) => OvalResult::from_bool(b),
                    Err(_) => OvalResult::Error,
                },
            ),
        ),
    }
}

/// A record state entity (OVAL 5.11.2 EntityStateRecordType) against the item's
/// records of that name: each record gives the AND of its field results, where a
/// field compares (with its own datatype, operation and var_check) against the
/// record's fields of the same name, combined by the field's entity_check, and a
/// field the record lacks is an error (EntityStateFieldType); the record entity's
/// entity_check then combines the records.
fn record_result(r: &ResolvedEntity, item: &Item) -> OvalResult {
    let e = &r.entity;
    let mut records = item.entities(&e.name).peekable();
    if records.peek().is_none() {
        return OvalResult::Unknown;
    }
    let per_record = records.map(|f| {
        let Some(record) = &f.record else {
            // An absent entity does not match; a simple value cannot be a record.
            return if f.value.is_none() {
                OvalResult::False
            } else {
                OvalResult::Error
            };
        };
        logic::combine(
            crate::content::oval::Operator::And,
            r.fields.iter().map(|sf| {
                let values = match &sf.values {
                    Ok(v) => v,
                    Err(res) => return *res,
                };
                let mut named = record
                    .iter()
                    .filter(|x| x.name == sf.entity.name)
                    .peekable();
                if named.peek().is_none() {
                    return OvalResult::Error;
                }
                logic::check(
                    sf.entity.entity_check,
                    named.map(|x| simple_result(&sf.entity, values, x.value.as_deref())),
                )
            }),
        )
    });
    logic::check(e.entity_check, per_record)
}

/// Evaluates the definitions of one OVAL document against a host.
pub struct Evaluator<'a> {
    /// The OVAL document being evaluated.
    pub defs: &'a OvalDefinitions,
    /// The probes, bound to the host and the scan's settings.
    collector: &'a dyn Collector,
    externals: HashMap<String, Vec<String>>,
    objects: Mutex<HashMap<String, Arc<ObjectOutcome>>>,
    variables: Mutex<HashMap<String, Arc<VarValues>>>,
    /// Why values of an external variable were refused, by variable id.
    notes: Mutex<HashMap<String, String>>,
    tests: Mutex<HashMap<String, Arc<TestOutcome>>>,
    definitions: Mutex<HashMap<String, Arc<DefinitionOutcome>>>,
    resolved_states: Mutex<HashMap<String, Arc<ResolvedState>>>,
    /// Told how many objects prefetch plans and collects.
    progress: Option<Arc<dyn crate::engine::ScanProgress>>,
}

/// The variables an object used, with their values.
type UsedVariables = Vec<(String, Vec<String>)>;

/// Objects waiting for one probe: (object id, query, variables used).
type ProbeBatch = Vec<(String, ObjectQuery, UsedVariables)>;

/// Chain of ids being resolved, to detect cycles.
type Stack<'s> = &'s mut Vec<String>;

impl<'a> Evaluator<'a> {
    /// An evaluator for `defs` that collects through `collector`; `externals` gives the
    /// values of external variables by OVAL id (XCCDF check-exports), a variable not there
    /// is `unknown`.
    pub fn new(
        defs: &'a OvalDefinitions,
        collector: &'a dyn Collector,
        externals: HashMap<String, Vec<String>>,
    ) -> Evaluator<'a> {
        Evaluator {
            defs,
            collector,
            externals,
            objects: Mutex::new(HashMap::new()),
            variables: Mutex::new(HashMap::new()),
            notes: Mutex::new(HashMap::new()),
            tests: Mutex::new(HashMap::new()),
            definitions: Mutex::new(HashMap::new()),
            resolved_states: Mutex::new(HashMap::new()),
            progress: None,
        }
    }

    /// Reports collection progress to `p`.
    pub fn with_progress(mut self, p: Option<Arc<dyn crate::engine::ScanProgress>>) -> Self {
        self.progress = p;
        self
    }

    /// The collected object, collecting it now if no batch did.
    pub fn object(&self, id: &str, stack: Stack<'_>) -> Arc<ObjectOutcome> {
        if let Some(o) = self.objects.lock().unwrap().get(id) {
            return o.clone();
        }
        let key = format!("object:{id}");
        if stack.contains(&key) {
            return Arc::new(ObjectOutcome::flagged(
                id,
                Flag::Error,
                format!("circular reference through object {id}"),
            ));
        }
        stack.push(key);
        let outcome = match self.defs.objects.get(id) {
            None => ObjectOutcome::flagged(id, Flag::Error, format!("object {id} is not defined")),
            Some(obj) => {
                let mut o = self.build_object(obj, stack);
                if obj.set.is_none() {
                    self.apply_filters(&obj.filters, &mut o, stack);
                }
                o
            }
        };
        stack.pop();
        let o = Arc::new(outcome);
        self.objects
            .lock()
            .unwrap()
            .entry(id.to_string())
            .or_insert(o)
            .clone()
    }

    /// Collects one object without filters (sets apply their own).
    fn build_object(&self, obj: &Object, stack: Stack<'_>) -> ObjectOutcome {
        if let Some(set) = &obj.set {
            let mut o = self.collect_set(set, stack);
            o.id = obj.id.clone();
            return o;
        }
        if obj.kind == "variable_object" && obj.family == Family::Independent {
            return self.collect_variable_object(obj, stack);
        }
        match self.query_for(obj, stack) {
            Err(o) => o,
            Ok((query, vars)) => match self.collector.probe_for(&obj.family, &obj.kind) {
                None => not_implemented(obj),
                Some(p) => {
                    let c = self.collect_one(p, &query);
                    let mut o = ObjectOutcome::from_collected(&obj.id, c);
                    o.variables = vars;
                    o
                }
            },
        }
    }

    /// Resolves an object's entities into a probe query.
    #[allow(clippy::result_large_err)]
    fn query_for(
        &self,
        obj: &Object,
        stack: Stack<'_>,
    ) -> Result<(ObjectQuery, UsedVariables), ObjectOutcome> {
        let mut entities = Vec::with_capacity(obj.entities.len());
        let mut vars = Vec::new();
        for e in &obj.entities {
            let (values, from_variable) = match &e.value {
                EntityValue::Literal(s) => (if e.nil { vec![] } else { vec![s.clone()] }, false),
                EntityValue::VarRef(v) => match &*self.variable(v, stack) {
                    Err(err) if err.unknown => {
                        // No value can be known, so the object matches nothing (oscap
                        // collects such an object as does not exist).
                        vars.push((v.clone(), Vec::new()));
                        let mut o = ObjectOutcome::flagged(
                            &obj.id,
                            Flag::DoesNotExist,
                            format!("entity {}: {err}", e.name),
                        );
                        o.variables = vars;
                        return Err(o);
                    }
                    Err(err) => {
                        return Err(ObjectOutcome::flagged(
                            &obj.id,
                            Flag::Error,
                            format!("entity {}: {err}", e.name),
                        ));
                    }
                    Ok(vals) if vals.is_empty() => {
                        vars.push((v.clone(), Vec::new()));
                        let mut o = ObjectOutcome::flagged(
                            &obj.id,
                            Flag::DoesNotExist,
                            format!("entity {}: variable {v} has no value", e.name),
                        );
                        o.variables = vars;
                        return Err(o);
                    }
                    Ok(vals) => {
                        vars.push((v.clone(), vals.clone()));
                        (vals.clone(), true)
                    }
                },
            };
            entities.push(QueryEntity {
                name: e.name.clone(),
                datatype: e.datatype,
                operation: e.operation,
                values,
                nil: e.nil,
                var_check: e.var_check,
                from_variable,
            });
        }
        Ok((
            ObjectQuery {
                object_id: obj.id.clone(),
                family: obj.family.clone(),
                kind: obj.kind.clone(),
                behaviors: obj.behaviors.clone(),
                entities,
                item_filter: self.pushdown_filter(&obj.filters, stack),
            },
            vars,
        ))
    }

    /// ind:variable_object: one item with the variable's id and its values.
    fn collect_variable_object(&self, obj: &Object, stack: Stack<'_>) -> ObjectOutcome {
        let Some(e) = obj.entity("var_ref") else {
            return ObjectOutcome::flagged(
                &obj.id,
                Flag::Error,
                "variable_object without var_ref".into(),
            );
        };
        let names: Vec<String> = match &e.value {
            EntityValue::Literal(s) => vec![s.clone()],
            EntityValue::VarRef(v) => match &*self.variable(v, stack) {
                Ok(vals) => vals.clone(),
                Err(m) => {
                    return ObjectOutcome::flagged(
                        &obj.id,
                        if m.unknown {
                            Flag::NotCollected
                        } else {
                            Flag::Error
                        },
                        m.message.clone(),
                    );
                }
            },
        };
        let mut items = Vec::new();
        let mut vars = Vec::new();
        let mut messages = Vec::new();
        for name in names {
            if !self.defs.variables.contains_key(&name) {
                continue;
            }
            match &*self.variable(&name, stack) {
                Err(m) if m.unknown => {
                    // The variable exists but its value cannot be known: the item
                    // exists without a value (as oscap collects it), so existence
                    // checks pass and state checks on `value` are unknown.
                    vars.push((name.clone(), Vec::new()));
                    items.push(Arc::new(Item::new().field("var_ref", name.clone())));
                }
                Err(m) => return ObjectOutcome::flagged(&obj.id, Flag::Error, m.message.clone()),
                // A variable that evaluated to no values has no item (oscap: the
                // object does not exist).
                Ok(values) if values.is_empty() => {
                    if let Some(note) = self.notes.lock().unwrap().get(&name) {
                        messages.push(note.clone());
                    }
                    vars.push((name.clone(), Vec::new()))
                }
                // A value computed from an object that does not exist (`count` gives
                // 0) carries that object's flag, as oscap aggregates component flags:
                // the variable_object does not exist either. The OVAL specification
                // leaves this open (OVAL-Community/OVAL#59).
                Ok(values) if self.rests_on_missing_object(&name, stack) => {
                    messages.push(format!(
                        "variable {name} is computed from an object that does not exist"
                    ));
                    vars.push((name.clone(), values.clone()));
                }
                Ok(values) => {
                    let mut item = Item::new().field("var_ref", name.clone());
                    for v in values {
                        item.push("value", v.clone());
                    }
                    vars.push((name.clone(), values.clone()));
                    items.push(Arc::new(item));
                }
            }
        }
        let flag = if items.is_empty() {
            Flag::DoesNotExist
        } else {
            Flag::Complete
        };
        ObjectOutcome {
            id: obj.id.clone(),
            flag,
            items,
            messages,
            variables: vars,
        }
    }

    /// Whether a local variable's values come, through any of its components, from an
    /// object collected as `does not exist`.
    fn rests_on_missing_object(&self, var: &str, stack: Stack<'_>) -> bool {
        let mut objects = HashSet::new();
        self.variable_object_deps(var, &mut objects, &mut HashSet::new());
        objects
            .iter()
            .any(|o| self.object(o, stack).flag == Flag::DoesNotExist)
    }

    fn apply_filters(&self, filters: &[Filter], o: &mut ObjectOutcome, stack: Stack<'_>) {
        if filters.is_empty() || !matches!(o.flag, Flag::Complete | Flag::Incomplete) {
            return;
        }
        for f in filters {
            let Some(state) = self.defs.states.get(&f.state_ref) else {
                o.flag = Flag::Error;
                o.messages
                    .push(format!("filter state {} is not defined", f.state_ref));
                return;
            };
            o.items.retain(|item| {
                if item.status != ItemStatus::Exists {
                    return true;
                }
                let matched = self.eval_state(state, item, stack) == OvalResult::True;
                match f.action {
                    FilterAction::Include => matched,
                    FilterAction::Exclude => !matched,
                }
            });
        }
        if o.items.is_empty() && o.flag == Flag::Complete {
            o.flag = Flag::DoesNotExist;
        }
    }

    /// OVAL 5.11 §4.3.6.2 sets: union, intersection and complement of the (filtered)
    /// items of up to two objects or nested sets.
    fn collect_set(&self, set: &ObjectSet, stack: Stack<'_>) -> ObjectOutcome {
        let mut parts: Vec<ObjectOutcome> = if !set.sets.is_empty() {
            set.sets
                .iter()
                .map(|s| self.collect_set(s, stack))
                .collect()
        } else {
            set.object_refs
                .iter()
                .map(|r| (*self.object(r, stack)).clone())
                .collect()
        };
        for p in &mut parts {
            self.apply_filters(&set.filters, p, stack);
        }
        let mut messages: Vec<String> = parts.iter().flat_map(|p| p.messages.clone()).collect();
        let variables = parts.iter().flat_map(|p| p.variables.clone()).collect();
        if let Some(p) = parts.iter().find(|p| p.flag == Flag::Error) {
            messages.insert(0, format!("set member {} is in error", p.id));
            return ObjectOutcome {
                id: String::new(),
                flag: Flag::Error,
                items: vec![],
                messages,
                variables,
            };
        }
        let flags: Vec<Flag> = parts.iter().map(|p| p.flag).collect();
        let (mut items, mut flag) = match set.operator {
            SetOperator::Union => {
                let mut seen = HashSet::new();
                let mut items = Vec::new();
                for p in &parts {
                    for i in &p.items {
                        if seen.insert(item_key(i)) {
                            items.push(i.clone());
                        }
                    }
                }
                let flag = if flags
                    .iter()
                    .all(|f| matches!(f, Flag::Complete | Flag::DoesNotExist))
                {
                    Flag::Complete
                } else if flags.iter().all(|f| *f == Flag::NotApplicable) {
                    Flag::NotApplicable
                } else if flags.contains(&Flag::NotCollected) && items.is_empty() {
                    Flag::NotCollected
                } else {
                    Flag::Incomplete
                };
                (items, flag)
            }
            SetOperator::Intersection => {
                let mut items: Vec<Arc<Item>> =
                    parts.first().map(|p| p.items.clone()).unwrap_or_default();
                for p in parts.iter().skip(1) {
                    let keys: HashSet<String> = p.items.iter().map(|i| item_key(i)).collect();
                    items.retain(|i| keys.contains(&item_key(i)));
                }
                let flag = if flags.contains(&Flag::DoesNotExist)
                    || flags.iter().all(|f| *f == Flag::Complete)
                {
                    Flag::Complete
                } else if flags.contains(&Flag::NotCollected) {
                    Flag::NotCollected
                } else {
                    Flag::Incomplete
                };
                (items, flag)
            }
            SetOperator::Complement => {
                let Some(first) = parts.first() else {
                    return ObjectOutcome::flagged("", Flag::Error, "empty set".into());
                };
                let mut items = first.items.clone();
                if let Some(second) = parts.get(1) {
                    let keys: HashSet<String> = second.items.iter().map(|i| item_key(i)).collect();
                    items.retain(|i| !keys.contains(&item_key(i)));
                }
                let second_flag = flags.get(1).copied().unwrap_or(Flag::Complete);
                let flag = match (first.flag, second_flag) {
                    (Flag::Complete | Flag::DoesNotExist, Flag::Complete | Flag::DoesNotExist) => {
                        Flag::Complete
                    }
                    (Flag::NotCollected, _) | (_, Flag::NotCollected) => Flag::NotCollected,
                    (Flag::NotApplicable, _) => Flag::NotApplicable,
                    _ => Flag::Incomplete,
                };
                (items, flag)
            }
        };
        if items.is_empty() && flag == Flag::Complete {
            flag = Flag::DoesNotExist;
        }
        items.shrink_to_fit();
        ObjectOutcome {
            id: String::new(),
            flag,
            items,
            messages,
            variables,
        }
    }

    // ----- variables ----------------------------------------------------------------

    /// Values of a variable (OVAL 5.11 §4.3.6.7), memoised.
    pub fn variable(&self, id: &str, stack: Stack<'_>) -> Arc<VarValues> {
        if let Some(v) = self.variables.lock().unwrap().get(id) {
            return v.clone();
        }
        let key = format!("variable:{id}");
        if stack.contains(&key) {
            return Arc::new(Err(
                format!("circular reference through variable {id}").into()
            ));
        }
        stack.push(key);
        let values = match self.defs.variables.get(id) {
            None => Err(format!("variable {id} is not defined").into()),
            Some(v) => match &v.kind {
                VariableKind::Constant(vals) => Ok(vals.clone()),
                VariableKind::External {
                    possible_values,
                    possible_restrictions,
                } => match self.externals.get(id) {
                    Some(vals) => external_values(v, vals, possible_values, possible_restrictions)
                        .map(|(kept, refused)| {
                            if let Some(note) = refused {
                                self.notes.lock().unwrap().insert(id.to_string(), note);
                            }
                            kept
                        }),
                    None => Err(VarError {
                        message: format!(
                            "external variable {id} was given no value (export it from an XCCDF Value, pass it with --var or in a --variables document)"
                        ),
                        unknown: true,
                    }),
                },
                VariableKind::Local(c) => self.component(c, v.datatype, stack),
            },
        };
        stack.pop();
        let v = Arc::new(values);
        self.variables
            .lock()
            .unwrap()
            .entry(id.to_string())
            .or_insert(v)
            .clone()
    }

    fn component(&self, c: &Component, datatype: Datatype, stack: Stack<'_>) -> VarValues {
        let many = |cs: &[Component], stack: Stack<'_>| -> Result<Vec<Vec<String>>, VarError> {
            cs.iter()
                .map(|c| self.component(c, datatype, stack))
                .collect()
        };
        Ok(match c {
            Component::Literal { value, .. } => vec![value.clone()],
            Component::Variable { var_ref } => (*self.variable(var_ref, stack)).clone()?,
            Component::Object {
                object_ref,
                item_field,
                record_field,
            } => {
                let o = self.object(object_ref, stack);
                match o.flag {
                    Flag::Error => {
                        return Err(format!(
                            "object {object_ref} is in error: {}",
                            o.messages.join("; ")
                        )
                        .into());
                    }
                    Flag::NotCollected => {
                        return Err(VarError {
                            message: format!(
                                "object {object_ref} was not collected: {}",
                                o.messages.join("; ")
                            ),
                            unknown: true,
                        });
                    }
                    _ => {}
                }
                if record_field.is_some() {
                    return Err(format!(
                        "object_component of {object_ref}: record fields are not supported"
                    )
                    .into());
                }
                o.items
                    .iter()
                    .filter(|i| i.status == ItemStatus::Exists)
                    .flat_map(|i| {
                        i.values(item_field)
                            .flatten()
                            .map(str::to_string)
                            .collect::<Vec<_>>()
                    })
                    .collect()
            }
            Component::Arithmetic {
                operation,
                components,
            } => functions::arithmetic(*operation, datatype, &many(components, stack)?)?,
            Component::Begin {
                character,
                component,
            } => functions::begin(character, self.component(component, datatype, stack)?),
            Component::End {
                character,
                component,
            } => functions::end(character, self.component(component, datatype, stack)?),
            Component::Concat(cs) => functions::concat(&many(cs, stack)?)?,
            Component::Count(cs) => {
                let n: usize = many(cs, stack)?.iter().map(Vec::len).sum();
                vec![n.to_string()]
            }
            Component::EscapeRegex(c) => self
                .component(c, datatype, stack)?
                .iter()
                .map(|v| functions::escape_regex(v))
                .collect(),
            Component::RegexCapture { pattern, component } => {
                functions::regex_capture(pattern, self.component(component, datatype, stack)?)?
            }
            Component::Split {
                delimiter,
                component,
            } => functions::split(delimiter, self.component(component, datatype, stack)?),
            Component::Substring {
                start,
                length,
                component,
            } => {
                functions::substring(*start, *length, self.component(component, datatype, stack)?)?
            }
            Component::TimeDifference {
                format_1,
                format_2,
                components,
            } => {
                let lists = many(components, stack)?;
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs() as i64)
                    .unwrap_or(0);
                functions::time_difference(*format_1, *format_2, &lists, now)?
            }
            Component::Unique(cs) => {
                functions::unique(many(cs, stack)?.into_iter().flatten().collect())
            }
            Component::GlobToRegex {
                glob_noescape,
                component,
            } => self
                .component(component, datatype, stack)?
                .iter()
                .map(|v| functions::glob_to_regex(v, *glob_noescape))
                .collect::<Result<Vec<_>, _>>()?,
        })
    }

    // ----- states and tests ---------------------------------------------------------

    /// An item against a state: every state entity is checked against the item's
    /// fields of that name, combined with the state's operator.
    pub fn eval_state(&self, state: &State, item: &Item, stack: Stack<'_>) -> OvalResult {
        self.resolve_state(state, stack).result(item)
    }

    /// A state with its variables resolved, memoised per state id.
    fn resolve_state(&self, state: &State, stack: Stack<'_>) -> Arc<ResolvedState> {
        if let Some(r) = self.resolved_states.lock().unwrap().get(&state.id) {
            return r.clone();
        }
        let entities = state
            .entities
            .iter()
            .map(|e| self.resolve_entity(e, stack))
            .collect();
        let r = Arc::new(ResolvedState {
            operator: state.operator,
            entities,
        });
        self.resolved_states
            .lock()
            .unwrap()
            .entry(state.id.clone())
            .or_insert(r)
            .clone()
    }

    /// A state entity with its variable (and its record fields' variables) resolved.
    fn resolve_entity(&self, e: &Entity, stack: Stack<'_>) -> ResolvedEntity {
        let values = match &e.value {
            EntityValue::Literal(s) => Ok(vec![s.clone()]),
            // A variable with no values, or whose values stand for an object that does
            // not exist (see `rests_on_missing_object`), gives the entity nothing to
            // compare with: error, as oscap decides.
            EntityValue::VarRef(v) => match &*self.variable(v, stack) {
                Ok(vals) if !vals.is_empty() && !self.rests_on_missing_object(v, stack) => {
                    Ok(vals.clone())
                }
                _ => Err(OvalResult::Error),
            },
        };
        ResolvedEntity {
            entity: e.clone(),
            values,
            fields: e
                .fields
                .iter()
                .map(|f| self.resolve_entity(f, stack))
                .collect(),
        }
    }

    /// The object's filters as a self-contained predicate for the probe.
    fn pushdown_filter(&self, filters: &[Filter], stack: Stack<'_>) -> Option<ItemFilter> {
        if filters.is_empty() {
            return None;
        }
        let mut resolved = Vec::new();
        // The state entities name every field the filters read.
        let mut fields: Vec<String> = Vec::new();
        for f in filters {
            let state = self.defs.states.get(&f.state_ref)?;
            for e in &state.entities {
                if !fields.contains(&e.name) {
                    fields.push(e.name.clone());
                }
            }
            resolved.push((f.action, self.resolve_state(state, stack)));
        }
        let predicate: ItemPredicate = Arc::new(move |item: &Item| {
            item.status != ItemStatus::Exists
                || resolved.iter().all(|(action, state)| {
                    let matched = state.result(item) == OvalResult::True;
                    match action {
                        FilterAction::Include => matched,
                        FilterAction::Exclude => !matched,
                    }
                })
        });
        Some(ItemFilter::with_fields(predicate, fields))
    }

    /// The result of test `id`, evaluating it (and collecting its object) on first use; an
    /// id not in the document gives `error`.
    pub fn test(&self, id: &str) -> Arc<TestOutcome> {
        if let Some(t) = self.tests.lock().unwrap().get(id) {
            return t.clone();
        }
        let outcome = match self.defs.tests.get(id) {
            None => TestOutcome {
                id: id.to_string(),
                result: OvalResult::Error,
                item_results: vec![],
                messages: vec![format!("test {id} is not defined")],
            },
            Some(t) => self.eval_test(t),
        };
        let t = Arc::new(outcome);
        self.tests
            .lock()
            .unwrap()
            .entry(id.to_string())
            .or_insert(t)
            .clone()
    }

    fn eval_test(&self, test: &Test) -> TestOutcome {
        let mut out = TestOutcome {
            id: test.id.clone(),
            result: OvalResult::Unknown,
            item_results: Vec::new(),
            messages: Vec::new(),
        };
        let Some(obj_ref) = &test.object_ref else {
            out.messages.push(format!(
                "{} has no object: its result is unknown",
                test.kind
            ));
            return out;
        };
        let mut stack = Vec::new();
        let obj = self.object(obj_ref, &mut stack);
        out.result = match obj.flag {
            Flag::Error => {
                out.messages.extend(obj.messages.iter().cloned());
                OvalResult::Error
            }
            Flag::NotCollected => {
                out.messages.extend(obj.messages.iter().cloned());
                OvalResult::Unknown
            }
            Flag::NotApplicable => {
                out.messages.extend(obj.messages.iter().cloned());
                OvalResult::NotApplicable
            }
            Flag::DoesNotExist => StatusTally::default().existence(test.check_existence),
            Flag::Complete | Flag::Incomplete => {
                self.eval_items(test, &obj, &mut out.item_results, &mut stack)
            }
        };
        if out.result == OvalResult::Error && out.messages.is_empty() {
            out.messages
                .push(self.explain_error(test, &obj, &mut stack));
        }
        out
    }

    /// A message for a test that is `error` because of its states, so the user sees
    /// which comparison failed rather than a bare `error`.
    fn explain_error(&self, test: &Test, obj: &ObjectOutcome, stack: Stack<'_>) -> String {
        for s in &test.state_refs {
            let Some(st) = self.defs.states.get(s) else {
                return format!("state {s} is not defined");
            };
            let resolved = self.resolve_state(st, stack);
            for item in obj.items.iter().filter(|i| i.status == ItemStatus::Exists) {
                if let Some(why) = resolved.error_reason(item) {
                    return format!("state {s}: {why}");
                }
            }
        }
        // The probe's reason for the first item it could not collect is the reason.
        if let Some(i) = obj.items.iter().find(|i| i.status == ItemStatus::Error) {
            return match &i.message {
                Some(why) => format!("an item of the object could not be collected: {why}"),
                None => "an item of the object could not be collected".into(),
            };
        }
        "the states could not be evaluated against the items".into()
    }

    fn eval_items(
        &self,
        test: &Test,
        obj: &ObjectOutcome,
        item_results: &mut Vec<OvalResult>,
        stack: Stack<'_>,
    ) -> OvalResult {
        let incomplete = obj.flag == Flag::Incomplete;
        let mut existence =
            StatusTally::of(obj.items.iter().map(|i| &i.status)).existence(test.check_existence);
        if incomplete
            && existence == OvalResult::True
            && matches!(
                test.check_existence,
                Existence::NoneExist | Existence::OnlyOneExists | Existence::AllExist
            )
        {
            existence = OvalResult::Unknown;
        }
        if existence != OvalResult::True {
            return existence;
        }
        if test.state_refs.is_empty() {
            return existence;
        }
        let mut states = Vec::with_capacity(test.state_refs.len());
        for s in &test.state_refs {
            match self.defs.states.get(s) {
                Some(st) => states.push(st),
                None => return OvalResult::Error,
            }
        }
        let mut considered = Vec::new();
        for item in &obj.items {
            let r = match item.status {
                ItemStatus::Exists => logic::combine(
                    test.state_operator,
                    states
                        .iter()
                        .map(|s| self.eval_state(s, item, stack))
                        .collect::<Vec<_>>(),
                ),
                ItemStatus::Error => OvalResult::Error,
                ItemStatus::NotCollected => OvalResult::Unknown,
                ItemStatus::DoesNotExist => OvalResult::NotApplicable,
            };
            item_results.push(r);
            if item.status != ItemStatus::DoesNotExist {
                considered.push(r);
            }
        }
        if considered.is_empty() {
            return existence;
        }
        let r = logic::check(test.check, considered);
        if incomplete
            && r == OvalResult::True
            && test.check != crate::content::oval::Check::AtLeastOne
        {
            OvalResult::Unknown
        } else {
            r
        }
    }

    // ----- definitions --------------------------------------------------------------

    /// The result of definition `id`, evaluating it on first use; an id not in the document
    /// gives `error`.
    pub fn definition(&self, id: &str) -> Arc<DefinitionOutcome> {
        let mut stack = Vec::new();
        self.definition_inner(id, &mut stack)
    }

    fn definition_inner(&self, id: &str, stack: Stack<'_>) -> Arc<DefinitionOutcome> {
        if let Some(d) = self.definitions.lock().unwrap().get(id) {
            return d.clone();
        }
        if stack.iter().any(|s| s == id) {
            return Arc::new(DefinitionOutcome {
                id: id.to_string(),
                result: OvalResult::Error,
                criteria: None,
                messages: vec![format!(
                    "circular extend_definition: {} -> {id}",
                    stack.join(" -> ")
                )],
            });
        }
        stack.push(id.to_string());
        let outcome = match self.defs.definitions.get(id) {
            None => DefinitionOutcome {
                id: id.to_string(),
                result: OvalResult::Error,
                criteria: None,
                messages: vec![format!("definition {id} is not defined")],
            },
            Some(def) => match &def.criteria {
                None => DefinitionOutcome {
                    id: id.to_string(),
                    result: OvalResult::NotEvaluated,
                    criteria: None,
                    messages: vec!["definition has no criteria".into()],
                },
                Some(c) => {
                    let mut messages = Vec::new();
                    let tree = self.eval_criteria(c, stack, &mut messages);
                    DefinitionOutcome {
                        id: id.to_string(),
                        result: tree.result(),
                        criteria: Some(tree),
                        messages,
                    }
                }
            },
        };
        stack.pop();
        let d = Arc::new(outcome);
        self.definitions
            .lock()
            .unwrap()
            .entry(id.to_string())
            .or_insert(d.clone());
        d
    }

    /// Evaluates a criteria tree; the messages of extended definitions that are
    /// neither true nor false are passed up, so the outer definition says why.
    fn eval_criteria(
        &self,
        c: &Criteria,
        stack: Stack<'_>,
        messages: &mut Vec<String>,
    ) -> CriteriaOutcome {
        let children: Vec<CriteriaOutcome> = c
            .children
            .iter()
            .map(|n| match n {
                CriteriaNode::Criteria(c) => self.eval_criteria(c, stack, messages),
                CriteriaNode::Criterion {
                    test_ref,
                    negate,
                    comment,
                    ..
                } => CriteriaOutcome::Criterion {
                    test_ref: test_ref.clone(),
                    negate: *negate,
                    result: self.test(test_ref).result.negate(*negate),
                    comment: comment.clone(),
                },
                CriteriaNode::ExtendDefinition {
                    definition_ref,
                    negate,
                    comment,
                    ..
                } => {
                    let d = self.definition_inner(definition_ref, stack);
                    if !matches!(d.result, OvalResult::True | OvalResult::False) {
                        for m in &d.messages {
                            if !messages.contains(m) {
                                messages.push(m.clone());
                            }
                        }
                    }
                    CriteriaOutcome::ExtendDefinition {
                        definition_ref: definition_ref.clone(),
                        negate: *negate,
                        result: d.result.negate(*negate),
                        comment: comment.clone(),
                    }
                }
            })
            .collect();
        let result =
            logic::combine(c.operator, children.iter().map(|c| c.result())).negate(c.negate);
        CriteriaOutcome::Criteria {
            operator: c.operator.to_string(),
            negate: c.negate,
            result,
            comment: c.comment.clone(),
            children,
        }
    }

    /// Ids of every definition evaluated so far.
    pub fn evaluated_definitions(&self) -> HashSet<String> {
        self.definitions.lock().unwrap().keys().cloned().collect()
    }

    /// Every object collected so far.
    pub fn collected_objects(&self) -> HashMap<String, Arc<ObjectOutcome>> {
        self.objects.lock().unwrap().clone()
    }

    /// Every test evaluated so far, by OVAL id.
    pub fn evaluated_tests(&self) -> HashMap<String, Arc<TestOutcome>> {
        self.tests.lock().unwrap().clone()
    }

    /// Every variable resolved so far, by OVAL id, with its values or why it has none.
    pub fn resolved_variables(&self) -> HashMap<String, Arc<VarValues>> {
        self.variables.lock().unwrap().clone()
    }
}

fn not_implemented(obj: &Object) -> ObjectOutcome {
    ObjectOutcome::flagged(
        &obj.id,
        Flag::NotCollected,
        format!(
            "vigil does not implement the {} {} probe",
            obj.family.name(),
            obj.kind
        ),
    )
}

fn item_key(i: &Item) -> String {
    let mut k = String::new();
    for f in &i.fields {
        k.push_str(&f.name);
        k.push('\u{1}');
        if let Some(v) = &f.value {
            k.push_str(v);
        }
        // A record's fields are part of the item's identity (two yaml matches differing
        // only in their value are two items).
        for r in f.record.as_deref().into_iter().flatten() {
            k.push('\u{3}');
            k.push_str(&r.name);
            k.push('\u{1}');
            if let Some(v) = &r.value {
                k.push_str(v);
            }
        }
        k.push('\u{2}');
    }
    k
}

/// The values an external variable takes from those supplied (XCCDF export, `--var`,
/// a variables document), with a note naming the values refused. Every value must be
/// valid for the variable's datatype (otherwise the variable is in error, as oscap
/// decides); when the variable lists `possible_value`s or `possible_restriction`s, a
/// value none of them allows is dropped, as oscap drops it (definitions schema,
/// external_variable: "the value assigned by an external source must match one of the
/// possible_value or possible_restriction elements specified").
fn external_values(
    var: &crate::content::oval::Variable,
    given: &[String],
    possible_values: &[String],
    possible_restrictions: &[crate::content::oval::Restriction],
) -> Result<(Vec<String>, Option<String>), VarError> {
    let dt = var.datatype;
    for v in given {
        if let Err(e) = compare::compare(dt, Operation::Equals, v, v) {
            // The comparison's error names the value and the datatype already.
            return Err(format!("external variable {}: {e}", var.id).into());
        }
    }
    if possible_values.is_empty() && possible_restrictions.is_empty() {
        return Ok((given.to_vec(), None));
    }
    let allowed = |v: &str| {
        possible_values
            .iter()
            .any(|p| compare::compare(dt, Operation::Equals, v, p).unwrap_or(false))
            || possible_restrictions.iter().any(|r| {
                let results = r.restrictions.iter().map(|(op, text)| {
                    match compare::compare(dt, *op, v, text) {
                        Ok(b) => OvalResult::from_bool(b),
                        Err(_) => OvalResult::Error,
                    }
                });
                logic::combine(r.operator, results) == OvalResult::True
            })
    };
    let (kept, refused): (Vec<String>, Vec<String>) =
        given.iter().cloned().partition(|v| allowed(v));
    let note = (!refused.is_empty()).then(|| {
        let list: Vec<String> = refused.iter().map(|v| format!("'{v}'")).collect();
        format!(
            "external variable {}: {} {} not allowed by its possible_value/possible_restriction elements, so dropped",
            var.id,
            list.join(", "),
            if refused.len() == 1 { "is" } else { "are" }
        )
    });
    Ok((kept, note))
}
