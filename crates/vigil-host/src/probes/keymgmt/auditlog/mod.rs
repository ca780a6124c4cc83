//! KMS audit logs (CCM LOG-09, LOG-10, LOG-11; NIST SP 800-130 FR:8.10-8.12): the three
//! formats the site policy names are parsed into events —
//!
//! - `auditd`: records grouped into events by their `msg=audit(SECONDS.MS:SERIAL)`;
//!   identity from `auid` (or `uid`, `acct`), outcome from `success=` or `res=`;
//! - `vault`: file audit device JSON lines, request and response records grouped by
//!   `request.id`; identity from `auth.metadata.username`, `auth.display_name`;
//!   outcome from the response record;
//! - `cloudtrail`: `{"Records": [...]}` documents or one record per line; identity from
//!   `userIdentity` (the issuing role for assumed-role sessions); outcome from
//!   `errorCode` (absent: success, as CloudTrail writes it).
//!
//! Objects (vigil family):
//! - `audit_log_object` (entity `name`): per source — presence, ownership, mode,
//!   append-only flag, freshness, records missing a required field, Vault raw-mode
//!   records, retention (auditd.conf / logrotate, or the oldest record kept).
//! - `audit_event_object` (entities `source`, `category` = denied | destructive,
//!   `window_seconds`): denied events per identity with the busiest window, or every
//!   destructive lifecycle event with whether the policy allows it. The offending
//!   records are item fields (`record`): the evidence.
//! - `role_activity_object` (entities `role`, `inactive_days`): last recorded activity
//!   of each role member.
//! - `log_secret_object`: private-key blocks and PINs written to log files.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::keys::file_facts;
use super::roles::members;
use super::{bool_str, int_entity, policy, selects};
use crate::host::accounts::Accounts;
use crate::host::{HostFile, fileattrs};
use crate::policy::{AuditLog, LogFormat, Policy, time};
use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};

/// Longest record text kept as evidence.
const MAX_EVIDENCE: usize = 2000;
/// Evidence records kept per item.
const MAX_RECORDS: usize = 20;

/// One audit event, normalised across formats.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Event {
    /// 1-based line of the event's first record.
    pub line: usize,
    pub event_type: Option<String>,
    pub time: Option<i64>,
    pub identity: Option<String>,
    /// Vault policies of the token (for role activity).
    pub policies: Vec<String>,
    /// `success` or `failure`.
    pub outcome: Option<String>,
    pub denied: bool,
    /// Lifecycle action: CloudTrail eventName, Vault `<operation> <path>`,
    /// `DeleteKeyFile` for auditd deletions of key files.
    pub action: Option<String>,
    /// deletion, disable, policy_change, audit_change.
    pub destructive: Option<&'static str>,
    /// A Vault record carries a client token in clear (raw mode).
    pub raw_secret: bool,
    pub records: Vec<String>,
}

impl Event {
    fn missing(&self) -> Vec<&'static str> {
        let mut m = Vec::new();
        if self.event_type.is_none() {
            m.push("event type");
        }
        if self.time.is_none() {
            m.push("date and time");
        }
        if self.identity.is_none() {
            m.push("identity");
        }
        if self.outcome.is_none() {
            m.push("outcome");
        }
        m
    }
}

fn clip(s: &str) -> String {
    if s.len() <= MAX_EVIDENCE {
        return s.to_string();
    }
    let mut end = MAX_EVIDENCE;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

/// Parsed log: events and lines that are not records of the format.
#[derive(Debug, Default)]
pub struct Parsed {
    pub events: Vec<Event>,
    pub unparsable: Vec<usize>,
}

/// What the parsers need to know about the site.
pub struct ParseContext<'a> {
    pub accounts: &'a Accounts,
    /// Declared key paths and key directories (auditd deletions of these are lifecycle
    /// events).
    pub key_paths: Vec<String>,
}

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
        }
        ev.records.push(clip(line));
    }
    // A deletion that failed is not a lifecycle event (the denial is reported).
    for ev in &mut p.events {
        if ev.destructive.is_some() && ev.outcome.as_deref() == Some("failure") {
            ev.destructive = None;
        }
    }
    p
}

fn jstr<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for k in path {
        cur = cur.get(k)?;
    }
    cur.as_str().filter(|s| !s.is_empty())
}

