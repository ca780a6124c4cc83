//! Waivers (`vigil scan --waivers FILE`): the risks a site has accepted, each with a
//! justification, an approver and an expiry date. A waiver covers the rules its
//! pattern names (full id, the part after `_rule_`, or a `*`/`?` glob of either) on
//! the hosts its `hosts` globs name (all hosts without one). With `run = true` (the
//! default) the rule is evaluated and its result kept as found, but a failure no
//! longer counts (exit status, `history diff`, the pipeline formats say "waived");
//! with `run = false` it is not evaluated at all (`notchecked`). An expired waiver
//! covers nothing: the rule's failure counts again and says "waiver expired on ...".
//!
//! The file is TOML (`[[waivers]]` tables) or YAML/JSON (a `waivers:` list), chosen by
//! its extension. It is read and checked whole before anything else happens, so a
//! malformed file is one error naming the file, the line and the field, before any
//! probe runs. Unknown fields are refused, so a misspelt `justificaton` is an error
//! rather than a waiver without a reason. InSpec's waiver files are the model; unlike
//! them, a waiver that matches no rule is reported, not silently ignored.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use vigil_core::model::{RuleWaiver, WaiverFile};

use crate::probes::keymgmt::wildcard_match;

/// Most bytes a waiver file may have.
pub const MAX_WAIVER_FILE: u64 = 4 << 20;
/// Most waivers one file may hold.
pub const MAX_WAIVERS: usize = 10_000;
/// Most YAML nodes read from a waiver file (bounds memory whatever the nesting).
const MAX_YAML_NODES: usize = 200_000;
/// Deepest YAML nesting accepted (a waiver file needs three levels).
const MAX_YAML_DEPTH: usize = 16;

#[derive(Debug, thiserror::Error)]
/// Why a waiver file cannot be used.
pub enum WaiverError {
    #[error("{path}: cannot read: {source}")]
    /// The file cannot be read.
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    /// The file is not a waiver file (syntax, size, format).
    File {
        /// The file.
        path: String,
        /// What is wrong, with the line where the parser knows it.
        message: String,
    },
    #[error("{at}: {field}: {message}")]
    /// One waiver is malformed.
    Field {
        /// `FILE:LINE`.
        at: String,
        /// `waivers[N].FIELD`.
        field: String,
        /// What is wrong.
        message: String,
    },
    #[error("--waivers-strict: {0}")]
    /// `--waivers-strict` refuses expired waivers and waivers that match no rule.
    Strict(String),
}

/// One waiver as read and checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiver {
    /// The rule pattern as written.
    pub rule: String,
    /// Why the risk is accepted (never empty).
    pub justification: String,
    /// The last day it holds, `YYYY-MM-DD` (a valid date).
    pub expires: Option<String>,
    /// Who approved it.
    pub approved_by: Option<String>,
    /// Host name globs it is limited to; empty: every host.
    pub hosts: Vec<String>,
    /// `false`: do not evaluate the rule.
    pub run: bool,
    /// `FILE:LINE` of the waiver.
    pub source: String,
}

/// A waiver file as read and checked: what a scan specification carries to a host, so
/// a remote scan applies exactly the waivers read on the controller.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaiverSet {
    /// The file as given.
    pub path: String,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: String,
    /// The waivers, in file order (the first that covers a rule applies).
    pub waivers: Vec<Waiver>,
    /// `--waivers-strict`: an expired waiver, or one that matches no rule, is an error
    /// before the scan collects anything.
    #[serde(default)]
    pub strict: bool,
}

/// The raw waiver as written: every field a waiver may have, nothing else.
#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a waiver: a table of rule, justification, expires, approved_by, hosts, run"
)]
struct RawWaiver {
    rule: String,
    justification: String,
    #[serde(default)]
    expires: Option<String>,
    #[serde(default)]
    approved_by: Option<String>,
    #[serde(default)]
    hosts: Vec<String>,
    #[serde(default = "yes")]
    run: bool,
}

