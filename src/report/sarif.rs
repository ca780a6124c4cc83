//! `--sarif PATH`: the scan as a SARIF 2.1.0 log (OASIS SARIF 2.1.0, errata 01), for
//! code-scanning dashboards and the CI tools that read them.
//!
//! One run per scan. `tool.driver.rules` describes every selected rule (§3.49
//! reportingDescriptor: title, description, help from the rationale and fix text,
//! references and idents, the severity as `defaultConfiguration.level` and as the
//! `security-severity` property code-scanning dashboards rank by). `results` holds one
//! result (§3.27) per rule that makes the scan exit 2:
//!
//! - `fail`: `kind: "fail"`, `level` from the rule's severity;
//! - `error` and `unknown`: `kind: "open"`, `level: "none"` (§3.27.9: the rule was
//!   evaluated and vigil could not decide it). They are findings for the exit status
//!   and a dashboard must show them, or a probe that cannot read a key store would hide
//!   the failure it might be; but they are not evidence of a violation, so they are
//!   not given an error level a dashboard would count as one.
//!
//! A failure an active waiver (`--waivers`) covers is still a result, with a
//! `suppressions` entry (§3.35: `kind: "external"`, `status: "accepted"`, the
//! justification, and the approver, expiry and waiver source as properties), so a
//! dashboard shows it as an accepted risk rather than an open alert or nothing.
//! Passed, not applicable, not checked and not selected rules give no result (the
//! rules array still describes the selected ones). Each result carries fingerprints
//! (§3.27.16/17) made of the rule id, the scanned host and the OVAL objects the check
//! read, so a dashboard tracks the same finding across runs and keeps hosts apart.
//! `invocations` (§3.20) records the command line, times, host, account and the exit
//! status; rules that errored and content vigil does not implement are also
//! `toolExecutionNotifications`.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::ScanResults;
use super::checks::{Check, checks};
use super::sanitize::{plain_text, short_id};
use vigil_core::content::xccdf::Severity;
use vigil_core::engine::xccdf::RuleOutcome;

/// The schema URI a SARIF 2.1.0 log names (§3.13.3).
const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The key of vigil's fingerprints; the version changes if what goes in them does.
const FINGERPRINT_KEY: &str = "vigil/v1";

/// The SARIF log of one scan, as pretty-printed JSON.
pub(crate) fn render(r: &ScanResults) -> Vec<u8> {
    let mut v = serde_json::to_vec_pretty(&log(r)).expect("a JSON value serialises");
    v.push(b'\n');
    v
}

/// The SARIF log of one scan.
pub(crate) fn log(r: &ScanResults) -> Value {
    let all = checks(r);
    let described: Vec<&Check<'_>> = all
        .iter()
        .filter(|c| c.result != RuleOutcome::NotSelected)
        .collect();
    let rules: Vec<Value> = described.iter().map(|c| descriptor(c)).collect();
    let host = &r.scan.host.hostname;
    let location = artifact_location(&r.scan.content.path);
    let results: Vec<Value> = described
        .iter()
        .enumerate()
        .filter(|(_, c)| c.result.is_failure())
        .map(|(i, c)| result(c, i, host, &location))
        .collect();
    let mut notifications: Vec<Value> = described
        .iter()
        .enumerate()
        .filter(|(_, c)| c.result == RuleOutcome::Error)
        .map(|(i, c)| {
            json!({
                "level": "error",
                "message": {"text": format!("{}: {}", c.id, why(c))},
                "associatedRule": {"id": c.id, "index": i},
            })
        })
        .collect();
    notifications.extend(r.unsupported.iter().map(|u| {
        json!({
            "level": "warning",
            "message": {"text": format!("{} (line {}): {}: {}", u.path, u.line, u.element, u.message)},
        })
    }));
    let exit = crate::exit::Exit::of_scan(r).code();
    let mut invocation = json!({
        "executionSuccessful": true,
        "exitCode": exit,
        "exitCodeDescription": exit_description(exit),
        "startTimeUtc": r.scan.started,
        "endTimeUtc": r.scan.finished,
        "machine": host,
        "account": r.scan.user,
    });
    if !r.scan.command_line.is_empty() {
        invocation["commandLine"] = json!(r.scan.command_line.join(" "));
        invocation["arguments"] = json!(r.scan.command_line[1..]);
    }
    if !notifications.is_empty() {
        invocation["toolExecutionNotifications"] = json!(notifications);
    }
    let mut run_props = json!({
        "host": host,
        "addresses": r.scan.host.addresses,
        "score": r.summary.score,
        "maxScore": r.summary.max_score,
        "results": r.summary.results,
        "content": {"path": r.scan.content.path, "sha256": r.scan.content.sha256},
    });
    if let Some(b) = &r.scan.benchmark {
        run_props["benchmark"] = json!({"id": b.id, "title": b.title, "version": b.version});
    }
    if let Some(p) = &r.scan.profile {
        run_props["profile"] = json!(p.id);
    }
    if let Some(root) = &r.scan.root {
        run_props["root"] = json!(root);
    }
    let what = r
        .scan
        .benchmark
        .as_ref()
        .map_or(r.scan.content.path.as_str(), |b| b.id.as_str());
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "vigil",
                "fullName": format!("vigil {}", r.vigil_version),
                "version": r.vigil_version,
                "semanticVersion": r.vigil_version,
                "rules": rules,
            }},
            // Code-scanning services keep one category of analyses per id prefix:
            // a host's scans with one benchmark replace each other, other hosts' do not.
            "automationDetails": {"id": format!("vigil/{}/{}/", short_id(what), host)},
            "invocations": [invocation],
            "artifacts": [{"location": location, "roles": ["analysisTarget"],
                "hashes": {"sha-256": r.scan.content.sha256}}],
            "results": results,
            "columnKind": "unicodeCodePoints",
            "properties": run_props,
        }],
    })
}

