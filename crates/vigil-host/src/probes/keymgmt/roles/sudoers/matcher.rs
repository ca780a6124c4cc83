//! sudoers(5) matching, as sudo 1.9 decides `sudo -l -U USER -u RUNAS COMMAND`: in
//! every list (users, hosts, runas, commands, aliases, nested aliases) the last
//! matching entry decides and `!` inverts it; across the whole file the last matching
//! command wins, so `ALL, !/bin/sh` denies a shell. Commands: `ALL`, `sudoedit`, exact
//! paths, directories (`/usr/bin/`), fnmatch(3) wildcards (`FNM_PATHNAME` in the path,
//! none in the arguments), `""` for no arguments and `^...$` regular expressions (sudo
//! 1.9.10+).
//!
//! What vigil cannot resolve is [`M::Unknown`] with the reason (netgroups, non-Unix
//! groups, host addresses): it decides only when no later entry matched, so an
//! unresolvable entry that cannot change the answer does not make it unknown.

use super::parse::{AliasKind, Cmnd, CmndSpec, Member, Runas, Scope, Sudoers};
use crate::host::accounts::Accounts;

/// The result of matching an entry or a list.
#[derive(Debug, Clone, PartialEq)]
pub enum M {
    /// Matches.
    Allow,
    /// Matches a negated entry.
    Deny,
    /// No entry matches.
    Unspec,
    /// vigil cannot tell (the reason).
    Unknown(String),
}

impl M {
    fn negate(self, neg: bool) -> M {
        match (self, neg) {
            (M::Allow, true) => M::Deny,
            (M::Deny, true) => M::Allow,
            (m, _) => m,
        }
    }
}

/// Nested aliases deeper than this are refused (sudo refuses cycles).
const MAX_DEPTH: usize = 64;

/// Last matching entry of `list` decides.
fn list<T>(items: &[T], neg: impl Fn(&T) -> bool, mut f: impl FnMut(&T) -> M) -> M {
    for it in items.iter().rev() {
        match f(it) {
            M::Unspec => continue,
            M::Unknown(r) => return M::Unknown(r),
            m => return m.negate(neg(it)),
        }
    }
    M::Unspec
}

/// What a lookup is about: who, on which host, as whom.
pub struct Who<'a> {
    /// The sudoers.
    pub sudoers: &'a Sudoers,
    /// The host's accounts.
    pub acc: &'a Accounts,
    /// The host name (as in /etc/hostname; the part before the first `.` is the
    /// short name).
    pub host: &'a str,
}

