//! `--junit PATH`: the scan as JUnit XML, the test report CI servers (Jenkins, GitLab,
//! GitHub Actions' test reporters, Azure Pipelines) show and gate on. The element and
//! attribute set is the one they share (Apache Ant's JUnit XML, as Jenkins' schema
//! and junitparser read it).
//!
//! One `testsuite` per benchmark on one host (a fleet writes one file per host), one
//! `testcase` per rule (for OVAL content, per definition), named by its id with the
//! benchmark as its class:
//!
//! - `fail` is a `failure` whose text is the evidence (what the check's tests found);
//! - `error` and `unknown` are an `error` with the reason vigil could not decide;
//! - `notapplicable`, `notchecked` and `notselected` are `skipped`, with the reason;
//! - a failure, error or unknown an active waiver (`--waivers`) covers is `skipped`
//!   with `waived: RESULT: JUSTIFICATION (until ..., approved by ...)`, so the CI job
//!   does not fail on an accepted risk and its report still shows it;
//! - `pass` (and `informational`/`fixed`, which vigil's checks never give) passes.
//!
//! The suite's `time` is the scan's wall-clock time; testcases have none, because
//! rules are evaluated together (objects collected once for every rule) and vigil
//! does not time them one by one. Every string from content or a host is escaped for
//! XML, and the characters XML 1.0 cannot hold are shown escaped
//! ([`xml::push_escaped`]).

use std::fmt::Write as _;

use super::ScanResults;
use super::checks::{Check, checks};
use vigil_core::content::xml;
use vigil_core::engine::xccdf::RuleOutcome;

/// How one check reads in JUnit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Passed,
    Failure,
    Error,
    Skipped,
}

fn verdict(c: &Check<'_>) -> Verdict {
    if c.result.is_failure() && c.active_waiver().is_some() {
        return Verdict::Skipped;
    }
    match c.result {
        RuleOutcome::Fail => Verdict::Failure,
        RuleOutcome::Error | RuleOutcome::Unknown => Verdict::Error,
        RuleOutcome::NotApplicable | RuleOutcome::NotChecked | RuleOutcome::NotSelected => {
            Verdict::Skipped
        }
        RuleOutcome::Pass | RuleOutcome::Informational | RuleOutcome::Fixed => Verdict::Passed,
    }
}

/// The JUnit XML document of one scan.
pub(crate) fn render(r: &ScanResults) -> String {
    let all = checks(r);
    let count = |v: Verdict| all.iter().filter(|c| verdict(c) == v).count();
    let (tests, failures, errors, skipped) = (
        all.len(),
        count(Verdict::Failure),
        count(Verdict::Error),
        count(Verdict::Skipped),
    );
    let time = format!("{:.3}", r.scan.duration_ms as f64 / 1000.0);
    let timestamp = ant_timestamp(&r.scan.started);
    let host = &r.scan.host.hostname;
    let class = r
        .scan
        .benchmark
        .as_ref()
        .map_or(r.scan.content.path.as_str(), |b| b.id.as_str());
    let counts = format!(
        "tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{time}\""
    );
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(s, "<testsuites name=\"vigil\" {counts}>");
    let _ = writeln!(
        s,
        "  <testsuite name=\"{}\" id=\"0\" package=\"{}\" hostname=\"{}\" timestamp=\"{}\" {counts}>",
        attr(&format!("{} on {host}", r.title())),
        attr(class),
        attr(host),
        attr(&timestamp),
    );
    s.push_str("    <properties>\n");
    let mut props: Vec<(&str, String)> = vec![
        ("host", host.clone()),
        ("content", r.scan.content.path.clone()),
        ("content_sha256", r.scan.content.sha256.clone()),
        ("score", format!("{:.2}", r.summary.score)),
        ("max_score", format!("{:.2}", r.summary.max_score)),
        ("vigil_version", r.vigil_version.clone()),
        (
            "exit_code",
            crate::exit::Exit::of_scan(r).code().to_string(),
        ),
    ];
    if let Some(b) = &r.scan.benchmark {
        props.push(("benchmark", b.id.clone()));
    }
    if let Some(p) = &r.scan.profile {
        props.push(("profile", p.id.clone()));
    }
    if let Some(root) = &r.scan.root {
        props.push(("root", root.clone()));
    }
    for (k, v) in props {
        let _ = writeln!(s, "      <property name=\"{k}\" value=\"{}\"/>", attr(&v));
    }
    s.push_str("    </properties>\n");
    for c in &all {
        testcase(&mut s, c, class);
    }
    s.push_str("  </testsuite>\n</testsuites>\n");
    s
}

