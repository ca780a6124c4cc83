//! XCCDF 1.2 evaluation (NISTIR 7275r4): profile resolution (extends, select,
//! set-value, refine-value, refine-rule, tailoring), rule selection (§7.2), Value
//! resolution and check-export to OVAL external variables (§6.4.4.4), CPE
//! applicability of rules, groups and the benchmark (§7.2.3.1, cpe-lang 2.0), check
//! results including multi-check, complex-check and negate (§6.4.4.4-5), and the
//! default scoring model (§7.3.2).
//!
//! This module is pure logic: it is handed OVAL definition results through the
//! [`OvalRunner`] trait and never reads the host itself.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::content::Content;
use crate::content::xccdf::{
    Benchmark, BoolOperator, Check, LogicalTest, Profile, RuleCheck, Severity, ns,
};
use crate::engine::oval::OvalResult;

/// XCCDF 1.2 result words (§6.6.5, Table 27).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum RuleOutcome {
    /// The target system satisfied the rule's check.
    Pass,
    /// The target system did not satisfy it.
    Fail,
    /// The checking engine could not complete the check (content or collection error).
    Error,
    /// The result could not be decided (e.g. an external value was never given).
    Unknown,
    /// The rule does not apply to this platform (its CPE platforms are not met).
    NotApplicable,
    /// Not checked: no supported check system, role `unchecked`, or a check that could not
    /// be run.
    NotChecked,
    /// The rule was not selected by the profile, tailoring or command line.
    NotSelected,
    /// The check gave information only, not a pass or fail (XCCDF Table 27); vigil's checks
    /// never give it.
    Informational,
    /// The rule failed and was fixed by remediation; vigil never remediates, so it does not
    /// write this.
    Fixed,
}

impl RuleOutcome {
    /// Every result word, in the order of XCCDF Table 27 (for summaries).
    pub const ALL: [RuleOutcome; 9] = [
        RuleOutcome::Pass,
        RuleOutcome::Fail,
        RuleOutcome::Error,
        RuleOutcome::Unknown,
        RuleOutcome::NotApplicable,
        RuleOutcome::NotChecked,
        RuleOutcome::NotSelected,
        RuleOutcome::Informational,
        RuleOutcome::Fixed,
    ];

    /// The XCCDF word for the result, e.g. `notapplicable`.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleOutcome::Pass => "pass",
            RuleOutcome::Fail => "fail",
            RuleOutcome::Error => "error",
            RuleOutcome::Unknown => "unknown",
            RuleOutcome::NotApplicable => "notapplicable",
            RuleOutcome::NotChecked => "notchecked",
            RuleOutcome::NotSelected => "notselected",
            RuleOutcome::Informational => "informational",
            RuleOutcome::Fixed => "fixed",
        }
    }

    /// Results that make the scan exit with status 2.
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            RuleOutcome::Fail | RuleOutcome::Error | RuleOutcome::Unknown
        )
    }

    /// Maps an OVAL definition result to an XCCDF result for a definition of `class`
    /// (XCCDF 1.2 §6.4.4.4 / SCAP 1.2 Table 8): for vulnerability and patch
    /// definitions `true` means the bad state is present.
    pub fn from_oval(r: OvalResult, class: &str) -> RuleOutcome {
        let inverted = matches!(class, "vulnerability" | "patch");
        match r {
            OvalResult::True if inverted => RuleOutcome::Fail,
            OvalResult::False if inverted => RuleOutcome::Pass,
            OvalResult::True => RuleOutcome::Pass,
            OvalResult::False => RuleOutcome::Fail,
            OvalResult::Error => RuleOutcome::Error,
            OvalResult::Unknown => RuleOutcome::Unknown,
            OvalResult::NotApplicable => RuleOutcome::NotApplicable,
            OvalResult::NotEvaluated => RuleOutcome::NotChecked,
        }
    }

    fn negate(self, negate: bool) -> RuleOutcome {
        match (negate, self) {
            (true, RuleOutcome::Pass) => RuleOutcome::Fail,
            (true, RuleOutcome::Fail) => RuleOutcome::Pass,
            (_, r) => r,
        }
    }
}