fn vault_action(op: &str, path: &str) -> Option<&'static str> {
    let path = path.trim_start_matches('/');
    let under = |prefix: &str| path.starts_with(prefix) && path.len() > prefix.len();
    if op == "delete" && (under("transit/keys/") || under("pki/key/") || under("pki/issuer/")) {
        Some("deletion")
    } else if op == "update" && path.starts_with("transit/keys/") && path.ends_with("/config") {
        // deletion_allowed / min_decryption_version changes prepare a destruction.
        Some("policy_change")
    } else if (op == "update" || op == "create" || op == "delete")
        && (under("sys/policy/") || under("sys/policies/acl/"))
    {
        Some("policy_change")
    } else if op == "delete" && under("sys/audit/") {
        Some("audit_change")
    } else {
        None
    }
}

pub fn parse_vault(text: &str) -> Parsed {
    let mut p = Parsed::default();
    let mut by_id: BTreeMap<String, usize> = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            p.unparsable.push(n + 1);
            continue;
        };
        let rtype = jstr(&v, &["type"]);
        let id = jstr(&v, &["request", "id"])
            .map(String::from)
            .unwrap_or_else(|| format!("line:{}", n + 1));
        let idx = *by_id.entry(id).or_insert_with(|| {
            p.events.push(Event {
                line: n + 1,
                ..Default::default()
            });
            p.events.len() - 1
        });
        let ev = &mut p.events[idx];
        if ev.event_type.is_none() {
            let op = jstr(&v, &["request", "operation"]);
            let path = jstr(&v, &["request", "path"]);
            ev.event_type = match (op, path) {
                (Some(o), Some(pa)) => Some(format!("{o} {pa}")),
                _ => rtype.map(String::from),
            };
            if let (Some(o), Some(pa)) = (op, path) {
                ev.action = Some(format!("{o} {pa}"));
                ev.destructive = vault_action(o, pa);
            }
        }
        if ev.time.is_none() {
            ev.time = jstr(&v, &["time"]).and_then(time::parse_rfc3339);
        }
        if ev.identity.is_none() {
            ev.identity = jstr(&v, &["auth", "metadata", "username"])
                .or_else(|| jstr(&v, &["auth", "display_name"]))
                .or_else(|| jstr(&v, &["auth", "entity_id"]))
                .map(String::from);
        }
        if ev.policies.is_empty()
            && let Some(Value::Array(a)) = v.get("auth").and_then(|a| a.get("policies"))
        {
            ev.policies = a
                .iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect();
        }
        let error = jstr(&v, &["error"]);
        if let Some(e) = error
            && e.contains("permission denied")
        {
            ev.denied = true;
            ev.outcome = Some("failure".into());
        }
        if rtype == Some("response") && ev.outcome.is_none() {
            ev.outcome = Some(
                if error.is_some() {
                    "failure"
                } else {
                    "success"
                }
                .into(),
            );
        }
        for token in [
            jstr(&v, &["auth", "client_token"]),
            jstr(&v, &["request", "client_token"]),
        ]
        .into_iter()
        .flatten()
        {
            if !token.starts_with("hmac-sha256:") {
                ev.raw_secret = true;
            }
        }
        ev.records.push(clip(line));
    }
    // A denied destructive request did not happen.
    for ev in &mut p.events {
        if ev.outcome.as_deref() == Some("failure") {
            ev.destructive = None;
        }
    }
    p
}

fn cloudtrail_event(v: &Value, line: usize, raw: String) -> Event {
    let name = jstr(v, &["eventName"]);
    let identity = jstr(
        v,
        &["userIdentity", "sessionContext", "sessionIssuer", "arn"],
    )
    .or_else(|| jstr(v, &["userIdentity", "arn"]))
    .or_else(|| jstr(v, &["userIdentity", "principalId"]))
    .map(String::from);
    let error = jstr(v, &["errorCode"]);
    let denied = error.is_some_and(|e| e.contains("AccessDenied") || e.contains("Unauthorized"));
    let kms = jstr(v, &["eventSource"]) == Some("kms.amazonaws.com");
    let destructive = match name {
        Some("ScheduleKeyDeletion" | "DeleteImportedKeyMaterial") if kms => Some("deletion"),
        Some("DisableKey" | "DisableKeyRotation") if kms => Some("disable"),
        Some("PutKeyPolicy" | "CreateGrant" | "RevokeGrant" | "RetireGrant") if kms => {
            Some("policy_change")
        }
        Some("StopLogging" | "DeleteTrail" | "UpdateTrail") => Some("audit_change"),
        _ => None,
    }
    .filter(|_| error.is_none());
    Event {
        line,
        event_type: name.map(String::from),
        time: jstr(v, &["eventTime"]).and_then(time::parse_rfc3339),
        identity,
        policies: Vec::new(),
        outcome: v.get("eventName").map(|_| {
            if error.is_some() {
                "failure"
            } else {
                "success"
            }
            .to_string()
        }),
        denied,
        action: name.map(String::from),
        destructive,
        raw_secret: false,
        records: vec![raw],
    }
}

