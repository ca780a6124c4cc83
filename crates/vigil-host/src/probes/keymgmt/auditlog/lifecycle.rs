//! `key_lifecycle_object` (entities `name`, `unused_days`, and item fields that narrow
//! it such as `declared`): each key's lifecycle as the audit logs record it (CCM v4
//! LOG-11, "log and monitor key lifecycle management events"; NIST SP 800-57 Part 1
//! §7 key states and §5.3 cryptoperiods): generated, each rotation, uses (count,
//! identities, first and last), policy changes, disabled, deletion scheduled or
//! cancelled, destroyed, exported.
//!
//! The keys are the policy's `[[kms_keys]]` (AWS KMS keys through CloudTrail, Vault
//! transit keys through Vault audit devices) and, undeclared, every other key the logs
//! show a lifecycle event for (so a scan without a policy still draws each key's
//! timeline). The item judges, where the logs can tell:
//!
//! - `rotated_in_period`: a generation or rotation within the key's `rotation_days`;
//!   left out (unknown) when none is recorded and the logs do not reach back that far;
//! - `unused`: no recorded use within `unused_days`; left out when the logs are younger;
//! - `used_after_disable`: a successful use while the key was disabled or scheduled for
//!   deletion, or after it was destroyed (the offending records are the evidence);
//! - `lifecycle_complete`: with `logs` declared, every lifecycle event (uses aside) is in
//!   each of those logs, matched by the log's own event id (CloudTrail `eventID`, Vault
//!   `request.id`) or by stage and time; `missing_from` names what lacks.
//!
//! `timeline` holds one value per event, `TIME STAGE IDENTITY (SOURCE:LINE)`, oldest
//! first, which the HTML report draws.

use std::collections::{BTreeMap, BTreeSet};

use super::{Event, MAX_RECORDS, Stage, parse_context, source_events};
use crate::policy::{KmsKey, time};
use crate::probes::keymgmt::{
    bool_str, int_entity, keeps, not_declared, policy, read_accounts, selects,
};
use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};

const DAY: i64 = 86400;
/// Most timeline entries kept per key (the newest are kept).
const MAX_TIMELINE: usize = 200;
/// Most distinct identities named per key.
const MAX_USERS: usize = 10;
/// Two logs recording one event without a shared id: the times may differ by this much.
const SAME_EVENT_SECONDS: i64 = 300;

/// The object's own entities; any other names an item field and narrows the items.
const OWN_ENTITIES: &[&str] = &["name", "unused_days"];

/// One event of one key, with where it was read.
struct Seen<'a> {
    source: &'a str,
    event: &'a Event,
}

/// The probe of `key_lifecycle_object`.
pub struct KeyLifecycleProbe;

