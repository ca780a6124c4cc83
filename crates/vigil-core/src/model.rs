//! The results document (JSON `schema_version` 1): what a scan found, in a shape other
//! tools rely on (DESIGN.md "Contracts"). Every report (JSON, HTML, XCCDF/ARF) is
//! rendered from this model, never by re-evaluating. Changes are versioned: a field may
//! be added in a minor version; renaming or removing one bumps `schema_version`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::content::oval::Unsupported;
use crate::content::xccdf::{Ident, Severity, XccdfReference};
use crate::engine::oval::OvalResult;
use crate::engine::oval::eval::CriteriaOutcome;
use crate::engine::probe::{Flag, Item};
use crate::engine::xccdf::RuleOutcome;

/// 1.1 added `states[]` (the expected values tests compare items against); 1.2 added
/// `scan.assumed_platforms`; 1.0 and 1.1 documents still read (missing parts are empty).
pub const SCHEMA_VERSION: &str = "1.2";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScanResults {
    pub schema_version: String,
    pub vigil_version: String,
    pub scan: ScanInfo,
    pub summary: Summary,
    pub rules: Vec<RuleResult>,
    pub definitions: Vec<DefinitionResult>,
    #[serde(default)]
    pub tests: Vec<TestResult>,
    #[serde(default)]
    pub objects: Vec<ObjectResult>,
    /// The states the evaluated tests refer to (schema 1.1): what a test expected of
    /// each item, to show beside what was found.
    #[serde(default)]
    pub states: Vec<StateResult>,
    #[serde(default)]
    pub unsupported: Vec<UnsupportedElement>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HostInfo {
    pub hostname: String,
    #[serde(default)]
    pub addresses: Vec<String>,
    pub os_name: Option<String>,
    pub os_version: Option<String>,
    pub kernel: Option<String>,
    pub arch: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContentInfo {
    pub path: String,
    pub sha256: String,
    pub kind: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NamedInfo {
    pub id: String,
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScanInfo {
    pub host: HostInfo,
    /// The account that ran the scan.
    pub user: String,
    /// RFC 3339, UTC.
    pub started: String,
    pub finished: String,
    pub duration_ms: u64,
    /// Set for offline scans of a mounted root.
    pub root: Option<String>,
    pub content: ContentInfo,
    pub benchmark: Option<NamedInfo>,
    pub profile: Option<NamedInfo>,
    #[serde(default)]
    pub policy: Option<String>,
    /// `--assume-platform`: CPE names taken to apply to the host without their checks
    /// (schema 1.2), so a reader knows the content was evaluated outside its platform.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assumed_platforms: Vec<String>,
    #[serde(default)]
    pub command_line: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Summary {
    /// Rule results by word (only words that occur).
    pub results: BTreeMap<String, usize>,
    /// Rule results by severity, then by word.
    pub by_severity: BTreeMap<String, BTreeMap<String, usize>>,
    /// Definition results by word.
    pub definitions: BTreeMap<String, usize>,
    /// XCCDF default-model score (0-100) of the selected rules.
    pub score: f64,
    pub max_score: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckedDefinition {
    pub href: String,
    pub id: String,
    pub result: OvalResult,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RuleResult {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub result: RuleOutcome,
    pub weight: f64,
    pub references: Vec<XccdfReference>,
    #[serde(default)]
    pub idents: Vec<Ident>,
    /// Ids of the enclosing groups, outermost first.
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub rationale: String,
    #[serde(default)]
    pub fixtext: Option<String>,
    /// The OVAL definitions whose results decided this rule.
    #[serde(default)]
    pub checks: Vec<CheckedDefinition>,
    /// Why the rule got a result other than pass/fail (not applicable, not checked,
    /// error, unknown), in words.
    #[serde(default)]
    pub messages: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DefinitionResult {
    pub id: String,
    pub title: String,
    pub class: String,
    pub result: OvalResult,
    /// The OVAL document (href as the benchmark names it, or the file name).
    pub document: String,
    pub criteria: Option<CriteriaOutcome>,
    #[serde(default)]
    pub messages: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TestResult {
    pub id: String,
    pub document: String,
    pub kind: String,
    pub family: String,
    pub comment: Option<String>,
    pub check: String,
    pub check_existence: String,
    pub state_operator: String,
    pub object: Option<String>,
    pub states: Vec<String>,
    pub result: OvalResult,
    /// Result of each collected item against the states, parallel to the object's
    /// items (only the first `objects[].items.len()` are kept).
    #[serde(default)]
    pub item_results: Vec<OvalResult>,
    #[serde(default)]
    pub messages: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectResult {
    pub id: String,
    pub document: String,
    pub kind: String,
    pub family: String,
    pub flag: Flag,
    /// Total number of items collected.
    pub item_count: usize,
    /// The first items (capped: see `item_count`).
    pub items: Vec<Item>,
    #[serde(default)]
    pub variables: Vec<(String, Vec<String>)>,
    #[serde(default)]
    pub messages: Vec<String>,
}

/// An OVAL state as the content defines it (schema 1.1).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StateResult {
    pub id: String,
    pub document: String,
    pub kind: String,
    pub family: String,
    #[serde(default)]
    pub comment: Option<String>,
    /// How the entity results combine (AND, OR, ONE, XOR).
    pub operator: String,
    pub entities: Vec<StateEntity>,
}

/// One expected entity of a state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StateEntity {
    pub name: String,
    pub datatype: String,
    pub operation: String,
    /// The literal value; `None` when the value comes from a variable or is nil.
    #[serde(default)]
    pub value: Option<String>,
    /// The variable giving the value, with the values it resolved to in this scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub var_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub var_values: Vec<String>,
    #[serde(default = "default_check")]
    pub entity_check: String,
    #[serde(default = "default_check")]
    pub var_check: String,
    /// Fields of a `record` entity.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<StateEntity>,
}

fn default_check() -> String {
    "all".to_string()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UnsupportedElement {
    pub path: String,
    pub line: u32,
    pub column: u32,
    pub element: String,
    pub message: String,
}

impl From<&Unsupported> for UnsupportedElement {
    fn from(u: &Unsupported) -> Self {
        UnsupportedElement {
            path: u.path.display().to_string(),
            line: u.pos.line,
            column: u.pos.col,
            element: u.element.clone(),
            message: u.message.clone(),
        }
    }
}

impl ScanResults {
    /// Keeps at most `max` items per object (and item results per test): the results
    /// document is capped, the SCAP result files are written from the full set first.
    pub fn cap_items(&mut self, max: usize) {
        for o in &mut self.objects {
            o.items.truncate(max);
        }
        for t in &mut self.tests {
            t.item_results.truncate(max);
        }
    }

    /// Whether any rule (or, for OVAL content, any definition mapped to XCCDF words)
    /// is fail, error or unknown: what makes a scan exit 2 (DESIGN.md).
    pub fn has_findings(&self) -> bool {
        let rules_fail = self.rules.iter().any(|r| r.result.is_failure());
        let defs_fail = self.rules.is_empty()
            && self
                .definitions
                .iter()
                .any(|d| RuleOutcome::from_oval(d.result, &d.class).is_failure());
        rules_fail || defs_fail
    }
}

/// Most nesting a results document may have when read back. Criteria trees nest as
/// deep as the content's XML (at most [`crate::content::xml::MAX_DEPTH`] elements, two
/// JSON levels each), past serde_json's default limit of 128; the scan is checked first
/// so a hostile document cannot overflow the stack.
pub const MAX_JSON_DEPTH: usize = 4 * crate::content::xml::MAX_DEPTH + 64;

/// `serde_json::from_slice` for results documents (and anything embedding them),
/// allowing nesting up to [`MAX_JSON_DEPTH`].
pub fn from_json_slice<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> serde_json::Result<T> {
    use serde::de::Error as _;
    let mut depth = 0usize;
    let (mut in_str, mut esc) = (false, false);
    for &b in bytes {
        if in_str {
            match (esc, b) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_JSON_DEPTH {
                    return Err(serde_json::Error::custom(format!(
                        "nested deeper than {MAX_JSON_DEPTH} levels"
                    )));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    de.disable_recursion_limit();
    let v = T::deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}

#[cfg(test)]
mod json_depth_tests {
    use super::*;

    fn nested(depth: usize) -> String {
        "[".repeat(depth) + &"]".repeat(depth)
    }

    #[test]
    fn deep_results_read_back_but_hostile_depth_is_refused() {
        // Regression: a 200-level criteria tree gave results that `--history` could not
        // record ("recursion limit exceeded" at serde_json's 128 levels).
        let v: serde_json::Value = from_json_slice(nested(600).as_bytes()).unwrap();
        assert!(v.is_array());
        assert!(serde_json::from_str::<serde_json::Value>(&nested(600)).is_err());
        let e = from_json_slice::<serde_json::Value>(nested(MAX_JSON_DEPTH + 1).as_bytes())
            .unwrap_err();
        assert!(e.to_string().contains("nested deeper than"), "{e}");
        // Brackets inside strings do not count.
        let s = format!(r#"{{"a": "{}\"{}"}}"#, "[".repeat(5000), "{".repeat(5000));
        assert!(from_json_slice::<serde_json::Value>(s.as_bytes()).is_ok());
        assert!(from_json_slice::<serde_json::Value>(b"[1] x").is_err());
    }
}
