//! The HTML report: one self-contained file for auditors, rendered with minijinja from
//! the templates under `reports/` (embedded in the binary). It shows the scan metadata,
//! a summary with an inline SVG chart, a roll-up of the content's control references
//! (CSA CCM LOG-11 and its related controls first, then NIST SP 800-53, CIS, ... as the
//! benchmark references them, XCCDF 1.2 §6.2.7 `reference`) and every evaluated rule
//! with its evidence: the OVAL criteria tree, each test's expected state and the items
//! found. Filters and search are a few lines of inline script; there is no network
//! access, no external script, font or style sheet, and no copy of the results data.
//!
//! Everything from the content or the host is escaped by the template engine; XHTML
//! from the content goes through [`super::sanitize`] first. The view is built with
//! id-keyed maps, so rendering is linear in what is shown, and items are capped per
//! test ([`HTML_ITEMS_PER_TEST`]) with the total count shown.

use std::collections::{BTreeMap, HashMap};

use minijinja::Environment;
use minijinja::value::{Serde, Value};
use serde::Serialize;

use super::ReportError;
use super::sanitize::{sanitize, short_id};
use vigil_core::engine::oval::eval::CriteriaOutcome;
use vigil_core::engine::xccdf::RuleOutcome;
use vigil_core::model::*;

const TEMPLATE: &str = include_str!("../../reports/report.html");
const CSS: &str = include_str!("../../reports/report.css");
const JS: &str = include_str!("../../reports/report.js");

/// Most items shown per test (the JSON keeps up to `--max-items`; the total is shown).
pub(crate) const HTML_ITEMS_PER_TEST: usize = 50;
/// Longest item value shown in full; longer ones are cut with a note.
const MAX_CELL_CHARS: usize = 400;
/// Deepest extend_definition chain shown (cycles are reported by the engine).
const MAX_EXTEND_DEPTH: usize = 8;

/// CSA CCM v4 LOG-11 and the controls related to it, in the order the roll-up shows.
pub(crate) const CCM_FOCUS: &[&str] = &["LOG-11", "LOG-10", "IAM-09", "IAM-12", "CEK-21"];
pub(crate) const CCM_NAME: &str = "CSA CCM v4";

/// How many controls each domain of CSA CCM v4.0 has (197 in all): the roll-up lists
/// every control of a domain the content touches, so an auditor sees which ones no
/// rule covers, not only the ones that have rules.
const CCM_DOMAINS: &[(&str, u32)] = &[
    ("A&A", 6),
    ("AIS", 7),
    ("BCR", 11),
    ("CCC", 9),
    ("CEK", 21),
    ("DCS", 15),
    ("DSP", 19),
    ("GRC", 8),
    ("HRS", 13),
    ("IAM", 16),
    ("IPY", 4),
    ("IVS", 9),
    ("LOG", 13),
    ("SEF", 8),
    ("STA", 14),
    ("TVM", 10),
    ("UEM", 14),
];

/// Renders the report for a results document.
pub(crate) fn render(results: &ScanResults) -> Result<String, ReportError> {
    let view = build_view(results);
    let mut env = Environment::new();
    env.add_template("report.html", TEMPLATE)
        .map_err(|e| ReportError::Render(e.to_string()))?;
    let tmpl = env
        .get_template("report.html")
        .map_err(|e| ReportError::Render(e.to_string()))?;
    tmpl.render(Value::from(Serde(&view)))
        .map_err(|e| ReportError::Render(format!("{e:#}")))
}

/// Order in which results are listed, and worst-first rank for roll-ups.
const RESULT_ORDER: [RuleOutcome; 9] = [
    RuleOutcome::Fail,
    RuleOutcome::Error,
    RuleOutcome::Unknown,
    RuleOutcome::Pass,
    RuleOutcome::Fixed,
    RuleOutcome::Informational,
    RuleOutcome::NotChecked,
    RuleOutcome::NotApplicable,
    RuleOutcome::NotSelected,
];

fn rank(r: RuleOutcome) -> usize {
    RESULT_ORDER.iter().position(|x| *x == r).unwrap_or(99)
}

const SEVERITY_ORDER: [&str; 5] = ["high", "medium", "low", "info", "unknown"];

#[derive(Serialize)]
struct View<'a> {
    title: String,
    vigil_version: &'a str,
    schema_version: &'a str,
    scan: &'a ScanInfo,
    summary: SummaryView,
    chart_svg: String,
    frameworks: Vec<FrameworkView>,
    key_lifecycle: Vec<LifecycleView>,
    rules: Vec<RuleView>,
    not_listed: usize,
    oval_only: bool,
    result_options: Vec<&'static str>,
    severity_options: Vec<&'static str>,
    control_options: Vec<(String, String)>,
    unsupported: &'a [UnsupportedElement],
    items_cap: usize,
    css: &'static str,
    js: &'static str,
    /// CSP hash of the one inline script, so no other script can run.
    script_hash: String,
}

