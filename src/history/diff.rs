//! `vigil history diff`: what changed between two scans' results documents: new
//! failures, fixed rules, other result changes, rules added or removed, changed
//! evidence or messages, and waivers accepted, expired or lifted. Works on
//! `serde_json::Value` and tolerates missing optional fields (`title`, `severity`,
//! `messages`, `evidence`, `waiver`, even `rules`).
//!
//! A failure an active waiver covers is not a finding: a rule that fails and is
//! waived in both scans is no new failure; one whose waiver expired or was removed
//! while it still fails is one again (a risk that counts again must fail the job
//! that gates on the diff).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

/// A rule result is failing when it would make `vigil scan` exit 2.
pub(crate) fn is_failing(result: &str) -> bool {
    matches!(result, "fail" | "error" | "unknown")
}

/// A rule as read from a results document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct RuleView {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    pub result: String,
    pub messages: Vec<String>,
    pub evidence: Value,
    /// The rule's `waiver` (schema 1.4) as written; `Null` when it has none.
    #[serde(skip_serializing_if = "Value::is_null")]
    pub waiver: Value,
}

impl RuleView {
    /// Whether an active (unexpired) waiver covers the rule.
    pub(crate) fn is_waived(&self) -> bool {
        self.waiver.is_object() && self.waiver.get("expired").and_then(Value::as_bool) != Some(true)
    }

    /// Failing and not waived: what makes a scan exit 2.
    pub(crate) fn is_finding(&self) -> bool {
        is_failing(&self.result) && !self.is_waived()
    }

    /// The waiver's state in words: `waived until DATE`, `waiver expired on DATE`, or
    /// `None` without a waiver.
    fn waiver_state(&self) -> Option<String> {
        let w = self.waiver.as_object()?;
        let expires = w.get("expires").and_then(Value::as_str);
        Some(match (self.is_waived(), expires) {
            (true, Some(e)) => format!("waived until {e}"),
            (true, None) => "waived, no expiry".to_string(),
            (false, e) => format!("waiver expired on {}", e.unwrap_or("?")),
        })
    }
}