/// The decision for one command.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision<'a> {
    /// Allowed by this command spec.
    Allow(&'a CmndSpec),
    /// Denied by this (negated) command spec.
    Deny(&'a CmndSpec),
    /// No command spec matches.
    NoMatch,
    /// vigil cannot tell.
    Unknown(String),
}

impl Who<'_> {
    fn in_group(&self, user: &str, group: &str) -> M {
        if let Some(g) = group.strip_prefix(':') {
            return M::Unknown(format!(
                "%:{g} is a non-Unix group (a sudoers group plugin), which vigil cannot resolve"
            ));
        }
        let Some(u) = self.acc.user(user) else {
            return M::Unspec;
        };
        let gid = match group.strip_prefix('#') {
            Some(n) => n.parse().ok(),
            None => self.acc.gid_of(group),
        };
        if gid.is_some_and(|gid| self.acc.gids_of(u).contains(&gid)) {
            M::Allow
        } else {
            M::Unspec
        }
    }

    /// Does user-list entry `m` match `user`? (`kind` is the alias kind it may name.)
    fn user_entry(&self, m: &Member, user: &str, kind: AliasKind, depth: usize) -> M {
        let n = m.name.as_str();
        if n == "ALL" {
            return M::Allow;
        }
        if let Some(a) = self.sudoers.aliases.get(&(kind, n.to_string())) {
            if depth > MAX_DEPTH {
                return M::Unknown(format!("alias {n} nests too deep (a cycle?)"));
            }
            return list(a, |m| m.neg, |e| self.user_entry(e, user, kind, depth + 1));
        }
        if let Some(g) = n.strip_prefix('%') {
            return self.in_group(user, g);
        }
        if let Some(ng) = n.strip_prefix('+') {
            return M::Unknown(format!("+{ng} is a netgroup, which vigil cannot resolve"));
        }
        if let Some(uid) = n.strip_prefix('#') {
            return match (uid.parse::<u32>(), self.acc.user(user)) {
                (Ok(id), Some(u)) if u.uid == id => M::Allow,
                _ => M::Unspec,
            };
        }
        if n == user { M::Allow } else { M::Unspec }
    }

    /// The user list of a specification.
    pub fn users(&self, l: &[Member], user: &str) -> M {
        list(
            l,
            |m| m.neg,
            |e| self.user_entry(e, user, AliasKind::User, 0),
        )
    }

    fn host_entry(&self, m: &Member, depth: usize) -> M {
        let n = m.name.as_str();
        if n == "ALL" {
            return M::Allow;
        }
        if let Some(a) = self.sudoers.aliases.get(&(AliasKind::Host, n.to_string())) {
            if depth > MAX_DEPTH {
                return M::Unknown(format!("alias {n} nests too deep (a cycle?)"));
            }
            return list(a, |m| m.neg, |e| self.host_entry(e, depth + 1));
        }
        if let Some(ng) = n.strip_prefix('+') {
            return M::Unknown(format!("+{ng} is a netgroup, which vigil cannot resolve"));
        }
        let addr = n.split('/').next().unwrap_or(n);
        if addr.parse::<std::net::IpAddr>().is_ok() {
            return M::Unknown(format!(
                "host entry {n} is an address, and vigil does not match the host's addresses"
            ));
        }
        if self.host.is_empty() {
            return M::Unknown(format!(
                "host entry {n}: the host's name is unknown (no /etc/hostname)"
            ));
        }
        // sudo compares a name with a dot against the full name, others against the
        // short name, case-insensitively.
        let target = if n.contains('.') {
            self.host.to_string()
        } else {
            self.host.split('.').next().unwrap_or("").to_string()
        };
        if fnmatch(&n.to_ascii_lowercase(), &target.to_ascii_lowercase(), false) {
            M::Allow
        } else {
            M::Unspec
        }
    }

    /// The host list of a privilege, against this host.
    pub fn hosts(&self, l: &[Member]) -> M {
        list(l, |m| m.neg, |e| self.host_entry(e, 0))
    }

    /// `runas_default` for `user` on this host (last setting whose scope applies).
    pub fn runas_default(&self, user: &str) -> String {
        let mut d = "root".to_string();
        for (scope, v) in &self.sudoers.runas_defaults {
            let applies = match scope {
                Scope::All => true,
                Scope::User(l) => self.users(l, user) == M::Allow,
                Scope::Host(l) => self.hosts(l) == M::Allow,
                Scope::Other => false,
            };
            if applies {
                d = v.clone();
            }
        }
        d
    }

    /// Does `runas` allow `user` to run commands as `target`?
    pub fn runas(&self, runas: Option<&Runas>, user: &str, target: &str) -> M {
        let r = match runas {
            Some(r) if r.users.is_some() || r.groups.is_some() => r,
            // `()`: root, whatever runas_default says (as sudo 1.9.13 answers).
            Some(_) => {
                return if target == "root" {
                    M::Allow
                } else {
                    M::Unspec
                };
            }
            None => {
                return if self.runas_default(user) == target {
                    M::Allow
                } else {
                    M::Unspec
                };
            }
        };
        match &r.users {
            Some(l) => list(
                l,
                |m| m.neg,
                |e| self.user_entry(e, target, AliasKind::Runas, 0),
            ),
            // `(:group)` only: the command runs as the invoking user.
            None if target == user => M::Allow,
            None => M::Unspec,
        }
    }

    /// Does command entry `c` match `path args`?
    pub fn cmnd(&self, c: &Cmnd, path: &str, args: &str, depth: usize) -> M {
        let m = if c.cmd == "ALL" {
            M::Allow
        } else if let Some(a) = self.sudoers.cmnd_aliases.get(&c.cmd) {
            if depth > MAX_DEPTH {
                return M::Unknown(format!("alias {} nests too deep (a cycle?)", c.cmd));
            }
            list(a, |c| c.neg, |e| self.cmnd(e, path, args, depth + 1))
        } else if command_matches(c, path, args) {
            M::Allow
        } else {
            M::Unspec
        };
        // An alias's own negation is applied by the list it is in.
        if depth == 0 { m.negate(c.neg) } else { m }
    }

    /// sudo's decision for `user` running `path args` as `target` on this host: the
    /// last matching command spec of the file wins.
    pub fn lookup(&self, user: &str, target: &str, path: &str, args: &str) -> Decision<'_> {
        for spec in self.sudoers.specs.iter().rev() {
            for p in spec.privs.iter().rev() {
                for cs in p.cmnds.iter().rev() {
                    let cm = self.cmnd(&cs.cmnd, path, args, 0);
                    if cm == M::Unspec {
                        continue;
                    }
                    // Users, host, runas in turn; the first that does not allow decides.
                    let applies = [M::Allow, M::Allow, M::Allow]
                        .into_iter()
                        .enumerate()
                        .map(|(k, _)| match k {
                            0 => self.users(&spec.users, user),
                            1 => self.hosts(&p.hosts),
                            _ => self.runas(cs.runas.as_ref(), user, target),
                        })
                        .try_fold((), |(), m| match m {
                            M::Allow => Ok(()),
                            other => Err(other),
                        });
                    match (applies, cm) {
                        (Err(M::Unknown(r)), _) | (Ok(()), M::Unknown(r)) => {
                            return Decision::Unknown(format!("{}: {r}", cs.source));
                        }
                        (Err(_), _) => continue,
                        (Ok(()), M::Allow) => return Decision::Allow(cs),
                        (Ok(()), _) => return Decision::Deny(cs),
                    }
                }
            }
        }
        Decision::NoMatch
    }
}