impl Probe<Context> for KeyLifecycleProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["key_lifecycle_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let pol = policy(ctx);
        let unused_days =
            match int_entity(query, "unused_days", pol.detection.key_unused_days as i64) {
                Ok(d) if d > 0 => d,
                Ok(d) => {
                    return Collected::error(format!(
                        "{}: unused_days {d} must be positive",
                        query.object_id
                    ));
                }
                Err(c) => return c,
            };
        if pol.audit_logs.is_empty() {
            return not_declared(ctx, "[[audit_logs]] source recording key lifecycle events");
        }
        let acc = match read_accounts(ctx) {
            Ok(a) => a,
            Err(c) => return c,
        };
        let pc = parse_context(pol, &acc);
        let mut parsed = Vec::new();
        let mut messages = Vec::new();
        for src in &pol.audit_logs {
            match source_events(ctx, src, &pc) {
                Ok(s) if s.file.is_some() => parsed.push((src, s)),
                Ok(_) => messages.push(format!("{}: {} does not exist", src.name, src.path)),
                Err(e) => messages.push(format!("{}: {e}", src.name)),
            }
        }
        // How far back each source reaches: its oldest event with a time.
        let mut reach: BTreeMap<&str, i64> = BTreeMap::new();
        let mut by_key: BTreeMap<String, Vec<Seen<'_>>> = BTreeMap::new();
        for (src, s) in &parsed {
            for e in s
                .current
                .events
                .iter()
                .chain(s.old.iter().flat_map(|p| p.events.iter()))
            {
                if let Some(t) = e.time {
                    let r = reach.entry(src.name.as_str()).or_insert(t);
                    *r = (*r).min(t);
                }
                let (Some(k), Some(_)) = (&e.key, e.stage) else {
                    continue;
                };
                let name = pol
                    .kms_keys
                    .iter()
                    .find(|d| d.is(k))
                    .map_or_else(|| k.clone(), |d| d.name.clone());
                by_key.entry(name).or_default().push(Seen {
                    source: &src.name,
                    event: e,
                });
            }
        }
        let now = time::now();
        let mut items = ctx.sink(ctx.deadline());
        let mut names: Vec<(String, Option<&KmsKey>)> = pol
            .kms_keys
            .iter()
            .map(|k| (k.name.clone(), Some(k)))
            .collect();
        for k in by_key.keys() {
            if !pol.kms_keys.iter().any(|d| d.name == *k) {
                names.push((k.clone(), None));
            }
        }
        for (name, declared) in names {
            match selects(query, "name", &name) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(c) => return c,
            }
            let mut seen = by_key.remove(&name).unwrap_or_default();
            seen.sort_by_key(|s| (s.event.time.unwrap_or(i64::MIN), s.event.line));
            let item = key_item(&name, declared, &seen, &reach, unused_days, now);
            match keeps(query, &item, OWN_ENTITIES) {
                Ok(true) => {
                    if items.push(item).is_err() {
                        break;
                    }
                }
                Ok(false) => {}
                Err(c) => return c,
            }
        }
        if items.is_empty() {
            let mut c = not_declared(
                ctx,
                "[[kms_keys]] entry (and no audit log records a key lifecycle event)",
            );
            c.messages.extend(messages);
            return c;
        }
        crate::probes::keymgmt::collected(items, messages)
    }
}

