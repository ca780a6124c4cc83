//! The sudoers matcher against fixed cases, and against real sudo: seeded random
//! sudoers files (aliases and nested aliases, negations in every list, groups by name
//! and gid, uids, wildcards, `""`, regular expressions, directories, runas_default,
//! includes and include directories with names sudo skips), each checked with
//! `visudo -c`, then every (user, runas, command) question put both to vigil and to
//! `sudo -l -U USER -u RUNAS COMMAND` in a private mount namespace (`unshare -m`) where
//! the generated /etc is bind-mounted over the real one, so the machine's own sudoers
//! is never touched.

use std::fmt::Write as _;
use std::path::Path;

use super::matcher::{Decision, Who};
use super::parse::{Sudoers, parse_into};
use crate::host::accounts::Accounts;
use crate::testtool::{require, require_root, tool};

const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\nu1:x:2001:2001::/tmp:/bin/sh\nu2:x:2002:2002::/tmp:/bin/sh\nu3:x:2003:2003::/tmp:/bin/sh\n";
const GROUP: &str =
    "root:x:0:\nu1:x:2001:\nu2:x:2002:\nu3:x:2003:\ng1:x:3001:u1,u2\ng2:x:3002:u3\n";

fn parse(text: &str) -> Sudoers {
    let mut s = Sudoers::default();
    parse_into(text, "/etc/sudoers", &mut s, &mut |_, _| {});
    s
}

fn allowed(s: &Sudoers, host: &str, user: &str, runas: &str, cmd: &str) -> bool {
    let acc = Accounts::parse(PASSWD, GROUP);
    let who = Who {
        sudoers: s,
        acc: &acc,
        host,
    };
    let (path, args) = cmd.split_once(' ').unwrap_or((cmd, ""));
    matches!(who.lookup(user, runas, path, args), Decision::Allow(_))
}

#[test]
fn last_match_wins_and_negation_inverts() {
    let s = parse(
        "User_Alias U = %g1, !u2\nCmnd_Alias SH = /bin/sh, /bin/bash\n\
         U ALL = (root) ALL, !SH\nu2 ALL = (ALL, !root) /usr/bin/id \"\"\n\
         %#3002 web* = /usr/bin/cat /etc/*\n",
    );
    assert!(s.problems.is_empty(), "{:?}", s.problems);
    assert!(allowed(&s, "db1", "u1", "root", "/usr/bin/ls /"));
    assert!(!allowed(&s, "db1", "u1", "root", "/bin/sh"));
    assert!(!allowed(&s, "db1", "u2", "root", "/usr/bin/ls"));
    assert!(allowed(&s, "db1", "u2", "u3", "/usr/bin/id"));
    assert!(!allowed(&s, "db1", "u2", "u3", "/usr/bin/id -u"));
    assert!(!allowed(&s, "db1", "u2", "root", "/usr/bin/id"));
    assert!(allowed(
        &s,
        "web2.example",
        "u3",
        "root",
        "/usr/bin/cat /etc/x/y"
    ));
    assert!(!allowed(&s, "db1", "u3", "root", "/usr/bin/cat /etc/x"));
}

#[test]
fn runas_default_changes_a_grant_without_runas() {
    let s = parse(
        "Defaults runas_default=u2\nDefaults:u3 runas_default=u1\n%g1,u3 ALL = /usr/bin/id\n",
    );
    assert!(allowed(&s, "h", "u1", "u2", "/usr/bin/id"));
    assert!(!allowed(&s, "h", "u1", "root", "/usr/bin/id"));
    assert!(allowed(&s, "h", "u3", "u1", "/usr/bin/id"));
}

#[test]
fn what_vigil_cannot_resolve_is_unknown_only_where_it_decides() {
    let acc = Accounts::parse(PASSWD, GROUP);
    let s = parse("+admins ALL = ALL\nu1 ALL = (root) /usr/bin/id\n");
    let who = Who {
        sudoers: &s,
        acc: &acc,
        host: "h",
    };
    assert!(matches!(
        who.lookup("u1", "root", "/usr/bin/id", ""),
        Decision::Allow(_)
    ));
    match who.lookup("u1", "root", "/usr/bin/ls", "") {
        Decision::Unknown(r) => assert!(r.contains("netgroup"), "{r}"),
        d => panic!("{d:?}"),
    }
}