pub fn parse_cloudtrail(text: &str) -> Parsed {
    let mut p = Parsed::default();
    let push_doc = |v: &Value, line: usize, p: &mut Parsed| {
        if let Some(Value::Array(recs)) = v.get("Records") {
            for r in recs {
                p.events
                    .push(cloudtrail_event(r, line, clip(&r.to_string())));
            }
        } else if v.is_object() {
            p.events
                .push(cloudtrail_event(v, line, clip(&v.to_string())));
        }
    };
    // A whole-file document (as CloudTrail delivers), else one JSON value per line.
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        push_doc(&v, 1, &mut p);
        return p;
    }
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(v) => push_doc(&v, n + 1, &mut p),
            Err(_) => p.unparsable.push(n + 1),
        }
    }
    p
}

pub fn parse(format: LogFormat, text: &str, pc: &ParseContext) -> Parsed {
    match format {
        LogFormat::Auditd => parse_auditd(text, pc),
        LogFormat::Vault => parse_vault(text),
        LogFormat::Cloudtrail => parse_cloudtrail(text),
    }
}

/// Rotated siblings of a log (`audit.log.1`, `audit.log.2`, ...), oldest last; compressed
/// ones are not read.
fn rotated(ctx: &Context, path: &str) -> Vec<HostFile> {
    let mut out = Vec::new();
    for i in 1..=1000 {
        match ctx.host.resolve(Path::new(&format!("{path}.{i}"))) {
            Ok(Some(f)) if f.meta.file_type().is_file() => out.push(f),
            _ => break,
        }
    }
    out
}

fn parse_context<'a>(pol: &Policy, acc: &'a Accounts) -> ParseContext<'a> {
    let mut key_paths: Vec<String> = pol.keys.iter().filter_map(|k| k.path.clone()).collect();
    key_paths.extend(pol.key_directories.iter().cloned());
    ParseContext {
        accounts: acc,
        key_paths,
    }
}

/// The events of one source (current file and rotated ones), plus read problems.
fn source_events(
    ctx: &Context,
    src: &AuditLog,
    pc: &ParseContext,
) -> Result<(Option<HostFile>, Parsed, Vec<Parsed>), String> {
    let Some(f) = ctx
        .host
        .resolve(Path::new(&src.path))
        .map_err(|e| format!("{}: {e}", src.path))?
    else {
        return Ok((None, Parsed::default(), Vec::new()));
    };
    let data = f.read(ctx.max_file_size).map_err(|e| e.to_string())?;
    let current = parse(src.format, &String::from_utf8_lossy(&data), pc);
    let mut old = Vec::new();
    for r in rotated(ctx, &src.path) {
        if let Ok(d) = r.read(ctx.max_file_size) {
            old.push(parse(src.format, &String::from_utf8_lossy(&d), pc));
        }
    }
    Ok((Some(f), current, old))
}

// ---- retention ----

/// Retention the host's configuration gives a log: `None` = nothing deletes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Retention {
    pub days: Option<u32>,
    pub basis: String,
    /// Rotation discards logs by size, not age: only the records kept tell.
    pub size_based: bool,
}

fn auditd_retention(ctx: &Context) -> Retention {
    let conf = ctx
        .host
        .read_file(Path::new("/etc/audit/auditd.conf"), 1 << 20)
        .ok()
        .flatten()
        .map(|d| String::from_utf8_lossy(&d).to_string())
        .unwrap_or_default();
    let mut action = "rotate".to_string();
    let mut num_logs = "5".to_string();
    for line in conf.lines() {
        if let Some((k, v)) = line.split_once('=') {
            match k.trim() {
                "max_log_file_action" => action = v.trim().to_ascii_lowercase(),
                "num_logs" => num_logs = v.trim().to_string(),
                _ => {}
            }
        }
    }
    match action.as_str() {
        "rotate" => Retention {
            days: None,
            basis: format!(
                "auditd.conf: max_log_file_action = rotate, num_logs = {num_logs} (size-based)"
            ),
            size_based: true,
        },
        a => Retention {
            days: None,
            basis: format!("auditd.conf: max_log_file_action = {a} (logs are not deleted)"),
            size_based: false,
        },
    }
}