fn yes() -> bool {
    true
}

impl WaiverSet {
    /// Reads and checks the waiver file at `path`.
    pub fn load(path: &Path) -> Result<WaiverSet, WaiverError> {
        let shown = path.display().to_string();
        let (bytes, more) = vigil_core::osutil::read_input(path, MAX_WAIVER_FILE).map_err(|e| {
            WaiverError::Read {
                path: shown.clone(),
                source: e,
            }
        })?;
        if more {
            return Err(file_error(
                &shown,
                format!("larger than {MAX_WAIVER_FILE} bytes"),
            ));
        }
        let text =
            String::from_utf8(bytes).map_err(|e| file_error(&shown, format!("not UTF-8: {e}")))?;
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        let entries = match ext.as_deref() {
            Some("toml") => toml_entries(&text).map_err(|m| file_error(&shown, m))?,
            Some("yaml" | "yml" | "json") => {
                yaml_entries(&text).map_err(|m| file_error(&shown, m))?
            }
            _ => {
                return Err(file_error(
                    &shown,
                    "unknown waiver file format: name it .toml, .yaml, .yml or .json".into(),
                ));
            }
        };
        if entries.len() > MAX_WAIVERS {
            return Err(file_error(
                &shown,
                format!("more than {MAX_WAIVERS} waivers"),
            ));
        }
        let mut waivers = Vec::with_capacity(entries.len());
        for (i, (line, value)) in entries.into_iter().enumerate() {
            waivers.push(check(&shown, i, line, value)?);
        }
        use sha2::Digest;
        Ok(WaiverSet {
            path: shown,
            sha256: vigil_core::osutil::hex(&sha2::Sha256::digest(text.as_bytes())),
            waivers,
            strict: false,
        })
    }

    /// The first waiver that covers `rule_id` on a host called `hostname` (the name the
    /// scanned host reports, as the results' `scan.host.hostname` records it).
    pub fn find(&self, rule_id: &str, hostname: &str) -> Option<&Waiver> {
        self.waivers
            .iter()
            .find(|w| w.matches_rule(rule_id) && self.in_scope(w, hostname))
    }

    fn in_scope(&self, w: &Waiver, hostname: &str) -> bool {
        w.hosts.is_empty() || w.hosts.iter().any(|h| wildcard_match(h, hostname))
    }

    /// The waivers that apply to none of `rule_ids` on this host, as
    /// `FILE:LINE: PATTERN`: their pattern names none, their `hosts` leave this host
    /// out, or an earlier waiver takes every rule they name.
    pub fn unmatched<'r>(
        &self,
        rule_ids: impl IntoIterator<Item = &'r str>,
        hostname: &str,
    ) -> Vec<String> {
        let mut used = vec![false; self.waivers.len()];
        for id in rule_ids {
            if let Some(i) = self
                .waivers
                .iter()
                .position(|w| w.matches_rule(id) && self.in_scope(w, hostname))
            {
                used[i] = true;
            }
        }
        self.waivers
            .iter()
            .zip(used)
            .filter(|(_, u)| !u)
            .map(|(w, _)| format!("{}: {}", w.source, w.rule))
            .collect()
    }

    /// `--waivers-strict`, before anything is collected: refuses expired waivers and
    /// the `unmatched` ones ([`WaiverSet::unmatched`] of the scan's rules).
    pub fn check_strict(&self, unmatched: &[String], today: &str) -> Result<(), WaiverError> {
        if !self.strict {
            return Ok(());
        }
        if let Some(w) = self.waivers.iter().find(|w| w.is_expired(today)) {
            return Err(WaiverError::Strict(format!(
                "{}: the waiver for {} expired on {}",
                w.source,
                w.rule,
                w.expires.as_deref().unwrap_or_default()
            )));
        }
        if let Some(u) = unmatched.first() {
            return Err(WaiverError::Strict(format!(
                "{u}: the waiver matches no rule of this scan"
            )));
        }
        Ok(())
    }

    /// What the results document records of the file.
    pub fn file_info(&self, unmatched: Vec<String>) -> WaiverFile {
        WaiverFile {
            path: self.path.clone(),
            sha256: self.sha256.clone(),
            count: self.waivers.len(),
            unmatched,
        }
    }
}