impl std::fmt::Display for RuleOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// XCCDF 1.2 §6.4.4.5 Table 13: AND and OR over check results.
pub fn combine_checks(op: BoolOperator, results: &[RuleOutcome]) -> RuleOutcome {
    use RuleOutcome::*;
    let has = |r: RuleOutcome| results.contains(&r);
    let decided: Vec<RuleOutcome> = results
        .iter()
        .copied()
        .filter(|r| !matches!(r, NotApplicable | NotChecked | NotSelected | Informational))
        .collect();
    if decided.is_empty() {
        return if has(NotChecked) {
            NotChecked
        } else {
            NotApplicable
        };
    }
    let dhas = |r: RuleOutcome| decided.contains(&r);
    match op {
        BoolOperator::And => {
            if dhas(Fail) {
                Fail
            } else if dhas(Error) {
                Error
            } else if dhas(Unknown) {
                Unknown
            } else {
                Pass
            }
        }
        BoolOperator::Or => {
            if dhas(Pass) || dhas(Fixed) {
                Pass
            } else if dhas(Error) {
                Error
            } else if dhas(Unknown) {
                Unknown
            } else {
                Fail
            }
        }
    }
}

/// What the XCCDF engine needs from OVAL: the result and class of a definition in the
/// document an href names, evaluated with the given external variable values.
pub trait OvalRunner {
    /// Result of `definition` in the document `href`, or an error message when the
    /// document or definition cannot be found.
    fn definition(&self, href: &str, definition: &str) -> Result<(OvalResult, String), String>;
    /// Every definition id in a document (for checks without a name).
    fn definition_ids(&self, href: &str) -> Result<Vec<String>, String>;
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
/// What the command line adds to the profile's selection: which profile, rules and values.
pub struct Selection {
    /// `None`: the benchmark's default selection. `Some("all")`: every rule.
    pub profile: Option<String>,
    /// `--rule`: when non-empty, only these rules run (ids or short names after `_rule_`).
    pub rules: Vec<String>,
    /// `--skip-rule`: rules removed from the selection (ids or short names).
    pub skip_rules: Vec<String>,
    /// `--var NAME=VALUE`, NAME a Value id or its short name.
    pub vars: Vec<(String, String)>,
    /// `--assume-platform CPE`: CPE names taken to apply to the host whatever their
    /// checks say (content for another release, evaluated on purpose).
    pub assumed_platforms: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
/// Why the selection the command line asks for cannot be made.
pub enum SelectionError {
    #[error("no profile '{0}' in the benchmark (see `vigil info` for the list)")]
    /// `--profile` names no benchmark or tailoring profile (id or short name).
    UnknownProfile(String),
    #[error("profile '{0}' extends '{1}', which does not exist")]
    /// A profile (first) extends one (second) that does not exist.
    UnknownParent(String, String),
    #[error("profile '{0}' extends itself (circular extends)")]
    /// A chain of `extends` loops back to the profile named.
    CircularProfile(String),
    #[error("no rule '{0}' in the benchmark")]
    /// `--rule` or `--skip-rule` names no rule.
    UnknownRule(String),
    #[error("no Value '{0}' in the benchmark")]
    /// `--var` names no XCCDF Value.
    UnknownValue(String),
    #[error("--var {name}={value}: Value {id} is a {kind}, and '{value}' is not one")]
    /// A `--var` value is not of its Value's type.
    BadValue {
        /// The Value as written on the command line.
        name: String,
        /// The value given.
        value: String,
        /// The Value's full id.
        id: String,
        /// The Value's type, `number` or `boolean`.
        kind: &'static str,
    },
    #[error("the content has no XCCDF benchmark: profiles, --rule and --var need one")]
    /// A selection option was given for OVAL-only content.
    NoBenchmark,
}

/// A profile after `extends`, with tailoring applied, ready to drive a scan.
#[derive(Debug, Clone, Default)]
pub struct ResolvedProfile {
    /// The profile's id; `None` for the benchmark's default selection.
    pub id: Option<String>,
    /// The profile's title; `None` for the default selection or an untitled profile.
    pub title: Option<String>,
    /// Every rule is selected (`--profile all`), whatever the items' `selected` attributes.
    pub all: bool,
    /// `select` results after `extends` (a child's select wins): item id to selected.
    pub selects: HashMap<String, bool>,
    /// `set-value`s after `extends`: Value id to the value given.
    pub set_values: HashMap<String, String>,
    /// `refine-value`s after `extends`: Value id to selector; a later set-value for the
    /// same Value replaces it.
    pub refine_values: HashMap<String, String>,
    /// `refine-rule`s after `extends`, by rule or group id.
    pub refine_rules: HashMap<String, crate::content::xccdf::RefineRule>,
}

fn find_profile<'a>(profiles: &[&'a Profile], wanted: &str) -> Option<&'a Profile> {
    profiles
        .iter()
        .find(|p| p.id == wanted)
        .or_else(|| {
            profiles
                .iter()
                .find(|p| p.id.rsplit_once("_profile_").map(|(_, s)| s) == Some(wanted))
        })
        .copied()
}

