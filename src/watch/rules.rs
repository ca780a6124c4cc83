//! Which rules a batch of changes can affect, which of their results changed, and
//! which changed path each change belongs to.
//!
//! Only the rules that may read a changed path are evaluated again ([`scope`]): those
//! whose OVAL objects' items, or the path values their variables resolved to, name the
//! path, the directory holding it or a file below it (the last evaluation says so,
//! [`reads_of`]); and, when a rule's items do not tell all it reads (an object capped,
//! or one that found nothing) or no rule names the path (a new file), those whose
//! object kinds read the policy's paths of the changed path's role ([`KIND_ROLES`]).
//! The whole selection is evaluated again, with the reason in the event, when an
//! affected rule has XCCDF `requires`/`conflicts`, when there is no earlier evaluation,
//! or when events were lost. Results are compared with the previous evaluation through
//! the history's own comparison ([`crate::history::diff`]); a changed rule that names
//! no path of the batch is reported with every change of the batch (`"via": "batch"`).

use std::collections::{BTreeSet, HashMap};

use serde_json::{Value, json};
use vigil_core::engine::oval::eval::CriteriaOutcome;
use vigil_core::engine::probe::ItemField;
use vigil_core::model::ScanResults;

use crate::history::diff;

/// What one rule was seen to read in an evaluation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RuleReads {
    /// The absolute paths its objects' items (and their resolved variables) name.
    pub paths: BTreeSet<String>,
    /// Whether `paths` is all of it: no object's items were capped, and every object
    /// collected at least one item (an object that found nothing names no path, yet
    /// reads one).
    pub complete: bool,
    /// The kinds of its objects (`key_object`, `file_object`, ...).
    pub kinds: BTreeSet<String>,
}

/// For each rule, the absolute paths its objects' items (and their resolved variables)
/// name.
pub(crate) fn paths_read(r: &ScanResults) -> HashMap<String, BTreeSet<String>> {
    reads_of(r)
        .into_iter()
        .map(|(id, r)| (id, r.paths))
        .collect()
}

/// For each rule, what it read ([`RuleReads`]).
pub(crate) fn reads_of(r: &ScanResults) -> HashMap<String, RuleReads> {
    let defs: HashMap<&str, &vigil_core::model::DefinitionResult> =
        r.definitions.iter().map(|d| (d.id.as_str(), d)).collect();
    let tests: HashMap<&str, &vigil_core::model::TestResult> =
        r.tests.iter().map(|t| (t.id.as_str(), t)).collect();
    let objects: HashMap<&str, &vigil_core::model::ObjectResult> =
        r.objects.iter().map(|o| (o.id.as_str(), o)).collect();
    let mut out = HashMap::new();
    for rule in &r.rules {
        let mut paths = BTreeSet::new();
        let mut capped = false;
        let mut kinds = BTreeSet::new();
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
                            capped |= o.item_count > o.items.len() || o.items.is_empty();
                            kinds.insert(o.kind.clone());
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
        let complete = !capped;
        out.insert(
            rule.id.clone(),
            RuleReads {
                paths,
                complete,
                kinds,
            },
        );
    }
    out
}

/// Which rules a batch is evaluated with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scope {
    /// These rules (full ids, in the last evaluation's order; possibly none): those
    /// that may read a changed path.
    Affected(Vec<String>),
    /// The whole selection, and why.
    All(String),
}

/// The target roles ([`super::targets::Target::role`]) whose paths an object kind of
/// the bundled benchmark reads from the site policy, whatever its items name: a walker
/// such as `undeclared_private_key_object` finds nothing until a new key appears in a
/// key directory, and then it is the one rule that must see it. Kinds not listed (the
/// standard OVAL objects, and key-management objects over files the policy does not
/// name: sudoers, audit rules, forwarders, accounts) read only what their items and
/// variables name, or anything under a `--path` the user added.
const KIND_ROLES: &[(&str, &[&str])] = &[
    ("key_object", &["key", "certificate", "key_directory"]),
    (
        "certificate_object",
        &["key", "certificate", "key_directory"],
    ),
    (
        "private_key_file_object",
        &["key", "certificate", "key_directory"],
    ),
    (
        "undeclared_private_key_object",
        &["key", "certificate", "key_directory"],
    ),
    (
        "key_access_object",
        &["key", "certificate", "key_directory"],
    ),
    ("audit_log_object", &["audit_log"]),
    ("audit_event_object", &["audit_log"]),
    ("log_secret_object", &["audit_log"]),
    ("key_lifecycle_object", &["audit_log"]),
    ("cloudtrail_digest_object", &["audit_log"]),
    ("cloudtrail_log_file_object", &["audit_log"]),
    ("vault_audit_devices_object", &["audit_log", "kms_config"]),
    ("siem_forwarding_object", &["audit_log", "kms_config"]),
    ("vault_hardening_object", &["audit_log", "kms_config"]),
    ("aws_key_policy_object", &["kms_config"]),
    ("role_conflict_object", &["kms_config"]),
    ("software_version_object", &["kms_config"]),
    ("integrity_object", &["integrity"]),
    ("package_files_object", &["integrity"]),
];

