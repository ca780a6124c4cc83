//! One scan from loaded content to the results document: select rules, export
//! values, decide applicability, collect every needed object in parallel, evaluate,
//! score. The steps follow XCCDF 1.2 §7.2 (the Benchmark processing model), one function
//! each, called in that order by [`run`]; a rule's fate after selection and
//! applicability is a `RulePlan`.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use crate::host::{Host, info};
use crate::probes::{Context, Registry};
use vigil_core::content::Content;
use vigil_core::content::oval::OvalDefinitions;
use vigil_core::content::oval::variables::OvalVariables;
use vigil_core::content::xccdf::{Benchmark, Role, Rule, RuleCheck};
use vigil_core::engine::oval::{Evaluator, OvalResult};
use vigil_core::engine::probe::{Collector, Limits};
use vigil_core::engine::xccdf::{
    self, Applicability, OvalRunner, ResolvedProfile, RuleOutcome, Selection, SelectionError,
};
use vigil_core::model::*;

/// Default for [`ScanSpec::max_file_size`]: 256 MiB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 256 * 1024 * 1024;

/// Default for [`ScanSpec::max_items_per_object`].
pub const DEFAULT_MAX_ITEMS: usize = 200;

/// What to evaluate and within which bounds: every setting of a scan but the content
/// file, the host and who watches. The command line fills it (its flag defaults are
/// these defaults); a remote scan sends it serialised to the host (`vigil scan
/// --spec FILE`), so the host evaluates exactly what a local scan would, without the
/// flags being spelled again.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScanSpec {
    /// Profile, rules, skipped rules, `--var`s and assumed platforms.
    pub selection: Selection,
    /// Data stream and checklist choice, tailoring file, content size bound.
    pub load: vigil_core::content::LoadOptions,
    /// `--policy`: the site key-management policy file.
    pub policy: Option<PathBuf>,
    /// `--variables`: an OVAL variables document giving external variables' values.
    pub variables: Option<PathBuf>,
    /// `--baseline`, `--baseline-key`: the integrity baseline kept on the scanning machine.
    pub baseline: crate::baseline::ScannerBaseline,
    /// `--max-file-size`: files larger than this are not read for content or hashes.
    pub max_file_size: u64,
    /// `--max-items`: most items kept per object in the results document.
    pub max_items_per_object: usize,
    /// `--object-timeout`, `--max-object-items`, `--max-object-bytes`.
    pub limits: Limits,
    /// `--regex-match-limit`, `--regex-depth-limit`: the PCRE2 limits every content
    /// pattern is compiled with (see [`vigil_core::values::pattern`]).
    pub regex_limits: vigil_core::values::pattern::RegexLimits,
    /// `--waivers`, `--waivers-strict`: the waiver file as read on the scanning machine
    /// (a remote host gets the waivers themselves, not the file).
    pub waivers: Option<crate::waivers::WaiverSet>,
}

impl Default for ScanSpec {
    fn default() -> ScanSpec {
        ScanSpec {
            selection: Selection::default(),
            load: Default::default(),
            policy: None,
            variables: None,
            baseline: Default::default(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            max_items_per_object: DEFAULT_MAX_ITEMS,
            limits: Limits::default(),
            regex_limits: Default::default(),
            waivers: None,
        }
    }
}

impl ScanSpec {
    /// The spec with its file names (tailoring, policy, variables) taken relative to `base`, as a
    /// spec read from a file names them relative to that file's directory.
    pub fn resolved_against(mut self, base: &Path) -> ScanSpec {
        for p in [
            &mut self.load.tailoring,
            &mut self.policy,
            &mut self.variables,
        ]
        .into_iter()
        .flatten()
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        self.baseline.resolve_against(base);
        self
    }
}

/// Everything a scan needs besides the content.
pub struct ScanConfig {
    /// The profile, rules and Values chosen on the command line (`--profile`, `--rule`,
    /// `--var`).
    pub selection: Selection,
    /// The host scanned, shared with the probes.
    pub host: Arc<Host>,
    /// Files larger than this many bytes are not read for content or hashes.
    pub max_file_size: u64,
    /// Time, item and byte bounds of each object's collection.
    pub limits: Limits,
    /// The PCRE2 limits every content pattern is compiled with.
    pub regex_limits: vigil_core::values::pattern::RegexLimits,
    /// Most items kept per object in the results document.
    pub max_items_per_object: usize,
    /// The command line that started the scan, recorded in the results; empty when not
    /// set.
    pub command_line: Vec<String>,
    /// The `--policy` file as given, recorded in the results; `None` without one.
    pub policy_path: Option<String>,
    /// The loaded site key-management policy, handed to the probes; its `[detection]`
    /// numbers set the matching XCCDF Values unless the profile or `--var` does.
    pub policy: Option<Arc<crate::policy::Policy>>,
    /// The `--variables` document: values of OVAL external variables (for OVAL content,
    /// `--var` overrides it; for XCCDF content, Values the checks export do).
    pub variables: Option<Arc<OvalVariables>>,
    /// `--baseline`, `--baseline-key`, handed to the `integrity_object` probe.
    pub baseline: crate::baseline::ScannerBaseline,
    /// Told the phases, object counts and each result as the scan goes (the binary
    /// shows a bar or `--progress` lines); `None`: nobody watches.
    pub progress: Option<Arc<dyn vigil_core::engine::ScanProgress>>,
    /// `--waivers`: the accepted risks applied to the rule results.
    pub waivers: Option<Arc<crate::waivers::WaiverSet>>,
}

impl ScanConfig {
    /// The default configuration for `host`.
    pub fn new(host: Host) -> ScanConfig {
        ScanConfig::from_spec(&ScanSpec::default(), host).expect("the default spec is valid")
    }