/// logrotate(8): the rule covering `path` in /etc/logrotate.conf and the files it
/// includes; retention is `rotate` x period, capped by `maxage`.
pub fn logrotate_retention(ctx: &Context, path: &str) -> Retention {
    let mut files = vec![("/etc/logrotate.conf".to_string(), 0)];
    let (mut g_rotate, mut g_period) = (0u32, 7u32);
    let mut i = 0;
    while i < files.len() {
        let (file, _) = files[i].clone();
        i += 1;
        let text = match ctx.host.read_file(Path::new(&file), 1 << 20) {
            Ok(Some(d)) => String::from_utf8_lossy(&d).to_string(),
            _ => continue,
        };
        let mut in_block: Option<Vec<String>> = None;
        let (mut rotate, mut period, mut maxage) = (g_rotate, g_period, None::<u32>);
        let mut pending: Vec<String> = Vec::new();
        for line in text.lines() {
            let t = line.split('#').next().unwrap_or("").trim();
            if t.is_empty() {
                continue;
            }
            if let Some(open) = t.find('{') {
                pending.extend(
                    t[..open]
                        .split_whitespace()
                        .map(|s| s.trim_matches('"').to_string()),
                );
                in_block = Some(std::mem::take(&mut pending));
                (rotate, period, maxage) = (g_rotate, g_period, None);
                continue;
            }
            if t.starts_with('}') {
                if let Some(paths) = in_block.take()
                    && paths.iter().any(|p| super::wildcard_match(p, path))
                {
                    let mut days = rotate.saturating_mul(period);
                    if let Some(m) = maxage {
                        days = days.min(m);
                    }
                    return Retention {
                        days: Some(days),
                        basis: format!(
                            "{file}: rotate {rotate} x {period} day(s){}",
                            maxage.map(|m| format!(", maxage {m}")).unwrap_or_default()
                        ),
                        size_based: false,
                    };
                }
                continue;
            }
            let mut words = t.split_whitespace();
            let word = words.next().unwrap_or("");
            let arg = words.next();
            let (r, p) = if in_block.is_some() {
                (&mut rotate, &mut period)
            } else {
                (&mut g_rotate, &mut g_period)
            };
            match word {
                "rotate" => *r = arg.and_then(|a| a.parse().ok()).unwrap_or(*r),
                "daily" => *p = 1,
                "weekly" => *p = 7,
                "monthly" => *p = 31,
                "yearly" => *p = 366,
                "maxage" if in_block.is_some() => maxage = arg.and_then(|a| a.parse().ok()),
                "include" if in_block.is_none() => {
                    if let Some(inc) = arg {
                        match ctx.host.resolve(Path::new(inc)) {
                            Ok(Some(f)) if f.meta.is_dir() => {
                                for n in f.list_dir().unwrap_or_default() {
                                    files.push((
                                        format!(
                                            "{}/{}",
                                            inc.trim_end_matches('/'),
                                            n.to_string_lossy()
                                        ),
                                        0,
                                    ));
                                }
                            }
                            Ok(Some(_)) => files.push((inc.to_string(), 0)),
                            _ => {}
                        }
                    }
                }
                _ if in_block.is_none() && word.starts_with('/') => pending.push(word.to_string()),
                _ => {}
            }
        }
    }
    Retention {
        days: None,
        basis: "no logrotate rule covers the file (it is not rotated away)".into(),
        size_based: false,
    }
}

// ---- audit_log_object ----

pub struct AuditLogProbe;