fn is_regex(s: &str) -> bool {
    s.len() >= 2 && s.starts_with('^') && s.ends_with('$')
}

fn regex_matches(re: &str, s: &str) -> bool {
    pcre2::bytes::RegexBuilder::new()
        .build(re)
        .is_ok_and(|r| r.is_match(s.as_bytes()).unwrap_or(false))
}

/// Does a path-and-arguments command entry (not `ALL`, not an alias) match?
pub fn command_matches(c: &Cmnd, path: &str, args: &str) -> bool {
    let path_ok = if c.cmd == "sudoedit" {
        path == "sudoedit"
    } else if path == "sudoedit" {
        false
    } else if is_regex(&c.cmd) {
        regex_matches(&c.cmd, path)
    } else if let Some(dir) = c.cmd.strip_suffix('/') {
        // A directory: any command directly in it, any arguments.
        return path
            .rsplit_once('/')
            .is_some_and(|(d, base)| !base.is_empty() && fnmatch(dir, d, true));
    } else {
        fnmatch(&c.cmd, path, true)
    };
    if !path_ok {
        return false;
    }
    match c.args.as_deref() {
        None => true,
        Some("") => args.is_empty(),
        Some(a) if is_regex(a) => regex_matches(a, args),
        Some(a) => fnmatch(a, args, false),
    }
}

/// One pattern element.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A literal character.
    Lit(char),
    /// `?`.
    Any,
    /// `*`.
    Star,
    /// `[...]`: negated, then (low, high) ranges.
    Class(bool, Vec<(char, char)>),
}

/// An fnmatch(3) pattern as elements (`\` escapes the next character; a `[` without
/// its `]` is literal).
pub fn tokens(p: &str) -> Vec<Tok> {
    let c: Vec<char> = p.chars().collect();
    let (mut out, mut i) = (Vec::new(), 0);
    while i < c.len() {
        match c[i] {
            '\\' if i + 1 < c.len() => {
                out.push(Tok::Lit(c[i + 1]));
                i += 2;
                continue;
            }
            '*' => out.push(Tok::Star),
            '?' => out.push(Tok::Any),
            '[' => {
                let mut j = i + 1;
                let neg = matches!(c.get(j), Some('!') | Some('^'));
                if neg {
                    j += 1;
                }
                let mut ranges = Vec::new();
                let mut first = true;
                while j < c.len() && (first || c[j] != ']') {
                    first = false;
                    let lo = c[j];
                    if c.get(j + 1) == Some(&'-') && c.get(j + 2).is_some_and(|h| *h != ']') {
                        ranges.push((lo, c[j + 2]));
                        j += 3;
                    } else {
                        ranges.push((lo, lo));
                        j += 1;
                    }
                }
                if j < c.len() {
                    out.push(Tok::Class(neg, ranges));
                    i = j + 1;
                    continue;
                }
                out.push(Tok::Lit('['));
            }
            ch => out.push(Tok::Lit(ch)),
        }
        i += 1;
    }
    out
}

fn tok_matches(t: &Tok, c: char, pathname: bool) -> bool {
    match t {
        Tok::Lit(l) => *l == c,
        Tok::Any => !(pathname && c == '/'),
        Tok::Class(neg, r) => {
            !(pathname && c == '/') && (r.iter().any(|(lo, hi)| *lo <= c && c <= *hi) != *neg)
        }
        Tok::Star => true,
    }
}