impl Waiver {
    /// Whether the pattern names `rule_id`: the full id, or its part after `_rule_`.
    pub fn matches_rule(&self, rule_id: &str) -> bool {
        let short = rule_id.split_once("_rule_").map(|(_, s)| s);
        wildcard_match(&self.rule, rule_id) || short.is_some_and(|s| wildcard_match(&self.rule, s))
    }

    /// Whether the waiver's last day is before `today` (`YYYY-MM-DD`; ISO dates order
    /// as strings).
    pub fn is_expired(&self, today: &str) -> bool {
        self.expires.as_deref().is_some_and(|e| e < today)
    }

    /// What a rule result records of it on `today`.
    pub fn applied(&self, today: &str) -> RuleWaiver {
        RuleWaiver {
            rule: self.rule.clone(),
            justification: self.justification.clone(),
            expires: self.expires.clone(),
            approved_by: self.approved_by.clone(),
            run: self.run,
            expired: self.is_expired(today),
            source: self.source.clone(),
        }
    }
}

fn file_error(path: &str, message: String) -> WaiverError {
    WaiverError::File {
        path: path.to_string(),
        message,
    }
}

/// One waiver's value checked into a [`Waiver`]; `line` is where it starts.
fn check(path: &str, index: usize, line: usize, value: Value) -> Result<Waiver, WaiverError> {
    let at = format!("{path}:{line}");
    let field = |f: &str| format!("waivers[{index}]{}{f}", if f.is_empty() { "" } else { "." });
    let raw: RawWaiver = serde_path_to_error::deserialize(value).map_err(|e| {
        let p = e.path().to_string();
        WaiverError::Field {
            at: at.clone(),
            field: field(if p == "." { "" } else { &p }),
            message: e.into_inner().to_string(),
        }
    })?;
    let bad = |f: &str, message: String| WaiverError::Field {
        at: at.clone(),
        field: field(f),
        message,
    };
    if raw.rule.trim().is_empty() {
        return Err(bad("rule", "is empty".into()));
    }
    if raw.justification.trim().is_empty() {
        return Err(bad(
            "justification",
            "is empty: a waiver must say why the risk is accepted".into(),
        ));
    }
    if let Some(e) = &raw.expires {
        let ok = e.len() == 10 && chrono::NaiveDate::parse_from_str(e, "%Y-%m-%d").is_ok();
        if !ok {
            return Err(bad("expires", format!("'{e}' is not a date (YYYY-MM-DD)")));
        }
    }
    if let Some(h) = raw.hosts.iter().position(|h| h.trim().is_empty()) {
        return Err(bad(&format!("hosts[{h}]"), "is empty".into()));
    }
    Ok(Waiver {
        rule: raw.rule.trim().to_string(),
        justification: raw.justification,
        expires: raw.expires,
        approved_by: raw.approved_by.filter(|a| !a.trim().is_empty()),
        hosts: raw.hosts,
        run: raw.run,
        source: at,
    })
}

/// The waivers of a TOML file, each with its line: `[[waivers]]` tables. A TOML date
/// (`expires = 2027-06-30`) reads as its text, which [`check`] then checks.
fn toml_entries(text: &str) -> Result<Vec<(usize, Value)>, String> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        #[serde(default)]
        waivers: Vec<toml::Spanned<toml::Value>>,
    }
    let f: File = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?;
    Ok(f.waivers
        .into_iter()
        .map(|w| {
            let line = line_of(text, w.span().start);
            (line, toml_to_json(w.into_inner()))
        })
        .collect())
}