fn exit_description(code: u8) -> &'static str {
    match code {
        0 => "every rule passed or did not apply",
        2 => "a rule failed, errored or is unknown",
        _ => "the scan could not run",
    }
}

/// The rule's metadata (§3.49).
fn descriptor(c: &Check<'_>) -> Value {
    let mut d = json!({
        "id": c.id,
        "name": short_id(c.id),
        "shortDescription": {"text": one_line(c.title)},
        "defaultConfiguration": {"level": level(c.severity)},
    });
    let description = plain_text(c.description);
    if !description.is_empty() {
        d["fullDescription"] = json!({"text": description});
    }
    let mut help = Vec::new();
    let rationale = plain_text(c.rationale);
    if !rationale.is_empty() {
        help.push(format!("Rationale: {rationale}"));
    }
    if let Some(fix) = c.fixtext.map(plain_text).filter(|f| !f.is_empty()) {
        help.push(format!("Fix: {fix}"));
    }
    if !c.references.is_empty() {
        let refs: Vec<String> = c
            .references
            .iter()
            .map(|x| match &x.href {
                Some(h) => format!("- {} ({h})", x.text),
                None => format!("- {}", x.text),
            })
            .collect();
        help.push(format!("References:\n{}", refs.join("\n")));
    }
    if !help.is_empty() {
        d["help"] = json!({"text": help.join("\n\n")});
    }
    if let Some(uri) = c
        .references
        .iter()
        .filter_map(|x| x.href.as_deref())
        .find(|h| h.starts_with("https://") || h.starts_with("http://"))
    {
        d["helpUri"] = json!(uri);
    }
    let mut tags = vec!["compliance".to_string(), "security".to_string()];
    tags.extend(c.references.iter().map(|x| x.text.clone()));
    tags.extend(c.idents.iter().map(|i| i.value.clone()));
    tags.dedup();
    let mut props = json!({
        "severity": c.severity.as_str(),
        "tags": tags,
        "references": c.references.iter().map(|x| json!({"text": x.text, "href": x.href})).collect::<Vec<_>>(),
        "precision": "very-high",
    });
    if !c.idents.is_empty() {
        props["idents"] = json!(
            c.idents
                .iter()
                .map(|i| json!({"system": i.system, "value": i.value}))
                .collect::<Vec<_>>()
        );
    }
    if let Some(s) = security_severity(c.severity) {
        props["security-severity"] = json!(s);
    }
    d["properties"] = props;
    d
}