    /// The validated configuration of `spec` on `host`: the regex limits checked and
    /// the policy file loaded.
    pub fn from_spec(spec: &ScanSpec, host: Host) -> Result<ScanConfig, String> {
        spec.regex_limits.check()?;
        let policy = match &spec.policy {
            Some(p) => Some(Arc::new(
                crate::policy::Policy::load(p).map_err(|e| e.to_string())?,
            )),
            None => None,
        };
        let variables = match &spec.variables {
            Some(p) => Some(Arc::new(
                OvalVariables::load(p, spec.load.content_limit()).map_err(|e| e.to_string())?,
            )),
            None => None,
        };
        Ok(ScanConfig {
            selection: spec.selection.clone(),
            host: Arc::new(host),
            max_file_size: spec.max_file_size,
            limits: spec.limits,
            regex_limits: spec.regex_limits,
            max_items_per_object: spec.max_items_per_object,
            command_line: Vec::new(),
            policy_path: spec.policy.as_ref().map(|p| p.display().to_string()),
            policy,
            variables,
            baseline: spec.baseline.clone(),
            progress: None,
            waivers: spec.waivers.clone().map(Arc::new),
        })
    }
}

#[derive(Debug, thiserror::Error)]
/// Why a scan could not start.
pub enum ScanError {
    #[error(transparent)]
    /// The profile, rules or Values selected do not exist in the content.
    Selection(#[from] SelectionError),
    #[error(transparent)]
    /// The `--variables` document does not fit the content (a datatype differs).
    Variables(#[from] vigil_core::content::ContentError),
    #[error(transparent)]
    /// `--waivers-strict` refused a waiver.
    Waivers(#[from] crate::waivers::WaiverError),
    #[error(
        "--waivers: the content has no XCCDF rules to waive (OVAL definitions cannot be waived)"
    )]
    /// Waivers were given for OVAL content.
    WaiversWithoutRules,
}

/// Evaluators for every OVAL document of the content.
struct Runner<'a> {
    evaluators: HashMap<String, Evaluator<'a>>,
    docs: &'a indexmap::IndexMap<String, Arc<OvalDefinitions>>,
    unresolved: &'a indexmap::IndexMap<String, String>,
}

impl<'a> Runner<'a> {
    /// One evaluator per OVAL document, collecting through `collector`, each with the
    /// values exported to it.
    fn new(
        content: &'a Content,
        collector: &'a dyn Collector,
        mut exports: HashMap<String, HashMap<String, Vec<String>>>,
        config: &ScanConfig,
    ) -> Runner<'a> {
        let evaluators = content
            .oval
            .iter()
            .map(|(href, doc)| {
                (
                    href.clone(),
                    Evaluator::new(doc, collector, exports.remove(href).unwrap_or_default())
                        .with_progress(config.progress.clone()),
                )
            })
            .collect();
        Runner {
            evaluators,
            docs: &content.oval,
            unresolved: &content.unresolved,
        }
    }

    /// Collects, in parallel, the objects of `definitions` of each document.
    fn prefetch<'d>(&self, href: &str, definitions: impl IntoIterator<Item = &'d str>) {
        if let Some(ev) = self.evaluators.get(href) {
            ev.prefetch(definitions);
        }
    }
}

impl OvalRunner for Runner<'_> {
    fn definition(&self, href: &str, definition: &str) -> Result<(OvalResult, String), String> {
        let Some(ev) = self.evaluators.get(href) else {
            return Err(match self.unresolved.get(href) {
                Some(m) => format!("check content '{href}' is not available: {m}"),
                None => format!("check content '{href}' is not part of the content"),
            });
        };
        let Some(def) = ev.defs.definitions.get(definition) else {
            return Err(format!("definition {definition} is not in '{href}'"));
        };
        Ok((ev.definition(definition).result, def.class.clone()))
    }

    fn definition_ids(&self, href: &str) -> Result<Vec<String>, String> {
        self.docs
            .get(href)
            .map(|d| d.definitions.keys().cloned().collect())
            .ok_or_else(|| format!("check content '{href}' is not part of the content"))
    }
}

