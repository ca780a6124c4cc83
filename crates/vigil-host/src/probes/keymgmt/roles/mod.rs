//! Role membership and separation of duties (NIST SP 800-130 FR:5.3, FR:5.4; CCM
//! IAM-09, IAM-12, CEK-14):
//!
//! - `role_object` (entities `role`, `role_kind`, `identity_type`): one item per
//!   (identity, role), Unix groups expanded through /etc/group and primary groups.
//! - `role_conflict_object`: one item per identity found in two roles the policy keeps
//!   separate.
//! - `sudoers_object` (entity `identity`): sudo grants held by role members, from
//!   /etc/sudoers and its include files, each with whether it breaks a separation.
//! - `aws_key_policy_object` (entity `key_id`): one item per principal of an AWS KMS
//!   key-policy document, with the administrative and use actions it is allowed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{bool_str, policy, selects};
use crate::host::accounts::{Accounts, Via};
use crate::policy::{Policy, RoleKind};
use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};

/// One (identity, role) membership.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub role: String,
    pub kind: RoleKind,
    pub identity: String,
    /// unix_user, unix_group, vault_policy, aws_principal.
    pub identity_type: &'static str,
    /// `direct`, `group:NAME` or `primary group:NAME`.
    pub via: String,
    /// Whether a Unix user or group exists on the host (others cannot be checked).
    pub exists: Option<bool>,
}

/// Every membership the policy declares, Unix groups expanded.
pub fn members(pol: &Policy, acc: &Accounts) -> Vec<Member> {
    let mut out = Vec::new();
    for r in &pol.roles {
        let m = |identity: &str, t: &'static str, via: String, exists: Option<bool>| Member {
            role: r.name.clone(),
            kind: r.kind,
            identity: identity.to_string(),
            identity_type: t,
            via,
            exists,
        };
        for u in &r.unix_users {
            out.push(m(
                u,
                "unix_user",
                "direct".into(),
                Some(acc.user(u).is_some()),
            ));
        }
        for g in &r.unix_groups {
            let group = acc.group(g);
            out.push(m(g, "unix_group", "direct".into(), Some(group.is_some())));
            if let Some(group) = group {
                for (user, via) in acc.members(group) {
                    let via = match via {
                        Via::Primary => format!("primary group:{g}"),
                        Via::Member => format!("group:{g}"),
                    };
                    if !out.iter().any(|x: &Member| {
                        x.role == r.name && x.identity == user && x.identity_type == "unix_user"
                    }) {
                        out.push(m(&user, "unix_user", via, Some(acc.user(&user).is_some())));
                    }
                }
            }
        }
        for v in &r.vault_policies {
            out.push(m(v, "vault_policy", "direct".into(), None));
        }
        for a in &r.aws_principals {
            out.push(m(a, "aws_principal", "direct".into(), None));
        }
    }
    out
}

fn read_accounts(ctx: &Context) -> Result<Accounts, Collected> {
    Accounts::read(&ctx.host).map_err(|e| Collected::error(format!("cannot read accounts: {e}")))
}

/// `role_object`.
pub struct RoleProbe;

impl Probe<Context> for RoleProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["role_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let pol = match policy(ctx) {
            Ok(p) => p,
            Err(c) => return c,
        };
        let acc = match read_accounts(ctx) {
            Ok(a) => a,
            Err(c) => return c,
        };
        let mut items = ctx.sink(ctx.deadline());
        for m in members(pol, &acc) {
            let sel = (|| {
                Ok::<_, Collected>(
                    selects(query, "role", &m.role)?
                        && selects(query, "role_kind", m.kind.as_str())?
                        && selects(query, "identity_type", m.identity_type)?,
                )
            })();
            match sel {
                Ok(true) => {}
                Ok(false) => continue,
                Err(c) => return c,
            }
            let mut item = Item::new()
                .field("role", m.role.as_str())
                .field("role_kind", m.kind.as_str())
                .field("identity", m.identity.as_str())
                .field("identity_type", m.identity_type)
                .field("via", m.via.as_str());
            match m.exists {
                Some(e) => item.push("exists", bool_str(e)),
                None => item.push_absent("exists"),
            }
            let _ = items.push(item);
        }
        items.into_collected()
    }
}

