//! The owned model of an XCCDF 1.2 benchmark (NISTIR 7275r4): profiles, values, groups
//! and rules with their checks, plus tailoring files, the CPE dictionary (CPE 2.3
//! dictionary with OVAL checks) and cpe-lang platform specifications used for
//! applicability. Groups are kept by id; rules are flattened in document order with the
//! id of their parent group, so selection and platform inheritance can walk up.

pub mod parse;

use std::path::PathBuf;

use indexmap::IndexMap;

use super::error::Pos;

/// Namespace URIs and check-system URIs XCCDF content uses.
pub mod ns {
    /// XCCDF 1.2: Benchmark, Tailoring and their items.
    pub const XCCDF: &str = "http://checklists.nist.gov/xccdf/1.2";
    /// CPE applicability language 2.0: `platform-specification`, logical tests.
    pub const CPE_LANG: &str = "http://cpe.mitre.org/language/2.0";
    /// CPE dictionary 2.0: `cpe-list`, `cpe-item`, their `check`s.
    pub const CPE_DICT: &str = "http://cpe.mitre.org/dictionary/2.0";
    /// XHTML, the markup of descriptions, rationales and fixtexts.
    pub const XHTML: &str = "http://www.w3.org/1999/xhtml";
    /// Dublin Core, for `dc:source`, `dc:publisher` ... in metadata.
    pub const DC: &str = "http://purl.org/dc/elements/1.1/";
    /// The check `system` of OVAL checks: the only one vigil evaluates.
    pub const OVAL_SYSTEM: &str = "http://oval.mitre.org/XMLSchema/oval-definitions-5";
    /// The check `system` of OCIL questionnaires: reported `notchecked`.
    pub const OCIL_SYSTEM: &str = "http://scap.nist.gov/schema/ocil/2";
    /// OpenSCAP's Script Check Engine `system`: scripts are never run (`notchecked`).
    pub const SCE_SYSTEM: &str = "http://open-scap.org/page/SCE";
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
/// XCCDF 1.2 §6.4.4.2 severity of a rule; ordered from `unknown` up to `high`.
pub enum Severity {
    /// `unknown`: the author did not rate it (the default).
    Unknown,
    /// `info`: informational, no security impact.
    Info,
    /// `low`: a minor weakness.
    Low,
    /// `medium`: a significant weakness.
    Medium,
    /// `high`: a serious weakness.
    High,
}

impl Severity {
    /// The severity spelt `s` in content; `None` for any other word.
    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s {
            "unknown" => Severity::Unknown,
            "info" => Severity::Info,
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            _ => return None,
        })
    }
    /// The word content and results spell this severity with.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "unknown",
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

/// XCCDF 1.2 §6.4.4.2 role: how a rule's result counts in scoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// `full`: checked and scored (the default).
    Full,
    /// `unscored`: checked and reported, left out of the score.
    Unscored,
    /// `unchecked`: not checked; the result is `notchecked`.
    Unchecked,
}

impl Role {
    /// The role spelt `s` in content; `None` for any other word.
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "full" => Role::Full,
            "unscored" => Role::Unscored,
            "unchecked" => Role::Unchecked,
            _ => return None,
        })
    }
}

/// An XCCDF `reference` (§6.2.5): a citation, often a control of a standard.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct XccdfReference {
    /// The `href` attribute (the cited document's URI); `None` when absent.
    pub href: Option<String>,
    /// The element text, e.g. `LOG-11` or `AU-9`.
    pub text: String,
}

/// A rule's `ident` (§6.4.4.2): a name of the rule in another scheme, e.g. a CCE.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Ident {
    /// The naming scheme's URI, e.g. `https://ncp.nist.gov/cce`.
    pub system: String,
    /// The identifier in that scheme, e.g. `CCE-80785-0`.
    pub value: String,
}

/// A rule's `fix` (§6.4.4.3): remediation content; vigil reports it, never runs it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Fix {
    /// The `system` URI naming the fix language (e.g. `urn:xccdf:fix:script:sh`); `None`
    /// when absent.
    pub system: Option<String>,
    /// The `id` attribute, for `fixtext fixref`; `None` when absent.
    pub id: Option<String>,
    /// The fix text (script, playbook, ...), whitespace as written.
    pub content: String,
}