fn progress(p: &Option<Arc<dyn vigil_core::engine::ScanProgress>>, phase: &str) {
    if let Some(p) = p {
        p.phase(phase);
    }
}

/// What the scan does with one rule of the benchmark: the outcome of XCCDF 1.2 §7.2.3's
/// selection and applicability steps, decided for every rule before any object is
/// collected, so that only the rules evaluated have their objects collected.
#[derive(Debug, Clone, PartialEq)]
enum RulePlan {
    /// Not selected (profile, `--rule`, `--skip-rule`): reported `notselected`, and not
    /// among the results the watcher is told to expect.
    NotSelected,
    /// Selected, but the benchmark's, a group's or the rule's platform does not apply to
    /// the host (§7.2.3.1.1): `notapplicable`, with this reason.
    NotApplicable(String),
    /// Selected and applicable: the rule's check is evaluated.
    Evaluate,
    /// Selected and applicable, but an active waiver with `run = false` covers it: not
    /// evaluated (`notchecked`), with this reason.
    Waived(String),
}

/// The rules of the benchmark, in document order, each with its plan.
type Plan<'c> = Vec<(&'c Rule, RulePlan)>;

/// For each rule, its result, weight and whether it counts in full (role `full`): what
/// the scoring models read (§7.3).
type ScoreInput = HashMap<String, (RuleOutcome, f64, bool)>;

/// Runs a scan of `content` on the configured host, in the order of XCCDF 1.2 §7.2's
/// processing model: select the rules and resolve the values (`select`), export the
/// values the checks take (`export_values`), decide each rule's applicability
/// (`plan_rules`), collect the objects of the rules evaluated (`collect`), evaluate
/// them (`evaluate_rules`), then score and build the results document
/// (`build_document`). OVAL content, which has no rules, has every definition
/// evaluated (`evaluate_oval`).
pub fn run(
    content: &Content,
    config: &ScanConfig,
    registry: &Registry,
) -> Result<ScanResults, ScanError> {
    let started = SystemTime::now();
    let clock = Instant::now();
    let mut ctx = Context::new(config.host.clone());
    ctx.max_file_size = config.max_file_size;
    ctx.limits = config.limits;
    ctx.policy = config.policy.clone();
    ctx.baseline = config.baseline.clone();
    vigil_core::values::pattern::set_limits(config.regex_limits);

    let profile = xccdf::resolve_profile(content, config.selection.profile.as_deref())?;
    let (selected, values) = select(content, config, &profile)?;
    if let Some(v) = &config.variables {
        v.check_against(content.oval.values().map(|d| &**d))?;
    }
    let waivers = applied_waivers(content, config, &selected, started)?;
    let exports = export_values(content, config, &selected, &values);
    let collector = registry.bind(&ctx);
    let runner = Runner::new(content, &collector, exports, config);

    let (rules, score_input) = match &content.benchmark {
        Some(bench) => {
            let plan = plan_rules(content, bench, config, &runner, &selected, waivers.as_ref());
            collect(&plan, &profile, &runner, config);
            evaluate_rules(bench, plan, &profile, &runner, config, waivers.as_ref())
        }
        None => {
            evaluate_oval(&runner, config);
            (Vec::new(), ScoreInput::new())
        }
    };

    let _t = vigil_core::trace::span(|| "build results document".into());
    let results = build_document(
        content,
        config,
        &profile,
        &runner,
        rules,
        &score_input,
        waivers.as_ref(),
        started,
        clock,
    );
    Ok(results)
}

/// The scan's waivers for this host and day, checked (`--waivers-strict`) before any
/// object is collected. The day is the scan's start, UTC.
fn applied_waivers<'w>(
    content: &Content,
    config: &'w ScanConfig,
    selected: &HashSet<String>,
    started: SystemTime,
) -> Result<Option<crate::waivers::Applied<'w>>, ScanError> {
    let Some(set) = config.waivers.as_deref() else {
        return Ok(None);
    };
    if content.benchmark.is_none() && !set.waivers.is_empty() {
        return Err(ScanError::WaiversWithoutRules);
    }
    let today = chrono::DateTime::<chrono::Utc>::from(started)
        .format("%Y-%m-%d")
        .to_string();
    let hostname = info::host_info(&config.host).hostname;
    let unmatched = set.unmatched(selected.iter().map(String::as_str), &hostname);
    set.check_strict(&unmatched, &today)?;
    Ok(Some(crate::waivers::Applied {
        set,
        hostname,
        today,
        unmatched,
    }))
}

