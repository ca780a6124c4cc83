//! `--events-format json|cef|ocsf`: the shape an event takes on its way to a SIEM.
//!
//! vigil builds every event as one JSON object (see [`super::events`]: new failures,
//! restores, watch changes). `json` writes that object as it is. The two other formats
//! are translations of it, made here and nowhere else so that every event kind (and
//! any added later) reaches every format:
//!
//! - **CEF** (ArcSight Common Event Format, version 0; what ArcSight, Wazuh, QRadar and
//!   Sentinel's CEF connector read): `CEF:0|vigil|vigil|VERSION|EVENT_TYPE|NAME|SEVERITY|EXT`.
//!   Header fields escape `\` and `|`; extension values escape `\`, `=`, and write
//!   line breaks as `\n` and `\r`, as the CEF standard requires. Other control
//!   characters (a hostile file name's terminal escapes) are written as the text
//!   `\\uXXXX`, so no raw control byte reaches a collector. Standard keys carry what
//!   they mean (`rt`, `dvchost`, `suser`/`suid` for who acted, `outcome`, `cat`,
//!   `msg`, `filePath`, `fname`, `act`, `sproc`, `spid`, `cs1`..`cs6` with their
//!   labels), each cut to its length in the standard's dictionary; every field of the
//!   vigil event not carried by a standard key is a vendor key `vigil<Path>` (for
//!   example `vigilHistoryHeadSeq`), so nothing in the event is lost.
//! - **OCSF** 1.5.0 (Open Cybersecurity Schema Framework, for data lakes such as
//!   Security Lake): a new failure is a Compliance Finding (class 2003) whose
//!   `compliance.control` is the rule and whose `compliance.status_id` is Fail; restore,
//!   watch and any other event is a Detection Finding (class 2004). Times are
//!   milliseconds since the epoch, `type_uid` is `class_uid * 100 + activity_id`,
//!   and the whole vigil event is kept under `unmapped.vigil`.
//!
//! Each event is one line in every format (a file target gets JSON lines, CEF lines or
//! OCSF JSON lines; syslog gets one message per event).

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// How events are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// vigil's own JSON object, one per line.
    #[default]
    Json,
    /// ArcSight Common Event Format, version 0.
    Cef,
    /// OCSF 1.5.0 Compliance/Detection Finding, one JSON object per line.
    Ocsf,
}

/// The version of vigil named in CEF headers and OCSF metadata.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The OCSF schema version the events follow.
pub(crate) const OCSF_VERSION: &str = "1.5.0";

/// `event` in `format`, as one line (no line break).
pub(crate) fn encode(event: &Value, format: Format) -> String {
    match format {
        Format::Json => event.to_string(),
        Format::Cef => cef(event),
        Format::Ocsf => ocsf(event).to_string(),
    }
}

fn s<'a>(ev: &'a Value, pointer: &str) -> Option<&'a str> {
    ev.pointer(pointer).and_then(Value::as_str)
}

fn event_type(ev: &Value) -> &str {
    s(ev, "/event_type").unwrap_or("vigil.event")
}

/// How serious an event is, on vigil's own scale, which each format then maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Info,
    Low,
    Medium,
    High,
    Unknown,
}

impl Level {
    fn of(ev: &Value) -> Level {
        match event_type(ev) {
            "vigil.rule.new_failure" => match s(ev, "/rule/severity") {
                Some("high") => Level::High,
                Some("medium") => Level::Medium,
                Some("low") => Level::Low,
                Some("info") => Level::Info,
                _ => Level::Unknown,
            },
            "vigil.baseline.restore_refused" => Level::High,
            "vigil.baseline.restored" => Level::Low,
            "vigil.watch.change" => {
                let failing = ev
                    .pointer("/rules/new_failures")
                    .and_then(Value::as_array)
                    .is_some_and(|a| !a.is_empty());
                if failing { Level::High } else { Level::Medium }
            }
            _ => Level::Medium,
        }
    }

    /// CEF severity, 0 (lowest) to 10.
    fn cef(self) -> u8 {
        match self {
            Level::Info => 1,
            Level::Low => 3,
            Level::Medium | Level::Unknown => 5,
            Level::High => 8,
        }
    }

