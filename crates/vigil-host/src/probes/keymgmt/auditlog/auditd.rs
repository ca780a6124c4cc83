//! The auditd log format (audit.log, auditd(8)): one record per line, `key=value`
//! fields; the records of one event share `msg=audit(SECONDS.MS:SERIAL)` and are
//! grouped into one [`Event`]. Identity from `auid` (or `uid`, `acct`), outcome from
//! `success=` or `res=`; a deletion of a declared key path (PATH record,
//! `nametype=DELETE`) is a lifecycle event. [`last_touch`] finds who last touched a
//! file (auid, uid, exe, pid, key), for `vigil watch`.

use std::collections::BTreeMap;

use super::{Event, ParseContext, Parsed, clip};

/// The value of the field `name` in an auditd record, unquoted.
fn auditd_field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let mut search = line;
    loop {
        let i = search.find(name)?;
        let before_ok = i == 0 || search.as_bytes()[i - 1] == b' ';
        let rest = &search[i + name.len()..];
        if before_ok && let Some(v) = rest.strip_prefix('=') {
            let v = if let Some(q) = v.strip_prefix('"') {
                &q[..q.find('"').unwrap_or(q.len())]
            } else if let Some(q) = v.strip_prefix('\'') {
                &q[..q.find('\'').unwrap_or(q.len())]
            } else {
                &v[..v.find([' ', '\x1d']).unwrap_or(v.len())]
            };
            return Some(v);
        }
        search = rest;
    }
}

/// Parses an auditd log: records sharing `msg=audit(SECONDS.MS:SERIAL)` make one event;
/// lines without an `audit(...)` msg are unparsable.
pub fn parse_auditd(text: &str, pc: &ParseContext) -> Parsed {
    let mut p = Parsed::default();
    let mut by_serial: BTreeMap<String, usize> = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let Some(msg) = auditd_field(line, "msg").filter(|m| m.starts_with("audit(")) else {
            p.unparsable.push(n + 1);
            continue;
        };
        let inner = msg
            .trim_start_matches("audit(")
            .trim_end_matches(['(', ')', ':']);
        let (ts, serial) = inner.split_once(':').unwrap_or((inner, ""));
        let time = ts.split('.').next().and_then(|s| s.parse::<i64>().ok());
        let idx = *by_serial
            .entry(format!("{ts}:{serial}"))
            .or_insert_with(|| {
                p.events.push(Event {
                    line: n + 1,
                    time,
                    ..Default::default()
                });
                p.events.len() - 1
            });
        let ev = &mut p.events[idx];
        let rtype = auditd_field(line, "type");
        if (ev.event_type.is_none() || rtype == Some("SYSCALL"))
            && let Some(t) = rtype
        {
            ev.event_type = Some(t.to_string());
        }
        if ev.identity.is_none() {
            let id = auditd_field(line, "auid")
                .filter(|a| *a != "4294967295" && *a != "-1" && *a != "unset")
                .or_else(|| auditd_field(line, "uid"))
                .map(|u| {
                    u.parse::<u32>()
                        .map(|n| pc.accounts.user_name(n))
                        .unwrap_or_else(|_| u.to_string())
                })
                .or_else(|| auditd_field(line, "acct").map(String::from));
            ev.identity = id;
        }
        if let Some(s) = auditd_field(line, "success") {
            ev.outcome = Some(if s == "yes" { "success" } else { "failure" }.into());
            let exit = auditd_field(line, "exit").unwrap_or("");
            if s == "no" && (exit == "-13" || exit == "-1" || exit == "EACCES" || exit == "EPERM") {
                ev.denied = true;
            }
        } else if let Some(r) = auditd_field(line, "res") {
            let ok = matches!(r, "success" | "1" | "yes");
            ev.outcome = Some(if ok { "success" } else { "failure" }.into());
            if r == "failed" || r == "0" {
                ev.denied = true;
            }
        }
        if rtype == Some("PATH")
            && auditd_field(line, "nametype") == Some("DELETE")
            && let Some(name) = auditd_field(line, "name")
            && pc
                .key_paths
                .iter()
                .any(|k| name == k || name.starts_with(&format!("{}/", k.trim_end_matches('/'))))
        {
            ev.action = Some("DeleteKeyFile".into());
            ev.destructive = Some("deletion");
            ev.key = Some(name.to_string());
            ev.stage = Some(super::Stage::Destroyed);
        }
        ev.records.push(clip(line));
    }
    // A deletion that failed is not a lifecycle event (the denial is reported).
    for ev in &mut p.events {
        if ev.destructive.is_some() && ev.outcome.as_deref() == Some("failure") {
            ev.destructive = None;
            ev.stage = None;
        }
    }
    p
}

