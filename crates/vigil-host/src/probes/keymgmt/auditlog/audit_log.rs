//! `audit_log_object` (entity `name`, `format`): one item per audit-log source of the
//! policy — presence, ownership, mode, append-only flag, freshness, records missing a
//! required field (SP 800-130 FR:8.11), Vault raw-mode records and retention.

use super::retention::{auditd_retention, logrotate_retention};
use super::{Event, MAX_RECORDS, parse_context, source_events};
use crate::host::fileattrs;
use crate::policy::{LogFormat, time};
use crate::probes::keymgmt::keys::file_facts;
use crate::probes::keymgmt::read_accounts;
use crate::probes::keymgmt::{bool_str, keeps, literal, not_declared, policy, selects};
use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};

/// The probe of `audit_log_object` (vigil family): one item per `[[audit_logs]]` source.
pub struct AuditLogProbe;

impl Probe<Context> for AuditLogProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["audit_log_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let pol = policy(ctx);
        let acc = match read_accounts(ctx) {
            Ok(a) => a,
            Err(c) => return c,
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
            let read = match source_events(ctx, src, &pc) {
                Ok(x) => x,
                Err(e) => {
                    let mut it = Item::with_status(crate::probes::ItemStatus::Error, e);
                    it.fields = item.fields;
                    let _ = items.push(it);
                    continue;
                }
            };
            let (parsed, old) = (&read.current, &read.old);
            let Some(f) = &read.file else {
                item.push("exists", "false");
                match keeps(query, &item, OWN_ENTITIES) {
                    Ok(true) => {
                        let _ = items.push(item);
                    }
                    Ok(false) => {}
                    Err(c) => return c,
                }
                continue;
            };
            item.push("exists", "true");
            item.push("size", f.meta.len().to_string());
            match file_facts(f, &acc) {
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
            match fileattrs::inode_flags(f) {
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
            let with_token = parsed.events.iter().filter(|e| e.carries_token).count();
            item.push("token_records", with_token.to_string());
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
            item.push("retention_declared", bool_str(src.retention_days.is_some()));
            if let Some(days) = src.retention_days {
                item.push("retention_days_policy", days.to_string());
            }
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
            if let Some(days) = src.retention_days {
                let meets = match (ret.days, ret.size_based) {
                    (Some(d), _) => d >= days,
                    (None, false) => true,
                    (None, true) => kept_days.is_some_and(|k| k >= days as i64),
                };
                item.push("retention_meets_policy", bool_str(meets));
            }
            match keeps(query, &item, OWN_ENTITIES) {
                Ok(true) => {
                    let _ = items.push(item);
                }
                Ok(false) => {}
                Err(c) => return c,
            }
        }
        if items.is_empty() {
            return not_declared(ctx, &describe(query));
        }
        items.into_collected()
    }
}

/// The entities of `audit_log_object` that select sources; any other names an item
/// field the rule examines ([`keeps`]).
const OWN_ENTITIES: &[&str] = &["name", "format"];

/// What the policy would have to declare for the object to have a source.
fn describe(query: &ObjectQuery) -> String {
    let literal = |name: &str| literal(query, name);
    let mut what = "[[audit_logs]] source".to_string();
    if let Some(f) = literal("format") {
        what = format!("{what} with format = \"{f}\"");
    }
    if let Some(n) = literal("name") {
        what = format!("{what} named '{n}'");
    }
    let extra: Vec<&str> = query
        .entities
        .iter()
        .filter(|e| !OWN_ENTITIES.contains(&e.name.as_str()))
        .map(|e| e.name.as_str())
        .collect();
    if extra.contains(&"exists") {
        what.push_str(" that exists");
    }
    let with: Vec<&str> = extra
        .iter()
        .filter(|n| **n != "exists")
        .map(|n| match *n {
            "append_only_required" => "append_only = true",
            "retention_declared" => "retention_days",
            "token_records" => {
                "records that carry a client token (the only records that show raw mode)"
            }
            _ => "the examined field",
        })
        .collect();
    if !with.is_empty() {
        what = format!("{what} with {}", with.join(" and "));
    }
    what
}
