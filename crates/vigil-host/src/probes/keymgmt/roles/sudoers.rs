//! `sudoers_object` (entity `identity`): the sudo grants held by role members, read
//! from /etc/sudoers and its include files (sudoers(5)), each with whether it breaks a
//! separation the policy keeps (a key user who may run anything as root holds every
//! role).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{members, read_accounts};
use crate::host::accounts::Accounts;
use crate::probes::keymgmt::{bool_str, policy, selects};
use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};

/// One `user host = (runas) command` grant.
#[derive(Debug, Clone, PartialEq)]
pub struct SudoGrant {
    /// Users the grant applies to, aliases expanded; `%group` entries kept as written,
    /// `ALL` for everyone.
    pub users: Vec<String>,
    /// Users commands may run as (`(runas)`), aliases expanded; `root` when not given.
    pub runas: Vec<String>,
    /// The command list as written (aliases expanded), `ALL` for any command.
    pub command: String,
    /// The grant carries the `NOPASSWD:` tag.
    pub nopasswd: bool,
    /// Where the grant is, `FILE:LINE`, for evidence.
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
}
