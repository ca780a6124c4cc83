//! The benchmark as written: `benchmark.toml` (the benchmark's own text, profiles,
//! groups, XCCDF Values, OVAL and data-stream settings) and one `rules/SHORT_ID.toml` per
//! rule (its text, references and OVAL check). [`load`] reads and validates them; the
//! writers never see unvalidated data.
//!
//! What is checked follows the specifications the output must meet: XCCDF 1.2
//! (NISTIR 7275r4) §6.2.3 ids and §6.4.4 `Rule` severity, OVAL 5.11.1 §4.3 id patterns,
//! `check`/`check_existence`/`operator` enumerations and datatypes, XML 1.0 §2.2
//! characters (every string is written into XML, and a control character cannot be
//! escaped there).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Problem};

/// The whole benchmark, validated: rules sorted by their OVAL definition number, the
/// order they have always had in the documents.
#[derive(Debug, Clone)]
pub struct Benchmark {
    /// The directory it was read from (holding `benchmark.toml` and `rules/`).
    pub dir: PathBuf,
    /// `benchmark.toml`, validated.
    pub meta: BenchmarkFile,
    /// Every `rules/*.toml`, sorted by OVAL definition number.
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
/// `benchmark.toml`: everything about the benchmark that is not one rule.
pub struct BenchmarkFile {
    /// The XCCDF Benchmark id, `xccdf_NAMESPACE_benchmark_NAME`.
    pub id: String,
    /// Prefix of every other XCCDF id, `xccdf_NAMESPACE`: a rule is `PREFIX_rule_SHORT`.
    pub id_prefix: String,
    /// The Benchmark `title`, plain text.
    pub title: String,
    /// The Benchmark `description`, plain text (escaped when written).
    pub description: String,
    /// The Benchmark `version` element, e.g. `0.1.0`.
    pub version: String,
    /// The `status` element word (`draft`, `accepted`, ...).
    pub status: String,
    /// The status `date`, `YYYY-MM-DD`; fixed, not the build date, so builds are
    /// reproducible.
    pub status_date: String,
    /// The `xml:lang` of the Benchmark, e.g. `en-US`.
    pub lang: String,
    /// The Benchmark `style` attribute, e.g. `SCAP_1.3`.
    pub style: String,
    /// The `dc:publisher` of the Benchmark metadata.
    pub publisher: String,
    /// The `dc:source` of the Benchmark metadata.
    pub source: String,
    /// Sentence appended to the description of every rule with `needs_policy = true`.
    pub needs_policy_note: String,
    #[serde(default)]
    /// Benchmark-level `reference` elements.
    pub references: Vec<DocReference>,
    #[serde(default)]
    /// The reference lists rules may carry, in the order they are written.
    pub reference_kinds: Vec<ReferenceKind>,
    /// Output file names.
    pub files: Files,
    #[serde(default)]
    /// XCCDF Profiles, in document order.
    pub profiles: Vec<Profile>,
    /// XCCDF Groups, in document order; every rule names one.
    pub groups: Vec<Group>,
    #[serde(default)]
    /// XCCDF Values, in document order.
    pub values: Vec<Value>,
    /// The OVAL document's generator, metadata and variables.
    pub oval: OvalSettings,
    /// The source data stream's ids and timestamp.
    pub datastream: DatastreamSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
/// A benchmark-level XCCDF `reference` (§6.2.5).
pub struct DocReference {
    /// The `href` attribute: the cited document's URI.
    pub href: String,
    /// The element text: the cited document's name.
    pub text: String,
}

/// A list of references a rule can carry (`[references] KEY = [ids]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceKind {
    /// The key under a rule's `[references]` table, e.g. `ccm`.
    pub key: String,
    /// The `href` of every XCCDF reference of this kind.
    pub href: String,
    /// The XCCDF reference text is this followed by the id.
    #[serde(default)]
    pub xccdf_prefix: String,
    /// When given, the ids are also OVAL definition references with this source.
    pub oval_source: Option<String>,
    /// Heading of the README rule table column listing these ids.
    pub readme_column: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
/// The file names [`crate::compile`] writes, relative to the output directory.
pub struct Files {
    /// The XCCDF 1.2 benchmark, e.g. `vigil-ccm-log11-xccdf.xml`.
    pub xccdf: String,
    /// The OVAL 5.11 definitions; also the href the XCCDF checks use.
    pub oval: String,
    /// The SCAP 1.3 source data stream holding both.
    pub datastream: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
/// An XCCDF `Profile` (§6.5).
pub struct Profile {
    /// The short id: the XCCDF id is `PREFIX_profile_ID`.
    pub id: String,
    /// The Profile `title`, plain text.
    pub title: String,
    /// The Profile `description`, plain text.
    pub description: String,
    /// Which rules it selects.
    pub select: Select,
}

/// `"all"`, or the short ids of the rules the profile selects.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Select {
    /// The word `all`: every rule of the benchmark (the only keyword accepted).
    Keyword(String),
    /// Short ids of the selected rules; the others are not selected.
    Rules(Vec<String>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
/// An XCCDF `Group` (§6.4.3) of rules.
pub struct Group {
    /// The short id: the XCCDF id is `PREFIX_group_ID`; rules name it in `group`.
    pub id: String,
    /// The Group `title`, plain text.
    pub title: String,
    /// The Group `description`, plain text.
    pub description: String,
}

/// An XCCDF 1.2 `Value` (§6.4.5) and the OVAL external variable it is exported to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Value {
    /// The short id: the XCCDF id is `PREFIX_value_ID`; rules list it in `values`.
    pub id: String,
    /// The Value `title`, plain text.
    pub title: String,
    /// The Value `description`, plain text.
    pub description: String,
    #[serde(rename = "type")]
    /// The XCCDF `type`: `number`, `string` or `boolean`.
    pub kind: String,
    #[serde(default = "equals")]
    /// The XCCDF `operator` (`equals` when absent).
    pub operator: String,
    /// The default `value`, as text.
    pub default: String,
    /// The `lower-bound` of a number Value; `None` for no bound.
    pub lower_bound: Option<String>,
    /// The `upper-bound` of a number Value; `None` for no bound.
    pub upper_bound: Option<String>,
    /// The OVAL external variable the rules' checks export it to, `oval:NS:var:N`.
    pub export: String,
    /// That variable's OVAL datatype, e.g. `int`.
    pub export_datatype: String,
    /// The site-policy setting that sets this Value (`section.field`), if any.
    pub policy: Option<String>,
    /// Extra words for the README's Values table.
    pub readme_note: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
/// The OVAL document's `generator` and shared definition metadata.
pub struct OvalSettings {
    /// `oval:product_name` of the generator.
    pub product_name: String,
    /// `oval:schema_version` of the generator, e.g. `5.11.1`.
    pub schema_version: String,
    /// `oval:timestamp` of the generator, `YYYY-MM-DDThh:mm:ss`; fixed for reproducible
    /// builds.
    pub timestamp: String,
    /// The `affected family` of every definition, e.g. `unix`.
    pub affected_family: String,
    /// The `affected/platform` of every definition, e.g. `Debian GNU/Linux`.
    pub platform: String,
    /// The `class` of every definition, e.g. `compliance`.
    pub definition_class: String,
    /// Test families beyond OVAL's own `ind`, `unix` and `linux`: prefix -> namespace.
    #[serde(default)]
    pub namespaces: BTreeMap<String, String>,
    #[serde(default)]
    /// Local variables, written after the external ones.
    pub local_variables: Vec<LocalVariable>,
}

/// An OVAL 5.11 `local_variable` computed by one `arithmetic` function (§4.3.6.7): the
/// one shape the benchmark needs; anything else is refused rather than half-written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalVariable {
    /// The OVAL id, `oval:NS:var:N`.
    pub id: String,
    /// The variable's OVAL datatype, e.g. `int`.
    pub datatype: String,
    /// The variable's `comment`.
    pub comment: String,
    /// The arithmetic operation: `add` or `multiply`.
    pub arithmetic: String,
    /// The operands, at least two.
    pub components: Vec<Component>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
/// One operand of [`LocalVariable`]: exactly one of `var_ref` and `literal`.
pub struct Component {
    /// A `variable_component`: the OVAL id of another variable.
    pub var_ref: Option<String>,
    /// A `literal_component` value.
    pub literal: Option<String>,
    /// The literal's datatype; `None` for `string`.
    pub datatype: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
/// The ids and timestamp of the source data stream (SCAP 1.3 §3.3.1 id patterns).
pub struct DatastreamSettings {
    /// The `NAMESPACE` of `scap_NAMESPACE_...` ids, reverse DNS, e.g. `dev.vigil`.
    pub namespace: String,
    /// The `NAME` of the collection and data stream ids.
    pub name: String,
    /// The components' `timestamp`; fixed for reproducible builds.
    pub timestamp: String,
}

/// One `rules/SHORT_ID.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// The file name without `.toml`: the part after `_rule_` of the XCCDF id.
    #[serde(skip)]
    pub short_id: String,
    #[serde(skip)]
    /// The rule file, for messages.
    pub file: PathBuf,
    /// The XCCDF Rule `title`, plain text.
    pub title: String,
    /// The short id of the rule's Group.
    pub group: String,
    /// The XCCDF `severity`: `unknown`, `info`, `low`, `medium` or `high`.
    pub severity: String,
    /// The rule compares the host with the site policy; its description then ends with
    /// the benchmark's `needs_policy_note`.
    pub needs_policy: bool,
    /// The Rule `description`, plain text (see [`Benchmark::rule_description`]).
    pub description: String,
    /// The Rule `rationale`, plain text.
    pub rationale: String,
    /// The Rule `fixtext`, plain text.
    pub fixtext: String,
    /// Short ids of the XCCDF Values the check exports.
    #[serde(default)]
    pub values: Vec<String>,
    #[serde(default)]
    /// Reference ids by [`ReferenceKind::key`], e.g. `ccm = ["LOG-11"]`.
    pub references: BTreeMap<String, Vec<String>>,
    /// The OVAL check of the rule.
    pub check: Check,
}

/// The rule's OVAL definition: its criteria are its tests, joined by `operator`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// The OVAL definition id, `oval:NS:def:N`; its number orders the rules.
    pub definition: String,
    #[serde(default = "and")]
    /// How the tests combine in the criteria: `AND` (default) or `OR`.
    pub operator: String,
    /// The definition's tests (criterion elements), in order.
    pub tests: Vec<Test>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
/// One OVAL test with its object and states.
pub struct Test {
    /// The OVAL id, `oval:NS:tst:N`.
    pub id: String,
    /// `PREFIX:KIND`: `ind:textfilecontent54` is an `ind:textfilecontent54_test` with an
    /// `ind:textfilecontent54_object` and `_state`s.
    #[serde(rename = "type")]
    pub kind: String,
    /// The test's `comment`; objects and states without one take it.
    pub comment: String,
    /// The OVAL `check` attribute (`all`, `at least one`, ...).
    pub check: String,
    /// The OVAL `check_existence` attribute (`at_least_one_exists`, ...).
    pub check_existence: String,
    /// The test's object.
    pub object: Object,
    #[serde(default)]
    /// The test's states; empty: only existence is checked.
    pub states: Vec<State>,
}

impl Test {
    /// `(prefix, kind)` of `type`; valid after [`load`].
    pub fn family(&self) -> (&str, &str) {
        self.kind.split_once(':').unwrap_or(("", &self.kind))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
/// The OVAL object of a test.
pub struct Object {
    /// The OVAL id, `oval:NS:obj:N`.
    pub id: String,
    /// Defaults to the test's comment.
    pub comment: Option<String>,
    #[serde(default)]
    /// The object entities, in the order the schema of the object requires.
    pub entities: Vec<Entity>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
/// An OVAL state of a test.
pub struct State {
    /// The OVAL id, `oval:NS:ste:N`.
    pub id: String,
    #[serde(default = "and")]
    /// How the entity results combine (`AND` when absent).
    pub operator: String,
    /// Defaults to the test's comment.
    pub comment: Option<String>,
    #[serde(default)]
    /// The state entities, in the order the schema of the state requires.
    pub entities: Vec<Entity>,
}

/// An object or state entity. A TOML boolean value is datatype `boolean`, an integer
/// `int`, a string the OVAL default (`string`) unless `datatype` says otherwise.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entity {
    /// The element name, e.g. `path`.
    pub name: String,
    /// The literal value; `None` with `var_ref` or `nil`.
    pub value: Option<EntityValue>,
    /// The `datatype` attribute; `None`: implied by the value (see
    /// [`Entity::effective_datatype`]).
    pub datatype: Option<String>,
    /// The `operation` attribute; `None` for `equals`.
    pub operation: Option<String>,
    /// The OVAL id of the variable giving the value, instead of `value`.
    pub var_ref: Option<String>,
    /// `xsi:nil="true"`: e.g. a `unix:file_object` naming a directory, not a file.
    #[serde(default)]
    pub nil: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
/// A TOML entity value, kept in its TOML type so the datatype can follow it.
pub enum EntityValue {
    /// A TOML boolean: datatype `boolean`.
    Bool(bool),
    /// A TOML integer: datatype `int`.
    Int(i64),
    /// A TOML string.
    Text(String),
}

impl Entity {
    /// The datatype written: the explicit one, else the one the TOML value implies.
    pub fn effective_datatype(&self) -> Option<&str> {
        self.datatype.as_deref().or(match self.value {
            Some(EntityValue::Bool(_)) => Some("boolean"),
            Some(EntityValue::Int(_)) => Some("int"),
            _ => None,
        })
    }

    /// The value as written into XML; `None` when there is none.
    pub fn text(&self) -> Option<String> {
        self.value.as_ref().map(|v| match v {
            EntityValue::Bool(b) => b.to_string(),
            EntityValue::Int(i) => i.to_string(),
            EntityValue::Text(s) => s.clone(),
        })
    }
}

fn and() -> String {
    "AND".into()
}

fn equals() -> String {
    "equals".into()
}

impl Benchmark {
    /// The full XCCDF id of a rule, group, value or profile short id.
    pub fn xccdf_id(&self, kind: &str, short: &str) -> String {
        format!("{}_{kind}_{short}", self.meta.id_prefix)
    }

    /// The Value with this short id; `None` when the benchmark has none.
    pub fn value(&self, short: &str) -> Option<&Value> {
        self.meta.values.iter().find(|v| v.id == short)
    }

    /// The rule's description as written into XCCDF and OVAL.
    pub fn rule_description(&self, r: &Rule) -> String {
        if r.needs_policy {
            format!("{} {}", r.description, self.meta.needs_policy_note)
        } else {
            r.description.clone()
        }
    }

    /// Keeps only the rules whose tests all belong to the `families` (prefixes), and the
    /// Values, local variables and namespaces those rules still use: what a validator
    /// that knows only those families can check in full (oscap knows OVAL's own, not
    /// vigil's).
    pub fn retain_families(&mut self, families: &[&str]) {
        self.rules.retain(|r| {
            r.check
                .tests
                .iter()
                .all(|t| families.contains(&t.family().0))
        });
        let used: BTreeSet<String> = self.rules.iter().flat_map(|r| r.values.clone()).collect();
        self.meta.values.retain(|v| used.contains(&v.id));
        let exports: BTreeSet<String> = self.meta.values.iter().map(|v| v.export.clone()).collect();
        self.meta.oval.local_variables.retain(|l| {
            l.components
                .iter()
                .all(|c| c.var_ref.as_ref().is_none_or(|v| exports.contains(v)))
        });
        self.meta
            .oval
            .namespaces
            .retain(|p, _| families.contains(&p.as_str()));
    }

    /// The rules a profile selects, in document order.
    pub fn selected<'a>(&'a self, p: &'a Profile) -> Vec<&'a Rule> {
        match &p.select {
            Select::Keyword(_) => self.rules.iter().collect(),
            Select::Rules(ids) => self
                .rules
                .iter()
                .filter(|r| ids.contains(&r.short_id))
                .collect(),
        }
    }
}

/// Reads `DIR/benchmark.toml` and every `DIR/rules/*.toml`, and validates them together.
pub fn load(dir: &Path) -> Result<Benchmark, Error> {
    let meta_path = dir.join("benchmark.toml");
    let meta: BenchmarkFile = parse(&meta_path)?;
    let rules_dir = dir.join("rules");
    let mut paths = Vec::new();
    let entries = std::fs::read_dir(&rules_dir).map_err(|source| Error::Io {
        path: rules_dir.clone(),
        source,
    })?;
    for e in entries {
        let e = e.map_err(|source| Error::Io {
            path: rules_dir.clone(),
            source,
        })?;
        let p = e.path();
        if p.extension().is_some_and(|x| x == "toml") {
            paths.push(p);
        }
    }
    paths.sort();
    let mut rules = Vec::new();
    let mut problems = Vec::new();
    for p in paths {
        match parse::<Rule>(&p) {
            Ok(mut r) => {
                r.short_id = p
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                r.file = p;
                rules.push(r);
            }
            // Report every file that does not parse, not just the first.
            Err(Error::Invalid { problems: p }) => problems.extend(p),
            Err(e) => return Err(e),
        }
    }
    if !problems.is_empty() {
        return Err(Error::Invalid { problems });
    }
    rules.sort_by_key(|r| id_number(&r.check.definition).unwrap_or(u64::MAX));
    let b = Benchmark {
        dir: dir.to_path_buf(),
        meta,
        rules,
    };
    let problems = validate(&b, &meta_path);
    if problems.is_empty() {
        Ok(b)
    } else {
        Err(Error::Invalid { problems })
    }
}

fn parse<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| {
        let (line, col) = e.span().map(|s| line_col(&text, s.start)).unwrap_or((1, 1));
        Error::Invalid {
            problems: vec![Problem {
                file: path.to_path_buf(),
                field: format!("{line}:{col}"),
                message: e.message().trim().to_string(),
            }],
        }
    })
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.len(), |p| before.len() - p - 1)
        + 1;
    (line, col)
}

/// The number at the end of an OVAL id (`oval:NS:def:12` -> 12).
pub fn id_number(id: &str) -> Option<u64> {
    id.rsplit(':').next()?.parse().ok()
}

const SEVERITIES: &[&str] = &["unknown", "info", "low", "medium", "high"];
const CHECKS: &[&str] = &["all", "at least one", "none satisfy", "only one"];
const EXISTENCES: &[&str] = &[
    "all_exist",
    "any_exist",
    "at_least_one_exists",
    "none_exist",
    "only_one_exists",
];
const OPERATORS: &[&str] = &["AND", "OR", "ONE", "XOR"];
const DATATYPES: &[&str] = &[
    "binary",
    "boolean",
    "evr_string",
    "debian_evr_string",
    "fileset_revision",
    "float",
    "ios_version",
    "int",
    "ipv4_address",
    "ipv6_address",
    "string",
    "version",
];
const OPERATIONS: &[&str] = &[
    "equals",
    "not equal",
    "case insensitive equals",
    "case insensitive not equal",
    "greater than",
    "less than",
    "greater than or equal",
    "less than or equal",
    "bitwise and",
    "bitwise or",
    "pattern match",
    "subset of",
    "superset of",
];
const ARITHMETIC: &[&str] = &["add", "multiply"];
/// OVAL's own families, always declared; others come from `[oval.namespaces]`.
pub const STANDARD_FAMILIES: &[(&str, &str)] = &[
    (
        "ind",
        "http://oval.mitre.org/XMLSchema/oval-definitions-5#independent",
    ),
    (
        "unix",
        "http://oval.mitre.org/XMLSchema/oval-definitions-5#unix",
    ),
    (
        "linux",
        "http://oval.mitre.org/XMLSchema/oval-definitions-5#linux",
    ),
];

struct Checker<'a> {
    problems: Vec<Problem>,
    file: &'a Path,
}

impl Checker<'_> {
    fn bad(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            file: self.file.to_path_buf(),
            field: field.into(),
            message: message.into(),
        });
    }

