//! The sudoers(5) grammar (sudo 1.9): user specifications
//! `User_List Host_List = Cmnd_Spec_List (: Host_List = Cmnd_Spec_List)*`, the four
//! alias kinds (nested aliases are resolved by [`super::matcher`]), `Defaults` lines
//! (parsed so they never break the parse; `runas_default` is kept because it changes
//! what a grant without `(runas)` means), continuation lines, comments and the include
//! directives, which the caller follows in place (sudo reads an included file at the
//! point of the directive, and order decides: the last matching entry wins).
//!
//! Every string here comes from the scanned host: the parser never panics, keeps no
//! recursion of its own, and reports what it cannot read as a [`Sudoers::problems`]
//! entry (`FILE:LINE: reason`) instead of guessing.

use std::collections::BTreeMap;

/// An entry of a user, host or runas list: `!`-negated or not, the word as written
/// (`ALL`, an alias name, `%group`, `%#gid`, `#uid`, `+netgroup`, a name or pattern).
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// Preceded by an odd number of `!`.
    pub neg: bool,
    /// The word, escapes and quotes removed.
    pub name: String,
}

/// A command of a `Cmnd_Spec_List` or `Cmnd_Alias`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cmnd {
    /// Preceded by an odd number of `!`.
    pub neg: bool,
    /// `ALL`, a `Cmnd_Alias` name, `sudoedit`, a path (maybe with wildcards, a
    /// directory ending in `/`, or a `^...$` regular expression).
    pub cmd: String,
    /// `None`: any arguments; `Some("")`: none (`""` in sudoers); otherwise the
    /// argument pattern, words joined by one space.
    pub args: Option<String>,
}

impl std::fmt::Display for Cmnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.neg {
            f.write_str("!")?;
        }
        f.write_str(&self.cmd)?;
        match &self.args {
            None => Ok(()),
            Some(a) if a.is_empty() => f.write_str(" \"\""),
            Some(a) => write!(f, " {a}"),
        }
    }
}

/// A `(users : groups)` runas specification.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Runas {
    /// The user list; `None` when the parentheses name no user.
    pub users: Option<Vec<Member>>,
    /// The group list after `:`; `None` when not given.
    pub groups: Option<Vec<Member>>,
    /// As written, for evidence.
    pub text: String,
}

/// One command of a privilege, with the runas and tags in force for it.
#[derive(Debug, Clone, PartialEq)]
pub struct CmndSpec {
    /// `None`: no `(runas)` was given (the command runs as `runas_default`).
    pub runas: Option<Runas>,
    /// `NOPASSWD:` in force.
    pub nopasswd: bool,
    /// The command.
    pub cmnd: Cmnd,
    /// `FILE:LINE` of the user specification.
    pub source: String,
}

/// `Host_List = Cmnd_Spec_List`.
#[derive(Debug, Clone, PartialEq)]
pub struct Privilege {
    /// Hosts the commands apply on.
    pub hosts: Vec<Member>,
    /// The commands, in order.
    pub cmnds: Vec<CmndSpec>,
}

/// A user specification.
#[derive(Debug, Clone, PartialEq)]
pub struct UserSpec {
    /// Users it applies to.
    pub users: Vec<Member>,
    /// Its privileges, in order.
    pub privs: Vec<Privilege>,
}

/// Where a `Defaults` line applies.
#[derive(Debug, Clone, PartialEq)]
pub enum Scope {
    /// `Defaults`: everywhere.
    All,
    /// `Defaults:users`.
    User(Vec<Member>),
    /// `Defaults@hosts`.
    Host(Vec<Member>),
    /// `Defaults>runas` or `Defaults!cmnds`: they do not change what a grant means.
    Other,
}

/// The alias kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AliasKind {
    /// `User_Alias`.
    User,
    /// `Runas_Alias`.
    Runas,
    /// `Host_Alias`.
    Host,
}

