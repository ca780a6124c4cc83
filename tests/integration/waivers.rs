//! `--waivers`: accepted risks through one real scan of an offline root whose twelve
//! failures are known, read back by each output's real consumer (the SARIF schema,
//! junitparser, promtool, oscap for XCCDF), in the history's diff, and refused when
//! malformed or (with `--waivers-strict`) expired, before anything is scanned.

use std::path::Path;

use serde_json::Value;

use crate::{VIGIL, tool, vigil};

/// The rules an empty root fails (no auditd, no forwarder): the scan's own answer,
/// checked in [`the_fixture_fails_what_the_waivers_cover`].
const FAILING: [&str; 12] = [
    "audit_log_present",
    "rsyslog_remote_forwarding",
    "audisp_remote_active",
    "auditd_rules_watch_audit_config",
    "auditd_rules_immutable",
    "auditd_installed",
    "audit_log_dir_protected",
    "log_forwarders_configured",
    "auditd_enabled",
    "auditd_disk_full_action",
    "auditd_keep_logs",
    "audit_early_boot",
];

/// Hostile text in a justification: markup, a terminal escape, a line break.
const HOSTILE: &str = "<script>alert(1)</script> \u{1b}[2J SEC-123\nsecond line";

/// A root with nothing but a host name, and a waiver file covering every failure.
fn fixture(expires: &str) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/hostname"), "web-7\n").unwrap();
    let waivers = d.path().join("waivers.toml");
    std::fs::write(
        &waivers,
        format!(
            r#"# accepted risks of web-7
[[waivers]]
rule = "xccdf_dev.vigil_rule_rsyslog_remote_forwarding"
justification = {hostile}
expires = {expires}
approved_by = "security@example.com"

[[waivers]]
rule = "audi*"
justification = "auditd lands with the image rebuild, SEC-200"
expires = {expires}
hosts = ["web-*"]

[[waivers]]
rule = "log_forwarders_configured"
justification = "not evaluated on web hosts"
run = false

[[waivers]]
rule = "auditd_*"
justification = "never reached: audi* comes first"
"#,
            hostile = toml_string(HOSTILE),
        ),
    )
    .unwrap();
    (d, root, waivers)
}

fn toml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = vigil(args);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn short(id: &str) -> &str {
    id.split_once("_rule_").map_or(id, |(_, s)| s)
}