    /// A string that goes into XML: XML 1.0 §2.2 allows tab, newline and carriage
    /// return among the controls, and no escape makes the others legal.
    fn text(&mut self, field: &str, s: &str) {
        if let Some(c) = s.chars().find(|&c| !xml_char(c)) {
            self.bad(
                field,
                format!("U+{:04X} cannot appear in an XML document", c as u32),
            );
        }
    }

    /// Text that must say something (titles, descriptions).
    fn words(&mut self, field: &str, s: &str) {
        if s.trim().is_empty() {
            self.bad(field, "must not be empty");
        }
        self.text(field, s);
    }

    fn one_of(&mut self, field: &str, s: &str, allowed: &[&str]) {
        if !allowed.contains(&s) {
            self.bad(field, format!("{s:?} is not one of {}", allowed.join(", ")));
        }
    }

    /// `oval:NAMESPACE:KIND:N` (OVAL 5.11.1 oval-common-schema id patterns).
    fn oval_id(&mut self, field: &str, id: &str, kind: &str) {
        let ok = id
            .strip_prefix("oval:")
            .and_then(|r| r.rsplit_once(':'))
            .and_then(|(head, n)| Some((head.rsplit_once(':')?, n)))
            .is_some_and(|((ns, k), n)| {
                !ns.is_empty()
                    && ns
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
                    && k == kind
                    && !n.is_empty()
                    && !n.starts_with('0')
                    && n.chars().all(|c| c.is_ascii_digit())
            });
        if !ok {
            self.bad(
                field,
                format!("{id:?} is not an OVAL id of the form oval:NAMESPACE:{kind}:N"),
            );
        }
    }