/// fnmatch(3) of the whole of `s`; `pathname`: `FNM_PATHNAME` (wildcards do not match
/// `/`). One backtrack point (the last `*`; with `FNM_PATHNAME` a `*` cannot cross a
/// `/`, so the segments align uniquely), never exponential.
pub fn fnmatch(pattern: &str, s: &str, pathname: bool) -> bool {
    let p = tokens(pattern);
    let s: Vec<char> = s.chars().collect();
    let (mut pi, mut si, mut star, mut mark) = (0, 0, None, 0);
    while si < s.len() {
        if pi < p.len() && p[pi] == Tok::Star {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if pi < p.len() && tok_matches(&p[pi], s[si], pathname) {
            pi += 1;
            si += 1;
        } else if let Some(st) = star {
            if pathname && s[mark] == '/' {
                return false;
            }
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == Tok::Star {
        pi += 1;
    }
    pi == p.len()
}

/// A string both patterns match, if there is one (found by walking both patterns at
/// once; `[...]` counts as any one character, so a witness is checked afterwards
/// against the real matcher). `None` also when the patterns are too long to compare.
pub fn intersect(a: &str, b: &str) -> Option<String> {
    let (a, b) = (tokens(a), tokens(b));
    if a.len().saturating_mul(b.len()) > 1 << 20 {
        return None;
    }
    let mut dead = std::collections::HashSet::new();
    let mut out = Vec::new();
    if walk(&a, &b, 0, 0, &mut dead, &mut out) {
        Some(out.into_iter().rev().collect())
    } else {
        None
    }
}

fn walk(
    a: &[Tok],
    b: &[Tok],
    i: usize,
    j: usize,
    dead: &mut std::collections::HashSet<(usize, usize)>,
    out: &mut Vec<char>,
) -> bool {
    if dead.contains(&(i, j)) {
        return false;
    }
    let ok = if i == a.len() && j == b.len() {
        true
    } else if i < a.len() && a[i] == Tok::Star {
        walk(a, b, i + 1, j, dead, out)
            || (j < b.len() && b[j] != Tok::Star && {
                let r = walk(a, b, i, j + 1, dead, out);
                if r {
                    out.push(concrete(&b[j]));
                }
                r
            })
            || (j < b.len() && b[j] == Tok::Star && walk(a, b, i, j + 1, dead, out))
    } else if j < b.len() && b[j] == Tok::Star {
        walk(a, b, i, j + 1, dead, out)
            || (i < a.len() && {
                let r = walk(a, b, i + 1, j, dead, out);
                if r {
                    out.push(concrete(&a[i]));
                }
                r
            })
    } else if i < a.len() && j < b.len() {
        let c = match (&a[i], &b[j]) {
            (Tok::Lit(x), Tok::Lit(y)) if x == y => Some(*x),
            (Tok::Lit(x), t) | (t, Tok::Lit(x)) if tok_matches(t, *x, false) => Some(*x),
            (Tok::Lit(_), _) | (_, Tok::Lit(_)) => None,
            (t, _) => Some(concrete(t)),
        };
        match c {
            Some(c) if walk(a, b, i + 1, j + 1, dead, out) => {
                out.push(c);
                true
            }
            _ => false,
        }
    } else {
        false
    };
    if !ok {
        dead.insert((i, j));
    }
    ok
}

/// A character a non-star element matches.
fn concrete(t: &Tok) -> char {
    match t {
        Tok::Lit(c) => *c,
        Tok::Class(false, r) => r.first().map(|r| r.0).unwrap_or('x'),
        _ => 'x',
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnmatch_like_libc() {
        assert!(fnmatch("/usr/bin/*", "/usr/bin/ls", true));
        assert!(!fnmatch("/usr/bin/*", "/usr/bin/x/ls", true));
        assert!(fnmatch("/usr/bin/*", "/usr/bin/x/ls", false));
        assert!(fnmatch(
            "/var/log/audit/*",
            "/var/log/audit/audit.log",
            false
        ));
        assert!(fnmatch("[a-c]?", "b1", false));
        assert!(!fnmatch("[!a-c]?", "b1", false));
        assert!(fnmatch("a\\*", "a*", false));
        assert!(!fnmatch("a\\*", "ab", false));
        assert!(fnmatch("*", "", false));
    }

    #[test]
    fn intersection_gives_a_witness() {
        assert_eq!(
            intersect("*", "stop auditd").as_deref(),
            Some("stop auditd")
        );
        assert_eq!(
            intersect("*/auditctl", "/usr/sbin/*").as_deref(),
            Some("/usr/sbin/auditctl")
        );
        assert_eq!(
            intersect("/var/log/*", "*/etc/*"),
            None.or(Some("/var/log/etc/".into()))
        );
        assert_eq!(intersect("a", "b"), None);
        assert_eq!(
            intersect("--vacuum-*", "--vacuum-time=?").as_deref(),
            Some("--vacuum-time=x")
        );
    }
}