/// The 1-based line of byte `offset`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn toml_to_json(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => Value::from(f),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

/// The waivers of a YAML (or JSON) file, each with its line: the `waivers:` list of
/// the one document. Read from the parser's events, so aliases (which could expand a
/// small file into a huge one) are refused rather than expanded, and the nodes read
/// are bounded.
fn yaml_entries(text: &str) -> Result<Vec<(usize, Value)>, String> {
    use yaml_rust2::parser::{Event, Parser};
    use yaml_rust2::scanner::TScalarStyle;

    enum Frame {
        Map(serde_json::Map<String, Value>, Option<String>, usize),
        Seq(Vec<Value>, usize),
    }
    // Whether a node completed now is an element of the top-level `waivers:` list.
    fn in_waivers_list(stack: &[Frame]) -> bool {
        stack.len() == 2
            && matches!(&stack[0], Frame::Map(_, Some(k), _) if k == "waivers")
            && matches!(stack[1], Frame::Seq(..))
    }
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<(Value, Vec<usize>)> = None;
    // The line of each element of the top-level `waivers` list, as it closes.
    let mut lines: Vec<usize> = Vec::new();
    let mut nodes = 0usize;
    loop {
        let (ev, mark) = parser
            .next_token()
            .map_err(|e| format!("YAML syntax error: {e}"))?;
        let line = mark.line();
        let value = match ev {
            Event::StreamEnd => break,
            Event::DocumentStart if root.is_some() => {
                return Err(format!("line {line}: more than one YAML document"));
            }
            Event::Alias(_) => {
                return Err(format!(
                    "line {line}: YAML aliases are not accepted in a waiver file"
                ));
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                nodes += 1;
                if stack.len() >= MAX_YAML_DEPTH || nodes > MAX_YAML_NODES {
                    return Err(format!("line {line}: too deep or too large"));
                }
                stack.push(if matches!(ev, Event::MappingStart(..)) {
                    Frame::Map(serde_json::Map::new(), None, line)
                } else {
                    Frame::Seq(Vec::new(), line)
                });
                continue;
            }
            Event::MappingEnd | Event::SequenceEnd => {
                let (value, start) = match stack.pop() {
                    Some(Frame::Map(m, _, start)) => (Value::Object(m), start),
                    Some(Frame::Seq(s, start)) => (Value::Array(s), start),
                    None => return Err(format!("line {line}: unbalanced YAML")),
                };
                if in_waivers_list(&stack) {
                    lines.push(start);
                }
                value
            }
            Event::Scalar(v, style, _, _) => {
                nodes += 1;
                if nodes > MAX_YAML_NODES {
                    return Err(format!("line {line}: too large"));
                }
                if in_waivers_list(&stack) {
                    lines.push(line);
                }
                if style == TScalarStyle::Plain {
                    match v.as_str() {
                        "true" | "True" | "TRUE" => Value::Bool(true),
                        "false" | "False" | "FALSE" => Value::Bool(false),
                        "null" | "~" | "" => Value::Null,
                        _ => v
                            .parse::<i64>()
                            .map(Value::from)
                            .unwrap_or(Value::String(v)),
                    }
                } else {
                    Value::String(v)
                }
            }
            _ => continue,
        };
        match stack.last_mut() {
            Some(Frame::Seq(s, _)) => s.push(value),
            Some(Frame::Map(m, key, _)) => match key.take() {
                None => match value {
                    Value::String(k) => *key = Some(k),
                    other => {
                        return Err(format!("line {line}: a key must be text, not {other}"));
                    }
                },
                Some(k) => {
                    if m.contains_key(&k) {
                        return Err(format!("line {line}: duplicate key '{k}'"));
                    }
                    m.insert(k, value);
                }
            },
            None => root = Some((value, std::mem::take(&mut lines))),
        }
    }
    let Some((root, lines)) = root else {
        return Ok(Vec::new());
    };
    let Value::Object(mut top) = root else {
        return Err("a waiver file is a map with a 'waivers' list".into());
    };
    if let Some(k) = top.keys().find(|k| *k != "waivers") {
        return Err(format!("unknown top-level key '{k}' (expected 'waivers')"));
    }
    match top.remove("waivers") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(list)) => Ok(lines.into_iter().zip(list).collect()),
        Some(_) => Err("'waivers' must be a list".into()),
    }
}