    /// A short id that becomes part of an XCCDF id (`[A-Za-z0-9_.-]`, XCCDF 1.2 §6.2.3).
    fn short_id(&mut self, field: &str, id: &str) {
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
        {
            self.bad(
                field,
                format!("{id:?} must be letters, digits, '_', '-' or '.'"),
            );
        }
    }
}

/// Whether `c` may appear in an XML 1.0 document (§2.2 Char); control characters other than
/// tab and newlines may not, even escaped.
pub fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn validate(b: &Benchmark, meta_path: &Path) -> Vec<Problem> {
    let m = &b.meta;
    let mut c = Checker {
        problems: Vec::new(),
        file: meta_path,
    };
    c.short_id("id_prefix", m.id_prefix.trim_start_matches("xccdf_"));
    if !m.id_prefix.starts_with("xccdf_") {
        c.bad("id_prefix", "must start with xccdf_ (XCCDF 1.2 §6.2.3)");
    }
    if !m.id.starts_with(&format!("{}_benchmark_", m.id_prefix)) {
        c.bad("id", format!("must start with {}_benchmark_", m.id_prefix));
    }
    for (f, s) in [
        ("title", &m.title),
        ("description", &m.description),
        ("version", &m.version),
        ("needs_policy_note", &m.needs_policy_note),
    ] {
        c.words(f, s);
    }
    for (f, s) in [
        ("status", &m.status),
        ("status_date", &m.status_date),
        ("lang", &m.lang),
        ("style", &m.style),
        ("publisher", &m.publisher),
        ("source", &m.source),
    ] {
        c.text(f, s);
    }
    c.one_of(
        "status",
        &m.status,
        &["accepted", "deprecated", "draft", "incomplete", "interim"],
    );
    for (i, r) in m.references.iter().enumerate() {
        c.text(&format!("references[{i}].href"), &r.href);
        c.words(&format!("references[{i}].text"), &r.text);
    }
    let mut kinds = BTreeSet::new();
    for (i, k) in m.reference_kinds.iter().enumerate() {
        if !kinds.insert(k.key.as_str()) {
            c.bad(format!("reference_kinds[{i}].key"), "appears twice");
        }
        c.text(&format!("reference_kinds[{i}].href"), &k.href);
        c.text(
            &format!("reference_kinds[{i}].xccdf_prefix"),
            &k.xccdf_prefix,
        );
    }
    for (f, name) in [
        ("files.xccdf", &m.files.xccdf),
        ("files.oval", &m.files.oval),
        ("files.datastream", &m.files.datastream),
    ] {
        if name.is_empty() || name.contains('/') || name.starts_with('.') {
            c.bad(f, format!("{name:?} must be a plain file name"));
        }
        c.short_id(f, name);
    }
    let mut groups = BTreeSet::new();
    for (i, g) in m.groups.iter().enumerate() {
        c.short_id(&format!("groups[{i}].id"), &g.id);
        if !groups.insert(g.id.as_str()) {
            c.bad(
                format!("groups[{i}].id"),
                format!("{:?} appears twice", g.id),
            );
        }
        c.words(&format!("groups[{i}].title"), &g.title);
        c.words(&format!("groups[{i}].description"), &g.description);
    }
    let rule_ids: BTreeSet<&str> = b.rules.iter().map(|r| r.short_id.as_str()).collect();
    for (i, p) in m.profiles.iter().enumerate() {
        c.short_id(&format!("profiles[{i}].id"), &p.id);
        c.words(&format!("profiles[{i}].title"), &p.title);
        c.words(&format!("profiles[{i}].description"), &p.description);
        match &p.select {
            Select::Keyword(k) if k == "all" => {}
            Select::Keyword(k) => c.bad(
                format!("profiles[{i}].select"),
                format!("{k:?}: give \"all\" or a list of rule ids"),
            ),
            Select::Rules(ids) => {
                for id in ids.iter().filter(|id| !rule_ids.contains(id.as_str())) {
                    c.bad(
                        format!("profiles[{i}].select"),
                        format!("no rule {id:?} (no file rules/{id}.toml)"),
                    );
                }
            }
        }
    }
    // Variables a state may reference: the exported Values and the local variables.
    let mut vars: BTreeMap<String, String> = BTreeMap::new();
    let mut value_ids = BTreeSet::new();
    for (i, v) in m.values.iter().enumerate() {
        let f = |x: &str| format!("values[{i}].{x}");
        c.short_id(&f("id"), &v.id);
        if !value_ids.insert(v.id.as_str()) {
            c.bad(f("id"), format!("{:?} appears twice", v.id));
        }
        c.words(&f("title"), &v.title);
        c.words(&f("description"), &v.description);
        c.one_of(&f("type"), &v.kind, &["number", "string", "boolean"]);
        c.one_of(
            &f("operator"),
            &v.operator,
            &[
                "equals",
                "not equal",
                "greater than",
                "less than",
                "greater than or equal",
                "less than or equal",
                "pattern match",
            ],
        );
        c.text(&f("default"), &v.default);
        let number = |s: &str| s.parse::<f64>().is_ok_and(f64::is_finite);
        if v.kind == "number" && !number(&v.default) {
            c.bad(f("default"), format!("{:?} is not a number", v.default));
        }
        if v.kind == "boolean" && !["true", "false", "1", "0"].contains(&v.default.as_str()) {
            c.bad(f("default"), format!("{:?} is not a boolean", v.default));
        }
        for (name, bound) in [
            ("lower_bound", &v.lower_bound),
            ("upper_bound", &v.upper_bound),
        ] {
            if let Some(x) = bound {
                if v.kind != "number" {
                    c.bad(f(name), "only a number Value has bounds (XCCDF 1.2 §6.4.5)");
                } else if !number(x) {
                    c.bad(f(name), format!("{x:?} is not a number"));
                }
            }
        }
        c.oval_id(&f("export"), &v.export, "var");
        c.one_of(&f("export_datatype"), &v.export_datatype, DATATYPES);
        if vars.insert(v.export.clone(), f("export")).is_some() {
            c.bad(f("export"), format!("{} is exported twice", v.export));
        }
    }
    let o = &m.oval;
    c.text("oval.product_name", &o.product_name);
    c.text("oval.schema_version", &o.schema_version);
    c.text("oval.timestamp", &o.timestamp);
    c.text("oval.platform", &o.platform);
    c.one_of(
        "oval.affected_family",
        &o.affected_family,
        &[
            "android",
            "asa",
            "apple_ios",
            "catos",
            "ios",
            "iosxe",
            "junos",
            "macos",
            "pixos",
            "undefined",
            "unix",
            "vmware_infrastructure",
            "windows",
        ],
    );
    c.one_of(
        "oval.definition_class",
        &o.definition_class,
        &[
            "compliance",
            "inventory",
            "miscellaneous",
            "patch",
            "vulnerability",
        ],
    );
    if !dateish(&o.timestamp) {
        c.bad(
            "oval.timestamp",
            "must be an xsd:dateTime such as 2026-01-15T00:00:00",
        );
    }
    if !dateish(&m.datastream.timestamp) {
        c.bad(
            "datastream.timestamp",
            "must be an xsd:dateTime such as 2026-01-15T00:00:00",
        );
    }
    c.short_id("datastream.namespace", &m.datastream.namespace);
    c.short_id("datastream.name", &m.datastream.name);
    for (p, uri) in &o.namespaces {
        c.short_id(&format!("oval.namespaces.{p}"), p);
        c.text(&format!("oval.namespaces.{p}"), uri);
        if STANDARD_FAMILIES.iter().any(|(s, _)| s == p) || p == "oval" || p == "xsi" {
            c.bad(
                format!("oval.namespaces.{p}"),
                "is a prefix OVAL itself uses",
            );
        }
    }
    for (i, l) in o.local_variables.iter().enumerate() {
        let f = |x: &str| format!("oval.local_variables[{i}].{x}");
        c.oval_id(&f("id"), &l.id, "var");
        c.one_of(&f("datatype"), &l.datatype, DATATYPES);
        c.text(&f("comment"), &l.comment);
        c.one_of(&f("arithmetic"), &l.arithmetic, ARITHMETIC);
        if vars.insert(l.id.clone(), f("id")).is_some() {
            c.bad(f("id"), format!("{} is defined twice", l.id));
        }
    }
    for (i, l) in o.local_variables.iter().enumerate() {
        for (j, comp) in l.components.iter().enumerate() {
            let f = format!("oval.local_variables[{i}].components[{j}]");
            match (&comp.var_ref, &comp.literal) {
                (Some(v), None) if vars.contains_key(v) && *v != l.id => {}
                (Some(v), None) => c.bad(f, format!("{v} is not a variable of the benchmark")),
                (None, Some(lit)) => {
                    c.text(&f, lit);
                    if let Some(d) = &comp.datatype {
                        c.one_of(&format!("{f}.datatype"), d, DATATYPES);
                    }
                }
                _ => c.bad(f, "give exactly one of var_ref and literal"),
            }
        }
        if l.components.len() < 2 {
            c.bad(
                format!("oval.local_variables[{i}].components"),
                "arithmetic needs at least two components",
            );
        }
    }
    let families: BTreeSet<&str> = STANDARD_FAMILIES
        .iter()
        .map(|(p, _)| *p)
        .chain(o.namespaces.keys().map(String::as_str))
        .collect();
    let kinds_by_key: BTreeSet<&str> = m.reference_kinds.iter().map(|k| k.key.as_str()).collect();
    let mut problems = c.problems;

    // Every OVAL id once across all rules: a copied rule file that keeps its ids would
    // silently replace another rule's check.
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    for id in vars.keys() {
        seen.insert(id.clone(), meta_path.to_path_buf());
    }
    for r in &b.rules {
        let mut c = Checker {
            problems: Vec::new(),
            file: &r.file,
        };
        c.short_id("(file name)", &r.short_id);
        c.words("title", &r.title);
        c.words("description", &r.description);
        c.words("rationale", &r.rationale);
        c.words("fixtext", &r.fixtext);
        if !groups.contains(r.group.as_str()) {
            c.bad(
                "group",
                format!(
                    "{:?} is not a group of benchmark.toml ({})",
                    r.group,
                    groups.iter().copied().collect::<Vec<_>>().join(", ")
                ),
            );
        }
        c.one_of("severity", &r.severity, SEVERITIES);
        for v in &r.values {
            if !value_ids.contains(v.as_str()) {
                c.bad("values", format!("{v:?} is not a Value of benchmark.toml"));
            }
        }
        for (k, ids) in &r.references {
            if !kinds_by_key.contains(k.as_str()) {
                c.bad(
                    format!("references.{k}"),
                    "is not one of benchmark.toml's reference_kinds",
                );
            }
            for (i, id) in ids.iter().enumerate() {
                c.words(&format!("references.{k}[{i}]"), id);
            }
        }
        let mut ids = Vec::new();
        c.oval_id("check.definition", &r.check.definition, "def");
        ids.push(("check.definition".to_string(), r.check.definition.clone()));
        c.one_of("check.operator", &r.check.operator, OPERATORS);
        if r.check.tests.is_empty() {
            c.bad("check.tests", "a check needs at least one test");
        }
        for (i, t) in r.check.tests.iter().enumerate() {
            let f = |x: &str| format!("check.tests[{i}].{x}");
            c.oval_id(&f("id"), &t.id, "tst");
            ids.push((f("id"), t.id.clone()));
            match t.kind.split_once(':') {
                Some((p, k))
                    if families.contains(p)
                        && !k.is_empty()
                        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {}
                _ => c.bad(
                    f("type"),
                    format!(
                        "{:?} is not PREFIX:KIND with PREFIX one of {}",
                        t.kind,
                        families.iter().copied().collect::<Vec<_>>().join(", ")
                    ),
                ),
            }
            c.text(&f("comment"), &t.comment);
            c.one_of(&f("check"), &t.check, CHECKS);
            c.one_of(&f("check_existence"), &t.check_existence, EXISTENCES);
            c.oval_id(&f("object.id"), &t.object.id, "obj");
            ids.push((f("object.id"), t.object.id.clone()));
            if let Some(s) = &t.object.comment {
                c.text(&f("object.comment"), s);
            }
            entities(&mut c, &f("object"), &t.object.entities, &vars);
            for (j, s) in t.states.iter().enumerate() {
                let f = |x: &str| format!("check.tests[{i}].states[{j}].{x}");
                c.oval_id(&f("id"), &s.id, "ste");
                ids.push((f("id"), s.id.clone()));
                c.one_of(&f("operator"), &s.operator, OPERATORS);
                if let Some(cm) = &s.comment {
                    c.text(&f("comment"), cm);
                }
                if s.entities.is_empty() {
                    c.bad(f("entities"), "a state needs at least one entity");
                }
                entities(
                    &mut c,
                    &format!("check.tests[{i}].states[{j}]"),
                    &s.entities,
                    &vars,
                );
            }
        }
        for (field, id) in ids {
            if let Some(other) = seen.get(&id) {
                c.bad(
                    field,
                    format!("{id} is already used by {}", other.display()),
                );
            } else {
                seen.insert(id, r.file.clone());
            }
        }
        problems.extend(c.problems);
    }
    problems
}

