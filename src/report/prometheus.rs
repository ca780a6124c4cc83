//! `--prometheus PATH`: the scan in the Prometheus text exposition format (0.0.4), for
//! node_exporter's textfile collector (`--collector.textfile.directory`), which reads
//! every `*.prom` file in a directory at each scrape. The file is written atomically
//! (through `outfile`: a temporary file renamed over it), so a scrape never reads half
//! of one.
//!
//! Every metric is a gauge (the values describe the last scan, they do not count up),
//! with `# HELP` and `# TYPE` lines, and carries the scanned `host` (the results'
//! host name, not the machine node_exporter runs on: a `--root` or remote scan
//! examines another host) and the `benchmark`, so the files of a fleet, dropped into
//! one directory, give distinct series. No sample has a timestamp, as the textfile
//! collector requires; when the scan ran is `vigil_scan_timestamp_seconds`.
//! Label values are escaped as the format says (backslash, double quote, newline).

use std::fmt::Write as _;

use super::ScanResults;
use super::checks::{SEVERITIES, checks};
use vigil_core::engine::xccdf::RuleOutcome;

/// The exposition text of one scan; `history_seq` is the sequence number of the
/// history entry the scan was recorded as (`--history`), if it was.
pub(crate) fn render(r: &ScanResults, history_seq: Option<u64>) -> String {
    let host = &r.scan.host.hostname;
    let benchmark = r
        .scan
        .benchmark
        .as_ref()
        .map_or(r.scan.content.path.as_str(), |b| b.id.as_str());
    let base = format!(
        "host=\"{}\",benchmark=\"{}\"",
        label(host),
        label(benchmark)
    );
    let mut out = String::new();
    let mut family = |name: &str, help: &str, samples: &[(String, String)]| {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} gauge");
        for (labels, value) in samples {
            let _ = writeln!(out, "{name}{{{base}{labels}}} {value}");
        }
    };
    let one = |v: String| vec![(String::new(), v)];

    let mut info = format!(",vigil_version=\"{}\"", label(&r.vigil_version));
    let _ = write!(
        info,
        ",content_sha256=\"{}\"",
        label(&r.scan.content.sha256)
    );
    if let Some(p) = &r.scan.profile {
        let _ = write!(info, ",profile=\"{}\"", label(&p.id));
    }
    family(
        "vigil_scan_info",
        "The last scan: vigil's version, the content's SHA-256 and the profile (value 1).",
        &[(info, "1".into())],
    );
    family(
        "vigil_scan_score",
        "XCCDF default-model score of the selected rules (0 to vigil_scan_max_score).",
        &one(number(r.summary.score)),
    );
    family(
        "vigil_scan_max_score",
        "Highest score the selected, scored rules could reach.",
        &one(number(r.summary.max_score)),
    );
    let by_result: Vec<(String, String)> = RuleOutcome::ALL
        .iter()
        .map(|w| {
            let n = r.summary.results.get(w.as_str()).copied().unwrap_or(0);
            (format!(",result=\"{}\"", w.as_str()), n.to_string())
        })
        .collect();
    family(
        "vigil_scan_rules",
        "Rules of the last scan by XCCDF result (every result, 0 included).",
        &by_result,
    );
    let mut by_severity = Vec::new();
    for s in SEVERITIES {
        for w in RuleOutcome::ALL {
            let n = r
                .summary
                .by_severity
                .get(s.as_str())
                .and_then(|m| m.get(w.as_str()))
                .copied()
                .unwrap_or(0);
            by_severity.push((
                format!(",severity=\"{}\",result=\"{}\"", s.as_str(), w.as_str()),
                n.to_string(),
            ));
        }
    }
    family(
        "vigil_scan_rules_by_severity",
        "Rules of the last scan by severity and XCCDF result.",
        &by_severity,
    );
    if !r.summary.definitions.is_empty() {
        let defs: Vec<(String, String)> = r
            .summary
            .definitions
            .iter()
            .map(|(w, n)| (format!(",result=\"{}\"", label(w)), n.to_string()))
            .collect();
        family(
            "vigil_scan_definitions",
            "OVAL definitions of the last scan by OVAL result.",
            &defs,
        );
    }
    // Rules the profile did not select were not evaluated: counted above, not listed.
    let per_rule: Vec<(String, String)> = checks(r)
        .iter()
        .filter(|c| c.result != RuleOutcome::NotSelected)
        .map(|c| {
            (
                format!(
                    ",rule=\"{}\",severity=\"{}\",result=\"{}\"",
                    label(c.id),
                    c.severity.as_str(),
                    c.result.as_str()
                ),
                "1".into(),
            )
        })
        .collect();
    family(
        "vigil_rule_result",
        "The result of each selected rule (OVAL content: definition) in the last scan (value 1).",
        &per_rule,
    );
    family(
        "vigil_scan_rules_waived",
        "Rules whose failure, error or unknown an active waiver (--waivers) accepts, or that one kept from being evaluated.",
        &one(r.summary.waived.to_string()),
    );
    // When each waiver stops holding, so an alert can fire before an accepted risk
    // counts again: the start (UTC) of the day after its `expires`.
    let expiries: Vec<(String, String)> = checks(r)
        .iter()
        .filter_map(|c| {
            let w = c.waiver?;
            let day = chrono::NaiveDate::parse_from_str(w.expires.as_deref()?, "%Y-%m-%d").ok()?;
            let end = day.succ_opt()?.and_hms_opt(0, 0, 0)?.and_utc().timestamp();
            Some((format!(",rule=\"{}\"", label(c.id)), end.to_string()))
        })
        .collect();
    if !expiries.is_empty() {
        family(
            "vigil_rule_waiver_expiry_timestamp_seconds",
            "When the waiver covering each rule stops holding (Unix time, UTC midnight after its expires date).",
            &expiries,
        );
    }
    family(
        "vigil_scan_exit_code",
        "vigil scan's exit status for these results: 0 all passed, 2 a rule failed, errored or is unknown.",
        &one(crate::exit::Exit::of_scan(r).code().to_string()),
    );
    family(
        "vigil_scan_duration_seconds",
        "Wall-clock time the last scan took.",
        &one(number(r.scan.duration_ms as f64 / 1000.0)),
    );
    // An unreadable time would be a guess: the sample is left out instead.
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(&r.scan.finished) {
        let secs = t.timestamp() as f64 + f64::from(t.timestamp_subsec_millis()) / 1000.0;
        family(
            "vigil_scan_timestamp_seconds",
            "Unix time the last scan finished.",
            &one(number(secs)),
        );
    }
    if let Some(seq) = history_seq {
        family(
            "vigil_history_head_sequence",
            "Sequence number of the history entry the last scan was recorded as (--history).",
            &one(seq.to_string()),
        );
    }
    out
}