/// The rules of a results document by id. Rules without an id are skipped; a missing
/// `result` reads as `unknown`.
pub(crate) fn rules_of(doc: &Value) -> BTreeMap<String, RuleView> {
    let mut out = BTreeMap::new();
    let Some(rules) = doc.get("rules").and_then(Value::as_array) else {
        return out;
    };
    for r in rules {
        let Some(id) = r.get("id").and_then(Value::as_str) else {
            continue;
        };
        let s = |k: &str| r.get(k).and_then(Value::as_str).map(str::to_string);
        let messages = r
            .get("messages")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|m| m.as_str().map_or_else(|| m.to_string(), str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        out.insert(
            id.to_string(),
            RuleView {
                id: id.to_string(),
                title: s("title"),
                severity: s("severity"),
                result: s("result").unwrap_or_else(|| "unknown".into()),
                messages,
                evidence: r.get("evidence").cloned().unwrap_or(Value::Null),
                waiver: r.get("waiver").cloned().unwrap_or(Value::Null),
            },
        );
    }
    out
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Change {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// None when the rule is not in the older scan.
    pub before: Option<String>,
    /// None when the rule is not in the newer scan.
    pub after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct EvidenceChange {
    pub id: String,
    pub result: String,
    pub messages_before: Vec<String>,
    pub messages_after: Vec<String>,
    pub evidence_before: Value,
    pub evidence_after: Value,
}

/// A rule whose waiver changed: accepted, renewed, expired or lifted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct WaiverChange {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The rule's result now.
    pub result: String,
    /// The waiver before and now (`waived until 2027-06-30`, `waiver expired on ...`);
    /// `None`: no waiver.
    pub before: Option<String>,
    pub after: Option<String>,
    /// The waiver now, as the results document records it (justification, approver,
    /// source); `Null` when it was lifted.
    pub waiver: Value,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct Diff {
    /// Failing and not waived now, and not (or absent) before.
    pub new_failures: Vec<Change>,
    /// Failing before, present now and not failing.
    pub fixed: Vec<Change>,
    /// Other result changes (e.g. fail -> error, pass -> notapplicable).
    pub changed: Vec<Change>,
    /// Present before, absent now.
    pub removed: Vec<Change>,
    /// Same result, different evidence or messages (compared as JSON).
    pub evidence_changed: Vec<EvidenceChange>,
    /// Waivers accepted, changed, expired or lifted.
    pub waivers: Vec<WaiverChange>,
}

impl Diff {
    pub(crate) fn is_empty(&self) -> bool {
        self == &Diff::default()
    }
}

pub(crate) fn diff(before: &Value, after: &Value) -> Diff {
    let a = rules_of(before);
    let b = rules_of(after);
    let mut d = Diff::default();
    for (id, rb) in &b {
        let ra = a.get(id);
        let ch = Change {
            id: id.clone(),
            title: rb.title.clone(),
            before: ra.map(|r| r.result.clone()),
            after: Some(rb.result.clone()),
        };
        let was_failing = ra.is_some_and(|r| is_failing(&r.result));
        let was_finding = ra.is_some_and(RuleView::is_finding);
        let waiver_before = ra.map_or(&Value::Null, |r| &r.waiver);
        if waiver_before != &rb.waiver {
            d.waivers.push(WaiverChange {
                id: id.clone(),
                title: rb.title.clone(),
                result: rb.result.clone(),
                before: ra.and_then(RuleView::waiver_state),
                after: rb.waiver_state(),
                waiver: rb.waiver.clone(),
            });
        }
        if rb.is_finding() && !was_finding {
            d.new_failures.push(ch);
        } else if was_failing && !is_failing(&rb.result) && !rb.is_waived() {
            d.fixed.push(ch);
        } else if let Some(ra) = ra {
            if ra.result != rb.result {
                d.changed.push(ch);
            } else if ra.evidence != rb.evidence || ra.messages != rb.messages {
                d.evidence_changed.push(EvidenceChange {
                    id: id.clone(),
                    result: rb.result.clone(),
                    messages_before: ra.messages.clone(),
                    messages_after: rb.messages.clone(),
                    evidence_before: ra.evidence.clone(),
                    evidence_after: rb.evidence.clone(),
                });
            }
        } else {
            // A rule new in this scan that does not fail.
            d.changed.push(ch);
        }
    }
    for (id, ra) in &a {
        if !b.contains_key(id) {
            d.removed.push(Change {
                id: id.clone(),
                title: ra.title.clone(),
                before: Some(ra.result.clone()),
                after: None,
            });
        }
    }
    d
}

fn or_none(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("(absent)")
}

/// Human-readable rendering, one line per change.
pub(crate) fn render_text(d: &Diff, from: u64, to: u64) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(s, "scan {from} -> scan {to}");
    if d.is_empty() {
        s.push_str("no changes\n");
        return s;
    }
    let section = |s: &mut String, name: &str, list: &[Change]| {
        if list.is_empty() {
            return;
        }
        let _ = writeln!(s, "{name} ({}):", list.len());
        for c in list {
            let _ = writeln!(
                s,
                "  {}: {} -> {}{}",
                c.id,
                or_none(&c.before),
                or_none(&c.after),
                c.title
                    .as_deref()
                    .map(|t| format!("  ({t})"))
                    .unwrap_or_default()
            );
        }
    };
    section(&mut s, "new failures", &d.new_failures);
    section(&mut s, "fixed", &d.fixed);
    section(&mut s, "result changed", &d.changed);
    section(&mut s, "removed rules", &d.removed);
    if !d.waivers.is_empty() {
        let _ = writeln!(s, "waivers ({}):", d.waivers.len());
        for w in &d.waivers {
            let why = w
                .waiver
                .get("justification")
                .and_then(Value::as_str)
                .map(|j| format!(": {j}"))
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "  {} ({}): {} -> {}{why}",
                w.id,
                w.result,
                w.before.as_deref().unwrap_or("not waived"),
                w.after.as_deref().unwrap_or("not waived"),
            );
        }
    }
    if !d.evidence_changed.is_empty() {
        let _ = writeln!(s, "evidence changed ({}):", d.evidence_changed.len());
        for e in &d.evidence_changed {
            let _ = writeln!(s, "  {} ({})", e.id, e.result);
            if e.messages_before != e.messages_after {
                for m in e
                    .messages_before
                    .iter()
                    .filter(|m| !e.messages_after.contains(m))
                {
                    let _ = writeln!(s, "    - {m}");
                }
                for m in e
                    .messages_after
                    .iter()
                    .filter(|m| !e.messages_before.contains(m))
                {
                    let _ = writeln!(s, "    + {m}");
                }
            }
            if e.evidence_before != e.evidence_after {
                let _ = writeln!(s, "    evidence before: {}", e.evidence_before);
                let _ = writeln!(s, "    evidence after:  {}", e.evidence_after);
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn classifies_every_kind_of_change() {
        let a = json!({"rules": [
            {"id": "r_fix", "result": "fail", "title": "Fix me"},
            {"id": "r_new", "result": "pass"},
            {"id": "r_err", "result": "fail"},
            {"id": "r_same", "result": "pass", "evidence": {"mode": "0644", "list": [1, 2]}},
            {"id": "r_msg", "result": "fail", "messages": ["a"]},
            {"id": "r_gone", "result": "pass"},
            {"id": "r_na", "result": "pass"},
        ]});
        let b = json!({"rules": [
            {"id": "r_fix", "result": "pass"},
            {"id": "r_new", "result": "fail", "title": "Broke"},
            {"id": "r_err", "result": "error"},
            // Key order differs but the JSON is equal: not a change.
            {"id": "r_same", "result": "pass", "evidence": {"list": [1, 2], "mode": "0644"}},
            {"id": "r_msg", "result": "fail", "messages": ["b"]},
            {"id": "r_na", "result": "notapplicable"},
            {"id": "r_added", "result": "unknown"},
        ]});
        let d = diff(&a, &b);
        let ids = |v: &[Change]| v.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&d.new_failures), ["r_added", "r_new"]);
        assert_eq!(d.new_failures[0].before, None);
        assert_eq!(ids(&d.fixed), ["r_fix"]);
        assert_eq!(ids(&d.changed), ["r_err", "r_na"]);
        assert_eq!(ids(&d.removed), ["r_gone"]);
        assert_eq!(d.evidence_changed.len(), 1);
        assert_eq!(d.evidence_changed[0].id, "r_msg");
        let text = render_text(&d, 1, 2);
        assert!(text.contains("r_new: pass -> fail  (Broke)"), "{text}");
        assert!(text.contains("    - a\n    + b\n"), "{text}");
    }

    #[test]
    fn a_waived_failure_is_no_new_failure_until_its_waiver_expires_or_goes() {
        let w = |expired: bool| json!({"rule": "r*", "justification": "SEC-1", "expires": "2027-06-30", "run": true, "expired": expired, "source": "w.toml:2"});
        let scan = |rules: Value| json!({ "rules": rules });
        let before = scan(json!([
            {"id": "r_ok", "result": "fail"},
            {"id": "r_exp", "result": "fail", "waiver": w(false)},
            {"id": "r_lift", "result": "fail", "waiver": w(false)},
            {"id": "r_kept", "result": "fail", "waiver": w(false)},
        ]));
        let after = scan(json!([
            {"id": "r_ok", "result": "fail", "waiver": w(false)},
            {"id": "r_exp", "result": "fail", "waiver": w(true)},
            {"id": "r_lift", "result": "fail"},
            {"id": "r_kept", "result": "fail", "waiver": w(false)},
            {"id": "r_new", "result": "error", "waiver": w(false)},
        ]));
        let d = diff(&before, &after);
        let ids = |v: &[Change]| v.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&d.new_failures), ["r_exp", "r_lift"]);
        assert!(d.fixed.is_empty());
        let changes: Vec<(String, Option<String>, Option<String>)> = d
            .waivers
            .iter()
            .map(|c| (c.id.clone(), c.before.clone(), c.after.clone()))
            .collect();
        let s = |x: &str| Some(x.to_string());
        assert_eq!(
            changes,
            [
                (
                    "r_exp".into(),
                    s("waived until 2027-06-30"),
                    s("waiver expired on 2027-06-30")
                ),
                ("r_lift".into(), s("waived until 2027-06-30"), None),
                ("r_new".into(), None, s("waived until 2027-06-30")),
                ("r_ok".into(), None, s("waived until 2027-06-30")),
            ]
        );
        let text = render_text(&d, 1, 2);
        assert!(
            text.contains("  r_ok (fail): not waived -> waived until 2027-06-30: SEC-1\n"),
            "{text}"
        );
    }

    #[test]
    fn evidence_change_is_reported() {
        let a = json!({"rules": [{"id": "r", "result": "fail", "evidence": {"uid": 0}}]});
        let b = json!({"rules": [{"id": "r", "result": "fail", "evidence": {"uid": 1}}]});
        let d = diff(&a, &b);
        assert_eq!(d.evidence_changed.len(), 1);
        assert_eq!(d.evidence_changed[0].evidence_after, json!({"uid": 1}));
    }

    #[test]
    fn tolerates_missing_fields_and_odd_documents() {
        let a = json!({"schema_version": 1});
        let b =
            json!({"rules": [{"id": "x"}, {"result": "fail"}, {"id": "y", "messages": [1, "t"]}]});
        let d = diff(&a, &b);
        // A rule without a result reads as unknown, which is failing.
        assert_eq!(d.new_failures.len(), 2);
        assert!(diff(&json!([]), &json!(null)).is_empty());
        assert_eq!(rules_of(&b)["y"].messages, ["1", "t"]);
    }
}