/// `role_conflict_object`.
pub struct RoleConflictProbe;

impl Probe<Context> for RoleConflictProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["role_conflict_object"]
    }

    fn collect(&self, _query: &ObjectQuery, ctx: &Context) -> Collected {
        let pol = match policy(ctx) {
            Ok(p) => p,
            Err(c) => return c,
        };
        let acc = match read_accounts(ctx) {
            Ok(a) => a,
            Err(c) => return c,
        };
        let all = members(pol, &acc);
        let mut items = ctx.sink(ctx.deadline());
        let mut seen = std::collections::BTreeSet::new();
        for sep in &pol.separation {
            for (i, a) in sep.roles.iter().enumerate() {
                for b in &sep.roles[i + 1..] {
                    for ma in all
                        .iter()
                        .filter(|m| &m.role == a && m.identity_type != "unix_group")
                    {
                        for mb in all.iter().filter(|m| {
                            &m.role == b
                                && m.identity_type == ma.identity_type
                                && m.identity == ma.identity
                        }) {
                            if !seen.insert((ma.identity.clone(), a.clone(), b.clone())) {
                                continue;
                            }
                            let _ = items.push(
                                Item::new()
                                    .field("identity", ma.identity.as_str())
                                    .field("identity_type", ma.identity_type)
                                    .field("role_a", a.as_str())
                                    .field("via_a", ma.via.as_str())
                                    .field("role_b", b.as_str())
                                    .field("via_b", mb.via.as_str())
                                    .field("reason", sep.reason.as_str()),
                            );
                        }
                    }
                }
            }
        }
        items.into_collected()
    }
}

// ---- sudoers ----

/// One `user host = (runas) command` grant.
#[derive(Debug, Clone, PartialEq)]
pub struct SudoGrant {
    pub users: Vec<String>,
    pub runas: Vec<String>,
    pub command: String,
    pub nopasswd: bool,
    pub source: String,
}