fn testcase(s: &mut String, c: &Check<'_>, class: &str) {
    let open = format!(
        "    <testcase name=\"{}\" classname=\"{}\"",
        attr(c.id),
        attr(class)
    );
    let title = c.title.split_whitespace().collect::<Vec<_>>().join(" ");
    let evidence = c.evidence().join("\n");
    let word = c.result.as_str();
    match verdict(c) {
        Verdict::Passed if c.result == RuleOutcome::Pass => {
            let _ = writeln!(s, "{open}/>");
        }
        Verdict::Passed => {
            let _ = writeln!(
                s,
                "{open}>\n      <system-out>{}</system-out>\n    </testcase>",
                text(&format!("{word}: {title}"))
            );
        }
        Verdict::Failure => {
            let _ = writeln!(
                s,
                "{open}>\n      <failure message=\"{}\" type=\"{word}\">{}</failure>\n    </testcase>",
                attr(&format!("{title} (severity {})", c.severity.as_str())),
                text(&evidence)
            );
        }
        Verdict::Error => {
            let _ = writeln!(
                s,
                "{open}>\n      <error message=\"{}\" type=\"{word}\">{}</error>\n    </testcase>",
                attr(&format!("{title}: {word} (vigil could not decide it)")),
                text(&evidence)
            );
        }
        Verdict::Skipped if c.result.is_failure() => {
            let w = c.active_waiver().expect("a skipped failure is waived");
            let mut why = format!("waived: {word}: {}", w.justification);
            let mut terms = vec![w.until()];
            terms.extend(w.approved_by.as_ref().map(|a| format!("approved by {a}")));
            let _ = write!(why, " ({})", terms.join(", "));
            let _ = writeln!(
                s,
                "{open}>\n      <skipped message=\"{}\"/>\n      <system-out>{}</system-out>\n    </testcase>",
                attr(&why),
                text(&evidence)
            );
        }
        Verdict::Skipped => {
            let reason = c
                .messages
                .first()
                .map_or_else(|| default_reason(c.result).to_string(), Clone::clone);
            let _ = writeln!(
                s,
                "{open}>\n      <skipped message=\"{}\"/>\n    </testcase>",
                attr(&format!("{word}: {reason}"))
            );
        }
    }
}

fn default_reason(r: RuleOutcome) -> &'static str {
    match r {
        RuleOutcome::NotSelected => "not selected by the profile, tailoring or command line",
        RuleOutcome::NotApplicable => "the rule's platform does not apply",
        _ => "not checked",
    }
}

/// `2026-01-01T00:00:00Z` -> `2026-01-01T00:00:00`: Ant's `timestamp` is an
/// `xs:dateTime` without a time zone (the scan's times are UTC) or fraction.
fn ant_timestamp(rfc3339: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(rfc3339) {
        Ok(t) => t
            .with_timezone(&chrono::Utc)
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string(),
        Err(_) => rfc3339.to_string(),
    }
}

/// Text for an attribute value: markup escaped, and every character XML 1.0 cannot
/// hold or an attribute would normalise away (controls, newlines) shown escaped.
fn attr(s: &str) -> String {
    escape(s, xml::unsafe_in_line)
}

/// Text for element content, which keeps its newlines and tabs.
fn text(s: &str) -> String {
    escape(s, |c| c != '\n' && c != '\t' && xml::unsafe_in_line(c))
}