/// Resolves `--profile` against the benchmark and tailoring profiles.
pub fn resolve_profile(
    content: &Content,
    wanted: Option<&str>,
) -> Result<ResolvedProfile, SelectionError> {
    let Some(bench) = &content.benchmark else {
        return match wanted {
            None | Some("all") => Ok(ResolvedProfile {
                all: wanted.is_some(),
                ..Default::default()
            }),
            Some(p) => Err(SelectionError::UnknownProfile(p.to_string())),
        };
    };
    let wanted = match wanted {
        None => return Ok(ResolvedProfile::default()),
        Some("all") | Some("(all)") => {
            return Ok(ResolvedProfile {
                all: true,
                id: Some("(all)".into()),
                ..Default::default()
            });
        }
        Some(w) => w,
    };
    let mut all: Vec<&Profile> = Vec::new();
    if let Some(t) = &content.tailoring {
        all.extend(t.profiles.iter());
    }
    all.extend(bench.profiles.iter());
    let start =
        find_profile(&all, wanted).ok_or_else(|| SelectionError::UnknownProfile(wanted.into()))?;
    // Chain from the root ancestor down to the chosen profile.
    let mut chain = vec![start];
    let mut seen = HashSet::from([start.id.clone()]);
    while let Some(parent) = &chain.last().unwrap().extends {
        // A tailoring profile may extend the benchmark profile of the same id.
        let candidates: Vec<&Profile> = all
            .iter()
            .copied()
            .filter(|p| !std::ptr::eq(*p, *chain.last().unwrap()))
            .collect();
        let p = candidates
            .iter()
            .find(|p| &p.id == parent)
            .copied()
            .ok_or_else(|| {
                SelectionError::UnknownParent(chain.last().unwrap().id.clone(), parent.clone())
            })?;
        if !seen.insert(p.id.clone())
            && p.extends.is_some()
            && chain.iter().any(|c| std::ptr::eq(*c, p))
        {
            return Err(SelectionError::CircularProfile(p.id.clone()));
        }
        if chain.len() > 64 {
            return Err(SelectionError::CircularProfile(p.id.clone()));
        }
        chain.push(p);
    }
    let mut r = ResolvedProfile {
        id: Some(start.id.clone()),
        title: Some(start.title.clone()),
        ..Default::default()
    };
    for p in chain.iter().rev() {
        for (id, sel) in &p.selects {
            r.selects.insert(id.clone(), *sel);
        }
        for (id, v) in &p.set_values {
            r.set_values.insert(id.clone(), v.clone());
            r.refine_values.remove(id);
        }
        for (id, s) in &p.refine_values {
            r.refine_values.insert(id.clone(), s.clone());
            r.set_values.remove(id);
        }
        for rr in &p.refine_rules {
            r.refine_rules.insert(rr.idref.clone(), rr.clone());
        }
    }
    let _ = bench;
    Ok(r)
}

