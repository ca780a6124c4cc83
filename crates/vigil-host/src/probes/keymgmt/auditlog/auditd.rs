//! The auditd log format (audit.log, auditd(8)): one record per line, `key=value`
//! fields; the records of one event share `msg=audit(SECONDS.MS:SERIAL)` and are
//! grouped into one [`Event`]. Identity from `auid` (or `uid`, `acct`), outcome from
//! `success=` or `res=`; a deletion of a declared key path (PATH record,
//! `nametype=DELETE`) is a lifecycle event.

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
}