/// Parses sudoers text (sudoers(5)): aliases expanded, continuation lines joined,
/// `Defaults` ignored. Include directives are returned for the caller to follow.
pub fn parse_sudoers(text: &str, file: &str) -> (Vec<SudoGrant>, Vec<String>) {
    let mut grants = Vec::new();
    let mut includes = Vec::new();
    let mut aliases: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let mut logical = Vec::new();
    let mut buf = String::new();
    let mut start = 0;
    for (n, line) in text.lines().enumerate() {
        if buf.is_empty() {
            start = n + 1;
        }
        if let Some(l) = line.strip_suffix('\\') {
            buf.push_str(l);
            buf.push(' ');
            continue;
        }
        buf.push_str(line);
        logical.push((start, std::mem::take(&mut buf)));
    }
    for (lineno, line) in logical {
        let t = line.trim();
        for d in ["#includedir", "@includedir", "#include", "@include"] {
            if let Some(rest) = t.strip_prefix(d)
                && rest.starts_with([' ', '\t'])
            {
                let target = rest.trim().to_string();
                includes.push(if d.ends_with("dir") {
                    format!("dir:{target}")
                } else {
                    target
                });
            }
        }
        let t = match t.find('#') {
            Some(i) => t[..i].trim(),
            None => t,
        };
        if t.is_empty() || t.starts_with("Defaults") {
            continue;
        }
        let first = t.split_whitespace().next().unwrap_or("");
        if matches!(
            first,
            "User_Alias" | "Runas_Alias" | "Cmnd_Alias" | "Cmd_Alias" | "Host_Alias"
        ) {
            let kind = first.trim_start_matches("Cmd_").to_string();
            for def in t[first.len()..].split(':') {
                if let Some((name, vals)) = def.split_once('=') {
                    let vals = vals
                        .split(',')
                        .map(|v| v.trim().to_string())
                        .filter(|v| !v.is_empty())
                        .collect();
                    aliases.insert((kind.clone(), name.trim().to_string()), vals);
                }
            }
            continue;
        }
        let Some((lhs, rhs)) = t.split_once('=') else {
            continue;
        };
        let mut lhs_parts = lhs.split_whitespace();
        let users_s = lhs_parts.next().unwrap_or("");
        let expand = |kind: &str, list: &str| -> Vec<String> {
            list.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .flat_map(|s| {
                    aliases
                        .get(&(kind.to_string(), s.to_string()))
                        .cloned()
                        .unwrap_or_else(|| vec![s.to_string()])
                })
                .collect()
        };
        let users = expand("User_Alias", users_s);
        // Commands: split at top-level commas; a (runas) spec carries forward.
        let mut runas = vec!["root".to_string()];
        let mut nopasswd = false;
        let mut depth = 0;
        let mut parts = Vec::new();
        let mut cur = String::new();
        for c in rhs.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(std::mem::take(&mut cur));
                    continue;
                }
                _ => {}
            }
            cur.push(c);
        }
        parts.push(cur);
        for part in parts {
            let mut p = part.trim();
            if let Some(rest) = p.strip_prefix('(')
                && let Some(end) = rest.find(')')
            {
                let spec = &rest[..end];
                let user_part = spec.split(':').next().unwrap_or("").trim();
                runas = if user_part.is_empty() {
                    vec!["root".into()]
                } else {
                    expand("Runas_Alias", user_part)
                };
                p = rest[end + 1..].trim();
            }
            loop {
                let tag = [
                    "NOPASSWD:",
                    "PASSWD:",
                    "SETENV:",
                    "NOSETENV:",
                    "NOEXEC:",
                    "EXEC:",
                    "LOG_INPUT:",
                    "NOLOG_INPUT:",
                    "LOG_OUTPUT:",
                    "NOLOG_OUTPUT:",
                    "MAIL:",
                    "NOMAIL:",
                    "FOLLOW:",
                    "NOFOLLOW:",
                    "INTERCEPT:",
                    "NOINTERCEPT:",
                ]
                .into_iter()
                .find(|t| p.starts_with(t));
                let Some(tag) = tag else { break };
                if tag == "NOPASSWD:" {
                    nopasswd = true;
                } else if tag == "PASSWD:" {
                    nopasswd = false;
                }
                p = p[tag.len()..].trim_start();
            }
            for cmd in expand("Cmnd_Alias", p) {
                grants.push(SudoGrant {
                    users: users.clone(),
                    runas: runas.clone(),
                    command: cmd,
                    nopasswd,
                    source: format!("{file}:{lineno}"),
                });
            }
        }
    }
    (grants, includes)
}

/// Reads /etc/sudoers and the files it includes (sudo's rules for include directories:
/// names ending in `~` or containing `.` are skipped).
pub fn read_sudoers(ctx: &Context) -> Result<Vec<SudoGrant>, String> {
    let mut grants = Vec::new();
    let mut queue = vec![PathBuf::from("/etc/sudoers")];
    let mut done = std::collections::BTreeSet::new();
    while let Some(p) = queue.pop() {
        if !done.insert(p.clone()) || done.len() > 256 {
            continue;
        }
        let data = match ctx.host.read_file(&p, 16 * 1024 * 1024) {
            Ok(Some(d)) => d,
            Ok(None) => continue,
            Err(e) => return Err(format!("{}: {e}", p.display())),
        };
        let (g, includes) = parse_sudoers(&String::from_utf8_lossy(&data), &p.to_string_lossy());
        grants.extend(g);
        for inc in includes {
            if let Some(dir) = inc.strip_prefix("dir:") {
                let dir = Path::new(dir);
                if let Ok(Some(f)) = ctx.host.resolve(dir)
                    && let Ok(names) = f.list_dir()
                {
                    for n in names.into_iter().rev() {
                        let s = n.to_string_lossy();
                        if !s.ends_with('~') && !s.contains('.') {
                            queue.push(dir.join(&*s));
                        }
                    }
                }
            } else {
                let path = if inc.starts_with('/') {
                    PathBuf::from(inc)
                } else {
                    p.parent().unwrap_or(Path::new("/etc")).join(inc)
                };
                queue.push(path);
            }
        }
    }
    Ok(grants)
}