fn match_id<'a>(
    ids: impl Iterator<Item = &'a String>,
    wanted: &str,
    infix: &str,
) -> Option<&'a String> {
    let ids: Vec<&String> = ids.collect();
    ids.iter()
        .find(|i| i.as_str() == wanted)
        .or_else(|| {
            ids.iter()
                .find(|i| i.rsplit_once(infix).map(|(_, s)| s) == Some(wanted))
        })
        .copied()
}

/// The values of every XCCDF Value after profile and `--var`.
pub fn resolve_values(
    bench: &Benchmark,
    profile: &ResolvedProfile,
    vars: &[(String, String)],
) -> Result<HashMap<String, String>, SelectionError> {
    let mut out = HashMap::new();
    for (id, v) in &bench.values {
        let value = if let Some(s) = profile.set_values.get(id) {
            Some(s.clone())
        } else if let Some(sel) = profile.refine_values.get(id) {
            v.selected(sel)
                .or_else(|| v.default_value())
                .map(str::to_string)
        } else {
            v.default_value().map(str::to_string)
        };
        if let Some(value) = value {
            out.insert(id.clone(), value);
        }
    }
    for (name, value) in vars {
        let id = match_id(bench.values.keys(), name, "_value_")
            .ok_or_else(|| SelectionError::UnknownValue(name.clone()))?;
        if let Some(kind) = value_type_mismatch(bench.values[id].value_type, value) {
            return Err(SelectionError::BadValue {
                name: name.clone(),
                value: value.clone(),
                id: id.clone(),
                kind,
            });
        }
        out.insert(id.clone(), value.clone());
    }
    Ok(out)
}

/// The type a value given on the command line fails to be, if it fails: XCCDF 1.2
/// §6.4.2 types a Value `number` (xsd:decimal) or `boolean` (xsd:boolean); content
/// values are as the author wrote them, but a user's typo must not silently become a
/// threshold that matches nothing.
fn value_type_mismatch(t: crate::content::xccdf::ValueType, v: &str) -> Option<&'static str> {
    use crate::content::xccdf::ValueType;
    match t {
        ValueType::String => None,
        ValueType::Number => {
            let digits = v.strip_prefix(['+', '-']).unwrap_or(v);
            let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
            let ok = !(int.is_empty() && frac.is_empty())
                && int.bytes().all(|b| b.is_ascii_digit())
                && frac.bytes().all(|b| b.is_ascii_digit());
            (!ok).then_some("number")
        }
        ValueType::Boolean => (!matches!(v, "true" | "false" | "1" | "0")).then_some("boolean"),
    }
}