    /// OCSF `severity_id` and its caption.
    fn ocsf(self) -> (u8, &'static str) {
        match self {
            Level::Unknown => (0, "Unknown"),
            Level::Info => (1, "Informational"),
            Level::Low => (2, "Low"),
            Level::Medium => (3, "Medium"),
            Level::High => (4, "High"),
        }
    }
}

/// A short human-readable name for the event (the CEF header's Name, OCSF's title).
fn title(ev: &Value) -> String {
    let path = s(ev, "/path").unwrap_or("");
    match event_type(ev) {
        "vigil.rule.new_failure" => format!(
            "{}: {}",
            s(ev, "/rule/title").or(s(ev, "/rule/id")).unwrap_or("rule"),
            s(ev, "/outcome").unwrap_or("fail")
        ),
        "vigil.baseline.restored" => format!("restored from the baseline store: {path}"),
        "vigil.baseline.restore_refused" => format!("restore refused: {path}"),
        "vigil.watch.change" => {
            let what: Vec<&str> = ev
                .pointer("/changes")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            format!("watched file changed ({}): {path}", what.join(", "))
        }
        "vigil.watch.overflow" => "watch queue overflowed; every path compared again".into(),
        "vigil.watch.limit" => "watch limit reached".into(),
        other => other.to_string(),
    }
}

/// The event's description: rule messages, a restore's detail, a watch limit's reason.
fn description(ev: &Value) -> Option<String> {
    if let Some(m) = ev.pointer("/messages").and_then(Value::as_array) {
        let m: Vec<&str> = m.iter().filter_map(Value::as_str).collect();
        return (!m.is_empty()).then(|| m.join("; "));
    }
    s(ev, "/detail").or(s(ev, "/reason")).map(str::to_string)
}

/// When the event happened, in milliseconds since the epoch: a watch change's
/// `observed`, otherwise the event's `time`.
fn millis(ev: &Value, pointer: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s(ev, pointer)?)
        .ok()
        .map(|t| t.timestamp_millis())
}

fn occurred(ev: &Value) -> i64 {
    millis(ev, "/observed")
        .or_else(|| millis(ev, "/time"))
        .unwrap_or_else(|| chrono::Utc::now().timestamp_millis())
}

// ---- CEF ------------------------------------------------------------------------

/// Control characters other than the line breaks CEF escapes itself, as visible text.
fn push_control(out: &mut String, c: char) {
    out.push_str(&format!("\\\\u{:04x}", c as u32));
}

