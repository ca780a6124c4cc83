//! `sudoers_object` (entity `identity`): the sudo grants held by role members, read
//! from /etc/sudoers and its include files with sudoers(5) semantics ([`parse`],
//! [`matcher`]), each with whether it breaks a separation the policy keeps (NIST SP
//! 800-130 FR:5.4): a member of a separated role who may run, as root, a shell or
//! `ALL`, or a command forbidden to its role's kind (a key administrator stopping
//! auditd or truncating the audit log, an auditor reading a key file), or who may run
//! commands as a member of a role it must stay apart from.
//!
//! A grant breaks separation when a concrete forbidden command exists that the grant
//! matches and that sudo, with every entry of the file considered (the last match
//! wins, so a later `!command` takes it back), would let the member run through that
//! grant. The concrete command is the evidence (`matched_command`).

pub mod matcher;
pub mod parse;

use std::path::Path;

use super::{Member, members, read_accounts};
use crate::policy::{Policy, RoleKind};
use crate::probes::keymgmt::{bool_str, not_declared, policy, selects};
use crate::probes::{Collected, Context, Flag, Item, ItemStatus, ObjectQuery, Probe};
use matcher::{Decision, M, Who, intersect};
use parse::{Cmnd, CmndSpec, Include, Sudoers, parse_into};

/// Include files nested deeper than this are not read (sudo's own limit is 128).
const MAX_INCLUDE_DEPTH: usize = 128;
/// At most this many sudoers files are read.
const MAX_FILES: usize = 1024;

/// Programs that give whoever may run them as root everything, for every role: shells,
/// `su`, `sudo`, `sudoedit` of anything, `env`, interpreters and editors with shell
/// escapes. A grant of `ALL` matches all of them.
pub const ALWAYS_FORBIDDEN: &[&str] = &[
    "sh", "bash", "dash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "busybox", "su", "sudo",
    "sudoedit", "env", "python", "python3", "perl", "vi", "vim", "nano", "ed",
];

/// What a key administrator must not run as root: whatever stops, reconfigures or
/// erases the audit trail of its own actions.
pub const KEY_ADMIN_FORBIDDEN: &[&str] = &[
    "auditctl",
    "augenrules",
    "systemctl *stop *auditd*",
    "systemctl *disable *auditd*",
    "systemctl *mask *auditd*",
    "systemctl *kill *auditd*",
    "service *auditd* stop*",
    "chattr",
    "journalctl *--vacuum-*",
    "journalctl *--rotate*",
    "truncate *{audit_logs}*",
    "rm *{audit_logs}*",
    "shred *{audit_logs}*",
    "vault audit disable*",
];

/// What an audit administrator must not run as root: key operations and anything that
/// reads a key file.
pub const AUDITOR_FORBIDDEN: &[&str] = &[
    "vault read *",
    "vault write *",
    "vault kv *",
    "vault operator *",
    "vault transit *",
    "pkcs11-tool",
    "cat *{keys}*",
    "cp *{keys}*",
    "openssl *{keys}*",
    "less *{keys}*",
    "more *{keys}*",
    "head *{keys}*",
    "tail *{keys}*",
    "dd *{keys}*",
    "base64 *{keys}*",
    "xxd *{keys}*",
];

/// The default forbidden commands of a role kind (beyond [`ALWAYS_FORBIDDEN`]).
pub fn default_forbidden(kind: RoleKind) -> &'static [&'static str] {
    match kind {
        RoleKind::KeyAdministrator => KEY_ADMIN_FORBIDDEN,
        RoleKind::AuditAdministrator => AUDITOR_FORBIDDEN,
        _ => &[],
    }
}

/// A forbidden command: a path pattern (`*/NAME` for a bare program name) and an
/// argument pattern, with the entry as written for evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Forbidden {
    /// The entry as the policy (or the default) writes it, placeholders expanded.
    pub entry: String,
    /// fnmatch pattern of the program's path.
    pub path: String,
    /// The program's name when the entry names it without a directory.
    pub name: Option<String>,
    /// fnmatch pattern of the arguments (`*` when the entry gives none).
    pub args: String,
}