impl Probe<Context> for AuditLogProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["audit_log_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let pol = match policy(ctx) {
            Ok(p) => p,
            Err(c) => return c,
        };
        let acc = match Accounts::read(&ctx.host) {
            Ok(a) => a,
            Err(e) => return Collected::error(format!("cannot read accounts: {e}")),
        };
        let pc = parse_context(pol, &acc);
        let now = time::now();
        let mut items = ctx.sink(ctx.deadline());
        for src in &pol.audit_logs {
            let wanted = selects(query, "name", &src.name)
                .and_then(|a| Ok(a && selects(query, "format", src.format.as_str())?));
            match wanted {
                Ok(true) => {}
                Ok(false) => continue,
                Err(c) => return c,
            }
            let mut item = Item::new()
                .field("name", src.name.as_str())
                .field("format", src.format.as_str())
                .field("path", src.path.as_str());
            let (file, parsed, old) = match source_events(ctx, src, &pc) {
                Ok(x) => x,
                Err(e) => {
                    let mut it = Item::with_status(crate::probes::ItemStatus::Error, e);
                    it.fields = item.fields;
                    let _ = items.push(it);
                    continue;
                }
            };
            let Some(f) = file else {
                item.push("exists", "false");
                let _ = items.push(item);
                continue;
            };
            item.push("exists", "true");
            item.push("size", f.meta.len().to_string());
            match file_facts(&f, &acc) {
                Ok(facts) => {
                    let owner_ok = facts.owner == src.owner;
                    let group_ok = src.group.as_ref().is_none_or(|g| g == &facts.group);
                    let mode_ok = facts.mode & !src.mode == 0;
                    item.push("owner", facts.owner.as_str());
                    item.push("group", facts.group.as_str());
                    item.push("mode", fileattrs::mode_str(facts.mode));
                    for e in &facts.named_acl {
                        item.push("acl_entry", e.as_str());
                    }
                    item.push("owner_matches_policy", bool_str(owner_ok));
                    item.push("group_matches_policy", bool_str(group_ok));
                    item.push("mode_within_policy", bool_str(mode_ok));
                    // Named ACL entries granting write defeat the mode check.
                    let acl_write = facts
                        .named_acl
                        .iter()
                        .any(|e| e.ends_with("w-") || e.ends_with("wx"));
                    item.push(
                        "permissions_match_policy",
                        bool_str(owner_ok && group_ok && mode_ok && !acl_write),
                    );
                }
                Err(e) => item.message = Some(e),
            }
            match fileattrs::inode_flags(&f) {
                Ok(Some((append, immutable))) => {
                    item.push("append_only", bool_str(append));
                    item.push("immutable", bool_str(immutable));
                }
                Ok(None) => {
                    item.push_absent("append_only");
                    item.push_absent("immutable");
                }
                Err(e) => item.message = Some(format!("{}: inode flags: {e}", src.path)),
            }
            item.push("append_only_required", bool_str(src.append_only));

            // Freshness.
            item.push("records", parsed.events.len().to_string());
            item.push("unparsable_records", parsed.unparsable.len().to_string());
            let last = parsed.events.iter().filter_map(|e| e.time).max();
            item.push("max_silence_seconds", src.max_silence_secs.to_string());
            match last {
                Some(t) => {
                    item.push("last_record_time", time::format_rfc3339(t));
                    let age = (now - t).max(0);
                    item.push("last_record_age_seconds", age.to_string());
                    item.push(
                        "silence_within_policy",
                        bool_str(age as u64 <= src.max_silence_secs),
                    );
                }
                None => item.push("silence_within_policy", "false"),
            }

            // Required fields (SP 800-130 FR:8.11): type, time, identity, outcome.
            let mut missing = 0;
            for e in &parsed.events {
                let m = e.missing();
                if !m.is_empty() {
                    missing += 1;
                    if missing <= MAX_RECORDS {
                        item.push(
                            "missing_fields_record",
                            format!(
                                "line {}: missing {}: {}",
                                e.line,
                                m.join(", "),
                                e.records.first().map(String::as_str).unwrap_or("")
                            ),
                        );
                    }
                }
            }
            for l in parsed.unparsable.iter().take(MAX_RECORDS) {
                item.push("unparsable_line", l.to_string());
            }
            item.push(
                "records_missing_fields",
                (missing + parsed.unparsable.len()).to_string(),
            );

            // Vault raw mode: tokens in clear.
            let raw: Vec<&Event> = parsed.events.iter().filter(|e| e.raw_secret).collect();
            item.push("raw_records", raw.len().to_string());
            for e in raw.iter().take(MAX_RECORDS) {
                // The line number only: the record holds a live token.
                item.push("raw_record_line", e.line.to_string());
            }

            // Retention.
            let ret = match src.format {
                LogFormat::Auditd => auditd_retention(ctx),
                _ => logrotate_retention(ctx, &src.path),
            };
            let oldest = parsed
                .events
                .iter()
                .chain(old.iter().flat_map(|p| p.events.iter()))
                .filter_map(|e| e.time)
                .min();
            item.push("retention_days_policy", src.retention_days.to_string());
            item.push("retention_basis", ret.basis.as_str());
            if let Some(d) = ret.days {
                item.push("retention_days_configured", d.to_string());
            }
            let kept_days = oldest.map(|o| (now - o).div_euclid(86400));
            if let Some(o) = oldest {
                item.push("oldest_record_time", time::format_rfc3339(o));
            }
            if let Some(k) = kept_days {
                item.push("retention_days_observed", k.to_string());
            }
            let meets = match (ret.days, ret.size_based) {
                (Some(d), _) => d >= src.retention_days,
                (None, false) => true,
                (None, true) => kept_days.is_some_and(|k| k >= src.retention_days as i64),
            };
            item.push("retention_meets_policy", bool_str(meets));
            let _ = items.push(item);
        }
        items.into_collected()
    }
}

// ---- audit_event_object ----