fn cef_header(v: &str, max: usize) -> String {
    let mut out = String::new();
    for c in truncate(v, max).chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            c if c.is_control() => push_control(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

fn cef_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '=' => out.push_str("\\="),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => push_control(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// `v` cut to at most `max` characters (the CEF dictionary's lengths count characters).
fn truncate(v: &str, max: usize) -> &str {
    match v.char_indices().nth(max) {
        Some((i, _)) => &v[..i],
        None => v,
    }
}

/// A JSON leaf as CEF text (strings bare, everything else as JSON).
fn leaf_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

/// The standard CEF keys an event carries: (key, value, max length, JSON pointers of
/// the vigil fields it stands for, which then get no vendor key).
struct Ext {
    pairs: Vec<(String, String)>,
    used: Vec<String>,
}

impl Ext {
    fn put(&mut self, key: &str, max: usize, value: Option<String>, from: &[&str]) {
        if let Some(v) = value {
            self.pairs
                .push((key.to_string(), truncate(&v, max).to_string()));
            // A field cut short keeps its vendor key, which carries it whole.
            if v.chars().count() <= max {
                self.used.extend(from.iter().map(|p| p.to_string()));
            }
        }
    }

    fn custom(&mut self, n: u8, label: &str, value: Option<String>, from: &[&str]) {
        if value.is_some() {
            self.put(&format!("cs{n}"), 4000, value, from);
            self.pairs.push((format!("cs{n}Label"), label.to_string()));
        }
    }
}

fn cef(ev: &Value) -> String {
    let ty = event_type(ev);
    let mut x = Ext {
        pairs: Vec::new(),
        used: vec!["/event_type".into()],
    };
    let text = |p: &str| ev.pointer(p).filter(|v| !v.is_null()).map(leaf_text);
    x.put("rt", 64, Some(occurred(ev).to_string()), &[]);
    x.put("dvchost", 100, text("/host"), &["/host"]);
    x.put("cat", 1023, Some(ty.to_string()), &[]);
    x.put("outcome", 63, text("/outcome"), &["/outcome"]);
    x.put("msg", 1023, description(ev), &[]);
    if let Some(p) = s(ev, "/path") {
        x.put("filePath", 1023, Some(p.to_string()), &["/path"]);
        let name = p.rsplit('/').next().unwrap_or(p);
        x.put("fname", 1023, Some(name.to_string()), &[]);
    }
    match ty {
        "vigil.rule.new_failure" => {
            x.custom(1, "rule", text("/rule/id"), &["/rule/id"]);
            x.custom(2, "previous", text("/previous"), &["/previous"]);
            x.custom(3, "severity", text("/rule/severity"), &["/rule/severity"]);
            let head = ev.pointer("/history_head").map(|h| {
                format!(
                    "{}:{}",
                    h.get("seq").map(leaf_text).unwrap_or_default(),
                    h.get("hash").map(leaf_text).unwrap_or_default()
                )
            });
            // A pair in one key: seq and hash keep their own vendor keys.
            x.custom(4, "historyHead", head, &[]);
        }
        "vigil.baseline.restored" | "vigil.baseline.restore_refused" => {
            // The person running the restore is the one acting on the file.
            x.put("suser", 1023, text("/identity"), &["/identity"]);
            x.put("suid", 1023, text("/uid"), &["/uid"]);
            x.put("act", 63, text("/outcome"), &[]);
            x.custom(1, "store", text("/store"), &["/store"]);
            x.custom(
                2,
                "manifestSha256",
                text("/manifest_sha256"),
                &["/manifest_sha256"],
            );
            x.custom(3, "signedBy", text("/signed_by"), &["/signed_by"]);
        }
        "vigil.watch.change" => {
            // Who changed the file, where auditd recorded it; vigil only observed it.
            x.put("suser", 1023, text("/who/user"), &["/who/user"]);
            x.put("suid", 1023, text("/who/auid"), &["/who/auid"]);
            x.put("sproc", 1023, text("/who/exe"), &["/who/exe"]);
            x.put("spid", 20, text("/who/pid"), &["/who/pid"]);
            let changes = ev.pointer("/changes").and_then(Value::as_array).map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(",")
            });
            x.put("act", 63, changes, &[]);
            x.custom(1, "watchedAs", text("/watched_as"), &["/watched_as"]);
            let failing = ev
                .pointer("/rules/new_failures")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|r| r.get("id").and_then(Value::as_str))
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .filter(|s| !s.is_empty());
            x.custom(2, "newFailures", failing, &[]);
        }
        _ => {}
    }
    let mut vendor = Vec::new();
    flatten(
        ev,
        &mut String::new(),
        &mut String::from("vigil"),
        &mut vendor,
    );
    let used = std::mem::take(&mut x.used);
    for (pointer, key, v) in vendor {
        if !used.contains(&pointer) {
            x.pairs.push((key, v));
        }
    }
    let level = Level::of(ev);
    let mut line = format!(
        "CEF:0|vigil|vigil|{}|{}|{}|{}|",
        cef_header(VERSION, 31),
        cef_header(ty, 1023),
        cef_header(&title(ev), 512),
        level.cef()
    );
    for (i, (k, v)) in x.pairs.iter().enumerate() {
        if i > 0 {
            line.push(' ');
        }
        line.push_str(k);
        line.push('=');
        line.push_str(&cef_value(v));
    }
    line
}

