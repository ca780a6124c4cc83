//! The owned model of an XCCDF 1.2 benchmark (NISTIR 7275r4): profiles, values, groups
//! and rules with their checks, plus tailoring files, the CPE dictionary (CPE 2.3
//! dictionary with OVAL checks) and cpe-lang platform specifications used for
//! applicability. Groups are kept by id; rules are flattened in document order with the
//! id of their parent group, so selection and platform inheritance can walk up.

pub mod parse;

use std::path::PathBuf;

use indexmap::IndexMap;

use super::error::Pos;

pub mod ns {
    pub const XCCDF: &str = "http://checklists.nist.gov/xccdf/1.2";
    pub const CPE_LANG: &str = "http://cpe.mitre.org/language/2.0";
    pub const CPE_DICT: &str = "http://cpe.mitre.org/dictionary/2.0";
    pub const XHTML: &str = "http://www.w3.org/1999/xhtml";
    pub const DC: &str = "http://purl.org/dc/elements/1.1/";
    pub const OVAL_SYSTEM: &str = "http://oval.mitre.org/XMLSchema/oval-definitions-5";
    pub const OCIL_SYSTEM: &str = "http://scap.nist.gov/schema/ocil/2";
    pub const SCE_SYSTEM: &str = "http://open-scap.org/page/SCE";
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Unknown,
    Info,
    Low,
    Medium,
    High,
}

impl Severity {
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
    Full,
    Unscored,
    Unchecked,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "full" => Role::Full,
            "unscored" => Role::Unscored,
            "unchecked" => Role::Unchecked,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct XccdfReference {
    pub href: Option<String>,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Ident {
    pub system: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Fix {
    pub system: Option<String>,
    pub id: Option<String>,
    pub content: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckExport {
    pub value_id: String,
    pub export_name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckContentRef {
    pub href: String,
    pub name: Option<String>,
}

/// One `<check>` (XCCDF 1.2 §6.4.4.4).
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub system: String,
    pub selector: Option<String>,
    pub negate: bool,
    pub multi_check: bool,
    pub exports: Vec<CheckExport>,
    pub content_refs: Vec<CheckContentRef>,
    /// Inline `check-content` is not evaluated (no standard check system uses it).
    pub has_inline_content: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoolOperator {
    And,
    Or,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ComplexCheck {
    pub operator: BoolOperator,
    pub negate: bool,
    pub children: Vec<RuleCheck>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RuleCheck {
    Check(Check),
    Complex(ComplexCheck),
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub title: String,
    /// XHTML fragment (serialised), as in the content.
    pub description: String,
    pub rationale: String,
    pub severity: Severity,
    pub role: Role,
    pub weight: f64,
    pub selected: bool,
    pub hidden: bool,
    /// Id of the enclosing Group, `None` at benchmark level.
    pub parent: Option<String>,
    /// The rule's own platform idrefs (inherited ones are found through `parent`).
    pub platforms: Vec<String>,
    pub references: Vec<XccdfReference>,
    pub idents: Vec<Ident>,
    pub fixtext: Option<String>,
    pub fixes: Vec<Fix>,
    /// Alternative checks: the first one whose system vigil supports is used.
    pub checks: Vec<RuleCheck>,
    /// `requires` (§6.4.4.3): each entry lists ids of which at least one must be
    /// selected, else this item counts as not selected (oscap 1.3 enforces this).
    pub requires: Vec<Vec<String>>,
    /// `conflicts`: ids that, when selected, make this item not selected.
    pub conflicts: Vec<String>,
    pub pos: Pos,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub id: String,
    pub title: String,
    pub description: String,
    pub selected: bool,
    pub parent: Option<String>,
    pub platforms: Vec<String>,
    pub weight: f64,
    /// Ids of child groups and rules, in order (for scoring).
    pub children: Vec<String>,
    /// Same meaning as [`Rule::requires`].
    pub requires: Vec<Vec<String>>,
    /// Same meaning as [`Rule::conflicts`].
    pub conflicts: Vec<String>,
    pub pos: Pos,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueType {
    String,
    Number,
    Boolean,
}

#[derive(Debug, Clone)]
pub struct Value {
    pub id: String,
    pub title: String,
    pub description: String,
    pub value_type: ValueType,
    pub operator: String,
    /// `(selector, value)`; the selector `None` is the default.
    pub values: Vec<(Option<String>, String)>,
    pub parent: Option<String>,
    pub pos: Pos,
}

impl Value {
    pub fn default_value(&self) -> Option<&str> {
        self.values
            .iter()
            .find(|(s, _)| s.is_none())
            .or_else(|| self.values.first())
            .map(|(_, v)| v.as_str())
    }

    pub fn selected(&self, selector: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(s, _)| s.as_deref() == Some(selector))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RefineRule {
    pub idref: String,
    pub severity: Option<Severity>,
    pub weight: Option<f64>,
    pub role: Option<Role>,
    pub selector: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Profile {
    pub id: String,
    pub title: String,
    pub description: String,
    pub extends: Option<String>,
    pub selects: Vec<(String, bool)>,
    pub set_values: Vec<(String, String)>,
    pub refine_values: Vec<(String, String)>,
    pub refine_rules: Vec<RefineRule>,
    pub pos: Pos,
}

/// cpe-lang 2.0 logical test.
#[derive(Debug, Clone)]
pub struct LogicalTest {
    pub operator: BoolOperator,
    pub negate: bool,
    pub fact_refs: Vec<String>,
    /// `check-fact-ref`: (system, href, id-ref).
    pub check_fact_refs: Vec<(String, String, String)>,
    pub tests: Vec<LogicalTest>,
}

#[derive(Debug, Clone)]
pub struct Platform {
    pub id: String,
    pub title: String,
    pub test: LogicalTest,
}

/// A CPE dictionary entry with its applicability check.
#[derive(Debug, Clone)]
pub struct CpeItem {
    pub name: String,
    pub title: String,
    /// `(system, href, definition id)`.
    pub checks: Vec<(String, String, String)>,
}

#[derive(Debug, Clone, Default)]
pub struct CpeDictionary {
    pub items: IndexMap<String, CpeItem>,
}

#[derive(Debug, Clone)]
pub struct Benchmark {
    pub id: String,
    pub path: PathBuf,
    pub version: String,
    pub title: String,
    pub description: String,
    pub status: Option<String>,
    pub resolved: bool,
    /// Benchmark-level platform idrefs (apply to every rule).
    pub platforms: Vec<String>,
    /// cpe-lang platform specification inside the benchmark, by id.
    pub platform_specification: IndexMap<String, Platform>,
    pub profiles: Vec<Profile>,
    pub values: IndexMap<String, Value>,
    pub groups: IndexMap<String, Group>,
    pub rules: IndexMap<String, Rule>,
    /// Ids of top-level groups and rules, in order (for scoring).
    pub children: Vec<String>,
    pub references: Vec<XccdfReference>,
    pub pos: Pos,
}

impl Benchmark {
    pub fn profile(&self, id: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.id == id)
    }
}

/// An XCCDF 1.2 Tailoring document.
#[derive(Debug, Clone)]
pub struct Tailoring {
    pub id: String,
    pub path: PathBuf,
    pub benchmark_href: Option<String>,
    pub profiles: Vec<Profile>,
}