fn allowed(pol: &Policy, identity: &str, action: &str) -> bool {
    pol.detection.allow.iter().any(|a| {
        (a.identity == "*" || a.identity == identity)
            && (a.action == "*" || super::wildcard_match(&a.action, action))
    })
}

/// Highest number of events within any window of `window` seconds, and that window.
pub fn busiest_window(times: &[(i64, usize)], window: i64) -> (usize, usize, usize) {
    let (mut best, mut best_lo, mut lo) = (0, 0, 0);
    let mut best_hi = 0;
    for hi in 0..times.len() {
        while times[hi].0 - times[lo].0 >= window {
            lo += 1;
        }
        if hi + 1 - lo > best {
            best = hi + 1 - lo;
            best_lo = lo;
            best_hi = hi;
        }
    }
    (best, best_lo, best_hi)
}

pub struct AuditEventProbe;

impl Probe<Context> for AuditEventProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["audit_event_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let pol = match policy(ctx) {
            Ok(p) => p,
            Err(c) => return c,
        };
        let window = match int_entity(
            query,
            "window_seconds",
            pol.detection.window_minutes as i64 * 60,
        ) {
            Ok(w) if w > 0 => w,
            Ok(w) => {
                return Collected::error(format!(
                    "{}: window_seconds {w} must be positive",
                    query.object_id
                ));
            }
            Err(c) => return c,
        };
        let category = query
            .entity("category")
            .and_then(|e| e.values.first())
            .map(String::as_str)
            .unwrap_or("denied");
        if !matches!(category, "denied" | "destructive") {
            return Collected::error(format!(
                "{}: category must be 'denied' or 'destructive'",
                query.object_id
            ));
        }
        let acc = match Accounts::read(&ctx.host) {
            Ok(a) => a,
            Err(e) => return Collected::error(format!("cannot read accounts: {e}")),
        };
        let pc = parse_context(pol, &acc);
        let mut items = ctx.sink(ctx.deadline());
        let mut messages = Vec::new();
        for src in &pol.audit_logs {
            match selects(query, "source", &src.name) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(c) => return c,
            }
            let parsed = match source_events(ctx, src, &pc) {
                Ok((None, ..)) => {
                    messages.push(format!("{}: {} does not exist", src.name, src.path));
                    continue;
                }
                Ok((Some(_), p, _)) => p,
                Err(e) => return Collected::error(e),
            };
            if category == "denied" {
                let mut per: BTreeMap<String, Vec<(i64, usize)>> = BTreeMap::new();
                for (i, e) in parsed.events.iter().enumerate() {
                    if e.denied
                        && let Some(t) = e.time
                    {
                        let who = e.identity.clone().unwrap_or_else(|| "(unknown)".into());
                        per.entry(who).or_default().push((t, i));
                    }
                }
                for (who, mut times) in per {
                    times.sort();
                    let (n, lo, hi) = busiest_window(&times, window);
                    let mut item = Item::new()
                        .field("source", src.name.as_str())
                        .field("format", src.format.as_str())
                        .field("category", "denied")
                        .field("identity", who.as_str())
                        .field("denied_count", times.len().to_string())
                        .field("window_seconds", window.to_string())
                        .field("max_in_window", n.to_string())
                        .field("window_start", time::format_rfc3339(times[lo].0))
                        .field("window_end", time::format_rfc3339(times[hi].0));
                    for &(_, i) in times[lo..=hi].iter().take(MAX_RECORDS) {
                        let e = &parsed.events[i];
                        item.push(
                            "record",
                            format!("{}:{}: {}", src.path, e.line, e.records.join(" ")),
                        );
                    }
                    let _ = items.push(item);
                }
            } else {
                for e in &parsed.events {
                    let Some(cat) = e.destructive else { continue };
                    match selects(query, "kind", cat) {
                        Ok(true) => {}
                        Ok(false) => continue,
                        Err(c) => return c,
                    }
                    let who = e.identity.clone().unwrap_or_else(|| "(unknown)".into());
                    let action = e.action.clone().unwrap_or_default();
                    let mut item = Item::new()
                        .field("source", src.name.as_str())
                        .field("format", src.format.as_str())
                        .field("category", "destructive")
                        .field("kind", cat)
                        .field("identity", who.as_str())
                        .field("action", action.as_str())
                        .field("allowed", bool_str(allowed(pol, &who, &action)));
                    if let Some(t) = e.time {
                        item.push("time", time::format_rfc3339(t));
                    }
                    item.push(
                        "record",
                        format!("{}:{}: {}", src.path, e.line, e.records.join(" ")),
                    );
                    if items.push(item).is_err() {
                        break;
                    }
                }
            }
        }
        super::collected(items, messages)
    }
}