#[test]
fn forbidden_lists_expand_paths_and_the_policy_replaces_the_defaults() {
    let text = "[[roles]]\nname = \"ka\"\nkind = \"key_administrator\"\nunix_users = [\"alice\"]\n\
                [[roles]]\nname = \"au\"\nkind = \"audit_administrator\"\nunix_users = [\"bob\"]\n\
                forbidden_commands = [\"/usr/bin/cat *{keys}*\"]\n\
                [[keys]]\nname = \"k\"\npath = \"/etc/k.pem\"\n\
                [[audit_logs]]\nname = \"a\"\nformat = \"auditd\"\npath = \"/srv/audit.log\"\nretention_days = 30\nmax_silence = \"1h\"\n";
    let pol = crate::policy::Policy::parse(text, Path::new("p.toml")).unwrap();
    let ka: Vec<String> = super::forbidden_for(&pol, "ka")
        .into_iter()
        .map(|f| f.entry)
        .collect();
    assert!(ka.contains(&"bash".to_string()));
    assert!(ka.contains(&"rm */var/log/audit/**".to_string()));
    assert!(ka.contains(&"rm */srv/audit.log*".to_string()));
    let au = super::forbidden_for(&pol, "au");
    let own: Vec<&super::Forbidden> = au
        .iter()
        .filter(|f| f.name.is_none() && f.path != "sudoedit")
        .collect();
    assert_eq!(own.len(), 1, "{au:?}");
    assert_eq!(
        (own[0].path.as_str(), own[0].args.as_str()),
        ("/usr/bin/cat", "*/etc/k.pem*")
    );
    assert!(!au.iter().any(|f| f.entry.starts_with("vault")));
}