/// §7.2.2-7.2.3 selection: the ids of the rules the profile and the command line select,
/// and every Value's value. The site policy's `[detection]` numbers set the matching
/// Values unless the profile or `--var` chose them. OVAL content has no rules to select,
/// so `--rule` and `--skip-rule` are refused for it.
fn select(
    content: &Content,
    config: &ScanConfig,
    profile: &ResolvedProfile,
) -> Result<(HashSet<String>, HashMap<String, String>), ScanError> {
    let Some(b) = &content.benchmark else {
        if !config.selection.rules.is_empty() || !config.selection.skip_rules.is_empty() {
            return Err(SelectionError::NoBenchmark.into());
        }
        return Ok((HashSet::new(), HashMap::new()));
    };
    let selected = xccdf::selected_rules(b, profile, &config.selection)?;
    let mut values = xccdf::resolve_values(b, profile, &config.selection.vars)?;
    if let Some(pol) = &config.policy {
        for (id, v) in pol.xccdf_values() {
            let short = id.rsplit("_value_").next().unwrap_or(id);
            let chosen = profile.set_values.contains_key(id)
                || profile.refine_values.contains_key(id)
                || config
                    .selection
                    .vars
                    .iter()
                    .any(|(k, _)| k == id || k == short);
            if b.values.contains_key(id) && !chosen {
                values.insert(id.to_string(), v);
            }
        }
    }
    Ok((selected, values))
}

/// §7.2.3.3 check-export: per OVAL document, the external variables the selected rules'
/// checks give their Values. For OVAL content `--var` gives external variables directly
/// by OVAL id, to every document. A `--variables` document gives the rest: for OVAL
/// content every variable `--var` does not set, for XCCDF content every one the checks
/// do not export (as `oscap oval eval --variables`; oscap's `xccdf eval` has no such
/// option).
fn export_values(
    content: &Content,
    config: &ScanConfig,
    selected: &HashSet<String>,
    values: &HashMap<String, String>,
) -> HashMap<String, HashMap<String, Vec<String>>> {
    let mut exports: HashMap<String, HashMap<String, Vec<String>>> = match &content.benchmark {
        Some(b) => xccdf::exported_variables(b, selected, values),
        None => {
            let mut exports: HashMap<String, HashMap<String, Vec<String>>> = HashMap::new();
            for (href, _) in &content.oval {
                let doc = exports.entry(href.clone()).or_default();
                for (k, v) in &config.selection.vars {
                    doc.entry(k.clone()).or_default().push(v.clone());
                }
            }
            exports
        }
    };
    if let Some(file) = &config.variables {
        for (href, defs) in &content.oval {
            let doc = exports.entry(href.clone()).or_default();
            for v in &file.variables {
                if defs.variables.contains_key(&v.id) && !doc.contains_key(&v.id) {
                    doc.insert(v.id.clone(), v.values.clone());
                }
            }
        }
    }
    exports
}

/// §7.2.3.1 applicability: every rule's [`RulePlan`]. The CPE platform checks are
/// collected first, all at once; a benchmark whose own platforms do not apply makes
/// every selected rule not applicable with one reason that names the host's system.
fn plan_rules<'c>(
    content: &Content,
    bench: &'c Benchmark,
    config: &ScanConfig,
    runner: &Runner<'_>,
    selected: &HashSet<String>,
    waivers: Option<&crate::waivers::Applied<'_>>,
) -> Plan<'c> {
    let applicability = Applicability::new(content, runner, &config.selection.assumed_platforms);
    if let Some(dict) = &content.cpe_dictionary {
        progress(&config.progress, "checking platform applicability");
        let mut by_doc: HashMap<&str, Vec<&str>> = HashMap::new();
        for item in dict.items.values() {
            for (_, href, def) in &item.checks {
                by_doc.entry(href.as_str()).or_default().push(def.as_str());
            }
        }
        for (href, defs) in by_doc {
            runner.prefetch(href, defs);
        }
    }
    // Why no rule applies, if the benchmark does not (said once: it reads the host's
    // os-release).
    let bench_reason = (!applicability.any(&bench.platforms))
        .then(|| benchmark_platform_reason(bench, &config.host));
    bench
        .rules
        .values()
        .map(|rule| {
            let plan = if !selected.contains(&rule.id) {
                RulePlan::NotSelected
            } else if let Some(r) = &bench_reason {
                RulePlan::NotApplicable(r.clone())
            } else if let Some(p) = inapplicable_platform(bench, rule, &applicability) {
                RulePlan::NotApplicable(format!("platform {p} does not apply to this host"))
            } else if let Some(w) = waivers.and_then(|a| {
                a.find(&rule.id)
                    .filter(|w| !w.run && !w.is_expired(&a.today))
            }) {
                RulePlan::Waived(format!(
                    "not evaluated: waived with run = false ({})",
                    w.source
                ))
            } else {
                RulePlan::Evaluate
            };
            (rule, plan)
        })
        .collect()
}