fn entities(c: &mut Checker, at: &str, list: &[Entity], vars: &BTreeMap<String, String>) {
    for (k, e) in list.iter().enumerate() {
        let f = |x: &str| format!("{at}.entities[{k}].{x}");
        if e.name.is_empty()
            || !e
                .name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
        {
            c.bad(f("name"), format!("{:?} is not an entity name", e.name));
        }
        if let Some(d) = &e.datatype {
            c.one_of(&f("datatype"), d, DATATYPES);
        }
        if let Some(o) = &e.operation {
            c.one_of(&f("operation"), o, OPERATIONS);
        }
        match (&e.value, &e.var_ref, e.nil) {
            (Some(v), None, false) => {
                if let EntityValue::Text(s) = v {
                    c.text(&f("value"), s);
                }
                let implied = match v {
                    EntityValue::Bool(_) => Some("boolean"),
                    EntityValue::Int(_) => Some("int"),
                    EntityValue::Text(_) => None,
                };
                if let (Some(i), Some(d)) = (implied, &e.datatype)
                    && i != d
                {
                    c.bad(
                        f("datatype"),
                        format!("{d:?} does not match the value, which is a TOML {i}"),
                    );
                }
            }
            (None, Some(v), false) => {
                if !vars.contains_key(v) {
                    c.bad(
                        f("var_ref"),
                        format!("{v} is not an exported Value or local variable of benchmark.toml"),
                    );
                }
            }
            (None, None, true) => {
                if e.datatype.is_some() || e.operation.is_some() {
                    c.bad(f("nil"), "a nil entity has no datatype or operation");
                }
            }
            _ => c.bad(
                format!("{at}.entities[{k}]"),
                "give exactly one of value, var_ref and nil = true",
            ),
        }
    }
}