/// Every leaf of `v` as (JSON pointer, vendor key, text): the key is `vigil` and the
/// path's names in camel case, array indices as numbers (`vigilMessages0`). Names keep
/// only ASCII letters and digits, as CEF keys must.
fn flatten(
    v: &Value,
    pointer: &mut String,
    key: &mut String,
    out: &mut Vec<(String, String, String)>,
) {
    let descend = |pointer: &mut String,
                   key: &mut String,
                   name: &str,
                   child: &Value,
                   out: &mut Vec<(String, String, String)>| {
        let (pl, kl) = (pointer.len(), key.len());
        pointer.push('/');
        pointer.push_str(name);
        let mut upper = true;
        for c in name.chars() {
            if c.is_ascii_alphanumeric() {
                key.push(if upper { c.to_ascii_uppercase() } else { c });
                upper = false;
            } else {
                upper = true;
            }
        }
        flatten(child, pointer, key, out);
        pointer.truncate(pl);
        key.truncate(kl);
    };
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                descend(pointer, key, k, child, out);
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                descend(pointer, key, &i.to_string(), child, out);
            }
        }
        Value::Null => {}
        leaf => out.push((pointer.clone(), key.clone(), leaf_text(leaf))),
    }
}

// ---- OCSF -----------------------------------------------------------------------

const CATEGORY_FINDINGS: u32 = 2;
const CLASS_COMPLIANCE_FINDING: u32 = 2003;
const CLASS_DETECTION_FINDING: u32 = 2004;
/// Finding activity Create: vigil reports each event once, as a new record.
const ACTIVITY_CREATE: u32 = 1;