/// Which rules are selected (§7.2: a rule counts as selected only when it and every
/// enclosing group are selected).
pub fn selected_rules(
    bench: &Benchmark,
    profile: &ResolvedProfile,
    sel: &Selection,
) -> Result<HashSet<String>, SelectionError> {
    let is_selected = |id: &str, default: bool| -> bool {
        if profile.all {
            return true;
        }
        profile.selects.get(id).copied().unwrap_or(default)
    };
    let group_ok = |rule_parent: Option<&String>| -> bool {
        let mut parent = rule_parent.cloned();
        while let Some(g) = parent {
            let Some(group) = bench.groups.get(&g) else {
                return true;
            };
            if !is_selected(&group.id, group.selected) {
                return false;
            }
            parent = group.parent.clone();
        }
        true
    };
    let mut out: HashSet<String> = bench
        .rules
        .values()
        .filter(|r| is_selected(&r.id, r.selected) && group_ok(r.parent.as_ref()))
        .map(|r| r.id.clone())
        .collect();
    if !sel.rules.is_empty() {
        let mut only = HashSet::new();
        for w in &sel.rules {
            let id = match_id(bench.rules.keys(), w, "_rule_")
                .ok_or_else(|| SelectionError::UnknownRule(w.clone()))?;
            only.insert(id.clone());
        }
        out = only;
    }
    for w in &sel.skip_rules {
        let id = match_id(bench.rules.keys(), w, "_rule_")
            .ok_or_else(|| SelectionError::UnknownRule(w.clone()))?;
        out.remove(id);
    }
    // §6.4.4.3 requires / conflicts: a rule whose requirement is not selected, or that
    // conflicts with a selected item, is not processed (as oscap 1.3.7 does). Removing a
    // rule can break another's requirement, so repeat until nothing changes.
    let groups_selected: HashSet<&String> = bench
        .groups
        .values()
        .filter(|g| is_selected(&g.id, g.selected) && group_ok(g.parent.as_ref()))
        .map(|g| &g.id)
        .collect();
    loop {
        let chosen = |id: &String| out.contains(id) || groups_selected.contains(id);
        let dropped: Vec<String> = out
            .iter()
            .filter(|id| {
                let Some(r) = bench.rules.get(*id) else {
                    return false;
                };
                r.requires.iter().any(|alts| !alts.iter().any(&chosen))
                    || r.conflicts.iter().any(&chosen)
            })
            .cloned()
            .collect();
        if dropped.is_empty() {
            break;
        }
        for d in dropped {
            out.remove(&d);
        }
    }
    Ok(out)
}

/// The external-variable values the selected rules export to each OVAL document,
/// keyed by document href, then by OVAL variable id.
pub fn exported_variables(
    bench: &Benchmark,
    selected: &HashSet<String>,
    values: &HashMap<String, String>,
) -> HashMap<String, HashMap<String, Vec<String>>> {
    let mut out: HashMap<String, HashMap<String, Vec<String>>> = HashMap::new();
    fn visit(
        c: &RuleCheck,
        values: &HashMap<String, String>,
        out: &mut HashMap<String, HashMap<String, Vec<String>>>,
    ) {
        match c {
            RuleCheck::Complex(cc) => cc.children.iter().for_each(|c| visit(c, values, out)),
            RuleCheck::Check(ch) => {
                for r in &ch.content_refs {
                    let doc = out.entry(r.href.clone()).or_default();
                    for e in &ch.exports {
                        if let Some(v) = values.get(&e.value_id) {
                            doc.insert(e.export_name.clone(), vec![v.clone()]);
                        }
                    }
                }
            }
        }
    }
    for rule in bench.rules.values().filter(|r| selected.contains(&r.id)) {
        for c in &rule.checks {
            visit(c, values, &mut out);
        }
    }
    out
}

/// Applicability of platform idrefs (CPE names or `#platform-id`), memoised.
pub struct Applicability<'a> {
    content: &'a Content,
    runner: &'a dyn OvalRunner,
    assumed: &'a [String],
    cache: std::sync::Mutex<HashMap<String, bool>>,
}

impl<'a> Applicability<'a> {
    /// `assumed`: CPE names that apply without their checks (`--assume-platform`).
    pub fn new(content: &'a Content, runner: &'a dyn OvalRunner, assumed: &'a [String]) -> Self {
        Applicability {
            content,
            runner,
            assumed,
            cache: Default::default(),
        }
    }

    /// A list of platform idrefs applies when any of them does (an empty list applies).
    pub fn any(&self, idrefs: &[String]) -> bool {
        idrefs.is_empty() || idrefs.iter().any(|p| self.applies(p))
    }