/// The item of one key from its events, oldest first.
fn key_item(
    name: &str,
    declared: Option<&KmsKey>,
    seen: &[Seen<'_>],
    reach: &BTreeMap<&str, i64>,
    unused_days: i64,
    now: i64,
) -> Item {
    let mut item = Item::new()
        .field("name", name)
        .field("declared", bool_str(declared.is_some()));
    let ids: BTreeSet<&str> = seen.iter().filter_map(|s| s.event.key.as_deref()).collect();
    for id in &ids {
        item.push("key_id", *id);
    }
    if let Some(k) = declared {
        for id in k.aws_kms_key.iter().chain(k.vault_transit_key.iter()) {
            if !ids.contains(id.as_str()) {
                item.push("key_id", id.as_str());
            }
        }
    }
    let sources: BTreeSet<&str> = seen.iter().map(|s| s.source).collect();
    for s in &sources {
        item.push("source", *s);
    }
    item.push("events", seen.len().to_string());
    // The logs that could record this key: those it appears in, else all of them.
    let logs_from = sources
        .iter()
        .filter_map(|s| reach.get(s))
        .min()
        .or_else(|| reach.values().min())
        .copied();
    if let Some(t) = logs_from {
        item.push("logs_from", time::format_rfc3339(t));
    }

    // One event that several logs recorded counts once.
    let mut unique: Vec<&Seen<'_>> = Vec::new();
    for s in seen {
        if !unique.iter().any(|o| same_event(o, s)) {
            unique.push(s);
        }
    }
    let at = |stage: Stage| {
        unique
            .iter()
            .filter(move |s| s.event.stage == Some(stage))
            .filter_map(|s| s.event.time)
    };
    let generated = at(Stage::Generated).min();
    let rotations: Vec<i64> = at(Stage::Rotated).collect();
    let uses: Vec<&Seen<'_>> = unique
        .iter()
        .copied()
        .filter(|s| s.event.stage == Some(Stage::Used))
        .collect();
    if let Some(t) = generated {
        item.push("generated", time::format_rfc3339(t));
    }
    item.push("rotations", rotations.len().to_string());
    if let Some(t) = rotations.iter().max() {
        item.push("last_rotation", time::format_rfc3339(*t));
    }
    item.push("uses", uses.len().to_string());
    let use_times: Vec<i64> = uses.iter().filter_map(|s| s.event.time).collect();
    if let (Some(a), Some(b)) = (use_times.iter().min(), use_times.iter().max()) {
        item.push("first_use", time::format_rfc3339(*a));
        item.push("last_use", time::format_rfc3339(*b));
    }
    let mut users: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &uses {
        if let Some(i) = &s.event.identity {
            *users.entry(i).or_default() += 1;
        }
    }
    let mut ranked: Vec<(&str, usize)> = users.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    for (u, n) in ranked.iter().take(MAX_USERS) {
        item.push("user", format!("{u} ({n})"));
    }
    for (field, stage) in [
        ("policy_changes", Stage::PolicyChanged),
        ("exports", Stage::Exported),
    ] {
        item.push(field, at(stage).count().to_string());
    }

    // The key's state through time: a use while disabled, scheduled for deletion or
    // destroyed is a use that must not happen (SP 800-57 §7.3: a suspended or
    // destroyed key is not used to apply protection).
    let mut state = "active";
    let mut misuse = Vec::new();
    for s in &unique {
        match s.event.stage {
            Some(Stage::Disabled) => state = "disabled",
            Some(Stage::DeletionScheduled) => state = "deletion_scheduled",
            Some(Stage::Destroyed) => state = "destroyed",
            Some(Stage::Enabled) if state == "disabled" => state = "active",
            Some(Stage::DeletionCancelled) if state == "deletion_scheduled" => state = "disabled",
            Some(Stage::Generated) if state == "destroyed" => state = "active",
            Some(Stage::Used) if state != "active" => misuse.push((state, *s)),
            _ => {}
        }
    }
    item.push("state", state);
    for (field, stage) in [
        ("disabled_at", Stage::Disabled),
        ("deletion_scheduled_at", Stage::DeletionScheduled),
        ("destroyed_at", Stage::Destroyed),
    ] {
        if let Some(t) = at(stage).max() {
            item.push(field, time::format_rfc3339(t));
        }
    }
    item.push("used_after_disable", bool_str(!misuse.is_empty()));
    let mut misuse_why = Vec::new();
    for (state, s) in misuse.iter().take(MAX_RECORDS) {
        for r in &s.event.records {
            item.push("record", format!("{}:{}: {r}", s.source, s.event.line));
        }
        misuse_why.push(format!(
            "used while {} ({}:{})",
            state.replace('_', " "),
            s.source,
            s.event.line
        ));
    }
    if !misuse_why.is_empty() {
        item.push("misuse_reason", misuse_why.join("; "));
    }
    // What could not be established goes in the message (each rule's explanation
    // quotes it); the reasons for a failure are fields of their own.
    let mut unknown: Vec<String> = Vec::new();

    // Cryptoperiod: the newest key material must be younger than rotation_days.
    item.push(
        "rotation_declared",
        bool_str(declared.is_some_and(|k| k.rotation_days.is_some())),
    );
    if let Some(days) = declared.and_then(|k| k.rotation_days) {
        item.push("rotation_days", days.to_string());
        let newest = generated.into_iter().chain(rotations.iter().copied()).max();
        let limit = days as i64 * DAY;
        match newest {
            Some(t) => {
                let age = (now - t).div_euclid(DAY);
                item.push("days_since_rotation", age.to_string());
                item.push("rotated_in_period", bool_str(now - t <= limit));
                if now - t > limit {
                    item.push(
                        "rotation_reason",
                        format!(
                            "newest key material {} is {age} days old (rotation_days {days})",
                            time::format_rfc3339(t)
                        ),
                    );
                }
            }
            None => match logs_from {
                Some(from) if now - from > limit => {
                    item.push("rotated_in_period", "false");
                    item.push(
                        "rotation_reason",
                        format!(
                            "no generation or rotation in the {} days the logs cover (rotation_days {days})",
                            (now - from).div_euclid(DAY)
                        ),
                    );
                }
                // Not established: the field is left out, so the state is unknown.
                _ => unknown.push(format!(
                    "no rotation recorded; the logs do not reach back {days} days"
                )),
            },
        }
    }

    // Unused for unused_days: a candidate for retirement.
    item.push("unused_days", unused_days.to_string());
    let limit = unused_days * DAY;
    match use_times.iter().max() {
        Some(&t) => {
            let age = (now - t).div_euclid(DAY);
            item.push("days_since_use", age.to_string());
            item.push("unused", bool_str(now - t > limit));
            if now - t > limit {
                item.push(
                    "use_reason",
                    format!(
                        "last use {} is {age} days old (unused_days {unused_days})",
                        time::format_rfc3339(t)
                    ),
                );
            }
        }
        None => match logs_from {
            Some(from) if now - from > limit => {
                item.push("unused", "true");
                item.push(
                    "use_reason",
                    format!(
                        "no use in the {} days the logs cover (unused_days {unused_days})",
                        (now - from).div_euclid(DAY)
                    ),
                );
            }
            _ => unknown.push(format!(
                "no use recorded; the logs do not reach back {unused_days} days"
            )),
        },
    }

    // Every lifecycle event in every log the policy says must record it.
    item.push(
        "logs_declared",
        bool_str(declared.is_some_and(|k| !k.logs.is_empty())),
    );
    if let Some(k) = declared.filter(|k| !k.logs.is_empty()) {
        let lifecycle: Vec<&Seen<'_>> = seen
            .iter()
            .filter(|s| s.event.stage.is_some_and(|st| st != Stage::Used))
            .collect();
        let mut missing = Vec::new();
        for s in &lifecycle {
            for log in k.logs.iter().filter(|l| **l != s.source) {
                if !lifecycle
                    .iter()
                    .any(|o| o.source == log && same_event(o, s))
                {
                    missing.push(format!(
                        "{} {} ({}:{}) is not in {log}",
                        s.event.time.map(time::format_rfc3339).unwrap_or_default(),
                        s.event.stage.map(Stage::as_str).unwrap_or_default(),
                        s.source,
                        s.event.line
                    ));
                }
            }
        }
        item.push("lifecycle_complete", bool_str(missing.is_empty()));
        item.push("missing_events", missing.len().to_string());
        for m in missing.iter().take(MAX_RECORDS) {
            item.push("missing_from", m.as_str());
        }
    }

    let skip = unique.len().saturating_sub(MAX_TIMELINE);
    for s in &unique[skip..] {
        item.push(
            "timeline",
            format!(
                "{} {} {} ({}:{})",
                s.event
                    .time
                    .map(time::format_rfc3339)
                    .unwrap_or_else(|| "-".into()),
                s.event.stage.map(Stage::as_str).unwrap_or("event"),
                s.event.identity.as_deref().unwrap_or("-"),
                s.source,
                s.event.line
            ),
        );
    }
    if !unknown.is_empty() {
        item.message = Some(format!("unknown: {}", unknown.join("; ")));
    }
    item
}

/// Are `a` and `b` one event recorded by two logs? The same log id (CloudTrail
/// `eventID`, Vault `request.id`) when both carry one, else the same stage within
/// [`SAME_EVENT_SECONDS`]. Two records of one log are never the same event.
fn same_event(a: &Seen<'_>, b: &Seen<'_>) -> bool {
    if a.source == b.source {
        return false;
    }
    match (&a.event.record_id, &b.event.record_id) {
        (Some(x), Some(y)) => x == y,
        _ => {
            a.event.stage == b.event.stage
                && match (a.event.time, b.event.time) {
                    (Some(x), Some(y)) => (x - y).abs() <= SAME_EVENT_SECONDS,
                    _ => false,
                }
        }
    }
}