fn ocsf(ev: &Value) -> Value {
    let ty = event_type(ev);
    let host = s(ev, "/host").unwrap_or("");
    let (severity_id, severity) = Level::of(ev).ocsf();
    let time = occurred(ev);
    let compliance = ty == "vigil.rule.new_failure";
    let (class_uid, class_name) = if compliance {
        (CLASS_COMPLIANCE_FINDING, "Compliance Finding")
    } else {
        (CLASS_DETECTION_FINDING, "Detection Finding")
    };
    // Finding status: a restored file is a resolved drift; anything else is new.
    let (status_id, status) = if ty == "vigil.baseline.restored" {
        (4, "Resolved")
    } else {
        (1, "New")
    };
    let uid = if compliance {
        // One finding per host and rule, as posture tools key them, so a data lake
        // sees the rule's later events as the same finding.
        format!("vigil:{host}:{}", s(ev, "/rule/id").unwrap_or(""))
    } else {
        let digest = Sha256::digest(ev.to_string().as_bytes());
        format!("vigil:{}", vigil_core::osutil::hex(&digest[..16]))
    };
    let mut finding_info = json!({
        "uid": uid,
        "title": title(ev),
        "types": [ty],
        "created_time": millis(ev, "/time").unwrap_or(time),
    });
    if let Some(d) = description(ev) {
        finding_info["desc"] = json!(d);
    }
    let mut resources = vec![json!({"type": "host", "name": host, "uid": host})];
    if let Some(p) = s(ev, "/path") {
        resources.push(json!({"type": "file", "name": p, "uid": format!("{host}:{p}")}));
    }
    let mut out = Map::new();
    let mut put = |k: &str, v: Value| {
        out.insert(k.to_string(), v);
    };
    put("category_uid", json!(CATEGORY_FINDINGS));
    put("category_name", json!("Findings"));
    put("class_uid", json!(class_uid));
    put("class_name", json!(class_name));
    put("activity_id", json!(ACTIVITY_CREATE));
    put("activity_name", json!("Create"));
    put("type_uid", json!(class_uid * 100 + ACTIVITY_CREATE));
    put("type_name", json!(format!("{class_name}: Create")));
    put("time", json!(time));
    put("severity_id", json!(severity_id));
    put("severity", json!(severity));
    put("status_id", json!(status_id));
    put("status", json!(status));
    put("message", json!(title(ev)));
    put(
        "metadata",
        json!({
            "version": OCSF_VERSION,
            "product": {"name": "vigil", "vendor_name": "vigil", "version": VERSION},
            "event_code": ty,
        }),
    );
    put("finding_info", finding_info);
    if compliance {
        let outcome = s(ev, "/outcome").unwrap_or("");
        // Compliance status: 3 Fail; a rule vigil could not judge (error, unknown) is
        // 0 Unknown, never a guess at Pass or Fail.
        let status_id = if outcome == "fail" { 3 } else { 0 };
        let mut c = json!({"control": s(ev, "/rule/id").unwrap_or(""), "status_id": status_id});
        if let Some(t) = s(ev, "/rule/title") {
            c["desc"] = json!(t);
        }
        put("compliance", c);
    }
    put("resources", Value::Array(resources));
    put("unmapped", json!({"vigil": ev}));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A CEF line split as a collector does: seven header fields (honouring `\|` and
    /// `\\`), then `key=value` pairs separated by the space before each unescaped key.
    fn parse_cef(line: &str) -> (Vec<String>, Vec<(String, String)>) {
        let mut header = Vec::new();
        let mut cur = String::new();
        let mut chars = line.chars();
        while header.len() < 7 {
            match chars.next().expect("seven header fields") {
                '\\' => cur.push(chars.next().expect("escape")),
                '|' => header.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        let rest: String = chars.collect();
        // Split on unescaped '=': the text before it, back to the last space, is a key.
        let mut pairs: Vec<(String, String)> = Vec::new();
        let mut raw = String::new();
        let mut it = rest.chars().peekable();
        let mut key: Option<String> = None;
        while let Some(c) = it.next() {
            match c {
                '\\' => {
                    raw.push('\\');
                    raw.push(it.next().expect("escape"));
                }
                '=' => {
                    let (value, k) = match raw.rfind(' ') {
                        Some(i) if key.is_some() => {
                            (raw[..i].to_string(), raw[i + 1..].to_string())
                        }
                        _ => (String::new(), raw.clone()),
                    };
                    if let Some(prev) = key.take() {
                        pairs.push((prev, unescape(&value)));
                    }
                    assert!(
                        !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric()),
                        "bad key {k:?} in {line}"
                    );
                    key = Some(k);
                    raw.clear();
                }
                c => raw.push(c),
            }
        }
        if let Some(k) = key {
            pairs.push((k, unescape(&raw)));
        }
        (header, pairs)
    }

    fn unescape(v: &str) -> String {
        let mut out = String::new();
        let mut it = v.chars();
        while let Some(c) = it.next() {
            if c == '\\' {
                match it.next().expect("escape") {
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    c @ ('\\' | '=') => out.push(c),
                    c => panic!("undefined CEF escape \\{c} in {v:?}"),
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    fn new_failure() -> Value {
        json!({
            "event_type": "vigil.rule.new_failure",
            "time": "2026-12-05T06:00:00.250Z",
            "identity": "root", "uid": 0, "outcome": "fail", "host": "kms-1",
            "rule": {"id": "xccdf_dev.vigil_rule_key_permissions", "title": "Key files are 0600 | owner-only", "severity": "high"},
            "previous": "pass",
            "messages": ["/etc/kms/a.pem: mode 0644 = too wide\nsecond line", "x\u{1b}[31mred\\"],
            "history_head": {"seq": 7, "hash": "ab12", "chain": "c0ffee@kms-1"},
        })
    }

    #[test]
    fn cef_header_and_standard_keys() {
        let line = encode(&new_failure(), Format::Cef);
        assert!(!line.contains('\n') && !line.contains('\u{1b}'), "{line}");
        let (h, pairs) = parse_cef(&line);
        assert_eq!(h[0], "CEF:0");
        assert_eq!(&h[1..3], &["vigil", "vigil"]);
        assert_eq!(h[4], "vigil.rule.new_failure");
        assert_eq!(h[5], "Key files are 0600 | owner-only: fail");
        assert_eq!(h[6], "8");
        let get = |k: &str| pairs.iter().find(|(x, _)| x == k).map(|(_, v)| v.as_str());
        assert_eq!(get("rt"), Some("1796450400250"));
        assert_eq!(get("dvchost"), Some("kms-1"));
        assert_eq!(get("outcome"), Some("fail"));
        assert_eq!(get("cs1"), Some("xccdf_dev.vigil_rule_key_permissions"));
        assert_eq!(get("cs1Label"), Some("rule"));
        assert_eq!(get("cs4"), Some("7:ab12"));
        assert_eq!(get("vigilHistoryHeadChain"), Some("c0ffee@kms-1"));
        assert_eq!(
            get("vigilMessages0"),
            Some("/etc/kms/a.pem: mode 0644 = too wide\nsecond line"),
            "= and the line break survive the round trip"
        );
        assert_eq!(get("vigilMessages1"), Some("x\\u001b[31mred\\"));
        // Fields carried by a standard key get no vendor key too.
        assert_eq!(get("vigilHost"), None);
        assert_eq!(get("vigilRuleId"), None);
        let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
        let mut dedup = keys.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(dedup.len(), keys.len(), "no key twice: {keys:?}");
    }

    #[test]
    fn cef_keeps_every_field_of_the_event() {
        let ev = new_failure();
        let (_, pairs) = parse_cef(&encode(&ev, Format::Cef));
        let mut leaves = Vec::new();
        flatten(
            &ev,
            &mut String::new(),
            &mut String::from("vigil"),
            &mut leaves,
        );
        for (pointer, _, text) in leaves {
            let text: String = text
                .chars()
                .map(|c| match c {
                    '\n' | '\r' => c.to_string(),
                    c if c.is_control() => format!("\\u{:04x}", c as u32),
                    c => c.to_string(),
                })
                .collect();
            assert!(
                pairs.iter().any(|(_, v)| *v == text),
                "{pointer} = {text:?} is in no key"
            );
        }
    }

    #[test]
    fn cef_cuts_standard_keys_to_their_length_and_keeps_the_whole_value() {
        let mut ev = new_failure();
        ev["host"] = json!("h".repeat(300));
        let (_, pairs) = parse_cef(&encode(&ev, Format::Cef));
        let get = |k: &str| pairs.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone());
        assert_eq!(get("dvchost").unwrap().len(), 100);
        assert_eq!(get("vigilHost").unwrap().len(), 300);
    }

    #[test]
    fn cef_watch_change_names_who_acted() {
        let ev = json!({
            "event_type": "vigil.watch.change", "time": "2026-12-05T06:00:01Z",
            "observed": "2026-12-05T06:00:00.5Z", "host": "kms-1",
            "path": "/etc/kms/keys/a|b=c.pem", "watched_as": "key_file",
            "changes": ["mode", "acl"],
            "who": {"auid": 1000, "user": "alice", "uid": 0, "exe": "/usr/bin/chmod", "pid": 4242},
            "rules": {"new_failures": [{"id": "r1"}], "fixed": [], "changed": []},
        });
        let line = encode(&ev, Format::Cef);
        let (h, pairs) = parse_cef(&line);
        assert_eq!(h[6], "8", "a change that makes a rule fail is high");
        assert_eq!(
            h[5],
            "watched file changed (mode, acl): /etc/kms/keys/a|b=c.pem"
        );
        let get = |k: &str| pairs.iter().find(|(x, _)| x == k).map(|(_, v)| v.as_str());
        assert_eq!(get("suser"), Some("alice"));
        assert_eq!(get("suid"), Some("1000"));
        assert_eq!(get("sproc"), Some("/usr/bin/chmod"));
        assert_eq!(get("spid"), Some("4242"));
        assert_eq!(get("fname"), Some("a|b=c.pem"));
        assert_eq!(get("act"), Some("mode,acl"));
        assert_eq!(get("cs2"), Some("r1"));
        assert_eq!(get("rt"), Some("1796450400500"), "when it was observed");
    }

    #[test]
    fn ocsf_new_failure_is_a_compliance_finding() {
        let o = ocsf(&new_failure());
        assert_eq!(o["class_uid"], 2003);
        assert_eq!(o["category_uid"], 2);
        assert_eq!(o["type_uid"], 200301);
        assert_eq!(o["severity_id"], 4);
        assert_eq!(o["compliance"]["status_id"], 3);
        assert_eq!(
            o["compliance"]["control"],
            "xccdf_dev.vigil_rule_key_permissions"
        );
        assert_eq!(o["time"], 1796450400250i64);
        assert_eq!(o["metadata"]["version"], OCSF_VERSION);
        assert_eq!(
            o["finding_info"]["uid"],
            "vigil:kms-1:xccdf_dev.vigil_rule_key_permissions"
        );
        assert_eq!(o["unmapped"]["vigil"], new_failure());
        let mut e = new_failure();
        e["outcome"] = json!("error");
        assert_eq!(
            ocsf(&e)["compliance"]["status_id"],
            0,
            "error is not a guess at fail"
        );
    }

    #[test]
    fn ocsf_other_events_are_detection_findings() {
        let ev = json!({"event_type": "vigil.baseline.restored", "time": "2026-12-05T06:00:00Z",
            "host": "h", "path": "/etc/kms/a.pem", "detail": "content, mode", "outcome": "restored"});
        let o = ocsf(&ev);
        assert_eq!(o["class_uid"], 2004);
        assert_eq!(o["type_uid"], 200401);
        assert_eq!(o["status_id"], 4);
        assert_eq!(o["resources"][1]["name"], "/etc/kms/a.pem");
        assert!(o.get("compliance").is_none());
        let unknown = ocsf(&json!({"event_type": "vigil.something.new", "time": "x"}));
        assert_eq!(unknown["class_uid"], 2004);
        assert_eq!(unknown["finding_info"]["title"], "vigil.something.new");
    }

    #[test]
    fn json_is_the_event_itself() {
        let ev = new_failure();
        let back: Value = serde_json::from_str(&encode(&ev, Format::Json)).unwrap();
        assert_eq!(back, ev);
    }

    /// Events as the real code paths make them: new failures from a results document,
    /// a restore, a watch change with a hostile name, an overflow.
    fn real_events() -> Vec<Value> {
        use crate::history::ledger::tests::results_doc;
        let prev = results_doc(&[("a", "pass"), ("b", "pass")]);
        let cur = results_doc(&[("a", "fail"), ("b", "error")]);
        let parse = |b: &[u8]| serde_json::from_slice::<Value>(b).unwrap();
        let mut evs =
            super::super::events::new_failure_events(Some(&parse(&prev)), &parse(&cur), None);
        evs.push(new_failure());
        evs.push(json!({"event_type": "vigil.baseline.restore_refused", "time": "2026-12-05T06:00:00Z",
            "identity": "root", "uid": 0, "outcome": "refused", "host": "h", "path": "/etc/kms/a=b|c\\d.pem",
            "detail": "copy hash does not verify", "store": "/srv/store", "manifest_sha256": "00ff",
            "signed_by": null, "root": null}));
        evs.push(json!({"event_type": "vigil.watch.change", "time": "2026-12-05T06:00:01Z",
            "observed": "2026-12-05T06:00:00.5Z", "host": "kms-1", "identity": "root", "uid": 0,
            "path": "/etc/kms/keys/evil\u{1b}]0;x\u{7}\nname.pem", "watched_as": "key_file", "changes": ["content"],
            "before": {"mode": "0600", "size": 10}, "after": {"mode": "0644", "size": 12},
            "who": {"auid": 1000, "user": "alice", "uid": 0, "exe": "/usr/bin/cp", "pid": 99},
            "rules": {"new_failures": [], "fixed": [], "changed": []}}));
        evs.push(
            json!({"event_type": "vigil.watch.overflow", "time": "2026-12-05T06:00:02Z",
            "host": "kms-1", "reason": "queue full", "rescanned": 12}),
        );
        evs
    }

    /// pycef (a CEF parser SIEM integrations build on) reads every line into the
    /// header fields and extension keys our own strict reader finds.
    #[test]
    fn pycef_reads_every_cef_line() {
        let lines: Vec<String> = real_events()
            .iter()
            .map(|e| encode(e, Format::Cef))
            .collect();
        let script = r#"
import json, sys, pycef
for line in sys.stdin.read().splitlines():
    print(json.dumps(pycef.parse(line)))
"#;
        let mut child = crate::testtool::pypi_python()
            .args(["-c", script])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(lines.join("\n").as_bytes()).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        let seen: Vec<Value> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(seen.len(), lines.len());
        let mut checked = 0;
        for (line, got) in lines.iter().zip(&seen) {
            let (h, pairs) = parse_cef(line);
            // pycef 1.11's header pattern stops at any backslash, so a header with an
            // escaped `|` or `\\` is beyond it; parse_cef checks those lines.
            if h.iter().any(|f| f.contains('|') || f.contains('\\')) {
                continue;
            }
            checked += 1;
            assert_eq!(got["DeviceVendor"], h[1], "{line}");
            assert_eq!(got["DeviceEventClassID"], h[4], "{line}");
            assert_eq!(got["Name"], h[5], "{line}");
            assert_eq!(got["Severity"], h[6], "{line}");
            let label = |k: &str| {
                pairs
                    .iter()
                    .find(|(x, _)| *x == format!("{k}Label"))
                    .map(|(_, v)| v.clone())
            };
            for (k, v) in &pairs {
                if k.starts_with("cs") && k.ends_with("Label") {
                    continue;
                }
                // pycef names a custom string by its label, as ArcSight shows it, and
                // leaves values escaped.
                let key = label(k).unwrap_or_else(|| k.clone());
                assert_eq!(
                    got[key.as_str()].as_str(),
                    Some(cef_value(v).as_str()),
                    "{k} in {line}"
                );
            }
        }
        assert!(checked >= 3, "{checked} lines checked");
    }

    /// py-ocsf-models (pydantic models of the OCSF schema) accepts every finding, with
    /// its enumerations, and knows every attribute we write: a name outside the
    /// schema would be dropped by the model and is caught here.
    #[test]
    fn ocsf_models_accept_every_finding_and_know_every_attribute() {
        let lines: Vec<String> = real_events()
            .iter()
            .map(|e| encode(e, Format::Ocsf))
            .collect();
        let script = r#"
import json, sys
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
from py_ocsf_models.events.findings.detection_finding import DetectionFinding
models = {2003: ComplianceFinding, 2004: DetectionFinding}
for line in sys.stdin.read().splitlines():
    ev = json.loads(line)
    m = models[ev["class_uid"]].model_validate(ev)
    back = m.model_dump(mode="json", exclude_unset=True)
    ev.pop("unmapped"); back.pop("unmapped")
    assert back == ev, (back, ev)
    assert ev["type_uid"] == ev["class_uid"] * 100 + ev["activity_id"]
    print(m.class_uid, m.type_uid, m.severity_id)
"#;
        let mut child = crate::testtool::pypi_python()
            .args(["-c", script])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(lines.join("\n").as_bytes()).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let seen = String::from_utf8(out.stdout).unwrap();
        assert_eq!(seen.lines().count(), lines.len(), "{seen}");
        assert!(
            seen.lines().next().unwrap().starts_with("2003 200301 "),
            "{seen}"
        );
    }

    proptest::proptest! {
        /// Whatever a hostile path holds, a CEF line stays one line, parses into the
        /// same fields, and carries the path back exactly (as far as the standard's
        /// escapes allow: other control characters come back as visible text).
        #[test]
        fn cef_survives_any_path(path in "\\PC{0,40}|[\\\\=| \n\r\x1b\x07a-z]{0,40}") {
            let ev = json!({"event_type": "vigil.baseline.restore_refused", "time": "2026-12-05T06:00:00Z",
                "host": "h", "path": path, "detail": path, "outcome": "refused"});
            let line = encode(&ev, Format::Cef);
            proptest::prop_assert!(!line.chars().any(|c| c.is_control()));
            let (h, pairs) = parse_cef(&line);
            proptest::prop_assert_eq!(h.len(), 7);
            let expect: String = path.chars().map(|c| match c {
                '\n' | '\r' => c.to_string(),
                c if c.is_control() => format!("\\u{:04x}", c as u32),
                c => c.to_string(),
            }).collect();
            let got = pairs.iter().find(|(k, _)| k == "vigilDetail").map(|(_, v)| v.clone());
            proptest::prop_assert_eq!(got, Some(expect));
        }
    }
}