/// A small deterministic generator (xorshift), so a failure is reproducible from its
/// case number.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[(self.next() % v.len() as u64) as usize]
    }
    fn chance(&mut self, n: u64) -> bool {
        self.next().is_multiple_of(n)
    }
    fn list(&mut self, v: &[&str], max: u64) -> String {
        let n = 1 + self.next() % max;
        (0..n)
            .map(|_| {
                let neg = if self.chance(4) { "!" } else { "" };
                format!("{neg}{}", self.pick(v))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

const USERS: &[&str] = &[
    "u1", "u2", "u3", "%g1", "%g2", "%#3001", "#2003", "ALL", "UA",
];
const RUNAS: &[&str] = &["root", "u2", "u3", "%g2", "ALL", "RA", "#2002"];
const CMNDS: &[&str] = &[
    "ALL",
    "/usr/bin/ls",
    "/usr/bin/*",
    "/usr/bin/",
    "/usr/bin/cat /etc/*",
    "/usr/bin/id \"\"",
    "/usr/bin/ls -[a-z]",
    "/usr/bin/c?t /etc/passwd",
    "^/usr/bin/(ls|id)$",
    "/usr/bin/cat ^/etc/pass.*$",
    "/usr/bin/true *",
    "CA",
    "CB",
];
const QUERY_CMDS: &[&str] = &[
    "/usr/bin/ls",
    "/usr/bin/ls -l",
    "/usr/bin/ls /etc",
    "/usr/bin/cat /etc/passwd",
    "/usr/bin/cat /etc/a/b",
    "/usr/bin/id",
    "/usr/bin/id -u",
    "/usr/bin/true x y",
];

/// One generated case: the files under etc/ (path relative to /etc, text).
fn generate(rng: &mut Rng, host: &str) -> Vec<(String, String)> {
    let mut main = String::from("Defaults !fqdn\nDefaults env_reset\n");
    let hosts = ["ALL", host, "otherhost", "HA", "oth*"];
    let _ = writeln!(main, "User_Alias UA = {}", rng.list(&USERS[..8], 3));
    let _ = writeln!(main, "Runas_Alias RA = {}", rng.list(&RUNAS[..5], 3));
    let _ = writeln!(main, "Host_Alias HA = {}", rng.list(&hosts[1..3], 2));
    let _ = writeln!(main, "Cmnd_Alias CA = {}", rng.list(&CMNDS[1..11], 3));
    let _ = writeln!(main, "Cmnd_Alias CB = CA, {}", rng.list(&CMNDS[1..11], 2));
    if rng.chance(4) {
        main.push_str("Defaults runas_default=u2\n");
    }
    // `Defaults:u1` would be the wrong test: under `sudo -l -U u1` a user-bound
    // Defaults line matches the invoking user (root), not u1.
    if rng.chance(5) {
        main.push_str("Defaults@otherhost runas_default=u3\n");
    }
    let mut files = Vec::new();
    let spec = |rng: &mut Rng| {
        let runas = match rng.next() % 5 {
            0 => String::new(),
            1 => "() ".to_string(),
            _ => format!("({}) ", rng.list(RUNAS, 2)),
        };
        let tag = if rng.chance(3) { "NOPASSWD: " } else { "" };
        let mut cmnds = format!("{runas}{tag}{}", rng.list(CMNDS, 3));
        if rng.chance(3) {
            let _ = write!(cmnds, ", (root) {}", rng.list(CMNDS, 2));
        }
        let mut line = format!("{} {} = {cmnds}", rng.list(USERS, 2), rng.list(&hosts, 2));
        if rng.chance(4) {
            let _ = write!(line, " : {} = {}", rng.pick(&hosts), rng.list(CMNDS, 2));
        }
        line.push('\n');
        line
    };
    let n = 1 + rng.next() % 4;
    for _ in 0..n {
        main.push_str(&spec(rng));
    }
    if rng.chance(2) {
        main.push_str("@include sudoers.local\n");
        files.push(("sudoers.local".to_string(), spec(rng)));
    }
    if rng.chance(2) {
        main.push_str("@includedir /etc/sudoers.d\n");
        files.push(("sudoers.d/10-a".to_string(), spec(rng)));
        files.push(("sudoers.d/20-b".to_string(), spec(rng)));
        // Skipped by sudo: a name with a dot, a name ending in ~.
        files.push((
            "sudoers.d/30.c".to_string(),
            "ALL ALL = (ALL) ALL\n".to_string(),
        ));
        files.push((
            "sudoers.d/40-d~".to_string(),
            "ALL ALL = (ALL) ALL\n".to_string(),
        ));
    }
    if rng.chance(3) {
        main.push_str(&spec(rng));
    }
    files.insert(0, ("sudoers".to_string(), main));
    files
}

/// Files of the real /etc that sudo needs to start, bind-mounted into the generated
/// /etc.
const REAL_ETC: &[&str] = &[
    "ld.so.cache",
    "ld.so.conf",
    "nsswitch.conf",
    "hosts",
    "hostname",
    "host.conf",
    "sudo.conf",
    "pam.conf",
    "login.defs",
    "localtime",
];
const REAL_ETC_DIRS: &[&str] = &["pam.d", "security", "ld.so.conf.d", "alternatives"];

#[test]
fn agrees_with_real_sudo_on_generated_sudoers() {
    require_root("bind-mounting generated files over /etc in a private mount namespace");
    for t in ["sudo", "visudo", "unshare", "mount", "umount", "sh"] {
        require(t);
    }
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string();
    let short = host.split('.').next().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x5eed_cafe_f00d_1234);
    let mut script = String::from("set -u\n");
    let mut questions = Vec::new();
    const CASES: usize = 60;
    let mut texts = Vec::new();
    for case in 0..CASES {
        let etc = dir.path().join(format!("c{case}/etc"));
        std::fs::create_dir_all(etc.join("sudoers.d")).unwrap();
        let files = generate(&mut rng, &short);
        texts.push(
            files
                .iter()
                .map(|(n, t)| format!("--- /etc/{n}\n{t}"))
                .collect::<String>(),
        );
        for (name, text) in &files {
            let p = etc.join(name);
            std::fs::write(&p, text).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o440)).unwrap();
        }
        std::fs::write(etc.join("passwd"), PASSWD).unwrap();
        std::fs::write(etc.join("group"), GROUP).unwrap();
        let out = tool("visudo")
            .args(["-c", "-q", "-f"])
            .arg(etc.join("sudoers"))
            .output()
            .unwrap();
        // An include visudo resolves against the real /etc is fine to miss here; a
        // syntax error is a generator bug.
        assert!(
            out.status.success() || String::from_utf8_lossy(&out.stderr).contains("sudoers.local"),
            "case {case}: visudo -c: {}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            files[0].1
        );
        // vigil's view: the same files under a root.
        let mut s = Sudoers::default();
        read_case(&etc, "sudoers", &mut s);
        assert!(
            s.problems.is_empty(),
            "case {case}: {:?}\n{}",
            s.problems,
            files[0].1
        );
        for f in REAL_ETC {
            if Path::new("/etc").join(f).is_file() {
                std::fs::write(etc.join(f), "").unwrap();
                let _ = writeln!(script, "mount --bind /etc/{f} {}/{f}", etc.display());
            }
        }
        for d in REAL_ETC_DIRS {
            if Path::new("/etc").join(d).is_dir() {
                std::fs::create_dir_all(etc.join(d)).unwrap();
                let _ = writeln!(script, "mount --bind /etc/{d} {}/{d}", etc.display());
            }
        }
        let _ = writeln!(script, "mount --rbind {} /etc", etc.display());
        for user in ["u1", "u2", "u3"] {
            for runas in ["root", "u1", "u2", "u3"] {
                if runas == user {
                    continue;
                }
                for cmd in QUERY_CMDS {
                    let q = questions.len();
                    let _ = writeln!(
                        script,
                        "sudo -n -l -U {user} -u {runas} {cmd} >/dev/null 2>&1; echo \"{q} $?\""
                    );
                    let acc = Accounts::parse(PASSWD, GROUP);
                    let who = Who {
                        sudoers: &s,
                        acc: &acc,
                        host: &host,
                    };
                    let (path, args) = cmd.split_once(' ').unwrap_or((cmd, ""));
                    let d = who.lookup(user, runas, path, args);
                    assert!(!matches!(d, Decision::Unknown(_)), "case {case}: {d:?}");
                    questions.push((case, user, runas, *cmd, matches!(d, Decision::Allow(_))));
                }
            }
        }
        let _ = writeln!(script, "umount -l /etc");
    }
    let script_file = dir.path().join("ask-sudo.sh");
    std::fs::write(&script_file, &script).unwrap();
    let out = tool("unshare")
        .args(["-m", "--propagation", "private", "sh"])
        .arg(&script_file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut answers = vec![None; questions.len()];
    for l in stdout.lines() {
        if let Some((q, rc)) = l.split_once(' ')
            && let (Ok(q), Ok(rc)) = (q.parse::<usize>(), rc.parse::<i32>())
        {
            answers[q] = Some(rc);
        }
    }
    let mut wrong = Vec::new();
    let mut allowed = 0;
    for (q, (case, user, runas, cmd, vigil)) in questions.iter().enumerate() {
        let Some(rc) = answers[q] else {
            panic!(
                "no answer from sudo for question {q}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        assert!(rc == 0 || rc == 1, "sudo exit {rc} on case {case}");
        let sudo = rc == 0;
        allowed += usize::from(sudo);
        if sudo != *vigil {
            let text = &texts[*case];
            wrong.push(format!(
                "case {case}: {user} -u {runas} {cmd}: sudo {sudo}, vigil {vigil}\n{text}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} answers differ:\n{}",
        wrong.len(),
        questions.len(),
        wrong.iter().take(8).cloned().collect::<Vec<_>>().join("\n")
    );
    // The generator must produce both answers in quantity to test anything.
    assert!(
        allowed > questions.len() / 10 && allowed < questions.len() * 9 / 10,
        "{allowed}/{}",
        questions.len()
    );
}

/// Reads a case's sudoers the way [`super::read_sudoers`] does, with /etc mapped to
/// the case's directory.
fn read_case(etc: &Path, name: &str, out: &mut Sudoers) {
    let text = std::fs::read_to_string(etc.join(name)).unwrap();
    let file = format!("/etc/{name}");
    parse_into(&text, &file, out, &mut |inc, out| {
        let rel = inc
            .path
            .strip_prefix("/etc/")
            .unwrap_or(&inc.path)
            .to_string();
        if inc.dir {
            let mut names: Vec<String> = std::fs::read_dir(etc.join(&rel))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| !n.ends_with('~') && !n.contains('.'))
                .collect();
            names.sort();
            for n in names {
                read_case(etc, &format!("{rel}/{n}"), out);
            }
        } else {
            read_case(etc, &rel, out);
        }
    });
}
