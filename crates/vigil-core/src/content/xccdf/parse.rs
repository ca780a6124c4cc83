//! Parser from the namespace-resolved XML tree ([`crate::content::xml`]) to the XCCDF
//! model in [`super`]: benchmarks (XCCDF 1.2, NISTIR 7275r4 §6), tailoring documents
//! (§6.7), cpe-lang 2.0 platform specifications and CPE 2.x dictionaries.
//!
//! Every XCCDF-namespace element is either modelled, listed below as documentation-only
//! (it changes nothing a scan computes), or reported as [`Unsupported`] with its position.
//! Nothing is dropped silently: a benchmark that relies on something vigil does not
//! implement (signatures, `requires`, complex values, check imports, ...) says so.

use std::collections::HashSet;
use std::path::Path;

use indexmap::IndexMap;

use super::*;
use crate::content::error::{ContentError, Result};
use crate::content::oval::Unsupported;
use crate::content::xml::Element;

/// Benchmark children that only describe the benchmark to readers.
const BENCHMARK_DOC_ONLY: &[&str] = &[
    "dc-status",
    "notice",
    "front-matter",
    "rear-matter",
    "metadata",
    // Text for `<sub idref>` in prose: affects rendering only.
    "plain-text",
];

/// Profile children that only describe the profile.
const PROFILE_DOC_ONLY: &[&str] = &["status", "dc-status", "version", "metadata", "reference"];

/// Group children that only describe the group (a group's rationale and references are
/// prose; its rules carry their own).
const GROUP_DOC_ONLY: &[&str] = &[
    "status",
    "dc-status",
    "version",
    "warning",
    "question",
    "reference",
    "metadata",
    "rationale",
];

/// Rule children that only describe the rule.
const RULE_DOC_ONLY: &[&str] = &[
    "status",
    "dc-status",
    "version",
    "warning",
    "question",
    "metadata",
    "impact-metric",
    "profile-note",
];

/// Value children that only describe the value or constrain interactive tailoring tools
/// (`default`, `match`, bounds and `choices` are hints for a person editing the value,
/// not used when the benchmark is evaluated).
const VALUE_DOC_ONLY: &[&str] = &[
    "status",
    "dc-status",
    "version",
    "warning",
    "question",
    "reference",
    "metadata",
    "default",
    "match",
    "lower-bound",
    "upper-bound",
    "choices",
    "source",
];

/// Tailoring children that only describe the tailoring document.
const TAILORING_DOC_ONLY: &[&str] = &["status", "dc-status", "version", "metadata"];

/// XCCDF 1.2 §6.4.4.5 value operators.
const VALUE_OPERATORS: &[&str] = &[
    "equals",
    "not equal",
    "greater than",
    "less than",
    "greater than or equal",
    "less than or equal",
    "pattern match",
];

/// The default scoring model is always computed; a `model` naming it adds nothing.
const DEFAULT_SCORING: &str = "urn:xccdf:scoring:default";

struct Ctx<'a> {
    path: &'a Path,
    unsupported: Vec<Unsupported>,
    /// Ids of groups, rules and values (they share one id space: `select` may name any).
    item_ids: HashSet<String>,
}

impl<'a> Ctx<'a> {
    fn new(path: &'a Path) -> Self {
        Ctx {
            path,
            unsupported: Vec::new(),
            item_ids: HashSet::new(),
        }
    }

    fn invalid(&self, el: &Element, message: impl Into<String>) -> ContentError {
        ContentError::invalid(self.path, el.pos, el.label(), message)
    }

    fn unsupported(&mut self, el: &Element, message: impl Into<String>) {
        self.unsupported.push(Unsupported {
            path: self.path.to_path_buf(),
            pos: el.pos,
            element: el.label(),
            message: message.into(),
        });
    }

    /// An element the caller does not model: ignored when it is XCCDF documentation
    /// listed in `doc_only`, reported otherwise.
    fn other(&mut self, parent: &Element, el: &Element, doc_only: &[&str]) {
        if &*el.ns == ns::XCCDF {
            if doc_only.contains(&el.name.as_str()) {
                return;
            }
            let message = match el.name.as_str() {
                "signature" => "XML signatures are not verified".to_string(),
                "TestResult" => "results embedded in the benchmark are not read".to_string(),
                n => format!("<{n}> inside <{}> is not implemented", parent.name),
            };
            self.unsupported(el, message);
        } else {
            let message = format!(
                "element {{{}}}{} inside <{}> is not implemented",
                el.ns, el.name, parent.name
            );
            self.unsupported(el, message);
        }
    }

    fn required<'e>(&self, el: &'e Element, name: &str) -> Result<&'e str> {
        match el.attr(name) {
            Some(v) if !v.trim().is_empty() => Ok(v),
            Some(_) => Err(self.invalid(el, format!("attribute '{name}' is empty"))),
            None => Err(self.invalid(el, format!("missing attribute '{name}'"))),
        }
    }

    fn id(&self, el: &Element) -> Result<String> {
        self.required(el, "id").map(str::to_string)
    }

    /// Registers an item id, refusing duplicates.
    fn item_id(&mut self, el: &Element) -> Result<String> {
        let id = self.id(el)?;
        if !self.item_ids.insert(id.clone()) {
            return Err(self.invalid(el, format!("duplicate id '{id}'")));
        }
        Ok(id)
    }

    fn bool_attr(&self, el: &Element, name: &str, default: bool) -> Result<bool> {
        match el.attr(name) {
            None => Ok(default),
            Some(v) => parse_bool(v).ok_or_else(|| {
                self.invalid(el, format!("attribute '{name}': '{v}' is not a boolean"))
            }),
        }
    }

    fn weight_attr(&self, el: &Element) -> Result<Option<f64>> {
        match el.attr("weight") {
            None => Ok(None),
            Some(v) => match v.trim().parse::<f64>() {
                Ok(w) if w.is_finite() && w >= 0.0 => Ok(Some(w)),
                _ => Err(self.invalid(
                    el,
                    format!("attribute 'weight': '{v}' is not a non-negative number"),
                )),
            },
        }
    }

    fn severity_attr(&self, el: &Element) -> Result<Option<Severity>> {
        match el.attr("severity") {
            None => Ok(None),
            Some(v) => Severity::parse(v).map(Some).ok_or_else(|| {
                self.invalid(
                    el,
                    format!(
                        "attribute 'severity': '{v}' is not one of unknown, info, low, medium, high"
                    ),
                )
            }),
        }
    }

    fn role_attr(&self, el: &Element) -> Result<Option<Role>> {
        match el.attr("role") {
            None => Ok(None),
            Some(v) => Role::parse(v).map(Some).ok_or_else(|| {
                self.invalid(
                    el,
                    format!("attribute 'role': '{v}' is not one of full, unscored, unchecked"),
                )
            }),
        }
    }

    fn operator_attr(&self, el: &Element) -> Result<BoolOperator> {
        let v = self.required(el, "operator")?;
        match v {
            "AND" => Ok(BoolOperator::And),
            "OR" => Ok(BoolOperator::Or),
            _ => Err(self.invalid(el, format!("attribute 'operator': '{v}' is not AND or OR"))),
        }
    }

    /// Items are flattened, so `extends` (used only before resolution, §7.2) and
    /// abstract items would change meaning; say so rather than evaluate them wrongly.
    fn item_flags(&mut self, el: &Element) -> Result<()> {
        if self.bool_attr(el, "abstract", false)? {
            self.unsupported(el, "abstract items are not evaluated specially");
        }
        if let Some(base) = el.attr("extends") {
            self.unsupported(
                el,
                format!("'extends=\"{base}\"' on an item: unresolved benchmarks are not resolved"),
            );
        }
        Ok(())
    }
}