/// A `check-export` (§6.4.4.4): passes an XCCDF Value to the checking engine.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckExport {
    /// The `value-id`: the XCCDF Value id, `xccdf_NS_value_NAME`.
    pub value_id: String,
    /// The `export-name`: for OVAL, the id of the external variable it sets.
    pub export_name: String,
}

/// A `check-content-ref` (§6.4.4.4): where the check's content is.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckContentRef {
    /// The `href`: the OVAL document as the benchmark names it (a file name, or a catalog
    /// name in a data stream); the key of [`crate::content::Content::oval`].
    pub href: String,
    /// The `name`: the OVAL definition id; `None` means every definition of the document
    /// (with `multi-check`, one result each).
    pub name: Option<String>,
}

/// One `<check>` (XCCDF 1.2 §6.4.4.4).
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// The check system URI, e.g. [`ns::OVAL_SYSTEM`].
    pub system: String,
    /// The `selector` attribute, chosen by a profile's refine-rule; `None` when absent.
    pub selector: Option<String>,
    /// `negate="true"`: pass and fail swap.
    pub negate: bool,
    /// `multi-check="true"`: a content-ref without `name` gives one result per definition.
    pub multi_check: bool,
    /// The `check-export` children, in order.
    pub exports: Vec<CheckExport>,
    /// The `check-content-ref` children: alternatives, the first that resolves is used.
    pub content_refs: Vec<CheckContentRef>,
    /// Inline `check-content` is not evaluated (no standard check system uses it).
    pub has_inline_content: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// The operator of a `complex-check` (§6.4.4.5) or a cpe-lang logical test.
pub enum BoolOperator {
    /// `AND`: true when all operands are.
    And,
    /// `OR`: true when any operand is.
    Or,
}

/// A `complex-check` (§6.4.4.5): checks combined with a boolean operator.
#[derive(Debug, Clone, PartialEq)]
pub struct ComplexCheck {
    /// The `operator` attribute (XCCDF Table 27 truth tables over results).
    pub operator: BoolOperator,
    /// `negate="true"`: pass and fail of the combination swap.
    pub negate: bool,
    /// The `check` and `complex-check` children, in order.
    pub children: Vec<RuleCheck>,
}

/// What a rule is checked with.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleCheck {
    /// A single `check`.
    Check(Check),
    /// A `complex-check`.
    Complex(ComplexCheck),
}

/// An XCCDF `Rule` (§6.4.4.2): one recommendation and how to check it.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The rule id, `xccdf_NAMESPACE_rule_NAME`.
    pub id: String,
    /// The first `title`, as text; empty when absent.
    pub title: String,
    /// XHTML fragment (serialised), as in the content.
    pub description: String,
    /// The `rationale` XHTML fragment (serialised); empty when absent.
    pub rationale: String,
    /// The `severity` attribute (`unknown` when absent).
    pub severity: Severity,
    /// The `role` attribute (`full` when absent).
    pub role: Role,
    /// The `weight` attribute: its share of the parent's score (1.0 when absent, never
    /// negative).
    pub weight: f64,
    /// The `selected` attribute: whether it runs when no profile says otherwise.
    pub selected: bool,
    /// `hidden="true"`: left out of documents generated for people.
    pub hidden: bool,
    /// Id of the enclosing Group, `None` at benchmark level.
    pub parent: Option<String>,
    /// The rule's own platform idrefs (inherited ones are found through `parent`).
    pub platforms: Vec<String>,
    /// `reference` children, in order.
    pub references: Vec<XccdfReference>,
    /// `ident` children (CCE ...), in order.
    pub idents: Vec<Ident>,
    /// The first `fixtext` as XHTML; `None` when absent.
    pub fixtext: Option<String>,
    /// `fix` children, in order.
    pub fixes: Vec<Fix>,
    /// Alternative checks: the first one whose system vigil supports is used.
    pub checks: Vec<RuleCheck>,
    /// `requires` (§6.4.4.3): each entry lists ids of which at least one must be
    /// selected, else this item counts as not selected (oscap 1.3 enforces this).
    pub requires: Vec<Vec<String>>,
    /// `conflicts`: ids that, when selected, make this item not selected.
    pub conflicts: Vec<String>,
    /// Where the `Rule` element starts, for messages.
    pub pos: Pos,
}