/// A scan's waivers resolved for the one host: the [`WaiverSet`] and the day (UTC)
/// expiry is judged on.
pub(crate) struct Applied<'w> {
    pub(crate) set: &'w WaiverSet,
    pub(crate) hostname: String,
    pub(crate) today: String,
    /// The waivers that apply to none of the selected rules on this host.
    pub(crate) unmatched: Vec<String>,
}

impl Applied<'_> {
    /// The waiver covering `rule_id`, if any.
    pub(crate) fn find(&self, rule_id: &str) -> Option<&Waiver> {
        self.set.find(rule_id, &self.hostname)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(name: &str, text: &str) -> Result<WaiverSet, WaiverError> {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join(name);
        std::fs::write(&p, text).unwrap();
        WaiverSet::load(&p).map(|mut s| {
            s.path = name.into();
            for w in &mut s.waivers {
                w.source = w.source.rsplit('/').next().unwrap().to_string();
            }
            s
        })
    }

    fn err(name: &str, text: &str) -> String {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join(name);
        std::fs::write(&p, text).unwrap();
        WaiverSet::load(&p)
            .unwrap_err()
            .to_string()
            .replace(&format!("{}/", d.path().display()), "")
    }

    const TOML: &str = r#"
[[waivers]]
rule = "xccdf_dev.vigil_rule_rsyslog_remote_forwarding"
justification = "forwarding moves to vector in Q3, ticket SEC-123"
expires = 2027-06-30
approved_by = "security@example.com"

[[waivers]]
rule = "key_*"
justification = "lab host"
hosts = ["lab-*"]
run = false
"#;

    #[test]
    fn toml_yaml_and_json_read_the_same_waivers() {
        let t = load("w.toml", TOML).unwrap();
        let y = load(
            "w.yaml",
            "waivers:\n  - rule: xccdf_dev.vigil_rule_rsyslog_remote_forwarding\n    justification: forwarding moves to vector in Q3, ticket SEC-123\n    expires: 2027-06-30\n    approved_by: security@example.com\n  - rule: \"key_*\"\n    justification: lab host\n    hosts: [\"lab-*\"]\n    run: false\n",
        )
        .unwrap();
        let j = load(
            "w.json",
            r#"{"waivers": [{"rule": "xccdf_dev.vigil_rule_rsyslog_remote_forwarding", "justification": "forwarding moves to vector in Q3, ticket SEC-123", "expires": "2027-06-30", "approved_by": "security@example.com"}, {"rule": "key_*", "justification": "lab host", "hosts": ["lab-*"], "run": false}]}"#,
        )
        .unwrap();
        assert_eq!(t.waivers.len(), 2);
        assert_eq!(t.waivers[0].expires.as_deref(), Some("2027-06-30"));
        assert_eq!(t.waivers[0].source, "w.toml:2");
        assert_eq!(t.waivers[1].source, "w.toml:8");
        assert_eq!(y.waivers[0].source, "w.yaml:2");
        assert_eq!(y.waivers[1].source, "w.yaml:6");
        assert!(!t.waivers[1].run);
        let strip = |s: &WaiverSet| {
            s.waivers
                .iter()
                .map(|w| Waiver {
                    source: String::new(),
                    ..w.clone()
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(&t), strip(&y));
        assert_eq!(strip(&t), strip(&j));
    }

    #[test]
    fn patterns_match_full_short_and_glob_ids_within_their_hosts() {
        let t = load("w.toml", TOML).unwrap();
        let id = "xccdf_dev.vigil_rule_rsyslog_remote_forwarding";
        assert_eq!(t.find(id, "web1").unwrap().source, "w.toml:2");
        assert!(
            t.find("xccdf_dev.vigil_rule_key_strength", "web1")
                .is_none()
        );
        assert_eq!(
            t.find("xccdf_dev.vigil_rule_key_strength", "lab-3")
                .unwrap()
                .source,
            "w.toml:8"
        );
        let short = Waiver {
            rule: "rsyslog_remote_forwarding".into(),
            ..t.waivers[0].clone()
        };
        assert!(short.matches_rule(id));
        assert!(!short.matches_rule("xccdf_dev.vigil_rule_rsyslog_remote_forwarding_tls"));
        assert_eq!(
            t.unmatched([id], "web1"),
            vec!["w.toml:8: key_*".to_string()]
        );
    }

    #[test]
    fn expiry_is_inclusive_of_the_last_day_and_strict_refuses_it() {
        let mut t = load("w.toml", TOML).unwrap();
        let w = &t.waivers[0];
        assert!(!w.is_expired("2027-06-30"));
        assert!(w.is_expired("2027-07-01"));
        assert!(w.applied("2027-07-01").expired);
        let ids = ["xccdf_dev.vigil_rule_rsyslog_remote_forwarding"];
        assert!(
            t.check_strict(&t.unmatched(ids, "lab-1"), "2030-01-01")
                .is_ok()
        );
        t.strict = true;
        assert_eq!(
            t.check_strict(&t.unmatched(ids, "lab-1"), "2030-01-01")
                .unwrap_err()
                .to_string(),
            "--waivers-strict: w.toml:2: the waiver for xccdf_dev.vigil_rule_rsyslog_remote_forwarding expired on 2027-06-30"
        );
        assert_eq!(
            t.check_strict(&t.unmatched(ids, "web1"), "2026-01-01")
                .unwrap_err()
                .to_string(),
            "--waivers-strict: w.toml:8: key_*: the waiver matches no rule of this scan"
        );
    }

    #[test]
    fn malformed_waivers_name_file_line_and_field() {
        insta::assert_snapshot!(
            [
                err("w.toml", "[[waivers]]\nrule = \"x\"\n"),
                err("w.toml", "[[waivers]]\nrule = \"x\"\njustification = \" \"\n"),
                err("w.toml", "[[waivers]]\nrule = \"x\"\njustification = \"j\"\nexpires = \"2027-02-30\"\n"),
                err("w.toml", "[[waivers]]\nrule = \"x\"\njustification = \"j\"\nexpires = 2027-06-30T10:00:00Z\n"),
                err("w.toml", "\n\n[[waivers]]\nrule = \"x\"\njustificaton = \"j\"\n"),
                err("w.toml", "[[waivers]]\nrule = \"x\"\njustification = \"j\"\nrun = \"no\"\n"),
                err("w.toml", "[[waiver]]\nrule = \"x\"\n"),
                err("w.toml", "[[waivers]\n"),
                err("w.yaml", "waivers:\n  - rule: x\n    justification: j\n  - rule: y\n    hosts: [\"\"]\n    justification: j\n"),
                err("w.yaml", "waivers:\n  - &a {rule: x, justification: j}\n  - *a\n"),
                err("w.yaml", "waivers: [\n"),
                err("w.yaml", "rules: []\n"),
                err("w.yaml", "waivers:\n  - x\n"),
                err("w.txt", ""),
            ]
            .join("\n")
        );
    }

    #[test]
    fn an_empty_file_has_no_waivers() {
        assert!(load("w.toml", "").unwrap().waivers.is_empty());
        assert!(load("w.yaml", "").unwrap().waivers.is_empty());
        assert!(load("w.yaml", "waivers:\n").unwrap().waivers.is_empty());
    }
}