/// `YYYY-MM-DDThh:mm:ss`, what xsd:dateTime needs at least.
fn dateish(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 19
        && b.iter().enumerate().take(19).all(|(i, &ch)| match i {
            4 | 7 => ch == b'-',
            10 => ch == b'T',
            13 | 16 => ch == b':',
            _ => ch.is_ascii_digit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oval_ids_follow_the_pattern() {
        let mut c = Checker {
            problems: Vec::new(),
            file: Path::new("x.toml"),
        };
        c.oval_id("a", "oval:dev.vigil.ccm:tst:12", "tst");
        assert!(c.problems.is_empty());
        for bad in [
            "oval:dev.vigil.ccm:obj:12",
            "oval::tst:1",
            "oval:x:tst:01",
            "oval:x:tst:",
            "x:tst:1",
        ] {
            c.oval_id("a", bad, "tst");
        }
        assert_eq!(c.problems.len(), 5, "{:?}", c.problems);
    }

    #[test]
    fn xml_chars() {
        assert!(xml_char('\t') && xml_char('é') && xml_char('—'));
        assert!(!xml_char('\u{1}') && !xml_char('\u{FFFE}'));
    }

    #[test]
    fn dates() {
        assert!(dateish("2026-01-15T00:00:00"));
        assert!(!dateish("2026-01-15"));
    }
}