/// Everything read from /etc/sudoers and its includes, in file order.
#[derive(Debug, Clone, Default)]
pub struct Sudoers {
    /// User specifications in the order sudo reads them.
    pub specs: Vec<UserSpec>,
    /// `User_Alias`, `Runas_Alias`, `Host_Alias` definitions.
    pub aliases: BTreeMap<(AliasKind, String), Vec<Member>>,
    /// `Cmnd_Alias` (and `Cmd_Alias`) definitions.
    pub cmnd_aliases: BTreeMap<String, Vec<Cmnd>>,
    /// `runas_default` settings, in order, with their scope.
    pub runas_defaults: Vec<(Scope, String)>,
    /// What could not be parsed (`FILE:LINE: reason`); sudo refuses a file with a
    /// syntax error, so any entry here makes the evaluation unknown.
    pub problems: Vec<String>,
    /// Files read, in order.
    pub files: Vec<String>,
}

/// An include directive to follow in place.
#[derive(Debug, Clone, PartialEq)]
pub struct Include {
    /// The path as written (quotes removed).
    pub path: String,
    /// `@includedir` / `#includedir`.
    pub dir: bool,
    /// `FILE:LINE` of the directive.
    pub source: String,
}

const TAGS: &[&str] = &[
    "NOPASSWD",
    "PASSWD",
    "SETENV",
    "NOSETENV",
    "NOEXEC",
    "EXEC",
    "LOG_INPUT",
    "NOLOG_INPUT",
    "LOG_OUTPUT",
    "NOLOG_OUTPUT",
    "MAIL",
    "NOMAIL",
    "FOLLOW",
    "NOFOLLOW",
    "INTERCEPT",
    "NOINTERCEPT",
];

const OPTIONS: &[&str] = &[
    "ROLE",
    "TYPE",
    "CWD",
    "CHROOT",
    "NOTBEFORE",
    "NOTAFTER",
    "TIMEOUT",
    "APPARMOR_PROFILE",
    "PRIVS",
    "LIMITPRIVS",
];

const DIGESTS: &[&str] = &["sha224", "sha256", "sha384", "sha512"];

/// Is `w` an alias name (sudoers: `[A-Z][A-Z0-9_]*`)?
pub fn is_alias_name(w: &str) -> bool {
    let mut c = w.chars();
    c.next().is_some_and(|f| f.is_ascii_uppercase())
        && c.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Joins continuation lines (a trailing `\`), giving (first line number, text).
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut buf = String::new();
    let mut start = 1;
    for (n, line) in text.lines().enumerate() {
        if buf.is_empty() {
            start = n + 1;
        }
        match line.strip_suffix('\\') {
            Some(l) if !l.ends_with('\\') => {
                buf.push_str(l);
                buf.push(' ');
            }
            _ => {
                buf.push_str(line);
                out.push((start, std::mem::take(&mut buf)));
            }
        }
    }
    if !buf.is_empty() {
        out.push((start, buf));
    }
    out
}

/// The line without its comment: a `#` at the start of a word that is not followed by
/// a digit (`#1000` is a uid), outside quotes and not escaped.
fn strip_comment(line: &str) -> &str {
    let b = line.as_bytes();
    let (mut quoted, mut i) = (false, 0);
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'"' => quoted = !quoted,
            b'#' if !quoted
                && (i == 0 || b[i - 1].is_ascii_whitespace())
                && !b.get(i + 1).is_some_and(u8::is_ascii_digit) =>
            {
                return &line[..i];
            }
            _ => {}
        }
        i += 1;
    }
    line
}

/// A cursor over one logical line.
struct Cur {
    s: Vec<char>,
    i: usize,
}