/// An XCCDF `Group` (§6.4.3): rules, values and groups sharing selection and platforms.
#[derive(Debug, Clone)]
pub struct Group {
    /// The group id, `xccdf_NAMESPACE_group_NAME`.
    pub id: String,
    /// The first `title`, as text; empty when absent.
    pub title: String,
    /// The `description` XHTML fragment (serialised); empty when absent.
    pub description: String,
    /// The `selected` attribute: a group not selected deselects everything in it.
    pub selected: bool,
    /// Id of the enclosing Group, `None` at benchmark level.
    pub parent: Option<String>,
    /// The group's own `platform` idrefs, inherited by its items.
    pub platforms: Vec<String>,
    /// The `weight` attribute (1.0 when absent).
    pub weight: f64,
    /// Ids of child groups and rules, in order (for scoring).
    pub children: Vec<String>,
    /// Same meaning as [`Rule::requires`].
    pub requires: Vec<Vec<String>>,
    /// Same meaning as [`Rule::conflicts`].
    pub conflicts: Vec<String>,
    /// Where the `Group` element starts, for messages.
    pub pos: Pos,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
/// The `type` of an XCCDF Value (§6.4.5.2).
pub enum ValueType {
    /// `string` (the default).
    String,
    /// `number`: an integer or decimal.
    Number,
    /// `boolean`: `true`/`false`/`1`/`0`.
    Boolean,
}

/// An XCCDF `Value` (§6.4.5): a tunable parameter passed to checks via check-export.
#[derive(Debug, Clone)]
pub struct Value {
    /// The value id, `xccdf_NAMESPACE_value_NAME`.
    pub id: String,
    /// The first `title`, as text; empty when absent.
    pub title: String,
    /// The `description` XHTML fragment (serialised); empty when absent.
    pub description: String,
    /// The `type` attribute (`string` when absent).
    pub value_type: ValueType,
    /// The `operator` attribute, an XCCDF operator word (`equals` when absent); it becomes
    /// the OVAL operation of an export.
    pub operator: String,
    /// `(selector, value)`; the selector `None` is the default.
    pub values: Vec<(Option<String>, String)>,
    /// Id of the enclosing Group, `None` at benchmark level.
    pub parent: Option<String>,
    /// Where the `Value` element starts, for messages.
    pub pos: Pos,
}

impl Value {
    /// The value without a selector, else the first one; `None` when the Value has none.
    pub fn default_value(&self) -> Option<&str> {
        self.values
            .iter()
            .find(|(s, _)| s.is_none())
            .or_else(|| self.values.first())
            .map(|(_, v)| v.as_str())
    }

    /// The value for `selector` (a profile's refine-value); `None` when there is none.
    pub fn selected(&self, selector: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(s, _)| s.as_deref() == Some(selector))
            .map(|(_, v)| v.as_str())
    }
}

/// A profile's `refine-rule` (§6.5.3): overrides of a rule's (or group's) attributes;
/// `None` leaves the item's own.
#[derive(Debug, Clone, PartialEq)]
pub struct RefineRule {
    /// The rule, group or cluster id refined.
    pub idref: String,
    /// Replaces the severity.
    pub severity: Option<Severity>,
    /// Replaces the weight.
    pub weight: Option<f64>,
    /// Replaces the role.
    pub role: Option<Role>,
    /// Chooses the rule's `check` with this selector.
    pub selector: Option<String>,
}

/// An XCCDF `Profile` (§6.5), in a benchmark or a tailoring file: a named selection of
/// rules and values.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The profile id, `xccdf_NAMESPACE_profile_NAME`.
    pub id: String,
    /// The first `title`, as text; empty when absent.
    pub title: String,
    /// The `description` XHTML fragment (serialised); empty when absent.
    pub description: String,
    /// The `extends` attribute: the id of the profile this one starts from; `None` when it
    /// starts from the benchmark's defaults.
    pub extends: Option<String>,
    /// `select` children as `(idref, selected)`, in order (a later one wins).
    pub selects: Vec<(String, bool)>,
    /// `set-value` children as `(value idref, value)`.
    pub set_values: Vec<(String, String)>,
    /// `refine-value` children as `(value idref, selector)`; an empty selector means the
    /// Value's default.
    pub refine_values: Vec<(String, String)>,
    /// `refine-rule` children, in order.
    pub refine_rules: Vec<RefineRule>,
    /// Where the `Profile` element starts, for messages.
    pub pos: Pos,
}

