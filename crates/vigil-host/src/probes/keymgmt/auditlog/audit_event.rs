//! `audit_event_object` (entities `source`, `category` = denied | destructive,
//! `window_seconds`, `kind`): denied events per identity with the busiest window, or
//! every destructive lifecycle event with whether the policy's `[detection] allow`
//! permits it (CCM LOG-10, LOG-11). The offending records are item fields (`record`):
//! the evidence.

use crate::probes::keymgmt::read_accounts;
use std::collections::BTreeMap;

use super::{MAX_RECORDS, parse_context, source_events};
use crate::policy::{Policy, time};
use crate::probes::keymgmt::{bool_str, int_entity, not_declared, policy, selects};
use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};

/// Does the policy's `[detection] allow` permit `identity` to do `action`?
fn allowed(pol: &Policy, identity: &str, action: &str) -> bool {
    pol.detection.allow.iter().any(|a| {
        (a.identity == "*" || a.identity == identity)
            && (a.action == "*" || crate::probes::keymgmt::wildcard_match(&a.action, action))
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

/// The probe of `audit_event_object` (vigil family): denied events per identity, and
/// destructive lifecycle events checked against `[detection] allow`.
pub struct AuditEventProbe;

impl Probe<Context> for AuditEventProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["audit_event_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let pol = policy(ctx);
        if pol.audit_logs.is_empty() {
            return not_declared(ctx, "[[audit_logs]] source");
        }
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
        // Which destructive events are expected is a site fact: without a policy there
        // is no allow-list to judge them by.
        if category == "destructive" && pol.discovered {
            return not_declared(
                ctx,
                "[[detection.allow]] list of expected destructive events",
            );
        }
        if !matches!(category, "denied" | "destructive") {
            return Collected::error(format!(
                "{}: category must be 'denied' or 'destructive'",
                query.object_id
            ));
        }
        let acc = match read_accounts(ctx) {
            Ok(a) => a,
            Err(c) => return c,
        };
        let pc = parse_context(pol, &acc);
        let mut items = ctx.sink(ctx.deadline());
        let mut messages = Vec::new();
        let mut examined = false;
        for src in &pol.audit_logs {
            match selects(query, "source", &src.name) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(c) => return c,
            }
            let read = match source_events(ctx, src, &pc) {
                Ok(s) if s.file.is_none() => {
                    messages.push(format!("{}: {} does not exist", src.name, src.path));
                    continue;
                }
                Ok(s) => s,
                Err(e) => return Collected::error(e),
            };
            let parsed = &read.current;
            examined = true;
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
        crate::probes::keymgmt::judged(items, messages, examined)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