    /// Whether platform `idref` applies: `#id` names a platform of the benchmark's platform
    /// specification, anything else a CPE name (checked through the CPE dictionary or taken
    /// from the assumed ones); memoised.
    pub fn applies(&self, idref: &str) -> bool {
        if let Some(b) = self.cache.lock().unwrap().get(idref) {
            return *b;
        }
        let r = if let Some(id) = idref.strip_prefix('#') {
            match self
                .content
                .benchmark
                .as_ref()
                .and_then(|b| b.platform_specification.get(id))
            {
                Some(p) => self.logical_test(&p.test),
                None => false,
            }
        } else {
            match self
                .content
                .benchmark
                .as_ref()
                .and_then(|b| b.platform_specification.get(idref))
            {
                Some(p) => self.logical_test(&p.test),
                None => self.cpe_name(idref),
            }
        };
        self.cache.lock().unwrap().insert(idref.to_string(), r);
        r
    }

    /// A CPE name applies when its dictionary entry's OVAL check is true. A name the
    /// dictionary does not know does not apply (as oscap decides).
    fn cpe_name(&self, name: &str) -> bool {
        if self.assumed.iter().any(|a| a == name) {
            return true;
        }
        let Some(item) = self
            .content
            .cpe_dictionary
            .as_ref()
            .and_then(|d| d.items.get(name))
        else {
            return false;
        };
        item.checks.iter().any(|(system, href, def)| {
            system == ns::OVAL_SYSTEM
                && matches!(self.runner.definition(href, def), Ok((OvalResult::True, _)))
        })
    }

    fn logical_test(&self, t: &LogicalTest) -> bool {
        let mut results: Vec<bool> = t.fact_refs.iter().map(|n| self.cpe_name(n)).collect();
        results.extend(t.check_fact_refs.iter().map(|(system, href, id)| {
            system == ns::OVAL_SYSTEM
                && matches!(self.runner.definition(href, id), Ok((OvalResult::True, _)))
        }));
        results.extend(t.tests.iter().map(|c| self.logical_test(c)));
        let r = match t.operator {
            BoolOperator::And => results.iter().all(|b| *b),
            BoolOperator::Or => results.iter().any(|b| *b),
        };
        r != t.negate
    }
}

/// The result of one check element, with the definitions that produced it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckOutcome {
    /// The XCCDF result of the check, its `negate` applied.
    pub result: RuleOutcome,
    /// `(href, definition id, OVAL result)` for every definition consulted.
    pub definitions: Vec<(String, String, OvalResult)>,
    /// Why the result is not pass or fail, in words.
    pub messages: Vec<String>,
}

fn supported_system(system: &str) -> bool {
    system == ns::OVAL_SYSTEM
}

/// Picks the check to run among alternatives (§6.4.4.4: the first whose system the
/// tool supports).
pub fn choose_check<'c>(checks: &'c [RuleCheck], selector: Option<&str>) -> Option<&'c RuleCheck> {
    let matching_selector = |c: &&RuleCheck| match c {
        RuleCheck::Check(ch) => ch.selector.as_deref().unwrap_or("") == selector.unwrap_or(""),
        RuleCheck::Complex(_) => true,
    };
    let candidates: Vec<&RuleCheck> = checks.iter().filter(matching_selector).collect();
    let candidates = if candidates.is_empty() {
        checks.iter().collect()
    } else {
        candidates
    };
    candidates
        .iter()
        .find(|c| match c {
            RuleCheck::Complex(_) => true,
            RuleCheck::Check(ch) => supported_system(&ch.system),
        })
        .or_else(|| candidates.first())
        .copied()
}