/// xsd:boolean lexical forms.
fn parse_bool(v: &str) -> Option<bool> {
    match v.trim() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

fn is_x(el: &Element, name: &str) -> bool {
    el.is(ns::XCCDF, name)
}

fn first_text(el: &Element, name: &str) -> String {
    el.child(ns::XCCDF, name)
        .map(|t| t.text())
        .unwrap_or_default()
}

fn first_xml(el: &Element, name: &str) -> String {
    el.child(ns::XCCDF, name)
        .map(|t| t.inner_xml())
        .unwrap_or_default()
}

fn platform_idref(ctx: &Ctx, el: &Element) -> Result<String> {
    ctx.required(el, "idref").map(str::to_string)
}

/// `requires idref="a b"`: a space-separated list of alternatives.
fn requires(ctx: &Ctx, el: &Element) -> Result<Vec<String>> {
    Ok(ctx
        .required(el, "idref")?
        .split_whitespace()
        .map(str::to_string)
        .collect())
}

fn reference(el: &Element) -> XccdfReference {
    XccdfReference {
        href: el.attr("href").map(str::to_string),
        text: el.text(),
    }
}

/// Parses an XCCDF 1.2 `Benchmark` element. Returns the benchmark and the elements it
/// uses that vigil does not implement.
pub fn parse_benchmark(root: &Element, path: &Path) -> Result<(Benchmark, Vec<Unsupported>)> {
    let mut ctx = Ctx::new(path);
    if !is_x(root, "Benchmark") {
        return Err(ctx.invalid(
            root,
            format!(
                "expected an XCCDF 1.2 Benchmark ({}), found {{{}}}{}",
                ns::XCCDF,
                root.ns,
                root.name
            ),
        ));
    }
    let mut b = Benchmark {
        id: ctx.id(root)?,
        path: path.to_path_buf(),
        version: String::new(),
        title: String::new(),
        description: String::new(),
        status: None,
        resolved: ctx.bool_attr(root, "resolved", false)?,
        platforms: Vec::new(),
        platform_specification: IndexMap::new(),
        profiles: Vec::new(),
        values: IndexMap::new(),
        groups: IndexMap::new(),
        rules: IndexMap::new(),
        children: Vec::new(),
        references: Vec::new(),
        pos: root.pos,
    };
    let mut have_title = false;
    let mut have_description = false;
    let mut profile_ids = HashSet::new();
    for el in root.elements() {
        if el.is(ns::CPE_LANG, "platform-specification") {
            parse_platform_specification(&ctx, el, &mut b.platform_specification)?;
            continue;
        }
        if &*el.ns != ns::XCCDF {
            ctx.other(root, el, &[]);
            continue;
        }
        match el.name.as_str() {
            "status" => b.status = Some(el.text().trim().to_string()),
            "title" if !have_title => {
                have_title = true;
                b.title = el.text();
            }
            "description" if !have_description => {
                have_description = true;
                b.description = el.inner_xml();
            }
            // Further translations (other xml:lang) of the same text.
            "title" | "description" => {}
            "version" => b.version = el.text().trim().to_string(),
            "reference" => b.references.push(reference(el)),
            "platform" => b.platforms.push(platform_idref(&ctx, el)?),
            "model" => {
                let system = ctx.required(el, "system")?;
                if system != DEFAULT_SCORING {
                    ctx.unsupported(
                        el,
                        format!("scoring model '{system}' is not computed (only the default)"),
                    );
                }
            }
            "Profile" => {
                let p = parse_profile(&mut ctx, el)?;
                if !profile_ids.insert(p.id.clone()) {
                    return Err(ctx.invalid(el, format!("duplicate profile id '{}'", p.id)));
                }
                b.profiles.push(p);
            }
            "Value" => {
                let v = parse_value(&mut ctx, el, None)?;
                b.values.insert(v.id.clone(), v);
            }
            "Group" => {
                let id = parse_group(&mut ctx, el, None, &mut b)?;
                b.children.push(id);
            }
            "Rule" => {
                let r = parse_rule(&mut ctx, el, None)?;
                b.children.push(r.id.clone());
                b.rules.insert(r.id.clone(), r);
            }
            _ => ctx.other(root, el, BENCHMARK_DOC_ONLY),
        }
    }
    Ok((b, ctx.unsupported))
}

fn parse_profile(ctx: &mut Ctx, el: &Element) -> Result<Profile> {
    let mut p = Profile {
        id: ctx.id(el)?,
        title: first_text(el, "title"),
        description: first_xml(el, "description"),
        extends: el.attr("extends").map(str::to_string),
        selects: Vec::new(),
        set_values: Vec::new(),
        refine_values: Vec::new(),
        refine_rules: Vec::new(),
        pos: el.pos,
    };
    if ctx.bool_attr(el, "abstract", false)? {
        ctx.unsupported(
            el,
            "abstract profiles are offered for selection like others",
        );
    }
    for c in el.elements() {
        if &*c.ns != ns::XCCDF {
            ctx.other(el, c, &[]);
            continue;
        }
        match c.name.as_str() {
            "title" | "description" => {}
            "select" => {
                let idref = ctx.required(c, "idref")?.to_string();
                let selected = match c.attr("selected") {
                    Some(_) => ctx.bool_attr(c, "selected", true)?,
                    None => return Err(ctx.invalid(c, "missing attribute 'selected'")),
                };
                p.selects.push((idref, selected));
            }
            "set-value" => {
                let idref = ctx.required(c, "idref")?.to_string();
                p.set_values.push((idref, c.text()));
            }
            "refine-value" => {
                let idref = ctx.required(c, "idref")?.to_string();
                if let Some(op) = c.attr("operator") {
                    ctx.unsupported(
                        c,
                        format!("refine-value operator '{op}' is not applied to the value"),
                    );
                }
                // No selector means "the default value" (§6.5.3); kept as "".
                let selector = c.attr("selector").unwrap_or_default().to_string();
                p.refine_values.push((idref, selector));
            }
            "refine-rule" => {
                p.refine_rules.push(RefineRule {
                    idref: ctx.required(c, "idref")?.to_string(),
                    severity: ctx.severity_attr(c)?,
                    weight: ctx.weight_attr(c)?,
                    role: ctx.role_attr(c)?,
                    selector: c.attr("selector").map(str::to_string),
                });
            }
            "platform" => ctx.unsupported(c, "profile platforms are not checked"),
            "set-complex-value" => ctx.unsupported(c, "complex values are not implemented"),
            _ => ctx.other(el, c, PROFILE_DOC_ONLY),
        }
    }
    Ok(p)
}

fn parse_value(ctx: &mut Ctx, el: &Element, parent: Option<&str>) -> Result<Value> {
    let id = ctx.item_id(el)?;
    ctx.item_flags(el)?;
    let value_type = match el.attr("type").unwrap_or("string") {
        "string" => ValueType::String,
        "number" => ValueType::Number,
        "boolean" => ValueType::Boolean,
        other => {
            return Err(ctx.invalid(
                el,
                format!("attribute 'type': '{other}' is not string, number or boolean"),
            ));
        }
    };
    let operator = el.attr("operator").unwrap_or("equals");
    if !VALUE_OPERATORS.contains(&operator) {
        return Err(ctx.invalid(
            el,
            format!("attribute 'operator': '{operator}' is not a value operator"),
        ));
    }
    let mut v = Value {
        id,
        title: first_text(el, "title"),
        description: first_xml(el, "description"),
        value_type,
        operator: operator.to_string(),
        values: Vec::new(),
        parent: parent.map(str::to_string),
        pos: el.pos,
    };
    for c in el.elements() {
        if &*c.ns != ns::XCCDF {
            ctx.other(el, c, &[]);
            continue;
        }
        match c.name.as_str() {
            "title" | "description" => {}
            "value" => {
                let selector = c.attr("selector").filter(|s| !s.is_empty());
                if v.values.iter().any(|(s, _)| s.as_deref() == selector) {
                    return Err(ctx.invalid(
                        c,
                        format!(
                            "duplicate value for selector '{}'",
                            selector.unwrap_or_default()
                        ),
                    ));
                }
                v.values.push((selector.map(str::to_string), c.text()));
            }
            "complex-value" | "complex-default" => {
                ctx.unsupported(c, "complex values are not implemented")
            }
            _ => ctx.other(el, c, VALUE_DOC_ONLY),
        }
    }
    Ok(v)
}

/// Parses a Group and, recursively, its content into `b`; returns the group id.
fn parse_group(
    ctx: &mut Ctx,
    el: &Element,
    parent: Option<&str>,
    b: &mut Benchmark,
) -> Result<String> {
    let id = ctx.item_id(el)?;
    ctx.item_flags(el)?;
    let mut g = Group {
        id: id.clone(),
        title: first_text(el, "title"),
        description: first_xml(el, "description"),
        selected: ctx.bool_attr(el, "selected", true)?,
        parent: parent.map(str::to_string),
        platforms: Vec::new(),
        weight: ctx.weight_attr(el)?.unwrap_or(1.0),
        children: Vec::new(),
        requires: Vec::new(),
        conflicts: Vec::new(),
        pos: el.pos,
    };
    // Insert first so groups keep document (pre-)order.
    b.groups.insert(id.clone(), g.clone());
    for c in el.elements() {
        if &*c.ns != ns::XCCDF {
            ctx.other(el, c, &[]);
            continue;
        }
        match c.name.as_str() {
            "title" | "description" => {}
            "platform" => g.platforms.push(platform_idref(ctx, c)?),
            "requires" => g.requires.push(requires(ctx, c)?),
            "conflicts" => g.conflicts.push(ctx.required(c, "idref")?.to_string()),
            "Value" => {
                let v = parse_value(ctx, c, Some(&id))?;
                b.values.insert(v.id.clone(), v);
            }
            "Group" => {
                let child = parse_group(ctx, c, Some(&id), b)?;
                g.children.push(child);
            }
            "Rule" => {
                let r = parse_rule(ctx, c, Some(&id))?;
                g.children.push(r.id.clone());
                b.rules.insert(r.id.clone(), r);
            }
            _ => ctx.other(el, c, GROUP_DOC_ONLY),
        }
    }
    b.groups.insert(id.clone(), g);
    Ok(id)
}

fn parse_rule(ctx: &mut Ctx, el: &Element, parent: Option<&str>) -> Result<Rule> {
    let id = ctx.item_id(el)?;
    ctx.item_flags(el)?;
    let mut r = Rule {
        id,
        title: first_text(el, "title"),
        description: first_xml(el, "description"),
        rationale: first_xml(el, "rationale"),
        severity: ctx.severity_attr(el)?.unwrap_or(Severity::Unknown),
        role: ctx.role_attr(el)?.unwrap_or(Role::Full),
        weight: ctx.weight_attr(el)?.unwrap_or(1.0),
        selected: ctx.bool_attr(el, "selected", true)?,
        hidden: ctx.bool_attr(el, "hidden", false)?,
        parent: parent.map(str::to_string),
        platforms: Vec::new(),
        references: Vec::new(),
        idents: Vec::new(),
        fixtext: None,
        fixes: Vec::new(),
        checks: Vec::new(),
        requires: Vec::new(),
        conflicts: Vec::new(),
        pos: el.pos,
    };
    let mut complex_seen = false;
    for c in el.elements() {
        if &*c.ns != ns::XCCDF {
            ctx.other(el, c, &[]);
            continue;
        }
        match c.name.as_str() {
            "title" | "description" | "rationale" => {}
            "platform" => r.platforms.push(platform_idref(ctx, c)?),
            "requires" => r.requires.push(requires(ctx, c)?),
            "conflicts" => r.conflicts.push(ctx.required(c, "idref")?.to_string()),
            "reference" => r.references.push(reference(c)),
            "ident" => r.idents.push(Ident {
                system: ctx.required(c, "system")?.to_string(),
                value: c.text().trim().to_string(),
            }),
            "fixtext" => {
                if r.fixtext.is_none() {
                    r.fixtext = Some(c.inner_xml());
                }
            }
            // Fix scripts keep their `<sub>`/`<instance>` markup (XML fragment), like
            // descriptions; a remediation step substitutes values before use.
            "fix" => r.fixes.push(Fix {
                system: c.attr("system").map(str::to_string),
                id: c.attr("id").map(str::to_string),
                content: c.inner_xml(),
            }),
            "check" => r.checks.push(RuleCheck::Check(parse_check(ctx, c)?)),
            "complex-check" => {
                if complex_seen {
                    return Err(ctx.invalid(c, "a rule has at most one complex-check"));
                }
                complex_seen = true;
                r.checks
                    .push(RuleCheck::Complex(parse_complex_check(ctx, c)?));
            }
            _ => ctx.other(el, c, RULE_DOC_ONLY),
        }
    }
    Ok(r)
}

fn parse_check(ctx: &mut Ctx, el: &Element) -> Result<Check> {
    let mut check = Check {
        system: ctx.required(el, "system")?.to_string(),
        selector: el
            .attr("selector")
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        negate: ctx.bool_attr(el, "negate", false)?,
        multi_check: ctx.bool_attr(el, "multi-check", false)?,
        exports: Vec::new(),
        content_refs: Vec::new(),
        has_inline_content: false,
    };
    for c in el.elements() {
        if &*c.ns != ns::XCCDF {
            ctx.other(el, c, &[]);
            continue;
        }
        match c.name.as_str() {
            "check-export" => check.exports.push(CheckExport {
                value_id: ctx.required(c, "value-id")?.to_string(),
                export_name: ctx.required(c, "export-name")?.to_string(),
            }),
            "check-content-ref" => check.content_refs.push(CheckContentRef {
                href: ctx.required(c, "href")?.to_string(),
                name: c.attr("name").map(str::to_string),
            }),
            "check-content" => check.has_inline_content = true,
            "check-import" => ctx.unsupported(
                c,
                "check-import: collected data is not imported into results",
            ),
            _ => ctx.other(el, c, &[]),
        }
    }
    Ok(check)
}

fn parse_complex_check(ctx: &mut Ctx, el: &Element) -> Result<ComplexCheck> {
    let mut cc = ComplexCheck {
        operator: ctx.operator_attr(el)?,
        negate: ctx.bool_attr(el, "negate", false)?,
        children: Vec::new(),
    };
    for c in el.elements() {
        if is_x(c, "check") {
            cc.children.push(RuleCheck::Check(parse_check(ctx, c)?));
        } else if is_x(c, "complex-check") {
            cc.children
                .push(RuleCheck::Complex(parse_complex_check(ctx, c)?));
        } else {
            ctx.other(el, c, &[]);
        }
    }
    if cc.children.is_empty() {
        return Err(ctx.invalid(el, "complex-check without any check"));
    }
    Ok(cc)
}

fn parse_platform_specification(
    ctx: &Ctx,
    el: &Element,
    out: &mut IndexMap<String, Platform>,
) -> Result<()> {
    for p in el.elements() {
        if !p.is(ns::CPE_LANG, "platform") {
            return Err(ctx.invalid(p, "expected cpe-lang platform"));
        }
        let id = ctx.id(p)?;
        let mut tests = p.children_named(ns::CPE_LANG, "logical-test");
        let test = match (tests.next(), tests.next()) {
            (Some(t), None) => parse_logical_test(ctx, t)?,
            (None, _) => return Err(ctx.invalid(p, "platform without a logical-test")),
            (Some(_), Some(t)) => return Err(ctx.invalid(t, "more than one logical-test")),
        };
        let title = p
            .child(ns::CPE_LANG, "title")
            .map(|t| t.text())
            .unwrap_or_default();
        if out.contains_key(&id) {
            return Err(ctx.invalid(p, format!("duplicate platform id '{id}'")));
        }
        out.insert(id.clone(), Platform { id, title, test });
    }
    Ok(())
}

fn parse_logical_test(ctx: &Ctx, el: &Element) -> Result<LogicalTest> {
    let mut t = LogicalTest {
        operator: ctx.operator_attr(el)?,
        negate: ctx.bool_attr(el, "negate", false)?,
        fact_refs: Vec::new(),
        check_fact_refs: Vec::new(),
        tests: Vec::new(),
    };
    for c in el.elements() {
        if c.is(ns::CPE_LANG, "logical-test") {
            t.tests.push(parse_logical_test(ctx, c)?);
        } else if c.is(ns::CPE_LANG, "fact-ref") {
            t.fact_refs.push(ctx.required(c, "name")?.to_string());
        } else if c.is(ns::CPE_LANG, "check-fact-ref") {
            t.check_fact_refs.push((
                ctx.required(c, "system")?.to_string(),
                ctx.required(c, "href")?.to_string(),
                ctx.required(c, "id-ref")?.to_string(),
            ));
        } else {
            // A logical test that silently lost a term would change applicability.
            return Err(ctx.invalid(
                c,
                format!("unexpected {{{}}}{} in a logical-test", c.ns, c.name),
            ));
        }
    }
    Ok(t)
}

/// Parses an XCCDF 1.2 `Tailoring` document (§6.7).
pub fn parse_tailoring(root: &Element, path: &Path) -> Result<Tailoring> {
    parse_tailoring_with_unsupported(root, path).map(|(t, _)| t)
}

/// [`parse_tailoring`], also returning the elements vigil does not implement.
pub fn parse_tailoring_with_unsupported(
    root: &Element,
    path: &Path,
) -> Result<(Tailoring, Vec<Unsupported>)> {
    let mut ctx = Ctx::new(path);
    if !is_x(root, "Tailoring") {
        return Err(ctx.invalid(
            root,
            format!(
                "expected an XCCDF 1.2 Tailoring ({}), found {{{}}}{}",
                ns::XCCDF,
                root.ns,
                root.name
            ),
        ));
    }
    let mut t = Tailoring {
        id: ctx.id(root)?,
        path: path.to_path_buf(),
        benchmark_href: None,
        profiles: Vec::new(),
    };
    let mut ids = HashSet::new();
    for el in root.elements() {
        if is_x(el, "benchmark") {
            t.benchmark_href = el.attr("href").map(str::to_string);
        } else if is_x(el, "Profile") {
            let p = parse_profile(&mut ctx, el)?;
            if !ids.insert(p.id.clone()) {
                return Err(ctx.invalid(el, format!("duplicate profile id '{}'", p.id)));
            }
            t.profiles.push(p);
        } else {
            ctx.other(root, el, TAILORING_DOC_ONLY);
        }
    }
    Ok((t, ctx.unsupported))
}

/// Parses a CPE 2.x dictionary (`cpe-list`): item names, titles and their checks.
pub fn parse_cpe_dictionary(root: &Element, path: &Path) -> Result<CpeDictionary> {
    let ctx = Ctx::new(path);
    if !root.is(ns::CPE_DICT, "cpe-list") {
        return Err(ctx.invalid(
            root,
            format!(
                "expected a CPE dictionary cpe-list ({}), found {{{}}}{}",
                ns::CPE_DICT,
                root.ns,
                root.name
            ),
        ));
    }
    let mut dict = CpeDictionary::default();
    // Other children (generator, cpe-23 extensions, notes, references) describe items.
    for el in root.children_named(ns::CPE_DICT, "cpe-item") {
        let name = ctx.required(el, "name")?.to_string();
        let title = el
            .child(ns::CPE_DICT, "title")
            .map(|t| t.text())
            .unwrap_or_default();
        let mut checks = Vec::new();
        for c in el.children_named(ns::CPE_DICT, "check") {
            let id = c.text().trim().to_string();
            if id.is_empty() {
                return Err(ctx.invalid(c, "check without a definition id"));
            }
            checks.push((
                ctx.required(c, "system")?.to_string(),
                c.attr("href").unwrap_or_default().to_string(),
                id,
            ));
        }
        if dict.items.contains_key(&name) {
            return Err(ctx.invalid(el, format!("duplicate cpe-item '{name}'")));
        }
        dict.items.insert(
            name.clone(),
            CpeItem {
                name,
                title,
                checks,
            },
        );
    }
    Ok(dict)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::xml::parse_str;

    fn bench(xml: &str) -> Result<(Benchmark, Vec<Unsupported>)> {
        let doc = parse_str(xml, Path::new("b.xml"))?;
        parse_benchmark(&doc.root, Path::new("b.xml"))
    }

    fn err(xml: &str) -> String {
        bench(xml).unwrap_err().to_string()
    }

    /// Uses `x:` for XCCDF, `c:` for cpe-lang and `h:` for XHTML, unlike SSG's
    /// `xccdf-1.2:` / `cpe-lang:` / `html:`.
    const FULL: &str = r##"<?xml version="1.0"?>
<x:Benchmark xmlns:x="http://checklists.nist.gov/xccdf/1.2"
    xmlns:c="http://cpe.mitre.org/language/2.0" xmlns:h="http://www.w3.org/1999/xhtml"
    id="xccdf_t_benchmark_b" resolved="1">
  <x:status date="2024-01-01">draft</x:status>
  <x:title>Bench</x:title>
  <x:description>Some <h:code>code</h:code> &amp; text</x:description>
  <x:notice id="n">notice</x:notice>
  <x:front-matter>front</x:front-matter>
  <x:reference href="https://example.org">Ref</x:reference>
  <x:plain-text id="pt">plain</x:plain-text>
  <c:platform-specification>
    <c:platform id="pkg">
      <c:title>Package</c:title>
      <c:logical-test operator="OR" negate="true">
        <c:fact-ref name="cpe:/a:x"/>
        <c:logical-test operator="AND" negate="false">
          <c:fact-ref name="cpe:/a:y"/>
          <c:check-fact-ref system="http://oval.mitre.org/XMLSchema/oval-definitions-5"
              href="cpe-oval.xml" id-ref="oval:t:def:9"/>
        </c:logical-test>
      </c:logical-test>
    </c:platform>
  </c:platform-specification>
  <x:platform idref="cpe:/o:debian:debian_linux:11"/>
  <x:version update="u">1.2.3</x:version>
  <x:metadata><dc:creator xmlns:dc="http://purl.org/dc/elements/1.1/">me</dc:creator></x:metadata>
  <x:model system="urn:xccdf:scoring:default"/>
  <x:Profile id="xccdf_t_profile_base">
    <x:title>Base</x:title>
    <x:description>Base profile</x:description>
    <x:select idref="xccdf_t_rule_a" selected="true"/>
    <x:select idref="xccdf_t_group_g2" selected="false"/>
    <x:set-value idref="xccdf_t_value_v">42</x:set-value>
    <x:refine-value idref="xccdf_t_value_v" selector="big"/>
    <x:refine-rule idref="xccdf_t_rule_a" severity="high" weight="2.5" role="unscored" selector="s"/>
  </x:Profile>
  <x:Profile id="xccdf_t_profile_child" extends="xccdf_t_profile_base">
    <x:title>Child</x:title>
  </x:Profile>
  <x:Value id="xccdf_t_value_top" type="boolean"><x:value>true</x:value></x:Value>
  <x:Group id="xccdf_t_group_g1" weight="3">
    <x:title>G1</x:title>
    <x:warning>careful</x:warning>
    <x:platform idref="#pkg"/>
    <x:Value id="xccdf_t_value_v" type="number" operator="greater than">
      <x:title>V</x:title>
      <x:value>10</x:value>
      <x:value selector="big">100</x:value>
      <x:default>10</x:default>
      <x:lower-bound>0</x:lower-bound>
    </x:Value>
    <x:Rule id="xccdf_t_rule_a" selected="false" severity="medium" role="unchecked"
        weight="0.5" hidden="true">
      <x:title>Rule A</x:title>
      <x:description>Desc <h:b>bold</h:b></x:description>
      <x:rationale>Why</x:rationale>
      <x:reference href="https://ref">NIST-800-53 AC-1</x:reference>
      <x:reference>no href</x:reference>
      <x:ident system="https://cce">CCE-1</x:ident>
      <x:platform idref="#pkg"/>
      <x:requires idref="xccdf_t_rule_top  xccdf_t_rule_b"/>
      <x:requires idref="xccdf_t_group_g2"/>
      <x:conflicts idref="xccdf_t_rule_b"/>
      <x:fixtext>Do it</x:fixtext>
      <x:fix system="urn:xccdf:fix:script:sh" id="fa">echo <x:sub idref="xccdf_t_value_v"/></x:fix>
      <x:check system="http://oval.mitre.org/XMLSchema/oval-definitions-5" selector="sel"
          negate="true" multi-check="true">
        <x:check-export value-id="xccdf_t_value_v" export-name="oval:t:var:1"/>
        <x:check-content-ref href="t-oval.xml" name="oval:t:def:1"/>
        <x:check-content-ref href="t-oval2.xml"/>
      </x:check>
      <x:check system="http://scap.nist.gov/schema/ocil/2">
        <x:check-content>inline</x:check-content>
      </x:check>
    </x:Rule>
    <x:Group id="xccdf_t_group_g2" selected="false">
      <x:title>G2</x:title>
      <x:Rule id="xccdf_t_rule_b">
        <x:title>Rule B</x:title>
        <x:complex-check operator="OR" negate="1">
          <x:check system="http://oval.mitre.org/XMLSchema/oval-definitions-5">
            <x:check-content-ref href="t-oval.xml" name="oval:t:def:2"/>
          </x:check>
          <x:complex-check operator="AND">
            <x:check system="http://oval.mitre.org/XMLSchema/oval-definitions-5">
              <x:check-content-ref href="t-oval.xml" name="oval:t:def:3"/>
            </x:check>
          </x:complex-check>
        </x:complex-check>
      </x:Rule>
    </x:Group>
  </x:Group>
  <x:Rule id="xccdf_t_rule_top"><x:title>Top</x:title></x:Rule>
</x:Benchmark>"##;

    #[test]
    fn benchmark_level_fields() {
        let (b, unsupported) = bench(FULL).unwrap();
        assert!(unsupported.is_empty(), "{unsupported:?}");
        assert_eq!(b.id, "xccdf_t_benchmark_b");
        assert!(b.resolved);
        assert_eq!(b.version, "1.2.3");
        assert_eq!(b.title, "Bench");
        assert_eq!(b.description, "Some <code>code</code> &amp; text");
        assert_eq!(b.status.as_deref(), Some("draft"));
        assert_eq!(b.platforms, vec!["cpe:/o:debian:debian_linux:11"]);
        assert_eq!(b.references[0].href.as_deref(), Some("https://example.org"));
        assert_eq!(
            b.children,
            vec!["xccdf_t_group_g1", "xccdf_t_rule_top"],
            "top-level groups and rules, values excluded"
        );
        assert_eq!(b.pos.line, 2);
    }

    #[test]
    fn platform_specification_nested_tests() {
        let (b, _) = bench(FULL).unwrap();
        let p = &b.platform_specification["pkg"];
        assert_eq!(p.title, "Package");
        assert_eq!(p.test.operator, BoolOperator::Or);
        assert!(p.test.negate);
        assert_eq!(p.test.fact_refs, vec!["cpe:/a:x"]);
        let inner = &p.test.tests[0];
        assert_eq!(inner.operator, BoolOperator::And);
        assert!(!inner.negate);
        assert_eq!(inner.fact_refs, vec!["cpe:/a:y"]);
        assert_eq!(
            inner.check_fact_refs,
            vec![(
                ns::OVAL_SYSTEM.to_string(),
                "cpe-oval.xml".to_string(),
                "oval:t:def:9".to_string()
            )]
        );
    }

    #[test]
    fn profiles() {
        let (b, _) = bench(FULL).unwrap();
        assert_eq!(b.profiles.len(), 2);
        let p = b.profile("xccdf_t_profile_base").unwrap();
        assert_eq!(p.title, "Base");
        assert_eq!(p.description, "Base profile");
        assert_eq!(
            p.selects,
            vec![
                ("xccdf_t_rule_a".to_string(), true),
                ("xccdf_t_group_g2".to_string(), false)
            ]
        );
        assert_eq!(p.set_values, vec![("xccdf_t_value_v".into(), "42".into())]);
        assert_eq!(
            p.refine_values,
            vec![("xccdf_t_value_v".into(), "big".into())]
        );
        assert_eq!(
            p.refine_rules,
            vec![RefineRule {
                idref: "xccdf_t_rule_a".into(),
                severity: Some(Severity::High),
                weight: Some(2.5),
                role: Some(Role::Unscored),
                selector: Some("s".into()),
            }]
        );
        let c = b.profile("xccdf_t_profile_child").unwrap();
        assert_eq!(c.extends.as_deref(), Some("xccdf_t_profile_base"));
        assert!(c.selects.is_empty());
    }

    #[test]
    fn values_with_selectors_and_parents() {
        let (b, _) = bench(FULL).unwrap();
        assert_eq!(
            b.values.keys().collect::<Vec<_>>(),
            vec!["xccdf_t_value_top", "xccdf_t_value_v"]
        );
        let top = &b.values["xccdf_t_value_top"];
        assert_eq!(top.value_type, ValueType::Boolean);
        assert_eq!(top.operator, "equals");
        assert_eq!(top.parent, None);
        let v = &b.values["xccdf_t_value_v"];
        assert_eq!(v.value_type, ValueType::Number);
        assert_eq!(v.operator, "greater than");
        assert_eq!(v.title, "V");
        assert_eq!(v.parent.as_deref(), Some("xccdf_t_group_g1"));
        assert_eq!(v.default_value(), Some("10"));
        assert_eq!(v.selected("big"), Some("100"));
        assert_eq!(v.values.len(), 2, "<default> is not a value");
    }

    #[test]
    fn groups_nest_with_defaults_and_order() {
        let (b, _) = bench(FULL).unwrap();
        assert_eq!(
            b.groups.keys().collect::<Vec<_>>(),
            vec!["xccdf_t_group_g1", "xccdf_t_group_g2"]
        );
        let g1 = &b.groups["xccdf_t_group_g1"];
        assert!(g1.selected);
        assert_eq!(g1.weight, 3.0);
        assert_eq!(g1.parent, None);
        assert_eq!(g1.platforms, vec!["#pkg"]);
        assert_eq!(g1.children, vec!["xccdf_t_rule_a", "xccdf_t_group_g2"]);
        let g2 = &b.groups["xccdf_t_group_g2"];
        assert!(!g2.selected);
        assert_eq!(g2.weight, 1.0);
        assert_eq!(g2.parent.as_deref(), Some("xccdf_t_group_g1"));
        assert_eq!(g2.children, vec!["xccdf_t_rule_b"]);
    }

    #[test]
    fn rules_flattened_in_document_order() {
        let (b, _) = bench(FULL).unwrap();
        assert_eq!(
            b.rules.keys().collect::<Vec<_>>(),
            vec!["xccdf_t_rule_a", "xccdf_t_rule_b", "xccdf_t_rule_top"]
        );
        assert_eq!(
            b.rules["xccdf_t_rule_b"].parent.as_deref(),
            Some("xccdf_t_group_g2")
        );
        assert_eq!(b.rules["xccdf_t_rule_top"].parent, None);
    }

    #[test]
    fn rule_fields() {
        let (b, _) = bench(FULL).unwrap();
        let r = &b.rules["xccdf_t_rule_a"];
        assert_eq!(r.title, "Rule A");
        assert_eq!(r.description, "Desc <b>bold</b>");
        assert_eq!(r.rationale, "Why");
        assert!(!r.selected);
        assert!(r.hidden);
        assert_eq!(r.severity, Severity::Medium);
        assert_eq!(r.role, Role::Unchecked);
        assert_eq!(r.weight, 0.5);
        assert_eq!(r.platforms, vec!["#pkg"]);
        assert_eq!(
            r.references,
            vec![
                XccdfReference {
                    href: Some("https://ref".into()),
                    text: "NIST-800-53 AC-1".into()
                },
                XccdfReference {
                    href: None,
                    text: "no href".into()
                }
            ]
        );
        assert_eq!(
            r.idents,
            vec![Ident {
                system: "https://cce".into(),
                value: "CCE-1".into()
            }]
        );
        assert_eq!(
            r.requires,
            vec![
                vec!["xccdf_t_rule_top".to_string(), "xccdf_t_rule_b".to_string()],
                vec!["xccdf_t_group_g2".to_string()]
            ],
            "each requires lists alternatives"
        );
        assert_eq!(r.conflicts, vec!["xccdf_t_rule_b"]);
        assert_eq!(r.fixtext.as_deref(), Some("Do it"));
        assert_eq!(
            r.fixes,
            vec![Fix {
                system: Some("urn:xccdf:fix:script:sh".into()),
                id: Some("fa".into()),
                content: "echo <sub idref=\"xccdf_t_value_v\"/>".into()
            }]
        );
        assert_eq!(r.checks.len(), 2);
        let RuleCheck::Check(c) = &r.checks[0] else {
            panic!("expected a check")
        };
        assert_eq!(c.system, ns::OVAL_SYSTEM);
        assert_eq!(c.selector.as_deref(), Some("sel"));
        assert!(c.negate && c.multi_check && !c.has_inline_content);
        assert_eq!(
            c.exports,
            vec![CheckExport {
                value_id: "xccdf_t_value_v".into(),
                export_name: "oval:t:var:1".into()
            }]
        );
        assert_eq!(
            c.content_refs,
            vec![
                CheckContentRef {
                    href: "t-oval.xml".into(),
                    name: Some("oval:t:def:1".into())
                },
                CheckContentRef {
                    href: "t-oval2.xml".into(),
                    name: None
                }
            ]
        );
        let RuleCheck::Check(ocil) = &r.checks[1] else {
            panic!("expected a check")
        };
        assert!(ocil.has_inline_content && ocil.content_refs.is_empty());
    }

    #[test]
    fn rule_defaults_and_complex_check() {
        let (b, _) = bench(FULL).unwrap();
        let r = &b.rules["xccdf_t_rule_b"];
        assert!(r.selected);
        assert!(!r.hidden);
        assert_eq!(r.severity, Severity::Unknown);
        assert_eq!(r.role, Role::Full);
        assert_eq!(r.weight, 1.0);
        assert!(r.requires.is_empty() && r.conflicts.is_empty());
        let [RuleCheck::Complex(cc)] = r.checks.as_slice() else {
            panic!("expected one complex-check: {:?}", r.checks)
        };
        assert_eq!(cc.operator, BoolOperator::Or);
        assert!(cc.negate);
        let RuleCheck::Complex(inner) = &cc.children[1] else {
            panic!("expected nested complex-check")
        };
        assert_eq!(inner.operator, BoolOperator::And);
        assert!(!inner.negate);
        let RuleCheck::Check(c) = &inner.children[0] else {
            panic!("expected check")
        };
        assert_eq!(c.content_refs[0].name.as_deref(), Some("oval:t:def:3"));
    }

    #[test]
    fn default_namespace_parses_like_prefixed() {
        let plain = FULL
            .replace("x:", "")
            .replace("xmlns:x=", "xmlns=")
            .replace("<c:", "<cpe:")
            .replace("</c:", "</cpe:")
            .replace("xmlns:c=", "xmlns:cpe=");
        let (a, _) = bench(FULL).unwrap();
        let (b, _) = bench(&plain).unwrap();
        assert_eq!(
            a.rules.keys().collect::<Vec<_>>(),
            b.rules.keys().collect::<Vec<_>>()
        );
        assert_eq!(
            a.rules["xccdf_t_rule_a"].checks,
            b.rules["xccdf_t_rule_a"].checks
        );
        assert_eq!(b.platform_specification["pkg"].test.tests.len(), 1);
    }

    const HEAD: &str = r#"<Benchmark xmlns="http://checklists.nist.gov/xccdf/1.2" id="b">"#;

    #[test]
    fn bad_attribute_values_are_positioned_errors() {
        let e = err(&format!(
            "{HEAD}\n  <Rule id=\"r\" severity=\"severe\"/>\n</Benchmark>"
        ));
        assert_eq!(
            e,
            "b.xml:2:3: <Rule>: attribute 'severity': 'severe' is not one of unknown, info, low, medium, high"
        );
        let e = err(&format!(
            "{HEAD}\n<Group id=\"g\" weight=\"-1\"/></Benchmark>"
        ));
        assert!(
            e.starts_with("b.xml:2:1: <Group>: attribute 'weight'"),
            "{e}"
        );
        let e = err(&format!(
            "{HEAD}\n<Rule id=\"r\" selected=\"yes\"/></Benchmark>"
        ));
        assert!(e.contains("'yes' is not a boolean"), "{e}");
        let e = err(&format!("{HEAD}\n<Rule id=\"r\" role=\"x\"/></Benchmark>"));
        assert!(e.contains("attribute 'role'"), "{e}");
        let e = err(&format!(
            "{HEAD}\n<Value id=\"v\" type=\"int\"/></Benchmark>"
        ));
        assert!(e.contains("<Value>: attribute 'type'"), "{e}");
        let e = err(&format!(
            "{HEAD}\n<Value id=\"v\" operator=\"eq\"/></Benchmark>"
        ));
        assert!(e.contains("attribute 'operator': 'eq'"), "{e}");
        let e = err(&format!(
            "{HEAD}<Rule id=\"r\">\n <complex-check operator=\"XOR\"><check system=\"s\"/></complex-check></Rule></Benchmark>"
        ));
        assert!(
            e.starts_with("b.xml:2:2: <complex-check>: attribute 'operator'"),
            "{e}"
        );
        let e = err(&format!(
            "{HEAD}<Profile id=\"p\">\n<select idref=\"r\"/></Profile></Benchmark>"
        ));
        assert!(
            e.starts_with("b.xml:2:1: <select>: missing attribute 'selected'"),
            "{e}"
        );
    }

    #[test]
    fn missing_and_duplicate_ids_are_errors() {
        let e = err(&format!("{HEAD}\n  <Group>\n</Group></Benchmark>"));
        assert_eq!(e, "b.xml:2:3: <Group>: missing attribute 'id'");
        let e = err(r#"<Benchmark xmlns="http://checklists.nist.gov/xccdf/1.2"/>"#);
        assert!(e.contains("<Benchmark>: missing attribute 'id'"), "{e}");
        let e = err(&format!(
            "{HEAD}<Group id=\"x\"><Rule id=\"r\"/></Group>\n<Rule id=\"r\"/></Benchmark>"
        ));
        assert_eq!(e, "b.xml:2:1: <Rule>: duplicate id 'r'");
        let e = err(&format!(
            "{HEAD}<Profile id=\"p\"/>\n<Profile id=\"p\"/></Benchmark>"
        ));
        assert!(
            e.contains("2:1: <Profile>: duplicate profile id 'p'"),
            "{e}"
        );
        let e = err(&format!(
            "{HEAD}<check-content-ref/><Rule id=\"r\"><check system=\"s\">\n<check-content-ref/></check></Rule></Benchmark>"
        ));
        assert!(
            e.contains("2:1: <check-content-ref>: missing attribute 'href'"),
            "{e}"
        );
    }

    #[test]
    fn not_a_benchmark_is_an_error() {
        let e = err(r#"<Benchmark xmlns="http://checklists.nist.gov/xccdf/1.1" id="b"/>"#);
        assert!(e.contains("expected an XCCDF 1.2 Benchmark"), "{e}");
    }

    #[test]
    fn unmodelled_elements_are_reported_not_dropped() {
        let xml = r#"<x:Benchmark xmlns:x="http://checklists.nist.gov/xccdf/1.2"
            xmlns:ds="http://www.w3.org/2000/09/xmldsig#" xmlns:e="urn:ext" id="b">
  <x:model system="urn:xccdf:scoring:flat"/>
  <x:Profile id="p"><x:set-complex-value idref="v"/><x:platform idref="c"/></x:Profile>
  <x:Value id="v"><x:complex-value/></x:Value>
  <x:Group id="g">
    <x:requires idref="r2"/>
    <x:Rule id="r">
      <x:conflicts idref="r2"/>
      <x:check system="s"><x:check-import import-name="stdout"/></x:check>
      <e:extension/>
    </x:Rule>
  </x:Group>
  <x:Rule id="r2" abstract="true"/>
  <x:TestResult id="t"/>
  <x:signature><ds:Signature/></x:signature>
  <x:no-such-thing/>
</x:Benchmark>"#;
        let (b, unsupported) = bench(xml).unwrap();
        assert_eq!(b.rules.len(), 2);
        assert_eq!(b.groups["g"].requires, vec![vec!["r2".to_string()]]);
        assert_eq!(b.rules["r"].conflicts, vec!["r2"]);
        let got: Vec<(u32, &str)> = unsupported
            .iter()
            .map(|u| (u.pos.line, u.element.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (3, "model"),
                (4, "set-complex-value"),
                (4, "platform"),
                (5, "complex-value"),
                (10, "check-import"),
                (11, "extension"),
                (14, "Rule"),
                (15, "TestResult"),
                (16, "signature"),
                (17, "no-such-thing"),
            ]
        );
        assert!(unsupported.iter().all(|u| u.path == Path::new("b.xml")));
        assert!(unsupported[8].message.contains("not verified"));
    }

    #[test]
    fn tailoring_document() {
        let xml = r#"<t:Tailoring xmlns:t="http://checklists.nist.gov/xccdf/1.2" id="xccdf_t_tailoring_1">
  <t:status>incomplete</t:status>
  <t:version time="2024-01-01T00:00:00">1</t:version>
  <t:benchmark href="/usr/share/xml/scap/ssg/content/ssg-debian11-ds.xml"/>
  <t:Profile id="xccdf_t_profile_tailored" extends="xccdf_org.ssgproject.content_profile_standard">
    <t:title>Tailored</t:title>
    <t:select idref="xccdf_org.ssgproject.content_rule_x" selected="false"/>
    <t:set-value idref="xccdf_t_value_v">7</t:set-value>
  </t:Profile>
  <t:signature/>
</t:Tailoring>"#;
        let doc = parse_str(xml, Path::new("t.xml")).unwrap();
        let (t, unsupported) =
            parse_tailoring_with_unsupported(&doc.root, Path::new("t.xml")).unwrap();
        assert_eq!(t.id, "xccdf_t_tailoring_1");
        assert_eq!(
            t.benchmark_href.as_deref(),
            Some("/usr/share/xml/scap/ssg/content/ssg-debian11-ds.xml")
        );
        assert_eq!(t.profiles.len(), 1);
        let p = &t.profiles[0];
        assert_eq!(
            p.extends.as_deref(),
            Some("xccdf_org.ssgproject.content_profile_standard")
        );
        assert_eq!(
            p.selects,
            vec![("xccdf_org.ssgproject.content_rule_x".into(), false)]
        );
        assert_eq!(p.set_values, vec![("xccdf_t_value_v".into(), "7".into())]);
        assert_eq!(unsupported.len(), 1);
        assert_eq!(unsupported[0].element, "signature");
        assert_eq!(
            parse_tailoring(&doc.root, Path::new("t.xml"))
                .unwrap()
                .profiles
                .len(),
            1
        );

        let bad = parse_str(
            r#"<Tailoring xmlns="http://checklists.nist.gov/xccdf/1.2" id="t"><Profile id="p"/>
<Profile id="p"/></Tailoring>"#,
            Path::new("t.xml"),
        )
        .unwrap();
        let e = parse_tailoring(&bad.root, Path::new("t.xml")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.xml:2:1: <Profile>: duplicate profile id 'p'"
        );
    }

    #[test]
    fn cpe_dictionary() {
        let xml = r#"<d:cpe-list xmlns:d="http://cpe.mitre.org/dictionary/2.0">
  <d:generator><d:product_name>x</d:product_name></d:generator>
  <d:cpe-item name="cpe:/a:audit">
    <d:title xml:lang="en-us">Package audit is installed</d:title>
    <d:check system="http://oval.mitre.org/XMLSchema/oval-definitions-5" href="cpe-oval.xml"> oval:t:def:1 </d:check>
  </d:cpe-item>
  <d:cpe-item name="cpe:/o:debian:debian_linux:11"><d:title>Debian 11</d:title></d:cpe-item>
</d:cpe-list>"#;
        let doc = parse_str(xml, Path::new("d.xml")).unwrap();
        let d = parse_cpe_dictionary(&doc.root, Path::new("d.xml")).unwrap();
        assert_eq!(d.items.len(), 2);
        let a = &d.items["cpe:/a:audit"];
        assert_eq!(a.title, "Package audit is installed");
        assert_eq!(
            a.checks,
            vec![(
                ns::OVAL_SYSTEM.to_string(),
                "cpe-oval.xml".to_string(),
                "oval:t:def:1".to_string()
            )]
        );
        assert!(d.items["cpe:/o:debian:debian_linux:11"].checks.is_empty());

        let dup = parse_str(
            r#"<cpe-list xmlns="http://cpe.mitre.org/dictionary/2.0"><cpe-item name="a"/>
<cpe-item name="a"/></cpe-list>"#,
            Path::new("d.xml"),
        )
        .unwrap();
        let e = parse_cpe_dictionary(&dup.root, Path::new("d.xml")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "d.xml:2:1: <cpe-item>: duplicate cpe-item 'a'"
        );
    }
}