/// Who last touched a file, as auditd recorded it: the SYSCALL record of the latest
/// event whose PATH record names the file (absolute, or relative to the event's CWD
/// record), for `vigil watch` to say who changed what it saw change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Touch {
    /// When, seconds since the epoch (the record's `msg=audit(...)`).
    pub time: Option<i64>,
    /// The event's serial (`msg=audit(SECONDS.MS:SERIAL)`), to find the records again.
    pub serial: Option<String>,
    /// 1-based line of the event's first record in the text searched.
    pub line: usize,
    /// The login uid (`auid`), numeric as logged; `None` when unset (4294967295).
    pub auid: Option<u32>,
    /// The uid the process ran as (`uid`).
    pub uid: Option<u32>,
    /// The executable (`exe`).
    pub exe: Option<String>,
    /// The process id (`pid`).
    pub pid: Option<u32>,
    /// The audit rule's key (`key`); `None` for `(null)`.
    pub key: Option<String>,
    /// The system call number (`syscall`), as logged.
    pub syscall: Option<String>,
}

/// The field `name` of an auditd record, unquoted, with auditd's hex encoding of
/// untrusted strings (an unquoted value of hex digits, used when the string holds a
/// space, a quote or a control character) undone.
pub fn decoded_field(line: &str, name: &str) -> Option<String> {
    let v = auditd_field(line, name)?;
    let quoted = line.contains(&format!(" {name}=\"")) || line.starts_with(&format!("{name}=\""));
    if !quoted
        && v.len() >= 2
        && v.len() % 2 == 0
        && v.bytes().all(|b| b.is_ascii_hexdigit())
        && let Some(bytes) = vigil_core::osutil::unhex(&v.to_ascii_lowercase())
    {
        return Some(String::from_utf8_lossy(&bytes).into_owned());
    }
    Some(v.to_string())
}