/// Evaluates a rule's check. Multi-check expands to one outcome per definition.
pub fn eval_rule_check(check: &RuleCheck, runner: &dyn OvalRunner) -> Vec<CheckOutcome> {
    match check {
        RuleCheck::Complex(cc) => {
            let parts: Vec<CheckOutcome> = cc
                .children
                .iter()
                .map(|c| merge(eval_rule_check(c, runner)))
                .collect();
            let results: Vec<RuleOutcome> = parts.iter().map(|p| p.result).collect();
            let result = combine_checks(cc.operator, &results).negate(cc.negate);
            vec![CheckOutcome {
                result,
                definitions: parts.iter().flat_map(|p| p.definitions.clone()).collect(),
                messages: parts.into_iter().flat_map(|p| p.messages).collect(),
            }]
        }
        RuleCheck::Check(ch) => eval_check(ch, runner),
    }
}

fn merge(parts: Vec<CheckOutcome>) -> CheckOutcome {
    let results: Vec<RuleOutcome> = parts.iter().map(|p| p.result).collect();
    CheckOutcome {
        result: combine_checks(BoolOperator::And, &results),
        definitions: parts.iter().flat_map(|p| p.definitions.clone()).collect(),
        messages: parts.into_iter().flat_map(|p| p.messages).collect(),
    }
}

fn eval_check(ch: &Check, runner: &dyn OvalRunner) -> Vec<CheckOutcome> {
    if !supported_system(&ch.system) {
        let what = match ch.system.as_str() {
            ns::OCIL_SYSTEM => "an OCIL questionnaire (answered by a person)",
            ns::SCE_SYSTEM => "an SCE script (vigil does not run scripts from content)",
            _ => "an unsupported check system",
        };
        return vec![CheckOutcome {
            result: RuleOutcome::NotChecked,
            definitions: vec![],
            messages: vec![format!("the check is {what}: {}", ch.system)],
        }];
    }
    if ch.content_refs.is_empty() {
        return vec![CheckOutcome {
            result: RuleOutcome::NotChecked,
            definitions: vec![],
            messages: vec![
                "the check has no check-content-ref (inline check content is not evaluated)".into(),
            ],
        }];
    }
    // §6.4.4.4: the content refs are alternatives; use the first that resolves.
    let mut last_err = String::new();
    for r in &ch.content_refs {
        let ids = match &r.name {
            Some(n) => vec![n.clone()],
            None => match runner.definition_ids(&r.href) {
                Ok(ids) => ids,
                Err(e) => {
                    last_err = e;
                    continue;
                }
            },
        };
        let mut outcomes = Vec::new();
        let mut failed = None;
        for id in &ids {
            match runner.definition(&r.href, id) {
                Ok((res, class)) => outcomes.push(CheckOutcome {
                    result: RuleOutcome::from_oval(res, &class).negate(ch.negate),
                    definitions: vec![(r.href.clone(), id.clone(), res)],
                    messages: vec![],
                }),
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        if let Some(e) = failed {
            last_err = e;
            continue;
        }
        if ch.multi_check && r.name.is_none() {
            return outcomes;
        }
        return vec![merge(outcomes)];
    }
    vec![CheckOutcome {
        result: RuleOutcome::Error,
        definitions: vec![],
        messages: vec![last_err],
    }]
}

/// Default scoring model (§7.3.2): pass scores 100, fail/error/unknown 0; results
/// that are not checked, not applicable, not selected or informational, and rules
/// with role unscored, do not count. Groups average their children by weight.
pub fn default_score(
    bench: &Benchmark,
    results: &HashMap<String, (RuleOutcome, f64, bool)>,
) -> f64 {
    fn node(
        bench: &Benchmark,
        id: &str,
        results: &HashMap<String, (RuleOutcome, f64, bool)>,
    ) -> Option<(f64, f64)> {
        if let Some((r, weight, scored)) = results.get(id) {
            if !*scored {
                return None;
            }
            return match r {
                RuleOutcome::Pass | RuleOutcome::Fixed => Some((100.0, *weight)),
                RuleOutcome::Fail | RuleOutcome::Error | RuleOutcome::Unknown => {
                    Some((0.0, *weight))
                }
                _ => None,
            };
        }
        let g = bench.groups.get(id)?;
        let (score, _) = average(bench, &g.children, results)?;
        Some((score, g.weight))
    }
    fn average(
        bench: &Benchmark,
        children: &[String],
        results: &HashMap<String, (RuleOutcome, f64, bool)>,
    ) -> Option<(f64, f64)> {
        let mut acc = 0.0;
        let mut wsum = 0.0;
        let mut count = 0;
        for c in children {
            if let Some((s, w)) = node(bench, c, results) {
                acc += s * w;
                wsum += w;
                count += 1;
            }
        }
        if count == 0 {
            return None;
        }
        Some((if wsum > 0.0 { acc / wsum } else { 0.0 }, wsum))
    }
    average(bench, &bench.children, results)
        .map(|(s, _)| s)
        .unwrap_or(0.0)
}

/// Counts results by word, in a stable order for reports.
pub fn count_results<'r>(
    results: impl Iterator<Item = &'r RuleOutcome>,
) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for r in results {
        *m.entry(r.as_str().to_string()).or_insert(0) += 1;
    }
    m
}