/// The forbidden commands of `role` under `pol`: [`ALWAYS_FORBIDDEN`], then the role's
/// `forbidden_commands` or its kind's defaults, `{audit_logs}` (/var/log/audit/* and
/// every `[[audit_logs]]` path) and `{keys}` (every `[[keys]]` path, `DIR/*` for every
/// `[scan] key_directories`) expanded.
pub fn forbidden_for(pol: &Policy, role: &str) -> Vec<Forbidden> {
    let r = pol.roles.iter().find(|r| r.name == role);
    let own: Vec<String> = match r {
        Some(r) => match &r.forbidden_commands {
            Some(fc) => fc.clone(),
            None => default_forbidden(r.kind)
                .iter()
                .map(|s| s.to_string())
                .collect(),
        },
        None => Vec::new(),
    };
    let mut logs = vec!["/var/log/audit/*".to_string()];
    logs.extend(pol.audit_logs.iter().map(|l| l.path.clone()));
    let mut keys: Vec<String> = pol.keys.iter().filter_map(|k| k.path.clone()).collect();
    keys.extend(
        pol.key_directories
            .iter()
            .map(|d| format!("{}/*", d.trim_end_matches('/'))),
    );
    let mut out = Vec::new();
    for e in ALWAYS_FORBIDDEN.iter().map(|s| s.to_string()).chain(own) {
        let expansions: Vec<String> = if e.contains("{audit_logs}") {
            logs.iter().map(|l| e.replace("{audit_logs}", l)).collect()
        } else if e.contains("{keys}") {
            keys.iter().map(|k| e.replace("{keys}", k)).collect()
        } else {
            vec![e]
        };
        for e in expansions {
            let (prog, args) = match e.split_once([' ', '\t']) {
                Some((p, a)) => (p.to_string(), a.trim().to_string()),
                None => (e.clone(), "*".to_string()),
            };
            let (path, name) = if prog.contains('/') || prog == "sudoedit" {
                (prog, None)
            } else {
                (format!("*/{prog}"), Some(prog))
            };
            out.push(Forbidden {
                entry: e,
                path,
                name,
                args,
            });
        }
    }
    out
}

/// Reads /etc/sudoers and the files it includes, in sudo's order (an included file is
/// read at its directive; `@includedir` reads the directory's files in name order,
/// skipping names that end in `~` or contain `.`; a relative path is relative to the
/// including file's directory; `%h` is the short host name). `Ok(None)`: there is no
/// /etc/sudoers.
pub fn read_sudoers(ctx: &Context, host: &str) -> Result<Option<Sudoers>, String> {
    let mut out = Sudoers::default();
    let short = host.split('.').next().unwrap_or("").to_string();
    match read_into(ctx, Path::new("/etc/sudoers"), &mut out, 0, &short) {
        Ok(true) => Ok(Some(out)),
        Ok(false) => Ok(None),
        Err(e) => Err(e),
    }
}