impl Cur {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_whitespace() {
            self.i += 1;
        }
    }
    fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }
    fn eat(&mut self, c: char) -> bool {
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn end(&mut self) -> bool {
        self.ws();
        self.i >= self.s.len()
    }
    /// A word up to whitespace or one of `stop`; `\x` is x, `"..."` quotes when
    /// `quotes` (user and group names may be quoted).
    fn word(&mut self, stop: &[char], quotes: bool) -> String {
        let mut w = String::new();
        while let Some(c) = self.peek() {
            if c == '\\' {
                if let Some(&n) = self.s.get(self.i + 1) {
                    w.push(n);
                    self.i += 2;
                    continue;
                }
                self.i += 1;
                continue;
            }
            if quotes && c == '"' {
                self.i += 1;
                while let Some(c) = self.peek() {
                    self.i += 1;
                    if c == '"' {
                        break;
                    }
                    w.push(c);
                }
                continue;
            }
            if c.is_whitespace() || stop.contains(&c) {
                break;
            }
            w.push(c);
            self.i += 1;
        }
        w
    }
    /// Count of leading `!`, whitespace allowed between.
    fn negs(&mut self) -> bool {
        let mut n = false;
        while self.eat('!') {
            n = !n;
        }
        self.ws();
        n
    }
    /// A comma-separated list of user, host or runas entries.
    fn members(&mut self) -> Result<Vec<Member>, String> {
        let mut out = Vec::new();
        loop {
            self.ws();
            let neg = self.negs();
            let mut name = String::new();
            // `%:group` (a non-Unix group) keeps its colon.
            if self.peek() == Some('%') && self.s.get(self.i + 1) == Some(&':') {
                self.i += 2;
                name.push_str("%:");
            }
            name.push_str(&self.word(&[',', ':', '=', '(', ')', '!'], true));
            if name.is_empty() {
                return Err(format!("expected a name at column {}", self.i + 1));
            }
            out.push(Member { neg, name });
            if !self.eat(',') {
                return Ok(out);
            }
        }
    }
    /// The next word if it is `w` followed by `after` (a tag `NOPASSWD:`, an option
    /// `CWD=`), consumed; the cursor is unchanged otherwise.
    fn keyword(&mut self, set: &[&str], after: char) -> Option<String> {
        self.ws();
        let save = self.i;
        let w = self.word(&[',', ':', '=', '(', ')', '!'], false);
        if set.contains(&w.as_str()) && self.peek() == Some(after) {
            self.i += 1;
            return Some(w);
        }
        self.i = save;
        None
    }
    /// A command (after runas, options and tags): `!`, digests, path, arguments.
    fn cmnd(&mut self) -> Result<Cmnd, String> {
        let neg = self.negs();
        // `sha256:HASH[,HASH] /path`: the digest pins the file; vigil cannot check
        // it against the file the user would run, and it does not change which
        // command the grant names.
        while self.keyword(DIGESTS, ':').is_some() {
            self.ws();
            self.word(&[',', ':', '='], false);
            self.ws();
        }
        let cmd = self.word(&[',', ':', '='], false);
        if cmd.is_empty() {
            return Err(format!("expected a command at column {}", self.i + 1));
        }
        if cmd == "ALL" || is_alias_name(&cmd) {
            return Ok(Cmnd {
                neg,
                cmd,
                args: None,
            });
        }
        let mut words = Vec::new();
        loop {
            while self.peek().is_some_and(|c| c == ' ' || c == '\t') {
                self.i += 1;
            }
            match self.peek() {
                None | Some(',') | Some(':') => break,
                _ => {}
            }
            // Unescaped `=` is a syntax error for sudo; taken literally here so the
            // rest of the line still parses (visudo would refuse the file).
            let w = self.word(&[',', ':'], false);
            if w.is_empty() {
                self.i += 1;
                continue;
            }
            words.push(w);
        }
        let args = if words.is_empty() {
            None
        } else if words.len() == 1 && words[0] == "\"\"" {
            Some(String::new())
        } else {
            Some(words.join(" "))
        };
        Ok(Cmnd { neg, cmd, args })
    }
}

/// Parses one file's text into `out`; include directives are handed to `include` at
/// their place so that the caller can parse the included file in order.
pub fn parse_into(
    text: &str,
    file: &str,
    out: &mut Sudoers,
    include: &mut dyn FnMut(&Include, &mut Sudoers),
) {
    out.files.push(file.to_string());
    for (lineno, raw) in logical_lines(text) {
        let source = format!("{file}:{lineno}");
        let t = raw.trim();
        if let Some(inc) = include_directive(t, &source) {
            include(&inc, out);
            continue;
        }
        let t = strip_comment(t).trim();
        if t.is_empty() {
            continue;
        }
        if let Err(e) = parse_line(t, &source, out) {
            out.problems.push(format!("{source}: {e}"));
        }
    }
}