#[test]
fn the_fixture_fails_what_the_waivers_cover() {
    let (d, root, _) = fixture("2099-12-31");
    let json = d.path().join("r.json");
    let (code, _, err) = run(&[
        "scan",
        "-q",
        "--root",
        root.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    let doc = read_json(&json);
    let mut failing: Vec<&str> = doc["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["result"] == "fail")
        .map(|r| short(r["id"].as_str().unwrap()))
        .collect();
    failing.sort();
    let mut want = FAILING.to_vec();
    want.sort();
    assert_eq!(failing, want);
    assert!(doc["rules"][0].get("waiver").is_none());
    assert_eq!(doc["summary"]["waived"], 0);
}

#[test]
fn waived_failures_do_not_fail_the_scan_and_every_output_says_so() {
    let (d, root, waivers) = fixture("2099-12-31");
    let out = |n: &str| d.path().join(n);
    let (code, stdout, stderr) = run(&[
        "scan",
        "--root",
        root.to_str().unwrap(),
        "--waivers",
        waivers.to_str().unwrap(),
        "--json",
        out("r.json").to_str().unwrap(),
        "--html",
        out("r.html").to_str().unwrap(),
        "--sarif",
        out("r.sarif").to_str().unwrap(),
        "--junit",
        out("r.junit.xml").to_str().unwrap(),
        "--prometheus",
        out("r.prom").to_str().unwrap(),
        "--xccdf-results",
        out("r.xccdf.xml").to_str().unwrap(),
        "--arf",
        out("r.arf.xml").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "every failure is waived: {stdout}{stderr}");

    // JSON: each failure keeps its result and carries its waiver; the one with
    // run = false was not evaluated.
    let doc = read_json(&out("r.json"));
    assert_eq!(doc["schema_version"], "1.4");
    let schema: Value = serde_json::from_slice(
        &std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/results.schema.json"))
            .unwrap(),
    )
    .unwrap();
    let errors: Vec<String> = jsonschema::validator_for(&schema)
        .unwrap()
        .iter_errors(&doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(doc["summary"]["waived"], 12);
    assert_eq!(doc["scan"]["waivers"]["count"], 4);
    assert_eq!(
        doc["scan"]["waivers"]["unmatched"],
        serde_json::json!([format!("{}:19: auditd_*", waivers.display())])
    );
    let rules = doc["rules"].as_array().unwrap();
    let by_id = |s: &str| {
        rules
            .iter()
            .find(|r| short(r["id"].as_str().unwrap()) == s)
            .unwrap()
    };
    for id in FAILING {
        let r = by_id(id);
        let w = &r["waiver"];
        assert_eq!(w["expired"], false, "{id}");
        if id == "log_forwarders_configured" {
            assert_eq!(r["result"], "notchecked");
            assert_eq!(w["run"], false);
            assert!(
                r["messages"][0]
                    .as_str()
                    .unwrap()
                    .starts_with("not evaluated: waived with run = false"),
                "{r}"
            );
        } else {
            assert_eq!(r["result"], "fail", "{id}");
        }
    }
    let rsyslog = by_id("rsyslog_remote_forwarding");
    assert_eq!(rsyslog["waiver"]["justification"], HOSTILE);
    assert_eq!(rsyslog["waiver"]["approved_by"], "security@example.com");
    assert_eq!(rsyslog["waiver"]["expires"], "2099-12-31");
    assert_eq!(
        rsyslog["waiver"]["source"],
        format!("{}:2", waivers.display())
    );
    // `auditd_*` is shadowed by `audi*`, which comes first.
    assert_eq!(by_id("auditd_enabled")["waiver"]["rule"], "audi*");

    // Terminal: the waived rules listed with their reason, escaped; none as a failure.
    assert!(stdout.contains("12 rules waived:"), "{stdout}");
    assert!(!stdout.contains('\u{1b}'), "{stdout}");
    assert!(
        !stdout.lines().any(|l| l.starts_with("  fail ")),
        "{stdout}"
    );
    assert!(stdout.contains("waiver matches no rule: "), "{stdout}");

    // SARIF: still a result per failure, each suppressed as accepted; the log valid.
    let sarif = read_json(&out("r.sarif"));
    let schema: Value = serde_json::from_slice(
        &std::fs::read(crate::fixture("sarif/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = v.iter_errors(&sarif).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 11);
    for r in results {
        let s = &r["suppressions"][0];
        assert_eq!(s["kind"], "external", "{r}");
        assert_eq!(s["status"], "accepted", "{r}");
        assert!(s["justification"].as_str().unwrap().len() > 5);
    }
    assert_eq!(sarif["runs"][0]["invocations"][0]["exitCode"], 0);

    // JUnit, as junitparser reads it: no failure, each waived failure skipped.
    let j = junitparser(&out("r.junit.xml"));
    assert_eq!(j["failures"], 0, "{j}");
    assert_eq!(j["errors"], 0, "{j}");
    let cases = j["cases"].as_array().unwrap();
    let waived: Vec<&Value> = cases
        .iter()
        .filter(|c| {
            c["result"][0][1]
                .as_str()
                .is_some_and(|m| m.starts_with("waived: fail: "))
        })
        .collect();
    assert_eq!(waived.len(), 11, "{j}");
    assert!(waived.iter().all(|c| c["result"][0][0] == "Skipped"));
    assert!(
        waived.iter().any(|c| c["result"][0][1]
            .as_str()
            .unwrap()
            .contains("approved by security@example.com")),
        "{j}"
    );

    // Prometheus: promtool accepts it; the waived count and each expiry are series.
    let prom = std::fs::read_to_string(out("r.prom")).unwrap();
    let check = tool("promtool")
        .args(["check", "metrics"])
        .stdin(std::fs::File::open(out("r.prom")).unwrap())
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(
        prom.lines()
            .any(|l| l.starts_with("vigil_scan_rules_waived{") && l.ends_with("} 12")),
        "{prom}"
    );
    assert!(prom.contains(
        "vigil_scan_exit_code{host=\"web-7\",benchmark=\"xccdf_dev.vigil_benchmark_ccm-log11\"} 0"
    ));
    // 2099-12-31 holds through that day: it stops at 2100-01-01T00:00:00Z.
    let expiry = prom
        .lines()
        .filter(|l| l.starts_with("vigil_rule_waiver_expiry_timestamp_seconds{"))
        .collect::<Vec<_>>();
    assert_eq!(expiry.len(), 11, "{prom}");
    assert!(expiry.iter().all(|l| l.ends_with(" 4102444800")), "{prom}");

    // XCCDF and ARF: each accepted failure an override oscap reads; the XML valid
    // against the XCCDF 1.2 schema. (oscap's schematron rule for overrides, from
    // NIST's, wrongly requires one on every rule-result once any has one, so only
    // the schema is checked.)
    let xccdf = std::fs::read_to_string(out("r.xccdf.xml")).unwrap();
    assert_eq!(xccdf.matches("<override ").count(), 11);
    assert_eq!(xccdf.matches("<old-result>fail</old-result>").count(), 11);
    assert!(xccdf.contains("authority=\"security@example.com\""));
    assert!(!xccdf.contains("<script>"));
    for (f, args) in [
        (
            "r.xccdf.xml",
            &["xccdf", "validate", "--skip-schematron"][..],
        ),
        ("r.arf.xml", &["ds", "rds-validate"][..]),
    ] {
        let o = tool("oscap").args(args).arg(out(f)).output().unwrap();
        assert!(
            o.status.success(),
            "{f}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let report = tool("oscap")
        .args(["xccdf", "generate", "report"])
        .arg(out("r.xccdf.xml"))
        .output()
        .unwrap();
    assert!(report.status.success());
    let report = String::from_utf8_lossy(&report.stdout);
    assert!(
        report.contains("waived: auditd lands with the image rebuild, SEC-200"),
        "oscap's report shows the override's remark"
    );

    // HTML: a badge and the reason on each waived rule, the justification escaped.
    let html = std::fs::read_to_string(out("r.html")).unwrap();
    assert!(html.contains("12 waived</span>"));
    // The summary's count, and one on each waived rule.
    assert_eq!(html.matches("<span class=\"badge waived\"").count(), 1 + 12);
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
            || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
    );
    assert!(!html.contains("<script>alert(1)"));
}

/// junitparser's view of a JUnit file: totals and each case's results.
fn junitparser(path: &Path) -> Value {
    crate::testtool::require("/usr/lib/python3/dist-packages/junitparser/");
    let script = r#"
import json, sys
from junitparser import JUnitXml
xml = JUnitXml.fromfile(sys.argv[1])
cases = [{"name": c.name, "result": [(type(x).__name__, x.message) for x in c.result]}
         for s in xml for c in s]
print(json.dumps({"failures": xml.failures, "errors": xml.errors, "skipped": xml.skipped,
                  "cases": cases}))
"#;
    let out = tool("/usr/bin/python3")
        .arg("-c")
        .arg(script)
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn an_expired_waiver_counts_again_and_strict_refuses_it_before_scanning() {
    let (d, root, waivers) = fixture("2020-01-31");
    let json = d.path().join("r.json");
    let args = |strict: bool| {
        let mut a = vec![
            "scan",
            "--root",
            root.to_str().unwrap(),
            "--waivers",
            waivers.to_str().unwrap(),
            "--json",
            json.to_str().unwrap(),
        ];
        if strict {
            a.push("--waivers-strict");
        }
        a
    };
    let (code, stdout, _) = run(&args(false));
    assert_eq!(code, 2, "{stdout}");
    assert!(
        stdout.contains("xccdf_dev.vigil_rule_auditd_enabled  The audit daemon is enabled at boot  (waiver expired on 2020-01-31)")
            || stdout.contains("(waiver expired on 2020-01-31)"),
        "{stdout}"
    );
    let doc = read_json(&json);
    // Only the waiver without an expiry (run = false) still holds.
    assert_eq!(doc["summary"]["waived"], 1);
    let r = doc["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| short(r["id"].as_str().unwrap()) == "auditd_enabled")
        .unwrap();
    assert_eq!(r["result"], "fail");
    assert_eq!(r["waiver"]["expired"], true);
    assert!(
        r["messages"].as_array().unwrap().iter().any(|m| m
            .as_str()
            .unwrap()
            .starts_with("waiver expired on 2020-01-31 (")),
        "{r}"
    );

    std::fs::remove_file(&json).unwrap();
    let (code, stdout, stderr) = run(&args(true));
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert_eq!(
        stderr,
        format!(
            "vigil: error: --waivers-strict: {}:2: the waiver for xccdf_dev.vigil_rule_rsyslog_remote_forwarding expired on 2020-01-31\n",
            waivers.display()
        )
    );
    assert!(
        !json.exists(),
        "nothing is written when the scan is refused"
    );
}

#[test]
fn strict_refuses_a_waiver_that_matches_no_rule() {
    let (_d, root, waivers) = fixture("2099-12-31");
    let (code, _, stderr) = run(&[
        "scan",
        "-q",
        "--root",
        root.to_str().unwrap(),
        "--waivers",
        waivers.to_str().unwrap(),
        "--waivers-strict",
    ]);
    assert_eq!(code, 1);
    assert!(
        stderr.ends_with(":19: auditd_*: the waiver matches no rule of this scan\n"),
        "{stderr}"
    );
}

#[test]
fn a_waiver_for_other_hosts_does_not_apply_here() {
    let (d, root, _) = fixture("2099-12-31");
    let w = d.path().join("w.yaml");
    std::fs::write(
        &w,
        "waivers:\n  - rule: auditd_installed\n    justification: db hosts only\n    hosts: [\"db-*\"]\n",
    )
    .unwrap();
    let json = d.path().join("r.json");
    let (code, ..) = run(&[
        "scan",
        "-q",
        "--root",
        root.to_str().unwrap(),
        "--waivers",
        w.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    let doc = read_json(&json);
    assert_eq!(doc["summary"]["waived"], 0);
    assert_eq!(
        doc["scan"]["waivers"]["unmatched"][0],
        format!("{}:2: auditd_installed", w.display())
    );
}

#[test]
fn a_malformed_waiver_file_is_refused_before_anything_is_read() {
    let (d, root, _) = fixture("2099-12-31");
    let cases = [
        (
            "w.toml",
            "[[waivers]]\nrule = \"auditd_installed\"\n",
            ":1: waivers[0]: missing field `justification`",
        ),
        (
            "w.toml",
            "[[waivers]]\nrule = \"x\"\njustification = \"j\"\nexpires = 2027-02-30\n",
            "",
        ),
        (
            "w.yaml",
            "waivers:\n  - rule: x\n    justification: j\n    expires: 30/06/2027\n",
            ":2: waivers[0].expires: '30/06/2027' is not a date (YYYY-MM-DD)",
        ),
        (
            "w.yml",
            "waivers:\n  - rule: x\n    justification: j\n    aproved_by: me\n",
            ":2: waivers[0].aproved_by: unknown field `aproved_by`",
        ),
    ];
    for (name, text, want) in cases {
        let p = d.path().join(name);
        std::fs::write(&p, text).unwrap();
        let (code, stdout, stderr) = run(&[
            "scan",
            "--root",
            root.to_str().unwrap(),
            "--waivers",
            p.to_str().unwrap(),
        ]);
        assert_eq!(code, 1, "{text}: {stdout}{stderr}");
        assert!(stdout.is_empty(), "nothing scanned: {stdout}");
        assert!(
            stderr.starts_with(&format!("vigil: error: {}", p.display())),
            "{stderr}"
        );
        assert!(stderr.contains(want), "{text}: {stderr}");
    }
    // A FIFO is not waited on, a directory not read.
    let (code, _, stderr) = run(&["scan", "--waivers", d.path().to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stderr.contains("cannot read"), "{stderr}");
}

#[test]
fn the_history_diff_shows_when_a_risk_was_accepted_and_when_it_counts_again() {
    let (d, root, waivers) = fixture("2099-12-31");
    let hist = d.path().join("history");
    let scan = |waivers: Option<&Path>| {
        let mut a = vec![
            "scan".to_string(),
            "-q".into(),
            "--root".into(),
            root.display().to_string(),
            "--history".into(),
            hist.display().to_string(),
        ];
        if let Some(w) = waivers {
            a.extend(["--waivers".into(), w.display().to_string()]);
        }
        let out = std::process::Command::new(VIGIL).args(&a).output().unwrap();
        out.status.code().unwrap()
    };
    assert_eq!(scan(None), 2);
    assert_eq!(scan(Some(&waivers)), 0);
    let (code, text, err) = run(&["history", "diff", hist.to_str().unwrap()]);
    assert_eq!(code, 0, "accepting risks is no new failure: {text}{err}");
    assert!(text.contains("waivers (12):"), "{text}");
    assert!(
        text.contains(
            "  xccdf_dev.vigil_rule_auditd_installed (fail): not waived -> waived until 2099-12-31: auditd lands with the image rebuild, SEC-200\n"
        ),
        "{text}"
    );
    // The waivers go: the failures count again, and the diff says so.
    assert_eq!(scan(None), 2);
    let (code, text, _) = run(&["history", "diff", hist.to_str().unwrap(), "--json"]);
    assert_eq!(code, 2, "{text}");
    let d: Value = serde_json::from_str::<Value>(&text).unwrap()["diff"].clone();
    assert_eq!(d["new_failures"].as_array().unwrap().len(), 12, "{d}");
    assert_eq!(d["waivers"].as_array().unwrap().len(), 12);
    assert_eq!(d["waivers"][0]["after"], Value::Null);
}
