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
                "requires" | "conflicts" => format!(
                    "<{}> dependencies between items are not enforced; selection ignores them",
                    el.name
                ),
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