#[derive(Serialize)]
struct SummaryView {
    score: String,
    max_score: String,
    score_pct: f64,
    /// Rules (or, for OVAL content, definitions) whose check ran and gave a result.
    evaluated: usize,
    /// The ones whose check did not run, by reason (`not applicable`, `not checked`),
    /// told apart from `evaluated` so the summary does not count them as evaluated.
    not_evaluated: Vec<(&'static str, usize)>,
    counts: Vec<(&'static str, usize)>,
    result_columns: Vec<&'static str>,
    by_severity: Vec<SeverityRow>,
    definitions: Vec<(String, usize)>,
    /// Accepted risks (`Summary::waived`).
    waived: usize,
}

#[derive(Serialize)]
struct SeverityRow {
    severity: String,
    cells: Vec<usize>,
    total: usize,
}

#[derive(Serialize)]
struct FrameworkView {
    name: String,
    focus: bool,
    controls: Vec<ControlView>,
    status_counts: Vec<(&'static str, usize)>,
    /// For CSA CCM: how much of the touched domains the content covers, in words.
    coverage: Option<String>,
}

#[derive(Serialize)]
struct ControlView {
    id: String,
    key: String,
    status: &'static str,
    focus: bool,
    rules: Vec<RuleLink>,
    /// How many of `rules` were evaluated (gave evidence: their check ran).
    evidence: usize,
}

#[derive(Serialize, Clone)]
struct RuleLink {
    anchor: String,
    title: String,
    result: &'static str,
}

#[derive(Serialize)]
struct RefView {
    framework: String,
    text: String,
    href: Option<String>,
}

#[derive(Serialize)]
struct RuleView {
    anchor: String,
    id: String,
    title: String,
    severity: &'static str,
    result: &'static str,
    oval_result: Option<&'static str>,
    weight: f64,
    description_html: String,
    rationale_html: String,
    fixtext_html: Option<String>,
    references: Vec<RefView>,
    idents: Vec<(String, String)>,
    messages: Vec<String>,
    controls: String,
    search: String,
    checks: Vec<CheckView>,
    examined: Option<ExaminedView>,
    /// The waiver covering the rule, active or expired.
    waiver: Option<vigil_core::model::RuleWaiver>,
}

/// What a rule's check examined, for the summary line and the rule's body.
#[derive(Serialize)]
struct ExaminedView {
    /// "12 items", "no items".
    label: String,
    /// "12 items of 3 objects, 4 tests".
    detail: String,
    /// No items at all: a pass over nothing, marked as such.
    empty: bool,
    tested: Vec<String>,
}

fn examined_view(e: &vigil_core::model::Examined) -> ExaminedView {
    let n = |n: usize, what: &str| {
        if n == 1 {
            format!("1 {what}")
        } else {
            format!("{n} {what}s")
        }
    };
    ExaminedView {
        label: if e.items == 0 {
            "no items".into()
        } else {
            n(e.items, "item")
        },
        detail: format!(
            "{} of {}, {}",
            n(e.items, "item"),
            n(e.objects, "object"),
            n(e.tests, "test")
        ),
        empty: e.items == 0,
        tested: e.tested.clone(),
    }
}

#[derive(Serialize)]
struct CheckView {
    document: String,
    id: String,
    title: String,
    result: &'static str,
    tree: Option<NodeView>,
    tests: Vec<TestView>,
    messages: Vec<String>,
}

#[derive(Serialize)]
struct NodeView {
    kind: &'static str,
    label: String,
    detail: Option<String>,
    negate: bool,
    result: &'static str,
    comment: Option<String>,
    test_anchor: Option<String>,
    children: Vec<NodeView>,
}

#[derive(Serialize)]
struct TestView {
    anchor: String,
    id: String,
    kind: String,
    comment: Option<String>,
    result: &'static str,
    check: String,
    check_existence: String,
    state_operator: String,
    messages: Vec<String>,
    object: Option<ObjectView>,
    states: Vec<StateView>,
    columns: Vec<ColumnView>,
    rows: Vec<RowView>,
    shown: usize,
    total: usize,
}

#[derive(Serialize)]
struct ObjectView {
    id: String,
    kind: String,
    flag: &'static str,
    item_count: usize,
    messages: Vec<String>,
    variables: Vec<(String, String)>,
}

#[derive(Serialize)]
struct StateView {
    id: String,
    operator: String,
    comment: Option<String>,
    entities: Vec<ExpectView>,
}

#[derive(Serialize)]
struct ExpectView {
    name: String,
    operation: String,
    datatype: String,
    value: String,
    check: String,
}

#[derive(Serialize)]
struct ColumnView {
    name: String,
    expected: bool,
}

#[derive(Serialize)]
struct RowView {
    /// Position of the item in the object (1-based).
    index: usize,
    result: Option<&'static str>,
    status: &'static str,
    message: Option<String>,
    cells: Vec<String>,
}

/// The framework a reference belongs to, named from its href: SSG gives every
/// framework its own URL (one per control for some), with the control id as text.
pub(crate) fn framework_name(href: Option<&str>) -> String {
    let h = href.unwrap_or("").trim();
    let l = h.to_ascii_lowercase();
    let known: &[(&str, &str)] = &[
        ("cloudsecurityalliance", CCM_NAME),
        ("cloud-controls-matrix", CCM_NAME),
        ("800-53", "NIST SP 800-53"),
        ("800-171", "NIST SP 800-171"),
        ("cswp.04162018", "NIST Cybersecurity Framework"),
        ("benchmarks.cisecurity.org", "CIS Benchmark"),
        ("cisecurity.org", "CIS Controls"),
        ("iso.org/standard/54534", "ISO/IEC 27001:2013"),
        ("isaca.org", "COBIT 5"),
        ("62443-3-3", "ISA/IEC 62443-3-3"),
        ("62443-2-1", "ISA/IEC 62443-2-1"),
        ("public.cyber.mil/stigs/cci", "DISA CCI"),
        ("public.cyber.mil/stigs", "DISA SRG/STIG"),
        ("iase.disa.mil", "DISA SRG/STIG"),
        ("nerc.com", "NERC CIP"),
        ("cfr-2007-title45", "HIPAA"),
        ("pcisecuritystandards", "PCI DSS"),
        ("ssi.gouv.fr", "ANSSI"),
        ("niap-ccevs", "NIAP OSPP"),
        ("cjis", "FBI CJIS"),
    ];
    if let Some((_, name)) = known.iter().find(|(k, _)| l.contains(k)) {
        return name.to_string();
    }
    match l.split_once("://") {
        Some((_, rest)) => {
            let host = rest.split('/').next().unwrap_or(rest);
            host.trim_start_matches("www.").to_string()
        }
        None if h.is_empty() => "Other references".to_string(),
        None => h.to_string(),
    }
}

fn web_href(h: Option<&str>) -> Option<String> {
    let h = h?.trim();
    let l = h.to_ascii_lowercase();
    (l.starts_with("https://") || l.starts_with("http://")).then(|| h.to_string())
}

/// Natural order for control ids: "AC-6(5)" after "AC-6", "5.10" after "5.9".
fn natural_key(s: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut num: Option<u64> = None;
    for c in s.chars() {
        if let Some(d) = c.to_digit(10) {
            num = Some(num.unwrap_or(0).saturating_mul(10).saturating_add(d as u64));
        } else {
            if let Some(n) = num.take() {
                out.push((std::mem::take(&mut text), n));
            }
            text.push(c);
        }
    }
    out.push((text, num.unwrap_or(0)));
    out
}

type Key<'a> = (&'a str, &'a str);

struct Index<'a> {
    definitions: HashMap<Key<'a>, &'a DefinitionResult>,
    tests: HashMap<Key<'a>, &'a TestResult>,
    objects: HashMap<Key<'a>, &'a ObjectResult>,
    states: HashMap<Key<'a>, &'a StateResult>,
}

impl<'a> Index<'a> {
    fn new(r: &'a ScanResults) -> Index<'a> {
        Index {
            definitions: r
                .definitions
                .iter()
                .map(|d| ((d.document.as_str(), d.id.as_str()), d))
                .collect(),
            tests: r
                .tests
                .iter()
                .map(|t| ((t.document.as_str(), t.id.as_str()), t))
                .collect(),
            objects: r
                .objects
                .iter()
                .map(|o| ((o.document.as_str(), o.id.as_str()), o))
                .collect(),
            states: r
                .states
                .iter()
                .map(|s| ((s.document.as_str(), s.id.as_str()), s))
                .collect(),
        }
    }
}

fn build_view(r: &ScanResults) -> View<'_> {
    let idx = Index::new(r);
    let oval_only = r.rules.is_empty();

    // Rules (or, for OVAL content, definitions) to list.
    let mut rules = Vec::new();
    let mut not_listed = 0;
    if oval_only {
        for (i, d) in r.definitions.iter().enumerate() {
            let result = RuleOutcome::from_oval(d.result, &d.class);
            let anchor = format!("rule-{i}");
            let check = check_view(&idx, &d.document, &d.id, d.result.as_str(), &anchor);
            rules.push(RuleView {
                search: format!("{} {}", d.id, d.title).to_lowercase(),
                anchor,
                id: d.id.clone(),
                title: d.title.clone(),
                severity: "unknown",
                result: result.as_str(),
                oval_result: Some(d.result.as_str()),
                weight: 1.0,
                description_html: String::new(),
                rationale_html: String::new(),
                fixtext_html: None,
                references: vec![],
                idents: vec![],
                messages: d.messages.clone(),
                controls: String::new(),
                checks: vec![check],
                examined: None,
                waiver: None,
            });
        }
    } else {
        for (i, rule) in r.rules.iter().enumerate() {
            if rule.result == RuleOutcome::NotSelected {
                not_listed += 1;
                continue;
            }
            let anchor = format!("rule-{i}");
            let references: Vec<RefView> = rule
                .references
                .iter()
                .map(|x| RefView {
                    framework: framework_name(x.href.as_deref()),
                    text: x.text.trim().to_string(),
                    href: web_href(x.href.as_deref()),
                })
                .collect();
            let controls = references
                .iter()
                .map(|x| format!("{}: {}", x.framework, x.text))
                .collect::<Vec<_>>()
                .join("\n");
            let checks = rule
                .checks
                .iter()
                .enumerate()
                .map(|(ci, c)| {
                    check_view(
                        &idx,
                        &c.href,
                        &c.id,
                        c.result.as_str(),
                        &format!("{anchor}-c{ci}"),
                    )
                })
                .collect();
            rules.push(RuleView {
                search: format!(
                    "{} {}{}",
                    rule.id,
                    rule.title,
                    if rule.is_waived() { " waived" } else { "" }
                )
                .to_lowercase(),
                anchor,
                id: rule.id.clone(),
                title: rule.title.clone(),
                severity: rule.severity.as_str(),
                result: rule.result.as_str(),
                oval_result: None,
                weight: rule.weight,
                description_html: sanitize(&rule.description),
                rationale_html: sanitize(&rule.rationale),
                fixtext_html: rule.fixtext.as_deref().map(sanitize),
                references,
                idents: rule
                    .idents
                    .iter()
                    .map(|i| (i.system.clone(), i.value.clone()))
                    .collect(),
                messages: rule.messages.clone(),
                controls,
                checks,
                examined: rule.examined.as_ref().map(examined_view),
                waiver: rule.waiver.clone(),
            });
        }
    }
    // Failures first, then by severity, keeping content order otherwise.
    rules.sort_by_key(|x| {
        (
            rank(parse_outcome(x.result)),
            SEVERITY_ORDER
                .iter()
                .position(|s| *s == x.severity)
                .unwrap_or(9),
        )
    });

    let frameworks = rollup(r);
    let mut control_options = Vec::new();
    for f in &frameworks {
        for c in &f.controls {
            if !c.rules.is_empty() {
                control_options.push((c.key.clone(), c.key.clone()));
            }
        }
    }

    let summary = summary_view(r, oval_only);
    let chart_svg = chart(&summary.counts);
    let mut result_options: Vec<&'static str> = RESULT_ORDER
        .iter()
        .map(|o| o.as_str())
        .filter(|w| rules.iter().any(|x| x.result == *w))
        .collect();
    result_options.dedup();
    let severity_options = SEVERITY_ORDER
        .iter()
        .copied()
        .filter(|s| rules.iter().any(|x| x.severity == *s))
        .collect();
    let title = r.title();
    View {
        title,
        vigil_version: &r.vigil_version,
        schema_version: &r.schema_version,
        scan: &r.scan,
        summary,
        chart_svg,
        frameworks,
        key_lifecycle: lifecycle_view(r),
        rules,
        not_listed,
        oval_only,
        result_options,
        severity_options,
        control_options,
        unsupported: &r.unsupported,
        items_cap: HTML_ITEMS_PER_TEST,
        css: CSS,
        js: JS,
        script_hash: script_hash(),
    }
}

fn parse_outcome(w: &str) -> RuleOutcome {
    RuleOutcome::ALL
        .iter()
        .copied()
        .find(|o| o.as_str() == w)
        .unwrap_or(RuleOutcome::Unknown)
}

fn summary_view(r: &ScanResults, oval_only: bool) -> SummaryView {
    let counts: Vec<(&'static str, usize)> = if oval_only {
        let mut m: BTreeMap<usize, (&'static str, usize)> = BTreeMap::new();
        for d in &r.definitions {
            let o = RuleOutcome::from_oval(d.result, &d.class);
            m.entry(rank(o)).or_insert((o.as_str(), 0)).1 += 1;
        }
        m.into_values().collect()
    } else {
        RESULT_ORDER
            .iter()
            .filter_map(|o| {
                r.summary
                    .results
                    .get(o.as_str())
                    .filter(|n| **n > 0)
                    .map(|n| (o.as_str(), *n))
            })
            .collect()
    };
    let result_columns: Vec<&'static str> = counts
        .iter()
        .map(|(w, _)| *w)
        .filter(|w| *w != "notselected")
        .collect();
    let mut by_severity = Vec::new();
    for sev in SEVERITY_ORDER {
        let Some(m) = r.summary.by_severity.get(sev) else {
            continue;
        };
        let cells: Vec<usize> = result_columns
            .iter()
            .map(|w| m.get(*w).copied().unwrap_or(0))
            .collect();
        let total = cells.iter().sum();
        if total > 0 {
            by_severity.push(SeverityRow {
                severity: sev.to_string(),
                cells,
                total,
            });
        }
    }
    let max = if r.summary.max_score > 0.0 {
        r.summary.max_score
    } else {
        100.0
    };
    SummaryView {
        score: format!("{:.2}", r.summary.score),
        max_score: format!("{:.0}", r.summary.max_score),
        score_pct: (r.summary.score / max * 100.0).clamp(0.0, 100.0),
        evaluated: counts
            .iter()
            .filter(|(w, _)| was_evaluated(w))
            .map(|(_, n)| n)
            .sum(),
        not_evaluated: [
            (RuleOutcome::NotApplicable, "not applicable"),
            // An OVAL definition that maps to notchecked was "not evaluated".
            (
                RuleOutcome::NotChecked,
                if oval_only {
                    "not evaluated"
                } else {
                    "not checked"
                },
            ),
        ]
        .into_iter()
        .filter_map(|(o, label)| {
            counts
                .iter()
                .find(|(w, _)| *w == o.as_str())
                .map(|(_, n)| (label, *n))
        })
        .collect(),
        counts,
        result_columns,
        by_severity,
        definitions: r
            .summary
            .definitions
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect(),
        waived: r.summary.waived,
    }
}

/// Whether a result word means the check ran. `error` and `unknown` count: the check
/// was attempted and its outcome is a finding to act on (the exit status treats them as
/// failures). `notapplicable` and `notchecked` rules were never checked on this host,
/// and `notselected` ones are not part of the scan at all.
fn was_evaluated(word: &str) -> bool {
    !matches!(word, "notapplicable" | "notchecked" | "notselected")
}

/// A horizontal bar chart of the rule results, as inline SVG. Only result words (a
/// fixed set) and numbers go into it, and bars carry their count as text so the chart
/// reads in black and white.
fn chart(counts: &[(&'static str, usize)]) -> String {
    let rows: Vec<&(&str, usize)> = counts.iter().filter(|(w, _)| *w != "notselected").collect();
    let max = rows.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let (label_w, bar_w, row_h) = (110.0, 300.0, 26.0);
    let height = (rows.len().max(1) as f64) * row_h + 8.0;
    let mut s = format!(
        "<svg class=\"chart\" role=\"img\" aria-label=\"Rule results\" xmlns=\"http://www.w3.org/2000/svg\" \
         width=\"{w}\" height=\"{height}\" viewBox=\"0 0 {w} {height}\">",
        w = label_w + bar_w + 60.0
    );
    for (i, (word, n)) in rows.iter().enumerate() {
        let y = 4.0 + i as f64 * row_h;
        let w = (*n as f64 / max as f64 * bar_w).max(2.0);
        s.push_str(&format!(
            "<text x=\"{tx}\" y=\"{ty}\" text-anchor=\"end\">{word}</text>\
             <rect class=\"bar r-{word}\" x=\"{label_w}\" y=\"{y}\" width=\"{w:.1}\" height=\"{h}\"/>\
             <text x=\"{cx:.1}\" y=\"{ty}\">{n}</text>",
            tx = label_w - 8.0,
            ty = y + 16.0,
            h = row_h - 6.0,
            cx = label_w + w + 6.0,
        ));
    }
    if rows.is_empty() {
        s.push_str("<text x=\"0\" y=\"20\">no rules evaluated</text>");
    }
    s.push_str("</svg>");
    s
}

/// One key's row of the "Key lifecycle" section: what the audit logs recorded of it,
/// as a line an auditor reads at a glance and the evidence lines behind it.
#[derive(Serialize)]
struct LifecycleView {
    name: String,
    declared: bool,
    state: String,
    summary: String,
    /// Markers of the timeline picture, placed on a 0..=LIFECYCLE_WIDTH axis.
    marks: Vec<LifecycleMark>,
    /// Axis ends, as dates.
    from: String,
    to: String,
    events: Vec<String>,
    message: Option<String>,
}

#[derive(Serialize)]
struct LifecycleMark {
    x: u32,
    /// A stage word (a fixed set), the marker's CSS class.
    stage: &'static str,
    /// The timeline entry, for the marker's tooltip.
    title: String,
}

/// Width of the timeline picture's axis, in SVG user units.
const LIFECYCLE_WIDTH: u32 = 560;

/// The stages a timeline entry may name: anything else is drawn as a plain event.
const LIFECYCLE_STAGES: [&str; 10] = [
    "generated",
    "rotated",
    "used",
    "policy_changed",
    "disabled",
    "enabled",
    "deletion_scheduled",
    "deletion_cancelled",
    "destroyed",
    "exported",
];

/// The keys of the `key_lifecycle_object`s in the results (several rules read the
/// same keys: each key once, from the object that listed it first), with their
/// timelines. Renderers do not judge: the fields are the probe's.
fn lifecycle_view(r: &ScanResults) -> Vec<LifecycleView> {
    use vigil_host::policy::time;
    let mut out: Vec<LifecycleView> = Vec::new();
    let end = time::parse_rfc3339(&r.scan.finished);
    for o in r
        .objects
        .iter()
        .filter(|o| o.kind == "key_lifecycle_object")
    {
        for item in &o.items {
            let Some(name) = item.first("name") else {
                continue;
            };
            if out.iter().any(|v| v.name == name) {
                continue;
            }
            let events: Vec<String> = item
                .values("timeline")
                .flatten()
                .map(String::from)
                .collect();
            let times: Vec<Option<i64>> = events
                .iter()
                .map(|e| e.split(' ').next().and_then(time::parse_rfc3339))
                .collect();
            let start = item
                .first("logs_from")
                .and_then(time::parse_rfc3339)
                .into_iter()
                .chain(times.iter().flatten().copied())
                .min();
            let stop = end.into_iter().chain(times.iter().flatten().copied()).max();
            let mut marks = Vec::new();
            if let (Some(a), Some(b)) = (start, stop) {
                let span = (b - a).max(1) as f64;
                for (e, t) in events.iter().zip(&times) {
                    let Some(t) = t else { continue };
                    let word = e.split(' ').nth(1).unwrap_or("");
                    let stage = LIFECYCLE_STAGES
                        .iter()
                        .find(|s| **s == word)
                        .copied()
                        .unwrap_or("event");
                    marks.push(LifecycleMark {
                        x: (((t - a) as f64 / span) * LIFECYCLE_WIDTH as f64).round() as u32,
                        stage,
                        title: e.clone(),
                    });
                }
            }
            let n = |f: &str| item.first(f).unwrap_or("0").to_string();
            let mut summary = format!("{} uses", n("uses"));
            let users: Vec<&str> = item.values("user").flatten().collect();
            if !users.is_empty() {
                summary.push_str(&format!(" by {}", users.join(", ")));
            }
            if let Some(l) = item.first("last_use") {
                summary.push_str(&format!(", last {l}"));
            }
            summary.push_str(&format!("; {} rotations", n("rotations")));
            if let Some(l) = item.first("last_rotation").or(item.first("generated")) {
                summary.push_str(&format!(" (newest key material {l})"));
            }
            summary.push_str(&format!("; {} policy changes", n("policy_changes")));
            let day = |t: Option<i64>| {
                t.map(|t| time::format_rfc3339(t)[..10].to_string())
                    .unwrap_or_default()
            };
            out.push(LifecycleView {
                name: name.to_string(),
                declared: item.first("declared") == Some("true"),
                state: item.first("state").unwrap_or("unknown").to_string(),
                summary,
                marks,
                from: day(start),
                to: day(stop),
                events,
                message: item.message.clone(),
            });
        }
    }
    out
}

/// Control id -> the (index, rule) pairs that reference it.
type Controls<'a> = BTreeMap<String, Vec<(usize, &'a RuleResult)>>;

/// Control roll-up: references grouped by framework, then by control id, with the
/// worst result of the evaluated rules behind each control.
fn rollup(r: &ScanResults) -> Vec<FrameworkView> {
    let mut by_fw: BTreeMap<String, Controls<'_>> = BTreeMap::new();
    for (i, rule) in r.rules.iter().enumerate() {
        if rule.result == RuleOutcome::NotSelected {
            continue;
        }
        for x in &rule.references {
            let text = x.text.trim();
            if text.is_empty() {
                continue;
            }
            let controls = by_fw
                .entry(framework_name(x.href.as_deref()))
                .or_default()
                .entry(text.to_string())
                .or_default();
            if controls.last().map(|(j, _)| *j) != Some(i) {
                controls.push((i, rule));
            }
        }
    }
    let mut out = Vec::new();
    for (name, controls) in by_fw {
        let focus_fw = name == CCM_NAME;
        let mut views: Vec<ControlView> = controls
            .into_iter()
            .map(|(id, rules)| {
                let status = rules
                    .iter()
                    .map(|(_, x)| x.result)
                    .min_by_key(|o| rank(*o))
                    .map(|o| o.as_str())
                    .unwrap_or("notchecked");
                ControlView {
                    key: format!("{name}: {id}"),
                    focus: focus_fw && CCM_FOCUS.contains(&id.as_str()),
                    status,
                    evidence: rules
                        .iter()
                        .filter(|(_, x)| was_evaluated(x.result.as_str()))
                        .count(),
                    rules: rules
                        .iter()
                        .map(|(i, x)| RuleLink {
                            anchor: format!("rule-{i}"),
                            title: x.title.clone(),
                            result: x.result.as_str(),
                        })
                        .collect(),
                    id,
                }
            })
            .collect();
        let mut coverage = None;
        if focus_fw {
            // LOG-11 and its related controls first, then every control of the domains
            // the content touches, listed even with no rule behind.
            let covered = views.len();
            let evidenced = views.iter().filter(|v| v.evidence > 0).count();
            let domains: Vec<(&str, u32)> = CCM_DOMAINS
                .iter()
                .copied()
                .filter(|(d, _)| {
                    views
                        .iter()
                        .any(|v| v.id.split_once('-').is_some_and(|(p, _)| p == *d))
                })
                .collect();
            let wanted = CCM_FOCUS.iter().map(|c| c.to_string()).chain(
                domains
                    .iter()
                    .flat_map(|(d, n)| (1..=*n).map(move |i| format!("{d}-{i:02}"))),
            );
            for c in wanted {
                if !views.iter().any(|v| v.id == c) {
                    views.push(ControlView {
                        key: format!("{name}: {c}"),
                        focus: CCM_FOCUS.contains(&c.as_str()),
                        id: c,
                        status: "none",
                        rules: vec![],
                        evidence: 0,
                    });
                }
            }
            if !domains.is_empty() {
                let total: u32 = domains.iter().map(|(_, n)| n).sum();
                let names: Vec<&str> = domains.iter().map(|(d, _)| *d).collect();
                let names = match names.split_last() {
                    Some((last, rest)) if !rest.is_empty() => {
                        format!("{} and {last} domains", rest.join(", "))
                    }
                    _ => format!("{} domain", names.join("")),
                };
                coverage = Some(format!(
                    "{covered} of the {total} controls of the {names} of CCM v4.0 have a rule; {evidenced} of them had a rule evaluated in this scan (the others' rules did not apply)."
                ));
            }
            views.sort_by_key(|v| {
                (
                    CCM_FOCUS.iter().position(|c| *c == v.id).unwrap_or(99),
                    natural_key(&v.id),
                )
            });
        } else {
            views.sort_by_key(|v| natural_key(&v.id));
        }
        let mut counts: BTreeMap<usize, (&'static str, usize)> = BTreeMap::new();
        for v in &views {
            if !v.rules.is_empty() {
                counts
                    .entry(rank(parse_outcome(v.status)))
                    .or_insert((v.status, 0))
                    .1 += 1;
            }
        }
        out.push(FrameworkView {
            name,
            focus: focus_fw,
            controls: views,
            status_counts: counts.into_values().collect(),
            coverage,
        });
    }
    out.sort_by_key(|f| !f.focus);
    out
}

fn check_view(
    idx: &Index<'_>,
    doc: &str,
    id: &str,
    result: &'static str,
    anchor: &str,
) -> CheckView {
    let def = idx.definitions.get(&(doc, id));
    let mut tests = Vec::new();
    let mut seen = HashMap::new();
    let tree = def
        .and_then(|d| d.criteria.as_ref())
        .map(|c| node_view(idx, doc, c, anchor, &mut tests, &mut seen, 0));
    CheckView {
        document: doc.to_string(),
        id: id.to_string(),
        title: def.map(|d| d.title.clone()).unwrap_or_default(),
        result,
        tree,
        tests,
        messages: def.map(|d| d.messages.clone()).unwrap_or_default(),
    }
}

fn node_view(
    idx: &Index<'_>,
    doc: &str,
    c: &CriteriaOutcome,
    anchor: &str,
    tests: &mut Vec<TestView>,
    seen: &mut HashMap<String, String>,
    depth: usize,
) -> NodeView {
    match c {
        CriteriaOutcome::Criteria {
            operator,
            negate,
            result,
            comment,
            children,
        } => NodeView {
            kind: "criteria",
            label: operator.clone(),
            detail: None,
            negate: *negate,
            result: result.as_str(),
            comment: comment.clone(),
            test_anchor: None,
            children: children
                .iter()
                .map(|ch| node_view(idx, doc, ch, anchor, tests, seen, depth))
                .collect(),
        },
        CriteriaOutcome::Criterion {
            test_ref,
            negate,
            result,
            comment,
        } => {
            let test = idx.tests.get(&(doc, test_ref.as_str()));
            let test_anchor = match seen.get(test_ref) {
                Some(a) => a.clone(),
                None => {
                    let a = format!("{anchor}-t{}", tests.len());
                    seen.insert(test_ref.clone(), a.clone());
                    if let Some(t) = test {
                        tests.push(test_view(idx, t, &a));
                    }
                    a
                }
            };
            NodeView {
                kind: "criterion",
                label: test_ref.clone(),
                detail: test.map(|t| t.comment.clone().unwrap_or_else(|| t.kind.clone())),
                negate: *negate,
                result: result.as_str(),
                comment: comment.clone(),
                test_anchor: test.map(|_| test_anchor),
                children: vec![],
            }
        }
        CriteriaOutcome::ExtendDefinition {
            definition_ref,
            negate,
            result,
            comment,
        } => {
            let def = idx.definitions.get(&(doc, definition_ref.as_str()));
            let children = match def.and_then(|d| d.criteria.as_ref()) {
                Some(inner) if depth < MAX_EXTEND_DEPTH => {
                    vec![node_view(idx, doc, inner, anchor, tests, seen, depth + 1)]
                }
                _ => vec![],
            };
            NodeView {
                kind: "extend_definition",
                label: definition_ref.clone(),
                detail: def.map(|d| d.title.clone()),
                negate: *negate,
                result: result.as_str(),
                comment: comment.clone(),
                test_anchor: None,
                children,
            }
        }
    }
}

fn cut(s: &str) -> String {
    match s.char_indices().nth(MAX_CELL_CHARS) {
        None => s.to_string(),
        Some((i, _)) => format!("{}… ({} more bytes)", &s[..i], s.len() - i),
    }
}

fn test_view(idx: &Index<'_>, t: &TestResult, anchor: &str) -> TestView {
    let doc = t.document.as_str();
    let object = t
        .object
        .as_deref()
        .and_then(|o| idx.objects.get(&(doc, o)).copied());
    let states: Vec<&StateResult> = t
        .states
        .iter()
        .filter_map(|s| idx.states.get(&(doc, s.as_str())).copied())
        .collect();
    let expected: Vec<&str> = states
        .iter()
        .flat_map(|s| s.entities.iter().map(|e| e.name.as_str()))
        .collect();
    let items = object.map(|o| &o.items[..]).unwrap_or(&[]);
    let shown = items.len().min(HTML_ITEMS_PER_TEST);
    let picked = pick_items(t, items.len(), shown);
    let mut columns: Vec<String> = Vec::new();
    for it in picked.iter().map(|i| &items[*i]) {
        for f in &it.fields {
            if !columns.contains(&f.name) {
                columns.push(f.name.clone());
            }
        }
    }
    // What the state compares comes first, beside the result.
    columns.sort_by_key(|c| !expected.contains(&c.as_str()));
    let rows = picked
        .iter()
        .map(|&i| {
            let it = &items[i];
            let cells = columns
                .iter()
                .map(|c| {
                    let vals: Vec<String> = it
                        .fields
                        .iter()
                        .filter(|f| &f.name == c)
                        .map(|f| match &f.value {
                            Some(v) => cut(v),
                            None => "(does not exist)".to_string(),
                        })
                        .collect();
                    vals.join("\n")
                })
                .collect();
            RowView {
                index: i + 1,
                result: t.item_results.get(i).map(|r| r.as_str()),
                status: it.status.as_str(),
                message: it.message.clone(),
                cells,
            }
        })
        .collect();
    TestView {
        anchor: anchor.to_string(),
        id: t.id.clone(),
        kind: t.kind.clone(),
        comment: t.comment.clone(),
        result: t.result.as_str(),
        check: t.check.clone(),
        check_existence: t.check_existence.clone(),
        state_operator: t.state_operator.clone(),
        messages: t.messages.clone(),
        object: object.map(|o| ObjectView {
            id: o.id.clone(),
            kind: o.kind.clone(),
            flag: o.flag.as_str(),
            item_count: o.item_count,
            messages: o.messages.clone(),
            variables: o
                .variables
                .iter()
                .map(|(k, v)| (k.clone(), v.join(", ")))
                .collect(),
        }),
        states: states
            .iter()
            .map(|s| StateView {
                id: s.id.clone(),
                operator: s.operator.clone(),
                comment: s.comment.clone(),
                entities: s.entities.iter().map(expect_view).collect(),
            })
            .collect(),
        columns: columns
            .into_iter()
            .map(|name| ColumnView {
                expected: expected.contains(&name.as_str()),
                name,
            })
            .collect(),
        rows,
        shown,
        total: object.map(|o| o.item_count).unwrap_or(0),
    }
}

/// Which items to show when a test has more than fit: for a test that did not pass,
/// the items that made it fail come first (the ones not satisfying the state, or for
/// `none satisfy` / `only one` the ones that do), then the others, in object order.
fn pick_items(t: &TestResult, total: usize, shown: usize) -> Vec<usize> {
    use vigil_core::engine::oval::OvalResult;
    let mut idx: Vec<usize> = (0..total).collect();
    if t.result == OvalResult::False {
        let wanted_true = matches!(t.check.as_str(), "none satisfy" | "only one");
        idx.sort_by_key(|&i| {
            let r = t.item_results.get(i).copied();
            let culprit = if wanted_true {
                r == Some(OvalResult::True)
            } else {
                r.is_some() && r != Some(OvalResult::True)
            };
            !culprit
        });
    }
    idx.truncate(shown);
    idx
}

fn expect_view(e: &StateEntity) -> ExpectView {
    let value = if !e.fields.is_empty() {
        e.fields
            .iter()
            .map(|f| {
                let v = expect_view(f);
                format!("{} {} {}", v.name, v.operation, v.value)
            })
            .collect::<Vec<_>>()
            .join("; ")
    } else if let Some(var) = &e.var_ref {
        if e.var_values.is_empty() {
            format!("(variable {var}, no value)")
        } else {
            format!(
                "{} (variable {}, {} of the values)",
                e.var_values
                    .iter()
                    .map(|v| cut(v))
                    .collect::<Vec<_>>()
                    .join(" | "),
                short_id(var),
                e.var_check
            )
        }
    } else {
        match &e.value {
            Some(v) => cut(v),
            None => "(no value)".to_string(),
        }
    };
    ExpectView {
        name: e.name.clone(),
        operation: e.operation.clone(),
        datatype: e.datatype.clone(),
        value,
        check: e.entity_check.clone(),
    }
}

/// `sha256-…` of the inline script exactly as the template embeds it (between the
/// newlines after `<script>` and before `</script>`).
fn script_hash() -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("\n{JS}\n").as_bytes());
    format!("sha256-{}", base64(&digest))
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testutil::{normalise, scan_fixture};

    fn fixture_html() -> String {
        let (_, mut r) = scan_fixture(200);
        normalise(&mut r);
        render(&r).unwrap()
    }

    #[test]
    fn fixture_report_snapshot() {
        // The style sheet and script are embedded verbatim; the snapshot is about the
        // document built around them.
        let html = fixture_html()
            .replace(CSS, "/* reports/report.css */")
            .replace(JS, "/* reports/report.js */");
        insta::assert_snapshot!(html);
    }

    #[test]
    fn host_and_content_text_is_escaped() {
        let html = fixture_html();
        // /etc/passwd of the fixture has a gcos field with a script tag.
        assert!(html.contains("Alice &lt;script&gt;alert(1)&lt;&#x2f;script&gt;"));
        // The rule description's <script>, handler and javascript: link are gone.
        assert_eq!(
            html.matches("<script").count(),
            1,
            "only the report's own script"
        );
        assert!(!html.contains("onclick") && !html.contains("javascript:"));
        assert!(!html.contains("alert('x')"));
    }

    #[test]
    fn report_is_self_contained() {
        let html = fixture_html();
        for needle in ["<link", "src=\"http", "@import", "url(", "<iframe", "<img"] {
            assert!(!html.contains(needle), "found {needle}");
        }
        assert!(html.contains(&format!("script-src '{}'", script_hash())));
    }

    #[test]
    fn control_rollup_puts_log11_first_and_takes_the_worst_result() {
        let (_, r) = scan_fixture(200);
        let fw = rollup(&r);
        assert_eq!(fw[0].name, CCM_NAME);
        let ids: Vec<&str> = fw[0].controls.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(&ids[..5], CCM_FOCUS);
        // LOG-11 is referenced by a failing and a passing... rule set: worst wins.
        let log11 = &fw[0].controls[0];
        assert_eq!(log11.status, "fail");
        assert_eq!(log11.rules.len(), 2);
        assert!(
            fw[0]
                .controls
                .iter()
                .any(|c| c.id == "LOG-10" && c.rules.is_empty())
        );
        let nist = fw.iter().find(|f| f.name == "NIST SP 800-53").unwrap();
        let ac6: Vec<&str> = nist.controls.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ac6,
            ["AC-6", "AC-6(5)", "CM-6(a)", "CM-7(a)", "IA-2", "SC-13"]
        );
    }

    #[test]
    fn framework_names_from_ssg_hrefs() {
        assert_eq!(
            framework_name(Some(
                "http://nvlpubs.nist.gov/nistpubs/SpecialPublications/NIST.SP.800-53r4.pdf"
            )),
            "NIST SP 800-53"
        );
        assert_eq!(
            framework_name(Some("https://www.cisecurity.org/controls/")),
            "CIS Controls"
        );
        assert_eq!(
            framework_name(Some("https://example.org/x/y")),
            "example.org"
        );
        assert_eq!(framework_name(None), "Other references");
    }

    #[test]
    fn rerendering_from_saved_json_gives_the_same_report() {
        let (_, r) = scan_fixture(200);
        let json = serde_json::to_vec(&r).unwrap();
        let back: ScanResults = serde_json::from_slice(&json).unwrap();
        assert_eq!(render(&r).unwrap(), render(&back).unwrap());
    }

    #[test]
    fn items_that_decided_a_failed_test_are_shown_first() {
        use vigil_core::engine::oval::OvalResult::{False, True};
        let (_, r) = scan_fixture(200);
        let mut t = r.tests[0].clone();
        t.result = False;
        t.check = "all".into();
        t.item_results = vec![True; 100];
        t.item_results[70] = False;
        assert_eq!(pick_items(&t, 100, 3), [70, 0, 1]);
        t.check = "none satisfy".into();
        t.item_results = vec![False; 100];
        t.item_results[99] = True;
        assert_eq!(pick_items(&t, 100, 2), [99, 0]);
        t.result = True;
        assert_eq!(pick_items(&t, 100, 2), [0, 1]);
    }

    #[test]
    fn rules_that_did_not_apply_are_not_counted_as_evaluated() {
        let (_, mut r) = scan_fixture(200);
        // 33 low-severity rules whose platform does not apply, 2 not checked.
        let results = &mut r.summary.results;
        results.insert("notapplicable".into(), 33);
        results.insert("notchecked".into(), 2);
        results.insert("notselected".into(), 4);
        let low = r.summary.by_severity.entry("low".into()).or_default();
        low.insert("notapplicable".into(), 33);
        low.insert("notchecked".into(), 2);
        let results = &r.summary.results;
        let evaluated: usize = ["pass", "fail", "error", "unknown", "informational", "fixed"]
            .iter()
            .filter_map(|w| results.get(*w))
            .sum();
        assert!(evaluated > 0);
        normalise(&mut r);
        let html = render(&r).unwrap();
        let start = html.find("<section id=\"summary\">").unwrap();
        let len = html[start..].find("</section>").unwrap();
        insta::assert_snapshot!(&html[start..start + len]);
        assert!(
            html.contains(&format!(
                "<div class=\"evaluated\">{evaluated} rules evaluated, 33 not applicable, 2 not checked</div>"
            )),
            "{}",
            html.lines()
                .find(|l| l.contains("class=\"evaluated\""))
                .unwrap_or("")
        );
    }

    /// 10,000 collected items (one object shared by a test in every rule is the worst
    /// case): rendering stays linear and the file small because items are capped per
    /// test and nothing is copied in whole.
    #[test]
    fn large_results_render_fast_and_small() {
        let (_, mut r) = scan_fixture(200);
        let obj = r
            .objects
            .iter_mut()
            .find(|o| o.items.len() > 3)
            .expect("an object with several items");
        let proto = obj.items[0].clone();
        obj.items = (0..10_000)
            .map(|i| {
                let mut it = proto.clone();
                it.fields[0].value = Some(format!("user{i}"));
                it
            })
            .collect();
        obj.item_count = 10_000;
        let id = obj.id.clone();
        for t in r
            .tests
            .iter_mut()
            .filter(|t| t.object.as_deref() == Some(id.as_str()))
        {
            t.item_results = vec![vigil_core::engine::oval::OvalResult::True; 10_000];
        }
        let clock = std::time::Instant::now();
        let html = render(&r).unwrap();
        let took = clock.elapsed();
        eprintln!("10,000 items: {} bytes in {took:?}", html.len());
        assert!(html.contains("user49") && !html.contains("user50<"));
        assert!(html.len() < 400_000, "{} bytes", html.len());
        assert!(took < std::time::Duration::from_secs(5), "{took:?}");
    }
}
