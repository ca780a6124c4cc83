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
/// `scan.assumed_platforms`; 1.4 added waivers (`rules[].waiver`, `summary.waived`,
/// `scan.waivers`); older documents still read (missing parts are empty).
pub const SCHEMA_VERSION: &str = "1.4";

#[derive(Debug, Clone, Serialize, Deserialize)]
/// One scan's results document, the root of the JSON `vigil scan --json` writes.
pub struct ScanResults {
    /// The document's schema version, [`SCHEMA_VERSION`] when written by this vigil.
    pub schema_version: String,
    /// The vigil that wrote it (its crate version, e.g. `0.1.0`).
    pub vigil_version: String,
    /// Where, when, with what content and by whom the scan ran.
    pub scan: ScanInfo,
    /// Counts and score over the rules and definitions below.
    pub summary: Summary,
    /// The XCCDF rule results in benchmark order; empty for OVAL-only content.
    pub rules: Vec<RuleResult>,
    /// Every evaluated OVAL definition, in evaluation order.
    pub definitions: Vec<DefinitionResult>,
    #[serde(default)]
    /// Every evaluated OVAL test (schema 1.0 documents without them read as empty).
    pub tests: Vec<TestResult>,
    #[serde(default)]
    /// Every collected OVAL object, with its first items.
    pub objects: Vec<ObjectResult>,
    /// The states the evaluated tests refer to (schema 1.1): what a test expected of
    /// each item, to show beside what was found.
    #[serde(default)]
    pub states: Vec<StateResult>,
    #[serde(default)]
    /// Elements of known namespaces the content uses that vigil does not implement.
    pub unsupported: Vec<UnsupportedElement>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
/// The scanned host as the scan saw it (for an offline scan: the mounted root's OS).
pub struct HostInfo {
    /// The host name (offline: the root's `/etc/hostname`).
    pub hostname: String,
    #[serde(default)]
    /// The host's IP addresses, loopback and link-local excluded, sorted; empty offline.
    pub addresses: Vec<String>,
    /// `NAME` of `os-release`; `None` when there is no os-release.
    pub os_name: Option<String>,
    /// `VERSION_ID` of `os-release`; `None` when absent.
    pub os_version: Option<String>,
    /// The running kernel's version; `None` offline or when unknown.
    pub kernel: Option<String>,
    /// The architecture vigil was built for (Rust's name, e.g. `x86_64`).
    pub arch: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
/// The content a scan used, so results can be matched to it.
pub struct ContentInfo {
    /// The content file as given (for the bundled benchmark, its name).
    pub path: String,
    /// SHA-256 of the content file, lowercase hex.
    pub sha256: String,
    /// `datastream`, `xccdf` or `oval` (see [`crate::content::ContentKind`]).
    pub kind: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
/// An XCCDF item named in results: a benchmark or profile.
pub struct NamedInfo {
    /// Its XCCDF id (`xccdf_NS_benchmark_NAME`, `xccdf_NS_profile_NAME`).
    pub id: String,
    /// Its title; `None` when it has none (or for the default profile).
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The benchmark's `version`; `None` for a profile.
    pub version: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
/// How and where a scan ran.
pub struct ScanInfo {
    /// The host scanned.
    pub host: HostInfo,
    /// The account that ran the scan.
    pub user: String,
    /// RFC 3339, UTC.
    pub started: String,
    /// RFC 3339, UTC, when the scan ended.
    pub finished: String,
    /// Wall-clock time of the scan, in milliseconds.
    pub duration_ms: u64,
    /// Set for offline scans of a mounted root.
    pub root: Option<String>,
    /// The content scanned.
    pub content: ContentInfo,
    /// The benchmark evaluated; `None` for OVAL-only content.
    pub benchmark: Option<NamedInfo>,
    /// The profile applied; `None` when no profile was chosen (the benchmark's defaults).
    pub profile: Option<NamedInfo>,
    #[serde(default)]
    /// The `--policy` file the scan used, as given; `None` without one.
    pub policy: Option<String>,
    /// `--assume-platform`: CPE names taken to apply to the host without their checks
    /// (schema 1.2), so a reader knows the content was evaluated outside its platform.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assumed_platforms: Vec<String>,
    #[serde(default)]
    /// The command line of the scan, program name included (empty when not recorded).
    pub command_line: Vec<String>,
    /// The `--waivers` file the scan applied (schema 1.4); `None` without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waivers: Option<WaiverFile>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
/// The waiver file a scan applied, so a reader can tell which accepted risks it used.
pub struct WaiverFile {
    /// The file as given.
    pub path: String,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: String,
    /// How many waivers it holds.
    pub count: usize,
    /// The waivers that apply to no selected rule of this scan (`FILE:LINE: PATTERN`): a
    /// misspelt rule id, a waiver for another host or benchmark, or one an earlier
    /// waiver shadows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmatched: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
/// The waiver that covers a rule (schema 1.4): a risk the site accepted, with who
/// accepted it, why and until when. An active waiver keeps the rule's result as found
/// but stops a failure from counting (exit status, `history diff`); an expired one
/// changes nothing and says so.
pub struct RuleWaiver {
    /// The rule pattern as the waiver file writes it (full id, short id or glob).
    pub rule: String,
    /// Why the risk is accepted.
    pub justification: String,
    /// The last day the waiver holds (`YYYY-MM-DD`); `None`: no expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Who approved it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    /// `false`: the rule was not evaluated (result `notchecked`).
    pub run: bool,
    /// The waiver's expiry date is before the scan's day (UTC): it no longer applies.
    pub expired: bool,
    /// Where it is written, `FILE:LINE`.
    pub source: String,
}

impl RuleWaiver {
    /// Its end in words, as every output shows it: `until 2027-06-30` or `no expiry`.
    pub fn until(&self) -> String {
        self.expires
            .as_deref()
            .map_or_else(|| "no expiry".to_string(), |e| format!("until {e}"))
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
/// Counts and score of one scan.
pub struct Summary {
    /// Rule results by word (only words that occur).
    pub results: BTreeMap<String, usize>,
    /// Rule results by severity, then by word.
    pub by_severity: BTreeMap<String, BTreeMap<String, usize>>,
    /// Definition results by word.
    pub definitions: BTreeMap<String, usize>,
    /// XCCDF default-model score (0-100) of the selected rules.
    pub score: f64,
    /// The maximum score the selected, scored rules could reach (100 with the default
    /// model).
    pub max_score: f64,
    /// Rules whose failure, error or unknown an active waiver accepts, or that one kept
    /// from being evaluated (`run = false`) (schema 1.4). The counts and the score
    /// above are of the results as found.
    #[serde(default)]
    pub waived: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
/// An OVAL definition that decided a rule (one per check-content-ref used).
pub struct CheckedDefinition {
    /// The OVAL document as the benchmark names it (the key of
    /// [`crate::content::Content::oval`]).
    pub href: String,
    /// The OVAL definition id, `oval:NS:def:N`.
    pub id: String,
    /// That definition's result in this scan.
    pub result: OvalResult,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
/// The result of one XCCDF rule.
pub struct RuleResult {
    /// The rule id, `xccdf_NS_rule_NAME`.
    pub id: String,
    /// The rule's title, as text.
    pub title: String,
    /// The rule's severity after profile refinement.
    pub severity: Severity,
    /// The XCCDF rule result (pass, fail, notselected, notapplicable, ...).
    pub result: RuleOutcome,
    /// The rule's weight after profile refinement.
    pub weight: f64,
    /// The rule's `reference` elements.
    pub references: Vec<XccdfReference>,
    #[serde(default)]
    /// The rule's `ident` elements (CCE ...).
    pub idents: Vec<Ident>,
    /// Ids of the enclosing groups, outermost first.
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    /// The rule's description, an XHTML fragment as in the content.
    pub description: String,
    #[serde(default)]
    /// The rule's rationale, an XHTML fragment; empty when it has none.
    pub rationale: String,
    #[serde(default)]
    /// The rule's fixtext, an XHTML fragment; `None` when it has none.
    pub fixtext: Option<String>,
    /// The OVAL definitions whose results decided this rule.
    #[serde(default)]
    pub checks: Vec<CheckedDefinition>,
    /// Why the rule got a result other than pass/fail (not applicable, not checked,
    /// error, unknown), in words.
    #[serde(default)]
    pub messages: Vec<String>,
    /// What the rule's check examined; `None` when nothing was evaluated (not
    /// selected, not applicable by platform, not checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub examined: Option<Examined>,
    /// The waiver that covers this rule (schema 1.4), active or expired, where it
    /// decides something: on a failure, error or unknown, and on a rule it kept from
    /// being evaluated; `None` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<RuleWaiver>,
}

impl RuleResult {
    /// Whether an active (unexpired) waiver covers the rule: its failure, error or
    /// unknown is an accepted risk and does not count as a finding.
    pub fn is_waived(&self) -> bool {
        self.waiver.as_ref().is_some_and(|w| !w.expired)
    }

    /// Whether an active waiver accepted this rule's failure, error or unknown, or kept
    /// it from being evaluated: what [`Summary::waived`] counts.
    pub fn is_accepted_risk(&self) -> bool {
        self.waiver
            .as_ref()
            .is_some_and(|w| !w.expired && (self.result.is_failure() || !w.run))
    }

    /// A failure, error or unknown that no active waiver covers: what makes a scan
    /// exit 2.
    pub fn is_finding(&self) -> bool {
        self.result.is_failure() && !self.is_waived()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
/// What one rule's check examined: the tests its definitions reached (through
/// `extend_definition` too), the distinct objects they read and those objects' items.
/// A pass with `items` 0 passed over nothing (tests that allow no items).
pub struct Examined {
    /// Distinct OVAL tests evaluated.
    pub tests: usize,
    /// Distinct OVAL objects those tests read.
    pub objects: usize,
    /// Items of those objects, after filters and sets.
    pub items: usize,
    /// One sentence per test (at most ten): its items, how many satisfied its state
    /// and its result.
    #[serde(default)]
    pub tested: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
/// The result of one OVAL definition.
pub struct DefinitionResult {
    /// The OVAL id, `oval:NS:def:N`.
    pub id: String,
    /// The definition's `metadata/title`.
    pub title: String,
    /// The definition's `class` (compliance, inventory, patch, vulnerability,
    /// miscellaneous).
    pub class: String,
    /// The OVAL result (true, false, error, unknown, not evaluated, not applicable).
    pub result: OvalResult,
    /// The OVAL document (href as the benchmark names it, or the file name).
    pub document: String,
    /// The criteria tree with each node's result; `None` for a deprecated definition
    /// without criteria.
    pub criteria: Option<CriteriaOutcome>,
    #[serde(default)]
    /// Why the result is error, unknown or not evaluated, in words.
    pub messages: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
/// The result of one OVAL test.
pub struct TestResult {
    /// The OVAL id, `oval:NS:tst:N`.
    pub id: String,
    /// The OVAL document holding it, named as in [`DefinitionResult::document`].
    pub document: String,
    /// The test element's local name, e.g. `file_test`.
    pub kind: String,
    /// The test's family: `independent`, `unix`, `linux`, `vigil`, ...
    pub family: String,
    /// The test's `comment` attribute; `None` when absent.
    pub comment: Option<String>,
    /// The `check` attribute as written (`all`, `at least one`, ...).
    pub check: String,
    /// The `check_existence` attribute as written (`at_least_one_exists`, ...).
    pub check_existence: String,
    /// The `state_operator` attribute as written (`AND`, ...).
    pub state_operator: String,
    /// The OVAL id of its object; `None` for tests without one.
    pub object: Option<String>,
    /// OVAL ids of its states, in order; empty when only existence is checked.
    pub states: Vec<String>,
    /// The test's OVAL result.
    pub result: OvalResult,
    /// Result of each collected item against the states, parallel to the object's
    /// items (only the first `objects[].items.len()` are kept).
    #[serde(default)]
    pub item_results: Vec<OvalResult>,
    #[serde(default)]
    /// Why the result is error or unknown, in words.
    pub messages: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
/// The items one OVAL object collected in this scan.
pub struct ObjectResult {
    /// The OVAL id, `oval:NS:obj:N`.
    pub id: String,
    /// The OVAL document holding it.
    pub document: String,
    /// The object element's local name, e.g. `file_object`.
    pub kind: String,
    /// The object's family: `independent`, `unix`, `linux`, `vigil`, ...
    pub family: String,
    /// The collection flag (OVAL 5.11 FlagEnumeration: complete, does not exist, error,
    /// ...).
    pub flag: Flag,
    /// Total number of items collected.
    pub item_count: usize,
    /// The first items (capped: see `item_count`).
    pub items: Vec<Item>,
    #[serde(default)]
    /// The variables the object's entities refer to, with the values they resolved to.
    pub variables: Vec<(String, Vec<String>)>,
    #[serde(default)]
    /// Why collection was incomplete or failed, in words.
    pub messages: Vec<String>,
}

/// An OVAL state as the content defines it (schema 1.1).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StateResult {
    /// The OVAL id, `oval:NS:ste:N`.
    pub id: String,
    /// The OVAL document holding it.
    pub document: String,
    /// The state element's local name, e.g. `file_state`.
    pub kind: String,
    /// The state's family: `independent`, `unix`, `linux`, `vigil`, ...
    pub family: String,
    #[serde(default)]
    /// The state's `comment` attribute; `None` when absent.
    pub comment: Option<String>,
    /// How the entity results combine (AND, OR, ONE, XOR).
    pub operator: String,
    /// The state's entities, in order.
    pub entities: Vec<StateEntity>,
}

/// One expected entity of a state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StateEntity {
    /// The entity's name: the item field it compares.
    pub name: String,
    /// The entity's `datatype` as written (`string`, `int`, ...).
    pub datatype: String,
    /// The entity's `operation` as written (`equals`, `pattern match`, ...).
    pub operation: String,
    /// The literal value; `None` when the value comes from a variable or is nil.
    #[serde(default)]
    pub value: Option<String>,
    /// The variable giving the value, with the values it resolved to in this scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub var_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    /// The values `var_ref` resolved to in this scan; empty when no variable is used or it
    /// has no value.
    pub var_values: Vec<String>,
    #[serde(default = "default_check")]
    /// The `entity_check` attribute (`all` when absent).
    pub entity_check: String,
    #[serde(default = "default_check")]
    /// The `var_check` attribute (`all` when absent).
    pub var_check: String,
    /// Fields of a `record` entity.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<StateEntity>,
}

fn default_check() -> String {
    "all".to_string()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
/// An element vigil does not implement, as results report it (see [`Unsupported`]).
pub struct UnsupportedElement {
    /// The content file holding it.
    pub path: String,
    /// Its line, from 1.
    pub line: u32,
    /// Its column, from 1.
    pub column: u32,
    /// The element, `prefix:name`.
    pub element: String,
    /// What is not implemented and what vigil does instead.
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

    /// What a reader calls this scan: the benchmark's title, or for content without
    /// one (an OVAL file) the content's path. Unescaped: it comes from the content.
    pub fn title(&self) -> String {
        self.scan
            .benchmark
            .as_ref()
            .and_then(|b| b.title.clone())
            .unwrap_or_else(|| self.scan.content.path.clone())
    }

    /// Whether any rule (or, for OVAL content, any definition mapped to XCCDF words)
    /// is fail, error or unknown and not waived: what makes a scan exit 2 (DESIGN.md).
    pub fn has_findings(&self) -> bool {
        let rules_fail = self.rules.iter().any(RuleResult::is_finding);
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