fn include_directive(t: &str, source: &str) -> Option<Include> {
    for (d, dir) in [
        ("@includedir", true),
        ("#includedir", true),
        ("@include", false),
        ("#include", false),
    ] {
        if let Some(rest) = t.strip_prefix(d)
            && rest.starts_with([' ', '\t'])
        {
            let rest = rest.trim();
            let path = match rest.strip_prefix('"') {
                Some(q) => q.split('"').next().unwrap_or("").to_string(),
                None => rest.replace("\\ ", " "),
            };
            return Some(Include {
                path,
                dir,
                source: source.to_string(),
            });
        }
    }
    None
}

fn parse_line(t: &str, source: &str, out: &mut Sudoers) -> Result<(), String> {
    let mut c = Cur {
        s: t.chars().collect(),
        i: 0,
    };
    let first: String = t
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if first == "Defaults" {
        c.i = first.len();
        return parse_defaults(&mut c, out);
    }
    let kind = match first.as_str() {
        "User_Alias" => Some(Some(AliasKind::User)),
        "Runas_Alias" => Some(Some(AliasKind::Runas)),
        "Host_Alias" => Some(Some(AliasKind::Host)),
        "Cmnd_Alias" | "Cmd_Alias" => Some(None),
        _ => None,
    };
    if let Some(kind) = kind {
        c.i = first.len();
        loop {
            c.ws();
            let name = c.word(&['=', ':', ','], false);
            if !is_alias_name(&name) {
                return Err(format!("'{name}' is not an alias name"));
            }
            if !c.eat('=') {
                return Err(format!("expected '=' after alias {name}"));
            }
            match kind {
                Some(k) => {
                    let m = c.members()?;
                    out.aliases.insert((k, name), m);
                }
                None => {
                    let mut cmnds = Vec::new();
                    loop {
                        cmnds.push(c.cmnd()?);
                        if !c.eat(',') {
                            break;
                        }
                    }
                    out.cmnd_aliases.insert(name, cmnds);
                }
            }
            if c.end() {
                return Ok(());
            }
            if !c.eat(':') {
                return Err(format!("unexpected text at column {}", c.i + 1));
            }
        }
    }
    let users = c.members()?;
    let mut privs = Vec::new();
    loop {
        let hosts = c.members()?;
        if !c.eat('=') {
            return Err(format!("expected '=' at column {}", c.i + 1));
        }
        let (mut runas, mut nopasswd, mut cmnds) = (None, false, Vec::new());
        loop {
            if c.eat('(') {
                let mut r = Runas::default();
                let start = c.i;
                c.ws();
                if c.peek() != Some(':') && c.peek() != Some(')') {
                    r.users = Some(c.members()?);
                }
                if c.eat(':') {
                    c.ws();
                    if c.peek() != Some(')') {
                        r.groups = Some(c.members()?);
                    }
                }
                let end = c.i;
                if !c.eat(')') {
                    return Err(format!("expected ')' at column {}", c.i + 1));
                }
                r.text = c.s[start..end]
                    .iter()
                    .collect::<String>()
                    .trim()
                    .to_string();
                runas = Some(r);
            }
            loop {
                if let Some(tag) = c.keyword(TAGS, ':') {
                    match tag.as_str() {
                        "NOPASSWD" => nopasswd = true,
                        "PASSWD" => nopasswd = false,
                        _ => {}
                    }
                } else if c.keyword(OPTIONS, '=').is_some() {
                    c.ws();
                    c.word(&[',', ':'], true);
                } else {
                    break;
                }
            }
            c.ws();
            let cmnd = c.cmnd()?;
            cmnds.push(CmndSpec {
                runas: runas.clone(),
                nopasswd,
                cmnd,
                source: source.to_string(),
            });
            if !c.eat(',') {
                break;
            }
        }
        privs.push(Privilege { hosts, cmnds });
        if c.end() {
            break;
        }
        if !c.eat(':') {
            return Err(format!("unexpected text at column {}", c.i + 1));
        }
    }
    out.specs.push(UserSpec { users, privs });
    Ok(())
}