/// The check §7.2.3.2 has a rule use: the one its profile's `refine-rule` selector
/// names, else the default.
fn chosen_check<'c>(rule: &'c Rule, profile: &ResolvedProfile) -> Option<&'c RuleCheck> {
    let selector = profile
        .refine_rules
        .get(&rule.id)
        .and_then(|r| r.selector.as_deref());
    xccdf::choose_check(&rule.checks, selector)
}

/// Collects, in parallel and before any rule is evaluated, the objects of every
/// definition the evaluated rules' checks name (OVAL 5.11 §4.4, system
/// characteristics); evaluation then only reads them.
fn collect(plan: &Plan<'_>, profile: &ResolvedProfile, runner: &Runner<'_>, config: &ScanConfig) {
    let mut needed: HashMap<String, Vec<String>> = HashMap::new();
    for (rule, _) in plan.iter().filter(|(_, p)| *p == RulePlan::Evaluate) {
        if let Some(check) = chosen_check(rule, profile) {
            collect_definition_refs(check, runner, &mut needed);
        }
    }
    progress(
        &config.progress,
        &format!(
            "collecting objects for {} definitions",
            needed.values().map(Vec::len).sum::<usize>()
        ),
    );
    for (href, defs) in &needed {
        runner.prefetch(href, defs.iter().map(String::as_str));
    }
}

/// One result of a rule: a rule with a multi-check gives one per definition (§7.2.3.2),
/// with what it examined when a check was evaluated.
type Outcome = (
    RuleOutcome,
    Vec<String>,
    Vec<CheckedDefinition>,
    Option<Examined>,
);

/// §7.2.3.2 rule processing: every rule's result(s), in document order, and the scoring
/// input; the watcher is told each result of a selected rule.
fn evaluate_rules(
    bench: &Benchmark,
    plan: Plan<'_>,
    profile: &ResolvedProfile,
    runner: &Runner<'_>,
    config: &ScanConfig,
    waivers: Option<&crate::waivers::Applied<'_>>,
) -> (Vec<RuleResult>, ScoreInput) {
    progress(&config.progress, "evaluating rules");
    if let Some(p) = &config.progress {
        p.results_planned(
            plan.iter()
                .filter(|(_, r)| *r != RulePlan::NotSelected)
                .count(),
        );
    }
    let _t = vigil_core::trace::span(|| "evaluate rules".into());
    let mut rules = Vec::new();
    let mut score_input = ScoreInput::new();
    for (rule, plan) in plan {
        let refine = profile.refine_rules.get(&rule.id);
        let severity = refine.and_then(|r| r.severity).unwrap_or(rule.severity);
        let weight = refine.and_then(|r| r.weight).unwrap_or(rule.weight);
        let role = refine.and_then(|r| r.role).unwrap_or(rule.role);
        let skipped = matches!(plan, RulePlan::Waived(_));
        let outcomes: Vec<Outcome> = match plan {
            RulePlan::NotSelected => vec![(RuleOutcome::NotSelected, vec![], vec![], None)],
            RulePlan::NotApplicable(r) => {
                vec![(RuleOutcome::NotApplicable, vec![r], vec![], None)]
            }
            RulePlan::Waived(r) => vec![(RuleOutcome::NotChecked, vec![r], vec![], None)],
            RulePlan::Evaluate if role == Role::Unchecked => vec![(
                RuleOutcome::NotChecked,
                vec!["the rule's role is unchecked".into()],
                vec![],
                None,
            )],
            RulePlan::Evaluate => match chosen_check(rule, profile) {
                None => vec![(
                    RuleOutcome::NotChecked,
                    vec!["the rule has no check".into()],
                    vec![],
                    None,
                )],
                Some(check) => evaluate_check(check, runner),
            },
        };
        if let Some(p) = &config.progress
            && !matches!(outcomes.first(), Some((RuleOutcome::NotSelected, ..)))
        {
            for (result, ..) in &outcomes {
                p.result(&rule.id, result.as_str());
            }
        }
        // A waiver is recorded where it decides something: on a failure, error or
        // unknown (accepted, or counting again once expired), and on a rule it kept
        // from being evaluated. A rule that passes or does not apply needs none.
        let waiver = waivers.and_then(|a| Some(a.find(&rule.id)?.applied(&a.today)));
        for (result, mut messages, checks, examined) in outcomes {
            let waiver = waiver.clone().filter(|_| skipped || result.is_failure());
            if let Some(w) = waiver.as_ref().filter(|w| w.expired) {
                messages.push(format!(
                    "waiver expired on {} ({}): {}",
                    w.expires.as_deref().unwrap_or_default(),
                    w.source,
                    w.justification
                ));
            }
            score_input.insert(rule.id.clone(), (result, weight, role == Role::Full));
            rules.push(RuleResult {
                id: rule.id.clone(),
                title: rule.title.clone(),
                severity,
                result,
                weight,
                references: rule.references.clone(),
                idents: rule.idents.clone(),
                groups: group_chain(bench, rule.parent.as_ref()),
                description: rule.description.clone(),
                rationale: rule.rationale.clone(),
                fixtext: rule.fixtext.clone(),
                checks,
                messages,
                examined,
                waiver,
            });
        }
    }
    (rules, score_input)
}