/// A sample value as the format writes floats (`Inf` and `NaN` spelt its way).
fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{v}")
    }
}

/// A label value escaped as the exposition format requires: `\` as `\\`, `"` as `\"`
/// and a newline as `\n`; everything else is UTF-8 as it is.
pub(crate) fn label(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testutil::{normalise, scan_fixture};
    use crate::testtool::tool;
    use std::io::Write;

    /// `promtool check metrics` (the Prometheus project's own linter and parser) on
    /// `text`: its exit status and what it said.
    fn promtool(text: &str) -> (bool, String) {
        let mut child = tool("promtool")
            .args(["check", "metrics"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), said)
    }

    #[test]
    fn promtool_accepts_the_metrics() {
        let (_, r) = scan_fixture(200);
        let text = render(&r, Some(7));
        let (ok, said) = promtool(&text);
        assert!(ok, "{said}\n{text}");
        assert_eq!(said.trim(), "", "no lint warnings");
        assert!(text.contains("vigil_history_head_sequence{"));
        // And promtool does check: a sample without its closing brace is refused.
        let (ok, _) = promtool(&text.replacen("} 1\n", " 1\n", 1));
        assert!(!ok);
    }

    #[test]
    fn hostile_label_values_are_escaped() {
        let (_, mut r) = scan_fixture(200);
        r.scan.host.hostname = "h\"} evil 1\nvigil_scan_score{host=\"x\\".into();
        let text = render(&r, None);
        let (ok, said) = promtool(&text);
        assert!(ok, "{said}\n{text}");
        assert!(text.contains(r#"host="h\"} evil 1\nvigil_scan_score{host=\"x\\""#));
        // Each sample is still one line: no line starts with the injected name.
        assert!(
            !text
                .lines()
                .any(|l| l.starts_with("vigil_scan_score{host=\"x"))
        );
        assert!(!text.contains("vigil_history_head_sequence"));
    }

    #[test]
    fn counts_and_per_rule_results() {
        let (_, r) = scan_fixture(200);
        let text = render(&r, None);
        let fails = r.summary.results.get("fail").copied().unwrap_or(0);
        assert!(fails > 0);
        assert!(
            text.lines().any(|l| l.starts_with("vigil_scan_rules{")
                && l.ends_with(&format!("result=\"fail\"}} {fails}"))),
            "{text}"
        );
        for rule in r
            .rules
            .iter()
            .filter(|x| x.result != RuleOutcome::NotSelected)
        {
            let want = format!(
                "rule=\"{}\",severity=\"{}\",result=\"{}\"}} 1",
                rule.id,
                rule.severity.as_str(),
                rule.result.as_str()
            );
            assert!(text.contains(&want), "{want}");
        }
    }

    #[test]
    fn fixture_prometheus_snapshot() {
        let (_, mut r) = scan_fixture(200);
        normalise(&mut r);
        insta::assert_snapshot!(render(&r, Some(3)));
    }
}