fn parse_defaults(c: &mut Cur, out: &mut Sudoers) -> Result<(), String> {
    let scope = match c.peek() {
        Some(':') => {
            c.i += 1;
            Scope::User(c.members()?)
        }
        Some('@') => {
            c.i += 1;
            Scope::Host(c.members()?)
        }
        Some('>') | Some('!') => {
            c.i += 1;
            c.members()?;
            Scope::Other
        }
        Some(w) if w.is_whitespace() => Scope::All,
        _ => return Err("malformed Defaults".into()),
    };
    // Parameters: `name`, `!name`, `name=value`, `name+=value`, `name-=value`,
    // separated by commas outside quotes.
    let rest: String = c.s[c.i..].iter().collect();
    let mut params = Vec::new();
    let (mut cur, mut quoted, mut esc) = (String::new(), false, false);
    for ch in rest.chars() {
        if esc {
            cur.push(ch);
            esc = false;
            continue;
        }
        match ch {
            '\\' => esc = true,
            '"' => quoted = !quoted,
            ',' if !quoted => params.push(std::mem::take(&mut cur)),
            _ => cur.push(ch),
        }
    }
    params.push(cur);
    for p in params {
        let p = p.trim();
        if let Some(v) = p.strip_prefix("runas_default")
            && let Some(v) = v.trim_start().strip_prefix('=')
        {
            out.runas_defaults
                .push((scope.clone(), v.trim().trim_matches('"').to_string()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Sudoers {
        let mut s = Sudoers::default();
        parse_into(text, "/etc/sudoers", &mut s, &mut |_, _| {});
        s
    }

    #[test]
    fn grammar() {
        let s = parse(
            "Defaults env_reset, secure_path=\"/usr/bin:/bin\"\n\
             Defaults:%auditors runas_default=audit\n\
             User_Alias AUD = bob, %auditors : ADM = !carol, %#2001\n\
             Cmnd_Alias LOGS = /usr/bin/less /var/log/audit/audit.log, sha256:abc /usr/sbin/ausearch\n\
             AUD ALL = (root) NOPASSWD: LOGS\n\
             alice host1,!host2=(ALL:ALL) ALL : ALL = (vault) CWD=/tmp /usr/bin/vault \"\", \\\n  !/usr/bin/vault audit disable\n\
             #1000 ALL = () /bin/ls # comment\n",
        );
        assert!(s.problems.is_empty(), "{:?}", s.problems);
        assert_eq!(s.runas_defaults.len(), 1);
        assert!(s.aliases[&(AliasKind::User, "ADM".into())][0].neg);
        assert_eq!(s.cmnd_aliases["LOGS"][1].cmd, "/usr/sbin/ausearch");
        assert_eq!(
            s.cmnd_aliases["LOGS"][0].args.as_deref(),
            Some("/var/log/audit/audit.log")
        );
        assert_eq!(s.specs.len(), 3);
        let a = &s.specs[1];
        assert_eq!(a.privs.len(), 2);
        assert!(a.privs[0].hosts[1].neg);
        assert_eq!(a.privs[1].cmnds[0].cmnd.args.as_deref(), Some(""));
        assert!(a.privs[1].cmnds[1].cmnd.neg);
        assert_eq!(a.privs[1].cmnds[1].runas.as_ref().unwrap().text, "vault");
        assert_eq!(s.specs[2].users[0].name, "#1000");
        assert!(
            s.specs[2].privs[0].cmnds[0]
                .runas
                .as_ref()
                .unwrap()
                .users
                .is_none()
        );
        assert!(s.specs[0].privs[0].cmnds[0].nopasswd);
    }

    #[test]
    fn a_line_it_cannot_read_is_a_problem_not_a_guess() {
        let s = parse("alice ALL (root) /bin/ls\nbob ALL=(root /bin/ls\n");
        assert_eq!(s.problems.len(), 2, "{:?}", s.problems);
        assert!(s.problems[0].starts_with("/etc/sudoers:1: "));
    }

    #[test]
    fn include_directives_are_handed_over_in_place() {
        let mut s = Sudoers::default();
        let mut seen = Vec::new();
        parse_into(
            "@includedir /etc/sudoers.d\n#include \"sub file\"\n#includedirx\n",
            "/etc/sudoers",
            &mut s,
            &mut |i, _| seen.push((i.path.clone(), i.dir)),
        );
        assert_eq!(
            seen,
            vec![
                ("/etc/sudoers.d".to_string(), true),
                ("sub file".to_string(), false)
            ]
        );
    }
}