fn sudo_user_matches(entry: &str, user: &str, acc: &Accounts) -> bool {
    if entry == "ALL" || entry == user {
        return true;
    }
    let Some(u) = acc.user(user) else {
        return false;
    };
    if let Some(uid) = entry.strip_prefix('#') {
        return uid.parse() == Ok(u.uid);
    }
    if let Some(g) = entry.strip_prefix('%') {
        let gid = match g.strip_prefix('#') {
            Some(n) => n.parse().ok(),
            None => acc.gid_of(g),
        };
        return gid.is_some_and(|gid| acc.gids_of(u).contains(&gid));
    }
    false
}

const SHELLS: &[&str] = &[
    "sh", "bash", "dash", "zsh", "ksh", "csh", "tcsh", "fish", "su", "sudo", "sudoedit", "vi",
    "vim", "nano", "ed", "env", "python3", "perl", "tee", "cp", "mv", "dd", "chmod", "chown",
    "setfacl",
];

/// `sudoers_object`.
pub struct SudoersProbe;

impl Probe<Context> for SudoersProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["sudoers_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let pol = match policy(ctx) {
            Ok(p) => p,
            Err(c) => return c,
        };
        let acc = match read_accounts(ctx) {
            Ok(a) => a,
            Err(c) => return c,
        };
        let grants = match read_sudoers(ctx) {
            Ok(g) => g,
            Err(e) => return Collected::error(e),
        };
        let all = members(pol, &acc);
        let mut items = ctx.sink(ctx.deadline());
        for m in all.iter().filter(|m| m.identity_type == "unix_user") {
            match selects(query, "identity", &m.identity) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(c) => return c,
            }
            // Roles this member must stay apart from.
            let separated: Vec<&str> = pol
                .separation
                .iter()
                .filter(|s| s.roles.contains(&m.role))
                .flat_map(|s| s.roles.iter().filter(|r| **r != m.role).map(String::as_str))
                .collect();
            for g in &grants {
                let Some(via) = g
                    .users
                    .iter()
                    .find(|e| sudo_user_matches(e, &m.identity, &acc))
                else {
                    continue;
                };
                let cmd_name = g.command.split_whitespace().next().unwrap_or("");
                let base = cmd_name.rsplit('/').next().unwrap_or(cmd_name);
                let as_root = g
                    .runas
                    .iter()
                    .any(|r| r == "ALL" || r == "root" || r == "#0");
                let full = g.command == "ALL" || SHELLS.contains(&base);
                let mut reason = String::new();
                if as_root && full && !separated.is_empty() {
                    reason = format!(
                        "runs {} as root: bypasses the separation from {}",
                        g.command,
                        separated.join(", ")
                    );
                } else if let Some(other) = all.iter().find(|o| {
                    separated.contains(&o.role.as_str())
                        && o.identity_type == "unix_user"
                        && g.runas.iter().any(|r| r == &o.identity || r == "ALL")
                }) {
                    reason = format!(
                        "runs commands as {} (role {}), which must stay separate from role {}",
                        if g.runas.iter().any(|r| r == "ALL") {
                            "ALL"
                        } else {
                            &other.identity
                        },
                        other.role,
                        m.role
                    );
                }
                let mut item = Item::new()
                    .field("identity", m.identity.as_str())
                    .field("role", m.role.as_str())
                    .field("granted_to", via.as_str())
                    .field("runas", g.runas.join(","))
                    .field("command", g.command.as_str())
                    .field("nopasswd", bool_str(g.nopasswd))
                    .field("source", g.source.as_str())
                    .field("breaks_separation", bool_str(!reason.is_empty()));
                if !reason.is_empty() {
                    item.push("reason", reason);
                }
                let _ = items.push(item);
            }
        }
        items.into_collected()
    }
}