/// The results of one rule's check, each with the definitions it read and, when it did
/// not pass, why ([`explain`]).
fn evaluate_check(check: &RuleCheck, runner: &Runner<'_>) -> Vec<Outcome> {
    xccdf::eval_rule_check(check, runner)
        .into_iter()
        .map(|o| {
            let checks = o
                .definitions
                .iter()
                .map(|(href, id, r)| CheckedDefinition {
                    href: href.clone(),
                    id: id.clone(),
                    result: *r,
                })
                .collect();
            let mut messages = o.messages;
            if o.result != RuleOutcome::Pass {
                explain(runner, o.result, &o.definitions, &mut messages);
            }
            let examined = examined(runner, &o.definitions);
            (o.result, messages, checks, examined)
        })
        .collect()
}

/// OVAL content: every definition of every document is collected and evaluated (as
/// `oscap oval eval` does); the results document lists them, there are no rules.
fn evaluate_oval(runner: &Runner<'_>, config: &ScanConfig) {
    for ev in runner.evaluators.values() {
        progress(
            &config.progress,
            &format!(
                "collecting objects for {} definitions",
                ev.defs.definitions.len()
            ),
        );
        ev.prefetch(ev.defs.definitions.keys().map(String::as_str));
        let _t = vigil_core::trace::span(|| "evaluate definitions".into());
        if let Some(p) = &config.progress {
            p.results_planned(ev.defs.definitions.len());
        }
        for id in ev.defs.definitions.keys() {
            let d = ev.definition(id);
            if let Some(p) = &config.progress {
                p.result(id, d.result.as_str());
            }
        }
    }
}

/// Why no rule of a benchmark applies: its platforms and the host's system, so that a
/// user scanning Debian 12 with the Debian 11 guide sees the mismatch, not a bare
/// "not applicable" per rule.
pub fn benchmark_platform_reason(bench: &Benchmark, host: &crate::host::Host) -> String {
    let h = info::host_info(host);
    let system = match (h.os_name.as_deref(), h.os_version.as_deref()) {
        (Some(n), Some(v)) => format!("{n} {v}"),
        (Some(n), None) => n.to_string(),
        _ => "an unidentified system".to_string(),
    };
    format!(
        "{BENCHMARK_PLATFORM} ({}) does not apply to this host ({system})",
        bench.platforms.join(", ")
    )
}

const BENCHMARK_PLATFORM: &str = "the benchmark's platform";

/// For a reason [`benchmark_platform_reason`] wrote, the benchmark's first platform
/// (what `--assume-platform` takes), so the summary can name the way out; `None` for
/// any other reason.
pub fn benchmark_platform_of(reason: &str) -> Option<&str> {
    let rest = reason
        .strip_prefix(BENCHMARK_PLATFORM)?
        .strip_prefix(" (")?;
    let (platforms, _) = rest.split_once(") does not apply")?;
    platforms.split(", ").next()
}

/// The first platform (own or inherited) that does not apply, if any.
fn inapplicable_platform(
    bench: &Benchmark,
    rule: &Rule,
    app: &Applicability<'_>,
) -> Option<String> {
    if !app.any(&rule.platforms) {
        return rule.platforms.first().cloned();
    }
    let mut parent = rule.parent.clone();
    while let Some(g) = parent {
        let group = bench.groups.get(&g)?;
        if !app.any(&group.platforms) {
            return group.platforms.first().cloned();
        }
        parent = group.parent.clone();
    }
    None
}

fn group_chain(bench: &Benchmark, parent: Option<&String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut p = parent.cloned();
    while let Some(g) = p {
        p = bench.groups.get(&g).and_then(|x| x.parent.clone());
        out.push(g);
    }
    out.reverse();
    out
}

fn collect_definition_refs(
    check: &RuleCheck,
    runner: &Runner<'_>,
    out: &mut HashMap<String, Vec<String>>,
) {
    match check {
        RuleCheck::Complex(c) => {
            for ch in &c.children {
                collect_definition_refs(ch, runner, out);
            }
        }
        RuleCheck::Check(c) => {
            for r in &c.content_refs {
                let ids = match &r.name {
                    Some(n) => vec![n.clone()],
                    None => runner.definition_ids(&r.href).unwrap_or_default(),
                };
                out.entry(r.href.clone()).or_default().extend(ids);
            }
        }
    }
}

