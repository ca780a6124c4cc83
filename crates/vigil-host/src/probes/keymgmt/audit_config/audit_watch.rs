//! `audit_watch_object` (entity `target` = keys | kms_config): one item per declared
//! key file, key directory or integrity-monitored path, `watched` when an auditd rule
//! (auditctl(8): `-w`, or `-F path=` / `-F dir=` on an exit rule) covers it with the
//! permissions needed (read and write for keys, write for configuration).

use super::{dir_files, read_text};
use crate::probes::keymgmt::{bool_str, not_declared, policy, selects};
use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};

/// One auditd rule that watches a path: (path, perms, is_dir, source).
#[derive(Debug, Clone, PartialEq)]
pub struct Watch {
    /// Watched path, absolute, without a trailing `/`.
    pub path: String,
    /// r, w, x, a; all four when the rule gives none.
    pub perms: String,
    /// Covers everything below `path`.
    pub recursive: bool,
    /// Where the rule is, `FILE:LINE: RULE`, for evidence.
    pub source: String,
}

/// The watches of auditd rule files, given as (file name, text) pairs: `-w PATH` rules
/// and `-a`/`-A` rules with `-F path=` or `-F dir=`; comments and other rules ignored.
pub fn parse_audit_rules(files: &[(String, String)]) -> Vec<Watch> {
    let mut out = Vec::new();
    for (file, text) in files {
        for (n, line) in text.lines().enumerate() {
            let t = line.split('#').next().unwrap_or("").trim();
            let words: Vec<&str> = t.split_whitespace().collect();
            let arg = |flag: &str| {
                words
                    .iter()
                    .position(|w| *w == flag)
                    .and_then(|i| words.get(i + 1))
                    .copied()
            };
            let src = format!("{file}:{}: {t}", n + 1);
            if let Some(p) = arg("-w") {
                out.push(Watch {
                    path: p.trim_end_matches('/').to_string(),
                    perms: arg("-p").unwrap_or("rwxa").to_string(),
                    recursive: true,
                    source: src,
                });
            } else if words.first() == Some(&"-a") || words.first() == Some(&"-A") {
                let fields: Vec<&str> = words
                    .windows(2)
                    .filter(|w| w[0] == "-F")
                    .map(|w| w[1])
                    .collect();
                let perm = fields
                    .iter()
                    .find_map(|f| f.strip_prefix("perm="))
                    .unwrap_or("rwxa");
                for f in &fields {
                    if let Some(p) = f.strip_prefix("path=") {
                        out.push(Watch {
                            path: p.to_string(),
                            perms: perm.into(),
                            recursive: false,
                            source: src.clone(),
                        });
                    } else if let Some(d) = f.strip_prefix("dir=") {
                        out.push(Watch {
                            path: d.trim_end_matches('/').to_string(),
                            perms: perm.into(),
                            recursive: true,
                            source: src.clone(),
                        });
                    }
                }
            }
        }
    }
    out
}

/// The probe of `audit_watch_object` (vigil family): whether auditd watches the declared
/// key files, key directories and KMS configuration.
pub struct AuditWatchProbe;

impl Probe<Context> for AuditWatchProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["audit_watch_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let pol = policy(ctx);
        let mut names = vec!["/etc/audit/audit.rules".to_string()];
        names.extend(dir_files(ctx, "/etc/audit/rules.d", ".rules"));
        let files: Vec<(String, String)> = names
            .into_iter()
            .filter_map(|n| read_text(ctx, &n).map(|t| (n, t)))
            .collect();
        let watches = parse_audit_rules(&files);
        let mut targets: Vec<(&str, &str, &str)> = Vec::new();
        for k in pol
            .keys
            .iter()
            .filter(|k| k.state == crate::policy::KeyState::Active)
        {
            if let Some(p) = &k.path {
                targets.push(("keys", p, "rw"));
            }
        }
        // Discovery searches whole configuration trees (/etc/ssh); only the key files
        // it found there need watching.
        if !pol.discovered {
            for d in &pol.key_directories {
                targets.push(("keys", d, "rw"));
            }
        }
        if let Some(i) = &pol.integrity {
            for p in &i.paths {
                targets.push(("kms_config", p, "w"));
            }
        }
        let mut items = ctx.sink(ctx.deadline());
        for (target, path, need) in targets {
            match selects(query, "target", target) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(c) => return c,
            }
            let path_t = path.trim_end_matches('/');
            let covering = watches.iter().find(|w| {
                let covers_path = w.path == path_t
                    || (w.recursive && path_t.starts_with(&format!("{}/", w.path)));
                covers_path && need.chars().all(|c| w.perms.contains(c))
            });
            let mut item = Item::new()
                .field("target", target)
                .field("path", path)
                .field("required_perms", need)
                .field("watched", bool_str(covering.is_some()));
            match covering {
                Some(w) => {
                    item.push("perms", w.perms.as_str());
                    item.push("rule", w.source.as_str());
                }
                None => {
                    // The nearest rule that watches the path without enough permissions.
                    if let Some(w) = watches.iter().find(|w| {
                        w.path == path_t
                            || (w.recursive && path_t.starts_with(&format!("{}/", w.path)))
                    }) {
                        item.push("perms", w.perms.as_str());
                        item.push("rule", w.source.as_str());
                    }
                }
            }
            let _ = items.push(item);
        }
        if items.is_empty() {
            return not_declared(
                ctx,
                if query.selects("target", "kms_config").unwrap_or(false) {
                    "[integrity] paths (the KMS configuration to watch)"
                } else {
                    "active [[keys]] entry with a path"
                },
            );
        }
        items.into_collected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_rule_forms() {
        let files = vec![(
            "/etc/audit/rules.d/kms.rules".to_string(),
            "-w /etc/kms/keys/ -p rwa -k kms-keys\n-a always,exit -F arch=b64 -F path=/etc/vault.d/vault.hcl -F perm=wa -k kms-conf\n-a always,exit -F dir=/opt/kms-agent -F perm=w\n".to_string(),
        )];
        let w = parse_audit_rules(&files);
        assert_eq!(w.len(), 3);
        assert_eq!(
            (w[0].path.as_str(), w[0].perms.as_str(), w[0].recursive),
            ("/etc/kms/keys", "rwa", true)
        );
        assert_eq!(
            (w[1].path.as_str(), w[1].recursive),
            ("/etc/vault.d/vault.hcl", false)
        );
        assert_eq!(w[2].path, "/opt/kms-agent");
    }
}