/// The SARIF level of a failed rule of this severity.
fn level(s: Severity) -> &'static str {
    match s {
        Severity::High => "error",
        Severity::Medium | Severity::Unknown => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// The CVSS-like score (0.0-10.0, a string) code-scanning dashboards rank by: high
/// 8.0, medium 5.5 and low 3.0 fall in the bands of the same names; info and unknown
/// give none, so they are not ranked as if they were rated.
fn security_severity(s: Severity) -> Option<&'static str> {
    match s {
        Severity::High => Some("8.0"),
        Severity::Medium => Some("5.5"),
        Severity::Low => Some("3.0"),
        Severity::Info | Severity::Unknown => None,
    }
}

/// One result (§3.27) for a rule that failed, errored or is unknown.
fn result(c: &Check<'_>, index: usize, host: &str, location: &Value) -> Value {
    let (kind, level) = match c.result {
        RuleOutcome::Fail => ("fail", level(c.severity)),
        _ => ("open", "none"),
    };
    let text = match c.result {
        RuleOutcome::Fail => format!("{} on {host}: fail. {}", one_line(c.title), why(c)),
        other => format!(
            "{} on {host}: {} (vigil could not decide it). {}",
            one_line(c.title),
            other.as_str(),
            why(c)
        ),
    };
    let fingerprint = fingerprint(c.id, host, &c.objects);
    let mut v = json!({
        "ruleId": c.id,
        "ruleIndex": index,
        "kind": kind,
        "level": level,
        "message": {"text": text.trim_end()},
        "locations": [{
            "physicalLocation": {"artifactLocation": location},
            "logicalLocations": [{"name": host, "fullyQualifiedName": format!("{host}/{}", c.id), "kind": "resource"}],
        }],
        "fingerprints": {FINGERPRINT_KEY: fingerprint},
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
        "properties": {
            "result": c.result.as_str(),
            "severity": c.severity.as_str(),
            "host": host,
            "objects": c.objects,
            "evidence": c.evidence(),
        },
    });
    if let Some(w) = c.active_waiver() {
        let mut props = json!({"source": w.source, "rule": w.rule, "run": w.run});
        if let Some(e) = &w.expires {
            props["expires"] = json!(e);
        }
        if let Some(a) = &w.approved_by {
            props["approvedBy"] = json!(a);
        }
        v["suppressions"] = json!([{
            "kind": "external",
            "status": "accepted",
            "justification": w.justification,
            "properties": props,
        }]);
    }
    v
}