// ---- AWS key policies ----

const USE_ACTIONS: &[&str] = &[
    "Encrypt",
    "Decrypt",
    "ReEncryptFrom",
    "ReEncryptTo",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateMac",
    "VerifyMac",
    "Sign",
    "Verify",
    "DeriveSharedSecret",
];
const ADMIN_ACTIONS: &[&str] = &[
    "CreateAlias",
    "CreateGrant",
    "DeleteAlias",
    "DeleteImportedKeyMaterial",
    "DisableKey",
    "DisableKeyRotation",
    "EnableKey",
    "EnableKeyRotation",
    "ImportKeyMaterial",
    "PutKeyPolicy",
    "RetireGrant",
    "RevokeGrant",
    "RotateKeyOnDemand",
    "ScheduleKeyDeletion",
    "CancelKeyDeletion",
    "TagResource",
    "UntagResource",
    "UpdateAlias",
    "UpdateKeyDescription",
    "UpdatePrimaryRegion",
    "ReplicateKey",
];

/// IAM action glob (`*`, `?`), case-insensitive as IAM compares actions.
fn glob(pattern: &str, s: &str) -> bool {
    super::wildcard_match(&pattern.to_ascii_lowercase(), &s.to_ascii_lowercase())
}

fn strings(v: Option<&serde_json::Value>) -> Vec<String> {
    match v {
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    }
}

/// Allowed actions per principal in a key-policy document.
pub fn key_policy_grants(doc: &serde_json::Value) -> Result<BTreeMap<String, Vec<String>>, String> {
    let stmts = match doc.get("Statement") {
        Some(serde_json::Value::Array(a)) => a.clone(),
        Some(o @ serde_json::Value::Object(_)) => vec![o.clone()],
        _ => return Err("no Statement in the key policy".into()),
    };
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for s in &stmts {
        if s.get("Effect").and_then(|e| e.as_str()) != Some("Allow") {
            continue;
        }
        let principals = match s.get("Principal") {
            Some(serde_json::Value::String(p)) => vec![p.clone()],
            Some(serde_json::Value::Object(o)) => o
                .iter()
                .filter(|(k, _)| k.as_str() == "AWS")
                .flat_map(|(_, v)| strings(Some(v)))
                .collect(),
            _ => Vec::new(),
        };
        // NotAction with Allow grants everything not listed: counted as every action.
        let actions = if s.get("NotAction").is_some() {
            vec!["kms:*".to_string()]
        } else {
            strings(s.get("Action"))
        };
        for p in principals {
            out.entry(p).or_default().extend(actions.iter().cloned());
        }
    }
    Ok(out)
}

/// `aws_key_policy_object`.
pub struct AwsKeyPolicyProbe;