/// cpe-lang 2.0 logical test.
#[derive(Debug, Clone)]
pub struct LogicalTest {
    /// The `operator` attribute combining facts and nested tests.
    pub operator: BoolOperator,
    /// `negate="true"`: the combination is inverted.
    pub negate: bool,
    /// `fact-ref` names: CPE names, true when the CPE dictionary's check for that name
    /// passes.
    pub fact_refs: Vec<String>,
    /// `check-fact-ref`: (system, href, id-ref).
    pub check_fact_refs: Vec<(String, String, String)>,
    /// Nested `logical-test` elements.
    pub tests: Vec<LogicalTest>,
}

/// A cpe-lang `platform` of the benchmark's platform specification: a named logical
/// test rules refer to with `platform idref="#id"`.
#[derive(Debug, Clone)]
pub struct Platform {
    /// The `id` attribute, referred to as `#id`.
    pub id: String,
    /// The `title`, as text; empty when absent.
    pub title: String,
    /// The platform's top-level `logical-test`.
    pub test: LogicalTest,
}

/// A CPE dictionary entry with its applicability check.
#[derive(Debug, Clone)]
pub struct CpeItem {
    /// The `name` attribute: a CPE 2.2 URI, e.g. `cpe:/o:debian:debian_linux:12`.
    pub name: String,
    /// The first `title`, as text; empty when absent.
    pub title: String,
    /// `(system, href, definition id)`.
    pub checks: Vec<(String, String, String)>,
}

/// A CPE 2.0 dictionary (`cpe-list`): which OVAL definition decides each CPE name.
#[derive(Debug, Clone, Default)]
pub struct CpeDictionary {
    /// Entries by CPE name, in document order.
    pub items: IndexMap<String, CpeItem>,
}

/// An XCCDF 1.2 `Benchmark` (§6.2): the document a checklist is.
#[derive(Debug, Clone)]
pub struct Benchmark {
    /// The benchmark id, `xccdf_NAMESPACE_benchmark_NAME`.
    pub id: String,
    /// The file it came from (for a data stream component: the data stream).
    pub path: PathBuf,
    /// The `version` element text; empty when absent.
    pub version: String,
    /// The first `title`, as text; empty when absent.
    pub title: String,
    /// The `description` XHTML fragment (serialised); empty when absent.
    pub description: String,
    /// The `status` element (`accepted`, `draft`, ...); `None` when absent.
    pub status: Option<String>,
    /// `resolved="true"`: inheritance already resolved by the author (§7.2).
    pub resolved: bool,
    /// Benchmark-level platform idrefs (apply to every rule).
    pub platforms: Vec<String>,
    /// cpe-lang platform specification inside the benchmark, by id.
    pub platform_specification: IndexMap<String, Platform>,
    /// `Profile` elements, in document order.
    pub profiles: Vec<Profile>,
    /// Every Value at any depth, by id, in document order.
    pub values: IndexMap<String, Value>,
    /// Every Group at any depth, by id, in document order.
    pub groups: IndexMap<String, Group>,
    /// Every Rule at any depth, by id, in document order.
    pub rules: IndexMap<String, Rule>,
    /// Ids of top-level groups and rules, in order (for scoring).
    pub children: Vec<String>,
    /// Benchmark-level `reference` children.
    pub references: Vec<XccdfReference>,
    /// Where the `Benchmark` element starts, for messages.
    pub pos: Pos,
}

impl Benchmark {
    /// The benchmark's profile with this id; `None` when there is none (tailoring
    /// profiles are in [`Tailoring::profiles`]).
    pub fn profile(&self, id: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.id == id)
    }
}

/// An XCCDF 1.2 Tailoring document.
#[derive(Debug, Clone)]
pub struct Tailoring {
    /// The tailoring id, `xccdf_NAMESPACE_tailoring_NAME`.
    pub id: String,
    /// The tailoring file.
    pub path: PathBuf,
    /// The `benchmark href` it was written for; `None` when absent (not checked).
    pub benchmark_href: Option<String>,
    /// Its profiles, usually extending the benchmark's.
    pub profiles: Vec<Profile>,
}