/// The latest event of `parsed` between `from` and `to` (seconds, inclusive) whose PATH
/// records name `path`; `None` when auditd recorded none.
pub fn last_touch(parsed: &Parsed, path: &str, from: i64, to: i64) -> Option<Touch> {
    let names_path = |ev: &Event| {
        let cwd = ev
            .records
            .iter()
            .find(|r| auditd_field(r, "type") == Some("CWD"))
            .and_then(|r| decoded_field(r, "cwd"));
        ev.records
            .iter()
            .filter(|r| auditd_field(r, "type") == Some("PATH"))
            .filter_map(|r| decoded_field(r, "name"))
            .any(|n| {
                if n.starts_with('/') {
                    n == path
                } else {
                    cwd.as_deref().is_some_and(|c| {
                        std::path::Path::new(c).join(&n) == std::path::Path::new(path)
                    })
                }
            })
    };
    let ev = parsed
        .events
        .iter()
        .rev()
        .filter(|e| e.time.is_some_and(|t| t >= from && t <= to))
        .find(|e| names_path(e))?;
    let sys = ev
        .records
        .iter()
        .find(|r| auditd_field(r, "type") == Some("SYSCALL"));
    let num = |name: &str| {
        sys.and_then(|r| auditd_field(r, name))
            .and_then(|v| v.parse::<u32>().ok())
    };
    let serial = ev
        .records
        .first()
        .and_then(|r| auditd_field(r, "msg"))
        .and_then(|m| {
            m.trim_start_matches("audit(")
                .trim_end_matches(['(', ')', ':'])
                .split_once(':')
                .map(|(_, s)| s.to_string())
        });
    Some(Touch {
        time: ev.time,
        serial,
        line: ev.line,
        auid: num("auid").filter(|&a| a != u32::MAX),
        uid: num("uid"),
        exe: sys.and_then(|r| decoded_field(r, "exe")),
        pid: num("pid"),
        key: sys
            .and_then(|r| decoded_field(r, "key"))
            .filter(|k| k != "(null)"),
        syscall: sys
            .and_then(|r| auditd_field(r, "syscall"))
            .map(String::from),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::accounts::Accounts;

    fn pc(acc: &Accounts) -> ParseContext<'_> {
        ParseContext {
            accounts: acc,
            key_paths: vec!["/etc/kms/keys".into()],
        }
    }

    #[test]
    fn auditd_events_group_records_by_serial() {
        let acc = Accounts::parse("alice:x:1001:1001::/:/bin/sh\n", "");
        let text = "type=SYSCALL msg=audit(1700000000.100:42): arch=c000003e syscall=87 success=yes exit=0 auid=1001 uid=0 comm=\"rm\" key=\"kms\"\n\
type=PATH msg=audit(1700000000.100:42): item=1 name=\"/etc/kms/keys/old.pem\" nametype=DELETE\n\
type=SYSCALL msg=audit(1700000050.000:43): syscall=2 success=no exit=-13 auid=4294967295 uid=1001\n\
type=PROCTITLE msg=audit(1700000060.000:44): proctitle=636174\n\
garbage\n";
        let acc2 = acc.clone();
        let p = parse_auditd(text, &pc(&acc2));
        assert_eq!(p.unparsable, vec![5]);
        assert_eq!(p.events.len(), 3);
        let e = &p.events[0];
        assert_eq!(
            (e.identity.as_deref(), e.outcome.as_deref(), e.destructive),
            (Some("alice"), Some("success"), Some("deletion"))
        );
        assert_eq!(e.records.len(), 2);
        assert!(p.events[1].denied);
        assert_eq!(
            p.events[1].identity.as_deref(),
            Some("alice"),
            "unset auid falls back to uid"
        );
        assert_eq!(p.events[2].missing(), vec!["identity", "outcome"]);
    }
    #[test]
    fn last_touch_names_who_changed_a_path_absolute_relative_or_hex_encoded() {
        let acc = Accounts::parse("", "");
        let text = "type=SYSCALL msg=audit(1700000000.100:50): arch=c000003e syscall=90 success=yes exit=0 ppid=1 pid=4242 auid=1001 uid=0 gid=0 comm=\"chmod\" exe=\"/usr/bin/chmod\" key=\"kms-keys\"\n\
type=CWD msg=audit(1700000000.100:50): cwd=\"/etc/kms\"\n\
type=PATH msg=audit(1700000000.100:50): item=0 name=\"keys/a.pem\" inode=5 nametype=NORMAL\n\
type=SYSCALL msg=audit(1700000001.000:51): syscall=2 success=yes exit=3 pid=7 auid=4294967295 uid=33 exe=2F7573722F62696E2F6D7920746F6F6C key=(null)\n\
type=PATH msg=audit(1700000001.000:51): item=0 name=2F6574632F6B6D732F6B6579732F6120622E70656D nametype=NORMAL\n\
type=SYSCALL msg=audit(1700000900.000:52): syscall=90 success=yes pid=9 auid=0 uid=0 exe=\"/usr/bin/chmod\"\n\
type=PATH msg=audit(1700000900.000:52): item=0 name=\"/etc/kms/keys/a.pem\" nametype=NORMAL\n";
        let p = parse_auditd(text, &pc(&acc));
        let t = last_touch(&p, "/etc/kms/keys/a.pem", 1699999990, 1700000010).unwrap();
        assert_eq!(
            (t.auid, t.uid, t.pid, t.exe.as_deref(), t.key.as_deref()),
            (
                Some(1001),
                Some(0),
                Some(4242),
                Some("/usr/bin/chmod"),
                Some("kms-keys")
            )
        );
        assert_eq!(
            (t.time, t.serial.as_deref(), t.syscall.as_deref()),
            (Some(1700000000), Some("50"), Some("90"))
        );
        let h = last_touch(&p, "/etc/kms/keys/a b.pem", 1699999990, 1700000010).unwrap();
        assert_eq!(
            (h.auid, h.uid, h.exe.as_deref(), h.key),
            (None, Some(33), Some("/usr/bin/my tool"), None)
        );
        // Outside the window, or another file: not this change.
        assert!(last_touch(&p, "/etc/kms/keys/a.pem", 1700000100, 1700000200).is_none());
        assert!(last_touch(&p, "/etc/kms/keys/b.pem", 0, i64::MAX).is_none());
        assert_eq!(
            last_touch(&p, "/etc/kms/keys/a.pem", 0, i64::MAX)
                .unwrap()
                .serial
                .as_deref(),
            Some("52")
        );
    }
}