fn escape(s: &str, unsafe_char: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if unsafe_char(c) {
            xml::push_escaped(&mut out, c);
        } else {
            match c {
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '&' => out.push_str("&amp;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&apos;"),
                c => out.push(c),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testutil::{normalise, scan_fixture};

    #[test]
    fn fixture_junit_snapshot() {
        let (_, mut r) = scan_fixture(200);
        normalise(&mut r);
        insta::assert_snapshot!(render(&r));
    }

    #[test]
    fn hostile_strings_are_escaped_and_the_document_parses() {
        let (_, mut r) = scan_fixture(200);
        let hostile = "a<b>&\"c'\u{1b}[2J\r\n]]>\u{0}\u{202e}";
        r.scan.host.hostname = hostile.into();
        for rule in &mut r.rules {
            rule.title = hostile.into();
            rule.messages.push(hostile.into());
        }
        let doc = render(&r);
        assert!(!doc.contains('\u{1b}') && !doc.contains('\u{0}') && !doc.contains('\r'));
        assert!(
            !doc.contains("]]>"),
            "the text never ends a CDATA it is not in"
        );
        // vigil's own XML parser (strict XML 1.0) reads it back, the host name whole.
        let parsed =
            xml::parse_str_exact(&doc, std::path::Path::new("junit.xml")).expect("well-formed");
        let suite = parsed.root.child("", "testsuite").unwrap();
        assert_eq!(
            suite.attr("hostname"),
            Some("a<b>&\"c'\\x1b[2J\\x0d\\x0a]]>\\x00\\u{202e}")
        );
    }

    /// Reads `doc` with junitparser (a JUnit consumer CI tools build on), as Debian's
    /// python3 has it, and returns what it saw: per suite its name and counts, per case
    /// its name and the kind and message of its result.
    fn junitparser(doc: &str) -> serde_json::Value {
        crate::testtool::require("/usr/lib/python3/dist-packages/junitparser/");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junit.xml");
        std::fs::write(&path, doc).unwrap();
        let script = r#"
import json, sys
from junitparser import JUnitXml, TestSuite
xml = JUnitXml.fromfile(sys.argv[1])
suites = []
for s in (xml if not isinstance(xml, TestSuite) else [xml]):
    cases = []
    for c in s:
        r = [(type(x).__name__, x.message, x.type) for x in c.result]
        cases.append({"name": c.name, "classname": c.classname, "result": r})
    suites.append({"name": s.name, "tests": s.tests, "failures": s.failures,
                   "errors": s.errors, "skipped": s.skipped, "time": s.time,
                   "hostname": s.hostname, "cases": cases})
print(json.dumps({"tests": xml.tests, "failures": xml.failures, "errors": xml.errors,
                  "skipped": xml.skipped, "suites": suites}))
"#;
        let out = crate::testtool::tool("/usr/bin/python3")
            .arg("-c")
            .arg(script)
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "junitparser: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    #[test]
    fn junitparser_reads_every_case_with_its_result() {
        let (_, r) = scan_fixture(200);
        let seen = junitparser(&render(&r));
        let suite = &seen["suites"][0];
        assert_eq!(seen["suites"].as_array().unwrap().len(), 1);
        assert_eq!(suite["hostname"], r.scan.host.hostname.as_str());
        assert_eq!(suite["tests"], r.rules.len());
        assert_eq!(seen["tests"], r.rules.len());
        let cases = suite["cases"].as_array().unwrap();
        assert_eq!(cases.len(), r.rules.len());
        let mut kinds = std::collections::BTreeSet::new();
        for (case, rule) in cases.iter().zip(&r.rules) {
            assert_eq!(case["name"], rule.id.as_str());
            let kind = case["result"][0][0].as_str().unwrap_or("passed");
            let want = match rule.result {
                RuleOutcome::Fail => "Failure",
                RuleOutcome::Error | RuleOutcome::Unknown => "Error",
                RuleOutcome::Pass => "passed",
                _ => "Skipped",
            };
            assert_eq!(kind, want, "{}", rule.id);
            if want == "Skipped" {
                let message = case["result"][0][1].as_str().unwrap();
                assert!(message.starts_with(rule.result.as_str()), "{message}");
            }
            kinds.insert(want);
        }
        // The fixture gives every kind of JUnit result.
        assert_eq!(kinds.len(), 4, "{kinds:?}");
        let n = |w: &str| r.summary.results.get(w).copied().unwrap_or(0);
        assert_eq!(suite["failures"], n("fail"));
        assert_eq!(suite["errors"], n("error") + n("unknown"));
        let time = suite["time"].as_f64().unwrap();
        assert!(
            (time - r.scan.duration_ms as f64 / 1000.0).abs() < 0.001,
            "{time}"
        );
    }

    #[test]
    fn counts_add_up_and_match_the_results() {
        let (_, r) = scan_fixture(200);
        let doc = render(&r);
        let n = |w: &str| r.summary.results.get(w).copied().unwrap_or(0);
        let failures = n("fail");
        let errors = n("error") + n("unknown");
        let skipped = n("notapplicable") + n("notchecked") + n("notselected");
        let want = format!(
            "tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\"",
            r.rules.len()
        );
        assert!(doc.contains(&want), "{want}\n{doc}");
        assert_eq!(doc.matches("<testcase ").count(), r.rules.len());
    }
}