/// What the check found, in one paragraph.
fn why(c: &Check<'_>) -> String {
    let e = c.evidence();
    if e.is_empty() {
        return "No further detail.".into();
    }
    e.iter()
        .map(|l| {
            let l = one_line(l);
            if l.ends_with('.') { l } else { format!("{l}.") }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// SHA-256 over the rule id, the host and the objects the check read, each ended by
/// a NUL (none of them holds one), as lowercase hex: the same finding on the same host
/// has the same fingerprint from run to run, whatever its evidence says this time.
pub(crate) fn fingerprint(rule: &str, host: &str, objects: &[String]) -> String {
    let mut h = Sha256::new();
    for part in [rule, host]
        .into_iter()
        .chain(objects.iter().map(String::as_str))
    {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The content file as an artifact location (§3.4): the file the rules come from, as
/// a relative URI reference when the path was relative, a `file:` URI when absolute.
/// The bundled benchmark is named by its data stream's file name.
fn artifact_location(path: &str) -> Value {
    let bundled = vigil_core::content::BUNDLED_NAME;
    if path == bundled {
        let name = bundled.rsplit(' ').next().unwrap_or(bundled);
        return json!({"uri": encode_path(name), "description": {"text": "the benchmark bundled in vigil"}});
    }
    match path.strip_prefix('/') {
        Some(rest) => json!({"uri": format!("file:///{}", encode_path(rest))}),
        None => json!({"uri": encode_path(path)}),
    }
}

/// Percent-encodes everything in a path but RFC 3986's unreserved characters and `/`.
fn encode_path(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    for b in p.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testutil::{normalise, scan_fixture};

    fn validator() -> jsonschema::Validator {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/sarif/sarif-schema-2.1.0.json");
        let schema: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        jsonschema::validator_for(&schema).expect("the SARIF schema is a valid JSON Schema")
    }

    fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
        v.iter_errors(doc)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect()
    }

    #[test]
    fn the_log_is_valid_sarif_2_1_0() {
        let (_, r) = scan_fixture(200);
        let doc: Value = serde_json::from_slice(&render(&r)).unwrap();
        let v = validator();
        assert_eq!(errors(&v, &doc), Vec::<String>::new());
        // The schema does check: a level SARIF does not define is refused.
        let mut bad = doc.clone();
        bad["runs"][0]["results"][0]["level"] = "critical".into();
        assert!(!errors(&v, &bad).is_empty());
    }

    #[test]
    fn one_result_per_failing_rule_and_the_kinds_sarif_allows() {
        let (_, r) = scan_fixture(200);
        let doc = log(&r);
        let run = &doc["runs"][0];
        let results = run["results"].as_array().unwrap();
        let failing: Vec<&str> = r
            .rules
            .iter()
            .filter(|x| x.result.is_failure())
            .map(|x| x.id.as_str())
            .collect();
        assert!(!failing.is_empty());
        let ids: Vec<&str> = results
            .iter()
            .map(|x| x["ruleId"].as_str().unwrap())
            .collect();
        assert_eq!(ids, failing);
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        for x in results {
            // ruleIndex points at the rule's descriptor.
            let i = x["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[i]["id"], x["ruleId"]);
            // §3.27.9: a kind other than fail has level none.
            match x["properties"]["result"].as_str().unwrap() {
                "fail" => {
                    assert_eq!(x["kind"], "fail");
                    assert_ne!(x["level"], "none");
                }
                _ => assert_eq!((&x["kind"], &x["level"]), (&json!("open"), &json!("none"))),
            }
            assert_eq!(x["fingerprints"], x["partialFingerprints"]);
        }
        // Not-selected rules are not described; every other rule is.
        let selected = r
            .rules
            .iter()
            .filter(|x| x.result != RuleOutcome::NotSelected)
            .count();
        assert_eq!(rules.len(), selected);
        assert_eq!(run["invocations"][0]["exitCode"], 2);
    }

    #[test]
    fn fingerprints_are_stable_across_runs_and_differ_by_host() {
        let (_, a) = scan_fixture(200);
        let (_, mut b) = scan_fixture(200);
        b.scan.started = "2030-01-01T00:00:00Z".into();
        let fp = |r: &ScanResults| -> Vec<Value> {
            log(r)["runs"][0]["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["fingerprints"].clone())
                .collect()
        };
        assert_eq!(fp(&a), fp(&b));
        b.scan.host.hostname = "other-host".into();
        let (fa, fb) = (fp(&a), fp(&b));
        assert!(fa.iter().zip(&fb).all(|(x, y)| x != y));
        // Rule id, host and objects are kept apart: no two inputs run together.
        assert_ne!(fingerprint("ab", "c", &[]), fingerprint("a", "bc", &[]));
    }

    #[test]
    fn severity_maps_to_level_and_security_severity() {
        let (_, r) = scan_fixture(200);
        let doc = log(&r);
        for d in doc["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
        {
            let sev = d["properties"]["severity"].as_str().unwrap();
            let (lvl, score) = match sev {
                "high" => ("error", Some("8.0")),
                "medium" => ("warning", Some("5.5")),
                "low" => ("note", Some("3.0")),
                "info" => ("note", None),
                _ => ("warning", None),
            };
            assert_eq!(d["defaultConfiguration"]["level"], lvl, "{d}");
            assert_eq!(d["properties"]["security-severity"].as_str(), score, "{d}");
        }
    }

    #[test]
    fn fixture_sarif_snapshot() {
        let (_, mut r) = scan_fixture(200);
        normalise(&mut r);
        insta::assert_snapshot!(String::from_utf8(render(&r)).unwrap());
    }

    #[test]
    fn paths_become_uris() {
        assert_eq!(
            artifact_location("/srv/content dir/ssg%.xml")["uri"],
            "file:///srv/content%20dir/ssg%25.xml"
        );
        assert_eq!(artifact_location("a/b.xml")["uri"], "a/b.xml");
        assert_eq!(
            artifact_location(vigil_core::content::BUNDLED_NAME)["uri"],
            "vigil-ccm-log11-ds.xml"
        );
    }
}