fn read_into(
    ctx: &Context,
    path: &Path,
    out: &mut Sudoers,
    depth: usize,
    short: &str,
) -> Result<bool, String> {
    if out.files.len() >= MAX_FILES {
        out.problems.push(format!(
            "{}: more than {MAX_FILES} sudoers files, not read",
            path.display()
        ));
        return Ok(true);
    }
    let data = match ctx.host.read_file(path, ctx.max_file_size) {
        Ok(Some(d)) => d,
        Ok(None) => return Ok(false),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let text = String::from_utf8_lossy(&data);
    let dir = path.parent().unwrap_or(Path::new("/etc")).to_path_buf();
    let mut include = |inc: &Include, out: &mut Sudoers| {
        if depth + 1 >= MAX_INCLUDE_DEPTH {
            out.problems
                .push(format!("{}: includes nested too deep", inc.source));
            return;
        }
        let p = inc.path.replace("%h", short);
        let p = if p.starts_with('/') {
            Path::new(&p).to_path_buf()
        } else {
            dir.join(&p)
        };
        if inc.dir {
            let names = match ctx.host.resolve(&p) {
                Ok(Some(f)) => f.list_dir().unwrap_or_default(),
                // sudo skips a missing include directory.
                Ok(None) => return,
                Err(e) => {
                    out.problems
                        .push(format!("{}: {}: {e}", inc.source, p.display()));
                    return;
                }
            };
            let mut names: Vec<String> = names
                .into_iter()
                .map(|n| n.to_string_lossy().into_owned())
                .filter(|n| !n.ends_with('~') && !n.contains('.'))
                .collect();
            names.sort();
            for n in names {
                if let Err(e) = read_into(ctx, &p.join(&n), out, depth + 1, short) {
                    out.problems.push(format!("{}: {e}", inc.source));
                }
            }
        } else {
            match read_into(ctx, &p, out, depth + 1, short) {
                Ok(true) => {}
                Ok(false) => out.problems.push(format!(
                    "{}: included file {} does not exist",
                    inc.source,
                    p.display()
                )),
                Err(e) => out.problems.push(format!("{}: {e}", inc.source)),
            }
        }
    };
    parse_into(&text, &path.to_string_lossy(), out, &mut include);
    Ok(true)
}

/// Sources other than `files` in the host's nsswitch.conf `sudoers:` line (LDAP, SSSD),
/// whose rules vigil does not read.
fn other_sources(ctx: &Context) -> Vec<String> {
    let Ok(Some(d)) = ctx.host.read_file(Path::new("/etc/nsswitch.conf"), 1 << 20) else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(&d);
    text.lines()
        .filter_map(|l| l.split('#').next()?.trim().strip_prefix("sudoers:"))
        .flat_map(|v| v.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .filter(|s| s != "files" && !s.starts_with('['))
        .collect()
}

/// The concrete commands (path, arguments) in both `c` and `f`, one per way `c` can
/// match (`ALL`, alias members, a path pattern).
fn witnesses(who: &Who<'_>, c: &Cmnd, f: &Forbidden, depth: usize) -> Vec<(String, String)> {
    if c.neg || depth > 64 {
        return Vec::new();
    }
    let own = || {
        let path = match &f.name {
            Some(n) => format!("/usr/bin/{n}"),
            None => intersect(&f.path, &f.path).unwrap_or_default(),
        };
        (path, intersect(&f.args, &f.args).unwrap_or_default())
    };
    if c.cmd == "ALL" {
        return vec![own()];
    }
    if let Some(a) = who.sudoers.cmnd_aliases.get(&c.cmd) {
        return a
            .iter()
            .flat_map(|m| witnesses(who, m, f, depth + 1))
            .collect();
    }
    let regex = |s: &str| s.len() >= 2 && s.starts_with('^') && s.ends_with('$');
    let path = if regex(&c.cmd) {
        Some(own().0)
    } else {
        let p = match c.cmd.strip_suffix('/') {
            Some(d) => format!("{d}/*"),
            None => c.cmd.clone(),
        };
        match &f.name {
            // `*/NAME` against the pattern, but the base name must be NAME.
            Some(n) => intersect(&p, &f.path).filter(|w| w.rsplit('/').next() == Some(n)),
            None => intersect(&p, &f.path),
        }
    };
    let Some(path) = path else {
        return Vec::new();
    };
    let args = match c.args.as_deref() {
        None => intersect("*", &f.args),
        Some("") => intersect("", &f.args),
        Some(a) if regex(a) => Some(own().1),
        Some(a) => intersect(a, &f.args),
    };
    match args {
        Some(args) => vec![(path, args)],
        None => Vec::new(),
    }
}

/// Why `cs` (held by member `m`) breaks separation, or `Ok(None)`; `Err` when vigil
/// cannot tell.
fn breaks(
    who: &Who<'_>,
    pol: &Policy,
    all: &[Member],
    m: &Member,
    separated: &[&str],
    cs: &CmndSpec,
) -> Result<Option<(String, String, String)>, String> {
    match who.runas(cs.runas.as_ref(), &m.identity, "root") {
        M::Allow => {
            for f in forbidden_for(pol, &m.role) {
                for (path, args) in witnesses(who, &cs.cmnd, &f, 0) {
                    match who.lookup(&m.identity, "root", &path, &args) {
                        Decision::Allow(by) if std::ptr::eq(by, cs) => {
                            let cmd = if args.is_empty() {
                                path
                            } else {
                                format!("{path} {args}")
                            };
                            let reason = format!(
                                "may run '{cmd}' as root, forbidden to role {} ({}): '{}'; bypasses the separation from {}",
                                m.role,
                                m.kind.as_str(),
                                f.entry,
                                separated.join(", ")
                            );
                            return Ok(Some((reason, f.entry, cmd)));
                        }
                        Decision::Unknown(r) => return Err(r),
                        _ => {}
                    }
                }
            }
        }
        M::Unknown(r) => return Err(format!("{}: {r}", cs.source)),
        _ => {}
    }
    for o in all.iter().filter(|o| {
        o.identity_type == "unix_user"
            && o.identity != m.identity
            && separated.contains(&o.role.as_str())
    }) {
        match who.runas(cs.runas.as_ref(), &m.identity, &o.identity) {
            M::Allow => {
                let reason = format!(
                    "runs commands as {} (role {}), which must stay separate from role {}",
                    o.identity, o.role, m.role
                );
                return Ok(Some((
                    reason,
                    format!("runas {}", o.identity),
                    cs.cmnd.to_string(),
                )));
            }
            M::Unknown(r) => return Err(format!("{}: {r}", cs.source)),
            _ => {}
        }
    }
    Ok(None)
}

/// `sudoers_object`.
pub struct SudoersProbe;

impl Probe<Context> for SudoersProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["sudoers_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let pol = policy(ctx);
        if pol
            .roles
            .iter()
            .all(|r| r.unix_users.is_empty() && r.unix_groups.is_empty())
        {
            return not_declared(ctx, "[[roles]] unix_users or unix_groups");
        }
        let acc = match read_accounts(ctx) {
            Ok(a) => a,
            Err(c) => return c,
        };
        let host = crate::host::info::host_info(&ctx.host).hostname;
        let sudoers = match read_sudoers(ctx, &host) {
            Ok(Some(s)) => s,
            Ok(None) => {
                return Collected::with_flag(Flag::NotApplicable, "/etc/sudoers does not exist");
            }
            Err(e) => return Collected::error(e),
        };
        let all = members(pol, &acc);
        let users: Vec<&Member> = all
            .iter()
            .filter(|m| m.identity_type == "unix_user")
            .collect();
        if users.is_empty() {
            return Collected::with_flag(
                Flag::NotApplicable,
                "no Unix user on this host is a member of a policy role",
            );
        }
        let who = Who {
            sudoers: &sudoers,
            acc: &acc,
            host: &host,
        };
        let others = other_sources(ctx);
        let mut items = ctx.sink(ctx.deadline());
        for m in users {
            match selects(query, "identity", &m.identity) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(c) => return c,
            }
            let unknown = |why: String| {
                Item::with_status(ItemStatus::Error, why)
                    .field("identity", m.identity.as_str())
                    .field("role", m.role.as_str())
            };
            if !sudoers.problems.is_empty() {
                let _ = items.push(unknown(format!(
                    "the sudo rules for {} cannot be evaluated: {} (sudo refuses a sudoers file it cannot parse)",
                    m.identity,
                    sudoers.problems.join("; ")
                )));
                continue;
            }
            if !others.is_empty() {
                let _ = items.push(unknown(format!(
                    "sudo rules for {} also come from {} (nsswitch.conf sudoers:), which vigil does not read",
                    m.identity,
                    others.join(", ")
                )));
            }
            let separated: Vec<&str> = pol
                .separation
                .iter()
                .filter(|s| s.roles.contains(&m.role))
                .flat_map(|s| s.roles.iter().filter(|r| **r != m.role).map(String::as_str))
                .collect();
            for spec in &sudoers.specs {
                let um = who.users(&spec.users, &m.identity);
                for p in &spec.privs {
                    for cs in &p.cmnds {
                        if cs.cmnd.neg {
                            continue;
                        }
                        let hm = who.hosts(&p.hosts);
                        match (&um, &hm) {
                            (M::Allow, M::Allow) => {}
                            (M::Unknown(r), _) | (_, M::Unknown(r)) => {
                                let _ = items.push(
                                    unknown(format!(
                                        "{}: whether the grant applies to {} cannot be told: {r}",
                                        cs.source, m.identity
                                    ))
                                    .field("source", cs.source.as_str())
                                    .field("command", cs.cmnd.to_string()),
                                );
                                continue;
                            }
                            _ => continue,
                        }
                        let found = if separated.is_empty() {
                            Ok(None)
                        } else {
                            breaks(&who, pol, &all, m, &separated, cs)
                        };
                        let runas = match &cs.runas {
                            Some(r) if r.users.is_some() || r.groups.is_some() => r.text.clone(),
                            Some(_) => "root".to_string(),
                            None => who.runas_default(&m.identity),
                        };
                        let found = match found {
                            Ok(f) => f,
                            Err(r) => {
                                let _ = items.push(
                                    unknown(format!("{}: cannot be evaluated: {r}", cs.source))
                                        .field("source", cs.source.as_str())
                                        .field("command", cs.cmnd.to_string()),
                                );
                                continue;
                            }
                        };
                        let granted_to = spec
                            .users
                            .iter()
                            .map(|u| format!("{}{}", if u.neg { "!" } else { "" }, u.name))
                            .collect::<Vec<_>>()
                            .join(",");
                        let mut item = Item::new()
                            .field("identity", m.identity.as_str())
                            .field("role", m.role.as_str())
                            .field("granted_to", granted_to)
                            .field("runas", runas)
                            .field("command", cs.cmnd.to_string())
                            .field("nopasswd", bool_str(cs.nopasswd))
                            .field("source", cs.source.as_str())
                            .field("breaks_separation", bool_str(found.is_some()));
                        if let Some((reason, forbidden, matched)) = found {
                            item.push("reason", reason);
                            item.push("forbidden", forbidden);
                            item.push("matched_command", matched);
                        }
                        let _ = items.push(item);
                    }
                }
            }
        }
        items.into_collected()
    }
}

#[cfg(test)]
mod tests;