/// Whether an object of `kind` may read paths watched as `role` beyond what its
/// items name ([`KIND_ROLES`]).
pub(crate) fn kind_reads(kind: &str, role: &str) -> bool {
    match KIND_ROLES.iter().find(|(k, _)| *k == kind) {
        Some((_, roles)) => roles.contains(&role),
        None => role == "path",
    }
}

/// The rules to evaluate again after `changed` (host path, target role) changed, from
/// what each selected rule read in the last evaluation `last`. A rule is affected by a
/// changed path when its items or variables name it ([`reads`]), or, when its reads
/// are not all known (an object capped or with no item) or no rule names the path at
/// all (a new file), when one of its object kinds reads paths of that role
/// ([`kind_reads`]). `bench` says which rules have `requires`/`conflicts`: with one of
/// those affected, the whole selection is evaluated (a smaller one would change
/// whether it is processed).
pub(crate) fn scope(
    last: &ScanResults,
    bench: Option<&vigil_core::content::xccdf::Benchmark>,
    changed: &[(String, &str)],
) -> Scope {
    let reads = reads_of(last);
    // Rules outside the selection are in the results as `notselected`; they are not
    // evaluated, and do not count.
    let selected: Vec<(&str, &RuleReads)> = last
        .rules
        .iter()
        .filter(|r| r.result != vigil_core::engine::xccdf::RuleOutcome::NotSelected)
        .filter_map(|r| reads.get(&r.id).map(|x| (r.id.as_str(), x)))
        .collect();
    let named: Vec<bool> = changed
        .iter()
        .map(|(p, _)| selected.iter().any(|(_, r)| self::reads(&r.paths, p)))
        .collect();
    let ids: Vec<String> = selected
        .iter()
        .filter(|(_, r)| {
            changed.iter().zip(&named).any(|((p, role), named)| {
                self::reads(&r.paths, p)
                    || ((!r.complete || !named) && r.kinds.iter().any(|k| kind_reads(k, role)))
            })
        })
        .map(|(id, _)| id.to_string())
        .collect();
    if let Some(b) = bench
        && let Some(id) = ids.iter().find(|id| {
            b.rules
                .get(*id)
                .is_some_and(|r| !r.requires.is_empty() || !r.conflicts.is_empty())
        })
    {
        return Scope::All(format!(
            "{id} has XCCDF requires/conflicts, which depend on the whole selection"
        ));
    }
    if !ids.is_empty() && ids.len() == selected.len() {
        return Scope::All("every selected rule may read a changed path".into());
    }
    Scope::Affected(ids)
}

/// `last` with the results of a partial evaluation `partial` of the rules `ids` put
/// in: those rules' results replace theirs (in place; the partial evaluation reports
/// every other rule `notselected`, which must not replace the last real result), and
/// its definitions, tests, objects and states replace those of the same id (or are
/// added), so [`reads_of`] stays right for every rule. The summary and scan
/// information stay those of the last whole evaluation: only rule results are compared.
pub(crate) fn merge(last: &mut ScanResults, partial: ScanResults, ids: &[String]) {
    fn put<T>(old: &mut Vec<T>, new: Vec<T>, id: impl Fn(&T) -> &str) {
        let at: HashMap<String, usize> = old
            .iter()
            .enumerate()
            .map(|(i, x)| (id(x).to_string(), i))
            .collect();
        for x in new {
            match at.get(id(&x)) {
                Some(&i) => old[i] = x,
                None => old.push(x),
            }
        }
    }
    let ids: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
    let rules = partial
        .rules
        .into_iter()
        .filter(|r| ids.contains(r.id.as_str()))
        .collect();
    put(&mut last.rules, rules, |r| &r.id);
    put(&mut last.definitions, partial.definitions, |d| &d.id);
    put(&mut last.tests, partial.tests, |t| &t.id);
    put(&mut last.objects, partial.objects, |o| &o.id);
    put(&mut last.states, partial.states, |s| &s.id);
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
    fn every_kind_of_the_role_table_is_an_object_of_the_bundled_benchmark() {
        let oval = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/content/ccm-log11/vigil-ccm-log11-oval.xml"
        ))
        .unwrap();
        for (kind, roles) in KIND_ROLES {
            assert!(oval.contains(&format!(":{kind} ")), "{kind}");
            assert!(roles.iter().all(|r| kind_reads(kind, r)));
            assert!(!kind_reads(kind, "path"), "{kind}");
        }
        // Any other kind reads only what its items name, or a user's --path.
        assert!(kind_reads("textfilecontent54_object", "path"));
        assert!(!kind_reads("textfilecontent54_object", "key_directory"));
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