/// What the definitions of one rule result examined; `None` when none was evaluated
/// (an unknown check system, a missing document).
fn examined(runner: &Runner<'_>, definitions: &[(String, String, OvalResult)]) -> Option<Examined> {
    let mut evaluated = false;
    let mut tally = vigil_core::engine::oval::eval::ExaminedTally::default();
    for (href, id, _) in definitions {
        if let Some(ev) = runner.evaluators.get(href) {
            evaluated = true;
            ev.examined_into(id, &mut tally);
        }
    }
    evaluated.then(|| tally.finish())
}

/// Says why a rule did not pass: why each definition that gave the rule its result
/// has its own (see [`Evaluator::explain`]), at most [`MAX_LINES`] lines in all, after
/// the messages the check already had. Runs only for rules that did not pass, so a
/// passing scan does no extra work.
///
/// [`Evaluator::explain`]: vigil_core::engine::oval::Evaluator::explain
fn explain(
    runner: &Runner<'_>,
    result: RuleOutcome,
    definitions: &[(String, String, OvalResult)],
    messages: &mut Vec<String>,
) {
    use vigil_core::engine::oval::eval::MAX_LINES;
    // With several definitions, those that would give the rule this result on their
    // own decided it; when none does (a negated check), every one took part.
    let own = |(href, id, r): &&(String, String, OvalResult)| {
        let class = runner
            .docs
            .get(href)
            .and_then(|d| d.definitions.get(id))
            .map_or("compliance", |d| d.class.as_str());
        RuleOutcome::from_oval(*r, class) == result
    };
    let mut deciding: Vec<&(String, String, OvalResult)> = definitions.iter().filter(own).collect();
    if deciding.is_empty() {
        deciding = definitions.iter().collect();
    }
    for (href, id, _) in deciding {
        let Some(ev) = runner.evaluators.get(href) else {
            continue;
        };
        for line in ev.explain(id) {
            if messages.len() >= MAX_LINES {
                return;
            }
            if !messages.contains(&line) {
                messages.push(line);
            }
        }
    }
    if messages.iter().all(|m| m.trim().is_empty()) {
        messages.retain(|m| !m.trim().is_empty());
        messages.push(format!("the rule's check gave {result}"));
    }
}

/// A state entity for the results document, with the values its variable resolved to.
fn state_entity(
    e: &vigil_core::content::oval::Entity,
    variables: &HashMap<String, Arc<vigil_core::engine::oval::eval::VarValues>>,
) -> StateEntity {
    let var_values = e
        .var_ref()
        .and_then(|v| variables.get(v))
        .and_then(|r| r.as_ref().as_ref().ok().cloned())
        .unwrap_or_default();
    StateEntity {
        name: e.name.clone(),
        datatype: e.datatype.to_string(),
        operation: e.operation.to_string(),
        value: if e.nil {
            None
        } else {
            e.literal().map(str::to_string)
        },
        var_ref: e.var_ref().map(str::to_string),
        var_values,
        entity_check: e.entity_check.to_string(),
        var_check: e.var_check.to_string(),
        fields: e
            .fields
            .iter()
            .map(|f| state_entity(f, variables))
            .collect(),
    }
}