// ---- role_activity_object ----

pub struct RoleActivityProbe;

impl Probe<Context> for RoleActivityProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["role_activity_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let pol = match policy(ctx) {
            Ok(p) => p,
            Err(c) => return c,
        };
        let days = match int_entity(query, "inactive_days", pol.detection.inactive_days as i64) {
            Ok(d) => d,
            Err(c) => return c,
        };
        let acc = match Accounts::read(&ctx.host) {
            Ok(a) => a,
            Err(e) => return Collected::error(format!("cannot read accounts: {e}")),
        };
        let pc = parse_context(pol, &acc);
        // Last activity per (identity type, identity), and how far back each kind of
        // log reaches.
        let mut last: BTreeMap<(&'static str, String), i64> = BTreeMap::new();
        let mut reach: BTreeMap<&'static str, i64> = BTreeMap::new();
        for src in &pol.audit_logs {
            let Ok((Some(_), cur, old)) = source_events(ctx, src, &pc) else {
                continue;
            };
            let itype = match src.format {
                LogFormat::Auditd => "unix_user",
                LogFormat::Vault => "vault_policy",
                LogFormat::Cloudtrail => "aws_principal",
            };
            for e in cur
                .events
                .iter()
                .chain(old.iter().flat_map(|p| p.events.iter()))
            {
                let Some(t) = e.time else { continue };
                let r = reach.entry(itype).or_insert(t);
                *r = (*r).min(t);
                let mut ids: Vec<String> = e.identity.iter().cloned().collect();
                if src.format == LogFormat::Vault {
                    ids = e.policies.clone();
                }
                for id in ids {
                    let l = last.entry((itype, id)).or_insert(t);
                    *l = (*l).max(t);
                }
            }
        }
        let now = time::now();
        let mut items = ctx.sink(ctx.deadline());
        for m in members(pol, &acc)
            .into_iter()
            .filter(|m| m.identity_type != "unix_group")
        {
            match selects(query, "role", &m.role) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(c) => return c,
            }
            let mut item = Item::new()
                .field("role", m.role.as_str())
                .field("identity", m.identity.as_str())
                .field("identity_type", m.identity_type)
                .field("inactive_days", days.to_string());
            let since = reach
                .get(m.identity_type)
                .map(|r| (now - r).div_euclid(86400));
            match last.get(&(m.identity_type, m.identity.clone())) {
                Some(&t) => {
                    let d = (now - t).div_euclid(86400);
                    item.push("last_activity", time::format_rfc3339(t));
                    item.push("days_since_activity", d.to_string());
                    item.push("inactive", bool_str(d > days));
                }
                None => match since {
                    Some(s) if s > days => {
                        item.push("days_since_activity", s.to_string());
                        item.push("inactive", "true");
                        item.message = Some(format!("no activity in the {s} days the logs cover"));
                    }
                    _ => {
                        item.push_absent("inactive");
                        item.message = Some(format!(
                            "no activity recorded, and the {} logs do not reach back {days} days",
                            m.identity_type
                        ));
                    }
                },
            }
            let _ = items.push(item);
        }
        items.into_collected()
    }
}

// ---- log_secret_object ----

pub struct LogSecretProbe;