/// Severity ordering helper for summaries.
pub fn severity_rank(s: Severity) -> u8 {
    match s {
        Severity::High => 0,
        Severity::Medium => 1,
        Severity::Low => 2,
        Severity::Info => 3,
        Severity::Unknown => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::RuleOutcome::*;
    use super::*;

    #[test]
    fn oval_to_xccdf_by_class() {
        assert_eq!(RuleOutcome::from_oval(OvalResult::True, "compliance"), Pass);
        assert_eq!(
            RuleOutcome::from_oval(OvalResult::True, "vulnerability"),
            Fail
        );
        assert_eq!(RuleOutcome::from_oval(OvalResult::False, "patch"), Pass);
        assert_eq!(
            RuleOutcome::from_oval(OvalResult::NotEvaluated, "compliance"),
            NotChecked
        );
        assert_eq!(
            RuleOutcome::from_oval(OvalResult::NotApplicable, "compliance"),
            NotApplicable
        );
    }

    #[test]
    fn complex_check_tables() {
        assert_eq!(
            combine_checks(BoolOperator::And, &[Pass, Fail, Error]),
            Fail
        );
        assert_eq!(
            combine_checks(BoolOperator::And, &[Pass, Error, Unknown]),
            Error
        );
        assert_eq!(
            combine_checks(BoolOperator::And, &[Pass, NotApplicable]),
            Pass
        );
        assert_eq!(combine_checks(BoolOperator::Or, &[Fail, Pass, Error]), Pass);
        assert_eq!(combine_checks(BoolOperator::Or, &[Fail, Unknown]), Unknown);
        assert_eq!(combine_checks(BoolOperator::Or, &[NotChecked]), NotChecked);
        assert_eq!(
            combine_checks(BoolOperator::Or, &[NotApplicable]),
            NotApplicable
        );
    }
}

#[cfg(test)]
mod value_type_tests {
    use super::value_type_mismatch;
    use crate::content::xccdf::ValueType::*;

    #[test]
    fn command_line_values_follow_the_value_type() {
        for ok in ["5", "-3", "+2", "0.5", "10.", ".5"] {
            assert_eq!(value_type_mismatch(Number, ok), None, "{ok}");
        }
        for bad in ["abc", "", "1e5", "5 ", "0x10", "1.2.3", "-", "."] {
            assert_eq!(value_type_mismatch(Number, bad), Some("number"), "{bad:?}");
        }
        assert_eq!(value_type_mismatch(Boolean, "true"), None);
        assert_eq!(value_type_mismatch(Boolean, "yes"), Some("boolean"));
        assert_eq!(value_type_mismatch(String, "anything"), None);
    }
}