impl Probe<Context> for AwsKeyPolicyProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["aws_key_policy_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let pol = match policy(ctx) {
            Ok(p) => p,
            Err(c) => return c,
        };
        let mut items = ctx.sink(ctx.deadline());
        let mut messages = Vec::new();
        for kp in &pol.aws_key_policies {
            match selects(query, "key_id", &kp.key_id) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(c) => return c,
            }
            let data = match ctx.host.read_file(Path::new(&kp.path), ctx.max_file_size) {
                Ok(Some(d)) => d,
                Ok(None) => {
                    messages.push(format!("{}: key policy document not found", kp.path));
                    let _ = items.push(
                        Item::new()
                            .field("key_id", kp.key_id.as_str())
                            .field("path", kp.path.as_str())
                            .field("document_present", "false"),
                    );
                    continue;
                }
                Err(e) => return Collected::error(format!("{}: {e}", kp.path)),
            };
            let grants = match serde_json::from_slice(&data)
                .map_err(|e| e.to_string())
                .and_then(|d| key_policy_grants(&d))
            {
                Ok(g) => g,
                Err(e) => return Collected::error(format!("{}: {e}", kp.path)),
            };
            for (principal, actions) in grants {
                let matched = |list: &[&str]| -> Vec<String> {
                    list.iter()
                        .filter(|a| {
                            actions
                                .iter()
                                .any(|p| p == "*" || glob(p, &format!("kms:{a}")))
                        })
                        .map(|a| format!("kms:{a}"))
                        .collect()
                };
                let (admin, uses) = (matched(ADMIN_ACTIONS), matched(USE_ACTIONS));
                let mut item = Item::new()
                    .field("key_id", kp.key_id.as_str())
                    .field("path", kp.path.as_str())
                    .field("document_present", "true")
                    .field("principal", principal.as_str());
                for a in &actions {
                    item.push("action", a.as_str());
                }
                item.push("administers", bool_str(!admin.is_empty()));
                item.push("uses", bool_str(!uses.is_empty()));
                item.push(
                    "admin_and_use",
                    bool_str(!admin.is_empty() && !uses.is_empty()),
                );
                if let (Some(a), Some(u)) = (admin.first(), uses.first()) {
                    item.push("evidence", format!("{principal} is allowed {a} and {u}"));
                }
                let _ = items.push(item);
            }
        }
        super::collected(items, messages)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sudoers_grammar() {
        let text = "Defaults env_reset\nUser_Alias AUD = bob, %auditors\nCmnd_Alias LOGS = /usr/bin/less /var/log/audit/audit.log, /usr/sbin/ausearch\nAUD ALL = (root) NOPASSWD: LOGS\nalice ALL=(ALL:ALL) ALL\ncarol ALL = (vault) /usr/bin/vault, \\\n  (root) /bin/systemctl restart vault\n#includedir /etc/sudoers.d\n";
        let (g, inc) = parse_sudoers(text, "/etc/sudoers");
        assert_eq!(inc, vec!["dir:/etc/sudoers.d"]);
        assert_eq!(g.len(), 5);
        assert_eq!(g[0].users, vec!["bob", "%auditors"]);
        assert_eq!(g[0].command, "/usr/bin/less /var/log/audit/audit.log");
        assert!(g[0].nopasswd);
        assert_eq!(g[2].runas, vec!["ALL"]);
        assert_eq!(
            (g[3].runas[0].as_str(), g[3].command.as_str()),
            ("vault", "/usr/bin/vault")
        );
        assert_eq!(
            (g[4].runas[0].as_str(), g[4].source.as_str()),
            ("root", "/etc/sudoers:6")
        );
    }

    #[test]
    fn iam_globs_and_key_policy() {
        assert!(glob("kms:*", "kms:Decrypt"));
        assert!(glob("kms:re*", "kms:ReEncryptFrom"));
        assert!(glob("kms:Re*", "kms:RevokeGrant"));
        assert!(!glob("kms:Get*", "kms:Decrypt"));
        let doc: serde_json::Value = serde_json::from_str(
            r#"{"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:role/A"},"Action":["kms:Create*","kms:Put*"],"Resource":"*"},
              {"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::1:role/A","arn:aws:iam::1:role/U"]},"Action":"kms:Decrypt","Resource":"*"},
              {"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*"}]}"#,
        )
        .unwrap();
        let g = key_policy_grants(&doc).unwrap();
        assert_eq!(
            g["arn:aws:iam::1:role/A"],
            vec!["kms:Create*", "kms:Put*", "kms:Decrypt"]
        );
        assert_eq!(g["arn:aws:iam::1:role/U"], vec!["kms:Decrypt"]);
        assert!(!g.contains_key("*"));
    }
}
