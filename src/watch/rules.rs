//! Which rule results a batch of changes changed, and which changed path each belongs
//! to. Every batch is evaluated with the whole selection (the same
//! `vigil_host::scan::run` a scan uses; the bundled benchmark takes a fraction of a
//! second), and the results compared with the previous evaluation through the history's
//! own comparison ([`crate::history::diff`]). A changed rule is tied to a path when one
//! of the items its OVAL objects collected (before or after) names that path, the
//! directory holding it or a file below it; a changed rule no item ties to a path of
//! the batch is reported with every change of the batch (`"via": "batch"`).

use std::collections::{BTreeSet, HashMap};

use serde_json::{Value, json};
use vigil_core::engine::oval::eval::CriteriaOutcome;
use vigil_core::engine::probe::ItemField;
use vigil_core::model::ScanResults;

use crate::history::diff;

/// For each rule, the absolute paths its objects' items (and their resolved variables)
/// name.
pub(crate) fn paths_read(r: &ScanResults) -> HashMap<String, BTreeSet<String>> {
    let defs: HashMap<&str, &vigil_core::model::DefinitionResult> =
        r.definitions.iter().map(|d| (d.id.as_str(), d)).collect();
    let tests: HashMap<&str, &vigil_core::model::TestResult> =
        r.tests.iter().map(|t| (t.id.as_str(), t)).collect();
    let objects: HashMap<&str, &vigil_core::model::ObjectResult> =
        r.objects.iter().map(|o| (o.id.as_str(), o)).collect();
    let mut out = HashMap::new();
    for rule in &r.rules {
        let mut paths = BTreeSet::new();
        let mut todo: Vec<&str> = rule.checks.iter().map(|c| c.id.as_str()).collect();
        let mut seen = BTreeSet::new();
        while let Some(id) = todo.pop() {
            if !seen.insert(id) {
                continue;
            }
            let Some(crit) = defs.get(id).and_then(|d| d.criteria.as_ref()) else {
                continue;
            };
            let mut nodes = vec![crit];
            while let Some(n) = nodes.pop() {
                match n {
                    CriteriaOutcome::Criteria { children, .. } => nodes.extend(children),
                    CriteriaOutcome::Criterion { test_ref, .. } => {
                        let obj = tests
                            .get(test_ref.as_str())
                            .and_then(|t| t.object.as_deref())
                            .and_then(|o| objects.get(o));
                        if let Some(o) = obj {
                            for item in &o.items {
                                collect(&item.fields, &mut paths);
                            }
                            for (_, vals) in &o.variables {
                                paths.extend(vals.iter().filter(|v| v.starts_with('/')).cloned());
                            }
                        }
                    }
                    CriteriaOutcome::ExtendDefinition { definition_ref, .. } => {
                        todo.push(definition_ref)
                    }
                }
            }
        }
        out.insert(rule.id.clone(), paths);
    }
    out
}

fn collect(fields: &[ItemField], out: &mut BTreeSet<String>) {
    for f in fields {
        if let Some(v) = &f.value
            && v.starts_with('/')
            && !v.contains('\n')
        {
            out.insert(v.clone());
        }
        if let Some(r) = &f.record {
            collect(r, out);
        }
    }
}

/// Whether a rule that read `paths` reads `changed`: the path itself, a directory
/// holding it, or a file below it (a directory changed).
pub(crate) fn reads(paths: &BTreeSet<String>, changed: &str) -> bool {
    let dir = format!("{}/", changed.trim_end_matches('/'));
    paths.iter().any(|p| {
        p == changed
            || changed.starts_with(&format!("{}/", p.trim_end_matches('/')))
            || p.starts_with(&dir)
    })
}

/// One rule whose result changed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RuleChange {
    /// `new_failures`, `fixed` or `changed` (as `vigil history diff` sorts them).
    pub class: &'static str,
    pub id: String,
    pub title: Option<String>,
    pub severity: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    /// Paths its items named, before and after.
    pub paths: BTreeSet<String>,
}

/// The rule results that changed from `before` to `after`.
pub(crate) fn changed(before: &ScanResults, after: &ScanResults) -> Vec<RuleChange> {
    let doc = |r: &ScanResults| json!({"rules": r.rules});
    let (a, b) = (doc(before), doc(after));
    let d = diff::diff(&a, &b);
    let views = diff::rules_of(&b);
    let mut paths = paths_read(before);
    for (id, p) in paths_read(after) {
        paths.entry(id).or_default().extend(p);
    }
    let mut out = Vec::new();
    for (class, list) in [
        ("new_failures", &d.new_failures),
        ("fixed", &d.fixed),
        ("changed", &d.changed),
    ] {
        for c in list {
            out.push(RuleChange {
                class,
                id: c.id.clone(),
                title: c.title.clone(),
                severity: views.get(&c.id).and_then(|v| v.severity.clone()),
                before: c.before.clone(),
                after: c.after.clone(),
                paths: paths.remove(&c.id).unwrap_or_default(),
            });
        }
    }
    out
}

/// The `rules` member of the event about `path`: the rule changes tied to it
/// (`"via": "path"`), and those tied to no path of the batch (`"via": "batch"`), by
/// class.
pub(crate) fn for_event(changes: &[RuleChange], path: &str, batch_paths: &[String]) -> Value {
    let mut out = json!({"new_failures": [], "fixed": [], "changed": []});
    for c in changes {
        let via = if reads(&c.paths, path) {
            "path"
        } else if batch_paths.iter().any(|p| reads(&c.paths, p)) {
            continue;
        } else {
            "batch"
        };
        out[c.class].as_array_mut().expect("array").push(json!({
            "id": c.id,
            "title": c.title,
            "severity": c.severity,
            "before": c.before,
            "after": c.after,
            "via": via,
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(v: &[&str]) -> BTreeSet<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_rule_reads_a_path_itself_its_directory_or_below_it() {
        let p = set(&["/etc/kms/keys/a.pem", "/var/log/audit"]);
        assert!(reads(&p, "/etc/kms/keys/a.pem"));
        assert!(reads(&p, "/etc/kms/keys"), "the directory of a file read");
        assert!(
            reads(&p, "/var/log/audit/audit.log"),
            "a file in a directory read"
        );
        assert!(!reads(&p, "/etc/kms/keys/a.pem.bak"));
        assert!(!reads(&p, "/etc/kms/key"));
    }

    #[test]
    fn rule_changes_go_to_the_path_they_read_or_else_to_the_whole_batch() {
        let c = |id: &str, paths: &[&str]| RuleChange {
            class: "new_failures",
            id: id.into(),
            title: None,
            severity: Some("high".into()),
            before: Some("pass".into()),
            after: Some("fail".into()),
            paths: set(paths),
        };
        let changes = [
            c("mode", &["/k/a.pem"]),
            c("other", &["/x"]),
            c("b", &["/k/b.pem"]),
        ];
        let batch = ["/k/a.pem".to_string(), "/k/b.pem".to_string()];
        let ev = for_event(&changes, "/k/a.pem", &batch);
        let ids: Vec<(&str, &str)> = ev["new_failures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["id"].as_str().unwrap(), r["via"].as_str().unwrap()))
            .collect();
        assert_eq!(ids, [("mode", "path"), ("other", "batch")]);
    }
}