impl Probe<Context> for LogSecretProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["log_secret_object"]
    }

    fn collect(&self, _query: &ObjectQuery, ctx: &Context) -> Collected {
        let pol = match policy(ctx) {
            Ok(p) => p,
            Err(c) => return c,
        };
        let key_re = pcre2::bytes::RegexBuilder::new()
            .build(r"-----BEGIN ((RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY)-----")
            .expect("static pattern");
        let pin_re = pcre2::bytes::RegexBuilder::new()
            .caseless(true)
            .build(
                r#"(pin-value=|\b(?:user_?pin|so_?pin|pin)["']?\s*[=:]\s*["']?)([^\s"'&;,}]{4,})"#,
            )
            .expect("static pattern");
        let mut paths: Vec<String> = pol.audit_logs.iter().map(|l| l.path.clone()).collect();
        paths.extend(pol.log_paths.iter().cloned());
        let mut items = ctx.sink(ctx.deadline());
        let mut messages = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for p in &paths {
            let files = match fileattrs::walk_files(&ctx.host, Path::new(p), 8) {
                Ok(f) => f,
                Err(e) => {
                    messages.push(format!("{p}: {e}"));
                    continue;
                }
            };
            for f in files {
                if !seen.insert(f.real.clone()) {
                    continue;
                }
                let data = match f.read(ctx.max_file_size) {
                    Ok(d) => d,
                    Err(e) => {
                        messages.push(e.to_string());
                        continue;
                    }
                };
                for (n, line) in data.split(|&b| b == b'\n').enumerate() {
                    let path = f.host_path.to_string_lossy();
                    if let Ok(Some(c)) = key_re.captures(line) {
                        let _ = items.push(
                            Item::new()
                                .field("path", path.as_ref())
                                .field("line", (n + 1).to_string())
                                .field("kind", "private_key_block")
                                .field(
                                    "evidence",
                                    format!(
                                        "{}:{}: -----BEGIN {}----- (key material not copied)",
                                        path,
                                        n + 1,
                                        String::from_utf8_lossy(&c[1])
                                    ),
                                ),
                        );
                    } else if let Ok(Some(c)) = pin_re.captures(line) {
                        let m = c.get(2).expect("group 2");
                        let mut red = String::from_utf8_lossy(&line[..m.start()]).to_string();
                        red.push_str("****");
                        red.push_str(&String::from_utf8_lossy(&line[m.end()..]));
                        let _ = items.push(
                            Item::new()
                                .field("path", path.as_ref())
                                .field("line", (n + 1).to_string())
                                .field("kind", "pin")
                                .field("evidence", format!("{}:{}: {}", path, n + 1, clip(&red))),
                        );
                    }
                }
            }
        }
        super::collected(items, messages)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn vault_requests_pair_with_responses() {
        let text = r#"{"time":"2024-01-01T00:00:00Z","type":"request","auth":{"client_token":"hmac-sha256:aa","display_name":"userpass-alice","metadata":{"username":"alice"},"policies":["kms-admin"]},"request":{"id":"r1","operation":"delete","path":"transit/keys/app","client_token":"hmac-sha256:aa"}}
{"time":"2024-01-01T00:00:01Z","type":"response","auth":{"client_token":"hmac-sha256:aa","display_name":"userpass-alice","metadata":{"username":"alice"}},"request":{"id":"r1","operation":"delete","path":"transit/keys/app"},"response":{}}
{"time":"2024-01-01T00:00:02Z","type":"request","auth":{"client_token":"s.RAWTOKEN","display_name":"token"},"request":{"id":"r2","operation":"read","path":"secret/x"},"error":"permission denied"}
{"time":"2024-01-01T00:00:03Z","type":"request","request":{"id":"r3","operation":"read","path":"sys/health"}}
"#;
        let p = parse_vault(text);
        assert_eq!(p.events.len(), 3);
        assert_eq!(p.events[0].destructive, Some("deletion"));
        assert_eq!(p.events[0].outcome.as_deref(), Some("success"));
        assert_eq!(p.events[0].policies, vec!["kms-admin"]);
        assert!(p.events[1].denied && p.events[1].raw_secret);
        assert_eq!(p.events[2].missing(), vec!["identity", "outcome"]);
    }

    #[test]
    fn cloudtrail_documents_and_lines() {
        let doc = r#"{"Records":[{"eventTime":"2024-01-01T00:00:00Z","eventSource":"kms.amazonaws.com","eventName":"ScheduleKeyDeletion","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/KeyAdmin/s","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::1:role/KeyAdmin"}}}},
{"eventTime":"2024-01-01T00:00:05Z","eventSource":"kms.amazonaws.com","eventName":"Decrypt","errorCode":"AccessDenied","userIdentity":{"arn":"arn:aws:iam::1:user/eve"}}]}"#;
        let p = parse_cloudtrail(doc);
        assert_eq!(p.events.len(), 2);
        assert_eq!(
            p.events[0].identity.as_deref(),
            Some("arn:aws:iam::1:role/KeyAdmin")
        );
        assert_eq!(p.events[0].destructive, Some("deletion"));
        assert!(p.events[1].denied);
        let lines = "{\"eventTime\":\"2024-01-01T00:00:00Z\",\"eventName\":\"DisableKey\",\"eventSource\":\"kms.amazonaws.com\"}\nnot json\n";
        let p = parse_cloudtrail(lines);
        assert_eq!(p.unparsable, vec![2]);
        assert_eq!(p.events[0].missing(), vec!["identity"]);
    }

    #[test]
    fn busiest_window_slides() {
        let t: Vec<(i64, usize)> = [0, 10, 20, 700, 705, 710, 715, 1300]
            .iter()
            .enumerate()
            .map(|(i, &s)| (s, i))
            .collect();
        assert_eq!(busiest_window(&t, 600), (4, 3, 6));
        assert_eq!(busiest_window(&t, 5000), (8, 0, 7));
        assert_eq!(busiest_window(&t, 1), (1, 0, 0));
    }
}