#[allow(clippy::too_many_arguments)]
fn build_document(
    content: &Content,
    config: &ScanConfig,
    profile: &ResolvedProfile,
    runner: &Runner<'_>,
    rules: Vec<RuleResult>,
    score_input: &ScoreInput,
    waivers: Option<&crate::waivers::Applied<'_>>,
    started: SystemTime,
    clock: Instant,
) -> ScanResults {
    let mut definitions = Vec::new();
    let mut tests = Vec::new();
    let mut objects = Vec::new();
    let mut states = Vec::new();
    let mut hrefs: Vec<&String> = runner.evaluators.keys().collect();
    hrefs.sort_by_key(|h| content.oval.get_index_of(*h));
    for href in hrefs {
        let ev = &runner.evaluators[href];
        // Definitions evaluated (directly or via extend_definition), in document order.
        let evaluated: HashSet<String> = ev.evaluated_definitions();
        for (id, def) in &ev.defs.definitions {
            if !evaluated.contains(id) {
                continue;
            }
            let o = ev.definition(id);
            definitions.push(DefinitionResult {
                id: id.clone(),
                title: def.title.clone(),
                class: def.class.clone(),
                result: o.result,
                document: href.clone(),
                criteria: o.criteria.clone(),
                messages: o.messages.clone(),
            });
        }
        let evaluated_tests = ev.evaluated_tests();
        for (id, t) in &ev.defs.tests {
            let Some(o) = evaluated_tests.get(id) else {
                continue;
            };
            let mut item_results = o.item_results.clone();
            item_results.truncate(config.max_items_per_object);
            tests.push(TestResult {
                id: id.clone(),
                document: href.clone(),
                kind: t.kind.clone(),
                family: t.family.name().to_string(),
                comment: t.comment.clone(),
                check: t.check.to_string(),
                check_existence: t.check_existence.to_string(),
                state_operator: t.state_operator.to_string(),
                object: t.object_ref.clone(),
                states: t.state_refs.clone(),
                result: o.result,
                item_results,
                messages: o.messages.clone(),
            });
        }
        // States of the evaluated tests (and of object filters), in document order.
        let mut state_ids: HashSet<&str> = HashSet::new();
        for (id, t) in &ev.defs.tests {
            if evaluated_tests.contains_key(id) {
                state_ids.extend(t.state_refs.iter().map(String::as_str));
            }
        }
        let variables = ev.resolved_variables();
        for (id, st) in &ev.defs.states {
            if !state_ids.contains(id.as_str()) {
                continue;
            }
            states.push(StateResult {
                id: id.clone(),
                document: href.clone(),
                kind: st.kind.clone(),
                family: st.family.name().to_string(),
                comment: st.comment.clone(),
                operator: st.operator.to_string(),
                entities: st
                    .entities
                    .iter()
                    .map(|e| state_entity(e, &variables))
                    .collect(),
            });
        }
        let collected = ev.collected_objects();
        for (id, obj) in &ev.defs.objects {
            let Some(o) = collected.get(id) else { continue };
            objects.push(ObjectResult {
                id: id.clone(),
                document: href.clone(),
                kind: obj.kind.clone(),
                family: obj.family.name().to_string(),
                flag: o.flag,
                item_count: o.items.len(),
                items: o
                    .items
                    .iter()
                    .take(config.max_items_per_object)
                    .map(|i| (**i).clone())
                    .collect(),
                variables: o.variables.clone(),
                messages: o.messages.clone(),
            });
        }
    }
    let mut summary = Summary {
        results: xccdf::count_results(rules.iter().map(|r| &r.result)),
        max_score: 100.0,
        waived: rules.iter().filter(|r| r.is_accepted_risk()).count(),
        ..Default::default()
    };
    for r in &rules {
        *summary
            .by_severity
            .entry(r.severity.as_str().to_string())
            .or_default()
            .entry(r.result.as_str().to_string())
            .or_insert(0) += 1;
    }
    for d in &definitions {
        *summary
            .definitions
            .entry(d.result.as_str().to_string())
            .or_insert(0) += 1;
    }
    if let Some(b) = &content.benchmark {
        summary.score = (xccdf::default_score(b, score_input) * 100.0).round() / 100.0;
    }
    let finished = SystemTime::now();
    ScanResults {
        schema_version: SCHEMA_VERSION.to_string(),
        vigil_version: env!("CARGO_PKG_VERSION").to_string(),
        scan: ScanInfo {
            host: info::host_info(&config.host),
            user: vigil_core::osutil::current_user(),
            started: info::rfc3339(started),
            finished: info::rfc3339(finished),
            duration_ms: clock.elapsed().as_millis() as u64,
            root: config.host.root().map(|p| p.display().to_string()),
            content: ContentInfo {
                path: content.path.display().to_string(),
                sha256: content.sha256.clone(),
                kind: format!("{:?}", content.kind).to_lowercase(),
            },
            benchmark: content.benchmark.as_ref().map(|b| NamedInfo {
                id: b.id.clone(),
                title: Some(b.title.clone()),
                version: Some(b.version.clone()),
            }),
            profile: profile.id.as_ref().map(|id| NamedInfo {
                id: id.clone(),
                title: profile.title.clone(),
                version: None,
            }),
            policy: config.policy_path.clone(),
            assumed_platforms: config.selection.assumed_platforms.clone(),
            command_line: config.command_line.clone(),
            waivers: waivers.map(|a| a.set.file_info(a.unmatched.clone())),
        },
        summary,
        rules,
        definitions,
        tests,
        objects,
        states,
        unsupported: content
            .unsupported
            .iter()
            .map(UnsupportedElement::from)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_benchmark_platform_is_read_back_from_its_reason() {
        let r = "the benchmark's platform (cpe:/o:debian:debian_linux:11, cpe:/o:x) does not apply to this host (Debian GNU/Linux 12 (bookworm))";
        assert_eq!(
            super::benchmark_platform_of(r),
            Some("cpe:/o:debian:debian_linux:11")
        );
        assert_eq!(
            super::benchmark_platform_of("platform #machine does not apply to this host"),
            None
        );
        assert_eq!(
            super::benchmark_platform_of("no site policy given (--policy)"),
            None
        );
    }
}
